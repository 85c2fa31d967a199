//! The publication scheduler: the due-work step with an injected clock, exactly-once claims,
//! the real scheduler in a running server, catch-up at start-up, and two processes on one
//! database.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use loa::jobs::publication::{self, claim_publication, run_due};

use crate::db_tests;
use crate::fixtures::article_id;
use crate::helpers::{ContentDir, TestApp, TestDb};

db_tests!(
    the_due_work_follows_the_injected_clock,
    concurrent_claims_publish_once,
    the_real_scheduler_publishes_within_two_seconds,
    overdue_articles_are_published_before_the_first_request,
    two_processes_publish_each_article_exactly_once,
);

fn rfc(t: DateTime<Utc>) -> String {
    loa::time::to_rfc3339_vietnam(t)
}

async fn status_of(app: &TestApp, slug: &str) -> String {
    #[derive(sqlx::FromRow)]
    struct S {
        status: String,
    }
    app.state
        .db
        .pool()
        .fetch_optional::<S>(
            "select status from articles where slug = $1",
            loa::params![slug],
        )
        .await
        .unwrap()
        .unwrap()
        .status
}

async fn audit_count(db: &loa::db::Db, action: &str, article: i64) -> i64 {
    db.pool()
        .fetch_i64(
            "select count(*) from audit_log where action = $1 and target_id = $2",
            loa::params![action, article],
        )
        .await
        .unwrap()
}

async fn the_due_work_follows_the_injected_clock(db: TestDb) {
    // A clock far ahead of the real one, so that start-up's own catch-up touches nothing.
    let t: DateTime<Utc> = "2100-01-01T00:00:00Z".parse().unwrap();
    let content = ContentDir::new();
    let scheduled = |slug: &str, at: DateTime<Utc>| {
        format!("title = \"{slug}\"\nslug = \"{slug}\"\nstatus = \"scheduled\"\npublish_at = \"{}\"\ntopics = [\"Lịch\"]", rfc(at))
    };
    content
        .article("a.md", &scheduled("chua-den", t + Duration::hours(1)), "x")
        .article("b.md", &scheduled("den-han", t), "x")
        .article("c.md", &scheduled("qua-han", t - Duration::days(1)), "x")
        .article("d.md", &scheduled("doi-lich", t - Duration::minutes(10)), "x")
        .article(
            "e.md",
            &format!(
                "title = \"het-han\"\nslug = \"het-han\"\npublish_at = \"2018-09-01\"\nunpublish_at = \"{}\"",
                rfc(t - Duration::minutes(1))
            ),
            "x",
        )
        .article("f.md", "title = \"da-dang\"\nslug = \"da-dang\"\npublish_at = \"2018-09-01\"", "x");
    let app = TestApp::spawn(db, content.path()).await;
    let db = &app.state.db;
    // Rescheduled before it fell due: now an hour after the clock.
    db.pool()
        .execute(
            "update articles set publish_at = $1 where slug = 'doi-lich'",
            loa::params![t + Duration::hours(1)],
        )
        .await
        .unwrap();

    // Before the clock: nothing.
    assert_eq!(run_due(db, t - Duration::days(2)).await.unwrap().items(), 0);

    let report = run_due(db, t).await.unwrap();
    let mut published = report.published.clone();
    published.sort();
    let mut expected = vec![
        article_id(&app, "den-han").await,
        article_id(&app, "qua-han").await,
    ];
    expected.sort();
    assert_eq!(published, expected, "due and overdue");
    assert_eq!(
        report.archived,
        [article_id(&app, "het-han").await],
        "expired"
    );
    for (slug, status) in [
        ("chua-den", "scheduled"),
        ("doi-lich", "scheduled"),
        ("den-han", "published"),
        ("qua-han", "published"),
        ("het-han", "archived"),
        ("da-dang", "published"),
    ] {
        assert_eq!(status_of(&app, slug).await, status, "{slug}");
    }
    // The same clock again: nothing more, and no second audit entry.
    assert_eq!(
        run_due(db, t).await.unwrap(),
        publication::DueReport::default()
    );
    assert_eq!(
        audit_count(db, "article.publish", article_id(&app, "den-han").await).await,
        1
    );
    assert_eq!(
        audit_count(db, "article.archive", article_id(&app, "het-han").await).await,
        1
    );
    // An hour later the rescheduled one and the not-yet-due one go live.
    let later = run_due(db, t + Duration::hours(1)).await.unwrap();
    assert_eq!(later.published.len(), 2);
    // What the clock published is public.
    app.page("/bai-viet/den-han", 200).await;
    app.page("/bai-viet/het-han", 404).await;
    assert!(app.page("/chu-de/lich", 200).await.contains("den-han"));
}

