//! Article revisions: every save, publication and archival keeps the title, summary and body
//! as they were, with who, when and why.

use chrono::{DateTime, Utc};

use super::{Db, DbError, Tx};
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

impl<'a> NewRevision<'a> {
    /// The revision of a stored article as it now stands (after the change it records).
    pub fn of(
        row: &'a super::articles::ArticleRow,
        author: (Option<i64>, &'a str),
        reason: &'a str,
    ) -> NewRevision<'a> {
        NewRevision {
            article_id: row.id,
            article_version: row.version,
            title: &row.title,
            summary: &row.summary,
            body: &row.body,
            author_id: author.0,
            author_label: author.1,
            reason,
        }
    }
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

/// A revision as listed: everything but the texts.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RevisionInfo {
    pub id: i64,
    pub article_version: i64,
    pub author_id: Option<i64>,
    pub author_label: String,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

/// A whole revision.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RevisionRow {
    pub id: i64,
    pub article_id: i64,
    pub article_version: i64,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub author_id: Option<i64>,
    pub author_label: String,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

/// The revisions of an article, oldest first, so that position + 1 is the number people see.
pub async fn list_for_article(db: &Db, article_id: i64) -> Result<Vec<RevisionInfo>, DbError> {
    db.pool()
        .fetch_all(
            "select id, article_version, author_id, author_label, reason, created_at \
             from article_revisions where article_id = $1 order by id",
            params![article_id],
        )
        .await
}

/// One revision, only if it belongs to that article.
pub async fn find(db: &Db, article_id: i64, id: i64) -> Result<Option<RevisionRow>, DbError> {
    db.pool()
        .fetch_optional(
            "select id, article_id, article_version, title, summary, body, author_id, \
                 author_label, reason, created_at \
             from article_revisions where id = $1 and article_id = $2",
            params![id, article_id],
        )
        .await
}

/// The number people see for a revision: its place among the article's revisions, from 1.
pub async fn number(db: &Db, article_id: i64, id: i64) -> Result<i64, DbError> {
    db.pool()
        .fetch_i64(
            "select count(*) from article_revisions where article_id = $1 and id <= $2",
            params![article_id, id],
        )
        .await
}

/// Takes the article's write lock for the rest of the transaction (a row lock on PostgreSQL,
/// the database write lock on SQLite), so that the article read next cannot change before the
/// transaction's own update: a save landing in between would otherwise be silently undone. A
/// no-op update takes the lock on both databases, where `select … for update` exists only on
/// one. False when there is no such article.
pub async fn lock_article(tx: &mut Tx, article_id: i64) -> Result<bool, DbError> {
    let found = tx
        .execute(
            "update articles set version = version where id = $1",
            params![article_id],
        )
        .await?;
    Ok(found == 1)
}

/// How many revisions the article has, seen from inside a transaction (its own included).
pub async fn count_in_tx(tx: &mut Tx, article_id: i64) -> Result<i64, DbError> {
    tx.fetch_i64(
        "select count(*) from article_revisions where article_id = $1",
        params![article_id],
    )
    .await
}
