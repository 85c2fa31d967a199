//! The state of background jobs: their last run, the runs worth keeping, and per-tick claims.

use chrono::{DateTime, Utc};

use super::{Db, DbError};
use crate::params;

/// Makes sure a registered job has its row (and its current schedule).
pub async fn register(
    db: &Db,
    name: &str,
    schedule: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    db.pool()
        .execute(
            "insert into jobs (name, schedule, created_at, updated_at) values ($1, $2, $3, $3) \
             on conflict (name) do update set schedule = excluded.schedule",
            params![name, schedule, now],
        )
        .await
        .map(|_| ())
}

/// Claims one tick of a job for this instance: true for exactly one of the instances that try.
pub async fn claim_tick(
    db: &Db,
    job: &str,
    slot: &str,
    instance: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let n = db
        .pool()
        .execute(
            "insert into job_claims (job, slot, instance, claimed_at) values ($1, $2, $3, $4) \
             on conflict (job, slot) do nothing",
            params![job, slot, instance, now],
        )
        .await?;
    Ok(n == 1)
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok { items: usize },
    Failed { error: String },
}

/// Records a run: the job's last state always, and a `job_runs` row when the run did something or
/// failed (a run every second that found nothing would drown the useful ones).
pub async fn finish(
    db: &Db,
    job: &str,
    instance: &str,
    started: DateTime<Utc>,
    finished: DateTime<Utc>,
    outcome: &Outcome,
) -> Result<(), DbError> {
    let (label, items, error) = match outcome {
        Outcome::Ok { items } => ("ok", *items as i64, ""),
        Outcome::Failed { error } => ("error", 0, error.as_str()),
    };
    let failed_at = (label == "error").then_some(finished);
    db.pool()
        .execute(
            "update jobs set last_started_at = $2, last_finished_at = $3, last_outcome = $4, \
                 last_items = $5, last_error = $6, last_instance = $7, \
                 last_failure_at = coalesce($8, last_failure_at), updated_at = $3 \
             where name = $1",
            params![job, started, finished, label, items, error, instance, failed_at],
        )
        .await?;
    if items > 0 || label == "error" {
        db.pool()
            .execute(
                "insert into job_runs (job, instance, started_at, finished_at, outcome, items, \
                     error) values ($1, $2, $3, $4, $5, $6, $7)",
                params![job, instance, started, finished, label, items, error],
            )
            .await?;
    }
    Ok(())
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct JobRow {
    pub name: String,
    pub schedule: String,
    pub last_started_at: Option<DateTime<Utc>>,
    pub last_finished_at: Option<DateTime<Utc>>,
    pub last_outcome: Option<String>,
    pub last_items: i64,
    pub last_error: String,
    pub last_instance: String,
    pub last_failure_at: Option<DateTime<Utc>>,
}

pub async fn list(db: &Db) -> Result<Vec<JobRow>, DbError> {
    db.pool()
        .fetch_all(
            "select name, schedule, last_started_at, last_finished_at, last_outcome, last_items, \
                 last_error, last_instance, last_failure_at from jobs order by name",
            vec![],
        )
        .await
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RunRow {
    pub id: i64,
    pub job: String,
    pub instance: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub outcome: String,
    pub items: i64,
    pub error: String,
}

/// The latest kept runs, of one job or of all (`job` empty).
pub async fn recent_runs(db: &Db, job: &str, limit: i64) -> Result<Vec<RunRow>, DbError> {
    db.pool()
        .fetch_all(
            "select id, job, instance, started_at, finished_at, outcome, items, error from job_runs \
             where ($1 = '' or job = $1) order by started_at desc, id desc limit $2",
            params![job, limit],
        )
        .await
}

/// The latest kept failed run of a job, for the admin's jobs page.
pub async fn last_failure(db: &Db, job: &str) -> Result<Option<RunRow>, DbError> {
    db.pool()
        .fetch_optional(
            "select id, job, instance, started_at, finished_at, outcome, items, error from job_runs \
             where job = $1 and outcome = 'error' order by started_at desc, id desc limit 1",
            params![job],
        )
        .await
}

/// Forgets runs and claims older than `before`.
pub async fn prune(db: &Db, before: DateTime<Utc>) -> Result<u64, DbError> {
    let runs = db
        .pool()
        .execute(
            "delete from job_runs where started_at < $1",
            params![before],
        )
        .await?;
    let claims = db
        .pool()
        .execute(
            "delete from job_claims where claimed_at < $1",
            params![before],
        )
        .await?;
    Ok(runs + claims)
}
