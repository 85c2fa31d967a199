//! The rendered-page cache: what visitors without a session see, kept in memory as the bytes of
//! the response with its ETag and brotli and gzip variants, and served before routing, sessions,
//! templates, compression or hashing — a hit does none of them.
//!
//! [`PageCacheLayer`] wraps the whole router (`app::serve`). A GET or HEAD without a session
//! cookie is looked up by path and normalised query; a hit is answered from memory (a 304 when
//! `If-None-Match` matches). A miss goes through the router marked [`Fill`]: `http::caching`,
//! which decides every response's `Cache-Control` and ETag, marks a public, cookie-less, 200 text
//! response [`Storable`], the compression layer leaves it plain, and it comes back here to be
//! compressed once and kept ([`page`]). A request with a session never reads or fills the
//! cache. A miss is rendered once however many ask at the same time: the others wait for its
//! page (see `PageCache::fill`).
//!
//! What is kept is right until something changes: each page carries the generation it was
//! rendered under (read *before* rendering, so a change during the render makes it stale at
//! once). A change to anything public (a save, a publication by the scheduler, an import, a
//! topic, the site) moves the generation and drops every page; a citizen's confirmation moves
//! only the pages where its counts show (its article's thank-you page, the campaign pages). Every page also has a
//! lifetime (short for search results), which bounds anything that changes with time alone (a
//! form that closes at a given hour). [`sync`] carries the changes between instances.

mod page;
pub mod sync;

use std::borrow::Cow;
use std::convert::Infallible;
use std::future::{ready, Ready};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::future::{BoxFuture, Either};
use quick_cache::sync::{EntryAction, EntryResult};
use tower::{Layer, Service};

use crate::app::AppState;
use crate::config::Config;
use crate::db::page_generation::{self, Change, Hears, Notice};
use crate::db::Db;

use page::Page;

/// The largest page kept (larger responses pass through, compressed by the layer inside).
pub const MAX_PAGE: usize = 1024 * 1024;

/// How long a render that could not be kept lets the requests of its key render for themselves
/// (see [`Kept`]).
const PASS: Duration = Duration::from_secs(1);

/// Path groups with a generation of their own: one for the campaign pages, the rest shared by
/// articles' slugs through a hash (two articles sharing a slot only drop each other's pages).
const GROUPS: usize = 1024;
const CAMPAIGNS: usize = 0;

/// The mark of a request on its way to fill the cache.
#[derive(Clone, Copy, Debug)]
pub struct Fill;

/// The mark `http::caching` puts on a response that the cache will keep: the compression layer
/// leaves it plain.
#[derive(Clone, Copy, Debug)]
pub struct Storable;

/// What a successful state change did to the public pages, when its handler knows better than
/// the default (anything may have changed). Put on the response; see [`track_changes`].
#[derive(Clone, Debug)]
pub enum PublicPages {
    Unchanged,
    Changed(Change),
}

