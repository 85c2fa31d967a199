//! Sharing and HTTP caching: link previews (Open Graph, Twitter), JSON-LD, ETag revalidation
//! that never serves a stale page, and compressed responses.

use chrono::{Duration, Utc};

use crate::db_tests;
use crate::helpers::{attrs, count, texts, ContentDir, TestApp, TestDb};

db_tests!(
    articles_carry_link_previews_and_structured_data,
    pages_revalidate_and_never_go_stale,
    responses_are_compressed,
    pages_and_feeds_say_when_they_last_changed,
);

const HOSTILE_TITLE: &str = "Khảo sát </script><script>alert(1)</script> hài lòng";

fn meta(html: &str, property: &str) -> Vec<String> {
    let mut found = attrs(html, &format!("meta[property='{property}']"), "content");
    found.extend(attrs(html, &format!("meta[name='{property}']"), "content"));
    found
}

async fn articles_carry_link_previews_and_structured_data(db: TestDb) {
    let content = ContentDir::new();
    content
        .article(
            "co-anh.md",
            &format!(
                "title = \"{HOSTILE_TITLE}\"\nslug = \"co-anh\"\nsummary = \"Tóm tắt ngắn.\"\n\
                 publish_at = \"2018-08-31T23:30:00+07:00\"\n\
                 cover = \"/static/img/sipas-5-yeu-to.svg\"\ncover_alt = \"Sơ đồ\""
            ),
            "Nội dung bài viết.",
        )
        .article(
            "khong-anh.md",
            "title = \"Không ảnh bìa\"\nslug = \"khong-anh\"\nsummary = \"Chỉ có chữ.\"",
            "Nội dung.",
        );
    let app = TestApp::spawn(db, content.path()).await;
    let page = app.page("/bai-viet/co-anh", 200).await;
    let canonical = format!("{}/bai-viet/co-anh", app.base);
    let cover = format!("{}/static/img/sipas-5-yeu-to.svg", app.base);

    assert_eq!(
        attrs(&page, "link[rel=canonical]", "href"),
        std::slice::from_ref(&canonical)
    );
    assert_eq!(meta(&page, "og:url"), std::slice::from_ref(&canonical));
    assert_eq!(meta(&page, "og:type"), ["article"]);
    assert_eq!(meta(&page, "og:title"), [HOSTILE_TITLE]);
    assert_eq!(meta(&page, "og:description"), ["Tóm tắt ngắn."]);
    assert_eq!(meta(&page, "og:image"), std::slice::from_ref(&cover));
    assert_eq!(meta(&page, "og:locale"), ["vi_VN"]);
    assert_eq!(meta(&page, "og:site_name").len(), 1);
    assert_eq!(meta(&page, "twitter:card"), ["summary_large_image"]);
    assert_eq!(
        meta(&page, "article:published_time"),
        ["2018-08-31T16:30:00Z"]
    );

    // The title's `</script>` closes nothing: one inline script element, the JSON-LD, and no
    // other (besides our own script file).
    assert_eq!(count(&page, "script:not([src])"), 1);
    assert_eq!(count(&page, "script[type='application/ld+json']"), 1);
    assert!(!page.contains("<script>alert"));
    let json = texts(&page, "script[type='application/ld+json']").remove(0);
    let ld: serde_json::Value = serde_json::from_str(&json).expect("JSON-LD parses");
    assert_eq!(ld["@context"], "https://schema.org");
    assert_eq!(ld["@type"], "NewsArticle");
    assert_eq!(ld["headline"], HOSTILE_TITLE);
    assert_eq!(ld["description"], "Tóm tắt ngắn.");
    assert_eq!(ld["image"], cover.as_str());
    assert_eq!(ld["datePublished"], "2018-08-31T16:30:00Z");
    assert!(ld["dateModified"]
        .as_str()
        .is_some_and(|d| d.ends_with('Z')));
    assert_eq!(ld["mainEntityOfPage"]["@id"], canonical.as_str());
    assert_eq!(ld["publisher"], ld["author"]);
    assert!(ld["publisher"]["name"]
        .as_str()
        .is_some_and(|n| !n.is_empty()));

    let plain = app.page("/bai-viet/khong-anh", 200).await;
    assert_eq!(meta(&plain, "twitter:card"), ["summary"]);
    assert!(meta(&plain, "og:image").is_empty());
    assert_eq!(
        attrs(&plain, "link[rel=canonical]", "href"),
        [format!("{}/bai-viet/khong-anh", app.base)]
    );

    let home = app.page("/", 200).await;
    assert_eq!(meta(&home, "og:type"), ["website"]);
    assert_eq!(count(&home, "script[type='application/ld+json']"), 0);
    assert_eq!(
        attrs(&home, "link[rel=canonical]", "href"),
        [format!("{}/", app.base)]
    );
}

