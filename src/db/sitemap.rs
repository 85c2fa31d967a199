//! The sitemap's reads: the blocks of live articles (`/sitemap.xml`, the index), one block's
//! addresses (`/sitemap-bai-viet-N.xml`), and the topics and public campaigns
//! (`/sitemap-trang.xml`). Each reads an index, never an article's row; the SQL is public for
//! the plan test (`db::plans`).
//!
//! An article's file is fixed by its id: block N holds the live articles with ids from
//! `(N - 1) × PART` to `N × PART - 1`. Ids only grow, so a new article lands in the last file and
//! an old one never moves: a crawler re-reads only the files whose `lastmod` moved.

use chrono::{DateTime, Utc};

use super::{Db, DbError};
use crate::params;

/// Articles per file: well under the protocol's 50,000 URLs, and small enough (about 150 kB)
/// for the page cache to keep every file.
pub const PART: i64 = 1000;

/// A page of the sitemap: where it is and when it last changed.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Located {
    pub slug: String,
    pub lastmod: DateTime<Utc>,
}

/// A file of articles that has at least one: its number and its newest change.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Part {
    pub number: i64,
    pub lastmod: DateTime<Utc>,
}

/// The live articles' blocks of ids, each with its newest change, in order.
pub fn parts_sql() -> String {
    format!(
        "select a.id / {PART} + 1 as number, max(a.updated_at) as lastmod from articles a \
         where a.status = 'published' and a.deleted_at is null \
         group by a.id / {PART} order by number"
    )
}

/// One block's live articles in id order: `$1` first id, `$2` the first id after the block.
pub const PART_ARTICLES: &str = "select a.slug, a.updated_at as lastmod from articles a \
    where a.status = 'published' and a.deleted_at is null and a.id >= $1 and a.id < $2 \
    order by a.id";

/// The topics with a live article, with its newest change: `$1` limit.
pub const TOPICS: &str = "select t.slug, max(a.updated_at) as lastmod from topics t \
    join article_topics at on at.topic_id = t.id \
    join articles a on a.id = at.article_id \
    where a.status = 'published' and a.deleted_at is null \
    group by t.id, t.slug order by t.slug limit $1";

/// The public campaigns with their last change: `$1` limit.
pub const CAMPAIGNS: &str = "select c.slug, c.updated_at as lastmod from campaigns c \
    where c.is_public order by c.slug limit $1";

/// Every file of articles with something in it.
pub async fn parts(db: &Db) -> Result<Vec<Part>, DbError> {
    db.pool().fetch_all(&parts_sql(), params![]).await
}

/// The live articles of file `number` (from 1), in id order; empty when it has none.
pub async fn part(db: &Db, number: i64) -> Result<Vec<Located>, DbError> {
    let first = (number - 1).saturating_mul(PART);
    let after = number.saturating_mul(PART);
    db.pool()
        .fetch_all(PART_ARTICLES, params![first, after])
        .await
}

/// The topics with a live article, with their newest change, at most `limit`.
pub async fn topics(db: &Db, limit: i64) -> Result<Vec<Located>, DbError> {
    db.pool().fetch_all(TOPICS, params![limit]).await
}

/// The public campaigns, at most `limit`.
pub async fn campaigns(db: &Db, limit: i64) -> Result<Vec<Located>, DbError> {
    db.pool().fetch_all(CAMPAIGNS, params![limit]).await
}
