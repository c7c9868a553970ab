//! The scorecard (metrics.md "Scorecard"): every revenue-linked KPI of a period beside
//! the preceding period of equal length and the shared target, and the reach of each
//! channel only ever beside the conversion to customer and the cost per customer it led to.

use crate::calendar::month_start;
use crate::funnel::Period;
use crate::part::{Part, map_merge, parts};
use crate::sla::{SlaPartial, sla_partial};
use crate::slice::Scope;
use crate::snapshot::{DealStatus, NEVER, NONE, Snapshot, Unconverted};
use crate::stats::percentile_cont;
use crate::window::{Combine, Window, major, target};
use revline_core::Millis;
use revline_core::time::MILLIS_PER_DAY;
use serde::{Deserialize, Serialize};

/// Days in an average month, for per-month figures of periods of any length.
pub const DAYS_PER_MONTH: f64 = 365.25 / 12.0;

/// Which way a metric is good news: a rise in CAC or churn is bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    HigherIsBetter,
    LowerIsBetter,
}

impl Direction {
    /// The direction of a scorecard metric (metrics.md), by its name.
    pub fn of(metric: &str) -> Direction {
        match metric {
            "cac"
            | "sales_cycle_days"
            | "logo_churn"
            | "lead_response_minutes"
            | "sla_breach_rate" => Direction::LowerIsBetter,
            _ => Direction::HigherIsBetter,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    pub name: &'static str,
    pub value: Option<f64>,
    pub previous: Option<f64>,
    pub target: Option<f64>,
    /// The share of the target expected by the as-of time, for an unfinished period
    /// (metrics.md "Periods and comparisons"); a rate's pace is its target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pace: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pace_basis: Option<PaceBasis>,
    /// The currency code for money, else `count`, `ratio` (a share 0..1), `multiple`
    /// (x times), `days`, `minutes`, or the
    /// currency per day (`USD/day`).
    pub unit: String,
    /// What a rate or an average was computed from (its denominator).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_count: Option<u64>,
    /// Why `value` is no data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<Missing>,
    /// Which figures NRR, GRR and logo churn were computed on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis: Option<RetentionBasis>,
}

/// How a target's pace was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaceBasis {
    /// Elapsed days / days of the period.
    ElapsedDays,
    /// The share the same metric had reached by the same point a year earlier.
    LastYearShape,
    /// A rate: expected at its target all along.
    Rate,
}

/// Which figures retention is computed on (metrics.md "Scorecard").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionBasis {
    /// The units' MRR on the day before the period and on its last (counted) day.
    Mrr,
    /// The units' revenue in the previous period and in this one.
    Revenue,
}

impl Metric {
    pub fn direction(&self) -> Direction {
        Direction::of(self.name)
    }
}

impl RetentionBasis {
    /// MRR whenever the workspace holds recurring revenue.
    pub fn of(s: &Snapshot) -> RetentionBasis {
        if crate::mrr::has_recurring(s) {
            RetentionBasis::Mrr
        } else {
            RetentionBasis::Revenue
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            RetentionBasis::Mrr => "mrr",
            RetentionBasis::Revenue => "revenue",
        }
    }
}

/// Why a figure is no data (metrics.md "Missing data is not zero").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    NoRevenue,
    NoSpend,
    NoNewCustomers,
    NoClosedDeals,
    NoWonDeals,
    NoAmounts,
    NoOpenDeals,
    NoDeals,
    NoRevenueTarget,
    PeriodOver,
    NoRetentionBase,
    NoChurn,
    NoSalesTouches,
    NoHandoffs,
    NoLostDeals,
    NoDealAmounts,
    CreatedAtClose,
}

impl Missing {
    /// The code the JSON carries (`reason_code`), which the pages translate.
    pub fn code(self) -> &'static str {
        match self {
            Missing::NoRevenue => "no_revenue",
            Missing::NoSpend => "no_spend",
            Missing::NoNewCustomers => "no_new_customers",
            Missing::NoClosedDeals => "no_closed_deals",
            Missing::NoWonDeals => "no_won_deals",
            Missing::NoAmounts => "no_amounts",
            Missing::NoOpenDeals => "no_open_deals",
            Missing::NoDeals => "no_deals",
            Missing::NoRevenueTarget => "no_revenue_target",
            Missing::PeriodOver => "period_over",
            Missing::NoRetentionBase => "no_retention_base",
            Missing::NoChurn => "no_churn",
            Missing::NoSalesTouches => "no_sales_touches",
            Missing::NoHandoffs => "no_handoffs",
            Missing::NoLostDeals => "no_lost_deals",
            Missing::NoDealAmounts => "no_deal_amounts",
            Missing::CreatedAtClose => "created_at_close",
        }
    }

    pub fn sentence(self) -> &'static str {
        match self {
            Missing::NoRevenue => "no revenue recorded",
            Missing::NoSpend => "no spend recorded for the period",
            Missing::NoNewCustomers => "no new customers in the period",
            Missing::NoClosedDeals => "no deal closed in the period",
            Missing::NoWonDeals => "no deal won in the period",
            Missing::NoAmounts => "no won deal has an amount",
            Missing::NoOpenDeals => "no open deals",
            Missing::NoDeals => "no deals recorded",
            Missing::NoRevenueTarget => "no revenue target for the period",
            Missing::PeriodOver => "the period is over",
            Missing::NoRetentionBase => "no customer was paying before the period",
            Missing::NoChurn => "no revenue was lost month over month, so churn cannot be measured",
            Missing::NoSalesTouches => "no sales touchpoint recorded",
            Missing::NoHandoffs => "no lead entered mql in the period with its SLA decided",
            Missing::NoLostDeals => "no lost deal recorded: a win rate would count only the wins",
            Missing::NoDealAmounts => "no deal has an amount",
            Missing::CreatedAtClose => {
                "every deal won in the period was recorded when it closed, so its cycle is unknown"
            }
        }
    }
}

