//! `/admin/chu-de`: the topics and their names. A rename keeps the slug (the topic's page and feed
//! keep their addresses) and re-indexes the topic's articles for search in the same transaction.
//! Editors and admins (`policy::Action::ManageTopics`); every rename is audited.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Serialize;

use super::people::{clean_name, parse_id, rename_entry, RenameForm};
use crate::app::AppState;
use crate::db::{audit, topics};
use crate::error::{AppError, Result};
use crate::http::auth::{Ctx, Editor, Page};
use crate::http::views::Layout;
use crate::slug::Slug;
use crate::time;

/// Longest topic name: it is a tag under every article title.
const MAX_TOPIC_NAME_CHARS: usize = 80;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/chu-de", get(list))
        .route("/chu-de/{id}", post(rename))
}

#[derive(Serialize)]
struct TopicItem {
    id: i64,
    slug: String,
    name: String,
    articles: i64,
}

#[derive(Serialize)]
struct ListView {
    #[serde(flatten)]
    layout: Layout,
    topics: Vec<TopicItem>,
    /// The topic whose rename failed, and why.
    error_id: i64,
    error: Option<String>,
}

async fn render(state: &AppState, ctx: &Ctx, error: Option<(i64, String)>) -> Result<Response> {
    let topics = topics::all_for_admin(&state.db)
        .await?
        .into_iter()
        .map(|t| TopicItem {
            id: t.id,
            slug: t.slug,
            name: t.name,
            articles: t.articles,
        })
        .collect();
    let status = match error {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    let (error_id, error) = error.map_or((0, None), |(id, e)| (id, Some(e)));
    let view = ListView {
        layout: Layout::load(
            state,
            ctx,
            "Chủ đề",
            "Tên các chủ đề bài viết",
            "/admin/chu-de",
        )
        .await?,
        topics,
        error_id,
        error,
    };
    state.templates.respond(status, "admin/topics.html", &view)
}

async fn list(State(state): State<AppState>, _: Editor, ctx: Ctx) -> Result<Response> {
    render(&state, &ctx, None).await
}

async fn rename(
    Page(state, ctx): Page,
    Editor(user): Editor,
    Path(id): Path<String>,
    Form(f): Form<RenameForm>,
) -> Result<Response> {
    let id = parse_id(&id)?;
    let topic = topics::by_id(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let name = clean_name(&f.name);
    // A name that folds to another topic's slug would send the next save of an article with
    // that name to the other topic.
    let problem = match Slug::from_title(&name) {
        _ if name.is_empty() => Some("Hãy nhập tên chủ đề.".to_owned()),
        _ if name.chars().count() > MAX_TOPIC_NAME_CHARS => {
            Some(format!("Tên dài quá {MAX_TOPIC_NAME_CHARS} ký tự."))
        }
        None => Some("Tên chủ đề cần có chữ hoặc số.".to_owned()),
        Some(slug) if slug.as_str() != topic.slug => topics::by_slug(&state.db, slug.as_str())
            .await?
            .map(|other| format!("Tên này trùng với chủ đề «{}».", other.name)),
        Some(_) => None,
    };
    if let Some(problem) = problem {
        return render(&state, &ctx, Some((id, problem))).await;
    }
    if let Some(entry) = rename_entry(
        &ctx,
        &user,
        "topic.rename",
        ("topic", id),
        &topic.name,
        &name,
    ) {
        let now = time::now();
        let mut tx = state.db.begin().await?;
        topics::rename(&mut tx, id, &name, now).await?;
        audit::record(&mut tx, &entry, now).await?;
        tx.commit().await?;
    }
    Ok(Redirect::to("/admin/chu-de").into_response())
}
