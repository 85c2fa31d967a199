//! Request metrics, and the `/metrics` page served on its own address (`LOA_METRICS_ADDR`).
//!
//! [`track`] is added once, outermost, in [`super::router`]: it labels each request with its
//! route template (axum's `MatchedPath`, so `/bai-viet/{slug}` rather than every slug) and never
//! with the path itself, which may carry anything a visitor typed. Requests that match no route
//! share the label `unmatched`.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::db::Db;

/// Counts and times every request by method, route template and status.
pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(request).await;
    crate::metrics::http_request(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

#[derive(Clone)]
struct Exporter {
    handle: PrometheusHandle,
    db: Db,
}

/// The metrics listener's router: `/metrics` in the Prometheus text format, nothing else.
pub fn router(handle: PrometheusHandle, db: Db) -> Router {
    Router::new()
        .route("/metrics", get(render))
        .with_state(Exporter { handle, db })
}

async fn render(State(e): State<Exporter>) -> impl IntoResponse {
    crate::metrics::db_pool(&e.db);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        e.handle.render(),
    )
}
