//! The rendered-page cache: anonymous pages are kept in memory with their encodings and tags,
//! every change shows on the next anonymous request of every page it touches, and signed-in
//! pages neither come from the cache nor go into it.

use std::io::Read;
use std::time::{Duration, Instant};

use loa::account::Role;
use loa::params;

use crate::admin_articles::{create, save};
use crate::db_tests;
use crate::fixtures::articles::act;
use crate::fixtures::binary::Server;
use crate::fixtures::{article_id, campaign};
use crate::helpers::{
    create_user_on, location, repo_content, Browser, ContentDir, TestApp, TestDb, PASSWORD,
};

db_tests!(
    anonymous_pages_are_kept_with_their_encodings_and_tags,
    every_change_shows_on_the_next_anonymous_request,
    signed_in_pages_never_touch_the_cache,
    a_citizens_confirmation_moves_only_its_counts,
    two_serve_processes_on_one_database_stay_coherent,
    seed_demo_drops_a_running_servers_pages,
);

/// PostgreSQL only: the listener's connection is cut, so notices may be lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_that_reconnects_drops_every_page() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let app = app(db).await;
    let path = "/bai-viet/bai-mot";
    let listening = "select count(*) from pg_stat_activity \
                     where datname = current_database() and query like 'LISTEN%'";
    let started = Instant::now();
    while app
        .state
        .db
        .pool()
        .fetch_i64(listening, vec![])
        .await
        .unwrap()
        == 0
    {
        assert!(started.elapsed() < Duration::from_secs(5), "nobody listens");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let kept = app.page(path, 200).await;
    // A change nobody announces, then the listener's connection dies (as in a failover).
    sneak(
        &app,
        "update articles set title = 'Sau khi mất kết nối' where slug = 'bai-mot'",
    )
    .await;
    assert_eq!(app.page(path, 200).await, kept);
    sneak(
        &app,
        "select pg_terminate_backend(pid) from pg_stat_activity \
         where datname = current_database() and query like 'LISTEN%'",
    )
    .await;
    let started = Instant::now();
    while !app.page(path, 200).await.contains("Sau khi mất kết nối") {
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "the pages kept from before the reconnect are still served"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every public page an article shows on.
const PAGES: &[&str] = &[
    "/bai-viet/bai-mot",
    "/",
    "/chu-de/cai-cach",
    "/feed.xml",
    "/chu-de/cai-cach/feed.xml",
    "/sitemap-bai-viet-1.xml",
    "/tim-kiem?q=hai+long",
];

fn future() -> String {
    loa::time::to_rfc3339_vietnam(loa::time::now() + chrono::Duration::days(30))
}

async fn app(db: TestDb) -> TestApp {
    let content = ContentDir::new();
    let article = |file: &str, slug: &str, title: &str, extra: &str| {
        content.article(
            file,
            &format!("title = \"{title}\"\nslug = \"{slug}\"\ntopics = [\"Cải cách\"]\n{extra}"),
            &format!("{title}: người dân hài lòng."),
        );
    };
    article(
        "mot.md",
        "bai-mot",
        "Bài một",
        "publish_at = \"2018-09-01\"",
    );
    let later = future();
    let scheduled = format!("status = \"scheduled\"\npublish_at = \"{later}\"");
    article("hai.md", "bai-hai", "Bài hai hẹn giờ", &scheduled);
    let expiring = format!("publish_at = \"2018-09-02\"\nunpublish_at = \"{later}\"");
    article("ba.md", "bai-ba", "Bài ba sắp hết hạn", &expiring);
    TestApp::spawn(db, content.path()).await
}

/// Changes a row behind the application's back: only a cached page can still show the old value.
async fn sneak(app: &TestApp, sql: &str) {
    app.state.db.pool().execute(sql, vec![]).await.unwrap();
}

/// Every page in [`PAGES`] as an anonymous visitor gets it now, each checked to be public.
async fn every_page(app: &TestApp) -> Vec<(&'static str, String)> {
    let mut pages = Vec::new();
    for path in PAGES {
        let r = app.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.headers().get("set-cookie").is_none(), "{path}");
        pages.push((*path, r.text().await.unwrap()));
    }
    pages
}

/// The publication step, as the scheduler runs it.
async fn run_publication(app: &TestApp) {
    let spec = loa::jobs::registry(&app.state.config)
        .into_iter()
        .find(|s| s.name == "publication")
        .unwrap();
    loa::jobs::run_once(&app.state.db, &app.state.config, &spec, "thu-nghiem").await;
}

async fn anonymous_pages_are_kept_with_their_encodings_and_tags(db: TestDb) {
    let app = app(db).await;
    let path = "/bai-viet/bai-mot";
    let first = app.get(path).await;
    let headers = first.headers().clone();
    let plain = first.bytes().await.unwrap();
    assert_eq!(
        headers["cache-control"],
        "public, max-age=5, stale-while-revalidate=30"
    );
    assert_eq!(headers["vary"], "accept-encoding, cookie");
    let tag = headers["etag"].to_str().unwrap().to_owned();

    // Changed behind the application's back: the kept page is what anonymous visitors get.
    sneak(
        &app,
        "update articles set title = 'Đổi lén' where slug = 'bai-mot'",
    )
    .await;
    let again = app.get(path).await;
    assert_eq!(again.headers()["etag"], tag.as_str());
    assert_eq!(again.bytes().await.unwrap(), plain);

    // The same bytes, compressed once: brotli first, gzip for those who take only gzip.
    let encoded = |encoding: &'static str| {
        app.client
            .get(format!("{}{path}", app.base))
            .header("accept-encoding", encoding)
            .send()
    };
    let br = encoded("gzip, deflate, br").await.unwrap();
    assert_eq!(br.headers()["content-encoding"], "br");
    let mut unpacked = Vec::new();
    brotli::Decompressor::new(&br.bytes().await.unwrap()[..], 4096)
        .read_to_end(&mut unpacked)
        .unwrap();
    assert_eq!(unpacked, plain);
    let gz = encoded("gzip").await.unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let mut unpacked = Vec::new();
    flate2::read::GzDecoder::new(&gz.bytes().await.unwrap()[..])
        .read_to_end(&mut unpacked)
        .unwrap();
    assert_eq!(unpacked, plain);

    // A browser that holds the page is told so, from the cache.
    let r = app
        .client
        .get(format!("{}{path}", app.base))
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert_eq!(r.headers()["etag"], tag.as_str());
    assert!(r.bytes().await.unwrap().is_empty());
    let r = app.client.head(format!("{}{path}", app.base)).send().await;
    assert_eq!(r.unwrap().status(), 200);

    // Queries are keys in any order; a session's page is never kept.
    assert_eq!(
        app.page("/tim-kiem?trang=1&q=hai+long", 200).await,
        app.page("/tim-kiem?q=hai+long&trang=1", 200).await
    );
    assert!(app.page("/healthz", 200).await.contains("ok"));
    assert_eq!(
        app.get("/healthz").await.headers()["cache-control"],
        "no-store"
    );
}

