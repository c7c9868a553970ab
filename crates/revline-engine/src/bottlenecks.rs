//! The bottleneck finder (metrics.md "Bottlenecks"): every link of the revenue chain
//! (each step conversion, each stage's time, the marketing-to-sales handoff, retention)
//! measured for the period, held against its benchmark, valued in revenue at stake, and
//! drilled down to where it concentrates. Findings name the link and the evidence, never
//! a team: both teams own every link.
//!
//! Statistical care (docs/reports.md "bottlenecks"):
//! - a step is measured on mature cohorts only: contacts that entered the earlier stage
//!   at least `maturity_days` before the as-of time, counted as converted when they
//!   reached the next stage within that many days, so young cohorts do not look weak;
//! - rates carry 90% Wilson intervals, median stage times a distribution-free 90%
//!   interval from order statistics;
//! - monthly and per-segment rates are shrunk towards their pooled rate (empirical Bayes)
//!   before the best of them are picked, so that the benchmark is not the luck of a
//!   small month or segment;
//! - a link is reported only when its benchmark lies beyond the current rate's interval
//!   and the gap is material (`min_gap`, default 25% of the benchmark).

use crate::funnel::Period;
use crate::link::{BenchmarkSource, Link, LinkKind};
use crate::part::{Part, map_merge, parts};
use crate::scorecard::{for_each_unit, for_each_unit_where, ratio};
use crate::slice::{Dim, Scope, Segmentation};
use crate::snapshot::{DealStatus, NEVER, NONE, Snapshot, Team};
use crate::stats::{Z90, wilson};
use crate::window::{Window, major, target};
use revline_core::time::MILLIS_PER_DAY;
use serde::Serialize;

/// Width of a stage-time histogram bin, in days, and the longest time kept.
const BIN_DAYS: f64 = 0.25;
const BINS: usize = 1461;
const MONTHS: usize = 12;
const MONTH_MS: i64 = (MILLIS_PER_DAY as f64 * 365.25 / 12.0) as i64;
/// Index of the account segment among `Dim::ALL`.
const SEGMENT: usize = 3;

#[derive(Debug, Clone, PartialEq)]
pub struct BottleneckQuery {
    pub window: Window,
    /// A step counts as converted when the next stage follows within this many days;
    /// only cohorts at least this old are measured.
    pub maturity_days: f64,
    /// The smallest gap worth reporting, as a share of the benchmark.
    pub min_gap: f64,
    /// Slices with fewer cases than this are not judged on their own.
    pub min_volume: u64,
    /// `LINK=RATE`: recompute revenue and the reverse funnel with that link lifted.
    pub what_if: Option<(String, f64)>,
}

impl BottleneckQuery {
    pub fn new(window: Window) -> BottleneckQuery {
        BottleneckQuery {
            window,
            maturity_days: 90.0,
            min_gap: 0.25,
            min_volume: 30,
            what_if: None,
        }
    }
}

/// Fewer mature entries than this into a step, and its rate is taken from the year
/// before the window for pricing.
const MIN_PRICING_COHORT: u64 = 30;

/// Trials and successes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Rate {
    n: u64,
    k: u64,
}

impl Rate {
    fn add(&mut self, success: bool) {
        self.n += 1;
        self.k += u64::from(success);
    }
    fn merge(&mut self, o: Rate) {
        self.n += o.n;
        self.k += o.k;
    }
    fn value(&self) -> Option<f64> {
        (self.n > 0).then(|| self.k as f64 / self.n as f64)
    }
}

/// Where each dimension's values sit among the slots (slot 0: everything).
struct Slots {
    dims: Vec<Segmentation>,
    /// Account segments (and `(none)`): strata within which slices are compared, so
    /// that an owner or channel working mostly with one segment is held to that
    /// segment's standard.
    strata: usize,
    stratum: Vec<u32>,
    /// Per dimension: slot of each name (index = name id, last = `(none)`).
    slot: Vec<Vec<u32>>,
    /// Per slot: (dimension, value name id) for the slots after 0.
    of: Vec<(Dim, u32)>,
}

impl Slots {
    fn new(s: &Snapshot) -> Slots {
        let mut of = Vec::new();
        let mut slot = Vec::new();
        let mut dims = Vec::new();
        let mut stratum = vec![0u32; s.names.len() + 1];
        let mut strata = 0;
        for dim in Dim::ALL {
            let seg = Segmentation::without_touches(s, dim);
            let mut table = vec![u32::MAX; s.names.len() + 1];
            for v in seg.values(s) {
                let at = if v == NONE { s.names.len() } else { v as usize };
                table[at] = of.len() as u32 + 1;
                of.push((dim, v));
                if dim == Dim::Segment {
                    stratum[at] = strata as u32;
                    strata += 1;
                }
            }
            slot.push(table);
            dims.push(seg);
        }
        Slots {
            dims,
            strata: strata.max(1),
            stratum,
            slot,
            of,
        }
    }

    fn count(&self) -> usize {
        self.of.len() + 1
    }

    fn lookup(&self, d: usize, v: u32, names: usize) -> usize {
        let at = if v == NONE { names } else { v as usize };
        self.slot[d][at] as usize
    }

    fn stratum_of(&self, s: &Snapshot, v: u32) -> usize {
        self.stratum[if v == NONE { s.names.len() } else { v as usize }] as usize
    }

    /// The cells a contact counts in (slot x strata + stratum): the whole chain and one
    /// slot per dimension, all in the contact's account segment.
    fn contact(&self, s: &Snapshot, c: usize, out: &mut [usize; 7]) {
        let g = self.stratum_of(s, self.dims[SEGMENT].contact[c]);
        out[0] = g;
        for d in 0..self.dims.len() {
            out[d + 1] = self.lookup(d, self.dims[d].contact[c], s.names.len()) * self.strata + g;
        }
    }

    fn unit(&self, s: &Snapshot, u: usize, out: &mut [usize; 7]) {
        let g = self.stratum_of(s, self.dims[SEGMENT].unit[u]);
        out[0] = g;
        for d in 0..self.dims.len() {
            out[d + 1] = self.lookup(d, self.dims[d].unit[u], s.names.len()) * self.strata + g;
        }
    }

    fn cells(&self) -> usize {
        self.count() * self.strata
    }
}

/// Everything the links need, added up over a part of the snapshot.
#[derive(Debug, Clone, PartialEq)]
struct Acc {
    /// [step][cell] (cell = slot x strata + account segment): mature cohort of the
    /// earlier stage, converted within the maturity.
    conv: Vec<Vec<Rate>>,
    conv_month: Vec<Vec<Rate>>,
    /// [step][slot]: histogram of days between the stages of the converted.
    dwell: Vec<Vec<Vec<u32>>>,
    dwell_month: Vec<Vec<Vec<u32>>>,
    /// [slot]: MQLs whose SLA is decided; success = answered within it.
    handoff: Vec<Rate>,
    handoff_month: Vec<Rate>,
    /// Reaching the stage after mql: answered within the SLA, late or never.
    within_next: Rate,
    late_next: Rate,
    /// [cell]: revenue kept month over month, pooled over the period's months.
    retention: Vec<Kept>,
    retention_month: Vec<Kept>,
}

impl Acc {
    fn new(steps: usize, slots: usize, cells: usize) -> Acc {
        Acc {
            conv: vec![vec![Rate::default(); cells]; steps],
            conv_month: vec![vec![Rate::default(); MONTHS]; steps],
            dwell: vec![vec![Vec::new(); slots]; steps],
            dwell_month: vec![vec![Vec::new(); MONTHS]; steps],
            handoff: vec![Rate::default(); cells],
            handoff_month: vec![Rate::default(); MONTHS],
            within_next: Rate::default(),
            late_next: Rate::default(),
            retention: vec![Kept::default(); cells],
            retention_month: vec![Kept::default(); MONTHS],
        }
    }

