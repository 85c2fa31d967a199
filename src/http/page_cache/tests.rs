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
