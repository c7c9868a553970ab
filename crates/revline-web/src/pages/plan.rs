//! The plan: forecast figures, the monthly forecast and the reverse funnel.

use super::chrome::{Chrome, chrome, csv_download};
use super::ui::{Ui, local_date};
use super::{OrPage, PageResult, render, typed_number};
use crate::AppState;
use crate::auth::{Page, WebUser};
use askama::Template;
use axum::extract::{Query, State};
use revline_engine::forecast::{ForecastReport, MonthRow};
use revline_engine::query::{ReportKind, Sliced};
use serde_json::json;

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    c: Chrome,
    figures: Vec<(String, String, String, String)>,
    chart: String,
    reverse: Vec<ReverseRow>,
    /// Every stage before the last is too late: said in words, not only struck through.
    all_too_late: bool,
    target: String,
}

pub struct ReverseRow {
    pub stage: String,
    pub step: String,
    pub required: String,
    pub whole: String,
    pub latest: String,
    pub too_late: bool,
    pub current: String,
}

pub(super) async fn plan(
    State(state): State<AppState>,
    Page(w): Page,
    Query(ui): Query<Ui>,
) -> PageResult {
    plan_inner(&state, &w, &ui).await
}

pub(super) async fn plan_inner(state: &AppState, w: &WebUser, ui: &Ui) -> PageResult {
    let tr = w.tr;
    let period = ui.period(state, "this_year");
    let mut params = ui.params(&period);
    let target = ui.target.clone().filter(|t| !t.trim().is_empty());
    params.target = typed_number(tr, "target", target.as_deref())?.map(|a| a.to_string());
    let csv = csv_download(&tr, "nav.plan", ReportKind::Forecast, &params);
    let sliced = crate::reports::run::<Sliced<ForecastReport>>(state, params)
        .await
        .or_page(tr)?;
    let f = sliced.overall();
    let cur = f.currency.as_str();
    // A figure whose inputs were never recorded reads as no data, with why.
    let figure = |label: &str, key: &'static str, value: Option<f64>, unit: &str| {
        let missing = f.no_data.get(key);
        (
            tr.t(label).to_string(),
            if missing.is_some() {
                "–".to_string()
            } else {
                tr.value(value, unit)
            },
            key.to_string(),
            missing.map_or(String::new(), |code| {
                format!(
                    "{}: {}",
                    tr.t("common.no_data"),
                    tr.t(&format!("missing.{}", code.code()))
                )
            }),
        )
    };
    let figures = vec![
        figure("forecast.target", "revenue_target", f.revenue_target, cur),
        figure(
            "forecast.so_far",
            "revenue_so_far",
            Some(f.revenue_so_far),
            cur,
        ),
        figure(
            "forecast.recurring_base",
            "recurring_base",
            Some(f.recurring_base),
            cur,
        ),
        figure(
            "forecast.new_business",
            "new_business_needed",
            f.new_business_needed,
            cur,
        ),
        figure(
            "forecast.projected",
            "projected_revenue",
            Some(f.projected_revenue),
            cur,
        ),
        figure("forecast.pipeline", "pipeline", Some(f.pipeline), cur),
        figure(
            "forecast.weighted",
            "weighted_pipeline",
            Some(f.weighted_pipeline),
            cur,
        ),
        figure("forecast.commit", "commit", Some(f.commit), cur),
        figure("forecast.best_case", "best_case", Some(f.best_case), cur),
        figure(
            "forecast.run_rate",
            "run_rate_annual",
            Some(f.run_rate_annual),
            cur,
        ),
        figure(
            "forecast.open_deals",
            "open_deals",
            Some(f.open_deals as f64),
            "count",
        ),
    ];
    let labels: Vec<String> = f.months.iter().map(|x| tr.month(&x.month)).collect();
    let series = |of: fn(&MonthRow) -> f64, name: &str, color: &str| {
        let data: Vec<f64> = f.months.iter().map(|x| of(x).round()).collect();
        json!({"name": tr.t(name), "type": "bar", "itemStyle": {"color": color}, "data": data})
    };
    let chart = json!({
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 80, "right": 20, "top": 40, "bottom": 40},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value"},
        "series": [
            series(|m| m.commit, "forecast.commit", "#0f766e"),
            series(|m| m.weighted, "forecast.weighted", "#14b8a6"),
            series(|m| m.best_case, "forecast.best_case", "#99f6e4")
        ]
    })
    .to_string();
    let tz = state.settings().timezone;
    let reverse: Vec<ReverseRow> = f
        .reverse_funnel
        .iter()
        .map(|r| ReverseRow {
            stage: tr.label("stage", &r.stage),
            step: tr.value(r.step_conversion, "ratio"),
            required: tr.value(r.required.map(f64::ceil), "count"),
            whole: tr.value(r.required_for_target.map(f64::ceil), "count"),
            latest: r
                .latest_entry
                .as_deref()
                .map(|t| tr.date(&local_date(tz, t, 0)))
                .unwrap_or_else(|| "–".into()),
            too_late: r.too_late,
            current: tr.value(Some(r.current as f64), "count"),
        })
        .collect();
    let all_too_late = reverse.len() > 1
        && reverse[..reverse.len() - 1]
            .iter()
            .all(|r: &ReverseRow| r.too_late)
        && f.new_business_needed.is_some_and(|n| n > 0.0);
    let page = PlanPage {
        c: chrome(state, w, ui, "plan", "nav.plan", Some(&period), true).downloads(vec![csv]),
        figures,
        chart,
        reverse,
        all_too_late,
        target: target.unwrap_or_else(|| {
            f.revenue_target
                .map(|t| format!("{t:.0}"))
                .unwrap_or_default()
        }),
    };
    render(&page).or_page(tr)
}