    fn merge(mut self, o: Acc) -> Acc {
        fn rates(a: &mut [Rate], b: &[Rate]) {
            a.iter_mut().zip(b).for_each(|(x, y)| x.merge(*y));
        }
        fn hists(a: &mut [Vec<u32>], b: Vec<Vec<u32>>) {
            for (x, y) in a.iter_mut().zip(b) {
                if x.is_empty() {
                    *x = y;
                } else if !y.is_empty() {
                    x.iter_mut().zip(y).for_each(|(p, q)| *p += q);
                }
            }
        }
        for s in 0..self.conv.len() {
            rates(&mut self.conv[s], &o.conv[s]);
            rates(&mut self.conv_month[s], &o.conv_month[s]);
        }
        for (a, b) in self.dwell.iter_mut().zip(o.dwell) {
            hists(a, b);
        }
        for (a, b) in self.dwell_month.iter_mut().zip(o.dwell_month) {
            hists(a, b);
        }
        rates(&mut self.handoff, &o.handoff);
        rates(&mut self.handoff_month, &o.handoff_month);
        self.within_next.merge(o.within_next);
        self.late_next.merge(o.late_next);
        for (a, b) in self.retention.iter_mut().zip(&o.retention) {
            a.merge(b);
        }
        for (a, b) in self.retention_month.iter_mut().zip(&o.retention_month) {
            a.merge(b);
        }
        self
    }
}

fn bin(days: f64) -> usize {
    ((days / BIN_DAYS) as usize).min(BINS - 1)
}

fn hist_add(h: &mut Vec<u32>, days: f64) {
    if h.is_empty() {
        h.resize(BINS, 0);
    }
    h[bin(days.max(0.0))] += 1;
}

/// The value (days, bin midpoint) at a rank of a histogram (0-based).
fn hist_rank(h: &[u32], rank: u64) -> Option<f64> {
    let mut seen = 0u64;
    for (i, &c) in h.iter().enumerate() {
        seen += u64::from(c);
        if seen > rank {
            return Some((i as f64 + 0.5) * BIN_DAYS);
        }
    }
    None
}

fn hist_count(h: &[u32]) -> u64 {
    h.iter().map(|&c| u64::from(c)).sum()
}

/// Median and its distribution-free 90% interval (order statistics of a binomial(n, 1/2)).
fn median_ci(h: &[u32]) -> Option<(f64, f64, f64)> {
    let n = hist_count(h);
    if n == 0 {
        return None;
    }
    let half = n as f64 / 2.0;
    let spread = Z90 * (n as f64).sqrt() / 2.0;
    let lo = (half - spread).floor().max(0.0) as u64;
    let hi = ((half + spread).ceil() as u64).min(n - 1);
    Some((
        hist_rank(h, lo)?,
        hist_rank(h, (n - 1) / 2)?,
        hist_rank(h, hi)?,
    ))
}

/// Empirical-Bayes shrinkage of group rates towards their pooled rate (method of moments
/// for the between-group variance): a group's rate keeps the part of its distance from
/// the pool that its size makes credible.
fn shrink(groups: &[Rate]) -> Vec<Option<f64>> {
    let (n, k): (u64, u64) = groups.iter().fold((0, 0), |a, g| (a.0 + g.n, a.1 + g.k));
    let live: Vec<&Rate> = groups.iter().filter(|g| g.n > 0).collect();
    if n == 0 || live.len() < 2 {
        return groups.iter().map(Rate::value).collect();
    }
    let p = k as f64 / n as f64;
    let noise = p * (1.0 - p);
    let spread: f64 = live
        .iter()
        .map(|g| g.n as f64 * (g.k as f64 / g.n as f64 - p).powi(2))
        .sum::<f64>()
        / n as f64;
    let tau2 = (spread - noise * live.len() as f64 / n as f64).max(0.0);
    groups
        .iter()
        .map(|g| {
            g.value().map(|r| {
                let w = if tau2 + noise == 0.0 {
                    1.0
                } else {
                    tau2 / (tau2 + noise / g.n as f64)
                };
                p + (r - p) * w
            })
        })
        .collect()
}

/// Pooled rate of the `take` groups with the best shrunk rates.
fn best_pooled(groups: &[Rate], take: usize, higher_is_better: bool) -> Option<f64> {
    let shrunk = shrink(groups);
    let mut order: Vec<(f64, usize)> = shrunk
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.map(|r| (r, i)))
        .collect();
    if order.is_empty() {
        return None;
    }
    order.sort_by(|a, b| {
        let c = a.0.total_cmp(&b.0);
        if higher_is_better { c.reverse() } else { c }
    });
    let mut pooled_n = 0.0;
    let mut pooled = 0.0;
    for &(r, i) in order.iter().take(take) {
        pooled += r * groups[i].n as f64;
        pooled_n += groups[i].n as f64;
    }
    ratio(pooled, pooled_n)
}

/// The 75th percentile (best quartile boundary) of the shrunk rates of groups with
/// enough volume.
fn quartile_boundary(groups: &[Rate], min_volume: u64) -> Option<f64> {
    let shrunk = shrink(groups);
    let mut rates: Vec<f64> = shrunk
        .iter()
        .zip(groups)
        .filter(|(_, g)| g.n >= min_volume)
        .filter_map(|(r, _)| *r)
        .collect();
    if rates.len() < 4 {
        return None;
    }
    rates.sort_by(f64::total_cmp);
    crate::stats::percentile_cont(&rates, 0.75)
}

/// Gross revenue retention month over month (metrics.md's GRR): of the customer units
/// that paid in a month, the revenue they paid again the next month, each unit counted
/// up to what it paid before. Sums are kept in minor units as integers, so that parts
/// merge to exactly the whole; the squares give the ratio estimate's interval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Kept {
    units: u64,
    /// Independent observations behind the squares: unit-months, or units when a unit's
    /// months are taken together (its months are not independent of each other).
    clusters: u64,
    churned: u64,
    before: i128,
    kept: i128,
    before_sq: i128,
    kept_sq: i128,
    cross: i128,
}

impl Kept {
    fn add(&mut self, before: i64, now: i64) {
        if before <= 0 {
            return;
        }
        let (b, k) = (
            i128::from(before),
            i128::from(crate::scorecard::retained(before, now)),
        );
        self.units += 1;
        self.clusters += 1;
        self.churned += u64::from(now <= 0);
        self.before += b;
        self.kept += k;
        self.before_sq += b * b;
        self.kept_sq += k * k;
        self.cross += b * k;
    }

    /// One unit's months of the period as one observation: the interval of the ratio is
    /// then cluster-robust (a unit on an annual plan keeps its revenue eleven months
    /// running; counting those months as independent made the interval too narrow).
    fn add_unit(&mut self, months: &Kept) {
        let (b, k) = (months.before, months.kept);
        self.units += months.units;
        self.clusters += 1;
        self.churned += months.churned;
        self.before += b;
        self.kept += k;
        self.before_sq += b * b;
        self.kept_sq += k * k;
        self.cross += b * k;
    }

    fn merge(&mut self, o: &Kept) {
        self.units += o.units;
        self.clusters += o.clusters;
        self.churned += o.churned;
        self.before += o.before;
        self.kept += o.kept;
        self.before_sq += o.before_sq;
        self.kept_sq += o.kept_sq;
        self.cross += o.cross;
    }

    fn grr(&self) -> Option<f64> {
        ratio(self.kept as f64, self.before as f64)
    }

    fn logo_retention(&self) -> Option<f64> {
        ratio((self.units - self.churned) as f64, self.units as f64)
    }

