//! How fast are the campaign dashboard and its exports at the volume of a real department? The
//! demo generator (`loa seed-demo`'s defaults: 40 units in three levels, 5,000 employees, 20
//! articles, 100,000 citizens' confirmations) fills a fresh database; then Loa is served for real
//! and an editor (and a unit head) request the dashboard and the exports over HTTP. The data
//! layer's reads are also timed on their own, to show where the time goes.
//!
//! cargo bench --bench campaign_reports
//! LOA_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench campaign_reports
//!
//! LOA_BENCH_EMPLOYEES and LOA_BENCH_CITIZENS change the volume.

mod common;

use std::time::{Duration, Instant};

use loa::account::Role;
use loa::config::RawConfig;
use loa::db::campaigns::{self, Scope};
use loa::demo::{self, Options};

const PASSWORD: &str = "mat-khau-do-hieu-nang";

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Median and p95 of the runs, in ms.
fn summary(mut runs: Vec<Duration>) -> String {
    runs.sort();
    let n = runs.len();
    format!(
        "min {:.0} ms, median {:.0} ms, p95 {:.0} ms, worst {:.0} ms ({n} runs)",
        ms(runs[0]),
        ms(runs[n / 2]),
        ms(runs[(n * 95 / 100).min(n - 1)]),
        ms(runs[n - 1])
    )
}

/// A signed-in HTTP client: the sign-in form's CSRF token, then the POST from our own origin.
async fn sign_in(base: &str, email: &str, password: &str) -> anyhow::Result<reqwest::Client> {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let r = client
        .post(format!("{base}/dang-nhap"))
        // Signing in needs no token: the Fetch-metadata check accepts our own origin.
        .header("origin", base)
        .form(&[("email", email), ("password", password)])
        .send()
        .await?;
    anyhow::ensure!(r.status() == 303, "sign-in of {email}: {}", r.status());
    Ok(client)
}

/// Times `runs` GETs of `path` (after one warm-up); returns the timings and the last body size.
async fn time_get(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    runs: usize,
) -> anyhow::Result<(Vec<Duration>, usize)> {
    let mut times = Vec::with_capacity(runs);
    let mut size = 0;
    for i in 0..=runs {
        let t = Instant::now();
        let r = client.get(format!("{base}{path}")).send().await?;
        anyhow::ensure!(r.status() == 200, "GET {path}: {}", r.status());
        size = r.bytes().await?.len();
        if i > 0 {
            times.push(t.elapsed());
        }
    }
    Ok((times, size))
}

async fn run() -> anyhow::Result<()> {
    let bench = common::BenchDb::open().await?;
    let db = bench.db.clone();
    let options = Options {
        employees: env_or("LOA_BENCH_EMPLOYEES", 5_000),
        citizens: env_or("LOA_BENCH_CITIZENS", 100_000),
        ..Options::default()
    };
    let started = Instant::now();
    let seeded = demo::seed(&db, &options, loa::time::now()).await?;
    println!(
        "{}: seed-demo wrote {} units, {} employees, {} articles, {} staff and {} citizen \
         confirmations in {:.1} s",
        db.backend(),
        seeded.units,
        seeded.employees,
        seeded.articles,
        seeded.staff_confirmations,
        seeded.citizen_confirmations,
        started.elapsed().as_secs_f64()
    );

    // The data layer alone, as the dashboard and the matrix export call it.
    let campaign = campaigns::by_slug(&db, demo::CAMPAIGN_SLUG)
        .await?
        .expect("the demo campaign");
    let now = loa::time::now();
    let mut parts = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let progress = campaigns::staff_progress(&db, &campaign, Scope::All, now).await?;
        let a = t.elapsed();
        let people = campaigns::pending_people(&db, &campaign, Scope::All, now).await?;
        let b = t.elapsed();
        let localities = campaigns::citizens_by_locality(&db, &campaign).await?;
        let days = campaigns::citizens_by_day(&db, &campaign).await?;
        let c = t.elapsed();
        let matrix = campaigns::matrix(&db, &campaign, Scope::All, now).await?;
        let d = t.elapsed();
        std::hint::black_box((progress, people, localities, days, &matrix));
        parts.push((a, b - a, c - b, d - c, matrix.rows.len()));
    }
    parts.sort_by_key(|p| p.0 + p.1 + p.2 + p.3);
    let (a, b, c, d, rows) = parts[parts.len() / 2];
    println!(
        "data layer (median of 5): staff_progress {:.0} ms, pending_people {:.0} ms, citizens \
         {:.0} ms, matrix {:.0} ms ({rows} people)",
        ms(a),
        ms(b),
        ms(c),
        ms(d)
    );

    // The real server on this database, an editor and a unit head signed in.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}");
    let config = RawConfig {
        database_url: Some(bench.url.clone()),
        addr: Some(addr.to_string()),
        base_url: Some(base.clone()),
        content_dir: Some(bench.dir.path().join("no-content")),
        data_dir: Some(bench.dir.path().join("data")),
        ..Default::default()
    }
    .validate()?;
    let state = loa::app::prepare(config).await?;
    tokio::spawn(loa::app::serve(
        listener,
        state.clone(),
        std::future::pending(),
    ));
    let email = "bientap@loa.bench";
    common::add_user(&db, email, "Biên tập viên", Role::Editor, PASSWORD).await?;
    let editor = sign_in(&base, email, PASSWORD).await?;
    let head = sign_in(&base, &seeded.head_email, &seeded.password).await?;

    let page = format!("/admin/chien-dich/{}", demo::CAMPAIGN_SLUG);
    let (times, size) = time_get(&editor, &base, &page, 20).await?;
    println!(
        "dashboard, editor (whole agency, {} kB): {}",
        size / 1024,
        summary(times)
    );
    let (times, size) = time_get(&head, &base, &page, 20).await?;
    println!(
        "dashboard, unit head ({} kB): {}",
        size / 1024,
        summary(times)
    );
    for (file, runs) in [("ma-tran.xlsx", 5), ("ma-tran.csv", 5), ("bao-cao.xlsx", 3)] {
        let path = format!("/admin/chien-dich/{}/xuat/{file}", demo::CAMPAIGN_SLUG);
        let (times, size) = time_get(&editor, &base, &path, runs).await?;
        println!("export {file} ({} kB): {}", size / 1024, summary(times));
    }

    state.db.close().await;
    bench.close().await?;
    Ok(())
}