/// Reach of one channel with what it led to, for the same slice and period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReachRow {
    pub channel: String,
    pub impressions: u64,
    pub clicks: u64,
    pub visits: u64,
    pub email_opens: u64,
    /// Every touchpoint of the channel in the period, of any kind.
    pub touchpoints: u64,
    /// Contacts whose lead-creation touch was on this channel and who entered the first
    /// stage in the period.
    pub leads: u64,
    /// Of those leads, the ones that became customers by the as-of time.
    pub customers: u64,
    pub conversion_to_customer: Option<f64>,
    pub spend: Option<f64>,
    pub cost_per_customer: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScorecardReport {
    pub period: Period,
    pub previous_period: PreviousPeriod,
    pub as_of: String,
    pub currency: String,
    /// What NRR, GRR, logo churn and LTV were computed on.
    pub retention_basis: RetentionBasis,
    pub metrics: Vec<Metric>,
    pub reach: Vec<ReachRow>,
    /// Money left out because no exchange rate was known.
    pub unconverted: Vec<Unconverted>,
}

/// The scorecard's figures for one period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub revenue: f64,
    pub new_customers: u64,
    pub pipeline_created: f64,
    pub won: u64,
    pub lost: u64,
    pub win_rate: Option<f64>,
    pub avg_deal_size: Option<f64>,
    pub sales_cycle_days: Option<f64>,
    pub mean_cycle_days: Option<f64>,
    pub open_deals: u64,
    pub sales_velocity: Option<f64>,
    pub pipeline_coverage: Option<f64>,
    pub spend: Option<f64>,
    pub cac: Option<f64>,
    pub nrr: Option<f64>,
    pub grr: Option<f64>,
    pub logo_churn: Option<f64>,
    pub monthly_grr: Option<f64>,
    pub ltv: Option<f64>,
    pub ltv_cac: Option<f64>,
    pub lead_response_minutes: Option<f64>,
    pub sla_breach_rate: Option<f64>,
    /// Stage entries in the period (flow), per funnel stage.
    pub entries: Vec<u64>,
    /// The counts behind the rates and averages.
    /// Won deals created at the instant they closed (recorded only when won).
    pub won_created_at_close: u64,
    pub won_with_amount: u64,
    pub retention_units: u64,
    pub responded: u64,
    pub handoffs_decided: u64,
    pub basis: Option<RetentionBasis>,
}

pub(crate) fn ratio(a: f64, b: f64) -> Option<f64> {
    (b != 0.0 && a.is_finite() && b.is_finite()).then(|| a / b)
}

/// Revenue of the scope's rows of `part` in [from, end), in minor units.
pub fn revenue_in(s: &Snapshot, scope: &Scope<'_>, part: &Part, from: Millis, end: Millis) -> i64 {
    let r = &s.revenue;
    part.revenue
        .clone()
        .filter(|&i| r.at[i] >= from && r.at[i] < end && scope.revenue(i))
        .map(|i| r.amount[i])
        .sum()
}

/// Walks the revenue rows of `part` unit by unit (they are stored in unit order) and
/// calls `f` with each unit and its net revenue in each of `windows` ([start, end)).
pub fn for_each_unit(
    s: &Snapshot,
    scope: &Scope<'_>,
    part: &Part,
    windows: &[(Millis, Millis)],
    f: impl FnMut(u32, &[i64]),
) {
    for_each_unit_where(s, scope, part, windows, |_| true, f)
}

/// [`for_each_unit`] over the revenue rows that `keep` accepts (by row index).
pub fn for_each_unit_where(
    s: &Snapshot,
    scope: &Scope<'_>,
    part: &Part,
    windows: &[(Millis, Millis)],
    keep: impl Fn(usize) -> bool,
    mut f: impl FnMut(u32, &[i64]),
) {
    let r = &s.revenue;
    let mut sums = vec![0i64; windows.len()];
    let mut current = NONE;
    let mut touched = false;
    for i in part.revenue.clone() {
        let u = r.unit[i];
        if u != current {
            if touched {
                f(current, &sums);
            }
            sums.iter_mut().for_each(|x| *x = 0);
            current = u;
            touched = false;
        }
        if u == NONE {
            break;
        }
        if !scope.revenue(i) || !keep(i) {
            continue;
        }
        for (k, &(a, b)) in windows.iter().enumerate() {
            if r.at[i] >= a && r.at[i] < b {
                sums[k] += r.amount[i];
                touched = true;
            }
        }
    }
    if touched && current != NONE {
        f(current, &sums);
    }
}

/// When each customer unit was acquired: its first won deal's close or its first
/// positive revenue, whichever came first, up to `as_of` (`NEVER` otherwise). An index
/// over all units that every part reads.
pub fn acquired_at(s: &Snapshot, as_of: Millis) -> Vec<Millis> {
    acquired_of(s, as_of, s.units())
}

/// `acquired_at` for a workspace of `units` customer units, which a contact shard's
/// snapshot (holding some of the contacts) cannot count itself.
pub fn acquired_of(s: &Snapshot, as_of: Millis, units: usize) -> Vec<Millis> {
    let mut out = vec![NEVER; units];
    let d = &s.deals;
    for i in 0..d.status.len() {
        if d.status[i] == DealStatus::Won && d.unit[i] != NONE && d.closed_at[i] <= as_of {
            let u = d.unit[i] as usize;
            out[u] = out[u].min(d.closed_at[i]);
        }
    }
    let r = &s.revenue;
    for i in 0..r.at.len() {
        if r.amount[i] > 0 && r.unit[i] != NONE && r.at[i] <= as_of {
            let u = r.unit[i] as usize;
            out[u] = out[u].min(r.at[i]);
        }
    }
    out
}

/// Which spend rows a sum takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpendOf {
    All,
    Channel(u32),
    Campaign(u32),
}

/// Spend of the scope's rows in `rows` within [from, end), minor units, spread evenly
/// over each row's days; `None` when spend cannot be split by the scope's dimension or
/// no spend row covers the period.
pub fn spend_in(
    s: &Snapshot,
    scope: &Scope<'_>,
    rows: std::ops::Range<usize>,
    from: Millis,
    end: Millis,
    only: SpendOf,
) -> Option<f64> {
    spend_nanos(s, scope, rows, from, end, only).map(minor_from_nanos)
}

