//! Revline's HTTP API under `/api/v1` (interface.md "HTTP API"): the reports with the
//! same parameters and the same JSON as the command line, behind API tokens, with JSON
//! errors. The state holds the store and a warm snapshot of the workspace, so a report
//! is computed in memory.
//!
//! `fn router(state) -> Router`; handlers are thin: parse, run the engine's query,
//! answer. One `AppError` turns every failure into `{"error":{"code","message",
//! "details"}}` with a fitting status.

pub mod access;
mod api;
mod error;
pub mod openapi;

pub use error::AppError;

use axum::Router;
use revline_core::{Clock, Settings};
use revline_engine::{Snapshot, SnapshotBuilder};
use revline_store::Store;
use std::sync::{Arc, RwLock};

/// What every request shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub settings: Arc<Settings>,
    /// The workspace in memory; replaced whole when records arrive.
    pub snapshot: Arc<RwLock<Arc<Snapshot>>>,
    pub clock: Arc<dyn Clock>,
}

impl AppState {
    /// Reads the workspace out of the store into a snapshot.
    pub async fn load(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Result<AppState, AppError> {
        let settings = store.settings().await?;
        let snapshot = build_snapshot(&*store, &settings).await?;
        Ok(AppState {
            store,
            settings: Arc::new(settings),
            snapshot: Arc::new(RwLock::new(Arc::new(snapshot))),
            clock,
        })
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.read().expect("snapshot lock").clone()
    }
}

/// Every record the reports read.
pub async fn build_snapshot(
    store: &dyn Store,
    settings: &Settings,
) -> Result<Snapshot, revline_store::StoreError> {
    let mut builder = SnapshotBuilder::new(settings);
    for (kind, columns) in SnapshotBuilder::ALL_INPUTS {
        store
            .scan_columns(*kind, columns, &mut |row| builder.add(row))
            .await?;
    }
    Ok(builder.build())
}

/// Every route of the API.
pub fn router(state: AppState) -> Router {
    api::routes().with_state(state)
}

/// Serves the API on `addr` until the process is stopped.
pub async fn serve(state: AppState, addr: std::net::SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, router(state)).await
}
