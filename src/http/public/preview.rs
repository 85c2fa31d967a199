//! `/xem-truoc/{token}`: the secret preview of an unpublished article, for whoever holds the
//! link. Only the token's SHA-256 is stored; a revoked, expired (`LOA_PREVIEW_LINK_DAYS`) or
//! unknown token, or one of an archived or deleted article, is a 404, and the page asks search
//! engines not to index it.

use axum::extract::Path;
use axum::http::{header, HeaderName};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;

use crate::app::AppState;
use crate::article::ArticleStatus;
use crate::db::{articles, sessions, topics};
use crate::error::{AppError, Result};
use crate::http::auth::Page;
use crate::http::views::{ArticleView, Layout};
use crate::time;

pub fn router() -> Router<AppState> {
    Router::new().route("/xem-truoc/{token}", get(preview))
}

#[derive(Serialize)]
struct PreviewPage {
    #[serde(flatten)]
    layout: Layout,
    status_label: &'static str,
    article: ArticleView,
}

async fn preview(Page(state, ctx): Page, Path(token): Path<String>) -> Result<Response> {
    // Tokens are 64 hex digits; anything else cannot match and costs no query.
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound);
    }
    let row =
        articles::by_preview_token_hash(&state.db, &sessions::hash_token(&token), time::now())
            .await?
            .ok_or(AppError::NotFound)?;
    if row.status() == ArticleStatus::Published {
        return Ok(Redirect::to(&format!("/bai-viet/{}", row.slug)).into_response());
    }
    let mut topic_map = topics::for_articles(&state.db, &[row.id]).await?;
    let topic_rows = topic_map.remove(&row.id).unwrap_or_default();
    // No canonical address: the page must not be found, shared or indexed.
    let mut layout = Layout::load(&state, &ctx, &row.title, &row.summary, "/").await?;
    layout.canonical = String::new();
    let view = PreviewPage {
        layout,
        status_label: row.status().label(),
        article: ArticleView::new(row, &topic_rows),
    };
    let html = state.templates.render("preview.html", &view)?;
    Ok((
        [
            (HeaderName::from_static("x-robots-tag"), "noindex, nofollow"),
            (header::CACHE_CONTROL, "private, no-store"),
            // The token is in the address: links followed from the page must not carry it.
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Html(html),
    )
        .into_response())
}
