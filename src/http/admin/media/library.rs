//! The library page and the upload: read the form within limits, process the image on a
//! blocking thread, write its files, then commit the row with its audit entry.

use axum::extract::{Multipart, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::{files, label_of, MediaItem};
use crate::account::Role;
use crate::app::AppState;
use crate::db::audit::{self, Entry};
use crate::db::media::{self as media_db, MediaFile, NewMedia};
use crate::error::{AppError, Result};
use crate::http::auth::{self, Ctx, CurrentUser, Page};
use crate::http::views::{Layout, PageQuery, Pagination};
use crate::media::{self, MediaName, Processed};
use crate::time;

/// Images per library page.
const PAGE_SIZE: i64 = 24;
/// Longest alt field read from a multipart form, in bytes.
const ALT_FIELD_LIMIT: usize = 8 * 1024;

/// The upload form as it was sent, with the messages beside its fields.
#[derive(Default, Serialize)]
struct UploadForm {
    alt: String,
    alt_error: Option<String>,
    file_error: Option<String>,
}

#[derive(Serialize)]
struct LibraryView {
    #[serde(flatten)]
    layout: Layout,
    form: UploadForm,
    items: Vec<MediaItem>,
    total: i64,
    pagination: Pagination,
    max_mb: usize,
    /// The image just uploaded.
    uploaded: Option<i64>,
}

#[derive(Deserialize)]
pub(super) struct LibraryQuery {
    trang: Option<String>,
    moi: Option<i64>,
}

pub(super) async fn library(
    Page(state, ctx): Page,
    Query(q): Query<LibraryQuery>,
) -> Result<Response> {
    let page = PageQuery { trang: q.trang }.number()?;
    render_library(
        &state,
        &ctx,
        page,
        UploadForm::default(),
        q.moi,
        StatusCode::OK,
    )
    .await
}

async fn render_library(
    state: &AppState,
    ctx: &Ctx,
    page: i64,
    form: UploadForm,
    uploaded: Option<i64>,
    status: StatusCode,
) -> Result<Response> {
    let user = ctx.require(Role::Author)?;
    let total = media_db::count(&state.db).await?;
    let pagination = paginate(page, total)?;
    let items = media_db::list(&state.db, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        .await?
        .into_iter()
        .map(|r| MediaItem::new(r, user))
        .collect();
    let view = LibraryView {
        layout: Layout::load(
            state,
            ctx,
            "Thư viện ảnh",
            "Ảnh dùng trong bài viết",
            "/admin/anh",
        )
        .await?,
        form,
        items,
        total,
        pagination,
        max_mb: state.config.max_upload_bytes / (1024 * 1024),
        uploaded,
    };
    state.templates.respond(status, "admin/media.html", &view)
}

fn paginate(current: i64, items: i64) -> Result<Pagination> {
    let total = ((items + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    if current > total {
        return Err(AppError::NotFound);
    }
    let url = |n: i64| match n {
        1 => "/admin/anh".to_owned(),
        n => format!("/admin/anh?trang={n}"),
    };
    Ok(Pagination {
        current,
        total,
        prev: (current > 1).then(|| url(current - 1)),
        next: (current < total).then(|| url(current + 1)),
    })
}

/// What the upload form sent.
#[derive(Default)]
struct Upload {
    /// The form's CSRF token (the session layer leaves multipart forms to their handler).
    csrf: Option<String>,
    alt: String,
    file_name: Option<String>,
    bytes: Vec<u8>,
    too_large: bool,
}

/// Reads the form, keeping at most `max` bytes of the file: the rest of an oversized file is
/// read and dropped, so the alt text after it still arrives and memory stays bounded.
async fn read_upload(form: &mut Multipart, max: usize) -> Result<Upload, StatusCode> {
    let mut up = Upload::default();
    while let Some(mut field) = form.next_field().await.map_err(|e| e.status())? {
        match field.name() {
            Some("csrf") => {
                let mut text = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(|e| e.status())? {
                    if text.len() + chunk.len() <= ALT_FIELD_LIMIT {
                        text.extend_from_slice(&chunk);
                    }
                }
                up.csrf = Some(String::from_utf8_lossy(&text).into_owned());
            }
            Some("alt") => {
                let mut text = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(|e| e.status())? {
                    if text.len() + chunk.len() <= ALT_FIELD_LIMIT {
                        text.extend_from_slice(&chunk);
                    }
                }
                up.alt = String::from_utf8_lossy(&text).into_owned();
            }
            Some("file") => {
                up.file_name = field.file_name().map(media::clean_file_name);
                while let Some(chunk) = field.chunk().await.map_err(|e| e.status())? {
                    if up.too_large || up.bytes.len() + chunk.len() > max {
                        up.too_large = true;
                        up.bytes = Vec::new();
                    } else {
                        up.bytes.extend_from_slice(&chunk);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(up)
}

pub(super) async fn upload(Page(state, ctx): Page, mut form: Multipart) -> Result<Response> {
    let user = ctx.require(Role::Author)?.clone();
    let max = state.config.max_upload_bytes;
    let max_mb = max / (1024 * 1024);
    let up = match read_upload(&mut form, max).await {
        Ok(up) => {
            auth::check_form_token(&ctx, up.csrf.as_deref())?;
            up
        }
        Err(StatusCode::PAYLOAD_TOO_LARGE) => return Err(AppError::TooLarge),
        Err(_) => {
            let form = UploadForm {
                file_error: Some("Không đọc được dữ liệu gửi lên. Hãy thử lại.".to_owned()),
                ..UploadForm::default()
            };
            return refuse(&state, &ctx, form, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };

    let mut form = UploadForm {
        alt: up.alt.clone(),
        ..UploadForm::default()
    };
    let alt = media::clean_alt(&up.alt).map_err(|m| form.alt_error = Some(m.to_owned()));
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if up.too_large {
        form.file_error = Some(format!(
            "Tệp lớn hơn giới hạn {max_mb} MB. Hãy thu nhỏ ảnh hoặc chọn ảnh khác."
        ));
        status = StatusCode::PAYLOAD_TOO_LARGE;
    } else if up.bytes.is_empty() {
        form.file_error = Some("Hãy chọn một tệp ảnh.".to_owned());
    }
    let Ok(alt) = alt else {
        return refuse(&state, &ctx, form, status).await;
    };
    if form.file_error.is_some() {
        return refuse(&state, &ctx, form, status).await;
    }

    let bytes = up.bytes;
    let processed = tokio::task::spawn_blocking(move || media::process(&bytes))
        .await
        .map_err(|e| anyhow::Error::new(e).context("the image task failed"))?;
    let processed = match processed {
        Ok(p) => p,
        Err(e) if e.is_user_error() => {
            form.file_error = Some(e.to_string());
            return refuse(&state, &ctx, form, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        Err(e) => return Err(anyhow::Error::new(e).into()),
    };

    let name = MediaName::random(processed.format);
    let dir = media::dir(&state.config.data_dir);
    files::store(&dir, &name, &processed).await?;
    let original_name = up.file_name.unwrap_or_default();
    let new = NewMedia {
        file: MediaFile {
            stored_name: name.file_name(),
            original_name: original_name.clone(),
            content_type: processed.format.content_type().to_owned(),
            width: i64::from(processed.width),
            height: i64::from(processed.height),
            size_bytes: processed.display.len() as i64,
            alt,
        },
        uploaded_by: user.id,
    };
    let id = match insert_with_audit(&state, &ctx, &user, &new, &processed).await {
        Ok(id) => id,
        Err(e) => {
            // Nothing refers to the files yet: take them back.
            files::remove(&dir, &name).await;
            return Err(e.into());
        }
    };
    Ok(Redirect::to(&format!("/admin/anh?moi={id}")).into_response())
}

async fn insert_with_audit(
    state: &AppState,
    ctx: &Ctx,
    user: &CurrentUser,
    new: &NewMedia,
    processed: &Processed,
) -> Result<i64, crate::db::DbError> {
    let now = time::now();
    let mut tx = state.db.begin().await?;
    let id = media_db::insert(&mut tx, new, now).await?;
    let entry = Entry {
        actor_id: Some(user.id),
        actor_label: user.email.clone(),
        action: "media.upload",
        target_type: "media",
        target_id: Some(id),
        target_label: label_of(&new.file.original_name, &new.file.stored_name),
        detail: format!(
            "{} ({:?} → {} × {})",
            new.file.stored_name, processed.source, processed.width, processed.height
        ),
        ip: ctx.ip.clone(),
    };
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// The library page again, with the form's messages, and nothing stored.
async fn refuse(
    state: &AppState,
    ctx: &Ctx,
    form: UploadForm,
    status: StatusCode,
) -> Result<Response> {
    render_library(state, ctx, 1, form, None, status).await
}
