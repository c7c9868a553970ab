//! Revline's web app and HTTP API.
//!
//! - `/api/v1` (interface.md "HTTP API"): the reports with the same parameters and the
//!   same JSON as the command line, batch record ingestion and Segment-style events,
//!   behind API tokens or a web session, with JSON errors.
//! - The pages of the revenue room, rendered on the server (askama) with htmx for
//!   partial updates and ECharts for charts, both vendored and served from the binary.
//! - Live: when records arrive, the snapshot takes them in and open pages hear of it
//!   over server-sent events.
//!
//! `fn router(state) -> Router`; handlers are thin: check the caller, parse, run the
//! engine's query, render. One `AppError` turns every failure into a JSON error (API) or
//! an error page (pages).

pub mod access;
pub mod alerts;
mod api;
pub mod assets;
pub mod auth;
pub mod cluster;
pub mod deliver;
pub mod digest;
mod error;
pub mod i18n;
mod ingest;
pub mod live;
mod middleware;
pub mod openapi;
pub mod pages;
mod reports;
pub mod start;
pub mod summaries;
use revline_core::url;
mod views;

pub use error::AppError;

use axum::Router;
use revline_core::{Clock, Settings};
use revline_engine::{Snapshot, SnapshotBuilder};
use revline_store::Store;
use std::sync::{Arc, RwLock};

/// A snapshot version and the time of its newest record.
type NewestAt = (u64, Option<i64>);

type FilterOptions = Arc<Vec<(String, String, String)>>;

/// A trained model's snapshot version, target stage, horizon (bits) and training time.
type TrainedKey = (u64, usize, u64, i64);
type KeptModel = (TrainedKey, Arc<Trained>);
use revline_engine::scores::{ScoresQuery, Trained};

/// What every request shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    settings: Arc<RwLock<Arc<Settings>>>,
    /// The workspace in memory, with what it was built from, so arriving records are
    /// added to it rather than read again.
    pub live: Arc<live::Live>,
    pub clock: Arc<dyn Clock>,
    pub imports: Arc<ingest::Imports>,
    pub reports: Arc<reports::ReportCache>,
    /// The newest record's time, per snapshot version (a scan of every column).
    newest: Arc<std::sync::Mutex<Option<NewestAt>>>,
    /// The filter picker's values, per snapshot version: (dimension, `dim:value`,
    /// value). Kept per app state, so two apps in one process never share them.
    pub(crate) filters: Arc<std::sync::Mutex<Option<(u64, FilterOptions)>>>,
    /// The lead-scoring model the score column and the "why" panel read, per snapshot
    /// version and training query (training 1M leads takes a second; a page of
    /// records needs only its contacts scored).
    trained: Arc<std::sync::Mutex<Option<KeptModel>>>,
    /// Served over TLS: session cookies are `Secure`.
    pub tls: bool,
    /// The largest request body taken (`UPLOAD_LIMIT_BYTES` unless set).
    pub upload_limit: usize,
    /// Webhooks may go to loopback and private addresses (`--allow-private-webhooks`).
    pub allow_private_webhooks: bool,
    /// Reports that run shard by shard are computed on this cluster (`--cluster`).
    pub cluster: Option<Arc<cluster::ClusterReports>>,
}

