//! The reminder log: one row per person, kind, channel and Vietnam day (the unique index makes a
//! second reminder the same day impossible), with what was sent and how it ended.

use chrono::{DateTime, Utc};

use super::{Db, DbError};
use crate::params;

/// A reminder about to be logged.
pub struct NewReminder<'a> {
    pub user_id: i64,
    /// `staff` or `head`.
    pub kind: &'a str,
    /// `in_app` or `email`.
    pub channel: &'a str,
    /// yyyy-mm-dd in Vietnam time.
    pub day: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    /// `sent`, `failed` or `skipped`.
    pub outcome: &'a str,
    pub error: &'a str,
}

/// Logs a reminder unless this person already has one of this kind and channel today: true when
/// the row is new, i.e. this caller owns today's message.
pub async fn claim(db: &Db, r: &NewReminder<'_>, now: DateTime<Utc>) -> Result<bool, DbError> {
    let n = db
        .pool()
        .execute(
            "insert into ack_reminders (user_id, kind, channel, day, subject, body, outcome, \
                 error, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             on conflict (user_id, kind, channel, day) do nothing",
            params![
                r.user_id, r.kind, r.channel, r.day, r.subject, r.body, r.outcome, r.error, now
            ],
        )
        .await?;
    Ok(n == 1)
}

/// Records how a claimed delivery ended.
pub async fn set_outcome(
    db: &Db,
    user_id: i64,
    kind: &str,
    channel: &str,
    day: &str,
    outcome: &str,
    error: &str,
) -> Result<(), DbError> {
    db.pool()
        .execute(
            "update ack_reminders set outcome = $5, error = $6 \
             where user_id = $1 and kind = $2 and channel = $3 and day = $4",
            params![user_id, kind, channel, day, outcome, error],
        )
        .await
        .map(|_| ())
}

/// A reminder as its recipient reads it in the application.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct InAppRow {
    pub id: i64,
    pub kind: String,
    pub day: String,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// The latest in-app reminders of one person.
pub async fn in_app_for(db: &Db, user_id: i64, limit: i64) -> Result<Vec<InAppRow>, DbError> {
    db.pool()
        .fetch_all(
            "select id, kind, day, subject, body, created_at from ack_reminders \
             where user_id = $1 and channel = 'in_app' order by day desc, id desc limit $2",
            params![user_id, limit],
        )
        .await
}

/// A row of the admin's log, with the recipient as they are now.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct LogRow {
    pub id: i64,
    pub user_name: String,
    pub user_email: String,
    pub unit: String,
    pub kind: String,
    pub channel: String,
    pub day: String,
    pub subject: String,
    pub body: String,
    pub outcome: String,
    pub error: String,
    pub created_at: DateTime<Utc>,
}

/// What the admin's log filters on; empty strings mean "any".
#[derive(Clone, Debug, Default)]
pub struct LogFilter {
    pub outcome: String,
    pub channel: String,
    pub kind: String,
}

/// The latest reminders, newest first.
pub async fn recent(db: &Db, f: &LogFilter, limit: i64) -> Result<Vec<LogRow>, DbError> {
    db.pool()
        .fetch_all(
            "select r.id, u.name as user_name, u.email as user_email, \
                 coalesce(un.name, '') as unit, r.kind, r.channel, r.day, r.subject, r.body, \
                 r.outcome, r.error, r.created_at \
             from ack_reminders r join users u on u.id = r.user_id \
             left join units un on un.id = u.unit_id \
             where ($1 = '' or r.outcome = $1) and ($2 = '' or r.channel = $2) \
                 and ($3 = '' or r.kind = $3) \
             order by r.created_at desc, r.id desc limit $4",
            params![
                f.outcome.as_str(),
                f.channel.as_str(),
                f.kind.as_str(),
                limit
            ],
        )
        .await
}
