//! The scorecard (metrics.md "Scorecard"): every revenue-linked KPI of a period beside
//! the preceding period of equal length and the shared target, and the reach of each
//! channel only ever beside the conversion to customer and the cost per customer it led to.

use crate::funnel::Period;
use crate::part::{Part, map_merge, parts};
use crate::sla::{SlaPartial, sla_partial};
use crate::slice::Scope;
use crate::snapshot::{DealStatus, NEVER, NONE, Snapshot, Unconverted, month_start};
use crate::stats::percentile_cont;
use crate::window::{Combine, Window, major, target};
use revline_core::Millis;
use revline_core::time::MILLIS_PER_DAY;
use serde::Serialize;

/// Days in an average month, for per-month figures of periods of any length.
pub const DAYS_PER_MONTH: f64 = 365.25 / 12.0;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    pub name: &'static str,
    pub value: Option<f64>,
    pub previous: Option<f64>,
    pub target: Option<f64>,
    /// The currency code for money, else `count`, `ratio` (a share 0..1), `multiple`
    /// (x times), `days`, `minutes`, or the
    /// currency per day (`USD/day`).
    pub unit: String,
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
    pub previous_period: Period,
    pub as_of: String,
    pub currency: String,
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
    let mut out = vec![NEVER; s.units()];
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
/// over each row's days; `None` when spend cannot be split by the scope's dimension.
pub fn spend_in(
    s: &Snapshot,
    scope: &Scope<'_>,
    rows: std::ops::Range<usize>,
    from: Millis,
    end: Millis,
    only: SpendOf,
) -> Option<f64> {
    if !scope.has_spend() {
        return None;
    }
    let sp = &s.spend;
    let mut total = 0.0;
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
            total += sp.amount[i] as f64 * overlap as f64 / (b - a) as f64;
        } else if b == a && a >= from && a < end {
            total += sp.amount[i] as f64;
        }
    }
    Some(total)
}

/// Sums behind NRR, GRR and logo churn; they add up across parts of whole units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    pub base: i64,
    pub kept: i64,
    pub gross: i64,
    pub members: u64,
    pub churned: u64,
}

impl Retention {
    /// A unit with `before` in the preceding period and `now` in this one; only units
    /// whose net revenue before was positive count.
    pub fn add(&mut self, before: i64, now: i64) {
        if before <= 0 {
            return;
        }
        self.base += before;
        self.kept += now;
        self.gross += now.min(before);
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

/// Retention of `w` against the preceding period of equal length, over one part.
pub fn retention(s: &Snapshot, scope: &Scope<'_>, part: &Part, w: &Window) -> Retention {
    let mut r = Retention::default();
    for_each_unit(
        s,
        scope,
        part,
        &[(w.previous().from, w.from), (w.from, w.end())],
        |_, v| r.add(v[0], v[1]),
    );
    r
}

/// Retention month over month, pooled over the calendar months that start in the window.
pub fn monthly_retention(s: &Snapshot, scope: &Scope<'_>, part: &Part, w: &Window) -> Retention {
    let zone = s.timezone;
    let day = |d| crate::snapshot::day_start(zone, d);
    // Month boundaries from the month before the first month starting in the window.
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
    let mut r = Retention::default();
    if bounds.len() < 2 {
        return r;
    }
    let end = w.end();
    let windows: Vec<(Millis, Millis)> = (0..bounds.len())
        .map(|k| {
            let next = bounds.get(k + 1).copied().unwrap_or_else(|| day(month));
            (bounds[k], next.min(end))
        })
        .collect();
    for_each_unit(s, scope, part, &windows, |_, v| {
        for k in 1..v.len() {
            r.add(v[k - 1], v[k]);
        }
    });
    r
}

/// The additive parts of one period's figures, over one part of the snapshot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FiguresPartial {
    pub revenue: i64,
    pub new_customers: u64,
    pub pipeline_created: i64,
    pub won: u64,
    pub lost: u64,
    pub won_amount: i64,
    pub won_with_amount: u64,
    /// Days from creation to close of the won deals.
    pub cycles: Vec<f64>,
    pub open_deals: u64,
    /// Open at the as-of time and expected to close in the rest of the period.
    pub coverage_pipeline: i64,
    pub spend: Option<f64>,
    pub retention: Retention,
    pub monthly: Retention,
    /// Units with positive net revenue in the period.
    pub paying: u64,
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
    let mut f = FiguresPartial {
        revenue: revenue_in(s, scope, part, w.from, end),
        new_customers: part
            .units
            .clone()
            .filter(|&u| w.contains(acquired[u]) && scope.unit(u))
            .count() as u64,
        ..FiguresPartial::default()
    };
    let d = &s.deals;
    let period_end = w.to.min(w.as_of);
    for i in part.deals.clone() {
        if d.status[i] == DealStatus::Unknown || !scope.deal(i) {
            continue;
        }
        if w.contains(d.created_at[i]) {
            f.pipeline_created += d.amount[i];
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
                f.cycles
                    .push((d.closed_at[i] - d.created_at[i]) as f64 / MILLIS_PER_DAY as f64);
            }
            DealStatus::Lost => f.lost += 1,
            _ => {}
        }
    }
    f.spend = spend_in(s, scope, part.spend.clone(), w.from, end, SpendOf::All);
    f.retention = retention(s, scope, part, w);
    f.monthly = monthly_retention(s, scope, part, w);
    for_each_unit(s, scope, part, &[(w.from, end)], |_, v| {
        f.paying += u64::from(v[0] > 0)
    });
    f.sla = sla_partial(s, scope, part, w);
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
        spend: p.spend,
        ..Figures::default()
    };
    f.win_rate = ratio(p.won as f64, (p.won + p.lost) as f64);
    f.avg_deal_size = ratio(p.won_amount as f64, p.won_with_amount as f64);
    p.cycles.sort_by(f64::total_cmp);
    f.sales_cycle_days = percentile_cont(&p.cycles, 0.5);
    f.mean_cycle_days = ratio(p.cycles.iter().sum(), p.cycles.len() as f64);
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
    let months = (w.end() - w.from) as f64 / MILLIS_PER_DAY as f64 / DAYS_PER_MONTH;
    let arpu_month = ratio(f.revenue, p.paying as f64).and_then(|a| ratio(a, months));
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
    f.entries = p.entries;
    f
}