impl AppState {
    /// Reads the workspace out of the store into a snapshot.
    pub async fn load(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Result<AppState, AppError> {
        AppState::load_from(store, clock, None).await
    }

    /// Starts from the snapshot files in `files` when they are current, else reads the
    /// store and writes them (`start::load_snapshot_from`).
    pub async fn load_from(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        files: Option<&std::path::Path>,
    ) -> Result<AppState, AppError> {
        let settings = store.settings().await?;
        let live = live::Live::load(&*store, &settings, files).await?;
        Ok(AppState {
            store,
            settings: Arc::new(RwLock::new(Arc::new(settings))),
            live: Arc::new(live),
            clock,
            imports: Arc::default(),
            reports: Arc::default(),
            newest: Arc::default(),
            filters: Arc::default(),
            trained: Arc::default(),
            tls: false,
            upload_limit: UPLOAD_LIMIT_BYTES,
            allow_private_webhooks: false,
            cluster: None,
        })
    }

    /// The time of the workspace's newest record ("data up to"), `None` when empty.
    pub fn newest_record_at(&self) -> Option<i64> {
        let version = self.live.version();
        let mut cached = self.newest.lock().expect("newest lock");
        match *cached {
            Some((v, newest)) if v == version => newest,
            _ => {
                let newest = self.snapshot().newest_record_at();
                *cached = Some((version, newest));
                newest
            }
        }
    }

    /// "Now" as reports and pages open on it: the clock (to the minute, so that
    /// results can be cached), or just after the newest record when the workspace's
    /// data ended before the default period (`calendar::reporting_now`).
    pub fn reporting_now(&self) -> i64 {
        let now = self.clock.now();
        let tz = self.settings().timezone;
        let opening = revline_engine::calendar::reporting_now(tz, now, self.newest_record_at());
        if opening == now {
            now - now.rem_euclid(60_000)
        } else {
            opening
        }
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.live.snapshot()
    }

    pub fn settings(&self) -> Arc<Settings> {
        self.settings.read().expect("settings lock").clone()
    }

    /// Stores new workspace settings; the snapshot is rebuilt under them (stages, time
    /// zone and currency shape every figure).
    pub async fn save_settings(&self, settings: Settings) -> Result<(), AppError> {
        self.store.save_settings(&settings).await?;
        self.replace_settings(settings.clone());
        self.live.settings_changed(&*self.store, &settings).await?;
        Ok(())
    }

    /// The lead-scoring model for `q` on the current snapshot, trained once per version.
    pub(crate) async fn trained_model(&self, q: &ScoresQuery) -> Arc<Trained> {
        // The version before the snapshot: a model is never filed under newer data.
        let key = (
            self.live.version(),
            q.target,
            q.horizon_days.to_bits(),
            q.train_as_of,
        );
        if let Some((k, model)) = self.trained.lock().expect("model cache").as_ref()
            && *k == key
        {
            return model.clone();
        }
        let (s, q) = (self.snapshot(), q.clone());
        let started = std::time::Instant::now();
        let model = Arc::new(
            tokio::task::spawn_blocking(move || Trained::train(&s, &q))
                .await
                .expect("training does not panic"),
        );
        tracing::info!(
            "lead-scoring model trained in {} ms",
            started.elapsed().as_millis()
        );
        *self.trained.lock().expect("model cache") = Some((key, model.clone()));
        model
    }

    /// Holds settings already stored (here, or by another server on the database).
    pub(crate) fn replace_settings(&self, settings: Settings) {
        *self.settings.write().expect("settings lock") = Arc::new(settings);
    }
}

/// Every record the reports read.
pub async fn build_snapshot(store: &dyn Store, settings: &Settings) -> Result<Snapshot, AppError> {
    Ok(live::load_snapshot(store, settings, SnapshotBuilder::ALL_INPUTS).await?)
}

/// The largest request body (an uploaded file, a batch of records).
pub const UPLOAD_LIMIT_BYTES: usize = 256 * 1024 * 1024;

/// Every route: the API, the pages and their assets.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .merge(pages::routes())
        .merge(views::routes())
        .merge(ingest::routes())
        .merge(live::routes())
        .merge(assets::routes())
        .merge(alerts::routes())
        .merge(api::routes())
        .layer(axum::extract::DefaultBodyLimit::max(state.upload_limit))
        .with_state(state);
    middleware::wrap(routes)
}

/// Serves the app on `addr` until the process is stopped.
pub async fn serve(state: AppState, addr: std::net::SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    tokio::spawn(keep_warm(state.clone()));
    tokio::spawn(watch_alerts(state.clone()));
    tokio::spawn(live::follow_other_servers(state.clone()));
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .await
}

/// Warms the pages' reports at start, after every change of the data, and each minute
/// (reports without an as-of time are computed as of the current minute).
async fn keep_warm(state: AppState) {
    let mut changes = state.live.subscribe();
    loop {
        pages::warm(&state).await;
        let now = state.clock.now();
        let to_next_minute = 60_000 - now.rem_euclid(60_000) + 50;
        tokio::select! {
            change = changes.recv() => {
                if let Err(tokio::sync::broadcast::error::RecvError::Closed) = change {
                    return;
                }
            }
            _ = tokio::time::sleep(std::time::Duration::from_millis(to_next_minute as u64)) => {}
        }
    }
}

/// Evaluates the alert rules after every change of the data and every minute, then
/// sends what is due (alerts.md "Rules", evaluation). Off the request path.
async fn watch_alerts(state: AppState) {
    let mut changes = state.live.subscribe();
    let courier = deliver::Courier::new(state.allow_private_webhooks);
    loop {
        let now = state.clock.now();
        let snapshot = state.snapshot();
        let settings = state.settings();
        if let Err(e) =
            alerts::evaluate_rules(&*state.store, snapshot.clone(), settings.clone(), now).await
        {
            tracing::error!("evaluating alert rules: {e}");
        }
        if let Some(slot) = digest::due_slot(&settings, now) {
            match digest::send(&*state.store, &snapshot, &settings, &slot, now).await {
                Ok(Some(_)) => tracing::info!("digest {slot} queued"),
                Ok(None) => {}
                Err(e) => tracing::error!("building the digest: {e}"),
            }
        }
        if let Err(e) = deliver::deliver_due(&*state.store, &courier, now).await {
            tracing::error!("delivering alerts: {e}");
        }
        tokio::select! {
            change = changes.recv() => {
                if let Err(tokio::sync::broadcast::error::RecvError::Closed) = change {
                    return;
                }
            }
            _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
        }
    }
}
