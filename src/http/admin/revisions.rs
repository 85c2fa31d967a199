//! `/admin/bai-viet/{id}/phien-ban`: an article's revisions, the differences between any two,
//! and restoring one as a new revision.
//!
//! Who may do what follows the editor (`http::admin::articles`), since a revision is the article
//! as it was: whoever may open an article may read its revisions (editors and admins any, an
//! author their own; a deleted article only an admin); whoever may write it may restore one (an
//! author only while their article is a draft or in review, since restoring a published text
//! would be publishing without review; nobody while it is deleted).

mod diff;

use axum::extract::{Path, Query};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};

use self::diff::{Line, Segment};
use super::articles::check_open;
use crate::app::AppState;
use crate::db::articles::{self, ArticleRow};
use crate::db::revisions::{self, NewRevision, RevisionInfo, RevisionRow};
use crate::db::{audit, topics};
use crate::error::{AppError, Result};
use crate::http::auth::{CurrentUser, Page};
use crate::http::views::Layout;
use crate::markdown::Body;
use crate::policy::{may_article, Action};
use crate::time;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bai-viet/{id}/phien-ban", get(list))
        .route("/bai-viet/{id}/phien-ban/so-sanh", get(compare))
        .route("/bai-viet/{id}/phien-ban/{rev_id}/khoi-phuc", post(restore))
}

/// An id from the path; anything but a positive number names nothing.
fn parse_id(s: &str) -> Result<i64> {
    s.parse::<i64>()
        .ok()
        .filter(|&n| n > 0)
        .ok_or(AppError::NotFound)
}

