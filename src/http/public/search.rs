//! `/tim-kiem?q=&trang=`: full-text search over published articles, diacritics optional.
//!
//! The database finds and ranks the articles holding every term (the same integer score on both,
//! see [`crate::db::search::ranked_page`]); snippets are cut here from the original text.

use axum::extract::Query;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::db::{self, articles};
use crate::error::{AppError, Result};
use crate::http::auth::Page;
use crate::http::views::{Layout, PAGE_SIZE};
use crate::search::{self, Segment};
use crate::time;

pub fn router() -> Router<AppState> {
    Router::new().route("/tim-kiem", get(search_page))
}

#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
    trang: Option<String>,
}

#[derive(Serialize)]
struct Hit {
    slug: String,
    title: Vec<Segment>,
    snippet: Vec<Segment>,
    date: String,
    date_iso: String,
}

/// Same fields as [`crate::http::views::Pagination`], whose links cannot carry `q`.
#[derive(Serialize)]
struct Pager {
    current: i64,
    total: i64,
    prev: Option<String>,
    next: Option<String>,
}

#[derive(Serialize)]
struct SearchView {
    #[serde(flatten)]
    layout: Layout,
    /// The query as typed (shown back in the box, escaped by the template).
    query: String,
    /// "empty" (nothing typed), "no_terms" (nothing searchable), "none" (no result), "results".
    state: &'static str,
    found: i64,
    hits: Vec<Hit>,
    pagination: Pager,
}

fn page_url(query: &str, n: i64) -> String {
    let q: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
    match n {
        1 => format!("/tim-kiem?q={q}"),
        n => format!("/tim-kiem?q={q}&trang={n}"),
    }
}

async fn search_page(
    Page(state, ctx): Page,
    Query(sq): Query<SearchQuery>,
) -> Result<Html<String>> {
    let page = match sq.trang.as_deref() {
        None | Some("") => 1,
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|&n| (1..=1_000_000).contains(&n))
            .ok_or(AppError::NotFound)?,
    };
    // A pasted 10 kB query is shown back (and linked) only in part.
    let query = search::clip(sq.q.as_deref().unwrap_or_default().trim(), 200)
        .trim()
        .to_owned();
    let terms = search::terms(&query);
    let (ids, found) =
        db::search::ranked_page(&state.db, &terms, PAGE_SIZE, (page - 1) * PAGE_SIZE).await?;
    let total = ((found + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    // Past the last page (an empty page tells no total, hence the first check).
    if (ids.is_empty() && page > 1) || page > total {
        return Err(AppError::NotFound);
    }
    let mut hits = Vec::new();
    for row in articles::by_ids(&state.db, &ids).await? {
        let snippet = search::snippet(&search::plain_text(&row.body), &terms)
            .or_else(|| search::snippet(&row.summary, &terms))
            .unwrap_or_else(|| search::opening(&row.summary));
        let when = row.publish_at.unwrap_or(row.created_at);
        hits.push(Hit {
            title: search::highlight(&row.title, &terms),
            slug: row.slug,
            snippet,
            date: time::format_date(when),
            date_iso: time::to_rfc3339_utc(when),
        });
    }
    let view_state = if query.is_empty() {
        "empty"
    } else if terms.is_empty() {
        "no_terms"
    } else if found == 0 {
        "none"
    } else {
        "results"
    };
    let title = if query.is_empty() {
        "Tìm kiếm".to_owned()
    } else {
        format!("Tìm kiếm: {query}")
    };
    let view = SearchView {
        layout: Layout::load(
            &state,
            &ctx,
            &title,
            "Tìm bài viết theo tiêu đề, tóm tắt, chủ đề và nội dung",
            "/tim-kiem",
        )
        .await?,
        state: view_state,
        found,
        hits,
        pagination: Pager {
            current: page,
            total,
            prev: (page > 1).then(|| page_url(&query, page - 1)),
            next: (page < total).then(|| page_url(&query, page + 1)),
        },
        query,
    };
    Ok(Html(state.templates.render("search.html", &view)?))
}
