//! Citizens' personal data: the purge after the retention period and the admin's find, export
//! and delete, audited.

use chrono::Duration;
use loa::account::Role;
use loa::params;

use super::{app_with_articles, article_id, citizen, n, ACTION_A};
use crate::db_tests;
use crate::helpers::{attrs, count, location, texts, TestDb};

db_tests!(
    purge_keeps_counts_and_removes_names,
    the_purge_erases_exactly_what_the_privacy_page_promises,
    admins_find_export_and_delete_audited,
);

/// "Người Dân" confirms each (article slug, phone) through the public form.
async fn confirm_on(app: &crate::helpers::TestApp, confirmations: &[(&str, &str)]) {
    let b = app.browser();
    for (slug, phone) in confirmations {
        let r = b
            .post(
                &format!("/bai-viet/{slug}/nguoi-dan-xac-nhan"),
                &citizen("Người Dân", phone, "dan@mail.vn"),
            )
            .await;
        assert_eq!(r.status(), 303);
    }
}

async fn purge_keeps_counts_and_removes_names(db: TestDb) {
    let app = app_with_articles(db).await;
    confirm_on(
        &app,
        &[("tai-lieu-a", "0912000001"), ("tai-lieu-b", "0912000002")],
    )
    .await;
    let db = &app.state.db;
    let now = loa::time::now();
    // A closed 400 days ago (past the 365 days), B 10 days ago (still kept).
    for (slug, ago) in [("tai-lieu-a", 400), ("tai-lieu-b", 10)] {
        let id = article_id(db, slug).await;
        db.pool()
            .execute(
                "update ack_settings set closes_at = $1 where article_id = $2",
                params![now - Duration::days(ago), id],
            )
            .await
            .unwrap();
    }
    let purged = loa::jobs::citizen_purge::run(db, 365, now).await.unwrap();
    assert_eq!(purged, 1);
    assert_eq!(
        n(
            db,
            "select count(*) from citizens where name is null and phone is null \
             and email is null and contact_key is null and purged_at is not null \
             and locality_id is not null"
        )
        .await,
        1
    );
    assert_eq!(
        n(db, "select count(*) from citizens where name = 'Người Dân'").await,
        1
    );
    let a = article_id(db, "tai-lieu-a").await;
    assert_eq!(
        db.pool()
            .fetch_i64(
                "select count(*) from ack_events where article_id = $1 and contact_key is null",
                params![a],
            )
            .await
            .unwrap(),
        1
    );
    // The anonymous counts stay, and so does the thank-you page's figure.
    assert_eq!(n(db, "select count(*) from ack_citizen_counts").await, 2);
    let thanks = app.page("/bai-viet/tai-lieu-a/cam-on", 200).await;
    assert_eq!(texts(&thanks, ".citizen-count strong"), vec!["1"]);
    // Running again changes nothing.
    assert_eq!(
        loa::jobs::citizen_purge::run(db, 365, now).await.unwrap(),
        0
    );
    // The job is registered.
    let config = loa::config::Config::defaults();
    assert!(loa::jobs::registry(&config)
        .iter()
        .any(|j| j.name == "citizen_purge"));
}

