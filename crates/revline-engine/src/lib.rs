//! Revline's analytics: pure computations over an in-memory columnar snapshot of a
//! workspace, exactly as `metrics.md` defines them. No IO: callers stream records into
//! a `SnapshotBuilder`. Work splits by contact; partial results merge, so shards can be
//! counted in parallel and any split gives the same answer.

// Columnar code walks row indices across several parallel arrays at once; an iterator
// over one of them would hide that the others are indexed the same way.
#![allow(clippy::needless_range_loop)]

pub mod alerts;
pub mod attributes;
pub mod attribution;
pub mod bands;
pub mod bottlenecks;
pub mod calendar;
pub mod cohorts;
pub mod csv_out;
pub mod forecast;
pub mod funnel;
mod id_index;
pub mod incremental;
pub mod journeys;
pub mod link;
pub mod logistic;
pub mod markov;
pub mod mrr;
pub mod part;
pub mod query;
pub mod scorecard;
pub mod scores;
pub mod shard;
pub mod sla;
pub mod slice;
pub mod snapshot;
pub mod stats;
pub mod threshold;
mod touches;
pub mod window;

pub use funnel::{FunnelQuery, FunnelReport, funnel};
pub use incremental::NotIncremental;
pub use slice::{By, Dim, Scope, by};
pub use snapshot::{Snapshot, SnapshotBuilder};
pub use window::Window;
