//! What citizens see: the home page, articles, topics, public campaigns, and the health check.

mod articles;
mod campaign;
pub mod confirm;
mod feeds;
mod health;
mod home;
mod media;
mod preview;
mod privacy;
mod search;
mod sitemap;
mod topics;
mod xml;

use axum::Router;

use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(home::router())
        .merge(articles::router())
        .merge(topics::router())
        .merge(health::router())
        .merge(media::router())
        .merge(preview::router())
        .merge(confirm::router())
        .merge(privacy::router())
        .merge(search::router())
        .merge(feeds::router())
        .merge(sitemap::router())
        .merge(campaign::router())
}
