//! The search index: written in the transaction of every article write, read by the search page.
//!
//! The index holds every article (whatever its status); the search query joins `articles` and
//! keeps only published, non-deleted ones, so publication, expiry, deletion and restoring (which
//! only change `status` or `deleted_at`) are followed without touching the index. The two
//! backends need different SQL here (FTS5 against tsvector), the only place in Loa that does.

use super::{Db, DbError, Param, Tx};
use crate::params;
use crate::search::{fts5_match, index_text, tsquery, W_SUMMARY, W_TITLE, W_TOPICS};

#[derive(sqlx::FromRow)]
struct Source {
    title: String,
    summary: String,
    body: String,
}

/// (Re)writes the index row of article `id` from its stored title, summary, topics and body.
pub async fn index_article(tx: &mut Tx, id: i64) -> Result<(), DbError> {
    let Some(a) = tx
        .fetch_optional::<Source>(
            "select title, summary, body from articles where id = $1",
            params![id],
        )
        .await?
    else {
        return unindex(tx, id).await;
    };
    let topics = super::topics::names_for_article(tx, id).await?.join(" ");
    let p = params![
        id,
        index_text(&a.title),
        index_text(&a.summary),
        index_text(&topics),
        index_text(&a.body),
    ];
    match tx {
        Tx::Sqlite(_) => {
            unindex(tx, id).await?;
            tx.execute(
                "insert into search_index (rowid, title, summary, topics, body) \
                 values ($1, $2, $3, $4, $5)",
                p,
            )
            .await?;
        }
        Tx::Postgres(_) => {
            tx.execute(
                "insert into search_index (article_id, title, summary, topics, body, doc) \
                 values ($1, $2, $3, $4, $5, \
                     to_tsvector('simple', $2 || ' ' || $3 || ' ' || $4 || ' ' || $5)) \
                 on conflict (article_id) do update set title = excluded.title, \
                     summary = excluded.summary, topics = excluded.topics, body = excluded.body, \
                     doc = excluded.doc",
                p,
            )
            .await?;
        }
    }
    Ok(())
}

/// Removes article `id` from the index (for an article removed from the database).
pub async fn unindex(tx: &mut Tx, id: i64) -> Result<(), DbError> {
    let sql = match tx {
        Tx::Sqlite(_) => "delete from search_index where rowid = $1",
        Tx::Postgres(_) => "delete from search_index where article_id = $1",
    };
    tx.execute(sql, params![id]).await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Id {
    id: i64,
}

/// Indexes every article the index lacks (articles written before the index existed); returns
/// how many. Cheap when there are none.
pub async fn index_missing(db: &Db) -> Result<usize, DbError> {
    let sql = match db {
        Db::Sqlite(_) => "select id from articles where id not in (select rowid from search_index)",
        Db::Postgres(_) => {
            "select id from articles where id not in (select article_id from search_index)"
        }
    };
    let ids = db.pool().fetch_all::<Id>(sql, params![]).await?;
    for Id { id } in &ids {
        let mut tx = db.begin().await?;
        index_article(&mut tx, *id).await?;
        tx.commit().await?;
    }
    Ok(ids.len())
}

#[derive(sqlx::FromRow)]
struct Ranked {
    id: i64,
    total: i64,
}

/// One page of the published, non-deleted articles whose title, summary, topics and body
/// together hold every term, best first, and how many there are in all. Terms are `a-z0-9` words
/// from [`crate::search::terms`]; none means no results.
///
/// The score is the same integer on both databases, computed in SQL so that only a page of ids
/// leaves the database (a common word can match most articles): for each term, 8 if it is a word
/// of the title, + 4 of the summary, + 2 of the topics, or 1 if only the body has it. Equal scores
/// go newest first, then latest written: a total order, identical on SQLite and PostgreSQL.
pub async fn ranked_page(
    db: &Db,
    terms: &[String],
    limit: i64,
    offset: i64,
) -> Result<(Vec<i64>, i64), DbError> {
    if terms.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let (sqlite, query) = match db {
        Db::Sqlite(_) => (true, fts5_match(terms)),
        Db::Postgres(_) => (false, tsquery(terms)),
    };
    let mut p = params![query, limit, offset];
    let mut score = Vec::new();
    for t in terms {
        let mut has = |field: &str, w: i64| {
            let k = p.len() + 1;
            if sqlite {
                // A column filter: FTS5 finds the set once, instead of reading every candidate's
                // text (a common word matches most articles).
                p.push(Param::Text(format!("{field} : \"{t}\"")));
                format!(
                    "(case when s.article_id in (select rowid from search_index \
                     where search_index match ${k}) then {w} else 0 end)"
                )
            } else {
                p.push(Param::Text(format!(" {t} ")));
                format!("(case when strpos(' ' || s.{field} || ' ', ${k}) > 0 then {w} else 0 end)")
            }
        };
        let fields = [
            has("title", W_TITLE),
            has("summary", W_SUMMARY),
            has("topics", W_TOPICS),
        ];
        let greatest = if sqlite { "max" } else { "greatest" };
        score.push(format!("{greatest}({}, 1)", fields.join(" + ")));
    }
    let score = score.join(" + ");
    let from = if sqlite {
        // `cross join` makes SQLite read the full-text match first, then look up each article
        // by id, instead of running the match once per article.
        "(select rowid as article_id from search_index where search_index match $1) s \
             cross join articles a on a.id = s.article_id"
    } else {
        "search_index s join articles a on a.id = s.article_id \
             where s.doc @@ to_tsquery('simple', $1)"
    };
    let filter = if sqlite { "where" } else { "and" };
    let sql = format!(
        "select a.id, count(*) over () as total from {from} \
         {filter} a.status = 'published' and a.deleted_at is null \
         order by {score} desc, a.publish_at desc nulls last, a.id desc \
         limit $2 offset $3"
    );
    let rows = db.pool().fetch_all::<Ranked>(&sql, p).await?;
    let total = rows.first().map_or(0, |r| r.total);
    Ok((rows.into_iter().map(|r| r.id).collect(), total))
}
