//! Staff progress of a campaign: per article, per unit rolled up the unit tree, the pending
//! list and the person × article matrix, each within a [`Scope`].
//!
//! The rules are those of the per-article page (`db::ack_status`): the audience of an article is
//! the *current* active members of its audience units and their sub-units (or all active staff),
//! and a person has confirmed when a confirm event of the article's current major version stands
//! (no revoke names it). Only articles that staff must acknowledge and that have been published
//! count ([`CampaignArticle::counts_for_staff`]). Counting is done by one grouped query over
//! (article, person) pairs; the roll-up up the tree is done here from the per-unit counts, so
//! the cost does not grow with the number of units or people beyond that one query.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{articles, CampaignArticle, CampaignRow, Scope};
use crate::ack::days_overdue;
use crate::db::ack_status::STANDING;
use crate::db::units::{self, UnitRow};
use crate::db::{Db, DbError};
use crate::params;

/// What `status` says of a pair's confirmation.
#[derive(Clone, Copy)]
enum Confirmed {
    /// `confirmed`: true or false (cheaper: the search stops at the first event).
    Flag,
    /// `confirmed_at`: the time of the standing confirmation, null while pending.
    Time,
}

/// The (article, person) pairs the staff figures count, as the CTE `status(article_id, user_id,
/// unit_id, confirmed | confirmed_at)` — see [`Confirmed`] — followed by `tail`. Parameters:
/// `$1` the campaign, `$2` the scope's root unit (null: everyone), `$3` one person (null:
/// everyone).
fn status_sql(confirmed: Confirmed, tail: &str) -> String {
    let (column, value) = match confirmed {
        Confirmed::Flag => ("confirmed", "exists (select 1"),
        Confirmed::Time => ("confirmed_at", "(select min(e.created_at)"),
    };
    format!(
        "with recursive \
         arts(article_id, version, staff_all, due_at) as ( \
           select s.article_id, s.current_version, s.staff_all, s.due_at \
           from campaign_articles ca \
           join ack_settings s on s.article_id = ca.article_id \
           join articles a on a.id = ca.article_id \
           where ca.campaign_id = $1 and a.deleted_at is null \
           and a.status in ('published', 'archived')), \
         aud(article_id, unit_id) as ( \
           select au.article_id, au.unit_id from ack_units au \
           join arts on arts.article_id = au.article_id and not arts.staff_all \
           union \
           select aud.article_id, un.id from units un join aud on un.parent_id = aud.unit_id), \
         scope_units(id) as ( \
           select id from units where id = $2 \
           union \
           select un.id from units un join scope_units su on un.parent_id = su.id), \
         members(id, unit_id) as ( \
           select u.id, u.unit_id from users u where u.active \
           and ($2 is null or u.unit_id in (select id from scope_units)) \
           and ($3 is null or u.id = $3)), \
         pairs(article_id, version, user_id, unit_id) as ( \
           select arts.article_id, arts.version, m.id, m.unit_id \
           from arts join members m on arts.staff_all \
           union all \
           select arts.article_id, arts.version, m.id, m.unit_id \
           from aud join arts on arts.article_id = aud.article_id \
           join members m on m.unit_id = aud.unit_id), \
         status(article_id, user_id, unit_id, {column}) as ( \
           select p.article_id, p.user_id, p.unit_id, \
           {value} from ack_events e where e.article_id = p.article_id \
            and e.version = p.version and e.user_id = p.user_id and e.user_id is not null \
            and {STANDING}) \
           from pairs p) \
         {tail}"
    )
}

/// Confirmations against an audience: the numbers of one article, one unit or the whole.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    /// (article, person) pairs that must be confirmed.
    pub audience: i64,
    pub confirmed: i64,
    /// Pending pairs whose article's due date has passed.
    pub overdue: i64,
    /// How many confirmations the campaign's staff target asks for: the target percentage of
    /// the audience, rounded up.
    pub target: i64,
}

impl Figures {
    pub fn pending(&self) -> i64 {
        self.audience - self.confirmed
    }

    /// Confirmed per thousand of the audience (exact integer arithmetic for bars and sorting);
    /// `None` when there is no audience.
    pub fn permille(&self) -> Option<i64> {
        (self.audience > 0).then(|| self.confirmed * 1000 / self.audience)
    }

    pub fn reaches_target(&self) -> bool {
        self.confirmed >= self.target
    }

    fn add(&mut self, other: &Figures) {
        self.audience += other.audience;
        self.confirmed += other.confirmed;
        self.overdue += other.overdue;
    }

    fn with_target(mut self, percent: i64) -> Figures {
        self.target = (self.audience * percent + 99) / 100;
        self
    }
}

