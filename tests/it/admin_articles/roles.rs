//! Who may do what: authors draft and submit, editors publish, schedule, archive and delete,
//! admins restore deleted articles.

use loa::account::Role;

use super::*;
use crate::db_tests;
use crate::helpers::{attrs, count, location, texts, ContentDir, TestApp, TestDb};

db_tests!(
    an_author_drafts_and_submits_but_cannot_publish,
    an_editor_publishes_and_the_article_goes_live,
    schedules_are_in_vietnam_time_and_in_the_future,
    deleted_articles_leave_the_site_until_an_admin_restores_them,
);

async fn an_author_drafts_and_submits_but_cannot_publish(db: TestDb) {
    let app = TestApp::spawn(db, ContentDir::new().path()).await;
    let (author, author_id) = sign_in(&app, Role::Author, "Tác Giả Một").await;
    let (other, _) = sign_in(&app, Role::Author, "Tác Giả Hai").await;

    let id = create(&author, "Bài của tôi", "Nội dung **đầu tiên**.", "luu").await;
    let a = row(&app, id).await;
    assert_eq!(a.status, "draft");
    assert_eq!(a.author_id, Some(author_id));
    assert_eq!(a.slug, "bai-cua-toi");
    assert_eq!(a.version, 1);

    let r = save(&author, id, &[], "gui-duyet").await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        location(&r),
        format!("/admin/bai-viet/{id}?thong_bao=da-gui-duyet")
    );
    assert_eq!(row(&app, id).await.status, "review");

    // Publishing, scheduling, archiving, deleting: all refused, nothing changes.
    for action in ["xuat-ban", "len-lich"] {
        let r = save(&author, id, &[("publish_at", "2099-01-01T07:00")], action).await;
        assert_eq!(r.status(), 403, "{action}");
    }
    for path in ["luu-tru", "xoa", "huy-lich", "khoi-phuc"] {
        let r = author
            .post(&format!("/admin/bai-viet/{id}/{path}"), &[])
            .await;
        assert_eq!(r.status(), 403, "{path}");
    }
    author.page(&format!("/admin/bai-viet/{id}/xoa"), 403).await;
    assert_eq!(
        author
            .post(
                "/admin/bai-viet/moi",
                &[("title", "Tự đăng"), ("body", "x"), ("action", "xuat-ban")]
            )
            .await
            .status(),
        403
    );
    let stored = row(&app, id).await;
    assert_eq!((stored.status.as_str(), stored.version), ("review", 2));
    app.page("/bai-viet/bai-cua-toi", 404).await;

    // Another author sees it in the list but cannot open, save or act on it.
    let list = other.page("/admin/bai-viet", 200).await;
    assert!(list.contains("Bài của tôi"));
    assert_eq!(count(&list, &format!("a[href='/admin/bai-viet/{id}']")), 0);
    other.page(&format!("/admin/bai-viet/{id}"), 403).await;
    let r = other
        .post(
            &format!("/admin/bai-viet/{id}"),
            &[
                ("title", "Chiếm"),
                ("body", "x"),
                ("version", "2"),
                ("action", "luu"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = act(&other, id, "lien-ket-xem-truoc").await;
    assert_eq!(r.status(), 403);
    assert_eq!(row(&app, id).await.title, "Bài của tôi");

    assert_eq!(
        audit_actions(&app, id).await,
        ["article.create", "article.submit"]
    );
    assert_eq!(revision_reasons(&app, id).await, ["Lưu", "Gửi duyệt"]);
}

async fn an_editor_publishes_and_the_article_goes_live(db: TestDb) {
    let app = TestApp::spawn(db, ContentDir::new().path()).await;
    let (author, _) = sign_in(&app, Role::Author, "Tác Giả").await;
    let (editor, _) = sign_in(&app, Role::Editor, "Biên Tập").await;
    let id = create(
        &author,
        "Người dân chấm điểm",
        "## Vì sao\n\nĐể **hài lòng**.",
        "gui-duyet",
    )
    .await;
    assert_eq!(row(&app, id).await.status, "review");

    let r = save(
        &editor,
        id,
        &[
            ("topics", "SIPAS, Cải cách hành chính"),
            ("meta_description", "Mô tả cho máy tìm kiếm"),
        ],
        "xuat-ban",
    )
    .await;
    assert_eq!(r.status(), 303);
    let a = row(&app, id).await;
    assert_eq!(a.status, "published");
    assert!(a.publish_at.is_some());

    let home = app.page("/", 200).await;
    assert!(
        attrs(&home, ".card-title a", "href").contains(&"/bai-viet/nguoi-dan-cham-diem".to_owned())
    );
    let page = app.page("/bai-viet/nguoi-dan-cham-diem", 200).await;
    assert_eq!(texts(&page, "h1"), ["Người dân chấm điểm"]);
    assert_eq!(count(&page, ".prose h2#vi-sao"), 1);
    assert_eq!(
        attrs(&page, "meta[name=description]", "content"),
        ["Mô tả cho máy tìm kiếm"]
    );
    assert!(app
        .page("/chu-de/sipas", 200)
        .await
        .contains("Người dân chấm điểm"));

    // The author can no longer change it; the editor can, and it stays published.
    let page = author.page(&format!("/admin/bai-viet/{id}"), 200).await;
    assert_eq!(count(&page, "form.article-form fieldset[disabled]"), 1);
    assert_eq!(
        save(&author, id, &[("title", "Đổi")], "luu").await.status(),
        403
    );
    assert_eq!(
        save(&editor, id, &[("body", "Đã sửa.")], "luu")
            .await
            .status(),
        303
    );
    assert!(app
        .page("/bai-viet/nguoi-dan-cham-diem", 200)
        .await
        .contains("Đã sửa."));

    // Archive takes it off the site; back from the archive it is a draft.
    assert_eq!(act(&editor, id, "luu-tru").await.status(), 303);
    assert_eq!(row(&app, id).await.status, "archived");
    app.page("/bai-viet/nguoi-dan-cham-diem", 404).await;
    assert_eq!(act(&editor, id, "bo-luu-tru").await.status(), 303);
    assert_eq!(row(&app, id).await.status, "draft");

    assert_eq!(
        audit_actions(&app, id).await,
        [
            "article.create",
            "article.submit",
            "article.publish",
            "article.save",
            "article.archive",
            "article.unarchive"
        ]
    );
    assert_eq!(
        revision_reasons(&app, id).await,
        [
            "Gửi duyệt",
            "Xuất bản",
            "Lưu",
            "Lưu trữ",
            "Khôi phục từ lưu trữ"
        ]
    );
}

async fn schedules_are_in_vietnam_time_and_in_the_future(db: TestDb) {
    let (app, editor) = editor_on_empty_site(db).await;
    let id = create(&editor, "Lịch đăng", "Nội dung.", "luu").await;

    for past in ["2020-01-01T07:00", ""] {
        let r = save(
            &editor,
            id,
            &[("publish_at", past), ("title", "Đổi tên")],
            "len-lich",
        )
        .await;
        assert_eq!(r.status(), 422, "{past:?}");
        let page = r.text().await.unwrap();
        let error = texts(&page, "#publish_at-error").join(" ");
        assert!(
            error.contains("tương lai") || error.contains("Hãy chọn"),
            "{error}"
        );
        // The form keeps what was typed.
        assert_eq!(attrs(&page, "input[name=title]", "value"), ["Đổi tên"]);
    }
    let a = row(&app, id).await;
    assert_eq!(
        (a.status.as_str(), a.version, a.title.as_str()),
        ("draft", 1, "Lịch đăng")
    );

    // 07:00 in Vietnam is 00:00 UTC.
    let r = schedule(&editor, id, "2099-09-15T07:00").await;
    assert_eq!(r.status(), 303);
    assert_scheduled(&app, id, "2099-09-15T00:00:00+00:00").await;
    let page = editor.page(&format!("/admin/bai-viet/{id}"), 200).await;
    assert_eq!(
        attrs(&page, "input[name=publish_at]", "value"),
        ["2099-09-15T07:00"]
    );
    let times = texts(&page, ".schedule-times").join(" ");
    assert!(
        times.contains("07:00 15/09/2099") && times.contains("00:00 15/09/2099 UTC"),
        "{times}"
    );
    app.page("/bai-viet/lich-dang", 404).await;

    assert_eq!(act(&editor, id, "huy-lich").await.status(), 303);
    let a = row(&app, id).await;
    assert_eq!((a.status.as_str(), a.publish_at), ("draft", None));
    assert_eq!(
        audit_actions(&app, id).await,
        ["article.create", "article.schedule", "article.unschedule"]
    );
}

async fn deleted_articles_leave_the_site_until_an_admin_restores_them(db: TestDb) {
    let (app, editor) = editor_on_empty_site(db).await;
    let (admin, _) = sign_in(&app, Role::Admin, "Quản Trị").await;
    let id = create(&editor, "Sắp bị xoá", "Nội dung.", "xuat-ban").await;
    app.page("/bai-viet/sap-bi-xoa", 200).await;

    let confirm = editor.page(&format!("/admin/bai-viet/{id}/xoa"), 200).await;
    assert!(confirm.contains("Sắp bị xoá"));
    assert_eq!(
        count(
            &confirm,
            &format!("form[action='/admin/bai-viet/{id}/xoa'] input[name=csrf]")
        ),
        1
    );
    let r = act(&editor, id, "xoa").await;
    assert_eq!(r.status(), 303);
    assert!(row(&app, id).await.deleted_at.is_some());

    app.page("/bai-viet/sap-bi-xoa", 404).await;
    assert!(!app.page("/", 200).await.contains("Sắp bị xoá"));
    assert!(!editor
        .page("/admin/bai-viet", 200)
        .await
        .contains("Sắp bị xoá"));
    editor.page(&format!("/admin/bai-viet/{id}"), 404).await;
    editor.page("/admin/bai-viet?trang_thai=da-xoa", 403).await;
    assert_eq!(act(&editor, id, "khoi-phuc").await.status(), 403);

    let deleted = admin.page("/admin/bai-viet?trang_thai=da-xoa", 200).await;
    assert!(deleted.contains("Sắp bị xoá"));
    let r = act(&admin, id, "khoi-phuc").await;
    assert_eq!(r.status(), 303);
    assert_eq!(row(&app, id).await.deleted_at, None);
    app.page("/bai-viet/sap-bi-xoa", 200).await;
    assert_eq!(
        audit_actions(&app, id).await,
        [
            "article.create",
            "article.publish",
            "article.delete",
            "article.restore"
        ]
    );
}
