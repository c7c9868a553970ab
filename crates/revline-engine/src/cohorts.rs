//! Cohorts and retention: customer units grouped by the month they were acquired (first
//! won deal or first revenue, metrics.md "new_customers"), the revenue each cohort brings
//! month by month after that, its retention against its first month, its cumulative
//! revenue per customer (cohort LTV), and the period's NRR, GRR and logo churn. Broken
//! down by acquisition channel (`--by channel`) it shows which channels bring customers
//! who stay and grow, not only customers.

use crate::calendar::{month_date, month_index, month_label};
use crate::funnel::Period;
use crate::part::{Part, map_merge, parts};
use crate::scorecard::{Missing, Retention, RetentionBasis, acquired_at, retention};
use crate::slice::Scope;
use crate::snapshot::{NEVER, NONE, Snapshot, Unconverted};
use crate::window::{Window, major};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohortRow {
    /// The acquisition month, `YYYY-MM`.
    pub cohort: String,
    pub customers: u64,
    /// Revenue of the cohort's units in month 0, 1, 2, ... after acquisition, up to the
    /// as-of month (the last one may be partial).
    pub revenue: Vec<f64>,
    /// Units with positive revenue in each month.
    pub active: Vec<u64>,
    /// MRR of the cohort's units on the last day of each month (of its elapsed part for
    /// the as-of month), when the workspace holds recurring revenue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mrr: Option<Vec<f64>>,
    /// On the MRR basis mrr[k] / mrr[0]; on the revenue basis revenue[k] / revenue[0].
    pub revenue_retention: Vec<Option<f64>>,
    /// active[k] / customers.
    pub logo_retention: Vec<Option<f64>>,
    /// Cumulative revenue per customer up to and including each month (MRR on the MRR
    /// basis).
    pub ltv: Vec<f64>,
    /// The last month is unfinished at the as-of time: its cells are to date, not churn.
    pub last_month_to_date: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohortsReport {
    pub period: Period,
    pub as_of: String,
    pub currency: String,
    pub customers: u64,
    /// The period's NRR, GRR and logo churn against the preceding period.
    pub nrr: Option<f64>,
    pub grr: Option<f64>,
    pub logo_churn: Option<f64>,
    /// What retention, NRR, GRR and logo churn were computed on.
    pub basis: RetentionBasis,
    /// Units in the base of NRR, GRR and logo churn.
    pub retention_units: u64,
    pub cohorts: Vec<CohortRow>,
    pub unconverted: Vec<Unconverted>,
    /// Why the cohorts' money and retention are no data (then each row holds its
    /// customers alone, its monthly series empty): the workspace records no revenue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<Missing>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

impl CohortsReport {
    /// Revenue per customer of the period's oldest cohort up to the as-of time: the
    /// longest-observed lifetime value the period holds (what the retention page shows
    /// per channel).
    pub fn oldest_cohort_ltv(&self) -> Option<f64> {
        self.cohorts.first()?.ltv.last().copied()
    }
}

/// One cohort's sums, month by month since acquisition.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CohortSums {
    pub customers: u64,
    pub revenue: Vec<i64>,
    pub active: Vec<u64>,
    pub mrr: Vec<i64>,
}

/// The cohorts of one part (whole customer units); parts merge by adding.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CohortsPartial {
    pub cohorts: BTreeMap<i32, CohortSums>,
    pub retention: Retention,
}

impl CohortsPartial {
    pub fn merge(mut self, o: CohortsPartial) -> CohortsPartial {
        for (m, c) in o.cohorts {
            let e = self.cohorts.entry(m).or_default();
            e.customers += c.customers;
            if e.revenue.len() < c.revenue.len() {
                e.revenue.resize(c.revenue.len(), 0);
                e.active.resize(c.active.len(), 0);
                e.mrr.resize(c.mrr.len(), 0);
            }
            for (a, b) in e.mrr.iter_mut().zip(c.mrr) {
                *a += b;
            }
            for (a, b) in e.revenue.iter_mut().zip(c.revenue) {
                *a += b;
            }
            for (a, b) in e.active.iter_mut().zip(c.active) {
                *a += b;
            }
        }
        self.retention = self.retention.merge(o.retention);
        self
    }
}

/// The last month shown: the one the as-of time falls in, unless the as-of time is that
/// month's very first instant (then nothing of it could have happened yet).
fn last_month(s: &Snapshot, w: &Window) -> i32 {
    month_index(s.timezone, w.as_of.saturating_sub(1))
}

