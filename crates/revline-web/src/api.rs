//! `/api/v1`: thin handlers over the engine's query runner.

use crate::{AppError, AppState};
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::routing::get;
use axum::{Json, Router};
use revline_engine::query::{ReportKind, ReportParams, ReportQuery};
use revline_store::User;
use serde_json::{Value, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health))
        .route("/api/v1/reports/{name}", get(report))
        .route("/api/v1/me", get(me))
        .route("/api/v1/openapi.json", get(openapi))
        .fallback(|| async { AppError::NotFound("no such route".into()) })
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The user behind the request's API token (`Authorization: Bearer rvl_...`).
pub struct Caller(pub User);

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, AppError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                AppError::Unauthorized("an API token is needed (Authorization: Bearer ...)".into())
            })?;
        let token = header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                AppError::Unauthorized("the Authorization header must be 'Bearer TOKEN'".into())
            })?;
        let now = state.clock.now();
        state
            .store
            .user_by_token(&crate::access::digest(token), now)
            .await?
            .map(Caller)
            .ok_or_else(|| AppError::Unauthorized("unknown API token".into()))
    }
}

async fn openapi(_caller: Caller) -> Json<Value> {
    Json(crate::openapi::document())
}

async fn me(Caller(user): Caller) -> Json<Value> {
    Json(json!({ "email": user.email, "role": user.role }))
}

/// `GET /api/v1/reports/{name}`: the parameters and the JSON of `revline report NAME`.
async fn report(
    State(state): State<AppState>,
    Caller(_user): Caller,
    Path(name): Path<String>,
    params: Result<Query<ReportParams>, QueryRejection>,
) -> Result<Json<Value>, AppError> {
    let kind = ReportKind::parse(&name).ok_or_else(|| {
        AppError::NotFound(format!(
            "no report '{name}' (scorecard, funnel, sla, cohorts, forecast, journeys, attribution, bottlenecks)"
        ))
    })?;
    let Query(mut params) = params.map_err(|e| AppError::bad(e.body_text()))?;
    if let Some(email) = params.email.take() {
        let email = revline_core::normalize::normalize_email(&email)
            .ok_or_else(|| AppError::bad(format!("email: '{email}' is not an address")))?;
        let found = state
            .store
            .contact_ids_by_email(std::slice::from_ref(&email))
            .await?;
        let id = found
            .get(&email)
            .ok_or_else(|| AppError::NotFound(format!("no contact with email '{email}'")))?;
        params.contact = Some(id.clone());
    }
    let query = ReportQuery::parse(kind, &params, &state.settings, state.clock.now())?;
    let snapshot = state.snapshot();
    // Reports are CPU work: off the threads that serve requests.
    let out = tokio::task::spawn_blocking(move || revline_engine::query::run(&snapshot, &query))
        .await
        .map_err(|e| AppError::bad(format!("the report failed: {e}")))?
        .map_err(|e| AppError::NotFound(e.0))?;
    Ok(Json(out.to_json()))
}
