//! The conflict page of a stale save: someone else saved the article since this edit began.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use super::form::ArticleForm;
use crate::app::AppState;
use crate::db::articles::{self, admin};
use crate::error::{AppError, Result};
use crate::http::auth::Ctx;
use crate::http::views::Layout;
use crate::time;

#[derive(Serialize)]
struct ConflictPage {
    #[serde(flatten)]
    layout: Layout,
    editor_url: String,
    revisions_url: String,
    current_title: String,
    who: String,
    when: String,
    submitted_title: String,
    submitted_summary: String,
    submitted_body: String,
}

/// 409: someone saved since this edit began. Nothing was written; the page says who and when,
/// and gives the user's text back for copying.
pub(super) async fn conflict(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    form: ArticleForm,
) -> Result<Response> {
    let row = articles::by_id(&state.db, id)
        .await?
        .filter(|r| r.deleted_at.is_none())
        .ok_or(AppError::NotFound)?;
    let (who, when) = match admin::last_change(&state.db, id).await? {
        Some(c) => (c.author_label, c.created_at),
        // Changed without a revision (by `loa import`).
        None => (
            "không rõ (có thể do nhập nội dung)".to_owned(),
            row.updated_at,
        ),
    };
    let path = format!("/admin/bai-viet/{id}");
    let view = ConflictPage {
        layout: Layout::load(state, ctx, "Bài viết vừa được người khác sửa", "", &path).await?,
        editor_url: path.clone(),
        revisions_url: format!("{path}/phien-ban"),
        current_title: row.title,
        who,
        when: time::format_datetime(when),
        submitted_title: form.title,
        submitted_summary: form.summary,
        submitted_body: form.body,
    };
    let html = state
        .templates
        .render("admin/article_conflict.html", &view)?;
    Ok((StatusCode::CONFLICT, Html(html)).into_response())
}
