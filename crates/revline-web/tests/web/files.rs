//! A server started from snapshot files (`serve --snapshot DIR`): the first start reads
//! the store and writes the files, the next reads the files, and either answers every
//! report as a server that read the store; a change made since is never missed.

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use revline_core::{FixedClock, RecordKind};
use revline_store::Store;
use revline_web::AppState;
use revline_web::start::Start;
use std::path::Path;
use std::sync::Arc;
use tower::ServiceExt;

const AS_OF: i64 = 1_793_491_200_000; // 2026-11-01T00:00:00Z

async fn started(store: &Arc<dyn Store>, files: Option<&Path>) -> AppState {
    AppState::load_from(store.clone(), Arc::new(FixedClock(AS_OF)), files)
        .await
        .unwrap()
}

async fn report(state: &AppState, token: &str, name: &str) -> String {
    let request = Request::get(format!("/api/v1/reports/{name}?as_of=2026-11-01"))
        .header("Authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = revline_web::router(state.clone())
        .oneshot(request)
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{name}: {}",
        response.status()
    );
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

async fn a_server_starts_from_current_files(store: Arc<dyn Store>) {
    crate::demo_workspace(&*store, 500).await;
    let user = store
        .create_user("cro@example.com", "viewer", None, AS_OF)
        .await
        .unwrap();
    let (token, digest) = revline_web::access::new_token();
    store.create_token(user.id, &digest, AS_OF).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("snapshot");
    let version = store.data_version().await.unwrap();

    let from_store = started(&store, None).await;
    assert_eq!(from_store.live.start, Start::Store);
    let first = started(&store, Some(&files)).await;
    assert_eq!(
        first.live.start,
        Start::Rewritten {
            store_version: version,
            was: None,
            written: true
        }
    );
    let second = started(&store, Some(&files)).await;
    assert_eq!(
        second.live.start,
        Start::Files {
            store_version: version
        }
    );
    for name in [
        "scorecard",
        "funnel",
        "attribution",
        "bottlenecks",
        "mrr",
        "sla",
    ] {
        let expected = report(&from_store, &token, name).await;
        assert_eq!(
            report(&first, &token, name).await,
            expected,
            "{name}, first start"
        );
        assert_eq!(
            report(&second, &token, name).await,
            expected,
            "{name}, from the files"
        );
    }

    // A contact written since: the files are out of date, read again and rewritten.
    let contact = revline_core::Record::new(RecordKind::Contacts, "files-test-contact".into());
    store
        .write_batch(RecordKind::Contacts, &[contact])
        .await
        .unwrap();
    let third = started(&store, Some(&files)).await;
    let now = store.data_version().await.unwrap();
    assert!(now > version);
    assert_eq!(
        third.live.start,
        Start::Rewritten {
            store_version: now,
            was: Some(version),
            written: true
        }
    );
    assert!(
        third
            .snapshot()
            .contact_ids
            .iter()
            .any(|id| id == "files-test-contact")
    );
    assert_eq!(
        third.snapshot().contacts(),
        second.snapshot().contacts() + 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_starts_from_current_files_on_sqlite() {
    let fresh = revline_store::testing::sqlite().await;
    a_server_starts_from_current_files(Arc::new(fresh.store.clone())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_starts_from_current_files_on_postgres() {
    let Some(fresh) = revline_store::testing::postgres().await else {
        return;
    };
    a_server_starts_from_current_files(Arc::new(fresh.store.clone())).await;
    fresh.drop_database().await;
}