/// The ETag of `path` for a client that keeps its cookies (asserting the page is 200).
async fn etag(browser: &crate::helpers::Browser, path: &str) -> String {
    let r = browser.get(path).await;
    assert_eq!(r.status(), 200, "GET {path}");
    assert!(r.headers().get("set-cookie").is_none());
    let cache = r.headers()["cache-control"].to_str().unwrap().to_owned();
    assert!(cache.starts_with("public, max-age="), "{path}: {cache}");
    r.headers()["etag"].to_str().unwrap().to_owned()
}

async fn conditional(
    browser: &crate::helpers::Browser,
    path: &str,
    tag: &str,
) -> reqwest::Response {
    browser
        .client
        .get(format!("{}{path}", browser.base))
        .header("if-none-match", tag)
        .send()
        .await
        .unwrap()
}

async fn pages_revalidate_and_never_go_stale(db: TestDb) {
    let at = Utc::now() + Duration::days(3);
    let content = ContentDir::new();
    content
        .article("a.md", "title = \"Đã đăng\"\nslug = \"da-dang\"", "Nội dung.")
        .article(
            "b.md",
            &format!(
                "title = \"Bài hẹn giờ mới\"\nslug = \"hen-gio\"\nstatus = \"scheduled\"\npublish_at = \"{}\"",
                at.format("%Y-%m-%dT%H:%M:%SZ")
            ),
            "Sắp đăng.",
        );
    let app = TestApp::spawn(db, content.path()).await;
    let browser = app.browser();

    // No visit hands out a cookie; the pages revalidate from the first.
    let first = browser.get("/").await;
    assert!(first.headers().get("set-cookie").is_none());
    for path in ["/", "/bai-viet/da-dang", "/chu-de"] {
        let tag = etag(&browser, path).await;
        assert!(tag.starts_with("W/\""), "{path}: {tag}");
        assert_eq!(
            etag(&browser, path).await,
            tag,
            "{path}: the same page, the same tag"
        );
        let r = conditional(&browser, path, &tag).await;
        assert_eq!(r.status(), 304, "{path}");
        assert_eq!(r.headers()["etag"], tag.as_str());
        assert!(r.bytes().await.unwrap().is_empty());
        let r = conditional(&browser, path, "W/\"something-else\"").await;
        assert_eq!(r.status(), 200, "{path}: another tag gets the page");
    }
    let r = browser.get("/").await;
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=5, stale-while-revalidate=30",
        "an anonymous page is the same for everyone: anyone may keep it, briefly"
    );

    // A publication by the scheduler changes the home page, and so its tag.
    let home_tag = etag(&browser, "/").await;
    assert!(!browser.page("/", 200).await.contains("Bài hẹn giờ mới"));
    let report = loa::jobs::publication::run_due(&app.state.db, at + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(report.published.len(), 1);
    let r = conditional(&browser, "/", &home_tag).await;
    assert_eq!(r.status(), 200, "never a stale 304 after a publication");
    assert_ne!(r.headers()["etag"], home_tag.as_str());
    assert!(r.text().await.unwrap().contains("Bài hẹn giờ mới"));

    // An edit of an article changes its page's tag.
    let article_tag = etag(&browser, "/bai-viet/da-dang").await;
    app.state
        .db
        .pool()
        .execute(
            "update articles set body_html = $1 where slug = 'da-dang'",
            loa::params!["<p>Nội dung đã sửa.</p>".to_owned()],
        )
        .await
        .unwrap();
    app.changed_behind_its_back();
    let r = conditional(&browser, "/bai-viet/da-dang", &article_tag).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Nội dung đã sửa."));

    // Error pages are never answered 304.
    let r = conditional(&browser, "/bai-viet/khong-co", "*").await;
    assert_eq!(r.status(), 404);
}

