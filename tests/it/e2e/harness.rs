//! The browser tests' machinery: finding Chromium and the npm tools (or skipping), the real `loa
//! serve` on a fresh SQLite database, chromedriver on a free port, and one Chromium session per
//! journey that cleans up after itself even when the journey panics.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use chrono::Utc;
use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder};
use serde_json::json;
use tempfile::TempDir;

use crate::helpers::{repo_content, PASSWORD};

/// Chromium and its driver: all a test that only prints or looks needs.
pub struct Browser {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

/// What the journeys need besides Rust: a browser, its driver, Java and the npm tools.
pub struct Tools {
    pub browser: Browser,
    pub java: PathBuf,
    pub vnu_jar: PathBuf,
    /// axe-core's `axe.min.js`, injected into every page.
    pub axe: String,
}

/// The npm tools live here, installed from the committed lock file by `npm ci --prefix e2e`.
pub fn tools_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("e2e/node_modules")
}

/// Screenshots and page sources go under `target/e2e/JOURNEY/`.
pub fn output_dir(journey: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/e2e")
        .join(journey)
}

/// The tools, or `None` after one line on standard error saying why the browser tests are
/// skipped. Under `CI=true` a missing tool fails the test instead.
pub fn tools() -> Option<&'static Tools> {
    static TOOLS: OnceLock<Result<Tools, String>> = OnceLock::new();
    found(TOOLS.get_or_init(find_tools))
}

/// Chromium and chromedriver, or `None` (after the same one line, or a panic under `CI=true`):
/// for tests that need no Java or npm tools, such as printing a poster.
pub fn browser() -> Option<&'static Browser> {
    static BROWSER: OnceLock<Result<Browser, String>> = OnceLock::new();
    found(BROWSER.get_or_init(find_browser))
}

/// What was found, or why not: a panic under `CI=true`, else `None` after one line.
fn found<T>(search: &'static Result<T, String>) -> Option<&'static T> {
    static SAID: std::sync::Once = std::sync::Once::new();
    match search {
        Ok(found) => Some(found),
        Err(missing) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true but the browser tests cannot run: {missing}")
        }
        Err(missing) => {
            // Written to the real stderr, not through the test harness's capture, so that the
            // line shows in a passing run.
            SAID.call_once(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "browser tests skipped: {missing} (README.md, «Browser tests»)"
                );
            });
            None
        }
    }
}

fn find_browser() -> Result<Browser, String> {
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| on_path(name))
        .ok_or("no chromium on PATH (apt-get install chromium chromium-driver)")?;
    let chromedriver = on_path("chromedriver")
        .ok_or("no chromedriver on PATH (apt-get install chromium-driver)")?;
    Ok(Browser {
        chromium,
        chromedriver,
    })
}

