//! Renewal of acknowledgments on time: fixed dates open a new round for everyone, and N-day rules
//! let each person's confirmation lapse N days after it was given (issue 17).
//!
//! The step is driven by an explicit `now`, so tests inject the clock. It runs every minute on
//! every instance: each round is claimed by one conditional update (`db::ack_rounds::open_round`),
//! so two instances open it once. After downtime the latest missed date is opened late (with the
//! due date it would have had); dates older than that are skipped, as their rounds are over.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use super::{Claim, JobSpec};
use crate::ack::parse_month_day;
use crate::content::front_matter::end_of_day;
use crate::db::{ack_rounds, Db, DbError};
use crate::time;

/// The job, every minute, on every instance.
pub fn spec() -> JobSpec {
    JobSpec {
        name: "ack_renewal",
        label: "Mở đợt xác nhận lại theo lịch gia hạn",
        schedule: "0 * * * * *".to_owned(),
        schedule_label: "mỗi phút".to_owned(),
        claim: Claim::Items,
        // Every minute: its first tick after a start opens any missed round itself.
        catch_up: false,
        work: |db, _config, now| {
            Box::pin(async move {
                let r = run(&db, now).await?;
                Ok(r.opened.len() + r.lapsed as usize)
            })
        },
    }
}

/// What one step did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RenewalReport {
    /// (article, new round) of the rounds this call opened.
    pub opened: Vec<(i64, i64)>,
    /// Confirmations lapsed under N-day rules.
    pub lapsed: u64,
}

/// Opens every round due at `now` and lapses every confirmation past its N days.
pub async fn run(db: &Db, now: DateTime<Utc>) -> Result<RenewalReport, DbError> {
    let mut report = RenewalReport::default();
    for a in ack_rounds::renewing(db).await? {
        let Some(date) = due_date(&a, now) else {
            continue;
        };
        let opens_on = date.format("%Y-%m-%d").to_string();
        let due_at = a
            .renew_due_days
            .map(|d| end_of_day(date + Duration::days(d)));
        let made = a
            .created_at
            .with_timezone(&time::vietnam())
            .format("%Y-%m-%d")
            .to_string();
        let (article, from) = (a.article_id, a.current_round);
        if ack_rounds::open_round(db, article, from, &opens_on, &made, due_at, now).await? {
            report.opened.push((a.article_id, a.current_round + 1));
        }
    }
    report.lapsed = ack_rounds::lapse_due(db, now).await?;
    Ok(report)
}

/// The latest renewal date on or before today (Vietnam calendar) that is after the day the
/// settings were made and after the last round opened; None when no round is due.
fn due_date(a: &ack_rounds::Renewing, now: DateTime<Utc>) -> Option<NaiveDate> {
    let today = now.with_timezone(&time::vietnam()).date_naive();
    let made = a.created_at.with_timezone(&time::vietnam()).date_naive();
    let last = a
        .last_opens_on
        .as_deref()
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
    let latest = a
        .renew_on
        .split(',')
        .filter_map(parse_month_day)
        .flat_map(|(m, d)| {
            [today.year() - 1, today.year()]
                .into_iter()
                .filter_map(move |y| NaiveDate::from_ymd_opt(y, m, d))
        })
        .filter(|d| *d <= today)
        .max()?;
    (latest > made && last.is_none_or(|l| latest > l)).then_some(latest)
}
