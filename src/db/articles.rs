//! Article storage: writes (always re-rendering the body), the reads of the public site, and the
//! queries of the admin (list, optimistic locking, status changes, slug aliases, preview links).

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::{topics, Db, DbError, Param, Tx};
use crate::article::{ArticleInput, ArticleStatus};
use crate::markdown::{self, Body, Rendered, TocEntry};
use crate::params;
use crate::slug::Slug;

pub mod admin;

/// An article as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ArticleRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub body_html: String,
    pub toc: String,
    pub word_count: i64,
    pub reading_minutes: i64,
    pub render_version: i64,
    pub status: String,
    pub featured: bool,
    pub cover: Option<String>,
    pub cover_alt: Option<String>,
    pub publish_at: Option<DateTime<Utc>>,
    pub unpublish_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub author_id: Option<i64>,
    pub meta_description: String,
    pub deleted_at: Option<DateTime<Utc>>,
    pub preview_token_hash: Option<String>,
}

impl ArticleRow {
    pub fn status(&self) -> ArticleStatus {
        // The schema's check constraint admits only the five known values.
        self.status.parse().unwrap_or(ArticleStatus::Draft)
    }

    pub fn toc(&self) -> Vec<TocEntry> {
        serde_json::from_str(&self.toc).unwrap_or_default()
    }

    /// The article as an input for [`update`], with its topic names (from
    /// [`topics::names_for_article`]) and a body rendered by the caller (this one's or another's,
    /// as a restore does); change what must change and write it back.
    pub fn to_input(&self, topics: Vec<String>, body: Body) -> ArticleInput {
        ArticleInput {
            // Stored slugs were valid when written; the fallbacks only guard hand-edited rows.
            slug: Slug::parse(&self.slug)
                .ok()
                .or_else(|| Slug::from_title(&self.slug))
                .unwrap_or_else(|| Slug::parse("bai-viet").expect("a valid slug")),
            title: self.title.clone(),
            summary: self.summary.clone(),
            body,
            topics,
            status: self.status(),
            featured: self.featured,
            cover: self.cover.clone(),
            cover_alt: self.cover_alt.clone(),
            publish_at: self.publish_at,
            unpublish_at: self.unpublish_at,
            meta_description: self.meta_description.clone(),
        }
    }
}

const COLUMNS: &str = "id, slug, title, summary, body, body_html, toc, word_count, \
    reading_minutes, render_version, status, featured, cover, cover_alt, publish_at, \
    unpublish_at, version, created_at, updated_at, author_id, meta_description, deleted_at, \
    preview_token_hash";

/// The columns the rendering pipeline fills, as parameters in column order.
fn rendered_params(r: &Rendered) -> Vec<Param> {
    let toc = serde_json::to_string(&r.toc).expect("a TOC always serialises");
    params![
        &r.html,
        toc,
        r.word_count as i64,
        r.reading_minutes as i64,
        markdown::RENDER_VERSION
    ]
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<ArticleRow>, DbError> {
    let sql = format!("select {COLUMNS} from articles where id = $1");
    db.pool().fetch_optional(&sql, params![id]).await
}

/// Many articles in one query, in the order of `ids` (the ranked page of a search); ids that
/// name no article are skipped.
pub async fn by_ids(db: &Db, ids: &[i64]) -> Result<Vec<ArticleRow>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "select {COLUMNS} from articles where id in ({})",
        super::placeholders(ids.len())
    );
    let params = ids.iter().map(|&i| Param::I64(i)).collect();
    let mut rows: Vec<ArticleRow> = db.pool().fetch_all(&sql, params).await?;
    rows.sort_by_key(|r| ids.iter().position(|&i| i == r.id));
    Ok(rows)
}

pub async fn find_by_slug(tx: &mut Tx, slug: &str) -> Result<Option<ArticleRow>, DbError> {
    let sql = format!("select {COLUMNS} from articles where slug = $1");
    tx.fetch_optional(&sql, params![slug]).await
}

/// Inserts a new article and its topics; returns its id.
pub async fn insert(tx: &mut Tx, a: &ArticleInput, now: DateTime<Utc>) -> Result<i64, DbError> {
    insert_authored(tx, a, None, now).await
}

/// Inserts a new article written by `author_id` (the editor's case); returns its id.
pub async fn insert_authored(
    tx: &mut Tx,
    a: &ArticleInput,
    author_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    let mut p = field_params(a, now);
    p.extend(params![&a.meta_description, author_id]);
    let id = tx
        .fetch_i64(
            "insert into articles (slug, title, summary, body, status, featured, cover, \
                 cover_alt, publish_at, unpublish_at, created_at, updated_at, body_html, toc, \
                 word_count, reading_minutes, render_version, meta_description, author_id) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14, $15, $16, \
                 $17, $18) \
             returning id",
            p,
        )
        .await?;
    topics::set_for_article(tx, id, &a.topics, now).await?;
    super::search::index_article(tx, id).await?;
    Ok(id)
}

