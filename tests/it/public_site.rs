//! The public site: home, articles, topics, pagination, error pages, health, assets.

use crate::db_tests;
use crate::helpers::{attrs, count, repo_content, texts, ContentDir, TestApp, TestDb};

db_tests!(
    sipas_content_is_served_from_an_empty_database,
    only_published_articles_are_public,
    listings_are_paginated,
    article_pages_show_their_details,
    hostile_markdown_cannot_reach_a_page,
    stored_html_is_served_without_re_rendering,
    stale_renders_are_refreshed_at_start_up,
    errors_and_health,
);

/// Slugs and titles of the repository's articles, read from the files themselves.
fn repo_articles() -> Vec<(String, String)> {
    let set = loa::content::load_dir(&repo_content()).expect("content/ is valid");
    set.articles
        .into_iter()
        .map(|f| (f.input.slug.to_string(), f.input.title))
        .collect()
}

async fn sipas_content_is_served_from_an_empty_database(db: TestDb) {
    let app = TestApp::spawn(db, &repo_content()).await;
    let articles = repo_articles();
    assert!(articles.len() >= 9);

    let home = app.page("/", 200).await;
    assert!(home.contains("<html lang=\"vi\">"));
    assert!(home.contains("Sở Thông tin và Truyền thông tỉnh Bình Phước"));
    assert_eq!(count(&home, "h1"), 1);
    // Every article is listed, newest first, over the home page and the pages after it.
    let mut links = Vec::new();
    let mut listed = String::new();
    let mut page = Some("/".to_owned());
    while let Some(path) = page {
        let html = app.page(&path, 200).await;
        links.extend(attrs(
            &html,
            ".cards:not(.cards-featured) .card-title a",
            "href",
        ));
        page = attrs(&html, "a[rel=next]", "href").into_iter().next();
        listed.push_str(&html);
    }
    assert_eq!(links.len(), articles.len(), "{links:?}");
    for (slug, title) in &articles {
        assert!(
            links.contains(&format!("/bai-viet/{slug}")),
            "the listing has {slug}"
        );
        assert!(
            listed.contains(&loa::templates::escape_html(title)),
            "the listing shows «{title}»"
        );
    }
    // The yearly results follow the calendar: the latest on top, the 2017 picture last.
    let position = |slug: &str| {
        links
            .iter()
            .position(|l| l == &format!("/bai-viet/{slug}"))
            .unwrap()
    };
    let series: Vec<usize> = ["2020", "2019", "2018", "2017"]
        .iter()
        .map(|year| position(&format!("ket-qua-sipas-{year}")))
        .collect();
    assert!(series.windows(2).all(|w| w[0] < w[1]), "{series:?}");
    assert_eq!(series[..3], [0, 1, 2], "the three results open the listing");

    for (slug, title) in &articles {
        let page = app.page(&format!("/bai-viet/{slug}"), 200).await;
        assert_eq!(
            texts(&page, "h1"),
            std::slice::from_ref(title),
            "{slug}: one h1, the title"
        );
        assert_eq!(count(&page, "a.skip-link[href='#noi-dung']"), 1);
        assert_eq!(count(&page, "main#noi-dung"), 1);
        // A table of contents whose every link lands on a heading of the page.
        let toc = attrs(&page, "nav.toc a", "href");
        assert!(toc.len() >= 3, "{slug} has a table of contents");
        for href in toc {
            let id = href.trim_start_matches('#');
            assert_eq!(
                count(&page, &format!(".prose [id='{id}']")),
                1,
                "{slug}: anchor {id}"
            );
        }
        let date = texts(&page, ".article-header time").remove(0);
        assert!(
            date.len() == 10
                && date.as_bytes()[2] == b'/'
                && ["/2018", "/2019", "/2020", "/2021"]
                    .iter()
                    .any(|y| date.ends_with(y)),
            "{slug}: date {date}"
        );
        assert!(page.contains("phút đọc"));
        assert!(page.contains("Nguồn"));
    }

    let topics = app.page("/chu-de", 200).await;
    let topic_links = attrs(&topics, ".topic-list a", "href");
    assert!(topic_links.contains(&"/chu-de/sipas".to_owned()));
    for link in topic_links {
        let page = app.page(&link, 200).await;
        assert!(count(&page, ".card") >= 1, "{link} lists articles");
    }
}

