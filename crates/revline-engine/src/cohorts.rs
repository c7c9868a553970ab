//! Cohorts and retention: customer units grouped by the month they were acquired (first
//! won deal or first revenue, metrics.md "new_customers"), the revenue each cohort brings
//! month by month after that, its retention against its first month, its cumulative
//! revenue per customer (cohort LTV), and the period's NRR, GRR and logo churn. Broken
//! down by acquisition channel (`--by channel`) it shows which channels bring customers
//! who stay and grow, not only customers.

use crate::funnel::Period;
use crate::scorecard::{acquired_at, retention};
use crate::slice::Scope;
use crate::snapshot::{NEVER, NONE, Snapshot, Unconverted};
use crate::window::{Window, major};
use chrono::{Datelike, TimeZone};
use chrono_tz::Tz;
use serde::Serialize;

/// Months since year 0 of the local calendar month containing `t`.
pub fn month_index(zone: Tz, t: i64) -> i32 {
    let d = zone
        .timestamp_millis_opt(t)
        .single()
        .expect("millis in range")
        .date_naive();
    d.year() * 12 + d.month0() as i32
}

pub fn month_label(index: i32) -> String {
    format!(
        "{:04}-{:02}",
        index.div_euclid(12),
        index.rem_euclid(12) + 1
    )
}

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
    /// revenue[k] / revenue[0].
    pub revenue_retention: Vec<Option<f64>>,
    /// active[k] / customers.
    pub logo_retention: Vec<Option<f64>>,
    /// Cumulative revenue per customer up to and including each month.
    pub ltv: Vec<f64>,
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
    pub cohorts: Vec<CohortRow>,
    pub unconverted: Vec<Unconverted>,
}

/// Customers acquired in [from, to) by the as-of time, by acquisition month.
pub fn cohorts(s: &Snapshot, scope: &Scope<'_>, w: &Window) -> CohortsReport {
    let zone = s.timezone;
    let acquired = acquired_at(s, w.as_of);
    // The last month shown is the one the as-of time falls in, unless the as-of time is
    // that month's very first instant (then nothing of it could have happened yet).
    let last = month_index(zone, w.as_of.saturating_sub(1));
    let mut cohort_of = vec![i32::MIN; acquired.len()];
    let mut first_month = i32::MAX;
    for (u, &t) in acquired.iter().enumerate() {
        if t != NEVER && t >= w.from && t < w.to && scope.unit(u) {
            let m = month_index(zone, t);
            cohort_of[u] = m;
            first_month = first_month.min(m);
        }
    }
    let mut rows: Vec<CohortRow> = Vec::new();
    if first_month <= last {
        let n = (last - first_month + 1) as usize;
        let mut customers = vec![0u64; n];
        for &m in &cohort_of {
            if m != i32::MIN {
                customers[(m - first_month) as usize] += 1;
            }
        }
        let mut revenue = vec![vec![0i64; 0]; n];
        for (i, r) in revenue.iter_mut().enumerate() {
            *r = vec![0; n - i];
        }
        // Per unit and month, to tell active units.
        let mut unit_month: std::collections::HashMap<(u32, i32), i64> = Default::default();
        let rv = &s.revenue;
        for i in 0..rv.at.len() {
            let u = rv.unit[i];
            // A cohort's revenue is its units' revenue, whichever deal it came through.
            if u == NONE || rv.at[i] > w.as_of {
                continue;
            }
            let c = cohort_of[u as usize];
            if c == i32::MIN {
                continue;
            }
            let m = month_index(zone, rv.at[i]);
            if m < c || m > last {
                continue;
            }
            revenue[(c - first_month) as usize][(m - c) as usize] += rv.amount[i];
            *unit_month.entry((u, m)).or_default() += rv.amount[i];
        }
        let mut active = revenue
            .iter()
            .map(|r| vec![0u64; r.len()])
            .collect::<Vec<_>>();
        for ((u, m), v) in unit_month {
            if v > 0 {
                let c = cohort_of[u as usize];
                active[(c - first_month) as usize][(m - c) as usize] += 1;
            }
        }
        for i in 0..n {
            if customers[i] == 0 {
                continue;
            }
            let rev = &revenue[i];
            let base = rev[0];
            let mut cum = 0i64;
            rows.push(CohortRow {
                cohort: month_label(first_month + i as i32),
                customers: customers[i],
                revenue: rev.iter().map(|v| major(s, *v as f64)).collect(),
                active: active[i].clone(),
                revenue_retention: rev
                    .iter()
                    .map(|v| (base != 0).then(|| *v as f64 / base as f64))
                    .collect(),
                logo_retention: active[i]
                    .iter()
                    .map(|a| Some(*a as f64 / customers[i] as f64))
                    .collect(),
                ltv: rev
                    .iter()
                    .map(|v| {
                        cum += v;
                        major(s, cum as f64) / customers[i] as f64
                    })
                    .collect(),
            });
        }
    }
    let (nrr, grr, logo_churn) = retention(s, scope, w);
    CohortsReport {
        period: w.period(),
        as_of: w.as_of_text(),
        currency: s.currency.code().to_string(),
        customers: rows.iter().map(|r| r.customers).sum(),
        nrr,
        grr,
        logo_churn,
        cohorts: rows,
        unconverted: s.unconverted.clone(),
    }
}
