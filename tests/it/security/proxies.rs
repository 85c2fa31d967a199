//! Behind a reverse proxy: only from `LOA_TRUSTED_PROXIES` is the client taken from
//! `X-Forwarded-For` (the right-most untrusted hop), for the audit log, the lock-out and the
//! citizens' records; IPv6 clients are limited per /64; anyone else's header is ignored.

use super::app_with;
use crate::ack_citizens::{app_with_articles_and, citizen, ACTION_A};
use crate::db_tests;
use crate::helpers::{Browser, TestApp, TestDb};

db_tests!(
    a_trusted_proxy_names_the_client,
    ipv6_clients_are_limited_per_64,
    anyone_elses_forwarded_for_is_ignored,
);

/// POSTs an anonymous form as our pages do, through a proxy that says the client is `forwarded_for`.
async fn post_via(
    b: &Browser,
    path: &str,
    fields: &[(&str, &str)],
    forwarded_for: &str,
) -> reqwest::Response {
    b.client
        .post(format!("{}{path}", b.base))
        .header("sec-fetch-site", "same-origin")
        .header("origin", &b.base)
        .header("x-forwarded-for", forwarded_for)
        .form(fields)
        .send()
        .await
        .unwrap()
}

async fn text(app: &TestApp, sql: &str) -> Vec<String> {
    #[derive(sqlx::FromRow)]
    struct Row {
        v: String,
    }
    let rows: Vec<Row> = app.state.db.pool().fetch_all(sql, vec![]).await.unwrap();
    rows.into_iter().map(|r| r.v).collect()
}

async fn a_trusted_proxy_names_the_client(db: TestDb) {
    // The tests connect from 127.0.0.1: the proxy.
    let app = app_with_articles_and(db, |raw| {
        raw.trusted_proxies = Some("127.0.0.0/8, ::1".into());
    })
    .await;
    let b = app.browser();
    // The client forged the first hop; the proxy appended what it saw.
    assert_eq!(
        failed_sign_in_from(&app, "6.6.6.6, 203.0.113.5").await,
        ["203.0.113.5"]
    );
    assert_eq!(
        text(&app, "select ip as v from sign_in_failures").await,
        ["203.0.113.5"]
    );

    let r = post_via(
        &b,
        ACTION_A,
        &citizen("An", "0912000001", ""),
        "198.51.100.9",
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        text(&app, "select ip as v from citizens").await,
        ["198.51.100.9"]
    );
    assert_eq!(
        text(&app, "select ip as v from ack_events").await,
        ["198.51.100.9"]
    );
}

async fn ipv6_clients_are_limited_per_64(db: TestDb) {
    let app = app_with_articles_and(db, |raw| {
        raw.trusted_proxies = Some("127.0.0.1".into());
    })
    .await;
    let b = app.browser();
    let limit = loa::http::public::confirm::IP_LIMIT;
    // Every address of one /64 is one client, however it changes its interface identifier.
    for i in 1..=limit {
        let phone = format!("091200000{i}");
        let from = format!("2001:db8:1:2::{i:x}");
        let r = post_via(&b, ACTION_A, &citizen("An", &phone, ""), &from).await;
        assert_eq!(r.status(), 303, "{from}");
    }
    let r = post_via(
        &b,
        ACTION_A,
        &citizen("Bình", "0987000001", ""),
        "2001:db8:1:2:ffff:ffff:ffff:ffff",
    )
    .await;
    assert_eq!(r.status(), 429);
    // The next /64 is someone else.
    let r = post_via(
        &b,
        ACTION_A,
        &citizen("Chi", "0987000002", ""),
        "2001:db8:1:3::1",
    )
    .await;
    assert_eq!(r.status(), 303);
    // The record keeps the address; the event keeps what the limit counts.
    let db = &app.state.db;
    let n = |sql: &'static str| async move { db.pool().fetch_i64(sql, vec![]).await.unwrap() };
    assert_eq!(
        n("select count(*) from citizens where ip = '2001:db8:1:2::1'").await,
        1
    );
    assert_eq!(
        n("select count(*) from ack_events where ip = '2001:db8:1:2::/64'").await,
        limit
    );
}

async fn anyone_elses_forwarded_for_is_ignored(db: TestDb) {
    let app = app_with(db, |_| {}).await;
    assert_eq!(
        failed_sign_in_from(&app, "203.0.113.5").await,
        ["127.0.0.1"]
    );
}

/// A wrong password sent with this `X-Forwarded-For`; the addresses the audit log recorded.
async fn failed_sign_in_from(app: &TestApp, forwarded_for: &str) -> Vec<String> {
    let fields = [("email", "ai-do@loa.test"), ("password", "sai-mat-khau")];
    let r = post_via(&app.browser(), "/dang-nhap", &fields, forwarded_for).await;
    assert_eq!(r.status(), 401);
    text(
        app,
        "select ip as v from audit_log where action = 'sign_in.failure'",
    )
    .await
}
