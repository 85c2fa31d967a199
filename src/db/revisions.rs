//! Article revisions: every save, publication and archival keeps the title, summary and body
//! as they were, with who, when and why.

use chrono::{DateTime, Utc};

use super::{DbError, Tx};
use crate::params;

/// What a revision records; `reason` says why ("Lưu", "Xuất bản", "Lưu trữ", "Khôi phục phiên bản 3", …).
#[derive(Clone, Debug)]
pub struct NewRevision<'a> {
    pub article_id: i64,
    pub article_version: i64,
    pub title: &'a str,
    pub summary: &'a str,
    pub body: &'a str,
    pub author_id: Option<i64>,
    pub author_label: &'a str,
    pub reason: &'a str,
}

/// Appends a revision, inside the transaction of the change it records.
pub async fn record(tx: &mut Tx, r: &NewRevision<'_>, now: DateTime<Utc>) -> Result<i64, DbError> {
    tx.fetch_i64(
        "insert into article_revisions (article_id, article_version, title, summary, body, \
             author_id, author_label, reason, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id",
        params![
            r.article_id,
            r.article_version,
            r.title,
            r.summary,
            r.body,
            r.author_id,
            r.author_label,
            r.reason,
            now
        ],
    )
    .await
}
