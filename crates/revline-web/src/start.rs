//! Where a snapshot starts from: snapshot files (`--snapshot DIR`) when they reflect the
//! store's data version, else the store, after which the files are written again so the
//! next start is quick. The files are a copy of what the store holds: files that cannot
//! be read are reported and replaced, never trusted.

use crate::live::load_snapshot;
use revline_core::{RecordKind, Settings};
use revline_engine::{Snapshot, SnapshotBuilder};
use revline_files::{Manifest, Tables};
use revline_store::{Store, StoreError};
use std::path::Path;

/// How the snapshot was had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// Read out of the store (no snapshot directory given).
    Store,
    /// Read from current snapshot files.
    Files { store_version: i64 },
    /// Read out of the store; the files were missing, out of date or unreadable and
    /// were written again (`written` is false when that failed: see the warning).
    Rewritten {
        store_version: i64,
        was: Option<i64>,
        written: bool,
    },
}

impl Start {
    /// A line for a person: what was read and why.
    pub fn describe(&self, dir: &Path) -> Option<String> {
        let dir = dir.display();
        match self {
            Start::Store => None,
            Start::Files { store_version } => Some(format!(
                "snapshot files {dir} (store version {store_version})"
            )),
            Start::Rewritten {
                store_version,
                was,
                written,
            } => {
                let why = match was {
                    Some(v) => format!("were of store version {v}"),
                    None => "were missing or unreadable".to_string(),
                };
                let done = if *written {
                    "written again"
                } else {
                    "could not be written"
                };
                Some(format!(
                    "snapshot files {dir} {why}; read the store (version {store_version}), files {done}"
                ))
            }
        }
    }
}

/// The snapshot `inputs` need, from the files in `dir` when they are current. Files
/// hold the whole workspace, so a report reads them all but the touchpoints it does not
/// need; a rewrite reads every input out of the store.
pub async fn load_snapshot_from(
    store: &dyn Store,
    settings: &Settings,
    inputs: &[(RecordKind, &'static [&'static str])],
    dir: Option<&Path>,
) -> Result<(Snapshot, Start), StoreError> {
    let Some(dir) = dir else {
        return Ok((load_snapshot(store, settings, inputs).await?, Start::Store));
    };
    let store_version = store.data_version().await?;
    let manifest = Manifest::read(dir).unwrap_or_else(|e| {
        tracing::warn!("{e}");
        None
    });
    if let Some(m) = manifest.as_ref().filter(|m| m.is_current(store_version)) {
        let tables = if inputs.iter().any(|(k, _)| *k == RecordKind::Touchpoints) {
            Tables::All
        } else {
            Tables::WithoutTouchpoints
        };
        let owned = dir.to_path_buf();
        let read = tokio::task::spawn_blocking(move || revline_files::read(&owned, tables))
            .await
            .expect("reading snapshot files does not panic");
        match read {
            Ok((_, snapshot)) => return Ok((snapshot, Start::Files { store_version })),
            Err(e) => tracing::warn!(
                "{e}; reading the store instead (generation {})",
                m.generation
            ),
        }
    }
    let snapshot = load_snapshot(store, settings, SnapshotBuilder::ALL_INPUTS).await?;
    let shards = manifest
        .as_ref()
        .map_or(revline_files::DEFAULT_SHARDS, |m| m.shards);
    let (snapshot, written) = write_files(snapshot, dir, shards, store_version).await;
    let was = manifest.map(|m| m.store_version);
    let start = Start::Rewritten {
        store_version,
        was,
        written,
    };
    Ok((snapshot, start))
}

/// Writes the files off the async threads; a failure is a warning (the snapshot is
/// right whether or not its copy could be kept).
async fn write_files(
    snapshot: Snapshot,
    dir: &Path,
    shards: u32,
    store_version: i64,
) -> (Snapshot, bool) {
    let owned = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let written = revline_files::write(&snapshot, &owned, shards, store_version);
        if let Err(e) = &written {
            tracing::warn!("{e}");
        }
        (snapshot, written.is_ok())
    })
    .await
    .expect("writing snapshot files does not panic")
}

/// The manifest of current files in `dir`, written from the store first when they are
/// missing, out of date or of another format: what a cluster query plans with (its
/// nodes read the files, never the store). `None` when the files could not be written
/// (the warning says why).
pub async fn current_files(
    store: &dyn Store,
    settings: &Settings,
    dir: &Path,
) -> Result<(Option<Manifest>, Start), StoreError> {
    let store_version = store.data_version().await?;
    match Manifest::read(dir) {
        Ok(Some(m)) if m.is_current(store_version) => {
            return Ok((Some(m), Start::Files { store_version }));
        }
        Ok(_) => {}
        Err(e) => tracing::warn!("{e}"),
    }
    let (_, start) =
        load_snapshot_from(store, settings, SnapshotBuilder::ALL_INPUTS, Some(dir)).await?;
    let manifest = Manifest::read(dir).unwrap_or_else(|e| {
        tracing::warn!("{e}");
        None
    });
    Ok((manifest, start))
}
