//! Article storage: writes (always re-rendering the body) and the reads of the public site.

use chrono::{DateTime, Utc};

use super::{topics, Db, DbError, Param, Tx};
use crate::article::{ArticleInput, ArticleStatus};
use crate::markdown::{self, TocEntry};
use crate::params;

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
}

impl ArticleRow {
    pub fn status(&self) -> ArticleStatus {
        // The schema's check constraint admits only the five known values.
        self.status.parse().unwrap_or(ArticleStatus::Draft)
    }

    pub fn toc(&self) -> Vec<TocEntry> {
        serde_json::from_str(&self.toc).unwrap_or_default()
    }
}

const COLUMNS: &str = "id, slug, title, summary, body, body_html, toc, word_count, \
    reading_minutes, render_version, status, featured, cover, cover_alt, publish_at, \
    unpublish_at, version, created_at, updated_at";

/// The columns the rendering pipeline fills, as parameters in column order.
fn rendered_params(body: &str) -> Vec<Param> {
    let r = markdown::render(body);
    let toc = serde_json::to_string(&r.toc).expect("a TOC always serialises");
    params![
        r.html,
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

pub async fn find_by_slug(tx: &mut Tx, slug: &str) -> Result<Option<ArticleRow>, DbError> {
    let sql = format!("select {COLUMNS} from articles where slug = $1");
    tx.fetch_optional(&sql, params![slug]).await
}

/// Inserts a new article and its topics; returns its id.
pub async fn insert(tx: &mut Tx, a: &ArticleInput, now: DateTime<Utc>) -> Result<i64, DbError> {
    let mut p = params![
        a.slug.as_str(),
        &a.title,
        &a.summary,
        &a.body,
        a.status.as_str(),
        a.featured,
        a.cover.clone(),
        a.cover_alt.clone(),
        a.publish_at,
        a.unpublish_at,
        now,
    ];
    p.extend(rendered_params(&a.body));
    let id = tx
        .fetch_i64(
            "insert into articles (slug, title, summary, body, status, featured, cover, \
                 cover_alt, publish_at, unpublish_at, created_at, updated_at, body_html, toc, \
                 word_count, reading_minutes, render_version) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14, $15, $16) \
             returning id",
            p,
        )
        .await?;
    topics::set_for_article(tx, id, &a.topics, now).await?;
    Ok(id)
}

/// Replaces every field of an article, bumps its version and re-renders it.
pub async fn update(
    tx: &mut Tx,
    id: i64,
    a: &ArticleInput,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut p = params![
        id,
        a.slug.as_str(),
        &a.title,
        &a.summary,
        &a.body,
        a.status.as_str(),
        a.featured,
        a.cover.clone(),
        a.cover_alt.clone(),
        a.publish_at,
        a.unpublish_at,
        now,
    ];
    p.extend(rendered_params(&a.body));
    tx.execute(
        "update articles set slug = $2, title = $3, summary = $4, body = $5, status = $6, \
             featured = $7, cover = $8, cover_alt = $9, publish_at = $10, unpublish_at = $11, \
             updated_at = $12, body_html = $13, toc = $14, word_count = $15, \
             reading_minutes = $16, render_version = $17, version = version + 1 \
         where id = $1",
        p,
    )
    .await?;
    topics::set_for_article(tx, id, &a.topics, now).await
}

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
        .fetch_all(
            "select id, body from articles where render_version <> $1",
            params![markdown::RENDER_VERSION],
        )
        .await?;
    for s in &stale {
        let mut p = params![s.id];
        p.extend(rendered_params(&s.body));
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

/// Every article, for export.
pub async fn all(db: &Db) -> Result<Vec<ArticleRow>, DbError> {
    let sql = format!("select {COLUMNS} from articles order by id");
    db.pool().fetch_all(&sql, vec![]).await
}

// The public site sees only published articles, newest first.

pub async fn published_by_slug(db: &Db, slug: &str) -> Result<Option<ArticleRow>, DbError> {
    let sql = format!("select {COLUMNS} from articles where slug = $1 and status = 'published' and deleted_at is null");
    db.pool().fetch_optional(&sql, params![slug]).await
}

pub async fn count_published(db: &Db) -> Result<i64, DbError> {
    db.pool()
        .fetch_i64(
            "select count(*) from articles where status = 'published' and deleted_at is null",
            vec![],
        )
        .await
}

pub async fn list_published(db: &Db, limit: i64, offset: i64) -> Result<Vec<ArticleRow>, DbError> {
    let sql = format!(
        "select {COLUMNS} from articles where status = 'published' and deleted_at is null \
         order by publish_at desc, id desc limit $1 offset $2"
    );
    db.pool().fetch_all(&sql, params![limit, offset]).await
}

pub async fn list_featured(db: &Db, limit: i64) -> Result<Vec<ArticleRow>, DbError> {
    let sql = format!(
        "select {COLUMNS} from articles where status = 'published' and deleted_at is null and featured = true \
         order by publish_at desc, id desc limit $1"
    );
    db.pool().fetch_all(&sql, params![limit]).await
}

pub async fn count_published_in_topic(db: &Db, topic_id: i64) -> Result<i64, DbError> {
    db.pool()
        .fetch_i64(
            "select count(*) from articles a join article_topics t on t.article_id = a.id \
             where t.topic_id = $1 and a.status = 'published' and a.deleted_at is null",
            params![topic_id],
        )
        .await
}

pub async fn list_published_in_topic(
    db: &Db,
    topic_id: i64,
    limit: i64,
    offset: i64,
) -> Result<Vec<ArticleRow>, DbError> {
    let columns = COLUMNS
        .split(", ")
        .map(|c| format!("a.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "select {columns} from articles a join article_topics t on t.article_id = a.id \
         where t.topic_id = $1 and a.status = 'published' and a.deleted_at is null \
         order by a.publish_at desc, a.id desc limit $2 offset $3"
    );
    db.pool()
        .fetch_all(&sql, params![topic_id, limit, offset])
        .await
}
