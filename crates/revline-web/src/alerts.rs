//! Alerts (alerts.md) around the engine's conditions: rules checked and kept in the
//! store, evaluated over the live snapshot, each change of state recorded with its
//! deliveries in one transaction. The command line, the API and the server's monitor
//! all go through these functions.

use crate::auth::{Caller, Role, require};
use crate::i18n::{Lang, Tr};
use crate::summaries::summary;
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use revline_core::Settings;
use revline_engine::Snapshot;
use revline_engine::alerts::{AlertState, Condition, Facts, Observation, Transition, evaluate};
use revline_store::Store;
use revline_store::alerts::{AlertChange, AlertRule, NewAlertEvent, StoredAlertState};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// Where an alert is sent (alerts.md "Destinations").
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Destination {
    Webhook { url: String, secret: String },
    Slack { url: String },
    Email { to: Vec<String> },
}

impl Destination {
    fn check(&self) -> Result<(), String> {
        let http = |url: &str| {
            let parsed =
                url::Url::parse(url).map_err(|e| format!("destination url '{url}': {e}"))?;
            if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() {
                Ok(())
            } else {
                Err(format!("destination url '{url}': must be http(s)"))
            }
        };
        match self {
            Destination::Webhook { url, secret } => {
                http(url)?;
                if secret.len() < 16 {
                    return Err("webhook secret: at least 16 characters".into());
                }
                Ok(())
            }
            Destination::Slack { url } => http(url),
            Destination::Email { to } => {
                for a in to {
                    if revline_core::normalize::normalize_email(a).is_none() {
                        return Err(format!("email: '{a}' is not an address"));
                    }
                }
                if to.is_empty() {
                    return Err("email: give at least one address".into());
                }
                Ok(())
            }
        }
    }
}

/// Checks a rule as a person wrote it: the condition of alerts.md and its destinations.
pub fn check_rule(condition: &Value, destinations: &Value) -> Result<Condition, String> {
    let parsed: Condition =
        serde_json::from_value(condition.clone()).map_err(|e| format!("condition: {e}"))?;
    parsed.check().map_err(|e| format!("condition: {e}"))?;
    let list: Vec<Destination> =
        serde_json::from_value(destinations.clone()).map_err(|e| format!("destinations: {e}"))?;
    for d in &list {
        d.check()?;
    }
    Ok(parsed)
}

/// Adds a rule after checking it.
pub async fn add_rule(
    store: &dyn Store,
    name: &str,
    condition: &Value,
    destinations: &Value,
    by: &str,
    now: i64,
) -> Result<AlertRule, AppError> {
    if name.trim().is_empty() {
        return Err(AppError::bad("name: give the rule a name"));
    }
    check_rule(condition, destinations).map_err(AppError::bad)?;
    Ok(store
        .add_alert_rule(name.trim(), condition, destinations, by, now)
        .await?)
}

/// Changes a rule after checking it; its alerts keep their state.
pub async fn update_rule(
    store: &dyn Store,
    id: i64,
    name: &str,
    condition: &Value,
    destinations: &Value,
) -> Result<(), AppError> {
    if name.trim().is_empty() {
        return Err(AppError::bad("name: give the rule a name"));
    }
    check_rule(condition, destinations).map_err(AppError::bad)?;
    if store
        .update_alert_rule(id, name.trim(), condition, destinations)
        .await?
    {
        Ok(())
    } else {
        Err(AppError::NotFound(format!("no rule {id}")))
    }
}

/// What a rule finds right now, without recording anything (`revline alerts test`).
pub fn test_rule(
    snapshot: &Snapshot,
    settings: &Settings,
    rule: &AlertRule,
    now: i64,
) -> Result<Vec<Observation>, AppError> {
    let condition: Condition =
        serde_json::from_value(rule.condition.clone()).map_err(AppError::internal)?;
    Ok(evaluate(snapshot, settings, &condition, now))
}

/// The language a workspace writes its alerts in.
pub fn workspace_tr(settings: &Settings) -> Tr {
    Tr::new(Lang::parse(&settings.language).unwrap_or(Lang::En))
}

/// The payload of alerts.md for one change (its `id` is the delivery's, added when it
/// is sent).
fn payload(tr: &Tr, rule: &AlertRule, o: &Observation, transition: Transition, at: i64) -> Value {
    json!({
        "rule": {"id": rule.id, "name": rule.name},
        "state": match transition { Transition::Fired => "firing", Transition::Resolved => "resolved" },
        "at": revline_core::time::format_timestamp(at),
        "subject": o.subject,
        "summary": summary(tr, &o.subject, &o.facts),
        "figures": o.figures,
        "link": o.link,
    })
}

