//! revline-web in-process (one test binary): the API (`api`) and the web app (`pages`),
//! each on a fresh store of both kinds per test.

mod api;
mod files;
mod pages;

use revline_core::RecordKind;
use revline_store::Store;

/// Writes a demo workspace of `contacts` contacts (and its settings) into the store.
pub async fn demo_workspace(store: &dyn Store, contacts: u64) {
    let config = revline_demo::DemoConfig {
        contacts,
        ..revline_demo::DemoConfig::default()
    };
    let mut by_kind: std::collections::HashMap<RecordKind, Vec<revline_core::Record>> =
        Default::default();
    revline_demo::generate(&config, &mut |r| by_kind.entry(r.kind).or_default().push(r));
    store
        .save_settings(&revline_demo::demo_settings())
        .await
        .unwrap();
    for kind in RecordKind::ALL {
        for chunk in by_kind.remove(&kind).unwrap_or_default().chunks(5_000) {
            store.write_batch(kind, chunk).await.unwrap();
        }
    }
}