/// Replaces every field of an article, bumps its version and re-renders it.
pub async fn update(
    tx: &mut Tx,
    id: i64,
    a: &ArticleInput,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx.execute(
        &format!("{UPDATE} where id = $1"),
        update_params(id, a, now),
    )
    .await?;
    topics::set_for_article(tx, id, &a.topics, now).await?;
    super::search::index_article(tx, id).await
}

/// [`update`], but only if the stored version is still `version` and the article is not deleted:
/// the check and the write are one statement, so two saves cannot both win. Returns the new
/// version, or `None` when nothing was written (someone saved in between, or it was deleted).
pub async fn update_if_version(
    tx: &mut Tx,
    id: i64,
    version: i64,
    a: &ArticleInput,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbError> {
    let mut p = update_params(id, a, now);
    p.push(Param::I64(version));
    let written = tx
        .fetch_optional::<Version>(
            &format!(
                "{UPDATE} where id = $1 and version = $19 and deleted_at is null \
                 returning version"
            ),
            p,
        )
        .await?;
    if written.is_some() {
        topics::set_for_article(tx, id, &a.topics, now).await?;
        super::search::index_article(tx, id).await?;
    }
    Ok(written.map(|v| v.version))
}

const UPDATE: &str = "update articles set slug = $2, title = $3, summary = $4, body = $5, \
    status = $6, featured = $7, cover = $8, cover_alt = $9, publish_at = $10, \
    unpublish_at = $11, updated_at = $12, body_html = $13, toc = $14, word_count = $15, \
    reading_minutes = $16, render_version = $17, meta_description = $18, version = version + 1";

fn update_params(id: i64, a: &ArticleInput, now: DateTime<Utc>) -> Vec<Param> {
    let mut p = params![id];
    p.extend(field_params(a, now));
    p.push(Param::Text(a.meta_description.clone()));
    p
}

/// The fields an insert and an update both write, in column order: slug … publication times,
/// `now` (the write's time), then the rendered columns.
fn field_params(a: &ArticleInput, now: DateTime<Utc>) -> Vec<Param> {
    let mut p = params![
        a.slug.as_str(),
        &a.title,
        &a.summary,
        a.body.source(),
        a.status.as_str(),
        a.featured,
        a.cover.clone(),
        a.cover_alt.clone(),
        a.publish_at,
        a.unpublish_at,
        now,
    ];
    p.extend(rendered_params(a.body.rendered()));
    p
}

#[derive(sqlx::FromRow)]
struct Version {
    version: i64,
}

/// The articles rendered by another pipeline version than `$1`, asked at every start: `<` or `>`
/// rather than `<>`, so that both databases answer from `articles_by_render_version`.
pub const STALE_RENDERS: &str =
    "select id, body from articles where render_version < $1 or render_version > $1";

/// Re-renders every article stored by an older pipeline. The source did not change, so neither
/// do `version` nor `updated_at`.
pub async fn refresh_stale_renders(db: &Db) -> Result<usize, DbError> {
    #[derive(sqlx::FromRow)]
    struct Source {
        id: i64,
        body: String,
    }
    let stale: Vec<Source> = db
        .pool()
        .fetch_all(STALE_RENDERS, params![markdown::RENDER_VERSION])
        .await?;
    for s in stale.iter() {
        // Stored bodies may predate the limits: rendered as they are, off the async workers.
        let rendered = markdown::render_off_thread(s.body.clone()).await;
        let mut p = params![s.id];
        p.extend(rendered_params(&rendered));
        db.pool()
            .execute(
                "update articles set body_html = $2, toc = $3, word_count = $4, \
                     reading_minutes = $5, render_version = $6 where id = $1",
                p,
            )
            .await?;
    }
    Ok(stale.len())
}

pub async fn count_all(db: &Db) -> Result<i64, DbError> {
    db.pool()
        .fetch_i64("select count(*) from articles", vec![])
        .await
}

/// Every article that is not deleted, for export (a deleted one must not come back through an
/// export → import round trip).
pub async fn all(db: &Db) -> Result<Vec<ArticleRow>, DbError> {
    let sql = format!("select {COLUMNS} from articles where deleted_at is null order by id");
    db.pool().fetch_all(&sql, vec![]).await
}

// The public site sees only published articles, newest first. Each list reads the columns its
// page shows (`Card`), through the indexes of migration 0008: the count and the order come from
// the index, and only the rows of the page are read. The SQL is public so that
// tests/it/query_plans.rs checks the plans of exactly what runs.

pub async fn published_by_slug(db: &Db, slug: &str) -> Result<Option<ArticleRow>, DbError> {
    let sql = format!("select {COLUMNS} from articles where slug = $1 and status = 'published' and deleted_at is null");
    db.pool().fetch_optional(&sql, params![slug]).await
}

/// What a list of articles shows (a card on the home and topic pages, an entry of a feed):
/// never the body.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Card {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub meta_description: String,
    pub reading_minutes: i64,
    pub cover: Option<String>,
    pub cover_alt: Option<String>,
    pub publish_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The columns of [`Card`], for a query whose articles table is `a`.
const CARD: &str = "a.id, a.slug, a.title, a.summary, a.meta_description, a.reading_minutes, \
    a.cover, a.cover_alt, a.publish_at, a.created_at, a.updated_at";

/// The live articles: published and not deleted. Written the same way everywhere, so that the
/// planners match it against the indexes (a partial index on PostgreSQL).
const LIVE: &str = "a.status = 'published' and a.deleted_at is null";

/// The home page's count (`$1`: nothing).
pub const COUNT_PUBLISHED: &str =
    "select count(*) from articles a where a.status = 'published' and a.deleted_at is null";

/// The home page's list: `$1` limit, `$2` offset.
pub fn list_published_sql() -> String {
    format!(
        "select {CARD} from articles a where {LIVE} \
         order by a.publish_at desc, a.id desc limit $1 offset $2"
    )
}

/// The home page's featured articles: `$1` limit.
pub fn list_featured_sql() -> String {
    format!(
        "select {CARD} from articles a where {LIVE} and a.featured = true \
         order by a.publish_at desc, a.id desc limit $1"
    )
}

/// Articles of topic `$1`, as a membership test: the live articles are read in page order from
/// the index and each is probed in `article_topics`, so no article row is read to be counted
/// or sorted.
const IN_TOPIC: &str = "a.id in (select t.article_id from article_topics t where t.topic_id = $1)";

/// A topic page's count: `$1` topic id.
pub fn count_in_topic_sql() -> String {
    format!("select count(*) from articles a where {LIVE} and {IN_TOPIC}")
}

/// A topic page's list: `$1` topic id, `$2` limit, `$3` offset.
pub fn list_in_topic_sql() -> String {
    format!(
        "select {CARD} from articles a where {LIVE} and {IN_TOPIC} \
         order by a.publish_at desc, a.id desc limit $2 offset $3"
    )
}

pub async fn count_published(db: &Db) -> Result<i64, DbError> {
    db.pool().fetch_i64(COUNT_PUBLISHED, vec![]).await
}

pub async fn list_published(db: &Db, limit: i64, offset: i64) -> Result<Vec<Card>, DbError> {
    db.pool()
        .fetch_all(&list_published_sql(), params![limit, offset])
        .await
}

pub async fn list_featured(db: &Db, limit: i64) -> Result<Vec<Card>, DbError> {
    db.pool()
        .fetch_all(&list_featured_sql(), params![limit])
        .await
}

pub async fn count_published_in_topic(db: &Db, topic_id: i64) -> Result<i64, DbError> {
    db.pool()
        .fetch_i64(&count_in_topic_sql(), params![topic_id])
        .await
}

pub async fn list_published_in_topic(
    db: &Db,
    topic_id: i64,
    limit: i64,
    offset: i64,
) -> Result<Vec<Card>, DbError> {
    db.pool()
        .fetch_all(&list_in_topic_sql(), params![topic_id, limit, offset])
        .await
}

// The admin's reads and the writes of single actions.

pub async fn by_id_tx(tx: &mut Tx, id: i64) -> Result<Option<ArticleRow>, DbError> {
    let sql = format!("select {COLUMNS} from articles where id = $1");
    tx.fetch_optional(&sql, params![id]).await
}

/// Changes the status (and the publication time) of a live article and bumps its version.
/// Returns the new version, or `None` when the article is deleted or missing.
pub async fn set_status(
    tx: &mut Tx,
    id: i64,
    status: ArticleStatus,
    publish_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbError> {
    let v = tx
        .fetch_optional::<Version>(
            "update articles set status = $2, publish_at = $3, updated_at = $4, \
                 version = version + 1 \
             where id = $1 and deleted_at is null returning version",
            params![id, status.as_str(), publish_at, now],
        )
        .await?;
    if status == ArticleStatus::Archived {
        // An archived article's secret link ends for good: unarchiving does not revive it.
        tx.execute(
            "update articles set preview_token_hash = null, preview_expires_at = null \
             where id = $1",
            params![id],
        )
        .await?;
    }
    Ok(v.map(|v| v.version))
}

/// Deletes (a time) or restores (`None`) an article; true when something changed. A deleted
/// article also loses its preview link.
pub async fn set_deleted(
    tx: &mut Tx,
    id: i64,
    deleted_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let sql = if deleted_at.is_some() {
        "update articles set deleted_at = $2, preview_token_hash = null, \
         preview_expires_at = null, updated_at = $3 \
         where id = $1 and deleted_at is null"
    } else {
        "update articles set deleted_at = $2, updated_at = $3 \
         where id = $1 and deleted_at is not null"
    };
    Ok(tx.execute(sql, params![id, deleted_at, now]).await? == 1)
}

/// Sets (the SHA-256 of a new token, and when it stops working) or clears the secret preview
/// link of a live article.
pub async fn set_preview_token_hash(
    tx: &mut Tx,
    id: i64,
    link: Option<(String, DateTime<Utc>)>,
) -> Result<bool, DbError> {
    let (hash, expires_at) = link.unzip();
    let n = tx
        .execute(
            "update articles set preview_token_hash = $2, preview_expires_at = $3 \
             where id = $1 and deleted_at is null",
            params![id, hash, expires_at],
        )
        .await?;
    Ok(n == 1)
}

/// The article a preview link opens: live, not archived, and the link not expired at `now`.
pub async fn by_preview_token_hash(
    db: &Db,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<ArticleRow>, DbError> {
    let sql = format!(
        "select {COLUMNS} from articles where preview_token_hash = $1 and deleted_at is null \
         and status <> 'archived' and preview_expires_at > $2"
    );
    db.pool().fetch_optional(&sql, params![hash, now]).await
}

// Slugs and their aliases.

#[derive(sqlx::FromRow)]
struct SlugRow {
    slug: String,
}

/// The slugs of the form `base` or `base-…` that the article `except` may not take: other
/// articles' slugs and other articles' old slugs.
pub async fn taken_slugs(
    tx: &mut Tx,
    base: &str,
    except: Option<i64>,
) -> Result<HashSet<String>, DbError> {
    let rows: Vec<SlugRow> = tx
        .fetch_all(
            "select slug from articles where ($1 = 0 or id <> $1) \
                 and (slug = $2 or slug like $2 || '-%') \
             union select slug from slug_aliases where ($1 = 0 or article_id <> $1) \
                 and (slug = $2 or slug like $2 || '-%')",
            params![except.unwrap_or(0), base],
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.slug).collect())
}

/// Records a rename: `old` becomes an alias of the article, and an alias equal to the new slug
/// (a rename back) is dropped, since the slug itself now answers.
pub async fn record_rename(
    tx: &mut Tx,
    article_id: i64,
    old: &str,
    new: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    set_alias(tx, old, article_id, now).await?;
    tx.execute("delete from slug_aliases where slug = $1", params![new])
        .await?;
    Ok(())
}

/// Makes `slug` an old address of the article, taking it from another article if it had it.
pub async fn set_alias(
    tx: &mut Tx,
    slug: &str,
    article_id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx.execute(
        "insert into slug_aliases (slug, article_id, created_at) values ($1, $2, $3) \
         on conflict (slug) do update set article_id = excluded.article_id, \
             created_at = excluded.created_at",
        params![slug, article_id, now],
    )
    .await?;
    Ok(())
}

/// The old slugs of an article, sorted.
pub async fn aliases_of(tx: &mut Tx, article_id: i64) -> Result<Vec<String>, DbError> {
    let rows: Vec<SlugRow> = tx
        .fetch_all(
            "select slug from slug_aliases where article_id = $1 order by slug",
            params![article_id],
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.slug).collect())
}

/// The current slug of the published article that once had `slug`, for a 301.
pub async fn alias_target(db: &Db, slug: &str) -> Result<Option<String>, DbError> {
    let row: Option<SlugRow> = db
        .pool()
        .fetch_optional(
            "select a.slug from slug_aliases s join articles a on a.id = s.article_id \
             where s.slug = $1 and a.status = 'published' and a.deleted_at is null",
            params![slug],
        )
        .await?;
    Ok(row.map(|r| r.slug))
}

/// The latest change of any article, deleted or not (every write sets `updated_at`), or `None`
/// when there is none: what a feed's `Last-Modified` follows, so that an article leaving the
/// feed also changes it.
pub async fn last_change(db: &Db) -> Result<Option<DateTime<Utc>>, DbError> {
    #[derive(sqlx::FromRow)]
    struct Latest {
        at: Option<DateTime<Utc>>,
    }
    let row: Option<Latest> = db
        .pool()
        .fetch_optional("select max(updated_at) as at from articles", vec![])
        .await?;
    Ok(row.and_then(|r| r.at))
}
