//! Retention: NRR, GRR, cohorts, MRR movements, LTV by channel, service and the SLA.

use super::chrome::{Chrome, chrome, csv_download};
use super::findings::{Finding, findings, whole_chain};
use super::ui::Ui;
use super::{OrPage, PageResult, render};
use crate::AppState;
use crate::auth::{Page, WebUser};
use crate::i18n::Tr;
use askama::Template;
use axum::extract::{Query, State};
use revline_engine::cohorts::CohortsReport;
use revline_engine::link::LinkKind;
use revline_engine::mrr::{MrrMonth, MrrReport};
use revline_engine::query::{ReportKind, Sliced};
use revline_engine::scorecard::RetentionBasis;
use revline_engine::sla::SlaReport;
use serde_json::{Value, json};

#[derive(Template)]
#[template(path = "retention.html")]
struct RetentionPage {
    c: Chrome,
    figures: Vec<(String, String, String)>,
    /// The units NRR, GRR and logo churn were computed over.
    units: String,
    basis: String,
    heat: String,
    mrr_chart: Option<String>,
    /// Said when recurring rows without a service period were read as monthly.
    mrr_note: String,
    channels: Vec<(String, String, String, String, String)>,
    service: Vec<Finding>,
    /// Tickets were imported: without them the service link has nothing to say.
    has_tickets: bool,
    /// No customer was acquired in the period: the cohorts have nothing to show.
    no_cohorts: bool,
    /// Why the heat map has nothing to show though there are cohorts (no revenue).
    no_revenue: String,
    sla: Vec<(String, String)>,
}

pub(super) async fn retention(
    State(state): State<AppState>,
    Page(w): Page,
    Query(ui): Query<Ui>,
) -> PageResult {
    retention_inner(&state, &w, &ui).await
}

pub(super) async fn retention_inner(state: &AppState, w: &WebUser, ui: &Ui) -> PageResult {
    let tr = w.tr;
    let period = ui.period(state, "last_12_months");
    let params = ui.params(&period);
    let csv = vec![
        csv_download(&tr, "retention.mrr_csv", ReportKind::Mrr, &params),
        csv_download(&tr, "retention.cohorts_csv", ReportKind::Cohorts, &params),
    ];
    let cohorts = crate::reports::run::<Sliced<CohortsReport>>(state, params.clone())
        .await
        .or_page(tr)?;
    let cohorts = cohorts.overall();
    let mut by_channel = params.clone();
    by_channel.by = Some("first_touch_channel".into());
    by_channel.filter = None;
    let by = crate::reports::run::<Sliced<CohortsReport>>(state, by_channel)
        .await
        .or_page(tr)?;
    let bn = whole_chain(state, &params).await.or_page(tr)?;
    let sla = crate::reports::run::<Sliced<SlaReport>>(state, params.clone())
        .await
        .or_page(tr)?;
    let mrr = crate::reports::run::<Sliced<MrrReport>>(state, params.clone())
        .await
        .or_page(tr)?;
    let mrr = mrr.overall();
    let cur = cohorts.currency.as_str();
    let count = |n: u64| tr.value(Some(n as f64), "count");
    let units = if cohorts.nrr.is_none() {
        format!(
            "{}: {}",
            tr.t("common.no_data"),
            tr.t(if cohorts.customers > 0 && cohorts.reason_code.is_none() {
                "missing.no_retention_base"
            } else {
                "missing.no_revenue"
            })
        )
    } else {
        format!("n = {}", tr.count(cohorts.retention_units as f64))
    };
    let figures = vec![
        (
            tr.t("metric.nrr").to_string(),
            tr.value(cohorts.nrr, "ratio"),
            "nrr".to_string(),
        ),
        (
            tr.t("metric.grr").to_string(),
            tr.value(cohorts.grr, "ratio"),
            "grr".into(),
        ),
        (
            tr.t("metric.logo_churn").to_string(),
            tr.value(cohorts.logo_churn, "ratio"),
            "logo_churn".into(),
        ),
        (
            tr.t("cohort.customers").to_string(),
            count(cohorts.customers),
            "customers".into(),
        ),
    ];
    let basis = tr
        .t(match cohorts.basis {
            RetentionBasis::Mrr => "cohort.basis_mrr",
            RetentionBasis::Revenue => "cohort.basis_revenue",
        })
        .to_string();
    let channels = by
        .segments()
        .iter()
        .map(|s| {
            (
                s.value.clone(),
                count(s.report.customers),
                tr.value(s.report.nrr, "ratio"),
                tr.value(s.report.grr, "ratio"),
                tr.value(s.report.oldest_cohort_ltv(), cur),
            )
        })
        .collect();
    let service = findings(&tr, &bn, usize::MAX, |k| k == LinkKind::Retention);
    let sla = sla_figures(&tr, sla.overall());
    let page = RetentionPage {
        has_tickets: state.snapshot().records_service(),
        no_cohorts: cohorts.customers == 0,
        no_revenue: cohorts.reason_code.map_or(String::new(), |code| {
            format!(
                "{}: {}",
                tr.t("common.no_data"),
                tr.t(&format!("missing.{}", code.code()))
            )
        }),
        c: chrome(
            state,
            w,
            ui,
            "retention",
            "nav.retention",
            Some(&period),
            true,
        )
        .downloads(csv),
        figures,
        units,
        basis,
        heat: cohort_heatmap(&tr, cohorts),
        mrr_chart: mrr_chart(&tr, mrr),
        mrr_note: if mrr.rows_paid_yearly > 0 {
            tr.t("mrr.no_period")
                .replace("{n}", &tr.count(mrr.rows_paid_yearly as f64))
                .replace("{total}", &tr.count(mrr.recurring_rows as f64))
        } else {
            String::new()
        },
        channels,
        service,
        sla,
    };
    render(&page).or_page(tr)
}

