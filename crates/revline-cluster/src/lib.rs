//! Revline on a cluster of Apache DataFusion Ballista nodes (docs/scale.md).
//!
//! A report whose figures are sums over contacts (`revline_engine::shard`) runs as one
//! Ballista job over the snapshot files: a plan of one partition per contact shard,
//! each partition a `ShardPartialExec` task that reads its shard's files on whichever
//! executor runs it and returns the shard's partial; the client checks that every shard
//! answered exactly once and merges the partials into the report the whole snapshot
//! gives. The scheduler and executors are Ballista's own processes, started here with
//! Revline's plan node registered through the physical codec.

mod client;
mod codec;
mod nodes;
mod plan;

pub use client::{ClusterError, run};
pub use codec::RevlineCodec;
pub use nodes::{ExecutorOptions, NodeError, run_executor, run_scheduler};
pub use plan::ShardJob;

/// Slows every shard task by this many milliseconds: the failure tests' way to kill an
/// executor while a query is surely running. Unset in normal use.
pub const TASK_DELAY_ENV: &str = "REVLINE_CLUSTER_TASK_DELAY_MS";
