//! Forecast and plan (metrics.md "Forecast and plan"): stage probabilities learned from
//! closed deals, the weighted pipeline by expected-close month with commit and best
//! case, the revenue run-rate, and the reverse funnel: how many entries each stage needs
//! to reach the revenue target at the current rates.

use crate::calendar::{day_start, month_start};
use crate::calendar::{month_index, month_label};
use crate::funnel::{FunnelQuery, Period, View, funnel_in};
use crate::part::{Part, map_merge, parts};
use crate::scorecard::{minor_from_nanos, nanos, revenue_in};
use crate::slice::Scope;
use crate::snapshot::{DealStatus, NEVER, NONE, Snapshot};
use crate::window::{Combine, Window, major, target};
use serde::Serialize;
use std::collections::BTreeMap;

/// Deals at or above this probability are commit; from `BEST_CASE` up, best case.
pub const COMMIT: f64 = 0.8;
pub const BEST_CASE: f64 = 0.5;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageProbability {
    pub stage: String,
    /// Closed deals that were ever in this stage.
    pub closed: u64,
    pub won: u64,
    pub probability: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct MonthRow {
    /// `YYYY-MM` of the expected close, or `unscheduled`.
    pub month: String,
    /// Expected to close before the as-of month and still open.
    pub overdue: bool,
    pub deals: u64,
    pub pipeline: f64,
    pub weighted: f64,
    pub commit: f64,
    pub best_case: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReverseStage {
    pub stage: String,
    /// Step conversion into this stage at the current rates.
    pub step_conversion: Option<f64>,
    /// Entries needed for the new business still to win (the plan's answer).
    pub required: Option<f64>,
    /// Entries needed for the whole target from nothing, for comparison.
    pub required_for_target: Option<f64>,
    /// The last instant at which an entry into this stage can still become a customer
    /// within the period, at the median times in stage.
    pub latest_entry: Option<String>,
    /// That instant has passed: entries here can no longer close in time, so `required`
    /// of this stage cannot be met by new entries (it is not counted as if it could).
    pub too_late: bool,
    /// Entries the stage had over the rates period, for comparison.
    pub current: u64,
}

/// Everything the one reverse funnel is computed from (metrics.md "Forecast and plan"):
/// what the target is met by so far and the current rates. Plan, Bottlenecks and their
/// what-if all go through [`PlanInputs::reverse_funnel`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlanInputs {
    pub target: Option<f64>,
    /// Revenue recognised in the period up to the as-of time (recurring rows spread over
    /// their service days).
    pub so_far: f64,
    /// MRR of the units active at the as-of time (the last whole day before it).
    pub mrr: f64,
    /// Months of the period left after the as-of time.
    pub remaining_months: f64,
    /// Monthly GRR on the MRR basis over the rates period.
    pub monthly_grr: Option<f64>,
    /// Weighted open pipeline expected to close in the period.
    pub weighted_in_period: f64,
    pub average_value: Option<f64>,
    /// Step conversion into each stage (none for the first).
    pub steps: Vec<Option<f64>>,
    /// Median days from the previous stage, per stage.
    pub median_days: Vec<Option<f64>>,
    pub to: i64,
    pub as_of: i64,
}

impl PlanInputs {
    /// The recurring base still to come: MRR x remaining months x monthly GRR.
    pub fn recurring_base(&self) -> f64 {
        self.mrr * self.remaining_months * self.monthly_grr.unwrap_or(1.0)
    }

    /// What the target still needs from new business: target - recognised - recurring
    /// base - weighted pipeline, never below zero.
    pub fn new_business(&self) -> Option<f64> {
        let t = self.target?;
        Some((t - self.so_far - self.recurring_base() - self.weighted_in_period).max(0.0))
    }

    /// The reverse funnel: entries each stage needs for the new business still to win
    /// (first stage: new business / (average value x product of step conversions)), the
    /// latest date an entry can still close in the period, and whether it has passed.
    pub fn reverse_funnel(&self, stages: &[String], current: &[u64]) -> Vec<ReverseStage> {
        let k = stages.len();
        let chain: Option<f64> = self
            .steps
            .iter()
            .skip(1)
            .try_fold(1.0, |a, r| Some(a * (*r)?));
        let first = |goal: Option<f64>| -> Option<f64> {
            let (goal, value, chain) = (goal?, self.average_value?, chain?);
            (value > 0.0 && chain > 0.0).then(|| goal / (value * chain))
        };
        let (need, whole) = (first(self.new_business()), first(self.target));
        // Days from entering stage i to becoming a customer: the medians after it.
        let mut latest = vec![None; k];
        let mut days_after = Some(0.0);
        for i in (0..k).rev() {
            // The last whole second still in time (the period's end is exclusive): a latest
            // date is read by people, not to the millisecond.
            latest[i] = days_after.map(|d: f64| {
                let t = self.to - (d * revline_core::time::MILLIS_PER_DAY as f64) as i64 - 1;
                t - t.rem_euclid(1000)
            });
            days_after = days_after
                .zip(self.median_days.get(i).copied().flatten())
                .map(|(a, b)| a + b);
        }
        let mut cumulative = Some(1.0);
        (0..k)
            .map(|i| {
                if i > 0 {
                    cumulative = cumulative
                        .zip(self.steps.get(i).copied().flatten())
                        .map(|(a, b)| a * b);
                }
                let late = latest[i].is_some_and(|t| t < self.as_of);
                ReverseStage {
                    stage: stages[i].clone(),
                    step_conversion: self.steps.get(i).copied().flatten(),
                    required: need.zip(cumulative).map(|(n, c)| n * c),
                    required_for_target: whole.zip(cumulative).map(|(n, c)| n * c),
                    latest_entry: latest[i].map(revline_core::time::format_timestamp),
                    too_late: late,
                    current: current.get(i).copied().unwrap_or(0),
                }
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForecastReport {
    pub period: Period,
    pub as_of: String,
    pub currency: String,
    pub open_deals: u64,
    pub pipeline: f64,
    pub weighted_pipeline: f64,
    pub commit: f64,
    pub best_case: f64,
    /// Open deals expected to close within the period.
    pub weighted_in_period: f64,
    pub commit_in_period: f64,
    pub best_case_in_period: f64,
    /// Revenue recognised so far + the recurring base still to come + the weighted
    /// pipeline expected in the period.
    pub projected_revenue: f64,
    /// MRR at the as-of time, the months left, the monthly GRR and the recurring base
    /// they give (0 without recurring revenue).
    pub mrr: f64,
    pub remaining_months: f64,
    pub monthly_grr: Option<f64>,
    pub recurring_base: f64,
    /// What the target still needs from new business (null without a target).
    pub new_business_needed: Option<f64>,
    pub months: Vec<MonthRow>,
    /// Win rate of all deals closed by the as-of time: the probability of a deal whose
    /// stage has no history.
    pub default_probability: Option<f64>,
    pub stage_probabilities: Vec<StageProbability>,
    /// Mean monthly revenue of the three calendar months before the as-of month.
    pub run_rate_monthly: f64,
    pub run_rate_annual: f64,
    pub revenue_target: Option<f64>,
    pub revenue_so_far: f64,
    pub remaining_target: Option<f64>,
    /// Mean amount of deals won in the rates period.
    pub average_value: Option<f64>,
    /// The twelve months before the as-of time, whose cohort funnel gives the rates.
    pub rates_period: Period,
    pub reverse_funnel: Vec<ReverseStage>,
    /// Figures above that are no data, with why (metrics.md "Missing data is not
    /// zero"): revenue figures without any revenue, pipeline figures without deals or
    /// amounts. Their numbers are 0 and must not be shown as such.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub no_data: BTreeMap<&'static str, crate::scorecard::Missing>,
    /// What the reverse funnel was computed from (for the what-if).
    #[serde(skip)]
    pub plan: Box<PlanInputs>,
}

/// The plan's figures that its workspace never recorded the inputs of.
fn plan_no_data(s: &Snapshot) -> BTreeMap<&'static str, crate::scorecard::Missing> {
    use crate::scorecard::Missing;
    let mut out = BTreeMap::new();
    let has_revenue = !s.revenue.at.is_empty();
    let pipeline_missing = if s.deals.status.is_empty() {
        Some(Missing::NoDeals)
    } else if !s.deals.has_amount.contains(&true) {
        Some(Missing::NoDealAmounts)
    } else {
        None
    };
    if !has_revenue {
        for field in [
            "revenue_so_far",
            "recurring_base",
            "run_rate_monthly",
            "run_rate_annual",
        ] {
            out.insert(field, Missing::NoRevenue);
        }
    }
    if let Some(why) = pipeline_missing {
        for field in ["pipeline", "weighted_pipeline", "commit", "best_case"] {
            out.insert(field, why);
        }
        if !has_revenue {
            out.insert("projected_revenue", Missing::NoRevenue);
        }
    }
    out
}

/// Options of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Deserialize, Serialize)]
pub struct ForecastOptions {
    /// A revenue target to plan for instead of the one in targets.csv.
    pub target: Option<f64>,
}

/// Amounts (minor units) and the weighted sum of a set of open deals.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Sums {
    deals: u64,
    pipeline: i64,
    /// Billionths of a minor unit (`scorecard::nanos`): each deal's weighted amount
    /// rounded there and added as whole numbers, so any split sums to the same bits.
    weighted: i128,
    commit: i64,
    best_case: i64,
}

impl Sums {
    fn add(&mut self, amount: i64, p: f64) {
        self.deals += 1;
        self.pipeline += amount;
        self.weighted += nanos(amount as f64 * p);
        if p >= COMMIT {
            self.commit += amount;
        }
        if p >= BEST_CASE {
            self.best_case += amount;
        }
    }

    fn merge(mut self, o: Sums) -> Sums {
        self.deals += o.deals;
        self.pipeline += o.pipeline;
        self.weighted += o.weighted;
        self.commit += o.commit;
        self.best_case += o.best_case;
        self
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
struct PipelinePartial {
    months: BTreeMap<i32, Sums>,
    all: Sums,
    in_period: Sums,
}

impl PipelinePartial {
    fn merge(mut self, o: PipelinePartial) -> PipelinePartial {
        for (m, x) in o.months {
            let e = self.months.entry(m).or_default();
            *e = e.merge(x);
        }
        self.all = self.all.merge(o.all);
        self.in_period = self.in_period.merge(o.in_period);
        self
    }
}

/// Closed deals per stage they were ever in: (closed, won), and all closed deals.
#[derive(Debug, Clone, Default, PartialEq)]
struct Learned {
    stages: BTreeMap<u32, (u64, u64)>,
    closed: u64,
    won: u64,
}

impl Learned {
    fn merge(mut self, o: Learned) -> Learned {
        for (st, (n, k)) in o.stages {
            let e = self.stages.entry(st).or_default();
            e.0 += n;
            e.1 += k;
        }
        self.closed += o.closed;
        self.won += o.won;
        self
    }
}

fn learn(
    s: &Snapshot,
    scope: &Scope<'_>,
    part: &Part,
    w: &Window,
    history: &[Vec<u32>],
) -> Learned {
    let d = &s.deals;
    let mut out = Learned::default();
    for i in part.deals.clone() {
        if !scope.deal(i) || d.status[i] == DealStatus::Unknown || d.closed_at[i] > w.as_of {
            continue;
        }
        let won = d.status[i] == DealStatus::Won;
        out.closed += 1;
        out.won += u64::from(won);
        let mut stages = history[i].clone();
        if d.stage[i] != NONE {
            stages.push(d.stage[i]);
        }
        stages.sort_unstable();
        stages.dedup();
        for st in stages {
            let e = out.stages.entry(st).or_default();
            e.0 += 1;
            e.1 += u64::from(won);
        }
    }
    out
}

/// Per deal, its stage history up to `as_of` in time order (stage names).
fn histories(s: &Snapshot, as_of: i64) -> Vec<Vec<u32>> {
    let ds = &s.deal_stages;
    let mut order: Vec<usize> = (0..ds.at.len()).filter(|&i| ds.at[i] <= as_of).collect();
    order.sort_by_key(|&i| (ds.deal[i], ds.at[i]));
    let mut out = vec![Vec::new(); s.deals.status.len()];
    for i in order {
        out[ds.deal[i] as usize].push(ds.stage[i]);
    }
    out
}

pub fn forecast(
    s: &Snapshot,
    scope: &Scope<'_>,
    w: &Window,
    options: ForecastOptions,
) -> ForecastReport {
    forecast_in(s, scope, w, options, &parts(s))
}

/// The report computed part by part over `parts` and merged.
pub fn forecast_in(
    s: &Snapshot,
    scope: &Scope<'_>,
    w: &Window,
    options: ForecastOptions,
    all: &[Part],
) -> ForecastReport {
    let rates = funnel_in(s, &rates_funnel(s, w), scope);
    forecast_with(s, scope, w, options, all, rates)
}

/// The period whose rates the plan runs on: the last 12 whole months before the as-of
/// month, as of the same time.
fn rates_window(s: &Snapshot, w: &Window) -> Window {
    let (from, to) = crate::calendar::default_period(s.timezone, w.as_of);
    Window {
        from,
        to,
        as_of: w.as_of,
    }
}

/// The cohort funnel of the rates period: the current step rates, times in stage and
/// entries the reverse funnel reads. Its only use of the contacts, so a cluster's
/// shards count it and the rest is computed from the shared tables.
pub fn rates_funnel(s: &Snapshot, w: &Window) -> FunnelQuery {
    let rates = rates_window(s, w);
    FunnelQuery {
        from: rates.from,
        to: rates.to,
        as_of: rates.as_of,
        window_days: None,
        view: View::Cohort,
    }
}

/// The report over the deals, revenue and targets of `all`, with `fun` the funnel of
/// `rates_funnel` in the same scope.
pub fn forecast_with(
    s: &Snapshot,
    scope: &Scope<'_>,
    w: &Window,
    options: ForecastOptions,
    all: &[Part],
    fun: crate::funnel::FunnelReport,
) -> ForecastReport {
    let d = &s.deals;
    let history = histories(s, w.as_of);
    // Stage probabilities from deals closed by the as-of time (first pass over the parts).
    let learned =
        map_merge(all, |p| learn(s, scope, p, w, &history), Learned::merge).unwrap_or_default();
    let default_probability =
        (learned.closed > 0).then(|| learned.won as f64 / learned.closed as f64);
    let probability_of = |st: u32| -> Option<f64> {
        learned
            .stages
            .get(&st)
            .filter(|(n, _)| *n > 0)
            .map(|(n, k)| *k as f64 / *n as f64)
    };

    // The open pipeline, weighted with those probabilities (second pass).
    let pipeline = map_merge(
        all,
        |part| {
            let mut out = PipelinePartial::default();
            for i in part.deals.clone() {
                if !scope.deal(i)
                    || d.status[i] == DealStatus::Unknown
                    || d.created_at[i] > w.as_of
                    || d.closed_at[i] <= w.as_of
                {
                    continue;
                }
                let stage = history[i].last().copied().or_else(|| {
                    (d.status[i] == DealStatus::Open && d.stage[i] != NONE).then_some(d.stage[i])
                });
                let p = if d.probability[i].is_finite() {
                    d.probability[i]
                } else {
                    stage
                        .and_then(probability_of)
                        .or(default_probability)
                        .unwrap_or(0.0)
                };
                let expected = d.expected_close_at[i];
                let key = if expected == NEVER {
                    i32::MAX
                } else {
                    month_index(s.timezone, expected)
                };
                let amount = d.amount[i];
                out.months.entry(key).or_default().add(amount, p);
                out.all.add(amount, p);
                if expected != NEVER && expected >= w.from && expected < w.to {
                    out.in_period.add(amount, p);
                }
            }
            out
        },
        PipelinePartial::merge,
    )
    .unwrap_or_default();
    let this_month = month_index(s.timezone, w.as_of);
    let money = |x: &Sums| MonthRow {
        deals: x.deals,
        pipeline: major(s, x.pipeline as f64),
        weighted: major(s, minor_from_nanos(x.weighted)),
        commit: major(s, x.commit as f64),
        best_case: major(s, x.best_case as f64),
        ..MonthRow::default()
    };
    let months: Vec<MonthRow> = pipeline
        .months
        .iter()
        .map(|(&m, x)| MonthRow {
            month: if m == i32::MAX {
                "unscheduled".to_string()
            } else {
                month_label(m)
            },
            overdue: m != i32::MAX && m < this_month,
            ..money(x)
        })
        .collect();
    let (report_months, in_period) = (money(&pipeline.all), money(&pipeline.in_period));

    // Run-rate: the three whole calendar months before the as-of month.
    let month0 = month_start(s.timezone, w.as_of);
    let run_start = day_start(s.timezone, month0 - chrono::Months::new(3));
    let run_end = day_start(s.timezone, month0);
    let sum_revenue = |from: i64, to: i64| {
        let minor: i64 = all.iter().map(|p| revenue_in(s, scope, p, from, to)).sum();
        major(s, minor as f64)
    };
    let run_rate_monthly = sum_revenue(run_start, run_end) / 3.0;

    // Recognised revenue up to the last whole day before the as-of time.
    let zone = s.timezone;
    let last_day = crate::mrr::last_whole_day(s, w.as_of);
    let first_day = crate::calendar::day_of(zone, w.from);
    let so_far = major(
        s,
        minor_from_nanos(
            map_merge(
                all,
                |p| recognised(s, scope, p, first_day, last_day, w),
                |a, b| a + b,
            )
            .unwrap_or(0),
        ),
    );
    let revenue_target = options
        .target
        .or_else(|| target(s, "revenue", w.from, w.to, None, Combine::Sum));
    let remaining = revenue_target.map(|t| (t - so_far).max(0.0));

    // Current rates: the cohort funnel (`fun`) and the won deals of the last 12 whole
    // months.
    let rates = rates_window(s, w);
    let (mut won_sum, mut won_n) = (0i64, 0u64);
    for i in 0..d.status.len() {
        if scope.deal(i)
            && d.status[i] == DealStatus::Won
            && d.has_amount[i]
            && rates.contains(d.closed_at[i])
        {
            won_sum += d.amount[i];
            won_n += 1;
        }
    }
    let average_value = (won_n > 0).then(|| major(s, won_sum as f64) / won_n as f64);
    // The recurring base: MRR now, the months left, the monthly GRR of the rates period.
    let basis = crate::scorecard::RetentionBasis::of(s);
    let (mrr, monthly_grr) = if basis == crate::scorecard::RetentionBasis::Mrr {
        let now = Window {
            from: w.from.min(w.as_of),
            to: w.to.max(w.as_of + 1),
            as_of: w.as_of,
        };
        let (mrr, grr) = map_merge(
            all,
            |p| {
                (
                    crate::scorecard::mrr_at_end(s, scope, p, &now).0,
                    crate::scorecard::monthly_retention(s, scope, p, &rates, basis),
                )
            },
            |a, b| (a.0 + b.0, a.1.merge(b.1)),
        )
        .unwrap_or_default();
        (major(s, mrr as f64), grr.rates().1)
    } else {
        (0.0, None)
    };
    let to_day = crate::calendar::day_of(zone, w.to - 1);
    let remaining_months = f64::from((to_day - last_day).max(0)) / crate::scorecard::DAYS_PER_MONTH;
    let plan = PlanInputs {
        target: revenue_target,
        so_far,
        mrr,
        remaining_months,
        monthly_grr,
        weighted_in_period: major(s, minor_from_nanos(pipeline.in_period.weighted)),
        average_value,
        steps: fun.stages.iter().map(|st| st.step_conversion).collect(),
        median_days: fun
            .stages
            .iter()
            .map(|st| st.median_days_from_previous)
            .collect(),
        to: w.to,
        as_of: w.as_of,
    };
    let current: Vec<u64> = fun.stages.iter().map(|st| st.reached).collect();
    let reverse_funnel = plan.reverse_funnel(&s.stages, &current);
    ForecastReport {
        no_data: plan_no_data(s),
        period: w.period(),
        as_of: w.as_of_text(),
        currency: s.currency.code().to_string(),
        open_deals: report_months.deals,
        pipeline: report_months.pipeline,
        weighted_pipeline: report_months.weighted,
        commit: report_months.commit,
        best_case: report_months.best_case,
        weighted_in_period: in_period.weighted,
        commit_in_period: in_period.commit,
        best_case_in_period: in_period.best_case,
        projected_revenue: so_far + plan.recurring_base() + in_period.weighted,
        mrr,
        remaining_months,
        monthly_grr,
        recurring_base: plan.recurring_base(),
        new_business_needed: plan.new_business(),
        months,
        default_probability,
        stage_probabilities: learned
            .stages
            .into_iter()
            .map(|(st, (n, k))| StageProbability {
                stage: s.names.name(st).to_string(),
                closed: n,
                won: k,
                probability: (n > 0).then(|| k as f64 / n as f64),
            })
            .collect(),
        run_rate_monthly,
        run_rate_annual: run_rate_monthly * 12.0,
        revenue_target,
        revenue_so_far: so_far,
        remaining_target: remaining,
        average_value,
        rates_period: rates.period(),
        reverse_funnel,
        plan: Box::new(plan),
    }
}

/// Revenue recognised over the days [first, last] (day numbers) from one part's rows, in
/// billionths of a minor unit (`scorecard::nanos`, so that any split adds up to the
/// same bits): a recurring row's amount spread evenly over its service days, any
/// other row on its day.
fn recognised(
    s: &Snapshot,
    scope: &Scope<'_>,
    part: &Part,
    first: i32,
    last: i32,
    w: &Window,
) -> i128 {
    let r = &s.revenue;
    let mut sum = 0i128;
    for i in part.revenue.clone() {
        if !scope.revenue(i) {
            continue;
        }
        if r.is_recurring(i) {
            let (a, b) = (r.service_start[i], r.service_end[i]);
            let overlap = (b.min(last) - a.max(first) + 1).max(0);
            sum += nanos(r.amount[i] as f64 * f64::from(overlap) / f64::from(b - a + 1));
        } else if r.at[i] >= w.from
            && (first..=last).contains(&crate::calendar::day_of(s.timezone, r.at[i]))
        {
            sum += nanos(r.amount[i] as f64);
        }
    }
    sum
}