/// Everything the scorecard adds up, over one part.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScorecardPartial {
    pub now: FiguresPartial,
    pub before: FiguresPartial,
    pub reach: ReachPartial,
}

impl ScorecardPartial {
    pub fn merge(self, o: ScorecardPartial) -> ScorecardPartial {
        ScorecardPartial {
            now: self.now.merge(o.now),
            before: self.before.merge(o.before),
            reach: self.reach.merge(o.reach),
        }
    }
}

pub fn scorecard_partial(
    s: &Snapshot,
    scope: &Scope<'_>,
    part: &Part,
    w: &Window,
    acquired: &[Millis],
) -> ScorecardPartial {
    ScorecardPartial {
        now: figures_partial(s, scope, part, w, acquired),
        before: figures_partial(s, scope, part, &w.previous(), acquired),
        reach: reach_partial(s, scope, part, w),
    }
}

/// The whole scorecard for one scope, its parts computed in parallel.
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
    let acquired = acquired_at(s, w.as_of);
    let merged = map_merge(
        parts,
        |p| scorecard_partial(s, scope, p, w, &acquired),
        ScorecardPartial::merge,
    )
    .unwrap_or_default();
    finish(s, scope, w, segment, merged)
}

/// Turns the merged partial into the report.
pub fn finish(
    s: &Snapshot,
    scope: &Scope<'_>,
    w: &Window,
    segment: Option<&str>,
    p: ScorecardPartial,
) -> ScorecardReport {
    let now = figures(s, w, p.now);
    let before = figures(s, &w.previous(), p.before);
    let code = s.currency.code().to_string();
    let money = |v: f64| major(s, v);
    let goal = |metric: &str, combine| target(s, metric, w.from, w.to, segment, combine);
    let mut metrics = Vec::new();
    let mut push = |name: &'static str,
                    unit: String,
                    get: &dyn Fn(&Figures) -> Option<f64>,
                    target: Option<f64>| {
        metrics.push(Metric {
            name,
            value: get(&now),
            previous: get(&before),
            target,
            unit,
        });
    };
    push(
        "revenue",
        code.clone(),
        &|f| Some(money(f.revenue)),
        goal("revenue", Combine::Sum),
    );
    push(
        "new_customers",
        "count".into(),
        &|f| Some(f.new_customers as f64),
        goal("new_customers", Combine::Sum),
    );
    push(
        "pipeline_created",
        code.clone(),
        &|f| Some(money(f.pipeline_created)),
        goal("pipeline", Combine::Sum),
    );
    push(
        "win_rate",
        "ratio".into(),
        &|f| f.win_rate,
        goal("win_rate", Combine::Mean),
    );
    push(
        "avg_deal_size",
        code.clone(),
        &|f| f.avg_deal_size.map(money),
        None,
    );
    push(
        "sales_cycle_days",
        "days".into(),
        &|f| f.sales_cycle_days,
        None,
    );
    push(
        "sales_velocity",
        format!("{code}/day"),
        &|f| f.sales_velocity.map(money),
        None,
    );
    push(
        "pipeline_coverage",
        "multiple".into(),
        &|f| f.pipeline_coverage,
        None,
    );
    push("cac", code.clone(), &|f| f.cac.map(money), None);
    push(
        "nrr",
        "ratio".into(),
        &|f| f.nrr,
        goal("nrr", Combine::Mean),
    );
    push("grr", "ratio".into(), &|f| f.grr, None);
    push("logo_churn", "ratio".into(), &|f| f.logo_churn, None);
    push("ltv", code.clone(), &|f| f.ltv.map(money), None);
    push("ltv_cac", "multiple".into(), &|f| f.ltv_cac, None);
    push(
        "lead_response_minutes",
        "minutes".into(),
        &|f| f.lead_response_minutes,
        None,
    );
    push(
        "sla_breach_rate",
        "ratio".into(),
        &|f| f.sla_breach_rate,
        None,
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
                &|f| f.entries.get(k).map(|e| *e as f64),
                goal(metric, Combine::Sum),
            );
        }
    }
    ScorecardReport {
        period: w.period(),
        previous_period: w.previous().period(),
        as_of: w.as_of_text(),
        currency: code,
        metrics,
        reach: reach_rows(s, scope, w, p.reach),
        unconverted: s.unconverted.clone(),
    }
}

/// Reach counts of one channel.
#[derive(Debug, Default, Clone, PartialEq)]
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
#[derive(Debug, Default, Clone, PartialEq)]
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
