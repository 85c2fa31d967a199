//! How late does Loa publish? Schedules N articles (default 120) over the next few seconds, runs
//! the real job scheduler, and reports the lateness of each publication — the time of its audit
//! entry (written in the publishing transaction) minus its `publish_at` — as median, p95 and worst.
//!
//! cargo bench --bench scheduler_lateness
//! LOA_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench scheduler_lateness
//!
//! With LOA_BENCH_DATABASE_URL, a fresh PostgreSQL database is created there and dropped after.

mod common;

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};

#[derive(sqlx::FromRow)]
struct Published {
    publish_at: DateTime<Utc>,
    at: DateTime<Utc>,
}

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let n: usize = std::env::var("LOA_BENCH_ARTICLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(120);
    let bench = common::BenchDb::open().await?;
    let db = bench.db.clone();

    // Ten articles a second, starting two seconds from now, at whole seconds as editors set them.
    let start = loa::jobs::next_second(loa::time::now()) + Duration::seconds(2);
    let content = bench.dir.path().join("content");
    std::fs::create_dir_all(&content)?;
    for i in 0..n {
        let at = start + Duration::seconds((i / 10) as i64);
        std::fs::write(
            content.join(format!("bai-{i:04}.md")),
            format!(
                "+++\ntitle = \"Bài hẹn giờ {i}\"\nstatus = \"scheduled\"\npublish_at = \"{}\"\ntopics = [\"Đo\"]\n+++\n\nNội dung bài {i}.\n",
                loa::time::to_rfc3339_vietnam(at)
            ),
        )?;
    }
    loa::content::import_dir(&db, &content).await?;
    let jobs = loa::jobs::start(db.clone()).await?;

    let deadline = std::time::Instant::now() + StdDuration::from_secs(60 + n as u64 / 5);
    loop {
        let done = db
            .pool()
            .fetch_i64(
                "select count(*) from articles where status = 'published'",
                vec![],
            )
            .await?;
        if done as usize == n {
            break;
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "only {done} of {n} published"
        );
        tokio::time::sleep(StdDuration::from_millis(200)).await;
    }
    jobs.shutdown().await;

    let rows: Vec<Published> = db
        .pool()
        .fetch_all(
            "select a.publish_at as publish_at, l.at as at from audit_log l \
             join articles a on a.id = l.target_id where l.action = 'article.publish'",
            vec![],
        )
        .await?;
    let mut late: Vec<f64> = rows
        .iter()
        .map(|r| (r.at - r.publish_at).num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0)
        .collect();
    late.sort_by(|a, b| a.total_cmp(b));
    let pick = |q: f64| late[((late.len() - 1) as f64 * q).round() as usize];
    println!(
        "scheduler_lateness on {}: {} articles, lateness ms: min {:.0}, median {:.0}, p95 {:.0}, worst {:.0}; early: {}",
        db.backend(),
        late.len(),
        late[0],
        pick(0.5),
        pick(0.95),
        late[late.len() - 1],
        late.iter().filter(|l| **l < 0.0).count()
    );
    bench.close().await?;
    Ok(())
}
