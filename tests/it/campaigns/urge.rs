//! "Nhắc ngay": the pending people of a scope get their reminder at once, in the application
//! and by e-mail over a REAL SMTP server on loopback; two editors pressing at the same moment
//! remind each person once (the reminder log's unique key); the daily job does not remind them
//! again that day; every press is in the audit log.

use std::collections::HashSet;

use loa::account::Role;
use loa::params;

use crate::db_tests;
use crate::fixtures::smtp::SmtpServer;
use crate::fixtures::{campaign, confirm, days_from_now, person, require_ack, spawn_tree_with};
use crate::helpers::{location, TestApp, TestDb};

db_tests!(
    two_editors_at_once_remind_each_person_once,
    a_unit_row_reminds_that_unit_only,
);

struct Setup {
    app: TestApp,
    smtp: SmtpServer,
    /// Pending people, by e-mail.
    pending: Vec<&'static str>,
}

/// quy-che for the Centre's tree (overdue), noi-quy for everyone; Văn phòng has confirmed
/// everything it must, the Centre's people have not.
async fn setup(db: TestDb) -> Setup {
    let smtp = SmtpServer::start(false).await;
    let url = smtp.url();
    let app = spawn_tree_with(db, &["quy-che", "noi-quy"], |raw| raw.smtp_url = Some(url)).await;
    let quy_che = require_ack(
        &app,
        "quy-che",
        &["trung-tam"],
        Some(days_from_now(-2)),
        None,
    )
    .await;
    let noi_quy = require_ack(&app, "noi-quy", &["van-phong", "trung-tam"], None, None).await;
    campaign(&app, "nhac", &["quy-che", "noi-quy"], 100, false).await;
    let vp = app
        .create_user(
            "vp@loa.test",
            "Văn Phòng",
            Role::Employee,
            Some("van-phong"),
            false,
        )
        .await;
    assert!(confirm(&app, noi_quy, vp).await);
    for (email, name, unit) in [
        ("tt@loa.test", "Trần Trung", "trung-tam"),
        ("kt@loa.test", "Kỹ Thuật", "phong-ky-thuat"),
        ("mang@loa.test", "Lê Mạng", "to-mang"),
    ] {
        app.create_user(email, name, Role::Employee, Some(unit), false)
            .await;
    }
    let done = app
        .create_user(
            "xong@loa.test",
            "Đã Xong",
            Role::Employee,
            Some("phong-hanh-chinh"),
            false,
        )
        .await;
    assert!(confirm(&app, quy_che, done).await);
    assert!(confirm(&app, noi_quy, done).await);
    Setup {
        app,
        smtp,
        pending: vec!["tt@loa.test", "kt@loa.test", "mang@loa.test"],
    }
}

/// (e-mail, channel, outcome) of every reminder logged.
async fn log(app: &TestApp) -> Vec<(String, String, String)> {
    #[derive(sqlx::FromRow)]
    struct Row {
        email: String,
        channel: String,
        outcome: String,
    }
    let rows: Vec<Row> = app
        .state
        .db
        .pool()
        .fetch_all(
            "select u.email, r.channel, r.outcome from ack_reminders r \
             join users u on u.id = r.user_id order by u.email, r.channel",
            vec![],
        )
        .await
        .unwrap();
    rows.into_iter()
        .map(|r| (r.email, r.channel, r.outcome))
        .collect()
}