/// One article of the campaign and, when it counts, its figures within the scope. With the
/// whole agency in scope these are exactly the per-article page's counts.
#[derive(Clone, Debug)]
pub struct ArticleProgress {
    pub article: CampaignArticle,
    /// `None` when the article does not count (not published yet, or no staff audience).
    pub figures: Option<Figures>,
}

/// One unit's row of the roll-up: its own members' figures and those of its whole subtree.
#[derive(Clone, Debug)]
pub struct UnitProgress {
    /// `None` for the row of people who belong to no unit (only with [`Scope::All`]).
    pub unit_id: Option<i64>,
    pub slug: String,
    pub name: String,
    pub parent_id: Option<i64>,
    /// 0 for the scope's top units, 1 below them, …
    pub depth: usize,
    /// The unit and all its sub-units.
    pub figures: Figures,
    /// Members of this unit itself.
    pub own: Figures,
}

/// A campaign's staff progress within a scope.
#[derive(Clone, Debug)]
pub struct StaffProgress {
    /// Everything in scope.
    pub overall: Figures,
    /// Every article of the campaign, in order.
    pub articles: Vec<ArticleProgress>,
    /// Every unit in scope, in tree order (parents before children), then people without a unit.
    pub units: Vec<UnitProgress>,
}

#[derive(sqlx::FromRow)]
struct Count {
    article_id: i64,
    unit_id: Option<i64>,
    audience: i64,
    confirmed: i64,
}

/// The staff figures of a campaign within `scope`: overall, per article and per unit (each unit
/// including all its sub-units), with overdue counts and targets. One grouped query.
pub async fn staff_progress(
    db: &Db,
    campaign: &CampaignRow,
    scope: Scope,
    now: DateTime<Utc>,
) -> Result<StaffProgress, DbError> {
    let arts = articles(db, campaign.id).await?;
    let counts: Vec<Count> = db
        .pool()
        .fetch_all(
            &status_sql(
                Confirmed::Flag,
                "select article_id, unit_id, count(*) as audience, \
                 count(case when confirmed then 1 end) as confirmed \
                 from status group by article_id, unit_id",
            ),
            params![campaign.id, scope.unit_id(), None::<i64>],
        )
        .await?;
    let overdue: HashMap<i64, bool> = arts
        .iter()
        .map(|a| (a.article_id, a.is_overdue(now)))
        .collect();
    let mut per_article: HashMap<i64, Figures> = HashMap::new();
    let mut per_unit: HashMap<Option<i64>, Figures> = HashMap::new();
    for c in &counts {
        let f = Figures {
            audience: c.audience,
            confirmed: c.confirmed,
            overdue: if overdue.get(&c.article_id).copied().unwrap_or(false) {
                c.audience - c.confirmed
            } else {
                0
            },
            target: 0,
        };
        per_article.entry(c.article_id).or_default().add(&f);
        per_unit.entry(c.unit_id).or_default().add(&f);
    }
    let percent = campaign.staff_target_percent;
    let mut overall = Figures::default();
    let articles = arts
        .into_iter()
        .map(|a| {
            let figures = a.counts_for_staff().then(|| {
                let f = per_article.get(&a.article_id).copied().unwrap_or_default();
                overall.add(&f);
                f.with_target(percent)
            });
            ArticleProgress {
                article: a,
                figures,
            }
        })
        .collect();
    let all_units = units::all(db).await?;
    let tree = scoped_tree(&all_units, scope);
    let own: Vec<Figures> = tree
        .iter()
        .map(|(_, u)| per_unit.get(&Some(u.id)).copied().unwrap_or_default())
        .collect();
    let rolled = roll_up(&tree, &own);
    let mut units: Vec<UnitProgress> = tree
        .iter()
        .zip(own.iter().zip(rolled))
        .map(|((depth, u), (own, figures))| UnitProgress {
            unit_id: Some(u.id),
            slug: u.slug.clone(),
            name: u.name.clone(),
            parent_id: u.parent_id,
            depth: *depth,
            figures: figures.with_target(percent),
            own: own.with_target(percent),
        })
        .collect();
    if let Some(f) = per_unit.get(&None).filter(|f| f.audience > 0) {
        units.push(UnitProgress {
            unit_id: None,
            slug: String::new(),
            name: NO_UNIT.to_owned(),
            parent_id: None,
            depth: 0,
            figures: f.with_target(percent),
            own: f.with_target(percent),
        });
    }
    Ok(StaffProgress {
        overall: overall.with_target(percent),
        articles,
        units,
    })
}

