//! The admin's reads of articles: the filtered list of `/admin/bai-viet`, the choices of its
//! filters, and who changed an article last (for the conflict page).

use chrono::{DateTime, Utc};

use crate::article::ArticleStatus;
use crate::db::{Db, DbError, Param};
use crate::params;

/// Live articles per status, in one grouped query (the dashboard's counts); a status with no
/// article is absent.
pub async fn counts_by_status(db: &Db) -> Result<Vec<(ArticleStatus, i64)>, DbError> {
    #[derive(sqlx::FromRow)]
    struct Count {
        status: String,
        n: i64,
    }
    let rows: Vec<Count> = db
        .pool()
        .fetch_all(
            "select status, count(*) as n from articles where deleted_at is null group by status",
            vec![],
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| Some((r.status.parse::<ArticleStatus>().ok()?, r.n)))
        .collect())
}

/// Filters of `/admin/bai-viet`; `None`/empty mean "any".
#[derive(Clone, Debug, Default)]
pub struct AdminFilter {
    pub status: Option<ArticleStatus>,
    /// The deleted articles instead of the live ones.
    pub deleted: bool,
    pub topic_slug: String,
    pub author_id: Option<i64>,
    /// Part of the title.
    pub query: String,
}

/// One line of the admin list.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AdminListRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub status: String,
    pub featured: bool,
    pub author_id: Option<i64>,
    pub author_name: Option<String>,
    pub publish_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

const ADMIN_WHERE: &str = "((a.deleted_at is not null) = $1) \
    and ($2 = '' or a.status = $2) \
    and ($3 = '' or exists (select 1 from article_topics at join topics t on t.id = at.topic_id \
        where at.article_id = a.id and t.slug = $3)) \
    and ($4 = 0 or a.author_id = $4) \
    and ($5 = '' or lower(a.title) like '%' || lower($5) || '%' escape '!')";

fn admin_params(f: &AdminFilter) -> Vec<Param> {
    // `like` treats % and _ as wildcards; people searching for them mean the characters.
    let query = f
        .query
        .replace('!', "!!")
        .replace('%', "!%")
        .replace('_', "!_");
    params![
        f.deleted,
        f.status.map(|s| s.as_str()).unwrap_or_default(),
        f.topic_slug.as_str(),
        f.author_id.unwrap_or(0),
        query
    ]
}

pub async fn admin_count(db: &Db, f: &AdminFilter) -> Result<i64, DbError> {
    let sql = format!("select count(*) from articles a where {ADMIN_WHERE}");
    db.pool().fetch_i64(&sql, admin_params(f)).await
}

/// Most recently changed (or deleted) first.
pub async fn admin_list(
    db: &Db,
    f: &AdminFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<AdminListRow>, DbError> {
    let sql = format!(
        "select a.id, a.slug, a.title, a.status, a.featured, a.author_id, u.name as author_name, \
             a.publish_at, a.updated_at, a.deleted_at \
         from articles a left join users u on u.id = a.author_id \
         where {ADMIN_WHERE} \
         order by coalesce(a.deleted_at, a.updated_at) desc, a.id desc limit $6 offset $7"
    );
    let mut p = admin_params(f);
    p.extend(params![limit, offset]);
    db.pool().fetch_all(&sql, p).await
}

/// An (id, name) pair for the filters' choices.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Choice {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// The accounts that wrote at least one article, by name.
pub async fn author_choices(db: &Db) -> Result<Vec<Choice>, DbError> {
    db.pool()
        .fetch_all(
            "select u.id, '' as slug, u.name from users u \
             where exists (select 1 from articles a where a.author_id = u.id) order by u.name",
            vec![],
        )
        .await
}

/// Every topic, by name.
pub async fn topic_choices(db: &Db) -> Result<Vec<Choice>, DbError> {
    db.pool()
        .fetch_all("select id, slug, name from topics order by name", vec![])
        .await
}

/// The name of an account, for "written by".
pub async fn user_name(db: &Db, id: i64) -> Result<Option<String>, DbError> {
    #[derive(sqlx::FromRow)]
    struct Name {
        name: String,
    }
    let row: Option<Name> = db
        .pool()
        .fetch_optional("select name from users where id = $1", params![id])
        .await?;
    Ok(row.map(|r| r.name))
}

/// Who wrote the latest revision of an article, and when.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct LastChange {
    pub author_label: String,
    pub created_at: DateTime<Utc>,
}

pub async fn last_change(db: &Db, article_id: i64) -> Result<Option<LastChange>, DbError> {
    db.pool()
        .fetch_optional(
            "select author_label, created_at from article_revisions where article_id = $1 \
             order by id desc limit 1",
            params![article_id],
        )
        .await
}

/// An article at the time something happens to it (the calendar).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TimedRow {
    pub id: i64,
    pub title: String,
    pub status: String,
    pub author_id: Option<i64>,
    pub at: DateTime<Utc>,
}

/// What the calendar lists: a scheduled publication, or an end (of a published article, and of
/// a scheduled one: it ends after it goes live).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timing {
    Publication,
    End,
}

/// The articles, not deleted, with a [`Timing`] in `[from, to)`, in time order, at most `limit`.
pub async fn timed_between(
    db: &Db,
    timing: Timing,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<TimedRow>, DbError> {
    let (column, statuses) = match timing {
        Timing::Publication => ("publish_at", "'scheduled'"),
        Timing::End => ("unpublish_at", "'published', 'scheduled'"),
    };
    let sql = format!(
        "select id, title, status, author_id, {column} as at from articles \
         where status in ({statuses}) and deleted_at is null \
         and {column} >= $1 and {column} < $2 order by {column}, id limit $3"
    );
    db.pool().fetch_all(&sql, params![from, to, limit]).await
}
