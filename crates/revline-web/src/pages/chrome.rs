//! The frame around every page: navigation, the period picker, the filter, downloads.

use super::ui::{PRESETS, Period, Ui, last_day};
use crate::AppState;
use crate::auth::WebUser;
use crate::i18n::Tr;
use chrono::NaiveDate;
use revline_engine::query::{ReportKind, ReportParams};

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
    /// The filter as people read it ("Segment: smb"), beside the period.
    pub filter_label: String,
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

const NAV: [(&str, &str, &str); 12] = [
    ("/", "home", "nav.home"),
    ("/funnel", "funnel", "nav.funnel"),
    ("/bottlenecks", "bottlenecks", "nav.bottlenecks"),
    ("/attribution", "attribution", "nav.attribution"),
    ("/plan", "plan", "nav.plan"),
    ("/retention", "retention", "nav.retention"),
    ("/scores", "scores", "nav.scores"),
    ("/journeys", "journeys", "nav.journeys"),
    ("/records", "records", "nav.records"),
    ("/import", "import", "nav.import"),
    ("/views", "views", "nav.views"),
    ("/settings", "settings", "nav.settings"),
];

/// The pages a view can be saved of: those with figures.
pub(crate) fn page_paths() -> [&'static str; 9] {
    [
        "/",
        "/funnel",
        "/funnel/people",
        "/bottlenecks",
        "/attribution",
        "/plan",
        "/retention",
        "/scores",
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
            // Score bands: every workspace has the same four (bands are by rank).
            for (band, _) in revline_engine::bands::SCORE_BANDS {
                let dim = Dim::ScoreBand.name();
                out.push((dim.to_string(), format!("{dim}:{band}"), band.to_string()));
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

/// A filter (`DIM:VALUE`) as the filter picker names it: the dimension's label, then
/// the value; as written when it names no dimension.
fn filter_label(tr: &Tr, filter: &str) -> String {
    match filter.split_once(':') {
        Some((dim, value)) if revline_engine::Dim::parse(dim).is_some() => {
            format!("{}: {value}", tr.label("dim", dim.trim()))
        }
        _ => filter.to_string(),
    }
}

pub(super) fn chrome(
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
        filter_label: ui
            .filter
            .as_deref()
            .map_or_else(String::new, |f| filter_label(&tr, f)),
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

/// The API's CSV of a report with the page's parameters, to download.
pub(super) fn csv_download(
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
    pub(super) fn downloads(mut self, links: Vec<(String, String)>) -> Chrome {
        self.downloads = links;
        self
    }
}