async fn every_change_shows_on_the_next_anonymous_request(db: TestDb) {
    let app = app(db).await;
    let editor = app.signed_in(Role::Editor).await;
    let before = every_page(&app).await;
    // The lists (not the article page, whose related articles may differ) show the others.
    for (path, page) in before.iter().skip(1) {
        assert!(page.contains("/bai-viet/bai-ba"), "{path}");
        assert!(!page.contains("/bai-viet/bai-hai"), "{path}");
    }

    // An edit: the new title everywhere (the sitemap shows no title, and its dates are to the
    // second: a title changed within the second of the import leaves it as it was).
    let id = article_id(&app, "bai-mot").await;
    let r = save(&editor, id, &[("title", "Bài một đã sửa")], "luu").await;
    assert_eq!(r.status(), 303);
    for ((path, old), (_, new)) in before.iter().zip(every_page(&app).await) {
        if !path.starts_with("/sitemap") {
            assert_ne!(*old, new, "the edit is not on {path}");
            assert!(new.contains("Bài một đã sửa"), "the edit is not on {path}");
        }
    }

    // A publication by the scheduler: its time is moved to the past behind the application's
    // back (no page shows a scheduled article), then the job publishes it.
    sneak(
        &app,
        "update articles set publish_at = '2018-09-03T00:00:00Z' where slug = 'bai-hai'",
    )
    .await;
    run_publication(&app).await;
    for (path, page) in every_page(&app).await.iter().skip(1) {
        assert!(
            page.contains("/bai-viet/bai-hai"),
            "the publication is not on {path}"
        );
    }
    app.page("/bai-viet/bai-hai", 200).await;

    // An expiry by the scheduler.
    app.page("/bai-viet/bai-ba", 200).await;
    sneak(
        &app,
        "update articles set unpublish_at = '2018-09-04T00:00:00Z' where slug = 'bai-ba'",
    )
    .await;
    run_publication(&app).await;
    app.page("/bai-viet/bai-ba", 404).await;
    for (path, page) in every_page(&app).await {
        assert!(
            !page.contains("/bai-viet/bai-ba"),
            "the expiry is not on {path}"
        );
    }

    // A deletion.
    let r = act(&editor, id, "xoa").await;
    assert_eq!(r.status(), 303);
    app.page("/bai-viet/bai-mot", 404).await;
    for path in PAGES.iter().skip(1) {
        let page = app.page(path, 200).await;
        assert!(
            !page.contains("/bai-viet/bai-mot"),
            "the deletion is not on {path}"
        );
    }
}

