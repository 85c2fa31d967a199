//! An admin's own account through the people admin: resetting its password or deactivating it is
//! refused (the password page and another admin are the ways), even with a second admin present
//! so that the last-admin rule cannot be what refuses.

use loa::account::Role;
use loa::params;

use super::{admin, app, audit_of, scalar, sign_in_status, user};
use crate::db_tests;
use crate::helpers::{count, texts, Browser, TestApp, TestDb, PASSWORD};

db_tests!(
    an_admin_cannot_reset_their_own_password_here,
    an_admin_cannot_deactivate_themselves_even_beside_another_admin,
);

/// The stored password hash of an account.
async fn password_hash(app: &TestApp, id: i64) -> String {
    let sql = "select password_hash from users where id = $1";
    let row: Option<(String,)> = app
        .state
        .db
        .pool()
        .fetch_optional(sql, params![id])
        .await
        .unwrap();
    row.unwrap().0
}

/// A signed-in admin with a second active admin beside it; returns the first admin.
async fn admin_among_two(app: &TestApp) -> (Browser, i64) {
    let (b, id) = admin(app).await;
    app.create_user(
        "pho.quan.tri@loa.test",
        "Phó Quản Trị",
        Role::Admin,
        None,
        false,
    )
    .await;
    (b, id)
}

/// The messages above the account form.
fn general_errors(page: &str) -> Vec<String> {
    texts(page, "div.alert-error p")
}

async fn an_admin_cannot_reset_their_own_password_here(db: TestDb) {
    let (app, _c) = app(db).await;
    let (b, me) = admin_among_two(&app).await;
    let hash = password_hash(&app, me).await;
    let sessions = "select count(*) from sessions where user_id = $1";
    let open = scalar(&app, sessions, params![me]).await;

    let r = b
        .post(&format!("/admin/nguoi-dung/{me}/dat-lai-mat-khau"), &[])
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert_eq!(
        general_errors(&page),
        vec!["Để đổi mật khẩu của chính mình, hãy dùng trang «Đổi mật khẩu».".to_owned()]
    );
    // No temporary password is shown, stored, or required; the session lives on.
    assert_eq!(count(&page, "code.one-time-password"), 0);
    assert_eq!(password_hash(&app, me).await, hash);
    assert!(!user(&app, me).await.must_change_password);
    assert_eq!(scalar(&app, sessions, params![me]).await, open);
    assert_eq!(b.get("/admin").await.status(), 200);
    assert_eq!(
        sign_in_status(&app, "quan.tri@loa.test", PASSWORD).await,
        303
    );
    assert!(audit_of(&app, "user.password_reset").await.is_empty());
}

async fn an_admin_cannot_deactivate_themselves_even_beside_another_admin(db: TestDb) {
    let (app, _c) = app(db).await;
    let (b, me) = admin_among_two(&app).await;

    let r = b.post(&format!("/admin/nguoi-dung/{me}/khoa"), &[]).await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        general_errors(&r.text().await.unwrap()),
        vec!["Bạn không thể tự khoá tài khoản của chính mình.".to_owned()]
    );
    assert!(user(&app, me).await.active);
    assert_eq!(b.get("/admin").await.status(), 200);
    assert!(audit_of(&app, "user.deactivate").await.is_empty());
}
