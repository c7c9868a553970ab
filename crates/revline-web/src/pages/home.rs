//! Home: the scorecard against targets, reach with what it led to, the small funnel
//! and the top findings.

use super::chrome::{Chrome, chrome, csv_download};
use super::findings::{Finding, findings, whole_chain};
use super::funnel::funnel_chart;
use super::ui::{Ui, local_date};
use super::{OrPage, PageResult, render, url_encode};
use crate::AppState;
use crate::auth::{Page, WebUser};
use crate::i18n::{Lang, Tr};
use askama::Template;
use axum::extract::{Query, State};
use revline_engine::funnel::FunnelReport;
use revline_engine::query::{ReportKind, ReportParams, Sliced};
use revline_engine::scorecard::{Direction, Metric, PreviousPeriod, ScorecardReport};

pub struct Kpi {
    pub name: String,
    pub key: String,
    pub value: String,
    pub previous: String,
    pub change: String,
    pub change_class: &'static str,
    pub target: String,
    pub progress: Option<u32>,
    /// Where the pace (the share of the target expected by now) sits on the bar.
    pub pace_mark: Option<u32>,
    /// "on pace", "behind by X" or "ahead by X".
    pub pace_text: String,
    pub pace_class: &'static str,
    /// The count a rate was computed from, or why there is no figure.
    pub note: String,
}

/// What the scorecard's previous figures are: "vs 1.07.2026 - 2.09.2026 (to date)".
fn comparison_text(tr: &Tr, tz: chrono_tz::Tz, p: &PreviousPeriod) -> String {
    use revline_engine::calendar::Basis;
    // A whole period's exclusive end is shown as its last day.
    let back = if p.basis == Basis::Full { 1 } else { 0 };
    format!(
        "{} {} – {} ({})",
        tr.t("cmp.vs"),
        tr.date(&local_date(tz, &p.from, 0)),
        tr.date(&local_date(tz, &p.to, back)),
        tr.t(match p.basis {
            Basis::ToDate => "cmp.to_date",
            Basis::Full => "cmp.full",
        })
    )
}

fn kpi(tr: &Tr, m: &Metric) -> Kpi {
    let unit = m.unit.as_str();
    let (value, previous, target, pace) = (m.value, m.previous, m.target, m.pace);
    let higher_is_better = m.direction() == Direction::HigherIsBetter;
    let (change, change_class) = match (value, previous) {
        (Some(v), Some(p)) if p.abs() > f64::EPSILON => {
            let rel = (v - p) / p.abs();
            let good = (rel >= 0.0) == higher_is_better;
            (
                format!(
                    "{}{}",
                    if rel >= 0.0 { "▲ " } else { "▼ " },
                    tr.percent(rel.abs())
                ),
                if rel.abs() < 0.005 {
                    ""
                } else if good {
                    "up"
                } else {
                    "down"
                },
            )
        }
        _ => (String::new(), ""),
    };
    let (pace_text, pace_class) = match (value, pace) {
        (Some(v), Some(p)) if p > 0.0 => {
            let gap = v - p;
            if gap.abs() <= p * 0.01 {
                (tr.t("kpi.on_pace").to_string(), "")
            } else if gap > 0.0 {
                (
                    format!("{} {}", tr.t("kpi.ahead"), tr.value(Some(gap), unit)),
                    "up",
                )
            } else {
                (
                    format!("{} {}", tr.t("kpi.behind"), tr.value(Some(-gap), unit)),
                    "down",
                )
            }
        }
        _ => (String::new(), ""),
    };
    let note = match (value, m.count) {
        (None, _) => format!(
            "{}: {}",
            tr.t("common.no_data"),
            tr.t(&format!(
                "missing.{}",
                m.reason_code.map_or("", |c| c.code())
            ))
        ),
        (Some(_), Some(n)) => format!("n = {}", tr.count(n as f64)),
        _ => String::new(),
    };
    // A bar fills towards a target only where more is better.
    let share_of_target = |x: Option<f64>| match (x, target) {
        (Some(x), Some(t)) if t > 0.0 && higher_is_better => {
            Some(((x / t) * 100.0).clamp(0.0, 100.0) as u32)
        }
        _ => None,
    };
    Kpi {
        name: tr.label("metric", m.name),
        key: m.name.to_string(),
        value: tr.value(value, unit),
        previous: tr.value(previous, unit),
        target: target.map(|t| tr.value(Some(t), unit)).unwrap_or_default(),
        progress: share_of_target(value),
        pace_mark: share_of_target(pace),
        pace_text,
        pace_class,
        note,
        change,
        change_class,
    }
}

pub struct ReachRow {
    pub channel: String,
    pub touchpoints: String,
    pub leads: String,
    pub customers: String,
    pub conversion: String,
    pub spend: String,
    pub cost_per_customer: String,
}

