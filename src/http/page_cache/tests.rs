//! Unit tests of the parent module.

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
    let stamp = Stamp {
        generation: 0,
        group: None,
    };
    Page::new(headers, Bytes::from(text), stamp, Duration::from_secs(60)).await
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
    let weight = quick_cache::Weighter::weight(&Weight, &key, &Arc::new(page));
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
        let page = Arc::new(kept_page(4_000 + 100 * i).await);
        let key = format!("/bai-viet/bai-{i}");
        held += page.weight(&key);
        pages.insert(key, page);
        assert!(pages.weight() <= config.page_cache_bytes as u64);
    }
    // The cap was reached: the cache let pages go.
    assert!(held > config.page_cache_bytes);
    assert!(pages.len() < 100);
}
