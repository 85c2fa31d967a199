//! Citizens' confirmations of a campaign's articles, by locality and by day, from the anonymous
//! counts (`ack_citizen_counts`) that outlive the purge of names and contacts.
//!
//! A figure is a number of *confirmations*: a citizen who confirms three articles of the campaign
//! counts three times (after the purge nobody can tell two citizens apart, so "people" could not
//! be counted the same way on every date). Only confirmations within the campaign's period count;
//! citizens are not people of a unit, so these reads have no scope.

use std::collections::HashMap;

use super::CampaignRow;
use crate::db::citizens::LocalityRow;
use crate::db::{Db, DbError};
use crate::params;

/// Confirmations from one locality.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalityCount {
    /// The locality's slug; empty for confirmations that named none.
    pub slug: String,
    pub name: String,
    pub confirmations: i64,
}

/// The name shown for confirmations without a locality.
pub const NO_LOCALITY: &str = "Không ghi địa bàn";

#[derive(sqlx::FromRow)]
struct Sum {
    key: String,
    confirmations: i64,
}

/// The sums of the campaign's counts within its period, grouped by `column` (`locality` or
/// `day`).
async fn sums(db: &Db, campaign: &CampaignRow, column: &str) -> Result<Vec<Sum>, DbError> {
    db.pool()
        .fetch_all(
            &format!(
                "select c.{column} as key, cast(sum(c.confirmations) as bigint) as confirmations \
                 from ack_citizen_counts c \
                 join campaign_articles ca on ca.article_id = c.article_id \
                 join articles a on a.id = c.article_id \
                 where ca.campaign_id = $1 and a.deleted_at is null \
                 and c.day >= $2 and c.day <= $3 \
                 group by c.{column} order by c.{column}"
            ),
            params![
                campaign.id,
                campaign.starts_on.as_str(),
                campaign.ends_on.as_str()
            ],
        )
        .await
}

/// Every locality of the site in its order (with 0 where nobody confirmed), then any counted
/// locality no longer on the list, then confirmations without a locality (when there are any).
pub async fn citizens_by_locality(
    db: &Db,
    campaign: &CampaignRow,
) -> Result<Vec<LocalityCount>, DbError> {
    let counted: HashMap<String, i64> = sums(db, campaign, "locality")
        .await?
        .into_iter()
        .map(|s| (s.key, s.confirmations))
        .collect();
    Ok(arrange(crate::db::citizens::localities(db).await?, counted))
}

/// Counts per locality slug (`""`: none given) in the order every page and report shows them:
/// the site's localities (0 where nobody confirmed), then slugs the site no longer lists, then
/// the confirmations that named no locality.
pub fn arrange(
    localities: Vec<LocalityRow>,
    mut counted: HashMap<String, i64>,
) -> Vec<LocalityCount> {
    let mut out: Vec<LocalityCount> = localities
        .into_iter()
        .map(|l| LocalityCount {
            confirmations: counted.remove(&l.slug).unwrap_or(0),
            slug: l.slug,
            name: l.name,
        })
        .collect();
    let none = counted.remove("");
    let mut rest: Vec<(String, i64)> = counted.into_iter().collect();
    rest.sort();
    out.extend(rest.into_iter().map(|(slug, n)| LocalityCount {
        name: slug.clone(),
        slug,
        confirmations: n,
    }));
    if let Some(n) = none {
        out.push(LocalityCount {
            slug: String::new(),
            name: NO_LOCALITY.to_owned(),
            confirmations: n,
        });
    }
    out
}

/// Confirmations of one Vietnam day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayCount {
    /// `yyyy-mm-dd`.
    pub day: String,
    pub confirmations: i64,
}

/// The days of the period with at least one confirmation, oldest first.
pub async fn citizens_by_day(db: &Db, campaign: &CampaignRow) -> Result<Vec<DayCount>, DbError> {
    Ok(sums(db, campaign, "day")
        .await?
        .into_iter()
        .map(|s| DayCount {
            day: s.key,
            confirmations: s.confirmations,
        })
        .collect())
}