/// Evaluates every rule that is not muted and records what changed: returns the alerts
/// that fired or resolved. A subject with a state that the rule no longer observes (a
/// bottleneck that went away) counts as false.
pub async fn evaluate_rules(
    store: &dyn Store,
    snapshot: Arc<Snapshot>,
    settings: Arc<Settings>,
    now: i64,
) -> Result<Vec<(i64, String, Transition)>, AppError> {
    let tr = workspace_tr(&settings);
    let rules: Vec<(AlertRule, Condition)> = store
        .alert_rules()
        .await?
        .into_iter()
        .filter(|r| r.muted_until.is_none_or(|until| until <= now))
        .filter_map(|r| {
            let condition = serde_json::from_value::<Condition>(r.condition.clone()).ok()?;
            Some((r, condition))
        })
        .collect();
    // The reports behind the rules are CPU work: off the async threads, so that pages
    // keep answering while a large workspace is judged.
    let conditions: Vec<Condition> = rules.iter().map(|(_, c)| c.clone()).collect();
    let judged = tokio::task::spawn_blocking(move || {
        conditions
            .iter()
            .map(|c| evaluate(&snapshot, &settings, c, now))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(AppError::internal)?;
    let mut changed = Vec::new();
    for ((rule, _), mut seen) in rules.into_iter().zip(judged) {
        let stored = store.alert_states(rule.id).await?;
        for subject in stored.keys() {
            if !seen.iter().any(|o| &o.subject == subject) {
                seen.push(Observation {
                    subject: subject.clone(),
                    holds: false,
                    facts: Facts::Gone,
                    figures: Value::Null,
                    link: String::new(),
                });
            }
        }
        let destinations = rule.destinations.as_array().cloned().unwrap_or_default();
        for o in &seen {
            let stored_before = stored.get(&o.subject).copied();
            let before = stored_before.unwrap_or_default();
            let (after, transition) = AlertState {
                firing: before.firing,
                false_streak: before.false_streak,
            }
            .step(o.holds);
            let after = StoredAlertState {
                firing: after.firing,
                false_streak: after.false_streak,
            };
            if after == before && transition.is_none() {
                continue;
            }
            let event = transition.map(|t| NewAlertEvent {
                state: match t {
                    Transition::Fired => "firing".into(),
                    Transition::Resolved => "resolved".into(),
                },
                payload: payload(&tr, &rule, o, t, now),
                destinations: destinations.clone(),
            });
            let recorded = store
                .record_alert(&AlertChange {
                    rule_id: rule.id,
                    subject: o.subject.clone(),
                    before: stored_before,
                    state: after,
                    at: now,
                    event,
                })
                .await?;
            // Without an id, another server recorded this change first.
            if let (Some(t), Some(_)) = (transition, recorded) {
                changed.push((rule.id, o.subject.clone(), t));
            }
        }
    }
    Ok(changed)
}

/// `/api/v1/alerts`: anyone signed in reads the rules; editors and admins add and
/// remove them.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/alerts", get(list).post(create))
        .route("/api/v1/alerts/{id}", delete(remove))
}

/// A rule as the API shows it: webhook secrets are never shown again.
fn shown(rule: &AlertRule) -> Value {
    let mut destinations = rule.destinations.clone();
    for d in destinations.as_array_mut().into_iter().flatten() {
        if d.get("secret").is_some() {
            d["secret"] = json!("(hidden)");
        }
    }
    json!({
        "id": rule.id,
        "name": rule.name,
        "condition": rule.condition,
        "destinations": destinations,
        "muted_until": rule.muted_until.map(revline_core::time::format_timestamp),
    })
}

async fn list(
    State(state): State<AppState>,
    Caller(_user): Caller,
) -> Result<Json<Value>, AppError> {
    let rules = state.store.alert_rules().await?;
    Ok(Json(Value::Array(rules.iter().map(shown).collect())))
}

#[derive(Deserialize)]
struct NewRule {
    name: String,
    condition: Value,
    #[serde(default = "no_destinations")]
    destinations: Value,
}

fn no_destinations() -> Value {
    json!([])
}

async fn create(
    State(state): State<AppState>,
    Caller(user): Caller,
    Json(rule): Json<NewRule>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    require(&user, Role::Editor)?;
    let rule = add_rule(
        state.store.as_ref(),
        &rule.name,
        &rule.condition,
        &rule.destinations,
        &user.email,
        state.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(shown(&rule))))
}

async fn remove(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    require(&user, Role::Editor)?;
    if state.store.delete_alert_rule(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound(format!("no rule {id}")))
    }
}
