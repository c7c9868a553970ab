//! Lead scoring: how well the learned score ranked later leads (AUC, calibration), the
//! threshold that fills sales' capacity with last quarter's check against the MQL
//! stage, and the best-scored leads of the period with the reasons for each score.
//!
//! The page judges the model honestly by default: it is trained on what was known when
//! the period began and judged on the period's own leads (`train_as_of` moves that).

use super::chrome::{Chrome, chrome, csv_download};
use super::ui::{Ui, local_date};
use super::{OrPage, PageError, PageResult, render, typed_number};
use crate::auth::{Page, WebUser};
use crate::i18n::Tr;
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Query, State};
use revline_engine::query::{ReportKind, ReportParams, ReportQuery};
use revline_engine::scores::{ContactScore, Reason, ScoresReport};
use serde_json::json;
use std::collections::HashMap;

/// Leads listed on the page; the CSV download has all of them.
const LISTED: usize = 50;

#[derive(Template)]
#[template(path = "scores.html")]
struct ScoresPage {
    c: Chrome,
    headline: String,
    /// Why nobody is scored (too few leads of one outcome), in the engine's words.
    unfit: String,
    figures: Vec<(String, String, String)>,
    chart: String,
    calibration: Vec<[String; 4]>,
    features: Vec<(String, String)>,
    threshold: Vec<(String, String)>,
    quarter_title: String,
    quarter: Vec<(String, String)>,
    leads: Vec<LeadRow>,
    leads_note: String,
    stages: Vec<(String, String)>,
    target: String,
    horizon: String,
    /// The training date typed, empty when it follows the period's start, which the
    /// field then shows as its placeholder (so a new period moves it).
    train_as_of: String,
    train_as_of_default: String,
    capacity: String,
}

pub struct LeadRow {
    pub id: String,
    pub score: String,
    pub reasons: Vec<(bool, String)>,
}

pub(super) async fn scores(
    State(state): State<AppState>,
    Page(w): Page,
    Query(ui): Query<Ui>,
) -> PageResult {
    scores_inner(&state, &w, &ui).await
}

