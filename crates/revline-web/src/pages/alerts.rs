//! Settings, Alerts: the rules (create, edit, mute, test, remove), the alerts they
//! fired and resolved, and the deliveries that are failing or were given up. Everyone
//! signed in reads it; editors and admins change it (alerts.md).

use super::chrome::{Chrome, chrome};
use super::ui::Ui;
use super::{OrPage, PageError, PageResult, render};
use crate::alerts::{add_rule, test_rule, update_rule};
use crate::auth::{Page, Role, WebUser};
use crate::i18n::{Tr, parse_number_input};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use revline_engine::alerts::{FRESHNESS_KINDS, METRICS, PERIODS};
use revline_store::alerts::AlertRule;
use serde::Deserialize;
use serde_json::{Value, json};

/// How many past alerts and deliveries the page lists.
const SHOWN: i64 = 50;

pub struct RuleRow {
    pub id: i64,
    pub name: String,
    pub condition: String,
    pub destinations: String,
    /// Subjects firing now.
    pub firing: Vec<String>,
    pub muted_until: String,
}

pub struct EventRow {
    pub at: String,
    pub rule: String,
    pub firing: bool,
    pub subject: String,
    pub summary: String,
    pub link: String,
}

pub struct DeliveryRow {
    pub id: String,
    pub destination: String,
    pub state: String,
    pub failed: bool,
    pub attempts: i64,
    pub error: String,
}

pub struct TestRow {
    pub subject: String,
    pub holds: bool,
    pub summary: String,
    pub link: String,
}

