//! Staff acknowledgment: the audience (units, sub-units, joining, leaving, deactivation), the
//! status box and confirm button, idempotent confirming, the stored hash, closing, CSRF, major
//! versions, and the admin view's revoke and on-behalf recording.

use chrono::Duration;
use loa::account::Role;
use loa::params;

pub mod fixture;

use crate::db_tests;
use crate::helpers::{count, location, texts, ContentDir, TestApp, TestDb, PASSWORD};
use fixture::{
    add_version, admin_numbers, confirms, employee, header_count, require_ack, spawn, version_text,
    STATEMENT,
};

db_tests!(
    the_audience_is_units_and_their_sub_units_as_they_are_now,
    a_double_post_records_once_with_the_hash_of_the_text,
    closed_unsigned_and_forged_confirmations_are_refused,
    a_major_version_makes_people_pending_again,
    editors_revoke_and_record_on_behalf,
    front_matter_settings_take_confirmations,
);

async fn the_audience_is_units_and_their_sub_units_as_they_are_now(db: TestDb) {
    let app = spawn(db).await;
    let id = require_ack(&app, "quy-che", &["trung-tam"], None, None).await;
    let (center, _) = employee(&app, "tt@loa.test", "Trần Trung", Some("trung-tam")).await;
    let (net, net_id) = employee(&app, "mang@loa.test", "Lê Mạng", Some("nhom-mang")).await;
    let (office, office_id) = employee(&app, "vp@loa.test", "Vũ Phòng", Some("van-phong")).await;
    let editor = app.signed_in(Role::Editor).await;

    for b in [&center, &net] {
        let page = b.page("/bai-viet/quy-che", 200).await;
        assert_eq!(texts(&page, ".ack-state"), ["Chưa xác nhận"]);
        assert!(page.contains(STATEMENT));
        assert_eq!(
            count(&page, "form[action='/bai-viet/quy-che/xac-nhan'] button"),
            1
        );
        assert_eq!(header_count(b).await, 1);
        let home = b.page("/", 200).await;
        assert_eq!(texts(&home, "a[href='/can-xac-nhan'] .ack-count"), ["1"]);
        let mine = b.page("/can-xac-nhan", 200).await;
        assert_eq!(
            count(&mine, ".ack-item a[href='/bai-viet/quy-che#xac-nhan']"),
            1
        );
    }
    // Outside the audience: no box, no count, and a POST is refused with nothing recorded.
    let page = office.page("/bai-viet/quy-che", 200).await;
    assert_eq!(count(&page, "#xac-nhan"), 0);
    assert_eq!(header_count(&office).await, 0);
    let r = office.post("/bai-viet/quy-che/xac-nhan", &[]).await;
    assert_eq!(r.status(), 403);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("không thuộc đơn vị được giao"));
    // Articles without acknowledgment show no box.
    let other = center.page("/bai-viet/tin-khac", 200).await;
    assert_eq!(count(&other, "#xac-nhan"), 0);
    assert_eq!(confirms(&app, id).await, 0);
    assert_eq!(
        admin_numbers(&editor, id).await,
        ("2".into(), "0".into(), "2".into())
    );

    // Joining a unit of the audience makes one pending; deactivation drops one out.
    let db = &app.state.db;
    db.pool()
        .execute(
            "update users set unit_id = (select id from units where slug = 'to-ky-thuat') \
             where id = $1",
            params![office_id],
        )
        .await
        .unwrap();
    assert_eq!(header_count(&office).await, 1);
    let r = office.post("/bai-viet/quy-che/xac-nhan", &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/bai-viet/quy-che#xac-nhan");
    assert_eq!(
        admin_numbers(&editor, id).await,
        ("3".into(), "1".into(), "2".into())
    );
    db.pool()
        .execute(
            "update users set active = false where id = $1",
            params![net_id],
        )
        .await
        .unwrap();
    let page = editor
        .page(&format!("/admin/bai-viet/{id}/xac-nhan"), 200)
        .await;
    assert_eq!(texts(&page, "#so-phai-xac-nhan"), ["2"]);
    assert_eq!(texts(&page, "#so-da-xac-nhan"), ["1"]);
    assert!(page.contains("50%"));
    assert!(!page.contains("Lê Mạng"));
    assert_eq!(
        texts(&page, ".ack-pending-list td:first-child"),
        ["Trần Trung"]
    );
}

