//! Sign-in abuse: an over-long e-mail is refused before it is stored anywhere; a burst of
//! parallel guesses is counted as it arrives, so no more than the limit reach argon2; a lock is
//! logged once; the password-change form's current password is under the same lock-out.

use loa::account::Role;

use super::app_with;
use crate::db_tests;
use crate::fixtures::audited;
use crate::helpers::{TestDb, PASSWORD};

db_tests!(
    an_overlong_email_is_refused_and_stored_nowhere,
    parallel_guesses_cannot_pass_the_lock_out,
    the_current_password_check_shares_the_lock_out,
);

const MAX: usize = loa::http::staff::sign_in::MAX_FAILURES_PER_ACCOUNT as usize;

async fn an_overlong_email_is_refused_and_stored_nowhere(db: TestDb) {
    let app = app_with(db, |_| {}).await;
    let b = app.browser();
    let long = format!("{}@loa.test", "a".repeat(300));
    let r = b.sign_in(&long, "sai-mat-khau").await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("tối đa 254 ký tự"));
    let db = &app.state.db;
    assert_eq!(
        db.pool()
            .fetch_i64("select count(*) from sign_in_failures", vec![])
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        db.pool()
            .fetch_i64(
                "select count(*) from audit_log where length(actor_label) > 254",
                vec![]
            )
            .await
            .unwrap(),
        0
    );
    // 254 characters is still an ordinary (wrong) attempt.
    let just = format!("{}@loa.test", "a".repeat(245));
    assert_eq!(just.chars().count(), 254);
    assert_eq!(b.sign_in(&just, "sai-mat-khau").await.status(), 401);
}

async fn parallel_guesses_cannot_pass_the_lock_out(db: TestDb) {
    let app = app_with(db, |_| {}).await;
    let email = app.user(Role::Editor).await;
    let b = app.browser();
    // Twenty guesses at once, on many connections, as the sign-in form sends them.
    let mut guesses = Vec::new();
    for i in 0..20 {
        let (client, base, email) = (b.client.clone(), b.base.clone(), email.clone());
        guesses.push(tokio::spawn(async move {
            let password = format!("doan-sai-{i}");
            let fields = [("email", email.as_str()), ("password", password.as_str())];
            client
                .post(format!("{base}/dang-nhap"))
                .header("sec-fetch-site", "same-origin")
                .header("origin", &base)
                .form(&fields)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for g in guesses {
        statuses.push(g.await.unwrap());
    }
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked + refused, 20, "{statuses:?}");
    assert!(
        checked <= MAX,
        "{checked} guesses were checked: {statuses:?}"
    );
    let failures = app
        .state
        .db
        .pool()
        .fetch_i64("select count(*) from sign_in_failures", vec![])
        .await
        .unwrap();
    assert_eq!(failures as usize, checked);
    // The account is locked now, even for the right password; the lock was logged once.
    assert_eq!(b.sign_in(&email, PASSWORD).await.status(), 429);
    assert_eq!(b.sign_in(&email, "sai-nua").await.status(), 429);
    assert_eq!(audited(&app, "sign_in.failure").await as usize, checked);
    if checked == MAX {
        assert_eq!(audited(&app, "sign_in.locked").await, 1);
    }
}

async fn the_current_password_check_shares_the_lock_out(db: TestDb) {
    let app = app_with(db, |_| {}).await;
    let b = app.signed_in(Role::Author).await;
    let change = |current: &'static str| {
        let b = &b;
        async move {
            b.change_password(current, "mat-khau-moi-du-dai")
                .await
                .status()
                .as_u16()
        }
    };
    for _ in 0..MAX {
        assert_eq!(change("doan-sai").await, 422);
    }
    // Locked: even the right password is not checked now.
    assert_eq!(change(PASSWORD).await, 429);
    let changed = app
        .state
        .db
        .pool()
        .fetch_i64(
            "select count(*) from audit_log where action = 'user.password_change'",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(changed, 0);
}