async fn concurrent_claims_publish_once(db: TestDb) {
    let t: DateTime<Utc> = "2100-01-01T00:00:00Z".parse().unwrap();
    let content = ContentDir::new();
    for i in 0..10 {
        content.article(
            &format!("b{i}.md"),
            &format!(
                "title = \"Bài {i}\"\nstatus = \"scheduled\"\npublish_at = \"{}\"",
                rfc(t)
            ),
            "x",
        );
    }
    let app = TestApp::spawn(db, content.path()).await;
    let db = app.state.db.clone();
    let id = article_id(&app, "bai-0").await;

    // Eight claims of one article at once: exactly one wins.
    let claims: Vec<_> = (0..8)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move { claim_publication(&db, id, t).await.unwrap() })
        })
        .collect();
    let mut wins = 0;
    for c in claims {
        wins += c.await.unwrap() as usize;
    }
    assert_eq!(wins, 1);

    // Four whole steps at once: the nine others are published once in all.
    let steps: Vec<_> = (0..4)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move { run_due(&db, t).await.unwrap().published.len() })
        })
        .collect();
    let mut total = 0;
    for s in steps {
        total += s.await.unwrap();
    }
    assert_eq!(total, 9);
    let audits = db
        .pool()
        .fetch_i64(
            "select count(*) from audit_log where action = 'article.publish'",
            vec![],
        )
        .await
        .unwrap();
    let revisions = db
        .pool()
        .fetch_i64(
            "select count(*) from article_revisions where reason = 'Xuất bản theo lịch'",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!((audits, revisions), (10, 10));
}

