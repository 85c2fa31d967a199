//! 10,000 distinct employees confirm one notice at once, each over their own session (64 at a
//! time, and 500 of them click twice), then the rows are counted: every confirmation must be
//! there exactly once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use loa::db::Db;
use loa::demo::Seeded;

use super::generate::NOTICE;
use super::report::Row;
use super::server::Server;

pub const PEOPLE: usize = 10_000;
const DOUBLE_CLICKS: usize = 500;
const CONCURRENCY: usize = 64;

pub struct Confirmations {
    pub elapsed: Duration,
    pub p99: Duration,
    pub requests: usize,
    pub refused: usize,
    pub lost: i64,
    pub duplicated: i64,
}

impl Confirmations {
    pub fn row(&self) -> Row {
        let ok = self.elapsed < Duration::from_secs(60)
            && self.lost == 0
            && self.duplicated == 0
            && self.refused == 0;
        Row::figure(
            "10,000 employees confirm one notice (64 at a time, 500 click twice)",
            format!(
                "{:.1} s, {:.0} confirmations/s, p99 {:.1} ms; {} lost, {} duplicated, {} refused",
                self.elapsed.as_secs_f64(),
                self.requests as f64 / self.elapsed.as_secs_f64(),
                self.p99.as_secs_f64() * 1000.0,
                self.lost,
                self.duplicated,
                self.refused
            ),
            "< 60 s, 0 lost, 0 duplicated",
            ok,
        )
    }
}

#[derive(sqlx::FromRow)]
struct Id {
    id: i64,
}

pub async fn ten_thousand(
    server: &Server,
    db: &Db,
    _seeded: &Seeded,
) -> anyhow::Result<Confirmations> {
    let article_id = db
        .pool()
        .fetch_i64(
            "select id from articles where slug = $1",
            loa::params![NOTICE],
        )
        .await?;
    let ids: Vec<Id> = db
        .pool()
        .fetch_all(
            "select id from users where role = 'employee' and active and email like $1 \
             order by id limit $2",
            loa::params![format!("%@{}", loa::demo::EMAIL_DOMAIN), PEOPLE as i64],
        )
        .await?;
    anyhow::ensure!(
        ids.len() == PEOPLE,
        "only {} active demo employees",
        ids.len()
    );
    let ids: Vec<i64> = ids.into_iter().map(|i| i.id).collect();
    let now = loa::time::now();
    let tokens =
        loa::db::sessions::create_many(db, &ids, "127.0.0.1", now, super::SESSION_LIFETIME).await?;
    // Each person's form token, as their page would carry it.
    let mut people = Vec::with_capacity(PEOPLE);
    for token in tokens {
        let s = loa::db::sessions::find(db, &token, now, super::SESSION_LIFETIME)
            .await?
            .ok_or_else(|| anyhow::anyhow!("a session just made is missing"))?;
        people.push((token, s.csrf_token));
    }
    // The first 500 twice: a double click must still record once.
    let mut jobs: Vec<usize> = (0..PEOPLE).collect();
    jobs.extend(0..DOUBLE_CLICKS);
    let jobs = Arc::new(jobs);
    let people = Arc::new(people);
    let next = Arc::new(AtomicUsize::new(0));
    let url = server.url(&format!("/bai-viet/{NOTICE}/xac-nhan"));
    let origin = server.base().to_owned();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (jobs, people, next) = (jobs.clone(), people.clone(), next.clone());
        let (client, url, origin) = (server.client().clone(), url.clone(), origin.clone());
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            let mut refused = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&who) = jobs.get(i) else {
                    return anyhow::Ok((times, refused));
                };
                let (token, csrf) = &people[who];
                let t = Instant::now();
                let r = client
                    .post(&url)
                    .header("cookie", format!("loa_session={token}"))
                    .header("origin", &origin)
                    .header("sec-fetch-site", "same-origin")
                    .form(&[("csrf", csrf.as_str())])
                    .send()
                    .await?;
                let status = r.status();
                r.bytes().await?;
                times.push(t.elapsed());
                if status != 303 {
                    refused += 1;
                }
            }
        }));
    }
    let mut times = Vec::new();
    let mut refused = 0;
    for t in tasks {
        let (mut t, r) = t.await??;
        times.append(&mut t);
        refused += r;
    }
    let elapsed = started.elapsed();
    times.sort();
    let p99 = times[(times.len() * 99 / 100).min(times.len() - 1)];
    let rows = db
        .pool()
        .fetch_i64(
            "select count(*) from ack_events where article_id = $1 and kind = 'confirm'",
            loa::params![article_id],
        )
        .await?;
    let people_confirmed = db
        .pool()
        .fetch_i64(
            "select count(distinct user_id) from ack_events \
             where article_id = $1 and kind = 'confirm'",
            loa::params![article_id],
        )
        .await?;
    Ok(Confirmations {
        elapsed,
        p99,
        requests: times.len(),
        refused,
        lost: PEOPLE as i64 - people_confirmed,
        duplicated: rows - people_confirmed,
    })
}
