//! `loa serve` as a child process on a free port: started (and timed to its first answer),
//! asked for every page of its sitemap, measured (resident memory), stopped with SIGTERM.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use crate::common::BenchDb;

pub struct Server {
    child: Child,
    base: String,
    client: reqwest::Client,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Server {
    /// Starts `loa serve` on the database (an empty one imports `content` first) and waits
    /// until it answers.
    pub async fn start(bench: &BenchDb, content: &Path) -> anyhow::Result<Server> {
        Ok(Server::start_timed(bench, content).await?.0)
    }

    /// Starts `loa serve` and times it from the spawn to the first `200` for `/`.
    pub async fn start_timed(
        bench: &BenchDb,
        content: &Path,
    ) -> anyhow::Result<(Server, Duration)> {
        let port = free_port()?;
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(64)
            .build()?;
        let started = Instant::now();
        let child = Command::new(super::loa_binary())
            .arg("serve")
            .env("LOA_DATABASE_URL", &bench.url)
            .env("LOA_ADDR", format!("127.0.0.1:{port}"))
            .env("LOA_BASE_URL", &base)
            .env("LOA_CONTENT_DIR", content)
            .env("LOA_DATA_DIR", bench.dir.path().join("data"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()?;
        let server = Server {
            child,
            base,
            client,
        };
        loop {
            if let Ok(r) = server.client.get(server.url("/")).send().await {
                if r.status() == 200 {
                    break;
                }
            }
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(120),
                "loa serve did not answer within two minutes"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Ok((server, started.elapsed()))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    pub async fn get_bytes(&self, path: &str) -> anyhow::Result<Vec<u8>> {
        let r = self.client.get(self.url(path)).send().await?;
        anyhow::ensure!(r.status() == 200, "GET {path}: {}", r.status());
        Ok(r.bytes().await?.to_vec())
    }

    /// The paths of the `<loc>`s of a sitemap file or of the sitemap index.
    async fn locs(&self, path: &str) -> anyhow::Result<Vec<String>> {
        let xml = String::from_utf8(self.get_bytes(path).await?)?;
        Ok(xml
            .split("<loc>")
            .skip(1)
            .filter_map(|s| s.split("</loc>").next())
            .filter_map(|u| u.strip_prefix(&self.base).map(str::to_owned))
            .collect())
    }

    /// Requests every page the sitemap's files list (home, topics, every article) once, eight
    /// at a time; returns how many.
    pub async fn request_every_page(&self) -> anyhow::Result<usize> {
        let mut paths = Vec::new();
        for file in self.locs("/sitemap.xml").await? {
            paths.extend(self.locs(&file).await?);
        }
        let paths = Arc::new(paths);
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (paths, next, client, base) = (
                paths.clone(),
                next.clone(),
                self.client.clone(),
                self.base.clone(),
            );
            tasks.push(tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(p) = paths.get(i) else {
                        return anyhow::Ok(());
                    };
                    let r = client.get(format!("{base}{p}")).send().await?;
                    anyhow::ensure!(r.status() == 200, "GET {p}: {}", r.status());
                    r.bytes().await?;
                }
            }));
        }
        for t in tasks {
            t.await??;
        }
        Ok(paths.len())
    }

    /// The process's resident memory (VmRSS), in kB.
    pub fn resident_kb(&self) -> anyhow::Result<u64> {
        let pid = self
            .child
            .id()
            .ok_or_else(|| anyhow::anyhow!("loa serve exited"))?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| anyhow::anyhow!("no VmRSS in /proc/{pid}/status"))
    }

    /// SIGTERM, then waits for the ordered stop.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(pid) = self.child.id() {
            Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await?;
        }
        self.child.wait().await?;
        Ok(())
    }
}