fn reach_rows(tr: &Tr, scorecard: &ScorecardReport) -> Vec<ReachRow> {
    let currency = scorecard.currency.as_str();
    let count = |n: u64| tr.value(Some(n as f64), "count");
    scorecard
        .reach
        .iter()
        .map(|r| ReachRow {
            channel: r.channel.clone(),
            touchpoints: count(r.touchpoints),
            leads: count(r.leads),
            customers: count(r.customers),
            conversion: tr.value(r.conversion_to_customer, "ratio"),
            spend: tr.value(r.spend, currency),
            cost_per_customer: if r.customers > 0 {
                tr.value(r.cost_per_customer, currency)
            } else {
                "–".into()
            },
        })
        .collect()
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    kpis: Vec<Kpi>,
    comparison: String,
    reach: Vec<ReachRow>,
    findings: Vec<Finding>,
    /// Some link had a volume to judge (else "no finding" says nothing).
    judged: bool,
    /// The bottlenecks page for the period the findings are from (the last 12 months).
    bottlenecks_href: String,
    funnel_chart: String,
    /// The funnel page in the view the small funnel shows (flow: the cards' counts).
    funnel_href: String,
    unconverted: usize,
}

pub(super) async fn home(
    State(state): State<AppState>,
    Page(w): Page,
    Query(ui): Query<Ui>,
) -> PageResult {
    home_inner(&state, &w, &ui).await
}

async fn home_inner(state: &AppState, w: &WebUser, ui: &Ui) -> PageResult {
    let tr = w.tr;
    let period = ui.period(state, "this_quarter");
    let params = ui.params(&period);
    let csv = csv_download(&tr, "nav.home", ReportKind::Scorecard, &params);
    let scorecard = crate::reports::run::<Sliced<ScorecardReport>>(state, params.clone())
        .await
        .or_page(tr)?;
    let scorecard = scorecard.overall();
    // The small funnel counts stage entries in the period (flow), as the stage cards do,
    // so that its MQL bar and the MQL card are one figure.
    let flow = ReportParams {
        view: Some("flow".into()),
        ..params.clone()
    };
    let funnel = crate::reports::run::<Sliced<FunnelReport>>(state, flow)
        .await
        .or_page(tr)?;
    let bn = whole_chain(state, &params).await.or_page(tr)?;
    let carry = |extra: &str| {
        let qs = ui.shared_query();
        let sep = if qs.is_empty() { "?" } else { "&" };
        format!("{qs}{sep}{extra}")
    };
    let keep_as_of = ui
        .as_of
        .as_deref()
        .filter(|a| !a.is_empty())
        .map(|a| format!("&as_of={}", url_encode(a)))
        .unwrap_or_default();
    let page = HomePage {
        c: chrome(state, w, ui, "home", "nav.home", Some(&period), true).downloads(vec![csv]),
        kpis: scorecard.metrics.iter().map(|m| kpi(&tr, m)).collect(),
        comparison: comparison_text(&tr, state.settings().timezone, &scorecard.previous_period),
        reach: reach_rows(&tr, scorecard),
        findings: findings(&tr, &bn, 3, |_| true),
        judged: bn.judged,
        bottlenecks_href: format!("/bottlenecks?period=last_12_months{keep_as_of}"),
        funnel_chart: funnel_chart(&tr, funnel.overall(), true),
        funnel_href: format!("/funnel{}", carry("view=flow")),
        unconverted: scorecard.unconverted.len(),
    };
    render(&page).or_page(tr)
}

/// Computes the reports behind every page's default view, so that the first person to
/// open a page after a start, a change of data or a new minute finds them ready (the
/// cache keys reports by snapshot version and as-of minute).
pub async fn warm(state: &AppState) {
    let w = WebUser {
        user: revline_store::User {
            id: 0,
            email: "warm-up".into(),
            role: "admin".into(),
            password_hash: None,
            created_at: 0,
            lang: None,
        },
        csrf: String::new(),
        tr: Tr::new(Lang::En),
    };
    let ui = Ui::default();
    let _ = home_inner(state, &w, &ui).await;
    let _ = super::funnel::funnel_inner(state, &w, &ui).await;
    let _ = super::plan::plan_inner(state, &w, &ui).await;
    let _ = super::retention::retention_inner(state, &w, &ui).await;
    let _ = super::bottlenecks::bottlenecks_inner(state, &w, &ui).await;
    let _ = super::attribution::attribution_inner(state, &w, &ui).await;
    let _ = super::scores::scores_inner(state, &w, &ui).await;
    // The model behind the Records score column and the "why" panel.
    let _ = super::scores::scores_of(state, None, &[]).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: London's 1 July 2011 (2011-06-30T23:00:00Z) read "Jun 30".
    #[test]
    fn comparison_dates_are_the_workspace_calendar_days() {
        let london: chrono_tz::Tz = "Europe/London".parse().unwrap();
        use revline_engine::calendar::Basis;
        let card = PreviousPeriod {
            from: "2011-06-30T23:00:00Z".into(),
            to: "2011-09-10T11:00:00Z".into(),
            basis: Basis::ToDate,
        };
        assert_eq!(
            comparison_text(&Tr::new(Lang::En), london, &card),
            "Compared with Jul 1, 2011 – Sep 10, 2011 (to date)"
        );
        let whole = PreviousPeriod {
            from: "2011-06-30T23:00:00Z".into(),
            to: "2011-09-30T23:00:00Z".into(),
            basis: Basis::Full,
        };
        assert_eq!(
            comparison_text(&Tr::new(Lang::En), london, &whole),
            "Compared with Jul 1, 2011 – Sep 30, 2011 (whole period)"
        );
    }
}
