//! The part of a report that one contact shard computes alone, so that a report over
//! snapshot files can run on a cluster: each node reads one shard's contacts (with their
//! stage entries and touchpoints, without the shared tables), computes a `ShardPartial`,
//! and the client merges every shard's partial into the report the whole snapshot
//! gives. Only reports whose every figure is a sum over contacts qualify; the others
//! look across shards (a deal's contact, an account's people, a model trained on
//! everyone) and are refused with the reason.

use crate::funnel::{FunnelPartial, FunnelQuery};
use crate::query::{Output, ReportKind, ReportQuery, Sliced};
use crate::slice::Scope;
use crate::snapshot::Snapshot;
use serde::{Deserialize, Serialize};

/// What every shard computes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ShardTask {
    Funnel(FunnelQuery),
}

/// One shard's share of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ShardPartial {
    Funnel(FunnelPartial),
}

/// A query that cannot be computed shard by shard, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotSharded(pub String);

impl ShardTask {
    /// The shard task of `q`, when its report is a sum over contacts.
    pub fn of(q: &ReportQuery) -> Result<ShardTask, NotSharded> {
        if q.kind != ReportKind::Funnel {
            return Err(NotSharded(format!(
                "report {} runs only in one process for now (the funnel runs on a cluster)",
                q.kind.name()
            )));
        }
        if q.by.is_some() || q.filter.is_some() {
            // A slice's values are read through accounts and deals, which no shard holds.
            return Err(NotSharded(
                "--by and --filter run only in one process for now".into(),
            ));
        }
        Ok(ShardTask::Funnel(q.funnel()))
    }

    /// Whether a shard must read its touchpoints for this task.
    pub fn reads_touchpoints(&self) -> bool {
        match self {
            ShardTask::Funnel(_) => false,
        }
    }

    /// The partial of one shard's snapshot.
    pub fn partial(&self, shard: &Snapshot) -> ShardPartial {
        match self {
            ShardTask::Funnel(fq) => {
                ShardPartial::Funnel(crate::funnel::counts(shard, fq, &Scope::ALL))
            }
        }
    }

    /// The report of every shard's partial, exactly as `query::run` gives it on the
    /// whole snapshot; `stages` are the workspace's.
    pub fn finish(
        &self,
        stages: &[String],
        partials: impl IntoIterator<Item = ShardPartial>,
    ) -> Output {
        match self {
            ShardTask::Funnel(fq) => {
                let merged = partials
                    .into_iter()
                    .map(|ShardPartial::Funnel(p)| p)
                    .fold(FunnelPartial::empty(stages.len()), FunnelPartial::merge);
                Output::Funnel(Sliced::One(crate::funnel::finish(stages, fq, merged)))
            }
        }
    }
}
