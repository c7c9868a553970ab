//! The part of a report that one contact shard computes alone, so that a report over
//! snapshot files can run on a cluster: each node reads one shard's contacts (with their
//! stage entries, and the touchpoints and shared tables when the task needs them),
//! computes a `ShardPartial`, and the client merges every shard's partial into the
//! report the whole snapshot gives. The figures are sums over contacts, over records
//! that belong to one contact, or over the shared tables' rows (each shard taking its
//! cut of them, `Owned::part`). What looks across shards takes a first round
//! (`Step::Next`): account-based attribution asks which accounts' people sit where
//! (`attribution::accounts`), and score bands have every shard send its leads so that
//! the client trains the model once and sends each contact's band back
//! (`bands::ContactBands`). A report that breaks down by every dimension (the
//! bottleneck finder) reads each customer unit's and deal's values, made on the whole
//! workspace (`SharedDims`).

mod by;

use crate::attribution::{
    Ask, AttributionPartial, AttributionQuery, ConversionsPartial, JourneysPartial, Model,
};
use crate::bands::ContactBands;
use crate::bottlenecks::{BottleneckPartial, BottleneckQuery};
use crate::cohorts::CohortsPartial;
use crate::forecast::ForecastOptions;
use crate::funnel::{FunnelPartial, FunnelQuery};
use crate::journeys::JourneyPart;
use crate::mrr::Movements;
use crate::part::Part;
use crate::query::{
    Member, MembersReport, NotFound, Output, ReportKind, ReportQuery, Sliced, SubjectId,
};
use crate::scorecard::{ScorecardPartial, acquired_of, year_ago_windows};
use crate::scores::{LeadsPartial, ScoresQuery};
use crate::sla::SlaPartial;
use crate::slice::{Dim, Scope, Segmentation, SharedDims};
use crate::snapshot::{NONE, Snapshot};
use crate::window::Window;
use serde::{Deserialize, Serialize};

/// What every shard computes: a report, for the records of one value of a dimension
/// when the query has a filter (`--filter DIM=VALUE`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardTask {
    pub report: ShardReport,
    pub filter: Option<Filter>,
    /// A breakdown (`--by`): a partial per value from every shard (`by.rs`).
    pub by: Option<Dim>,
    /// Every contact's score band, when the filter or breakdown is by score band: what
    /// the first round (`ShardReport::Bands`) worked out.
    pub bands: Option<ContactBands>,
}

/// What the client does after a round: print the report, or run another round.
#[derive(Debug, Clone)]
pub enum Step {
    Done(Box<Output>),
    Next(Box<ShardTask>),
}

/// The records of one value of a dimension; the value by name, `(none)` for none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    pub dim: Dim,
    pub value: String,
}

impl Filter {
    /// The value's name id in `s` (names are the workspace's, in every shard alike): a
    /// name no record has selects nothing, as in one process.
    fn value_in(&self, s: &Snapshot) -> u32 {
        match self.value.as_str() {
            "(none)" => NONE,
            name => s.names.get(name).unwrap_or(NONE - 1),
        }
    }
}

/// The report a shard computes a part of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ShardReport {
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
    /// Every link's counts by every dimension's values; the client prices and judges.
    Bottlenecks(BottleneckQuery),
    /// The people counted at a stage (an index) of a funnel, each shard listing its own.
    Members {
        funnel: FunnelQuery,
        stage: usize,
    },
    /// A contact's or an account's timeline: each shard tells its contacts' events and
    /// the shared records of those contacts.
    Journey(SubjectId),
    /// Lead scores: each shard sends what the model reads of its leads; the client
    /// learns the layout, trains and scores, as one process does.
    Scores(ScoresQuery),
    /// The first round of a report by score band: each shard sends every lead it
    /// holds; the client trains, bands every contact and runs `then` with the bands.
    Bands {
        scores: ScoresQuery,
        then: Box<ShardTask>,
    },
    /// The first round of account-based attribution: which conversions gather an
    /// account's people, and which accounts have people where.
    AccountConversions {
        query: AttributionQuery,
        models: Vec<Model>,
    },
    /// Its second round: the conversions, each shard's people's touches for them, and
    /// the paths that did not convert.
    AccountJourneys {
        query: AttributionQuery,
        models: Vec<Model>,
        ask: Ask,
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
    Bottlenecks(Box<BottleneckPartial>),
    /// Each listed member with its contact's index in the workspace.
    Members(Vec<(u32, Member)>),
    Journey(JourneyPart),
    Leads(LeadsPartial),
    AccountConversions(ConversionsPartial),
    AccountJourneys(JourneysPartial),
    /// A breakdown: the partial of everything, the values this shard has (as
    /// `Segmentation::values` lists them) and a partial per value of any record here.
    By {
        overall: Box<ShardPartial>,
        values: Vec<u32>,
        slices: Vec<(u32, ShardPartial)>,
    },
}

