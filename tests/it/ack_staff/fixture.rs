//! The fixture of the staff acknowledgment tests: a site with nested units, acknowledgment
//! switched on by SQL, employees signed in, and small readers of events and counts.

use loa::account::Role;
use loa::params;

use crate::helpers::{texts, Browser, ContentDir, TestApp, TestDb, PASSWORD};

pub const STATEMENT: &str = "Tôi đã đọc và hiểu nội dung tài liệu này.";

/// Units: van-phong; trung-tam ⊃ to-ky-thuat ⊃ nhom-mang. Articles: quy-che (published),
/// tin-khac (published, no acknowledgment).
pub async fn spawn(db: TestDb) -> TestApp {
    let content = ContentDir::new();
    content.raw(
        "site.toml",
        "name = \"Sở A\"\nlocalities = [\"Huyện Bù Đăng\"]\n\
         [[units]]\nslug = \"van-phong\"\nname = \"Văn phòng Sở\"\n\
         [[units]]\nslug = \"trung-tam\"\nname = \"Trung tâm\"\n\
         [[units]]\nslug = \"to-ky-thuat\"\nname = \"Tổ Kỹ thuật\"\nparent = \"trung-tam\"\n\
         [[units]]\nslug = \"nhom-mang\"\nname = \"Nhóm Mạng\"\nparent = \"to-ky-thuat\"\n"
            .as_bytes(),
    );
    for slug in ["quy-che", "tin-khac"] {
        content.article(
            &format!("{slug}.md"),
            &format!("title = \"Quy chế {slug}\"\nslug = \"{slug}\"\nstatus = \"published\""),
            "Nội dung cần đọc.",
        );
    }
    TestApp::spawn(db, content.path()).await
}

pub async fn article_id(app: &TestApp, slug: &str) -> i64 {
    app.state
        .db
        .pool()
        .fetch_i64("select id from articles where slug = $1", params![slug])
        .await
        .unwrap()
}

/// The exact text of version 1, as `ack::confirmed_text` builds it from the article.
pub async fn version_text(app: &TestApp, id: i64) -> String {
    #[derive(sqlx::FromRow)]
    struct T {
        title: String,
        body: String,
    }
    let t: T = app
        .state
        .db
        .pool()
        .fetch_optional(
            "select title, body from articles where id = $1",
            params![id],
        )
        .await
        .unwrap()
        .unwrap();
    loa::ack::confirmed_text(&t.title, &t.body, STATEMENT)
}

/// Turns acknowledgment on by SQL: `units` empty means all staff. Version 1 is stored.
pub async fn require_ack(
    app: &TestApp,
    slug: &str,
    units: &[&str],
    due: Option<chrono::DateTime<chrono::Utc>>,
    closes: Option<chrono::DateTime<chrono::Utc>>,
) -> i64 {
    let id = article_id(app, slug).await;
    let db = &app.state.db;
    let now = loa::time::now();
    db.pool()
        .execute(
            "insert into ack_settings (article_id, staff_all, citizens, due_at, statement, \
             closes_at, current_version, created_at, updated_at) \
             values ($1, $2, false, $3, $4, $5, 1, $6, $6)",
            params![id, units.is_empty(), due, STATEMENT, closes, now],
        )
        .await
        .unwrap();
    for u in units {
        db.pool()
            .execute(
                "insert into ack_units (article_id, unit_id) \
                 select $1, id from units where slug = $2",
                params![id, *u],
            )
            .await
            .unwrap();
    }
    let text = version_text(app, id).await;
    add_version(app, id, 1, &text, "").await;
    id
}

pub async fn add_version(app: &TestApp, id: i64, version: i64, text: &str, reason: &str) {
    app.state
        .db
        .pool()
        .execute(
            "insert into ack_versions (article_id, version, title, body, statement, text_hash, \
             reason, created_at) select id, $2, title, body, $3, $4, $5, $6 \
             from articles where id = $1",
            params![
                id,
                version,
                STATEMENT,
                loa::ack::text_hash(text),
                reason,
                loa::time::now()
            ],
        )
        .await
        .unwrap();
}

/// A signed-in employee of `unit`; returns the browser and the account's id.
pub async fn employee(
    app: &TestApp,
    email: &str,
    name: &str,
    unit: Option<&str>,
) -> (Browser, i64) {
    let id = app
        .create_user(email, name, Role::Employee, unit, false)
        .await;
    let b = app.browser();
    assert_eq!(b.sign_in(email, PASSWORD).await.status(), 303);
    (b, id)
}

pub async fn confirms(app: &TestApp, id: i64) -> i64 {
    app.state
        .db
        .pool()
        .fetch_i64(
            "select count(*) from ack_events where article_id = $1 and kind = 'confirm'",
            params![id],
        )
        .await
        .unwrap()
}

/// The pending count in the header, 0 when no badge is shown.
pub async fn header_count(b: &Browser) -> i64 {
    let page = b.page("/can-xac-nhan", 200).await;
    texts(&page, ".ack-count")
        .first()
        .map(|t| t.parse().unwrap())
        .unwrap_or(0)
}

pub async fn admin_numbers(editor: &Browser, id: i64) -> (String, String, String) {
    let page = editor
        .page(&format!("/admin/bai-viet/{id}/xac-nhan"), 200)
        .await;
    let one = |sel: &str| texts(&page, sel).join("");
    (
        one("#so-phai-xac-nhan"),
        one("#so-da-xac-nhan"),
        one("#so-chua-xac-nhan"),
    )
}