/// Revenue retention per cohort and month since acquisition, each row named with its
/// cohort's size.
fn cohort_heatmap(tr: &Tr, cohorts: &CohortsReport) -> String {
    let rows = &cohorts.cohorts;
    let names: Vec<String> = rows
        .iter()
        .map(|r| format!("{} · {}", tr.month(&r.cohort), tr.count(r.customers as f64)))
        .collect();
    let width = rows
        .iter()
        .map(|r| r.revenue_retention.len())
        .max()
        .unwrap_or(0);
    // A cohort much smaller than the typical one is drawn faintly: its percentages move
    // by whole customers.
    let mut sizes: Vec<u64> = rows.iter().map(|r| r.customers).collect();
    sizes.sort_unstable();
    let typical = sizes.get(sizes.len() / 2).copied().unwrap_or(0) as f64;
    let (mut cells, mut faint, mut unfinished) = (Vec::new(), Vec::new(), Vec::new());
    for (y, r) in rows.iter().enumerate() {
        let small = (r.customers as f64) < (typical / 4.0).max(10.0);
        let last = r.revenue_retention.len();
        for (x, v) in r.revenue_retention.iter().enumerate() {
            let Some(v) = v else { continue };
            let shown = (v * 1000.0).round() / 10.0;
            let cell = json!([x, y, shown]);
            if r.last_month_to_date && x + 1 == last {
                // The month is not over: its cell is to date, never shown as churn.
                // Its label is written here, so in the reader's own decimals.
                let decimals = if shown.fract() == 0.0 { 0 } else { 1 };
                unfinished.push(json!({
                    "value": [x, y, shown],
                    "label": {"formatter": format!("{}…", tr.number(shown, decimals))}
                }));
            } else if small {
                faint.push(cell);
            } else {
                cells.push(cell);
            }
        }
    }
    json!({
        "tooltip": {"position": "top"},
        "grid": {"left": 80, "right": 20, "top": 10, "bottom": 70},
        "xAxis": {"type": "category", "data": (0..width).map(|m| format!("M{m}")).collect::<Vec<_>>(), "splitArea": {"show": true}},
        "yAxis": {"type": "category", "data": names, "inverse": true, "splitArea": {"show": true}},
        "visualMap": {"min": 0, "max": 150, "calculable": true, "orient": "horizontal", "left": "center", "bottom": 0,
                       "seriesIndex": [0, 1],
                       "inRange": {"color": ["#fee2e2", "#fef9c3", "#ccfbf1", "#14b8a6", "#0f766e"]}},
        "series": [
            {"type": "heatmap", "data": cells, "label": {"show": true, "fontSize": 10}},
            {"type": "heatmap", "data": faint, "itemStyle": {"opacity": 0.35}, "label": {"show": true, "fontSize": 10, "color": "#64748b"}},
            {"type": "heatmap", "name": tr.t("cohort.to_date"), "data": unfinished,
             "itemStyle": {"color": "#f1f5f9", "borderColor": "#94a3b8", "borderType": "dashed", "borderWidth": 1},
             "tooltip": {"formatter": tr.t("cohort.to_date")},
             "label": {"show": true, "fontSize": 10, "color": "#64748b"}}
        ]
    })
    .to_string()
}