/// A fraction of a minor unit (a row's share of a period) in billionths of a minor
/// unit, rounded: sums of these whole numbers are the same over rows split in any way
/// (parts of one process, shards of a cluster), where sums of the fractions themselves
/// differ in their last bits with the order they are added in.
pub fn nanos(minor: f64) -> i128 {
    (minor * 1e9).round() as i128
}

/// Billionths of a minor unit to minor units.
pub fn minor_from_nanos(nanos: i128) -> f64 {
    nanos as f64 / 1e9
}

/// `spend_in` in billionths of a minor unit (`nanos`), each row's share rounded there.
pub fn spend_nanos(
    s: &Snapshot,
    scope: &Scope<'_>,
    rows: std::ops::Range<usize>,
    from: Millis,
    end: Millis,
    only: SpendOf,
) -> Option<i128> {
    if !scope.has_spend() {
        return None;
    }
    let sp = &s.spend;
    let mut total = 0i128;
    let mut recorded = false;
    for i in rows {
        let wanted = match only {
            SpendOf::All => true,
            SpendOf::Channel(c) => sp.channel[i] == c,
            SpendOf::Campaign(c) => sp.campaign[i] == c,
        };
        if !wanted || scope.spend(i) != Some(true) {
            continue;
        }
        let (a, b) = (sp.start[i], sp.end[i]);
        let overlap = (b.min(end) - a.max(from)).max(0);
        if b > a && overlap > 0 {
            total += nanos(sp.amount[i] as f64 * overlap as f64 / (b - a) as f64);
            recorded = true;
        } else if b == a && a >= from && a < end {
            total += nanos(sp.amount[i] as f64);
            recorded = true;
        }
    }
    // No spend row in the period is no data, not a cost of zero (metrics.md).
    recorded.then_some(total)
}

/// What a unit kept of `before` when it has `now`: min(now, before), never less than
/// nothing. The one definition of GRR's numerator (scorecard, cohorts, bottlenecks).
pub fn retained(before: i64, now: i64) -> i64 {
    now.clamp(0, before)
}

/// Sums behind NRR, GRR and logo churn; they add up across parts of whole units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    pub base: i64,
    pub kept: i64,
    pub gross: i64,
    pub members: u64,
    pub churned: u64,
}

impl Retention {
    /// A unit with `before` in the preceding period (or MRR on the day before) and `now`
    /// in this one; only units whose `before` was positive count. The one GRR of the
    /// engine: what a unit kept is min(now, before), and never less than nothing.
    pub fn add(&mut self, before: i64, now: i64) {
        if before <= 0 {
            return;
        }
        self.base += before;
        self.kept += now;
        self.gross += retained(before, now);
        self.members += 1;
        self.churned += u64::from(now <= 0);
    }

    pub fn merge(mut self, o: Retention) -> Retention {
        self.base += o.base;
        self.kept += o.kept;
        self.gross += o.gross;
        self.members += o.members;
        self.churned += o.churned;
        self
    }

    /// (NRR, GRR, logo churn).
    pub fn rates(&self) -> (Option<f64>, Option<f64>, Option<f64>) {
        (
            ratio(self.kept as f64, self.base as f64),
            ratio(self.gross as f64, self.base as f64),
            ratio(self.churned as f64, self.members as f64),
        )
    }
}

/// Retention of `w` on `basis`, over one part: MRR on the day before the period against
/// its last counted day, or revenue of the previous period (to date when `w` is
/// unfinished) against this one.
pub fn retention(
    s: &Snapshot,
    scope: &Scope<'_>,
    part: &Part,
    w: &Window,
    basis: RetentionBasis,
) -> Retention {
    let mut r = Retention::default();
    match basis {
        RetentionBasis::Mrr => {
            let days = [
                crate::mrr::day_before(s, w),
                crate::mrr::last_counted_day(s, w),
            ];
            crate::mrr::for_each_unit_mrr(s, scope, part, &days, |_, v, _| r.add(v[0], v[1]));
        }
        RetentionBasis::Revenue => {
            let p = crate::calendar::previous(s.timezone, w).window;
            for_each_unit(
                s,
                scope,
                part,
                &[(p.from, p.end()), (w.from, w.end())],
                |_, v| r.add(v[0], v[1]),
            );
        }
    }
    r
}

/// MRR at the window's last counted day and the units that have it, over one part.
pub fn mrr_at_end(s: &Snapshot, scope: &Scope<'_>, part: &Part, w: &Window) -> (i64, u64) {
    let day = [crate::mrr::last_counted_day(s, w)];
    let (mut sum, mut units) = (0, 0);
    crate::mrr::for_each_unit_mrr(s, scope, part, &day, |_, v, _| {
        sum += v[0];
        units += u64::from(v[0] > 0);
    });
    (sum, units)
}

/// The calendar months that start in the window, each as [start, end) cut at the
/// window's end, after the month before the first (its base); empty when there is no
/// pair to compare.
fn month_windows(s: &Snapshot, w: &Window) -> Vec<(Millis, Millis)> {
    let zone = s.timezone;
    let day = |d| crate::calendar::day_start(zone, d);
    let mut first = month_start(zone, w.from);
    if day(first) < w.from {
        first = first + chrono::Months::new(1);
    }
    let mut bounds = vec![day(first - chrono::Months::new(1))];
    let mut month = first;
    while day(month) < w.end() {
        bounds.push(day(month));
        month = month + chrono::Months::new(1);
    }
    if bounds.len() < 2 {
        return Vec::new();
    }
    let end = w.end();
    (0..bounds.len())
        .map(|k| {
            let next = bounds.get(k + 1).copied().unwrap_or_else(|| day(month));
            (bounds[k], next.min(end))
        })
        .collect()
}

/// The days MRR is read on for month-over-month retention: the last (counted) day of
/// each of `windows`.
fn month_end_days(s: &Snapshot, w: &Window, windows: &[(Millis, Millis)]) -> Vec<i32> {
    let last = crate::mrr::last_counted_day(s, w);
    windows
        .iter()
        .map(|&(_, b)| crate::calendar::day_of(s.timezone, b - 1).min(last))
        .collect()
}