async fn a_double_post_records_once_with_the_hash_of_the_text(db: TestDb) {
    let app = spawn(db).await;
    let id = require_ack(&app, "quy-che", &[], None, None).await;
    let (b, user_id) = employee(&app, "nv@loa.test", "Nguyễn Văn", None).await;
    assert_eq!(header_count(&b).await, 1);

    // Two clicks at once, then a third: one confirmation.
    let (r1, r2) = tokio::join!(
        b.post("/bai-viet/quy-che/xac-nhan", &[]),
        b.post("/bai-viet/quy-che/xac-nhan", &[])
    );
    assert_eq!(r1.status(), 303);
    assert_eq!(r2.status(), 303);
    let r3 = b
        .post("/bai-viet/quy-che/xac-nhan", &[("user_id", "1")])
        .await;
    assert_eq!(r3.status(), 303);
    assert_eq!(confirms(&app, id).await, 1);

    #[derive(sqlx::FromRow)]
    struct Ev {
        user_id: Option<i64>,
        actor_id: Option<i64>,
        version: i64,
        text_hash: String,
        seq: i64,
    }
    let ev: Ev = app
        .state
        .db
        .pool()
        .fetch_optional(
            "select user_id, actor_id, version, text_hash, seq from ack_events \
             where article_id = $1",
            params![id],
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ev.user_id, Some(user_id));
    assert_eq!(ev.actor_id, Some(user_id));
    assert_eq!((ev.version, ev.seq), (1, 0));
    let text = version_text(&app, id).await;
    assert_eq!(ev.text_hash, loa::ack::text_hash(&text));
    let stored = app
        .state
        .db
        .pool()
        .fetch_optional::<(String, String, String, String)>(
            "select title, body, statement, text_hash from ack_versions where article_id = $1",
            params![id],
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        loa::ack::text_hash(&loa::ack::confirmed_text(&stored.0, &stored.1, &stored.2)),
        ev.text_hash
    );

    let page = b.page("/bai-viet/quy-che", 200).await;
    let state = texts(&page, ".ack-state").join("");
    assert!(state.starts_with("Đã xác nhận lúc "), "{state}");
    assert_eq!(count(&page, ".ack-form"), 0);
    assert_eq!(header_count(&b).await, 0);
    let mine = b.page("/can-xac-nhan", 200).await;
    assert_eq!(count(&mine, ".ack-done a[href='/bai-viet/quy-che']"), 1);
    assert_eq!(count(&mine, ".ack-item"), 0);
}

