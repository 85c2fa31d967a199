//! Unit tests of the parent module.

use axum::body::{Body, Bytes};
use axum::http::HeaderMap;

use super::page::Accepted;
use super::*;

fn headers(accept: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        header::ACCEPT_ENCODING,
        HeaderValue::from_str(accept).unwrap(),
    );
    h
}

#[test]
fn encodings_are_negotiated() {
    let yes = |br, gzip| Accepted { br, gzip };
    assert_eq!(Accepted::from(&HeaderMap::new()), yes(false, false));
    assert_eq!(
        Accepted::from(&headers("gzip, deflate, br")),
        yes(true, true)
    );
    assert_eq!(
        Accepted::from(&headers("gzip;q=1.0, br;q=0")),
        yes(false, true)
    );
    assert_eq!(Accepted::from(&headers("*")), yes(true, true));
    assert_eq!(Accepted::from(&headers("*;q=0, GZIP")), yes(false, true));
    assert_eq!(Accepted::from(&headers("identity")), yes(false, false));
}

#[test]
fn queries_are_normalised_and_sessions_pass_by() {
    let cache = PageCache::new(&Config::defaults());
    let key = |uri: &str, cookie: Option<&str>| {
        let mut r = Request::builder().uri(uri);
        if let Some(c) = cookie {
            r = r.header(header::COOKIE, c);
        }
        cache
            .key(&r.body(Body::empty()).unwrap())
            .map(Cow::into_owned)
    };
    assert_eq!(key("/", None).as_deref(), Some("/"));
    assert_eq!(key("/?", None).as_deref(), Some("/"));
    assert_eq!(
        key("/tim-kiem?q=hai+long&trang=2", None),
        key("/tim-kiem?trang=2&q=hai%20long", None)
    );
    assert_ne!(key("/?trang=2", None), key("/?trang=3", None));
    assert_eq!(key("/", Some("theme=dark")).as_deref(), Some("/"));
    assert_eq!(key("/", Some("a=1; loa_session=abc")), None);
}

#[test]
fn groups_gather_the_pages_that_show_counts() {
    let thanks = path_group("/bai-viet/sipas-la-gi/cam-on");
    assert!(thanks.is_some_and(|g| g != CAMPAIGNS));
    assert_eq!(thanks, Some(article_group("sipas-la-gi")));
    assert_eq!(path_group("/bai-viet/sipas-la-gi"), None);
    assert_eq!(path_group("/chien-dich/sipas"), Some(CAMPAIGNS));
    assert_eq!(path_group("/"), None);
    assert_eq!(path_group("/bai-viet/"), None);
}

#[test]
fn a_change_makes_kept_pages_stale() {
    let cache = PageCache::new(&Config::defaults());
    let stamp = cache.stamp("/bai-viet/a/cam-on?truoc-do=1");
    let article = cache.stamp("/bai-viet/a");
    let other = cache.stamp("/bai-viet/b/cam-on");
    let home = cache.stamp("/");
    let campaign = cache.stamp("/chien-dich/x");
    cache.drop_pages(&Change::Article("a".to_owned()));
    assert_ne!(cache.stamp("/bai-viet/a/cam-on"), stamp);
    assert_eq!(cache.stamp("/bai-viet/a"), article);
    assert_ne!(cache.stamp("/chien-dich/x"), campaign);
    assert_eq!(cache.stamp("/bai-viet/b/cam-on"), other);
    assert_eq!(cache.stamp("/"), home);
    cache.drop_pages(&Change::Everything);
    assert_ne!(cache.stamp("/"), home);
}

/// A page as the site keeps one: the headers every page carries, a body in a buffer larger than
/// itself (as a template writes it).
async fn kept_page(body_len: usize) -> Page {
    // As many headers as a page carries (type, caching, ETag, the security headers), each with
    // a value of a typical length.
    let mut headers = HeaderMap::new();
    for i in 0..10 {
        let name = header::HeaderName::from_bytes(format!("x-loa-{i}").as_bytes()).unwrap();
        let value = format!("{i}: default-src 'self'; img-src 'self' https: data:");
        headers.insert(name, HeaderValue::from_str(&value).unwrap());
    }
    let mut text = String::with_capacity(4 * body_len);
    while text.len() < body_len {
        text.push_str("<p>Người dân đánh giá sự hài lòng về dịch vụ hành chính công.</p>\n");
    }
    Page::new(headers, Bytes::from(text)).await
}

/// What the cache keeps for a rendered page.
fn kept(page: Page) -> Arc<Kept> {
    let stamp = Stamp {
        generation: 0,
        group: None,
    };
    Arc::new(Kept {
        stamp,
        expires: Instant::now() + Duration::from_secs(60),
        page: Some(page),
    })
}

