//! Topics (chủ đề) and their links to articles.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::{Db, DbError, Param, Tx};
use crate::params;
use crate::slug::Slug;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TopicRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// A topic as the admin lists it: with the number of live articles in it, published or not.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AdminTopic {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub articles: i64,
}

/// Every topic, by name, with its live articles counted.
pub async fn all_for_admin(db: &Db) -> Result<Vec<AdminTopic>, DbError> {
    db.pool()
        .fetch_all(
            "select t.id, t.slug, t.name, count(a.id) as articles from topics t \
             left join article_topics at on at.topic_id = t.id \
             left join articles a on a.id = at.article_id and a.deleted_at is null \
             group by t.id, t.slug, t.name order by t.name, t.id",
            vec![],
        )
        .await
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<TopicRow>, DbError> {
    db.pool()
        .fetch_optional(
            "select id, slug, name from topics where id = $1",
            params![id],
        )
        .await
}

/// A topic with the number of published articles in it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TopicCount {
    pub slug: String,
    pub name: String,
    pub articles: i64,
}

/// The topics `names` stand for, in order: names without a letter or digit name none, and
/// names that fold to one slug ("Hài lòng", "hai long") are one topic, the first name kept.
/// A set makes this linear in the number of names.
pub fn distinct(names: &[String]) -> Vec<(Slug, &str)> {
    let mut seen = HashSet::new();
    names
        .iter()
        .filter_map(|name| Some((Slug::from_title(name)?, name.as_str())))
        .filter(|(slug, _)| seen.insert(slug.clone()))
        .collect()
}

/// Links an article to exactly these topics (by name, in order), creating missing topics.
/// Two names that fold to the same slug are one topic.
pub async fn set_for_article(
    tx: &mut Tx,
    article_id: i64,
    names: &[String],
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx.execute(
        "delete from article_topics where article_id = $1",
        params![article_id],
    )
    .await?;
    for (position, (slug, name)) in distinct(names).into_iter().enumerate() {
        let topic_id = tx
            .fetch_i64(
                // The no-op update makes `returning` yield the id of an existing row too.
                "insert into topics (slug, name, created_at, updated_at) values ($1, $2, $3, $3) \
                 on conflict (slug) do update set slug = excluded.slug returning id",
                params![slug.as_str(), name, now],
            )
            .await?;
        tx.execute(
            "insert into article_topics (article_id, topic_id, position) values ($1, $2, $3)",
            params![article_id, topic_id, position as i64],
        )
        .await?;
    }
    Ok(())
}

/// Renames a topic; its slug stays, so its page and feed keep their addresses. The search index
/// holds each article's topic names, so the topic's articles are re-indexed in the same
/// transaction: a search for the new name finds them at once, the old name no more.
pub async fn rename(tx: &mut Tx, id: i64, name: &str, now: DateTime<Utc>) -> Result<bool, DbError> {
    #[derive(sqlx::FromRow)]
    struct Article {
        article_id: i64,
    }
    let changed = tx
        .execute(
            "update topics set name = $2, updated_at = $3 where id = $1",
            params![id, name, now],
        )
        .await?;
    if changed == 0 {
        return Ok(false);
    }
    let articles: Vec<Article> = tx
        .fetch_all(
            "select article_id from article_topics where topic_id = $1",
            params![id],
        )
        .await?;
    for a in articles {
        super::search::index_article(tx, a.article_id).await?;
    }
    Ok(true)
}

/// The topic names of one article, in order.
pub async fn names_for_article(tx: &mut Tx, article_id: i64) -> Result<Vec<String>, DbError> {
    tx.fetch_strings(
        "select t.name from topics t join article_topics at on at.topic_id = t.id \
         where at.article_id = $1 order by at.position",
        params![article_id],
    )
    .await
}

/// The topics of many articles at once, keyed by article id, each list in order.
pub async fn for_articles(db: &Db, ids: &[i64]) -> Result<HashMap<i64, Vec<TopicRow>>, DbError> {
    #[derive(sqlx::FromRow)]
    struct Link {
        article_id: i64,
        id: i64,
        slug: String,
        name: String,
    }
    let mut map: HashMap<i64, Vec<TopicRow>> = HashMap::new();
    if ids.is_empty() {
        return Ok(map);
    }
    let placeholders = super::placeholders(ids.len());
    let sql = format!(
        "select at.article_id, t.id, t.slug, t.name from article_topics at \
         join topics t on t.id = at.topic_id \
         where at.article_id in ({placeholders}) order by at.article_id, at.position"
    );
    let params: Vec<Param> = ids.iter().map(|&i| Param::I64(i)).collect();
    let links: Vec<Link> = db.pool().fetch_all(&sql, params).await?;
    for l in links {
        map.entry(l.article_id).or_default().push(TopicRow {
            id: l.id,
            slug: l.slug,
            name: l.name,
        });
    }
    Ok(map)
}

pub async fn by_slug(db: &Db, slug: &str) -> Result<Option<TopicRow>, DbError> {
    db.pool()
        .fetch_optional(
            "select id, slug, name from topics where slug = $1",
            params![slug],
        )
        .await
}

/// Topics that have at least one published article, by name.
pub async fn with_published_counts(db: &Db) -> Result<Vec<TopicCount>, DbError> {
    db.pool()
        .fetch_all(
            "select t.slug, t.name, count(*) as articles from topics t \
             join article_topics at on at.topic_id = t.id \
             join articles a on a.id = at.article_id and a.status = 'published' and a.deleted_at is null \
             group by t.id, t.slug, t.name order by t.name",
            vec![],
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_keeps_the_first_name_of_each_slug_in_order() {
        let names: Vec<String> = ["Hài lòng", "SIPAS", "hai long", "???", "sipas", "Cải cách"]
            .map(str::to_owned)
            .into();
        let found = distinct(&names);
        let got: Vec<(&str, &str)> = found.iter().map(|(s, n)| (s.as_str(), *n)).collect();
        assert_eq!(
            got,
            [
                ("hai-long", "Hài lòng"),
                ("sipas", "SIPAS"),
                ("cai-cach", "Cải cách")
            ]
        );
    }
}