async fn closed_unsigned_and_forged_confirmations_are_refused(db: TestDb) {
    let app = spawn(db).await;
    let now = loa::time::now();
    let closed = require_ack(
        &app,
        "quy-che",
        &[],
        Some(now - Duration::days(10)),
        Some(now - Duration::days(1)),
    )
    .await;
    let open = require_ack(&app, "tin-khac", &[], Some(now - Duration::days(2)), None).await;
    let (b, _) = employee(&app, "nv@loa.test", "Nguyễn Văn", Some("van-phong")).await;

    // Closed: the box says so, no button, and a POST records nothing.
    let page = b.page("/bai-viet/quy-che", 200).await;
    assert_eq!(count(&page, ".ack-form"), 0);
    assert!(page.contains("Đã hết thời hạn nhận xác nhận"));
    let r = b.post("/bai-viet/quy-che/xac-nhan", &[]).await;
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("hết thời hạn"));
    assert_eq!(confirms(&app, closed).await, 0);
    // The overdue open one counts in the header and is marked; the closed one does not count.
    assert_eq!(header_count(&b).await, 1);
    let mine = b.page("/can-xac-nhan", 200).await;
    assert_eq!(count(&mine, ".ack-item-overdue"), 2);
    assert_eq!(count(&mine, ".ack-item-overdue .ack-overdue"), 1);

    // The admin view counts the days overdue.
    let editor = app.signed_in(Role::Editor).await;
    let page = editor
        .page(&format!("/admin/bai-viet/{open}/xac-nhan"), 200)
        .await;
    let cells = texts(&page, ".ack-pending-list tbody td");
    assert!(
        cells
            .windows(3)
            .any(|w| w == ["Nguyễn Văn", "Văn phòng Sở", "2"]),
        "{cells:?}"
    );

    // Without the CSRF token, from another origin, or signed out: nothing recorded.
    let r = b
        .post_raw(
            "/bai-viet/tin-khac/xac-nhan",
            &[],
            Some(&b.base.clone()),
            None,
        )
        .await;
    assert_eq!(r.status(), 403);
    let token = b.csrf().await;
    let r = b
        .post_raw(
            "/bai-viet/tin-khac/xac-nhan",
            &[],
            Some("http://evil.example"),
            Some(&token),
        )
        .await;
    assert_eq!(r.status(), 403);
    let anonymous = app.browser();
    let r = anonymous.post("/bai-viet/tin-khac/xac-nhan", &[]).await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/dang-nhap"));
    assert_eq!(confirms(&app, open).await, 0);
    // An unpublished article takes no confirmation (it is not even there).
    app.state
        .db
        .pool()
        .execute(
            "update articles set status = 'draft' where id = $1",
            params![open],
        )
        .await
        .unwrap();
    let r = b.post("/bai-viet/tin-khac/xac-nhan", &[]).await;
    assert_eq!(r.status(), 404);
    assert_eq!(confirms(&app, open).await, 0);
    assert_eq!(header_count(&b).await, 0);
}

async fn a_major_version_makes_people_pending_again(db: TestDb) {
    let app = spawn(db).await;
    let id = require_ack(&app, "quy-che", &["van-phong"], None, None).await;
    let (b, user_id) = employee(&app, "nv@loa.test", "Nguyễn Văn", Some("van-phong")).await;
    assert_eq!(
        b.post("/bai-viet/quy-che/xac-nhan", &[]).await.status(),
        303
    );

    // A minor change (no new version) leaves the confirmation standing.
    let db = &app.state.db;
    db.pool()
        .execute(
            "update articles set summary = 'Tóm tắt mới' where id = $1",
            params![id],
        )
        .await
        .unwrap();
    assert_eq!(header_count(&b).await, 0);

    // A major one: version 2 with its reason.
    let text2 = loa::ack::confirmed_text("Quy chế quy-che", "Nội dung mới.", STATEMENT);
    add_version(&app, id, 2, &text2, "Bổ sung mục 3 về thời hạn").await;
    db.pool()
        .execute(
            "update ack_settings set current_version = 2 where article_id = $1",
            params![id],
        )
        .await
        .unwrap();
    let page = b.page("/bai-viet/quy-che", 200).await;
    assert_eq!(
        texts(&page, ".ack-state"),
        ["Cần xác nhận lại vì Bổ sung mục 3 về thời hạn"]
    );
    assert_eq!(count(&page, ".ack-form"), 1);
    assert_eq!(header_count(&b).await, 1);

    assert_eq!(
        b.post("/bai-viet/quy-che/xac-nhan", &[]).await.status(),
        303
    );
    let hash = db
        .pool()
        .fetch_optional::<(String,)>(
            "select text_hash from ack_events where article_id = $1 and user_id = $2 \
             and version = 2",
            params![id, user_id],
        )
        .await
        .unwrap()
        .unwrap()
        .0;
    assert_eq!(hash, loa::ack::text_hash(&text2));
    assert_eq!(confirms(&app, id).await, 2);
    assert_eq!(header_count(&b).await, 0);
}

