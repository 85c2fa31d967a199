//! `/admin/tac-vu` (admins): the background jobs — each registered job with its schedule, its
//! last run and its last failure — and the latest runs kept, failures first to the eye.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::app::AppState;
use crate::db::jobs::{self, JobRow, RunRow};
use crate::error::Result;
use crate::http::auth::Ctx;
use crate::http::views::Layout;
use crate::jobs::registry;
use crate::time;

/// How many of the latest kept runs the page lists.
const RECENT_RUNS: i64 = 50;

pub fn router() -> Router<AppState> {
    Router::new().route("/tac-vu", get(jobs_page))
}

/// To the second: a job that ticks every second is read at that grain.
fn precise(t: DateTime<Utc>) -> String {
    t.with_timezone(&time::vietnam())
        .format("%H:%M:%S %d/%m/%Y")
        .to_string()
}

fn outcome_label(outcome: &str) -> &'static str {
    match outcome {
        "ok" => "Thành công",
        "error" => "Lỗi",
        _ => "Không rõ",
    }
}

fn duration_label(started: DateTime<Utc>, finished: DateTime<Utc>) -> String {
    let ms = (finished - started).num_milliseconds().max(0);
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        // Vietnamese writes the decimal comma.
        format!("{},{} giây", ms / 1000, (ms % 1000) / 100)
    }
}

/// How a run went: shown for a job's last run and in the list of recent runs.
#[derive(Serialize)]
struct Outcome {
    outcome: String,
    outcome_label: &'static str,
    failed: bool,
    items: i64,
    instance: String,
    duration: String,
}

impl Outcome {
    fn new(
        outcome: String,
        items: i64,
        instance: String,
        started: DateTime<Utc>,
        finished: DateTime<Utc>,
    ) -> Outcome {
        Outcome {
            outcome_label: outcome_label(&outcome),
            failed: outcome == "error",
            outcome,
            items,
            instance,
            duration: duration_label(started, finished),
        }
    }
}

#[derive(Serialize)]
struct LastRunView {
    at: String,
    at_iso: String,
    #[serde(flatten)]
    outcome: Outcome,
}

#[derive(Serialize)]
struct FailureView {
    at: String,
    at_iso: String,
    error: String,
}

#[derive(Serialize)]
struct JobView {
    name: &'static str,
    label: &'static str,
    schedule_label: String,
    cron: String,
    last_run: Option<LastRunView>,
    last_failure: Option<FailureView>,
}

#[derive(Serialize)]
struct RunView {
    started: String,
    started_iso: String,
    job: String,
    job_label: String,
    #[serde(flatten)]
    outcome: Outcome,
    error: String,
}

#[derive(Serialize)]
struct JobsPage {
    #[serde(flatten)]
    layout: Layout,
    jobs: Vec<JobView>,
    runs: Vec<RunView>,
    recent_limit: i64,
}

fn last_run(row: &JobRow) -> Option<LastRunView> {
    let started = row.last_started_at?;
    let finished = row.last_finished_at.unwrap_or(started);
    let outcome = row.last_outcome.clone().unwrap_or_default();
    Some(LastRunView {
        at: precise(started),
        at_iso: time::to_rfc3339_utc(started),
        outcome: Outcome::new(
            outcome,
            row.last_items,
            row.last_instance.clone(),
            started,
            finished,
        ),
    })
}

/// The last failure: its time from the job's row (kept forever), its error from the latest
/// failed run still kept, or from the row when the last run itself failed.
fn last_failure(row: Option<&JobRow>, run: Option<RunRow>) -> Option<FailureView> {
    let at = row
        .and_then(|r| r.last_failure_at)
        .or(run.as_ref().map(|r| r.finished_at))?;
    let error = match (run, row) {
        (Some(run), _) => run.error,
        (None, Some(r)) if r.last_outcome.as_deref() == Some("error") => r.last_error.clone(),
        _ => "(chi tiết đã được dọn khỏi nhật ký tác vụ)".to_owned(),
    };
    Some(FailureView {
        at: precise(at),
        at_iso: time::to_rfc3339_utc(at),
        error,
    })
}

/// GET `/admin/tac-vu`.
async fn jobs_page(State(state): State<AppState>, ctx: Ctx) -> Result<Html<String>> {
    let specs = registry(&state.config);
    let rows: HashMap<String, JobRow> = jobs::list(&state.db)
        .await?
        .into_iter()
        .map(|r| (r.name.clone(), r))
        .collect();
    let mut views = Vec::with_capacity(specs.len());
    for spec in &specs {
        let row = rows.get(spec.name);
        let failed_run = jobs::last_failure(&state.db, spec.name).await?;
        views.push(JobView {
            name: spec.name,
            label: spec.label,
            schedule_label: spec.schedule_label.clone(),
            cron: spec.schedule.clone(),
            last_run: row.and_then(last_run),
            last_failure: last_failure(row, failed_run),
        });
    }
    let labels: HashMap<&str, &str> = specs.iter().map(|s| (s.name, s.label)).collect();
    let runs = jobs::recent_runs(&state.db, "", RECENT_RUNS)
        .await?
        .into_iter()
        .map(|r| RunView {
            started: precise(r.started_at),
            started_iso: time::to_rfc3339_utc(r.started_at),
            // A job that is no longer registered keeps its runs under its name.
            job_label: labels
                .get(r.job.as_str())
                .unwrap_or(&r.job.as_str())
                .to_string(),
            outcome: Outcome::new(r.outcome, r.items, r.instance, r.started_at, r.finished_at),
            job: r.job,
            error: r.error,
        })
        .collect();
    let view = JobsPage {
        layout: Layout::load(
            &state,
            &ctx,
            "Tác vụ nền",
            "Các tác vụ chạy theo lịch",
            "/admin/tac-vu",
        )
        .await?,
        jobs: views,
        runs,
        recent_limit: RECENT_RUNS,
    };
    Ok(Html(state.templates.render("admin/jobs.html", &view)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn times_and_durations_read_in_vietnamese() {
        let t = utc("2018-12-31T17:00:05Z");
        assert_eq!(precise(t), "00:00:05 01/01/2019");
        assert_eq!(duration_label(t, utc("2018-12-31T17:00:05.120Z")), "120 ms");
        assert_eq!(
            duration_label(t, utc("2018-12-31T17:00:07.450Z")),
            "2,4 giây"
        );
    }
}
