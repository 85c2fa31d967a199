//! `loa seed-demo`: the generated shape (three-level tree, heads, a campaign whose dashboard
//! agrees with the data), and its refusals — real accounts without `--force`, a second run.

use loa::account::Role;
use loa::db::campaigns::{self, Scope};
use loa::demo::{self, DemoError, Options};

use crate::content_cli::{loa as run, stderr, stdout};
use crate::db_tests;
use crate::helpers::{texts, ContentDir, TestApp, TestDb};

db_tests!(
    the_generator_fills_a_campaign_the_dashboard_reads,
    real_accounts_are_refused_without_force,
    the_command_refuses_then_runs_with_force,
);

fn small() -> Options {
    Options {
        units: 10,
        employees: 120,
        citizens: 700,
        articles: 4,
        ..Options::default()
    }
}

async fn n(app: &TestApp, sql: &str) -> i64 {
    app.state.db.pool().fetch_i64(sql, vec![]).await.unwrap()
}

async fn the_generator_fills_a_campaign_the_dashboard_reads(db: TestDb) {
    let content = ContentDir::new();
    let app = TestApp::spawn(db, content.path()).await;
    let s = demo::seed(&app.state.db, &small(), loa::time::now())
        .await
        .unwrap();
    assert_eq!((s.units, s.employees, s.articles), (10, 120, 4));
    assert_eq!(s.citizen_confirmations, 700);
    // Three levels: 1 + 3 + 6 units, one head each, a few people gone.
    let depth3 = "select count(*) from units u join units p on p.id = u.parent_id \
                  join units g on g.id = p.parent_id";
    assert_eq!(
        n(&app, "select count(*) from units where parent_id is null").await,
        1
    );
    assert_eq!(n(&app, depth3).await, 6);
    assert_eq!(
        n(&app, "select count(*) from users where is_head").await,
        10
    );
    assert_eq!(
        n(
            &app,
            "select count(*) from ack_events where user_id is not null"
        )
        .await,
        s.staff_confirmations as i64
    );
    assert!(s.staff_confirmations > 0);
    assert_eq!(
        n(
            &app,
            "select count(*) from ack_events where citizen_id is not null"
        )
        .await,
        700
    );
    assert_eq!(
        n(
            &app,
            "select cast(sum(confirmations) as bigint) from ack_citizen_counts"
        )
        .await,
        700
    );
    // Every confirmation carries its version's hash.
    assert_eq!(
        n(
            &app,
            "select count(*) from ack_events e join ack_versions v \
             on v.article_id = e.article_id and v.version = e.version \
             where v.text_hash <> e.text_hash"
        )
        .await,
        0
    );

    // The campaign's dashboard shows what the data layer computes; a head signs in with the
    // shared password and sees their unit.
    let c = campaigns::by_slug(&app.state.db, demo::CAMPAIGN_SLUG)
        .await
        .unwrap()
        .unwrap();
    let p = campaigns::staff_progress(&app.state.db, &c, Scope::All, loa::time::now())
        .await
        .unwrap();
    assert_eq!(p.articles.len(), 4);
    assert!(p.overall.audience > p.overall.confirmed && p.overall.confirmed > 0);
    let editor = app.signed_in(Role::Editor).await;
    let page = editor
        .page(&format!("/admin/chien-dich/{}", demo::CAMPAIGN_SLUG), 200)
        .await;
    // The editor is staff too: the all-staff articles count them.
    assert!(texts(&page, "#so-lieu-chung")[0].starts_with(&format!("{} / ", p.overall.confirmed)));
    assert_eq!(texts(&page, "#so-nguoi-dan"), ["700"]);
    let head = app.browser();
    assert_eq!(head.sign_in(&s.head_email, &s.password).await.status(), 303);
    let page = head
        .page(&format!("/admin/chien-dich/{}", demo::CAMPAIGN_SLUG), 200)
        .await;
    assert!(texts(&page, "#pham-vi")[0].ends_with("và các đơn vị trực thuộc"));

    // Once is enough, forced or not.
    let again = Options {
        force: true,
        ..small()
    };
    let e = demo::seed(&app.state.db, &again, loa::time::now())
        .await
        .unwrap_err();
    assert!(matches!(e, DemoError::AlreadySeeded), "{e}");
}

async fn real_accounts_are_refused_without_force(db: TestDb) {
    let content = ContentDir::new();
    let app = TestApp::spawn(db, content.path()).await;
    // The first administrator alone is not "real data".
    loa::app::ensure_admin(&app.state.db).await.unwrap();
    demo::check_database(&app.state.db, false).await.unwrap();
    app.user(Role::Employee).await;
    let e = demo::seed(&app.state.db, &small(), loa::time::now())
        .await
        .unwrap_err();
    assert!(matches!(e, DemoError::RealUsers(1)), "{e}");
    assert!(e.to_string().contains("--force"));
    // Nothing was written.
    assert_eq!(n(&app, "select count(*) from users").await, 2);
    assert_eq!(n(&app, "select count(*) from units").await, 0);
    assert_eq!(n(&app, "select count(*) from campaigns").await, 0);
    let forced = Options {
        force: true,
        ..small()
    };
    demo::seed(&app.state.db, &forced, loa::time::now())
        .await
        .unwrap();
    assert_eq!(n(&app, "select count(*) from users").await, 122);
}

async fn the_command_refuses_then_runs_with_force(db: TestDb) {
    let args = [
        "seed-demo",
        "--units",
        "4",
        "--employees",
        "30",
        "--citizens",
        "100",
        "--articles",
        "2",
    ];
    // A database with one real account.
    let conn = db.connect().await;
    let email = loa::account::Email::parse("that@loa.test").unwrap();
    let mut tx = conn.begin().await.unwrap();
    loa::db::users::insert(
        &mut tx,
        &loa::db::users::NewUser {
            email,
            name: "Người Thật".to_owned(),
            unit_id: None,
            role: Role::Employee,
            is_head: false,
            password_hash: "x".to_owned(),
            must_change_password: false,
        },
        loa::time::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    conn.close().await;

    let refused = run(&db, &args);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("tài khoản thật"),
        "{}",
        stderr(&refused)
    );
    let mut forced = args.to_vec();
    forced.push("--force");
    let done = run(&db, &forced);
    assert!(done.status.success(), "{}", stderr(&done));
    let out = stdout(&done);
    assert!(
        out.contains("Đã tạo 4 đơn vị, 30 cán bộ, 2 bài viết"),
        "{out}"
    );
    assert!(out.contains("/admin/chien-dich/chien-dich-mau"), "{out}");
    let again = run(&db, &forced);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("đã có dữ liệu mẫu"),
        "{}",
        stderr(&again)
    );
    let bad = run(&db, &["seed-demo", "--units", "2"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("--units"), "{}", stderr(&bad));
}
