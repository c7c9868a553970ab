//! Records that arrive after a snapshot was built, applied to a copy of it.
//!
//! A server keeps one snapshot warm; when a few records arrive (an API batch, a
//! `track` call) it does not read the workspace again. A `SnapshotBuilder` goes on from
//! the snapshot (`SnapshotBuilder::continuing`), takes the new records with the same
//! `add` that a full build uses, and builds: the new touchpoints are merged into their
//! contacts' places, and what depends on the rest (stage entries and rework, the
//! lead-creation touch, customer units, revenue order) is worked out again from the
//! snapshot's own columns, which is fast next to placing 10M touchpoints. Building over
//! the old records followed by the new ones gives the same snapshot
//! (tests/engine/incremental.rs).
//!
//! Where that is not exact, `apply` says so and the caller builds anew: currency rates
//! (a rate could convert money that the snapshot left out), targets (a target sent
//! again replaces the old one in the store), and deals while some deal's money could
//! not be converted (the snapshot no longer knows which).

use crate::snapshot::{Snapshot, SnapshotBuilder};
use revline_core::{Fields, RecordKind};

/// Why records could not be applied; the snapshot must be built from the store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotIncremental {
    #[error("{0} change the whole snapshot")]
    Kind(RecordKind),
    #[error("deals changed while some deal's money could not be converted")]
    UnconvertedDeals,
}

impl Snapshot {
    /// A copy of this snapshot with `records` added, as if they had come after every
    /// record it was built from. Records of accounts, contacts and deals replace the
    /// stored row of the same id; other kinds' rows add up, so the caller passes only
    /// rows that are new (a row sent again would count twice, as it would in a build
    /// that read it twice).
    pub fn apply<R: Fields>(&self, records: &[R]) -> Result<Snapshot, NotIncremental> {
        for r in records {
            match r.kind() {
                RecordKind::Targets | RecordKind::FxRates => {
                    return Err(NotIncremental::Kind(r.kind()));
                }
                RecordKind::Deals if self.unconverted.iter().any(|u| u.kind == "deals") => {
                    return Err(NotIncremental::UnconvertedDeals);
                }
                _ => {}
            }
        }
        let mut builder = SnapshotBuilder::continuing(self);
        for r in records {
            builder.add(r);
        }
        let mut s = builder.build_onto(Some(&self.touchpoints));
        // Rows the snapshot had left out stay left out; the new ones were counted.
        for old in &self.unconverted {
            match s
                .unconverted
                .iter_mut()
                .find(|u| u.kind == old.kind && u.currency == old.currency)
            {
                Some(u) => {
                    u.rows += old.rows;
                    u.amount_minor += old.amount_minor;
                }
                None => s.unconverted.push(old.clone()),
            }
        }
        if !self.unconverted.is_empty() {
            s.unconverted.sort();
        }
        Ok(s)
    }
}
