//! The warm snapshot and the news that it changed.
//!
//! Records that arrive through the API (batches, track / identify / group) are read
//! back from the store by id and applied to a copy of the warm snapshot
//! (`Snapshot::apply`): only the rows that arrived and what depends on them are worked
//! out again, and the store is not read. Where applying is not exact (rows of a kind
//! whose rows add up were updated, such as revenue; a file import of unknown ids;
//! currency rates, targets, settings), the snapshot is built from the store instead.
//! Either way open pages hear of the change over server-sent events (`GET /events`)
//! and refresh their figures.
//!
//! Several servers on one PostgreSQL database: each change made here is announced on
//! the database's channel (`revline_store::changes`), and `follow_other_servers` takes
//! in the others' changes the same way (the rows they wrote, read back by id, or a
//! rebuild), so every server's snapshot, caches and open pages follow within a moment.

use crate::auth::Page;
use crate::{AppError, AppState};
use axum::Router;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use revline_core::{Record, RecordKind, Settings};
use revline_engine::{Snapshot, SnapshotBuilder};
use revline_store::Store;
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use tokio::sync::broadcast;

/// What open pages are told.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// Counts up by one per change.
    pub version: u64,
    /// What arrived, for people: `3 touchpoints, 1 contacts`.
    pub what: String,
    /// `incremental` (applied to the snapshot) or `rebuilt` (read again from the store).
    pub how: &'static str,
}

pub struct Live {
    snapshot: RwLock<Arc<Snapshot>>,
    /// One change at a time: two batches applied to the same snapshot at once would
    /// each miss the other's records.
    updating: tokio::sync::Mutex<()>,
    version: AtomicU64,
    events: broadcast::Sender<Change>,
    /// This process on the database's change channel: its own notes are not taken in
    /// twice.
    origin: String,
    /// Where the first snapshot came from (the store, or snapshot files).
    pub start: crate::start::Start,
}

/// What the other servers are told to do about a change made here.
enum Tell {
    Rows(Vec<(String, Vec<String>, bool)>),
    Rebuild,
    Settings,
}

/// Kinds whose rows the snapshot adds up (a row sent twice would count twice), unlike
/// accounts, contacts and deals, which a later row of the same id replaces.
fn accumulates(kind: RecordKind) -> bool {
    !matches!(
        kind,
        RecordKind::Accounts | RecordKind::Contacts | RecordKind::Deals
    )
}

/// The one snapshot loader: the records of `inputs` streamed out of the store into a
/// snapshot, merged contacts read as their survivors. The server loads everything once
/// (`SnapshotBuilder::ALL_INPUTS`); a command-line report only what its query reads.
pub async fn load_snapshot(
    store: &dyn Store,
    settings: &Settings,
    inputs: &[(revline_core::RecordKind, &'static [&'static str])],
) -> Result<Snapshot, revline_store::StoreError> {
    let mut builder = SnapshotBuilder::new(settings);
    let merges = store.contact_merges().await?;
    builder.merge_contacts(merges.into_iter().map(|m| (m.merged_id, m.survivor_id)));
    let builder =
        revline_store::scan_overlapped(store, inputs, builder, |builder, row| builder.add(row))
            .await?;
    Ok(tokio::task::spawn_blocking(move || builder.build())
        .await
        .expect("building a snapshot does not panic"))
}