    /// Variance of the ratio estimate kept / before over the units (delta method:
    /// the spread of kept - GRR x before, over the mean revenue before squared).
    fn variance(&self) -> Option<f64> {
        let r = self.grr()?;
        let n = self.clusters as f64;
        if self.clusters < 2 {
            return None;
        }
        let ss = self.kept_sq as f64 - 2.0 * r * self.cross as f64 + r * r * self.before_sq as f64;
        let mean_before = self.before as f64 / n;
        Some((ss / (n - 1.0)).max(0.0) / n / (mean_before * mean_before))
    }

    /// GRR with its interval at normal quantile `z` (normal approximation of the ratio
    /// estimate).
    fn interval(&self, z: f64) -> Option<(f64, f64, f64)> {
        let r = self.grr()?;
        let se = self.variance()?.sqrt();
        Some((r, (r - z * se).max(0.0), (r + z * se).min(1.0)))
    }

    /// The estimate as binomial counts carrying the same information (Kish's effective
    /// sample size: n = GRR (1 - GRR) / variance), so that months and segments are
    /// shrunk, ranked and pooled for benchmarks exactly like the other links' rates.
    fn as_rate(&self) -> Rate {
        let Some(r) = self.grr() else {
            return Rate::default();
        };
        let n = match self.variance() {
            Some(v) if v > 0.0 && r > 0.0 && r < 1.0 => (r * (1.0 - r) / v).round().max(1.0),
            _ => self.units as f64,
        };
        Rate {
            n: n as u64,
            k: (r * n).round() as u64,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrillDown {
    pub dimension: &'static str,
    pub value: String,
    pub current: Option<f64>,
    pub volume: u64,
    /// The share of the link's shortfall this value accounts for.
    pub share_of_gap: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// `conversion:mql->sql`, `time:sql` (days from the stage before), `handoff`,
    /// `retention`.
    pub link: Link,
    pub kind: LinkKind,
    /// `dimension=value` where the finding is one slice's; `null` for the whole chain.
    pub segment: Option<String>,
    pub current: f64,
    pub current_low: f64,
    pub current_high: f64,
    pub benchmark: f64,
    pub benchmark_source: BenchmarkSource,
    pub revenue_at_stake: f64,
    /// Customers the link loses per period against its benchmark (conversion links):
    /// what ranks the findings when nothing has a price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversions_lost: Option<f64>,
    pub volume: u64,
    pub evidence: String,
    /// The figures of `evidence`, so that it can be written in another language.
    pub facts: Evidence,
    pub drill_down: Vec<DrillDown>,
}

/// The figures a finding's evidence sentence is made of, per kind of link. `slice` is
/// `dimension=value`, or `null` for the whole chain; rates are shares in [0, 1].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum Evidence {
    Conversion {
        from: String,
        to: String,
        slice: Option<String>,
        entered: u64,
        reached: u64,
        within_days: f64,
        rate: f64,
        low: f64,
        high: f64,
        benchmark: Option<f64>,
        source: Option<BenchmarkSource>,
        /// More contacts reaching `to` per period at the benchmark rate.
        more: f64,
        /// What they would be worth; null when no won deal of the period has an
        /// amount (nothing to put a price on).
        revenue: Option<f64>,
        currency: String,
    },
    StageTime {
        from: String,
        to: String,
        slice: Option<String>,
        median_days: f64,
        low: f64,
        high: f64,
        benchmark: Option<f64>,
        source: Option<BenchmarkSource>,
        revenue: f64,
        currency: String,
    },
    Handoff {
        slice: Option<String>,
        rate: f64,
        mqls: u64,
        sla_hours: f64,
        low: f64,
        high: f64,
        benchmark: Option<f64>,
        source: Option<BenchmarkSource>,
        next_stage: Option<String>,
        /// Conversion to the next stage of leads answered within the SLA, and late.
        within: Option<f64>,
        late: Option<f64>,
    },
    Retention {
        slice: Option<String>,
        grr: f64,
        low: f64,
        high: f64,
        logo_retention: Option<f64>,
        benchmark: Option<f64>,
        source: Option<BenchmarkSource>,
        lost: f64,
        currency: String,
        service: Option<ServiceFacts>,
    },
}

/// Churn after poor service against the rest, over the period (customer-months).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceFacts {
    pub churn_after_poor_service: f64,
    pub months_after_poor_service: u64,
    pub churn_otherwise: f64,
    pub top_category: String,
}

impl Evidence {
    /// The evidence in English, as plain sentences with the figures.
    pub fn english(&self) -> String {
        let opt_pct = |x: &Option<f64>| x.map_or("-".into(), pct);
        let src = |x: &Option<BenchmarkSource>| x.map_or(String::new(), |s| s.to_string());
        let in_slice =
            |x: &Option<String>| x.as_ref().map_or(String::new(), |v| format!(" for {v}"));
        match self {
            Evidence::Conversion {
                from,
                to,
                slice,
                entered,
                reached,
                within_days,
                rate,
                low,
                high,
                benchmark,
                source,
                more,
                revenue,
                currency,
            } => format!(
                "Of {entered} contacts that entered {from}{}, {reached} reached {to} within {within_days} days: {} (90% interval {}-{}), against a benchmark of {} ({}). At the benchmark rate about {more:.0} more would reach {to} per period{}. Marketing and sales own this link together.",
                in_slice(slice),
                pct(*rate),
                pct(*low),
                pct(*high),
                opt_pct(benchmark),
                src(source),
                match revenue {
                    Some(r) => format!(", worth about {r:.0} {currency} in revenue"),
                    None => " (no won deal has an amount, so no money is put on it)".to_string(),
                },
            ),
            Evidence::StageTime {
                from,
                to,
                slice,
                median_days,
                low,
                high,
                benchmark,
                source,
                revenue,
                currency,
            } => format!(
                "Contacts{} took a median of {median_days:.1} days from {from} to {to} (90% interval {low:.1}-{high:.1}), against a benchmark of {} days ({}). Moving at the benchmark pace would bring about {revenue:.0} {currency} of revenue into the period. Marketing and sales own this link together.",
                in_slice(slice),
                benchmark.map_or("-".into(), |b| format!("{b:.1}")),
                src(source),
            ),
            Evidence::Handoff {
                slice,
                rate,
                mqls,
                sla_hours,
                low,
                high,
                benchmark,
                source,
                next_stage,
                within,
                late,
            } => format!(
                "{} of {mqls} MQLs{} had their first sales touch within the {sla_hours} h SLA (90% interval {}-{}), against a benchmark of {} ({}). Leads answered in time reached {} {} of the time, late ones {}. Marketing and sales own this handoff together.",
                pct(*rate),
                in_slice(slice),
                pct(*low),
                pct(*high),
                opt_pct(benchmark),
                src(source),
                next_stage.as_deref().unwrap_or("the next stage"),
                opt_pct(within),
                opt_pct(late),
            ),
            Evidence::Retention {
                slice,
                grr,
                low,
                high,
                logo_retention,
                benchmark,
                source,
                lost,
                currency,
                service,
            } => {
                let service = service.as_ref().map_or(String::new(), |f| {
                    format!(
                        "Customers in the 90 days after a ticket rated 1-2 or answered after more than 24 h stopped paying in {} of their months ({} customer-months), against {} for the others; the most frequent category of such tickets in the period was {}. Service, marketing and sales own retention together.",
                        pct(f.churn_after_poor_service),
                        f.months_after_poor_service,
                        pct(f.churn_otherwise),
                        f.top_category
                    )
                });
                format!(
                    "The customers{} who paid in a month kept {} of that revenue the next month (gross revenue retention, 90% interval {}-{}; {} of them paid again), against a benchmark of {} ({}): about {lost:.0} {currency} of revenue was lost above the benchmark. {service}",
                    in_slice(slice),
                    pct(*grr),
                    pct(*low),
                    pct(*high),
                    opt_pct(logo_retention),
                    opt_pct(benchmark),
                    src(source),
                )
            }
        }
    }
}

/// Every link of the chain, reported or not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkRow {
    pub link: Link,
    pub kind: LinkKind,
    pub current: Option<f64>,
    pub current_low: Option<f64>,
    pub current_high: Option<f64>,
    pub benchmark: Option<f64>,
    pub benchmark_source: Option<BenchmarkSource>,
    pub volume: u64,
    /// Revenue at stake were the link at its benchmark (0 when it is at or above it).
    pub revenue_at_stake: f64,
    pub reported: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhatIf {
    pub link: String,
    pub current: Option<f64>,
    pub rate: f64,
    pub revenue_before: f64,
    pub revenue_after: f64,
    /// First-stage entries needed for the period's revenue target (or, without one, for
    /// the period's revenue), before and after the lift, per stage.
    pub required_before: Vec<f64>,
    pub required_after: Vec<f64>,
    /// Why the entries needed do not move with this link, when they cannot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unchanged: Option<Unchanged>,
}

/// Why a what-if leaves the reverse funnel as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unchanged {
    /// Retention acts on the recurring base still to come; a period that is over has
    /// none left, so the entries it needed stay what they were.
    PeriodOver,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BottlenecksReport {
    pub period: Period,
    pub as_of: String,
    pub currency: String,
    pub revenue: f64,
    pub maturity_days: f64,
    pub min_gap: f64,
    /// `revenue` (revenue at stake), or `conversions` (conversions lost) when no
    /// finding has a price: a workspace without amounts.
    pub ranked_by: &'static str,
    /// Some link had a volume to judge. Without one (nobody entered the funnel in the
    /// period) "no finding" means nothing was measured, not that all is well.
    pub judged: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub findings: Vec<Finding>,
    pub links: Vec<LinkRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub what_if: Option<WhatIf>,
}

/// One pass over a part: step cohorts, stage times and the handoff per contact, and
/// retention per unit.
fn collect(
    s: &Snapshot,
    scope: &Scope<'_>,
    slots: &Slots,
    part: &Part,
    q: &BottleneckQuery,
    acc: &mut Acc,
) {
    let w = &q.window;
    let k = s.stages.len();
    let maturity = (q.maturity_days * MILLIS_PER_DAY as f64) as i64;
    let bench_end = w.as_of - maturity;
    let month_of = |t: i64, end: i64| -> Option<usize> {
        let back = end - t;
        (back > 0 && back <= MONTHS as i64 * MONTH_MS)
            .then(|| MONTHS - 1 - ((back - 1) / MONTH_MS) as usize)
    };
    let mql = s.stage_index("mql");
    let next = mql.filter(|m| m + 1 < k).map(|m| m + 1);
    let limit = (s.sla_hours * 3_600_000.0) as i64;
    let t = &s.touchpoints;
    let mut at = [0usize; 7];
    for c in part.contacts.clone() {
        if !scope.contact(c) {
            continue;
        }
        slots.contact(s, c, &mut at);
        let row = &s.entered[c * k..(c + 1) * k];
        for step in 1..k {
            let t0 = row[step - 1];
            if t0 == NEVER || t0 > bench_end {
                continue;
            }
            let t1 = row[step];
            let converted = t1 != NEVER && t1 - t0 <= maturity;
            let days = (t1.saturating_sub(t0)) as f64 / MILLIS_PER_DAY as f64;
            if w.contains(t0) {
                for &cell in &at {
                    acc.conv[step - 1][cell].add(converted);
                    if converted {
                        hist_add(&mut acc.dwell[step - 1][cell / slots.strata], days);
                    }
                }
            }
            if let Some(m) = month_of(t0, bench_end) {
                acc.conv_month[step - 1][m].add(converted);
                if converted {
                    hist_add(&mut acc.dwell_month[step - 1][m], days);
                }
            }
        }
        let Some(m) = mql else { continue };
        let t0 = row[m];
        if t0 == NEVER || t0 > w.as_of {
            continue;
        }
        let first = s
            .touches_of(c)
            .find(|&i| t.team[i] == Team::Sales && t.at[i] >= t0 && t.at[i] <= w.as_of);
        let within = match first {
            Some(i) => t.at[i] - t0 <= limit,
            None if w.as_of - t0 > limit => false,
            None => continue, // pending: the SLA has not run out
        };
        if w.contains(t0) {
            for &slot in &at {
                acc.handoff[slot].add(within);
            }
        }
        // What answering within the SLA is worth: the next-stage conversion of answered
        // and of late leads, over the mature MQLs of the year before (the benchmark's
        // history), each given the time to convert that step cohorts get. Judged on
        // the window's own leads, most of which had not had that time, the price swung
        // from nothing to millions with the hour of the day.
        if t0 <= bench_end && month_of(t0, bench_end).is_some() {
            let reached = next.is_some_and(|n| row[n] != NEVER && row[n] - t0 <= maturity);
            if within {
                acc.within_next.add(reached);
            } else {
                acc.late_next.add(reached);
            }
        }
        if let Some(mo) = month_of(t0, w.as_of) {
            acc.handoff_month[mo].add(within);
        }
    }
    // Retention: each unit's revenue by calendar month, the last twelve before the as-of
    // month and the one before them for a base.
    let zone = s.timezone;
    let day = |d| crate::calendar::day_start(zone, d);
    let this_month = crate::calendar::month_start(zone, w.as_of);
    let starts: Vec<i64> = (0..=MONTHS as u32 + 1)
        .rev()
        .map(|back| day(this_month - chrono::Months::new(back)))
        .collect();
    let windows: Vec<(i64, i64)> = starts.windows(2).map(|p| (p[0], p[1])).collect();
    // Subscription revenue only: a one-off fee or a refund not repeated next month is
    // not a customer lost. With recurring revenue, each unit's MRR on the last day of
    // each month (metrics.md, GRR on the MRR basis).
    let one_off = [s.names.get("one_off"), s.names.get("refund")];
    let recurring = |i: usize| !one_off.contains(&Some(s.revenue.kind[i]));
    let mut by_unit = |u: u32, v: &[i64]| {
        slots.unit(s, u as usize, &mut at);
        let mut own = Kept::default();
        for j in 1..v.len() {
            let month_start = windows[j].0;
            acc.retention_month[j - 1].add(v[j - 1], v[j]);
            if month_start >= w.from && month_start < w.end() {
                own.add(v[j - 1], v[j]);
            }
        }
        if own.units > 0 {
            for &cell in &at {
                acc.retention[cell].add_unit(&own);
            }
        }
    };
    if crate::scorecard::RetentionBasis::of(s) == crate::scorecard::RetentionBasis::Mrr {
        let days: Vec<i32> = windows
            .iter()
            .map(|&(_, b)| crate::calendar::day_of(zone, b - 1))
            .collect();
        crate::mrr::for_each_unit_mrr(s, scope, part, &days, |u, v, _| by_unit(u, v));
    } else {
        for_each_unit_where(s, scope, part, &windows, recurring, by_unit);
    }
}

/// The target of `metric` that applies to `scope`: the company's for everything, a
/// segment's own for a segment (as the scorecard reads them), and none for any other
/// slice (a channel's or a score band's share of a company target is not set anywhere).
fn scope_target(
    s: &Snapshot,
    scope: &Scope<'_>,
    metric: &str,
    w: &Window,
    combine: crate::window::Combine,
) -> Option<f64> {
    let segment = scope.segment(s);
    if !scope.is_all() && segment.is_none() {
        return None;
    }
    target(s, metric, w.from, w.to, segment, combine)
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

pub fn bottlenecks(s: &Snapshot, q: &BottleneckQuery) -> BottlenecksReport {
    bottlenecks_in(s, q, &Scope::ALL)
}

/// The bottlenecks of the records in `scope` (`--filter`): every count, price and plan
/// made from those records alone.
pub fn bottlenecks_in(s: &Snapshot, q: &BottleneckQuery, scope: &Scope<'_>) -> BottlenecksReport {
    let w = &q.window;
    let slots = Slots::new(s);
    let k = s.stages.len();
    let steps = k.saturating_sub(1);
    let acc = map_merge(
        &parts(s),
        |p| {
            let mut a = Acc::new(steps, slots.count(), slots.cells());
            collect(s, scope, &slots, p, q, &mut a);
            a
        },
        Acc::merge,
    )
    .unwrap_or_else(|| Acc::new(steps, slots.count(), slots.cells()));

    // Value of one more customer, and the downstream conversion from each stage.
    let d = &s.deals;
    let (mut won_sum, mut won_n) = (0i64, 0u64);
    for i in 0..d.status.len() {
        if d.status[i] == DealStatus::Won
            && d.has_amount[i]
            && w.contains(d.closed_at[i])
            && scope.deal(i)
        {
            won_sum += d.amount[i];
            won_n += 1;
        }
    }
    let value = major(s, ratio(won_sum as f64, won_n as f64).unwrap_or(0.0));
    let strata = slots.strata;
    // A slot's figures, added over the account segments.
    let total = |cells: &[Rate], slot: usize| -> Rate {
        let mut r = Rate::default();
        for g in 0..strata {
            r.merge(cells[slot * strata + g]);
        }
        r
    };
    // The funnel's step rates, which price a conversion (how many go on to become
    // customers): the window's mature cohorts, or where they are too few to say, the
    // year of mature cohorts before it. A trailing window no longer than the maturity
    // (an alert's 90 days) has almost none, and pricing on a handful of leads made a
    // finding's revenue at stake jump between nothing and millions hour by hour.
    let overall: Vec<f64> = (0..steps)
        .map(|st| {
            let own = total(&acc.conv[st], 0);
            if own.n >= MIN_PRICING_COHORT {
                return own.value().unwrap_or(0.0);
            }
            let mut year = Rate::default();
            for month in &acc.conv_month[st] {
                year.merge(*month);
            }
            year.value().or(own.value()).unwrap_or(0.0)
        })
        .collect();
    // downstream[st]: share of those converting at step st that go on to the last stage.
    let downstream = |st: usize| -> f64 { overall[st + 1..].iter().product() };
    let revenue = major(
        s,
        crate::scorecard::revenue_in(s, scope, &Part::whole(s), w.from, w.end()) as f64,
    );
    let period_days = (w.end() - w.from) as f64 / MILLIS_PER_DAY as f64;
    let mature_days = (period_days - q.maturity_days).max(1.0);
    // The step cohorts cover only the mature part of the period: scale to the period.
    let per_period = period_days / mature_days;

    let mut findings = Vec::new();
    let mut links = Vec::new();
    let slots_of = |dim: usize| -> Vec<usize> {
        slots
            .of
            .iter()
            .enumerate()
            .filter(|(_, (d, _))| *d == Dim::ALL[dim])
            .map(|(i, _)| i + 1)
            .collect()
    };
    // Peers for a benchmark: the dimension's real values; records without a value
    // (`(none)`: contacts without an account, say) are not a segment to learn from.
    let peers_of = |dim: usize| -> Vec<usize> {
        slots_of(dim)
            .into_iter()
            .filter(|&i| slots.of[i - 1].1 != NONE)
            .collect()
    };
    let slot_label = |slot: usize| -> String {
        let (d, v) = slots.of[slot - 1];
        format!("{}={}", d.name(), s.names.name(v))
    };

    // Judges one link in one slot (0 = the whole chain).
    struct Judged {
        current: f64,
        low: f64,
        high: f64,
        benchmark: Option<(f64, BenchmarkSource)>,
        volume: u64,
        at_stake: f64,
        reported: bool,
    }
    // The benchmark of one slice: within each account segment, the best quartile of the
    // dimension's values in that segment; mixed by the slice's own segment mix.
    let slice_benchmark = |cells: &[Rate], slot: usize| -> Option<f64> {
        let (dim, _) = slots.of[slot - 1];
        let d = Dim::ALL.iter().position(|x| *x == dim).expect("dimension");
        let siblings = peers_of(d);
        if d == SEGMENT {
            let groups: Vec<Rate> = siblings.iter().map(|&i| total(cells, i)).collect();
            return quartile_boundary(&groups, q.min_volume);
        }
        let (mut weighted, mut n) = (0.0, 0.0);
        for g in 0..strata {
            let own = cells[slot * strata + g];
            if own.n == 0 {
                continue;
            }
            let groups: Vec<Rate> = siblings.iter().map(|&i| cells[i * strata + g]).collect();
            let pooled = {
                let (n, k) = groups
                    .iter()
                    .fold((0u64, 0u64), |a, r| (a.0 + r.n, a.1 + r.k));
                (n > 0).then(|| k as f64 / n as f64)
            };
            // Without enough values in a segment to rank, the segment's pooled rate.
            let Some(b) = quartile_boundary(&groups, q.min_volume).or(pooled) else {
                continue;
            };
            weighted += b * own.n as f64;
            n += own.n as f64;
        }
        ratio(weighted, n)
    };
    // The whole chain is one comparison; a slice is one of the values of its dimension
    // compared at once, so the interval a finding is decided on is widened for their
    // number (Bonferroni): the chance that any value of a dimension is reported by noise
    // alone stays the chance for one. The interval shown stays the 90% one.
    let z_of = |slot: usize| -> f64 {
        if slot == 0 {
            return Z90;
        }
        let (dim, _) = slots.of[slot - 1];
        let d = Dim::ALL.iter().position(|x| *x == dim).expect("dimension");
        crate::stats::z_for_comparisons(peers_of(d).len())
    };
    // A counted share: its value, Wilson's interval at `z` and its cases.
    let counted = |_slot: usize, r: Rate, z: f64| -> Option<(f64, f64, f64, u64)> {
        let (low, high) = wilson(r.k, r.n, z)?;
        Some((r.value()?, low, high, r.n))
    };
    let judge_rate = |cells: &[Rate],
                      months: &[Rate],
                      slot: usize,
                      kind: LinkKind,
                      goal: Option<f64>,
                      value_of_gap: &dyn Fn(f64, f64, u64) -> f64,
                      estimate: &dyn Fn(usize, Rate, f64) -> Option<(f64, f64, f64, u64)>|
     -> Option<Judged> {
        let r = total(cells, slot);
        // Shown: the 90% interval. Decided on: the interval widened for the number of
        // values of the slice's dimension compared at once.
        let (current, low, high, volume) = estimate(slot, r, Z90)?;
        let (_, _, decisive_high, _) = estimate(slot, r, z_of(slot))?;
        let benchmark = if let Some(g) = goal {
            Some((g, BenchmarkSource::Target))
        } else if slot == 0 {
            let a = best_pooled(months, 3, true).map(|b| (b, BenchmarkSource::BestMonths));
            let groups: Vec<Rate> = peers_of(SEGMENT).iter().map(|&i| total(cells, i)).collect();
            let take = groups.iter().filter(|g| g.n > 0).count().div_ceil(4).max(1);
            let b = if groups.iter().filter(|g| g.n >= q.min_volume).count() >= 2 {
                best_pooled(&groups, take, true).map(|b| (b, BenchmarkSource::BestSegments))
            } else {
                None
            };
            [a, b]
                .into_iter()
                .flatten()
                .max_by(|x, y| x.0.total_cmp(&y.0))
        } else {
            let (dim, _) = slots.of[slot - 1];
            slice_benchmark(cells, slot).map(|b| {
                let how = if dim == Dim::Segment {
                    BenchmarkSource::BestSegments
                } else {
                    BenchmarkSource::BestValuesBySegment(dim.name())
                };
                (b, how)
            })
        };
        let mut j = Judged {
            current,
            low,
            high,
            benchmark,
            volume,
            at_stake: 0.0,
            reported: false,
        };
        if let Some((b, _)) = benchmark
            && b > current
        {
            j.at_stake = value_of_gap(b, current, volume);
            // Material even at the optimistic end of the interval.
            let high = decisive_high;
            let material = match kind {
                LinkKind::Retention => (b - high) / (1.0 - b).max(1e-9) >= q.min_gap,
                _ => (b - high) / b >= q.min_gap,
            };
            j.reported = b > high && material && volume >= q.min_volume;
        }
        Some(j)
    };

    let drill = |cells: &[Rate], bench: f64| -> Vec<DrillDown> {
        let rates: Vec<Rate> = (0..slots.count()).map(|i| total(cells, i)).collect();
        let mut out = Vec::new();
        for (d, dim) in Dim::ALL.iter().enumerate() {
            let candidates = slots_of(d);
            let total: f64 = candidates
                .iter()
                .map(|&i| rates[i].n as f64 * (bench - rates[i].value().unwrap_or(bench)).max(0.0))
                .sum();
            if let Some(&best) = candidates
                .iter()
                .filter(|&&i| rates[i].n >= q.min_volume)
                .max_by(|&&a, &&b| {
                    let gap =
                        |i: usize| rates[i].n as f64 * (bench - rates[i].value().unwrap_or(bench));
                    gap(a).total_cmp(&gap(b))
                })
            {
                let r = rates[best];
                let gap = r.n as f64 * (bench - r.value().unwrap_or(bench)).max(0.0);
                if gap > 0.0 && total > 0.0 {
                    out.push(DrillDown {
                        dimension: dim.name(),
                        value: s.names.name(slots.of[best - 1].1).to_string(),
                        current: r.value(),
                        volume: r.n,
                        share_of_gap: gap / total,
                    });
                }
            }
        }
        out.sort_by(|a, b| b.share_of_gap.total_cmp(&a.share_of_gap));
        out
    };

    let record = |link: Link,
                  kind: LinkKind,
                  slot: usize,
                  j: &Judged,
                  evidence: Evidence,
                  drill_down: Vec<DrillDown>,
                  conversions_lost: Option<f64>,
                  findings: &mut Vec<Finding>,
                  links: &mut Vec<LinkRow>| {
        if slot == 0 {
            links.push(LinkRow {
                link: link.clone(),
                kind,
                current: Some(j.current),
                current_low: Some(j.low),
                current_high: Some(j.high),
                benchmark: j.benchmark.as_ref().map(|b| b.0),
                benchmark_source: j.benchmark.as_ref().map(|b| b.1),
                volume: j.volume,
                revenue_at_stake: j.at_stake,
                reported: j.reported,
            });
        }
        if j.reported
            && let Some((b, source)) = &j.benchmark
        {
            findings.push(Finding {
                link,
                kind,
                segment: (slot > 0).then(|| slot_label(slot)),
                current: j.current,
                current_low: j.low,
                current_high: j.high,
                benchmark: *b,
                benchmark_source: *source,
                revenue_at_stake: j.at_stake,
                conversions_lost,
                volume: j.volume,
                evidence: evidence.english(),
                facts: evidence,
                drill_down,
            });
        }
    };

    let all_slots: Vec<usize> = (0..slots.count()).collect();
    // Step conversions.
    for st in 0..steps {
        let (from, to) = (&s.stages[st], &s.stages[st + 1]);
        let link = Link::Conversion {
            from: from.clone(),
            to: to.clone(),
        };
        let goal = scope_target(s, scope, &link.to_string(), w, crate::window::Combine::Mean);
        for &slot in &all_slots {
            let gap_value = |b: f64, cur: f64, n: u64| {
                (b - cur) * n as f64 * downstream(st) * value * per_period
            };
            let Some(j) = judge_rate(
                &acc.conv[st],
                &acc.conv_month[st],
                slot,
                LinkKind::Conversion,
                if slot == 0 { goal } else { None },
                &gap_value,
                &counted,
            ) else {
                continue;
            };
            let evidence = Evidence::Conversion {
                from: from.clone(),
                to: to.clone(),
                slice: (slot > 0).then(|| slot_label(slot)),
                entered: j.volume,
                reached: total(&acc.conv[st], slot).k,
                within_days: q.maturity_days,
                rate: j.current,
                low: j.low,
                high: j.high,
                benchmark: j.benchmark.as_ref().map(|b| b.0),
                source: j.benchmark.as_ref().map(|b| b.1),
                more: j
                    .benchmark
                    .as_ref()
                    .map_or(0.0, |b| (b.0 - j.current) * j.volume as f64 * per_period),
                revenue: (won_n > 0).then_some(j.at_stake),
                currency: s.currency.code().to_string(),
            };
            let dd = if slot == 0 && j.reported {
                drill(&acc.conv[st], j.benchmark.as_ref().map_or(0.0, |b| b.0))
            } else {
                Vec::new()
            };
            let lost = j.benchmark.as_ref().map(|b| {
                ((b.0 - j.current) * j.volume as f64 * downstream(st) * per_period).max(0.0)
            });
            record(
                link.clone(),
                LinkKind::Conversion,
                slot,
                &j,
                evidence,
                dd,
                lost,
                &mut findings,
                &mut links,
            );
        }
    }

    // Stage times: the median days from the stage before, lower is better.
    for st in 0..steps {
        let (from, to) = (&s.stages[st], &s.stages[st + 1]);
        let link = Link::StageTime { stage: to.clone() };
        // Stage times are judged for the whole chain only: how long a stage takes
        // depends on the deal (an enterprise cycle is longer), so slices are not
        // comparable without a model of that.
        for &slot in &[0usize] {
            let h = &acc.dwell[st][slot];
            let Some((low, median, high)) = median_ci(h) else {
                continue;
            };
            let n = hist_count(h);
            let benchmark = if slot == 0 {
                // The fastest 3 of the last 12 months, their histograms pooled.
                let mut months: Vec<(f64, usize)> = acc.dwell_month[st]
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| hist_count(m) >= q.min_volume)
                    .filter_map(|(i, m)| median_ci(m).map(|x| (x.1, i)))
                    .collect();
                months.sort_by(|a, b| a.0.total_cmp(&b.0));
                let mut pooled = vec![0u32; BINS];
                for &(_, i) in months.iter().take(3) {
                    pooled
                        .iter_mut()
                        .zip(&acc.dwell_month[st][i])
                        .for_each(|(a, b)| *a += b);
                }
                (months.len() >= 3)
                    .then(|| median_ci(&pooled).map(|x| (x.1, BenchmarkSource::BestMonths)))
                    .flatten()
            } else {
                let (dim, _) = slots.of[slot - 1];
                let d = Dim::ALL.iter().position(|x| *x == dim).expect("dimension");
                let mut medians: Vec<f64> = slots_of(d)
                    .iter()
                    .filter(|&&i| hist_count(&acc.dwell[st][i]) >= q.min_volume)
                    .filter_map(|&i| median_ci(&acc.dwell[st][i]).map(|x| x.1))
                    .collect();
                medians.sort_by(f64::total_cmp);
                (medians.len() >= 4)
                    .then(|| crate::stats::percentile_cont(&medians, 0.25))
                    .flatten()
                    .map(|b| (b, BenchmarkSource::BestValues(dim.name())))
            };
            let converted_value = n as f64 * downstream(st) * value * per_period;
            let mut j = Judged {
                current: median,
                low,
                high,
                benchmark,
                volume: n,
                at_stake: 0.0,
                reported: false,
            };
            if let Some((b, _)) = &benchmark
                && *b < median
            {
                // Revenue that would have landed within the period at the benchmark pace.
                j.at_stake = converted_value * ((median - b) / period_days).min(1.0);
                j.reported =
                    *b < low && (median - b) / b.max(BIN_DAYS) >= q.min_gap && n >= q.min_volume;
            }
            let evidence = Evidence::StageTime {
                from: from.clone(),
                to: to.clone(),
                slice: (slot > 0).then(|| slot_label(slot)),
                median_days: median,
                low,
                high,
                benchmark: benchmark.as_ref().map(|b| b.0),
                source: benchmark.as_ref().map(|b| b.1),
                revenue: j.at_stake,
                currency: s.currency.code().to_string(),
            };
            record(
                link.clone(),
                LinkKind::StageTime,
                slot,
                &j,
                evidence,
                Vec::new(),
                None,
                &mut findings,
                &mut links,
            );
        }
    }

    // The marketing-to-sales handoff: the share of MQLs answered within the SLA.
    if let Some(m) = s.stage_index("mql") {
        let gain = (acc.within_next.value().unwrap_or(0.0) - acc.late_next.value().unwrap_or(0.0))
            .max(0.0);
        let after_next = if m + 1 < steps {
            downstream(m + 1)
        } else {
            1.0
        };
        for &slot in &all_slots {
            let gap_value =
                |b: f64, cur: f64, n: u64| (b - cur) * n as f64 * gain * after_next * value;
            let Some(j) = judge_rate(
                &acc.handoff,
                &acc.handoff_month,
                slot,
                LinkKind::Handoff,
                None,
                &gap_value,
                &counted,
            ) else {
                continue;
            };
            let evidence = Evidence::Handoff {
                slice: (slot > 0).then(|| slot_label(slot)),
                rate: j.current,
                mqls: j.volume,
                sla_hours: s.sla_hours,
                low: j.low,
                high: j.high,
                benchmark: j.benchmark.as_ref().map(|b| b.0),
                source: j.benchmark.as_ref().map(|b| b.1),
                next_stage: s.stages.get(m + 1).cloned(),
                within: acc.within_next.value(),
                late: acc.late_next.value(),
            };
            let dd = if slot == 0 && j.reported {
                drill(&acc.handoff, j.benchmark.as_ref().map_or(0.0, |b| b.0))
            } else {
                Vec::new()
            };
            record(
                Link::Handoff,
                LinkKind::Handoff,
                slot,
                &j,
                evidence,
                dd,
                None,
                &mut findings,
                &mut links,
            );
        }
    }

    // Retention: revenue kept month over month (GRR), judged on its own ratio estimate;
    // months and segments enter the benchmarks through their effective counts.
    let retention_rates: Vec<Rate> = acc.retention.iter().map(Kept::as_rate).collect();
    let retention_total = |slot: usize| -> Kept {
        let mut k = Kept::default();
        for g in 0..strata {
            k.merge(&acc.retention[slot * strata + g]);
        }
        k
    };
    let month_rates: Vec<Rate> = acc.retention_month.iter().map(Kept::as_rate).collect();
    let grr_of = |slot: usize, _: Rate, z: f64| -> Option<(f64, f64, f64, u64)> {
        let kept = retention_total(slot);
        let (r, low, high) = kept.interval(z)?;
        Some((r, low, high, kept.units))
    };
    let service = service_evidence(s, scope, w);
    for &slot in &all_slots {
        let kept = retention_total(slot);
        let base = major(s, kept.before as f64);
        let gap_value = |b: f64, cur: f64, _n: u64| (b - cur) * base;
        let Some(j) = judge_rate(
            &retention_rates,
            &month_rates,
            slot,
            LinkKind::Retention,
            None,
            &gap_value,
            &grr_of,
        ) else {
            continue;
        };
        let evidence = Evidence::Retention {
            slice: (slot > 0).then(|| slot_label(slot)),
            grr: j.current,
            low: j.low,
            high: j.high,
            logo_retention: kept.logo_retention(),
            benchmark: j.benchmark.as_ref().map(|b| b.0),
            source: j.benchmark.as_ref().map(|b| b.1),
            lost: j.at_stake,
            currency: s.currency.code().to_string(),
            service: service.clone(),
        };
        let dd = if slot == 0 && j.reported {
            drill(&retention_rates, j.benchmark.as_ref().map_or(0.0, |b| b.0))
        } else {
            Vec::new()
        };
        record(
            Link::Retention,
            LinkKind::Retention,
            slot,
            &j,
            evidence,
            dd,
            None,
            &mut findings,
            &mut links,
        );
    }

    // Nothing has a price (no won deal with an amount, no revenue at stake): rank by
    // the conversions lost instead, and say so.
    let priced = findings.iter().any(|f| f.revenue_at_stake > 0.0);
    let by_conversions = !priced
        && findings
            .iter()
            .any(|f| f.conversions_lost.is_some_and(|c| c > 0.0));
    if by_conversions {
        findings.sort_by(|a, b| {
            b.conversions_lost
                .unwrap_or(0.0)
                .total_cmp(&a.conversions_lost.unwrap_or(0.0))
        });
    } else {
        findings.sort_by(|a, b| b.revenue_at_stake.total_cmp(&a.revenue_at_stake));
    }
    // One finding per link and family of dimensions: a channel, the campaigns in it and
    // the first touches that mostly coincide with it are one story, told by its largest
    // slice; the others stay visible in the link table and the drill-down.
    let family = |segment: &Option<String>| -> String {
        match segment
            .as_deref()
            .and_then(|x| x.split_once('='))
            .map(|x| x.0)
        {
            Some("channel" | "first_touch_channel" | "campaign") => "acquisition".into(),
            Some(other) => other.to_string(),
            None => String::new(),
        }
    };
    let mut seen = std::collections::HashSet::new();
    findings.retain(|f| seen.insert((f.link.clone(), family(&f.segment))));
    links.sort_by(|a, b| b.revenue_at_stake.total_cmp(&a.revenue_at_stake));
    let what_if = q.what_if.as_ref().map(|(link, rate)| {
        let current = links
            .iter()
            .find(|l| l.link == link.as_str())
            .and_then(|l| l.current);
        let handoff_n = total(&acc.handoff, 0).n as f64;
        let base = major(s, retention_total(0).before as f64);
        let gain = (acc.within_next.value().unwrap_or(0.0) - acc.late_next.value().unwrap_or(0.0))
            .max(0.0);
        // Each step's cohort, per period: what a step rate multiplies.
        let step_volumes: Vec<f64> = (0..overall.len())
            .map(|st| total(&acc.conv[st], 0).n as f64 * per_period)
            .collect();
        what_if(
            s,
            scope,
            w,
            link,
            *rate,
            current,
            (&overall, &step_volumes),
            value,
            revenue,
            (base, handoff_n, gain),
        )
    });
    BottlenecksReport {
        period: w.period(),
        as_of: w.as_of_text(),
        currency: s.currency.code().to_string(),
        revenue,
        maturity_days: q.maturity_days,
        min_gap: q.min_gap,
        ranked_by: if by_conversions { "conversions" } else { "revenue" },
        judged: links.iter().any(|l| l.volume > 0),
        reason: by_conversions.then(|| {
            "no won deal of the period has an amount: findings are ranked by the customers they lose per period, not by money".to_string()
        }),
        findings,
        links,
        what_if,
    }
}

/// How service relates to churn, month by month over the period: customers who had a
/// ticket rated 1-2 or answered after more than 24 h in the 90 days before a month,
/// against the others, and how many of each stopped paying that month.
fn service_evidence(s: &Snapshot, scope: &Scope<'_>, w: &Window) -> Option<ServiceFacts> {
    let tk = &s.tickets;
    let mut bad: std::collections::HashMap<u32, Vec<i64>> = Default::default();
    let mut categories: std::collections::BTreeMap<u32, u64> = Default::default();
    let lookback = 90 * MILLIS_PER_DAY;
    for i in 0..tk.ids.len() {
        let u = tk.unit[i];
        let opened = tk.opened_at[i];
        if u == NONE || opened == NEVER || opened < w.from - lookback || opened >= w.end() {
            continue;
        }
        let slow =
            tk.first_response_at[i] != NEVER && tk.first_response_at[i] - opened > 24 * 3_600_000;
        let poor = tk.csat[i] > 0 && tk.csat[i] <= 2;
        if slow || poor {
            bad.entry(u).or_default().push(opened);
            if w.contains(opened) {
                *categories.entry(tk.category[i]).or_default() += 1;
            }
        }
    }
    let zone = s.timezone;
    let day = |d| crate::calendar::day_start(zone, d);
    let mut month = crate::calendar::month_start(zone, w.from);
    if day(month) < w.from {
        month = month + chrono::Months::new(1);
    }
    let mut starts = vec![day(month - chrono::Months::new(1))];
    while day(month) < w.end() {
        starts.push(day(month));
        month = month + chrono::Months::new(1);
    }
    starts.push(day(month));
    let windows: Vec<(i64, i64)> = starts.windows(2).map(|p| (p[0], p[1])).collect();
    let mut churn = [Rate::default(); 2];
    for_each_unit(s, scope, &Part::whole(s), &windows, |u, v| {
        let tickets = bad.get(&u);
        for j in 1..v.len() {
            if v[j - 1] <= 0 || windows[j].0 >= w.end() {
                continue;
            }
            let start = windows[j].0;
            let hit =
                tickets.is_some_and(|t| t.iter().any(|&o| o >= start - lookback && o < start));
            churn[usize::from(hit)].add(v[j] <= 0);
        }
    });
    let (Some(b), Some(g)) = (churn[1].value(), churn[0].value()) else {
        return None;
    };
    if churn[1].n < 10 {
        return None;
    }
    let top = categories
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(c, _)| s.names.name(*c).to_string())
        .unwrap_or_default();
    Some(ServiceFacts {
        churn_after_poor_service: b,
        months_after_poor_service: churn[1].n,
        churn_otherwise: g,
        top_category: top,
    })
}

