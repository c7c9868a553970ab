//! The funnel report, cohort view (metrics.md "Funnel"): the contacts that entered the
//! first stage in the period, how many of them reached each later stage by the as-of
//! time, step and cumulative conversion with 90% Wilson intervals, and the days from
//! the previous stage (median and 90th percentile).

use crate::slice::Scope;
use crate::snapshot::{NEVER, Snapshot};
use crate::stats::{Z90, percentile_cont, wilson};
use rayon::prelude::*;
use revline_core::Millis;
use revline_core::time::{MILLIS_PER_DAY, format_timestamp};
use serde::{Deserialize, Serialize};

/// What to compute.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FunnelQuery {
    /// The cohort entered the first stage in [from, to).
    pub from: Millis,
    pub to: Millis,
    pub as_of: Millis,
    /// Count a stage only when reached within this many days of the first stage.
    pub window_days: Option<f64>,
    pub view: View,
}

/// Which entries count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum View {
    /// Contacts that entered the first stage in the period, followed to the as-of time.
    Cohort,
    /// Stage entries whose time falls in the period, whoever made them.
    Flow,
}

/// Counts from one shard of contacts; shards merge by adding counts and joining the
/// lists of durations, so any split gives the same report.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FunnelPartial {
    pub reached: Vec<u64>,
    /// Of `reached`, entries implied by a later stage (the stage was never recorded).
    pub implied: Vec<u64>,
    pub rework: Vec<u64>,
    /// Days from the previous stage, per stage, of the members that reached it.
    pub days: Vec<Vec<f64>>,
}

impl FunnelPartial {
    pub fn empty(stages: usize) -> FunnelPartial {
        FunnelPartial {
            reached: vec![0; stages],
            implied: vec![0; stages],
            rework: vec![0; stages],
            days: vec![Vec::new(); stages],
        }
    }

    pub fn merge(mut self, other: FunnelPartial) -> FunnelPartial {
        if self.reached.is_empty() {
            return other;
        }
        for (k, other_days) in other.days.into_iter().enumerate() {
            self.reached[k] += other.reached[k];
            self.implied[k] += other.implied[k];
            self.rework[k] += other.rework[k];
            self.days[k].extend(other_days);
        }
        self
    }
}

/// Calls `f(stage, entered_at)` for every stage at which contact `c` counts in the
/// funnel of `query`: the one definition behind the counts and the members lists.
fn each_count(snapshot: &Snapshot, query: &FunnelQuery, c: usize, mut f: impl FnMut(usize, i64)) {
    let k = snapshot.stages.len();
    let row = snapshot.entered_row(c);
    if query.view == View::Flow {
        let end = query.to.min(query.as_of.saturating_add(1));
        for s in 0..k {
            let t = row[s];
            if t != NEVER && t >= query.from && t < end {
                f(s, t);
            }
        }
        return;
    }
    let start = row[0];
    if start == NEVER || start < query.from || start >= query.to || start > query.as_of {
        return;
    }
    let window = query
        .window_days
        .map(|d| (d * MILLIS_PER_DAY as f64) as i64);
    for s in 0..k {
        let t = row[s];
        let within = window.is_none_or(|w| t.saturating_sub(start) <= w);
        if t == NEVER || t > query.as_of || !within {
            break;
        }
        f(s, t);
    }
}

/// The counts of contacts `range` of the snapshot.
pub fn partial(
    snapshot: &Snapshot,
    query: &FunnelQuery,
    scope: &Scope<'_>,
    range: std::ops::Range<usize>,
) -> FunnelPartial {
    let k = snapshot.stages.len();
    let mut out = FunnelPartial::empty(k);
    for c in range {
        if !scope.contact(c) {
            continue;
        }
        let row = snapshot.entered_row(c);
        let rework = snapshot.rework_row(c);
        let implied = &snapshot.implied[c * k..(c + 1) * k];
        each_count(snapshot, query, c, |s, t| {
            out.reached[s] += 1;
            out.implied[s] += u64::from(implied[s]);
            out.rework[s] += u64::from(rework[s]);
            if s > 0 {
                out.days[s].push((t - row[s - 1]) as f64 / MILLIS_PER_DAY as f64);
            }
        });
    }
    out
}