fn add_pairs(r: &mut Retention, v: &[i64]) {
    for k in 1..v.len() {
        r.add(v[k - 1], v[k]);
    }
}

/// Retention month over month on `basis`, pooled over the calendar months that start in
/// the window.
pub fn monthly_retention(
    s: &Snapshot,
    scope: &Scope<'_>,
    part: &Part,
    w: &Window,
    basis: RetentionBasis,
) -> Retention {
    let windows = month_windows(s, w);
    let mut r = Retention::default();
    if windows.is_empty() {
        return r;
    }
    match basis {
        RetentionBasis::Mrr => {
            let days = month_end_days(s, w, &windows);
            crate::mrr::for_each_unit_mrr(s, scope, part, &days, |_, v, _| add_pairs(&mut r, v));
        }
        RetentionBasis::Revenue => {
            for_each_unit(s, scope, part, &windows, |_, v| add_pairs(&mut r, v));
        }
    }
    r
}

/// Retention of the period, month-over-month retention and MRR at its end on the MRR
/// basis, in one pass over the units' recurring rows.
fn mrr_figures(s: &Snapshot, scope: &Scope<'_>, part: &Part, w: &Window, f: &mut FiguresPartial) {
    let windows = month_windows(s, w);
    let mut days = vec![
        crate::mrr::day_before(s, w),
        crate::mrr::last_counted_day(s, w),
    ];
    days.extend(month_end_days(s, w, &windows));
    crate::mrr::for_each_unit_mrr(s, scope, part, &days, |_, v, _| {
        f.retention.add(v[0], v[1]);
        f.mrr_end += v[1];
        f.mrr_units += u64::from(v[1] > 0);
        add_pairs(&mut f.monthly, &v[2..]);
    });
}

/// The additive parts of one period's figures, over one part of the snapshot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FiguresPartial {
    pub revenue: i64,
    pub new_customers: u64,
    pub pipeline_created: i64,
    pub won: u64,
    pub lost: u64,
    pub won_amount: i64,
    pub won_with_amount: u64,
    pub won_created_at_close: u64,
    /// Days from creation to close of the won deals.
    pub cycles: Vec<f64>,
    pub open_deals: u64,
    /// Open at the as-of time and expected to close in the rest of the period.
    pub coverage_pipeline: i64,
    /// Billionths of a minor unit (`spend_nanos`).
    pub spend: Option<i128>,
    pub retention: Retention,
    pub monthly: Retention,
    /// Units with positive net revenue in the period.
    pub paying: u64,
    /// MRR at the period's last counted day (MRR basis), and the units that have it.
    pub mrr_end: i64,
    pub mrr_units: u64,
    pub sla: SlaPartial,
    /// Stage entries in the period, per funnel stage.
    pub entries: Vec<u64>,
}

impl FiguresPartial {
    pub fn merge(mut self, o: FiguresPartial) -> FiguresPartial {
        self.revenue += o.revenue;
        self.new_customers += o.new_customers;
        self.pipeline_created += o.pipeline_created;
        self.won += o.won;
        self.lost += o.lost;
        self.won_amount += o.won_amount;
        self.won_with_amount += o.won_with_amount;
        self.won_created_at_close += o.won_created_at_close;
        self.cycles.extend(o.cycles);
        self.open_deals += o.open_deals;
        self.coverage_pipeline += o.coverage_pipeline;
        self.spend = match (self.spend, o.spend) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        self.retention = self.retention.merge(o.retention);
        self.monthly = self.monthly.merge(o.monthly);
        self.paying += o.paying;
        self.mrr_end += o.mrr_end;
        self.mrr_units += o.mrr_units;
        self.sla = self.sla.merge(o.sla);
        if self.entries.is_empty() {
            self.entries = o.entries;
        } else {
            for (a, b) in self.entries.iter_mut().zip(o.entries) {
                *a += b;
            }
        }
        self
    }
}

/// One period's figures over one part.
pub fn figures_partial(
    s: &Snapshot,
    scope: &Scope<'_>,
    part: &Part,
    w: &Window,
    acquired: &[Millis],
) -> FiguresPartial {
    let end = w.end();
    // Revenue, new customers, pipeline created and stage entries, as a pace reads them.
    let mut f = paced_figures_partial(s, scope, part, w, acquired);
    let d = &s.deals;
    let period_end = w.to.min(w.as_of);
    for i in part.deals.clone() {
        if d.status[i] == DealStatus::Unknown || !scope.deal(i) {
            continue;
        }
        if d.created_at[i] < period_end && d.closed_at[i] >= period_end {
            f.open_deals += 1;
        }
        if d.created_at[i] <= w.as_of
            && d.closed_at[i] > w.as_of
            && d.expected_close_at[i] >= w.from.max(w.as_of)
            && d.expected_close_at[i] < w.to
        {
            f.coverage_pipeline += d.amount[i];
        }
        if !w.contains(d.closed_at[i]) {
            continue;
        }
        match d.status[i] {
            DealStatus::Won => {
                f.won += 1;
                if d.has_amount[i] {
                    f.won_amount += d.amount[i];
                    f.won_with_amount += 1;
                }
                f.won_created_at_close += u64::from(d.closed_at[i] == d.created_at[i]);
                f.cycles
                    .push((d.closed_at[i] - d.created_at[i]) as f64 / MILLIS_PER_DAY as f64);
            }
            DealStatus::Lost => f.lost += 1,
            _ => {}
        }
    }
    f.spend = spend_nanos(s, scope, part.spend.clone(), w.from, end, SpendOf::All);
    match RetentionBasis::of(s) {
        RetentionBasis::Mrr => mrr_figures(s, scope, part, w, &mut f),
        basis => {
            f.retention = retention(s, scope, part, w, basis);
            f.monthly = monthly_retention(s, scope, part, w, basis);
        }
    }
    for_each_unit(s, scope, part, &[(w.from, end)], |_, v| {
        f.paying += u64::from(v[0] > 0)
    });
    f.sla = sla_partial(s, scope, part, w);
    f
}

