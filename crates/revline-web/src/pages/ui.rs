//! The URL state every page shares, and the period it names.

use super::url_encode;
use crate::AppState;
use chrono::NaiveDate;
use revline_engine::query::ReportParams;
use serde::Deserialize;

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
    /// Lead scoring: the horizon, the training cut-off and sales' capacity.
    pub horizon_days: Option<String>,
    pub train_as_of: Option<String>,
    pub capacity: Option<String>,
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

pub(super) const PRESETS: [&str; 6] = [
    "this_month",
    "last_month",
    "this_quarter",
    "last_quarter",
    "this_year",
    "last_12_months",
];

/// The day before an exclusive end date (`2026-12-01` -> `2026-11-30`): the last day
/// of the period, as the picker shows it.
pub(super) fn last_day(exclusive_end: &str) -> String {
    NaiveDate::parse_from_str(exclusive_end, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.pred_opt())
        .map_or_else(|| exclusive_end.to_string(), |d| d.to_string())
}

/// The period a page shows: the URL's dates, else its preset, else the page's default.
pub(super) struct Period {
    pub(super) key: String,
    pub(super) from: String,
    pub(super) to: String,
}

impl Ui {
    pub(super) fn period(&self, state: &AppState, default: &str) -> Period {
        self.period_opening(state, default, state.reporting_now())
    }

    /// The period of this URL, a preset counted from `opening` when the URL gives no
    /// as-of time.
    pub(super) fn period_opening(&self, state: &AppState, default: &str, opening: i64) -> Period {
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
            .unwrap_or(opening);
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
    pub(super) fn params(&self, period: &Period) -> ReportParams {
        ReportParams {
            from: Some(period.from.clone()),
            to: Some(period.to.clone()),
            as_of: self.as_of.clone().filter(|s| !s.is_empty()),
            filter: self.filter.clone().filter(|s| !s.is_empty()),
            ..Default::default()
        }
    }

    /// The query string that carries the shared state to another page.
    pub(super) fn shared_query(&self) -> String {
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

/// The workspace's calendar date (`YYYY-MM-DD`) of an instant the engine wrote in UTC,
/// `back` milliseconds earlier (1 turns an exclusive end into the last day).
pub(super) fn local_date(tz: chrono_tz::Tz, instant: &str, back: i64) -> String {
    revline_core::time::parse_timestamp(instant, tz)
        .map(|t| revline_engine::calendar::date_of(tz, t - back).to_string())
        .unwrap_or_else(|_| instant.to_string())
}
