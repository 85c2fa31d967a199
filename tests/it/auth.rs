//! Sign-in, sessions, CSRF and Origin checks, lock-out, password change, deactivation, the first
//! administrator and `loa user add`.

use loa::account::Role;

use crate::db_tests;
use crate::helpers::{
    attrs, location, ContentDir, TestApp, TestDb, CROSS_SITE, FOREIGN_ORIGIN, PASSWORD,
};

db_tests!(
    signing_in_and_out,
    wrong_passwords_lock_the_account,
    the_session_id_is_renewed_at_sign_in,
    csrf_token_and_origin_are_required,
    next_only_goes_to_local_paths,
    changing_the_password_ends_other_sessions,
    deactivation_ends_every_session,
    the_first_admin_must_change_the_one_time_password,
    user_add_reads_the_password_from_stdin,
);

async fn app(db: TestDb) -> TestApp {
    let content = ContentDir::new();
    content.article("a.md", "title = \"Bài\"", "Nội dung.");
    TestApp::spawn(db, content.path()).await
}

fn session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("loa_session="))
        .map(str::to_owned)
}

async fn signing_in_and_out(db: TestDb) {
    let app = app(db).await;
    let email = app.user(Role::Editor).await;
    let b = app.browser();

    // The sign-in form needs no token (the Fetch-metadata check protects it) and sets no cookie.
    let r = b.get("/dang-nhap").await;
    assert!(r.headers().get("set-cookie").is_none());
    let page = r.text().await.unwrap();
    assert_eq!(
        attrs(&page, "form[action='/dang-nhap'] input[name=csrf]", "value").len(),
        0
    );

    let r = b.sign_in(&email.to_uppercase(), PASSWORD).await;
    assert_eq!(r.status(), 303, "e-mails are case-insensitive");
    assert_eq!(location(&r), "/admin");
    let cookie = session_cookie(&r).expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http in tests");
    assert!(b.page("/admin", 200).await.contains("Tổng quan"));

    // Sign-out is a POST; a GET does nothing.
    assert_eq!(b.get("/dang-xuat").await.status(), 405);
    assert!(b.page("/admin", 200).await.contains("Tổng quan"));
    let r = b.post("/dang-xuat", &[]).await;
    assert_eq!(r.status(), 303);
    let r = b.get("/admin").await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/dang-nhap?next=%2Fadmin");

    // The audit log has both outcomes.
    let wrong = b.sign_in(&email, "sai-mat-khau-roi").await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.text().await.unwrap().contains("không đúng"));
    let actions: Vec<String> = app
        .state
        .db
        .pool()
        .fetch_all::<Action>("select action from audit_log order by id", vec![])
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(actions, ["sign_in.success", "sign_out", "sign_in.failure"]);
}

#[derive(sqlx::FromRow)]
struct Action {
    action: String,
}

async fn wrong_passwords_lock_the_account(db: TestDb) {
    let app = app(db).await;
    let email = app.user(Role::Author).await;
    let b = app.browser();
    for _ in 0..5 {
        assert_eq!(b.sign_in(&email, "sai-mat-khau-roi").await.status(), 401);
    }
    // Even the right password is refused while the account is locked, with a clear message.
    let r = b.sign_in(&email, PASSWORD).await;
    assert_eq!(r.status(), 429);
    assert!(r.text().await.unwrap().contains("tạm khoá"));
    // Another account from the same address is not locked yet.
    let other = app.user(Role::Author).await;
    assert_eq!(b.sign_in(&other, PASSWORD).await.status(), 303);
    // Unknown accounts are answered like wrong passwords.
    assert_eq!(
        app.browser()
            .sign_in("khong-co@loa.test", PASSWORD)
            .await
            .status(),
        401
    );
}

async fn the_session_id_is_renewed_at_sign_in(db: TestDb) {
    let app = app(db).await;
    let email = app.user(Role::Editor).await;
    let b = app.browser();
    let first = session_cookie(&b.sign_in(&email, PASSWORD).await).unwrap();
    let second = session_cookie(&b.sign_in(&email, PASSWORD).await).unwrap();
    let token = |c: &str| c.split(';').next().unwrap().to_owned();
    assert_ne!(token(&first), token(&second));
    // The first session no longer opens anything.
    let r = app
        .client
        .get(format!("{}/admin", app.base))
        .header("cookie", token(&first))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    // Only hashes are stored.
    let raw = token(&second).trim_start_matches("loa_session=").to_owned();
    let stored = app
        .state
        .db
        .pool()
        .fetch_i64(
            "select count(*) from sessions where id_hash = $1",
            loa::params![raw],
        )
        .await
        .unwrap();
    assert_eq!(stored, 0);
}

