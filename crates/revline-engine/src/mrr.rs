//! Subscription revenue (metrics.md "Subscription revenue (MRR)"): each recurring row's
//! monthly amount over its service period, each customer unit's MRR on a day, the
//! workspace's MRR and ARR, and the month's movements (new, reactivation, expansion,
//! contraction, churned) that add up from the starting MRR to the ending one exactly.
//!
//! MRR per unit is rounded to whole minor units before anything is added, so that the
//! movements are integers and their sum is exact.

use crate::calendar::{add_months, date_of, day_date, day_number, day_of, first_of_month};
use crate::funnel::Period;
use crate::part::{Part, map_merge, parts};
use crate::slice::Scope;
use crate::snapshot::{NONE, Snapshot};
use crate::window::{Window, major};
use chrono::Datelike;
use serde::Serialize;

/// Days in an average month: the divisor for service periods of whole days.
const DAYS_PER_MONTH: f64 = 365.25 / 12.0;

/// Months a service period [start, end] (inclusive day numbers) pays for: the whole
/// number of calendar months when it is whole months, else days / (365.25 / 12).
pub fn service_months(start: i32, end: i32) -> f64 {
    let (a, b) = (day_date(start), day_date(end.saturating_add(1)));
    let n = (b.year() - a.year()) * 12 + b.month() as i32 - a.month() as i32;
    if n >= 1 && add_months(a, n) == b {
        return f64::from(n);
    }
    f64::from(end - start + 1) / DAYS_PER_MONTH
}

/// One recurring row of a unit, its refunds applied.
#[derive(Debug, Clone, Copy)]
struct Line {
    start: i32,
    end: i32,
    deal: u32,
    amount: f64,
}

impl Line {
    fn monthly(&self) -> f64 {
        self.amount / service_months(self.start, self.end)
    }
}

/// One unit's recurring rows with the refunds inside their service periods taken off.
fn lines_of(s: &Snapshot, scope: &Scope<'_>, rows: std::ops::Range<usize>, out: &mut Vec<Line>) {
    let r = &s.revenue;
    out.clear();
    for i in rows.clone() {
        if r.is_recurring(i) && scope.revenue(i) {
            out.push(Line {
                start: r.service_start[i],
                end: r.service_end[i],
                deal: r.deal[i],
                amount: r.amount[i] as f64,
            });
        }
    }
    let Some(refund) = s.names.get("refund") else {
        return;
    };
    for i in rows {
        if r.kind[i] != refund || !scope.revenue(i) {
            continue;
        }
        let day = day_of(s.timezone, r.at[i]);
        // The row the refund falls in: of the same deal when it names one, the latest
        // started otherwise.
        let target = out
            .iter_mut()
            .filter(|l| l.start <= day && day <= l.end)
            .filter(|l| r.deal[i] == NONE || l.deal == r.deal[i])
            .max_by_key(|l| l.start);
        if let Some(line) = target {
            line.amount = (line.amount + r.amount[i] as f64).max(0.0);
        }
    }
}

/// The MRR of one unit on `day`, whole minor units, never below zero.
fn mrr_on(lines: &[Line], day: i32) -> i64 {
    let sum: f64 = lines
        .iter()
        .filter(|l| l.start <= day && day <= l.end)
        .map(Line::monthly)
        .sum();
    round_minor(sum).max(0)
}

/// Whole minor units, halves away from zero. The sum is first settled to a millionth of
/// a minor unit, so that an exact half (351,700/8 + 259,100/2 + 20,400/13 + 157,700/13
/// cents is 187,212.5) rounds the same whichever order its lines were added in.
pub fn round_minor(sum: f64) -> i64 {
    ((sum * 1e6).round() / 1e6).round() as i64
}

/// Calls `f` with every unit of `part` that has recurring revenue in the scope, its MRR
/// on each of `days` and the first day it had any (a positive line).
pub fn for_each_unit_mrr(
    s: &Snapshot,
    scope: &Scope<'_>,
    part: &Part,
    days: &[i32],
    mut f: impl FnMut(u32, &[i64], i32),
) {
    let r = &s.revenue;
    let mut lines = Vec::new();
    let mut values = vec![0i64; days.len()];
    let mut i = part.revenue.start;
    while i < part.revenue.end {
        let u = r.unit[i];
        let mut j = i;
        while j < part.revenue.end && r.unit[j] == u {
            j += 1;
        }
        if u != NONE && (i..j).any(|k| r.is_recurring(k)) {
            lines_of(s, scope, i..j, &mut lines);
            if !lines.is_empty() {
                for (v, &d) in values.iter_mut().zip(days) {
                    *v = mrr_on(&lines, d);
                }
                let first = lines
                    .iter()
                    .filter(|l| l.amount > 0.0)
                    .map(|l| l.start)
                    .min()
                    .unwrap_or(i32::MAX);
                f(u, &values, first);
            }
        }
        i = j;
    }
}

