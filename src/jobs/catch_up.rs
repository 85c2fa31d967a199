//! Daily jobs missed while no server ran: at start, each job marked `catch_up` whose time today
//! (Vietnam) has passed runs once, unless an instance ran it already. "Once" is the job's claim of
//! the day in `job_claims`, the same one its regular tick takes, so two instances starting
//! together, or a start just as the tick fires, still run it once. A start before today's time
//! does nothing: the tick will come. Days missed entirely are not run again: yesterday's
//! reminders are stale, and the purge of today covers every earlier day.

use std::sync::Arc;

use chrono::{DateTime, Timelike, Utc};
use croner::parser::{CronParser, Seconds};

use super::{registry, run_at};
use crate::config::Config;
use crate::db::jobs::Outcome;
use crate::db::Db;
use crate::time;

/// Runs, as of `now`, every daily job whose time today has passed and that nobody ran; returns
/// the jobs this call ran and how.
pub async fn catch_up(
    db: &Db,
    config: &Arc<Config>,
    instance: &str,
    now: DateTime<Utc>,
) -> Vec<(&'static str, Outcome)> {
    let mut ran = Vec::new();
    for spec in registry(config).into_iter().filter(|s| s.catch_up) {
        let Some(due) = due_before(&spec.schedule, now) else {
            continue;
        };
        if vietnam_date(due) != vietnam_date(now) {
            continue;
        }
        if let Some(outcome) = run_at(db, config, &spec, instance, now).await {
            ran.push((spec.name, outcome));
        }
    }
    ran
}

/// The latest time at or before `now` that the cron `schedule` (seconds first, UTC) names.
pub fn due_before(schedule: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    // Cron names whole seconds; a match keeps the fraction it was given.
    let now = now.with_nanosecond(0)?;
    CronParser::builder()
        .seconds(Seconds::Required)
        .build()
        .parse(schedule)
        .ok()?
        .find_previous_occurrence(&now, true)
        .ok()
}

fn vietnam_date(t: DateTime<Utc>) -> chrono::NaiveDate {
    t.with_timezone(&time::vietnam()).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_latest_due_time() {
        // 08:00 in Vietnam is 01:00 UTC.
        assert_eq!(
            due_before("0 0 1 * * *", at("2024-03-05T09:30:00+07:00")),
            Some(at("2024-03-05T08:00:00+07:00"))
        );
        assert_eq!(
            due_before("0 0 1 * * *", at("2024-03-05T07:59:59+07:00")),
            Some(at("2024-03-04T08:00:00+07:00"))
        );
        assert_eq!(
            due_before("* * * * * *", at("2024-03-05T09:30:00.250+07:00")),
            Some(at("2024-03-05T09:30:00+07:00"))
        );
        assert_eq!(due_before("not a cron", Utc::now()), None);
    }
}
