//! The fixture of the report tests (on top of `crate::fixtures`): one article that staff of
//! `trung-tam` (with its sub-units) and citizens must confirm, and readers of events, versions,
//! confirmation times and audit entries.

use chrono::{DateTime, Duration, Utc};
use loa::params;

use crate::fixtures::TREE_SITE;
use crate::helpers::{ContentDir, TestApp, TestDb};

pub const EDITOR_NAME: &str = "Biên Tập Viên";
pub const HOSTILE: &str = "=HYPERLINK(\"http://x\")";

/// [`TREE_SITE`]'s units and localities; article `quy-che`: staff of trung-tam (with its
/// sub-units) and citizens must confirm it, due three days ago.
pub async fn spawn(db: TestDb) -> TestApp {
    let content = ContentDir::new();
    content.raw("site.toml", TREE_SITE.as_bytes());
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

/// When `user` confirmed the article's current version (the first standing confirmation).
pub async fn confirmed_at(app: &TestApp, article: i64, user: i64) -> DateTime<Utc> {
    #[derive(sqlx::FromRow)]
    struct At {
        created_at: DateTime<Utc>,
    }
    let at: At = app
        .state
        .db
        .pool()
        .fetch_optional(
            "select e.created_at from ack_events e join ack_settings s \
             on s.article_id = e.article_id and s.current_version = e.version \
             where e.article_id = $1 and e.user_id = $2 and e.kind = 'confirm' \
             order by e.id limit 1",
            params![article, user],
        )
        .await
        .unwrap()
        .expect("a confirmation");
    at.created_at
}
