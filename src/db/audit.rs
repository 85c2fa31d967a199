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

/// Filters of the audit page; empty strings and `None` mean "any".
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Matches the start of the action (`user` finds `user.create`, `user.deactivate`, …).
    pub action_prefix: String,
    /// Part of the actor's label, ignoring ASCII case.
    pub actor: String,
    /// From this instant on (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Before this instant (exclusive).
    pub until: Option<DateTime<Utc>>,
}

/// `%`, `_` and `\` taken literally in a `like … escape '\'` pattern.
fn like_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

const WHERE: &str = "where ($1 = '' or action like $1 || '%' escape '\\') \
    and ($2 = '' or lower(actor_label) like '%' || lower($2) || '%' escape '\\') \
    and ($3 = false or at >= $4) and ($5 = false or at < $6)";

fn filter_params(f: &Filter) -> Vec<super::Param> {
    let epoch = DateTime::<Utc>::UNIX_EPOCH;
    // Times are bound even when unused, so each parameter has one type on both backends.
    params![
        like_literal(&f.action_prefix),
        like_literal(&f.actor),
        f.from.is_some(),
        f.from.unwrap_or(epoch),
        f.until.is_some(),
        f.until.unwrap_or(epoch)
    ]
}

/// Newest first.
pub async fn list(db: &Db, f: &Filter, limit: i64, offset: i64) -> Result<Vec<AuditRow>, DbError> {
    let mut p = filter_params(f);
    p.extend(params![limit, offset]);
    db.pool()
        .fetch_all(
            &format!(
                "select id, at, actor_label, action, target_type, target_id, target_label, \
                     detail, ip from audit_log {WHERE} order by at desc, id desc limit $7 offset $8"
            ),
            p,
        )
        .await
}

pub async fn count(db: &Db, f: &Filter) -> Result<i64, DbError> {
    db.pool()
        .fetch_i64(
            &format!("select count(*) from audit_log {WHERE}"),
            filter_params(f),
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(like_literal("a%b_c\\d"), "a\\%b\\_c\\\\d");
        assert_eq!(like_literal("user"), "user");
    }
}
