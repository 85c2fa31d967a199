//! Cross-site request forgery by Fetch metadata: anonymous pages carry nothing personal (no
//! cookie, the same bytes for everyone), and every form of the site refuses a cross-site POST.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use loa::account::Role;

use crate::db_tests;
use crate::helpers::{
    attrs, repo_content, Browser, TestApp, TestDb, CROSS_SITE, FOREIGN_ORIGIN, SAME_ORIGIN,
};

db_tests!(
    anonymous_pages_set_no_cookie_and_are_the_same_for_everyone,
    every_form_refuses_a_cross_site_post,
);

/// Every kind of public page an anonymous visitor may open.
pub const PUBLIC_PAGES: &[&str] = &[
    "/",
    "/?trang=2",
    "/bai-viet/sipas-la-gi",
    "/bai-viet/thong-bao-608-sttt-vp",
    "/chu-de",
    "/tim-kiem?q=hai+long",
    "/feed.xml",
    "/sitemap.xml",
    "/robots.txt",
    "/bao-ve-du-lieu-ca-nhan",
    "/chien-dich/sipas-2017-2020",
];

async fn anonymous_pages_set_no_cookie_and_are_the_same_for_everyone(db: TestDb) {
    let app = TestApp::spawn(db, &repo_content()).await;
    let topic = attrs(
        &app.page("/chu-de", 200).await,
        "main a[href^='/chu-de/']",
        "href",
    )
    .into_iter()
    .next()
    .expect("a topic");
    let feed = format!("{topic}/feed.xml");
    let pages = PUBLIC_PAGES
        .iter()
        .copied()
        .chain([topic.as_str(), feed.as_str()]);
    let (first, second) = (app.browser(), app.browser());
    for path in pages {
        let a = first.get(path).await;
        let b = second.get(path).await;
        assert_eq!(a.status(), 200, "{path}");
        for r in [&a, &b] {
            assert!(
                r.headers().get("set-cookie").is_none(),
                "{path} sets a cookie"
            );
        }
        let (a, b) = (a.bytes().await.unwrap(), b.bytes().await.unwrap());
        assert!(a == b, "{path} differs between two visitors");
    }
}

/// Every state-changing route, with ids that exist in the SIPAS content where they must: the
/// forms a crawl cannot reach (the live preview, which static/admin.js posts; forms that show
/// only after a search, an upload or a preview) as well as the others.
const ROUTES: &[&str] = &[
    "/dang-xuat",
    "/doi-mat-khau",
    "/bai-viet/sipas-la-gi/xac-nhan",
    "/admin/bai-viet/moi",
    "/admin/bai-viet/xem-truoc",
    "/admin/bai-viet/1",
    "/admin/bai-viet/1/luu-tru",
    "/admin/bai-viet/1/bo-luu-tru",
    "/admin/bai-viet/1/huy-lich",
    "/admin/bai-viet/1/xoa",
    "/admin/bai-viet/1/khoi-phuc",
    "/admin/bai-viet/1/phien-ban/1/khoi-phuc",
    "/admin/bai-viet/1/xac-nhan/thay-mat",
    "/admin/bai-viet/1/xac-nhan/thu-hoi",
    "/admin/bai-viet/1/xac-nhan/bang-chung",
    "/admin/anh",
    "/admin/anh/1",
    "/admin/anh/1/xoa",
    "/admin/don-vi/moi",
    "/admin/don-vi/1",
    "/admin/noi-dat",
    "/admin/noi-dat/1",
    "/admin/chu-de/1",
    "/admin/nguoi-dan/xuat",
    "/admin/nguoi-dan/xoa",
    "/admin/nguoi-dung/moi",
    "/admin/nguoi-dung/1",
    "/admin/nguoi-dung/1/khoa",
    "/admin/nguoi-dung/1/mo-khoa",
    "/admin/nguoi-dung/1/dat-lai-mat-khau",
    "/admin/nguoi-dung/nhap",
    "/admin/nguoi-dung/nhap/xac-nhan",
    "/admin/chien-dich/moi",
    "/admin/chien-dich/sipas-2017-2020/sua",
    "/admin/chien-dich/sipas-2017-2020/nhac-ngay",
];

