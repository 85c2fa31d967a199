//! Search at `/tim-kiem`: diacritics optional both ways, ranking, highlighted snippets, hostile
//! queries, and an index that follows publication, expiry, edits and deletion. Every case runs on
//! SQLite and PostgreSQL, so both give the same results for the same data.

use chrono::{TimeZone, Utc};
use loa::account::Role;

use crate::db_tests;
use crate::fixtures::articles::{act, save};
use crate::helpers::{attrs, count, texts, ContentDir, TestApp, TestDb};

db_tests!(
    diacritics_are_optional_both_ways,
    title_ranks_above_summary_above_body,
    snippets_highlight_the_original_words,
    hostile_queries_are_answered_politely,
    only_published_articles_are_found,
    a_topic_rename_reindexes_its_articles,
);

fn url(q: &str) -> String {
    let q: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    format!("/tim-kiem?q={q}")
}

/// The slugs of the results of `q`, in order (first page).
async fn found(app: &TestApp, q: &str) -> Vec<String> {
    let page = app.page(&url(q), 200).await;
    attrs(&page, ".search-result h2 a", "href")
        .into_iter()
        .map(|h| h.trim_start_matches("/bai-viet/").to_owned())
        .collect()
}

async fn diacritics_are_optional_both_ways(db: TestDb) {
    let content = ContentDir::new();
    content
        .article(
            "a.md",
            "title = \"Khảo sát sự hài lòng\"\nslug = \"khao-sat\"",
            "Người dân đánh giá dịch vụ công.",
        )
        .article(
            "b.md",
            "title = \"Ket qua hai long cua nguoi dan\"\nslug = \"khong-dau\"",
            "Go khong dau.",
        )
        .article(
            "c.md",
            "title = \"Thủ tục cư trú\"\nslug = \"cu-tru\"",
            "Hướng dẫn ĐĂNG KÝ thường trú tại Đồng Xoài.",
        )
        .article(
            "d.md",
            "title = \"Lịch họp\"\nslug = \"lich-hop\"",
            "Họp giao ban.",
        );
    let app = TestApp::spawn(db, content.path()).await;

    let mut both = found(&app, "hai long").await;
    both.sort();
    assert_eq!(both, ["khao-sat", "khong-dau"], "unmarked finds marked");
    let mut marked = found(&app, "hài lòng").await;
    marked.sort();
    assert_eq!(marked, ["khao-sat", "khong-dau"], "marked finds unmarked");
    assert_eq!(found(&app, "HÀI LÒNG").await.len(), 2);
    for q in [
        "dang ky",
        "đăng ký",
        "ĐĂNG KÝ",
        "Dang Ky",
        "đồng xoài",
        "DONG XOAI",
    ] {
        assert_eq!(found(&app, q).await, ["cu-tru"], "{q}");
    }
    // Every term is required, and đ is d, never dd.
    assert!(found(&app, "hai long giao").await.is_empty());
    assert!(found(&app, "ddang").await.is_empty());
    let none = app.page(&url("không có đâu"), 200).await;
    assert!(none.contains("Không tìm thấy bài viết nào"));
    assert_eq!(count(&none, ".search-result"), 0);
}

async fn title_ranks_above_summary_above_body(db: TestDb) {
    let content = ContentDir::new();
    // The body match is the newest and the title match the oldest: date does not decide.
    content
        .article(
            "a.md",
            "title = \"Nộp thuế điện tử\"\nslug = \"tieu-de\"\nsummary = \"Tin tức.\"\npublish_at = \"2020-01-01T08:00:00+07:00\"",
            "Nội dung khác.",
        )
        .article(
            "b.md",
            "title = \"Hướng dẫn mới\"\nslug = \"tom-tat\"\nsummary = \"Cách nộp thuế nhanh.\"\npublish_at = \"2021-01-01T08:00:00+07:00\"",
            "Nội dung khác.",
        )
        .article(
            "c.md",
            "title = \"Thông báo chung\"\nslug = \"noi-dung\"\nsummary = \"Tin tức.\"\npublish_at = \"2022-01-01T08:00:00+07:00\"",
            "Người dân có thể nộp thuế qua mạng.",
        );
    let app = TestApp::spawn(db, content.path()).await;
    assert_eq!(
        found(&app, "nop thue").await,
        ["tieu-de", "tom-tat", "noi-dung"]
    );
    // Same score: the newest first.
    assert_eq!(found(&app, "noi dung khac").await, ["tom-tat", "tieu-de"]);
}

