//! A site with something in every table, made through the real pages where a person would make
//! it: the SIPAS content, accounts of every role, sign-ins (and a failed one), an edited and
//! renamed article with its revisions, staff and citizen confirmations (one recorded on someone's
//! behalf, one revoked), acknowledgment limited to a unit, an uploaded image, reminders and job
//! runs. The copy and backup tests compare such sites table by table.

use loa::account::Role;
use loa::db::tables;
use loa::params;

use crate::admin_media::{png, upload_ok};
use crate::fixtures::articles::{save, sign_in};
use crate::fixtures::{article_id, require_ack};
use crate::helpers::{location, repo_content, Browser, TestApp, TestDb, PASSWORD};

pub const LOCALITY: &str = "thanh-pho-dong-xoai";
pub const CITIZEN_ARTICLE: &str = "sipas-la-gi";
pub const STAFF_ARTICLES: [&str; 2] = ["sipas-la-gi", "thong-bao-608-sttt-vp"];

/// Tables allowed to stay empty in the fixture. Every other table must hold rows, so a table
/// added by a later migration is copied and compared with data in it: fill it below.
const MAY_BE_EMPTY: &[&str] = &[];

/// The SIPAS site on `db`, with every table filled.
pub async fn populated(db: TestDb) -> TestApp {
    let app = TestApp::spawn(db, &repo_content()).await;
    let (editor, _) = sign_in(&app, Role::Editor, "Trần Biên Tập").await;
    sign_in(&app, Role::Admin, "Lê Quản Trị").await;
    sign_in(&app, Role::Author, "Phạm Tác Giả").await;
    // A wrong password leaves a sign-in failure.
    let r = app
        .browser()
        .sign_in("khong-co@loa.test", "sai-mat-khau-roi")
        .await;
    assert_ne!(r.status(), 303);

    // An edit that renames: a revision, a slug alias and audit entries.
    let renamed = article_id(&app, "co-so-phap-ly-sipas").await;
    let r = save(
        &editor,
        renamed,
        &[
            ("title", "Cơ sở pháp lý của SIPAS (cập nhật)"),
            ("slug", "co-so-phap-ly-cua-sipas"),
        ],
        "luu",
    )
    .await;
    assert_eq!(r.status(), 303, "save");

    // Acknowledgment limited to one unit (ack_units), on an article without it.
    require_ack(
        &app,
        "dich-vu-cong-truc-tuyen-va-gop-y",
        &["van-phong"],
        None,
        None,
    )
    .await;

    let mut staff = Vec::new();
    for (i, unit) in ["van-phong", "thanh-tra", "trung-tam"].iter().enumerate() {
        let email = format!("nhan-vien-{i}@loa.test");
        let id = app
            .create_user(
                &email,
                &format!("Nhân Viên {i}"),
                Role::Employee,
                Some(unit),
                i == 0,
            )
            .await;
        let b = app.browser();
        assert_eq!(b.sign_in(&email, PASSWORD).await.status(), 303);
        staff.push((b, id));
    }
    for (b, _) in &staff[..2] {
        for slug in STAFF_ARTICLES {
            confirm_as_staff(b, slug).await;
        }
    }
    // The third is recorded by the Office on paper, then one confirmation is revoked.
    let notice = article_id(&app, STAFF_ARTICLES[1]).await;
    let r = editor
        .post(
            &format!("/admin/bai-viet/{notice}/xac-nhan/thay-mat"),
            &[
                ("user_id", &staff[2].1.to_string()),
                ("note", "Đã ký sổ giấy"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "on behalf");
    let revoked = app
        .state
        .db
        .pool()
        .fetch_i64(
            "select min(id) from ack_events where article_id = $1 and user_id = $2",
            params![notice, staff[0].1],
        )
        .await
        .unwrap();
    let r = editor
        .post(
            &format!("/admin/bai-viet/{notice}/xac-nhan/thu-hoi"),
            &[("event_id", &revoked.to_string()), ("reason", "Bấm nhầm")],
        )
        .await;
    assert_eq!(r.status(), 303, "revoke");

    for i in 0..3 {
        let r = confirm_as_citizen(
            &app.browser(),
            &format!("Người Dân {i}"),
            &format!("09123456{i:02}"),
            &format!("dan-{i}@mail.test"),
        )
        .await;
        assert_eq!(r.status(), 303, "citizen {i}");
    }

    // One more citizen came through the poster at the one-stop desk (ack_citizen_place_counts).
    let r = app
        .browser()
        .post(
            &format!("/bai-viet/{CITIZEN_ARTICLE}/nguoi-dan-xac-nhan"),
            &[
                ("name", "Người Dân Quầy"),
                ("phone", "0912345699"),
                ("email", ""),
                ("locality", LOCALITY),
                ("consent", "on"),
                ("nguon", "mot-cua-so"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "citizen from a poster");

    // The evidence exported, its file kept (evidence_exports).
    let r = editor
        .post(
            &format!("/admin/bai-viet/{notice}/xac-nhan/bang-chung"),
            &[("dinh_dang", "csv")],
        )
        .await;
    assert_eq!(r.status(), 303, "evidence export");

    // Renewal (ack_rounds, ack_lapses): the first staff article renews each 1 January, with its
    // settings made long ago; the second every day. Two days on, the scheduler's step opens a
    // round for the first and lapses the second's confirmations.
    let first = article_id(&app, STAFF_ARTICLES[0]).await;
    let db = &app.state.db;
    for (id, sql) in [
        (
            first,
            "update ack_settings set renew_on = '01-01', renew_due_days = 14, \
             created_at = $2 where article_id = $1",
        ),
        (
            notice,
            "update ack_settings set renew_every_days = 1, created_at = $2 where article_id = $1",
        ),
    ] {
        let long_ago = loa::time::now() - chrono::Duration::days(800);
        db.pool().execute(sql, params![id, long_ago]).await.unwrap();
    }
    let step = loa::jobs::renewal::run(db, loa::time::now() + chrono::Duration::days(2))
        .await
        .unwrap();
    assert_eq!(step.opened, [(first, 2)]);
    assert!(step.lapsed > 0);

    upload_ok(&editor, png(40, 30), "bien-bang.png", "Biển bảng SIPAS").await;

    // The daily reminders and the hourly clean-up, as the scheduler runs them. The shipped
    // notices were due in 2018, long past `LOA_REMINDER_MAX_OVERDUE_DAYS`: due yesterday here, so
    // that there is something to remind of.
    db.pool()
        .execute(
            "update ack_settings set due_at = $1 where due_at is not null",
            params![loa::time::now() - chrono::Duration::days(1)],
        )
        .await
        .unwrap();
    let config = app.state.config.clone();
    for spec in loa::jobs::registry(&config) {
        loa::db::jobs::register(&app.state.db, spec.name, &spec.schedule, loa::time::now())
            .await
            .unwrap();
        if spec.name == "reminders" || spec.name == "cleanup" {
            loa::jobs::run_once(&app.state.db, &config, &spec, "thu-nghiem").await;
        }
    }

    let empty: Vec<String> = tables::dump(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|(t, rows)| rows.is_empty() && !MAY_BE_EMPTY.contains(&t.name.as_str()))
        .map(|(t, _)| t.name)
        .collect();
    assert!(
        empty.is_empty(),
        "fill these tables in tests/it/ops/site.rs: {empty:?}"
    );
    app
}

/// A staff confirmation through the button on the article.
pub async fn confirm_as_staff(b: &Browser, slug: &str) {
    let r = b.post(&format!("/bai-viet/{slug}/xac-nhan"), &[]).await;
    assert_eq!(r.status(), 303, "staff confirmation of {slug}");
    assert!(location(&r).ends_with("#xac-nhan"));
}

/// A citizen's confirmation through the form under the article.
pub async fn confirm_as_citizen(
    b: &Browser,
    name: &str,
    phone: &str,
    email: &str,
) -> reqwest::Response {
    b.post(
        &format!("/bai-viet/{CITIZEN_ARTICLE}/nguoi-dan-xac-nhan"),
        &[
            ("name", name),
            ("phone", phone),
            ("email", email),
            ("locality", LOCALITY),
            ("consent", "on"),
        ],
    )
    .await
}