async fn signed_in_pages_never_touch_the_cache(db: TestDb) {
    let app = app(db).await;
    let path = "/bai-viet/bai-mot";
    let an = app.signed_in(Role::Employee).await;
    let binh = app.signed_in(Role::Editor).await;
    let name_of = |page: &str| {
        crate::helpers::attrs(page, "button[title]", "title")
            .pop()
            .unwrap_or_default()
    };

    // Signed in first: nothing is kept, so the next anonymous visitor gets a fresh page.
    let an_page = an.page(path, 200).await;
    let an_email = name_of(&an_page);
    assert!(an_email.contains('@'), "the page names its reader");
    let r = an.get(path).await;
    assert_eq!(r.headers()["cache-control"], "private, no-cache");
    sneak(
        &app,
        "update articles set title = 'Tên thứ hai' where slug = 'bai-mot'",
    )
    .await;
    let anonymous = app.page(path, 200).await;
    assert!(
        anonymous.contains("Tên thứ hai"),
        "a signed-in page was kept"
    );
    assert!(!anonymous.contains(&an_email) && !anonymous.contains("Đăng xuất"));

    // Kept for anonymous visitors, never given to a signed-in one.
    sneak(
        &app,
        "update articles set title = 'Tên thứ ba' where slug = 'bai-mot'",
    )
    .await;
    assert!(app.page(path, 200).await.contains("Tên thứ hai"), "kept");
    let binh_page = binh.page(path, 200).await;
    assert!(binh_page.contains("Tên thứ ba"));
    assert_ne!(name_of(&binh_page), an_email);
    assert!(!binh_page.contains(&an_email));
    for page in ["/", "/tim-kiem?q=hai+long", "/chu-de/cai-cach"] {
        let html = an.page(page, 200).await;
        assert_eq!(name_of(&html), an_email, "{page}");
    }
    // A state change that shows on no public page keeps them: the editor's live preview (sent
    // as one types), signing in.
    let r = binh
        .post("/admin/bai-viet/xem-truoc", &[("body", "# Thử")])
        .await;
    assert_eq!(r.status(), 200);
    app.signed_in(Role::Author).await;
    assert!(
        app.page(path, 200).await.contains("Tên thứ hai"),
        "still kept"
    );
}

