//! The article actions outside the editor's form: archive and back, cancel a schedule, delete
//! (after a confirmation page) and restore, and the secret preview link.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{post, MethodRouter};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::editor::{render_editor, topic_names, Extras};
use super::form::ArticleForm;
use super::{article_for_editor, editor_url, open_article, record, Change, Snapshot};
use crate::app::AppState;
use crate::article::ArticleStatus;
use crate::db::articles::{self, ArticleRow};
use crate::db::{sessions, Tx};
use crate::error::{AppError, Result};
use crate::http::auth::{Admin, Ctx, Page};
use crate::http::views::Layout;
use crate::time;

/// A status change by an editor: from the states `from` admits to `to`, as a new version with
/// its revision.
pub struct StatusChange {
    from: fn(ArticleStatus) -> bool,
    to: ArticleStatus,
    /// Keep the publication time (archive), or clear it (a cancelled schedule).
    keep_publish_at: bool,
    action: &'static str,
    reason: &'static str,
    notice: &'static str,
}

async fn change_status(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    c: &StatusChange,
) -> Result<Response> {
    let row = article_for_editor(state, ctx, id).await?;
    if !(c.from)(row.status()) {
        // The page offering this button is out of date: show the article as it is now.
        return Ok(Redirect::to(&format!("/admin/bai-viet/{}", row.id)).into_response());
    }
    let user = ctx.user()?;
    let now = time::now();
    let publish_at = if c.keep_publish_at {
        row.publish_at
    } else {
        None
    };
    let mut tx = state.db.begin().await?;
    let version = articles::set_status(&mut tx, row.id, c.to, publish_at, now)
        .await?
        .ok_or(AppError::NotFound)?;
    let snapshot = Snapshot {
        version,
        ..Snapshot::from(&row)
    };
    let mut detail = format!("{} → {}", row.status().label(), c.to.label());
    if let Some(cancelled) = row.publish_at.filter(|_| !c.keep_publish_at) {
        // A cancelled schedule says which time it cancelled.
        detail.push_str(&format!(
            "; bỏ lịch lúc {} (giờ Việt Nam)",
            time::format_datetime(cancelled)
        ));
    }
    let change = Change {
        action: c.action,
        reason: Some(c.reason),
        detail,
    };
    record(&mut tx, user, &ctx.ip, &snapshot, change, now).await?;
    tx.commit().await?;
    Ok(Redirect::to(&editor_url(row.id, c.notice)).into_response())
}