/// Whether the workspace holds recurring revenue: then retention is on the MRR basis.
pub fn has_recurring(s: &Snapshot) -> bool {
    s.revenue
        .service_start
        .iter()
        .any(|&d| d != crate::snapshot::NO_DAY)
}

/// The last whole day before the as-of time: MRR of an unfinished period is read on it,
/// since the bills of the as-of day itself may not have arrived yet.
pub fn last_whole_day(s: &Snapshot, as_of: i64) -> i32 {
    day_of(s.timezone, as_of) - 1
}

/// The day a window's MRR is read on: its last day, or the last whole day before the
/// as-of time when the window is unfinished (never before its first day).
pub fn last_counted_day(s: &Snapshot, w: &Window) -> i32 {
    let last = day_of(s.timezone, w.to - 1);
    last.min(last_whole_day(s, w.as_of))
        .max(day_of(s.timezone, w.from))
}

/// The day before a window starts.
pub fn day_before(s: &Snapshot, w: &Window) -> i32 {
    day_of(s.timezone, w.from) - 1
}

/// The movements of one month, in minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Movements {
    pub starting: i64,
    pub new: i64,
    pub reactivation: i64,
    pub expansion: i64,
    pub contraction: i64,
    pub churned: i64,
    pub ending: i64,
    /// Units with MRR at the end.
    pub customers: u64,
}

impl Movements {
    /// One unit with MRR `before` on the day before the month and `after` on its last
    /// day; `first` is the first day it ever had MRR, `before_day` the day before.
    pub fn add(&mut self, before: i64, after: i64, first: i32, before_day: i32) {
        self.starting += before;
        self.ending += after;
        self.customers += u64::from(after > 0);
        match (before > 0, after > 0) {
            (false, true) if first <= before_day => self.reactivation += after,
            (false, true) => self.new += after,
            (true, false) => self.churned += before,
            (true, true) if after > before => self.expansion += after - before,
            (true, true) => self.contraction += before - after,
            (false, false) => {}
        }
    }

    pub fn merge(mut self, o: Movements) -> Movements {
        self.starting += o.starting;
        self.new += o.new;
        self.reactivation += o.reactivation;
        self.expansion += o.expansion;
        self.contraction += o.contraction;
        self.churned += o.churned;
        self.ending += o.ending;
        self.customers += o.customers;
        self
    }
}

/// One month of the MRR report, in the workspace currency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MrrMonth {
    /// `2024-01`.
    pub month: String,
    pub starting: f64,
    pub new: f64,
    pub expansion: f64,
    pub contraction: f64,
    pub churned: f64,
    pub reactivation: f64,
    pub ending: f64,
    /// Customer units with MRR at the end of the month.
    pub customers: u64,
    /// The month is unfinished at the as-of time: `ending` is the MRR of the last whole
    /// day before the as-of time.
    pub to_date: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MrrReport {
    pub period: Period,
    pub as_of: String,
    pub currency: String,
    /// MRR at the end of the period (or on the last whole day before the as-of time when
    /// it is unfinished).
    pub mrr: Option<f64>,
    pub arr: Option<f64>,
    pub customers: u64,
    pub months: Vec<MrrMonth>,
    /// Why there are no figures (no recurring revenue), when there are none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Recurring rows that named no service period and were read as one month each
    /// (data contract): a yearly payment without its period shows as a month's MRR that
    /// then lapses, so the report says how many there are.
    pub rows_without_period: u64,
    pub recurring_rows: u64,
    /// Of those, the rows whose unit paid again (a recurring row) only 300 days or more
    /// later: most likely yearly payments given without their period.
    pub rows_paid_yearly: u64,
}

/// Recurring rows without a service period whose unit's next recurring row comes 300
/// days or more later (rows are stored in unit and time order).
fn paid_yearly(s: &Snapshot) -> u64 {
    const YEARLY: i64 = 300 * revline_core::time::MILLIS_PER_DAY;
    let r = &s.revenue;
    let mut count = 0;
    let mut last: Option<usize> = None;
    for i in 0..r.at.len() {
        if !r.is_recurring(i) {
            continue;
        }
        if let Some(j) = last
            && r.unit[j] == r.unit[i]
            && !r.service_given[j]
            && r.at[i] - r.at[j] >= YEARLY
        {
            count += 1;
        }
        last = Some(i);
    }
    count
}

