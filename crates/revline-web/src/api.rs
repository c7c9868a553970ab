//! `/api/v1`: thin handlers over the engine's query runner.

use crate::auth::Caller;
use crate::{AppError, AppState};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use revline_engine::query::{ReportKind, ReportParams};
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
            "no report '{name}' (scorecard, funnel, members, mrr, sla, cohorts, forecast, journeys, attribution, bottlenecks)"
        ))
    })?;
    let Query(params) = params.map_err(|e| AppError::bad(e.body_text()))?;
    Ok(Json(
        crate::reports::run(&state, kind, params)
            .await?
            .as_ref()
            .clone(),
    ))
}
