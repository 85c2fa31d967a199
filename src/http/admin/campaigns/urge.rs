//! `POST /admin/chien-dich/{slug}/nhac-ngay` ("Nhắc ngay"): the pending people of the campaign
//! within a scope (the whole agency, or `don_vi` and its sub-units) get their reminder now,
//! through the daily reminders' own machinery (`jobs::reminders::remind_now`): in the
//! application, and by e-mail when SMTP is configured. The reminder log's unique key (person,
//! kind, channel, Vietnam day) makes a double submit, or two editors at once, remind each person
//! once a day. Every press is written to the audit log.

use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::{load, Focus, Viewer};
use crate::db::{audit, campaigns};
use crate::error::{url_encode, AppError, Result};
use crate::http::auth::Page;
use crate::jobs::reminders;
use crate::policy::Action;
use crate::time;

#[derive(Deserialize)]
pub struct UrgeForm {
    #[serde(default)]
    don_vi: String,
}

pub async fn urge(
    Page(state, viewer): Page<Viewer>,
    Path(slug): Path<String>,
    Form(form): Form<UrgeForm>,
) -> Result<Response> {
    let campaign = load(&state, &slug).await?;
    let focus = Focus::resolve(&state, &viewer, Some(&form.don_vi), Action::Urge).await?;
    let now = time::now();
    let people = campaigns::pending_people(&state.db, &campaign, focus.scope, now).await?;
    let ids: Vec<i64> = people.iter().map(|p| p.user_id).collect();
    let summary = reminders::remind_now(&state.db, &state.config, &ids, now)
        .await
        .map_err(AppError::Internal)?;
    let scope = match &focus.unit {
        Some(u) => u.name.clone(),
        None => "Toàn cơ quan".to_owned(),
    };
    audit::record_now(
        &state.db,
        &audit::Entry {
            actor_id: Some(viewer.user.id),
            actor_label: viewer.user.email.clone(),
            action: "campaign.urge",
            target_type: "campaign",
            target_id: Some(campaign.id),
            target_label: campaign.name.clone(),
            detail: format!(
                "{scope}: {} người chưa xác nhận; nhắc {} người; {} người đã được nhắc hôm nay",
                ids.len(),
                summary.in_app,
                summary.already
            ),
            ip: viewer.ctx.ip.clone(),
        },
        now,
    )
    .await?;
    let mut to = format!(
        "/admin/chien-dich/{}?da_nhac={}&da_nhac_truoc={}",
        campaign.slug, summary.in_app, summary.already
    );
    if let Some(u) = &focus.unit {
        to.push_str(&format!("&don_vi={}", url_encode(&u.slug)));
    }
    Ok(Redirect::to(&to).into_response())
}
