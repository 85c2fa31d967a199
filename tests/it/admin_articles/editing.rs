//! The editor and the list: no lost edits, both previews, filters, escaping.

use loa::account::Role;
use loa::db::articles;

use super::*;
use crate::db_tests;
use crate::helpers::{attrs, count, texts, ContentDir, TestApp, TestDb};

db_tests!(
    a_stale_save_is_refused_and_nothing_is_overwritten,
    the_preview_button_works_without_javascript,
    the_live_preview_returns_sanitised_html,
    the_list_filters_and_escapes_titles,
);

async fn a_stale_save_is_refused_and_nothing_is_overwritten(db: TestDb) {
    let app = TestApp::spawn(db, ContentDir::new().path()).await;
    let (first, _) = sign_in(&app, Role::Editor, "Nguyễn Văn An").await;
    let (second, _) = sign_in(&app, Role::Editor, "Trần Thị Bình").await;
    let id = create(&first, "Bản gốc", "Nội dung gốc.", "luu").await;

    // Both open the editor at version 1; Bình saves first.
    let mut stale = edit_fields(&first, id).await;
    assert!(stale.contains(&("version".to_owned(), "1".to_owned())));
    let r = save(&second, id, &[("body", "Bình đã sửa.")], "luu").await;
    assert_eq!(r.status(), 303);

    for f in stale.iter_mut() {
        match f.0.as_str() {
            "title" => f.1 = "Tiêu đề của An <i>mới</i>".to_owned(),
            "body" => f.1 = "Dòng một của An.\nDòng hai của An.".to_owned(),
            _ => {}
        }
    }
    stale.push(("action".to_owned(), "luu".to_owned()));
    let form: Vec<(&str, &str)> = stale
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = first.post(&format!("/admin/bai-viet/{id}"), &form).await;
    assert_eq!(r.status(), 409);
    let page = r.text().await.unwrap();
    assert_eq!(texts(&page, ".conflict-who"), ["Trần Thị Bình"]);
    assert_eq!(count(&page, ".conflict-when"), 1);
    assert_eq!(
        texts_raw(&page, "textarea#submitted-title"),
        "Tiêu đề của An <i>mới</i>"
    );
    assert_eq!(
        texts_raw(&page, "textarea#submitted-body"),
        "Dòng một của An.\nDòng hai của An."
    );
    assert!(
        !page.contains("<i>mới</i>"),
        "the submitted text is escaped"
    );

    let a = row(&app, id).await;
    assert_eq!(
        (a.title.as_str(), a.body.as_str(), a.version),
        ("Bản gốc", "Bình đã sửa.", 2)
    );
    assert_eq!(revision_reasons(&app, id).await.len(), 2);

    // A save without any version is a conflict too, never a blind overwrite.
    let r = first
        .post(
            &format!("/admin/bai-viet/{id}"),
            &[
                ("title", "Không phiên bản"),
                ("body", "x"),
                ("action", "luu"),
            ],
        )
        .await;
    assert_eq!(r.status(), 409);
    assert_eq!(row(&app, id).await.version, 2);
}

