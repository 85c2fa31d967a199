//! The audit log page: newest first, labels in Vietnamese, filters by kind, actor and dates.

use chrono::Duration;
use loa::account::Role;
use loa::db::audit::{self, Entry};

use crate::admin_people::{admin, person};
use crate::db_tests;
use crate::helpers::{attrs, count, texts, ContentDir, TestApp, TestDb};

db_tests!(
    the_log_lists_a_failed_sign_in_and_filters_by_action,
    the_log_filters_by_actor_and_dates_and_pages,
    editors_cannot_read_the_log,
    the_dashboard_shows_non_admins_only_article_events,
);

async fn app(db: TestDb) -> (TestApp, ContentDir) {
    let content = ContentDir::new();
    content.raw("site.toml", "name = \"Sở A\"\n".as_bytes());
    let app = TestApp::spawn(db, content.path()).await;
    (app, content)
}

async fn the_log_lists_a_failed_sign_in_and_filters_by_action(db: TestDb) {
    let (app, _c) = app(db).await;
    let (b, _) = admin(&app).await;
    let r = app
        .browser()
        .sign_in("ke.do.mat.khau@loa.test", "sai-mat-khau-roi")
        .await;
    assert_eq!(r.status(), 401);
    let r = b
        .post(
            "/admin/nguoi-dung/moi",
            &person("Nhân Viên Mới", "moi@loa.test", "", "employee"),
        )
        .await;
    assert_eq!(r.status(), 200);

    let page = b.page("/admin/nhat-ky", 200).await;
    let actions = attrs(&page, "table.audit-log tbody tr", "data-action");
    // Newest first: the account creation, the failed sign-in, the admin's sign-in.
    assert_eq!(
        actions,
        vec!["user.create", "sign_in.failure", "sign_in.success"]
    );
    let failure = texts(&page, "tr[data-action='sign_in.failure'] td");
    assert_eq!(failure[1], "ke.do.mat.khau@loa.test");
    assert_eq!(failure[2], "Đăng nhập sai");
    assert_eq!(failure[5], "127.0.0.1");
    // The time is Vietnam's: dd/mm/yyyy after the hour.
    let now = loa::time::format_datetime(loa::time::now());
    assert_eq!(&failure[0][5..], &now[5..], "{}", failure[0]);
    let created = texts(&page, "tr[data-action='user.create'] td");
    assert_eq!(created[1], "quan.tri@loa.test");
    assert_eq!(created[2], "Tạo tài khoản");
    assert_eq!(created[3], "moi@loa.test");

    let users = b.page("/admin/nhat-ky?hanh_dong=user", 200).await;
    assert_eq!(
        attrs(&users, "table.audit-log tbody tr", "data-action"),
        vec!["user.create"]
    );
    assert_eq!(
        attrs(&users, "select#hanh_dong option[selected]", "value"),
        vec!["user".to_owned()]
    );
    let sign_ins = b.page("/admin/nhat-ky?hanh_dong=sign_in", 200).await;
    assert_eq!(
        attrs(&sign_ins, "table.audit-log tbody tr", "data-action"),
        vec!["sign_in.failure", "sign_in.success"]
    );
    let none = b.page("/admin/nhat-ky?hanh_dong=media", 200).await;
    assert_eq!(count(&none, "table.audit-log"), 0);
    assert_eq!(count(&none, "p.empty"), 1);
    // An unknown kind filters nothing rather than everything.
    let any = b.page("/admin/nhat-ky?hanh_dong=%25", 200).await;
    assert_eq!(count(&any, "table.audit-log tbody tr"), 3);
}

