//! The part of a report that one contact shard computes alone, so that a report over
//! snapshot files can run on a cluster: each node reads one shard's contacts (with their
//! stage entries, and the touchpoints and shared tables when the task needs them),
//! computes a `ShardPartial`, and the client merges every shard's partial into the
//! report the whole snapshot gives. Only reports whose figures are sums over contacts,
//! over records that belong to one contact, or over the shared tables' rows (each shard
//! taking its cut of them, `Owned::part`) qualify; the others look across shards (an
//! account's people, every dimension's slices, a model trained on everyone) and are
//! refused with the reason.

use crate::attribution::{AttributionPartial, AttributionQuery, Model};
use crate::cohorts::CohortsPartial;
use crate::forecast::ForecastOptions;
use crate::funnel::{FunnelPartial, FunnelQuery};
use crate::mrr::Movements;
use crate::part::Part;
use crate::query::{Output, ReportKind, ReportQuery, Sliced};
use crate::scorecard::{ScorecardPartial, acquired_of, year_ago_windows};
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
    Scorecard(Window),
    Cohorts(Window),
    Mrr(Window),
    /// The shards count the rates period's funnel; the deals, revenue and targets the
    /// plan weighs are summed on the client from the shared tables.
    Forecast {
        window: Window,
        options: ForecastOptions,
    },
}

/// One shard's share of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ShardPartial {
    Funnel(FunnelPartial),
    Attribution(AttributionPartial),
    Sla(SlaPartial),
    Scorecard(Box<ScorecardPartial>),
    Cohorts(CohortsPartial),
    Mrr(Vec<Movements>),
}

/// A query that cannot be computed shard by shard, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotSharded(pub String);

/// Which contacts a computation holds: the whole snapshot, or one shard of it whose
/// contacts are numbered from 0 (`global` gives each one's index in the workspace,
/// ascending) while the shared tables (deals, revenue, accounts) keep the workspace's
/// numbering. Records of a contact go with its shard; records without a contact go
/// with the first shard, so each is counted once. The rows of the shared tables
/// themselves are cut among the shards (`Owned::part`) for the reports that sum them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owned<'a> {
    Whole,
    Shard {
        global: &'a [u32],
        /// This shard's number, of `of`.
        index: u32,
        of: u32,
        /// The workspace's contacts, in every shard together.
        workspace_contacts: usize,
    },
}

