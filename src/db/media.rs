//! The media library's rows: uploaded images (their files live under LOA_DATA_DIR/media).

use chrono::{DateTime, Utc};

use super::{Db, DbError, Tx};
use crate::params;

/// The stored file of one image and what describes it: what an upload writes and a row reads back.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MediaFile {
    pub stored_name: String,
    pub original_name: String,
    pub content_type: String,
    pub width: i64,
    pub height: i64,
    pub size_bytes: i64,
    pub alt: String,
}

/// One image, with the uploader's current name.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MediaRow {
    pub id: i64,
    #[sqlx(flatten)]
    pub file: MediaFile,
    pub uploaded_by: Option<i64>,
    pub uploader_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What an upload adds.
#[derive(Clone, Debug)]
pub struct NewMedia {
    pub file: MediaFile,
    pub uploaded_by: i64,
}

const SELECT: &str = "select m.id, m.stored_name, m.original_name, m.content_type, m.width, \
    m.height, m.size_bytes, m.alt, m.uploaded_by, u.name as uploader_name, m.created_at, \
    m.updated_at from media m left join users u on u.id = m.uploaded_by";

/// Inserts the row of an image whose files are already written; returns its id.
pub async fn insert(tx: &mut Tx, m: &NewMedia, now: DateTime<Utc>) -> Result<i64, DbError> {
    let f = &m.file;
    tx.fetch_i64(
        "insert into media (stored_name, original_name, content_type, width, height, size_bytes, \
         alt, uploaded_by, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) returning id",
        params![
            f.stored_name.as_str(),
            f.original_name.as_str(),
            f.content_type.as_str(),
            f.width,
            f.height,
            f.size_bytes,
            f.alt.as_str(),
            m.uploaded_by,
            now
        ],
    )
    .await
}

/// The newest images first.
pub async fn list(db: &Db, limit: i64, offset: i64) -> Result<Vec<MediaRow>, DbError> {
    db.pool()
        .fetch_all(
            &format!("{SELECT} order by m.id desc limit $1 offset $2"),
            params![limit, offset],
        )
        .await
}

pub async fn count(db: &Db) -> Result<i64, DbError> {
    db.pool()
        .fetch_i64("select count(*) from media", vec![])
        .await
}

pub async fn find(db: &Db, id: i64) -> Result<Option<MediaRow>, DbError> {
    db.pool()
        .fetch_optional(&format!("{SELECT} where m.id = $1"), params![id])
        .await
}

/// Sets the alt text, inside the transaction that audits it.
pub async fn set_alt(tx: &mut Tx, id: i64, alt: &str, now: DateTime<Utc>) -> Result<u64, DbError> {
    tx.execute(
        "update media set alt = $1, updated_at = $2 where id = $3",
        params![alt, now, id],
    )
    .await
}

/// Removes the row; the caller removes the files once the transaction has committed.
pub async fn delete(tx: &mut Tx, id: i64) -> Result<u64, DbError> {
    tx.execute("delete from media where id = $1", params![id])
        .await
}

/// An article that shows an image.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UsingArticle {
    pub id: i64,
    pub slug: String,
    pub title: String,
}

/// Articles (not deleted) whose body or cover refers to the image, so that deleting it does not
/// silently break a page.
pub async fn used_by(db: &Db, stored_name: &str) -> Result<Vec<UsingArticle>, DbError> {
    // Random hex names contain no LIKE wildcards, so the name can go in the pattern as it is.
    db.pool()
        .fetch_all(
            "select id, slug, title from articles where deleted_at is null \
             and (body like '%' || $1 || '%' or coalesce(cover, '') like '%' || $1 || '%') \
             order by id",
            params![stored_name],
        )
        .await
}
