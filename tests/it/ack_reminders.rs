//! Acknowledgment reminders: one message a day per person (in the application always, by e-mail
//! over a REAL SMTP server on loopback when `smtp_url` is set), the unit head's digest after the
//! due date, failures logged without stopping the run, and the admin's reminder log.

use chrono::{DateTime, Duration, Utc};
use loa::account::Role;
use loa::db::jobs::Outcome;
use loa::params;

use crate::db_tests;
use crate::fixtures;
use crate::fixtures::smtp::SmtpServer;
use crate::helpers::{count, texts, Browser, ContentDir, TestApp, TestDb, PASSWORD};

db_tests!(
    one_message_a_day_in_app_and_by_mail,
    without_smtp_only_in_app_through_the_registered_job,
    the_unit_head_gets_a_digest_after_the_due_date,
    a_failing_mail_server_is_logged_and_the_run_goes_on,
    closed_and_long_overdue_items_are_not_reminded,
);

/// Units van-phong and thanh-tra; articles quy-che and noi-quy, published.
fn content() -> ContentDir {
    let content = ContentDir::new();
    content.raw(
        "site.toml",
        "name = \"Sở Nội vụ\"\nlocalities = [\"Huyện Bù Đăng\"]\n\
         [[units]]\nslug = \"van-phong\"\nname = \"Văn phòng Sở\"\n\
         [[units]]\nslug = \"thanh-tra\"\nname = \"Thanh tra Sở\"\n"
            .as_bytes(),
    );
    for (slug, title) in [
        ("quy-che", "Quy chế văn hóa công sở"),
        ("noi-quy", "Nội quy cơ quan"),
    ] {
        content.article(
            &format!("{slug}.md"),
            &format!("title = \"{title}\"\nslug = \"{slug}\"\nstatus = \"published\""),
            "Nội dung cần đọc.",
        );
    }
    content
}

async fn spawn(db: TestDb, smtp: Option<&SmtpServer>) -> TestApp {
    let content = content();
    let url = smtp.map(SmtpServer::url);
    TestApp::spawn_with(db, content.path(), |raw| raw.smtp_url = url).await
}

/// Requires acknowledgment of `slug` from the staff of `unit`, due at `due`; version 1 stored.
async fn require_ack(app: &TestApp, slug: &str, unit: &str, due: DateTime<Utc>) -> i64 {
    fixtures::require_ack(app, slug, &[unit], Some(due), None).await
}

async fn confirm(app: &TestApp, article_id: i64, user_id: i64) {
    assert!(fixtures::confirm(app, article_id, user_id).await);
}

async fn staff(app: &TestApp, email: &str, name: &str, unit: &str, head: bool) -> i64 {
    app.create_user(email, name, Role::Employee, Some(unit), head)
        .await
}

/// (kind, channel, outcome) of a person's reminders, in order.
async fn log_of(app: &TestApp, user_id: i64) -> Vec<(String, String, String, String)> {
    #[derive(sqlx::FromRow)]
    struct LogEntry {
        kind: String,
        channel: String,
        outcome: String,
        day: String,
    }
    let rows: Vec<LogEntry> = app
        .state
        .db
        .pool()
        .fetch_all(
            "select kind, channel, outcome, day from ack_reminders where user_id = $1 \
             order by day, kind, channel",
            params![user_id],
        )
        .await
        .unwrap();
    rows.into_iter()
        .map(|r| (r.day, r.kind, r.channel, r.outcome))
        .collect()
}

async fn signed_in_as(app: &TestApp, email: &str) -> Browser {
    let b = app.browser();
    assert_eq!(b.sign_in(email, PASSWORD).await.status(), 303);
    b
}

fn row(day: &str, kind: &str, channel: &str, outcome: &str) -> (String, String, String, String) {
    (day.into(), kind.into(), channel.into(), outcome.into())
}