/// The name shown for people who belong to no unit.
pub const NO_UNIT: &str = "Không thuộc đơn vị nào";

/// The units a scope covers, in tree order, with depths counted from the scope's top.
fn scoped_tree(all: &[UnitRow], scope: Scope) -> Vec<(usize, &UnitRow)> {
    let tree = units::tree(all);
    match scope {
        Scope::All => tree,
        Scope::Unit(root) => {
            let Some(start) = tree.iter().position(|(_, u)| u.id == root) else {
                return Vec::new();
            };
            let base = tree[start].0;
            let len = tree[start + 1..]
                .iter()
                .take_while(|(d, _)| *d > base)
                .count();
            tree[start..=start + len]
                .iter()
                .map(|(d, u)| (d - base, *u))
                .collect()
        }
    }
}

/// Each unit's figures plus those of all units below it. `tree` is in pre-order (as
/// [`units::tree`] gives it), so a unit's descendants are the run of deeper units after it.
fn roll_up(tree: &[(usize, &UnitRow)], own: &[Figures]) -> Vec<Figures> {
    let mut out = own.to_vec();
    // Walking backwards, every unit's total is final before its parent adds it.
    let mut open: Vec<(usize, usize)> = Vec::new(); // (depth, index) of units awaiting children
    for i in (0..tree.len()).rev() {
        let depth = tree[i].0;
        while let Some(&(d, child)) = open.last() {
            if d <= depth {
                break;
            }
            open.pop();
            if d == depth + 1 {
                let f = out[child];
                out[i].add(&f);
            }
        }
        open.push((depth, i));
    }
    out
}

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

#[derive(sqlx::FromRow)]
struct PersonStatus {
    article_id: i64,
    user_id: i64,
    name: String,
    email: String,
    unit_id: Option<i64>,
    unit: String,
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
                due_at: a.due_at,
                days_overdue: days_overdue(a.due_at, now),
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
    for s in statuses {
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
        row.cells[col] = match s.confirmed_at {
            Some(at) => Cell::Confirmed(at),
            None => match days_overdue(columns[col].due_at, now) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: i64, parent: Option<i64>) -> UnitRow {
        UnitRow {
            id,
            slug: format!("u{id}"),
            name: format!("Đơn vị {id}"),
            parent_id: parent,
            position: id,
        }
    }

    fn f(audience: i64, confirmed: i64) -> Figures {
        Figures {
            audience,
            confirmed,
            ..Figures::default()
        }
    }

    #[test]
    fn figures_roll_up_a_three_level_tree() {
        // 1 ⊃ 2 ⊃ 3, 1 ⊃ 4; 5 alone.
        let all = vec![
            unit(1, None),
            unit(2, Some(1)),
            unit(3, Some(2)),
            unit(4, Some(1)),
            unit(5, None),
        ];
        let tree = units::tree(&all);
        let own = vec![f(1, 1), f(2, 1), f(4, 2), f(8, 0), f(16, 16)];
        let rolled = roll_up(&tree, &own);
        let audience: Vec<i64> = rolled.iter().map(|r| r.audience).collect();
        assert_eq!(audience, [15, 6, 4, 8, 16]);
        let confirmed: Vec<i64> = rolled.iter().map(|r| r.confirmed).collect();
        assert_eq!(confirmed, [4, 3, 2, 0, 16]);
    }

    #[test]
    fn a_scope_is_the_unit_and_its_subtree() {
        let all = vec![
            unit(1, None),
            unit(2, Some(1)),
            unit(3, Some(2)),
            unit(4, Some(1)),
            unit(5, None),
        ];
        let ids = |s| -> Vec<(usize, i64)> {
            scoped_tree(&all, s)
                .iter()
                .map(|(d, u)| (*d, u.id))
                .collect()
        };
        assert_eq!(ids(Scope::Unit(2)), [(0, 2), (1, 3)]);
        assert_eq!(ids(Scope::Unit(1)), [(0, 1), (1, 2), (2, 3), (1, 4)]);
        assert_eq!(ids(Scope::Unit(5)), [(0, 5)]);
        assert_eq!(ids(Scope::Unit(99)), []);
        assert_eq!(ids(Scope::All).len(), 5);
    }

    #[test]
    fn targets_round_up_and_percentages_are_exact() {
        let x = f(3, 2).with_target(80);
        assert_eq!(x.target, 3);
        assert_eq!(f(10, 8).with_target(80).target, 8);
        assert_eq!(x.permille(), Some(666));
        assert_eq!(f(0, 0).permille(), None);
        assert_eq!(x.pending(), 1);
        assert!(!x.reaches_target());
    }
}