/// The figures a pace's shape reads (`PACED`: revenue, new customers, pipeline created
/// and the stage entries), and no other: the year-ago periods are counted only for
/// the share of a period's total reached by a point in it, so the rest (retention, the
/// SLA, spend) would be computed twice a scorecard for nothing.
pub fn paced_figures_partial(
    s: &Snapshot,
    scope: &Scope<'_>,
    part: &Part,
    w: &Window,
    acquired: &[Millis],
) -> FiguresPartial {
    let mut f = FiguresPartial {
        revenue: revenue_in(s, scope, part, w.from, w.end()),
        new_customers: part
            .units
            .clone()
            .filter(|&u| w.contains(acquired[u]) && scope.unit(u))
            .count() as u64,
        ..FiguresPartial::default()
    };
    let d = &s.deals;
    for i in part.deals.clone() {
        if d.status[i] != DealStatus::Unknown && scope.deal(i) && w.contains(d.created_at[i]) {
            f.pipeline_created += d.amount[i];
        }
    }
    let k = s.stages.len();
    f.entries = vec![0; k];
    for c in part.contacts.clone() {
        if !scope.contact(c) {
            continue;
        }
        for (st, e) in f.entries.iter_mut().enumerate() {
            if w.contains(s.entered[c * k + st]) {
                *e += 1;
            }
        }
    }
    f
}

/// Finishes one period's figures from the merged partial.
pub fn figures(s: &Snapshot, w: &Window, mut p: FiguresPartial) -> Figures {
    let mut f = Figures {
        revenue: p.revenue as f64,
        new_customers: p.new_customers,
        pipeline_created: p.pipeline_created as f64,
        won: p.won,
        lost: p.lost,
        open_deals: p.open_deals,
        spend: p.spend.map(minor_from_nanos),
        ..Figures::default()
    };
    // Without a single lost deal in the workspace, losses were never recorded (an
    // export of won deals only): a win rate would count only the wins.
    if s.deals.status.contains(&DealStatus::Lost) {
        f.win_rate = ratio(p.won as f64, (p.won + p.lost) as f64);
    }
    f.avg_deal_size = ratio(p.won_amount as f64, p.won_with_amount as f64);
    f.won_created_at_close = p.won_created_at_close;
    // Deals recorded only when won (created at their close) say nothing of how long
    // selling took: a cycle of 0 days would be a figure that is not there.
    if p.won_created_at_close < p.won {
        p.cycles.sort_by(f64::total_cmp);
        f.sales_cycle_days = percentile_cont(&p.cycles, 0.5);
        f.mean_cycle_days = ratio(p.cycles.iter().sum(), p.cycles.len() as f64);
    }
    f.sales_velocity = match (f.avg_deal_size, f.win_rate, f.mean_cycle_days) {
        (Some(size), Some(rate), Some(days)) => ratio(f.open_deals as f64 * size * rate, days),
        _ => None,
    };
    if w.as_of < w.to
        && let Some(goal) = target(s, "revenue", w.from, w.to, None, Combine::Sum)
    {
        let gap = goal - major(s, p.revenue as f64);
        if gap > 0.0 {
            f.pipeline_coverage = ratio(major(s, p.coverage_pipeline as f64), gap);
        }
    }
    f.cac = f.spend.and_then(|sp| ratio(sp, f.new_customers as f64));
    (f.nrr, f.grr, f.logo_churn) = p.retention.rates();
    f.retention_units = p.retention.members;
    f.won_with_amount = p.won_with_amount;
    let basis = RetentionBasis::of(s);
    f.basis = Some(basis);
    let arpu_month = match basis {
        RetentionBasis::Mrr => ratio(p.mrr_end as f64, p.mrr_units as f64),
        RetentionBasis::Revenue => {
            let months = (w.end() - w.from) as f64 / MILLIS_PER_DAY as f64 / DAYS_PER_MONTH;
            ratio(f.revenue, p.paying as f64).and_then(|a| ratio(a, months))
        }
    };
    f.monthly_grr = p.monthly.rates().1;
    f.ltv = match (arpu_month, f.monthly_grr) {
        (Some(arpu), Some(g)) if g < 1.0 => ratio(arpu * s.gross_margin, 1.0 - g),
        _ => None,
    };
    f.ltv_cac = match (f.ltv, f.cac) {
        (Some(l), Some(c)) => ratio(l, c),
        _ => None,
    };
    let handoff = crate::sla::finish(s, w, p.sla);
    f.lead_response_minutes = handoff.median_response_minutes;
    f.sla_breach_rate = handoff.breach_rate;
    f.responded = handoff.responded;
    f.handoffs_decided = handoff.leads - handoff.pending;
    f.entries = p.entries;
    f
}

/// Everything the scorecard adds up, over one part.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScorecardPartial {
    pub now: FiguresPartial,
    pub before: FiguresPartial,
    pub reach: ReachPartial,
    /// The same period a year earlier, to date and whole: the shape a target's pace
    /// follows when it is known.
    pub year_ago: Option<(FiguresPartial, FiguresPartial)>,
    /// The earliest lead entry of the part's contacts.
    pub first_lead: Option<Millis>,
}

/// The earliest lead entry of a part's contacts (what `data_since` needs of them).
fn first_lead(s: &Snapshot, part: &Part) -> Option<Millis> {
    let k = s.stages.len().max(1);
    part.contacts.clone().map(|c| s.entered[c * k]).min()
}

impl ScorecardPartial {
    pub fn merge(self, o: ScorecardPartial) -> ScorecardPartial {
        ScorecardPartial {
            first_lead: match (self.first_lead, o.first_lead) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            now: self.now.merge(o.now),
            before: self.before.merge(o.before),
            reach: self.reach.merge(o.reach),
            year_ago: match (self.year_ago, o.year_ago) {
                (Some(a), Some(b)) => Some((a.0.merge(b.0), a.1.merge(b.1))),
                (a, b) => a.or(b),
            },
        }
    }
}

