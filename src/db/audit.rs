//! The audit log: append-only records of who did what, when, and from which address.

use chrono::{DateTime, Utc};

use super::{Db, DbError, Tx};
use crate::params;

/// One thing that happened.
#[derive(Clone, Debug, Default)]
pub struct Entry {
    pub actor_id: Option<i64>,
    /// The actor's e-mail at the time, or "hệ thống" for the system itself.
    pub actor_label: String,
    /// A dotted name: `sign_in.success`, `article.publish`, `user.deactivate`, …
    pub action: &'static str,
    pub target_type: &'static str,
    pub target_id: Option<i64>,
    pub target_label: String,
    pub detail: String,
    pub ip: String,
}

const INSERT: &str = "insert into audit_log (at, actor_id, actor_label, action, target_type, \
    target_id, target_label, detail, ip) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

fn params_of(e: &Entry, now: DateTime<Utc>) -> Vec<super::Param> {
    params![
        now,
        e.actor_id,
        e.actor_label.as_str(),
        e.action,
        e.target_type,
        e.target_id,
        e.target_label.as_str(),
        e.detail.as_str(),
        e.ip.as_str()
    ]
}

/// Records inside a transaction, so the entry exists if and only if the change does.
pub async fn record(tx: &mut Tx, e: &Entry, now: DateTime<Utc>) -> Result<(), DbError> {
    tx.execute(INSERT, params_of(e, now)).await.map(|_| ())
}

/// Records on its own (for events that change nothing else, such as a failed sign-in).
pub async fn record_now(db: &Db, e: &Entry, now: DateTime<Utc>) -> Result<(), DbError> {
    db.pool()
        .execute(INSERT, params_of(e, now))
        .await
        .map(|_| ())
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_label: String,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<i64>,
    pub target_label: String,
    pub detail: String,
    pub ip: String,
}

/// Filters of the audit page; empty strings mean "any".
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub action_prefix: String,
    pub actor: String,
}

pub async fn list(db: &Db, f: &Filter, limit: i64, offset: i64) -> Result<Vec<AuditRow>, DbError> {
    db.pool()
        .fetch_all(
            "select id, at, actor_label, action, target_type, target_id, target_label, detail, ip \
             from audit_log where ($1 = '' or action like $1 || '%') \
             and ($2 = '' or actor_label like '%' || $2 || '%') \
             order by id desc limit $3 offset $4",
            params![f.action_prefix.as_str(), f.actor.as_str(), limit, offset],
        )
        .await
}

pub async fn count(db: &Db, f: &Filter) -> Result<i64, DbError> {
    db.pool()
        .fetch_i64(
            "select count(*) from audit_log where ($1 = '' or action like $1 || '%') \
             and ($2 = '' or actor_label like '%' || $2 || '%')",
            params![f.action_prefix.as_str(), f.actor.as_str()],
        )
        .await
}
