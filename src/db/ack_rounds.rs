//! Renewal of acknowledgments (issue 17): the rounds fixed dates open, and the confirmations an
//! N-day rule lets lapse. Both only add rows — confirmations keep their round and text hash — and
//! both are safe when several instances run them at once (see [`open_round`], [`lapse_due`]).

use chrono::{DateTime, Duration, Utc};

use super::{Db, DbError};
use crate::params;

/// A round opened on a fixed date.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct RoundRow {
    pub article_id: i64,
    pub round: i64,
    /// The Vietnam date it is for, yyyy-mm-dd.
    pub opens_on: String,
    pub opened_at: DateTime<Utc>,
    pub due_at: Option<DateTime<Utc>>,
}

impl RoundRow {
    /// The year that names the round ("cần xác nhận lại cho năm 2019").
    pub fn year(&self) -> &str {
        self.opens_on.get(..4).unwrap_or(&self.opens_on)
    }
}

const ROUND: &str = "select article_id, round, opens_on, opened_at, due_at from ack_rounds";

/// Every round of the article with a row, oldest first: the first round gets its row when the
/// second opens (with the due date it closed with), so an article that never renewed has none.
pub async fn rounds(db: &Db, article_id: i64) -> Result<Vec<RoundRow>, DbError> {
    db.pool()
        .fetch_all(
            &format!("{ROUND} where article_id = $1 order by round"),
            params![article_id],
        )
        .await
}

/// The article's current round when a fixed date opened it; None for the first.
pub async fn current(db: &Db, article_id: i64) -> Result<Option<RoundRow>, DbError> {
    db.pool()
        .fetch_optional(
            &format!(
                "{ROUND} r where r.article_id = $1 and r.round = \
                 (select s.current_round from ack_settings s where s.article_id = $1)"
            ),
            params![article_id],
        )
        .await
}

/// An article renewed on fixed dates, with what the scheduler needs to find its next round.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Renewing {
    pub article_id: i64,
    pub renew_on: String,
    pub renew_due_days: Option<i64>,
    pub current_round: i64,
    pub created_at: DateTime<Utc>,
    /// The date of the latest round opened, if any.
    pub last_opens_on: Option<String>,
}

/// Every article with fixed renewal dates.
pub async fn renewing(db: &Db) -> Result<Vec<Renewing>, DbError> {
    db.pool()
        .fetch_all(
            "select s.article_id, s.renew_on, s.renew_due_days, s.current_round, s.created_at, \
             (select max(r.opens_on) from ack_rounds r where r.article_id = s.article_id) \
             as last_opens_on from ack_settings s where s.renew_on <> '' order by s.article_id",
            params![],
        )
        .await
}

/// Opens round `from_round + 1` for `opens_on`, with its due date, if the article is still in
/// `from_round`; false when another instance (or an earlier call) opened it first.
///
/// The round that closes keeps the due date it had (`ack_settings.due_at` is the current round's
/// and is overwritten here): the first round gets its row now, dated `first_opens_on` (the
/// Vietnam day its settings were made), and a later one has its row's due date brought up to
/// date, in case the editor moved it during the round. Reports of an earlier round read it there.
///
/// The conditional update of `ack_settings` is the claim: on PostgreSQL the second writer waits
/// for the row and then matches nothing; on SQLite it waits for the write lock. The writes before
/// it are conditioned on the same round and are rolled back with the loser's transaction; the
/// unique keys of `ack_rounds` are a second guard.
pub async fn open_round(
    db: &Db,
    article_id: i64,
    from_round: i64,
    opens_on: &str,
    first_opens_on: &str,
    due_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let mut tx = db.begin().await?;
    tx.execute(
        "insert into ack_rounds (article_id, round, opens_on, opened_at, due_at) \
         select s.article_id, 1, $3, s.created_at, s.due_at from ack_settings s \
         where s.article_id = $1 and s.current_round = $2 and s.current_round = 1 \
         on conflict do nothing",
        params![article_id, from_round, first_opens_on],
    )
    .await?;
    tx.execute(
        "update ack_rounds set due_at = (select s.due_at from ack_settings s \
         where s.article_id = $1) where article_id = $1 and round = $2 and exists \
         (select 1 from ack_settings s where s.article_id = $1 and s.current_round = $2)",
        params![article_id, from_round],
    )
    .await?;
    let claimed = tx
        .execute(
            "update ack_settings set current_round = $2 + 1, due_at = $3, updated_at = $4 \
             where article_id = $1 and current_round = $2",
            params![article_id, from_round, due_at, now],
        )
        .await?;
    if claimed != 1 {
        return Ok(false);
    }
    let inserted = tx
        .execute(
            "insert into ack_rounds (article_id, round, opens_on, opened_at, due_at) \
             values ($1, $2 + 1, $3, $4, $5) on conflict do nothing",
            params![article_id, from_round, opens_on, now, due_at],
        )
        .await?;
    if inserted != 1 {
        return Ok(false);
    }
    tx.commit().await?;
    Ok(true)
}

