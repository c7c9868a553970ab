//! Settings: workspace, targets, users, tokens and the reader's language.

use super::chrome::{Chrome, chrome};
use super::ui::Ui;
use super::{OrPage, PageError, PageResult, render};
use crate::auth::{Page, Role, WebUser};
use crate::error::error_page;
use crate::i18n::Lang;
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use revline_core::RecordKind;
use serde::Deserialize;
use serde_json::Value;

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
    language: String,
    digest: String,
    digest_to: String,
    targets: Vec<(String, String, String, String)>,
    users: Vec<UserRow>,
    roles: Vec<(String, String)>,
    tokens: Vec<(i64, String, String)>,
    new_token: String,
    notice: String,
    metrics: Vec<String>,
}

pub(super) async fn settings_page(
    State(state): State<AppState>,
    Page(w): Page,
    Query(ui): Query<Ui>,
) -> PageResult {
    settings_view(&state, &w, &ui, String::new(), String::new()).await
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
        language: s.language.clone(),
        digest: s.digest.clone(),
        digest_to: s.digest_to.join(", "),
        targets,
        users,
        roles: Role::NAMES
            .iter()
            .map(|r| (r.to_string(), tr.label("role", r)))
            .collect(),
        tokens,
        new_token,
        notice,
        // The metrics the data contract takes a target for, and no other.
        metrics: revline_core::record::TARGET_METRICS
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
pub(super) struct WorkspaceForm {
    currency: String,
    timezone: String,
    stages: String,
    sla_hours: String,
    gross_margin: String,
    lookback_days: String,
    /// Absent from an older form: kept as it is.
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    digest: Option<String>,
    #[serde(default)]
    digest_to: Option<String>,
}

pub(super) async fn save_workspace(
    State(state): State<AppState>,
    Page(w): Page,
    axum::Form(form): axum::Form<WorkspaceForm>,
) -> PageResult {
    let tr = w.tr;
    w.require(Role::Admin).or_page(tr)?;
    let mut settings = state.settings().as_ref().clone();
    // Fields an older form lacks keep their values.
    let language = form.language.unwrap_or_else(|| settings.language.clone());
    let digest = form.digest.unwrap_or_else(|| settings.digest.clone());
    let digest_to = form
        .digest_to
        .unwrap_or_else(|| settings.digest_to.join(","));
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
        ("language", language.as_str()),
        ("digest", digest.as_str()),
        ("digest_to", digest_to.as_str()),
    ] {
        settings
            .set(key, value)
            .map_err(|e| PageError::new(AppError::bad(e.to_string()), tr))?;
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

#[derive(Deserialize)]
pub(super) struct TargetForm {
    metric: String,
    period: String,
    value: String,
    #[serde(default)]
    segment: String,
}

pub(super) async fn add_target(
    State(state): State<AppState>,
    Page(w): Page,
    axum::Form(form): axum::Form<TargetForm>,
) -> PageResult {
    let tr = w.tr;
    w.require(Role::Editor).or_page(tr)?;
    let mut row = serde_json::Map::new();
    row.insert("metric".into(), Value::String(form.metric));
    row.insert("period".into(), Value::String(form.period));
    // Typed either language's way; anything else goes to the importer as it was
    // typed, to be refused there with its reason.
    let value = crate::i18n::parse_number_input(&form.value)
        .map_or_else(|| form.value.clone(), |v| v.to_string());
    row.insert("value".into(), Value::String(value));
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
        return Err(PageError::new(AppError::bad(errors.join("; ")), tr));
    }
    saved(&state, &w).await
}

#[derive(Deserialize)]
pub(super) struct UserForm {
    email: String,
    role: String,
    password: String,
}

pub(super) async fn add_user(
    State(state): State<AppState>,
    Page(w): Page,
    axum::Form(form): axum::Form<UserForm>,
) -> PageResult {
    let tr = w.tr;
    w.require(Role::Admin).or_page(tr)?;
    crate::auth::create_user(
        state.store.as_ref(),
        crate::auth::NewUser::Another,
        &form.email,
        &form.role,
        Some(&form.password),
        state.clock.now(),
    )
    .await
    .or_page(tr)?;
    saved(&state, &w).await
}

#[derive(Deserialize)]
pub(super) struct RoleForm {
    role: String,
}

pub(super) async fn set_role(
    State(state): State<AppState>,
    Page(w): Page,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<RoleForm>,
) -> PageResult {
    let tr = w.tr;
    w.require(Role::Admin).or_page(tr)?;
    if Role::parse(&form.role).is_none() {
        return Err(PageError::new(
            AppError::bad(format!("role: {}", Role::NAMES.join(", "))),
            tr,
        ));
    }
    if id == w.user.id && form.role != "admin" {
        return Err(PageError::new(
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
        return Err(PageError::new(
            AppError::NotFound(format!("no user {id}")),
            tr,
        ));
    }
    saved(&state, &w).await
}

/// Any user may hold tokens for scripts; a token acts with its owner's role.
pub(super) async fn create_token(State(state): State<AppState>, Page(w): Page) -> PageResult {
    let tr = w.tr;
    let (token, digest) = crate::access::new_token();
    state
        .store
        .create_token(w.user.id, &digest, state.clock.now())
        .await
        .or_page(tr)?;
    settings_view(&state, &w, &Ui::default(), token, String::new()).await
}

pub(super) async fn revoke_token(
    State(state): State<AppState>,
    Page(w): Page,
    Path(id): Path<i64>,
) -> PageResult {
    let tr = w.tr;
    if !state.store.delete_token(w.user.id, id).await.or_page(tr)? {
        return Err(PageError::new(
            AppError::NotFound(format!("no token {id} of yours")),
            tr,
        ));
    }
    saved(&state, &w).await
}

#[derive(Deserialize)]
pub(super) struct LanguageForm {
    lang: String,
}

/// A personal choice, open to every role: it changes no workspace data.
pub(super) async fn set_language(
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
