//! The front end, compiled into the binary: our stylesheet and script, and htmx and
//! ECharts as vendored from the npm registry (`scripts/vendor-assets`).

use crate::AppState;
use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const FILES: &[(&str, &str, &[u8])] = &[
    ("app.css", "text/css", include_bytes!("../assets/app.css")),
    (
        "app.js",
        "text/javascript",
        include_bytes!("../assets/app.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../assets/favicon.svg"),
    ),
    (
        "htmx.min.js",
        "text/javascript",
        include_bytes!("../assets/vendor/htmx.min.js"),
    ),
    (
        "echarts.min.js",
        "text/javascript",
        include_bytes!("../assets/vendor/echarts.min.js"),
    ),
];

/// A version for asset URLs, so browsers may cache them for good.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub fn routes() -> Router<AppState> {
    Router::new().route("/assets/{version}/{name}", get(asset))
}

async fn asset(Path((_version, name)): Path<(String, String)>) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, mime, body)) => (
            [
                (header::CONTENT_TYPE, *mime),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            *body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}
