//! Atom feeds and robots.txt, read back with a real feed parser (the sitemap: `sitemap.rs`).

use chrono::{DateTime, Utc};

use crate::db_tests;
use crate::helpers::{ContentDir, TestApp, TestDb};

db_tests!(
    the_site_feed_lists_published_articles_newest_first,
    topic_feeds_hold_their_topic_only,
    feeds_keep_the_latest_twenty,
    robots_keeps_crawlers_out_of_private_pages,
);

/// A clock far ahead, so that start-up's own catch-up leaves the scheduled article alone.
pub(crate) const LATER: &str = "2100-01-01T00:00:00Z";

pub(crate) fn content() -> ContentDir {
    let dir = ContentDir::new();
    dir.article(
        "a.md",
        "title = \"Đăng ký khám sức khỏe\"\nslug = \"dang-ky\"\npublish_at = \"2018-09-01\"\n\
         summary = \"Hướng dẫn đăng ký.\"\ntopics = [\"Sức khỏe\", \"Dịch vụ công\"]",
        "Nội dung.",
    )
    .article(
        "b.md",
        "title = 'Hỏi & đáp <b>\"mới\"</b>'\nslug = \"hoi-dap\"\npublish_at = \"2018-09-05\"\n\
         topics = [\"Dịch vụ công\"]",
        "Nội dung.",
    )
    .article(
        "c.md",
        "title = \"Bản nháp bí mật\"\nslug = \"ban-nhap\"\nstatus = \"draft\"\ntopics = [\"Sức khỏe\"]",
        "Nội dung.",
    )
    .article(
        "d.md",
        &format!(
            "title = \"Sắp đăng\"\nslug = \"sap-dang\"\nstatus = \"scheduled\"\n\
             publish_at = \"{LATER}\"\ntopics = [\"Sức khỏe\"]"
        ),
        "Nội dung.",
    );
    dir
}

/// GETs a feed, checks its content type and parses it.
async fn feed(app: &TestApp, path: &str) -> feed_rs::model::Feed {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "GET {path}");
    assert_eq!(
        response.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let body = response.bytes().await.unwrap();
    let feed = feed_rs::parser::parse(&body[..]).expect("a valid feed");
    assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
    feed
}

fn titles(feed: &feed_rs::model::Feed) -> Vec<String> {
    feed.entries
        .iter()
        .map(|e| e.title.as_ref().expect("a title").content.clone())
        .collect()
}

fn link(links: &[feed_rs::model::Link], rel: &str) -> String {
    links
        .iter()
        .find(|l| l.rel.as_deref() == Some(rel))
        .unwrap_or_else(|| panic!("a {rel} link"))
        .href
        .clone()
}

