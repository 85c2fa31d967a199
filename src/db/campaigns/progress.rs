//! Staff progress of a campaign: overall, per article and per unit rolled up the unit tree,
//! within a [`Scope`]. The pending list and the person × article matrix, from the same pairs,
//! are in `lists`.
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
use crate::db::ack_status::{STANDING, VALID};
use crate::db::units::{self, UnitRow};
use crate::db::{Db, DbError};
use crate::params;

/// What `status` says of a pair's confirmation.
#[derive(Clone, Copy)]
pub(super) enum Confirmed {
    /// `confirmed`: true or false (cheaper: the search stops at the first event).
    Flag,
    /// `confirmed_at`: the time of the standing confirmation, null while pending.
    Time,
}

/// The (article, person) pairs the staff figures count, as the CTE `status(article_id, user_id,
/// unit_id, confirmed | confirmed_at)` — see [`Confirmed`] — followed by `tail`. Parameters:
/// `$1` the campaign, `$2` the scope's root unit (null: everyone), `$3` one person (null:
/// everyone).
pub(super) fn status_sql(confirmed: Confirmed, tail: &str) -> String {
    round_status_sql(confirmed, Round::Current, tail)
}

/// Which renewal round the staff figures count (issue 17).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Round {
    /// The round people confirm now: a standing confirmation of the current version.
    Current,
    /// The round before each article's current one (last year's, with a yearly rule), from the
    /// event log: a confirmation given in that round and not revoked, of any version. Articles
    /// still in their first round have none and are left out. The audience is today's, since
    /// the log does not say who belonged to a unit back then.
    Previous,
}

/// [`status_sql`] for either round.
fn round_status_sql(confirmed: Confirmed, round: Round, tail: &str) -> String {
    let (column, value) = match confirmed {
        Confirmed::Flag => ("confirmed", "exists (select 1"),
        Confirmed::Time => ("confirmed_at", "(select min(e.created_at)"),
    };
    let (earlier, counts) = match round {
        Round::Current => ("", format!("e.version = p.version and {STANDING}")),
        Round::Previous => (
            "and s.current_round > 1",
            format!(
                "e.round = (select s.current_round - 1 from ack_settings s \
                 where s.article_id = p.article_id) and {VALID}"
            ),
        ),
    };
    format!(
        "with recursive \
         arts(article_id, version, staff_all, due_at) as ( \
           select s.article_id, s.current_version, s.staff_all, s.due_at \
           from campaign_articles ca \
           join ack_settings s on s.article_id = ca.article_id \
           join articles a on a.id = ca.article_id \
           where ca.campaign_id = $1 and a.deleted_at is null \
           and a.status in ('published', 'archived') {earlier}), \
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
            and e.user_id = p.user_id and e.user_id is not null and {counts}) \
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
    round_progress(db, campaign, scope, now, Round::Current).await
}

/// The figures of the round before each article's current one, and the year that names it.
#[derive(Clone, Debug)]
pub struct PreviousRound {
    pub progress: StaffProgress,
    /// `2018` when every article's previous round opened that year; `None` when they differ or
    /// a first round closed before its date was kept.
    pub year: Option<String>,
}

impl PreviousRound {
    /// "Đợt trước (năm 2018)", as the dashboard, the printed report and the exports head it.
    pub fn label(&self) -> String {
        match &self.year {
            Some(year) => format!("Đợt trước (năm {year})"),
            None => "Đợt trước".to_owned(),
        }
    }
}

/// The same figures for the round before each article's current one ([`Round::Previous`]): the
/// dashboard's "đợt trước" beside this round, per unit. `None` when no article of the campaign
/// has had an earlier round. Nothing is overdue in a round that is over.
pub async fn previous_round_progress(
    db: &Db,
    campaign: &CampaignRow,
    scope: Scope,
    now: DateTime<Utc>,
) -> Result<Option<PreviousRound>, DbError> {
    let progress = round_progress(db, campaign, scope, now, Round::Previous).await?;
    if progress.articles.iter().all(|a| a.figures.is_none()) {
        return Ok(None);
    }
    #[derive(sqlx::FromRow)]
    struct Opened {
        opens_on: Option<String>,
    }
    let opened: Vec<Opened> = db
        .pool()
        .fetch_all(
            "select r.opens_on from campaign_articles ca \
             join ack_settings s on s.article_id = ca.article_id \
             join articles a on a.id = ca.article_id \
             left join ack_rounds r on r.article_id = s.article_id \
             and r.round = s.current_round - 1 \
             where ca.campaign_id = $1 and s.current_round > 1 and a.deleted_at is null",
            params![campaign.id],
        )
        .await?;
    let years: Vec<Option<String>> = opened
        .into_iter()
        .map(|o| o.opens_on.and_then(|d| d.get(..4).map(str::to_owned)))
        .collect();
    let year = match years.first() {
        Some(Some(first)) if years.iter().all(|y| y.as_ref() == Some(first)) => Some(first.clone()),
        _ => None,
    };
    Ok(Some(PreviousRound { progress, year }))
}

async fn round_progress(
    db: &Db,
    campaign: &CampaignRow,
    scope: Scope,
    now: DateTime<Utc>,
    round: Round,
) -> Result<StaffProgress, DbError> {
    let arts = articles(db, campaign.id).await?;
    let counts: Vec<Count> = db
        .pool()
        .fetch_all(
            &round_status_sql(
                Confirmed::Flag,
                round,
                "select article_id, unit_id, count(*) as audience, \
                 count(case when confirmed then 1 end) as confirmed \
                 from status group by article_id, unit_id",
            ),
            params![campaign.id, scope.unit_id(), None::<i64>],
        )
        .await?;
    let overdue: HashMap<i64, bool> = arts
        .iter()
        .map(|a| {
            (
                a.article_id,
                round == Round::Current && a.terms.is_overdue(now),
            )
        })
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
            let counts = match round {
                Round::Current => a.counts_for_staff(),
                Round::Previous => a.counts_for_staff() && a.terms.current_round > 1,
            };
            let figures = counts.then(|| {
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

    /// 1 ⊃ 2 ⊃ 3, 1 ⊃ 4; 5 alone.
    fn sample_tree() -> Vec<UnitRow> {
        vec![
            unit(1, None),
            unit(2, Some(1)),
            unit(3, Some(2)),
            unit(4, Some(1)),
            unit(5, None),
        ]
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
        let all = sample_tree();
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
        let all = sample_tree();
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