pub fn cohorts_partial(
    s: &Snapshot,
    scope: &Scope<'_>,
    part: &Part,
    w: &Window,
    acquired: &[i64],
) -> CohortsPartial {
    let zone = s.timezone;
    let last = last_month(s, w);
    let cohort_of = |u: u32| -> Option<i32> {
        let t = acquired[u as usize];
        (t != NEVER && t >= w.from && t < w.to && scope.unit(u as usize))
            .then(|| month_index(zone, t))
            .filter(|m| *m <= last)
    };
    let mut out = CohortsPartial::default();
    let fresh = |m: i32| CohortSums {
        customers: 0,
        revenue: vec![0; (last - m + 1) as usize],
        active: vec![0; (last - m + 1) as usize],
        mrr: vec![0; (last - m + 1) as usize],
    };
    for u in part.units.clone() {
        if let Some(m) = cohort_of(u as u32) {
            out.cohorts.entry(m).or_insert_with(|| fresh(m)).customers += 1;
        }
    }
    // Revenue rows are in unit and time order: one unit-month after another.
    let rv = &s.revenue;
    let flush = |out: &mut CohortsPartial, unit: u32, month: i32, sum: i64| {
        if let Some(c) = (unit != NONE).then(|| cohort_of(unit)).flatten() {
            let e = out.cohorts.entry(c).or_insert_with(|| fresh(c));
            let k = (month - c) as usize;
            e.revenue[k] += sum;
            e.active[k] += u64::from(sum > 0);
        }
    };
    let (mut unit, mut month, mut sum) = (NONE, i32::MIN, 0i64);
    for i in part.revenue.clone() {
        // A cohort's revenue is its units' revenue, whichever deal it came through.
        let u = rv.unit[i];
        if u == NONE || rv.at[i] > w.as_of {
            continue;
        }
        let Some(c) = cohort_of(u) else {
            continue;
        };
        let m = month_index(zone, rv.at[i]);
        if m < c || m > last {
            continue;
        }
        if (u, m) != (unit, month) {
            if month != i32::MIN {
                flush(&mut out, unit, month, sum);
            }
            (unit, month, sum) = (u, m, 0);
        }
        sum += rv.amount[i];
    }
    if month != i32::MIN {
        flush(&mut out, unit, month, sum);
    }
    let basis = RetentionBasis::of(s);
    if basis == RetentionBasis::Mrr {
        // Each unit's MRR on the last day of every month from the first cohort's on.
        let first = month_index(zone, w.from);
        let as_of_day = crate::mrr::last_whole_day(s, w.as_of);
        let days: Vec<i32> = (first..=last)
            .map(|m| {
                let d = month_date(m).and_then(|d| d.checked_add_months(chrono::Months::new(1)));
                d.map_or(as_of_day, |d| crate::calendar::day_number(d) - 1)
                    .min(as_of_day)
            })
            .collect();
        // All of a unit's recurring rows, as for its revenue above: in a breakdown by
        // channel a revenue row goes with its deal's contact, which need not be the
        // unit's first (an account bought through a colleague of the lead).
        crate::mrr::for_each_unit_mrr(s, &Scope::ALL, part, &days, |u, v, _| {
            if let Some(c) = cohort_of(u) {
                let e = out.cohorts.entry(c).or_insert_with(|| fresh(c));
                for (k, cell) in e.mrr.iter_mut().enumerate() {
                    *cell += v[(c - first) as usize + k];
                }
            }
        });
    }
    out.retention = retention(s, scope, part, w, basis);
    out
}

pub fn finish(s: &Snapshot, w: &Window, p: CohortsPartial) -> CohortsReport {
    let basis = RetentionBasis::of(s);
    let last = last_month(s, w);
    // The as-of month is unfinished unless the as-of time is its very end.
    let last_unfinished = month_date(last + 1)
        .is_some_and(|next| w.as_of < crate::calendar::day_start(s.timezone, next) - 1);
    // Without a single revenue row, every month's revenue, activity and retention would
    // read 0 (0% retained, an LTV of 0.00): no data, not zero (metrics.md).
    let missing = s.revenue.at.is_empty().then_some(Missing::NoRevenue);
    let rows: Vec<CohortRow> = p
        .cohorts
        .into_iter()
        .filter(|(_, c)| c.customers > 0)
        .map(|(m, mut c)| {
            if missing.is_some() {
                c.revenue.clear();
                c.active.clear();
                c.mrr.clear();
            }
            let kept = match basis {
                RetentionBasis::Mrr => &c.mrr,
                RetentionBasis::Revenue => &c.revenue,
            };
            let base = kept.first().copied().unwrap_or(0);
            let mut cum = 0i64;
            CohortRow {
                cohort: month_label(m),
                customers: c.customers,
                revenue: c.revenue.iter().map(|v| major(s, *v as f64)).collect(),
                mrr: (basis == RetentionBasis::Mrr)
                    .then(|| c.mrr.iter().map(|v| major(s, *v as f64)).collect()),
                revenue_retention: kept
                    .iter()
                    .map(|v| (base != 0).then(|| *v as f64 / base as f64))
                    .collect(),
                logo_retention: c
                    .active
                    .iter()
                    .map(|a| Some(*a as f64 / c.customers as f64))
                    .collect(),
                ltv: kept
                    .iter()
                    .map(|v| {
                        cum += v;
                        major(s, cum as f64) / c.customers as f64
                    })
                    .collect(),
                last_month_to_date: last_unfinished,
                active: c.active,
            }
        })
        .collect();
    let (nrr, grr, logo_churn) = p.retention.rates();
    CohortsReport {
        period: w.period(),
        as_of: w.as_of_text(),
        currency: s.currency.code().to_string(),
        customers: rows.iter().map(|r| r.customers).sum(),
        nrr,
        grr,
        logo_churn,
        basis,
        retention_units: p.retention.members,
        cohorts: rows,
        unconverted: s.unconverted.clone(),
        reason_code: missing,
        reason: missing.map(Missing::sentence),
    }
}

/// Customers acquired in [from, to) by the as-of time, by acquisition month.
pub fn cohorts(s: &Snapshot, scope: &Scope<'_>, w: &Window) -> CohortsReport {
    cohorts_in(s, scope, w, &parts(s))
}

/// The report computed part by part over `parts` and merged.
pub fn cohorts_in(s: &Snapshot, scope: &Scope<'_>, w: &Window, parts: &[Part]) -> CohortsReport {
    let acquired = acquired_at(s, w.as_of);
    let merged = map_merge(
        parts,
        |p| cohorts_partial(s, scope, p, w, &acquired),
        CohortsPartial::merge,
    )
    .unwrap_or_default();
    finish(s, w, merged)
}
