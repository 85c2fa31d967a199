//! Sessions: an absolute lifetime besides the idle one, a session cookie unless "Ghi nhớ đăng
//! nhập" is ticked, and a new session and CSRF secret at every sign-in.

use chrono::Duration;
use loa::account::Role;
use loa::params;

use super::app_with;
use crate::db_tests;
use crate::helpers::{location, Browser, TestApp, TestDb, PASSWORD};

db_tests!(
    the_cookie_is_remembered_only_when_asked,
    a_session_ends_after_its_lifetime_however_active,
    sign_in_renews_the_session_and_its_csrf_secret,
);

fn session_cookie(r: &reqwest::Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("loa_session="))
        .expect("a session cookie")
        .to_owned()
}

async fn the_cookie_is_remembered_only_when_asked(db: TestDb) {
    let app = app_with(db, |_| {}).await;
    let email = app.user(Role::Editor).await;
    let page = app.page("/dang-nhap", 200).await;
    assert!(page.contains("Ghi nhớ đăng nhập"));
    let r = app.browser().sign_in(&email, PASSWORD).await;
    assert_eq!(r.status(), 303);
    let cookie = session_cookie(&r);
    assert!(!cookie.contains("Max-Age"), "a session cookie: {cookie}");
    let r = app
        .browser()
        .post(
            "/dang-nhap",
            &[("email", &email), ("password", PASSWORD), ("nho", "1")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(
        session_cookie(&r).contains("Max-Age=43200"),
        "remembered for the session's 12 hours"
    );
}

/// Moves every session's start `hours` back, as if used a minute ago.
async fn begun_hours_ago(app: &TestApp, hours: i64) {
    let now = loa::time::now();
    app.state
        .db
        .pool()
        .execute(
            "update sessions set created_at = $1, last_seen_at = $2",
            params![now - Duration::hours(hours), now - Duration::minutes(6)],
        )
        .await
        .unwrap();
}

async fn a_session_ends_after_its_lifetime_however_active(db: TestDb) {
    let app = app_with(db, |raw| raw.session_hours = Some(12)).await;
    let b = app.signed_in(Role::Editor).await;
    begun_hours_ago(&app, 11).await;
    b.page("/admin", 200).await;
    // Used just now, it was extended — but never past its twelfth hour.
    let past_end = app
        .state
        .db
        .pool()
        .fetch_i64(
            "select count(*) from sessions where expires_at > $1",
            params![loa::time::now() + Duration::hours(1) + Duration::minutes(1)],
        )
        .await
        .unwrap();
    assert_eq!(past_end, 0);
    begun_hours_ago(&app, 13).await;
    let r = b.get("/admin").await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/dang-nhap"));
}

async fn sign_in_renews_the_session_and_its_csrf_secret(db: TestDb) {
    let app = app_with(db, |_| {}).await;
    let email = app.user(Role::Editor).await;
    let b = Browser::new(&app.base);
    let first = session_cookie(&b.sign_in(&email, PASSWORD).await);
    let first_token = b.csrf().await;
    let second = session_cookie(&b.sign_in(&email, PASSWORD).await);
    let second_token = b.csrf().await;
    assert_ne!(first, second);
    assert_ne!(first_token, second_token);
    // The old secret opens nothing.
    let r = b
        .post_raw("/dang-xuat", &[], Some(&app.base), Some(&first_token))
        .await;
    assert_eq!(r.status(), 403);
}