#[tokio::test]
async fn a_page_weighs_all_it_holds() {
    let page = kept_page(20_000).await;
    let key = "/bai-viet/sipas-la-gi".to_owned();
    let bodies = page.identity.len()
        + page.gzip.as_ref().map_or(0, Bytes::len)
        + page.br.as_ref().map_or(0, Bytes::len);
    assert!(page.gzip.is_some() && page.br.is_some());
    let headers: usize = page
        .headers
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len())
        .sum();
    // Each header costs at least its name and value and a slot of the table.
    let table = page.headers.len()
        * (std::mem::size_of::<header::HeaderName>() + std::mem::size_of::<HeaderValue>());
    let held = key.len() + bodies + headers + table + std::mem::size_of::<Page>();
    let weight = quick_cache::Weighter::weight(&Weight, &key, &kept(page));
    assert!(
        weight as usize >= held,
        "weight {weight} < {held} bytes held"
    );
}

#[tokio::test]
async fn the_cache_holds_no_more_than_its_cap() {
    let mut config = Config::defaults();
    config.page_cache_bytes = 256 * 1024;
    let cache = PageCache::new(&config);
    let pages = cache.0.pages.as_ref().unwrap();
    let mut held = 0;
    for i in 0..100 {
        let page = kept(kept_page(4_000 + 100 * i).await);
        let key = format!("/bai-viet/bai-{i}");
        held += quick_cache::Weighter::weight(&Weight, &key, &page) as usize;
        pages.insert(key, page);
        assert!(pages.weight() <= config.page_cache_bytes as u64);
    }
    // The cap was reached: the cache let pages go.
    assert!(held > config.page_cache_bytes);
    assert!(pages.len() < 100);
}

/// A stand-in for the router that counts its renders and holds each one until the test opens
/// the gate: the first render waits for 1, the later ones for 2.
#[derive(Clone)]
struct Renderer {
    renders: Arc<std::sync::atomic::AtomicUsize>,
    gate: tokio::sync::watch::Receiver<u32>,
    /// A page the cache may keep, or a 404 (never kept).
    keepable: bool,
}

impl Service<Request> for Renderer {
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Answer>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request) -> Self::Future {
        let n = self.renders.fetch_add(1, Ordering::SeqCst) + 1;
        let mut gate = self.gate.clone();
        let keepable = self.keepable;
        Box::pin(async move {
            let needed = if n == 1 { 1 } else { 2 };
            let _ = gate.wait_for(|g| *g >= needed).await;
            Ok(if keepable {
                let mut r = Response::new(Body::from("Trang chủ"));
                r.extensions_mut().insert(Storable);
                r
            } else {
                (StatusCode::NOT_FOUND, "Không tìm thấy").into_response()
            })
        })
    }
}

/// `n` GETs of `/` sent at once to the cache around a [`Renderer`], each polled once (so each
/// has either started rendering or is waiting), with the render count and the gate.
#[allow(clippy::type_complexity)]
fn burst(
    n: usize,
    keepable: bool,
) -> (
    Vec<std::pin::Pin<Box<<Cached<Renderer> as Service<Request>>::Future>>>,
    Arc<std::sync::atomic::AtomicUsize>,
    tokio::sync::watch::Sender<u32>,
) {
    let renders = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (open, gate) = tokio::sync::watch::channel(0);
    let renderer = Renderer {
        renders: renders.clone(),
        gate,
        keepable,
    };
    let mut service = PageCacheLayer(PageCache::new(&Config::defaults())).layer(renderer);
    let requests = (0..n)
        .map(|_| {
            let request = Request::builder().uri("/").body(Body::empty()).unwrap();
            let mut f = Box::pin(service.call(request));
            assert!(poll_once(&mut f).is_pending(), "answered before the render");
            f
        })
        .collect();
    (requests, renders, open)
}

fn poll_once<F: std::future::Future>(f: &mut std::pin::Pin<Box<F>>) -> Poll<F::Output> {
    f.as_mut()
        .poll(&mut Context::from_waker(std::task::Waker::noop()))
}

async fn text(response: Response) -> (StatusCode, String) {
    let status = response.status();
    let body = to_bytes(response.into_body(), MAX_PAGE).await.unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn a_burst_on_a_cold_page_renders_it_once() {
    let (requests, renders, open) = burst(16, true);
    assert_eq!(renders.load(Ordering::SeqCst), 1, "the others wait");
    open.send(1).unwrap();
    for f in requests {
        let Ok(response) = f.await;
        assert_eq!(
            text(response).await,
            (StatusCode::OK, "Trang chủ".to_owned())
        );
    }
    assert_eq!(renders.load(Ordering::SeqCst), 1, "one render for all");
}

#[tokio::test]
async fn a_render_that_cannot_be_kept_releases_those_waiting() {
    let (mut requests, renders, open) = burst(8, false);
    assert_eq!(renders.load(Ordering::SeqCst), 1);
    open.send(1).unwrap();
    let Ok(first) = requests.remove(0).await;
    assert_eq!(first.status(), StatusCode::NOT_FOUND);
    // Woken, every other request renders for itself, side by side: none waits for another.
    for f in &mut requests {
        assert!(poll_once(f).is_pending());
    }
    assert_eq!(renders.load(Ordering::SeqCst), 8);
    open.send(2).unwrap();
    for f in requests {
        let Ok(response) = f.await;
        assert_eq!(
            text(response).await,
            (StatusCode::NOT_FOUND, "Không tìm thấy".to_owned())
        );
    }
}