/// A query that cannot be computed shard by shard, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotSharded(pub String);

/// Why the shards' partials gave no report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unfinished {
    /// The shards answered wrongly (a partial of another task).
    #[error("{0}")]
    Wrong(#[from] NotSharded),
    /// The query names what the workspace does not have, as one process would say.
    #[error("{0}")]
    NotFound(#[from] NotFound),
}

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
        /// The customer units' and deals' values of every dimension, when the task
        /// reads them (`ShardReads::dims`); empty otherwise.
        dims: &'a SharedDims,
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

    /// The values of `dim` for the records here: made on the whole snapshot, or on a
    /// shard from its own contacts and the workspace's unit, deal and ticket values.
    pub fn segmentation(self, s: &Snapshot, dim: Dim, with_touches: bool) -> Segmentation {
        match self {
            Owned::Whole if with_touches => Segmentation::new(s, dim),
            Owned::Whole => Segmentation::without_touches(s, dim),
            Owned::Shard { dims, .. } => Segmentation::of_shard(s, dim, dims, with_touches),
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
    /// The customer units' and deals' values of every dimension (`SharedDims`).
    pub dims: bool,
    /// The contacts' stage rows as recorded (a journey tells each one).
    pub stage_rows: bool,
}

impl ShardTask {
    /// The shard task of `q`, when its report can be computed shard by shard.
    pub fn of(q: &ReportQuery) -> Result<ShardTask, NotSharded> {
        // Attribution's `by` (campaign) says what is credited, not a breakdown; with a
        // filter, one process reports the filter's records alone, unbroken.
        let by = match q.by {
            _ if q.kind == ReportKind::Attribution || q.filter.is_some() => None,
            by => by,
        };
        let filter = q.filter.as_ref().map(|(dim, value)| Filter {
            dim: *dim,
            value: value.clone(),
        });
        let banded =
            by == Some(Dim::ScoreBand) || filter.as_ref().is_some_and(|f| f.dim == Dim::ScoreBand);
        let report = match q.kind {
            ReportKind::Funnel => ShardReport::Funnel(q.funnel()),
            ReportKind::Attribution if q.attribution.account_based => {
                ShardReport::AccountConversions {
                    query: q.attribution.clone(),
                    models: q.models.clone(),
                }
            }
            ReportKind::Attribution => ShardReport::Attribution {
                query: q.attribution.clone(),
                models: q.models.clone(),
            },
            ReportKind::Sla => ShardReport::Sla(q.window),
            ReportKind::Scorecard => ShardReport::Scorecard(q.window),
            ReportKind::Cohorts => ShardReport::Cohorts(q.window),
            ReportKind::Mrr => ShardReport::Mrr(q.window),
            ReportKind::Forecast => ShardReport::Forecast {
                window: q.window,
                options: q.forecast,
            },
            ReportKind::Bottlenecks => ShardReport::Bottlenecks(q.bottlenecks.clone()),
            ReportKind::Members => ShardReport::Members {
                funnel: q.funnel(),
                stage: q.stage.unwrap_or(0),
            },
            ReportKind::Journeys => match &q.subject {
                Some(subject) => ShardReport::Journey(subject.clone()),
                None => return Err(NotSharded("journeys needs a contact or an account".into())),
            },
            ReportKind::Scores => ShardReport::Scores(q.scores.clone()),
        };
        let task = ShardTask {
            report,
            filter,
            by,
            bands: None,
        };
        if !banded {
            return Ok(task);
        }
        Ok(ShardTask {
            report: ShardReport::Bands {
                scores: q.scores.clone(),
                then: Box::new(task),
            },
            filter: None,
            by: None,
            bands: None,
        })
    }

    /// The values of `dim` for the records `owned` names (on a cluster's client, the
    /// shared tables' records): score bands from the first round's.
    fn segmentation(
        &self,
        s: &Snapshot,
        owned: Owned<'_>,
        dims: &SharedDims,
        dim: Dim,
        with_touches: bool,
    ) -> Segmentation {
        match (&self.bands, dim) {
            (Some(bands), Dim::ScoreBand) => {
                Segmentation::of_shard_banded(s, owned, dims, &bands.name_ids(s), with_touches)
            }
            _ => owned.segmentation(s, dim, with_touches),
        }
    }

    /// The values of `dim` for the shared tables' records, on a cluster's client.
    fn client_segmentation(&self, shared: &Snapshot, dims: &SharedDims, dim: Dim) -> Segmentation {
        match (&self.bands, dim) {
            (Some(bands), Dim::ScoreBand) => Segmentation::of_shard_banded(
                shared,
                Owned::Whole,
                dims,
                &bands.name_ids(shared),
                false,
            ),
            _ => Segmentation::of_shard(shared, dim, dims, false),
        }
    }

    /// What a shard must read for this task.
    pub fn reads(&self) -> ShardReads {
        let reads = self.report.reads();
        // A contact's segment, country and owner are its account's.
        let filtered = self.filter.is_some() || self.by.is_some();
        ShardReads {
            dims: reads.dims || filtered,
            shared_tables: reads.shared_tables || filtered,
            ..reads
        }
    }

    /// Whether `finish` needs the shared tables besides the names and settings.
    pub fn finish_reads_tables(&self) -> bool {
        // The first round's client only gathers what to ask next.
        if let ShardReport::AccountConversions { .. } = self.report {
            return false;
        }
        // A journey names its account, which the shared tables hold.
        matches!(
            self.report,
            ShardReport::Forecast { .. } | ShardReport::Journey(_)
        ) || self.report.reads().shared_tables
            || self.finish_reads_dims()
    }

    /// Whether `finish` needs the units', deals' and tickets' values (`SharedDims`).
    pub fn finish_reads_dims(&self) -> bool {
        self.filter.is_some() || self.by.is_some()
    }

    /// The partial of one shard's snapshot, `owned` saying which shard it is.
    pub fn partial(&self, shard: &Snapshot, owned: Owned<'_>) -> ShardPartial {
        let touches = self.report.reads().touchpoints;
        let whole = SharedDims::default();
        let dims = match owned {
            Owned::Shard { dims, .. } => dims,
            Owned::Whole => &whole,
        };
        if let Some(dim) = self.by {
            let seg = self.segmentation(shard, owned, dims, dim, touches);
            let (values, here) = by::values_here(shard, &seg);
            let slices = here
                .into_iter()
                .map(|v| (v, self.report.partial(shard, owned, &Scope::of(&seg, v))))
                .collect();
            return ShardPartial::By {
                overall: Box::new(self.report.partial(shard, owned, &Scope::ALL)),
                values,
                slices,
            };
        }
        let seg = self.filter.as_ref().map(|f| {
            (
                self.segmentation(shard, owned, dims, f.dim, touches),
                f.value_in(shard),
            )
        });
        let scope = seg
            .as_ref()
            .map_or(Scope::ALL, |(seg, v)| Scope::of(seg, *v));
        self.report.partial(shard, owned, &scope)
    }

    /// The report of every shard's partial, exactly as `query::run` gives it on the
    /// whole snapshot, or the task of the next round. `shared` holds the workspace's
    /// settings and names, and its shared tables when `finish_reads_tables`; `dims` the
    /// units', deals' and tickets' values when `finish_reads_dims`. It needs no
    /// contacts, only their number in the workspace (`workspace_contacts`).
    pub fn finish(
        &self,
        shared: &Snapshot,
        dims: &SharedDims,
        workspace_contacts: usize,
        partials: impl IntoIterator<Item = ShardPartial>,
    ) -> Result<Step, Unfinished> {
        let wrong = || Unfinished::Wrong(NotSharded("a shard answered another task".into()));
        match &self.report {
            ShardReport::Bands { scores, then } => {
                let mut leads = LeadsPartial::default();
                for p in partials {
                    let ShardPartial::Leads(p) = p else {
                        return Err(wrong());
                    };
                    leads = leads.merge(p);
                }
                let bands = crate::bands::contact_bands(shared, scores, leads, workspace_contacts);
                return Ok(Step::Next(Box::new(ShardTask {
                    bands: Some(bands),
                    ..(**then).clone()
                })));
            }
            ShardReport::AccountConversions { query, models } => {
                let mut merged = ConversionsPartial::default();
                for p in partials {
                    let ShardPartial::AccountConversions(p) = p else {
                        return Err(wrong());
                    };
                    merged = merged.merge(p);
                }
                return Ok(Step::Next(Box::new(ShardTask {
                    report: ShardReport::AccountJourneys {
                        query: query.clone(),
                        models: models.clone(),
                        ask: merged.into_ask(),
                    },
                    ..self.clone()
                })));
            }
            _ => {}
        }
        if let Some(dim) = self.by {
            return self
                .finish_by(dim, shared, dims, workspace_contacts, partials)
                .map(|out| Step::Done(Box::new(out)));
        }
        let seg = self.filter.as_ref().map(|f| {
            (
                self.client_segmentation(shared, dims, f.dim),
                f.value_in(shared),
            )
        });
        let scope = seg
            .as_ref()
            .map_or(Scope::ALL, |(seg, v)| Scope::of(seg, *v));
        self.report
            .finish(shared, &scope, workspace_contacts, partials)
            .map(|out| Step::Done(Box::new(out)))
    }

    /// A breakdown from every shard's `ShardPartial::By`: the values any shard listed,
    /// in the order one process lists them, each finished from the partials of the
    /// shards holding records of it.
    fn finish_by(
        &self,
        dim: Dim,
        shared: &Snapshot,
        dims: &SharedDims,
        workspace_contacts: usize,
        partials: impl IntoIterator<Item = ShardPartial>,
    ) -> Result<Output, Unfinished> {
        let mut overall = Vec::new();
        let mut values = Vec::new();
        let mut slices: std::collections::HashMap<u32, Vec<ShardPartial>> = Default::default();
        for p in partials {
            let ShardPartial::By {
                overall: o,
                values: listed,
                slices: here,
            } = p
            else {
                return Err(NotSharded("a shard answered another task".into()).into());
            };
            overall.push(*o);
            values.extend(listed);
            for (v, slice) in here {
                slices.entry(v).or_default().push(slice);
            }
        }
        crate::slice::sort_by_name(shared, &mut values);
        values.dedup();
        let seg = self.client_segmentation(shared, dims, dim);
        let whole = self
            .report
            .finish(shared, &Scope::ALL, workspace_contacts, overall)?;
        let segments = values
            .into_iter()
            .map(|v| {
                let of_v = slices.remove(&v).unwrap_or_default();
                let out =
                    self.report
                        .finish(shared, &Scope::of(&seg, v), workspace_contacts, of_v)?;
                Ok((shared.names.name(v).to_string(), out))
            })
            .collect::<Result<Vec<_>, Unfinished>>()?;
        Ok(by::combine(dim, whole, segments)?)
    }
}

impl ShardReport {
    /// What a shard must read for this report.
    fn reads(&self) -> ShardReads {
        let plain = |touchpoints, shared_tables| ShardReads {
            touchpoints,
            shared_tables,
            dims: false,
            stage_rows: false,
        };
        match self {
            ShardReport::Funnel(_) | ShardReport::Forecast { .. } | ShardReport::Members { .. } => {
                plain(false, false)
            }
            // A lead's touches and its account's firmographics.
            ShardReport::Scores(_) | ShardReport::Bands { .. } => plain(true, true),
            // The contacts' accounts and stage entries, and the deals.
            ShardReport::AccountConversions { .. } => plain(false, true),
            ShardReport::AccountJourneys { .. } => plain(true, true),
            // Every record of the subject's people: touches, deals, revenue, tickets.
            ShardReport::Journey(_) => ShardReads {
                stage_rows: true,
                ..plain(true, true)
            },
            ShardReport::Attribution { .. } => plain(true, true),
            ShardReport::Sla(_) => plain(true, false),
            ShardReport::Scorecard(_) => plain(true, true),
            // Sums over customer units, which only the shared tables hold.
            ShardReport::Cohorts(_) | ShardReport::Mrr(_) => plain(false, true),
            // The handoff reads the sales touches; retention, the revenue.
            ShardReport::Bottlenecks(_) => ShardReads {
                dims: true,
                ..plain(true, true)
            },
        }
    }

    fn partial(&self, shard: &Snapshot, owned: Owned<'_>, scope: &Scope<'_>) -> ShardPartial {
        match self {
            ShardReport::Funnel(fq) => {
                ShardPartial::Funnel(crate::funnel::counts(shard, fq, scope))
            }
            ShardReport::Attribution { query, .. } => ShardPartial::Attribution(
                crate::attribution::journeys_of(shard, scope, query, owned),
            ),
            ShardReport::Sla(w) => ShardPartial::Sla(crate::sla::sla_partial(
                shard,
                scope,
                &Part::whole(shard),
                w,
            )),
            ShardReport::Scorecard(w) => {
                let acquired = acquired_of(shard, w.as_of, owned.units(shard));
                let year_ago = year_ago_windows(shard, w, scope.segment(shard));
                ShardPartial::Scorecard(Box::new(crate::scorecard::scorecard_partial(
                    shard,
                    scope,
                    &owned.part(shard),
                    w,
                    &acquired,
                    year_ago.as_ref(),
                )))
            }
            ShardReport::Cohorts(w) => {
                let acquired = acquired_of(shard, w.as_of, owned.units(shard));
                ShardPartial::Cohorts(crate::cohorts::cohorts_partial(
                    shard,
                    scope,
                    &owned.part(shard),
                    w,
                    &acquired,
                ))
            }
            ShardReport::Mrr(w) => {
                ShardPartial::Mrr(crate::mrr::mrr_partial(shard, scope, &owned.part(shard), w))
            }
            ShardReport::Bottlenecks(q) => ShardPartial::Bottlenecks(Box::new(
                crate::bottlenecks::shard_partial(shard, q, owned, scope),
            )),
            ShardReport::Forecast { window, .. } => ShardPartial::Funnel(crate::funnel::counts(
                shard,
                &crate::forecast::rates_funnel(shard, window),
                scope,
            )),
            ShardReport::Members { funnel, stage } => ShardPartial::Members(
                crate::funnel::members(shard, funnel, scope, *stage)
                    .into_iter()
                    .map(|(c, t)| (owned.global(c as u32), Member::of(shard, c, t)))
                    .collect(),
            ),
            ShardReport::Scores(q) => ShardPartial::Leads(crate::scores::leads(shard, q, owned)),
            ShardReport::Bands { scores, .. } => {
                ShardPartial::Leads(crate::scores::every_lead(shard, scores, owned))
            }
            ShardReport::AccountConversions { query, .. } => ShardPartial::AccountConversions(
                crate::attribution::account_conversions(shard, scope, query, owned),
            ),
            ShardReport::AccountJourneys { query, ask, .. } => ShardPartial::AccountJourneys(
                crate::attribution::account_journeys_of(shard, scope, query, ask, owned),
            ),
            // A contact held by another shard is not here: this shard tells nothing.
            ShardReport::Journey(id) => ShardPartial::Journey(crate::journeys::part(
                shard,
                crate::journeys::resolve(shard, id).ok(),
                owned,
            )),
        }
    }

    fn finish(
        &self,
        shared: &Snapshot,
        scope: &Scope<'_>,
        workspace_contacts: usize,
        partials: impl IntoIterator<Item = ShardPartial>,
    ) -> Result<Output, Unfinished> {
        let wrong = || Unfinished::Wrong(NotSharded("a shard answered another task".into()));
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
        let units = shared.accounts.ids.len() + workspace_contacts;
        Ok(match self {
            ShardReport::Bottlenecks(q) => {
                let mut all = Vec::new();
                for p in partials {
                    let ShardPartial::Bottlenecks(p) = p else {
                        return Err(wrong());
                    };
                    all.push(*p);
                }
                Output::Bottlenecks(crate::bottlenecks::finish_shards(
                    shared, scope, units, q, all,
                ))
            }
            ShardReport::Funnel(fq) => Output::Funnel(Sliced::One(funnel(fq, &mut partials)?)),
            ShardReport::Members { funnel, stage } => {
                let mut all = Vec::new();
                for p in partials {
                    let ShardPartial::Members(p) = p else {
                        return Err(wrong());
                    };
                    all.extend(p);
                }
                all.sort_unstable_by_key(|m| m.0);
                let members = all.into_iter().map(|m| m.1).collect();
                Output::Members(MembersReport::of(shared, funnel, *stage, members))
            }
            ShardReport::Scores(q) => {
                let mut merged: Option<LeadsPartial> = None;
                for p in partials {
                    let ShardPartial::Leads(p) = p else {
                        return Err(wrong());
                    };
                    // Every shard describes leads by the workspace's columns.
                    if merged.as_ref().is_some_and(|m| m.columns != p.columns) {
                        return Err(wrong());
                    }
                    merged = Some(match merged {
                        Some(m) => m.merge(p),
                        None => p,
                    });
                }
                Output::Scores(crate::scores::finish(shared, q, merged.unwrap_or_default()))
            }
            ShardReport::Journey(id) => {
                let mut part = JourneyPart::default();
                for p in partials {
                    let ShardPartial::Journey(p) = p else {
                        return Err(wrong());
                    };
                    part = part.merge(p);
                }
                // An account is in the shared tables; a contact, in the one shard
                // that told of it.
                match id {
                    SubjectId::Account(_) => {
                        crate::journeys::resolve(shared, id)?;
                    }
                    SubjectId::Contact(_) if part.contacts.is_empty() => {
                        return Err(crate::journeys::missing(id).into());
                    }
                    SubjectId::Contact(_) => {}
                }
                Output::Journey(crate::journeys::finish(shared, id, part))
            }
            ShardReport::Forecast { window, options } => {
                let rates = funnel(
                    &crate::forecast::rates_funnel(shared, window),
                    &mut partials,
                )?;
                Output::Forecast(Sliced::One(crate::forecast::forecast_with(
                    shared,
                    scope,
                    window,
                    *options,
                    &crate::part::parts_of_units(shared, units),
                    rates,
                )))
            }
            // Earlier rounds end in `ShardTask::finish`.
            ShardReport::Bands { .. } | ShardReport::AccountConversions { .. } => {
                return Err(wrong());
            }
            ShardReport::AccountJourneys { query, models, .. } => {
                let mut merged = JourneysPartial::default();
                for p in partials {
                    let ShardPartial::AccountJourneys(p) = p else {
                        return Err(wrong());
                    };
                    merged = merged.merge(p);
                }
                Output::Attribution(crate::attribution::credit(
                    shared,
                    scope,
                    query,
                    models,
                    merged.finish(),
                ))
            }
            ShardReport::Attribution { query, models } => {
                let mut merged = AttributionPartial::default();
                for p in partials {
                    let ShardPartial::Attribution(p) = p else {
                        return Err(wrong());
                    };
                    merged = merged.merge(p);
                }
                Output::Attribution(crate::attribution::credit(
                    shared,
                    scope,
                    query,
                    models,
                    merged.into_journeys(),
                ))
            }
            ShardReport::Sla(w) => {
                let mut merged = SlaPartial::default();
                for p in partials {
                    let ShardPartial::Sla(p) = p else {
                        return Err(wrong());
                    };
                    merged = merged.merge(p);
                }
                Output::Sla(Sliced::One(crate::sla::finish(shared, w, merged)))
            }
            ShardReport::Scorecard(w) => {
                let mut merged = ScorecardPartial::default();
                for p in partials {
                    let ShardPartial::Scorecard(p) = p else {
                        return Err(wrong());
                    };
                    merged = merged.merge(*p);
                }
                Output::Scorecard(Sliced::One(crate::scorecard::finish(
                    shared,
                    scope,
                    w,
                    scope.segment(shared),
                    merged,
                )))
            }
            ShardReport::Cohorts(w) => {
                let mut merged = CohortsPartial::default();
                for p in partials {
                    let ShardPartial::Cohorts(p) = p else {
                        return Err(wrong());
                    };
                    merged = merged.merge(p);
                }
                Output::Cohorts(Sliced::One(crate::cohorts::finish(shared, w, merged)))
            }
            ShardReport::Mrr(w) => {
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