pub(super) async fn scores_inner(state: &AppState, w: &WebUser, ui: &Ui) -> PageResult {
    let tr = w.tr;
    // The last whole quarter with leads, where leads stopped before the other records.
    let opening = revline_engine::calendar::quarter_now(
        state.settings().timezone,
        state.reporting_now(),
        revline_engine::scores::newest_lead_created(&state.snapshot()),
    );
    let period = ui.period_opening(state, "last_quarter", opening);
    let mut params = ui.params(&period);
    params.filter = None;
    let text = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    params.target = text(&ui.target);
    params.horizon_days = typed_number(tr, "horizon_days", ui.horizon_days.as_deref())?;
    params.capacity = typed_number(tr, "capacity", ui.capacity.as_deref())?;
    // Trained on what was known when the period began, unless told otherwise: the
    // period's leads are then later leads, and the AUC is out of time.
    let train_as_of = text(&ui.train_as_of)
        .map(|t| {
            crate::i18n::parse_date_input(&t)
                .map(|d| d.to_string())
                .ok_or_else(|| {
                    PageError::new(
                        AppError::bad(format!("train_as_of: '{t}' is not a date")),
                        tr,
                    )
                })
        })
        .transpose()?
        .unwrap_or_else(|| period.from.clone());
    params.train_as_of = Some(train_as_of.clone());
    let csv = csv_download(&tr, "nav.scores", ReportKind::Scores, &params);
    let r = crate::reports::run::<ScoresReport>(state, params)
        .await
        .or_page(tr)?;
    let m = &r.model;
    let tz = state.settings().timezone;
    let day = |t: &str| tr.date(&local_date(tz, t, 0));
    let target = tr.label("stage", &m.target);
    let headline = tr
        .t("scores.headline")
        .replace("{target}", &target)
        .replace("{days}", &tr.number(m.horizon_days, 0));
    let trained = &m.trained_on;
    let positives_share = (trained.contacts > 0)
        .then(|| trained.positives as f64 / trained.contacts as f64)
        .map_or("–".into(), |p| tr.percent(p));
    let figures = vec![
        (
            tr.t("scores.auc").to_string(),
            m.auc.map_or("–".into(), |a| tr.number(a, 3)),
            if m.auc.is_some() {
                tr.t("scores.judged_on")
                    .replace("{n}", &tr.count(m.judged_on as f64))
            } else if m.reason.is_some() {
                tr.t("scores.unfit").to_string()
            } else {
                tr.t("scores.not_judged").to_string()
            },
        ),
        (
            tr.t("scores.brier").to_string(),
            m.brier.map_or("–".into(), |b| tr.number(b, 4)),
            tr.t("scores.brier_help").to_string(),
        ),
        (
            tr.t("scores.trained_on").to_string(),
            tr.count(trained.contacts as f64),
            format!(
                "{} · {} {} ({positives_share}){}",
                tr.t("scores.leads"),
                tr.count(trained.positives as f64),
                tr.t("scores.reached").replace("{target}", &target),
                match (&trained.from, &trained.to) {
                    (Some(a), Some(b)) => format!(" · {} – {}", day(a), day(b)),
                    _ => String::new(),
                }
            ),
        ),
    ];
    let bins: Vec<String> = m.calibration.iter().map(|b| b.bin.to_string()).collect();
    let pct = |v: f64| (v * 1000.0).round() / 10.0;
    let chart = json!({
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 50, "right": 20, "top": 40, "bottom": 40},
        "xAxis": {"type": "category", "name": tr.t("scores.decile"), "nameLocation": "middle", "nameGap": 26, "data": bins},
        "yAxis": {"type": "value", "axisLabel": {"formatter": "{value}%"}},
        "series": [
            {"name": tr.t("scores.predicted"), "type": "line", "itemStyle": {"color": "#0f766e"},
             "data": m.calibration.iter().map(|b| pct(b.predicted)).collect::<Vec<_>>()},
            {"name": tr.t("scores.observed"), "type": "bar", "itemStyle": {"color": "#99f6e4"},
             "data": m.calibration.iter().map(|b| pct(b.observed)).collect::<Vec<_>>()}
        ]
    })
    .to_string();
    let calibration = m
        .calibration
        .iter()
        .map(|b| {
            [
                b.bin.to_string(),
                tr.percent(b.predicted),
                tr.percent(b.observed),
                tr.count(b.count as f64),
            ]
        })
        .collect();
    let features = m
        .features
        .iter()
        .take(10)
        .map(|f| (feature_label(&tr, &f.name), tr.number(f.importance, 3)))
        .collect();
    let th = &r.threshold;
    let q = &th.last_quarter;
    let of = |k: u64, n: u64| -> String {
        if n == 0 {
            format!("– ({})", tr.t("common.no_data"))
        } else {
            format!(
                "{} ({} / {})",
                tr.percent(k as f64 / n as f64),
                tr.count(k as f64),
                tr.count(n as f64)
            )
        }
    };
    let mql = tr.label("stage", &q.mql_stage);
    let threshold = vec![
        (
            tr.t("scores.capacity").to_string(),
            format!(
                "{} · {}",
                tr.number(th.capacity_per_month, 1),
                if th.capacity_given {
                    tr.t("scores.capacity_given").to_string()
                } else {
                    tr.t("scores.capacity_measured")
                        .replace("{stage}", &tr.label("stage", &th.capacity_stage))
                        .replace("{from}", &day(&th.measured.from))
                        .replace("{to}", &tr.date(&local_date(tz, &th.measured.to, 1)))
                }
            ),
        ),
        (
            tr.t("scores.leads_per_month").to_string(),
            tr.number(th.leads_per_month, 1),
        ),
        (
            tr.t("scores.cut").to_string(),
            th.score
                .map_or_else(|| "–".to_string(), |s| format!("≥ {}", tr.percent(s))),
        ),
        (
            tr.t("scores.expected").to_string(),
            tr.value(th.expected_conversion, "ratio"),
        ),
    ];
    let quarter_title = tr
        .t("scores.last_quarter")
        .replace("{from}", &day(&q.period.from))
        .replace("{to}", &tr.date(&local_date(tz, &q.period.to, 1)));
    // Without a cut (nobody scored, or no capacity) nothing was passed or held back:
    // those rows have no figure rather than a zero.
    let by_cut = |n: String| {
        if th.score.is_some() {
            n
        } else {
            "–".to_string()
        }
    };
    let quarter = vec![
        (tr.t("scores.leads").to_string(), tr.count(q.leads as f64)),
        (
            tr.t("scores.passed").to_string(),
            by_cut(tr.count(q.passed as f64)),
        ),
        (mql.clone(), tr.count(q.mqls as f64)),
        (
            tr.t("scores.mqls_passed").replace("{mql}", &mql),
            by_cut(tr.count(q.mqls_passed as f64)),
        ),
        (
            tr.t("scores.mqls_missed").replace("{mql}", &mql),
            by_cut(tr.count(q.mqls_missed as f64)),
        ),
        (
            tr.t("scores.passed_not_mql").replace("{mql}", &mql),
            by_cut(tr.count(q.passed_not_mql as f64)),
        ),
        (
            tr.t("scores.passed_reached").replace("{target}", &target),
            by_cut(of(q.passed_reached_target, q.passed)),
        ),
        (
            tr.t("scores.mqls_reached")
                .replace("{mql}", &mql)
                .replace("{target}", &target),
            of(q.mqls_reached_target, q.mqls),
        ),
    ];
    let leads = r
        .contacts
        .iter()
        .take(LISTED)
        .map(|c| lead_row(&tr, c))
        .collect();
    let leads_note = tr
        .t("scores.listed")
        .replace("{n}", &tr.count(r.contacts.len().min(LISTED) as f64))
        .replace("{total}", &tr.count(r.contacts.len() as f64));
    let settings = state.settings();
    let page = ScoresPage {
        c: chrome(state, w, ui, "scores", "nav.scores", Some(&period), false).downloads(vec![csv]),
        headline,
        unfit: m.reason.clone().unwrap_or_default(),
        figures,
        chart,
        calibration,
        features,
        threshold,
        quarter_title,
        quarter,
        leads,
        leads_note,
        stages: settings.stages[1..]
            .iter()
            .map(|s| (s.clone(), tr.label("stage", s)))
            .collect(),
        target: m.target.clone(),
        horizon: tr.number(m.horizon_days, 0),
        train_as_of: text(&ui.train_as_of).unwrap_or_default(),
        train_as_of_default: tr.date_input(&train_as_of),
        capacity: ui.capacity.clone().unwrap_or_default(),
    };
    render(&page).or_page(tr)
}

