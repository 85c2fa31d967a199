//! The purge of citizens' personal data: once a day, names, contacts and IP addresses of citizens
//! whose article stopped taking confirmations more than `LOA_CITIZEN_RETENTION_DAYS` ago (or who
//! confirmed that long ago, when the article never closes) are removed. The confirmation events
//! stay (without contact or address) and the anonymous counts by day and locality stay.

use chrono::{DateTime, Duration, Utc};

use super::{Claim, JobSpec};
use crate::db::{citizens, Db};

/// The job, daily at 03:30 Vietnam time, once per Vietnam day across instances (the day's claim
/// is also what the catch-up at start looks for).
pub fn spec() -> JobSpec {
    JobSpec {
        name: "citizen_purge",
        label: "Xoá dữ liệu cá nhân của người dân đã hết thời hạn lưu trữ",
        schedule: "0 30 20 * * *".to_owned(),
        schedule_label: "mỗi ngày lúc 03:30".to_owned(),
        claim: Claim::PerTick {
            slot: super::reminders::day_slot,
        },
        catch_up: true,
        work: |db, config, now| {
            Box::pin(
                async move { Ok(run(&db, config.citizen_retention_days, now).await? as usize) },
            )
        },
    }
}

/// Purges every citizen whose article closed (or who confirmed, without a closing date) more than
/// `retention_days` before `now`; returns
/// how many. Idempotent: purged citizens are left alone.
pub async fn run(db: &Db, retention_days: i64, now: DateTime<Utc>) -> anyhow::Result<u64> {
    let cutoff = now - Duration::days(retention_days);
    Ok(citizens::purge_expired(db, cutoff, now).await?)
}