async fn snippets_highlight_the_original_words(db: TestDb) {
    let long_start = "Mở đầu bài viết có nhiều câu chữ. ".repeat(10);
    let content = ContentDir::new();
    content.article(
        "a.md",
        "title = \"Chỉ số Hài lòng <b>2024</b>\"\nslug = \"chi-so\"",
        &format!("{long_start}\n\nKết quả cho thấy người dân **Hài Lòng** với a < b.\n"),
    );
    let app = TestApp::spawn(db, content.path()).await;
    let page = app.page(&url("hai long"), 200).await;
    assert_eq!(texts(&page, ".search-result h2 mark"), ["Hài", "lòng"]);
    assert_eq!(texts(&page, ".search-snippet mark"), ["Hài", "Lòng"]);
    let snippet = texts(&page, ".search-snippet").remove(0);
    assert!(snippet.starts_with('…'), "cut before the match: {snippet}");
    assert!(
        snippet.contains("người dân Hài Lòng với a < b"),
        "{snippet}"
    );
    // User text is escaped, never markup; Markdown markup is gone from the snippet.
    assert!(page.contains("&lt;b&gt;"));
    assert_eq!(count(&page, ".search-result b"), 0);
    assert!(!snippet.contains("**"));
    // The query is shown back escaped.
    let page = app.page(&url("hài lòng <script>"), 200).await;
    assert!(!page.contains("<script>hài"));
    assert!(page.contains("hài lòng &lt;script&gt;"));
}

async fn hostile_queries_are_answered_politely(db: TestDb) {
    let content = ContentDir::new();
    content.article(
        "a.md",
        "title = \"Hài lòng\"\nslug = \"hai-long\"",
        "Near and or not.",
    );
    let app = TestApp::spawn(db, content.path()).await;
    let long = "hài lòng ".repeat(1200);
    let queries = [
        "\"",
        "\"hai",
        "hai\" OR \"x",
        "AND OR NOT NEAR",
        "NEAR(hai long)",
        "*",
        "hai*",
        "(",
        ")",
        "-hai",
        "hai -long",
        "title:hai",
        "'; drop table articles; --",
        "hai & | ! <-> :*",
        "😀",
        "😀 hài 😀",
        "\u{0}",
        &long,
    ];
    for q in queries {
        let r = app.get(&url(q)).await;
        assert_eq!(r.status(), 200, "{q:.40}");
    }
    // Operators are words like any other.
    assert_eq!(found(&app, "near AND or NOT").await, ["hai-long"]);
    assert_eq!(found(&app, &long).await, ["hai-long"]);
    let empty = app.page("/tim-kiem", 200).await;
    assert!(empty.contains("Nhập từ khóa để tìm bài viết"));
    // The page's own form replaces the header's: one search landmark (axe's landmark-unique).
    assert_eq!(count(&empty, "[role=search]"), 1);
    assert_eq!(count(&empty, "#q-dau-trang"), 0);
    let emoji = app.page(&url("😀 \"*"), 200).await;
    assert!(emoji.contains("chưa có chữ hoặc số nào"));
    app.page(&format!("{}&trang=abc", url("hai")), 404).await;
    app.page(&format!("{}&trang=9", url("hai")), 404).await;
}