async fn the_log_filters_by_actor_and_dates_and_pages(db: TestDb) {
    let (app, _c) = app(db).await;
    let (b, _) = admin(&app).await;
    let now = loa::time::now();
    let old = loa::time::parse_human("2018-09-15T23:30:00+07:00").unwrap();
    let entry = |actor: &str, action: &'static str| Entry {
        actor_label: actor.to_owned(),
        action,
        target_type: "article",
        target_label: "SIPAS là gì?".to_owned(),
        detail: "chi tiết".to_owned(),
        ip: "10.0.0.1".to_owned(),
        ..Default::default()
    };
    // 23:30 on 15/09/2018 in Vietnam is still the 15th there (16:30 UTC).
    audit::record_now(
        &app.state.db,
        &entry("Bien.Tap@loa.test", "article.publish"),
        old,
    )
    .await
    .unwrap();
    for _ in 0..55 {
        audit::record_now(
            &app.state.db,
            &entry("tac.gia@loa.test", "article.save"),
            now - Duration::minutes(1),
        )
        .await
        .unwrap();
    }

    let rows = |page: &str| attrs(page, "table.audit-log tbody tr", "data-action");
    let by_actor = b.page("/admin/nhat-ky?nguoi=bien.tap", 200).await;
    assert_eq!(rows(&by_actor), vec!["article.publish"]);
    assert_eq!(
        texts(&by_actor, "table.audit-log tbody td")[0],
        "23:30 15/09/2018"
    );
    // Wildcards are taken literally.
    let literal = b.page("/admin/nhat-ky?nguoi=%25", 200).await;
    assert!(rows(&literal).is_empty());

    let that_day = b
        .page("/admin/nhat-ky?tu=15/09/2018&den=2018-09-15", 200)
        .await;
    assert_eq!(rows(&that_day), vec!["article.publish"]);
    let day_after = b
        .page("/admin/nhat-ky?tu=16/09/2018&den=16/09/2018", 200)
        .await;
    assert!(rows(&day_after).is_empty());
    let until_then = b.page("/admin/nhat-ky?den=15/09/2018", 200).await;
    assert_eq!(rows(&until_then), vec!["article.publish"]);

    let r = b.get("/admin/nhat-ky?tu=32/13/2018").await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert_eq!(count(&page, "#tu-error"), 1);
    assert_eq!(
        attrs(&page, "input#tu", "value"),
        vec!["32/13/2018".to_owned()]
    );

    // 55 saves + the old publish + the admin's sign-in: two pages of 50.
    let first = b.page("/admin/nhat-ky", 200).await;
    assert_eq!(rows(&first).len(), 50);
    assert_eq!(rows(&first)[0], "sign_in.success", "newest first");
    let next = attrs(&first, "a[rel=next]", "href");
    assert_eq!(next, vec!["/admin/nhat-ky?trang=2".to_owned()]);
    let second = b.page("/admin/nhat-ky?trang=2", 200).await;
    assert_eq!(rows(&second).len(), 7);
    assert_eq!(rows(&second).last().unwrap(), "article.publish");
    b.page("/admin/nhat-ky?trang=3", 404).await;
    let filtered = b
        .page("/admin/nhat-ky?hanh_dong=article&nguoi=tac", 200)
        .await;
    assert_eq!(
        attrs(&filtered, "a[rel=next]", "href"),
        vec!["/admin/nhat-ky?hanh_dong=article&nguoi=tac&trang=2".to_owned()]
    );
}

async fn editors_cannot_read_the_log(db: TestDb) {
    let (app, _c) = app(db).await;
    let editor = app.signed_in(Role::Editor).await;
    editor.page("/admin/nhat-ky", 403).await;
    editor.page("/admin/nhat-ky?hanh_dong=user", 403).await;
    let author = app.signed_in(Role::Author).await;
    author.page("/admin/nhat-ky", 403).await;
}

/// The dashboard's recent activity: everything for an admin; for an editor or an author only
/// what happened to articles — no e-mail typed into a failed sign-in, no account event.
async fn the_dashboard_shows_non_admins_only_article_events(db: TestDb) {
    let (app, _c) = app(db).await;
    let (admin_browser, _) = admin(&app).await;
    app.browser()
        .sign_in("ai.do@ngoai.test", "sai-mat-khau-roi")
        .await;
    let editor = app.signed_in(Role::Editor).await;
    let r = editor
        .post(
            "/admin/bai-viet/moi",
            &[
                ("title", "Thông báo lịch họp"),
                ("body", "Nội dung."),
                ("action", "luu"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);

    let seen = |page: &str| texts(page, "#hoat-dong + table tbody tr td:nth-child(4)");
    let everything = admin_browser.page("/admin", 200).await;
    assert!(
        everything.contains("ai.do@ngoai.test"),
        "the admin sees the failed sign-in"
    );
    assert!(seen(&everything).contains(&"Thông báo lịch họp".to_owned()));
    for role in [Role::Editor, Role::Author] {
        let b = app.signed_in(role).await;
        let page = b.page("/admin", 200).await;
        assert!(!page.contains("ai.do@ngoai.test"), "{role:?}: {page}");
        let actions = texts(&page, "#hoat-dong + table tbody tr td:nth-child(3)");
        assert_eq!(
            actions,
            ["Tạo bài viết"],
            "{role:?}: no sign-in or account events"
        );
        assert_eq!(seen(&page), ["Thông báo lịch họp"], "{role:?}");
    }
}