/// The contacts counted at `stage` (an index of the funnel) with the instant each
/// entered it, in contact order: exactly the people behind that stage's `reached`.
pub fn members(
    snapshot: &Snapshot,
    query: &FunnelQuery,
    scope: &Scope<'_>,
    stage: usize,
) -> Vec<(usize, i64)> {
    let mut out = Vec::new();
    for c in 0..snapshot.contacts() {
        if !scope.contact(c) {
            continue;
        }
        each_count(snapshot, query, c, |s, t| {
            if s == stage {
                out.push((c, t));
            }
        });
    }
    out
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Period {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageRow {
    pub stage: String,
    pub reached: u64,
    pub step_conversion: Option<f64>,
    pub step_conversion_low: Option<f64>,
    pub step_conversion_high: Option<f64>,
    pub cumulative_conversion: Option<f64>,
    pub cumulative_conversion_low: Option<f64>,
    pub cumulative_conversion_high: Option<f64>,
    pub median_days_from_previous: Option<f64>,
    pub p90_days_from_previous: Option<f64>,
    /// Stage rows recorded after the contact had entered a later stage.
    pub rework: u64,
    /// Of `reached`, the entries implied by a later stage: a stage nobody recorded (a
    /// revenue-only workspace has every stage implied by the first payment).
    pub implied: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunnelReport {
    pub period: Period,
    pub as_of: String,
    pub view: View,
    pub window_days: Option<f64>,
    pub stages: Vec<StageRow>,
}

/// Turns merged counts into the report.
pub fn finish(stages: &[String], query: &FunnelQuery, mut counts: FunnelPartial) -> FunnelReport {
    if counts.reached.is_empty() {
        counts = FunnelPartial::empty(stages.len());
    }
    let first = counts.reached.first().copied().unwrap_or(0);
    let rows = stages
        .iter()
        .enumerate()
        .map(|(s, name)| {
            let reached = counts.reached[s];
            let previous = if s == 0 {
                None
            } else {
                Some(counts.reached[s - 1])
            };
            let ratio = |n: Option<u64>| n.filter(|n| *n > 0).map(|n| reached as f64 / n as f64);
            let step = ratio(previous);
            let step_ci = previous
                .filter(|n| reached <= *n)
                .and_then(|n| wilson(reached, n, Z90));
            let cumulative = if s == 0 { None } else { ratio(Some(first)) };
            let cumulative_ci = if s == 0 || reached > first {
                None
            } else {
                wilson(reached, first, Z90)
            };
            let days = &mut counts.days[s];
            days.sort_by(f64::total_cmp);
            StageRow {
                stage: name.clone(),
                reached,
                step_conversion: step,
                step_conversion_low: step_ci.map(|c| c.0),
                step_conversion_high: step_ci.map(|c| c.1),
                cumulative_conversion: cumulative,
                cumulative_conversion_low: cumulative_ci.map(|c| c.0),
                cumulative_conversion_high: cumulative_ci.map(|c| c.1),
                median_days_from_previous: percentile_cont(days, 0.5),
                p90_days_from_previous: percentile_cont(days, 0.9),
                rework: counts.rework[s],
                implied: counts.implied[s],
            }
        })
        .collect();
    FunnelReport {
        period: Period {
            from: format_timestamp(query.from),
            to: format_timestamp(query.to),
        },
        as_of: format_timestamp(query.as_of),
        view: query.view,
        window_days: query.window_days,
        stages: rows,
    }
}

/// The whole report, with the contacts split into shards counted in parallel.
pub fn funnel(snapshot: &Snapshot, query: &FunnelQuery) -> FunnelReport {
    funnel_in(snapshot, query, &Scope::ALL)
}

/// The report over the contacts of one scope.
pub fn funnel_in(snapshot: &Snapshot, query: &FunnelQuery, scope: &Scope<'_>) -> FunnelReport {
    finish(&snapshot.stages, query, counts(snapshot, query, scope))
}

/// The counts of every contact of the snapshot in one scope, ranges of contacts counted
/// in parallel.
pub fn counts(snapshot: &Snapshot, query: &FunnelQuery, scope: &Scope<'_>) -> FunnelPartial {
    const SHARD: usize = 64 * 1024;
    let shards: Vec<std::ops::Range<usize>> = (0..snapshot.contacts())
        .step_by(SHARD)
        .map(|s| s..(s + SHARD).min(snapshot.contacts()))
        .collect();
    shards
        .into_par_iter()
        .map(|r| partial(snapshot, query, scope, r))
        .reduce(
            || FunnelPartial::empty(snapshot.stages.len()),
            FunnelPartial::merge,
        )
}
