//! Publication on time: scheduled articles go live when due, and articles past their
//! `unpublish_at` are archived.
//!
//! The step is driven by an explicit `now`, so tests inject the clock. Each article is claimed by
//! one conditional update — only an article still `scheduled` and due (or still `published` and
//! expired) changes — so however many instances run the step at once against one database, each
//! article changes once, with one revision and one audit entry written in the same transaction.

use chrono::{DateTime, Utc};

use crate::db::revisions::{self, NewRevision};
use crate::db::{ack_settings, articles, audit, page_generation, Db, DbError};
use crate::params;

/// The label of what the scheduler does, in the audit log and revisions.
pub const SYSTEM: &str = "hệ thống";

/// What one step changed, by article id.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DueReport {
    pub published: Vec<i64>,
    pub archived: Vec<i64>,
}

impl DueReport {
    pub fn items(&self) -> usize {
        self.published.len() + self.archived.len()
    }
}

#[derive(sqlx::FromRow)]
struct Id {
    id: i64,
}

#[derive(sqlx::FromRow)]
struct Due {
    id: i64,
    publish_at: DateTime<Utc>,
}

/// Publishes everything due and archives everything expired at `now`.
pub async fn run_due(db: &Db, now: DateTime<Utc>) -> Result<DueReport, DbError> {
    let mut report = DueReport::default();
    let due: Vec<Due> = db
        .pool()
        .fetch_all(
            "select id, publish_at from articles where status = 'scheduled' and publish_at <= $1 \
             and deleted_at is null order by publish_at, id",
            params![now],
        )
        .await?;
    for Due { id, publish_at } in due {
        if claim_publication(db, id, now).await? {
            crate::metrics::published((now - publish_at).to_std().unwrap_or_default());
            report.published.push(id);
        }
    }
    let expired: Vec<Id> = db
        .pool()
        .fetch_all(
            "select id from articles where status = 'published' and unpublish_at is not null \
             and unpublish_at <= $1 and deleted_at is null order by unpublish_at, id",
            params![now],
        )
        .await?;
    for Id { id } in expired {
        if claim_expiry(db, id, now).await? {
            crate::metrics::archived();
            report.archived.push(id);
        }
    }
    if report.items() > 0 {
        // Every instance's page cache drops its pages, this process's before this returns
        // (`http::page_cache`). The articles changed already; should the announcement fail, the
        // pages' lifetime still bounds how long they show the old state.
        let change = page_generation::Change::Everything;
        if let Err(e) = page_generation::bump_now(db, &change, "scheduler").await {
            tracing::warn!(error = %crate::error::error_chain(&e), "could not announce a publication to the page caches");
        }
    }
    Ok(report)
}

/// Publishes one scheduled article if it is still scheduled and due; false when another
/// instance (or an editor) got there first.
pub async fn claim_publication(db: &Db, id: i64, now: DateTime<Utc>) -> Result<bool, DbError> {
    // The update comes first in the transaction, so SQLite takes its write lock at once (and
    // waits its busy timeout for another instance) instead of failing on a lock upgrade.
    transition(
        db,
        id,
        now,
        "update articles set status = 'published', version = version + 1, updated_at = $2 \
         where id = $1 and status = 'scheduled' and publish_at <= $2 and deleted_at is null",
        Change {
            opens_acks: true,
            action: "article.publish",
            reason: "Xuất bản theo lịch",
            detail: "tự động theo lịch",
        },
    )
    .await
}

/// Archives one published article whose `unpublish_at` has come.
pub async fn claim_expiry(db: &Db, id: i64, now: DateTime<Utc>) -> Result<bool, DbError> {
    transition(
        db,
        id,
        now,
        "update articles set status = 'archived', version = version + 1, updated_at = $2 \
         where id = $1 and status = 'published' and unpublish_at is not null \
         and unpublish_at <= $2 and deleted_at is null",
        Change {
            opens_acks: false,
            action: "article.archive",
            reason: "Lưu trữ khi hết thời hạn đăng",
            detail: "tự động khi hết thời hạn đăng",
        },
    )
    .await
}

struct Change {
    /// A publication opens acknowledgments: the text people will confirm is stored now.
    opens_acks: bool,
    action: &'static str,
    reason: &'static str,
    detail: &'static str,
}

async fn transition(
    db: &Db,
    id: i64,
    now: DateTime<Utc>,
    claim_sql: &str,
    change: Change,
) -> Result<bool, DbError> {
    let mut tx = db.begin().await?;
    if tx.execute(claim_sql, params![id, now]).await? == 0 {
        return Ok(false);
    }
    let row = articles::by_id_tx(&mut tx, id)
        .await?
        .ok_or(DbError::RowNotFound)?;
    let revision = NewRevision::of(&row, (None, SYSTEM), change.reason);
    revisions::record(&mut tx, &revision, now).await?;
    if change.opens_acks {
        ack_settings::ensure_version(&mut tx, id, None, now).await?;
    }
    let entry = audit::Entry {
        actor_label: SYSTEM.to_owned(),
        action: change.action,
        target_type: "article",
        target_id: Some(id),
        target_label: row.title.clone(),
        detail: change.detail.to_owned(),
        ..Default::default()
    };
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(true)
}
