//! The people behind a campaign's staff figures, within a [`Scope`]: the pending list (per
//! (person, article) pair, or per person) and the person × article matrix. Same pairs, same
//! rules as `progress` (its `status` query).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::progress::{status_sql, Confirmed};
use super::{articles, CampaignArticle, CampaignRow, Scope};
use crate::ack::days_overdue;
use crate::db::units;
use crate::db::{Db, DbError};
use crate::params;

/// One (person, article) pair still to confirm.
#[derive(Clone, Debug)]
pub struct PendingItem {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub unit_id: Option<i64>,
    /// The unit's name; empty for people without a unit.
    pub unit: String,
    pub article_id: i64,
    pub article_slug: String,
    pub article_title: String,
    pub due_at: Option<DateTime<Utc>>,
    /// 0 when not overdue (see [`crate::ack::days_overdue`]).
    pub days_overdue: i64,
}

/// The person columns every status row carries.
const PERSON: &str = "st.article_id, st.user_id, u.name, u.email, st.unit_id, \
    coalesce(un.name, '') as unit";
const PERSON_JOIN: &str =
    "from status st join users u on u.id = st.user_id left join units un on un.id = st.unit_id";

#[derive(sqlx::FromRow)]
struct PendingPair {
    article_id: i64,
    user_id: i64,
    name: String,
    email: String,
    unit_id: Option<i64>,
    unit: String,
}

/// A (person, article) pair with when it was confirmed, for the matrix.
#[derive(sqlx::FromRow)]
struct PersonStatus {
    #[sqlx(flatten)]
    pair: PendingPair,
    confirmed_at: Option<DateTime<Utc>>,
}

/// Sort keys: units in tree order (people without a unit last), then name, then id.
async fn unit_order(db: &Db) -> Result<HashMap<i64, usize>, DbError> {
    let all = units::all(db).await?;
    Ok(units::tree(&all)
        .iter()
        .enumerate()
        .map(|(i, (_, u))| (u.id, i))
        .collect())
}

fn person_key<'a>(
    order: &HashMap<i64, usize>,
    unit_id: Option<i64>,
    name: &'a str,
    user_id: i64,
) -> (usize, &'a str, i64) {
    let unit = unit_id
        .and_then(|u| order.get(&u).copied())
        .unwrap_or(usize::MAX);
    (unit, name, user_id)
}

/// Every pending (person, article) pair within `scope`: by unit (tree order), person, then the
/// article's place in the campaign, with days overdue.
pub async fn pending(
    db: &Db,
    campaign: &CampaignRow,
    scope: Scope,
    now: DateTime<Utc>,
) -> Result<Vec<PendingItem>, DbError> {
    let arts: HashMap<i64, CampaignArticle> = articles(db, campaign.id)
        .await?
        .into_iter()
        .map(|a| (a.article_id, a))
        .collect();
    let order = unit_order(db).await?;
    let mut rows: Vec<PendingPair> = db
        .pool()
        .fetch_all(
            &status_sql(
                Confirmed::Flag,
                &format!("select {PERSON} {PERSON_JOIN} where not st.confirmed"),
            ),
            params![campaign.id, scope.unit_id(), None::<i64>],
        )
        .await?;
    rows.retain(|r| arts.contains_key(&r.article_id));
    rows.sort_by(|a, b| {
        person_key(&order, a.unit_id, &a.name, a.user_id)
            .cmp(&person_key(&order, b.unit_id, &b.name, b.user_id))
            .then(
                arts[&a.article_id]
                    .position
                    .cmp(&arts[&b.article_id].position),
            )
    });
    Ok(rows
        .into_iter()
        .map(|r| {
            let a = &arts[&r.article_id];
            PendingItem {
                user_id: r.user_id,
                name: r.name,
                email: r.email,
                unit_id: r.unit_id,
                unit: r.unit,
                article_id: r.article_id,
                article_slug: a.slug.clone(),
                article_title: a.title.clone(),
                due_at: a.terms.due_at,
                days_overdue: days_overdue(a.terms.due_at, now),
            }
        })
        .collect())
}

/// One person with something still to confirm.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PendingPerson {
    pub user_id: i64,
    pub name: String,
    pub unit_id: Option<i64>,
    pub unit: String,
    /// How many of the campaign's articles they have yet to confirm.
    pub articles: i64,
    /// The earliest due date among those articles.
    pub earliest_due: Option<DateTime<Utc>>,
}

impl PendingPerson {
    /// Days past the earliest due date (0 when nothing is overdue).
    pub fn days_overdue(&self, now: DateTime<Utc>) -> i64 {
        days_overdue(self.earliest_due, now)
    }
}