fn lead_row(tr: &Tr, c: &ContactScore) -> LeadRow {
    LeadRow {
        id: c.contact_id.clone(),
        score: tr.percent(c.score),
        reasons: c
            .reasons
            .iter()
            .map(|r| (r.contribution > 0.0, reason_text(tr, r)))
            .collect(),
    }
}

/// A feature's name for people: `segment=enterprise` reads "Segment: enterprise".
pub(super) fn feature_label(tr: &Tr, name: &str) -> String {
    if let Some(channel) = name.strip_prefix("touches:") {
        return match channel {
            "marketing" | "sales" => format!(
                "{} ({})",
                tr.t("feature.touches"),
                tr.label("team", channel)
            ),
            ch => tr
                .t("feature.touches_via")
                .replace("{channel}", &ch.replace('_', " ")),
        };
    }
    match name.split_once('=') {
        Some((column, value)) => {
            format!("{}: {}", column_label(tr, column), value_label(tr, value))
        }
        None => column_label(tr, name),
    }
}

fn column_label(tr: &Tr, column: &str) -> String {
    match column.strip_prefix("account.") {
        Some(key) => format!("{} ({})", key.replace('_', " "), tr.t("feature.account")),
        None => tr.label("feature", column),
    }
}

fn value_label(tr: &Tr, value: &str) -> String {
    match value {
        "(none)" => tr.t("feature.none").to_string(),
        "(other)" => tr.t("feature.other").to_string(),
        v => v.to_string(),
    }
}

/// One reason in plain words, with the lead's own value: "Segment: enterprise",
/// "Segment: not smb", "3 touches via paid search".
pub(super) fn reason_text(tr: &Tr, r: &Reason) -> String {
    let name = r.feature.as_str();
    let yes = r.value > 0.5;
    if let Some((column, value)) = name.split_once('=') {
        let column = column_label(tr, column);
        return match (value, yes) {
            ("(none)", true) => format!("{column}: {}", tr.t("feature.none")),
            ("(none)", false) => format!("{column}: {}", tr.t("feature.given")),
            (v, true) => format!("{column}: {}", value_label(tr, v)),
            (v, false) => format!("{column}: {} {}", tr.t("feature.not"), value_label(tr, v)),
        };
    }
    match name {
        "no_touch" if yes => tr.t("feature.no_touch_yes").to_string(),
        "no_touch" => tr.t("feature.no_touch_no").to_string(),
        "hours_since_last_touch" => tr
            .t("feature.hours_text")
            .replace("{n}", &tr.number(r.value, 0)),
        _ => format!("{}: {}", feature_label(tr, name), tr.number(r.value, 0)),
    }
}

/// Some contacts' scores, and what the score predicts.
pub(super) struct ScoresOf {
    pub target: String,
    pub horizon_days: f64,
    /// The share of the training leads that reached the target: the average lead.
    pub base_rate: Option<f64>,
    /// Why nobody is scored (too little history), in the engine's words.
    pub unfit: Option<String>,
    pub by_id: HashMap<String, ContactScore>,
}

/// The scores of `ids` under the model trained on everything known now (or at the
/// page's as-of time), as the scores report gives them (`contacts=`): the app's score
/// column and "why" panel. The model is kept per snapshot (`AppState::trained_model`);
/// only the asked-for contacts are scored.
pub(super) async fn scores_of(
    state: &AppState,
    as_of: Option<String>,
    ids: &[String],
) -> Result<ScoresOf, AppError> {
    let params = ReportParams {
        from: Some("1970-01-01".into()),
        as_of,
        ..Default::default()
    };
    let settings = state.settings();
    let q = ReportQuery::parse(
        ReportKind::Scores,
        &params,
        &settings,
        state.reporting_now(),
    )?;
    let model = state.trained_model(&q.scores).await;
    let (s, ids) = (state.snapshot(), ids.to_vec());
    let scored = {
        let model = model.clone();
        tokio::task::spawn_blocking(move || model.contact_scores(&s, &ids))
            .await
            .expect("scoring does not panic")
    };
    Ok(ScoresOf {
        target: settings.stages[q.scores.target].clone(),
        horizon_days: q.scores.horizon_days,
        unfit: model.unfit().map(String::from),
        base_rate: model.base_rate(),
        by_id: scored
            .into_iter()
            .map(|c| (c.contact_id.clone(), c))
            .collect(),
    })
}

/// A contact's score and reasons for the "why" panel.
pub(super) fn why(tr: &Tr, c: &ContactScore) -> (String, Vec<(bool, String)>) {
    let row = lead_row(tr, c);
    (row.score, row.reasons)
}
