//! `/bai-viet/{slug}`: one published article. Any other status is a 404, exactly as if the
//! article did not exist.

use axum::extract::{Path, State};
use axum::response::Html;
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
}

async fn article(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<Html<String>> {
    let row = articles::published_by_slug(&state.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut topic_map = topics::for_articles(&state.db, &[row.id]).await?;
    let topic_rows = topic_map.remove(&row.id).unwrap_or_default();
    let site = SiteView::load(&state).await?;
    let path = format!("/bai-viet/{}", row.slug);
    let layout = Layout::new(&state, &ctx, site, &row.title, &row.summary, &path);
    let view = ArticlePage {
        layout,
        article: ArticleView::new(row, &topic_rows),
    };
    Ok(Html(state.templates.render("article.html", &view)?))
}
