//! The pages of the revenue room. Each handler checks the caller's role, runs the
//! reports it shows through the same runner as the API, and renders a template with
//! figures already written for the reader's language. Charts are ECharts options built
//! here and embedded as JSON; `assets/app.js` draws them.

use crate::auth::{Page, Role, WebUser};
use crate::i18n::{Lang, Tr};
use crate::{AppError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use revline_core::RecordKind;
use revline_engine::query::{ReportKind, ReportParams};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/funnel", get(funnel))
        .route("/funnel/people", get(funnel_people))
        .route("/bottlenecks", get(bottlenecks))
        .route("/attribution", get(attribution))
        .route("/plan", get(plan))
        .route("/retention", get(retention))
        .route("/journeys", get(journeys))
        .route("/records", get(records))
        .route("/records/merge", post(merge_contacts))
        .route("/records/unmerge", post(unmerge_contact))
        .route("/import", get(import_page))
        .route("/import/preview", post(import_preview))
        .route("/import/{id}/run", post(import_run))
        .route("/import/{id}", get(import_status))
        .route("/settings", get(settings_page))
        .route("/settings/workspace", post(save_workspace))
        .route("/settings/targets", post(add_target))
        .route("/settings/users", post(add_user))
        .route("/settings/users/{id}/role", post(set_role))
        .route("/settings/tokens", post(create_token))
        .route("/settings/tokens/{id}/revoke", post(revoke_token))
        .route("/settings/language", post(set_language))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/setup", get(setup_page).post(setup))
}

/// Everything but letters, digits and `-_.~/:` is escaped (the value of one query
/// parameter; a path stays readable).
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/')
    .remove(b':');

pub fn url_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, QUERY_VALUE).to_string()
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The URL state every page shares: the period and a filter, plus each page's own.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Ui {
    pub period: Option<String>,
    pub from: Option<String>,
    /// The period's end, exclusive (as the reports and the CLI take it).
    pub to: Option<String>,
    /// The period's last day, inclusive: what the picker shows and sends, since people
    /// read "from 1 to 30 November" as including the 30th.
    pub until: Option<String>,
    pub as_of: Option<String>,
    pub filter: Option<String>,
    pub by: Option<String>,
    pub view: Option<String>,
    pub model: Option<String>,
    /// Attribution: `marketing` leaves sales and service touches out.
    pub touches: Option<String>,
    pub what_if_link: Option<String>,
    pub what_if_rate: Option<String>,
    pub target: Option<String>,
    pub stage: Option<String>,
    pub q: Option<String>,
    pub kind: Option<String>,
    pub sort: Option<String>,
    pub desc: Option<bool>,
    pub col: Option<String>,
    pub val: Option<String>,
    pub page: Option<usize>,
    pub next: Option<String>,
}

const PRESETS: [&str; 6] = [
    "this_month",
    "last_month",
    "this_quarter",
    "last_quarter",
    "this_year",
    "last_12_months",
];

/// The day before an exclusive end date (`2026-12-01` -> `2026-11-30`): the last day
/// of the period, as the picker shows it.
fn last_day(exclusive_end: &str) -> String {
    NaiveDate::parse_from_str(exclusive_end, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.pred_opt())
        .map_or_else(|| exclusive_end.to_string(), |d| d.to_string())
}

/// The period a page shows: the URL's dates, else its preset, else the page's default.
struct Period {
    key: String,
    from: String,
    to: String,
}

impl Ui {
    fn period(&self, state: &AppState, default: &str) -> Period {
        let preset_chosen = self.period.as_deref().is_some_and(|p| PRESETS.contains(&p));
        // Dates as the picker sends them, in either language's format.
        let date = |d: &Option<String>| d.as_deref().and_then(crate::i18n::parse_date_input);
        // The picker's last day (just typed) wins over an exclusive end from a link.
        let end = date(&self.until)
            .and_then(|d| d.succ_opt())
            .or_else(|| date(&self.to));
        if let (false, Some(f), Some(t)) = (preset_chosen, date(&self.from), end) {
            return Period {
                key: "custom".into(),
                from: f.to_string(),
                to: t.to_string(),
            };
        }
        let key = self
            .period
            .clone()
            .filter(|p| PRESETS.contains(&p.as_str()))
            .unwrap_or_else(|| default.to_string());
        let tz = state.settings().timezone;
        let now = self
            .as_of
            .as_deref()
            .and_then(|t| revline_core::time::parse_timestamp(t, tz).ok())
            .unwrap_or_else(|| state.reporting_now());
        // The engine's calendar: "last 12 months" is the same here as on the command line.
        let (from, to) =
            revline_engine::calendar::named_period(tz, &key, now).expect("a known preset");
        Period {
            key,
            from: from.to_string(),
            to: to.to_string(),
        }
    }

    /// The report parameters of this URL for a period.
    fn params(&self, period: &Period) -> ReportParams {
        ReportParams {
            from: Some(period.from.clone()),
            to: Some(period.to.clone()),
            as_of: self.as_of.clone().filter(|s| !s.is_empty()),
            filter: self.filter.clone().filter(|s| !s.is_empty()),
            ..Default::default()
        }
    }