impl PublicPages {
    /// `response`, marked with what it did to the public pages.
    pub fn mark(self, response: impl IntoResponse) -> Response {
        let mut response = response.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// A route layer (`middleware::map_response(page_cache::unchanged)`) for routes whose state
/// changes show on no public page: signing in, a person's own confirmation.
pub async fn unchanged(response: Response) -> Response {
    PublicPages::Unchanged.mark(response)
}

/// The cache, shared by every request of this instance. Cheap to clone.
#[derive(Clone)]
pub struct PageCache(Arc<Inner>);

struct Inner {
    /// `None` when the cache is switched off (`LOA_PAGE_CACHE_MB=0`).
    pages: Option<quick_cache::sync::Cache<String, Arc<Kept>, Weight>>,
    generation: AtomicU64,
    groups: Box<[AtomicU64]>,
    ttl: Duration,
    search_ttl: Duration,
    /// `Cache-Control` of public responses.
    policy: HeaderValue,
    /// This process's name in notifications, so that it skips its own.
    instance: String,
    /// The database's generation as this instance last saw it ([`sync`]); -1 before the first.
    seen: AtomicI64,
}

impl Inner {
    fn drop_pages(&self, change: &Change) {
        match change {
            Change::Everything => {
                self.generation.fetch_add(1, Ordering::AcqRel);
                // Stale pages would never be served again; free their memory now.
                if let Some(pages) = &self.pages {
                    pages.clear();
                }
            }
            Change::Article(slug) => {
                self.groups[article_group(slug)].fetch_add(1, Ordering::AcqRel);
                self.groups[CAMPAIGNS].fetch_add(1, Ordering::AcqRel);
            }
        }
    }

    /// A step of the database's generation we have not seen (nor made) drops everything; a late
    /// notice of an older step changes nothing.
    fn observe(&self, generation: i64) {
        let before = self.seen.fetch_max(generation, Ordering::AcqRel);
        if before < generation {
            self.drop_pages(&Change::Everything);
        }
    }
}

impl Hears for Inner {
    /// A change made elsewhere, dropped here; the notice of one of this cache's own changes is
    /// skipped (its pages were dropped when the change was made).
    fn hear(&self, notice: &Notice) {
        if notice.instance == self.instance {
            return;
        }
        match &notice.change {
            Change::Everything if notice.generation >= 0 => self.observe(notice.generation),
            change => self.drop_pages(change),
        }
    }
}

/// The generations a page was rendered under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    generation: u64,
    group: Option<(usize, u64)>,
}

impl Stamp {
    /// Rendered under these generations or later ones (the counters only grow): right for a
    /// request that arrived under `arrival`.
    fn covers(self, arrival: Stamp) -> bool {
        let group = match (self.group, arrival.group) {
            (Some((g, n)), Some((h, m))) => g == h && n >= m,
            (None, None) => true,
            _ => false,
        };
        group && self.generation >= arrival.generation
    }
}

/// What the cache holds for a key: the page rendered under `stamp`, or no page when that render
/// could not be kept (a 404, a redirect, an error, a page over [`MAX_PAGE`]). Then the requests of
/// the key render for themselves, side by side, for [`PASS`]; after that the next burst is again
/// rendered once.
struct Kept {
    stamp: Stamp,
    expires: Instant,
    page: Option<Page>,
}

impl Kept {
    /// Whether this answers a request that arrived under `arrival`.
    fn serves(&self, arrival: Stamp, now: Instant) -> bool {
        self.stamp.covers(arrival) && self.expires > now
    }
}

#[derive(Clone)]
struct Weight;

impl quick_cache::Weighter<String, Arc<Kept>> for Weight {
    /// What an entry really holds, so that `LOA_PAGE_CACHE_MB` bounds the memory: the page
    /// ([`Page::weight`]), the key's allocation, the `Kept` behind its `Arc`'s two counts, and
    /// quick_cache's entry for it.
    fn weight(&self, key: &String, kept: &Arc<Kept>) -> u64 {
        /// quick_cache's slot for an entry (key, value, links) and its share of the table.
        const ENTRY: usize = 96;
        let page = kept.page.as_ref().map_or(0, Page::weight);
        let kept = 2 * std::mem::size_of::<usize>() + std::mem::size_of::<Kept>();
        (page + key.capacity() + kept + ENTRY) as u64
    }
}

impl PageCache {
    pub fn new(config: &Config) -> PageCache {
        let bytes = config.page_cache_bytes as u64;
        let pages = (bytes > 0).then(|| {
            // quick_cache sizes its tables from a guess of the number of pages: ~20 kB each.
            let estimate = (bytes / 20_000).clamp(16, 100_000) as usize;
            quick_cache::sync::Cache::with_weighter(estimate, bytes, Weight)
        });
        let policy = format!(
            "public, max-age={}, stale-while-revalidate={}",
            config.cache_max_age.as_secs(),
            config.cache_stale_while_revalidate.as_secs()
        );
        PageCache(Arc::new(Inner {
            pages,
            generation: AtomicU64::new(0),
            groups: (0..GROUPS).map(|_| AtomicU64::new(0)).collect(),
            ttl: config.page_cache_ttl,
            search_ttl: config.search_cache_ttl,
            policy: HeaderValue::from_str(&policy).expect("digits and ASCII"),
            instance: crate::db::sessions::new_token()[..16].to_owned(),
            seen: AtomicI64::new(-1),
        }))
    }

    /// `Cache-Control` of a public response (what anyone may keep, for how long).
    pub fn policy(&self) -> &HeaderValue {
        &self.0.policy
    }

    /// This process's name in the notifications between instances.
    pub fn instance(&self) -> &str {
        &self.0.instance
    }

    /// Drops, here and now, what `change` touched.
    pub fn drop_pages(&self, change: &Change) {
        self.0.drop_pages(change)
    }

    /// From now on, changes committed to `db` by this process (the scheduler's, a test's) drop
    /// this cache's pages before the change's `bump_now` returns.
    pub fn hear_changes(&self, db: &Db) {
        let weak = Arc::downgrade(&self.0);
        page_generation::hear_changes(db, weak);
    }

