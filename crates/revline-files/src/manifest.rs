//! The manifest: which generation of files is current, the store version they reflect,
//! and the snapshot's settings and sizes.

use crate::FilesError;
use revline_engine::snapshot::Snapshot;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub(crate) const FILE: &str = "manifest.json";

/// The layout's version: files of another format are written again, never misread.
/// Format 3 adds each customer unit's and deal's value of every dimension; format 4,
/// each unit's first contact (score bands on a cluster).
pub const FORMAT: u32 = 4;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// The store's data version the files reflect (`Store::data_version`).
    pub store_version: i64,
    /// The directory of this generation's files.
    pub generation: String,
    pub shards: u32,
    pub contacts: u64,
    pub touchpoints: u64,
    pub currency: String,
    pub timezone: String,
    pub sla_hours: f64,
    pub gross_margin: f64,
    pub lookback_days: u32,
    pub stages: Vec<String>,
    /// Attribute keys with the length of their column (values past it read as none).
    pub contact_attributes: Vec<(String, usize)>,
    pub account_attributes: Vec<(String, usize)>,
    /// The newest record's instant (`Snapshot::newest_record_at`), with every table and
    /// without the touchpoints: where a report without a period opens, known without
    /// reading the tables (a cluster's client reads none).
    pub newest_record_at: Option<i64>,
    pub newest_record_at_besides_touchpoints: Option<i64>,
}

impl Manifest {
    pub(crate) fn of(
        s: &Snapshot,
        generation: String,
        shards: u32,
        store_version: i64,
    ) -> Manifest {
        let attributes = |a: &revline_engine::attributes::Attributes| {
            a.keys
                .iter()
                .cloned()
                .zip(a.columns().iter().map(Vec::len))
                .collect()
        };
        Manifest {
            format: FORMAT,
            store_version,
            generation,
            shards,
            contacts: s.contacts() as u64,
            touchpoints: s.touchpoints.at.len() as u64,
            currency: s.currency.code().to_string(),
            timezone: s.timezone.name().to_string(),
            sla_hours: s.sla_hours,
            gross_margin: s.gross_margin,
            lookback_days: s.lookback_days,
            stages: s.stages.clone(),
            contact_attributes: attributes(&s.contact.attributes),
            account_attributes: attributes(&s.accounts.attributes),
            newest_record_at: s.newest_record_at(),
            newest_record_at_besides_touchpoints: s.newest_record_at_besides_touchpoints(),
        }
    }

    /// The manifest of `dir`; `None` when there is none yet.
    pub fn read(dir: &Path) -> Result<Option<Manifest>, FilesError> {
        let path = dir.join(FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(FilesError::at(&path, e)),
        };
        let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
            FilesError::at(
                &path,
                format!("line {}, column {}: {e}", e.line(), e.column()),
            )
        })?;
        if manifest.format != FORMAT {
            return Err(FilesError::at(
                &path,
                format!(
                    "files of format {} (this Revline reads format {FORMAT}); write them again",
                    manifest.format
                ),
            ));
        }
        Ok(Some(manifest))
    }

    /// Whether the files reflect the store at `store_version`.
    pub fn is_current(&self, store_version: i64) -> bool {
        self.store_version == store_version
    }

    /// Writes the manifest beside a temporary name and renames it into place.
    pub(crate) fn write(&self, dir: &Path) -> Result<(), FilesError> {
        let path = dir.join(FILE);
        let temporary = dir.join(format!("{FILE}.{}", std::process::id()));
        let text = serde_json::to_string_pretty(self).expect("a manifest serializes");
        std::fs::write(&temporary, text).map_err(|e| FilesError::at(&temporary, e))?;
        std::fs::rename(&temporary, &path).map_err(|e| FilesError::at(&path, e))
    }
}

/// Removes the generations the manifest no longer names. Best effort: a generation a
/// reader still has open is removed on the next write.
pub(crate) fn remove_other_generations(dir: &Path, current: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let is_generation = name.starts_with('v') && name.contains('-');
        if is_generation && name != current && entry.path().is_dir() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
