//! The one error type of the API and the JSON it answers with.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A parameter that cannot be used (400).
    #[error("{message}")]
    BadRequest {
        message: String,
        details: serde_json::Value,
    },
    /// No or an unknown API token (401).
    #[error("{0}")]
    Unauthorized(String),
    /// Nothing by that name (404).
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] revline_store::StoreError),
}

impl AppError {
    pub fn bad(message: impl Into<String>) -> AppError {
        AppError::BadRequest {
            message: message.into(),
            details: serde_json::Value::Null,
        }
    }

    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::BadRequest { .. } => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "store_error"),
        }
    }
}

impl From<revline_engine::query::ParamError> for AppError {
    fn from(e: revline_engine::query::ParamError) -> AppError {
        AppError::BadRequest {
            message: e.to_string(),
            details: json!({ "param": e.param }),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!("{self}");
        }
        let details = match &self {
            AppError::BadRequest { details, .. } => details.clone(),
            _ => serde_json::Value::Null,
        };
        let body =
            json!({ "error": { "code": code, "message": self.to_string(), "details": details } });
        (status, Json(body)).into_response()
    }
}
