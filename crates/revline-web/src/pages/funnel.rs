//! The funnel page, its chart, and the people behind one stage.

use super::chrome::{Chrome, chrome, csv_download};
use super::ui::Ui;
use super::{OrPage, PageResult, render, url_encode};
use crate::AppState;
use crate::auth::{Page, WebUser};
use crate::i18n::Tr;
use askama::Template;
use axum::extract::{Query, State};
use revline_engine::funnel::FunnelReport;
use revline_engine::query::{Member, MembersReport, ReportKind, ReportParams, Sliced};
use serde_json::json;

/// The funnel as bars of stage entries with the step conversion as a line.
pub(super) fn funnel_chart(tr: &Tr, funnel: &FunnelReport, small: bool) -> String {
    let keys: Vec<&str> = funnel.stages.iter().map(|s| s.stage.as_str()).collect();
    let labels: Vec<String> = keys.iter().map(|k| tr.label("stage", k)).collect();
    let reached: Vec<u64> = funnel.stages.iter().map(|s| s.reached).collect();
    let step: Vec<Option<f64>> = funnel
        .stages
        .iter()
        .map(|s| s.step_conversion.map(|v| (v * 1000.0).round() / 10.0))
        .collect();
    let mut option = json!({
        "keys": keys,
        "color": ["#14b8a6", "#0f172a"],
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 50, "right": 50, "top": 30, "bottom": 30},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": [{"type": "value"}, {"type": "value", "max": 100, "axisLabel": {"formatter": "{value}%"}}],
        "series": [
            {"name": tr.t("funnel.reached"), "type": "bar", "data": reached, "barMaxWidth": 56,
             "label": {"show": true, "position": "top"}},
            {"name": tr.t("funnel.step"), "type": "line", "yAxisIndex": 1, "data": step,
             "label": {"show": !small, "formatter": "{c}%"}}
        ]
    });
    if !small {
        option["legend"] = json!({"top": 0});
    }
    option.to_string()
}

pub struct StageRow {
    pub key: String,
    pub href: String,
    pub stage: String,
    pub reached: String,
    pub step: String,
    pub interval: String,
    pub cumulative: String,
    pub drop_off: String,
    pub median: String,
    pub p90: String,
    pub rework: String,
    /// "of which N implied by a later stage", when any.
    pub implied: String,
}

fn stage_rows(tr: &Tr, funnel: &FunnelReport) -> Vec<StageRow> {
    let stages = &funnel.stages;
    let count = |n: u64| tr.value(Some(n as f64), "count");
    stages
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let drop = i
                .checked_sub(1)
                .map(|p| stages[p].reached as f64 - s.reached as f64);
            StageRow {
                href: String::new(),
                key: s.stage.clone(),
                stage: tr.label("stage", &s.stage),
                reached: count(s.reached),
                step: tr.value(s.step_conversion, "ratio"),
                interval: match (s.step_conversion_low, s.step_conversion_high) {
                    (Some(l), Some(h)) => format!("{}–{}", tr.percent(l), tr.percent(h)),
                    _ => "–".into(),
                },
                cumulative: tr.value(s.cumulative_conversion, "ratio"),
                drop_off: drop.map(|d| tr.count(d)).unwrap_or_else(|| "–".into()),
                median: tr.value(s.median_days_from_previous, "days"),
                p90: tr.value(s.p90_days_from_previous, "days"),
                rework: count(s.rework),
                implied: if s.implied > 0 {
                    tr.t("funnel.implied")
                        .replace("{n}", &tr.count(s.implied as f64))
                } else {
                    String::new()
                },
            }
        })
        .collect()
}

pub struct SegmentFunnel {
    pub value: String,
    pub cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "funnel.html")]
struct FunnelPage {
    c: Chrome,
    view: String,
    by: String,
    dims: Vec<(String, String)>,
    rows: Vec<StageRow>,
    chart: String,
    stage_names: Vec<String>,
    segments: Vec<SegmentFunnel>,
    people_url: String,
    /// Nobody entered the first stage in the period.
    empty: bool,
}

const DIMS: [&str; 7] = [
    "channel",
    "first_touch_channel",
    "campaign",
    "segment",
    "owner",
    "country",
    "score_band",
];

pub(super) async fn funnel(
    State(state): State<AppState>,
    Page(w): Page,
    Query(ui): Query<Ui>,
) -> PageResult {
    funnel_inner(&state, &w, &ui).await
}