async fn only_published_articles_are_public(db: TestDb) {
    let content = ContentDir::new();
    content
        .article("a.md", "title = \"Công khai\"\ntopics = [\"Chung\"]", "Nội dung.")
        .article(
            "b.md",
            "title = \"Bản nháp\"\nstatus = \"draft\"\ntopics = [\"Chung\", \"Riêng\"]",
            "x",
        )
        .article("c.md", "title = \"Chờ duyệt\"\nstatus = \"review\"", "x")
        .article(
            "d.md",
            "title = \"Hẹn giờ\"\nstatus = \"scheduled\"\npublish_at = \"2999-01-01T08:00:00+07:00\"",
            "x",
        )
        .article("e.md", "title = \"Lưu trữ\"\nstatus = \"archived\"", "x");
    let app = TestApp::spawn(db, content.path()).await;

    app.page("/bai-viet/cong-khai", 200).await;
    let home = app.page("/", 200).await;
    let topic = app.page("/chu-de/chung", 200).await;
    for slug in ["ban-nhap", "cho-duyet", "hen-gio", "luu-tru"] {
        app.page(&format!("/bai-viet/{slug}"), 404).await;
        assert!(!home.contains(slug), "{slug} is not on the home page");
        assert!(!topic.contains(slug), "{slug} is not on the topic page");
    }
    // A topic with no published article does not exist for readers.
    app.page("/chu-de/rieng", 404).await;
    let topics = app.page("/chu-de", 200).await;
    assert!(topics.contains("Chung") && !topics.contains("Riêng"));
}

async fn listings_are_paginated(db: TestDb) {
    let content = ContentDir::new();
    for i in 1..=23 {
        content.article(
            &format!("bai-{i:02}.md"),
            &format!(
                "title = \"Bài số {i}\"\ntopics = [\"Tin tức\"]\npublish_at = \"2018-09-{i:02}T08:00:00+07:00\""
            ),
            "Nội dung.",
        );
    }
    let app = TestApp::spawn(db, content.path()).await;

    let first = app.page("/", 200).await;
    assert_eq!(count(&first, ".cards:not(.cards-featured) .card"), 10);
    // Newest first.
    assert_eq!(texts(&first, ".card-title").first().unwrap(), "Bài số 23");
    assert_eq!(attrs(&first, "a[rel=next]", "href"), ["/?trang=2"]);
    assert_eq!(count(&first, "a[rel=prev]"), 0);

    let last = app.page("/?trang=3", 200).await;
    assert_eq!(count(&last, ".card"), 3);
    assert_eq!(texts(&last, ".card-title").last().unwrap(), "Bài số 1");
    assert_eq!(attrs(&last, "a[rel=prev]", "href"), ["/?trang=2"]);
    assert_eq!(count(&last, "a[rel=next]"), 0);

    for missing in ["/?trang=4", "/?trang=0", "/?trang=-1", "/?trang=abc"] {
        app.page(missing, 404).await;
    }
    let topic = app.page("/chu-de/tin-tuc?trang=2", 200).await;
    assert_eq!(count(&topic, ".card"), 10);
    assert_eq!(
        attrs(&topic, "a[rel=next]", "href"),
        ["/chu-de/tin-tuc?trang=3"]
    );
    app.page("/chu-de/tin-tuc?trang=4", 404).await;
}

async fn article_pages_show_their_details(db: TestDb) {
    let content = ContentDir::new();
    content.article(
        "chi-tiet.md",
        "title = \"Chỉ số hài lòng\"\nsummary = \"Tóm tắt ngắn.\"\ntopics = [\"SIPAS\", \"Dành cho người dân\"]\n\
         publish_at = \"2018-08-31T23:30:00+07:00\"\nfeatured = true\n\
         cover = \"/static/img/sipas-5-yeu-to.svg\"\ncover_alt = \"Sơ đồ năm yếu tố\"",
        &format!("## Ý nghĩa\n\n{}\n\n### Đối tượng\n\nAi?\n\n## Nguồn\n\n- Văn bản.", "chữ ".repeat(500)),
    );
    let app = TestApp::spawn(db, content.path()).await;
    let page = app.page("/bai-viet/chi-so-hai-long", 200).await;

    // 23:30 on 31/08 in Vietnam is 16:30 UTC the same day; the page shows Vietnam's date.
    assert_eq!(texts(&page, ".article-header time"), ["31/08/2018"]);
    assert_eq!(
        attrs(&page, ".article-header time", "datetime"),
        ["2018-08-31T16:30:00Z"]
    );
    assert!(page.contains("3 phút đọc"), "500 words at 220 a minute");
    assert_eq!(texts(&page, ".lead"), ["Tóm tắt ngắn."]);
    assert_eq!(attrs(&page, ".cover img", "alt"), ["Sơ đồ năm yếu tố"]);
    assert_eq!(
        attrs(&page, "nav.toc a", "href"),
        ["#y-nghia", "#doi-tuong", "#nguon"]
    );
    assert_eq!(
        texts(&page, ".article-footer .tag"),
        ["SIPAS", "Dành cho người dân"]
    );
    assert_eq!(
        attrs(&page, "link[rel=canonical]", "href"),
        [format!("{}/bai-viet/chi-so-hai-long", app.base)]
    );
    assert_eq!(
        attrs(&page, "meta[name=description]", "content"),
        ["Tóm tắt ngắn."]
    );

    let home = app.page("/", 200).await;
    assert_eq!(
        texts(&home, ".cards-featured .card-title"),
        ["Chỉ số hài lòng"]
    );
    assert_eq!(
        attrs(&home, ".cards-featured .card-cover", "alt"),
        ["Sơ đồ năm yếu tố"]
    );
}