/// MRR movements per month as stacked bars (losses below the axis) and ending MRR.
fn mrr_chart(tr: &Tr, mrr: &MrrReport) -> Option<String> {
    let months = &mrr.months;
    if months.is_empty() {
        return None;
    }
    let labels: Vec<String> = months.iter().map(|m| tr.month(&m.month)).collect();
    let series = |of: fn(&MrrMonth) -> f64, sign: f64| -> Vec<f64> {
        months
            .iter()
            .map(|m| (of(m) * sign * 100.0).round() / 100.0)
            .collect()
    };
    let bar = |key: &str, of: fn(&MrrMonth) -> f64, sign: f64, color: &str| -> Value {
        json!({"type": "bar", "stack": "moves", "name": tr.t(&format!("mrr.{key}")),
               "data": series(of, sign), "itemStyle": {"color": color}})
    };
    Some(
        json!({
            "tooltip": {"trigger": "axis"},
            "legend": {"bottom": 0},
            "grid": {"left": 70, "right": 70, "top": 40, "bottom": 60},
            "xAxis": {"type": "category", "data": labels},
            "yAxis": [{"type": "value", "name": mrr.currency}, {"type": "value", "name": "MRR", "splitLine": {"show": false}}],
            "series": [
                bar("new", |m| m.new, 1.0, "#14b8a6"),
                bar("reactivation", |m| m.reactivation, 1.0, "#5eead4"),
                bar("expansion", |m| m.expansion, 1.0, "#0f766e"),
                bar("contraction", |m| m.contraction, -1.0, "#fca5a5"),
                bar("churned", |m| m.churned, -1.0, "#dc2626"),
                {"type": "line", "name": tr.t("mrr.ending"), "yAxisIndex": 1, "data": series(|m| m.ending, 1.0),
                 "itemStyle": {"color": "#1e293b"}}
            ]
        })
        .to_string(),
    )
}

/// The handoff SLA's figures; without any sales touchpoint no lead can be answered, so
/// the split is no data.
fn sla_figures(tr: &Tr, sla: &SlaReport) -> Vec<(String, String)> {
    if sla.reason.is_some() {
        return vec![(
            tr.t("sla.breach_rate").to_string(),
            format!(
                "{}: {}",
                tr.t("common.no_data"),
                tr.t("missing.no_sales_touches")
            ),
        )];
    }
    vec![
        (
            tr.t("sla.median").to_string(),
            tr.value(sla.median_response_minutes, "minutes"),
        ),
        (
            tr.t("sla.breach_rate").to_string(),
            tr.value(sla.breach_rate, "ratio"),
        ),
        (
            tr.t("sla.on_time").to_string(),
            tr.value(sla.within_sla.as_ref().and_then(|g| g.conversion), "ratio"),
        ),
        (
            tr.t("sla.late").to_string(),
            tr.value(sla.late.as_ref().and_then(|g| g.conversion), "ratio"),
        ),
    ]
}
