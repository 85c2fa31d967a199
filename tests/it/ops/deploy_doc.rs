//! `docs/deploy.md` says only what is tried: every block carries a mark (`tested: TEST` or
//! `untested: why`), every named test exists, every metric it names exists, and the blocks marked
//! tested here run — the configuration file, the systemd units (`systemd-analyze verify`), the
//! backup script as it is, and nginx in front of two instances on one PostgreSQL database.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::db_tests;
use crate::fixtures::binary::{text, Server};
use crate::helpers::{repo_content, Browser, TestDb};

db_tests!(
    the_configuration_file_is_valid,
    the_nightly_backup_script_keeps_two_weeks,
    two_instances_behind_nginx_on_one_postgres,
);

fn guide() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/deploy.md")).unwrap()
}

/// The guide's fenced blocks: (the mark before it, the block's text).
fn blocks(guide: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = guide.lines();
    let mut previous = "";
    while let Some(line) = lines.next() {
        if line.starts_with("```") {
            let body: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.starts_with("```"))
                .collect();
            out.push((previous.to_owned(), body.join("\n") + "\n"));
        }
        if !line.trim().is_empty() {
            previous = line;
        }
    }
    out
}

/// The block whose first line is `first`.
fn block(first: &str) -> String {
    blocks(&guide())
        .into_iter()
        .map(|(_, b)| b)
        .find(|b| b.lines().next() == Some(first))
        .unwrap_or_else(|| panic!("no block starting with «{first}» in docs/deploy.md"))
}

#[test]
fn every_block_is_marked_and_every_name_exists() {
    let guide = guide();
    let all = blocks(&guide);
    assert!(all.len() > 10);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (mark, body) in &all {
        let first = body.lines().next().unwrap_or_default();
        if let Some(rest) = mark.strip_prefix("<!-- tested: ") {
            let name = rest.split_whitespace().next().unwrap();
            let mut parts: Vec<&str> = name.split("::").collect();
            let function = parts.pop().unwrap();
            let module = root.join("tests/it").join(parts.join("/"));
            let source = std::fs::read_to_string(module.with_extension("rs"))
                .or_else(|_| std::fs::read_to_string(module.join("mod.rs")))
                .unwrap_or_else(|_| panic!("{name}: no module {}", module.display()));
            assert!(
                source.contains(&format!("fn {function}(")),
                "{name}: no such test (block «{first}»)"
            );
        } else {
            assert!(
                mark.starts_with("<!-- untested: "),
                "the block «{first}» is marked neither tested nor untested"
            );
        }
    }
    // Every metric the guide names is one Loa exports.
    let metrics = std::fs::read_to_string(root.join("src/metrics.rs")).unwrap();
    for word in guide.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if word.starts_with("loa_") {
            let name = ["_bucket", "_count", "_sum"]
                .iter()
                .fold(word, |w, s| w.strip_suffix(s).unwrap_or(w));
            assert!(
                metrics.contains(&format!("\"{name}\"")),
                "docs/deploy.md names {word}, which src/metrics.rs does not define"
            );
        }
    }
}

