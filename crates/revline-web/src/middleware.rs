//! What every answer gets: a request id (`x-request-id`, in the logs and in any 500),
//! a trace span, security headers, and a 500 instead of a dropped connection when a
//! handler panics.

use crate::AppError;
use crate::error::REQUEST_ID;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Pages load scripts, styles and images from this site only; nothing inline runs;
/// no other site may frame them.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
     font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
     frame-ancestors 'none'";

pub fn wrap(router: Router) -> Router {
    router
        .layer(CatchPanicLayer::custom(panicked))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req
                .headers()
                .get(REQUEST_ID_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", id, method = %req.method(), path = req.uri().path())
        }))
        .layer(axum::middleware::from_fn(request_context))
}

fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic");
    AppError::internal(format!("the handler panicked: {what}")).into_response()
}

/// A proxy's request id is kept when it is a plain token; otherwise one is made.
fn request_id_of(req: &Request) -> String {
    req.headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|id| {
            (1..=64).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        })
        .map(str::to_string)
        .unwrap_or_else(|| {
            let mut bytes = [0u8; 8];
            getrandom::fill(&mut bytes).expect("the system's random source");
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        })
}

async fn request_context(mut req: Request, next: Next) -> Response {
    let id = request_id_of(&req);
    let value = HeaderValue::from_str(&id).expect("a plain token");
    req.headers_mut().insert(REQUEST_ID_HEADER, value.clone());
    let api = req.uri().path().starts_with("/api/");
    let tr = crate::i18n::Tr::new(crate::auth::lang_for(None, req.headers()));
    let mut response = REQUEST_ID
        .scope(id, async move { ours(next.run(req).await, api, tr).await })
        .await;
    let headers = response.headers_mut();
    headers.insert(REQUEST_ID_HEADER, value);
    let fixed = [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ),
    ];
    for (name, value) in fixed {
        headers.insert(name, value);
    }
    // Pages and API answers hold the workspace's figures: never kept by a browser or a
    // proxy. Assets say how long they keep themselves.
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// An error axum answered by itself (plain text or an empty body) becomes one of ours:
/// JSON under `/api/`, an error page elsewhere.
async fn ours(response: Response, api: bool, tr: crate::i18n::Tr) -> Response {
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|t| t.starts_with("text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !plain {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let error = crate::error::from_plain(status, String::from_utf8_lossy(&body).into_owned());
    let mut response = if api {
        error.into_response()
    } else {
        crate::error::error_page(error, tr)
    };
    if let Some(allow) = allow {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    response
}
