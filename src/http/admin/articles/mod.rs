//! `/admin/bai-viet`: the article admin — the list, the editor with its live preview, the actions
//! each role may take, scheduling (publication and end), and secret preview links.
//!
//! Who may do what is `crate::policy`'s (`OpenArticle`, `WriteArticle`, `PublishArticle`,
//! `RestoreArticle`); this module loads the article and asks it. A published article is archived
//! before it can be scheduled again. Every change is one transaction with its audit entry and,
//! when the article's version moves, its revision.

mod ack;
mod actions;
mod conflict;
mod editor;
mod form;
mod list;
mod timing;

use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};

use crate::app::AppState;
use crate::db::articles::{self, ArticleRow};
use crate::db::revisions::{self, NewRevision};
use crate::db::{audit, DbError, Tx};
use crate::error::{AppError, Result};
use crate::http::auth::{Ctx, CurrentUser};
use crate::policy::{may_article, Action};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bai-viet", get(list::list))
        .route("/bai-viet/moi", get(editor::new_form).post(editor::create))
        .route("/bai-viet/xem-truoc", post(editor::live_preview))
        .route("/bai-viet/{id}", get(editor::edit_form).post(editor::save))
        .route(
            "/bai-viet/{id}/luu-tru",
            actions::status_change(&actions::ARCHIVE),
        )
        .route(
            "/bai-viet/{id}/bo-luu-tru",
            actions::status_change(&actions::UNARCHIVE),
        )
        .route(
            "/bai-viet/{id}/huy-lich",
            actions::status_change(&actions::UNSCHEDULE),
        )
        .route(
            "/bai-viet/{id}/xoa",
            get(actions::confirm_delete).post(actions::delete),
        )
        .route("/bai-viet/{id}/khoi-phuc", post(actions::restore))
        .route(
            "/bai-viet/{id}/lien-ket-xem-truoc",
            post(actions::create_preview_link),
        )
        .route(
            "/bai-viet/{id}/thu-hoi-xem-truoc",
            post(actions::revoke_preview_link),
        )
}

/// An id from the path; anything but a number is a page that does not exist.
fn parse_id(raw: &str) -> Result<i64> {
    raw.parse().map_err(|_| AppError::NotFound)
}

/// The article the user may open: 404 when missing (or deleted, except for an admin), 403 when
/// an author asks for someone else's.
pub(crate) async fn open_article(state: &AppState, ctx: &Ctx, raw_id: &str) -> Result<ArticleRow> {
    let user = ctx.user()?;
    let row = articles::by_id(&state.db, parse_id(raw_id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    check_open(user, &row)?;
    Ok(row)
}

/// The policy's `OpenArticle` as a response: 404 for a deleted article (it does not exist for
/// those who may not restore it), 403 for an author's look at someone else's.
pub(crate) fn check_open(user: &CurrentUser, row: &ArticleRow) -> Result<()> {
    if may_article(user, Action::OpenArticle, row) {
        Ok(())
    } else if row.deleted_at.is_some() {
        Err(AppError::NotFound)
    } else {
        Err(AppError::Forbidden)
    }
}

/// [`open_article`] for the actions only editors and admins take, on live articles.
async fn article_for_editor(state: &AppState, ctx: &Ctx, raw_id: &str) -> Result<ArticleRow> {
    let row = open_article(state, ctx, raw_id).await?;
    if row.deleted_at.is_some() {
        return Err(AppError::NotFound);
    }
    if !may_article(ctx.user()?, Action::PublishArticle, &row) {
        return Err(AppError::Forbidden);
    }
    Ok(row)
}

/// What one change records: the audit action, and the revision's reason when the article's
/// text or status moved to a new version.
struct Change {
    action: &'static str,
    reason: Option<&'static str>,
    detail: String,
}

/// The article as it stands after the change, for the revision and the audit entry.
struct Snapshot<'a> {
    id: i64,
    version: i64,
    title: &'a str,
    summary: &'a str,
    body: &'a str,
}

impl<'a> From<&'a ArticleRow> for Snapshot<'a> {
    fn from(r: &'a ArticleRow) -> Self {
        Snapshot {
            id: r.id,
            version: r.version,
            title: &r.title,
            summary: &r.summary,
            body: &r.body,
        }
    }
}

/// Writes the revision (if any) and the audit entry of a change, inside its transaction.
async fn record(
    tx: &mut Tx,
    user: &CurrentUser,
    ip: &str,
    article: &Snapshot<'_>,
    change: Change,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    if let Some(reason) = change.reason {
        revisions::record(
            tx,
            &NewRevision {
                article_id: article.id,
                article_version: article.version,
                title: article.title,
                summary: article.summary,
                body: article.body,
                author_id: Some(user.id),
                author_label: &user.name,
                reason,
            },
            now,
        )
        .await?;
    }
    audit::record(
        tx,
        &audit::Entry {
            actor_id: Some(user.id),
            actor_label: user.email.clone(),
            action: change.action,
            target_type: "article",
            target_id: Some(article.id),
            target_label: article.title.to_owned(),
            detail: change.detail,
            ip: ip.to_owned(),
        },
        now,
    )
    .await
}

/// The editor's address, with a notice to show once.
fn editor_url(id: i64, notice: &str) -> String {
    format!("/admin/bai-viet/{id}?thong_bao={notice}")
}
