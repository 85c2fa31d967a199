//! The one table the benchmark prints (Markdown, to paste into BENCHMARKS.md), with the date,
//! the machine and its load, so that a figure is never read without them.

use std::collections::HashMap;

use loa::db::Db;

use super::wrk::{Load, CONNECTIONS, THREADS};
use super::Tools;

pub struct Row {
    what: String,
    result: String,
    goal: String,
    met: Option<bool>,
}

impl Row {
    /// A page under wrk.
    pub fn load(what: &str, l: &Load) -> Row {
        Row {
            what: what.to_owned(),
            result: describe(l),
            goal: String::new(),
            met: None,
        }
    }

    /// A page with 10,000 articles and 100,000 confirmations, against the same page on the
    /// shipped content (`before`, requests/s): goal within 2×.
    pub fn large(what: &str, l: &Load, before: f64) -> Row {
        let slower = before / l.rps;
        Row {
            what: format!("{what}, 10,000 articles"),
            result: format!("{}; {slower:.2}× the time of the shipped site", describe(l)),
            goal: "within 2×".to_owned(),
            met: Some(slower <= 2.0 && l.errors == 0),
        }
    }

    pub fn figure(what: &str, result: String, goal: &str, met: bool) -> Row {
        Row {
            what: what.to_owned(),
            result,
            goal: goal.to_owned(),
            met: Some(met),
        }
    }
}

fn describe(l: &Load) -> String {
    let mut s = format!(
        "{} req/s, p99 {:.2} ms",
        thousands(l.rps.round() as u64),
        l.p99_ms
    );
    if l.errors > 0 {
        s.push_str(&format!(" ({} errors of {})", l.errors, l.requests));
    }
    s
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub struct Report {
    rows: Vec<Row>,
    seconds: u32,
    load_before: String,
    date: String,
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpu
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024 / 1024);
    format!("{cores} cores ({model}), {mem} GiB")
}

impl Report {
    pub fn new(seconds: u32) -> Report {
        Report {
            rows: Vec::new(),
            seconds,
            load_before: loadavg(),
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }

    pub fn push(&mut self, row: Row) {
        self.rows.push(row);
    }

    /// The article, home and topic pages against nginx serving the article's bytes.
    pub fn ratios(&mut self, article: f64, shipped: &HashMap<&str, f64>, nginx: f64) {
        for (what, rps, goal) in [
            ("article page ÷ nginx", article, 1.0),
            ("home ÷ nginx", shipped["/"], 0.8),
            ("topic page ÷ nginx", shipped["/chu-de/sipas"], 0.8),
        ] {
            let ratio = rps / nginx;
            self.push(Row::figure(
                what,
                format!("{ratio:.2}×"),
                &format!("≥ {goal:.1}×"),
                ratio >= goal,
            ));
        }
    }

    pub fn print(&self, db: &Db, tools: &Tools) {
        println!();
        println!(
            "Loa public-site benchmark, {} — {}, {} database; wrk {} threads, {} connections, \
             {} s per run ({}, {}); load average {} before, {} after.",
            self.date,
            machine(),
            db.backend(),
            THREADS,
            CONNECTIONS,
            self.seconds,
            tools.wrk.display(),
            tools.nginx.display(),
            self.load_before,
            loadavg()
        );
        println!();
        println!("| measurement | result | goal | met |");
        println!("|---|---|---|---|");
        for r in &self.rows {
            let met = match r.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "",
            };
            println!("| {} | {} | {} | {met} |", r.what, r.result, r.goal);
        }
    }
}
