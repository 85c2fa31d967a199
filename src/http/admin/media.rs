//! Being written.

use axum::routing::get;
use axum::Router;

use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/__stub_media", get(|| async { "" }))
}