fn find_tools() -> Result<Tools, String> {
    let browser = find_browser()?;
    let java = on_path("java").ok_or("no java on PATH (apt-get install default-jre-headless)")?;
    let tools = tools_dir();
    let vnu_jar = tools.join("vnu-jar/build/dist/vnu.jar");
    let axe = std::fs::read_to_string(tools.join("axe-core/axe.min.js"));
    match (vnu_jar.is_file(), axe) {
        (true, Ok(axe)) => Ok(Tools {
            browser,
            java,
            vnu_jar,
            axe,
        }),
        _ => Err("axe-core and vnu-jar are not installed (npm ci --prefix e2e)".into()),
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Waits until `url` answers 200, or panics naming `what`.
async fn wait_until_up(url: &str, what: &str, child: &mut Child) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = client.get(url).send().await {
            if r.status().is_success() {
                return;
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before it was ready: {status}");
        }
        assert!(Instant::now() < deadline, "{what} did not start in 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An account a journey signs in with (password [`PASSWORD`]).
pub struct Account {
    pub email: &'static str,
    pub name: &'static str,
    pub role: &'static str,
    pub unit: Option<&'static str>,
    /// Head of `unit`.
    pub head: bool,
}

/// `loa serve`, the real binary, on a fresh SQLite database filled from the shipped `content/`.
pub struct Server {
    pub base: String,
    pub db_url: String,
    child: Child,
    /// Holds the database and uploads until the server is gone.
    _dir: TempDir,
}

impl Server {
    pub async fn start(accounts: &[Account]) -> Server {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let data = dir.path().join("data");
        let db_url = format!("sqlite://{}", data.join("loa.db").display());
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let reminders = reminder_time_out_of_the_way();
        let loa = |args: &[&str]| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_loa"));
            cmd.args(args)
                .env_remove("LOA_CONFIG")
                .env("LOA_DATABASE_URL", &db_url)
                .env("LOA_DATA_DIR", &data)
                .env("LOA_CONTENT_DIR", repo_content())
                .env("LOA_ADDR", format!("127.0.0.1:{port}"))
                .env("LOA_BASE_URL", &base)
                .env("LOA_REMINDER_TIME", &reminders)
                .env("RUST_LOG", "warn")
                .current_dir(dir.path());
            cmd
        };
        let content = repo_content();
        let out = loa(&["import", content.to_str().unwrap()])
            .output()
            .expect("run loa import");
        assert!(out.status.success(), "loa import: {out:?}");
        for a in accounts {
            let mut args = vec![
                "user",
                "add",
                "--email",
                a.email,
                "--name",
                a.name,
                "--role",
                a.role,
                "--password-stdin",
            ];
            if let Some(unit) = a.unit {
                args.extend(["--unit", unit]);
            }
            if a.head {
                args.push("--head");
            }
            let mut child = loa(&args)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .spawn()
                .expect("run loa user add");
            writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
            assert!(child.wait().unwrap().success(), "loa user add {}", a.email);
        }
        let mut child = loa(&["serve"])
            .stdout(Stdio::null())
            .spawn()
            .expect("run loa serve");
        wait_until_up(&format!("{base}/healthz"), "loa serve", &mut child).await;
        Server {
            base,
            db_url,
            child,
            _dir: dir,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A time of day for the daily reminders that has not come yet today (Vietnam time) and will not
/// come while the journey runs: a time already past today would be caught up at start and remind
/// everyone before the journey's own "Nhắc ngay". Only a start in the last minutes before
/// midnight cannot have both.
fn reminder_time_out_of_the_way() -> String {
    let now = Utc::now().with_timezone(&loa::time::vietnam()).time();
    let later = now + chrono::Duration::minutes(45);
    let at = if later < now {
        chrono::NaiveTime::from_hms_opt(23, 59, 0).unwrap()
    } else {
        later
    };
    at.format("%H:%M").to_string()
}

/// chromedriver on a free port of the loopback interface.
struct Driver {
    port: u16,
    child: Child,
}

impl Driver {
    async fn start(browser: &Browser) -> Driver {
        let port = free_port();
        let mut child = Command::new(&browser.chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run chromedriver");
        wait_until_up(
            &format!("http://127.0.0.1:{port}/status"),
            "chromedriver",
            &mut child,
        )
        .await;
        Driver { port, child }
    }

    /// Ends a session without async machinery (for `Drop`, possibly while unwinding): a plain
    /// HTTP DELETE makes chromedriver quit its Chromium.
    fn delete_session(&self, id: &str) {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
        let _ = write!(
            s,
            "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        );
        let _ = s.read_to_end(&mut Vec::new());
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Only one Chromium at a time: two cores are shared with the rest of the suite.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The screen a journey runs on.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// 390 × 844 CSS px, a touch screen, with the thumb checks on every page.
    Phone,
    Desktop,
}

/// One browser session on a fresh server. Dropping it quits Chromium, chromedriver and `loa`.
pub struct Session {
    pub c: Client,
    pub server: Server,
    pub screen: Screen,
    pub dir: PathBuf,
    session_id: Option<String>,
    // Dropped after the session is deleted (see `Drop`): the driver, then the profile.
    driver: Driver,
    _profile: TempDir,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl Session {
    pub async fn start(
        browser: &'static Browser,
        journey: &str,
        screen: Screen,
        accounts: &[Account],
    ) -> Session {
        let turn = ONE_AT_A_TIME.lock().await;
        let dir = output_dir(journey);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("html")).expect("create target/e2e/JOURNEY");
        let server = Server::start(accounts).await;
        let driver = Driver::start(browser).await;
        let profile = tempfile::tempdir().expect("a profile directory");
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            // Smooth scrolling would move elements under chromedriver's clicks.
            "--force-prefers-reduced-motion".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut options = json!({
            "binary": browser.chromium,
            "prefs": {
                "download.default_directory": dir.join("downloads"),
                "download.prompt_for_download": false,
            },
        });
        match screen {
            Screen::Phone => {
                options["mobileEmulation"] = json!({
                    "deviceMetrics": { "width": 390, "height": 844, "pixelRatio": 1.0, "touch": true, "mobile": true }
                });
            }
            Screen::Desktop => args.push("--window-size=1280,900".to_owned()),
        }
        options["args"] = json!(args);
        let mut caps = Capabilities::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("goog:chromeOptions".into(), options);
        caps.insert(
            "timeouts".into(),
            json!({ "script": 30_000, "pageLoad": 30_000, "implicit": 0 }),
        );
        let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .expect("a Chromium session");
        let session_id = c.session_id().await.expect("the session id");
        Session {
            c,
            server,
            screen,
            dir,
            session_id,
            driver,
            _profile: profile,
            _turn: turn,
        }
    }

    /// Quits Chromium cleanly.
    pub async fn close(&mut self) {
        self.c.clone().close().await.expect("close the session");
        self.session_id = None;
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(id) = self.session_id.take() {
            self.driver.delete_session(&id);
        }
    }
}
