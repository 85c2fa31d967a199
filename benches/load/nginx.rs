//! nginx serving one file — the article's own bytes — as the yardstick: what a static web server
//! does on the same machine in the same run.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Nginx {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Nginx {
    /// Serves `bytes` as `/article.html` on a free port, two workers (one per core, like Loa's
    /// runtime), no access log, keep-alive without limit.
    pub async fn start(nginx: &Path, bytes: &[u8]) -> anyhow::Result<Nginx> {
        let dir = tempfile::tempdir()?;
        let www = dir.path().join("www");
        std::fs::create_dir(&www)?;
        std::fs::write(www.join("article.html"), bytes)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let root = dir.path().display();
        // `user root`: nginx is started by whoever runs the benchmark, often root, and its
        // workers must read a private temporary folder.
        let user = if is_root() { "user root;\n" } else { "" };
        let conf = format!(
            "{user}worker_processes 2;\npid {root}/nginx.pid;\nerror_log {root}/error.log;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n  \
             keepalive_requests 1000000;\n  types {{ text/html html; }}\n  \
             client_body_temp_path {root}/tmp;\n  proxy_temp_path {root}/tmp;\n  \
             fastcgi_temp_path {root}/tmp;\n  uwsgi_temp_path {root}/tmp;\n  \
             scgi_temp_path {root}/tmp;\n  \
             server {{ listen 127.0.0.1:{port}; root {root}/www; }}\n}}\n"
        );
        std::fs::write(dir.path().join("nginx.conf"), conf)?;
        let child = Command::new(nginx)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        let site = Nginx {
            child,
            port,
            _dir: dir,
        };
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(r) = client.get(site.url()).send().await {
                anyhow::ensure!(r.status() == 200, "nginx answered {}", r.status());
                break;
            }
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(10),
                "nginx did not answer"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(site)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/article.html", self.port)
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .map(|v| v.split_whitespace().next() == Some("0"))
        })
        .unwrap_or(false)
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGQUIT: the master stops its workers and exits (SIGKILL would orphan the workers).
        let _ = Command::new("kill")
            .args(["-QUIT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}