    /// A change made through this instance: its pages are dropped at once, then the change is
    /// recorded in the database and announced to the other instances. The change itself is
    /// committed already, so a failure here is logged, not returned: the other instances still
    /// catch up through the pages' lifetime.
    pub async fn changed(&self, db: &Db, change: Change) {
        self.drop_pages(&change);
        match page_generation::bump_now(db, &change, &self.0.instance).await {
            // Our own step need not drop our pages again when `sync` reads it.
            Ok(g) if change == Change::Everything => {
                let _ = self
                    .0
                    .seen
                    .compare_exchange(g - 1, g, Ordering::AcqRel, Ordering::Acquire);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(
                error = %crate::error::error_chain(&e),
                "the change of public pages could not be announced to other instances"
            ),
        }
    }

    /// The database's generation, as [`sync`] reads or hears it.
    pub fn observe(&self, generation: i64) {
        self.0.observe(generation)
    }

    /// A notice of a change (from [`sync`], or this process, through [`Hears`]).
    pub fn hear(&self, notice: &Notice) {
        self.0.hear(notice)
    }

    fn enabled(&self) -> bool {
        self.0.pages.is_some()
    }

    /// The cache key of a request the cache may answer: a GET or HEAD without a session, by path
    /// and query with its parameters in order (`?b=2&a=1` is `?a=1&b=2`).
    fn key<'r>(&self, request: &'r Request) -> Option<Cow<'r, str>> {
        if !self.enabled()
            || !matches!(*request.method(), Method::GET | Method::HEAD)
            || super::auth::cookie(request.headers(), super::auth::SESSION_COOKIE).is_some()
        {
            return None;
        }
        let uri = request.uri();
        Some(match uri.query().filter(|q| !q.is_empty()) {
            None => Cow::Borrowed(uri.path()),
            Some(query) => {
                let mut pairs: Vec<(Cow<str>, Cow<str>)> =
                    url::form_urlencoded::parse(query.as_bytes()).collect();
                pairs.sort();
                let query: String = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(pairs)
                    .finish();
                Cow::Owned(format!("{}?{query}", uri.path()))
            }
        })
    }

    /// The generations a page of `key` is rendered under, read before it is rendered.
    fn stamp(&self, key: &str) -> Stamp {
        let path = key.split('?').next().unwrap_or_default();
        Stamp {
            generation: self.0.generation.load(Ordering::Acquire),
            group: path_group(path).map(|g| (g, self.0.groups[g].load(Ordering::Acquire))),
        }
    }

    /// What is kept for `key`, if still right.
    fn fresh(&self, key: &str) -> Option<Arc<Kept>> {
        let kept = self.0.pages.as_ref()?.get(key)?;
        let current = kept.stamp.generation == self.0.generation.load(Ordering::Acquire)
            && kept
                .stamp
                .group
                .is_none_or(|(g, n)| self.0.groups[g].load(Ordering::Acquire) == n);
        (current && kept.expires > Instant::now()).then_some(kept)
    }

    /// A miss: one request of the key renders through `inner` (with its stamp read before),
    /// keeps the page if `http::caching` says so, and answers; the requests of the same key that
    /// arrive meanwhile wait for its page instead of rendering it again (quick_cache's
    /// placeholder). A waiter takes the page only if it was rendered under the generations the
    /// waiter arrived under (a change in between makes it render anew, once); a render that
    /// cannot be kept lets the waiters render for themselves ([`Kept`]); a render that fails or
    /// is abandoned (its client gone) hands the placeholder to one of them.
    async fn fill<S>(self, mut inner: S, mut request: Request, key: String) -> Response
    where
        S: Service<Request, Response = Response, Error = Infallible>,
    {
        let Some(pages) = self.0.pages.as_ref() else {
            let Ok(response) = inner.call(request).await;
            return response;
        };
        let arrival = self.stamp(&key);
        let entry = pages
            .entry_async(key.as_str(), |_, kept: &mut Arc<Kept>| {
                if kept.serves(arrival, Instant::now()) {
                    EntryAction::Retain(kept.clone())
                } else {
                    EntryAction::ReplaceWithGuard
                }
            })
            .await;
        let guard = match entry {
            EntryResult::Retained(kept) => {
                if let Some(page) = &kept.page {
                    return page.answer(request.headers());
                }
                let Ok(response) = inner.call(request).await;
                return response;
            }
            EntryResult::Vacant(guard) | EntryResult::Replaced(guard, _) => guard,
            // Not asked for: no `Remove`, no timeout.
            EntryResult::Removed(..) | EntryResult::Timeout => {
                let Ok(response) = inner.call(request).await;
                return response;
            }
        };

        let stamp = self.stamp(&key);
        let wants = request.headers().clone();
        // The validators are checked here, against the kept page; the layers inside must send
        // the body.
        request.headers_mut().remove(header::IF_NONE_MATCH);
        request.headers_mut().remove(header::IF_MODIFIED_SINCE);
        request.extensions_mut().insert(Fill);
        let Ok(response) = inner.call(request).await;
        if response.extensions().get::<Storable>().is_none() {
            let pass = Kept {
                stamp,
                expires: Instant::now() + PASS,
                page: None,
            };
            let _ = guard.insert(Arc::new(pass));
            return response;
        }
        let (parts, body) = response.into_parts();
        let identity = match to_bytes(body, MAX_PAGE).await {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "a page could not be read for the page cache");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        };
        let lifetime = if key.starts_with("/tim-kiem") {
            self.0.search_ttl
        } else {
            self.0.ttl
        };
        let page = Page::new(parts.headers, identity).await;
        let answer = page.answer(&wants);
        let kept = Kept {
            stamp,
            expires: Instant::now() + lifetime,
            page: Some(page),
        };
        // Refused only when a change dropped every page meanwhile: the page is stale anyway.
        let _ = guard.insert(Arc::new(kept));
        answer
    }
}