async fn editors_revoke_and_record_on_behalf(db: TestDb) {
    let app = spawn(db).await;
    let id = require_ack(&app, "quy-che", &["van-phong"], None, None).await;
    let (b, user_id) = employee(&app, "nv@loa.test", "Nguyễn Văn", Some("van-phong")).await;
    let paper_id = app
        .create_user(
            "giay@loa.test",
            "Phạm Giấy",
            Role::Employee,
            Some("van-phong"),
            false,
        )
        .await;
    let outsider = app
        .create_user("ngoai@loa.test", "Đỗ Ngoài", Role::Employee, None, false)
        .await;
    let editor_id = app
        .create_user("bt@loa.test", "Biên Tập", Role::Editor, None, false)
        .await;
    let editor = app.browser();
    assert_eq!(editor.sign_in("bt@loa.test", PASSWORD).await.status(), 303);
    let admin_page = format!("/admin/bai-viet/{id}/xac-nhan");

    // Only editors and admins see the page; the article page links editors to it.
    let article = editor.page("/bai-viet/quy-che", 200).await;
    assert_eq!(
        count(&article, &format!("#xac-nhan a[href='{admin_page}']")),
        1
    );
    assert_eq!(
        count(&article, ".ack-form"),
        0,
        "the editor is not in the audience"
    );
    b.page(&admin_page, 403).await;
    app.signed_in(Role::Author)
        .await
        .page(&admin_page, 403)
        .await;

    assert_eq!(
        b.post("/bai-viet/quy-che/xac-nhan", &[]).await.status(),
        303
    );
    let event_id = app
        .state
        .db
        .pool()
        .fetch_i64(
            "select id from ack_events where user_id = $1 and kind = 'confirm'",
            params![user_id],
        )
        .await
        .unwrap();
    let event = event_id.to_string();

    // Revoking needs a reason.
    let revoke = format!("{admin_page}/thu-hoi");
    let r = editor
        .post(&revoke, &[("event_id", &event), ("reason", "  ")])
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Hãy nêu lý do thu hồi"));
    let reason = "Xác nhận nhầm <người>";
    let r = editor
        .post(&revoke, &[("event_id", &event), ("reason", reason)])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), admin_page);
    // A second revoke of the same confirmation is refused.
    let r = editor
        .post(&revoke, &[("event_id", &event), ("reason", reason)])
        .await;
    assert_eq!(r.status(), 409);
    let db = &app.state.db;
    let revokes = db
        .pool()
        .fetch_i64(
            "select count(*) from ack_events where kind = 'revoke' and revokes_id = $1 \
             and actor_id = $2 and reason = $3",
            params![event_id, editor_id, reason],
        )
        .await
        .unwrap();
    assert_eq!(revokes, 1);
    assert_eq!(confirms(&app, id).await, 1, "nothing is deleted");
    let page = b.page("/bai-viet/quy-che", 200).await;
    assert_eq!(texts(&page, ".ack-state"), ["Chưa xác nhận"]);
    // And confirm again: the second confirmation of the version.
    assert_eq!(
        b.post("/bai-viet/quy-che/xac-nhan", &[]).await.status(),
        303
    );
    let seqs = db
        .pool()
        .fetch_i64(
            "select max(seq) from ack_events where user_id = $1 and kind = 'confirm'",
            params![user_id],
        )
        .await
        .unwrap();
    assert_eq!(seqs, 1);

    // On behalf: a note is required, and only for people in the audience.
    let behalf = format!("{admin_page}/thay-mat");
    let paper = paper_id.to_string();
    let r = editor
        .post(&behalf, &[("user_id", &paper), ("note", "")])
        .await;
    assert_eq!(r.status(), 422);
    let r = editor
        .post(
            &behalf,
            &[("user_id", &outsider.to_string()), ("note", "Bản giấy")],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(confirms(&app, id).await, 2);
    let note = "Bản ký giấy ngày 05/09";
    let r = editor
        .post(&behalf, &[("user_id", &paper), ("note", note)])
        .await;
    assert_eq!(r.status(), 303);
    let by_editor = db
        .pool()
        .fetch_i64(
            "select count(*) from ack_events where user_id = $1 and actor_id = $2 and note = $3",
            params![paper_id, editor_id, note],
        )
        .await
        .unwrap();
    assert_eq!(by_editor, 1);

    let page = editor.page(&admin_page, 200).await;
    assert_eq!(texts(&page, "#so-da-xac-nhan"), ["2"]);
    assert!(page.contains("100%"));
    let rows = texts(&page, ".ack-confirmed tbody tr");
    assert!(rows
        .iter()
        .any(|r| r.contains("Phạm Giấy") && r.contains("Biên Tập: Bản ký giấy ngày 05/09")));
    assert!(rows
        .iter()
        .any(|r| r.contains("Nguyễn Văn") && r.contains("Tự xác nhận")));
    let audited = db
        .pool()
        .fetch_i64(
            "select count(*) from audit_log where action in ('ack.revoke', 'ack.confirm_on_behalf') \
             and actor_id = $1",
            params![editor_id],
        )
        .await
        .unwrap();
    assert_eq!(audited, 2);
}

