//! What the operator watches: `/healthz` and `/readyz`, Prometheus metrics on their own address
//! (never on the site's), and logs — JSON with `LOG_FORMAT=json` — that hold no password, session
//! token, phone number or e-mail after a whole journey through the real binary.

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use loa::params;

use super::site::{confirm_as_citizen, confirm_as_staff, CITIZEN_ARTICLE};
use crate::db_tests;
use crate::fixtures::binary::{command, content_with_recent_notice, Server};
use crate::helpers::{repo_content, Browser, TestApp, TestDb, PASSWORD};

db_tests!(
    readiness_needs_the_database_the_migrations_and_the_scheduler,
    metrics_are_served_on_their_own_address,
    a_journey_leaves_no_personal_data_in_the_logs,
);

async fn readiness_needs_the_database_the_migrations_and_the_scheduler(db: TestDb) {
    let app = TestApp::spawn(db, &repo_content()).await;
    assert_eq!(app.page("/healthz", 200).await, r#"{"status":"ok"}"#);
    // No scheduler runs in this process yet.
    app.not_ready(r#""scheduler":"stopped""#).await;

    let jobs = loa::jobs::start_beating(
        app.state.db.clone(),
        app.state.config.clone(),
        app.state.scheduler.clone(),
    )
    .await
    .unwrap();
    assert_eq!(
        app.page("/readyz", 200).await,
        r#"{"database":"ok","migrations":"ok","scheduler":"ok","status":"ok"}"#
    );
    // A database behind this binary's migrations is not ready.
    app.state
        .db
        .pool()
        .execute(
            "delete from _sqlx_migrations where version = \
             (select max(version) from _sqlx_migrations)",
            params![],
        )
        .await
        .unwrap();
    app.not_ready(r#""migrations":"pending""#).await;
    jobs.shutdown().await;
}

async fn metrics_are_served_on_their_own_address(db: TestDb) {
    // The SIPAS articles, a notice to remind of, and one that the scheduler publishes a moment
    // after start.
    let content = content_with_recent_notice();
    let at = loa::time::now() + chrono::Duration::seconds(3);
    content.article(
        "sap-dang.md",
        &format!(
            "title = \"Sắp đăng\"\nslug = \"sap-dang\"\nstatus = \"scheduled\"\npublish_at = \"{}\"",
            at.to_rfc3339()
        ),
        "Nội dung.",
    );
    let dir = content.path().to_str().unwrap().to_owned();
    let server = Server::start(
        &db,
        &[
            ("LOA_METRICS_ADDR", "127.0.0.1:0"),
            ("LOA_CONTENT_DIR", &dir),
            // Today's reminders are always due: the catch-up at start sends them.
            ("LOA_REMINDER_TIME", "00:00"),
        ],
    );
    let metrics = server
        .metrics
        .clone()
        .expect("the metrics address is printed");
    assert!(metrics.ends_with("/metrics"));
    // Not on the site's address.
    let site = Browser::new(&server.base);
    assert_eq!(site.get("/metrics").await.status(), 404);

    site.page("/bai-viet/sipas-la-gi", 200).await;
    site.page("/khong-co-trang-nay", 404).await;
    let r = confirm_as_citizen(&site, "Người Dân", "0912345000", "").await;
    assert_eq!(r.status(), 303);
    let staff = Browser::new(&server.base);
    add_user(&db, "nv@loa.test", "employee");
    assert_eq!(staff.sign_in("nv@loa.test", PASSWORD).await.status(), 303);
    confirm_as_staff(&staff, CITIZEN_ARTICLE).await;

    let deadline = Instant::now() + Duration::from_secs(15);
    let text = loop {
        let text = reqwest::get(&metrics).await.unwrap().text().await.unwrap();
        if text.contains("loa_publications_total{action=\"published\"} 1")
            && !text.contains("loa_reminders_total{channel=\"in_app\",outcome=\"sent\"} 0")
        {
            break text;
        }
        assert!(Instant::now() < deadline, "{text}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let backend = db
        .url
        .split(':')
        .next()
        .unwrap()
        .replace("postgresql", "postgres");
    for line in [
        r#"loa_http_requests_total{method="GET",route="/bai-viet/{slug}",status="200"} 1"#,
        r#"loa_http_requests_total{method="GET",route="unmatched",status="404"} 2"#,
        r#"loa_http_requests_total{method="POST",route="/bai-viet/{slug}/xac-nhan",status="303"} 1"#,
        r#"loa_http_request_duration_seconds_bucket{method="GET",route="/bai-viet/{slug}",status="200",le="+Inf"} 1"#,
        "loa_citizen_confirmations_total 1",
        r#"loa_staff_confirmations_total{by="self"} 1"#,
        "loa_page_cache_hits_total ",
        "loa_page_cache_misses_total ",
        "loa_publication_lateness_seconds_count 1",
        r#"loa_job_runs_total{job="reminders",outcome="ok"} 1"#,
        r#"loa_job_lateness_seconds_count{job="publication"}"#,
        r#"loa_db_pool_connections{state="idle"}"#,
        r#"loa_db_pool_max_connections"#,
        &format!(
            r#"loa_build_info{{version="{}",database="{backend}"}} 1"#,
            env!("CARGO_PKG_VERSION")
        ),
        "# HELP loa_page_cache_hits_total",
    ] {
        assert!(text.contains(line), "no «{line}» in:\n{text}");
    }
    // Routes are templates: no slug, no visitor's path (the two 404s above share one label).
    assert!(!text.contains("sipas-la-gi") && !text.contains("khong-co"));
}

async fn a_journey_leaves_no_personal_data_in_the_logs(db: TestDb) {
    let mut server = Server::start(
        &db,
        &[
            ("RUST_LOG", "loa=trace,tower_http=trace,sqlx=debug,info"),
            ("LOG_FORMAT", "json"),
        ],
    );
    let first_password = server.admin_password.clone().expect("a first admin");
    let admin = Browser::new(&server.base);
    let signed_in = admin.sign_in("quantri@loa.local", &first_password).await;
    assert_eq!(signed_in.status(), 303);
    let session = set_cookie(&signed_in, "loa_session").expect("a session cookie");
    let new_password = "mat-khau-moi-that-dai-2024";
    let r = admin.change_password(&first_password, new_password).await;
    assert_eq!(r.status(), 303, "password changed");
    let again = Browser::new(&server.base);
    assert_ne!(
        again
            .sign_in("quantri@loa.local", "sai-mat-khau-nhe")
            .await
            .status(),
        303
    );
    let signed_in = again.sign_in("quantri@loa.local", new_password).await;
    assert_eq!(signed_in.status(), 303);
    let second_session = set_cookie(&signed_in, "loa_session").unwrap();
    confirm_as_staff(&again, CITIZEN_ARTICLE).await;

    let (phone, email) = ("0987 654 321", "nguoi.dan@vi-du.vn");
    let r = confirm_as_citizen(&Browser::new(&server.base), "Trần Thị Dân", phone, email).await;
    assert_eq!(r.status(), 303);
    // The admin looks the citizen up (a POST: the contact is in no URL).
    let found = again
        .post("/admin/nguoi-dan", &[("lien_he", "0987654321")])
        .await;
    assert_eq!(found.status(), 200);
    again.page(&format!("/tim-kiem?q={email}"), 200).await;

    server.signal("TERM");
    assert!(server
        .wait(Duration::from_secs(10))
        .is_some_and(|s| s.success()));
    let logs = server.logs();
    assert!(logs.lines().count() > 10, "{logs}");
    for line in logs.lines() {
        let parsed: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(parsed["level"].is_string() && parsed["timestamp"].is_string());
    }
    for secret in [
        first_password.as_str(),
        new_password,
        "sai-mat-khau-nhe",
        &session,
        &second_session,
        phone,
        "0987654321",
        "+84987654321",
        "987654321",
        email,
        "quantri@loa.local",
    ] {
        assert!(!logs.contains(secret), "«{secret}» is in the logs");
    }
}

fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
        .filter(|v| !v.is_empty())
}

/// `loa user add`, the password on standard input.
fn add_user(db: &TestDb, email: &str, role: &str) {
    let mut child = command(db)
        .args([
            "user",
            "add",
            "--email",
            email,
            "--name",
            "Nhân Viên",
            "--role",
            role,
        ])
        .arg("--password-stdin")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    assert!(child.wait().unwrap().success());
}