/// The metrics whose targets add up over time (a pace is a share of them), with the
/// target's metric name.
const PACED: [(&str, &str); 7] = [
    ("revenue", "revenue"),
    ("new_customers", "new_customers"),
    ("pipeline_created", "pipeline"),
    ("leads", "leads"),
    ("mql", "mql"),
    ("sql", "sql"),
    ("opportunities", "opportunities"),
];

/// For an unfinished period with a target that adds up: the same period a year earlier,
/// counted to the same point and whole.
pub fn year_ago_windows(
    s: &Snapshot,
    w: &Window,
    segment: Option<&str>,
) -> Option<(Window, Window)> {
    if !(w.from <= w.as_of && w.as_of < w.to) {
        return None;
    }
    let any_target = PACED
        .iter()
        .any(|(_, t)| target(s, t, w.from, w.to, segment, Combine::Sum).is_some());
    if !any_target {
        return None;
    }
    let back = |t: Millis| {
        let zone = s.timezone;
        let d = crate::calendar::date_of(zone, t);
        let offset = t - crate::calendar::day_start(zone, d);
        crate::calendar::day_start(zone, crate::calendar::add_months(d, -12)) + offset
    };
    let (from, to, as_of) = (back(w.from), back(w.to), back(w.as_of));
    Some((
        Window { from, to, as_of },
        Window {
            from,
            to,
            as_of: w.as_of,
        },
    ))
}

pub fn scorecard_partial(
    s: &Snapshot,
    scope: &Scope<'_>,
    part: &Part,
    w: &Window,
    acquired: &[Millis],
    year_ago: Option<&(Window, Window)>,
) -> ScorecardPartial {
    let previous = crate::calendar::previous(s.timezone, w).window;
    ScorecardPartial {
        first_lead: first_lead(s, part),
        now: figures_partial(s, scope, part, w, acquired),
        before: figures_partial(s, scope, part, &previous, acquired),
        reach: reach_partial(s, scope, part, w),
        year_ago: year_ago.map(|(to_date, whole)| {
            (
                paced_figures_partial(s, scope, part, to_date, acquired),
                paced_figures_partial(s, scope, part, whole, acquired),
            )
        }),
    }
}

/// The whole scorecard for one scope, its parts computed in parallel; `segment` picks
/// the targets set for one segment.
pub fn scorecard(
    s: &Snapshot,
    scope: &Scope<'_>,
    w: &Window,
    segment: Option<&str>,
) -> ScorecardReport {
    scorecard_in(s, scope, w, segment, &parts(s))
}

/// The scorecard computed part by part over `parts` and merged.
pub fn scorecard_in(
    s: &Snapshot,
    scope: &Scope<'_>,
    w: &Window,
    segment: Option<&str>,
    parts: &[Part],
) -> ScorecardReport {
    let segment = segment.or_else(|| scope.segment(s));
    let acquired = acquired_at(s, w.as_of);
    let year_ago = year_ago_windows(s, w, segment);
    let merged = map_merge(
        parts,
        |p| scorecard_partial(s, scope, p, w, &acquired, year_ago.as_ref()),
        ScorecardPartial::merge,
    )
    .unwrap_or_default();
    finish(s, scope, w, segment, merged)
}

/// The scorecard's current figures and targets, without the previous period's
/// comparison and reach: what an alert rule reads after every live change, at about
/// half the cost. Its `previous` figures are empty. With `pace`, the pace too, as the
/// full scorecard sets it; without, no year-ago figures are read and a pace is by
/// elapsed days only.
pub fn scorecard_current(
    s: &Snapshot,
    scope: &Scope<'_>,
    w: &Window,
    segment: Option<&str>,
    pace: bool,
) -> ScorecardReport {
    let segment = segment.or_else(|| scope.segment(s));
    let acquired = acquired_at(s, w.as_of);
    let year_ago = year_ago_windows(s, w, segment).filter(|_| pace);
    let merged = map_merge(
        &parts(s),
        |p| ScorecardPartial {
            first_lead: first_lead(s, p),
            now: figures_partial(s, scope, p, w, &acquired),
            year_ago: year_ago.as_ref().map(|(to_date, whole)| {
                (
                    paced_figures_partial(s, scope, p, to_date, &acquired),
                    paced_figures_partial(s, scope, p, whole, &acquired),
                )
            }),
            ..ScorecardPartial::default()
        },
        ScorecardPartial::merge,
    )
    .unwrap_or_default();
    finish(s, scope, w, segment, merged)
}

/// The previous period as reported, with the basis of the comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreviousPeriod {
    pub from: String,
    /// The end of what was counted: the period's end, or the instant as far into it as
    /// the current period has run (`to_date`).
    pub to: String,
    pub basis: crate::calendar::Basis,
}

/// The earliest instant the workspace holds a lead, deal or revenue row.
fn data_since(s: &Snapshot, first_lead: Option<Millis>) -> Millis {
    let deals = s.deals.created_at.iter().copied().min();
    let revenue = s.revenue.at.iter().copied().min();
    [first_lead, deals, revenue]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(NEVER)
}

/// One metric's value, count and reason, for this period or the previous one.
struct Reading {
    value: Option<f64>,
    count: Option<u64>,
    reason: Option<Missing>,
}

fn read(value: Option<f64>, count: Option<u64>, missing: Missing) -> Reading {
    Reading {
        value,
        count,
        reason: value.is_none().then_some(missing),
    }
}

