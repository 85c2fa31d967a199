//! The `loa` binary: import, export, migrate, serve, and its refusal of bad configuration and
//! malformed content.

use std::process::{Command, Output};

use loa::db::articles;

use crate::db_tests;
use crate::helpers::{repo_content, ContentDir, TestDb};

db_tests!(
    import_is_idempotent_and_says_what_it_did,
    import_detects_changes_and_bumps_the_version,
    malformed_content_is_refused_whole,
    export_then_import_round_trips,
    serve_fills_an_empty_database_and_stops_cleanly,
);

/// Runs `loa` with the test database and no loa.toml.
pub(crate) fn loa(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loa"))
        .args(args)
        .env("LOA_DATABASE_URL", &db.url)
        .env_remove("LOA_CONFIG")
        .env("RUST_LOG", "off")
        .current_dir(db.dir.path())
        .output()
        .expect("run loa")
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

async fn import_is_idempotent_and_says_what_it_did(db: TestDb) {
    let content = repo_content();
    let n = loa::content::load_dir(&content).unwrap().articles.len();
    let first = loa(&db, &["import", content.to_str().unwrap()]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stdout(&first).contains(&format!("Bài viết: {n} thêm mới, 0 cập nhật, 0 không đổi.")));
    assert!(stdout(&first).contains("thêm mới    sipas-la-gi"));

    let second = loa(&db, &["import", content.to_str().unwrap()]);
    assert!(second.status.success());
    let out = stdout(&second);
    assert!(
        out.contains(&format!("Bài viết: 0 thêm mới, 0 cập nhật, {n} không đổi.")),
        "{out}"
    );
    assert!(out.contains("Không có gì thay đổi."), "{out}");

    let conn = db.connect().await;
    assert_eq!(articles::count_all(&conn).await.unwrap(), n as i64);
    let versions: Vec<i64> = articles::all(&conn)
        .await
        .unwrap()
        .iter()
        .map(|a| a.version)
        .collect();
    assert!(
        versions.iter().all(|&v| v == 1),
        "nothing was rewritten: {versions:?}"
    );
}

async fn import_detects_changes_and_bumps_the_version(db: TestDb) {
    let content = ContentDir::new();
    content
        .article("a.md", "title = \"Một\"\ntopics = [\"SIPAS\"]", "Nội dung.")
        .article("b.md", "title = \"Hai\"", "Nội dung.");
    let dir = content.path().to_str().unwrap();
    assert!(loa(&db, &["import", dir]).status.success());

    content.article(
        "a.md",
        "title = \"Một\"\ntopics = [\"SIPAS\", \"Mới\"]",
        "Nội dung đã sửa.",
    );
    let out = loa(&db, &["import", dir]);
    assert!(
        stdout(&out).contains("Bài viết: 0 thêm mới, 1 cập nhật, 1 không đổi."),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("cập nhật    mot"));

    let conn = db.connect().await;
    let all = articles::all(&conn).await.unwrap();
    let a = all.iter().find(|a| a.slug == "mot").unwrap();
    assert_eq!(a.version, 2);
    assert!(
        a.body_html.contains("Nội dung đã sửa."),
        "the rendering follows the source"
    );
    assert_eq!(all.iter().find(|a| a.slug == "hai").unwrap().version, 1);
}

async fn malformed_content_is_refused_whole(db: TestDb) {
    let good = "+++\ntitle = \"Tốt\"\n+++\n\nNội dung.\n";
    // (file contents, expected "file:line: field" prefix in the report)
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            b"+++\ntitle = \"A\"\nsummary = \"unterminated\n+++\nx\n".to_vec(),
            "bad.md:3",
        ),
        (
            b"+++\nsummary = \"no title\"\n+++\nx\n".to_vec(),
            "bad.md:1: title",
        ),
        (
            b"+++\ntitle = \"A\"\nstatus = \"live\"\n+++\nx\n".to_vec(),
            "bad.md:3: status",
        ),
        (
            b"+++\ntitle = \"A\"\n\npublish_at = \"31/08/2018\"\n+++\nx\n".to_vec(),
            "bad.md:4: publish_at",
        ),
        (
            b"+++\ntitle = \"A\"\n+++\n\nx\n\xc3\x28\n".to_vec(),
            "bad.md:6",
        ),
        (
            b"+++\ntitle = \"A\"\nslug = \"tot-2\"\n+++\nx\n".to_vec(),
            "bad.md:3: slug",
        ),
        (b"title = \"no front matter\"\n".to_vec(), "bad.md:1"),
    ];
    for (bytes, expected) in cases {
        let content = ContentDir::new();
        content.raw("a-good.md", good.as_bytes());
        content.raw(
            "a-good-2.md",
            b"+++\ntitle = \"Hai\"\nslug = \"tot-2\"\n+++\nx\n",
        );
        content.raw("bad.md", &bytes);
        let out = loa(&db, &["import", content.path().to_str().unwrap()]);
        assert!(!out.status.success(), "{expected}: refused");
        let err = stderr(&out);
        let line = err
            .lines()
            .find(|l| l.contains("bad.md"))
            .unwrap_or_default();
        assert!(
            line.contains(&format!("{}/{expected}", content.path().display())),
            "expected «{expected}» in:\n{err}"
        );
        assert!(err.contains("không nhập gì"), "{err}");
    }
    let conn = db.connect().await;
    assert_eq!(
        articles::count_all(&conn).await.unwrap(),
        0,
        "nothing was half-imported"
    );

    let out = loa(&db, &["import", "/khong/co/thu-muc"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("/khong/co/thu-muc"));
}