/// Ends a change that leaves the article's text as it was: its audit entry (no revision), then
/// the commit.
async fn commit_audited(
    mut tx: Tx,
    ctx: &Ctx,
    row: &ArticleRow,
    action: &'static str,
    detail: String,
    now: DateTime<Utc>,
) -> Result<()> {
    let change = Change {
        action,
        reason: None,
        detail,
    };
    record(
        &mut tx,
        ctx.user()?,
        &ctx.ip,
        &Snapshot::from(row),
        change,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The route of one status change: POST, by an editor, on a live article.
pub fn status_change(c: &'static StatusChange) -> MethodRouter<AppState> {
    post(
        move |State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>| async move {
            change_status(&state, &ctx, &id, c).await
        },
    )
}

pub const ARCHIVE: StatusChange = StatusChange {
    from: |s| s != ArticleStatus::Archived,
    to: ArticleStatus::Archived,
    keep_publish_at: true,
    action: "article.archive",
    reason: "Lưu trữ",
    notice: "da-luu-tru",
};

/// Back from the archive as a draft: going public again is a decision of its own ("Xuất bản").
pub const UNARCHIVE: StatusChange = StatusChange {
    from: |s| s == ArticleStatus::Archived,
    to: ArticleStatus::Draft,
    keep_publish_at: true,
    action: "article.unarchive",
    reason: "Khôi phục từ lưu trữ",
    notice: "da-bo-luu-tru",
};

pub const UNSCHEDULE: StatusChange = StatusChange {
    from: |s| s == ArticleStatus::Scheduled,
    to: ArticleStatus::Draft,
    keep_publish_at: false,
    action: "article.unschedule",
    reason: "Huỷ lịch",
    notice: "da-huy-lich",
};

#[derive(Serialize)]
struct DeletePage {
    #[serde(flatten)]
    layout: Layout,
    id: i64,
    title: String,
    status_label: &'static str,
    is_published: bool,
}

/// GET `/admin/bai-viet/{id}/xoa`: "are you sure?".
pub async fn confirm_delete(
    Page(state, ctx): Page,
    Path(id): Path<String>,
) -> Result<Html<String>> {
    let row = article_for_editor(&state, &ctx, &id).await?;
    let path = format!("/admin/bai-viet/{}/xoa", row.id);
    let view = DeletePage {
        layout: Layout::load(&state, &ctx, "Xoá bài viết", "", &path).await?,
        id: row.id,
        status_label: row.status().label(),
        is_published: row.status() == ArticleStatus::Published,
        title: row.title,
    };
    Ok(Html(
        state.templates.render("admin/article_delete.html", &view)?,
    ))
}

/// POST `/admin/bai-viet/{id}/xoa`: the article leaves the site and the lists; an admin can
/// bring it back.
pub async fn delete(Page(state, ctx): Page, Path(id): Path<String>) -> Result<Response> {
    let row = article_for_editor(&state, &ctx, &id).await?;
    let now = time::now();
    let mut tx = state.db.begin().await?;
    if !articles::set_deleted(&mut tx, row.id, Some(now), now).await? {
        return Err(AppError::NotFound);
    }
    let detail = format!("đường dẫn {}, {}", row.slug, row.status().label());
    commit_audited(tx, &ctx, &row, "article.delete", detail, now).await?;
    Ok(Redirect::to("/admin/bai-viet?thong_bao=da-xoa").into_response())
}

/// POST `/admin/bai-viet/{id}/khoi-phuc` (admins): a deleted article comes back as it was.
pub async fn restore(Page(state, ctx): Page, _: Admin, Path(id): Path<String>) -> Result<Response> {
    let row = open_article(&state, &ctx, &id).await?;
    let now = time::now();
    let mut tx = state.db.begin().await?;
    if articles::set_deleted(&mut tx, row.id, None, now).await? {
        let detail = format!("đường dẫn {}, {}", row.slug, row.status().label());
        commit_audited(tx, &ctx, &row, "article.restore", detail, now).await?;
    }
    Ok(Redirect::to(&editor_url(row.id, "da-khoi-phuc")).into_response())
}

/// The article a preview link may be made for or revoked on: unpublished, live, and the
/// user's to open.
async fn previewable(state: &AppState, ctx: &Ctx, id: &str) -> Result<ArticleRow> {
    let row = open_article(state, ctx, id).await?;
    if row.deleted_at.is_some() {
        return Err(AppError::NotFound);
    }
    Ok(row)
}

/// POST `/admin/bai-viet/{id}/lien-ket-xem-truoc`: a new secret link (replacing any older one),
/// shown on the page this response draws and nowhere else: only its hash is kept.
pub async fn create_preview_link(
    Page(state, ctx): Page,
    Path(id): Path<String>,
) -> Result<Response> {
    let row = previewable(&state, &ctx, &id).await?;
    if row.status() == ArticleStatus::Published {
        // Published articles have their public address.
        return Ok(Redirect::to(&format!("/admin/bai-viet/{}", row.id)).into_response());
    }
    let token = sessions::new_token();
    let now = time::now();
    let mut tx = state.db.begin().await?;
    let expires_at = now + chrono::Duration::days(state.config.preview_link_days);
    let link = Some((sessions::hash_token(&token), expires_at));
    if !articles::set_preview_token_hash(&mut tx, row.id, link).await? {
        return Err(AppError::NotFound);
    }
    commit_audited(tx, &ctx, &row, "article.preview_link", String::new(), now).await?;

    let link = state
        .config
        .base_url
        .join(&format!("/xem-truoc/{token}"))
        .map(|u| u.to_string())
        .map_err(anyhow::Error::from)?;
    let row = articles::by_id(&state.db, row.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let names = topic_names(&state, row.id).await?;
    let extras = Extras {
        preview_link: Some(link),
        preview_link_until: Some(time::format_datetime(expires_at)),
        ..Extras::default()
    };
    let values = ArticleForm::from_row(&row, &names);
    render_editor(&state, &ctx, Some(&row), values, extras, StatusCode::OK).await
}

/// POST `/admin/bai-viet/{id}/thu-hoi-xem-truoc`: the link stops working at once.
pub async fn revoke_preview_link(
    Page(state, ctx): Page,
    Path(id): Path<String>,
) -> Result<Response> {
    let row = previewable(&state, &ctx, &id).await?;
    let now = time::now();
    let mut tx = state.db.begin().await?;
    if row.preview_token_hash.is_some()
        && articles::set_preview_token_hash(&mut tx, row.id, None).await?
    {
        commit_audited(tx, &ctx, &row, "article.preview_revoke", String::new(), now).await?;
    }
    Ok(Redirect::to(&editor_url(row.id, "da-thu-hoi")).into_response())
}