async fn a_citizens_confirmation_moves_only_its_counts(db: TestDb) {
    let app = TestApp::spawn(db, &repo_content()).await;
    campaign(&app, "mua-he", &["sipas-la-gi"], 100, true).await;
    let thanks = "/bai-viet/sipas-la-gi/cam-on";
    let campaign_page = "/chien-dich/mua-he";
    let count = |html: &str| {
        crate::helpers::texts(html, ".citizen-count strong, #tong-xac-nhan")
            .pop()
            .unwrap_or_default()
    };
    assert_eq!(count(&app.page(thanks, 200).await), "0");
    assert_eq!(count(&app.page(campaign_page, 200).await), "0");
    let home = app.page("/", 200).await;
    let article = app.page("/bai-viet/sipas-la-gi", 200).await;

    let locality = app
        .state
        .db
        .pool()
        .fetch_optional::<Slug>("select slug from localities order by id limit 1", params![])
        .await
        .unwrap()
        .unwrap()
        .slug;
    let r = app
        .browser()
        .post(
            "/bai-viet/sipas-la-gi/nguoi-dan-xac-nhan",
            &[
                ("name", "Nguyễn Văn An"),
                ("phone", "0912345678"),
                ("locality", &locality),
                ("consent", "1"),
                ("website", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(count(&app.page(thanks, 200).await), "1");
    assert_eq!(count(&app.page(campaign_page, 200).await), "1");
    // Nothing else was dropped: the home page and the article page (which shows no count),
    // changed behind our back, are still the kept ones.
    sneak(&app, "update site set name = 'Tên khác'").await;
    assert_eq!(app.page("/", 200).await, home);
    assert_eq!(app.page("/bai-viet/sipas-la-gi", 200).await, article);
}

/// How soon a change made by another process shows: within a second on PostgreSQL (the
/// notice), within the periodic check's second and a render on SQLite.
fn across_processes(db: &TestDb) -> Duration {
    if db.url.starts_with("postgres") {
        Duration::from_secs(1)
    } else {
        Duration::from_millis(2500)
    }
}

/// Two `loa serve` processes on one database: what is published or edited through one is on the
/// other's pages within a second on PostgreSQL (LISTEN/NOTIFY); on SQLite, where two processes
/// only meet for `loa import`, within the periodic check's second and the render.
async fn two_serve_processes_on_one_database_stay_coherent(db: TestDb) {
    let within = across_processes(&db);
    let one = Server::start(&db, &[]);
    let other = Server::start(&db, &[]);
    let email = "bien-tap@loa.test";
    let store = db.connect().await;
    create_user_on(&store, email, "Biên tập viên", Role::Editor, None, false).await;
    let editor = Browser::new(&one.base);
    assert_eq!(editor.sign_in(email, PASSWORD).await.status(), 303);
    let visitor = Browser::new(&other.base);
    let seen = |path: &'static str, what: String| {
        let visitor = &visitor;
        async move {
            let started = Instant::now();
            loop {
                let page = visitor.page(path, 200).await;
                if page.contains(&what) {
                    return started.elapsed();
                }
                assert!(
                    started.elapsed() < within,
                    "«{what}» not on the other instance's {path} after {within:?}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    // The other instance keeps its pages (a second request comes from its cache).
    let home = visitor.page("/", 200).await;
    assert_eq!(visitor.page("/", 200).await, home);
    let article = visitor.page("/bai-viet/sipas-la-gi", 200).await;

    create(&editor, "Tin mới từ máy một", "Nội dung mới.", "xuat-ban").await;
    let slug = loa::slug::slugify("Tin mới từ máy một");
    let took = seen("/", format!("/bai-viet/{slug}")).await;
    eprintln!("publication seen on the other instance after {took:?}");

    let sipas = store
        .pool()
        .fetch_i64("select id from articles where slug = 'sipas-la-gi'", vec![])
        .await
        .unwrap();
    store.close().await;
    assert!(!article.contains("SIPAS đã sửa trên máy một"));
    let r = save(
        &editor,
        sipas,
        &[("title", "SIPAS đã sửa trên máy một")],
        "luu",
    )
    .await;
    assert_eq!(r.status(), 303, "{}", location(&r));
    let took = seen(
        "/bai-viet/sipas-la-gi",
        "SIPAS đã sửa trên máy một".to_owned(),
    )
    .await;
    eprintln!("edit seen on the other instance after {took:?}");
}

/// `loa seed-demo` run by hand next to a running `loa serve` on the same database: its articles
/// are on the server's home page at once (PostgreSQL: the notice; SQLite: the periodic check),
/// not after the kept page's lifetime.
async fn seed_demo_drops_a_running_servers_pages(db: TestDb) {
    let within = across_processes(&db);
    let server = Server::start(&db, &[]);
    let visitor = Browser::new(&server.base);
    let home = visitor.page("/", 200).await;
    assert_eq!(visitor.page("/", 200).await, home, "kept");
    assert!(!home.contains("/bai-viet/tai-lieu-mau-01"));

    let mut cmd = crate::fixtures::binary::command(&db);
    cmd.args([
        "seed-demo",
        "--units",
        "3",
        "--employees",
        "5",
        "--citizens",
        "5",
        "--articles",
        "2",
        "--force",
    ]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        crate::fixtures::binary::text(&out)
    );
    let started = Instant::now();
    while !visitor
        .page("/", 200)
        .await
        .contains("/bai-viet/tai-lieu-mau-01")
    {
        assert!(
            started.elapsed() < within,
            "the demo articles are not on the running server's home page after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[derive(sqlx::FromRow)]
struct Slug {
    slug: String,
}
