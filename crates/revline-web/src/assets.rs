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

/// The digest of every asset's content, the folder their URLs are under: a changed
/// file gets a new URL, so browsers may keep each one for good.
pub fn version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        for (name, _, body) in FILES {
            hash.update(name.as_bytes());
            hash.update((body.len() as u64).to_le_bytes());
            hash.update(body);
        }
        hash.finalize()[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    })
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/assets/{version}/{name}", get(asset))
}

async fn asset(Path((version, name)): Path<(String, String)>) -> Response {
    // A page of an older build asks under its old digest: it gets today's file, not
    // to be kept.
    let keep = if version == self::version() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, mime, body)) => (
            [(header::CONTENT_TYPE, *mime), (header::CACHE_CONTROL, keep)],
            *body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}