async fn one_message_a_day_in_app_and_by_mail(db: TestDb) {
    let smtp = SmtpServer::start(false).await;
    let app = spawn(db, Some(&smtp)).await;
    let now = loa::time::now();
    let soon = require_ack(&app, "quy-che", "van-phong", now + Duration::days(2)).await;
    // Due in ten days: outside the three-day window, not listed yet.
    require_ack(&app, "noi-quy", "van-phong", now + Duration::days(10)).await;
    let an = staff(&app, "an@so.test", "Nguyễn Văn An", "van-phong", false).await;
    let binh = staff(&app, "binh@so.test", "Trần Thị Bình", "van-phong", false).await;
    let other = staff(&app, "cuong@so.test", "Lê Cường", "thanh-tra", false).await;
    confirm(&app, soon, binh).await;

    let config = app.state.config.clone();
    let first = loa::jobs::reminders::run_daily(&app.state.db, &config, now)
        .await
        .unwrap();
    assert_eq!((first.in_app, first.emailed, first.failed), (1, 1, 0));
    // The same day again: nothing more, on either channel.
    let again = loa::jobs::reminders::run_daily(&app.state.db, &config, now + Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(again.messages(), 0);

    let mails = smtp.messages();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let mail = &mails[0];
    assert_eq!(mail.to, vec!["<an@so.test>".to_owned()]);
    assert!(mail.from.contains('@'), "{}", mail.from);
    assert!(
        mail.data
            .contains("Content-Type: text/plain; charset=utf-8"),
        "{}",
        mail.data
    );
    let body = mail.body();
    assert!(body.contains("Kính gửi Nguyễn Văn An"), "{body}");
    assert!(body.contains("Quy chế văn hóa công sở"), "{body}");
    assert!(
        body.contains(&format!("{}/bai-viet/quy-che", app.base)),
        "{body}"
    );
    assert!(!body.contains("Nội quy cơ quan"), "due later: {body}");

    let today = loa::jobs::reminders::day_slot(now);
    assert_eq!(
        log_of(&app, an).await,
        vec![
            row(&today, "staff", "email", "sent"),
            row(&today, "staff", "in_app", "sent")
        ]
    );
    assert!(
        log_of(&app, binh).await.is_empty(),
        "confirmed: nothing to remind"
    );
    assert!(log_of(&app, other).await.is_empty(), "outside the audience");

    // In the application: on An's notifications page, not on Bình's.
    let page = signed_in_as(&app, "an@so.test")
        .await
        .page("/thong-bao", 200)
        .await;
    assert_eq!(count(&page, ".notice"), 1);
    assert!(
        texts(&page, ".notice-subject")[0].contains("1 tài liệu cần xác nhận"),
        "{page}"
    );
    assert!(texts(&page, ".notice-body")[0].contains("Quy chế văn hóa công sở"));
    let page = signed_in_as(&app, "binh@so.test")
        .await
        .page("/thong-bao", 200)
        .await;
    assert_eq!(count(&page, ".notice"), 0);
    app.page("/thong-bao", 303).await;

    // The next day, a new message (now both articles are within the window for An).
    let next = loa::jobs::reminders::run_daily(&app.state.db, &config, now + Duration::days(1))
        .await
        .unwrap();
    assert_eq!((next.in_app, next.emailed), (1, 1));
    assert_eq!(smtp.to("an@so.test").len(), 2);
}

async fn without_smtp_only_in_app_through_the_registered_job(db: TestDb) {
    let app = spawn(db, None).await;
    let now = loa::time::now();
    require_ack(&app, "quy-che", "van-phong", now + Duration::days(1)).await;
    let an = staff(&app, "an@so.test", "Nguyễn Văn An", "van-phong", false).await;

    let config = app.state.config.clone();
    let spec = loa::jobs::registry(&config)
        .into_iter()
        .find(|s| s.name == "reminders")
        .expect("the reminders job is registered");
    assert_eq!(
        spec.schedule, "0 0 1 * * *",
        "08:00 in Vietnam is 01:00 UTC"
    );
    let outcome = loa::jobs::run_once(&app.state.db, &config, &spec, "thu-nghiem").await;
    assert_eq!(outcome, Outcome::Ok { items: 1 });
    // The day's tick is claimed: a second run (another instance) does nothing.
    let outcome = loa::jobs::run_once(&app.state.db, &config, &spec, "may-khac").await;
    assert_eq!(outcome, Outcome::Ok { items: 0 });

    let today = loa::jobs::reminders::day_slot(loa::time::now());
    assert_eq!(
        log_of(&app, an).await,
        vec![
            row(&today, "staff", "email", "skipped"),
            row(&today, "staff", "in_app", "sent")
        ]
    );
    let page = signed_in_as(&app, "an@so.test")
        .await
        .page("/thong-bao", 200)
        .await;
    assert_eq!(count(&page, ".notice"), 1);
}

async fn the_unit_head_gets_a_digest_after_the_due_date(db: TestDb) {
    let smtp = SmtpServer::start(false).await;
    let app = spawn(db, Some(&smtp)).await;
    let now = loa::time::now();
    let quy_che = require_ack(&app, "quy-che", "van-phong", now + Duration::days(2)).await;
    require_ack(&app, "noi-quy", "thanh-tra", now + Duration::days(2)).await;
    let head = staff(
        &app,
        "truong@so.test",
        "Phạm Trưởng Phòng",
        "van-phong",
        true,
    )
    .await;
    staff(&app, "an@so.test", "Nguyễn Văn An", "van-phong", false).await;
    let binh = staff(&app, "binh@so.test", "Trần Thị Bình", "van-phong", false).await;
    staff(&app, "cuong@so.test", "Lê Cường", "thanh-tra", false).await;
    confirm(&app, quy_che, binh).await;
    confirm(&app, quy_che, head).await;
    let config = app.state.config.clone();

    // Before the due date: staff are reminded, the head gets no digest.
    loa::jobs::reminders::run_daily(&app.state.db, &config, now)
        .await
        .unwrap();
    assert!(!log_of(&app, head).await.iter().any(|r| r.1 == "head"));
    assert!(smtp.to("truong@so.test").is_empty());

    // Three days on, An is overdue: the head's digest lists An, not Bình (confirmed) nor Cường
    // (another unit, whose head there is none).
    let later = now + Duration::days(3);
    let run = loa::jobs::reminders::run_daily(&app.state.db, &config, later)
        .await
        .unwrap();
    assert_eq!(run.failed, 0);
    let day = loa::jobs::reminders::day_slot(later);
    assert_eq!(
        log_of(&app, head).await,
        vec![
            row(&day, "head", "email", "sent"),
            row(&day, "head", "in_app", "sent")
        ]
    );
    let digests = smtp.to("truong@so.test");
    assert_eq!(digests.len(), 1, "{digests:?}");
    let body = digests[0].body();
    assert!(body.contains("Nguyễn Văn An"), "{body}");
    assert!(body.contains("Quy chế văn hóa công sở — hạn"), "{body}");
    assert!(body.contains("quá hạn"), "{body}");
    assert!(!body.contains("Trần Thị Bình"), "{body}");
    assert!(!body.contains("Lê Cường"), "{body}");
    // Once a day for the digest too. (A second later, not an hour: `now` is the real clock, and
    // an hour could cross midnight in Vietnam, which is another day.)
    loa::jobs::reminders::run_daily(&app.state.db, &config, later + Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(smtp.to("truong@so.test").len(), 1);

    let page = signed_in_as(&app, "truong@so.test")
        .await
        .page("/thong-bao", 200)
        .await;
    assert_eq!(count(&page, ".notice-digest"), 1);
    assert!(texts(&page, ".notice-digest .notice-body")[0].contains("Nguyễn Văn An"));
}

async fn a_failing_mail_server_is_logged_and_the_run_goes_on(db: TestDb) {
    let smtp = SmtpServer::start(true).await;
    let app = spawn(db, Some(&smtp)).await;
    let now = loa::time::now();
    require_ack(&app, "quy-che", "van-phong", now + Duration::days(1)).await;
    let an = staff(&app, "an@so.test", "Nguyễn Văn An", "van-phong", false).await;
    let binh = staff(&app, "binh@so.test", "Trần <b>Bình</b>", "van-phong", false).await;

    let config = app.state.config.clone();
    let run = loa::jobs::reminders::run_daily(&app.state.db, &config, now)
        .await
        .expect("a mail failure does not fail the run");
    assert_eq!((run.in_app, run.emailed, run.failed), (2, 0, 2));
    assert!(smtp.messages().is_empty());
    let today = loa::jobs::reminders::day_slot(now);
    for who in [an, binh] {
        assert_eq!(
            log_of(&app, who).await,
            vec![
                row(&today, "staff", "email", "failed"),
                row(&today, "staff", "in_app", "sent")
            ]
        );
    }
    // Failed today stays failed today: no retry storm.
    let again = loa::jobs::reminders::run_daily(&app.state.db, &config, now)
        .await
        .unwrap();
    assert_eq!(again.messages(), 0);

    // The admin's log, for editors.
    let editor = app.signed_in(Role::Editor).await;
    let page = editor.page("/admin/nhac-nho", 200).await;
    assert_eq!(count(&page, "tr.reminder"), 4);
    assert_eq!(count(&page, "tr.reminder-failed"), 2);
    assert!(
        texts(&page, ".reminder-error")
            .iter()
            .all(|e| e.contains("451")),
        "{page}"
    );
    assert!(
        page.contains("Trần &lt;b&gt;Bình&lt;/b&gt;"),
        "names are escaped"
    );
    let failed = editor.page("/admin/nhac-nho?ket_qua=failed", 200).await;
    assert_eq!(count(&failed, "tr.reminder"), 2);
    assert_eq!(count(&failed, "tr[data-channel=email]"), 2);
    let in_app = editor.page("/admin/nhac-nho?kenh=in_app", 200).await;
    assert_eq!(count(&in_app, "tr[data-outcome=sent]"), 2);
    // Authors may not read it; visitors must sign in.
    let author = app.signed_in(Role::Author).await;
    author.page("/admin/nhac-nho", 403).await;
    app.page("/admin/nhac-nho", 303).await;
}

/// Years later, the old notice is not reminded every morning: an item more than
/// `LOA_REMINDER_MAX_OVERDUE_DAYS` overdue, or whose acknowledgment has closed, leaves both the
/// staff reminder and the head's digest. The mail goes out from `LOA_MAIL_FROM`.
async fn closed_and_long_overdue_items_are_not_reminded(db: TestDb) {
    let smtp = SmtpServer::start(false).await;
    let content = content();
    let url = smtp.url();
    let app = TestApp::spawn_with(db, content.path(), |raw| {
        raw.smtp_url = Some(url);
        raw.mail_from = Some("Loa Sở Nội vụ <thong-bao@so.test>".to_owned());
        raw.reminder_max_overdue_days = Some(30);
    })
    .await;
    let now = loa::time::now();
    // Quy chế: due 2 999 days ago, as the shipped 2018 notice is today.
    require_ack(&app, "quy-che", "van-phong", now - Duration::days(2999)).await;
    let noi_quy = require_ack(&app, "noi-quy", "van-phong", now - Duration::days(2)).await;
    let head = staff(&app, "truong@so.test", "Phạm Trưởng", "van-phong", true).await;
    let an = staff(&app, "an@so.test", "Nguyễn Văn An", "van-phong", false).await;
    confirm(&app, noi_quy, head).await;
    let config = app.state.config.clone();

    loa::jobs::reminders::run_daily(&app.state.db, &config, now)
        .await
        .unwrap();
    let to_an = smtp.to("an@so.test");
    assert_eq!(to_an.len(), 1);
    let body = to_an[0].body();
    assert!(body.contains("Nội quy cơ quan"), "{body}");
    assert!(!body.contains("Quy chế"), "{body}");
    assert!(!body.contains("2999"), "{body}");
    assert_eq!(to_an[0].from, "<thong-bao@so.test>");
    assert!(to_an[0].data.contains("thong-bao@so.test"));
    let digest = smtp.to("truong@so.test");
    assert_eq!(digest.len(), 1);
    assert!(!digest[0].body().contains("Quy chế"));

    // Nội quy closes: nothing is left to remind, to An or in the digest.
    app.state
        .db
        .pool()
        .execute(
            "update ack_settings set closes_at = $2 where article_id = $1",
            params![noi_quy, now + Duration::hours(1)],
        )
        .await
        .unwrap();
    let tomorrow = now + Duration::days(1);
    let run = loa::jobs::reminders::run_daily(&app.state.db, &config, tomorrow)
        .await
        .unwrap();
    assert_eq!(run.messages(), 0, "{run:?}");
    assert_eq!(smtp.to("an@so.test").len(), 1);
    assert_eq!(smtp.to("truong@so.test").len(), 1);
    let day = loa::jobs::reminders::day_slot(tomorrow);
    assert!(!log_of(&app, an).await.iter().any(|r| r.0 == day));
}