impl Live {
    pub async fn load(
        store: &dyn Store,
        settings: &Settings,
        files: Option<&std::path::Path>,
    ) -> Result<Live, AppError> {
        let (snapshot, start) =
            crate::start::load_snapshot_from(store, settings, SnapshotBuilder::ALL_INPUTS, files)
                .await?;
        Ok(Live {
            start,
            snapshot: RwLock::new(Arc::new(snapshot)),
            updating: tokio::sync::Mutex::new(()),
            version: AtomicU64::new(0),
            origin: format!(
                "{} {}",
                revline_store::runner_id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos())
            ),
            events: broadcast::channel(64).0,
        })
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.read().expect("snapshot lock").clone()
    }

    pub fn version(&self) -> u64 {
        self.version.load(Ordering::SeqCst)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.events.subscribe()
    }

    fn publish(&self, snapshot: Snapshot, what: String, how: &'static str) -> Change {
        *self.snapshot.write().expect("snapshot lock") = Arc::new(snapshot);
        let version = self.version.fetch_add(1, Ordering::SeqCst) + 1;
        let change = Change { version, what, how };
        // Nobody listening is fine.
        let _ = self.events.send(change.clone());
        change
    }

    /// Reads the whole workspace again, and tells the other servers to.
    pub async fn rebuild(
        &self,
        store: &dyn Store,
        settings: &Settings,
        what: &str,
    ) -> Result<Change, AppError> {
        // Told whatever happened here: the change is in the store either way.
        let change = self.rebuild_here(store, settings, what).await;
        self.tell(store, what, Tell::Rebuild).await;
        change
    }

    /// The settings changed: reads the workspace again under them, and tells the other
    /// servers to read the settings too.
    pub async fn settings_changed(
        &self,
        store: &dyn Store,
        settings: &Settings,
    ) -> Result<Change, AppError> {
        let what = "settings changed";
        let change = self.rebuild_here(store, settings, what).await;
        self.tell(store, what, Tell::Settings).await;
        change
    }

    async fn rebuild_here(
        &self,
        store: &dyn Store,
        settings: &Settings,
        what: &str,
    ) -> Result<Change, AppError> {
        let _one = self.updating.lock().await;
        self.rebuild_locked(store, settings, what).await
    }

    /// Announces a change made here; a failure to announce does not undo the change
    /// (the others catch up at their next change or restart), so it is logged only.
    async fn tell(&self, store: &dyn Store, what: &str, tell: Tell) {
        let mut note = revline_store::ChangeNote {
            origin: self.origin.clone(),
            what: what.to_string(),
            written: Vec::new(),
            rebuild: false,
            settings: false,
        };
        match tell {
            Tell::Rows(rows) => note.written = rows,
            Tell::Rebuild => note.rebuild = true,
            Tell::Settings => note.settings = true,
        }
        if let Err(e) = store.announce(&note).await {
            tracing::warn!("could not tell the other servers of a change: {e}");
        }
    }

    async fn rebuild_locked(
        &self,
        store: &dyn Store,
        settings: &Settings,
        what: &str,
    ) -> Result<Change, AppError> {
        let snapshot = load_snapshot(store, settings, SnapshotBuilder::ALL_INPUTS).await?;
        Ok(self.publish(snapshot, what.to_string(), "rebuilt"))
    }

    /// Takes in records that were just written: `ids` per kind, and whether each kind's
    /// rows were all new (`fresh`), and tells the other servers. Falls back to a
    /// rebuild where applying is not exact.
    pub async fn arrived(
        &self,
        store: &dyn Store,
        settings: &Settings,
        written: &[(RecordKind, Vec<String>, bool)],
        what: &str,
    ) -> Result<Change, AppError> {
        let change = self.arrived_here(store, settings, written, what).await;
        let rows = written
            .iter()
            .map(|(kind, ids, fresh)| (kind.name().to_string(), ids.clone(), *fresh))
            .collect();
        self.tell(store, what, Tell::Rows(rows)).await;
        change
    }

    async fn arrived_here(
        &self,
        store: &dyn Store,
        settings: &Settings,
        written: &[(RecordKind, Vec<String>, bool)],
        what: &str,
    ) -> Result<Change, AppError> {
        let _one = self.updating.lock().await;
        if written
            .iter()
            .any(|(kind, _, fresh)| accumulates(*kind) && !fresh)
        {
            return self.rebuild_locked(store, settings, what).await;
        }
        let mut records: Vec<Record> = Vec::new();
        for (kind, ids, _) in written {
            records.extend(store.records_by_id(*kind, ids).await?);
        }
        // Accounts before the contacts and deals that point at them, as a full load.
        let order = |k: RecordKind| {
            SnapshotBuilder::ALL_INPUTS
                .iter()
                .position(|(kind, _)| *kind == k)
                .unwrap_or(usize::MAX)
        };
        records.sort_by_key(|r| order(r.kind));
        let current = self.snapshot();
        let applied = tokio::task::spawn_blocking(move || current.apply(&records))
            .await
            .expect("applying records does not panic");
        match applied {
            Ok(snapshot) => Ok(self.publish(snapshot, what.to_string(), "incremental")),
            Err(why) => {
                tracing::info!("snapshot rebuilt from the store: {why}");
                self.rebuild_locked(store, settings, what).await
            }
        }
    }
}