async fn the_real_scheduler_publishes_within_two_seconds(db: TestDb) {
    let at = loa::jobs::next_second(loa::time::now()) + Duration::seconds(3);
    let content = ContentDir::new();
    content.article(
        "dung-gio.md",
        &format!("title = \"Đúng giờ\"\nslug = \"dung-gio\"\nstatus = \"scheduled\"\ntopics = [\"Hẹn giờ\"]\npublish_at = \"{}\"", rfc(at)),
        "Nội dung.",
    );
    let app = TestApp::spawn(db, content.path()).await;
    let jobs = loa::jobs::start(app.state.db.clone()).await.unwrap();
    app.page("/bai-viet/dung-gio", 404).await;

    // Nobody visits until the time has come; then the article must be everywhere within 2 s.
    let wait = (at - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait).await;
    let deadline = at + Duration::seconds(2);
    let visible_at = loop {
        let page = app.get("/bai-viet/dung-gio").await.status() == 200;
        let home = app.page("/", 200).await.contains("/bai-viet/dung-gio");
        let topic = app.get("/chu-de/hen-gio").await;
        let topic =
            topic.status() == 200 && topic.text().await.unwrap().contains("/bai-viet/dung-gio");
        if page && home && topic {
            break Utc::now();
        }
        assert!(Utc::now() < deadline, "not visible 2 s after its time");
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    };
    assert!(visible_at >= at, "not before its time");
    jobs.shutdown().await;
    let jobs_seen = app
        .state
        .db
        .pool()
        .fetch_i64(
            "select count(*) from job_runs where job = 'publication' and items = 1",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(jobs_seen, 1, "the run is recorded");
}

async fn overdue_articles_are_published_before_the_first_request(db: TestDb) {
    let content = ContentDir::new();
    content.article(
        "tre.md",
        "title = \"Trễ hẹn\"\nslug = \"tre\"\nstatus = \"scheduled\"\npublish_at = \"2018-09-15T07:00:00+07:00\"",
        "x",
    );
    let app = TestApp::spawn(db, content.path()).await;
    app.page("/bai-viet/tre", 200).await;

    // `loa import` of a file scheduled in the past publishes it at once, too.
    let more = ContentDir::new();
    more.article(
        "tre2.md",
        "title = \"Trễ nữa\"\nslug = \"tre-2\"\nstatus = \"scheduled\"\npublish_at = \"2018-09-16\"",
        "x",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_loa"))
        .args(["import", more.path().to_str().unwrap()])
        .env("LOA_DATABASE_URL", &app.db.url)
        .env("RUST_LOG", "off")
        .current_dir(app.db.dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Theo lịch: 1 bài được xuất bản"));
    app.page("/bai-viet/tre-2", 200).await;
}

/// A `loa serve` process, stopped (SIGTERM, then kill) when dropped.
struct Server(std::process::Child);

impl Server {
    fn start(db: &TestDb) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_loa"))
            .args(["serve", "--addr", "127.0.0.1:0"])
            .env("LOA_DATABASE_URL", &db.url)
            .env("LOA_CONTENT_DIR", db.dir.path().join("khong-co"))
            .env("RUST_LOG", "off")
            .current_dir(db.dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while !line.starts_with("Loa đang chạy tại") {
            line.clear();
            assert!(out.read_line(&mut line).unwrap() > 0, "loa serve stopped");
        }
        // Keep reading in the background so the pipe never fills.
        std::thread::spawn(move || for _ in out.lines() {});
        Server(child)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let started = Instant::now();
        while started.elapsed() < StdDuration::from_secs(5) {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(StdDuration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn two_processes_publish_each_article_exactly_once(db: TestDb) {
    let conn = db.connect().await;
    let at = loa::jobs::next_second(loa::time::now()) + Duration::seconds(4);
    let content = ContentDir::new();
    for i in 0..20 {
        content.article(
            &format!("b{i:02}.md"),
            &format!(
                "title = \"Cùng giây {i}\"\nstatus = \"scheduled\"\npublish_at = \"{}\"",
                rfc(at)
            ),
            "x",
        );
    }
    loa::content::import_dir(&conn, content.path())
        .await
        .unwrap();
    let servers = [Server::start(&db), Server::start(&db)];

    let deadline = Instant::now() + StdDuration::from_secs(20);
    loop {
        let published = conn
            .pool()
            .fetch_i64(
                "select count(*) from articles where status = 'published'",
                vec![],
            )
            .await
            .unwrap();
        if published == 20 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {published} of 20 published"
        );
        tokio::time::sleep(StdDuration::from_millis(200)).await;
    }
    // Both processes keep ticking for a while: nothing may be published twice meanwhile.
    tokio::time::sleep(StdDuration::from_millis(1500)).await;
    drop(servers);
    #[derive(sqlx::FromRow)]
    struct PerArticle {
        audits: i64,
        revisions: i64,
    }
    let rows: Vec<PerArticle> = conn
        .pool()
        .fetch_all(
            "select (select count(*) from audit_log l where l.target_id = a.id \
                 and l.action = 'article.publish') as audits, \
             (select count(*) from article_revisions r where r.article_id = a.id \
                 and r.reason = 'Xuất bản theo lịch') as revisions \
             from articles a",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 20);
    for r in rows {
        assert_eq!((r.audits, r.revisions), (1, 1));
    }
}
