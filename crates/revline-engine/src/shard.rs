//! The part of a report that one contact shard computes alone, so that a report over
//! snapshot files can run on a cluster: each node reads one shard's contacts (with their
//! stage entries, and the touchpoints and shared tables when the task needs them),
//! computes a `ShardPartial`, and the client merges every shard's partial into the
//! report the whole snapshot gives. Only reports whose figures are sums over contacts,
//! or over records that belong to one contact, qualify; the others look across shards
//! (an account's people, a model trained on everyone) and are refused with the reason.

use crate::attribution::{AttributionPartial, AttributionQuery, Model};
use crate::funnel::{FunnelPartial, FunnelQuery};
use crate::part::Part;
use crate::query::{Output, ReportKind, ReportQuery, Sliced};
use crate::sla::SlaPartial;
use crate::slice::Scope;
use crate::snapshot::{NONE, Snapshot};
use crate::window::Window;
use serde::{Deserialize, Serialize};

/// What every shard computes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ShardTask {
    Funnel(FunnelQuery),
    Attribution {
        query: AttributionQuery,
        models: Vec<Model>,
    },
    Sla(Window),
}

/// One shard's share of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ShardPartial {
    Funnel(FunnelPartial),
    Attribution(AttributionPartial),
    Sla(SlaPartial),
}

/// A query that cannot be computed shard by shard, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotSharded(pub String);

/// Which contacts a computation holds: the whole snapshot, or one shard of it whose
/// contacts are numbered from 0 (`global` gives each one's index in the workspace,
/// ascending) while the shared tables (deals, revenue, accounts) keep the workspace's
/// numbering. Records of a contact go with its shard; records without a contact go
/// with the first shard, so each is counted once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owned<'a> {
    Whole,
    Shard { global: &'a [u32], first: bool },
}

impl Owned<'_> {
    /// The index here of the workspace's contact `contact` (`NONE` for a record without
    /// one), or `None` when another shard holds it.
    pub fn local(self, contact: u32) -> Option<u32> {
        match self {
            Owned::Whole => Some(contact),
            Owned::Shard { first, .. } if contact == NONE => first.then_some(NONE),
            Owned::Shard { global, .. } => global.binary_search(&contact).ok().map(|i| i as u32),
        }
    }

    /// The workspace's index of the contact numbered `c` here.
    pub fn global(self, c: u32) -> u32 {
        match self {
            Owned::Whole => c,
            Owned::Shard { global, .. } => global[c as usize],
        }
    }
}

/// What a shard reads besides its contacts and their stage entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardReads {
    pub touchpoints: bool,
    /// Accounts, deals, revenue, spend and tickets, whole.
    pub shared_tables: bool,
}

impl ShardTask {
    /// The shard task of `q`, when its report can be computed shard by shard.
    pub fn of(q: &ReportQuery) -> Result<ShardTask, NotSharded> {
        // Attribution's `by` (campaign) says what is credited, not a breakdown.
        let sliced = q.by.is_some() && q.kind != ReportKind::Attribution;
        if q.filter.is_some() || sliced {
            // A slice's values are read through accounts and deals, which no shard holds.
            return Err(NotSharded(
                "--by and --filter run only in one process for now".into(),
            ));
        }
        match q.kind {
            ReportKind::Funnel => Ok(ShardTask::Funnel(q.funnel())),
            ReportKind::Attribution if q.attribution.account_based => Err(NotSharded(
                "account-based attribution gathers an account's people from every shard: \
                 it runs only in one process"
                    .into(),
            )),
            ReportKind::Attribution => Ok(ShardTask::Attribution {
                query: q.attribution.clone(),
                models: q.models.clone(),
            }),
            ReportKind::Sla => Ok(ShardTask::Sla(q.window)),
            kind => Err(NotSharded(format!(
                "report {} runs only in one process for now (the funnel, attribution \
                 and the SLA run on a cluster)",
                kind.name()
            ))),
        }
    }

    /// What a shard must read for this task.
    pub fn reads(&self) -> ShardReads {
        match self {
            ShardTask::Funnel(_) => ShardReads {
                touchpoints: false,
                shared_tables: false,
            },
            ShardTask::Attribution { .. } => ShardReads {
                touchpoints: true,
                shared_tables: true,
            },
            ShardTask::Sla(_) => ShardReads {
                touchpoints: true,
                shared_tables: false,
            },
        }
    }

    /// The partial of one shard's snapshot, `owned` saying which shard it is.
    pub fn partial(&self, shard: &Snapshot, owned: Owned<'_>) -> ShardPartial {
        match self {
            ShardTask::Funnel(fq) => {
                ShardPartial::Funnel(crate::funnel::counts(shard, fq, &Scope::ALL))
            }
            ShardTask::Attribution { query, .. } => ShardPartial::Attribution(
                crate::attribution::journeys_of(shard, &Scope::ALL, query, owned),
            ),
            ShardTask::Sla(w) => ShardPartial::Sla(crate::sla::sla_partial(
                shard,
                &Scope::ALL,
                &Part::whole(shard),
                w,
            )),
        }
    }

    /// The report of every shard's partial, exactly as `query::run` gives it on the
    /// whole snapshot. `shared` holds the workspace's settings and names, and its shared
    /// tables when `reads().shared_tables`; it needs no contacts.
    pub fn finish(
        &self,
        shared: &Snapshot,
        partials: impl IntoIterator<Item = ShardPartial>,
    ) -> Result<Output, NotSharded> {
        let wrong = || NotSharded("a shard answered another task".into());
        Ok(match self {
            ShardTask::Funnel(fq) => {
                let mut merged = FunnelPartial::empty(shared.stages.len());
                for p in partials {
                    let ShardPartial::Funnel(p) = p else {
                        return Err(wrong());
                    };
                    merged = merged.merge(p);
                }
                Output::Funnel(Sliced::One(crate::funnel::finish(
                    &shared.stages,
                    fq,
                    merged,
                )))
            }
            ShardTask::Attribution { query, models } => {
                let mut merged = AttributionPartial::default();
                for p in partials {
                    let ShardPartial::Attribution(p) = p else {
                        return Err(wrong());
                    };
                    merged = merged.merge(p);
                }
                Output::Attribution(crate::attribution::credit(
                    shared,
                    &Scope::ALL,
                    query,
                    models,
                    merged.into_journeys(),
                ))
            }
            ShardTask::Sla(w) => {
                let mut merged = SlaPartial::default();
                for p in partials {
                    let ShardPartial::Sla(p) = p else {
                        return Err(wrong());
                    };
                    merged = merged.merge(p);
                }
                Output::Sla(Sliced::One(crate::sla::finish(shared, w, merged)))
            }
        })
    }
}
