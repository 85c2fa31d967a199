//! `/chien-dich/{slug}`: a public campaign — its published articles in reading order and how
//! many citizens have confirmed reading them, per locality. Anonymous counts only: no name, no
//! contact, nothing about staff. A campaign not marked public is a 404, like one that does not
//! exist.

use axum::extract::Path;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use serde::Serialize;

use crate::app::AppState;
use crate::db::campaigns;
use crate::error::{AppError, Result};
use crate::http::auth::Page;
use crate::http::views::Layout;
use crate::time;

pub fn router() -> Router<AppState> {
    Router::new().route("/chien-dich/{slug}", get(show))
}

#[derive(Serialize)]
struct Item {
    slug: String,
    title: String,
    summary: String,
    date: String,
    date_iso: String,
    /// Citizens may confirm having read it.
    citizens: bool,
}

#[derive(Serialize)]
struct Locality {
    name: String,
    count: i64,
}

#[derive(Serialize)]
struct CampaignView {
    #[serde(flatten)]
    layout: Layout,
    name: String,
    description: String,
    period: String,
    articles: Vec<Item>,
    total: i64,
    target: i64,
    localities: Vec<Locality>,
}

async fn show(Page(state, ctx): Page, Path(slug): Path<String>) -> Result<Html<String>> {
    let campaign = campaigns::by_slug(&state.db, &slug)
        .await?
        .filter(|c| c.is_public)
        .ok_or(AppError::NotFound)?;
    let articles = campaigns::articles(&state.db, campaign.id)
        .await?
        .into_iter()
        .filter(|a| a.status == "published")
        .map(|a| {
            let when = a.publish_at.unwrap_or_default();
            Item {
                date: time::format_date(when),
                date_iso: time::to_rfc3339_utc(when),
                slug: a.slug,
                title: a.title,
                summary: a.summary,
                citizens: a.terms.citizens,
            }
        })
        .collect();
    let localities: Vec<Locality> = campaigns::citizens_by_locality(&state.db, &campaign)
        .await?
        .into_iter()
        .map(|l| Locality {
            name: l.name,
            count: l.confirmations,
        })
        .collect();
    let path = format!("/chien-dich/{}", campaign.slug);
    let description = if campaign.description.is_empty() {
        format!("Chiến dịch {}", campaign.name)
    } else {
        campaign.description.clone()
    };
    let view = CampaignView {
        layout: Layout::load(&state, &ctx, &campaign.name, &description, &path).await?,
        period: campaign.period_label(),
        name: campaign.name,
        description: campaign.description,
        articles,
        total: localities.iter().map(|l| l.count).sum(),
        target: campaign.citizen_target,
        localities,
    };
    Ok(Html(state.templates.render("campaign.html", &view)?))
}