async fn the_preview_button_works_without_javascript(db: TestDb) {
    let app = TestApp::spawn(db, ContentDir::new().path()).await;
    let (author, _) = sign_in(&app, Role::Author, "Tác Giả").await;
    let before = articles::count_all(&app.state.db).await.unwrap();

    let body = "## Tiêu đề\n\nMột đoạn **đậm**.\n\n<script>alert(1)</script>";
    let r = author
        .post(
            "/admin/bai-viet/moi",
            &[
                ("title", "Thử xem trước"),
                ("body", body),
                ("action", "xem-truoc"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert_eq!(count(&page, "#ban-xem-truoc .prose h2#tieu-de"), 1);
    assert_eq!(texts(&page, "#ban-xem-truoc .prose strong"), ["đậm"]);
    assert_eq!(count(&page, "#ban-xem-truoc script"), 0);
    // The form keeps the text, and nothing was saved.
    assert_eq!(
        attrs(&page, "input[name=title]", "value"),
        ["Thử xem trước"]
    );
    assert_eq!(texts_raw(&page, "textarea[name=body]"), body);
    assert_eq!(articles::count_all(&app.state.db).await.unwrap(), before);

    // The same on an existing article: no new version.
    let id = create(&author, "Đã có", "Cũ.", "luu").await;
    let r = save(&author, id, &[("body", "## Tiêu đề")], "xem-truoc").await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        count(&r.text().await.unwrap(), "#ban-xem-truoc h2#tieu-de"),
        1
    );
    let a = row(&app, id).await;
    assert_eq!((a.body.as_str(), a.version), ("Cũ.", 1));
}

async fn the_live_preview_returns_sanitised_html(db: TestDb) {
    let app = TestApp::spawn(db, ContentDir::new().path()).await;
    let (author, _) = sign_in(&app, Role::Author, "Tác Giả").await;
    let page = author.page("/admin/bai-viet/moi", 200).await;
    let token = attrs(&page, "meta[name=csrf-token]", "content")
        .pop()
        .unwrap();
    let script = attrs(&page, "script[src]", "src")
        .pop()
        .expect("the editor loads its script");
    assert!(script.starts_with("/static/admin.js?v="));
    assert_eq!(count(&page, "script:not([src])"), 0, "no inline script");
    let js = app.get(&script).await;
    assert_eq!(js.status(), 200);
    assert!(js.text().await.unwrap().contains("x-csrf-token"));

    let body = "## Tiêu đề\n\n**đậm** <script>alert('x')</script>\
                <img src=x onerror=alert(1)> [a](javascript:alert(2))";
    let send = |token: Option<String>| {
        let mut req = author
            .client
            .post(format!("{}/admin/bai-viet/xem-truoc", app.base))
            .header("origin", &app.base)
            .form(&[("body", body)]);
        if let Some(t) = token {
            req = req.header("x-csrf-token", t);
        }
        req.send()
    };
    let r = send(Some(token)).await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("<h2 id=\"tieu-de\">"), "{html}");
    assert!(html.contains("<strong>đậm</strong>"), "{html}");
    let lower = html.to_lowercase();
    for bad in ["<script", "onerror", "javascript:"] {
        assert!(!lower.contains(bad), "{bad} in {html}");
    }
    // Without the token the session layer refuses it.
    assert_eq!(send(None).await.unwrap().status(), 403);
    // Employees never get there.
    let (employee, _) = sign_in(&app, Role::Employee, "Cán Bộ").await;
    let t = employee.csrf().await;
    let r = employee
        .client
        .post(format!("{}/admin/bai-viet/xem-truoc", app.base))
        .header("origin", &app.base)
        .header("x-csrf-token", t)
        .form(&[("body", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

async fn the_list_filters_and_escapes_titles(db: TestDb) {
    let app = TestApp::spawn(db, ContentDir::new().path()).await;
    let (author, _) = sign_in(&app, Role::Author, "Tác Giả <b>Đậm</b>").await;
    let (editor, editor_id) = sign_in(&app, Role::Editor, "Biên Tập").await;
    let hostile = "<b>In đậm</b> & \"trích\" <script>alert(1)</script>";
    let h = create(&author, hostile, "Nội dung.", "luu").await;
    let published = create(&editor, "Đã đăng về SIPAS", "Nội dung.", "xuat-ban").await;
    assert_eq!(
        save(&editor, published, &[("topics", "SIPAS")], "luu")
            .await
            .status(),
        303
    );
    for n in 0..21 {
        create(&editor, &format!("Bản nháp số {n}"), "x", "luu").await;
    }

    // Newest change first, 20 a page: the author's article (the oldest) is on page 2.
    let list = editor.page("/admin/bai-viet", 200).await;
    assert_eq!(count(&list, "table.article-list tbody tr"), 20);
    assert_eq!(
        texts(&list, "table.article-list tbody tr td:first-child a").first(),
        Some(&"Bản nháp số 20".to_owned())
    );
    let next = attrs(&list, "a[rel=next]", "href");
    assert_eq!(next, ["/admin/bai-viet?trang=2"]);
    let second = editor.page("/admin/bai-viet?trang=2", 200).await;
    assert_eq!(count(&second, "table.article-list tbody tr"), 3);
    assert!(second.contains("&lt;b&gt;In đậm&lt;/b&gt; &amp; &quot;trích&quot;"));
    assert!(!second.contains("<b>In đậm</b>") && !second.contains("<script>alert(1)"));
    assert!(second.contains("Tác Giả &lt;b&gt;Đậm&lt;/b&gt;"));
    assert!(!second.contains("<b>Đậm</b>"));
    editor.page("/admin/bai-viet?trang=3", 404).await;

    let editor_page = editor.page(&format!("/admin/bai-viet/{h}"), 200).await;
    assert_eq!(attrs(&editor_page, "input[name=title]", "value"), [hostile]);
    assert!(!editor_page.contains("<b>In đậm</b>"));

    let found = editor.page("/admin/bai-viet?q=sipas", 200).await;
    assert_eq!(
        texts(
            &found,
            "table.article-list tbody tr td:first-child a:first-child"
        ),
        ["Đã đăng về SIPAS"]
    );
    let found = editor
        .page("/admin/bai-viet?trang_thai=published", 200)
        .await;
    assert_eq!(count(&found, "table.article-list tbody tr"), 1);
    let found = editor
        .page("/admin/bai-viet?chu_de=sipas&trang_thai=published", 200)
        .await;
    assert_eq!(count(&found, "table.article-list tbody tr"), 1);
    let found = editor
        .page("/admin/bai-viet?chu_de=sipas&trang_thai=draft", 200)
        .await;
    assert_eq!(count(&found, "table.article-list tbody tr"), 0);
    let found = editor
        .page(
            &format!("/admin/bai-viet?tac_gia={editor_id}&q=b%E1%BA%A3n+nh%C3%A1p+s%E1%BB%91+1"),
            200,
        )
        .await;
    // "Bản nháp số 1", 10 … 19
    assert_eq!(count(&found, "table.article-list tbody tr"), 11);
    let found = editor.page("/admin/bai-viet?q=50%25", 200).await;
    assert_eq!(count(&found, "table.article-list tbody tr"), 0);
    editor.page("/admin/bai-viet?trang_thai=xyz", 404).await;
    let _ = author;
}