async fn hostile_markdown_cannot_reach_a_page(db: TestDb) {
    let content = ContentDir::new();
    content.article(
        "xau.md",
        "title = \"Bài <script>alert(1)</script>\"\nslug = \"xau\"\nsummary = \"<img src=x onerror=alert(1)>\"",
        "<script>alert(1)</script>\n\n[bấm](javascript:alert(1))\n\n# Tiêu đề {#x onclick=alert(1)}\n\n<img src=x onerror=alert(2)>",
    );
    let app = TestApp::spawn(db, content.path()).await;
    let page = app.page("/bai-viet/xau", 200).await;
    // Besides our own script file, the only script element is the article's JSON-LD data block,
    // which is never executed.
    assert_eq!(
        count(
            &page,
            "script:not([type='application/ld+json']):not([src^='/static/'])"
        ),
        0
    );
    assert_eq!(count(&page, "script[type='application/ld+json']"), 1);
    assert_eq!(count(&page, "script[src]"), 1);
    assert_eq!(count(&page, "[onclick], [onerror]"), 0);
    assert!(!page.contains("javascript:"));
    // The title and summary are text, escaped, not markup.
    assert!(page.contains("Bài &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_eq!(texts(&page, ".prose a"), ["bấm"]);
}

async fn stored_html_is_served_without_re_rendering(db: TestDb) {
    let content = ContentDir::new();
    content.article("a.md", "title = \"Lưu sẵn\"", "Nội dung gốc.");
    let app = TestApp::spawn(db, content.path()).await;
    // Overwrite the stored rendering behind the application's back: the page must show it,
    // which proves pages do not run the Markdown pipeline per request.
    app.state
        .db
        .pool()
        .execute(
            "update articles set body_html = $1 where slug = $2",
            loa::params!["<p>Bản đã lưu</p>", "luu-san"],
        )
        .await
        .unwrap();
    let page = app.page("/bai-viet/luu-san", 200).await;
    assert_eq!(texts(&page, ".prose"), ["Bản đã lưu"]);
}

async fn stale_renders_are_refreshed_at_start_up(db: TestDb) {
    let content = ContentDir::new();
    content.article("a.md", "title = \"Cũ\"", "## Mới\n\nNội dung.");
    let app = TestApp::spawn(db, content.path()).await;
    app.state
        .db
        .pool()
        .execute(
            "update articles set body_html = $1, render_version = 0",
            loa::params!["<p>cũ</p>"],
        )
        .await
        .unwrap();
    // A restart (a new app on the same database) brings renderings up to date.
    let restarted = TestApp::spawn(app.db, content.path()).await;
    let page = restarted.page("/bai-viet/cu", 200).await;
    assert_eq!(count(&page, ".prose h2#moi"), 1);
}

async fn errors_and_health(db: TestDb) {
    let content = ContentDir::new();
    content.article("a.md", "title = \"A\"", "x");
    let app = TestApp::spawn(db, content.path()).await;

    let missing = app.page("/khong-co-trang-nay", 404).await;
    assert!(missing.contains("<html lang=\"vi\">"));
    assert!(missing.contains("Không tìm thấy trang"));
    assert!(missing.contains("href=\"/\""));
    app.page("/bai-viet/khong-co", 404).await;
    app.page("/static/khong-co.css", 404).await;

    let response = app.get("/").await;
    let h = response.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("script-src 'self'"));
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));

    let css = app.get("/static/loa.css").await;
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert!(css.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    assert!(css.text().await.unwrap().contains("@media print"));

    // Liveness says only that the process answers; readiness checks the database (see
    // tests/it/ops/health.rs for the rest).
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), r#"{"status":"ok"}"#);
    // With the database gone, readiness says so; a kept page is still served, and a page that
    // must be read fails politely.
    let home = app.page("/", 200).await;
    app.state.db.close().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    app.not_ready(r#""database":"unreachable""#).await;
    assert_eq!(app.page("/", 200).await, home);
    let broken = app.page("/?trang=1", 500).await;
    assert!(broken.contains("Đã có lỗi xảy ra"));
}
