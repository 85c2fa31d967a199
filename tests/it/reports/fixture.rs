//! The fixture of the report tests: a three-level unit tree, three localities, one article that
//! staff of `trung-tam` (with its sub-units) and citizens must confirm, people in and out of the
//! audience, and readers of the events' ids and times.

use chrono::{DateTime, Duration, Utc};
use loa::account::Role;
use loa::params;

use crate::helpers::{Browser, ContentDir, TestApp, TestDb, PASSWORD};

pub const EDITOR_NAME: &str = "Biên Tập Viên";
pub const HOSTILE: &str = "=HYPERLINK(\"http://x\")";

/// Units: van-phong; trung-tam ⊃ phong-ky-thuat ⊃ nhom-mang (names chosen to sort alike under
/// every collation). Article `quy-che`: staff of trung-tam and citizens, due three days ago.
pub async fn spawn(db: TestDb) -> TestApp {
    let content = ContentDir::new();
    content.raw(
        "site.toml",
        "name = \"Sở A\"\n\
         localities = [\"Huyện Bù Đăng\", \"Thành phố Đồng Xoài\", \"Huyện Lộc Ninh\"]\n\
         [[units]]\nslug = \"van-phong\"\nname = \"Văn phòng Sở\"\n\
         [[units]]\nslug = \"trung-tam\"\nname = \"Trung tâm\"\n\
         [[units]]\nslug = \"phong-ky-thuat\"\nname = \"Phòng Kỹ thuật\"\nparent = \"trung-tam\"\n\
         [[units]]\nslug = \"nhom-mang\"\nname = \"Nhóm Mạng\"\nparent = \"phong-ky-thuat\"\n"
            .as_bytes(),
    );
    let due = loa::time::to_rfc3339_vietnam(loa::time::now() - Duration::days(3));
    content.article(
        "quy-che.md",
        &format!(
            "title = \"Quy chế SIPAS\"\nslug = \"quy-che\"\nstatus = \"published\"\n\
             [ack]\nstaff = [\"trung-tam\"]\ncitizens = true\ndue = \"{due}\""
        ),
        "Nội dung cần đọc.",
    );
    TestApp::spawn(db, content.path()).await
}

/// A signed-in account; returns the browser and its id.
pub async fn person(
    app: &TestApp,
    email: &str,
    name: &str,
    role: Role,
    unit: Option<&str>,
    head: bool,
) -> (Browser, i64) {
    let id = app.create_user(email, name, role, unit, head).await;
    let b = app.browser();
    assert_eq!(b.sign_in(email, PASSWORD).await.status(), 303, "{email}");
    (b, id)
}

pub async fn article_id(app: &TestApp, slug: &str) -> i64 {
    app.state
        .db
        .pool()
        .fetch_i64("select id from articles where slug = $1", params![slug])
        .await
        .unwrap()
}

#[derive(Debug, sqlx::FromRow)]
pub struct EventTime {
    pub id: i64,
    pub created_at: DateTime<Utc>,
}

/// The article's events, in order.
pub async fn events(app: &TestApp, article: i64) -> Vec<EventTime> {
    app.state
        .db
        .pool()
        .fetch_all(
            "select id, created_at from ack_events where article_id = $1 order by id",
            params![article],
        )
        .await
        .unwrap()
}

#[derive(Debug, sqlx::FromRow)]
pub struct Version {
    pub title: String,
    pub text_hash: String,
    pub created_at: DateTime<Utc>,
}

pub async fn version(app: &TestApp, article: i64) -> Version {
    app.state
        .db
        .pool()
        .fetch_optional(
            "select title, text_hash, created_at from ack_versions \
             where article_id = $1 and version = 1",
            params![article],
        )
        .await
        .unwrap()
        .expect("version 1 is stored at publication")
}

/// A citizen's confirmation through the public form.
pub async fn citizen_confirms(
    app: &TestApp,
    slug: &str,
    name: &str,
    phone: &str,
    email: &str,
    locality: &str,
) {
    let b = app.browser();
    let r = b
        .post(
            &format!("/bai-viet/{slug}/nguoi-dan-xac-nhan"),
            &[
                ("name", name),
                ("phone", phone),
                ("email", email),
                ("locality", locality),
                ("consent", "1"),
                ("website", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "citizen {name}");
}

/// The number of audit entries of `action` whose detail contains `needle`.
pub async fn audited(app: &TestApp, action: &str, needle: &str) -> i64 {
    app.state
        .db
        .pool()
        .fetch_i64(
            "select count(*) from audit_log where action = $1 and detail like $2",
            params![action, format!("%{needle}%")],
        )
        .await
        .unwrap()
}
