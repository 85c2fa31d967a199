//! What one article may cost: bodies, headings and topics past the limits are refused with a
//! Vietnamese message in the editor, in both previews and in `loa import`, nothing is written,
//! and rendering runs off the async workers, so the server answers others meanwhile. Footnotes
//! and raw-HTML links reach the public page as the pipeline shapes them.

use std::time::{Duration, Instant};

use loa::db::articles;
use loa::markdown::{MAX_BODY_BYTES, MAX_HEADINGS};

use super::*;

/// The rendering benchmark's long article.
#[path = "../../../benches/common/long_article.rs"]
mod long_article;
use crate::db_tests;
use crate::helpers::{attrs, count, texts, ContentDir, TestApp, TestDb};

db_tests!(
    bodies_and_topics_past_the_limits_are_refused_and_nothing_is_saved,
    a_two_megabyte_body_of_headings_is_answered_at_once,
    footnotes_and_raw_links_reach_the_public_page,
    an_import_past_the_limits_names_the_file_and_line,
);

/// `n` headings `## a`, the case whose ids cost quadratic work before.
fn headings(n: usize) -> String {
    "## a\n".repeat(n)
}

async fn bodies_and_topics_past_the_limits_are_refused_and_nothing_is_saved(db: TestDb) {
    let (app, editor) = editor_on_empty_site(db).await;
    let before = articles::count_all(&app.state.db).await.unwrap();

    // A new article: too long, then too many headings, then too many topics.
    let long = "Chữ. ".repeat(MAX_BODY_BYTES / 6 + 1);
    let many = format!("Mở đầu.\n\n{}", headings(MAX_HEADINGS + 1));
    let topics = (0..=20)
        .map(|i| format!("Chủ đề {i}"))
        .collect::<Vec<_>>()
        .join(", ");
    // The preview shows the body only, so only the body's limits apply to it.
    let all: &[&str] = &["luu", "xuat-ban", "xem-truoc"];
    for (fields, selector, expected, actions) in [
        (
            [("body", long.as_str()), ("topics", "")],
            "#body-error",
            "quá giới hạn 512 kB",
            all,
        ),
        (
            [("body", many.as_str()), ("topics", "")],
            "#body-error",
            "hơn 1000 tiêu đề mục: hãy gộp bớt hoặc chia thành nhiều bài (tiêu đề thứ 1001 ở dòng 1003)",
            all,
        ),
        (
            [("body", "Ngắn."), ("topics", topics.as_str())],
            "#topics-error",
            "Có 21 chủ đề, nhiều nhất là 20",
            &all[..2],
        ),
    ] {
        for &action in actions {
            let mut form = vec![("title", "Quá dài"), ("action", action)];
            form.extend(fields);
            let r = editor.post("/admin/bai-viet/moi", &form).await;
            assert_eq!(r.status(), 422, "{selector} with {action}");
            let page = r.text().await.unwrap();
            let message = texts(&page, selector).join(" ");
            assert!(message.contains(expected), "{action}: {message}");
            assert_eq!(count(&page, "#ban-xem-truoc .prose h2"), 0);
        }
    }
    assert_eq!(articles::count_all(&app.state.db).await.unwrap(), before);

    // An existing article keeps its text and its version.
    let id = create(&editor, "Đã có", "Cũ.", "luu").await;
    for action in ["luu", "xem-truoc"] {
        let r = save(&editor, id, &[("body", &many)], action).await;
        assert_eq!(r.status(), 422, "{action}");
        let page = r.text().await.unwrap();
        assert_eq!(count(&page, "#body-error"), 1, "{action}");
        // The form keeps what was typed, so nothing is lost.
        assert_eq!(texts_raw(&page, "textarea[name=body]"), many);
    }
    let r = save(&editor, id, &[("topics", &topics)], "luu").await;
    assert_eq!(r.status(), 422);
    let a = row(&app, id).await;
    assert_eq!((a.body.as_str(), a.version), ("Cũ.", 1));

    // The live preview answers 422 with the reason as text (the script shows it as text).
    let token = editor.csrf().await;
    let r = editor
        .client
        .post(format!("{}/admin/bai-viet/xem-truoc", app.base))
        .header("origin", &app.base)
        .header("x-csrf-token", token)
        .form(&[("body", many.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    assert_eq!(
        r.text().await.unwrap(),
        "Nội dung có hơn 1000 tiêu đề mục: hãy gộp bớt hoặc chia thành nhiều bài \
         (tiêu đề thứ 1001 ở dòng 1003)."
    );

    // At the limits, everything is accepted.
    let full = headings(MAX_HEADINGS);
    let id = create(&editor, "Vừa đủ", &full, "xuat-ban").await;
    assert_eq!(row(&app, id).await.toc().len(), MAX_HEADINGS);
}

/// Issue 11's case: 2 MB of `## a`, previewed (both ways) and saved. Over the form's size it is
/// refused before any parsing; a body under the byte limit made of nothing but `## a` is refused
/// at its 1001st heading. Each answers, and nothing is written.
async fn a_two_megabyte_body_of_headings_is_answered_at_once(db: TestDb) {
    let (app, editor) = editor_on_empty_site(db).await;
    let id = create(&editor, "Đã có", "Cũ.", "luu").await;
    let mut fields = edit_fields(&editor, id).await;
    let token = editor.csrf().await;
    fields.retain(|(name, _)| name != "body");
    fields.push(("csrf".to_owned(), token.clone()));
    let huge = headings(2 * 1024 * 1024 / 5);
    let under_limit = headings(MAX_BODY_BYTES / 5);
    for body in [&huge, &under_limit] {
        for (path, action) in [
            (format!("/admin/bai-viet/{id}"), "xem-truoc"),
            (format!("/admin/bai-viet/{id}"), "luu"),
            ("/admin/bai-viet/xem-truoc".to_owned(), ""),
        ] {
            let mut form = fields.clone();
            form.push(("body".to_owned(), body.clone()));
            form.push(("action".to_owned(), action.to_owned()));
            // A connection of its own: the server may close it without reading a body it
            // refuses by its size.
            // As the pages send them: the editor's form carries its token, the script's
            // preview a header.
            let mut request = editor
                .client
                .post(format!("{}{path}", app.base))
                .header("origin", &app.base)
                .header("connection", "close")
                .form(&form);
            let live = action.is_empty();
            if live {
                request = request.header("x-csrf-token", &token);
            }
            let sent = request.send().await;
            let r = match sent {
                Ok(r) => r,
                // Past the size a form may have, the server answers 413 and closes the
                // connection as soon as it knows: the client may still be writing, and then
                // sees the closed connection rather than the answer.
                Err(e) if body.len() > MAX_BODY_BYTES && e.is_request() => continue,
                Err(e) => panic!("{path} {action}: {e}"),
            };
            let status = r.status().as_u16();
            let page = r.text().await.unwrap();
            assert!(
                matches!(status, 413 | 422),
                "{path} {action}: {status} {}",
                &page[..page.len().min(300)]
            );
            // In Vietnamese: the error page says "Dữ liệu quá lớn", the form the reason. (The
            // script shows its own Vietnamese message for a 413.)
            if !live {
                assert!(
                    page.contains("quá") || page.contains("tiêu đề mục"),
                    "{path} {action}"
                );
            }
            if body.len() <= MAX_BODY_BYTES {
                assert_eq!(status, 422);
                assert!(page.contains("hơn 1000 tiêu đề mục"), "{path} {action}");
            }
        }
    }
    // The server goes on answering, and nothing was written.
    assert_eq!(
        editor.get(&format!("/admin/bai-viet/{id}")).await.status(),
        200
    );
    assert_eq!(row(&app, id).await.version, 1);
}

async fn footnotes_and_raw_links_reach_the_public_page(db: TestDb) {
    let (app, editor) = editor_on_empty_site(db).await;
    let body = "## Nguồn\n\nTheo Sở[^nguồn], xem <a href=\"https://vnexpress.net/x\">bài báo</a> \
                và <a href=\"/chu-de\" rel=\"nofollow\">chủ đề</a>.\n\n[^nguồn]: Sở TT&TT.\n";
    let id = create(&editor, "Chú thích", body, "xuat-ban").await;
    let slug = row(&app, id).await.slug;
    let page = app.page(&format!("/bai-viet/{slug}"), 200).await;
    assert_eq!(count(&page, ".prose h2#nguon"), 1);
    assert_eq!(
        attrs(&page, ".prose sup.footnote-reference a", "href"),
        ["#fn-nguon"]
    );
    assert_eq!(count(&page, ".prose div.footnote-definition#fn-nguon"), 1);
    assert_eq!(
        attrs(&page, ".prose a[href=\"https://vnexpress.net/x\"]", "rel"),
        ["noopener noreferrer"]
    );
    assert_eq!(count(&page, ".prose a[href=\"/chu-de\"][rel]"), 0);
}

async fn an_import_past_the_limits_names_the_file_and_line(db: TestDb) {
    let app = TestApp::spawn(db, ContentDir::new().path()).await;
    let before = articles::count_all(&app.state.db).await.unwrap();
    let dir = ContentDir::new();
    // `article` writes `+++`, the front matter, `+++`, a blank line, then the body: the title
    // is line 2, the topics line 3, the body starts on line 6.
    let topics = (0..=20)
        .map(|i| format!("\"Chủ đề {i}\""))
        .collect::<Vec<_>>()
        .join(", ");
    dir.article(
        "nhieu-chu-de.md",
        &format!("title = \"Nhiều chủ đề\"\ntopics = [{topics}]"),
        "Ngắn.",
    );
    dir.article(
        "nhieu-muc.md",
        "title = \"Nhiều mục\"\ntopics = []",
        &headings(MAX_HEADINGS + 1),
    );
    let e = loa::content::import_dir(&app.state.db, dir.path())
        .await
        .unwrap_err();
    let report = match &e {
        loa::content::ImportError::Invalid(errors) => errors
            .iter()
            .map(|e| {
                format!(
                    "{}:{}: {}",
                    e.path.file_name().unwrap().to_string_lossy(),
                    e.line,
                    e.message
                )
            })
            .collect::<Vec<_>>(),
        other => panic!("{other}"),
    };
    assert_eq!(
        report,
        [
            "nhieu-chu-de.md:3: có 21 chủ đề, nhiều nhất là 20: hãy bớt chủ đề".to_owned(),
            format!(
                "nhieu-muc.md:{}: nội dung có hơn 1000 tiêu đề mục: hãy gộp bớt hoặc chia thành nhiều bài",
                5 + MAX_HEADINGS + 1
            ),
        ]
    );
    assert_eq!(articles::count_all(&app.state.db).await.unwrap(), before);
}

/// The server keeps answering while a long body renders: on a runtime with a single async
/// worker, anything rendered on it would stall every request until it is done. While one
/// preview of a long body (within the limits) is under way, other requests are sent and
/// answered throughout its middle half, not only before it or after it.
#[tokio::test(flavor = "current_thread")]
async fn other_requests_are_answered_while_a_body_renders_sqlite() {
    others_answered_while_rendering(TestDb::sqlite()).await;
}

#[tokio::test(flavor = "current_thread")]
async fn other_requests_are_answered_while_a_body_renders_postgres() {
    if let Some(db) = TestDb::postgres().await {
        others_answered_while_rendering(db).await;
    }
}

async fn others_answered_while_rendering(db: TestDb) {
    let (app, editor) = editor_on_empty_site(db).await;
    // Near the byte limit, cheap to send and parse, slow to render.
    let body = long_article::long_article();
    let token = editor.csrf().await;
    let started = Instant::now();
    let request = editor
        .client
        .post(format!("{}/admin/bai-viet/xem-truoc", app.base))
        .header("origin", &app.base)
        .header("x-csrf-token", token)
        .form(&[("body", body.as_str())])
        .send();
    let preview = tokio::spawn(request);
    // Each answered /healthz, as (sent, answered) since the start.
    let mut answered: Vec<(Duration, Duration)> = Vec::new();
    while !preview.is_finished() {
        let sent = started.elapsed();
        assert_eq!(app.get("/healthz").await.status(), 200);
        answered.push((sent, started.elapsed()));
    }
    let r = preview.await.unwrap().unwrap();
    let total = started.elapsed();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("id=\"fn-1\""));
    let (from, to) = (total / 4, total * 3 / 4);
    let during = answered
        .iter()
        .filter(|(sent, done)| *sent >= from && *done <= to)
        .count();
    assert!(
        during >= 3,
        "only {during} of {} requests were sent and answered in the middle of a {total:?} render: {answered:?}",
        answered.len()
    );
}