/// The article, if this user may open it.
async fn open_article(state: &AppState, user: &CurrentUser, id: i64) -> Result<ArticleRow> {
    let row = articles::by_id(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    check_open(user, &row)?;
    Ok(row)
}

/// The policy's rule for writing the article (restoring a revision is a write).
fn may_write(user: &CurrentUser, row: &ArticleRow) -> bool {
    may_article(user, Action::WriteArticle, row)
}

/// The article as the pages head it.
#[derive(Serialize)]
struct ArticleView {
    id: i64,
    title: String,
    status_label: &'static str,
    version: i64,
    deleted: bool,
}

impl From<&ArticleRow> for ArticleView {
    fn from(a: &ArticleRow) -> Self {
        ArticleView {
            id: a.id,
            title: a.title.clone(),
            status_label: a.status().label(),
            version: a.version,
            deleted: a.deleted_at.is_some(),
        }
    }
}

/// One revision, as listed and as the two sides of a comparison.
#[derive(Serialize)]
struct RevisionView {
    id: i64,
    number: i64,
    at: String,
    author: String,
    reason: String,
    article_version: i64,
}

impl RevisionView {
    fn new(number: i64, r: &RevisionInfo) -> RevisionView {
        RevisionView {
            id: r.id,
            number,
            at: time::format_datetime(r.created_at),
            author: r.author_label.clone(),
            reason: r.reason.clone(),
            article_version: r.article_version,
        }
    }
}

#[derive(Serialize)]
struct ListItem {
    #[serde(flatten)]
    revision: RevisionView,
    /// Its differences from the revision before it (none for the first).
    changes_url: Option<String>,
    /// The article is as this revision left it, so restoring it would change nothing.
    current: bool,
}

#[derive(Serialize)]
struct ListView {
    #[serde(flatten)]
    layout: Layout,
    article: ArticleView,
    /// Newest first.
    revisions: Vec<ListItem>,
    can_restore: bool,
    /// The preselected pair of the comparison form: the two newest revisions.
    default_from: Option<i64>,
    default_to: Option<i64>,
    /// After a restore: the numbers of the restored and the new revision.
    restored: Option<Restored>,
}

#[derive(Serialize)]
struct Restored {
    from: i64,
    to: i64,
}

#[derive(Deserialize)]
struct ListQuery {
    khoi_phuc: Option<String>,
    moi: Option<String>,
}

async fn list(
    Page(state, ctx): Page,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>> {
    let user = ctx.user()?;
    let article = open_article(&state, user, parse_id(&id)?).await?;
    let all = revisions::list_for_article(&state.db, article.id).await?;
    let mut items: Vec<ListItem> = all
        .iter()
        .enumerate()
        .map(|(i, r)| ListItem {
            revision: RevisionView::new(i as i64 + 1, r),
            changes_url: (i > 0).then(|| compare_url(article.id, all[i - 1].id, r.id)),
            current: i + 1 == all.len() && r.article_version == article.version,
        })
        .collect();
    items.reverse();
    let number = |s: &Option<String>| s.as_deref().and_then(|s| s.parse::<i64>().ok());
    let restored = match (number(&q.khoi_phuc), number(&q.moi)) {
        (Some(from), Some(to)) => Some(Restored { from, to }),
        _ => None,
    };
    let title = format!("Phiên bản: {}", article.title);
    let path = format!("/admin/bai-viet/{}/phien-ban", article.id);
    let view = ListView {
        layout: Layout::load(&state, &ctx, &title, "Các phiên bản của bài viết", &path).await?,
        can_restore: may_write(user, &article),
        default_from: items.get(1).map(|r| r.revision.id),
        default_to: items.first().map(|r| r.revision.id),
        article: ArticleView::from(&article),
        revisions: items,
        restored,
    };
    Ok(Html(state.templates.render("admin/revisions.html", &view)?))
}

fn compare_url(article_id: i64, from: i64, to: i64) -> String {
    format!("/admin/bai-viet/{article_id}/phien-ban/so-sanh?tu={from}&den={to}")
}

#[derive(Deserialize)]
struct CompareQuery {
    tu: Option<String>,
    den: Option<String>,
}

/// The differences of one field; `changed` lets the page say "unchanged" instead.
#[derive(Serialize)]
struct TextDiff {
    changed: bool,
    segments: Vec<Segment>,
}

#[derive(Serialize)]
struct CompareView {
    #[serde(flatten)]
    layout: Layout,
    article: ArticleView,
    from: RevisionView,
    to: RevisionView,
    title: TextDiff,
    summary: TextDiff,
    body_changed: bool,
    body: Vec<Line>,
    can_restore: bool,
    list_url: String,
}

async fn compare(
    Page(state, ctx): Page,
    Path(id): Path<String>,
    Query(q): Query<CompareQuery>,
) -> Result<Html<String>> {
    let user = ctx.user()?;
    let article = open_article(&state, user, parse_id(&id)?).await?;
    let from = revision_of(&state, &article, q.tu.as_deref()).await?;
    let to = revision_of(&state, &article, q.den.as_deref()).await?;
    let from_view = numbered(&state, &from).await?;
    let to_view = numbered(&state, &to).await?;

    let text_diff = |old: &str, new: &str| TextDiff {
        changed: old != new,
        segments: diff::words(old, new),
    };
    let title = format!(
        "So sánh phiên bản {} và {}: {}",
        from_view.number, to_view.number, article.title
    );
    let path = compare_url(article.id, from.id, to.id);
    let view = CompareView {
        layout: Layout::load(
            &state,
            &ctx,
            &title,
            "Khác biệt giữa hai phiên bản của bài viết",
            &path,
        )
        .await?,
        title: text_diff(&from.title, &to.title),
        summary: text_diff(&from.summary, &to.summary),
        body_changed: from.body != to.body,
        body: diff::lines(&from.body, &to.body),
        can_restore: may_write(user, &article),
        list_url: format!("/admin/bai-viet/{}/phien-ban", article.id),
        article: ArticleView::from(&article),
        from: from_view,
        to: to_view,
    };
    Ok(Html(
        state.templates.render("admin/revision_diff.html", &view)?,
    ))
}

/// A revision named in the query; missing, malformed or another article's → 404.
async fn revision_of(
    state: &AppState,
    article: &ArticleRow,
    id: Option<&str>,
) -> Result<RevisionRow> {
    let id = parse_id(id.unwrap_or_default())?;
    revisions::find(&state.db, article.id, id)
        .await?
        .ok_or(AppError::NotFound)
}

async fn numbered(state: &AppState, r: &RevisionRow) -> Result<RevisionView> {
    let number = revisions::number(&state.db, r.article_id, r.id).await?;
    let info = RevisionInfo {
        id: r.id,
        article_version: r.article_version,
        author_id: r.author_id,
        author_label: r.author_label.clone(),
        reason: r.reason.clone(),
        created_at: r.created_at,
    };
    Ok(RevisionView::new(number, &info))
}

/// Puts a revision's title, summary and body back on the article, everything else as it is
/// now, as a new version with its own revision and an audit entry, in one transaction.
async fn restore(
    Page(state, ctx): Page,
    Path((id, rev_id)): Path<(String, String)>,
) -> Result<Response> {
    let user = ctx.user()?;
    let (id, rev_id) = (parse_id(&id)?, parse_id(&rev_id)?);
    // Checked before the revision is looked up, so that nobody learns about the revisions of
    // an article they may not open; checked again under the lock below.
    let article = open_article(&state, user, id).await?;
    if !may_write(user, &article) {
        return Err(AppError::Forbidden);
    }
    // Revisions are never changed, so they can be read before the transaction.
    let revision = revisions::find(&state.db, id, rev_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let number = revisions::number(&state.db, id, rev_id).await?;
    let now = time::now();
    // Rendered before the transaction, so the write lock is never held for it.
    let body = Body::stored_off_thread(revision.body).await;

    let mut tx = state.db.begin().await?;
    // Locked first, so that the article read next is the one the update replaces.
    if !revisions::lock_article(&mut tx, id).await? {
        return Err(AppError::NotFound);
    }
    let current = articles::by_id_tx(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    check_open(user, &current)?;
    if !may_write(user, &current) {
        return Err(AppError::Forbidden);
    }
    // Everything but the three texts stays as it is now.
    let mut input = current.to_input(topics::names_for_article(&mut tx, id).await?, body);
    input.title = revision.title;
    input.summary = revision.summary;
    articles::update(&mut tx, id, &input, now).await?;
    let version = current.version + 1;
    let reason = format!("Khôi phục phiên bản {number}");
    revisions::record(
        &mut tx,
        &NewRevision {
            article_id: id,
            article_version: version,
            title: &input.title,
            summary: &input.summary,
            body: &input.body,
            author_id: Some(user.id),
            author_label: &user.name,
            reason: &reason,
        },
        now,
    )
    .await?;
    let new_number = revisions::count_in_tx(&mut tx, id).await?;
    audit::record(
        &mut tx,
        &audit::Entry {
            actor_id: Some(user.id),
            actor_label: user.email.clone(),
            action: "article.revision_restore",
            target_type: "article",
            target_id: Some(id),
            target_label: input.title.clone(),
            detail: format!(
                "{reason} (phiên bản bài viết {} → {version})",
                current.version
            ),
            ip: ctx.ip.clone(),
        },
        now,
    )
    .await?;
    tx.commit().await?;

    tracing::info!(article = id, revision = rev_id, "revision restored");
    Ok(Redirect::to(&format!(
        "/admin/bai-viet/{id}/phien-ban?khoi_phuc={number}&moi={new_number}"
    ))
    .into_response())
}
