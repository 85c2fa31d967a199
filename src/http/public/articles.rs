//! `/bai-viet/{slug}`: one published article. Any other status is a 404, exactly as if the
//! article did not exist. The old slug of a renamed article answers 301 with its current address.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;

use crate::app::AppState;
use crate::db::{articles, topics};
use crate::error::{AppError, Result};
use crate::http::auth::Ctx;
use crate::http::views::{ArticleView, Layout, SiteView};

pub fn router() -> Router<AppState> {
    Router::new().route("/bai-viet/{slug}", get(article))
}

#[derive(Serialize)]
struct ArticlePage {
    #[serde(flatten)]
    layout: Layout,
    article: ArticleView,
    /// The signed-in person's acknowledgment status, when the article asks them for one.
    staff_ack: Option<crate::http::staff::acknowledge::StaffAckBox>,
    /// The citizens' confirmation form, when the article takes them.
    citizen_form: Option<super::confirm::CitizenForm>,
}

async fn article(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<Response> {
    let Some(row) = articles::published_by_slug(&state.db, &slug).await? else {
        return match articles::alias_target(&state.db, &slug).await? {
            // Permanent, so that search engines and bookmarks move to the new address.
            Some(current) => Ok((
                StatusCode::MOVED_PERMANENTLY,
                [(header::LOCATION, format!("/bai-viet/{current}"))],
            )
                .into_response()),
            None => Err(AppError::NotFound),
        };
    };
    let mut topic_map = topics::for_articles(&state.db, &[row.id]).await?;
    let topic_rows = topic_map.remove(&row.id).unwrap_or_default();
    let site = SiteView::load(&state).await?;
    let path = format!("/bai-viet/{}", row.slug);
    // The editor's meta description, when written, is made for search results; else the summary.
    let description = if row.meta_description.is_empty() {
        &row.summary
    } else {
        &row.meta_description
    };
    let layout = Layout::new(&state, &ctx, site, &row.title, description, &path);
    let staff_ack = crate::http::staff::acknowledge::status_box(&state, &ctx, row.id).await?;
    let citizen_form = super::confirm::form_for(&state, &row.slug).await?;
    let view = ArticlePage {
        layout,
        article: ArticleView::new(row, &topic_rows),
        staff_ack,
        citizen_form,
    };
    Ok(Html(state.templates.render("article.html", &view)?).into_response())
}