async fn two_editors_at_once_remind_each_person_once(db: TestDb) {
    let s = setup(db).await;
    let app = &s.app;
    // Editors without a unit are in no audience here: they are not reminded themselves.
    let (a, _) = person(app, "a@loa.test", "Biên tập A", Role::Editor, None, false).await;
    let (b, _) = person(app, "b@loa.test", "Biên tập B", Role::Editor, None, false).await;
    let ids = ["a", "b"];
    let path = "/admin/chien-dich/nhac/nhac-ngay";
    let (ra, rb) = tokio::join!(
        a.post(path, &[("don_vi", "")]),
        b.post(path, &[("don_vi", "")])
    );
    assert_eq!((ra.status().as_u16(), rb.status().as_u16()), (303, 303));
    let sent: i64 = [location(&ra), location(&rb)]
        .iter()
        .map(|l| {
            let n = l
                .split("da_nhac=")
                .nth(1)
                .unwrap()
                .split('&')
                .next()
                .unwrap();
            n.parse::<i64>().unwrap()
        })
        .sum();
    assert_eq!(sent, 3, "between them, each pending person once");
    // One in-app and one e-mail per pending person, nobody else.
    let mut expected = Vec::new();
    for email in &s.pending {
        for channel in ["email", "in_app"] {
            expected.push((email.to_string(), channel.to_owned(), "sent".to_owned()));
        }
    }
    expected.sort();
    assert_eq!(log(app).await, expected);
    let mails = s.smtp.messages();
    assert_eq!(mails.len(), 3, "{mails:?}");
    let to: HashSet<String> = mails.iter().flat_map(|m| m.to.clone()).collect();
    let wanted: HashSet<String> = s.pending.iter().map(|e| format!("<{e}>")).collect();
    assert_eq!(to, wanted);
    let body = s.smtp.to("mang@loa.test")[0].body();
    assert!(body.contains("Bài quy-che"), "{body}");
    assert!(body.contains("quá hạn 2 ngày"), "{body}");
    assert!(body.contains("Bài noi-quy — không có hạn"), "{body}");
    // The person sees it in the application.
    let (mang, _) = {
        let br = app.browser();
        assert_eq!(
            br.sign_in("mang@loa.test", crate::helpers::PASSWORD)
                .await
                .status(),
            303
        );
        (br, ())
    };
    let notes = mang.page("/thong-bao", 200).await;
    assert!(notes.contains("Bài quy-che"));
    // Pressing again the same day, and the daily job: nothing more.
    let again = a.post(path, &[("don_vi", "")]).await;
    assert!(
        location(&again).contains("da_nhac=0&da_nhac_truoc=3"),
        "{}",
        location(&again)
    );
    let page = a.page(&location(&again), 200).await;
    assert!(page.contains("3 người đã được nhắc hôm nay"), "{page}");
    let daily = loa::jobs::reminders::run_daily(&app.state.db, &app.state.config, loa::time::now())
        .await
        .unwrap();
    assert_eq!(daily.in_app, 0);
    assert_eq!(s.smtp.messages().len(), 3);
    // Each press is audited, by whom and with what effect.
    let audited = app
        .state
        .db
        .pool()
        .fetch_i64(
            "select count(*) from audit_log where action = 'campaign.urge' and target_type = 'campaign'",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(audited, 3);
    let actors = app
        .state
        .db
        .pool()
        .fetch_i64(
            "select count(distinct actor_label) from audit_log where action = 'campaign.urge'",
            params![],
        )
        .await
        .unwrap();
    assert_eq!(actors as usize, ids.len());
}

async fn a_unit_row_reminds_that_unit_only(db: TestDb) {
    let s = setup(db).await;
    let app = &s.app;
    let (editor, _) = person(app, "bt@loa.test", "Biên tập", Role::Editor, None, false).await;
    let page = editor.page("/admin/chien-dich/nhac", 200).await;
    // Units with somebody pending have the button; units without do not.
    assert_eq!(
        crate::helpers::count(
            &page,
            ".campaign-units tr[data-unit='phong-ky-thuat'] button"
        ),
        1
    );
    assert_eq!(
        crate::helpers::count(&page, ".campaign-units tr[data-unit='van-phong'] button"),
        0
    );
    let r = editor
        .post(
            "/admin/chien-dich/nhac/nhac-ngay",
            &[("don_vi", "phong-ky-thuat")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(
        location(&r).ends_with("don_vi=phong-ky-thuat"),
        "{}",
        location(&r)
    );
    let reminded: HashSet<String> = log(app).await.into_iter().map(|(e, _, _)| e).collect();
    assert_eq!(
        reminded,
        HashSet::from(["kt@loa.test".to_owned(), "mang@loa.test".to_owned()])
    );
    // An unknown unit is 404, and nobody else was reminded.
    let r = editor
        .post(
            "/admin/chien-dich/nhac/nhac-ngay",
            &[("don_vi", "khong-co")],
        )
        .await;
    assert_eq!(r.status(), 404);
    assert_eq!(s.smtp.messages().len(), 2);
}
