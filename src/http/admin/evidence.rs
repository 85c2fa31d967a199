//! `/admin/bai-viet/{id}/xac-nhan/bang-chung`: the evidence of an article's acknowledgments.
//! Exporting (POST) writes every event with its version's SHA-256 to a CSV or workbook, stores
//! the file for a day, records its own SHA-256 in the audit log and shows it on screen, so a
//! printed report can later be matched with the file. Editors and admins.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::{Deserialize, Serialize};

use super::acks::load;
use crate::app::AppState;
use crate::db::ack_status::AckArticle;
use crate::db::evidence::{self, ExportRow, NewExport};
use crate::db::{ack_settings, audit};
use crate::error::{AppError, Result};
use crate::http::admin::exports::{self, Subject};
use crate::http::auth::{Ctx, Editor, Page};
use crate::http::views::Layout;
use crate::report::{File, Format};
use crate::time;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bai-viet/{id}/xac-nhan/bang-chung", get(show).post(create))
        .route("/bai-viet/{id}/xac-nhan/bang-chung/{export}", get(show_one))
        .route(
            "/bai-viet/{id}/xac-nhan/bang-chung/{export}/tai-ve",
            get(download),
        )
}

#[derive(Serialize)]
struct ExportView {
    id: i64,
    format: &'static str,
    file_name: String,
    sha256: String,
    size: String,
    events: i64,
    by: String,
    at: String,
    available: bool,
    download: String,
}

impl ExportView {
    fn new(e: ExportRow) -> ExportView {
        ExportView {
            download: format!(
                "/admin/bai-viet/{}/xac-nhan/bang-chung/{}/tai-ve",
                e.article_id, e.id
            ),
            id: e.id,
            format: if e.format == "xlsx" { "Excel" } else { "CSV" },
            file_name: e.file_name,
            sha256: e.sha256,
            size: size_label(e.size),
            events: e.events,
            by: e.created_by_label,
            at: time::format_datetime(e.created_at),
            available: e.available,
        }
    }
}

/// `12,3 kB`: sizes as people read them.
fn size_label(bytes: i64) -> String {
    if bytes < 1024 {
        format!("{bytes} byte")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} kB", bytes as f64 / 1024.0).replace('.', ",")
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0)).replace('.', ",")
    }
}

#[derive(Serialize)]
struct EvidenceView {
    #[serde(flatten)]
    layout: Layout,
    article_id: i64,
    title: String,
    slug: String,
    version: i64,
    text_hash: String,
    kept_hours: i64,
    current: Option<ExportView>,
    exports: Vec<ExportView>,
    error: String,
}

async fn render(
    state: &AppState,
    ctx: &Ctx,
    ack: AckArticle,
    current: Option<ExportRow>,
    error: String,
    status: StatusCode,
) -> Result<Response> {
    let exports = evidence::exports(&state.db, ack.article_id).await?;
    let path = format!("/admin/bai-viet/{}/xac-nhan/bang-chung", ack.article_id);
    let view = EvidenceView {
        layout: Layout::load(
            state,
            ctx,
            &format!("Bằng chứng xác nhận: {}", ack.title),
            "Xuất bằng chứng xác nhận đã đọc",
            &path,
        )
        .await?,
        article_id: ack.article_id,
        version: ack.terms.current_version,
        text_hash: ack.text_hash.unwrap_or_default(),
        kept_hours: evidence::KEPT_HOURS,
        current: current.map(ExportView::new),
        exports: exports.into_iter().map(ExportView::new).collect(),
        error,
        title: ack.title,
        slug: ack.slug,
    };
    state
        .templates
        .respond(status, "admin/ack_evidence.html", &view)
}

async fn show(Page(state, ctx): Page, _: Editor, Path(id): Path<i64>) -> Result<Response> {
    let ack = load(&state, id).await?;
    render(&state, &ctx, ack, None, String::new(), StatusCode::OK).await
}

async fn show_one(
    Page(state, ctx): Page,
    _: Editor,
    Path((id, export)): Path<(i64, i64)>,
) -> Result<Response> {
    let ack = load(&state, id).await?;
    let row = evidence::export(&state.db, id, export)
        .await?
        .ok_or(AppError::NotFound)?;
    render(&state, &ctx, ack, Some(row), String::new(), StatusCode::OK).await
}

#[derive(Deserialize)]
struct CreateForm {
    #[serde(default)]
    dinh_dang: String,
}

async fn create(
    Page(state, ctx): Page,
    Editor(user): Editor,
    Path(id): Path<i64>,
    Form(form): Form<CreateForm>,
) -> Result<Response> {
    let ack = load(&state, id).await?;
    let Some(format) = Format::from_ext(&form.dinh_dang) else {
        let error = "Hãy chọn định dạng tệp: CSV hoặc Excel.".to_owned();
        return render(
            &state,
            &ctx,
            ack,
            None,
            error,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let events = evidence::events(&state.db, ack.article_id).await?;
    let versions = ack_settings::versions(&state.db, ack.article_id).await?;
    let count = events.len() as i64;
    let rounds = crate::db::ack_rounds::due_dates(&state.db, ack.article_id).await?;
    let sheets = crate::report::acks::evidence(&events, &versions, &rounds);
    let file = exports::render(
        format,
        format!("{}-bang-chung", ack.slug),
        format!("{} — Bằng chứng xác nhận đã đọc", ack.title),
        sheets,
    )
    .await?;
    let sha256 = file.sha256();
    let subject = Subject {
        action: "evidence.export",
        target_type: "article",
        target_id: Some(ack.article_id),
        target_label: ack.title.clone(),
        note: String::new(),
    };
    let entry = exports::entry(&ctx, &subject, &file, &sha256)?;
    let now = time::now();
    // The stored file and its audit entry exist together or not at all.
    let mut tx = state.db.begin().await?;
    let export_id = evidence::insert(
        &mut tx,
        &NewExport {
            article_id: ack.article_id,
            format: format.ext(),
            file_name: &file.name,
            sha256: &sha256,
            events: count,
            content: &file.bytes,
            created_by: user.id,
            created_by_label: &user.email,
        },
        now,
    )
    .await?;
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "/admin/bai-viet/{id}/xac-nhan/bang-chung/{export_id}"
    ))
    .into_response())
}

/// The stored file, byte for byte what was hashed; audited like any export.
async fn download(
    Page(state, ctx): Page,
    _: Editor,
    Path((id, export)): Path<(i64, i64)>,
) -> Result<Response> {
    let row = evidence::export(&state.db, id, export)
        .await?
        .ok_or(AppError::NotFound)?;
    let bytes = evidence::content(&state.db, id, export)
        .await?
        .ok_or(AppError::NotFound)?;
    let format = Format::from_ext(&row.format).ok_or(AppError::NotFound)?;
    let ack = load(&state, id).await?;
    let file = File {
        name: row.file_name,
        format,
        bytes,
        rows: row.events as usize,
    };
    let subject = Subject {
        action: "evidence.download",
        target_type: "article",
        target_id: Some(id),
        target_label: ack.title,
        note: String::new(),
    };
    exports::deliver(&state, &ctx, file, &subject).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size_label(900), "900 byte");
        assert_eq!(size_label(12_595), "12,3 kB");
        assert_eq!(size_label(3 * 1024 * 1024), "3,0 MB");
    }
}
