//! Snapshot files: a workspace's columnar snapshot written as Parquet files, so that a
//! report or a server starts from them instead of reading every record out of the store
//! and building the snapshot again.
//!
//! A snapshot directory holds `manifest.json` and one generation of files:
//!
//! ```text
//! DIR/manifest.json                  format, store version, shard count, settings
//! DIR/<generation>/shared/*.parquet  names, accounts, deals, revenue, spend, tickets, ...,
//!                                    and each unit's and deal's value of every dimension
//! DIR/<generation>/shard-0000/       contacts, touchpoints, stage_rows of shard 0
//! ```
//!
//! Contacts are put in shards by a hash of their id (xxh3, 64 bits, modulo the shard
//! count), each shard's rows sorted by contact (the snapshot's order) and each contact's
//! touchpoints by time. The per-customer tables (accounts, deals, revenue, tickets) are a
//! small fraction of a workspace and are kept whole in `shared/`. The manifest names the
//! store version the files reflect (`Store::data_version`): files whose version is not
//! the store's are out of date and are written again. The manifest is written last and
//! replaced atomically, so a reader sees a whole generation or the one before.

mod columns;
mod manifest;
mod shards;
mod shared;

pub use manifest::{FORMAT, Manifest};

use revline_engine::shard::ShardReads;
use revline_engine::slice::SharedDims;
use revline_engine::snapshot::Snapshot;
use std::path::{Path, PathBuf};

/// A snapshot file could not be written or read: the file and what went wrong.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct FilesError {
    pub path: PathBuf,
    pub message: String,
}

impl FilesError {
    pub(crate) fn at(path: &Path, message: impl std::fmt::Display) -> FilesError {
        FilesError {
            path: path.to_path_buf(),
            message: message.to_string(),
        }
    }
}

/// The shard of a contact id among `shards`.
pub fn shard_of(contact_id: &str, shards: u32) -> u32 {
    (xxhash_rust::xxh3::xxh3_64(contact_id.as_bytes()) % u64::from(shards.max(1))) as u32
}

/// The default shard count: enough for a cluster's executors to share the work, few
/// enough that a small workspace is not a thousand tiny files.
pub const DEFAULT_SHARDS: u32 = 8;

/// What to read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tables {
    /// Every table: what a server keeps.
    All,
    /// Everything but the touchpoints (the largest table), for a report that does not
    /// read them; the snapshot then has no touchpoints, as one loaded from the store
    /// without them.
    WithoutTouchpoints,
}

/// Writes `snapshot` into `dir` as a new generation reflecting `store_version`, then
/// points the manifest at it and removes older generations.
pub fn write(
    snapshot: &Snapshot,
    dir: &Path,
    shards: u32,
    store_version: i64,
) -> Result<Manifest, FilesError> {
    let shards = shards.max(1);
    std::fs::create_dir_all(dir).map_err(|e| FilesError::at(dir, e))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let generation = format!("v{store_version}-{nanos}");
    let root = dir.join(&generation);
    shared::write(snapshot, &root.join("shared"))?;
    shards::write(snapshot, &root, shards)?;
    let manifest = Manifest::of(snapshot, generation, shards, store_version);
    manifest.write(dir)?;
    manifest::remove_other_generations(dir, &manifest.generation);
    Ok(manifest)
}

/// One shard of a generation, as a cluster node reads it.
#[derive(Debug)]
pub struct ShardFiles {
    pub manifest: Manifest,
    /// The shard's contacts alone, numbered from 0, with their stage entries (and
    /// touchpoints and shared tables when asked); the names and the settings.
    pub snapshot: Snapshot,
    /// Each contact's index in the workspace, ascending (`revline_engine::shard::Owned`).
    pub global: Vec<u32>,
    pub shard: u32,
    /// The customer units' and deals' values of every dimension, when asked
    /// (`ShardReads::dims`); empty otherwise.
    pub dims: SharedDims,
}