/// The `[ack]` front matter (engineer S's import) gives the same box and button; a published
/// article whose version row is missing gets it stored by the first confirmation.
async fn front_matter_settings_take_confirmations(db: TestDb) {
    let content = ContentDir::new();
    content
        .raw(
            "site.toml",
            "name = \"Sở A\"\n[[units]]\nslug = \"trung-tam\"\nname = \"Trung tâm\"\n\
             [[units]]\nslug = \"to-ky-thuat\"\nname = \"Tổ Kỹ thuật\"\nparent = \"trung-tam\"\n"
                .as_bytes(),
        )
        .article(
            "quy-che.md",
            "title = \"Quy chế\"\nslug = \"quy-che\"\nstatus = \"published\"\n[ack]\n\
             staff = [\"trung-tam\"]\ndue = \"2999-09-15\"\nstatement = \"Tôi cam kết thực hiện.\"",
            "Nội dung.",
        );
    let app = TestApp::spawn(db, content.path()).await;
    let (b, user_id) = employee(&app, "kt@loa.test", "Kỹ Thuật", Some("to-ky-thuat")).await;
    let page = b.page("/bai-viet/quy-che", 200).await;
    assert_eq!(texts(&page, ".ack-state"), ["Chưa xác nhận"]);
    assert_eq!(texts(&page, ".ack-statement"), ["Tôi cam kết thực hiện."]);
    assert!(texts(&page, "#xac-nhan .meta")
        .join(" ")
        .contains("15/09/2999"));

    let db = &app.state.db;
    let id = db
        .pool()
        .fetch_i64("select id from articles where slug = 'quy-che'", vec![])
        .await
        .unwrap();
    db.pool()
        .execute(
            "delete from ack_versions where article_id = $1",
            loa::params![id],
        )
        .await
        .unwrap();
    assert_eq!(
        b.post("/bai-viet/quy-che/xac-nhan", &[]).await.status(),
        303
    );
    let hashes = db
        .pool()
        .fetch_i64(
            "select count(*) from ack_events e join ack_versions v \
             on v.article_id = e.article_id and v.version = e.version \
             and v.text_hash = e.text_hash where e.user_id = $1",
            loa::params![user_id],
        )
        .await
        .unwrap();
    assert_eq!(hashes, 1);
    let expected = loa::ack::text_hash(&loa::ack::confirmed_text(
        "Quy chế",
        "Nội dung.",
        "Tôi cam kết thực hiện.",
    ));
    let stored = db
        .pool()
        .fetch_optional::<(String,)>(
            "select text_hash from ack_versions where article_id = $1",
            loa::params![id],
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.0, expected);
}
