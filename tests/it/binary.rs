//! The real `loa` binary (CARGO_BIN_EXE_loa) as a child process: `loa serve` on a random port
//! against a test database, with its console and logs kept in files, signals, and the one-shot
//! commands (`backup`, `restore`, `copy`). Shared by the tests that need the whole program.

use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::helpers::{repo_content, TestDb};

/// `loa` with the environment every run starts from: the test's database and data folder, the
/// SIPAS content, no `loa.toml`, quiet logs.
pub fn command(db: &TestDb) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_loa"));
    cmd.env("LOA_DATABASE_URL", &db.url)
        .env("LOA_DATA_DIR", data_dir(db))
        .env("LOA_CONTENT_DIR", repo_content())
        .env("RUST_LOG", "off")
        .env_remove("LOA_CONFIG")
        .env_remove("LOG_FORMAT")
        .env_remove("LOA_METRICS_ADDR")
        .current_dir(db.dir.path());
    cmd
}

/// The data folder the tests give a database: `data/` next to it.
pub fn data_dir(db: &TestDb) -> PathBuf {
    db.dir.path().join("data")
}

/// Runs a one-shot command (`backup`, `restore`, `copy`, …) on `db`.
pub fn loa(db: &TestDb, args: &[&str]) -> Output {
    command(db).args(args).output().expect("run loa")
}

static STARTS: AtomicUsize = AtomicUsize::new(0);

/// `loa serve`, running. Killed when dropped, so no process outlives a failing test.
pub struct Server {
    child: Child,
    pub base: String,
    /// The metrics address, when `LOA_METRICS_ADDR` was given.
    pub metrics: Option<String>,
    /// The first administrator's one-time password, when this start created it.
    pub admin_password: Option<String>,
    console: PathBuf,
    logs: PathBuf,
}

impl Server {
    /// Starts `loa serve` on 127.0.0.1 with a random port, `env` on top of the defaults, and
    /// waits until it listens.
    pub fn start(db: &TestDb, env: &[(&str, &str)]) -> Server {
        let unique = STARTS.fetch_add(1, Ordering::SeqCst);
        let console = db.dir.path().join(format!("console-{unique}.txt"));
        let logs = db.dir.path().join(format!("logs-{unique}.txt"));
        let mut cmd = command(db);
        cmd.arg("serve").env("LOA_ADDR", "127.0.0.1:0");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&console).unwrap())
            .stderr(std::fs::File::create(&logs).unwrap())
            .spawn()
            .expect("start loa serve");
        let mut server = Server {
            child,
            base: String::new(),
            metrics: None,
            admin_password: None,
            console,
            logs,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = std::fs::read_to_string(&server.console).unwrap_or_default();
            let expect_metrics = env.iter().any(|(k, _)| *k == "LOA_METRICS_ADDR");
            let running = text
                .lines()
                .find_map(|l| l.strip_prefix("Loa đang chạy tại "));
            let metrics = text
                .lines()
                .find_map(|l| l.strip_prefix("Số liệu Prometheus tại "));
            if let Some(url) = running.filter(|_| !expect_metrics || metrics.is_some()) {
                server.base = url.trim().trim_end_matches('/').to_owned();
                server.metrics = metrics.map(|m| m.trim().to_owned());
                server.admin_password = text
                    .split("mật khẩu dùng một lần: ")
                    .nth(1)
                    .and_then(|rest| rest.split_whitespace().next())
                    .map(str::to_owned);
                return server;
            }
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("loa serve stopped ({status}): {text}\n{}", server.logs());
            }
            assert!(Instant::now() < deadline, "loa serve did not start: {text}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal by name (`TERM`, `INT`).
    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args([format!("-{name}"), self.pid().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{name}");
    }

    /// SIGKILL: no chance to clean up, as in a crash.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the process to end, at most `limit`.
    pub fn wait(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Everything written to standard error so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.logs).unwrap_or_default()
    }

    /// Everything written to standard output so far.
    pub fn console(&self) -> String {
        std::fs::read_to_string(&self.console).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Standard output and error of a finished command, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