async fn admins_find_export_and_delete_audited(db: TestDb) {
    let app = app_with_articles(db).await;
    let b = app.browser();
    for slug in ["tai-lieu-a", "tai-lieu-b"] {
        let r = b
            .post(
                &format!("/bai-viet/{slug}/nguoi-dan-xac-nhan"),
                &citizen("Lê Văn <Cường>", "0912 345 678", ""),
            )
            .await;
        assert_eq!(r.status(), 303);
    }
    let r = b
        .post(ACTION_A, &citizen("Người Khác", "0987654321", ""))
        .await;
    assert_eq!(r.status(), 303);

    let editor = app.signed_in(Role::Editor).await;
    editor.page("/admin/nguoi-dan", 403).await;
    let r = editor
        .post("/admin/nguoi-dan/xoa", &[("lien_he", "0912345678")])
        .await;
    assert_eq!(r.status(), 403);

    let admin = app.signed_in(Role::Admin).await;
    let page = admin.page("/admin/nguoi-dan", 200).await;
    assert_eq!(count(&page, "input[name=lien_he]"), 1);
    let r = admin
        .post("/admin/nguoi-dan", &[("lien_he", "không")])
        .await;
    assert_eq!(r.status(), 422);
    // The lookup is a POST (no phone in a URL) and is audited, masked.
    let r = admin
        .post("/admin/nguoi-dan", &[("lien_he", "(091) 234-5678")])
        .await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert_eq!(
        count(
            &page,
            "form[method=post][action=\"/admin/nguoi-dan\"] input[name=lien_he]"
        ),
        1
    );
    assert_eq!(
        n(
            &app.state.db,
            "select count(*) from audit_log where action = 'citizen.find' \
             and target_label = '+84912***678' and detail = '2 bản ghi'"
        )
        .await,
        1
    );
    assert_eq!(count(&page, "table.citizens tbody tr"), 2);
    assert!(page.contains("Lê Văn &lt;Cường&gt;"));
    assert!(!page.contains("Người Khác"));
    // A lookup in the query string finds nothing: it only shows the empty form.
    let page = admin.page("/admin/nguoi-dan?lien_he=0912345678", 200).await;
    assert_eq!(count(&page, "table.citizens tbody tr"), 0);

    let r = admin
        .post("/admin/nguoi-dan/xuat", &[("lien_he", "+84912345678")])
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert!(csv.contains("Họ tên,Điện thoại"));
    // The phone starts with "+": neutralised against formulas, still readable.
    assert!(csv.contains("Lê Văn <Cường>,'+84912345678"));
    assert_eq!(csv.lines().count(), 3);
    assert!(!csv.contains("Người Khác"));

    let r = admin
        .post("/admin/nguoi-dan/xoa", &[("lien_he", "0912.345.678")])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/admin/nguoi-dan?da_xoa=2");
    let db = &app.state.db;
    assert_eq!(
        n(db, "select count(*) from citizens where name is null").await,
        2
    );
    assert_eq!(
        n(
            db,
            "select count(*) from citizens where name = 'Người Khác'"
        )
        .await,
        1
    );
    // The events stay, anonymous; the counts stay.
    assert_eq!(n(db, "select count(*) from ack_events").await, 3);
    assert_eq!(
        n(
            db,
            "select count(*) from ack_events where contact_key is null"
        )
        .await,
        2
    );
    let thanks = app.page("/bai-viet/tai-lieu-a/cam-on", 200).await;
    assert_eq!(texts(&thanks, ".citizen-count strong"), vec!["2"]);
    let r = admin
        .post("/admin/nguoi-dan", &[("lien_he", "0912345678")])
        .await;
    assert_eq!(
        count(&r.text().await.unwrap(), "table.citizens tbody tr"),
        0
    );

    // Both audited, without the contact in clear.
    assert_eq!(
        n(
            db,
            "select count(*) from audit_log where action = 'citizen.export' \
             and target_label = '+84912***678' and detail = '2 bản ghi'"
        )
        .await,
        1
    );
    assert_eq!(
        n(
            db,
            "select count(*) from audit_log where action = 'citizen.delete' \
             and target_label = '+84912***678'"
        )
        .await,
        1
    );
    assert_eq!(
        n(
            db,
            "select count(*) from audit_log where action like 'citizen.%' \
             and (target_label like '%345678%' or detail like '%345678%')"
        )
        .await,
        0
    );
}

/// The privacy page lists what is erased (`data-erased`, column names); the purge erases exactly
/// that, also for an article that never stops taking confirmations (aged by the confirmation).
async fn the_purge_erases_exactly_what_the_privacy_page_promises(db: TestDb) {
    let app = app_with_articles(db).await;
    confirm_on(
        &app,
        &[("tai-lieu-a", "0912000001"), ("tai-lieu-c", "0912000002")],
    )
    .await;
    let db = &app.state.db;
    let now = loa::time::now();
    // Neither article has a closing date; C's confirmation is 400 days old.
    let c = article_id(db, "tai-lieu-c").await;
    let old = now - Duration::days(400);
    db.pool()
        .execute(
            "update ack_events set created_at = $1 where article_id = $2",
            params![old, c],
        )
        .await
        .unwrap();
    db.pool()
        .execute(
            "update citizens set created_at = $1 where phone = '+84912000002'",
            params![old],
        )
        .await
        .unwrap();
    assert_eq!(
        n(db, "select count(*) from citizens where ip <> ''").await,
        2,
        "the address is recorded"
    );
    assert_eq!(
        loa::jobs::citizen_purge::run(db, 365, now).await.unwrap(),
        1
    );

    let page = app.page("/bao-ve-du-lieu-ca-nhan", 200).await;
    let promised = attrs(&page, "#thoi-han ~ ul.erased [data-erased]", "data-erased");
    assert_eq!(promised, loa::db::citizens::ERASED_CITIZEN_COLUMNS);
    assert!(page.contains("không đặt hạn ngừng nhận xác nhận"));
    let erased = |columns: &[&str]| {
        columns
            .iter()
            .map(|c| format!("coalesce({c}, '') = ''"))
            .collect::<Vec<_>>()
            .join(" and ")
    };
    let citizen_cleared = format!(
        "select count(*) from citizens where purged_at is not null and {}",
        erased(&loa::db::citizens::ERASED_CITIZEN_COLUMNS)
    );
    let event_cleared = format!(
        "select count(*) from ack_events where citizen_id is not null and {}",
        erased(&loa::db::citizens::ERASED_EVENT_COLUMNS)
    );
    let scalar = |sql: String| async move { db.pool().fetch_i64(&sql, vec![]).await.unwrap() };
    assert_eq!(scalar(citizen_cleared).await, 1);
    assert_eq!(scalar(event_cleared).await, 1);
    // The recent one keeps everything; the old one keeps only what the page says stays.
    assert_eq!(
        n(
            db,
            "select count(*) from citizens where purged_at is null and ip <> '' \
             and name = 'Người Dân'"
        )
        .await,
        1
    );
    assert_eq!(
        n(
            db,
            "select count(*) from citizens where purged_at is not null \
             and locality_id is not null"
        )
        .await,
        1
    );
}
