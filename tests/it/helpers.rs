//! The test harness: a fresh database per test (SQLite file, or PostgreSQL database created and
//! dropped), the real application served on a random port, and small content-file builders.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use loa::app::{self, AppState};
use loa::config::RawConfig;
use loa::db::Db;
use sqlx::Connection;
use tempfile::TempDir;
use url::Url;

/// Runs each named `async fn(TestDb)` once on SQLite and once on PostgreSQL (the latter only
/// when LOA_TEST_DATABASE_URL is set; then an unreachable server fails the test).
#[macro_export]
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::TestDb::sqlite()).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(db) = $crate::helpers::TestDb::postgres().await {
                        super::$name(db).await
                    }
                }
            }
        )*
    };
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh, empty database for one test, removed when dropped.
pub struct TestDb {
    pub url: String,
    /// Holds the SQLite file (and anything else the test writes) until the test ends.
    pub dir: TempDir,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("data/loa.db").display());
        TestDb {
            url,
            dir,
            postgres: None,
        }
    }

    /// `None` when LOA_TEST_DATABASE_URL is not set.
    pub async fn postgres() -> Option<TestDb> {
        let admin = std::env::var("LOA_TEST_DATABASE_URL").ok()?;
        let name = format!(
            "loa_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            chrono::Utc::now().timestamp_micros() % 1_000_000
        );
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| {
                panic!("LOA_TEST_DATABASE_URL is set but PostgreSQL is unreachable: {e}")
            });
        sqlx::query(&format!("create database {name}"))
            .execute(&mut conn)
            .await
            .expect("create the test database");
        conn.close().await.ok();
        let mut url = Url::parse(&admin).expect("LOA_TEST_DATABASE_URL is a URL");
        url.set_path(&name);
        Some(TestDb {
            url: url.to_string(),
            dir: tempfile::tempdir().expect("a temporary directory"),
            postgres: Some((admin, name)),
        })
    }

    /// A second, independent database of the same backend (for round trips).
    pub async fn another(&self) -> TestDb {
        if self.postgres.is_some() {
            TestDb::postgres().await.expect("postgres is configured")
        } else {
            TestDb::sqlite()
        }
    }

    /// One integer from the database (a count, an id), on a connection of its own.
    pub async fn scalar(&self, sql: &str) -> i64 {
        let db = self.connect().await;
        let n = db.pool().fetch_i64(sql, vec![]).await.unwrap();
        db.close().await;
        n
    }

    pub async fn connect(&self) -> Db {
        let url = loa::config::DatabaseUrl::parse(&self.url).unwrap();
        let db = Db::connect(&url)
            .await
            .expect("connect to the test database");
        db.migrate().await.expect("migrate the test database");
        db
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot block on async work: use a thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(&format!("drop database if exists {name} with (force)"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

/// The application, served for real on 127.0.0.1 with a random port.
pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub client: reqwest::Client,
    pub db: TestDb,
}

impl TestApp {
    /// Boots Loa on `db`; an empty database is filled from `content_dir` as `loa serve` does.
    pub async fn spawn(db: TestDb, content_dir: &Path) -> TestApp {
        TestApp::spawn_with(db, content_dir, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with the test's own settings on top (`raw.smtp_url = …`).
    pub async fn spawn_with(
        db: TestDb,
        content_dir: &Path,
        configure: impl FnOnce(&mut RawConfig),
    ) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut raw = RawConfig {
            database_url: Some(db.url.clone()),
            addr: Some(addr.to_string()),
            base_url: Some(format!("http://{addr}")),
            content_dir: Some(content_dir.to_owned()),
            data_dir: Some(db.dir.path().join("data")),
            smtp_url: None,
            max_upload_mb: None,
            ..Default::default()
        };
        configure(&mut raw);
        let config = raw.validate().expect("a valid test configuration");
        let state = app::prepare(config).await.expect("the app prepares");
        tokio::spawn(app::serve(listener, state.clone(), std::future::pending()));
        TestApp {
            base: format!("http://{addr}"),
            state,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            db,
        }
    }

    /// The app's own client, which keeps no cookies: each request as from a fresh visitor.
    fn visitor(&self) -> Browser {
        Browser {
            client: self.client.clone(),
            base: self.base.clone(),
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.visitor().get(path).await
    }

    /// GET, expecting `status`; returns the body.
    pub async fn page(&self, path: &str, status: u16) -> String {
        self.visitor().page(path, status).await
    }
}

/// The repository's own `content/` directory (the SIPAS articles).
pub fn repo_content() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("content")
}

/// A content directory built file by file.
pub struct ContentDir {
    pub dir: TempDir,
}

impl ContentDir {
    pub fn new() -> ContentDir {
        ContentDir {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `name` with the given front matter lines and body.
    pub fn article(&self, name: &str, front: &str, body: &str) -> &Self {
        self.raw(name, format!("+++\n{front}\n+++\n\n{body}\n").as_bytes())
    }

    /// Writes `name` (a path inside the directory; folders are created) with these bytes.
    pub fn raw(&self, name: &str, bytes: &[u8]) -> &Self {
        let path = self.dir.path().join(name);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).unwrap();
        }
        std::fs::write(path, bytes).unwrap();
        self
    }
}

/// Parses HTML and counts the elements matching a CSS selector.
pub fn count(html: &str, selector: &str) -> usize {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(selector).unwrap();
    doc.select(&sel).count()
}

/// The values of `attr` on elements matching `selector`.
pub fn attrs(html: &str, selector: &str, attr: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(selector).unwrap();
    doc.select(&sel)
        .filter_map(|e| e.value().attr(attr).map(str::to_owned))
        .collect()
}

/// The text of elements matching `selector`, whitespace collapsed.
pub fn texts(html: &str, selector: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(selector).unwrap();
    doc.select(&sel)
        .map(|e| {
            e.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// The password of every account the tests create.
pub const PASSWORD: &str = "mat-khau-thu-nghiem";

static USER_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Creates an active account with [`PASSWORD`] straight in `db`; returns its id.
pub async fn create_user_on(
    db: &Db,
    email: &str,
    name: &str,
    role: loa::account::Role,
    unit_slug: Option<&str>,
    is_head: bool,
) -> i64 {
    let email = loa::account::Email::parse(email).unwrap();
    let password = loa::account::NewPassword::parse(PASSWORD, &email).unwrap();
    let hash = loa::account::hash_password(&password).await.unwrap();
    let mut tx = db.begin().await.unwrap();
    let unit_id = match unit_slug {
        Some(slug) => Some(
            loa::db::users::unit_id_by_slug(&mut tx, slug)
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("no unit {slug}")),
        ),
        None => None,
    };
    let new = loa::db::users::NewUser {
        email,
        name: name.to_owned(),
        unit_id,
        role,
        is_head,
        password_hash: hash,
        must_change_password: false,
    };
    let id = loa::db::users::insert(&mut tx, &new, loa::time::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

impl TestApp {
    /// Creates an active account with [`PASSWORD`] straight in the database; returns its id.
    pub async fn create_user(
        &self,
        email: &str,
        name: &str,
        role: loa::account::Role,
        unit_slug: Option<&str>,
        is_head: bool,
    ) -> i64 {
        create_user_on(&self.state.db, email, name, role, unit_slug, is_head).await
    }

    /// A new account of `role` with a fresh e-mail; returns the e-mail.
    pub async fn user(&self, role: loa::account::Role) -> String {
        let n = USER_COUNTER.fetch_add(1, Ordering::SeqCst);
        let email = format!("{}-{n}@loa.test", role.as_str());
        self.create_user(&email, &format!("Người dùng {n}"), role, None, false)
            .await;
        email
    }

    /// After a change made straight in the database, as no part of Loa makes one: the page
    /// cache is told, as `loa import` or another instance would tell it.
    pub fn changed_behind_its_back(&self) {
        let everything = loa::db::page_generation::Change::Everything;
        self.state.pages.drop_pages(&everything);
    }

    /// A browser with its own cookies, not signed in.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }

    /// Asserts that `/readyz` answers 503 and names `why` (`"scheduler":"stopped"`).
    pub async fn not_ready(&self, why: &str) {
        let ready = self.get("/readyz").await;
        assert_eq!(ready.status(), 503);
        let body = ready.text().await.unwrap();
        assert!(body.contains(why), "{body}");
    }

    /// A browser, not signed in, whose connections come from `ip` (any 127.x.y.z on Linux), so
    /// that many visitors can pass the per-address limits.
    pub fn browser_from(&self, ip: std::net::IpAddr) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .local_address(ip)
                .build()
                .unwrap(),
            base: self.base.clone(),
        }
    }

    /// A browser signed in as a new account of `role`.
    pub async fn signed_in(&self, role: loa::account::Role) -> Browser {
        let email = self.user(role).await;
        let b = self.browser();
        let r = b.sign_in(&email, PASSWORD).await;
        assert_eq!(r.status(), 303, "sign-in of {email}");
        b
    }
}

/// A cookie-aware client that behaves like a browser on our forms: every POST says it comes from
/// our own origin (`Sec-Fetch-Site: same-origin` and our `Origin`) and, when signed in, carries
/// the session's CSRF token as our pages do.
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
}

impl Browser {
    /// A browser of the site at `base` (any server, such as the real binary), with its own
    /// cookies, not signed in.
    pub fn new(base: &str) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_owned(),
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("the server answers")
    }

    /// GET, expecting `status`; returns the body.
    pub async fn page(&self, path: &str, status: u16) -> String {
        let r = self.get(path).await;
        assert_eq!(r.status().as_u16(), status, "GET {path}");
        r.text().await.unwrap()
    }

    /// The CSRF token the pages give this browser now (only a signed-in browser has one).
    pub async fn csrf(&self) -> String {
        self.token()
            .await
            .expect("a signed-in browser's pages carry a CSRF token")
    }

    /// The session's CSRF token, if the pages carry one (signed in); anonymous pages carry none.
    pub async fn token(&self) -> Option<String> {
        let page = self.get("/dang-nhap").await.text().await.unwrap();
        let page = if page.contains("csrf-token") {
            page
        } else {
            let home = self.get("/").await.text().await.unwrap();
            if home.contains("csrf-token") {
                home
            } else {
                // A session with a temporary password sees only this page.
                self.get("/doi-mat-khau").await.text().await.unwrap()
            }
        };
        attrs(&page, "meta[name=csrf-token]", "content").pop()
    }

    /// POSTs a form as our own pages do (same origin, with the session's token if signed in).
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.post_with(path, fields, SAME_ORIGIN).await
    }

    /// POSTs a form with the session's token (if any) and the given request headers, such as
    /// another site's `Sec-Fetch-Site` or `Origin` ([`CROSS_SITE`], [`FOREIGN_ORIGIN`]).
    pub async fn post_with(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let token = self.token().await;
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        if let Some(t) = &token {
            form.push(("csrf", t));
        }
        let mut req = self.client.post(format!("{}{path}", self.base)).form(&form);
        for (name, value) in headers {
            let value = value.replace(OWN_ORIGIN, &self.base);
            req = req.header(*name, value);
        }
        req.send().await.expect("the server answers")
    }

    /// POSTs a form with a chosen `Origin` and CSRF token (or none) and no `Sec-Fetch-Site`, as
    /// an older browser would, for the tests of the checks.
    pub async fn post_raw(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        origin: Option<&str>,
        csrf: Option<&str>,
    ) -> reqwest::Response {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        if let Some(t) = csrf {
            form.push(("csrf", t));
        }
        let mut req = self.client.post(format!("{}{path}", self.base)).form(&form);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req.send().await.expect("the server answers")
    }

    /// POSTs a multipart form as our pages do.
    pub async fn post_multipart(
        &self,
        path: &str,
        form: reqwest::multipart::Form,
    ) -> reqwest::Response {
        let form = match self.token().await {
            Some(t) => form.text("csrf", t),
            None => form,
        };
        self.client
            .post(format!("{}{path}", self.base))
            .header("origin", &self.base)
            .header("sec-fetch-site", "same-origin")
            .multipart(form)
            .send()
            .await
            .expect("the server answers")
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.post("/dang-nhap", &[("email", email), ("password", password)])
            .await
    }

    /// The password page's form: `current`, then `new` typed twice.
    pub async fn change_password(&self, current: &str, new: &str) -> reqwest::Response {
        let fields = [
            ("current", current),
            ("new_password", new),
            ("confirm", new),
        ];
        self.post("/doi-mat-khau", &fields).await
    }
}

/// Stands for the site's own origin in the header lists below ([`Browser::post_with`] fills it in).
pub const OWN_ORIGIN: &str = "{own origin}";

/// What a modern browser sends with a form of our own pages.
pub const SAME_ORIGIN: &[(&str, &str)] =
    &[("sec-fetch-site", "same-origin"), ("origin", OWN_ORIGIN)];

/// What a modern browser sends with a form another site's page submits to us.
pub const CROSS_SITE: &[(&str, &str)] = &[
    ("sec-fetch-site", "cross-site"),
    ("origin", "https://evil.example"),
];

/// What an older browser (no `Sec-Fetch-Site`) sends with another site's form.
pub const FOREIGN_ORIGIN: &[(&str, &str)] = &[("origin", "https://evil.example")];

/// The `Location` header of a redirect.
pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}