/// The what-if of one link: the period's revenue through the link's own effect, and the
/// plan's one reverse funnel (forecast.rs) for the same period before and after.
#[allow(clippy::too_many_arguments)]
fn what_if(
    s: &Snapshot,
    scope: &Scope<'_>,
    w: &Window,
    link: &str,
    rate: f64,
    current: Option<f64>,
    (overall, step_volumes): (&[f64], &[f64]),
    value: f64,
    revenue: f64,
    (retention_base, handoff_n, handoff_gain): (f64, f64, f64),
) -> WhatIf {
    // Without a revenue target, the plan is for the period's own revenue.
    let has_target = scope_target(s, scope, "revenue", w, crate::window::Combine::Sum).is_some();
    let options = crate::forecast::ForecastOptions {
        target: (!has_target).then_some(revenue),
    };
    let plan = crate::forecast::forecast(s, scope, w, options);
    // A period that is over has nothing left to win: its entries are those the whole
    // target needed.
    let finished = w.as_of >= w.to;
    let mut lifted = plan.plan.clone();
    let mut revenue_after = revenue;
    let lift = current.map_or(0.0, |c| rate - c);
    if let Some(st) = (0..overall.len())
        .find(|&st| link == format!("conversion:{}->{}", s.stages[st], s.stages[st + 1]))
    {
        // Only new business flows through the funnel: the step's extra conversions, as
        // far as they go on to become customers, at the average value (the same sum as a
        // finding's revenue at stake), not the whole revenue scaled by the rate ratio.
        let downstream: f64 = overall[st + 1..].iter().product();
        revenue_after = revenue
            + (rate - overall[st])
                * step_volumes.get(st).copied().unwrap_or(0.0)
                * downstream
                * value;
        if let Some(step) = lifted.steps.get_mut(st + 1) {
            *step = Some(rate);
        }
    } else if link == "retention" {
        // A larger base: more of the recurring revenue stays, month after month.
        revenue_after = revenue + lift * retention_base;
        lifted.monthly_grr = Some(rate);
    } else if link == "handoff" {
        // More leads answered in time: more of them go on to the next stage.
        let m = s.stage_index("mql").unwrap_or(0);
        let after: f64 = overall.get(m + 2..).map_or(1.0, |x| x.iter().product());
        revenue_after = revenue + lift * handoff_n * handoff_gain * after * value;
        if let Some(Some(step)) = lifted.steps.get_mut(m + 1) {
            *step = (*step + lift * handoff_gain).clamp(0.0, 1.0);
        }
    }
    let count = |inputs: &crate::forecast::PlanInputs| -> Vec<f64> {
        inputs
            .reverse_funnel(&s.stages, &[])
            .iter()
            .map(|r| {
                if finished {
                    r.required_for_target
                } else {
                    r.required
                }
                .unwrap_or(0.0)
            })
            .collect()
    };
    WhatIf {
        link: link.to_string(),
        current,
        rate,
        revenue_before: revenue,
        revenue_after,
        required_before: count(&plan.plan),
        required_after: count(&lifted),
        unchanged: (finished && link == "retention").then_some(Unchanged::PeriodOver),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinkage_pulls_small_noisy_groups_to_the_pool() {
        // Equal true rates: the spread is no more than sampling noise, so every group
        // shrinks to the pooled 50%.
        let same = [
            Rate { n: 100, k: 55 },
            Rate { n: 100, k: 45 },
            Rate { n: 100, k: 50 },
        ];
        for r in shrink(&same) {
            assert!((r.unwrap() - 0.5).abs() < 1e-12);
        }
        // Real differences survive: 90% and 10% on 1,000 each stay far apart.
        let apart = shrink(&[Rate { n: 1000, k: 900 }, Rate { n: 1000, k: 100 }]);
        assert!(apart[0].unwrap() > 0.89 && apart[1].unwrap() < 0.11);
        // The best two pooled: (0.9 x 1000 + 0.1 x 1000) / 2000 without shrinkage.
        let best = best_pooled(
            &[Rate { n: 1000, k: 900 }, Rate { n: 1000, k: 100 }],
            1,
            true,
        );
        assert!((best.unwrap() - apart[0].unwrap()).abs() < 1e-12);
    }

    #[test]
    fn median_interval_from_order_statistics() {
        // 101 values 0, 0.25, ..., 25 days: median 12.5; with z = 1.645 the interval
        // ranks are floor(50.5 - 8.27) = 42 and ceil(50.5 + 8.27) = 59.
        let mut h = Vec::new();
        for i in 0..101 {
            hist_add(&mut h, i as f64 * BIN_DAYS);
        }
        let (lo, median, hi) = median_ci(&h).unwrap();
        assert_eq!(median, 50.5 * BIN_DAYS);
        assert_eq!(lo, 42.5 * BIN_DAYS);
        assert_eq!(hi, 59.5 * BIN_DAYS);
        assert_eq!(median_ci(&[]), None);
    }

    #[test]
    fn the_quartile_boundary_needs_four_peers_with_volume() {
        let g = |k| Rate { n: 1000, k };
        assert_eq!(quartile_boundary(&[g(100), g(200), g(300)], 30), None);
        let b =
            quartile_boundary(&[g(100), g(200), g(300), g(400), Rate { n: 5, k: 5 }], 30).unwrap();
        // Shrunk only a little at n = 1000; the 75th percentile of 4 lies between the
        // third and fourth.
        assert!(b > 0.3 && b < 0.4, "{b}");
    }
}