impl ShardFiles {
    /// What this shard holds of the workspace, as the engine's shard tasks take it.
    pub fn owned(&self) -> revline_engine::shard::Owned<'_> {
        revline_engine::shard::Owned::Shard {
            global: &self.global,
            index: self.shard,
            of: self.manifest.shards,
            workspace_contacts: self.manifest.contacts as usize,
            dims: &self.dims,
        }
    }
}

/// Reads shard `shard` of the generation `generation` of `dir` with what `reads` asks
/// for: the shared tables (accounts, deals, revenue, spend, tickets) keep the
/// workspace's numbering of contacts, which `ShardFiles::global` maps. No stage rows.
/// The generation is the one the caller planned with; files rewritten since are an
/// error, never a mix of two versions.
pub fn read_shard(
    dir: &Path,
    generation: &str,
    shard: u32,
    reads: ShardReads,
) -> Result<ShardFiles, FilesError> {
    let manifest = manifest_of_generation(dir, generation)?;
    if shard >= manifest.shards {
        return Err(FilesError::at(
            &dir.join(manifest::FILE),
            format!("no shard {shard}: the files have {}", manifest.shards),
        ));
    }
    let root = dir.join(&manifest.generation);
    let base = if reads.shared_tables {
        let (base, later) = shared::read(&manifest, &root.join("shared"))?;
        base.with_lookups(later.merges, later.fx)
    } else {
        shared::read_settings_and_names(&manifest, &root.join("shared"))?
    };
    let dims = if reads.dims {
        shared::read_dims(&root.join("shared"))?
    } else {
        SharedDims::default()
    };
    let (snapshot, global) = shards::read_one(&manifest, &root, base, shard, reads)?;
    Ok(ShardFiles {
        manifest,
        snapshot,
        global,
        shard,
        dims,
    })
}

/// The settings, names and, when `tables`, the shared tables of the generation
/// `generation` of `dir`, without contacts: what a cluster's client merges with.
pub fn read_shared(dir: &Path, generation: &str, tables: bool) -> Result<Snapshot, FilesError> {
    let manifest = manifest_of_generation(dir, generation)?;
    let shared = dir.join(&manifest.generation).join("shared");
    if tables {
        let (base, later) = shared::read(&manifest, &shared)?;
        Ok(base.with_lookups(later.merges, later.fx))
    } else {
        shared::read_settings_and_names(&manifest, &shared)
    }
}

/// Each customer unit's, deal's and ticket's value of every dimension in the generation
/// `generation` of `dir`: what a cluster's client finishes a filtered report with.
pub fn read_shared_dims(dir: &Path, generation: &str) -> Result<SharedDims, FilesError> {
    let manifest = manifest_of_generation(dir, generation)?;
    shared::read_dims(&dir.join(&manifest.generation).join("shared"))
}

fn manifest_of_generation(dir: &Path, generation: &str) -> Result<Manifest, FilesError> {
    let manifest_path = dir.join(manifest::FILE);
    let manifest = Manifest::read(dir)?
        .ok_or_else(|| FilesError::at(&manifest_path, "no snapshot here (no manifest)"))?;
    if manifest.generation != generation {
        return Err(FilesError::at(
            &manifest_path,
            format!(
                "the files were written again during the query (generation {} is now {})",
                generation, manifest.generation
            ),
        ));
    }
    Ok(manifest)
}

/// Reads the snapshot the manifest of `dir` points at.
pub fn read(dir: &Path, tables: Tables) -> Result<(Manifest, Snapshot), FilesError> {
    let manifest = Manifest::read(dir)?.ok_or_else(|| {
        FilesError::at(&dir.join(manifest::FILE), "no snapshot here (no manifest)")
    })?;
    let root = dir.join(&manifest.generation);
    let (base, later) = shared::read(&manifest, &root.join("shared"))?;
    let snapshot = shards::read(&manifest, &root, base, tables)?;
    let snapshot = snapshot.with_lookups(later.merges, later.fx);
    Ok((manifest, snapshot))
}