async fn responses_are_compressed(db: TestDb) {
    let content = ContentDir::new();
    content.article(
        "a.md",
        "title = \"Bài dài\"\nslug = \"bai-dai\"",
        &"Một đoạn văn khá dài để nén. ".repeat(300),
    );
    let app = TestApp::spawn(db, content.path()).await;
    let url = format!("{}/bai-viet/bai-dai", app.base);
    let plain = app.client.get(&url).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let plain_len = plain.bytes().await.unwrap().len();
    for encoding in ["br", "gzip"] {
        let r = app
            .client
            .get(&url)
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-encoding"], encoding);
        let vary = r.headers()["vary"].to_str().unwrap().to_ascii_lowercase();
        assert!(vary.contains("accept-encoding"));
        let len = r.bytes().await.unwrap().len();
        assert!(
            len * 4 < plain_len,
            "{encoding}: {len} of {plain_len} bytes"
        );
    }
}

async fn since(
    browser: &crate::helpers::Browser,
    path: &str,
    when: &str,
    tag: Option<&str>,
) -> reqwest::Response {
    let mut r = browser
        .client
        .get(format!("{}{path}", browser.base))
        .header("if-modified-since", when);
    if let Some(tag) = tag {
        r = r.header("if-none-match", tag);
    }
    r.send().await.unwrap()
}

/// `Last-Modified` on article pages and feeds, for clients that revalidate by date: a 304 while
/// nothing changed, the page after an edit or an article leaving the feed; the ETag decides when
/// both are sent; a signed-in reader's page (their own status box) carries no date.
async fn pages_and_feeds_say_when_they_last_changed(db: TestDb) {
    let content = ContentDir::new();
    content
        .article(
            "a.md",
            "title = \"Đã đăng\"\nslug = \"da-dang\"",
            "Nội dung.",
        )
        .article("b.md", "title = \"Bài khác\"\nslug = \"bai-khac\"", "Khác.");
    let app = TestApp::spawn(db, content.path()).await;
    let browser = app.browser();
    browser.get("/").await;
    let last_modified = |r: &reqwest::Response| {
        r.headers()
            .get("last-modified")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    for path in ["/bai-viet/da-dang", "/feed.xml"] {
        let r = browser.get(path).await;
        assert_eq!(r.status(), 200);
        let when = last_modified(&r).unwrap_or_else(|| panic!("{path}: no Last-Modified"));
        let tag = r.headers()["etag"].to_str().unwrap().to_owned();
        let r = since(&browser, path, &when, None).await;
        assert_eq!(r.status(), 304, "{path}");
        assert_eq!(last_modified(&r).as_deref(), Some(when.as_str()));
        assert!(r.bytes().await.unwrap().is_empty());
        let earlier = "Mon, 03 Sep 2018 08:00:00 GMT";
        assert_eq!(
            since(&browser, path, earlier, None).await.status(),
            200,
            "{path}"
        );
        // Both sent: the ETag decides (a stale tag gets the page, whatever the date).
        let r = since(&browser, path, &when, Some("W/\"cu\"")).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(since(&browser, path, &when, Some(&tag)).await.status(), 304);
    }

    // An edit, seconds later: the page and the feed are sent again.
    let page_date = last_modified(&browser.get("/bai-viet/da-dang").await).unwrap();
    let feed_date = last_modified(&browser.get("/feed.xml").await).unwrap();
    let later = Utc::now() + Duration::seconds(5);
    app.state
        .db
        .pool()
        .execute(
            "update articles set title = 'Đã sửa', updated_at = $1 where slug = 'da-dang'",
            loa::params![later],
        )
        .await
        .unwrap();
    app.changed_behind_its_back();
    let r = since(&browser, "/bai-viet/da-dang", &page_date, None).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Đã sửa"));
    assert_eq!(
        since(&browser, "/feed.xml", &feed_date, None)
            .await
            .status(),
        200
    );

    // An article leaving the feed changes it too, though no entry left in it changed.
    let feed_date = last_modified(&browser.get("/feed.xml").await).unwrap();
    app.state
        .db
        .pool()
        .execute(
            "update articles set deleted_at = $1, updated_at = $1 where slug = 'bai-khac'",
            loa::params![later + Duration::seconds(5)],
        )
        .await
        .unwrap();
    app.changed_behind_its_back();
    let r = since(&browser, "/feed.xml", &feed_date, None).await;
    assert_eq!(r.status(), 200);
    assert!(!r.text().await.unwrap().contains("Bài khác"));

    // A signed-in reader's article page has no date to revalidate by.
    let staff = app.signed_in(loa::account::Role::Employee).await;
    let r = staff.get("/bai-viet/da-dang").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("last-modified").is_none());
}
