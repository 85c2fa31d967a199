//! The sitemap (sitemaps.org 0.9): `/sitemap.xml`, the fixed address robots.txt gives, is always
//! a sitemap index; it lists `/sitemap-trang.xml` (home, topics, public campaigns) and one
//! `/sitemap-bai-viet-N.xml` per block of article ids that holds a live article (see
//! `db::sitemap`). Every file holds at most `db::sitemap::PART` URLs, so each is small enough for
//! the page cache, and each is read through an index.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};

use crate::app::AppState;
use crate::db::sitemap::{self, Part, PART};
use crate::error::{AppError, Result};
use crate::time::to_rfc3339_utc;

use super::feeds::absolute;
use super::xml;

const XML: &str = "application/xml; charset=utf-8";
const NAMESPACE: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
/// The file of the pages that are not articles.
const PAGES: &str = "/sitemap-trang.xml";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sitemap.xml", get(index))
        .route(PAGES, get(pages))
        .route("/sitemap-bai-viet-{file}", get(articles))
}

/// The address of file `number` of articles.
fn part_path(number: i64) -> String {
    format!("/sitemap-bai-viet-{number}.xml")
}

/// A line of a sitemap: a path of the site and when its page last changed.
type Line = (String, Option<DateTime<Utc>>);

/// The index: the pages' file, then every file of articles, each with its newest change.
async fn index(State(state): State<AppState>) -> Result<Response> {
    let parts = sitemap::parts(&state.db).await?;
    let pages_lastmod = page_lines(&state, &parts)
        .await?
        .into_iter()
        .flat_map(|l| l.1)
        .max();
    let files = std::iter::once((PAGES.to_owned(), pages_lastmod))
        .chain(parts.iter().map(|p| (part_path(p.number), Some(p.lastmod))));
    Ok(document(&state, "sitemapindex", "sitemap", files))
}

async fn pages(State(state): State<AppState>) -> Result<Response> {
    let parts = sitemap::parts(&state.db).await?;
    let lines = page_lines(&state, &parts).await?;
    Ok(document(&state, "urlset", "url", lines))
}

/// `/sitemap-bai-viet-N.xml`: the live articles of block N, in id order. A block without one (a
/// number past the last, or anything that is not a number as written by [`part_path`]) is 404.
async fn articles(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response> {
    let number = file
        .strip_suffix(".xml")
        .and_then(|n| {
            n.parse::<i64>()
                .ok()
                .filter(|p| *p >= 1 && p.to_string() == n)
        })
        .ok_or(AppError::NotFound)?;
    let rows = sitemap::part(&state.db, number).await?;
    if rows.is_empty() {
        return Err(AppError::NotFound);
    }
    let lines = rows
        .into_iter()
        .map(|a| (format!("/bai-viet/{}", a.slug), Some(a.lastmod)));
    Ok(document(&state, "urlset", "url", lines))
}

/// The home page and the topics' list (changed with the newest article), the public campaigns
/// and the topics with a live article, at most [`PART`] in all (a site with more topics than
/// that would lose the last ones alphabetically: no such site is in sight).
async fn page_lines(state: &AppState, parts: &[Part]) -> Result<Vec<Line>> {
    let newest = parts.iter().map(|p| p.lastmod).max();
    let campaigns = sitemap::campaigns(&state.db, PART - 2).await?;
    let room = PART - 2 - campaigns.len() as i64;
    let topics = sitemap::topics(&state.db, room).await?;
    let mut lines = vec![("/".to_owned(), newest), ("/chu-de".to_owned(), newest)];
    lines.extend(
        campaigns
            .into_iter()
            .map(|c| (format!("/chien-dich/{}", c.slug), Some(c.lastmod))),
    );
    lines.extend(
        topics
            .into_iter()
            .map(|t| (format!("/chu-de/{}", t.slug), Some(t.lastmod))),
    );
    Ok(lines)
}

/// A `urlset` of `url`s or a `sitemapindex` of `sitemap`s: the two have the same lines.
fn document(
    state: &AppState,
    root: &str,
    item: &str,
    lines: impl IntoIterator<Item = Line>,
) -> Response {
    let mut w = xml::Writer::new();
    w.open(root, &[("xmlns", NAMESPACE)]);
    for (path, lastmod) in lines {
        w.open(item, &[]);
        w.text("loc", &[], &absolute(state, &path));
        if let Some(t) = lastmod {
            w.text("lastmod", &[], &to_rfc3339_utc(t));
        }
        w.close(item);
    }
    w.close(root);
    ([(header::CONTENT_TYPE, XML)], w.finish()).into_response()
}
