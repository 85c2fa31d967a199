//! HTTP caching, decided once for every response: who may keep it (`Cache-Control`), its ETag,
//! a bodiless 304 when the client already holds that exact response, and whether the page cache
//! keeps it.
//!
//! A page a visitor without a session gets is the same for everyone (no cookie, no token), so
//! it is `public` for browsers, proxies and CDNs, for a short while set in the configuration
//! (`LOA_CACHE_MAX_AGE`, `LOA_CACHE_STALE_WHILE_REVALIDATE`), and the page cache
//! (`http::page_cache`) keeps it. A signed-in visitor's page shows their name and their pending
//! items: `private, no-cache`. The ETag is a hash of the body itself rather than of database
//! timestamps: it can never be stale (a publication, an edit, a scheduled job or a changed site
//! name all change the bytes), and it needs no knowledge of what each page reads.
//!
//! Article pages and feeds also say when they last changed (`Last-Modified`, set by their
//! handlers from the stored times), for feed readers and crawlers that revalidate with
//! `If-Modified-Since` alone; when a client sends both, the ETag decides (RFC 9110 §13.2.2).

use std::sync::LazyLock;

use axum::body::{to_bytes, Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::auth::Ctx;
use super::page_cache::{Fill, Storable, MAX_PAGE};
use crate::app::AppState;

/// Bodies larger than this are passed through untouched rather than held in memory to hash.
const MAX_HASHED_BODY: usize = 4 * 1024 * 1024;

/// The middleware: hashes eligible 200 responses, says who may keep them, answers 304 to a
/// matching If-None-Match, and marks what the page cache keeps.
pub async fn conditional(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let eligible_method = matches!(*request.method(), Method::GET | Method::HEAD);
    let validators = Validators::of(request.headers());
    let filling = request.extensions().get::<Fill>().is_some();
    let response = next.run(request).await;
    if !eligible_method || !is_cacheable(&response) {
        return response;
    }

    // Only bodies of a known, modest size are held to hash: a streamed or large download (a CSV
    // export) passes through as it came.
    let known_size = HttpBody::size_hint(response.body()).exact();
    if known_size.is_none_or(|n| n > MAX_HASHED_BODY as u64) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match to_bytes(body, MAX_HASHED_BODY).await {
        Ok(b) => b,
        Err(e) => {
            // The body failed while read; what was read is lost, so the response is too.
            tracing::error!(error = %e, "a response body could not be read for its ETag");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let tag = etag(&bytes);
    let tag_value = HeaderValue::from_str(&tag).expect("an ETag is ASCII hex");
    parts.headers.insert(header::ETAG, tag_value);
    // The session layer leaves the visitor on the response.
    let signed_in = parts
        .extensions
        .get::<Ctx>()
        .is_some_and(|c| c.user.is_some());
    if !parts.headers.contains_key(header::CACHE_CONTROL) {
        if signed_in {
            let private = HeaderValue::from_static("private, no-cache");
            parts.headers.insert(header::CACHE_CONTROL, private);
        } else {
            parts
                .headers
                .insert(header::CACHE_CONTROL, state.pages.policy().clone());
            // A proxy must not give the anonymous copy to a signed-in visitor (who has a
            // cookie; anonymous visitors have none).
            parts
                .headers
                .append(header::VARY, HeaderValue::from_static("cookie"));
        }
    }
    if filling && !signed_in && is_public(&parts.headers) && bytes.len() <= MAX_PAGE {
        parts.extensions.insert(Storable);
        return Response::from_parts(parts, Body::from(bytes));
    }

    if validators.unchanged(&parts.headers) {
        return not_modified(&parts.headers);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A request's validators, taken before the request moves on to the handler.
pub struct Validators {
    if_none_match: Option<HeaderValue>,
    if_modified_since: Option<DateTime<Utc>>,
}

impl Validators {
    pub fn of(request: &HeaderMap) -> Validators {
        Validators {
            if_none_match: request.get(header::IF_NONE_MATCH).cloned(),
            if_modified_since: request
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_http_date),
        }
    }

    /// True when the client already holds the response with these headers: its tag matches, or,
    /// when no tag was sent, it is not older than the client's copy (the tag decides when both
    /// are sent, RFC 9110 §13.2.2).
    pub fn unchanged(&self, response: &HeaderMap) -> bool {
        match &self.if_none_match {
            Some(wanted) => {
                let tag = response.get(header::ETAG).and_then(|t| t.to_str().ok());
                let wanted = wanted.to_str().ok();
                tag.zip(wanted).is_some_and(|(tag, w)| matches_tag(w, tag))
            }
            None => self
                .if_modified_since
                .is_some_and(|since| not_modified_since(response, since)),
        }
    }
}

/// The 304 for a response with these headers: the validators and caching headers, but no body
/// or its description.
pub fn not_modified(headers: &HeaderMap) -> Response {
    let mut not_modified = Response::new(Body::empty());
    *not_modified.status_mut() = StatusCode::NOT_MODIFIED;
    for name in [
        header::ETAG,
        header::CACHE_CONTROL,
        header::VARY,
        header::LAST_MODIFIED,
    ] {
        for value in headers.get_all(&name) {
            not_modified
                .headers_mut()
                .append(name.clone(), value.clone());
        }
    }
    not_modified
}

/// When this process began serving: a page also changes when a new binary (new styles, new
/// templates) starts, so no `Last-Modified` is older than that.
static STARTED: LazyLock<DateTime<Utc>> = LazyLock::new(Utc::now);

/// Starts the clock of [`STARTED`]; called when the application is built.
pub fn mark_start() {
    LazyLock::force(&STARTED);
}

/// The `Last-Modified` value of a page whose stored content last changed at `t`, to the second
/// (what HTTP dates hold), and never before this process started.
pub fn last_modified(t: DateTime<Utc>) -> HeaderValue {
    let t = t.max(*STARTED);
    let text = t.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    HeaderValue::from_str(&text).expect("an HTTP date is ASCII")
}

/// An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`, the only form senders may use today).
fn parse_http_date(v: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(v.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// True when the response says it last changed no later than `since`.
fn not_modified_since(headers: &HeaderMap, since: DateTime<Utc>) -> bool {
    headers
        .get(header::LAST_MODIFIED)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_http_date)
        .is_some_and(|changed| changed <= since)
}

/// Successful text responses that are the same for whoever holds the same cookies. A response
/// that sets a cookie (the removal of an expired session's) is left alone: the next request,
/// without the cookie, gets its ETag.
fn is_cacheable(response: &Response) -> bool {
    let headers = response.headers();
    response.status() == StatusCode::OK
        && !headers.contains_key(header::SET_COOKIE)
        && !headers.contains_key(header::ETAG)
        && headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(is_text_type)
}

fn is_text_type(content_type: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    media.starts_with("text/") || media.ends_with("xml") || media.ends_with("json")
}

/// `Cache-Control` lets anyone keep it (not `private`, not `no-store`).
fn is_public(headers: &HeaderMap) -> bool {
    headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            v.contains("public") && !v.contains("private") && !v.contains("no-store")
        })
}

/// A weak tag: the same content served gzip- or brotli-compressed is the same resource, and the
/// compression layer outside this one does not change the tag.
fn etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("W/\"{}\"", hex::encode(&digest[..16]))
}

/// Weak comparison of `If-None-Match` (a list of tags, or `*`) against our tag.
pub fn matches_tag(if_none_match: &str, tag: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let ours = opaque(tag);
    if_none_match
        .split(',')
        .any(|t| t.trim() == "*" || opaque(t) == ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_compare_weakly_in_lists() {
        let tag = etag(b"hello");
        assert!(tag.starts_with("W/\""));
        assert!(matches_tag(&tag, &tag));
        assert!(matches_tag(tag.trim_start_matches("W/"), &tag));
        assert!(matches_tag(&format!("\"other\", {tag}"), &tag));
        assert!(matches_tag("*", &tag));
        assert!(!matches_tag("\"other\"", &tag));
        assert_ne!(etag(b"hello"), etag(b"hello!"));
    }

    #[test]
    fn only_public_responses_are_kept() {
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static(v));
            h
        };
        assert!(is_public(&with(
            "public, max-age=5, stale-while-revalidate=30"
        )));
        assert!(is_public(&with("public, max-age=31536000, immutable")));
        assert!(!is_public(&with("private, no-cache")));
        assert!(!is_public(&with("private, no-store")));
        assert!(!is_public(&with("no-store")));
        assert!(!is_public(&HeaderMap::new()));
    }

    #[test]
    fn http_dates_round_trip_to_the_second() {
        let t = DateTime::parse_from_rfc3339("2118-09-15T08:30:45.750Z")
            .unwrap()
            .with_timezone(&Utc);
        let v = last_modified(t);
        assert_eq!(v.to_str().unwrap(), "Thu, 15 Sep 2118 08:30:45 GMT");
        // Never before the process started.
        let old = DateTime::parse_from_rfc3339("2018-09-15T08:30:45Z").unwrap();
        assert_ne!(
            last_modified(old.with_timezone(&Utc)),
            "Sat, 15 Sep 2018 08:30:45 GMT"
        );
        let back = parse_http_date(v.to_str().unwrap()).unwrap();
        let mut h = HeaderMap::new();
        h.insert(header::LAST_MODIFIED, v);
        assert!(not_modified_since(&h, back));
        assert!(!not_modified_since(&h, back - chrono::Duration::seconds(1)));
        assert_eq!(parse_http_date("hôm qua"), None);
    }

    #[test]
    fn only_text_types_are_hashed() {
        assert!(is_text_type("text/html; charset=utf-8"));
        assert!(is_text_type("application/atom+xml; charset=utf-8"));
        assert!(is_text_type("application/xml"));
        assert!(!is_text_type("image/png"));
        assert!(!is_text_type("application/octet-stream"));
    }
}
