//! Prometheus metrics: every name in one place, with its description and the small helpers the
//! rest of Loa calls. The `metrics` facade records nothing until a recorder is installed, which
//! `loa serve` does only when `LOA_METRICS_ADDR` is set (served by [`crate::http::metrics`] on
//! that address, never on the public one); without it every call here costs next to nothing.

use std::time::Duration;

use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::db::Db;

pub const HTTP_REQUESTS: &str = "loa_http_requests_total";
pub const HTTP_DURATION: &str = "loa_http_request_duration_seconds";
/// For the page cache: it calls [`page_cache_hit`] and [`page_cache_miss`].
pub const PAGE_CACHE_HITS: &str = "loa_page_cache_hits_total";
pub const PAGE_CACHE_MISSES: &str = "loa_page_cache_misses_total";
pub const JOB_RUNS: &str = "loa_job_runs_total";
pub const JOB_LATENESS: &str = "loa_job_lateness_seconds";
pub const PUBLICATIONS: &str = "loa_publications_total";
pub const PUBLICATION_LATENESS: &str = "loa_publication_lateness_seconds";
pub const STAFF_CONFIRMATIONS: &str = "loa_staff_confirmations_total";
pub const CITIZEN_CONFIRMATIONS: &str = "loa_citizen_confirmations_total";
pub const REMINDERS: &str = "loa_reminders_total";
pub const DB_POOL_CONNECTIONS: &str = "loa_db_pool_connections";
pub const DB_POOL_MAX: &str = "loa_db_pool_max_connections";
pub const BUILD_INFO: &str = "loa_build_info";

/// Request latency buckets, in seconds.
const LATENCY: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Lateness buckets, from a scheduler tick (well under a second) to a day missed.
const LATENESS: &[f64] = &[
    0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0, 21600.0, 86400.0,
];

/// Installs the process-wide recorder (once) and describes every metric. `backend` labels the
/// build information (`sqlite`, `postgres`).
pub fn install(backend: &str) -> anyhow::Result<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_owned()), LATENCY)?
        .set_buckets_for_metric(Matcher::Suffix("_lateness_seconds".to_owned()), LATENESS)?
        .install_recorder()?;
    describe();
    // Counters exist from the start, at zero, so that a rate or an alert has a series to read
    // before the first event.
    for name in [PAGE_CACHE_HITS, PAGE_CACHE_MISSES, CITIZEN_CONFIRMATIONS] {
        counter!(name).absolute(0);
    }
    for by in ["self", "on_behalf"] {
        counter!(STAFF_CONFIRMATIONS, "by" => by).absolute(0);
    }
    for action in ["published", "archived"] {
        counter!(PUBLICATIONS, "action" => action).absolute(0);
    }
    for (channel, outcome) in [("in_app", "sent"), ("email", "sent"), ("email", "failed")] {
        counter!(REMINDERS, "channel" => channel, "outcome" => outcome).absolute(0);
    }
    gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION"), "database" => backend.to_owned())
        .set(1.0);
    // Histograms are kept in buckets that must be drained now and then.
    let upkeep = handle.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            upkeep.run_upkeep();
        }
    });
    Ok(handle)
}

fn describe() {
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by method, route template and status"
    );
    describe_histogram!(
        HTTP_DURATION,
        metrics::Unit::Seconds,
        "Time to answer an HTTP request (to the response head), by method, route and status"
    );
    describe_counter!(PAGE_CACHE_HITS, "Pages served from the page cache");
    describe_counter!(
        PAGE_CACHE_MISSES,
        "Pages rendered because the cache had none"
    );
    describe_counter!(
        JOB_RUNS,
        "Background job runs, by job and outcome (ok, error)"
    );
    describe_histogram!(
        JOB_LATENESS,
        metrics::Unit::Seconds,
        "How long after its scheduled time a job run started, by job"
    );
    describe_counter!(
        PUBLICATIONS,
        "Articles published or archived by the schedule, by action"
    );
    describe_histogram!(
        PUBLICATION_LATENESS,
        metrics::Unit::Seconds,
        "How long after its publish_at a scheduled article went live"
    );
    describe_counter!(
        STAFF_CONFIRMATIONS,
        "Staff acknowledgments recorded, by whom (self, on_behalf)"
    );
    describe_counter!(
        CITIZEN_CONFIRMATIONS,
        "Citizens' confirmations recorded (repeats not counted)"
    );
    describe_counter!(REMINDERS, "Reminders, by channel and outcome");
    describe_gauge!(
        DB_POOL_CONNECTIONS,
        "Database pool connections, by state (idle, busy)"
    );
    describe_gauge!(DB_POOL_MAX, "The database pool's largest size");
    describe_gauge!(
        BUILD_INFO,
        "Always 1; the labels say the version and database"
    );
}

/// One answered request. `route` is the route template (`/bai-viet/{slug}`), never the path.
pub fn http_request(method: &str, route: &str, status: u16, elapsed: Duration) {
    let labels = [
        ("method", method.to_owned()),
        ("route", route.to_owned()),
        ("status", status.to_string()),
    ];
    counter!(HTTP_REQUESTS, &labels).increment(1);
    histogram!(HTTP_DURATION, &labels).record(elapsed.as_secs_f64());
}

pub fn page_cache_hit() {
    counter!(PAGE_CACHE_HITS).increment(1);
}

pub fn page_cache_miss() {
    counter!(PAGE_CACHE_MISSES).increment(1);
}

/// A finished job run, and how late it started.
pub fn job_run(job: &'static str, ok: bool, lateness: Duration) {
    let outcome = if ok { "ok" } else { "error" };
    counter!(JOB_RUNS, "job" => job, "outcome" => outcome).increment(1);
    histogram!(JOB_LATENESS, "job" => job).record(lateness.as_secs_f64());
}

pub fn published(lateness: Duration) {
    counter!(PUBLICATIONS, "action" => "published").increment(1);
    histogram!(PUBLICATION_LATENESS).record(lateness.as_secs_f64());
}

pub fn archived() {
    counter!(PUBLICATIONS, "action" => "archived").increment(1);
}

/// `by`: `self` or `on_behalf`.
pub fn staff_confirmation(by: &'static str) {
    counter!(STAFF_CONFIRMATIONS, "by" => by).increment(1);
}

pub fn citizen_confirmation() {
    counter!(CITIZEN_CONFIRMATIONS).increment(1);
}

/// `channel`: `in_app` or `email`; `outcome`: `sent` or `failed`.
pub fn reminders(channel: &'static str, outcome: &'static str, n: usize) {
    counter!(REMINDERS, "channel" => channel, "outcome" => outcome).increment(n as u64);
}

/// The pool's state now; called just before each scrape.
pub fn db_pool(db: &Db) {
    let (size, idle, max) = db.pool_state();
    gauge!(DB_POOL_CONNECTIONS, "state" => "idle").set(idle as f64);
    gauge!(DB_POOL_CONNECTIONS, "state" => "busy").set((size as usize).saturating_sub(idle) as f64);
    gauge!(DB_POOL_MAX).set(max as f64);
}
