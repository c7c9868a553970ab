//! The warm snapshot the report benches share: the 1,000,000-contact demo workspace
//! (every record kind, about two and a half years of history), built once per run.

use revline_demo::{DemoConfig, demo_settings, generate};
use revline_engine::{Snapshot, SnapshotBuilder};
use std::sync::OnceLock;

pub fn snapshot() -> &'static Snapshot {
    static SNAPSHOT: OnceLock<Snapshot> = OnceLock::new();
    SNAPSHOT.get_or_init(|| {
        let config = DemoConfig {
            contacts: 1_000_000,
            ..DemoConfig::default()
        };
        let mut builder = SnapshotBuilder::new(&demo_settings());
        generate(&config, &mut |r| builder.add(&r));
        builder.build()
    })
}
