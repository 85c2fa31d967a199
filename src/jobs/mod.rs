//! Background jobs, run by tokio-cron-scheduler inside `loa serve`.
//!
//! Every job is registered in [`registry`], in one place. A cron tick decides *when*; the work is
//! an idempotent step that is safe when several instances tick against one database: publication
//! claims each article with a conditional update, and jobs that must run once per tick claim the
//! tick itself in `job_claims`. Each run is recorded in `jobs` (last state) and, when it did
//! something or failed, in `job_runs`. A failing run is logged and simply tried again at the next
//! tick; it never takes the server down. Shutdown stops the ticks and waits for runs in flight.
//! Daily jobs whose time passed while no instance ran are caught up at start ([`catch_up`]).

pub mod catch_up;
pub mod citizen_purge;
pub mod publication;
pub mod reminders;
pub mod renewal;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, Timelike, Utc};
use tokio::sync::RwLock;
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::config::Config;
use crate::db::jobs::Outcome;
use crate::db::{self, Db};
use crate::error::error_chain;
use crate::time;

/// A job's work: the database, the configuration (for jobs that need settings or mail) and the
/// time of the tick.
type Work = fn(
    Db,
    Arc<Config>,
    DateTime<Utc>,
) -> Pin<Box<dyn Future<Output = anyhow::Result<usize>> + Send>>;

/// How often a job runs on several instances.
#[derive(Clone, Copy, Debug)]
pub enum Claim {
    /// Every instance runs every tick; the work claims its own items (publication).
    Items,
    /// One instance per tick, the first to claim it; `slot` names the tick.
    PerTick { slot: fn(DateTime<Utc>) -> String },
}

/// A registered job.
pub struct JobSpec {
    pub name: &'static str,
    /// What the admin page calls it.
    pub label: &'static str,
    /// Cron, with seconds, in UTC (built from the configuration for jobs whose time is set).
    pub schedule: String,
    /// The schedule in words, for the admin page.
    pub schedule_label: String,
    pub claim: Claim,
    /// A daily job run at start when today's time has passed and no instance ran it.
    pub catch_up: bool,
    pub work: Work,
}

pub use catch_up::catch_up;

/// Every background job of Loa, with the schedules `config` sets.
pub fn registry(config: &Config) -> Vec<JobSpec> {
    vec![
        JobSpec {
            name: "publication",
            label: "Xuất bản theo lịch và gỡ bài hết hạn",
            schedule: "* * * * * *".to_owned(),
            schedule_label: "mỗi giây".to_owned(),
            claim: Claim::Items,
            catch_up: false,
            work: |db, _config, now| {
                Box::pin(async move { Ok(publication::run_due(&db, now).await?.items()) })
            },
        },
        JobSpec {
            name: "cleanup",
            label: "Dọn phiên đăng nhập hết hạn và nhật ký tác vụ cũ",
            schedule: "0 17 * * * *".to_owned(),
            schedule_label: "mỗi giờ, phút thứ 17".to_owned(),
            claim: Claim::PerTick { slot: hour_slot },
            catch_up: false,
            work: |db, _config, now| Box::pin(async move { cleanup(&db, now).await }),
        },
        reminders::spec(config),
        citizen_purge::spec(),
        renewal::spec(),
    ]
}

fn hour_slot(now: DateTime<Utc>) -> String {
    now.format("%Y-%m-%dT%H").to_string()
}

/// Expired sessions, old sign-in failures, job records older than 30 days, and evidence files
/// past their day (their hashes stay).
async fn cleanup(db: &Db, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let sessions = db::sessions::delete_expired(db, now).await?;
    let failures = db
        .pool()
        .execute(
            "delete from sign_in_failures where at < $1",
            crate::params![now - Duration::days(1)],
        )
        .await?;
    let jobs = db::jobs::prune(db, now - Duration::days(30)).await?;
    let evidence =
        db::evidence::expire(db, now - Duration::hours(db::evidence::KEPT_HOURS), now).await?;
    Ok((sessions + failures + jobs + evidence) as usize)
}

/// A name for this process in job records: host-less, but distinct per process.
fn instance_name() -> String {
    format!("{}-{}", std::process::id(), &db::sessions::new_token()[..8])
}

/// Runs one job once now, recording the run. Never fails: errors are logged and recorded.
pub async fn run_once(db: &Db, config: &Arc<Config>, spec: &JobSpec, instance: &str) -> Outcome {
    run_at(db, config, spec, instance, time::now())
        .await
        .unwrap_or(Outcome::Ok { items: 0 })
}

/// Runs one job as of `now` (an injected clock in tests), recording the run; `None` when the job
/// claims its ticks and another run (another instance) has this one.
pub async fn run_at(
    db: &Db,
    config: &Arc<Config>,
    spec: &JobSpec,
    instance: &str,
    now: DateTime<Utc>,
) -> Option<Outcome> {
    let started = time::now();
    if let Claim::PerTick { slot } = spec.claim {
        match db::jobs::claim_tick(db, spec.name, &slot(now), instance, started).await {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => {
                tracing::warn!(job = spec.name, error = %error_chain(&e), "could not claim the tick");
                return Some(Outcome::Failed {
                    error: error_chain(&e),
                });
            }
        }
    }
    // The work runs in its own task: a panic there is a failed run, not a dead scheduler.
    let work = (spec.work)(db.clone(), config.clone(), now);
    let outcome = match tokio::spawn(work).await {
        Ok(Ok(items)) => Outcome::Ok { items },
        Ok(Err(e)) => Outcome::Failed {
            error: format!("{e:#}"),
        },
        Err(e) => Outcome::Failed {
            error: format!("panic: {e}"),
        },
    };
    if let Outcome::Failed { error } = &outcome {
        tracing::error!(job = spec.name, error = %error, "job run failed; it runs again at the next tick");
    } else if let Outcome::Ok { items } = outcome {
        if items > 0 {
            tracing::info!(job = spec.name, items, "job run");
        }
    }
    let due = catch_up::due_before(&spec.schedule, now).unwrap_or(now);
    crate::metrics::job_run(
        spec.name,
        matches!(outcome, Outcome::Ok { .. }),
        (started - due).to_std().unwrap_or_default(),
    );
    if let Err(e) = db::jobs::finish(db, spec.name, instance, started, time::now(), &outcome).await
    {
        tracing::warn!(job = spec.name, error = %error_chain(&e), "could not record the job run");
    }
    Some(outcome)
}

