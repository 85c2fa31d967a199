//! Accounts: creating one with a one-time password, editing, role changes and the last admin,
//! deactivation and reactivation, password resets, the filtered list.

use loa::account::Role;
use loa::params;

use super::{
    admin, app, audit_of, id_of, person, scalar, sign_in_status, unit_id, user, user_count,
};
use crate::db_tests;
use crate::helpers::{attrs, count, location, texts, TestApp, TestDb, PASSWORD};

db_tests!(
    an_admin_creates_an_account_that_signs_in_once_with_its_password,
    a_duplicate_email_in_another_case_is_a_form_error,
    deactivation_ends_open_sessions_and_reactivation_restores_access,
    role_changes_are_audited_and_the_last_admin_is_kept,
    two_admins_removing_each_other_at_once_leave_one,
    a_password_reset_ends_sessions_and_forces_a_change,
    the_list_filters_by_role_unit_status_and_name,
);

async fn an_admin_creates_an_account_that_signs_in_once_with_its_password(db: TestDb) {
    let (app, _c) = app(db).await;
    let (b, admin_id) = admin(&app).await;
    let form = b.page("/admin/nguoi-dung/moi", 200).await;
    assert_eq!(
        count(
            &form,
            "form[action='/admin/nguoi-dung/moi'] input[name=csrf]"
        ),
        1
    );
    let unit = unit_id(&app, "trung-tam-ky-thuat").await.to_string();
    // The unit choices show the tree.
    assert!(texts(&form, "select#unit option").contains(&"— Phòng Kỹ thuật".to_owned()));

    let r = b
        .post(
            "/admin/nguoi-dung/moi",
            &[
                ("name", "  Nguyễn   Thị Lan "),
                ("email", "Lan.Nguyen@Loa.Test"),
                ("unit", &unit),
                ("role", "editor"),
                ("is_head", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let page = r.text().await.unwrap();
    let password = texts(&page, "code.one-time-password").remove(0);
    assert_eq!(password.len(), 16);

    let id = id_of(&app, "lan.nguyen@loa.test").await;
    let u = user(&app, id).await;
    assert_eq!(u.name, "Nguyễn Thị Lan");
    assert_eq!(u.unit_name.as_deref(), Some("Phòng Kỹ thuật"));
    assert_eq!(u.role(), Role::Editor);
    assert!(u.is_head && u.active && u.must_change_password);

    // The password is shown once: the account's page never shows it again.
    let edit = b.page(&format!("/admin/nguoi-dung/{id}"), 200).await;
    assert!(!edit.contains(&password));
    assert_eq!(count(&edit, "code.one-time-password"), 0);

    let created = audit_of(&app, "user.create").await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].target_label, "lan.nguyen@loa.test");
    assert_eq!(created[0].actor_label, "quan.tri@loa.test");
    assert_ne!(admin_id, id);

    let newcomer = app.browser();
    let r = newcomer.sign_in("lan.nguyen@loa.test", &password).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/doi-mat-khau");

    let list = b.page("/admin/nguoi-dung", 200).await;
    assert!(texts(&list, "table.people td a").contains(&"Nguyễn Thị Lan".to_owned()));
}

async fn a_duplicate_email_in_another_case_is_a_form_error(db: TestDb) {
    let (app, _c) = app(db).await;
    let (b, _) = admin(&app).await;
    app.create_user(
        "trung@loa.test",
        "Người Có Trước",
        Role::Employee,
        None,
        false,
    )
    .await;
    let other = app
        .create_user("khac@loa.test", "Người Khác", Role::Employee, None, false)
        .await;
    let before = user_count(&app).await;

    let r = b
        .post(
            "/admin/nguoi-dung/moi",
            &person("Người Mới", "TRUNG@Loa.Test", "", "employee"),
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert_eq!(
        texts(&page, "#email-error"),
        vec!["Địa chỉ thư điện tử này đã có tài khoản khác dùng.".to_owned()]
    );
    // The form keeps what was typed.
    assert_eq!(
        attrs(&page, "input#name", "value"),
        vec!["Người Mới".to_owned()]
    );
    assert_eq!(user_count(&app).await, before);

    // Editing another account onto the same address is refused the same way.
    let r = b
        .post(
            &format!("/admin/nguoi-dung/{other}"),
            &person("Người Khác", "Trung@loa.test", "", "employee"),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("đã có tài khoản khác dùng"));
    let u = user(&app, other).await;
    assert_eq!(u.email, "khac@loa.test");

    // Other wrong input: messages next to each field, nothing created.
    let r = b
        .post(
            "/admin/nguoi-dung/moi",
            &person(" ", "khong-hop-le", "999", "vua"),
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    for field in ["name", "email", "unit", "role"] {
        assert_eq!(count(&page, &format!("#{field}-error")), 1, "{field}");
    }
    assert_eq!(user_count(&app).await, before);
}

async fn deactivation_ends_open_sessions_and_reactivation_restores_access(db: TestDb) {
    let (app, _c) = app(db).await;
    let (b, admin_id) = admin(&app).await;
    let id = app
        .create_user(
            "roi.di@loa.test",
            "Người Nghỉ Việc",
            Role::Editor,
            None,
            false,
        )
        .await;
    let leaver = app.browser();
    assert_eq!(
        leaver.sign_in("roi.di@loa.test", PASSWORD).await.status(),
        303
    );
    assert_eq!(leaver.get("/admin").await.status(), 200);

    let r = b.post(&format!("/admin/nguoi-dung/{id}/khoa"), &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        location(&r),
        format!("/admin/nguoi-dung/{id}?thong_bao=da-khoa")
    );
    // The open session is gone at once: the next request is anonymous.
    let r = leaver.get("/admin").await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/dang-nhap"));
    let sessions = scalar(
        &app,
        "select count(*) from sessions where user_id = $1",
        params![id],
    )
    .await;
    assert_eq!(sessions, 0);
    assert_eq!(sign_in_status(&app, "roi.di@loa.test", PASSWORD).await, 401);
    assert_eq!(audit_of(&app, "user.deactivate").await.len(), 1);
    let page = b
        .page(&format!("/admin/nguoi-dung/{id}?thong_bao=da-khoa"), 200)
        .await;
    assert!(page.contains("Đã khoá tài khoản"));
    assert_eq!(count(&page, "form[action$='/mo-khoa']"), 1);

    // An admin cannot lock themselves out.
    let r = b
        .post(&format!("/admin/nguoi-dung/{admin_id}/khoa"), &[])
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("không thể tự khoá"));
    assert!(user(&app, admin_id).await.active);

    let r = b
        .post(&format!("/admin/nguoi-dung/{id}/mo-khoa"), &[])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(sign_in_status(&app, "roi.di@loa.test", PASSWORD).await, 303);
    let reactivated = audit_of(&app, "user.reactivate").await;
    assert_eq!(reactivated.len(), 1);
    assert_eq!(reactivated[0].target_id, Some(id));
}

async fn role_changes_are_audited_and_the_last_admin_is_kept(db: TestDb) {
    let (app, _c) = app(db).await;
    let (b, admin_id) = admin(&app).await;
    let id = app
        .create_user("bien.tap@loa.test", "Biên Tập", Role::Editor, None, false)
        .await;
    let vp = unit_id(&app, "van-phong").await.to_string();

    // Only the role changes: one role_change entry, no update entry.
    let r = b
        .post(
            &format!("/admin/nguoi-dung/{id}"),
            &person("Biên Tập", "bien.tap@loa.test", "", "admin"),
        )
        .await;
    assert_eq!(r.status(), 303);
    let changes = audit_of(&app, "user.role_change").await;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].detail, "editor → admin");
    assert_eq!(changes[0].target_id, Some(id));
    assert!(audit_of(&app, "user.update").await.is_empty());

    // Name and unit: an update entry naming what changed.
    let r = b
        .post(
            &format!("/admin/nguoi-dung/{id}"),
            &person("Biên Tập Viên", "bien.tap@loa.test", &vp, "admin"),
        )
        .await;
    assert_eq!(r.status(), 303);
    let updates = audit_of(&app, "user.update").await;
    assert_eq!(updates.len(), 1);
    assert!(
        updates[0].detail.contains("Văn phòng Sở"),
        "{}",
        updates[0].detail
    );
    assert_eq!(audit_of(&app, "user.role_change").await.len(), 1);

    // With two admins, one may step down…
    let r = b
        .post(
            &format!("/admin/nguoi-dung/{id}"),
            &person("Biên Tập Viên", "bien.tap@loa.test", &vp, "editor"),
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        audit_of(&app, "user.role_change").await[0].detail,
        "admin → editor"
    );

    // …but the last active admin keeps the role.
    let r = b
        .post(
            &format!("/admin/nguoi-dung/{admin_id}"),
            &person("Quản Trị", "quan.tri@loa.test", "", "author"),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(texts(&r.text().await.unwrap(), "#role-error")[0].contains("quản trị viên cuối cùng"));
    let me = user(&app, admin_id).await;
    assert_eq!(me.role(), Role::Admin);
    assert_eq!(audit_of(&app, "user.role_change").await.len(), 2);

    // An inactive admin does not count as another admin.
    let dormant = app
        .create_user("ngu.dong@loa.test", "Ngủ Đông", Role::Admin, None, false)
        .await;
    assert_eq!(
        b.post(&format!("/admin/nguoi-dung/{dormant}/khoa"), &[])
            .await
            .status(),
        303
    );
    let r = b
        .post(
            &format!("/admin/nguoi-dung/{admin_id}"),
            &person("Quản Trị", "quan.tri@loa.test", "", "editor"),
        )
        .await;
    assert_eq!(r.status(), 422);
}

async fn a_password_reset_ends_sessions_and_forces_a_change(db: TestDb) {
    let (app, _c) = app(db).await;
    let (b, admin_id) = admin(&app).await;
    let id = app
        .create_user("quen@loa.test", "Hay Quên", Role::Author, None, false)
        .await;
    let forgetful = app.browser();
    assert_eq!(
        forgetful.sign_in("quen@loa.test", PASSWORD).await.status(),
        303
    );

    let r = b
        .post(&format!("/admin/nguoi-dung/{id}/dat-lai-mat-khau"), &[])
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let password = texts(&r.text().await.unwrap(), "code.one-time-password").remove(0);
    assert_eq!(
        forgetful.get("/admin").await.status(),
        303,
        "the old session ended"
    );
    assert_eq!(sign_in_status(&app, "quen@loa.test", PASSWORD).await, 401);
    let r = app.browser().sign_in("quen@loa.test", &password).await;
    assert_eq!(location(&r), "/doi-mat-khau");
    assert_eq!(audit_of(&app, "user.password_reset").await.len(), 1);

    // Their own password admins change on the password page.
    let r = b
        .post(
            &format!("/admin/nguoi-dung/{admin_id}/dat-lai-mat-khau"),
            &[],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(b.get("/admin").await.status(), 200);
}

async fn the_list_filters_by_role_unit_status_and_name(db: TestDb) {
    let (app, _c) = app(db).await;
    let (b, _) = admin(&app).await;
    app.create_user(
        "do@loa.test",
        "Đỗ Thị Hằng",
        Role::Employee,
        Some("trung-tam-ky-thuat"),
        false,
    )
    .await;
    app.create_user(
        "le@loa.test",
        "Lê Văn Nam",
        Role::Author,
        Some("van-phong"),
        false,
    )
    .await;
    let gone = app
        .create_user(
            "cu@loa.test",
            "Trần Cũ",
            Role::Employee,
            Some("van-phong"),
            false,
        )
        .await;
    assert_eq!(
        b.post(&format!("/admin/nguoi-dung/{gone}/khoa"), &[])
            .await
            .status(),
        303
    );
    let names = |page: &str| texts(page, "table.people tbody td:first-child a");

    let all = b.page("/admin/nguoi-dung", 200).await;
    assert_eq!(names(&all).len(), 4);
    // Without diacritics, "do thi" finds "Đỗ Thị".
    let found = b.page("/admin/nguoi-dung?q=do+thi", 200).await;
    assert_eq!(names(&found), vec!["Đỗ Thị Hằng".to_owned()]);
    let authors = b.page("/admin/nguoi-dung?vai_tro=author", 200).await;
    assert_eq!(names(&authors), vec!["Lê Văn Nam".to_owned()]);
    // A unit includes the units below it.
    let centre = unit_id(&app, "trung-tam").await;
    let page = b
        .page(&format!("/admin/nguoi-dung?don_vi={centre}"), 200)
        .await;
    assert_eq!(names(&page), vec!["Đỗ Thị Hằng".to_owned()]);
    let locked = b.page("/admin/nguoi-dung?trang_thai=da-khoa", 200).await;
    assert_eq!(names(&locked), vec!["Trần Cũ".to_owned()]);
    let active = b.page("/admin/nguoi-dung?trang_thai=hoat-dong", 200).await;
    assert_eq!(names(&active).len(), 3);

    // Paginated: 25 a page, the filters kept in the links.
    for n in 0..30 {
        app.create_user(
            &format!("nv{n}@loa.test"),
            &format!("Nhân Viên {n:02}"),
            Role::Employee,
            None,
            false,
        )
        .await;
    }
    let first = b.page("/admin/nguoi-dung?vai_tro=employee", 200).await;
    assert_eq!(names(&first).len(), 25);
    assert_eq!(
        attrs(&first, "a[rel=next]", "href"),
        vec!["/admin/nguoi-dung?vai_tro=employee&trang=2".to_owned()]
    );
    let second = b
        .page("/admin/nguoi-dung?vai_tro=employee&trang=2", 200)
        .await;
    assert_eq!(names(&second).len(), 7);
    b.page("/admin/nguoi-dung?vai_tro=employee&trang=3", 404)
        .await;
}

/// Two admins demote (then deactivate) each other at the same instant: one wins, the other is
/// told it would remove the last admin, and one active admin is left. Several rounds, since a
/// race lost by luck once proves little.
async fn two_admins_removing_each_other_at_once_leave_one(db: TestDb) {
    let (app, _c) = app(db).await;
    let (a, a_id) = admin(&app).await;
    let (email, name) = ("pho.quan.tri@loa.test", "Phó Quản Trị");
    let (b, b_id) = crate::fixtures::person(&app, email, name, Role::Admin, None, false).await;
    let a_form = person("Quản Trị", "quan.tri@loa.test", "", "editor");
    let b_form = person("Phó Quản Trị", "pho.quan.tri@loa.test", "", "editor");
    let (edit_b, edit_a) = (
        format!("/admin/nguoi-dung/{b_id}"),
        format!("/admin/nguoi-dung/{a_id}"),
    );
    for round in 0..4 {
        let (ra, rb) = tokio::join!(a.post(&edit_b, &b_form), b.post(&edit_a, &a_form));
        // The loser is told it would remove the last admin (422), or, arriving once the winner
        // has committed, is no admin any more (403).
        let mut statuses = [ra.status().as_u16(), rb.status().as_u16()];
        statuses.sort();
        assert!(
            matches!(statuses, [303, 403 | 422]),
            "round {round}: {statuses:?}"
        );
        one_admin_left(&app, round, "update users set role = 'admin'").await;
    }
    let (lock_b, lock_a) = (format!("{edit_b}/khoa"), format!("{edit_a}/khoa"));
    for round in 0..2 {
        let (ra, rb) = tokio::join!(a.post(&lock_b, &[]), b.post(&lock_a, &[]));
        // The loser is refused, or finds its session already ended by the winner.
        assert!(ra.status() != 500 && rb.status() != 500, "round {round}");
        one_admin_left(&app, round, "update users set active = true").await;
        // The loser was signed out only if deactivated; sign both in again.
        for (browser, email) in [(&a, "quan.tri@loa.test"), (&b, "pho.quan.tri@loa.test")] {
            browser.sign_in(email, PASSWORD).await;
        }
    }
}

/// Exactly one active admin is left after `round`; `undo` (SQL) then makes both admins again,
/// for the next round.
async fn one_admin_left(app: &TestApp, round: usize, undo: &str) {
    let active_admins = "select count(*) from users where role = 'admin' and active = true";
    assert_eq!(scalar(app, active_admins, vec![]).await, 1, "round {round}");
    app.state.db.pool().execute(undo, vec![]).await.unwrap();
}
