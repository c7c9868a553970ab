//! `/api/v1`: thin handlers over the engine's query runner.

use crate::auth::Caller;
use crate::{AppError, AppState};
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
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

/// `GET /api/v1/reports/{name}`: the parameters and the JSON of `revline report NAME`;
/// with `format=csv`, the CSV of `revline report NAME --format csv`.
async fn report(
    State(state): State<AppState>,
    Caller(_user): Caller,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let kind = ReportKind::parse(&name).ok_or_else(|| {
        AppError::NotFound(format!(
            "no report '{name}' (scorecard, funnel, members, mrr, sla, cohorts, forecast, journeys, attribution, bottlenecks)"
        ))
    })?;
    let mut pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.as_deref().unwrap_or(""))
            .map_err(|e| AppError::bad(format!("the query string cannot be read: {e}")))?;
    let format = pairs
        .iter()
        .find(|(key, _)| key == "format")
        .map(|(_, value)| value.clone());
    let csv = match format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(AppError::BadRequest {
                message: format!("format: '{other}' (json or csv)"),
                details: json!({ "param": "format" }),
            });
        }
    };
    pairs.retain(|(key, _)| key != "format");
    let text = serde_urlencoded::to_string(&pairs).expect("pairs encode");
    let params: ReportParams = serde_urlencoded::from_str(&text)
        .map_err(|e| AppError::bad(format!("Failed to deserialize query string: {e}")))?;
    let report = crate::reports::run_report(&state, kind, params).await?;
    if csv {
        let file = format!("attachment; filename=\"{}.csv\"", kind.name());
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, file),
            ],
            report.output.to_csv(),
        )
            .into_response());
    }
    Ok(Json(report.json().as_ref().clone()).into_response())
}