async fn the_configuration_file_is_valid(db: TestDb) {
    let mut file: toml::Table = block("# /etc/loa/1.toml").parse().unwrap();
    let data = crate::fixtures::binary::data_dir(&db);
    for (key, value) in [
        ("database_url", db.url.clone()),
        ("addr", "127.0.0.1:0".to_owned()),
        ("metrics_addr", "127.0.0.1:0".to_owned()),
        ("data_dir", data.display().to_string()),
        ("content_dir", repo_content().display().to_string()),
    ] {
        assert!(file.contains_key(key), "the example sets {key}");
        file.insert(key.to_owned(), toml::Value::String(value));
    }
    let path = db.dir.path().join("1.toml");
    std::fs::write(&path, toml::to_string(&file).unwrap()).unwrap();
    let out = crate::fixtures::binary::command(&db)
        .env_remove("LOA_DATABASE_URL")
        .env_remove("LOA_DATA_DIR")
        .args(["--config", path.to_str().unwrap(), "migrate"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn the_systemd_units_verify() {
    if !tool("systemd-analyze") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("loa-backup");
    std::fs::write(&script, block("#!/bin/sh")).unwrap();
    make_executable(&script);
    let files = [
        ("# /etc/systemd/system/loa@.service", "loa@1.service"),
        (
            "# /etc/systemd/system/loa-backup.service",
            "loa-backup.service",
        ),
        ("# /etc/systemd/system/loa-backup.timer", "loa-backup.timer"),
    ];
    let mut paths = Vec::new();
    for (first, name) in files {
        // The binaries where the test has them; everything else as written.
        let unit = block(first)
            .replace("/usr/local/bin/loa-backup", script.to_str().unwrap())
            .replace(
                "/usr/local/bin/loa ",
                &format!("{} ", env!("CARGO_BIN_EXE_loa")),
            );
        let path = dir.path().join(name);
        std::fs::write(&path, unit).unwrap();
        paths.push(path);
    }
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .args(&paths)
        .env("SYSTEMD_LOG_LEVEL", "warning")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let complaints = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(dir.path().to_str().unwrap()))
        .map(str::to_owned)
        .collect::<Vec<_>>();
    assert!(complaints.is_empty(), "{complaints:?}");
}

async fn the_nightly_backup_script_keeps_two_weeks(db: TestDb) {
    let app = crate::helpers::TestApp::spawn(db, &repo_content()).await;
    let dir = app.db.dir.path();
    let script = dir.join("loa-backup");
    std::fs::write(&script, block("#!/bin/sh")).unwrap();
    make_executable(&script);
    let config = dir.join("1.toml");
    std::fs::write(
        &config,
        format!(
            "database_url = \"{}\"\ndata_dir = \"{}\"\n",
            app.db.url,
            crate::fixtures::binary::data_dir(&app.db).display()
        ),
    )
    .unwrap();
    let backups = dir.join("backups");
    std::fs::create_dir_all(&backups).unwrap();
    for (name, age) in [
        ("loa-20000101-021500.tar.gz", "30 days ago"),
        ("loa-20000102-021500.tar.gz", "3 days ago"),
    ] {
        let path = backups.join(name);
        std::fs::write(&path, b"old").unwrap();
        assert!(Command::new("touch")
            .args(["-d", age])
            .arg(&path)
            .status()
            .unwrap()
            .success());
    }
    let out = Command::new("sh")
        .arg(&script)
        .env("LOA", env!("CARGO_BIN_EXE_loa"))
        .env("CONFIG", &config)
        .env("BACKUP_DIR", &backups)
        .env("KEEP_DAYS", "14")
        .env("RUST_LOG", "off")
        .env_remove("LOA_DATABASE_URL")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let written = PathBuf::from(String::from_utf8_lossy(&out.stdout).lines().last().unwrap());
    assert!(
        !backups.join("loa-20000101-021500.tar.gz").exists(),
        "older than two weeks"
    );
    assert!(
        backups.join("loa-20000102-021500.tar.gz").exists(),
        "within two weeks"
    );
    // What it wrote restores.
    let target = app.db.another().await;
    let out = crate::fixtures::binary::loa(&target, &["restore", written.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
}

async fn two_instances_behind_nginx_on_one_postgres(db: TestDb) {
    if db.url.starts_with("sqlite") || !tool("nginx") {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let public = format!("http://127.0.0.1:{port}");
    let env = [
        ("LOA_BASE_URL", public.as_str()),
        ("LOA_METRICS_ADDR", "127.0.0.1:0"),
    ];
    let mut first = Server::start(&db, &env);
    let second = Server::start(&db, &env);
    let upstream = block("upstream loa {")
        .replace("127.0.0.1:3001", first.base.trim_start_matches("http://"))
        .replace("127.0.0.1:3002", second.base.trim_start_matches("http://"));
    let nginx = Nginx::start(
        &upstream,
        &block("# /etc/nginx/snippets/loa-proxy.conf"),
        port,
    );

    let visitor = Browser::new(&public);
    for _ in 0..6 {
        assert!(visitor.page("/", 200).await.contains("SIPAS"));
    }
    // A citizen's confirmation passes the origin check through the proxy.
    let r = super::site::confirm_as_citizen(&visitor, "Người Dân", "0917000001", "").await;
    assert_eq!(r.status(), 303);
    // Both instances answered, and both are ready.
    for server in [&first, &second] {
        let metrics = reqwest::get(server.metrics.as_ref().unwrap())
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            metrics.contains(r#"loa_http_requests_total{method="GET",route="/",status="200"}"#),
            "{} got no request",
            server.base
        );
        let ready = reqwest::get(format!("{}/readyz", server.base))
            .await
            .unwrap();
        assert_eq!(ready.status(), 200);
    }
    // One instance stops: the other answers everything.
    first.signal("TERM");
    assert!(first
        .wait(Duration::from_secs(10))
        .is_some_and(|s| s.success()));
    for _ in 0..6 {
        visitor.page("/bai-viet/sipas-la-gi", 200).await;
    }
    drop(nginx);
}

/// nginx on `port` with the guide's upstream and proxy file, in a folder of its own.
struct Nginx {
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl Nginx {
    fn start(upstream: &str, proxy: &str, port: u16) -> Nginx {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        std::fs::write(dir.path().join("loa-proxy.conf"), proxy).unwrap();
        let conf = format!(
            "user root;\ndaemon off;\nworker_processes 1;\npid {d}/nginx.pid;\n\
             error_log {d}/error.log warn;\nevents {{ worker_connections 64; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  \
             proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n  \
             uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n{upstream}\n  \
             server {{\n    listen 127.0.0.1:{port};\n    include {d}/loa-proxy.conf;\n  }}\n}}\n"
        );
        let path = dir.path().join("nginx.conf");
        std::fs::write(&path, conf).unwrap();
        let child = Command::new("nginx")
            .args(["-p", &d.to_string(), "-c"])
            .arg(&path)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            let log = std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default();
            assert!(Instant::now() < deadline, "nginx did not start: {log}");
            std::thread::sleep(Duration::from_millis(20));
        }
        Nginx { child, _dir: dir }
    }
}

impl Drop for Nginx {
    /// SIGTERM, so the master stops its workers too.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// Whether a program is on the PATH; a missing one is said aloud (CI installs them).
fn tool(name: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("{name} is not installed: this check of docs/deploy.md is skipped");
    }
    found
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}