async fn the_site_feed_lists_published_articles_newest_first(db: TestDb) {
    let dir = content();
    let app = TestApp::spawn(db, dir.path()).await;
    let base = &app.base;

    let f = feed(&app, "/feed.xml").await;
    assert_eq!(f.id, format!("{base}/feed.xml"));
    assert_eq!(f.title.as_ref().unwrap().content, "Loa");
    assert_eq!(
        f.authors[0].name.as_deref(),
        Some("Loa"),
        "the site is the author"
    );
    assert_eq!(link(&f.links, "self"), format!("{base}/feed.xml"));
    assert_eq!(link(&f.links, "alternate"), format!("{base}/"));
    // Escaped on the way out, read back exactly; the draft and the scheduled one are absent.
    assert_eq!(
        titles(&f),
        ["Hỏi & đáp <b>\"mới\"</b>", "Đăng ký khám sức khỏe"]
    );
    let first = &f.entries[1];
    assert_eq!(
        link(&first.links, "alternate"),
        format!("{base}/bai-viet/dang-ky")
    );
    assert!(first.id.starts_with("tag:127.0.0.1,"), "{}", first.id);
    assert_eq!(
        first.published.unwrap(),
        "2018-08-31T17:00:00Z".parse::<DateTime<Utc>>().unwrap(),
        "published: midnight of 1/9/2018 in Vietnam"
    );
    assert!(first.updated.is_some());
    assert_eq!(
        first.summary.as_ref().unwrap().content,
        "Hướng dẫn đăng ký."
    );
    let mut terms: Vec<_> = first.categories.iter().map(|c| c.term.clone()).collect();
    terms.sort();
    assert_eq!(terms, ["dich-vu-cong", "suc-khoe"]);
    assert_eq!(
        first.categories[0].label.as_deref(),
        Some("Sức khỏe"),
        "categories keep the topic's name, in order"
    );
    let ids: Vec<_> = f.entries.iter().map(|e| e.id.clone()).collect();
    assert!(ids[0] != ids[1], "entry ids are unique");

    // Every page points feed readers to the site feed.
    let home = app.page("/", 200).await;
    assert!(home.contains(r#"<link rel="alternate" type="application/atom+xml" href="/feed.xml""#));

    // What the scheduler publishes goes to the top of the feed, with the same ids as before.
    let report = loa::jobs::publication::run_due(&app.state.db, LATER.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(report.published.len(), 1);
    let f = feed(&app, "/feed.xml").await;
    assert_eq!(titles(&f)[0], "Sắp đăng");
    assert_eq!(f.entries.len(), 3);
    assert_eq!(f.entries[1].id, ids[0]);
    assert!(!titles(&f).contains(&"Bản nháp bí mật".to_owned()));
}

async fn topic_feeds_hold_their_topic_only(db: TestDb) {
    let dir = content();
    let app = TestApp::spawn(db, dir.path()).await;
    let base = &app.base;

    let f = feed(&app, "/chu-de/suc-khoe/feed.xml").await;
    assert_eq!(
        titles(&f),
        ["Đăng ký khám sức khỏe"],
        "no draft, no scheduled"
    );
    assert_eq!(f.title.as_ref().unwrap().content, "Loa – Chủ đề: Sức khỏe");
    assert_eq!(
        link(&f.links, "self"),
        format!("{base}/chu-de/suc-khoe/feed.xml")
    );
    assert_eq!(
        link(&f.links, "alternate"),
        format!("{base}/chu-de/suc-khoe")
    );

    let f = feed(&app, "/chu-de/dich-vu-cong/feed.xml").await;
    assert_eq!(
        titles(&f),
        ["Hỏi & đáp <b>\"mới\"</b>", "Đăng ký khám sức khỏe"]
    );

    app.page("/chu-de/khong-co/feed.xml", 404).await;
    // Deleting the only published article of a topic takes its feed away.
    app.state
        .db
        .pool()
        .execute(
            "update articles set deleted_at = $1 where slug = 'dang-ky'",
            loa::params![loa::time::now()],
        )
        .await
        .unwrap();
    app.changed_behind_its_back();
    app.page("/chu-de/suc-khoe/feed.xml", 404).await;
    assert_eq!(
        titles(&feed(&app, "/feed.xml").await),
        ["Hỏi & đáp <b>\"mới\"</b>"]
    );
}

async fn feeds_keep_the_latest_twenty(db: TestDb) {
    let dir = ContentDir::new();
    for day in 1..=25 {
        dir.article(
            &format!("{day}.md"),
            &format!(
                "title = \"Bài {day}\"\nslug = \"bai-{day}\"\npublish_at = \"2018-09-{day:02}\"\ntopics = [\"Tin\"]"
            ),
            "x",
        );
    }
    let app = TestApp::spawn(db, dir.path()).await;
    for path in ["/feed.xml", "/chu-de/tin/feed.xml"] {
        let f = feed(&app, path).await;
        let expected: Vec<String> = (6..=25).rev().map(|d| format!("Bài {d}")).collect();
        assert_eq!(titles(&f), expected, "{path}");
        let newest = f.entries.iter().filter_map(|e| e.updated).max().unwrap();
        assert_eq!(f.updated, Some(newest), "{path}: updated with its entries");
    }
}

async fn robots_keeps_crawlers_out_of_private_pages(db: TestDb) {
    let dir = ContentDir::new();
    let app = TestApp::spawn(db, dir.path()).await;
    let response = app.get("/robots.txt").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    let body = response.text().await.unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines[0], "User-agent: *");
    for path in [
        "/admin",
        "/dang-nhap",
        "/can-xac-nhan",
        "/thong-bao",
        "/xem-truoc/",
    ] {
        assert!(
            lines.contains(&format!("Disallow: {path}").as_str()),
            "Disallow: {path}"
        );
    }
    assert!(
        !lines
            .iter()
            .any(|l| *l == "Disallow: /" || *l == "Disallow:"),
        "the public site stays open"
    );
    assert!(lines.contains(&format!("Sitemap: {}/sitemap.xml", app.base).as_str()));
}