async fn csrf_token_and_origin_are_required(db: TestDb) {
    let app = app(db).await;
    let b = app.signed_in(Role::Editor).await;
    let token = b.csrf().await;
    let own = app.base.clone();
    // Signed in, the session's token is a second wall behind the Fetch-metadata check.
    let cases: [(Option<&str>, Option<&str>); 3] = [
        (Some(&own), None),
        (
            Some(&own),
            Some("0000000000000000000000000000000000000000000000000000000000000000"),
        ),
        (Some("https://evil.example"), Some(&token)),
    ];
    for (origin, csrf) in cases {
        let r = b.post_raw("/dang-xuat", &[], origin, csrf).await;
        assert_eq!(r.status(), 403, "origin {origin:?}, token {csrf:?}");
        assert!(r.text().await.unwrap().contains("Không thực hiện được"));
    }
    for headers in [CROSS_SITE, FOREIGN_ORIGIN] {
        let r = b.post_with("/dang-xuat", &[], headers).await;
        assert_eq!(r.status(), 403, "{headers:?}");
    }
    // Nothing changed: still signed in.
    assert!(b.page("/admin", 200).await.contains("Tổng quan"));
    // A client that sends neither `Sec-Fetch-Site` nor `Origin` is no browser a page could
    // drive; with the session's token it passes.
    let r = b.post_raw("/dang-xuat", &[], None, Some(&token)).await;
    assert_eq!(r.status(), 303);

    // Anonymous forms are protected by the Fetch-metadata check alone (the sign-in form).
    let email = app.user(Role::Editor).await;
    let anon = app.browser();
    let fields = [("email", email.as_str()), ("password", PASSWORD)];
    for headers in [
        CROSS_SITE,
        FOREIGN_ORIGIN,
        &[("sec-fetch-site", "same-site")][..],
    ] {
        let r = anon.post_with("/dang-nhap", &fields, headers).await;
        assert_eq!(r.status(), 403, "{headers:?}");
        assert!(r.headers().get("set-cookie").is_none(), "{headers:?}");
    }
    assert_eq!(anon.post("/dang-nhap", &fields).await.status(), 303);
}

async fn next_only_goes_to_local_paths(db: TestDb) {
    let app = app(db).await;
    let email = app.user(Role::Editor).await;
    for (next, expected) in [
        ("/admin/bai-viet", "/admin/bai-viet"),
        ("//evil.example/x", "/admin"),
        ("https://evil.example", "/admin"),
        ("/\\evil.example", "/admin"),
    ] {
        let b = app.browser();
        let r = b
            .post(
                "/dang-nhap",
                &[("email", &email), ("password", PASSWORD), ("next", next)],
            )
            .await;
        assert_eq!(location(&r), expected, "next={next}");
    }
    // The sign-in page keeps a local next= for the form.
    let page = app
        .browser()
        .page("/dang-nhap?next=%2Fadmin%2Fanh", 200)
        .await;
    assert_eq!(attrs(&page, "input[name=next]", "value"), ["/admin/anh"]);
}

async fn changing_the_password_ends_other_sessions(db: TestDb) {
    let app = app(db).await;
    let email = app.user(Role::Author).await;
    let (laptop, phone) = (app.browser(), app.browser());
    assert_eq!(laptop.sign_in(&email, PASSWORD).await.status(), 303);
    assert_eq!(phone.sign_in(&email, PASSWORD).await.status(), 303);

    let bad = laptop
        .post(
            "/doi-mat-khau",
            &[
                ("current", "sai"),
                ("new_password", "ngan"),
                ("confirm", "khac"),
            ],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let text = bad.text().await.unwrap();
    assert!(text.contains("Mật khẩu hiện tại không đúng") && text.contains("ít nhất 10 ký tự"));

    let new = "mat-khau-moi-an-toan";
    let r = laptop.change_password(PASSWORD, new).await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        laptop.get("/admin").await.status(),
        200,
        "this session stays"
    );
    assert_eq!(
        phone.get("/admin").await.status(),
        303,
        "the other session ended"
    );
    assert_eq!(app.browser().sign_in(&email, PASSWORD).await.status(), 401);
    assert_eq!(app.browser().sign_in(&email, new).await.status(), 303);
}

