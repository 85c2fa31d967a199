//! Campaign storage: the campaigns themselves and their ordered articles. The figures (staff
//! progress rolled up the unit tree, the pending list, the person × article matrix, citizens by
//! locality and day) are in [`progress`] and [`citizens`]; every read there takes a [`Scope`], so
//! a unit head's pages and exports can only ever see their own subtree.
//!
//! Read functions return plain structs shared by the dashboard, the printable report and the
//! exports: the figures are computed once, here, and every page shows the same.

pub mod citizens;
pub mod lists;
pub mod progress;

use chrono::{DateTime, NaiveDate, Utc};

use super::ack_status::AckTerms;
use super::{Db, DbError, Tx};
use crate::campaign::CampaignFields;
use crate::params;
use crate::slug::Slug;

pub use citizens::{
    arrange, citizens_by_day, citizens_by_locality, DayCount, LocalityCount, NO_LOCALITY,
};
pub use lists::{
    matrix, pending, pending_people, person, Cell, Matrix, MatrixRow, PendingItem, PendingPerson,
};
pub use progress::{
    previous_round_progress, staff_progress, ArticleProgress, Figures, PreviousRound,
    StaffProgress, UnitProgress, NO_UNIT,
};

/// Whose people a read may see: everyone, or one unit and every unit below it (a unit head's
/// scope, or a unit an editor chose). Citizens' counts are anonymous and not scoped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    All,
    /// This unit and all its sub-units, however deep.
    Unit(i64),
}

impl Scope {
    /// The root unit, as the queries' optional parameter (`null` = everyone).
    pub fn unit_id(self) -> Option<i64> {
        match self {
            Scope::All => None,
            Scope::Unit(id) => Some(id),
        }
    }
}

/// A campaign as stored. Dates are Vietnam dates, `yyyy-mm-dd`.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CampaignRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub starts_on: String,
    pub ends_on: String,
    pub staff_target_percent: i64,
    pub citizen_target: i64,
    pub is_public: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CampaignRow {
    /// The first day of the period (the schema admits only `yyyy-mm-dd`).
    pub fn starts(&self) -> NaiveDate {
        parse_day(&self.starts_on)
    }

    /// The last day of the period, included.
    pub fn ends(&self) -> NaiveDate {
        parse_day(&self.ends_on)
    }

    /// `01/09/2018 – 31/12/2020`, as pages and reports write the period.
    pub fn period_label(&self) -> String {
        format!(
            "{} – {}",
            self.starts().format("%d/%m/%Y"),
            self.ends().format("%d/%m/%Y")
        )
    }

    /// The stored campaign as a validated value, for comparing with a file or filling a form.
    pub fn fields(&self) -> CampaignFields {
        CampaignFields {
            // Stored slugs were valid when written; the fallback only guards hand-edited rows.
            slug: Slug::parse(&self.slug)
                .ok()
                .or_else(|| Slug::from_title(&self.slug))
                .unwrap_or_else(|| Slug::parse("chien-dich").expect("a valid slug")),
            name: self.name.clone(),
            description: self.description.clone(),
            starts_on: self.starts(),
            ends_on: self.ends(),
            staff_target_percent: self.staff_target_percent,
            citizen_target: self.citizen_target,
            is_public: self.is_public,
        }
    }
}

fn parse_day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

/// `yyyy-mm-dd`, as stored.
pub fn day_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

const SELECT: &str = "select id, slug, name, description, starts_on, ends_on, \
    staff_target_percent, citizen_target, is_public, created_at, updated_at from campaigns";

/// Every campaign, the latest period first.
pub async fn list(db: &Db) -> Result<Vec<CampaignRow>, DbError> {
    db.pool()
        .fetch_all(
            &format!("{SELECT} order by starts_on desc, name, id"),
            vec![],
        )
        .await
}

/// One campaign by its slug.
pub async fn by_slug(db: &Db, slug: &str) -> Result<Option<CampaignRow>, DbError> {
    db.pool()
        .fetch_optional(&format!("{SELECT} where slug = $1"), params![slug])
        .await
}

/// One campaign by its slug, inside a transaction (content import).
pub async fn by_slug_tx(tx: &mut Tx, slug: &str) -> Result<Option<CampaignRow>, DbError> {
    tx.fetch_optional(&format!("{SELECT} where slug = $1"), params![slug])
        .await
}

/// `$1`…`$9`: the fields in the column order of [`insert`], and the time of the write.
fn field_params(c: &CampaignFields, now: DateTime<Utc>) -> Vec<super::Param> {
    params![
        c.slug.as_str(),
        c.name.as_str(),
        c.description.as_str(),
        day_text(c.starts_on),
        day_text(c.ends_on),
        c.staff_target_percent,
        c.citizen_target,
        c.is_public,
        now
    ]
}

/// Creates a campaign without articles; returns its id. A taken slug is a unique violation
/// (see [`crate::db::is_unique_violation`]).
pub async fn insert(tx: &mut Tx, c: &CampaignFields, now: DateTime<Utc>) -> Result<i64, DbError> {
    tx.fetch_i64(
        "insert into campaigns (slug, name, description, starts_on, ends_on, \
         staff_target_percent, citizen_target, is_public, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) returning id",
        field_params(c, now),
    )
    .await
}

