//! The score threshold both teams agree on: the cut that passes sales as many leads
//! a month as it takes on (its SQLs per month at the current rate), the best-scored
//! first, so that the leads passed have the highest expected conversion; and what that
//! cut would have done to last quarter's leads next to the MQL stage as it was.

use crate::calendar::{add_months, date_of, day_start, first_of_month, named_period};
use crate::scores::{Lead, LeadsPartial, ScoresQuery};
use crate::snapshot::{NEVER, Snapshot};
use revline_core::Millis;
use revline_core::time::format_timestamp;
use serde::Serialize;

/// The whole months the current rates are measured over.
const RATE_MONTHS: i32 = 3;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Span {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Threshold {
    /// Leads scoring at least this go to sales; null when there were no leads to rank
    /// or no capacity.
    pub score: Option<f64>,
    /// Leads sales takes on per month: the given capacity, or the `capacity_stage`
    /// entries per month over `measured`.
    pub capacity_per_month: f64,
    pub capacity_given: bool,
    pub capacity_stage: String,
    /// The whole months the rates are measured over: the three before the month the
    /// scored period ends in (or the as-of month, if sooner).
    pub measured: Span,
    pub leads_per_month: f64,
    /// The mean score of the leads the cut passes in `measured`: the share expected to
    /// reach the target; null when none pass.
    pub expected_conversion: Option<f64>,
    pub last_quarter: QuarterCheck,
}

/// The cut against the MQL stage on the leads of the last whole quarter before the
/// scored period's end (or the as-of time, if sooner).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuarterCheck {
    pub period: Span,
    pub mql_stage: String,
    pub leads: u64,
    /// Leads at or above the cut.
    pub passed: u64,
    /// Leads that reached the MQL stage (by the as-of time).
    pub mqls: u64,
    /// MQLs the cut would have passed too, and MQLs it would have held back.
    pub mqls_passed: u64,
    pub mqls_missed: u64,
    /// Leads the cut passes that never became MQLs.
    pub passed_not_mql: u64,
    /// Of the leads passed, and of the MQLs, how many reached the target by the as-of
    /// time.
    pub passed_reached_target: u64,
    pub mqls_reached_target: u64,
}

fn stage_or(s: &Snapshot, name: &str, fallback: usize) -> usize {
    s.stage_index(name)
        .unwrap_or(fallback.min(s.stages.len().saturating_sub(1)))
}

/// The stage the cut is checked against.
pub(crate) fn mql_stage(s: &Snapshot) -> usize {
    stage_or(s, "mql", 1)
}

fn span(a: Millis, b: Millis) -> Span {
    Span {
        from: format_timestamp(a),
        to: format_timestamp(b),
    }
}

/// The times the threshold reads: the months the rates are measured over and the last
/// whole quarter, both before the end of the scored period (or now, if sooner): a
/// period in the past is judged by the rates of its own time.
pub(crate) struct Windows {
    /// The stage whose entries measure sales' capacity.
    pub sql: usize,
    rates: (Millis, Millis),
    quarter: (Millis, Millis),
}

fn within(t: Millis, (a, b): (Millis, Millis)) -> bool {
    t != NEVER && t >= a && t < b
}

impl Windows {
    pub(crate) fn of(s: &Snapshot, q: &ScoresQuery) -> Windows {
        let zone = s.timezone;
        let end = q.to.min(q.as_of);
        let month = first_of_month(date_of(zone, end));
        let (qa, qb) = named_period(zone, "last_quarter", end).expect("a known name");
        Windows {
            sql: stage_or(s, "sql", 2),
            rates: (
                day_start(zone, add_months(month, -RATE_MONTHS)),
                day_start(zone, month),
            ),
            quarter: (day_start(zone, qa), day_start(zone, qb)),
        }
    }

    /// Whether an entry into the SQL stage at `t` counts towards the capacity.
    pub(crate) fn measures_sql(&self, t: Millis) -> bool {
        within(t, self.rates)
    }

    /// Whether the threshold reads a lead that entered at `entry`.
    pub(crate) fn reads(&self, entry: Millis) -> bool {
        within(entry, self.rates) || within(entry, self.quarter)
    }
}

/// The threshold from `leads` (every lead the windows read, and the SQL entries
/// counted in them); `score(lead)` is the model's score, `None` when the model could
/// not be trained (then nothing passes and no cut is named).
pub fn threshold(
    s: &Snapshot,
    q: &ScoresQuery,
    leads: &LeadsPartial,
    score: impl Fn(&Lead) -> Option<f64>,
) -> Threshold {
    let windows = Windows::of(s, q);
    let mql = mql_stage(s);
    let mut recent = Vec::new();
    let mut arrived = 0u64;
    for lead in leads
        .leads
        .iter()
        .filter(|l| within(l.entry, windows.rates))
    {
        arrived += 1;
        recent.extend(score(lead));
    }
    let months = f64::from(RATE_MONTHS);
    let capacity = q.capacity.unwrap_or(leads.entered_sql as f64 / months);
    recent.sort_by(|a, b| b.total_cmp(a));
    let take = ((capacity * months).round() as usize).min(recent.len());
    let cut = (take > 0).then(|| recent[take - 1]);
    let passed = &recent[..take];
    let expected = (!passed.is_empty()).then(|| passed.iter().sum::<f64>() / passed.len() as f64);

    let reached = |t: Millis| t != NEVER && t <= q.as_of;
    let mut check = QuarterCheck {
        period: span(windows.quarter.0, windows.quarter.1),
        mql_stage: s.stages[mql].clone(),
        leads: 0,
        passed: 0,
        mqls: 0,
        mqls_passed: 0,
        mqls_missed: 0,
        passed_not_mql: 0,
        passed_reached_target: 0,
        mqls_reached_target: 0,
    };
    for lead in leads
        .leads
        .iter()
        .filter(|l| within(l.entry, windows.quarter))
    {
        check.leads += 1;
        let pass = cut.is_some_and(|cut| score(lead).is_some_and(|p| p >= cut));
        let is_mql = reached(lead.mql_at);
        let won = reached(lead.target_at);
        check.passed += u64::from(pass);
        check.mqls += u64::from(is_mql);
        check.mqls_passed += u64::from(is_mql && pass);
        check.mqls_missed += u64::from(is_mql && !pass);
        check.passed_not_mql += u64::from(pass && !is_mql);
        check.passed_reached_target += u64::from(pass && won);
        check.mqls_reached_target += u64::from(is_mql && won);
    }
    Threshold {
        score: cut,
        capacity_per_month: capacity,
        capacity_given: q.capacity.is_some(),
        capacity_stage: s.stages[windows.sql].clone(),
        measured: span(windows.rates.0, windows.rates.1),
        leads_per_month: arrived as f64 / months,
        expected_conversion: expected,
        last_quarter: check,
    }
}