impl Owned<'_> {
    /// The index here of the workspace's contact `contact` (`NONE` for a record without
    /// one), or `None` when another shard holds it.
    pub fn local(self, contact: u32) -> Option<u32> {
        match self {
            Owned::Whole => Some(contact),
            Owned::Shard { index, .. } if contact == NONE => (index == 0).then_some(NONE),
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

    /// The workspace's customer units (accounts, then contacts), which the shared
    /// tables number.
    pub fn units(self, s: &Snapshot) -> usize {
        match self {
            Owned::Whole => s.units(),
            Owned::Shard {
                workspace_contacts, ..
            } => s.accounts.ids.len() + workspace_contacts,
        }
    }

    /// The rows this computation counts: everything of the whole snapshot, or a
    /// shard's own contacts and touchpoints with its cut of the shared tables.
    pub fn part(self, s: &Snapshot) -> Part {
        match self {
            Owned::Whole => Part::whole(s),
            Owned::Shard { index, of, .. } => {
                Part::of_shard(s, index as usize, of as usize, self.units(s))
            }
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
            ReportKind::Scorecard => Ok(ShardTask::Scorecard(q.window)),
            ReportKind::Cohorts => Ok(ShardTask::Cohorts(q.window)),
            ReportKind::Mrr => Ok(ShardTask::Mrr(q.window)),
            ReportKind::Forecast => Ok(ShardTask::Forecast {
                window: q.window,
                options: q.forecast,
            }),
            kind => Err(NotSharded(format!(
                "report {} runs only in one process for now (the scorecard, funnel, \
                 attribution, SLA, cohorts, MRR and forecast run on a cluster)",
                kind.name()
            ))),
        }
    }

    /// What a shard must read for this task.
    pub fn reads(&self) -> ShardReads {
        match self {
            ShardTask::Funnel(_) | ShardTask::Forecast { .. } => ShardReads {
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
            ShardTask::Scorecard(_) => ShardReads {
                touchpoints: true,
                shared_tables: true,
            },
            // Sums over customer units, which only the shared tables hold.
            ShardTask::Cohorts(_) | ShardTask::Mrr(_) => ShardReads {
                touchpoints: false,
                shared_tables: true,
            },
        }
    }

    /// Whether `finish` needs the shared tables besides the names and settings.
    pub fn finish_reads_tables(&self) -> bool {
        matches!(self, ShardTask::Forecast { .. }) || self.reads().shared_tables
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
            ShardTask::Scorecard(w) => {
                let acquired = acquired_of(shard, w.as_of, owned.units(shard));
                let year_ago = year_ago_windows(shard, w, None);
                ShardPartial::Scorecard(Box::new(crate::scorecard::scorecard_partial(
                    shard,
                    &Scope::ALL,
                    &owned.part(shard),
                    w,
                    &acquired,
                    year_ago.as_ref(),
                )))
            }
            ShardTask::Cohorts(w) => {
                let acquired = acquired_of(shard, w.as_of, owned.units(shard));
                ShardPartial::Cohorts(crate::cohorts::cohorts_partial(
                    shard,
                    &Scope::ALL,
                    &owned.part(shard),
                    w,
                    &acquired,
                ))
            }
            ShardTask::Mrr(w) => ShardPartial::Mrr(crate::mrr::mrr_partial(
                shard,
                &Scope::ALL,
                &owned.part(shard),
                w,
            )),
            ShardTask::Forecast { window, .. } => ShardPartial::Funnel(crate::funnel::counts(
                shard,
                &crate::forecast::rates_funnel(shard, window),
                &Scope::ALL,
            )),
        }
    }

    /// The report of every shard's partial, exactly as `query::run` gives it on the
    /// whole snapshot. `shared` holds the workspace's settings and names, and its shared
    /// tables when `finish_reads_tables`; it needs no contacts, only their number in the
    /// workspace (`workspace_contacts`).
    pub fn finish(
        &self,
        shared: &Snapshot,
        workspace_contacts: usize,
        partials: impl IntoIterator<Item = ShardPartial>,
    ) -> Result<Output, NotSharded> {
        let wrong = || NotSharded("a shard answered another task".into());
        let funnel = |fq: &FunnelQuery, partials: &mut dyn Iterator<Item = ShardPartial>| {
            let mut merged = FunnelPartial::empty(shared.stages.len());
            for p in partials {
                let ShardPartial::Funnel(p) = p else {
                    return Err(wrong());
                };
                merged = merged.merge(p);
            }
            Ok(crate::funnel::finish(&shared.stages, fq, merged))
        };
        let mut partials = partials.into_iter();
        Ok(match self {
            ShardTask::Funnel(fq) => Output::Funnel(Sliced::One(funnel(fq, &mut partials)?)),
            ShardTask::Forecast { window, options } => {
                let rates = funnel(
                    &crate::forecast::rates_funnel(shared, window),
                    &mut partials,
                )?;
                let units = shared.accounts.ids.len() + workspace_contacts;
                Output::Forecast(Sliced::One(crate::forecast::forecast_with(
                    shared,
                    &Scope::ALL,
                    window,
                    *options,
                    &crate::part::parts_of_units(shared, units),
                    rates,
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
            ShardTask::Scorecard(w) => {
                let mut merged = ScorecardPartial::default();
                for p in partials {
                    let ShardPartial::Scorecard(p) = p else {
                        return Err(wrong());
                    };
                    merged = merged.merge(*p);
                }
                Output::Scorecard(Sliced::One(crate::scorecard::finish(
                    shared,
                    &Scope::ALL,
                    w,
                    None,
                    merged,
                )))
            }
            ShardTask::Cohorts(w) => {
                let mut merged = CohortsPartial::default();
                for p in partials {
                    let ShardPartial::Cohorts(p) = p else {
                        return Err(wrong());
                    };
                    merged = merged.merge(p);
                }
                Output::Cohorts(Sliced::One(crate::cohorts::finish(shared, w, merged)))
            }
            ShardTask::Mrr(w) => {
                let mut merged: Option<Vec<Movements>> = None;
                for p in partials {
                    let ShardPartial::Mrr(p) = p else {
                        return Err(wrong());
                    };
                    merged = Some(match merged {
                        Some(m) => crate::mrr::merge_months(m, p),
                        None => p,
                    });
                }
                Output::Mrr(Sliced::One(crate::mrr::finish(
                    shared,
                    w,
                    merged.unwrap_or_default(),
                )))
            }
        })
    }
}