/// Turns the merged partial into the report.
pub fn finish(
    s: &Snapshot,
    scope: &Scope<'_>,
    w: &Window,
    segment: Option<&str>,
    p: ScorecardPartial,
) -> ScorecardReport {
    let cmp = crate::calendar::previous(s.timezone, w);
    // Whether any touchpoint is a sales team's, else the handoff cannot be measured.
    let has_sales_touch = p.now.sla.answerable;
    let now = figures(s, w, p.now);
    let before = figures(s, &cmp.window, p.before);
    let year_ago = p
        .year_ago
        .map(|(a, b)| (figures(s, w, a), figures(s, w, b)));
    let since = data_since(s, p.first_lead);
    let shape_known = year_ago_windows(s, w, segment).is_some_and(|(ya, _)| since <= ya.from);
    // A previous period that ends before the workspace's first record is no data, not
    // zeros (an import that starts in December has no November to beat).
    let previous_known = cmp.window.end().min(cmp.window.to) > since;
    let code = s.currency.code().to_string();
    let money = |v: f64| major(s, v);
    let goal = |metric: &str, combine| target(s, metric, w.from, w.to, segment, combine);
    let unfinished = w.from <= w.as_of && w.as_of < w.to;
    let elapsed = (w.as_of - w.from) as f64 / (w.to - w.from) as f64;
    let has_revenue = !s.revenue.at.is_empty();
    let has_lost_deal = s.deals.status.contains(&DealStatus::Lost);
    let has_deal_amount = s.deals.has_amount.contains(&true);
    let mut metrics = Vec::new();
    let mut push = |name: &'static str,
                    unit: String,
                    get: &dyn Fn(&Figures) -> Reading,
                    target: Option<f64>,
                    additive: bool| {
        let (v, mut b) = (get(&now), get(&before));
        if !previous_known {
            b.value = None;
            b.count = None;
        }
        let (pace, pace_basis) = match target {
            Some(t) if unfinished && !additive => (Some(t), Some(PaceBasis::Rate)),
            Some(t) if unfinished => {
                // The year-ago shape of the same metric when a whole year-ago period
                // is known, else the elapsed share of the period's days.
                let shape = year_ago
                    .as_ref()
                    .filter(|_| shape_known)
                    .and_then(|(a, b)| {
                        let (a, b) = (get(a).value?, get(b).value?);
                        (b > 0.0 && a >= 0.0).then(|| a / b)
                    });
                match shape {
                    Some(share) => (Some(t * share), Some(PaceBasis::LastYearShape)),
                    None => (Some(t * elapsed), Some(PaceBasis::ElapsedDays)),
                }
            }
            _ => (None, None),
        };
        metrics.push(Metric {
            name,
            value: v.value,
            previous: b.value,
            target,
            pace,
            pace_basis,
            unit,
            count: v.count,
            previous_count: b.count,
            reason: v.reason.map(|m| m.sentence().to_string()),
            reason_code: v.reason,
            basis: None,
        });
    };
    let plain = |v: f64| Reading {
        value: Some(v),
        count: None,
        reason: None,
    };
    push(
        "revenue",
        code.clone(),
        &|f| {
            if has_revenue {
                plain(money(f.revenue))
            } else {
                read(None, None, Missing::NoRevenue)
            }
        },
        goal("revenue", Combine::Sum),
        true,
    );
    push(
        "new_customers",
        "count".into(),
        &|f| plain(f.new_customers as f64),
        goal("new_customers", Combine::Sum),
        true,
    );
    push(
        "pipeline_created",
        code.clone(),
        &|f| {
            if s.deals.status.is_empty() {
                read(None, None, Missing::NoDeals)
            } else if !has_deal_amount {
                read(None, None, Missing::NoDealAmounts)
            } else {
                plain(money(f.pipeline_created))
            }
        },
        goal("pipeline", Combine::Sum),
        true,
    );
    push(
        "win_rate",
        "ratio".into(),
        &|f| {
            let why = if f.won > 0 && !has_lost_deal {
                Missing::NoLostDeals
            } else {
                Missing::NoClosedDeals
            };
            read(f.win_rate, Some(f.won + f.lost), why)
        },
        goal("win_rate", Combine::Mean),
        false,
    );
    push(
        "avg_deal_size",
        code.clone(),
        &|f| {
            let why = if f.won == 0 {
                Missing::NoWonDeals
            } else {
                Missing::NoAmounts
            };
            read(f.avg_deal_size.map(money), Some(f.won_with_amount), why)
        },
        None,
        false,
    );
    push(
        "sales_cycle_days",
        "days".into(),
        &|f| {
            let why = if f.won > 0 && f.won_created_at_close == f.won {
                Missing::CreatedAtClose
            } else {
                Missing::NoWonDeals
            };
            read(f.sales_cycle_days, Some(f.won), why)
        },
        None,
        false,
    );
    push(
        "sales_velocity",
        format!("{code}/day"),
        &|f| {
            let why = if f.won == 0 {
                Missing::NoWonDeals
            } else if f.win_rate.is_none() {
                Missing::NoLostDeals
            } else if f.mean_cycle_days.is_none() {
                Missing::CreatedAtClose
            } else if f.avg_deal_size.is_none() {
                Missing::NoAmounts
            } else {
                Missing::NoOpenDeals
            };
            read(f.sales_velocity.map(money), Some(f.open_deals), why)
        },
        None,
        false,
    );
    push(
        "pipeline_coverage",
        "multiple".into(),
        &|f| {
            let why = if !unfinished {
                Missing::PeriodOver
            } else {
                Missing::NoRevenueTarget
            };
            read(f.pipeline_coverage, None, why)
        },
        None,
        false,
    );
    push(
        "cac",
        code.clone(),
        &|f| {
            let why = if f.spend.is_none() {
                Missing::NoSpend
            } else {
                Missing::NoNewCustomers
            };
            read(f.cac.map(money), Some(f.new_customers), why)
        },
        None,
        false,
    );
    let retention_missing = if has_revenue {
        Missing::NoRetentionBase
    } else {
        Missing::NoRevenue
    };
    push(
        "nrr",
        "ratio".into(),
        &|f| read(f.nrr, Some(f.retention_units), retention_missing),
        goal("nrr", Combine::Mean),
        false,
    );
    push(
        "grr",
        "ratio".into(),
        &|f| read(f.grr, Some(f.retention_units), retention_missing),
        None,
        false,
    );
    push(
        "logo_churn",
        "ratio".into(),
        &|f| read(f.logo_churn, Some(f.retention_units), retention_missing),
        None,
        false,
    );
    push(
        "ltv",
        code.clone(),
        &|f| {
            let why = if f.monthly_grr.is_none() {
                retention_missing
            } else {
                Missing::NoChurn
            };
            read(f.ltv.map(money), None, why)
        },
        None,
        false,
    );
    push(
        "ltv_cac",
        "multiple".into(),
        &|f| {
            let why = if f.cac.is_none() {
                Missing::NoSpend
            } else {
                Missing::NoChurn
            };
            read(f.ltv_cac, None, why)
        },
        None,
        false,
    );
    let handoff_missing = if has_sales_touch {
        Missing::NoHandoffs
    } else {
        Missing::NoSalesTouches
    };
    push(
        "lead_response_minutes",
        "minutes".into(),
        &|f| {
            let value = f.lead_response_minutes.filter(|_| has_sales_touch);
            read(value, Some(f.responded), handoff_missing)
        },
        None,
        false,
    );
    push(
        "sla_breach_rate",
        "ratio".into(),
        &|f| {
            let value = f.sla_breach_rate.filter(|_| has_sales_touch);
            read(value, Some(f.handoffs_decided), handoff_missing)
        },
        None,
        false,
    );
    for (stage, metric) in [
        ("lead", "leads"),
        ("mql", "mql"),
        ("sql", "sql"),
        ("opportunity", "opportunities"),
    ] {
        if let Some(k) = s.stage_index(stage) {
            push(
                metric,
                "count".into(),
                &|f| plain(f.entries.get(k).map_or(0.0, |e| *e as f64)),
                goal(metric, Combine::Sum),
                true,
            );
        }
    }
    let basis = RetentionBasis::of(s);
    for m in metrics.iter_mut() {
        if matches!(m.name, "nrr" | "grr" | "logo_churn" | "ltv") {
            m.basis = Some(basis);
        }
    }
    let prev = cmp.window;
    ScorecardReport {
        period: w.period(),
        previous_period: PreviousPeriod {
            from: revline_core::time::format_timestamp(prev.from),
            to: revline_core::time::format_timestamp(match cmp.basis {
                crate::calendar::Basis::Full => prev.to,
                crate::calendar::Basis::ToDate => prev.as_of,
            }),
            basis: cmp.basis,
        },
        as_of: w.as_of_text(),
        currency: code,
        retention_basis: basis,
        metrics,
        reach: reach_rows(s, scope, w, p.reach),
        unconverted: s.unconverted.clone(),
    }
}