/// Takes in the changes the other servers on the same database announce, for as long
/// as the server runs; returns at once where the store has no channel (SQLite).
///
/// Exact rather than fast: rows that add up (touchpoints, stages, revenue, ...) could be
/// counted twice if this server read the store again between another server's write
/// and its note, so their notes rebuild the snapshot; contacts, accounts and deals are
/// replaced by id and are applied. Notes that arrive while one is being taken in are
/// taken in together (one rebuild for many).
pub async fn follow_other_servers(state: AppState) {
    use futures::{FutureExt, StreamExt};
    use revline_store::Heard;
    loop {
        let mut heard = match state.store.listen().await {
            Ok(Some(heard)) => heard,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!("listening for other servers' changes failed: {e}; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
        };
        // Changes made before this server listened (while it loaded, or while the
        // connection was down) were never heard: read the store again, now listening.
        take_in(&state, vec![Heard::Missed]).await;
        'listening: while let Some(next) = heard.next().await {
            let mut batch = Vec::new();
            let mut next = Some(next);
            while let Some(item) = next.take() {
                match item {
                    Ok(h) => batch.push(h),
                    Err(e) => {
                        tracing::warn!("the change channel failed: {e}; listening again");
                        take_in(&state, batch).await;
                        break 'listening;
                    }
                }
                next = heard.next().now_or_never().flatten();
            }
            take_in(&state, batch).await;
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// Changes heard from other servers, taken in without announcing them again.
async fn take_in(state: &AppState, heard: Vec<revline_store::Heard>) {
    use revline_store::Heard;
    let live = &state.live;
    let store = &*state.store;
    let (mut rebuild, mut settings_changed) = (false, false);
    let mut rows: Vec<(RecordKind, Vec<String>, bool)> = Vec::new();
    let mut what = Vec::new();
    for h in heard {
        match h {
            Heard::Note(note) if note.origin == live.origin => {}
            Heard::Note(note) => {
                settings_changed |= note.settings;
                rebuild |= note.rebuild || note.settings;
                for (kind, ids, fresh) in note.written {
                    match RecordKind::from_name(&kind) {
                        Some(kind) if !accumulates(kind) => rows.push((kind, ids, fresh)),
                        _ => rebuild = true,
                    }
                }
                what.push(note.what);
            }
            Heard::Missed => {
                (rebuild, settings_changed) = (true, true);
                what.push("caught up with other servers".to_string());
            }
        }
    }
    if what.is_empty() {
        return;
    }
    if settings_changed {
        match store.settings().await {
            Ok(settings) => state.replace_settings(settings),
            Err(e) => tracing::warn!("reading the settings another server saved: {e}"),
        }
    }
    let settings = state.settings();
    let what = what.join("; ");
    let result = if rebuild {
        live.rebuild_here(store, &settings, &what).await
    } else {
        live.arrived_here(store, &settings, &rows, &what).await
    };
    if let Err(e) = result {
        tracing::warn!("taking in another server's change failed: {e}");
    }
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/events", get(events))
}

/// `GET /events`: one `change` event per change of the workspace.
async fn events(
    State(state): State<AppState>,
    Page(_user): Page,
) -> Sse<impl futures::Stream<Item = Result<Event, std::convert::Infallible>>> {
    let rx = state.live.subscribe();
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(change) => {
                    let event = Event::default()
                        .event("change")
                        .json_data(&change)
                        .unwrap_or_default();
                    return Some((Ok(event), rx));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
