//! Sending a report file: written on a blocking thread (a large workbook is CPU work), recorded in
//! the audit log with who exported what and the file's SHA-256 before the bytes leave, and sent
//! as an attachment that nothing caches.

use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::db::audit;
use crate::error::{AppError, Result};
use crate::http::auth::Ctx;
use crate::report::{File, Format, Sheet};
use crate::time;

/// What an export is about, for the audit log.
#[derive(Clone, Debug)]
pub struct Subject {
    /// `report.export`, `evidence.export`, …
    pub action: &'static str,
    pub target_type: &'static str,
    pub target_id: Option<i64>,
    pub target_label: String,
    /// Said after the file's description (the scope of a campaign report, say); may be empty.
    pub note: String,
}

/// `danh-sach.xlsx` → (`danh-sach`, Xlsx); None for an unknown extension.
pub fn split_file_name(name: &str) -> Option<(&str, Format)> {
    let (report, ext) = name.rsplit_once('.')?;
    Some((report, Format::from_ext(ext)?))
}

/// Writes `sheets` as `format` off the async workers.
pub async fn render(
    format: Format,
    slug: String,
    title: String,
    sheets: Vec<Sheet>,
) -> Result<File> {
    let now = time::now();
    tokio::task::spawn_blocking(move || File::render(format, &slug, &title, &sheets, now))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(AppError::Internal)
}

/// The audit entry of an export: the file's name, its rows and its SHA-256.
pub fn entry(ctx: &Ctx, subject: &Subject, file: &File, sha256: &str) -> Result<audit::Entry> {
    let user = ctx.user()?;
    Ok(audit::Entry {
        actor_id: Some(user.id),
        actor_label: user.email.clone(),
        action: subject.action,
        target_type: subject.target_type,
        target_id: subject.target_id,
        target_label: subject.target_label.clone(),
        detail: if subject.note.is_empty() {
            format!("{}: {} dòng, SHA-256 {sha256}", file.name, file.rows)
        } else {
            format!(
                "{}: {} dòng, SHA-256 {sha256} ({})",
                file.name, file.rows, subject.note
            )
        },
        ip: ctx.ip.clone(),
    })
}

/// Audits the export, then sends it.
pub async fn deliver(
    state: &AppState,
    ctx: &Ctx,
    file: File,
    subject: &Subject,
) -> Result<Response> {
    let e = entry(ctx, subject, &file, &file.sha256())?;
    audit::record_now(&state.db, &e, time::now()).await?;
    Ok(attachment(file))
}

/// The file as a download.
pub fn attachment(file: File) -> Response {
    (
        [
            (header::CONTENT_TYPE, file.format.content_type().to_owned()),
            (header::CONTENT_DISPOSITION, file.content_disposition()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        file.bytes,
    )
        .into_response()
}
