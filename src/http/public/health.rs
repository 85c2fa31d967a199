//! `/healthz` and `/readyz`, for load balancers, systemd and monitoring. They reveal nothing but
//! a few words.
//!
//! `/healthz` says the process answers (liveness: restart it if not). `/readyz` says it can serve
//! (readiness: send it traffic): the database answers, every migration of this binary is
//! applied, and the scheduler has ticked within the last seconds; otherwise 503 and which part
//! is not ready.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::app::AppState;
use crate::error::error_chain;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health))
        .route("/readyz", get(ready))
}

/// Health answers describe this instant: no cache, ours or a proxy's, may keep them.
const NO_STORE: [(header::HeaderName, &str); 1] = [(header::CACHE_CONTROL, "no-store")];

async fn health() -> Response {
    (NO_STORE, Json(json!({ "status": "ok" }))).into_response()
}

async fn ready(State(state): State<AppState>) -> Response {
    let (database, migrations) = match state.db.ping().await {
        Err(e) => {
            tracing::warn!(error = %error_chain(&e), "readiness: the database does not answer");
            ("unreachable", "unknown")
        }
        Ok(()) => match state.db.pending_migrations().await {
            Ok(0) => ("ok", "ok"),
            Ok(_) => ("ok", "pending"),
            Err(e) => {
                tracing::warn!(error = %error_chain(&e), "readiness: cannot read the migrations");
                ("ok", "unknown")
            }
        },
    };
    let scheduler = if state.scheduler.alive(crate::time::now()) {
        "ok"
    } else {
        "stopped"
    };
    let ready = database == "ok" && migrations == "ok" && scheduler == "ok";
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if ready { "ok" } else { "error" },
        "database": database,
        "migrations": migrations,
        "scheduler": scheduler,
    });
    (status, NO_STORE, Json(body)).into_response()
}
