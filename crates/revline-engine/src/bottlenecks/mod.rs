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

mod cells;

pub use cells::{BottleneckPartial, finish_shards, shard_partial};

use crate::funnel::Period;
use crate::link::{BenchmarkSource, Link, LinkKind};
use crate::part::{Part, map_merge, parts};
use crate::scorecard::{for_each_unit, ratio};
use crate::slice::{Dim, Scope};
use crate::snapshot::{DealStatus, NEVER, NONE, Snapshot};
use crate::stats::{Z90, wilson};
use crate::window::{Window, major, target};
use cells::{Acc, Kept, Layout, Rate, Slots, collect};
use revline_core::time::MILLIS_PER_DAY;
use serde::Serialize;

/// Width of a stage-time histogram bin, in days, and the longest time kept.
const BIN_DAYS: f64 = 0.25;
const BINS: usize = 1461;
const MONTHS: usize = 12;
const MONTH_MS: i64 = (MILLIS_PER_DAY as f64 * 365.25 / 12.0) as i64;
/// Index of the account segment among `Dim::ALL`.
const SEGMENT: usize = 3;

#[derive(Debug, Clone, PartialEq, serde::Deserialize, Serialize)]
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
    let slots = Slots::new(s);
    let steps = s.stages.len().saturating_sub(1);
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
    // The what-if's plan runs on the funnel's rates (forecast.rs).
    let rates = q
        .what_if
        .is_some()
        .then(|| crate::funnel::funnel_in(s, &crate::forecast::rates_funnel(s, &q.window), scope));
    let whole = Counted {
        parts: parts(s),
        units: s.units(),
    };
    judge(s, scope, q, &slots.layout, acc, &whole, rates)
}

/// Where the shared tables' rows are counted from: the parts of the snapshot (or of the
/// shared tables alone, on a cluster's client) and the workspace's customer units.
struct Counted {
    parts: Vec<Part>,
    units: usize,
}

impl Counted {
    fn whole(&self, s: &Snapshot) -> Part {
        Part::split_units(s, 1, self.units).pop().expect("one part")
    }
}

/// The report of the links' counts (`acc`, laid out by `layout`): prices, benchmarks,
/// findings and the what-if, all from the shared tables and the counts. `rates` is the
/// plan's rates funnel, needed only for a what-if.
fn judge(
    s: &Snapshot,
    scope: &Scope<'_>,
    q: &BottleneckQuery,
    slots: &Layout,
    acc: Acc,
    rows: &Counted,
    rates: Option<crate::funnel::FunnelReport>,
) -> BottlenecksReport {
    let w = &q.window;
    let steps = s.stages.len().saturating_sub(1);
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
    let strata = slots.strata();
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
        crate::scorecard::revenue_in(s, scope, &rows.whole(s), w.from, w.end()) as f64,
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
    let service = service_evidence(s, scope, w, &rows.whole(s));
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
    let what_if = q.what_if.as_ref().zip(rates).map(|((link, rate), rates)| {
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
            (&rows.parts, rates),
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
fn service_evidence(
    s: &Snapshot,
    scope: &Scope<'_>,
    w: &Window,
    whole: &Part,
) -> Option<ServiceFacts> {
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
    for_each_unit(s, scope, whole, &windows, |u, v| {
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
    (parts, rates): (&[Part], crate::funnel::FunnelReport),
) -> WhatIf {
    // Without a revenue target, the plan is for the period's own revenue.
    let has_target = scope_target(s, scope, "revenue", w, crate::window::Combine::Sum).is_some();
    let options = crate::forecast::ForecastOptions {
        target: (!has_target).then_some(revenue),
    };
    let plan = crate::forecast::forecast_with(s, scope, w, options, parts, rates);
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
    use super::cells::hist_add;
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