/// Everyone in `scope` with at least one pending article, grouped per person: the most overdue
/// first, then by unit (tree order) and name. Lighter than [`pending`] for a page that lists
/// people rather than (person, article) pairs.
pub async fn pending_people(
    db: &Db,
    campaign: &CampaignRow,
    scope: Scope,
    now: DateTime<Utc>,
) -> Result<Vec<PendingPerson>, DbError> {
    let order = unit_order(db).await?;
    let mut people: Vec<PendingPerson> = db
        .pool()
        .fetch_all(
            &status_sql(
                Confirmed::Flag,
                "select st.user_id, u.name, st.unit_id, coalesce(un.name, '') as unit, \
                 count(*) as articles, min(arts.due_at) as earliest_due \
                 from status st join users u on u.id = st.user_id \
                 left join units un on un.id = st.unit_id \
                 join arts on arts.article_id = st.article_id \
                 where not st.confirmed group by st.user_id, u.name, st.unit_id, un.name",
            ),
            params![campaign.id, scope.unit_id(), None::<i64>],
        )
        .await?;
    people.sort_by(|a, b| {
        b.days_overdue(now).cmp(&a.days_overdue(now)).then_with(|| {
            person_key(&order, a.unit_id, &a.name, a.user_id)
                .cmp(&person_key(&order, b.unit_id, &b.name, b.user_id))
        })
    });
    Ok(people)
}

/// A person's status for one article of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cell {
    /// Not in this article's audience.
    NotRequired,
    /// Confirmed the current version at this time.
    Confirmed(DateTime<Utc>),
    /// Not yet, and not overdue.
    Pending,
    /// Not yet, this many days after the due date.
    Overdue(i64),
}

/// One person's row of the matrix.
#[derive(Clone, Debug)]
pub struct MatrixRow {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub unit_id: Option<i64>,
    pub unit: String,
    /// One cell per [`Matrix::articles`] entry, in the same order.
    pub cells: Vec<Cell>,
}

/// The person × article status matrix of a campaign within a scope.
#[derive(Clone, Debug)]
pub struct Matrix {
    /// The columns: the articles that count for staff, in campaign order.
    pub articles: Vec<CampaignArticle>,
    /// Everyone in scope who must confirm at least one of them, by unit (tree order) and name.
    pub rows: Vec<MatrixRow>,
}

async fn build_matrix(
    db: &Db,
    campaign: &CampaignRow,
    scope: Scope,
    user: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Matrix, DbError> {
    let columns: Vec<CampaignArticle> = articles(db, campaign.id)
        .await?
        .into_iter()
        .filter(CampaignArticle::counts_for_staff)
        .collect();
    let column_of: HashMap<i64, usize> = columns
        .iter()
        .enumerate()
        .map(|(i, a)| (a.article_id, i))
        .collect();
    let order = unit_order(db).await?;
    let mut by_person: HashMap<i64, MatrixRow> = HashMap::new();
    let statuses: Vec<PersonStatus> = db
        .pool()
        .fetch_all(
            &status_sql(
                Confirmed::Time,
                &format!("select {PERSON}, st.confirmed_at {PERSON_JOIN}"),
            ),
            params![campaign.id, scope.unit_id(), user],
        )
        .await?;
    for PersonStatus {
        pair: s,
        confirmed_at,
    } in statuses
    {
        let Some(&col) = column_of.get(&s.article_id) else {
            continue;
        };
        let row = by_person.entry(s.user_id).or_insert_with(|| MatrixRow {
            user_id: s.user_id,
            name: s.name,
            email: s.email,
            unit_id: s.unit_id,
            unit: s.unit,
            cells: vec![Cell::NotRequired; columns.len()],
        });
        row.cells[col] = match confirmed_at {
            Some(at) => Cell::Confirmed(at),
            None => match days_overdue(columns[col].terms.due_at, now) {
                0 => Cell::Pending,
                days => Cell::Overdue(days),
            },
        };
    }
    let mut rows: Vec<MatrixRow> = by_person.into_values().collect();
    rows.sort_by(|a, b| {
        person_key(&order, a.unit_id, &a.name, a.user_id)
            .cmp(&person_key(&order, b.unit_id, &b.name, b.user_id))
    });
    Ok(Matrix {
        articles: columns,
        rows,
    })
}

/// The person × article matrix within `scope`: for each person who must confirm at least one
/// counted article, each article's cell (confirmed at, pending, overdue N days, not required).
pub async fn matrix(
    db: &Db,
    campaign: &CampaignRow,
    scope: Scope,
    now: DateTime<Utc>,
) -> Result<Matrix, DbError> {
    build_matrix(db, campaign, scope, None, now).await
}

/// One person's row of the matrix with its columns, or `None` when the person is outside
/// `scope` (or inactive, or in no counted article's audience).
pub async fn person(
    db: &Db,
    campaign: &CampaignRow,
    scope: Scope,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<(Vec<CampaignArticle>, MatrixRow)>, DbError> {
    let m = build_matrix(db, campaign, scope, Some(user_id), now).await?;
    Ok(m.rows.into_iter().next().map(|row| (m.articles, row)))
}