/// The group of a path whose page shows citizens' counts: the pages under an article
/// (`/bai-viet/{slug}/cam-on`, the thank-you page) and the campaign pages. The article page
/// itself shows no count, so a surge of confirmations never drops it; other pages change only
/// with everything.
fn path_group(path: &str) -> Option<usize> {
    if let Some(rest) = path.strip_prefix("/bai-viet/") {
        let (slug, below) = rest.split_once('/')?;
        return (!slug.is_empty() && !below.is_empty()).then(|| article_group(slug));
    }
    path.starts_with("/chien-dich/").then_some(CAMPAIGNS)
}

fn article_group(slug: &str) -> usize {
    let mut h = DefaultHasher::new();
    slug.hash(&mut h);
    1 + (h.finish() % (GROUPS as u64 - 1)) as usize
}

/// Wraps the router so that cache hits are answered before it.
#[derive(Clone)]
pub struct PageCacheLayer(pub PageCache);

impl<S> Layer<S> for PageCacheLayer {
    type Service = Cached<S>;

    fn layer(&self, inner: S) -> Cached<S> {
        Cached {
            inner,
            cache: self.0.clone(),
        }
    }
}

/// The router behind the page cache.
#[derive(Clone)]
pub struct Cached<S> {
    inner: S,
    cache: PageCache,
}

type Answer = Result<Response, Infallible>;

impl<S> Service<Request> for Cached<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    // A hit is a ready value: no allocation for its future, no task switch.
    type Future = Either<Ready<Answer>, Either<S::Future, BoxFuture<'static, Answer>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let Some(key) = self.cache.key(&request) else {
            return Either::Right(Either::Left(self.inner.call(request)));
        };
        let kept = self.cache.fresh(&key);
        if let Some(page) = kept.as_ref().and_then(|k| k.page.as_ref()) {
            crate::metrics::page_cache_hit();
            return Either::Left(ready(Ok(page.answer(request.headers()))));
        }
        crate::metrics::page_cache_miss();
        // A HEAD, or a key whose last render could not be kept: straight through.
        if request.method() != Method::GET || kept.is_some() {
            return Either::Right(Either::Left(self.inner.call(request)));
        }
        let key = key.into_owned();
        // The service made ready is the one called; its clone waits for the next request.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let cache = self.cache.clone();
        Either::Right(Either::Right(Box::pin(async move {
            Ok(cache.fill(inner, request, key).await)
        })))
    }
}

/// Records the changes made through this instance: after a successful state change (any method
/// but GET, HEAD and OPTIONS, answered below 400), the public pages are dropped and the change
/// announced — all of them unless the handler marked its response with [`PublicPages`].
pub async fn track_changes(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let response = next.run(request).await;
    if response.status().as_u16() >= 400 {
        return response;
    }
    let change = match response.extensions().get::<PublicPages>() {
        Some(PublicPages::Unchanged) => None,
        Some(PublicPages::Changed(c)) => Some(c.clone()),
        None => Some(Change::Everything),
    };
    if let Some(change) = change {
        state.pages.changed(&state.db, change).await;
    }
    response
}

#[cfg(test)]
mod tests;