async fn deactivation_ends_every_session(db: TestDb) {
    let app = app(db).await;
    let email = app.user(Role::Editor).await;
    let b = app.browser();
    assert_eq!(b.sign_in(&email, PASSWORD).await.status(), 303);
    app.state
        .db
        .pool()
        .execute(
            "update users set active = false where email = $1",
            loa::params![email.as_str()],
        )
        .await
        .unwrap();
    // An inactive account's session opens nothing, and it cannot sign in again.
    assert_eq!(b.get("/admin").await.status(), 303);
    assert_eq!(app.browser().sign_in(&email, PASSWORD).await.status(), 401);
}

async fn the_first_admin_must_change_the_one_time_password(db: TestDb) {
    let app = app(db).await;
    let (email, password) = loa::app::ensure_admin(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(email, loa::app::FIRST_ADMIN_EMAIL);
    assert!(
        loa::app::ensure_admin(&app.state.db)
            .await
            .unwrap()
            .is_none(),
        "only once"
    );
    let b = app.browser();
    let r = b.sign_in(&email, &password).await;
    assert_eq!(location(&r), "/doi-mat-khau");
    assert!(b
        .page("/doi-mat-khau", 200)
        .await
        .contains("mật khẩu tạm thời"));
    let new = "mat-khau-quan-tri-moi";
    let r = b.change_password(&password, new).await;
    assert_eq!(location(&r), "/admin");
    let r = app.browser().sign_in(&email, new).await;
    assert_eq!(location(&r), "/admin", "no longer forced to change");
}

async fn user_add_reads_the_password_from_stdin(db: TestDb) {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let content = ContentDir::new();
    content.raw(
        "site.toml",
        "name = \"Sở A\"\n[[units]]\nslug = \"van-phong\"\nname = \"Văn phòng Sở\"\n".as_bytes(),
    );
    let app = TestApp::spawn(db, content.path()).await;
    let run = |args: &[&str], stdin: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_loa"))
            .args(args)
            .env("LOA_DATABASE_URL", &app.db.url)
            .env("RUST_LOG", "off")
            .current_dir(app.db.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let args = [
        "user",
        "add",
        "--email",
        "Lan@BinhPhuoc.gov.vn",
        "--name",
        "Nguyễn Thị Lan",
        "--role",
        "employee",
        "--unit",
        "van-phong",
        "--head",
        "--password-stdin",
    ];
    let out = run(&args, "mot-mat-khau-dai\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = app
        .browser()
        .sign_in("lan@binhphuoc.gov.vn", "mot-mat-khau-dai")
        .await;
    assert_eq!(location(&r), "/", "employees go to the public site");

    let again = run(&args, "mot-mat-khau-dai\n");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("đã có tài khoản"));
    let short = run(
        &[
            "user",
            "add",
            "--email",
            "b@b.vn",
            "--name",
            "B",
            "--role",
            "author",
            "--password-stdin",
        ],
        "ngan\n",
    );
    assert!(!short.status.success());
    let unit = run(
        &[
            "user",
            "add",
            "--email",
            "c@b.vn",
            "--name",
            "C",
            "--role",
            "author",
            "--unit",
            "khong-co",
            "--password-stdin",
        ],
        "mot-mat-khau-dai\n",
    );
    assert!(String::from_utf8_lossy(&unit.stderr).contains("khong-co"));
}

#[tokio::test]
async fn cookies_are_secure_behind_https() {
    let db = TestDb::sqlite();
    let config = loa::config::RawConfig {
        database_url: Some(db.url.clone()),
        base_url: Some("https://loa.example.vn".into()),
        content_dir: Some(db.dir.path().join("khong-co")),
        ..Default::default()
    }
    .validate()
    .unwrap();
    let state = loa::app::prepare(config).await.unwrap();
    let c = loa::http::auth::set_cookie(&state, "loa_session", "x", None);
    assert!(c.to_str().unwrap().ends_with("; Secure"));
}