/// Rewrites a campaign's fields (its articles are [`set_articles`]).
pub async fn update(
    tx: &mut Tx,
    id: i64,
    c: &CampaignFields,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut params = field_params(c, now);
    params.push(id.into());
    tx.execute(
        "update campaigns set slug = $1, name = $2, description = $3, starts_on = $4, \
         ends_on = $5, staff_target_percent = $6, citizen_target = $7, is_public = $8, \
         updated_at = $9 where id = $10",
        params,
    )
    .await
    .map(|_| ())
}

/// Replaces the campaign's articles with these, in this order (duplicates after the first are
/// ignored).
pub async fn set_articles(tx: &mut Tx, id: i64, article_ids: &[i64]) -> Result<(), DbError> {
    tx.execute(
        "delete from campaign_articles where campaign_id = $1",
        params![id],
    )
    .await?;
    let mut seen = std::collections::HashSet::new();
    for (position, article) in article_ids.iter().filter(|a| seen.insert(**a)).enumerate() {
        tx.execute(
            "insert into campaign_articles (campaign_id, article_id, position) \
             values ($1, $2, $3)",
            params![id, *article, position as i64],
        )
        .await?;
    }
    Ok(())
}

/// The slugs of the campaign's articles in order (deleted articles left out), read inside a
/// transaction: what content files name.
pub async fn article_slugs_tx(tx: &mut Tx, id: i64) -> Result<Vec<String>, DbError> {
    tx.fetch_strings(
        "select a.slug from campaign_articles ca join articles a on a.id = ca.article_id \
         where ca.campaign_id = $1 and a.deleted_at is null order by ca.position",
        params![id],
    )
    .await
}

/// One article of a campaign, with what its acknowledgment settings say (all `false`/`None`
/// when it takes none).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CampaignArticle {
    pub article_id: i64,
    /// 0, 1, 2, … in reading order.
    pub position: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// The article's status: `published`, `scheduled`, …
    pub status: String,
    pub publish_at: Option<DateTime<Utc>>,
    /// Has acknowledgment settings at all.
    pub takes_ack: bool,
    /// Staff must acknowledge it (all staff, or some units).
    pub staff: bool,
    /// The terms (version 0, round 1 and nothing required when the article takes no
    /// acknowledgment).
    #[sqlx(flatten)]
    pub terms: AckTerms,
}

impl CampaignArticle {
    /// Has been published (it may be archived since, at the end of the campaign).
    pub fn is_released(&self) -> bool {
        self.status == "published" || self.status == "archived"
    }

    /// Counts in the staff figures: released, and staff must acknowledge it. An article not
    /// published yet cannot be confirmed, so it is shown but not counted.
    pub fn counts_for_staff(&self) -> bool {
        self.staff && self.is_released()
    }
}

/// The campaign's articles in order, deleted ones left out.
pub async fn articles(db: &Db, campaign_id: i64) -> Result<Vec<CampaignArticle>, DbError> {
    db.pool()
        .fetch_all(
            "select a.id as article_id, ca.position, a.slug, a.title, a.summary, a.status, \
             a.publish_at, s.article_id is not null as takes_ack, \
             coalesce(s.staff_all or exists (select 1 from ack_units au \
                 where au.article_id = a.id), false) as staff, \
             coalesce(s.staff_all, false) as staff_all, coalesce(s.citizens, false) as citizens, \
             s.due_at, s.closes_at, coalesce(s.current_version, 0) as current_version, \
             coalesce(s.current_round, 1) as current_round \
             from campaign_articles ca join articles a on a.id = ca.article_id \
             left join ack_settings s on s.article_id = a.id \
             where ca.campaign_id = $1 and a.deleted_at is null order by ca.position",
            params![campaign_id],
        )
        .await
}

/// The slugs of every article that is not deleted: what a campaign file may name.
pub async fn live_article_slugs(db: &Db) -> Result<Vec<String>, DbError> {
    db.pool()
        .fetch_strings("select slug from articles where deleted_at is null", vec![])
        .await
}

/// The id of a live article by slug, inside a transaction (content import).
pub async fn live_article_id_tx(tx: &mut Tx, slug: &str) -> Result<Option<i64>, DbError> {
    #[derive(sqlx::FromRow)]
    struct I {
        id: i64,
    }
    let row: Option<I> = tx
        .fetch_optional(
            "select id from articles where slug = $1 and deleted_at is null",
            params![slug],
        )
        .await?;
    Ok(row.map(|r| r.id))
}

/// An article the campaign form offers.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ArticleChoice {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub status: String,
    pub publish_at: Option<DateTime<Utc>>,
}

/// Every article that is not deleted, newest publication first (unscheduled drafts last).
pub async fn article_choices(db: &Db) -> Result<Vec<ArticleChoice>, DbError> {
    db.pool()
        .fetch_all(
            "select id, slug, title, status, publish_at from articles where deleted_at is null \
             order by publish_at is null, publish_at desc, id desc",
            vec![],
        )
        .await
}
