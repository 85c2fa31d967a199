//! The public site under load, one command, one table:
//!
//!     cargo bench --bench public
//!     LOA_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench public
//!
//! It installs nothing. It needs `wrk` (the load generator) and `nginx` (the static-file yardstick)
//! on the PATH or in /usr/sbin — on Debian `apt-get install wrk nginx-light` — and says so and
//! stops when one is missing. Everything runs on this machine, in one run, against the real
//! `loa` binary (`loa serve`, `loa import`) on fresh databases:
//!
//! 1. the shipped content (`content/`): the article page, home, a topic page, search and the feed
//!    at 64 connections, the same article bytes served by nginx as a static file, and a signed-in
//!    employee's article page;
//! 2. the shipped content plus 10,000 generated Markdown articles (timed: `loa import`), 10,000
//!    employees and 100,000 citizens' confirmations (`loa seed-demo`'s generator): start-up to the
//!    first answered request, every page requested once then the resident memory, the same pages
//!    as in 1, and 10,000 distinct employees confirming one notice at once over real sessions,
//!    checked afterwards by counting rows (none lost, none twice).
//!
//! LOA_BENCH_SECONDS (default 5) is the length of each wrk run.

mod common;
mod load;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use load::report::{Report, Row};
use load::server::Server;
use load::wrk::Wrk;
use load::{confirm, generate, nginx};

fn main() -> anyhow::Result<()> {
    let tools = load::tools()?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(tools))
}

/// The pages measured on both data sets (path, label).
const PAGES: [(&str, &str); 5] = [
    ("/bai-viet/sipas-la-gi", "article page"),
    ("/", "home"),
    ("/chu-de/sipas", "topic page"),
    ("/tim-kiem?q=hai+long", "search `hai long`"),
    ("/feed.xml", "Atom feed"),
];
const ARTICLE: &str = "/bai-viet/sipas-la-gi";
const SITEMAP: &str = "/sitemap.xml";

async fn run(tools: load::Tools) -> anyhow::Result<()> {
    let seconds = std::env::var("LOA_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let wrk = Wrk::new(tools.wrk.clone(), seconds);
    let content = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("content");
    let mut report = Report::new(seconds);

    // 1. The shipped content.
    let shipped = common::BenchDb::open_named("shipped").await?;
    let server = Server::start(&shipped, &content).await?;
    let employee = load::employee_session(&shipped.db).await?;
    let mut shipped_rps = std::collections::HashMap::new();
    for (path, label) in PAGES {
        let r = wrk.run(&server.url(path), None).await?;
        shipped_rps.insert(path, r.rps);
        report.push(Row::load(label, &r));
    }
    let r = wrk.run(&server.url(SITEMAP), None).await?;
    shipped_rps.insert(SITEMAP, r.rps);
    report.push(Row::load("sitemap", &r));
    let article_rps = shipped_rps[ARTICLE];
    let bytes = server.get_bytes(ARTICLE).await?;
    let static_site = nginx::Nginx::start(&tools.nginx, &bytes).await?;
    let r = wrk.run(&static_site.url(), None).await?;
    report.push(Row::load("same article bytes, nginx static file", &r));
    let nginx_rps = r.rps;
    drop(static_site);
    let cookie = format!("loa_session={employee}");
    let r = wrk.run(&server.url(ARTICLE), Some(&cookie)).await?;
    shipped_rps.insert("signed-in", r.rps);
    report.push(Row::load("article page, signed-in employee", &r));
    report.ratios(article_rps, &shipped_rps, nginx_rps);
    server.stop().await?;

    // 2. 10,000 more articles, 10,000 employees, 100,000 citizens' confirmations.
    let big = common::BenchDb::open_named("big").await?;
    let dir = big.dir.path().join("generated");
    generate::articles(&dir, &content, 10_000)?;
    let server = Server::start(&big, &content).await?;
    server.stop().await?;
    let started = Instant::now();
    load::loa_import(&big, &dir).await?;
    let import = started.elapsed();
    report.push(Row::figure(
        "`loa import` of 10,000 Markdown files",
        format!("{:.1} s", import.as_secs_f64()),
        "< 10 s",
        import < Duration::from_secs(10),
    ));
    let seeded = load::seed_people(&big.db).await?;
    let (server, startup) = Server::start_timed(&big, &content).await?;
    report.push(Row::figure(
        "start-up to the first answered request (10,018 articles)",
        format!("{:.0} ms", startup.as_secs_f64() * 1000.0),
        "< 200 ms",
        startup < Duration::from_millis(200),
    ));
    let pages = server.request_every_page().await?;
    let rss = server.resident_kb()?;
    report.push(Row::figure(
        &format!("resident memory after {pages} pages, each once"),
        format!("{:.1} MB", rss as f64 / 1024.0),
        "< 60 MB + page cache (32 MB)",
        rss < (60 + 32) * 1024,
    ));
    let employee = load::employee_session(&big.db).await?;
    let cookie = format!("loa_session={employee}");
    for (path, label, signed_in) in [
        ("/", "home", false),
        ("/chu-de/sipas", "topic page", false),
        (SITEMAP, "sitemap", false),
        (ARTICLE, "article page, signed-in employee", true),
    ] {
        let r = wrk
            .run(&server.url(path), signed_in.then_some(cookie.as_str()))
            .await?;
        let before = shipped_rps[if signed_in { "signed-in" } else { path }];
        report.push(Row::large(label, &r, before));
    }
    let c = confirm::ten_thousand(&server, &big.db, &seeded).await?;
    report.push(c.row());
    server.stop().await?;

    report.print(&big.db, &tools);
    shipped.close().await?;
    big.close().await?;
    Ok(())
}