/// Reach counts of one channel.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReachCounts {
    pub impressions: u64,
    pub clicks: u64,
    pub visits: u64,
    pub email_opens: u64,
    pub touchpoints: u64,
    pub leads: u64,
    pub customers: u64,
}

/// Reach counts per channel slot (one per name, the last for `(none)`).
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReachPartial {
    pub by: Vec<ReachCounts>,
}

impl ReachPartial {
    pub fn merge(mut self, o: ReachPartial) -> ReachPartial {
        if self.by.is_empty() {
            return o;
        }
        for (a, b) in self.by.iter_mut().zip(o.by) {
            a.impressions += b.impressions;
            a.clicks += b.clicks;
            a.visits += b.visits;
            a.email_opens += b.email_opens;
            a.touchpoints += b.touchpoints;
            a.leads += b.leads;
            a.customers += b.customers;
        }
        self
    }
}

/// Reach per channel beside the leads and customers of the same channel, over one part.
pub fn reach_partial(s: &Snapshot, scope: &Scope<'_>, part: &Part, w: &Window) -> ReachPartial {
    let none_slot = s.names.len();
    let slot = |ch: u32| if ch == NONE { none_slot } else { ch as usize };
    let mut by: Vec<ReachCounts> = vec![ReachCounts::default(); none_slot + 1];
    let t = &s.touchpoints;
    let kind = |name: &str| s.names.get(name);
    let (imp, click, visit, open) = (
        kind("impression"),
        kind("click"),
        kind("visit"),
        kind("email_open"),
    );
    for i in part.touches.clone() {
        if !w.contains(t.at[i]) || !scope.touch(i) {
            continue;
        }
        let a = &mut by[slot(t.channel[i])];
        a.touchpoints += 1;
        let k = Some(t.kind[i]);
        if k == imp {
            a.impressions += 1;
        } else if k == click {
            a.clicks += 1;
        } else if k == visit {
            a.visits += 1;
        } else if k == open {
            a.email_opens += 1;
        }
    }
    let k = s.stages.len();
    let customer = s.stage_index("customer").unwrap_or(k.saturating_sub(1));
    for c in part.contacts.clone() {
        let lead = s.entered[c * k];
        if !w.contains(lead) || !scope.contact(c) {
            continue;
        }
        let a = &mut by[slot(s.contact.lead_channel[c])];
        a.leads += 1;
        if s.entered[c * k + customer] <= w.as_of {
            a.customers += 1;
        }
    }
    ReachPartial { by }
}

/// The reach table, with each channel's spend and cost per customer.
pub fn reach_rows(s: &Snapshot, scope: &Scope<'_>, w: &Window, p: ReachPartial) -> Vec<ReachRow> {
    let none_slot = s.names.len();
    let all_spend = 0..s.spend.amount.len();
    let mut rows: Vec<ReachRow> =
        p.by.into_iter()
            .enumerate()
            .filter(|(_, a)| a.touchpoints > 0 || a.leads > 0)
            .map(|(i, a)| {
                let ch = if i == none_slot { NONE } else { i as u32 };
                let spend = if ch == NONE {
                    None
                } else {
                    spend_in(
                        s,
                        scope,
                        all_spend.clone(),
                        w.from,
                        w.end(),
                        SpendOf::Channel(ch),
                    )
                    .map(|v| major(s, v))
                };
                ReachRow {
                    channel: s.names.name(ch).to_string(),
                    impressions: a.impressions,
                    clicks: a.clicks,
                    visits: a.visits,
                    email_opens: a.email_opens,
                    touchpoints: a.touchpoints,
                    leads: a.leads,
                    customers: a.customers,
                    conversion_to_customer: ratio(a.customers as f64, a.leads as f64),
                    spend,
                    cost_per_customer: spend.and_then(|sp| ratio(sp, a.customers as f64)),
                }
            })
            .collect();
    rows.sort_by(|a, b| a.channel.cmp(&b.channel));
    rows
}
