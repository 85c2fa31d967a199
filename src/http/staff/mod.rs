//! What signed-in staff use outside `/admin`: signing in and out, changing the password,
//! acknowledging the materials they must read.

pub mod acknowledge;
mod notifications;
pub mod sign_in;

use axum::Router;

use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(sign_in::router())
        .merge(acknowledge::router())
        .merge(notifications::router())
}
