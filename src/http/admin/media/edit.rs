//! One image: its page (details, Markdown, articles using it), its alt text, its deletion.

use axum::extract::{Form, Path as UrlPath, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::{files, label_of, may_edit, MediaItem};
use crate::account::Role;
use crate::app::AppState;
use crate::db::audit::{self, Entry};
use crate::db::media::{self as media_db, MediaRow};
use crate::error::{AppError, Result};
use crate::http::auth::{Ctx, Editor, Page};
use crate::http::views::Layout;
use crate::media::{self, MediaName};
use crate::policy::{self, Action, Target};
use crate::time;

#[derive(Serialize)]
struct UsingArticleView {
    id: i64,
    title: String,
}

#[derive(Serialize)]
struct EditView {
    #[serde(flatten)]
    layout: Layout,
    item: MediaItem,
    /// The alt field as sent (after a refused save) or as stored.
    alt: String,
    alt_error: Option<String>,
    delete_error: Option<String>,
    used_by: Vec<UsingArticleView>,
    can_delete: bool,
    saved: bool,
}

#[derive(Deserialize)]
pub(super) struct EditQuery {
    #[serde(rename = "da-luu")]
    saved: Option<String>,
}

fn parse_id(raw: &str) -> Result<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|&id| id > 0)
        .ok_or(AppError::NotFound)
}

pub(super) async fn edit_page(
    Page(state, ctx): Page,
    UrlPath(id): UrlPath<String>,
    Query(q): Query<EditQuery>,
) -> Result<Response> {
    let row = find(&state, &id).await?;
    let alt = row.file.alt.clone();
    let mut page = EditPage::new(row, alt);
    page.saved = q.saved.is_some();
    page.render(&state, &ctx, StatusCode::OK).await
}

async fn find(state: &AppState, raw_id: &str) -> Result<MediaRow> {
    media_db::find(&state.db, parse_id(raw_id)?)
        .await?
        .ok_or(AppError::NotFound)
}

/// What the edit page shows besides the stored row.
struct EditPage {
    row: MediaRow,
    alt: String,
    alt_error: Option<String>,
    delete_error: Option<String>,
    saved: bool,
}

impl EditPage {
    fn new(row: MediaRow, alt: String) -> EditPage {
        EditPage {
            row,
            alt,
            alt_error: None,
            delete_error: None,
            saved: false,
        }
    }

    async fn render(self, state: &AppState, ctx: &Ctx, status: StatusCode) -> Result<Response> {
        let user = ctx.require(Role::Author)?;
        let used_by = media_db::used_by(&state.db, &self.row.file.stored_name)
            .await?
            .into_iter()
            .map(|a| UsingArticleView {
                id: a.id,
                title: a.title,
            })
            .collect();
        let path = format!("/admin/anh/{}", self.row.id);
        let view = EditView {
            layout: Layout::load(state, ctx, "Sửa ảnh", "Thư viện ảnh", &path).await?,
            item: MediaItem::new(self.row, user),
            alt: self.alt,
            alt_error: self.alt_error,
            delete_error: self.delete_error,
            used_by,
            can_delete: policy::may(user, Action::DeleteMedia, Target::Agency),
            saved: self.saved,
        };
        state
            .templates
            .respond(status, "admin/media_edit.html", &view)
    }
}

#[derive(Deserialize)]
pub(super) struct AltForm {
    #[serde(default)]
    alt: String,
}

pub(super) async fn save_alt(
    Page(state, ctx): Page,
    UrlPath(id): UrlPath<String>,
    Form(form): Form<AltForm>,
) -> Result<Response> {
    let user = ctx.require(Role::Author)?;
    let row = find(&state, &id).await?;
    if !may_edit(user, row.uploaded_by) {
        return Err(AppError::Forbidden);
    }
    match media::clean_alt(&form.alt) {
        Ok(alt) => {
            let now = time::now();
            let mut tx = state.db.begin().await?;
            media_db::set_alt(&mut tx, row.id, &alt, now).await?;
            if alt != row.file.alt {
                let entry = Entry {
                    actor_id: Some(user.id),
                    actor_label: user.email.clone(),
                    action: "media.alt",
                    target_type: "media",
                    target_id: Some(row.id),
                    target_label: label_of(&row.file.original_name, &row.file.stored_name),
                    detail: format!("{} → {}", row.file.alt, alt),
                    ip: ctx.ip.clone(),
                };
                audit::record(&mut tx, &entry, now).await?;
            }
            tx.commit().await?;
            Ok(Redirect::to(&format!("/admin/anh/{}?da-luu=1", row.id)).into_response())
        }
        Err(message) => {
            let mut page = EditPage::new(row, form.alt);
            page.alt_error = Some(message.to_owned());
            page.render(&state, &ctx, StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
    }
}

pub(super) async fn delete(
    Page(state, ctx): Page,
    Editor(user): Editor,
    UrlPath(id): UrlPath<String>,
) -> Result<Response> {
    let row = find(&state, &id).await?;
    let name = MediaName::parse(&row.file.stored_name).ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!(
            "media {} has a malformed stored name",
            row.id
        ))
    })?;
    if !media_db::used_by(&state.db, &row.file.stored_name)
        .await?
        .is_empty()
    {
        let alt = row.file.alt.clone();
        let mut page = EditPage::new(row, alt);
        page.delete_error = Some(
            "Ảnh đang được dùng trong các bài viết dưới đây. Hãy gỡ ảnh khỏi các bài đó trước khi xoá."
                .to_owned(),
        );
        return page
            .render(&state, &ctx, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    }
    let now = time::now();
    let mut tx = state.db.begin().await?;
    if media_db::delete(&mut tx, row.id).await? == 0 {
        return Err(AppError::NotFound);
    }
    let entry = Entry {
        actor_id: Some(user.id),
        actor_label: user.email.clone(),
        action: "media.delete",
        target_type: "media",
        target_id: Some(row.id),
        target_label: label_of(&row.file.original_name, &row.file.stored_name),
        detail: row.file.stored_name.clone(),
        ip: ctx.ip.clone(),
    };
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    // Only once the row is gone for good: a failed commit keeps a working image.
    files::remove(&media::dir(&state.config.data_dir), &name).await;
    Ok(Redirect::to("/admin/anh").into_response())
}
