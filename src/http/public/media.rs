//! `/media/{name}`: uploaded images, and `?kich-thuoc=nho` for their thumbnails.
//!
//! Names are random and a file never changes once written, so responses are cached for a year
//! as immutable. Only names of the exact random shape reach the file system (no traversal), and
//! the content type follows the extension we chose ourselves when encoding.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use crate::app::AppState;
use crate::error::{AppError, Result};
use crate::media::{self, MediaName};

pub fn router() -> Router<AppState> {
    Router::new().route("/media/{name}", get(serve))
}

#[derive(Deserialize)]
struct SizeQuery {
    #[serde(rename = "kich-thuoc")]
    size: Option<String>,
}

async fn serve(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<SizeQuery>,
) -> Result<Response> {
    let name = MediaName::parse(&name).ok_or(AppError::NotFound)?;
    let file = match q.size.as_deref() {
        None => name.file_name(),
        Some("nho") => name.thumb_file_name(),
        Some(_) => return Err(AppError::NotFound),
    };
    let bytes = match tokio::fs::read(media::dir(&state.config.data_dir).join(file)).await {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(AppError::NotFound),
        Err(e) => return Err(anyhow::Error::new(e).context("reading a media file").into()),
    };
    Ok((
        [
            (header::CONTENT_TYPE, name.format().content_type()),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        bytes,
    )
        .into_response())
}