/// The months the report covers: from the month holding `from` to the last month that
/// starts before `to` and at or before the as-of day, with each month's reading days.
fn months(s: &Snapshot, w: &Window) -> Vec<(chrono::NaiveDate, i32, i32, bool)> {
    let zone = s.timezone;
    let as_of_day = last_whole_day(s, w.as_of);
    let mut out = Vec::new();
    let mut m = first_of_month(date_of(zone, w.from));
    let last = date_of(zone, w.to - 1);
    while m <= last && day_number(m) <= as_of_day {
        let end = day_number(add_months(m, 1)) - 1;
        let to_date = as_of_day < end;
        out.push((m, day_number(m) - 1, end.min(as_of_day), to_date));
        m = add_months(m, 1);
    }
    out
}

/// Each month's movements over one part.
pub fn mrr_partial(s: &Snapshot, scope: &Scope<'_>, part: &Part, w: &Window) -> Vec<Movements> {
    let months = months(s, w);
    let mut days = Vec::with_capacity(months.len() + 1);
    if let Some(first) = months.first() {
        days.push(first.1);
    }
    days.extend(months.iter().map(|m| m.2));
    let mut out = vec![Movements::default(); months.len()];
    for_each_unit_mrr(s, scope, part, &days, |_, v, first| {
        for k in 0..out.len() {
            out[k].add(v[k], v[k + 1], first, days[k]);
        }
    });
    out
}

/// Each month's movements of two parts, added.
pub fn merge_months(a: Vec<Movements>, b: Vec<Movements>) -> Vec<Movements> {
    a.into_iter().zip(b).map(|(x, y)| x.merge(y)).collect()
}

/// The MRR report of `w` for one scope.
pub fn mrr(s: &Snapshot, scope: &Scope<'_>, w: &Window) -> MrrReport {
    let merged =
        map_merge(&parts(s), |p| mrr_partial(s, scope, p, w), merge_months).unwrap_or_default();
    finish(s, w, merged)
}

/// The report of every part's movements, merged.
pub fn finish(s: &Snapshot, w: &Window, merged: Vec<Movements>) -> MrrReport {
    let months = months(s, w);
    let money = |v: i64| major(s, v as f64);
    let recurring = has_recurring(s);
    let rows: Vec<MrrMonth> = months
        .iter()
        .zip(&merged)
        .map(|(m, v)| MrrMonth {
            month: m.0.format("%Y-%m").to_string(),
            starting: money(v.starting),
            new: money(v.new),
            expansion: money(v.expansion),
            contraction: money(v.contraction),
            churned: money(v.churned),
            reactivation: money(v.reactivation),
            ending: money(v.ending),
            customers: v.customers,
            to_date: m.3,
        })
        .collect();
    let end = merged.last().filter(|_| recurring);
    let r = &s.revenue;
    let recurring_rows = (0..r.at.len()).filter(|&i| r.is_recurring(i)).count() as u64;
    let rows_without_period = (0..r.at.len())
        .filter(|&i| r.is_recurring(i) && !r.service_given[i])
        .count() as u64;
    let rows_paid_yearly = paid_yearly(s);
    MrrReport {
        period: w.period(),
        as_of: w.as_of_text(),
        currency: s.currency.code().to_string(),
        mrr: end.map(|v| money(v.ending)),
        arr: end.map(|v| money(v.ending * 12)),
        customers: end.map_or(0, |v| v.customers),
        months: if recurring { rows } else { Vec::new() },
        rows_without_period,
        recurring_rows,
        rows_paid_yearly,
        reason: (!recurring).then(|| {
            "no recurring revenue recorded (revenue rows of kind new, recurring, expansion or contraction)"
                .to_string()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn day(y: i32, m: u32, d: u32) -> i32 {
        day_number(NaiveDate::from_ymd_opt(y, m, d).unwrap())
    }

    #[test]
    fn whole_months_are_counted_as_months() {
        assert_eq!(service_months(day(2024, 3, 15), day(2025, 3, 14)), 12.0);
        assert_eq!(service_months(day(2026, 1, 1), day(2026, 12, 31)), 12.0);
        assert_eq!(service_months(day(2026, 2, 1), day(2026, 2, 28)), 1.0);
        assert_eq!(service_months(day(2024, 1, 31), day(2024, 2, 28)), 1.0);
    }

    #[test]
    fn other_periods_are_days_over_an_average_month() {
        let m = service_months(day(2026, 1, 1), day(2026, 1, 10));
        assert!((m - 10.0 / (365.25 / 12.0)).abs() < 1e-12);
    }

    #[test]
    fn movements_add_up() {
        let mut m = Movements::default();
        m.add(0, 100, 10, 20); // had MRR on day 10: reactivation
        m.add(0, 50, 30, 20); // new
        m.add(70, 0, 0, 20); // churned
        m.add(100, 120, 0, 20);
        m.add(100, 80, 0, 20);
        assert_eq!((m.new, m.reactivation, m.churned), (50, 100, 70));
        assert_eq!((m.expansion, m.contraction), (20, 20));
        assert_eq!(
            m.starting + m.new + m.reactivation + m.expansion - m.contraction - m.churned,
            m.ending
        );
    }
}