/// Lapses every staff confirmation older than its article's N-day rule at `now`; returns how
/// many. Citizens' confirmations never lapse (they are not asked again).
/// One insert per distinct N, so the cut-off is computed here and the SQL is the same on both
/// backends; `on conflict do nothing` makes concurrent runs harmless.
pub async fn lapse_due(db: &Db, now: DateTime<Utc>) -> Result<u64, DbError> {
    #[derive(sqlx::FromRow)]
    struct Days {
        days: i64,
    }
    let rules: Vec<Days> = db
        .pool()
        .fetch_all(
            "select distinct renew_every_days as days from ack_settings \
             where renew_every_days is not null",
            params![],
        )
        .await?;
    let mut lapsed = 0;
    for Days { days } in rules {
        let cutoff = now - Duration::days(days);
        lapsed += db
            .pool()
            .execute(
                "insert into ack_lapses (event_id, lapsed_at) \
                 select e.id, $3 from ack_events e \
                 join ack_settings s on s.article_id = e.article_id \
                 where s.renew_every_days = $1 and e.kind = 'confirm' and e.created_at <= $2 \
                 and e.user_id is not null \
                 and not exists (select 1 from ack_lapses l where l.event_id = e.id) \
                 on conflict do nothing",
                params![days, cutoff, now],
            )
            .await?;
    }
    Ok(lapsed)
}

/// The due date of each round of the article, oldest first: the rows of [`rounds`], and for the
/// current round the settings' due date (the editor may have moved it since the round opened).
/// An article that never renewed has one round, the first, dated the day its settings were made.
pub async fn due_dates(db: &Db, article_id: i64) -> Result<Vec<RoundRow>, DbError> {
    #[derive(sqlx::FromRow)]
    struct Now {
        current_round: i64,
        due_at: Option<DateTime<Utc>>,
        created_at: DateTime<Utc>,
    }
    let Some(now): Option<Now> = db
        .pool()
        .fetch_optional(
            "select current_round, due_at, created_at from ack_settings where article_id = $1",
            params![article_id],
        )
        .await?
    else {
        return Ok(Vec::new());
    };
    let mut out = rounds(db, article_id).await?;
    match out.iter_mut().find(|r| r.round == now.current_round) {
        Some(current) => current.due_at = now.due_at,
        None => out.push(RoundRow {
            article_id,
            round: now.current_round,
            opens_on: now
                .created_at
                .with_timezone(&crate::time::vietnam())
                .format("%Y-%m-%d")
                .to_string(),
            opened_at: now.created_at,
            due_at: now.due_at,
        }),
    }
    out.sort_by_key(|r| r.round);
    Ok(out)
}

/// Staff confirmations of one version per round (revoked ones left out), oldest round first:
/// the earlier rounds beside the current one on the article's page.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct RoundCount {
    pub round: i64,
    pub opens_on: Option<String>,
    pub confirmations: i64,
}

pub async fn counts(db: &Db, article_id: i64, version: i64) -> Result<Vec<RoundCount>, DbError> {
    let sql = format!(
        "select e.round, r.opens_on, count(distinct e.user_id) as confirmations \
         from ack_events e left join ack_rounds r on r.article_id = e.article_id \
         and r.round = e.round \
         where e.article_id = $1 and e.version = $2 and e.user_id is not null and {VALID} \
         group by e.round, r.opens_on order by e.round",
        VALID = super::ack_status::VALID
    );
    db.pool()
        .fetch_all(&sql, params![article_id, version])
        .await
}
