//! `/chu-de`: the topics; `/chu-de/{slug}`: the published articles of one topic.

use axum::extract::{Path, Query, State};
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use serde::Serialize;

use crate::app::AppState;
use crate::db::{articles, topics};
use crate::error::{AppError, Result};
use crate::http::auth::{Ctx, Page};
use crate::http::views::{ArticleCard, Layout, PageQuery, Pagination, PAGE_SIZE};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/chu-de", get(list))
        .route("/chu-de/{slug}", get(topic))
}

#[derive(Serialize)]
struct TopicItem {
    slug: String,
    name: String,
    articles: i64,
}

#[derive(Serialize)]
struct TopicsView {
    #[serde(flatten)]
    layout: Layout,
    topics: Vec<TopicItem>,
}

async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Html<String>> {
    let topics = topics::with_published_counts(&state.db)
        .await?
        .into_iter()
        .map(|t| TopicItem {
            slug: t.slug,
            name: t.name,
            articles: t.articles,
        })
        .collect();
    let view = TopicsView {
        layout: Layout::load(&state, &ctx, "Chủ đề", "Các chủ đề của bài viết", "/chu-de").await?,
        topics,
    };
    Ok(Html(state.templates.render("topics.html", &view)?))
}

#[derive(Serialize)]
struct TopicView {
    #[serde(flatten)]
    layout: Layout,
    name: String,
    articles: Vec<ArticleCard>,
    pagination: Pagination,
}

async fn topic(
    Page(state, ctx): Page,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Html<String>> {
    let page = q.number()?;
    let topic = topics::by_slug(&state.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let total = articles::count_published_in_topic(&state.db, topic.id).await?;
    // A topic whose articles are all unpublished does not exist for the public.
    if total == 0 {
        return Err(AppError::NotFound);
    }
    let path = format!("/chu-de/{}", topic.slug);
    let pagination = Pagination::new(&path, page, total)?;
    let rows =
        articles::list_published_in_topic(&state.db, topic.id, PAGE_SIZE, pagination.offset())
            .await?;
    let cards = ArticleCard::many(&state, rows).await?;
    let title = format!("Chủ đề: {}", topic.name);
    let description = format!("Các bài viết về {}", topic.name);
    let canonical = match page {
        1 => path.clone(),
        n => format!("{path}?trang={n}"),
    };
    let view = TopicView {
        layout: Layout::load(&state, &ctx, &title, &description, &canonical).await?,
        name: topic.name,
        articles: cards,
        pagination,
    };
    Ok(Html(state.templates.render("topic.html", &view)?))
}
