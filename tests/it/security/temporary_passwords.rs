//! A temporary password (first admin, reset, CSV import) opens only the password change and
//! sign-out until it is changed.

use loa::account::Role;

use super::app_with;
use crate::db_tests;
use crate::helpers::{location, TestDb, PASSWORD};

db_tests!(a_temporary_password_opens_only_the_change_form);

async fn a_temporary_password_opens_only_the_change_form(db: TestDb) {
    let app = app_with(db, |_| {}).await;
    let email = app.user(Role::Admin).await;
    // As a reset or an import leaves it.
    app.state
        .db
        .pool()
        .execute(
            "update users set must_change_password = true where email = $1",
            loa::params![email.as_str()],
        )
        .await
        .unwrap();
    let b = app.browser();
    let r = b.sign_in(&email, PASSWORD).await;
    assert_eq!(location(&r), "/doi-mat-khau");

    for path in [
        "/admin",
        "/admin/nguoi-dung",
        "/",
        "/can-xac-nhan",
        "/bai-viet/bai",
    ] {
        let r = b.get(path).await;
        assert_eq!(r.status(), 303, "{path}");
        assert_eq!(location(&r), "/doi-mat-khau", "{path}");
    }
    let r = b
        .post(
            "/admin/nguoi-dung/moi",
            &[
                ("name", "Kẻ Lạ"),
                ("email", "la@loa.test"),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);
    let accounts = app
        .state
        .db
        .pool()
        .fetch_i64(
            "select count(*) from users where email = 'la@loa.test'",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(accounts, 0);
    // The form itself, and what it needs, are reachable.
    let page = b.page("/doi-mat-khau", 200).await;
    assert!(page.contains("mật khẩu tạm thời"));
    let css = crate::helpers::attrs(&page, "link[rel=stylesheet]", "href");
    assert_eq!(b.get(&css[0]).await.status(), 200);

    let new = "mat-khau-moi-that-dai";
    let r = b.change_password(PASSWORD, new).await;
    assert_eq!(r.status(), 303);
    b.page("/admin", 200).await;
    // Sign-out always works.
    assert_eq!(b.post("/dang-xuat", &[]).await.status(), 303);
}
