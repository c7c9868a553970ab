//! The scorecard (metrics.md "Scorecard"): every revenue-linked KPI of a period beside
//! the preceding period of equal length and the shared target, and the reach of each
//! channel only ever beside the conversion to customer and the cost per customer it led to.

use crate::funnel::Period;
use crate::slice::Scope;
use crate::snapshot::{DealStatus, NEVER, NONE, Snapshot, Team, Unconverted, month_start};
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

fn ratio(a: f64, b: f64) -> Option<f64> {
    (b != 0.0 && a.is_finite() && b.is_finite()).then(|| a / b)
}

/// Revenue of the scope in [from, end), in minor units.
pub fn revenue_in(s: &Snapshot, scope: &Scope<'_>, from: Millis, end: Millis) -> i64 {
    let r = &s.revenue;
    (0..r.at.len())
        .filter(|&i| r.at[i] >= from && r.at[i] < end && scope.revenue(i))
        .map(|i| r.amount[i])
        .sum()
}

/// Walks the revenue rows unit by unit (they are stored in unit order) and calls `f`
/// with each unit and its net revenue in each of `windows` ([start, end) pairs).
pub fn for_each_unit(
    s: &Snapshot,
    scope: &Scope<'_>,
    windows: &[(Millis, Millis)],
    mut f: impl FnMut(u32, &[i64]),
) {
    let r = &s.revenue;
    let mut sums = vec![0i64; windows.len()];
    let mut current = NONE;
    let mut touched = false;
    for i in 0..r.at.len() {
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
        if !scope.revenue(i) {
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
/// positive revenue, whichever came first, up to `as_of` (`NEVER` otherwise).
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

/// Spend of the scope in [from, end), minor units, spread evenly over each row's days;
/// `None` when spend cannot be split by the scope's dimension.
pub fn spend_in(
    s: &Snapshot,
    scope: &Scope<'_>,
    from: Millis,
    end: Millis,
    channel: Option<u32>,
) -> Option<f64> {
    if !scope.has_spend() {
        return None;
    }
    let sp = &s.spend;
    let mut total = 0.0;
    for i in 0..sp.amount.len() {
        if channel.is_some_and(|c| sp.channel[i] != c) || scope.spend(i) != Some(true) {
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

/// NRR, GRR and logo churn of `w` against the preceding period of equal length.
pub fn retention(
    s: &Snapshot,
    scope: &Scope<'_>,
    w: &Window,
) -> (Option<f64>, Option<f64>, Option<f64>) {
    let mut r = Retention::default();
    for_each_unit(
        s,
        scope,
        &[(w.previous().from, w.from), (w.from, w.end())],
        |_, v| r.add(v[0], v[1]),
    );
    r.rates()
}

/// Sums behind NRR, GRR and logo churn.
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

    /// (NRR, GRR, logo churn).
    pub fn rates(&self) -> (Option<f64>, Option<f64>, Option<f64>) {
        (
            ratio(self.kept as f64, self.base as f64),
            ratio(self.gross as f64, self.base as f64),
            ratio(self.churned as f64, self.members as f64),
        )
    }
}

/// GRR month over month, pooled over the calendar months that start in the window.
pub fn monthly_grr(s: &Snapshot, scope: &Scope<'_>, w: &Window) -> Option<f64> {
    let zone = s.timezone;
    // Month boundaries from the month before the first month starting in the window.
    let mut first = month_start(zone, w.from);
    if crate::snapshot::day_start(zone, first) < w.from {
        first = first + chrono::Months::new(1);
    }
    let mut bounds = vec![crate::snapshot::day_start(
        zone,
        first - chrono::Months::new(1),
    )];
    let mut month = first;
    loop {
        let start = crate::snapshot::day_start(zone, month);
        if start >= w.end() {
            break;
        }
        bounds.push(start);
        month = month + chrono::Months::new(1);
    }
    if bounds.len() < 2 {
        return None;
    }
    let end = w.end();
    let windows: Vec<(Millis, Millis)> = (0..bounds.len())
        .map(|k| {
            let next = bounds
                .get(k + 1)
                .copied()
                .unwrap_or_else(|| crate::snapshot::day_start(zone, month));
            (bounds[k], next.min(end))
        })
        .collect();
    let mut r = Retention::default();
    for_each_unit(s, scope, &windows, |_, v| {
        for k in 1..v.len() {
            r.add(v[k - 1], v[k]);
        }
    });
    r.rates().1
}

/// Minutes from entering `mql` to the first sales touchpoint, for the scope's contacts
/// that entered `mql` in the window: (responded minutes, breached, pending, entered).
pub struct Responses {
    pub minutes: Vec<f64>,
    pub entered: Vec<usize>,
    /// Per entered contact: minutes to the first sales touch by the as-of time, if any.
    pub response: Vec<Option<f64>>,
}

pub fn responses(s: &Snapshot, scope: &Scope<'_>, w: &Window) -> Option<Responses> {
    let mql = s.stage_index("mql")?;
    let k = s.stages.len();
    let mut out = Responses {
        minutes: Vec::new(),
        entered: Vec::new(),
        response: Vec::new(),
    };
    for c in 0..s.contacts() {
        let at = s.entered[c * k + mql];
        if at == NEVER || !w.contains(at) || !scope.contact(c) {
            continue;
        }
        let t = &s.touchpoints;
        let first = s
            .touches_of(c)
            .find(|&i| t.team[i] == Team::Sales && t.at[i] >= at && t.at[i] <= w.as_of);
        let minutes = first.map(|i| (t.at[i] - at) as f64 / 60_000.0);
        if let Some(m) = minutes {
            out.minutes.push(m);
        }
        out.entered.push(c);
        out.response.push(minutes);
    }
    out.minutes.sort_by(f64::total_cmp);
    Some(out)
}

/// Computes every figure of one window.
pub fn figures(s: &Snapshot, scope: &Scope<'_>, w: &Window, acquired: &[Millis]) -> Figures {
    let end = w.end();
    let mut f = Figures {
        revenue: revenue_in(s, scope, w.from, end) as f64,
        ..Figures::default()
    };
    f.new_customers = acquired
        .iter()
        .enumerate()
        .filter(|(u, t)| w.contains(**t) && scope.unit(*u))
        .count() as u64;

    let d = &s.deals;
    let (mut won_amount, mut won_with_amount) = (0i64, 0u64);
    let mut cycles = Vec::new();
    let period_end = w.to.min(w.as_of);
    let mut coverage_pipeline = 0i64;
    for i in 0..d.status.len() {
        if d.status[i] == DealStatus::Unknown || !scope.deal(i) {
            continue;
        }
        if w.contains(d.created_at[i]) {
            f.pipeline_created += d.amount[i] as f64;
        }
        if d.created_at[i] < period_end && d.closed_at[i] >= period_end {
            f.open_deals += 1;
        }
        // Open at the as-of time and expected to close in the rest of the period.
        if d.created_at[i] <= w.as_of
            && d.closed_at[i] > w.as_of
            && d.expected_close_at[i] >= w.from.max(w.as_of)
            && d.expected_close_at[i] < w.to
        {
            coverage_pipeline += d.amount[i];
        }
        if !w.contains(d.closed_at[i]) {
            continue;
        }
        match d.status[i] {
            DealStatus::Won => {
                f.won += 1;
                if d.has_amount[i] {
                    won_amount += d.amount[i];
                    won_with_amount += 1;
                }
                cycles.push((d.closed_at[i] - d.created_at[i]) as f64 / MILLIS_PER_DAY as f64);
            }
            DealStatus::Lost => f.lost += 1,
            _ => {}
        }
    }
    f.win_rate = ratio(f.won as f64, (f.won + f.lost) as f64);
    f.avg_deal_size = ratio(won_amount as f64, won_with_amount as f64);
    cycles.sort_by(f64::total_cmp);
    f.sales_cycle_days = percentile_cont(&cycles, 0.5);
    f.mean_cycle_days = ratio(cycles.iter().sum(), cycles.len() as f64);
    f.sales_velocity = match (f.avg_deal_size, f.win_rate, f.mean_cycle_days) {
        (Some(size), Some(rate), Some(days)) => ratio(f.open_deals as f64 * size * rate, days),
        _ => None,
    };
    let segment = None;
    if w.as_of < w.to
        && let Some(goal) = target(s, "revenue", w.from, w.to, segment, Combine::Sum)
    {
        let so_far = major(s, revenue_in(s, scope, w.from, end) as f64);
        let gap = goal - so_far;
        if gap > 0.0 {
            f.pipeline_coverage = ratio(major(s, coverage_pipeline as f64), gap);
        }
    }
    f.spend = spend_in(s, scope, w.from, end, None);
    f.cac = f.spend.and_then(|sp| ratio(sp, f.new_customers as f64));
    (f.nrr, f.grr, f.logo_churn) = retention(s, scope, w);

    let mut paying = 0usize;
    for_each_unit(s, scope, &[(w.from, end)], |_, v| {
        paying += usize::from(v[0] > 0)
    });
    let months = (end - w.from) as f64 / MILLIS_PER_DAY as f64 / DAYS_PER_MONTH;
    let arpu_month = ratio(f.revenue, paying as f64).and_then(|a| ratio(a, months));
    f.monthly_grr = monthly_grr(s, scope, w);
    f.ltv = match (arpu_month, f.monthly_grr) {
        (Some(arpu), Some(g)) if g < 1.0 => ratio(arpu * s.gross_margin, 1.0 - g),
        _ => None,
    };
    f.ltv_cac = match (f.ltv, f.cac) {
        (Some(l), Some(c)) => ratio(l, c),
        _ => None,
    };
    let handoff = crate::sla::sla(s, scope, w);
    f.lead_response_minutes = handoff.median_response_minutes;
    f.sla_breach_rate = handoff.breach_rate;
    let k = s.stages.len();
    f.entries = vec![0; k];
    for c in 0..s.contacts() {
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

/// The whole scorecard for one scope.
pub fn scorecard(
    s: &Snapshot,
    scope: &Scope<'_>,
    w: &Window,
    segment: Option<&str>,
) -> ScorecardReport {
    let acquired = acquired_at(s, w.as_of);
    let (now, (before, reach)) = rayon::join(
        || figures(s, scope, w, &acquired),
        || {
            rayon::join(
                || figures(s, scope, &w.previous(), &acquired),
                || reach(s, scope, w),
            )
        },
    );
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
                &|f| Some(f.entries[k] as f64),
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
        reach,
        unconverted: s.unconverted.clone(),
    }
}

/// Reach per channel beside the leads, customers and spend of the same channel.
pub fn reach(s: &Snapshot, scope: &Scope<'_>, w: &Window) -> Vec<ReachRow> {
    #[derive(Default, Clone)]
    struct Acc {
        impressions: u64,
        clicks: u64,
        visits: u64,
        email_opens: u64,
        touchpoints: u64,
        leads: u64,
        customers: u64,
    }
    // One slot per name (channels are names), and the last for `(none)`.
    let none_slot = s.names.len();
    let slot = |ch: u32| if ch == NONE { none_slot } else { ch as usize };
    let mut by: Vec<Acc> = (0..=none_slot).map(|_| Acc::default()).collect();
    let t = &s.touchpoints;
    let kind = |name: &str| s.names.get(name);
    let (imp, click, visit, open) = (
        kind("impression"),
        kind("click"),
        kind("visit"),
        kind("email_open"),
    );
    for i in 0..t.at.len() {
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
    let customer = s.stage_index("customer").unwrap_or(k - 1);
    for c in 0..s.contacts() {
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
    let mut rows: Vec<ReachRow> = by
        .into_iter()
        .enumerate()
        .filter(|(_, a)| a.touchpoints > 0 || a.leads > 0)
        .map(|(i, a)| {
            let ch = if i == none_slot { NONE } else { i as u32 };
            let spend = if ch == NONE {
                None
            } else {
                spend_in(s, scope, w.from, w.end(), Some(ch)).map(|v| major(s, v))
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
