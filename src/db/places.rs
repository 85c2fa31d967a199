//! Places where posters hang (counters, one-stop desks): the list, adding and renaming one in the
//! admin area, and citizens' confirmations counted by place for an article or a campaign, from
//! the anonymous counts (`ack_citizen_place_counts`) written with each confirmation.
//!
//! A place's slug is printed in QR codes, so it never changes and places are never deleted;
//! `site.toml` adds and renames them too (see `db::site`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::audit::{self, Entry};
use super::campaigns::CampaignRow;
use super::{Db, DbError, Tx};
use crate::params;
use crate::slug::Slug;

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PlaceRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// Every place, in the order of `site.toml` (places added in the admin area come after).
pub async fn all(db: &Db) -> Result<Vec<PlaceRow>, DbError> {
    db.pool()
        .fetch_all(
            "select id, slug, name from places order by position, id",
            vec![],
        )
        .await
}

/// The place a source tag names, if it is one of ours. Anything else is `None`, so a tag typed
/// into a URL never reaches the database as text.
pub async fn by_slug(db: &Db, tag: &str) -> Result<Option<PlaceRow>, DbError> {
    if Slug::parse(tag).is_err() {
        return Ok(None);
    }
    db.pool()
        .fetch_optional(
            "select id, slug, name from places where slug = $1",
            params![tag],
        )
        .await
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<PlaceRow>, DbError> {
    db.pool()
        .fetch_optional(
            "select id, slug, name from places where id = $1",
            params![id],
        )
        .await
}

/// Adds a place at the end of the list, with its audit entry (given the new id). A taken slug is
/// the database's unique violation (see `db::is_unique_violation`).
pub async fn insert(
    db: &Db,
    slug: &Slug,
    name: &str,
    mut entry: Entry,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    let mut tx = db.begin().await?;
    let id = tx
        .fetch_i64(
            "insert into places (slug, name, position, created_at, updated_at) \
             values ($1, $2, (select coalesce(max(position), -1) + 1 from places), $3, $3) \
             returning id",
            params![slug.as_str(), name, now],
        )
        .await?;
    entry.target_id = Some(id);
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Renames a place (its slug stays: posters carry it), with its audit entry.
pub async fn rename(
    db: &Db,
    id: i64,
    name: &str,
    entry: &Entry,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    tx.execute(
        "update places set name = $2, updated_at = $3 where id = $1",
        params![id, name, now],
    )
    .await?;
    audit::record(&mut tx, entry, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Adds one confirmation to the place's anonymous count of the day (inside the confirmation's
/// transaction).
pub async fn count_confirmation(
    tx: &mut Tx,
    article_id: i64,
    day: &str,
    place_id: i64,
) -> Result<(), DbError> {
    tx.execute(
        "insert into ack_citizen_place_counts (article_id, day, place_id, confirmations) \
         values ($1, $2, $3, 1) on conflict (article_id, day, place_id) \
         do update set confirmations = ack_citizen_place_counts.confirmations + 1",
        params![article_id, day, place_id],
    )
    .await?;
    Ok(())
}

/// Citizens' confirmations that came from one place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaceCount {
    pub slug: String,
    pub name: String,
    pub confirmations: i64,
}

/// The name shown for confirmations that came with no known place (typed address, shared
/// link, a poster without a tag).
pub const NO_PLACE: &str = "Không qua áp phích (không rõ nơi)";

#[derive(sqlx::FromRow)]
struct Sum {
    place_id: i64,
    confirmations: i64,
}

/// Every place in order with its count (0 where nobody confirmed), then the confirmations
/// without a place: `total` minus those counted by place, when there are any.
async fn with_every_place(db: &Db, sums: Vec<Sum>, total: i64) -> Result<Vec<PlaceCount>, DbError> {
    let counted: HashMap<i64, i64> = sums
        .into_iter()
        .map(|s| (s.place_id, s.confirmations))
        .collect();
    let mut out: Vec<PlaceCount> = all(db)
        .await?
        .into_iter()
        .map(|p| PlaceCount {
            confirmations: counted.get(&p.id).copied().unwrap_or(0),
            slug: p.slug,
            name: p.name,
        })
        .collect();
    let rest = total - out.iter().map(|p| p.confirmations).sum::<i64>();
    if rest > 0 {
        out.push(PlaceCount {
            slug: String::new(),
            name: NO_PLACE.to_owned(),
            confirmations: rest,
        });
    }
    Ok(out)
}

/// Citizens' confirmations of an article by place, every version. `total` is all its citizens'
/// confirmations (`db::citizens::total_for_article`).
pub async fn article_counts(
    db: &Db,
    article_id: i64,
    total: i64,
) -> Result<Vec<PlaceCount>, DbError> {
    let sums: Vec<Sum> = db
        .pool()
        .fetch_all(
            "select place_id, cast(sum(confirmations) as bigint) as confirmations \
             from ack_citizen_place_counts where article_id = $1 group by place_id",
            params![article_id],
        )
        .await?;
    with_every_place(db, sums, total).await
}

/// Citizens' confirmations of a campaign's articles within its period, by place. `total` is all
/// of them (the sum of the campaign's counts by locality).
pub async fn campaign_counts(
    db: &Db,
    campaign: &CampaignRow,
    total: i64,
) -> Result<Vec<PlaceCount>, DbError> {
    let sums: Vec<Sum> = db
        .pool()
        .fetch_all(
            "select c.place_id, cast(sum(c.confirmations) as bigint) as confirmations \
             from ack_citizen_place_counts c \
             join campaign_articles ca on ca.article_id = c.article_id \
             join articles a on a.id = c.article_id \
             where ca.campaign_id = $1 and a.deleted_at is null \
             and c.day >= $2 and c.day <= $3 group by c.place_id",
            params![
                campaign.id,
                campaign.starts_on.as_str(),
                campaign.ends_on.as_str()
            ],
        )
        .await?;
    with_every_place(db, sums, total).await
}
