//! `/static/…`: CSS, the public and admin scripts and images compiled into the binary. URLs carry `?v=` with a hash of all
//! assets, so browsers may keep them for a year and still see a new version at once.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::error::AppError;

/// (path under /static/, content type, bytes)
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "loa.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/loa.css"),
    ),
    (
        "admin.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/admin.js"),
    ),
    (
        "nguon.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/nguon.js"),
    ),
    (
        "poster.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/poster.css"),
    ),
    (
        "loa.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/loa.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../../static/favicon.svg"),
    ),
    (
        "img/sipas-5-yeu-to.svg",
        "image/svg+xml",
        include_bytes!("../../static/img/sipas-5-yeu-to.svg"),
    ),
];

static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut hash = Sha256::new();
    for (name, _, bytes) in ASSETS {
        hash.update(name.as_bytes());
        hash.update(bytes);
    }
    hex::encode(&hash.finalize()[..5])
});

/// A short hash of every asset, for cache-busting URLs.
pub fn version() -> &'static str {
    &VERSION
}

pub fn router() -> Router<AppState> {
    Router::new().route("/static/{*path}", get(asset))
}

async fn asset(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == path) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            *bytes,
        )
            .into_response(),
        None => AppError::NotFound.into_response(),
    }
}
