//! The one error type of the API and the JSON it answers with.
//!
//! A failure of the server itself (the store, rendering, a temporary file, a panic)
//! answers 500 with the request's id and a generic message; what went wrong is logged
//! with that id, never sent to the client.

use crate::i18n::Tr;
use askama::Template;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
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
    /// Signed in, but the role may not do this (403).
    #[error("{0}")]
    Forbidden(String),
    /// Nothing by that name (404).
    #[error("{0}")]
    NotFound(String),
    /// Already exists (409).
    #[error("{0}")]
    Conflict(String),
    /// Input that cannot be imported at all (422).
    #[error("{0}")]
    Unprocessable(String),
    /// A body over the size limit (413).
    #[error("{0}")]
    TooLarge(String),
    /// A route that does not take this method (405).
    #[error("{0}")]
    MethodNotAllowed(String),
    /// Too many failed sign-ins (429).
    #[error("{0}")]
    TooManyRequests(String),
    #[error(transparent)]
    Store(#[from] revline_store::StoreError),
    /// The cluster a report runs on failed it (502): "the cluster at H:P failed ...".
    #[error("{0}")]
    Cluster(String),
    /// The server failed (500): the text is logged, not shown.
    #[error("{0}")]
    Internal(String),
}

tokio::task_local! {
    /// The id of the request being served (`x-request-id`), set by `request_context`.
    pub static REQUEST_ID: String;
}

/// The id of the request being served, or "-" outside a request.
pub fn request_id() -> String {
    REQUEST_ID
        .try_with(|id| id.clone())
        .unwrap_or_else(|_| "-".into())
}

impl AppError {
    pub fn bad(message: impl Into<String>) -> AppError {
        AppError::BadRequest {
            message: message.into(),
            details: serde_json::Value::Null,
        }
    }

    pub fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::BadRequest { .. } => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            AppError::Unprocessable(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unprocessable"),
            AppError::TooManyRequests(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            AppError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            AppError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            AppError::Store(revline_store::StoreError::Conflict(_)) => {
                (StatusCode::CONFLICT, "conflict")
            }
            AppError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "store_error"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            AppError::Cluster(_) => (StatusCode::BAD_GATEWAY, "cluster_failed"),
        }
    }

    pub fn internal(what: impl std::fmt::Display) -> AppError {
        AppError::Internal(what.to_string())
    }

    /// What the client may read: a server failure is logged here with the request's id
    /// and answered with the id only.
    pub fn client_message(&self) -> (String, serde_json::Value) {
        let (status, _) = self.parts();
        // A cluster's failure is the operator's to fix, and says which cluster and how.
        if status.is_server_error() && !matches!(self, AppError::Cluster(_)) {
            let id = request_id();
            tracing::error!(request_id = %id, "{self}");
            return (
                format!("the server failed to answer; it was logged under request id {id}"),
                json!({ "request_id": id }),
            );
        }
        let details = match self {
            AppError::BadRequest { details, .. } => details.clone(),
            _ => serde_json::Value::Null,
        };
        (self.to_string(), details)
    }
}

impl From<axum::extract::multipart::MultipartError> for AppError {
    fn from(e: axum::extract::multipart::MultipartError) -> AppError {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge(
                "the upload is larger than this server takes; split the file or import it with the command line".into(),
            )
        } else {
            AppError::bad(format!("the upload could not be read: {}", e.body_text()))
        }
    }
}

/// What axum answers by itself (a body over the limit, a form or JSON it cannot read,
/// a method a route does not take) as one of ours, so that every error has the same
/// JSON (or page) whatever caught it.
pub fn from_plain(status: StatusCode, text: String) -> AppError {
    let text = if text.trim().is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            AppError::TooLarge("the request body is larger than this server takes".into())
        }
        StatusCode::METHOD_NOT_ALLOWED => {
            AppError::MethodNotAllowed("this route does not take that method".into())
        }
        StatusCode::NOT_FOUND => AppError::NotFound(text),
        StatusCode::UNAUTHORIZED => AppError::Unauthorized(text),
        StatusCode::FORBIDDEN => AppError::Forbidden(text),
        s if s.is_server_error() => AppError::Internal(text),
        StatusCode::UNPROCESSABLE_ENTITY => AppError::Unprocessable(text),
        _ => AppError::bad(text),
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
        let (message, details) = self.client_message();
        let body = json!({ "error": { "code": code, "message": message, "details": details } });
        (status, Json(body)).into_response()
    }
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