/// The form's fields, filled from a rule when it is being edited.
#[derive(Default, Deserialize)]
pub(super) struct RuleForm {
    #[serde(default)]
    name: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    min_count: String,
    #[serde(default)]
    metric: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    bound: String,
    #[serde(default)]
    bound_value: String,
    #[serde(default)]
    min_at_stake: String,
    #[serde(default)]
    record_kind: String,
    #[serde(default)]
    filter: String,
    #[serde(default)]
    webhook_url: String,
    #[serde(default)]
    webhook_secret: String,
    #[serde(default)]
    slack_url: String,
    #[serde(default)]
    email_to: String,
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage {
    c: Chrome,
    rules: Vec<RuleRow>,
    events: Vec<EventRow>,
    deliveries: Vec<DeliveryRow>,
    tested: Option<(String, Vec<TestRow>)>,
    /// The rule being edited (0: a new one) and the form's values.
    editing: i64,
    form: RuleForm,
    metrics: Vec<String>,
    periods: Vec<String>,
    kinds: Vec<String>,
    notice: String,
}

fn when(tr: &Tr, at: i64) -> String {
    tr.datetime(&revline_core::time::format_timestamp(at))
}

/// A condition as a sentence-like line in the reader's language.
fn condition_text(tr: &Tr, c: &Value, settings: &revline_core::Settings) -> String {
    let currency = settings.currency.to_string();
    let num = |key: &str| c.get(key).and_then(Value::as_f64);
    let text = |key: &str| c.get(key).and_then(Value::as_str).unwrap_or_default();
    let filter = match text("filter") {
        "" => String::new(),
        f => format!(" · {f}"),
    };
    let kind = text("type");
    let head = tr.label("alert", kind);
    let detail = match kind {
        "lead_waiting" => format!(
            "{} · ≥ {}",
            num("hours").map_or_else(
                || format!(
                    "{} h ({})",
                    tr.number(settings.sla_hours, 1),
                    tr.t("alerts.sla_default")
                ),
                |h| format!("{} h", tr.number(h, 1))
            ),
            num("min_count").unwrap_or(1.0)
        ),
        "metric" => {
            let bound = if let Some(v) = num("below") {
                format!("< {}", tr.number(v, 2))
            } else if let Some(v) = num("above") {
                format!("> {}", tr.number(v, 2))
            } else if let Some(v) = num("below_pace") {
                format!("< {} {}", tr.percent(v), tr.t("alerts.of_pace"))
            } else {
                String::new()
            };
            format!(
                "{} · {} · {bound}",
                tr.label("metric", text("metric")),
                tr.label("period", text("period"))
            )
        }
        "bottleneck" => format!(
            "≥ {}",
            tr.money(num("min_at_stake").unwrap_or(0.0), &currency)
        ),
        "freshness" => format!(
            "{} · {} h",
            text("kind"),
            tr.number(num("hours").unwrap_or(0.0), 1)
        ),
        _ => String::new(),
    };
    format!("{head}: {detail}{filter}")
}

/// Destinations as the page lists them; secrets are never shown.
fn destinations_text(d: &Value) -> String {
    let listed: Vec<String> = d
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| match d["type"].as_str().unwrap_or_default() {
            "email" => format!(
                "email: {}",
                d["to"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            kind => format!("{kind}: {}", d["url"].as_str().unwrap_or_default()),
        })
        .collect();
    // A rule without destinations still keeps its history here.
    if listed.is_empty() {
        "–".into()
    } else {
        listed.join("; ")
    }
}

impl RuleForm {
    /// The form of an existing rule (its webhook secret left blank: kept unless typed).
    fn of(rule: &AlertRule) -> RuleForm {
        let c = &rule.condition;
        let text = |key: &str| {
            c.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let num = |key: &str| {
            c.get(key)
                .and_then(Value::as_f64)
                .map(|v| v.to_string())
                .unwrap_or_default()
        };
        let (bound, bound_value) = if c.get("above").is_some() {
            ("above", num("above"))
        } else if let Some(share) = c.get("below_pace").and_then(Value::as_f64) {
            // 0.7 × 100 is 70.00000000000001 in floating point.
            (
                "below_pace",
                ((share * 100.0 * 1e6).round() / 1e6).to_string(),
            )
        } else {
            ("below", num("below"))
        };
        let mut form = RuleForm {
            name: rule.name.clone(),
            kind: text("type"),
            hours: num("hours"),
            min_count: num("min_count"),
            metric: text("metric"),
            period: text("period"),
            bound: bound.into(),
            bound_value,
            min_at_stake: num("min_at_stake"),
            record_kind: text("kind"),
            filter: text("filter"),
            ..RuleForm::default()
        };
        for d in rule.destinations.as_array().into_iter().flatten() {
            let url = d["url"].as_str().unwrap_or_default().to_string();
            match d["type"].as_str() {
                Some("webhook") => form.webhook_url = url,
                Some("slack") => form.slack_url = url,
                Some("email") => {
                    form.email_to = d["to"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                }
                _ => {}
            }
        }
        form
    }

    /// The condition and destinations of alerts.md the form describes. A webhook
    /// secret left blank keeps the secret the rule had for the same URL.
    fn rule(&self, before: Option<&AlertRule>) -> Result<(Value, Value), AppError> {
        let number = |field: &str, text: &str| -> Result<Option<f64>, AppError> {
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            parse_number_input(text)
                .map(Some)
                .ok_or_else(|| AppError::bad(format!("{field}: '{text}' is not a number")))
        };
        let required = |field: &str, text: &str| {
            number(field, text)?.ok_or_else(|| AppError::bad(format!("{field}: required")))
        };
        let filter = Some(self.filter.trim()).filter(|f| !f.is_empty());
        let mut condition = match self.kind.as_str() {
            "lead_waiting" => {
                let mut c = json!({"type": "lead_waiting"});
                if let Some(h) = number("hours", &self.hours)? {
                    c["hours"] = json!(h);
                }
                if let Some(n) = number("min_count", &self.min_count)? {
                    c["min_count"] = json!(n.round() as i64);
                }
                c
            }
            "metric" => {
                let value = required("bound_value", &self.bound_value)?;
                let (key, value) = match self.bound.as_str() {
                    "above" => ("above", value),
                    "below_pace" => ("below_pace", value / 100.0),
                    _ => ("below", value),
                };
                json!({"type": "metric", "metric": self.metric, "period": self.period, key: value})
            }
            "bottleneck" => json!({"type": "bottleneck",
                                   "min_at_stake": required("min_at_stake", &self.min_at_stake)?}),
            "freshness" => json!({"type": "freshness", "kind": self.record_kind,
                                  "hours": required("hours", &self.hours)?}),
            other => return Err(AppError::bad(format!("type: unknown '{other}'"))),
        };
        if let Some(f) = filter
            && matches!(self.kind.as_str(), "metric" | "bottleneck")
        {
            condition["filter"] = json!(f);
        }
        let mut destinations = Vec::new();
        let url = self.webhook_url.trim();
        if !url.is_empty() {
            let kept = before
                .and_then(|r| r.destinations.as_array())
                .into_iter()
                .flatten()
                .find(|d| d["type"] == "webhook" && d["url"] == url)
                .and_then(|d| d["secret"].as_str());
            let secret = match self.webhook_secret.trim() {
                "" => kept.unwrap_or_default().to_string(),
                typed => typed.to_string(),
            };
            destinations.push(json!({"type": "webhook", "url": url, "secret": secret}));
        }
        if !self.slack_url.trim().is_empty() {
            destinations.push(json!({"type": "slack", "url": self.slack_url.trim()}));
        }
        let to: Vec<&str> = self
            .email_to
            .split([',', ';', ' '])
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .collect();
        if !to.is_empty() {
            destinations.push(json!({"type": "email", "to": to}));
        }
        Ok((condition, Value::Array(destinations)))
    }
}

struct View {
    tested: Option<(String, Vec<TestRow>)>,
    editing: i64,
    form: RuleForm,
    notice: String,
}

impl View {
    fn plain() -> View {
        View {
            tested: None,
            editing: 0,
            form: RuleForm {
                kind: "metric".into(),
                bound: "below_pace".into(),
                ..RuleForm::default()
            },
            notice: String::new(),
        }
    }

    fn notice(tr: &Tr) -> View {
        View {
            notice: tr.t("settings.saved").into(),
            ..View::plain()
        }
    }
}

async fn alerts_view(state: &AppState, w: &WebUser, view: View) -> PageResult {
    let tr = w.tr;
    let store = state.store.as_ref();
    let stored = store.alert_rules().await.or_page(tr)?;
    let mut rules = Vec::with_capacity(stored.len());
    for r in &stored {
        let mut firing: Vec<String> = store
            .alert_states(r.id)
            .await
            .or_page(tr)?
            .into_iter()
            .filter(|(_, s)| s.firing)
            .map(|(subject, _)| subject.replace('|', " · "))
            .collect();
        firing.sort();
        rules.push(RuleRow {
            id: r.id,
            name: r.name.clone(),
            condition: condition_text(&tr, &r.condition, &state.settings()),
            destinations: destinations_text(&r.destinations),
            firing,
            muted_until: r
                .muted_until
                .filter(|&until| until > state.clock.now())
                .map(|until| when(&tr, until))
                .unwrap_or_default(),
        });
    }
    let name_of = |id: i64| {
        stored
            .iter()
            .find(|r| r.id == id)
            .map_or_else(|| format!("#{id}"), |r| r.name.clone())
    };
    let events = store
        .alert_events(None, SHOWN)
        .await
        .or_page(tr)?
        .into_iter()
        .map(|e| EventRow {
            at: when(&tr, e.at),
            rule: name_of(e.rule_id),
            firing: e.state == "firing",
            subject: e.subject.replace('|', " · "),
            summary: e.payload["summary"].as_str().unwrap_or_default().into(),
            link: e.payload["link"].as_str().unwrap_or_default().into(),
        })
        .collect();
    // Only what needs a look: deliveries being retried or given up.
    let deliveries = store
        .alert_deliveries(SHOWN * 4)
        .await
        .or_page(tr)?
        .into_iter()
        .filter(|d| d.delivered_at.is_none() && (d.attempts > 0 || d.failed_at.is_some()))
        .take(SHOWN as usize)
        .map(|d| DeliveryRow {
            destination: destinations_text(&Value::Array(vec![d.destination.clone()])),
            state: match d.failed_at {
                Some(t) => format!("{} {}", tr.t("alerts.given_up"), when(&tr, t)),
                None => format!("{} {}", tr.t("alerts.next_try"), when(&tr, d.next_at)),
            },
            failed: d.failed_at.is_some(),
            attempts: d.attempts,
            error: d.last_error.unwrap_or_default(),
            id: d.id,
        })
        .collect();
    let page = AlertsPage {
        c: chrome(
            state,
            w,
            &Ui::default(),
            "settings",
            "nav.alerts",
            None,
            false,
        ),
        rules,
        events,
        deliveries,
        tested: view.tested,
        editing: view.editing,
        form: view.form,
        metrics: METRICS.iter().map(|m| m.to_string()).collect(),
        periods: PERIODS.iter().map(|p| p.to_string()).collect(),
        kinds: FRESHNESS_KINDS
            .iter()
            .map(|k| k.name().to_string())
            .collect(),
        notice: view.notice,
    };
    render(&page).or_page(tr)
}

pub(super) async fn alerts_page(
    State(state): State<AppState>,
    Page(w): Page,
    Query(_ui): Query<Ui>,
) -> PageResult {
    alerts_view(&state, &w, View::plain()).await
}

fn no_rule(id: i64, tr: Tr) -> PageError {
    PageError::new(AppError::NotFound(format!("no rule {id}")), tr)
}

fn rule_of(rules: Vec<AlertRule>, id: i64, tr: Tr) -> Result<AlertRule, PageError> {
    rules
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| no_rule(id, tr))
}

pub(super) async fn create_rule(
    State(state): State<AppState>,
    Page(w): Page,
    axum::Form(form): axum::Form<RuleForm>,
) -> PageResult {
    let tr = w.tr;
    w.require(Role::Editor).or_page(tr)?;
    let (condition, destinations) = form.rule(None).or_page(tr)?;
    add_rule(
        state.store.as_ref(),
        &form.name,
        &condition,
        &destinations,
        &w.user.email,
        state.clock.now(),
    )
    .await
    .or_page(tr)?;
    alerts_view(&state, &w, View::notice(&tr)).await
}

/// The page with the rule's values in the form, to change them.
pub(super) async fn edit_rule(
    State(state): State<AppState>,
    Page(w): Page,
    Path(id): Path<i64>,
) -> PageResult {
    let tr = w.tr;
    w.require(Role::Editor).or_page(tr)?;
    let rule = rule_of(state.store.alert_rules().await.or_page(tr)?, id, tr)?;
    let view = View {
        editing: id,
        form: RuleForm::of(&rule),
        ..View::plain()
    };
    alerts_view(&state, &w, view).await
}

pub(super) async fn save_rule(
    State(state): State<AppState>,
    Page(w): Page,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<RuleForm>,
) -> PageResult {
    let tr = w.tr;
    w.require(Role::Editor).or_page(tr)?;
    let rule = rule_of(state.store.alert_rules().await.or_page(tr)?, id, tr)?;
    let (condition, destinations) = form.rule(Some(&rule)).or_page(tr)?;
    update_rule(
        state.store.as_ref(),
        id,
        &form.name,
        &condition,
        &destinations,
    )
    .await
    .or_page(tr)?;
    alerts_view(&state, &w, View::notice(&tr)).await
}

#[derive(Deserialize)]
pub(super) struct MuteForm {
    /// Hours to mute for; empty or 0 turns the rule on again.
    #[serde(default)]
    hours: String,
}

pub(super) async fn mute_rule(
    State(state): State<AppState>,
    Page(w): Page,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<MuteForm>,
) -> PageResult {
    let tr = w.tr;
    w.require(Role::Editor).or_page(tr)?;
    let hours = parse_number_input(&form.hours).unwrap_or(0.0);
    let until = (hours > 0.0).then(|| state.clock.now() + (hours * 3_600_000.0) as i64);
    if !state.store.mute_alert_rule(id, until).await.or_page(tr)? {
        return Err(no_rule(id, tr));
    }
    alerts_view(&state, &w, View::notice(&tr)).await
}

pub(super) async fn remove_rule(
    State(state): State<AppState>,
    Page(w): Page,
    Path(id): Path<i64>,
) -> PageResult {
    let tr = w.tr;
    w.require(Role::Editor).or_page(tr)?;
    if !state.store.delete_alert_rule(id).await.or_page(tr)? {
        return Err(no_rule(id, tr));
    }
    alerts_view(&state, &w, View::notice(&tr)).await
}

/// What the rule finds on the live data now; nothing is recorded or sent.
pub(super) async fn try_rule(
    State(state): State<AppState>,
    Page(w): Page,
    Path(id): Path<i64>,
) -> PageResult {
    let tr = w.tr;
    let rule = rule_of(state.store.alert_rules().await.or_page(tr)?, id, tr)?;
    let found = test_rule(
        &state.snapshot(),
        &state.settings(),
        &rule,
        state.clock.now(),
    )
    .or_page(tr)?
    .into_iter()
    .map(|o| TestRow {
        summary: crate::summaries::summary(&tr, &o.subject, &o.facts),
        subject: o.subject.replace('|', " · "),
        holds: o.holds,
        link: o.link,
    })
    .collect();
    let view = View {
        tested: Some((rule.name.clone(), found)),
        ..View::plain()
    };
    alerts_view(&state, &w, view).await
}
