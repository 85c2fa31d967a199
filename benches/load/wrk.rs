//! wrk at 64 connections on two threads, with its latency distribution read back.

use std::path::PathBuf;

pub const CONNECTIONS: u32 = 64;
pub const THREADS: u32 = 2;

pub struct Wrk {
    path: PathBuf,
    seconds: u32,
}

/// What one wrk run measured.
#[derive(Clone, Debug)]
pub struct Load {
    pub rps: f64,
    pub p99_ms: f64,
    pub requests: u64,
    /// Non-2xx/3xx answers plus socket errors.
    pub errors: u64,
}

impl Wrk {
    pub fn new(path: PathBuf, seconds: u32) -> Wrk {
        Wrk { path, seconds }
    }

    /// Loads `url` (with a `Cookie` header when given) for the configured seconds.
    pub async fn run(&self, url: &str, cookie: Option<&str>) -> anyhow::Result<Load> {
        let mut cmd = tokio::process::Command::new(&self.path);
        cmd.args([
            format!("-t{THREADS}"),
            format!("-c{CONNECTIONS}"),
            format!("-d{}s", self.seconds),
            "--latency".to_owned(),
        ]);
        if let Some(c) = cookie {
            cmd.args(["-H", &format!("Cookie: {c}")]);
        }
        let out = cmd.arg(url).output().await?;
        let text = String::from_utf8_lossy(&out.stdout);
        anyhow::ensure!(out.status.success(), "wrk {url}: {text}");
        parse(&text).ok_or_else(|| anyhow::anyhow!("could not read wrk's output:\n{text}"))
    }
}

/// A wrk duration (`812.00us`, `4.10ms`, `1.02s`, `2.00m`) in ms.
fn duration_ms(s: &str) -> Option<f64> {
    let s = s.trim();
    let split = s.find(|c: char| c.is_ascii_alphabetic())?;
    let (n, unit) = s.split_at(split);
    let n: f64 = n.parse().ok()?;
    Some(match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => return None,
    })
}

fn parse(text: &str) -> Option<Load> {
    let mut load = Load {
        rps: 0.0,
        p99_ms: 0.0,
        requests: 0,
        errors: 0,
    };
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", n] => load.rps = n.parse().ok()?,
            ["99%", d] => load.p99_ms = duration_ms(d)?,
            [n, "requests", "in", ..] => load.requests = n.parse().ok()?,
            ["Non-2xx", "or", "3xx", "responses:", n] => load.errors += n.parse::<u64>().ok()?,
            ["Socket", "errors:", rest @ ..] => {
                // "connect 0, read 0, write 0, timeout 0"
                load.errors += rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>();
            }
            _ => {}
        }
    }
    (load.rps > 0.0).then_some(load)
}
