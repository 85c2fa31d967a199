//! Evidence of acknowledgment: every event of an article (confirmations and revocations, staff
//! and citizens) with who, when, which version and its text hash; and the exports made of it,
//! whose SHA-256 outlives the file (kept a day).

use chrono::{DateTime, Utc};

use super::{Db, DbError, Tx};
use crate::params;

/// How long an export's file is kept for download; its hash is kept for ever.
pub const KEPT_HOURS: i64 = 24;

/// One row of `ack_events` with the names it points to, as they are now.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Event {
    pub id: i64,
    /// `confirm` or `revoke`.
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub version: i64,
    /// The renewal round it belongs to (1 unless fixed dates opened others).
    pub round: i64,
    pub text_hash: String,
    pub user_id: Option<i64>,
    pub staff_name: Option<String>,
    pub staff_email: Option<String>,
    pub unit: Option<String>,
    pub citizen_id: Option<i64>,
    /// None once purged after the retention period (or deleted on request).
    pub citizen_name: Option<String>,
    pub locality: Option<String>,
    /// The poster place a citizen came from, when the QR code carried a known one.
    pub place: Option<String>,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub note: String,
    pub revokes_id: Option<i64>,
    pub reason: String,
}

/// Every event of the article, in the order they happened.
pub async fn events(db: &Db, article_id: i64) -> Result<Vec<Event>, DbError> {
    db.pool()
        .fetch_all(
            "select e.id, e.kind, e.created_at, e.version, e.round, e.text_hash, e.user_id, \
             u.name as staff_name, u.email as staff_email, un.name as unit, e.citizen_id, \
             c.name as citizen_name, l.name as locality, p.name as place, e.actor_id, \
             act.name as actor_name, e.note, e.revokes_id, e.reason \
             from ack_events e \
             left join places p on p.id = e.place_id \
             left join users u on u.id = e.user_id \
             left join units un on un.id = u.unit_id \
             left join citizens c on c.id = e.citizen_id \
             left join localities l on l.id = c.locality_id \
             left join users act on act.id = e.actor_id \
             where e.article_id = $1 order by e.id",
            params![article_id],
        )
        .await
}

/// An export about to be stored.
#[derive(Clone, Debug)]
pub struct NewExport<'a> {
    pub article_id: i64,
    pub format: &'a str,
    pub file_name: &'a str,
    pub sha256: &'a str,
    pub events: i64,
    pub content: &'a [u8],
    pub created_by: i64,
    pub created_by_label: &'a str,
}

/// Stores the file and its hash; returns the export's id.
pub async fn insert(tx: &mut Tx, e: &NewExport<'_>, now: DateTime<Utc>) -> Result<i64, DbError> {
    tx.fetch_i64(
        "insert into evidence_exports (article_id, format, file_name, sha256, size, events, \
         content, created_by, created_by_label, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) returning id",
        params![
            e.article_id,
            e.format,
            e.file_name,
            e.sha256,
            e.content.len() as i64,
            e.events,
            e.content.to_vec(),
            e.created_by,
            e.created_by_label,
            now
        ],
    )
    .await
}

/// An export as listed: everything but the bytes.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ExportRow {
    pub id: i64,
    pub article_id: i64,
    pub format: String,
    pub file_name: String,
    pub sha256: String,
    pub size: i64,
    pub events: i64,
    pub created_by_label: String,
    pub created_at: DateTime<Utc>,
    /// Whether the file can still be downloaded.
    pub available: bool,
}

const EXPORT: &str = "select id, article_id, format, file_name, sha256, size, events, \
    created_by_label, created_at, content is not null as available from evidence_exports";

/// The article's exports, newest first.
pub async fn exports(db: &Db, article_id: i64) -> Result<Vec<ExportRow>, DbError> {
    db.pool()
        .fetch_all(
            &format!("{EXPORT} where article_id = $1 order by id desc limit 50"),
            params![article_id],
        )
        .await
}

pub async fn export(db: &Db, article_id: i64, id: i64) -> Result<Option<ExportRow>, DbError> {
    db.pool()
        .fetch_optional(
            &format!("{EXPORT} where article_id = $1 and id = $2"),
            params![article_id, id],
        )
        .await
}

#[derive(sqlx::FromRow)]
struct Content {
    content: Vec<u8>,
}

/// The stored bytes, while they are kept.
pub async fn content(db: &Db, article_id: i64, id: i64) -> Result<Option<Vec<u8>>, DbError> {
    Ok(db
        .pool()
        .fetch_optional::<Content>(
            "select content from evidence_exports where article_id = $1 and id = $2 \
             and content is not null",
            params![article_id, id],
        )
        .await?
        .map(|c| c.content))
}

/// Drops the bytes of exports made before `cutoff` (the hashes stay); returns how many.
pub async fn expire(db: &Db, cutoff: DateTime<Utc>, now: DateTime<Utc>) -> Result<u64, DbError> {
    db.pool()
        .execute(
            "update evidence_exports set content = null, updated_at = $2 \
             where content is not null and created_at < $1",
            params![cutoff, now],
        )
        .await
}
