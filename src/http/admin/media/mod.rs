//! `/admin/anh`: the media library. Any writer uploads (with required alt text) and copies the
//! Markdown of an image; authors edit the alt text of their own images, editors of any; only
//! editors and admins delete.
//!
//! An upload is checked, decoded and re-encoded by [`crate::media`] on a blocking thread; its two
//! files are written (temp file, then rename) before the row and its audit entry are committed,
//! so a row never points at a missing or half-written file.

mod edit;
mod files;
mod library;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;

use crate::app::AppState;
use crate::db::media::MediaRow;
use crate::http::auth::CurrentUser;
use crate::policy::{self, Action, Target};
use crate::{media, time};

/// The body limit of the upload route. LOA_MAX_UPLOAD_MB is at most 100, and the form's other
/// fields are small; the configured limit itself is enforced while the file is read.
const UPLOAD_BODY_LIMIT: usize = (100 + 2) * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/anh",
            get(library::library)
                .post(library::upload)
                .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route("/anh/{id}", get(edit::edit_page).post(edit::save_alt))
        .route("/anh/{id}/xoa", post(edit::delete))
}

/// An image as the library and the edit page show it.
#[derive(Serialize)]
struct MediaItem {
    id: i64,
    url: String,
    thumb_url: String,
    alt: String,
    original_name: String,
    dimensions: String,
    size: String,
    uploader: String,
    date: String,
    markdown: String,
    can_edit: bool,
}

impl MediaItem {
    fn new(row: MediaRow, user: &CurrentUser) -> MediaItem {
        let file = row.file;
        MediaItem {
            url: format!("/media/{}", file.stored_name),
            thumb_url: format!("/media/{}?kich-thuoc=nho", file.stored_name),
            markdown: media::markdown(&file.alt, &file.stored_name),
            dimensions: format!("{} × {}", file.width, file.height),
            size: human_size(file.size_bytes),
            uploader: row
                .uploader_name
                .unwrap_or_else(|| "(tài khoản đã xoá)".to_owned()),
            date: time::format_datetime(row.created_at),
            can_edit: may_edit(user, row.uploaded_by),
            id: row.id,
            alt: file.alt,
            original_name: file.original_name,
        }
    }
}

/// The policy's `EditMedia` for an image uploaded by `uploaded_by`.
fn may_edit(user: &CurrentUser, uploaded_by: Option<i64>) -> bool {
    policy::may(user, Action::EditMedia, Target::Media { uploaded_by })
}

/// "1,5 MB", "320 KB": sizes as Vietnamese readers write them (decimal comma).
fn human_size(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0)).replace('.', ",")
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

/// The audit log's name for an image: its original file name, else its stored one.
fn label_of(original_name: &str, stored_name: &str) -> String {
    if original_name.is_empty() {
        stored_name.to_owned()
    } else {
        original_name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_vietnamese() {
        assert_eq!(human_size(1), "1 KB");
        assert_eq!(human_size(320 * 1024), "320 KB");
        assert_eq!(human_size(1536 * 1024), "1,5 MB");
    }
}
