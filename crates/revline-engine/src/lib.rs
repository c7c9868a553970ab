//! Revline's analytics: pure computations over an in-memory columnar snapshot of a
//! workspace, exactly as `metrics.md` defines them. No IO: callers stream records into
//! a `SnapshotBuilder`. Work splits by contact; partial results merge, so shards can be
//! counted in parallel and any split gives the same answer.

pub mod funnel;
pub mod snapshot;
pub mod stats;

pub use funnel::{FunnelQuery, FunnelReport, funnel};
pub use snapshot::{Snapshot, SnapshotBuilder};
