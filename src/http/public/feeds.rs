//! Machine-readable views of the public site: Atom feeds (`/feed.xml`, `/chu-de/{slug}/feed.xml`)
//! and `/robots.txt`, with absolute URLs built from `LOA_BASE_URL`. The sitemap is in
//! [`super::sitemap`].

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::app::AppState;
use crate::db::articles::{self, Card};
use crate::db::topics;
use crate::error::{AppError, Result};
use crate::http::caching;
use crate::http::views::SiteView;
use crate::time::to_rfc3339_utc;

use super::xml;

/// Feed readers want the latest few, not the archive.
const FEED_ENTRIES: i64 = 20;

const ATOM: &str = "application/atom+xml; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// Paths crawlers have no business in: the admin and the pages of signed-in staff or secret links.
const PRIVATE_PATHS: &[&str] = &[
    "/admin",
    "/dang-nhap",
    "/dang-xuat",
    "/doi-mat-khau",
    "/can-xac-nhan",
    "/thong-bao",
    "/xem-truoc/",
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/feed.xml", get(site_feed))
        .route("/chu-de/{slug}/feed.xml", get(topic_feed))
        .route("/robots.txt", get(robots))
}

/// `path` (starting with `/`) as an absolute URL of the site.
pub(super) fn absolute(state: &AppState, path: &str) -> String {
    state
        .config
        .base_url
        .join(path)
        .map(|u| u.to_string())
        .unwrap_or_else(|_| path.to_owned())
}

/// What a feed is about: its own URL, the HTML page it mirrors and its title.
struct FeedHead {
    self_path: String,
    page_path: String,
    title: String,
    subtitle: String,
}

async fn site_feed(State(state): State<AppState>) -> Result<Response> {
    let site = SiteView::load(&state).await?;
    let rows = articles::list_published(&state.db, FEED_ENTRIES, 0).await?;
    let head = FeedHead {
        self_path: "/feed.xml".to_owned(),
        page_path: "/".to_owned(),
        subtitle: format!("Tin bài, tài liệu tuyên truyền của {}", site.name),
        title: site.name.clone(),
    };
    feed_response(&state, &site, &head, rows).await
}

async fn topic_feed(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Response> {
    let topic = topics::by_slug(&state.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let rows = articles::list_published_in_topic(&state.db, topic.id, FEED_ENTRIES, 0).await?;
    // Like its page, a topic with nothing published does not exist for the public.
    if rows.is_empty() {
        return Err(AppError::NotFound);
    }
    let site = SiteView::load(&state).await?;
    let head = FeedHead {
        self_path: format!("/chu-de/{}/feed.xml", topic.slug),
        page_path: format!("/chu-de/{}", topic.slug),
        title: format!("{} – Chủ đề: {}", site.name, topic.name),
        subtitle: format!("Các bài viết về {}", topic.name),
    };
    feed_response(&state, &site, &head, rows).await
}

/// The feed with its `Last-Modified`: the latest change of any article (one leaving the feed
/// changes it too) or of the site's details.
async fn feed_response(
    state: &AppState,
    site: &SiteView,
    head: &FeedHead,
    rows: Vec<Card>,
) -> Result<Response> {
    let changed = articles::last_change(&state.db).await?.max(site.changed_at);
    let body = atom(state, site, head, rows).await?;
    let mut response = ([(header::CONTENT_TYPE, ATOM)], body).into_response();
    if let Some(t) = changed {
        response
            .headers_mut()
            .insert(header::LAST_MODIFIED, caching::last_modified(t));
    }
    Ok(response)
}

/// An entry's id must never change, even when its slug does, so it is a `tag:` URI (RFC 4151)
/// built from the site's host, the day the article was created and its database id.
fn entry_id(state: &AppState, a: &Card) -> String {
    let host = state.config.base_url.host_str().unwrap_or("localhost");
    format!(
        "tag:{host},{}:loa/article/{}",
        a.created_at.format("%Y-%m-%d"),
        a.id
    )
}

/// The Atom 1.0 document (RFC 4287) of these articles, already newest first.
async fn atom(
    state: &AppState,
    site: &SiteView,
    head: &FeedHead,
    rows: Vec<Card>,
) -> Result<String> {
    let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
    let mut topics_of = topics::for_articles(&state.db, &ids).await?;
    // A feed changes when any of its entries does; an empty feed takes the time it is asked for.
    let updated = rows
        .iter()
        .map(|a| a.updated_at)
        .max()
        .unwrap_or_else(crate::time::now);

    let mut w = xml::Writer::new();
    w.open(
        "feed",
        &[("xmlns", "http://www.w3.org/2005/Atom"), ("xml:lang", "vi")],
    );
    w.text("id", &[], &absolute(state, &head.self_path));
    w.text("title", &[], &head.title);
    w.text("subtitle", &[], &head.subtitle);
    w.text("updated", &[], &to_rfc3339_utc(updated));
    w.empty(
        "link",
        &[
            ("rel", "self"),
            ("type", "application/atom+xml"),
            ("href", &absolute(state, &head.self_path)),
        ],
    );
    w.empty(
        "link",
        &[
            ("rel", "alternate"),
            ("type", "text/html"),
            ("href", &absolute(state, &head.page_path)),
        ],
    );
    w.open("author", &[]);
    w.text("name", &[], &site.name);
    if !site.website.is_empty() {
        w.text("uri", &[], &site.website);
    }
    w.close("author");
    w.text("generator", &[], "Loa");

    for a in rows {
        let url = absolute(state, &format!("/bai-viet/{}", a.slug));
        w.open("entry", &[]);
        w.text("id", &[], &entry_id(state, &a));
        w.text("title", &[("type", "text")], &a.title);
        w.text("updated", &[], &to_rfc3339_utc(a.updated_at));
        w.text(
            "published",
            &[],
            &to_rfc3339_utc(a.publish_at.unwrap_or(a.created_at)),
        );
        w.empty(
            "link",
            &[("rel", "alternate"), ("type", "text/html"), ("href", &url)],
        );
        // The summary readers see on cards; the search-engine description when there is none.
        let summary = if a.summary.is_empty() {
            &a.meta_description
        } else {
            &a.summary
        };
        if !summary.is_empty() {
            w.text("summary", &[("type", "text")], summary);
        }
        for t in topics_of.remove(&a.id).unwrap_or_default() {
            let scheme = absolute(state, &format!("/chu-de/{}", t.slug));
            w.empty(
                "category",
                &[("term", &t.slug), ("label", &t.name), ("scheme", &scheme)],
            );
        }
        w.close("entry");
    }
    w.close("feed");
    Ok(w.finish())
}

async fn robots(State(state): State<AppState>) -> Response {
    let mut body = String::from("User-agent: *\n");
    for path in PRIVATE_PATHS {
        body.push_str("Disallow: ");
        body.push_str(path);
        body.push('\n');
    }
    body.push_str("\nSitemap: ");
    body.push_str(&absolute(&state, "/sitemap.xml"));
    body.push('\n');
    ([(header::CONTENT_TYPE, TEXT)], body).into_response()
}