pub(super) async fn funnel_inner(state: &AppState, w: &WebUser, ui: &Ui) -> PageResult {
    let tr = w.tr;
    let period = ui.period(state, "last_12_months");
    let view = ui
        .view
        .clone()
        .filter(|v| v == "flow")
        .unwrap_or_else(|| "cohort".into());
    let by = ui
        .by
        .clone()
        .filter(|b| DIMS.contains(&b.as_str()))
        .unwrap_or_default();
    let mut params = ui.params(&period);
    params.view = Some(view.clone());
    if !by.is_empty() {
        params.by = Some(by.clone());
        params.filter = None;
    }
    let csv = csv_download(&tr, "nav.funnel", ReportKind::Funnel, &params);
    let sliced = crate::reports::run::<Sliced<FunnelReport>>(state, params)
        .await
        .or_page(tr)?;
    let report = sliced.overall();
    let rows = stage_rows(&tr, report);
    let segments = sliced
        .segments()
        .iter()
        // A value nobody of the period has (contacts that never became leads, under
        // score bands) would be a row of zeros.
        .filter(|s| s.report.stages.iter().any(|st| st.reached > 0))
        .map(|s| SegmentFunnel {
            value: s.value.clone(),
            cells: s
                .report
                .stages
                .iter()
                .map(|st| {
                    format!(
                        "{} · {}",
                        tr.value(Some(st.reached as f64), "count"),
                        tr.value(st.step_conversion, "ratio")
                    )
                })
                .collect(),
        })
        .collect();
    let c = chrome(
        state,
        w,
        ui,
        "funnel",
        "nav.funnel",
        Some(&period),
        by.is_empty(),
    )
    .downloads(vec![csv]);
    let sep = if c.qs.is_empty() { "?" } else { "&" };
    let people_url = format!("/funnel/people{}{sep}view={view}&stage=__KEY__", c.qs);
    let mut rows = rows;
    for r in &mut rows {
        r.href = people_url.replace("__KEY__", &url_encode(&r.key));
    }
    let page = FunnelPage {
        empty: report.stages.first().is_none_or(|s| s.reached == 0),
        dims: DIMS
            .iter()
            .map(|d| (d.to_string(), tr.label("dim", d)))
            .collect(),
        stage_names: rows.iter().map(|r| r.stage.clone()).collect(),
        chart: funnel_chart(&tr, report, false),
        rows,
        segments,
        people_url,
        view,
        by,
        c,
    };
    render(&page).or_page(tr)
}

pub struct Person {
    pub id: String,
    pub entered: String,
    pub channel: String,
    pub owner: String,
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    c: Chrome,
    heading: String,
    people: Vec<Person>,
    total: String,
    back: String,
}

/// The people of a funnel step: cohort view, those whose first stage fell in the
/// period and who reached the stage by the as-of time; flow view, those who entered
/// the stage in the period. The newest first, at most 500.
pub(super) async fn funnel_people(
    State(state): State<AppState>,
    Page(w): Page,
    Query(ui): Query<Ui>,
) -> PageResult {
    funnel_people_inner(&state, &w, &ui).await
}

/// The people behind one stage of the funnel: the engine's members report with the
/// page's period, view, window and filter, so the list is exactly the count clicked.
async fn funnel_people_inner(state: &AppState, w: &WebUser, ui: &Ui) -> PageResult {
    let tr = w.tr;
    let period = ui.period(state, "last_12_months");
    let stage_name = ui.stage.clone().unwrap_or_default();
    let params = ReportParams {
        view: ui.view.clone().filter(|v| !v.is_empty()),
        stage: Some(stage_name.clone()),
        ..ui.params(&period)
    };
    let csv = csv_download(&tr, "funnel.people_csv", ReportKind::Members, &params);
    let report = crate::reports::run::<MembersReport>(state, params)
        .await
        .or_page(tr)?;
    let mut found: Vec<&Member> = report.members.iter().collect();
    // Latest entries first.
    found.sort_by(|a, b| b.entered_at.cmp(&a.entered_at));
    let people = found
        .into_iter()
        .take(500)
        .map(|m| Person {
            id: m.contact_id.clone(),
            entered: tr.datetime(&m.entered_at),
            channel: m.channel.clone(),
            owner: m.owner.clone().unwrap_or_default(),
        })
        .collect();
    let c = chrome(state, w, ui, "funnel", "nav.funnel", Some(&period), false).downloads(vec![csv]);
    let page = PeoplePage {
        heading: tr
            .t("funnel.people")
            .replace("{stage}", &tr.label("stage", &stage_name)),
        back: format!("/funnel{}", c.qs),
        c,
        people,
        total: tr.value(Some(report.count as f64), "count"),
    };
    render(&page).or_page(tr)
}
