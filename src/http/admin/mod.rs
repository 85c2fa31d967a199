//! `/admin`: the editors' and admins' area. The role layer is here, in one place: every route
//! needs at least an author; the people, units, audit and background-jobs pages need an admin. Finer rules
//! (who may publish, whose articles an author may touch) live with the actions themselves, and
//! posters and places (editors) ask `policy::may`.
//! The campaigns (`/admin/chien-dich…`) are the exception: unit heads, who are employees, see
//! their own unit's there, so that tree has its own extractor (`campaigns::Viewer`, asking
//! `policy::may`) instead of the writer layer.

mod ack_exports;
mod acks;
mod articles;
mod audit_log;
mod calendar;
mod campaigns;
mod citizens;
mod dashboard;
mod evidence;
pub mod exports;
mod jobs;
mod media;
mod people;
mod people_form;
mod people_import;
mod people_status;
mod places;
mod posters;
mod reminders;
mod revisions;
mod topics;
mod units;

use axum::{middleware, Router};

use crate::app::AppState;
use crate::http::auth;

pub fn router() -> Router<AppState> {
    let admin_only = Router::new()
        .merge(people::router())
        .merge(people_form::router())
        .merge(people_status::router())
        .merge(people_import::router())
        .merge(units::router())
        .merge(audit_log::router())
        .merge(jobs::router())
        .merge(citizens::router())
        .route_layer(middleware::from_fn(auth::require_admin));
    Router::new()
        .merge(dashboard::router())
        .merge(articles::router())
        .merge(acks::router())
        .merge(ack_exports::router())
        .merge(evidence::router())
        .merge(revisions::router())
        .merge(media::router())
        .merge(calendar::router())
        .merge(reminders::router())
        .merge(places::router())
        .merge(topics::router())
        .merge(posters::router())
        .merge(admin_only)
        .route_layer(middleware::from_fn(auth::require_writer))
        // Added after the writer layer, so it does not apply to them.
        .merge(campaigns::router())
}