/// When the scheduler last ticked, for `/readyz`. Cheap to clone; shared by the jobs and the
/// application state.
#[derive(Clone, Debug, Default)]
pub struct Heartbeat(Arc<AtomicI64>);

impl Heartbeat {
    /// How long without a tick before the scheduler counts as stopped (the publication job
    /// ticks every second).
    pub const TOLERANCE: Duration = Duration::seconds(5);

    pub fn beat(&self, now: DateTime<Utc>) {
        self.0.store(now.timestamp_millis(), Ordering::Relaxed);
    }

    /// True when a tick came within [`Heartbeat::TOLERANCE`] of `now`.
    pub fn alive(&self, now: DateTime<Utc>) -> bool {
        let last = self.0.load(Ordering::Relaxed);
        last != 0 && now.timestamp_millis() - last <= Self::TOLERANCE.num_milliseconds()
    }
}

/// The running scheduler of one process.
pub struct Jobs {
    scheduler: JobScheduler,
    /// Runs hold a read guard; shutdown takes the write guard, so it waits for them.
    in_flight: Arc<RwLock<()>>,
    stopping: Arc<AtomicBool>,
}

/// Registers every job with the default configuration and starts ticking (tests, benchmarks).
pub async fn start(db: Db) -> anyhow::Result<Jobs> {
    start_with(db, Arc::new(Config::defaults())).await
}

/// Registers every job and starts ticking; `config` sets their schedules and settings.
pub async fn start_with(db: Db, config: Arc<Config>) -> anyhow::Result<Jobs> {
    start_beating(db, config, Heartbeat::default()).await
}

/// What `loa serve` starts: every job, ticking into `heartbeat`, and the catch-up of the daily
/// jobs missed while no instance ran (in the background, so the site serves meanwhile).
pub async fn start_beating(
    db: Db,
    config: Arc<Config>,
    heartbeat: Heartbeat,
) -> anyhow::Result<Jobs> {
    let scheduler = JobScheduler::new().await?;
    let in_flight = Arc::new(RwLock::new(()));
    let stopping = Arc::new(AtomicBool::new(false));
    let instance: Arc<str> = instance_name().into();
    let now = time::now();
    for spec in registry(&config) {
        db::jobs::register(&db, spec.name, &spec.schedule, now).await?;
        let spec = Arc::new(spec);
        let running = Arc::new(AtomicBool::new(false));
        let (db, config, in_flight, stopping, instance) = (
            db.clone(),
            config.clone(),
            in_flight.clone(),
            stopping.clone(),
            instance.clone(),
        );
        let schedule = spec.schedule.clone();
        let heartbeat = heartbeat.clone();
        let job = Job::new_async(schedule.as_str(), move |_id, _scheduler| {
            heartbeat.beat(time::now());
            let (db, config, spec, running, in_flight, stopping, instance) = (
                db.clone(),
                config.clone(),
                spec.clone(),
                running.clone(),
                in_flight.clone(),
                stopping.clone(),
                instance.clone(),
            );
            Box::pin(async move {
                // A run still going when the next tick comes is not doubled.
                if stopping.load(Ordering::SeqCst) || running.swap(true, Ordering::SeqCst) {
                    return;
                }
                let _guard = in_flight.read().await;
                run_once(&db, &config, &spec, &instance).await;
                running.store(false, Ordering::SeqCst);
            })
        })?;
        scheduler.add(job).await?;
    }
    scheduler.start().await?;
    heartbeat.beat(time::now());
    // Holds a read guard like any run, so shutdown waits for it.
    let guard = in_flight.clone().read_owned().await;
    tokio::spawn(async move {
        let _guard = guard;
        for (job, outcome) in catch_up(&db, &config, &instance, time::now()).await {
            tracing::info!(
                job,
                ?outcome,
                "caught up with a daily job missed while no server ran"
            );
        }
    });
    Ok(Jobs {
        scheduler,
        in_flight,
        stopping,
    })
}

impl Jobs {
    /// Stops the ticks and waits for the runs in flight.
    pub async fn shutdown(mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        if let Err(e) = self.scheduler.shutdown().await {
            tracing::warn!(error = %e, "the scheduler did not stop cleanly");
        }
        let _ = self.in_flight.write().await;
    }
}

/// The next whole second, for tests and benchmarks that schedule "as soon as possible".
pub fn next_second(now: DateTime<Utc>) -> DateTime<Utc> {
    now.with_nanosecond(0).unwrap_or(now) + Duration::seconds(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_heartbeat_goes_stale() {
        let beat = Heartbeat::default();
        let now = time::now();
        assert!(!beat.alive(now), "never ticked");
        beat.beat(now);
        assert!(beat.alive(now + Duration::seconds(4)));
        assert!(!beat.alive(now + Duration::seconds(6)));
    }
}