async fn export_then_import_round_trips(db: TestDb) {
    let content = repo_content();
    assert!(loa(&db, &["import", content.to_str().unwrap()])
        .status
        .success());
    // Extra cases the repository's articles lack: derived slug, no date, cover, all statuses.
    let extra = ContentDir::new();
    extra
        .article("x.md", "title = \"Đường dẫn tự sinh\"\nstatus = \"draft\"", "Thân bài <!-- more --> còn lại.")
        .article(
            "y.md",
            "title = \"Hẹn giờ\"\nstatus = \"scheduled\"\npublish_at = 2030-01-01T07:00:00+07:00\n\
             unpublish_at = \"2030-02-01\"\ncover = \"https://example.com/a.png\"\ncover_alt = \"Ảnh\"",
            "| a |\n|---|\n| 1 |",
        )
        .article(
            "z.md",
            "title = \"Cần xác nhận\"\n[ack]\nstaff = [\"van-phong\", \"thanh-tra\"]\n\
             citizens = true\ndue = \"2018-09-15\"\nclose = \"x\"",
            "Nội dung.",
        );
    // An unknown key in [ack] is refused, naming its line.
    let refused = loa(&db, &["import", extra.path().to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("z.md:7"), "{}", stderr(&refused));
    extra.article(
        "z.md",
        "title = \"Cần xác nhận\"\n[ack]\nstaff = [\"van-phong\", \"thanh-tra\"]\n\
         citizens = true\ndue = \"2018-09-15\"\nstatement = \"Tôi đã đọc.\"\n\
         closes = 2018-12-31T17:00:00+07:00\nrenew_on = [\"09-01\"]\nrenew_due_days = 14",
        "Nội dung.",
    );
    extra.article(
        "w.md",
        "title = \"Xác nhận hằng năm\"\n[ack]\nstaff = \"all\"\nrenew_every_days = 365",
        "Nội dung.",
    );
    assert!(loa(&db, &["import", extra.path().to_str().unwrap()])
        .status
        .success());

    let out_dir = db.dir.path().join("xuat");
    let out = loa(&db, &["export", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out_dir.join("site.toml").is_file());
    assert!(out_dir.join("duong-dan-tu-sinh.md").is_file());

    // Back into the same database: nothing changes.
    let again = loa(&db, &["import", out_dir.to_str().unwrap()]);
    assert!(
        stdout(&again).contains("Không có gì thay đổi."),
        "{}",
        stdout(&again)
    );

    // Into a fresh database: the same articles and the same site.
    let other = db.another().await;
    let into = loa(&other, &["import", out_dir.to_str().unwrap()]);
    assert!(into.status.success(), "{}", stderr(&into));
    let (a, b) = (db.connect().await, other.connect().await);
    let key = |r: &articles::ArticleRow| {
        (
            r.slug.clone(),
            r.title.clone(),
            r.summary.clone(),
            r.body.clone(),
            r.body_html.clone(),
            r.status.clone(),
            r.featured,
            r.cover.clone(),
            r.cover_alt.clone(),
            r.publish_at,
            r.unpublish_at,
        )
    };
    let mut left: Vec<_> = articles::all(&a).await.unwrap().iter().map(key).collect();
    let mut right: Vec<_> = articles::all(&b).await.unwrap().iter().map(key).collect();
    left.sort();
    right.sort();
    assert_eq!(left, right);
    assert_eq!(
        loa::db::site::load_file(&a).await.unwrap(),
        loa::db::site::load_file(&b).await.unwrap()
    );
    for slug in ["sipas-la-gi", "duong-dan-tu-sinh", "hen-gio"] {
        let topics = |db: &loa::db::Db| {
            let db = db.clone();
            let slug = slug.to_owned();
            async move {
                let mut tx = db.begin().await.unwrap();
                let id = tx
                    .fetch_i64(
                        "select id from articles where slug = $1",
                        loa::params![slug],
                    )
                    .await
                    .unwrap();
                loa::db::topics::names_for_article(&mut tx, id)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(topics(&a).await, topics(&b).await, "{slug}");
    }
    // The [ack] table came back the same, and the published article has its version 1.
    let exported = std::fs::read_to_string(out_dir.join("can-xac-nhan.md")).unwrap();
    assert!(exported.contains("[ack]"), "{exported}");
    assert!(exported.contains("due = \"2018-09-15\""), "{exported}");
    let ack = |db: loa::db::Db| async move {
        let id = articles::all(&db)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.slug == "can-xac-nhan")
            .unwrap()
            .id;
        let s = loa::db::ack_settings::settings(&db, id)
            .await
            .unwrap()
            .unwrap();
        let v = loa::db::ack_settings::current_version(&db, id)
            .await
            .unwrap()
            .unwrap();
        (s.to_settings(), v.version, v.text_hash)
    };
    let (left, right) = (ack(a).await, ack(b).await);
    assert_eq!(left, right);
    assert_eq!(
        left.0.staff,
        loa::ack::StaffAudience::Units(vec!["van-phong".into(), "thanh-tra".into()])
    );
    assert!(left.0.citizens);
    assert_eq!(left.0.statement, "Tôi đã đọc.");
    assert_eq!(
        left.0.closes.map(loa::time::to_rfc3339_vietnam).as_deref(),
        Some("2018-12-31T17:00:00+07:00")
    );
    assert_eq!(left.1, 1);
    // The renewal rules came back too (issue 17).
    assert_eq!(
        left.0.renewal,
        loa::ack::Renewal::OnDates {
            dates: vec![(9, 1)],
            due_days: Some(14)
        }
    );
    assert!(exported.contains("renew_on = [\"09-01\"]"), "{exported}");
    let yearly = std::fs::read_to_string(out_dir.join("xac-nhan-hang-nam.md")).unwrap();
    assert!(yearly.contains("renew_every_days = 365"), "{yearly}");
    let renewal_in = |db: loa::db::Db| async move {
        let id = articles::all(&db)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.slug == "xac-nhan-hang-nam")
            .unwrap()
            .id;
        let s = loa::db::ack_settings::settings(&db, id).await.unwrap();
        s.unwrap().to_settings().renewal
    };
    let b = other.connect().await;
    assert_eq!(renewal_in(b).await, loa::ack::Renewal::EveryDays(365));
}

async fn serve_fills_an_empty_database_and_stops_cleanly(db: TestDb) {
    let mut server = crate::fixtures::binary::Server::start(&db, &[]);
    assert!(
        server.base.starts_with("http://127.0.0.1:"),
        "{}",
        server.base
    );
    // A new site prints how to sign in as its first administrator.
    let console = server.console();
    assert!(console.contains("quantri@loa.local"), "{console}");
    assert!(console.contains("/dang-nhap"), "{console}");

    let home = reqwest::get(&server.base).await.unwrap();
    assert_eq!(home.status(), 200);
    assert!(home.text().await.unwrap().contains("SIPAS là gì?"));

    // SIGTERM: a graceful stop with exit code 0.
    server.signal("TERM");
    let status = server.wait(std::time::Duration::from_secs(10)).unwrap();
    assert!(status.success());
}

#[test]
fn bad_configuration_stops_with_one_clear_line() {
    let db = TestDb::sqlite();
    let cases: [(&[&str], &str); 4] = [
        (
            &["--database-url", "mysql://localhost/loa", "migrate"],
            "LOA_DATABASE_URL",
        ),
        (
            &["--database-url", "khong-phai-url", "migrate"],
            "LOA_DATABASE_URL",
        ),
        (&["--addr", "localhost", "serve"], "LOA_ADDR"),
        (&["--base-url", "ftp://x", "serve"], "LOA_BASE_URL"),
    ];
    for (args, setting) in cases {
        let out = loa(&db, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(
            err.starts_with("lỗi: cấu hình sai: ") && err.contains(setting),
            "{err}"
        );
    }

    std::fs::write(
        db.dir.path().join("loa.toml"),
        "addr = \"127.0.0.1:3000\"\nport = 3\n",
    )
    .unwrap();
    let out = loa(&db, &["migrate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("loa.toml:2"), "{}", stderr(&out));
}

#[test]
fn a_port_in_use_is_reported() {
    let db = TestDb::sqlite();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = loa(&db, &["serve", "--addr", &addr]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("không mở được cổng") && err.contains(&addr),
        "{err}"
    );
}

#[test]
fn migrate_creates_the_sqlite_file_and_its_folder() {
    let db = TestDb::sqlite();
    let out = loa(&db, &["migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(db.dir.path().join("data/loa.db").is_file());
    // Twice is fine.
    assert!(loa(&db, &["migrate"]).status.success());
}