async fn only_published_articles_are_found(db: TestDb) {
    let content = ContentDir::new();
    content
        .article("a.md", "title = \"Ngựa vằn công khai\"\nslug = \"cong-khai\"", "x")
        .article("b.md", "title = \"Ngựa vằn nháp\"\nslug = \"nhap\"\nstatus = \"draft\"", "x")
        .article("c.md", "title = \"Ngựa vằn duyệt\"\nslug = \"duyet\"\nstatus = \"review\"", "x")
        .article("d.md", "title = \"Ngựa vằn lưu\"\nslug = \"luu\"\nstatus = \"archived\"", "x")
        .article(
            "e.md",
            "title = \"Ngựa vằn hẹn giờ\"\nslug = \"hen-gio\"\nstatus = \"scheduled\"\npublish_at = \"2999-01-01T08:00:00+07:00\"",
            "x",
        )
        .article(
            "f.md",
            "title = \"Ngựa vằn có hạn\"\nslug = \"co-han\"\nunpublish_at = \"2998-01-01T08:00:00+07:00\"",
            "x",
        );
    let app = TestApp::spawn(db, content.path()).await;
    let db = &app.state.db;
    let mut now = found(&app, "ngua van").await;
    now.sort();
    assert_eq!(now, ["co-han", "cong-khai"]);

    // Expiry archives, publication publishes: the results follow.
    let expired =
        loa::jobs::publication::run_due(db, Utc.with_ymd_and_hms(2998, 6, 1, 0, 0, 0).unwrap())
            .await
            .unwrap();
    assert_eq!(expired.archived.len(), 1);
    assert_eq!(found(&app, "ngua van").await, ["cong-khai"]);
    loa::jobs::publication::run_due(db, Utc.with_ymd_and_hms(2999, 6, 1, 0, 0, 0).unwrap())
        .await
        .unwrap();
    let mut now = found(&app, "ngua van").await;
    now.sort();
    assert_eq!(now, ["cong-khai", "hen-gio"]);

    // An edited title is found by its new words, no longer by the old ones.
    let editor = app.signed_in(Role::Admin).await;
    let id = loa::db::articles::published_by_slug(db, "cong-khai")
        .await
        .unwrap()
        .unwrap()
        .id;
    let r = save(&editor, id, &[("title", "Hươu cao cổ công khai")], "luu").await;
    assert_eq!(r.status(), 303);
    assert_eq!(found(&app, "huou cao co").await, ["cong-khai"]);
    assert_eq!(found(&app, "ngua van").await, ["hen-gio"]);

    // Deleted: gone; restored: back.
    let r = act(&editor, id, "xoa").await;
    assert_eq!(r.status(), 303);
    assert!(found(&app, "huou cao co").await.is_empty());
    let r = act(&editor, id, "khoi-phuc").await;
    assert_eq!(r.status(), 303);
    assert_eq!(found(&app, "huou").await, ["cong-khai"]);
}

/// Renaming a topic in the admin re-indexes its articles in the same transaction: the new name
/// finds them at once, the old one no more; the slug (the topic's page) stays; a name that would
/// collide with another topic is refused with nothing changed.
async fn a_topic_rename_reindexes_its_articles(db: TestDb) {
    let content = ContentDir::new();
    content
        .article(
            "a.md",
            "title = \"Lịch tiếp dân\"\nslug = \"lich\"\ntopics = [\"Tin vắn\"]",
            "Thứ Hai hằng tuần.",
        )
        .article(
            "b.md",
            "title = \"Quy chế\"\nslug = \"quy-che\"\ntopics = [\"Văn bản\"]",
            "Điều 1.",
        );
    let app = TestApp::spawn(db, content.path()).await;
    assert_eq!(found(&app, "tin van").await, ["lich"]);
    assert!(found(&app, "cai cach hanh chinh").await.is_empty());
    let topic = app
        .state
        .db
        .pool()
        .fetch_i64("select id from topics where slug = 'tin-van'", vec![])
        .await
        .unwrap();
    let editor = app.signed_in(Role::Editor).await;
    let page = editor.page("/admin/chu-de", 200).await;
    assert_eq!(count(&page, "tr[data-slug=tin-van] form"), 1);

    // A name folding to another topic's slug is refused.
    let path = format!("/admin/chu-de/{topic}");
    let r = editor.post(&path, &[("name", "Văn Bản")]).await;
    assert_eq!(r.status(), 422);
    assert!(texts(&r.text().await.unwrap(), ".error-text")[0].contains("Văn bản"));
    let r = editor.post(&path, &[("name", "  ")]).await;
    assert_eq!(r.status(), 422);
    assert_eq!(found(&app, "tin van").await, ["lich"]);

    let r = editor.post(&path, &[("name", "Cải cách hành chính")]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(found(&app, "cai cach hanh chinh").await, ["lich"]);
    assert!(found(&app, "tin van").await.is_empty());
    // The topic's page keeps its address and shows the new name.
    assert!(app
        .page("/chu-de/tin-van", 200)
        .await
        .contains("Cải cách hành chính"));
    let audited = app
        .state
        .db
        .pool()
        .fetch_i64(
            "select count(*) from audit_log where action = 'topic.rename' and target_id = $1",
            loa::params![topic],
        )
        .await
        .unwrap();
    assert_eq!(audited, 1);
}