/// A path with its numbers as `{id}`: one page (or form) of each kind is enough.
fn shape(path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default();
    path.split('/')
        .map(|s| {
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                "{id}"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Every form a signed-in administrator reaches by following links from `/` and `/admin` (one
/// page of each kind), by kind; plus [`ROUTES`], so a form added to a page is tested too.
async fn every_form(admin: &Browser) -> BTreeMap<String, String> {
    let mut forms: BTreeMap<String, String> = BTreeMap::new();
    let mut crawled = 0;
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from(["/".to_owned(), "/admin".to_owned()]);
    while let Some(path) = queue.pop_front() {
        if !seen.insert(shape(&path)) {
            continue;
        }
        let r = admin.get(&path).await;
        let html = r
            .headers()
            .get("content-type")
            .is_some_and(|t| t.to_str().unwrap().starts_with("text/html"));
        if r.status() != 200 || !html {
            continue;
        }
        let page = r.text().await.unwrap();
        for action in attrs(&page, "form[method=post]", "action") {
            crawled += 1;
            forms.entry(shape(&action)).or_insert(action);
        }
        for href in attrs(&page, "a[href^='/']", "href") {
            let href = href.split('#').next().unwrap_or_default().to_owned();
            let file = href.split('?').next().unwrap_or_default().contains('.');
            if !href.is_empty() && !file && !href.starts_with("/media/") {
                queue.push_back(href);
            }
        }
    }
    assert!(crawled >= 25, "the crawl found only {forms:?}");
    for route in ROUTES {
        forms.entry(shape(route)).or_insert((*route).to_owned());
    }
    forms
}

async fn every_form_refuses_a_cross_site_post(db: TestDb) {
    let app = TestApp::spawn(db, &repo_content()).await;
    let admin = app.signed_in(Role::Admin).await;
    let forms = every_form(&admin).await;
    // The crawl reaches the forms of each kind of visitor and page; every route is among them.
    for expected in [
        "/bai-viet/thong-bao-608-sttt-vp/xac-nhan",
        "/bai-viet/sipas-la-gi/nguoi-dan-xac-nhan",
        "/admin/bai-viet/{id}/xoa",
    ] {
        assert!(
            forms.contains_key(expected),
            "{expected} not among {forms:?}"
        );
    }
    let forms: Vec<String> = forms.into_values().collect();
    let anonymous = [
        "/dang-nhap",
        "/bai-viet/sipas-la-gi/nguoi-dan-xac-nhan",
        "/bai-viet/thong-bao-608-sttt-vp/nguoi-dan-xac-nhan",
    ];

    let count = |sql: &'static str| app.db.scalar(sql);
    let before = (
        count("select count(*) from audit_log").await,
        count("select count(*) from ack_events").await,
    );
    let visitor = app.browser();
    for headers in [CROSS_SITE, FOREIGN_ORIGIN] {
        for action in &forms {
            // With the session's valid token: the refusal comes from the origin alone.
            let r = admin.post_with(action, &[], headers).await;
            assert_eq!(r.status(), 403, "{action} {headers:?}");
        }
        for action in anonymous {
            let r = visitor.post_with(action, &[], headers).await;
            assert_eq!(r.status(), 403, "{action} {headers:?}");
        }
    }
    let after = (
        count("select count(*) from audit_log").await,
        count("select count(*) from ack_events").await,
    );
    assert_eq!(before, after, "a refused request changed something");
    // Still signed in: the cross-site sign-out did nothing.
    assert_eq!(admin.get("/admin").await.status(), 200);

    // The same forms from our own pages pass the check (to whatever the handler makes of an
    // empty form); signing out comes last.
    for action in forms.iter().filter(|a| *a != "/dang-xuat") {
        let r = admin.post_with(action, &[], SAME_ORIGIN).await;
        assert_ne!(r.status(), 403, "{action}");
    }
    for action in anonymous {
        let r = visitor.post_with(action, &[], SAME_ORIGIN).await;
        assert_ne!(r.status(), 403, "{action}");
    }
    let r = admin.post_with("/dang-xuat", &[], SAME_ORIGIN).await;
    assert_eq!(r.status(), 303);
}