    /// The query string that carries the shared state to another page.
    fn shared_query(&self) -> String {
        let mut parts = Vec::new();
        let custom = !self.period.as_deref().is_some_and(|p| PRESETS.contains(&p));
        let none = None;
        for (k, v) in [
            ("period", &self.period),
            ("from", if custom { &self.from } else { &none }),
            ("to", if custom { &self.to } else { &none }),
            ("until", if custom { &self.until } else { &none }),
            ("as_of", &self.as_of),
            ("filter", &self.filter),
        ] {
            if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
                parts.push(format!("{k}={}", url_encode(v)));
            }
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

/// The frame around every page: navigation, the period picker, the filter, the user.
pub struct Chrome {
    pub tr: Tr,
    /// "Data up to 14 Nov 2018": how far the workspace's records go.
    pub data_until: String,
    pub title: String,
    pub active: &'static str,
    pub email: String,
    pub role: String,
    pub csrf: String,
    pub qs: String,
    pub nav: Vec<(String, &'static str, String)>,
    pub period_key: String,
    pub presets: Vec<(String, String)>,
    pub from: String,
    pub to: String,
    /// `from` and `to` as people type dates in the chosen language, and the format.
    pub from_input: String,
    pub to_input: String,
    pub date_format: &'static str,
    /// The period for people: `Oct 1, 2026 – Dec 31, 2026` (the end is exclusive).
    pub period_label: String,
    pub as_of: String,
    pub filter: String,
    pub filters: Vec<(String, String)>,
    pub show_picker: bool,
    pub show_filter: bool,
    pub can_edit: bool,
    pub is_admin: bool,
    pub asset_version: &'static str,
    /// The page's reports as CSV files: (label, URL of the API's `format=csv`).
    pub downloads: Vec<(String, String)>,
    pub lang: &'static str,
    /// Whether arriving records refresh the page's figures in place (not on pages
    /// with work in progress: an import, a form).
    pub live: bool,
}

const NAV: [(&str, &str, &str); 11] = [
    ("/", "home", "nav.home"),
    ("/funnel", "funnel", "nav.funnel"),
    ("/bottlenecks", "bottlenecks", "nav.bottlenecks"),
    ("/attribution", "attribution", "nav.attribution"),
    ("/plan", "plan", "nav.plan"),
    ("/retention", "retention", "nav.retention"),
    ("/journeys", "journeys", "nav.journeys"),
    ("/records", "records", "nav.records"),
    ("/import", "import", "nav.import"),
    ("/views", "views", "nav.views"),
    ("/settings", "settings", "nav.settings"),
];

/// The pages a view can be saved of: those with figures.
pub(crate) fn page_paths() -> [&'static str; 8] {
    [
        "/",
        "/funnel",
        "/funnel/people",
        "/bottlenecks",
        "/attribution",
        "/plan",
        "/retention",
        "/journeys",
    ]
}

/// The name of a page of the app, as the navigation says it.
pub(crate) fn page_title(tr: &Tr, path: &str) -> String {
    let path = if path == "/funnel/people" {
        "/funnel"
    } else {
        path
    };
    NAV.iter()
        .find(|(href, _, _)| *href == path)
        .map(|(_, _, key)| tr.t(key).to_string())
        .unwrap_or_else(|| path.to_string())
}

/// The frame of a page without a period picker.
pub(crate) fn chrome_for(
    state: &AppState,
    w: &WebUser,
    ui: &Ui,
    active: &'static str,
    title_key: &str,
) -> Chrome {
    chrome(state, w, ui, active, title_key, None, false)
}

/// Filter values per dimension, worked out once per snapshot.
fn filter_options(state: &AppState, tr: &Tr) -> Vec<(String, String)> {
    use revline_engine::Dim;
    use revline_engine::slice::Segmentation;
    let key = state.live.version();
    let cached = state.filters.lock().expect("filter cache").clone();
    // Worked out outside the lock: other pages are not kept waiting meanwhile.
    let list = match cached {
        Some((k, list)) if k == key => list,
        _ => {
            let s = state.snapshot();
            let mut out = Vec::new();
            for dim in [Dim::Channel, Dim::Segment, Dim::Country, Dim::Owner] {
                let seg = Segmentation::new(&s, dim);
                let mut names: Vec<String> = seg
                    .values(&s)
                    .into_iter()
                    .map(|v| s.names.name(v).to_string())
                    .filter(|n| n != "(none)")
                    .collect();
                names.sort();
                for n in names {
                    out.push((dim.name().to_string(), format!("{}:{n}", dim.name()), n));
                }
            }
            let list = std::sync::Arc::new(out);
            *state.filters.lock().expect("filter cache") = Some((key, list.clone()));
            list
        }
    };
    list.iter()
        .map(|(dim, value, name)| (value.clone(), format!("{}: {name}", tr.label("dim", dim))))
        .collect()
}

fn chrome(
    state: &AppState,
    w: &WebUser,
    ui: &Ui,
    active: &'static str,
    title_key: &str,
    period: Option<&Period>,
    show_filter: bool,
) -> Chrome {
    let tr = w.tr;
    let qs = ui.shared_query();
    Chrome {
        data_until: state
            .newest_record_at()
            .map(|t| {
                tr.t("common.data_until").replace(
                    "{date}",
                    &tr.date(
                        &revline_engine::calendar::date_of(state.settings().timezone, t)
                            .to_string(),
                    ),
                )
            })
            .unwrap_or_else(|| tr.t("common.no_records").to_string()),
        title: tr.t(title_key).to_string(),
        active,
        email: w.user.email.clone(),
        role: tr.label("role", &w.user.role),
        csrf: w.csrf.clone(),
        nav: NAV
            .iter()
            .map(|(href, key, label)| (format!("{href}{qs}"), *key, tr.t(label).to_string()))
            .collect(),
        qs,
        period_key: period.map(|p| p.key.clone()).unwrap_or_default(),
        presets: PRESETS
            .iter()
            .map(|p| (p.to_string(), tr.label("period", p)))
            .collect(),
        period_label: period
            .map(|p| {
                let last = NaiveDate::parse_from_str(&p.to, "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.pred_opt())
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| p.to.clone());
                format!("{} – {}", tr.date(&p.from), tr.date(&last))
            })
            .unwrap_or_default(),
        from: period.map(|p| p.from.clone()).unwrap_or_default(),
        to: period.map(|p| p.to.clone()).unwrap_or_default(),
        from_input: period.map(|p| tr.date_input(&p.from)).unwrap_or_default(),
        to_input: period
            .map(|p| tr.date_input(&last_day(&p.to)))
            .unwrap_or_default(),
        date_format: tr.date_format(),
        as_of: ui.as_of.clone().unwrap_or_default(),
        filter: ui.filter.clone().unwrap_or_default(),
        filters: if show_filter {
            filter_options(state, &tr)
        } else {
            Vec::new()
        },
        show_picker: period.is_some(),
        show_filter,
        can_edit: w.can_edit(),
        is_admin: w.is_admin(),
        asset_version: crate::assets::version(),
        downloads: Vec::new(),
        lang: tr.code(),
        live: !matches!(active, "import" | "settings" | "records" | "journeys"),
        tr,
    }
}

pub(crate) fn render(t: &impl Template) -> Result<Response, AppError> {
    let html = t
        .render()
        .map_err(|e| AppError::internal(format!("rendering the page failed: {e}")))?;
    Ok(Html(html).into_response())
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    tr: Tr,
    status: u16,
    message: String,
}

/// An error as a page (the API answers JSON instead).
pub fn error_page(e: AppError, tr: Tr) -> Response {
    let (status, _) = e.parts();
    let message = match &e {
        AppError::Forbidden(_) => format!("{} ({e})", tr.t("error.forbidden")),
        _ => e.client_message().0,
    };
    let page = ErrorPage {
        tr,
        status: status.as_u16(),
        message,
    };
    let body = page.render().unwrap_or_else(|_| "error".into());
    (status, Html(body)).into_response()
}

/// The API's CSV of a report with the page's parameters, to download.
fn csv_download(
    tr: &Tr,
    label_key: &str,
    kind: ReportKind,
    params: &ReportParams,
) -> (String, String) {
    let query = serde_urlencoded::to_string(params).unwrap_or_default();
    let sep = if query.is_empty() { "" } else { "&" };
    (
        format!("{} · {}", tr.t("common.download_csv"), tr.t(label_key)),
        format!("/api/v1/reports/{}?{query}{sep}format=csv", kind.name()),
    )
}

impl Chrome {
    fn downloads(mut self, links: Vec<(String, String)>) -> Chrome {
        self.downloads = links;
        self
    }
}

/// A page handler's result: errors become error pages in the reader's language.
pub(crate) type PageResult = Result<Response, (AppError, Tr)>;

trait OrPage<T> {
    fn or_page(self, tr: Tr) -> Result<T, (AppError, Tr)>;
}

impl<T, E: Into<AppError>> OrPage<T> for Result<T, E> {
    fn or_page(self, tr: Tr) -> Result<T, (AppError, Tr)> {
        self.map_err(|e| (e.into(), tr))
    }
}

pub(crate) struct Rendered(pub(crate) PageResult);

impl IntoResponse for Rendered {
    fn into_response(self) -> Response {
        match self.0 {
            Ok(r) => r,
            Err((e, tr)) => error_page(e, tr),
        }
    }
}

// ---------------------------------------------------------------- home

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
fn comparison_text(tr: &Tr, tz: chrono_tz::Tz, scorecard: &Value) -> String {
    let p = &scorecard["previous_period"];
    // A whole period's exclusive end is shown as its last day.
    let back = if text(&p["basis"]) == "full" { 1 } else { 0 };
    format!(
        "{} {} – {} ({})",
        tr.t("cmp.vs"),
        tr.date(&local_date(tz, &text(&p["from"]), 0)),
        tr.date(&local_date(tz, &text(&p["to"]), back)),
        tr.t(if text(&p["basis"]) == "to_date" {
            "cmp.to_date"
        } else {
            "cmp.full"
        })
    )
}

/// The workspace's calendar date (`YYYY-MM-DD`) of an instant the engine wrote in UTC,
/// `back` milliseconds earlier (1 turns an exclusive end into the last day).
fn local_date(tz: chrono_tz::Tz, instant: &str, back: i64) -> String {
    revline_core::time::parse_timestamp(instant, tz)
        .map(|t| revline_engine::calendar::date_of(tz, t - back).to_string())
        .unwrap_or_else(|_| instant.to_string())
}

/// Metrics where less is better (a rise is bad news).
fn lower_is_better(name: &str) -> bool {
    matches!(
        name,
        "cac" | "sales_cycle_days" | "logo_churn" | "lead_response_minutes" | "sla_breach_rate"
    )
}

fn kpis(tr: &Tr, scorecard: &Value) -> Vec<Kpi> {
    let empty = Vec::new();
    scorecard["metrics"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .map(|m| {
            let name = text(&m["name"]);
            let unit = text(&m["unit"]);
            let value = num(&m["value"]);
            let previous = num(&m["previous"]);
            let target = num(&m["target"]);
            let (change, class) = match (value, previous) {
                (Some(v), Some(p)) if p.abs() > f64::EPSILON => {
                    let rel = (v - p) / p.abs();
                    let good = (rel >= 0.0) != lower_is_better(&name);
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
            let pace = num(&m["pace"]);
            let (pace_text, pace_class) = match (value, pace) {
                (Some(v), Some(p)) if p > 0.0 => {
                    let gap = v - p;
                    if gap.abs() <= p * 0.01 {
                        (tr.t("kpi.on_pace").to_string(), "")
                    } else if gap > 0.0 {
                        (
                            format!("{} {}", tr.t("kpi.ahead"), tr.value(Some(gap), &unit)),
                            "up",
                        )
                    } else {
                        (
                            format!("{} {}", tr.t("kpi.behind"), tr.value(Some(-gap), &unit)),
                            "down",
                        )
                    }
                }
                _ => (String::new(), ""),
            };
            let note = match (value, num(&m["count"])) {
                (None, _) => format!(
                    "{}: {}",
                    tr.t("common.no_data"),
                    tr.t(&format!("missing.{}", text(&m["reason_code"])))
                ),
                (Some(_), Some(n)) => format!("n = {}", tr.count(n)),
                _ => String::new(),
            };
            Kpi {
                name: tr.label("metric", &name),
                value: tr.value(value, &unit),
                previous: tr.value(previous, &unit),
                target: target.map(|t| tr.value(Some(t), &unit)).unwrap_or_default(),
                progress: match (value, target) {
                    (Some(v), Some(t)) if t > 0.0 && !lower_is_better(&name) => {
                        Some(((v / t) * 100.0).clamp(0.0, 100.0) as u32)
                    }
                    _ => None,
                },
                pace_mark: match (pace, target) {
                    (Some(p), Some(t)) if t > 0.0 && !lower_is_better(&name) => {
                        Some(((p / t) * 100.0).clamp(0.0, 100.0) as u32)
                    }
                    _ => None,
                },
                pace_text,
                pace_class,
                note,
                key: name,
                change,
                change_class: class,
            }
        })
        .collect()
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

fn reach_rows(tr: &Tr, scorecard: &Value) -> Vec<ReachRow> {
    let currency = text(&scorecard["currency"]);
    let empty = Vec::new();
    scorecard["reach"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .map(|r| ReachRow {
            channel: text(&r["channel"]),
            touchpoints: tr.value(num(&r["touchpoints"]), "count"),
            leads: tr.value(num(&r["leads"]), "count"),
            customers: tr.value(num(&r["customers"]), "count"),
            conversion: tr.value(num(&r["conversion_to_customer"]), "ratio"),
            spend: tr.value(num(&r["spend"]), &currency),
            cost_per_customer: match num(&r["customers"]) {
                Some(c) if c > 0.0 => tr.value(num(&r["cost_per_customer"]), &currency),
                _ => "–".into(),
            },
        })
        .collect()
}

pub struct Finding {
    pub rank: usize,
    pub link: String,
    pub segment: String,
    pub stake: String,
    pub current: String,
    pub benchmark: String,
    pub summary: String,
    pub evidence: String,
    pub drill: Vec<(String, String, String, String)>,
}

fn link_label(tr: &Tr, link: &str) -> String {
    if let Some(step) = link.strip_prefix("conversion:") {
        let (a, b) = step.split_once("->").unwrap_or((step, ""));
        format!(
            "{} {} → {}",
            tr.t("funnel.step"),
            tr.label("stage", a),
            tr.label("stage", b)
        )
    } else if let Some(stage) = link.strip_prefix("time:") {
        format!(
            "{}: {}",
            tr.t("funnel.median_days"),
            tr.label("stage", stage)
        )
    } else {
        match link {
            "handoff" => tr.t("sla.title").to_string(),
            "retention" => tr.t("nav.retention").to_string(),
            other => other.to_string(),
        }
    }
}

/// A benchmark's source in the reader's language (the engine names it in English).
fn source_label(tr: &Tr, source: &str) -> String {
    match source {
        "target" => tr.t("src.target").to_string(),
        "best 3 of the last 12 months" => tr.t("src.best_months").to_string(),
        "best quartile of segments" => tr.t("src.best_segments").to_string(),
        other => match other
            .strip_prefix("best quartile of ")
            .and_then(|rest| rest.split_once(" values"))
        {
            Some((dim, rest)) => {
                let key = if rest.is_empty() {
                    "src.best_values"
                } else {
                    "src.best_values_by_segment"
                };
                tr.t(key)
                    .replace("{dim}", &tr.label("dim", dim).to_lowercase())
            }
            None => other.to_string(),
        },
    }
}

/// A slice `channel=webinar` as `Channel: webinar` / `Kanał: webinar`.
fn slice_label(tr: &Tr, slice: &str) -> String {
    match slice.split_once('=') {
        Some((dim, value)) => format!("{}: {value}", tr.label("dim", dim)),
        None => slice.to_string(),
    }
}

/// A finding's evidence written from its figures (`facts`) in the reader's language,
/// with numbers, money and stage names as the rest of the page writes them.
fn evidence_text(tr: &Tr, facts: &Value) -> String {
    let n = |key: &str| num(&facts[key]);
    let pct = |key: &str| tr.value(n(key), "ratio");
    let count = |key: &str| tr.value(n(key), "count");
    let days = |key: &str| n(key).map_or("–".into(), |v| tr.number(v, 1));
    let stage = |key: &str| tr.label("stage", &text(&facts[key]));
    let money = |key: &str| tr.value(n(key), &text(&facts["currency"]));
    let slice = facts["slice"]
        .as_str()
        .map_or(String::new(), |x| format!(" ({})", slice_label(tr, x)));
    let source = facts["source"]
        .as_str()
        .map_or("–".into(), |x| source_label(tr, x));
    let fill = |key: &str, values: &[(&str, String)]| -> String {
        values.iter().fold(tr.t(key).to_string(), |t, (k, v)| {
            t.replace(&format!("{{{k}}}"), v)
        })
    };
    match facts["template"].as_str() {
        Some("conversion") => fill(
            if facts["revenue"].is_null() {
                "ev.conversion_unpriced"
            } else {
                "ev.conversion"
            },
            &[
                ("entered", count("entered")),
                ("from", stage("from")),
                ("slice", slice),
                ("reached", count("reached")),
                ("to", stage("to")),
                (
                    "days",
                    n("within_days").map_or("–".into(), |v| tr.number(v, 0)),
                ),
                ("rate", pct("rate")),
                ("low", pct("low")),
                ("high", pct("high")),
                ("benchmark", pct("benchmark")),
                ("source", source),
                ("more", count("more")),
                ("revenue", money("revenue")),
            ],
        ),
        Some("stage_time") => fill(
            "ev.stage_time",
            &[
                ("slice", slice),
                ("median", days("median_days")),
                ("from", stage("from")),
                ("to", stage("to")),
                ("low", days("low")),
                ("high", days("high")),
                ("benchmark", days("benchmark")),
                ("source", source),
                ("revenue", money("revenue")),
            ],
        ),
        Some("handoff") => fill(
            "ev.handoff",
            &[
                ("rate", pct("rate")),
                ("mqls", count("mqls")),
                ("slice", slice),
                (
                    "sla",
                    n("sla_hours").map_or("–".into(), |v| tr.number(v, 0)),
                ),
                ("low", pct("low")),
                ("high", pct("high")),
                ("benchmark", pct("benchmark")),
                ("source", source),
                ("next", stage("next_stage")),
                ("within", pct("within")),
                ("late", pct("late")),
            ],
        ),
        Some("retention") => {
            let kept = fill(
                "ev.retention",
                &[
                    ("slice", slice),
                    ("grr", pct("grr")),
                    ("low", pct("low")),
                    ("high", pct("high")),
                    ("logo", pct("logo_retention")),
                    ("benchmark", pct("benchmark")),
                    ("source", source),
                    ("lost", money("lost")),
                ],
            );
            let service = &facts["service"];
            if service.is_object() {
                let share = |key: &str| tr.value(num(&service[key]), "ratio");
                let poor = fill(
                    "ev.service",
                    &[
                        ("bad", share("churn_after_poor_service")),
                        (
                            "months",
                            tr.value(num(&service["months_after_poor_service"]), "count"),
                        ),
                        ("other", share("churn_otherwise")),
                        ("category", text(&service["top_category"])),
                    ],
                );
                format!("{kept} {poor}")
            } else {
                kept
            }
        }
        _ => String::new(),
    }
}

fn rate_of(tr: &Tr, kind: &str, v: Option<f64>) -> String {
    if kind == "stage_time" {
        tr.value(v, "days")
    } else {
        tr.value(v, "ratio")
    }
}

fn findings(tr: &Tr, report: &Value, limit: usize) -> Vec<Finding> {
    let currency = text(&report["currency"]);
    let empty = Vec::new();
    // Without a price on anything, a finding's weight is the customers it loses.
    let by_conversions = report["ranked_by"] == "conversions";
    report["findings"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .take(limit)
        .enumerate()
        .map(|(i, f)| {
            let kind = text(&f["kind"]);
            let rate = |v: &Value| rate_of(tr, &kind, num(v));
            let summary = tr
                .t("bn.summary")
                .replace("{current}", &rate(&f["current"]))
                .replace("{low}", &rate(&f["current_low"]))
                .replace("{high}", &rate(&f["current_high"]))
                .replace("{benchmark}", &rate(&f["benchmark"]))
                .replace("{source}", &source_label(tr, &text(&f["benchmark_source"])))
                .replace("{volume}", &tr.value(num(&f["volume"]), "count"));
            Finding {
                rank: i + 1,
                link: link_label(tr, &text(&f["link"])),
                segment: f["segment"]
                    .as_str()
                    .map_or(String::new(), |x| slice_label(tr, x)),
                stake: if by_conversions {
                    tr.t("bn.customers_lost")
                        .replace("{n}", &tr.value(num(&f["conversions_lost"]), "count"))
                } else {
                    tr.value(num(&f["revenue_at_stake"]), &currency)
                },
                current: rate(&f["current"]),
                benchmark: rate(&f["benchmark"]),
                summary,
                evidence: evidence_text(tr, &f["facts"]),
                drill: f["drill_down"]
                    .as_array()
                    .unwrap_or(&empty)
                    .iter()
                    .map(|d| {
                        (
                            format!(
                                "{}: {}",
                                tr.label("dim", &text(&d["dimension"])),
                                text(&d["value"])
                            ),
                            rate(&d["current"]),
                            tr.value(num(&d["volume"]), "count"),
                            tr.value(num(&d["share_of_gap"]), "ratio"),
                        )
                    })
                    .collect(),
            }
        })
        .collect()
}

fn funnel_chart(tr: &Tr, funnel: &Value, small: bool) -> String {
    let empty = Vec::new();
    let stages = funnel["stages"].as_array().unwrap_or(&empty);
    let keys: Vec<String> = stages.iter().map(|s| text(&s["stage"])).collect();
    let labels: Vec<String> = keys.iter().map(|k| tr.label("stage", k)).collect();
    let reached: Vec<f64> = stages
        .iter()
        .map(|s| num(&s["reached"]).unwrap_or(0.0))
        .collect();
    let step: Vec<Value> = stages
        .iter()
        .map(|s| {
            num(&s["step_conversion"]).map_or(Value::Null, |v| json!((v * 1000.0).round() / 10.0))
        })
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

/// The bottleneck report that the home and retention pages show whatever their period:
/// the finder judges mature cohorts, so it looks at the twelve months before the as-of
/// time.
async fn whole_chain(state: &AppState, params: &ReportParams) -> Result<Arc<Value>, AppError> {
    let chain = ReportParams {
        as_of: params.as_of.clone(),
        ..Default::default()
    };
    crate::reports::run(state, ReportKind::Bottlenecks, chain).await
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

async fn home(State(state): State<AppState>, Page(w): Page, Query(ui): Query<Ui>) -> Rendered {
    Rendered(home_inner(&state, &w, &ui).await)
}

async fn home_inner(state: &AppState, w: &WebUser, ui: &Ui) -> PageResult {
    let tr = w.tr;
    let period = ui.period(state, "this_quarter");
    let params = ui.params(&period);
    let csv = csv_download(&tr, "nav.home", ReportKind::Scorecard, &params);
    let scorecard = crate::reports::run(state, ReportKind::Scorecard, params.clone())
        .await
        .or_page(tr)?;
    // The small funnel counts stage entries in the period (flow), as the stage cards do,
    // so that its MQL bar and the MQL card are one figure.
    let flow = ReportParams {
        view: Some("flow".into()),
        ..params.clone()
    };
    let funnel = crate::reports::run(state, ReportKind::Funnel, flow)
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
        kpis: kpis(&tr, &scorecard),
        comparison: comparison_text(&tr, state.settings().timezone, &scorecard),
        reach: reach_rows(&tr, &scorecard),
        findings: findings(&tr, &bn, 3),
        judged: bn["judged"].as_bool().unwrap_or(true),
        bottlenecks_href: format!("/bottlenecks?period=last_12_months{keep_as_of}"),
        funnel_chart: funnel_chart(&tr, &funnel, true),
        funnel_href: format!("/funnel{}", carry("view=flow")),
        unconverted: scorecard["unconverted"].as_array().map_or(0, Vec::len),
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
    let _ = funnel_inner(state, &w, &ui).await;
    let _ = plan_inner(state, &w, &ui).await;
    let _ = retention_inner(state, &w, &ui).await;
    let _ = bottlenecks_inner(state, &w, &ui).await;
    let _ = attribution_inner(state, &w, &ui).await;
}

// ---------------------------------------------------------------- funnel

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

fn stage_rows(tr: &Tr, funnel: &Value) -> Vec<StageRow> {
    let empty = Vec::new();
    let stages = funnel["stages"].as_array().unwrap_or(&empty);
    stages
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let drop = i
                .checked_sub(1)
                .and_then(|p| Some(num(&stages[p]["reached"])? - num(&s["reached"])?));
            let low = num(&s["step_conversion_low"]);
            let high = num(&s["step_conversion_high"]);
            StageRow {
                href: String::new(),
                key: text(&s["stage"]),
                stage: tr.label("stage", &text(&s["stage"])),
                reached: tr.value(num(&s["reached"]), "count"),
                step: tr.value(num(&s["step_conversion"]), "ratio"),
                interval: match (low, high) {
                    (Some(l), Some(h)) => format!("{}–{}", tr.percent(l), tr.percent(h)),
                    _ => "–".into(),
                },
                cumulative: tr.value(num(&s["cumulative_conversion"]), "ratio"),
                drop_off: drop.map(|d| tr.count(d)).unwrap_or_else(|| "–".into()),
                median: tr.value(num(&s["median_days_from_previous"]), "days"),
                p90: tr.value(num(&s["p90_days_from_previous"]), "days"),
                rework: tr.value(num(&s["rework"]), "count"),
                implied: match num(&s["implied"]) {
                    Some(n) if n > 0.0 => tr.t("funnel.implied").replace("{n}", &tr.count(n)),
                    _ => String::new(),
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

const DIMS: [&str; 6] = [
    "channel",
    "first_touch_channel",
    "campaign",
    "segment",
    "owner",
    "country",
];

async fn funnel(State(state): State<AppState>, Page(w): Page, Query(ui): Query<Ui>) -> Rendered {
    Rendered(funnel_inner(&state, &w, &ui).await)
}

async fn funnel_inner(state: &AppState, w: &WebUser, ui: &Ui) -> PageResult {
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
    let report = crate::reports::run(state, ReportKind::Funnel, params)
        .await
        .or_page(tr)?;
    let rows = stage_rows(&tr, &report);
    let empty = Vec::new();
    let segments = report["segments"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .map(|s| SegmentFunnel {
            value: text(&s["value"]),
            cells: s["stages"]
                .as_array()
                .unwrap_or(&empty)
                .iter()
                .map(|st| {
                    format!(
                        "{} · {}",
                        tr.value(num(&st["reached"]), "count"),
                        tr.value(num(&st["step_conversion"]), "ratio")
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
        empty: report["stages"][0]["reached"].as_u64().unwrap_or(0) == 0,
        dims: DIMS
            .iter()
            .map(|d| (d.to_string(), tr.label("dim", d)))
            .collect(),
        stage_names: rows.iter().map(|r| r.stage.clone()).collect(),
        chart: funnel_chart(&tr, &report, false),
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
async fn funnel_people(
    State(state): State<AppState>,
    Page(w): Page,
    Query(ui): Query<Ui>,
) -> Rendered {
    Rendered(funnel_people_inner(&state, &w, &ui).await)
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
    let report = crate::reports::run(state, ReportKind::Members, params)
        .await
        .or_page(tr)?;
    let empty = Vec::new();
    let mut found: Vec<&Value> = report["members"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .collect();
    // Latest entries first.
    found.sort_by(|a, b| text(&b["entered_at"]).cmp(&text(&a["entered_at"])));
    let people = found
        .into_iter()
        .take(500)
        .map(|m| Person {
            id: text(&m["contact_id"]),
            entered: tr.datetime(&text(&m["entered_at"])),
            channel: text(&m["channel"]),
            owner: text(&m["owner"]),
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
        total: tr.value(num(&report["count"]), "count"),
    };
    render(&page).or_page(tr)
}

// ---------------------------------------------------------------- bottlenecks

#[derive(Template)]
#[template(path = "bottlenecks.html")]
struct BottlenecksPage {
    c: Chrome,
    findings: Vec<Finding>,
    judged: bool,
    links: Vec<(String, String)>,
    what_if_link: String,
    what_if_rate: String,
    what_if: Option<WhatIf>,
}

pub struct WhatIf {
    pub sentence: String,
    /// Why the reverse funnel does not move with this link, when it cannot.
    pub unchanged: String,
    pub rows: Vec<(String, String, String)>,
}

async fn bottlenecks(
    State(state): State<AppState>,
    Page(w): Page,
    Query(ui): Query<Ui>,
) -> Rendered {
    Rendered(bottlenecks_inner(&state, &w, &ui).await)
}

async fn bottlenecks_inner(state: &AppState, w: &WebUser, ui: &Ui) -> PageResult {
    let tr = w.tr;
    let period = ui.period(state, "last_12_months");
    let mut params = ui.params(&period);
    params.filter = None;
    let link = ui.what_if_link.clone().filter(|l| !l.is_empty());
    let rate = ui.what_if_rate.clone().filter(|r| !r.is_empty());
    if let (Some(l), Some(r)) = (&link, &rate) {
        params.what_if = Some(format!("{l}={}", r.replace(',', ".")));
    }
    let csv = csv_download(&tr, "nav.bottlenecks", ReportKind::Bottlenecks, &params);
    let report = crate::reports::run(state, ReportKind::Bottlenecks, params)
        .await
        .or_page(tr)?;
    let settings = state.settings();
    let mut links = vec![("handoff".to_string(), link_label(&tr, "handoff"))];
    for pair in settings.stages.windows(2) {
        let l = format!("conversion:{}->{}", pair[0], pair[1]);
        links.push((l.clone(), link_label(&tr, &l)));
    }
    links.push(("retention".into(), link_label(&tr, "retention")));
    let currency = text(&report["currency"]);
    let what_if = report.get("what_if").filter(|v| !v.is_null()).map(|wi| {
        let stages = &settings.stages;
        let empty = Vec::new();
        let before = wi["required_before"].as_array().unwrap_or(&empty);
        let after = wi["required_after"].as_array().unwrap_or(&empty);
        WhatIf {
            sentence: tr
                .t("bn.what_if_result")
                .replace("{before}", &tr.value(num(&wi["revenue_before"]), &currency))
                .replace("{after}", &tr.value(num(&wi["revenue_after"]), &currency))
                .replace("{link}", &link_label(&tr, &text(&wi["link"])))
                .replace("{rate}", &tr.percent(num(&wi["rate"]).unwrap_or(0.0))),
            unchanged: match wi["unchanged"].as_str() {
                Some("period_over") => tr.t("bn.what_if_period_over").to_string(),
                _ => String::new(),
            },
            rows: stages
                .iter()
                .enumerate()
                .map(|(i, st)| {
                    (
                        tr.label("stage", st),
                        before
                            .get(i)
                            .and_then(num)
                            .map(|v| tr.count(v))
                            .unwrap_or_default(),
                        after
                            .get(i)
                            .and_then(num)
                            .map(|v| tr.count(v))
                            .unwrap_or_default(),
                    )
                })
                .collect(),
        }
    });
    let page = BottlenecksPage {
        c: chrome(
            state,
            w,
            ui,
            "bottlenecks",
            "nav.bottlenecks",
            Some(&period),
            false,
        )
        .downloads(vec![csv]),
        findings: findings(&tr, &report, usize::MAX),
        judged: report["judged"].as_bool().unwrap_or(true),
        links,
        what_if_link: link.unwrap_or_default(),
        what_if_rate: rate.unwrap_or_default(),
        what_if,
    };
    render(&page).or_page(tr)
}

// ---------------------------------------------------------------- attribution

pub struct AttrRow {
    pub channel: String,
    /// The credit under the model chosen for the table.
    pub credit: String,
    pub range: String,
    pub removal: String,
    pub spend: String,
    pub cac: String,
    pub roas: String,
    pub retained: String,
}

#[derive(Template)]
#[template(path = "attribution.html")]
struct AttributionPage {
    c: Chrome,
    /// (key, label) of every model, and the one whose credit the table shows (the
    /// chart shows them all).
    models: Vec<(String, String)>,
    shown_model: String,
    shown_label: String,
    marketing_only: bool,
    rows: Vec<AttrRow>,
    chart: String,
    by_campaign: bool,
    /// No conversion carries a value: the credit shown is in conversions.
    in_conversions: bool,
    no_conversions: bool,
}

async fn attribution(
    State(state): State<AppState>,
    Page(w): Page,
    Query(ui): Query<Ui>,
) -> Rendered {
    Rendered(attribution_inner(&state, &w, &ui).await)
}

async fn attribution_inner(state: &AppState, w: &WebUser, ui: &Ui) -> PageResult {
    let tr = w.tr;
    let period = ui.period(state, "last_12_months");
    let mut params = ui.params(&period);
    params.filter = None;
    params.model = Some("all".into());
    // Sales calls and service contacts can be left out of the journeys, so that the
    // models credit marketing's channels for what they began.
    let marketing_only = ui.touches.as_deref() == Some("marketing");
    if marketing_only {
        params.touches = Some("marketing".into());
    }
    let by_campaign = ui.by.as_deref() == Some("campaign");
    if by_campaign {
        params.by = Some("campaign".into());
    }
    let csv = csv_download(&tr, "nav.attribution", ReportKind::Attribution, &params);
    let report = crate::reports::run(state, ReportKind::Attribution, params)
        .await
        .or_page(tr)?;
    let currency = state.settings().currency.to_string();
    let empty = Vec::new();
    let models = report["models"].as_array().unwrap_or(&empty);
    // Conversions without a value (deals without amounts) are credited in conversions.
    let in_conversions = report["credit"] == "conversions";
    let (credit, credit_unit) = if in_conversions {
        ("conversions", "conversions")
    } else {
        ("value", currency.as_str())
    };
    let no_conversions = models
        .iter()
        .all(|m| num(&m["conversions"]).unwrap_or(0.0) == 0.0);
    let key = if by_campaign { "campaign" } else { "channel" };
    let list = if by_campaign { "campaigns" } else { "channels" };
    let first = models
        .first()
        .and_then(|m| m[list].as_array())
        .unwrap_or(&empty);
    let find = |m: &Value, name: &str| -> Option<Value> {
        m[list]
            .as_array()?
            .iter()
            .find(|c| text(&c[key]) == name)
            .cloned()
    };
    let markov = models.iter().find(|m| m["model"] == "markov");
    // The table shows one model's credit (Markov, the data-driven one, unless another
    // is chosen) beside the range across all, so that it fits a laptop's width.
    let shown_model = ui
        .model
        .clone()
        .filter(|k| models.iter().any(|m| text(&m["model"]) == *k))
        .unwrap_or_else(|| "markov".into());
    let shown = models.iter().find(|m| text(&m["model"]) == shown_model);
    let ranges = report["ranges"].as_array().unwrap_or(&empty);
    let mut rows: Vec<AttrRow> = first
        .iter()
        .map(|c| {
            let name = text(&c[key]);
            let range = ranges
                .iter()
                .find(|r| text(&r[key]) == name || text(&r["channel"]) == name);
            AttrRow {
                credit: shown
                    .and_then(|m| find(m, &name))
                    .map(|x| tr.value(num(&x[credit]), credit_unit))
                    .unwrap_or_else(|| "–".into()),
                range: range
                    .map(|r| {
                        format!(
                            "{} – {}",
                            tr.value(num(&r[format!("{credit}_min").as_str()]), credit_unit),
                            tr.value(num(&r[format!("{credit}_max").as_str()]), credit_unit)
                        )
                    })
                    .unwrap_or_default(),
                removal: markov
                    .and_then(|m| find(m, &name))
                    .map(|x| tr.value(num(&x["removal_effect"]), "ratio"))
                    .unwrap_or_else(|| "–".into()),
                spend: tr.value(num(&c["spend"]), &currency),
                cac: tr.value(num(&c["cost_per_conversion"]), &currency),
                roas: num(&c["roas"])
                    .map(|r| format!("{}×", tr.number(r, 2)))
                    .unwrap_or_else(|| "–".into()),
                retained: tr.value(num(&c["retained_revenue"]), &currency),
                channel: name,
            }
        })
        .collect();
    rows.sort_by(|a, b| a.channel.cmp(&b.channel));
    let names: Vec<String> = rows.iter().map(|r| r.channel.clone()).collect();
    let series: Vec<Value> = models
        .iter()
        .map(|m| {
            json!({
                "name": tr.label("model", &text(&m["model"])),
                "type": "bar",
                "data": names.iter().map(|n| find(m, n).and_then(|x| num(&x[credit])).map(|v| if in_conversions { (v * 10.0).round() / 10.0 } else { v.round() }).unwrap_or(0.0)).collect::<Vec<_>>()
            })
        })
        .collect();
    let chart = json!({
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "type": "scroll"},
        "grid": {"left": 70, "right": 20, "top": 40, "bottom": 70},
        "xAxis": {"type": "category", "data": names, "axisLabel": {"rotate": 30}},
        "yAxis": {"type": "value"},
        "series": series
    })
    .to_string();
    let page = AttributionPage {
        c: chrome(
            state,
            w,
            ui,
            "attribution",
            "nav.attribution",
            Some(&period),
            false,
        )
        .downloads(vec![csv]),
        models: models
            .iter()
            .map(|m| (text(&m["model"]), tr.label("model", &text(&m["model"]))))
            .collect(),
        shown_label: tr.label("model", &shown_model),
        shown_model,
        marketing_only,
        rows,
        chart,
        by_campaign,
        in_conversions,
        no_conversions,
    };
    render(&page).or_page(tr)
}

// ---------------------------------------------------------------- plan

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

async fn plan(State(state): State<AppState>, Page(w): Page, Query(ui): Query<Ui>) -> Rendered {
    Rendered(plan_inner(&state, &w, &ui).await)
}

async fn plan_inner(state: &AppState, w: &WebUser, ui: &Ui) -> PageResult {
    let tr = w.tr;
    let period = ui.period(state, "this_year");
    let mut params = ui.params(&period);
    let target = ui.target.clone().filter(|t| !t.trim().is_empty());
    if let Some(t) = &target {
        let amount = t
            .replace([' ', '\u{a0}'], "")
            .replace(',', ".")
            .parse::<f64>()
            .map_err(|_| (AppError::bad(format!("target: '{t}' is not an amount")), tr))?;
        params.target = Some(amount);
    }
    let csv = csv_download(&tr, "nav.plan", ReportKind::Forecast, &params);
    let f = crate::reports::run(state, ReportKind::Forecast, params)
        .await
        .or_page(tr)?;
    let cur = text(&f["currency"]);
    // A figure whose inputs were never recorded reads as no data, with why.
    let m = |k: &str| match f["no_data"][k].as_str() {
        Some(_) => "–".to_string(),
        None => tr.value(num(&f[k]), &cur),
    };
    let note = |k: &str| {
        f["no_data"][k].as_str().map_or(String::new(), |code| {
            format!(
                "{}: {}",
                tr.t("common.no_data"),
                tr.t(&format!("missing.{code}"))
            )
        })
    };
    let figures = vec![
        (
            "forecast.target".into(),
            m("revenue_target"),
            "revenue_target".into(),
        ),
        (
            "forecast.so_far".into(),
            m("revenue_so_far"),
            "revenue_so_far".into(),
        ),
        (
            "forecast.recurring_base".into(),
            m("recurring_base"),
            "recurring_base".into(),
        ),
        (
            "forecast.new_business".into(),
            m("new_business_needed"),
            "new_business_needed".into(),
        ),
        (
            "forecast.projected".into(),
            m("projected_revenue"),
            "projected_revenue".into(),
        ),
        ("forecast.pipeline".into(), m("pipeline"), "pipeline".into()),
        (
            "forecast.weighted".into(),
            m("weighted_pipeline"),
            "weighted_pipeline".into(),
        ),
        ("forecast.commit".into(), m("commit"), "commit".into()),
        (
            "forecast.best_case".into(),
            m("best_case"),
            "best_case".into(),
        ),
        (
            "forecast.run_rate".into(),
            m("run_rate_annual"),
            "run_rate_annual".into(),
        ),
        (
            "forecast.open_deals".into(),
            tr.value(num(&f["open_deals"]), "count"),
            "open_deals".into(),
        ),
    ]
    .into_iter()
    .map(|(k, v, key): (String, String, String)| {
        let why = note(&key);
        (tr.t(&k).to_string(), v, key, why)
    })
    .collect();
    let empty = Vec::new();
    let months = f["months"].as_array().unwrap_or(&empty);
    let labels: Vec<String> = months
        .iter()
        .map(|x| tr.month(&text(&x["month"])))
        .collect();
    let series = |key: &str, name: &str, color: &str| {
        json!({"name": tr.t(name), "type": "bar", "itemStyle": {"color": color},
               "data": months.iter().map(|x| num(&x[key]).unwrap_or(0.0).round()).collect::<Vec<_>>()})
    };
    let chart = json!({
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 80, "right": 20, "top": 40, "bottom": 40},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value"},
        "series": [
            series("commit", "forecast.commit", "#0f766e"),
            series("weighted", "forecast.weighted", "#14b8a6"),
            series("best_case", "forecast.best_case", "#99f6e4")
        ]
    })
    .to_string();
    let tz = state.settings().timezone;
    let reverse: Vec<ReverseRow> = f["reverse_funnel"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .map(|r| ReverseRow {
            stage: tr.label("stage", &text(&r["stage"])),
            step: tr.value(num(&r["step_conversion"]), "ratio"),
            required: tr.value(num(&r["required"]).map(f64::ceil), "count"),
            whole: tr.value(num(&r["required_for_target"]).map(f64::ceil), "count"),
            latest: r["latest_entry"]
                .as_str()
                .map(|t| tr.date(&local_date(tz, t, 0)))
                .unwrap_or_else(|| "–".into()),
            too_late: r["too_late"].as_bool().unwrap_or(false),
            current: tr.value(num(&r["current"]), "count"),
        })
        .collect();
    let all_too_late = reverse.len() > 1
        && reverse[..reverse.len() - 1]
            .iter()
            .all(|r: &ReverseRow| r.too_late)
        && num(&f["new_business_needed"]).is_some_and(|n| n > 0.0);
    let page = PlanPage {
        c: chrome(state, w, ui, "plan", "nav.plan", Some(&period), true).downloads(vec![csv]),
        figures,
        chart,
        reverse,
        all_too_late,
        target: target.unwrap_or_else(|| {
            num(&f["revenue_target"])
                .map(|t| format!("{t:.0}"))
                .unwrap_or_default()
        }),
    };
    render(&page).or_page(tr)
}

// ---------------------------------------------------------------- retention

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
    sla: Vec<(String, String)>,
}

async fn retention(State(state): State<AppState>, Page(w): Page, Query(ui): Query<Ui>) -> Rendered {
    Rendered(retention_inner(&state, &w, &ui).await)
}

async fn retention_inner(state: &AppState, w: &WebUser, ui: &Ui) -> PageResult {
    let tr = w.tr;
    let period = ui.period(state, "last_12_months");
    let params = ui.params(&period);
    let csv = vec![
        csv_download(&tr, "retention.mrr_csv", ReportKind::Mrr, &params),
        csv_download(&tr, "retention.cohorts_csv", ReportKind::Cohorts, &params),
    ];
    let cohorts = crate::reports::run(state, ReportKind::Cohorts, params.clone())
        .await
        .or_page(tr)?;
    let mut by_channel = params.clone();
    by_channel.by = Some("first_touch_channel".into());
    by_channel.filter = None;
    let by = crate::reports::run(state, ReportKind::Cohorts, by_channel)
        .await
        .or_page(tr)?;
    let bn = whole_chain(state, &params).await.or_page(tr)?;
    let sla = crate::reports::run(state, ReportKind::Sla, params.clone())
        .await
        .or_page(tr)?;
    let mrr = crate::reports::run(state, ReportKind::Mrr, params.clone())
        .await
        .or_page(tr)?;
    let cur = text(&cohorts["currency"]);
    let units = if cohorts["nrr"].is_null() {
        format!(
            "{}: {}",
            tr.t("common.no_data"),
            tr.t(if num(&cohorts["customers"]).unwrap_or(0.0) > 0.0 {
                "missing.no_retention_base"
            } else {
                "missing.no_revenue"
            })
        )
    } else {
        num(&cohorts["retention_units"])
            .map_or_else(String::new, |n| format!("n = {}", tr.count(n)))
    };
    let figures = vec![
        (
            tr.t("metric.nrr").to_string(),
            tr.value(num(&cohorts["nrr"]), "ratio"),
            "nrr".to_string(),
        ),
        (
            tr.t("metric.grr").to_string(),
            tr.value(num(&cohorts["grr"]), "ratio"),
            "grr".into(),
        ),
        (
            tr.t("metric.logo_churn").to_string(),
            tr.value(num(&cohorts["logo_churn"]), "ratio"),
            "logo_churn".into(),
        ),
        (
            tr.t("cohort.customers").to_string(),
            tr.value(num(&cohorts["customers"]), "count"),
            "customers".into(),
        ),
    ];
    let empty = Vec::new();
    let rows = cohorts["cohorts"].as_array().unwrap_or(&empty);
    // Every row names its cohort's size.
    let names: Vec<String> = rows
        .iter()
        .map(|r| {
            let n = num(&r["customers"]).unwrap_or(0.0);
            format!("{} · {}", tr.month(&text(&r["cohort"])), tr.count(n))
        })
        .collect();
    let width = rows
        .iter()
        .filter_map(|r| r["revenue_retention"].as_array().map(Vec::len))
        .max()
        .unwrap_or(0);
    // A cohort much smaller than the typical one is drawn faintly: its percentages move
    // by whole customers.
    let mut sizes: Vec<f64> = rows.iter().filter_map(|r| num(&r["customers"])).collect();
    sizes.sort_by(f64::total_cmp);
    let typical = sizes.get(sizes.len() / 2).copied().unwrap_or(0.0);
    let (mut cells, mut faint, mut unfinished) = (Vec::new(), Vec::new(), Vec::new());
    for (y, r) in rows.iter().enumerate() {
        let small = num(&r["customers"]).unwrap_or(0.0) < (typical / 4.0).max(10.0);
        let values = r["revenue_retention"].as_array().unwrap_or(&empty);
        let last_to_date = r["last_month_to_date"].as_bool().unwrap_or(false);
        for (x, v) in values.iter().enumerate() {
            let Some(v) = num(v) else { continue };
            let shown = (v * 1000.0).round() / 10.0;
            let cell = json!([x, y, shown]);
            if last_to_date && x + 1 == values.len() {
                // The month is not over: its cell is to date, never shown as churn.
                unfinished.push(json!({
                    "value": [x, y, shown],
                    "label": {"formatter": format!("{shown}…")}
                }));
            } else if small {
                faint.push(cell);
            } else {
                cells.push(cell);
            }
        }
    }
    let heat = json!({
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
    .to_string();
    let basis = tr
        .t(if text(&cohorts["basis"]) == "mrr" {
            "cohort.basis_mrr"
        } else {
            "cohort.basis_revenue"
        })
        .to_string();
    let mrr_chart = mrr["months"].as_array().filter(|m| !m.is_empty()).map(|months| {
        let labels: Vec<String> = months.iter().map(|m| tr.month(&text(&m["month"]))).collect();
        let series = |key: &str, sign: f64| -> Vec<Value> {
            months
                .iter()
                .map(|m| json!((num(&m[key]).unwrap_or(0.0) * sign * 100.0).round() / 100.0))
                .collect()
        };
        let bar = |key: &str, sign: f64, color: &str| {
            json!({"type": "bar", "stack": "moves", "name": tr.t(&format!("mrr.{key}")),
                   "data": series(key, sign), "itemStyle": {"color": color}})
        };
        json!({
            "tooltip": {"trigger": "axis"},
            "legend": {"bottom": 0},
            "grid": {"left": 70, "right": 70, "top": 20, "bottom": 60},
            "xAxis": {"type": "category", "data": labels},
            "yAxis": [{"type": "value", "name": cur}, {"type": "value", "name": "MRR", "splitLine": {"show": false}}],
            "series": [
                bar("new", 1.0, "#14b8a6"),
                bar("reactivation", 1.0, "#5eead4"),
                bar("expansion", 1.0, "#0f766e"),
                bar("contraction", -1.0, "#fca5a5"),
                bar("churned", -1.0, "#dc2626"),
                {"type": "line", "name": tr.t("mrr.ending"), "yAxisIndex": 1, "data": series("ending", 1.0),
                 "itemStyle": {"color": "#1e293b"}}
            ]
        })
        .to_string()
    });
    let channels = by["segments"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .map(|s| {
            let ltv = s["cohorts"]
                .as_array()
                .and_then(|cs| cs.first())
                .and_then(|c| c["ltv"].as_array())
                .and_then(|l| l.last())
                .and_then(num);
            (
                text(&s["value"]),
                tr.value(num(&s["customers"]), "count"),
                tr.value(num(&s["nrr"]), "ratio"),
                tr.value(num(&s["grr"]), "ratio"),
                tr.value(ltv, &cur),
            )
        })
        .collect();
    let service: Vec<Finding> = findings(&tr, &bn, usize::MAX)
        .into_iter()
        .zip(bn["findings"].as_array().unwrap_or(&empty))
        .filter(|(_, raw)| raw["kind"] == "retention")
        .map(|(f, _)| f)
        .collect();
    // Without any sales touchpoint no lead can be answered: the split is no data.
    let sla = if sla["reason"].is_string() {
        vec![(
            tr.t("sla.breach_rate").to_string(),
            format!(
                "{}: {}",
                tr.t("common.no_data"),
                tr.t("missing.no_sales_touches")
            ),
        )]
    } else {
        vec![
            (
                tr.t("sla.median").to_string(),
                tr.value(num(&sla["median_response_minutes"]), "minutes"),
            ),
            (
                tr.t("sla.breach_rate").to_string(),
                tr.value(num(&sla["breach_rate"]), "ratio"),
            ),
            (
                tr.t("sla.on_time").to_string(),
                tr.value(num(&sla["within_sla"]["conversion"]), "ratio"),
            ),
            (
                tr.t("sla.late").to_string(),
                tr.value(num(&sla["late"]["conversion"]), "ratio"),
            ),
        ]
    };
    let page = RetentionPage {
        has_tickets: state.snapshot().records_service(),
        no_cohorts: num(&cohorts["customers"]).unwrap_or(0.0) == 0.0,
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
        heat,
        mrr_chart,
        mrr_note: match (num(&mrr["rows_paid_yearly"]), num(&mrr["recurring_rows"])) {
            (Some(n), Some(total)) if n > 0.0 => tr
                .t("mrr.no_period")
                .replace("{n}", &tr.count(n))
                .replace("{total}", &tr.count(total)),
            _ => String::new(),
        },
        channels,
        service,
        sla,
    };
    render(&page).or_page(tr)
}

// ---------------------------------------------------------------- journeys

pub struct Step {
    pub when: String,
    pub team: String,
    pub team_class: String,
    pub what: String,
}

#[derive(Template)]
#[template(path = "journeys.html")]
struct JourneysPage {
    c: Chrome,
    q: String,
    subject: String,
    steps: Vec<Step>,
    message: String,
}

async fn journeys(State(state): State<AppState>, Page(w): Page, Query(ui): Query<Ui>) -> Rendered {
    let tr = w.tr;
    Rendered(
        async {
            let q = ui.q.clone().unwrap_or_default().trim().to_string();
            let mut steps = Vec::new();
            let mut subject = String::new();
            let mut message = String::new();
            if !q.is_empty() {
                let s = state.snapshot();
                let mut params = ReportParams {
                    as_of: ui.as_of.clone().filter(|s| !s.is_empty()),
                    ..Default::default()
                };
                if q.contains('@') {
                    params.email = Some(q.clone());
                } else if s.accounts.ids.get(&q).is_some() {
                    params.account = Some(q.clone());
                } else {
                    params.contact = Some(q.clone());
                }
                match crate::reports::run(&state, ReportKind::Journeys, params).await {
                    Ok(j) => {
                        let cur = text(&j["currency"]);
                        subject = format!("{} {}", text(&j["subject"]), text(&j["id"]));
                        let empty = Vec::new();
                        for e in j["events"].as_array().unwrap_or(&empty) {
                            let event = text(&e["event"]);
                            let mut what = vec![event.replace('_', " ")];
                            for k in ["stage", "channel", "campaign", "kind", "deal"] {
                                let v = text(&e[k]);
                                if !v.is_empty() {
                                    what.push(v);
                                }
                            }
                            if let Some(a) = num(&e["amount"]) {
                                what.push(tr.money(a, &cur));
                            }
                            if let Some(c) = num(&e["csat"]) {
                                what.push(format!("CSAT {c}"));
                            }
                            if subject.starts_with("account") {
                                what.push(format!("({})", text(&e["contact"])));
                            }
                            let team = text(&e["team"]);
                            steps.push(Step {
                                when: tr.datetime(&text(&e["at"])),
                                team: if team.is_empty() {
                                    String::new()
                                } else {
                                    tr.label("team", &team)
                                },
                                team_class: if team.is_empty() {
                                    "revenue".into()
                                } else {
                                    team
                                },
                                what: what.join(" · "),
                            });
                        }
                    }
                    Err(AppError::NotFound(m)) => message = m,
                    Err(e) => return Err((e, tr)),
                }
            }
            let page = JourneysPage {
                c: chrome(&state, &w, &ui, "journeys", "nav.journeys", None, false),
                q,
                subject,
                steps,
                message,
            };
            render(&page).or_page(tr)
        }
        .await,
    )
}

// ---------------------------------------------------------------- records

#[derive(Template)]
#[template(path = "records.html")]
struct RecordsPage {
    c: Chrome,
    kind: String,
    kinds: Vec<(String, String)>,
    columns: Vec<(String, String)>,
    rows: Vec<(String, Vec<String>)>,
    q: String,
    sort: String,
    desc: bool,
    col: String,
    val: String,
    found: String,
    page: usize,
    prev_url: String,
    next_url: String,
    filter_columns: Vec<String>,
    /// Contacts sharing an email: (email, ids), the first id the one others merge into.
    duplicates: Vec<(String, Vec<String>)>,
    /// Recorded merges: (merged, survivor, when, by).
    merges: Vec<(String, String, String, String)>,
    can_edit: bool,
    message: String,
}

const PAGE_SIZE: usize = 50;
const MAX_PAGE: usize = 1 << 32;

fn record_columns(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Accounts => &[
            "name",
            "domain",
            "industry",
            "segment",
            "country",
            "owner",
            "created_at",
        ],
        RecordKind::Contacts => &[
            "email",
            "name",
            "title",
            "account_id",
            "owner",
            "source",
            "created_at",
        ],
        _ => &[
            "name",
            "account_id",
            "owner",
            "stage",
            "amount",
            "currency",
            "status",
            "expected_close_at",
        ],
    }
}

fn filter_columns(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Accounts => &["segment", "country", "owner", "industry"],
        RecordKind::Contacts => &["owner", "source", "account_id"],
        _ => &["status", "stage", "owner", "account_id"],
    }
}

async fn records(State(state): State<AppState>, Page(w): Page, Query(ui): Query<Ui>) -> Rendered {
    Rendered(records_view(&state, &w, &ui, String::new()).await)
}

async fn records_view(state: &AppState, w: &WebUser, ui: &Ui, message: String) -> PageResult {
    let tr = w.tr;
    {
        {
            let kind = match ui.kind.as_deref() {
                Some("accounts") => RecordKind::Accounts,
                Some("deals") => RecordKind::Deals,
                _ => RecordKind::Contacts,
            };
            let cols = record_columns(kind);
            let sort = ui
                .sort
                .clone()
                .filter(|s| s == "id" || cols.contains(&s.as_str()))
                .unwrap_or_else(|| "id".into());
            let desc = ui.desc.unwrap_or(false);
            let col = ui
                .col
                .clone()
                .filter(|c| filter_columns(kind).contains(&c.as_str()))
                .unwrap_or_default();
            let val = ui.val.clone().unwrap_or_default();
            // A page number past any table (`page=9223372036854775807`) shows an empty
            // page rather than overflowing.
            let page = ui.page.unwrap_or(0).min(MAX_PAGE);
            let q = ui.q.clone().unwrap_or_default();
            let search = revline_store::RecordSearch {
                text: Some(q.clone()).filter(|s| !s.trim().is_empty()),
                equals: if col.is_empty() || val.is_empty() {
                    vec![]
                } else {
                    vec![(col.clone(), val.clone())]
                },
                sort: Some(sort.clone()),
                descending: desc,
                offset: page * PAGE_SIZE,
                limit: PAGE_SIZE,
            };
            let (found, total) = state
                .store
                .search_records(kind, &search)
                .await
                .or_page(tr)?;
            let settings = state.settings();
            let fields = kind.fields();
            let rows = found
                .iter()
                .map(|r| {
                    let values = revline_ingest::export::render_fields(r, &settings);
                    let cells = cols
                        .iter()
                        .map(|c| {
                            let i = fields
                                .iter()
                                .position(|f| f.name == *c)
                                .expect("a column of the kind");
                            let v = &values[i];
                            if c.ends_with("_at") && !v.is_empty() {
                                tr.date(v)
                            } else {
                                v.clone()
                            }
                        })
                        .collect();
                    (r.id.clone(), cells)
                })
                .collect();
            let url = |p: usize| {
                format!(
                    "/records?kind={}&q={}&sort={sort}&desc={desc}&col={col}&val={}&page={p}",
                    kind.name(),
                    url_encode(&q),
                    url_encode(&val)
                )
            };
            let pages = (total as usize).div_ceil(PAGE_SIZE);
            let (duplicates, merges) = if kind == RecordKind::Contacts {
                let dups = state.store.duplicate_emails().await.or_page(tr)?;
                let merges = state.store.contact_merges().await.or_page(tr)?;
                (
                    dups.into_iter().map(|d| (d.email, d.contact_ids)).collect(),
                    merges
                        .into_iter()
                        .map(|m| {
                            let when = revline_core::time::format_timestamp(m.merged_at);
                            (m.merged_id, m.survivor_id, tr.date(&when), m.merged_by)
                        })
                        .collect(),
                )
            } else {
                (Vec::new(), Vec::new())
            };
            let page_view = RecordsPage {
                c: chrome(state, w, ui, "records", "nav.records", None, false),
                kind: kind.name().to_string(),
                kinds: ["contacts", "accounts", "deals"]
                    .iter()
                    .map(|k| (k.to_string(), tr.label("records", k)))
                    .collect(),
                columns: cols
                    .iter()
                    .map(|c| (c.to_string(), c.replace('_', " ")))
                    .collect(),
                rows,
                found: tr
                    .t("records.found")
                    .replace("{n}", &tr.count(total as f64)),
                prev_url: if page > 0 {
                    url(page - 1)
                } else {
                    String::new()
                },
                next_url: if page + 1 < pages {
                    url(page + 1)
                } else {
                    String::new()
                },
                filter_columns: filter_columns(kind).iter().map(|c| c.to_string()).collect(),
                q,
                sort,
                desc,
                col,
                val,
                page: page + 1,
                duplicates,
                merges,
                can_edit: w.can_edit(),
                message,
            };
            render(&page_view).or_page(tr)
        }
    }
}

#[derive(Deserialize)]
struct MergeForm {
    merged: String,
    #[serde(default)]
    into: String,
}

/// Merges one contact into another (the same person under two ids) and reads the
/// workspace again so that every page counts them once.
async fn merge_contacts(
    State(state): State<AppState>,
    Page(w): Page,
    axum::Form(form): axum::Form<MergeForm>,
) -> Rendered {
    Rendered(merge_change(&state, &w, form, true).await)
}

async fn unmerge_contact(
    State(state): State<AppState>,
    Page(w): Page,
    axum::Form(form): axum::Form<MergeForm>,
) -> Rendered {
    Rendered(merge_change(&state, &w, form, false).await)
}

async fn merge_change(state: &AppState, w: &WebUser, form: MergeForm, merge: bool) -> PageResult {
    let tr = w.tr;
    w.require(Role::Editor).or_page(tr)?;
    let message = if merge {
        match revline_store::merge_contacts(
            state.store.as_ref(),
            &form.merged,
            &form.into,
            &w.user.email,
            state.clock.now(),
        )
        .await
        {
            Ok(_) => tr
                .t("records.merged")
                .replace("{merged}", &form.merged)
                .replace("{into}", &form.into),
            Err(revline_store::MergeError::Refused(why)) => {
                return Err((AppError::bad(why), tr));
            }
            Err(revline_store::MergeError::Store(e)) => return Err((e.into(), tr)),
        }
    } else {
        if !state
            .store
            .unmerge_contact(&form.merged)
            .await
            .or_page(tr)?
        {
            return Err((
                AppError::NotFound(format!("contact {} is not merged", form.merged)),
                tr,
            ));
        }
        tr.t("records.unmerged").replace("{merged}", &form.merged)
    };
    state
        .live
        .rebuild(state.store.as_ref(), &state.settings(), "merge")
        .await
        .or_page(tr)?;
    let ui = Ui {
        kind: Some("contacts".into()),
        ..Ui::default()
    };
    records_view(state, w, &ui, message).await
}

// ---------------------------------------------------------------- import

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    c: Chrome,
    kinds: Vec<String>,
    runs: Vec<(String, String, String, String)>,
}

async fn import_page(
    State(state): State<AppState>,
    Page(w): Page,
    Query(ui): Query<Ui>,
) -> Rendered {
    let tr = w.tr;
    Rendered(
        async {
            w.require(Role::Editor).or_page(tr)?;
            let runs = state
                .store
                .import_runs(10)
                .await
                .or_page(tr)?
                .into_iter()
                .map(|r| {
                    (
                        tr.datetime(&revline_core::time::format_timestamp(r.started_at)),
                        r.source
                            .rsplit(['/', '\\'])
                            .next()
                            .unwrap_or("")
                            .to_string(),
                        tr.label("run_status", r.shown_status()),
                        if r.dry_run {
                            tr.t("action.preview").to_string()
                        } else {
                            String::new()
                        },
                    )
                })
                .collect();
            let page = ImportPage {
                c: chrome(&state, &w, &ui, "import", "nav.import", None, false),
                kinds: crate::ingest::BATCH_KINDS
                    .iter()
                    .map(|k| k.name().to_string())
                    .collect(),
                runs,
            };
            render(&page).or_page(tr)
        }
        .await,
    )
}

pub struct FileView {
    pub file: String,
    pub kind: String,
    pub read: u64,
    pub inserted: u64,
    pub updated: u64,
    pub rejected: u64,
    /// Rejected rows grouped by reason and column: (count, column, the first row's
    /// reason, its first lines), largest group first.
    pub errors: Vec<(String, String, String, String)>,
    /// Rows that landed changed (an amount rounded, control characters removed),
    /// grouped as `errors` are, and how many there are in all.
    pub warnings: Vec<(String, String, String, String)>,
    pub warnings_total: u64,
}

/// How many line numbers a group of rejected rows shows.
const LINES_PER_GROUP: usize = 8;

/// Rows of a summary (`errors`, `warnings`) as the CLI groups them: per reason, the
/// count, the column, the first row's reason and the group's first lines.
fn grouped_rows(rows: &[Value]) -> Vec<(String, String, String, String)> {
    let rows: Vec<revline_ingest::summary::RowError> = rows
        .iter()
        .filter_map(|r| serde_json::from_value(r.clone()).ok())
        .collect();
    revline_ingest::summary::group_rows(&rows)
        .into_iter()
        .map(|g| {
            let mut lines: Vec<String> = g
                .rows
                .iter()
                .take(LINES_PER_GROUP)
                .map(|r| r.line.to_string())
                .collect();
            if g.rows.len() > LINES_PER_GROUP {
                lines.push("…".into());
            }
            (
                g.rows.len().to_string(),
                g.column.unwrap_or_default().to_string(),
                g.rows[0].reason.clone(),
                lines.join(", "),
            )
        })
        .collect()
}

fn file_views(summary: &Value) -> Vec<FileView> {
    let empty = Vec::new();
    summary["files"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .map(|f| FileView {
            file: text(&f["file"])
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or("")
                .to_string(),
            kind: text(&f["kind"]),
            read: f["read"].as_u64().unwrap_or(0),
            inserted: f["inserted"].as_u64().unwrap_or(0),
            updated: f["updated"].as_u64().unwrap_or(0),
            rejected: f["rejected"].as_u64().unwrap_or(0),
            errors: grouped_rows(f["errors"].as_array().unwrap_or(&empty)),
            warnings: grouped_rows(f["warnings"].as_array().unwrap_or(&empty)),
            warnings_total: f["warnings"].as_array().map_or(0, |w| w.len() as u64)
                + f["warnings_omitted"].as_u64().unwrap_or(0),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "import_job.html")]
struct ImportJobView {
    tr: Tr,
    id: u64,
    file: String,
    state: &'static str,
    percent: u32,
    files: Vec<FileView>,
    columns: Vec<(String, String)>,
    message: String,
    /// Contacts that share an email after this import: (email, ids).
    duplicates: Vec<(String, String)>,
    /// "Recognised as a HubSpot export", when a preset reads the file.
    recognised: String,
}

/// The summary's duplicate emails, as (email, ids).
fn duplicate_views(summary: &Value) -> Vec<(String, String)> {
    summary["duplicate_emails"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            let ids: Vec<String> = d["contact_ids"]
                .as_array()
                .into_iter()
                .flatten()
                .map(text)
                .collect();
            (text(&d["email"]), ids.join(", "))
        })
        .collect()
}

/// The header of an uploaded CSV against the kind's contract columns.
fn column_mapping(job: &crate::ingest::ImportJob, tr: &Tr) -> Vec<(String, String)> {
    let kind = job
        .kind
        .or_else(|| RecordKind::from_name(&revline_ingest::source::kind_stem(&job.path())));
    let Ok(bytes) = std::fs::read(job.path()) else {
        return Vec::new();
    };
    let first = bytes.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let delimiter = revline_ingest::source::detect_delimiter(first);
    let lower = job.file_name.to_lowercase();
    if !(lower.ends_with(".csv") || lower.ends_with(".txt")) {
        return Vec::new();
    }
    let line = String::from_utf8_lossy(first);
    line.trim_start_matches('\u{feff}')
        .trim_end()
        .split(delimiter as char)
        .map(|h| {
            let name = h.trim().trim_matches('"').to_string();
            let known = kind.is_some_and(|k| {
                k.fields()
                    .iter()
                    .any(|f| f.name.eq_ignore_ascii_case(&name))
                    || (k == RecordKind::Touchpoints && name.eq_ignore_ascii_case("email"))
            });
            let target = if known {
                format!("→ {}", name.to_lowercase())
            } else {
                format!("→ {}", tr.t("import.custom_property"))
            };
            (name, target)
        })
        .collect()
}

/// What the import read from each column, as its summary says (`columns` and
/// `properties`): `source → field` per file, then the columns kept as properties.
fn summary_columns(summary: &Value, tr: &Tr) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for f in summary["files"].as_array().into_iter().flatten() {
        let kind = text(&f["kind"]);
        for c in f["columns"].as_array().into_iter().flatten() {
            out.push((
                text(&c["column"]),
                format!("→ {kind}.{}", text(&c["field"])),
            ));
        }
        for p in f["properties"].as_array().into_iter().flatten() {
            out.push((text(p), format!("→ {kind}: {}", tr.t("import.property"))));
        }
    }
    out
}

async fn import_preview(
    State(state): State<AppState>,
    Page(w): Page,
    mut form: Multipart,
) -> Rendered {
    let tr = w.tr;
    Rendered(
        async {
            w.require(Role::Editor).or_page(tr)?;
            let mut file: Option<(String, Vec<u8>)> = None;
            let mut kind: Option<RecordKind> = None;
            while let Some(field) = form
                .next_field()
                .await
                .map_err(|e| (AppError::from(e), tr))?
            {
                match field.name() {
                    Some("file") => {
                        let name = field.file_name().unwrap_or("upload.csv").to_string();
                        let data = field.bytes().await.map_err(|e| (AppError::from(e), tr))?;
                        file = Some((name, data.to_vec()));
                    }
                    Some("kind") => {
                        let v = field.text().await.unwrap_or_default();
                        kind = RecordKind::from_name(v.trim());
                    }
                    _ => {}
                }
            }
            let (name, data) = file
                .filter(|(_, d)| !d.is_empty())
                .ok_or_else(|| (AppError::bad("choose a file to import"), tr))?;
            let (id, job) = state.imports.add(&name, kind, &data).or_page(tr)?;
            let mut duplicates = Vec::new();
            let mut columns = column_mapping(&job, &tr);
            let (files, message, st) = match crate::ingest::preview(&state, &job).await {
                Ok(summary) => {
                    let summary = serde_json::to_value(&summary).expect("summaries serialise");
                    duplicates = duplicate_views(&summary);
                    if job.preset.is_some() {
                        columns = summary_columns(&summary, &tr);
                    }
                    (file_views(&summary), String::new(), "preview")
                }
                Err(AppError::Store(e)) => return Err((AppError::Store(e), tr)),
                Err(e) => (Vec::new(), e.to_string(), "failed"),
            };
            let view = ImportJobView {
                tr,
                id,
                file: job.file_name.clone(),
                state: st,
                percent: 0,
                columns,
                files,
                message,
                duplicates,
                recognised: job.preset.map_or(String::new(), |p| {
                    tr.t("import.recognised")
                        .replace("{crm}", &tr.label("crm", p))
                }),
            };
            render(&view).or_page(tr)
        }
        .await,
    )
}

async fn import_run(State(state): State<AppState>, Page(w): Page, Path(id): Path<u64>) -> Rendered {
    let tr = w.tr;
    Rendered(
        async {
            w.require(Role::Editor).or_page(tr)?;
            let job = state
                .imports
                .get(id)
                .ok_or_else(|| (AppError::NotFound(format!("no import {id}")), tr))?;
            crate::ingest::start(state.clone(), job);
            job_view(&state, id, tr)
        }
        .await,
    )
}

fn job_view(state: &AppState, id: u64, tr: Tr) -> PageResult {
    let job = state
        .imports
        .get(id)
        .ok_or_else(|| (AppError::NotFound(format!("no import {id}")), tr))?;
    let outcome = job.outcome.lock().expect("job lock").clone();
    let total = job
        .total_bytes
        .load(std::sync::atomic::Ordering::Relaxed)
        .max(1);
    let done = job.done_bytes.load(std::sync::atomic::Ordering::Relaxed);
    let (st, files, message, duplicates) = match outcome {
        None => ("running", Vec::new(), String::new(), Vec::new()),
        Some(Ok(summary)) => (
            "done",
            file_views(&summary),
            String::new(),
            duplicate_views(&summary),
        ),
        Some(Err(m)) => ("failed", Vec::new(), m, Vec::new()),
    };
    let view = ImportJobView {
        tr,
        id,
        file: job.file_name.clone(),
        state: st,
        percent: ((done as f64 / total as f64) * 100.0).min(100.0) as u32,
        files,
        columns: Vec::new(),
        message,
        duplicates,
        recognised: String::new(),
    };
    render(&view).or_page(tr)
}

async fn import_status(
    State(state): State<AppState>,
    Page(w): Page,
    Path(id): Path<u64>,
) -> Rendered {
    let tr = w.tr;
    Rendered(
        w.require(Role::Editor)
            .or_page(tr)
            .and_then(|_| job_view(&state, id, tr)),
    )
}

// ---------------------------------------------------------------- settings

pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub role: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    c: Chrome,
    currency: String,
    timezone: String,
    stages: String,
    sla_hours: String,
    gross_margin: String,
    lookback_days: String,
    targets: Vec<(String, String, String, String)>,
    users: Vec<UserRow>,
    roles: Vec<(String, String)>,
    tokens: Vec<(i64, String, String)>,
    new_token: String,
    notice: String,
    metrics: Vec<String>,
}

async fn settings_page(
    State(state): State<AppState>,
    Page(w): Page,
    Query(ui): Query<Ui>,
) -> Rendered {
    Rendered(settings_view(&state, &w, &ui, String::new(), String::new()).await)
}

async fn settings_view(
    state: &AppState,
    w: &WebUser,
    ui: &Ui,
    new_token: String,
    notice: String,
) -> PageResult {
    let tr = w.tr;
    let s = state.settings();
    let snapshot = state.snapshot();
    let mut targets: Vec<(String, String, String, String)> = snapshot
        .targets
        .iter()
        .map(|t| {
            (
                t.metric.clone(),
                t.period.clone(),
                t.segment.clone().unwrap_or_default(),
                tr.number(t.value, 2),
            )
        })
        .collect();
    targets.sort();
    let users = if w.is_admin() {
        state
            .store
            .users()
            .await
            .or_page(tr)?
            .into_iter()
            .map(|u| UserRow {
                id: u.id,
                email: u.email,
                role: u.role,
                created: tr.date(&revline_core::time::format_timestamp(u.created_at)),
            })
            .collect()
    } else {
        Vec::new()
    };
    let tokens = state
        .store
        .tokens(w.user.id)
        .await
        .or_page(tr)?
        .into_iter()
        .map(|t| {
            (
                t.id,
                tr.datetime(&revline_core::time::format_timestamp(t.created_at)),
                t.last_used_at
                    .map(|u| tr.datetime(&revline_core::time::format_timestamp(u)))
                    .unwrap_or_else(|| "–".into()),
            )
        })
        .collect();
    let page = SettingsPage {
        c: chrome(state, w, ui, "settings", "nav.settings", None, false),
        currency: s.currency.to_string(),
        timezone: s.timezone.name().to_string(),
        stages: s.stages.join(", "),
        sla_hours: s.sla_hours.to_string(),
        gross_margin: s.gross_margin.to_string(),
        lookback_days: s.lookback_days.to_string(),
        targets,
        users,
        roles: crate::access::ROLES
            .iter()
            .map(|r| (r.to_string(), tr.label("role", r)))
            .collect(),
        tokens,
        new_token,
        notice,
        metrics: [
            "revenue",
            "new_customers",
            "pipeline_created",
            "win_rate",
            "mql",
            "sql",
            "leads",
            "opportunities",
            "cac",
            "nrr",
            "grr",
        ]
        .iter()
        .map(|m| m.to_string())
        .collect(),
    };
    render(&page).or_page(tr)
}

/// The settings page again, saying the change was saved.
async fn saved(state: &AppState, w: &WebUser) -> PageResult {
    settings_view(
        state,
        w,
        &Ui::default(),
        String::new(),
        w.tr.t("settings.saved").into(),
    )
    .await
}

#[derive(Deserialize)]
struct WorkspaceForm {
    currency: String,
    timezone: String,
    stages: String,
    sla_hours: String,
    gross_margin: String,
    lookback_days: String,
}

async fn save_workspace(
    State(state): State<AppState>,
    Page(w): Page,
    axum::Form(form): axum::Form<WorkspaceForm>,
) -> Rendered {
    let tr = w.tr;
    Rendered(
        async {
            w.require(Role::Admin).or_page(tr)?;
            let mut settings = state.settings().as_ref().clone();
            // Each field through the settings' own setter, the same one `revline
            // settings set` uses: no text is ever pasted into a settings file, so a
            // newline in a field cannot add keys.
            for (key, value) in [
                ("currency", form.currency.as_str()),
                ("timezone", form.timezone.as_str()),
                ("stages", form.stages.as_str()),
                ("sla_hours", &form.sla_hours.trim().replace(',', ".")),
                ("gross_margin", &form.gross_margin.trim().replace(',', ".")),
                ("lookback_days", form.lookback_days.as_str()),
            ] {
                settings
                    .set(key, value)
                    .map_err(|e| (AppError::bad(e.to_string()), tr))?;
            }
            state.save_settings(settings).await.or_page(tr)?;
            settings_view(
                &state,
                &w,
                &Ui::default(),
                String::new(),
                tr.t("settings.saved").into(),
            )
            .await
        }
        .await,
    )
}

#[derive(Deserialize)]
struct TargetForm {
    metric: String,
    period: String,
    value: String,
    #[serde(default)]
    segment: String,
}

async fn add_target(
    State(state): State<AppState>,
    Page(w): Page,
    axum::Form(form): axum::Form<TargetForm>,
) -> Rendered {
    let tr = w.tr;
    Rendered(
        async {
            w.require(Role::Editor).or_page(tr)?;
            let mut row = serde_json::Map::new();
            row.insert("metric".into(), Value::String(form.metric));
            row.insert("period".into(), Value::String(form.period));
            row.insert(
                "value".into(),
                Value::String(form.value.replace(',', ".").replace(' ', "")),
            );
            if !form.segment.trim().is_empty() {
                row.insert("segment".into(), Value::String(form.segment));
            }
            let summary = crate::ingest::import_and_take_in(&state, RecordKind::Targets, vec![row])
                .await
                .or_page(tr)?;
            let errors: Vec<String> = summary
                .files
                .iter()
                .flat_map(|f| {
                    f.errors
                        .iter()
                        .map(|e| format!("{}: {}", e.column.clone().unwrap_or_default(), e.reason))
                })
                .collect();
            if !errors.is_empty() {
                return Err((AppError::bad(errors.join("; ")), tr));
            }
            saved(&state, &w).await
        }
        .await,
    )
}

#[derive(Deserialize)]
struct UserForm {
    email: String,
    role: String,
    password: String,
}

async fn add_user(
    State(state): State<AppState>,
    Page(w): Page,
    axum::Form(form): axum::Form<UserForm>,
) -> Rendered {
    let tr = w.tr;
    Rendered(
        async {
            w.require(Role::Admin).or_page(tr)?;
            let email = revline_core::normalize::normalize_email(&form.email).ok_or_else(|| {
                (
                    AppError::bad(format!("'{}' is not an email address", form.email)),
                    tr,
                )
            })?;
            if Role::parse(&form.role).is_none() {
                return Err((
                    AppError::bad(format!("role: {}", crate::access::ROLES.join(", "))),
                    tr,
                ));
            }
            crate::access::check_password(&form.password).map_err(|e| (AppError::bad(e), tr))?;
            let hash =
                crate::access::hash_password(&form.password).map_err(|e| (AppError::bad(e), tr))?;
            state
                .store
                .create_user(&email, &form.role, Some(&hash), state.clock.now())
                .await
                .or_page(tr)?;
            saved(&state, &w).await
        }
        .await,
    )
}

#[derive(Deserialize)]
struct RoleForm {
    role: String,
}

async fn set_role(
    State(state): State<AppState>,
    Page(w): Page,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<RoleForm>,
) -> Rendered {
    let tr = w.tr;
    Rendered(
        async {
            w.require(Role::Admin).or_page(tr)?;
            if Role::parse(&form.role).is_none() {
                return Err((
                    AppError::bad(format!("role: {}", crate::access::ROLES.join(", "))),
                    tr,
                ));
            }
            if id == w.user.id && form.role != "admin" {
                return Err((
                    AppError::bad("an admin cannot take away their own admin role"),
                    tr,
                ));
            }
            if !state
                .store
                .set_user_role(id, &form.role)
                .await
                .or_page(tr)?
            {
                return Err((AppError::NotFound(format!("no user {id}")), tr));
            }
            saved(&state, &w).await
        }
        .await,
    )
}

/// Any user may hold tokens for scripts; a token acts with its owner's role.
async fn create_token(State(state): State<AppState>, Page(w): Page) -> Rendered {
    let tr = w.tr;
    Rendered(
        async {
            let (token, digest) = crate::access::new_token();
            state
                .store
                .create_token(w.user.id, &digest, state.clock.now())
                .await
                .or_page(tr)?;
            settings_view(&state, &w, &Ui::default(), token, String::new()).await
        }
        .await,
    )
}

async fn revoke_token(
    State(state): State<AppState>,
    Page(w): Page,
    Path(id): Path<i64>,
) -> Rendered {
    let tr = w.tr;
    Rendered(
        async {
            if !state.store.delete_token(w.user.id, id).await.or_page(tr)? {
                return Err((AppError::NotFound(format!("no token {id} of yours")), tr));
            }
            saved(&state, &w).await
        }
        .await,
    )
}

#[derive(Deserialize)]
struct LanguageForm {
    lang: String,
}

/// A personal choice, open to every role: it changes no workspace data.
async fn set_language(
    State(state): State<AppState>,
    Page(w): Page,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LanguageForm>,
) -> Response {
    let lang = Lang::parse(&form.lang).map(Lang::code);
    match state.store.set_user_lang(w.user.id, lang).await {
        // htmx reloads the page in the new language; a plain form is redirected.
        Ok(_) if headers.contains_key("hx-request") => {
            ([("HX-Refresh", "true")], StatusCode::OK).into_response()
        }
        Ok(_) => Redirect::to("/settings").into_response(),
        Err(e) => error_page(e.into(), w.tr),
    }
}

// ---------------------------------------------------------------- sign-in

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    tr: Tr,
    next: String,
    email: String,
    error: String,
    setup: bool,
    asset_version: &'static str,
}

/// Where to go after signing in: only a path of this site. Never "//elsewhere",
/// "/\\elsewhere" or a scheme, and no control character or space anywhere, since
/// browsers drop a tab or newline and would read "/\t/evil.example" as
/// "//evil.example" (and a newline cannot go into a `Location` header).
pub(crate) fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.contains('\\')
            && !n.chars().any(|c| c.is_control() || c.is_whitespace())
    })
    .unwrap_or("/")
    .to_string()
}

async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(ui): Query<Ui>,
) -> Response {
    let tr = Tr::new(crate::auth::lang_for(None, &headers));
    match state.store.users().await {
        Ok(u) if u.is_empty() => return Redirect::to("/setup").into_response(),
        Err(e) => return error_page(e.into(), tr),
        _ => {}
    }
    let page = LoginPage {
        tr,
        next: safe_next(ui.next.as_deref()),
        email: String::new(),
        error: String::new(),
        setup: false,
        asset_version: crate::assets::version(),
    };
    render(&page).unwrap_or_else(|e| error_page(e, tr))
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

async fn login(
    State(state): State<AppState>,
    crate::auth::ClientAddr(client): crate::auth::ClientAddr,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LoginForm>,
) -> Response {
    let tr = Tr::new(crate::auth::lang_for(None, &headers));
    if !crate::auth::same_origin(&headers) {
        return error_page(AppError::Forbidden("sign-in from another site".into()), tr);
    }
    let email = form.email.trim().to_lowercase();
    let now = state.clock.now();
    let again = |error: &str, status: StatusCode| {
        let page = LoginPage {
            tr,
            next: safe_next(Some(&form.next)),
            email: email.clone(),
            error: tr.t(error).to_string(),
            setup: false,
            asset_version: crate::assets::version(),
        };
        (status, render(&page).unwrap_or_else(|e| error_page(e, tr))).into_response()
    };
    // Counted before the slow password check, so that parallel attempts cannot all
    // pass the limit while none has been counted yet.
    let attempt =
        match crate::auth::sign_in_limit::attempt(&*state.store, &email, client, now).await {
            Ok(a) if a.allowed => a,
            Ok(_) => return again("login.limited", StatusCode::TOO_MANY_REQUESTS),
            Err(e) => return error_page(e.into(), tr),
        };
    let user = match state.store.user_by_email(&email).await {
        Ok(u) => u,
        Err(e) => return error_page(e.into(), tr),
    };
    // Verify against a fixed hash when the user is unknown, so timing does not tell
    // which addresses have accounts; off the async threads, since it is slow on purpose.
    let hash = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_string());
    let known = user.as_ref().is_some_and(|u| u.password_hash.is_some());
    let password = form.password.clone();
    let valid = tokio::task::spawn_blocking(move || {
        crate::access::verify_password(&password, &hash) && known
    })
    .await
    .unwrap_or(false);
    let Some(user) = user.filter(|_| valid) else {
        return again("login.failed", StatusCode::UNAUTHORIZED);
    };
    if let Err(e) = crate::auth::sign_in_limit::succeeded(&*state.store, &attempt).await {
        return error_page(e.into(), tr);
    }
    signed_in(&state, &user, &headers, &safe_next(Some(&form.next))).await
}

/// A real hash of nothing anyone knows, made once.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        crate::access::hash_password("no user has this password").unwrap_or_default()
    })
}

async fn signed_in(
    state: &AppState,
    user: &revline_store::User,
    headers: &HeaderMap,
    next: &str,
) -> Response {
    let tr = Tr::new(crate::auth::lang_for(Some(user), headers));
    match crate::auth::start_session(state, user, crate::auth::over_tls(state, headers)).await {
        Ok(cookie) => ([(header::SET_COOKIE, cookie)], Redirect::to(next)).into_response(),
        Err(e) => error_page(e, tr),
    }
}

async fn logout(State(state): State<AppState>, Page(w): Page, headers: HeaderMap) -> Response {
    match crate::auth::end_session(&state, &headers).await {
        Ok(cookie) => crate::auth::redirect(&headers, "/", Some(cookie)),
        Err(e) => error_page(e, w.tr),
    }
}

async fn setup_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let tr = Tr::new(crate::auth::lang_for(None, &headers));
    match state.store.users().await {
        Ok(u) if !u.is_empty() => return Redirect::to("/login").into_response(),
        Err(e) => return error_page(e.into(), tr),
        _ => {}
    }
    let page = LoginPage {
        tr,
        next: "/".into(),
        email: String::new(),
        error: String::new(),
        setup: true,
        asset_version: crate::assets::version(),
    };
    render(&page).unwrap_or_else(|e| error_page(e, tr))
}

/// The first admin, while no user exists (afterwards this answers 403).
async fn setup(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LoginForm>,
) -> Response {
    let tr = Tr::new(crate::auth::lang_for(None, &headers));
    if !crate::auth::same_origin(&headers) {
        return error_page(AppError::Forbidden("set-up from another site".into()), tr);
    }
    let Some(email) = revline_core::normalize::normalize_email(&form.email) else {
        return error_page(
            AppError::bad(format!("'{}' is not an email address", form.email)),
            tr,
        );
    };
    if let Err(e) = crate::access::check_password(&form.password) {
        return error_page(AppError::bad(e), tr);
    }
    let hash = match crate::access::hash_password(&form.password) {
        Ok(h) => h,
        Err(e) => return error_page(AppError::bad(e), tr),
    };
    // One statement decides, so that several set-ups at once make one admin.
    match state
        .store
        .create_first_user(&email, "admin", Some(&hash), state.clock.now())
        .await
    {
        Ok(Some(user)) => signed_in(&state, &user, &headers, "/").await,
        Ok(None) => error_page(
            AppError::Forbidden("the first admin exists already; sign in".into()),
            tr,
        ),
        Err(e) => error_page(e.into(), tr),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: London's 1 July 2011 (2011-06-30T23:00:00Z) read "Jun 30".
    #[test]
    fn comparison_dates_are_the_workspace_calendar_days() {
        let london: chrono_tz::Tz = "Europe/London".parse().unwrap();
        let card = json!({"previous_period": {
            "from": "2011-06-30T23:00:00Z", "to": "2011-09-10T11:00:00Z", "basis": "to_date"}});
        assert_eq!(
            comparison_text(&Tr::new(Lang::En), london, &card),
            "Compared with Jul 1, 2011 – Sep 10, 2011 (to date)"
        );
        let whole = json!({"previous_period": {
            "from": "2011-06-30T23:00:00Z", "to": "2011-09-30T23:00:00Z", "basis": "full"}});
        assert_eq!(
            comparison_text(&Tr::new(Lang::En), london, &whole),
            "Compared with Jul 1, 2011 – Sep 30, 2011 (whole period)"
        );
    }
}
