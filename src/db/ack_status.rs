//! Staff acknowledgment status, derived from events: who is in an article's audience, who has
//! confirmed its current major version, who is pending, and each person's own items.
//!
//! Nothing here stores a status flag. Confirmed = a confirm event for the current version that no
//! revoke event names; pending = the *current* active members of the audience minus the
//! confirmed, so people who join a unit become pending and deactivated people drop out.
//! Settings are read with small queries of their own (the settings API lives in
//! `db::ack_settings`). `db::campaigns::progress` counts the same things for many articles and
//! units at once, with the same rules (a shared test checks that the figures agree).

use chrono::{DateTime, Utc};

use super::{Db, DbError, Tx};
use crate::params;

/// An article's acknowledgment settings with its current version's text hash and reason.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AckArticle {
    pub article_id: i64,
    pub slug: String,
    pub title: String,
    pub status: String,
    #[sqlx(flatten)]
    pub terms: AckTerms,
    /// The N-day renewal rule, if any (issue 17).
    pub renew_every_days: Option<i64>,
    /// The statement of the current version as stored with it (the settings' when no row yet).
    pub statement: String,
    /// None when the version row is missing: then nothing can be confirmed.
    pub text_hash: Option<String>,
    pub reason: Option<String>,
}

/// An article's acknowledgment terms, as an article's settings and a campaign's article list
/// both read them.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AckTerms {
    pub staff_all: bool,
    pub citizens: bool,
    pub due_at: Option<DateTime<Utc>>,
    pub closes_at: Option<DateTime<Utc>>,
    /// The major version people confirm now.
    pub current_version: i64,
    /// The renewal round people confirm now (1 until fixed dates open another).
    pub current_round: i64,
}

impl AckTerms {
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.due_at.is_some_and(|d| now > d)
    }
}

/// Why a confirmation cannot be taken now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closed {
    NotPublished,
    AfterClosing,
    NoVersion,
}

impl AckArticle {
    /// Confirmations are taken while the article is published, before its closing time, and
    /// once its current version's text exists.
    pub fn closed(&self, now: DateTime<Utc>) -> Option<Closed> {
        if self.status != "published" {
            Some(Closed::NotPublished)
        } else if !super::ack_settings::before_closing(self.terms.closes_at, now) {
            Some(Closed::AfterClosing)
        } else if self.text_hash.is_none() {
            Some(Closed::NoVersion)
        } else {
            None
        }
    }
}

const ARTICLE: &str = concat!(
    "select a.id as article_id, a.slug, a.title, a.status, s.staff_all, \
     s.citizens, s.due_at, s.closes_at, s.current_version, s.current_round, s.renew_every_days, \
     coalesce(v.statement, s.statement) as statement, v.text_hash, v.reason from ",
    crate::ack_with_current_version!(),
    " where s.article_id = $1 and a.deleted_at is null"
);

/// The settings of an article that takes acknowledgments; None when it takes none.
pub async fn article(db: &Db, article_id: i64) -> Result<Option<AckArticle>, DbError> {
    db.pool().fetch_optional(ARTICLE, params![article_id]).await
}

/// The units of the audience and every unit below them, as a recursive CTE named `aud`.
const AUDIENCE_UNITS: &str = "with recursive aud(id) as ( \
    select unit_id from ack_units where article_id = $1 \
    union \
    select u.id from units u join aud on u.parent_id = aud.id)";

/// A member of an article's staff audience.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Member {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub unit: String,
}

/// The current active members of the audience, by unit and name.
pub async fn audience(db: &Db, article_id: i64) -> Result<Vec<Member>, DbError> {
    let sql = format!(
        "{AUDIENCE_UNITS} select u.id as user_id, u.name, u.email, \
         coalesce(un.name, '') as unit from users u left join units un on un.id = u.unit_id \
         where u.active and exists (select 1 from ack_settings s where s.article_id = $1 \
         and (s.staff_all or u.unit_id in (select id from aud))) \
         order by coalesce(un.name, ''), u.name, u.id"
    );
    db.pool().fetch_all(&sql, params![article_id]).await
}

/// The statement of [`in_audience`]: `$1` article, `$2` account. Every confirmation asks it.
pub fn in_audience_sql() -> String {
    format!(
        "{AUDIENCE_UNITS} select count(*) from users u where u.id = $2 and u.active \
         and exists (select 1 from ack_settings s where s.article_id = $1 \
         and (s.staff_all or u.unit_id in (select id from aud)))"
    )
}

/// Whether this account is, right now, an active member of the article's audience.
pub async fn in_audience(db: &Db, article_id: i64, user_id: i64) -> Result<bool, DbError> {
    Ok(db
        .pool()
        .fetch_i64(&in_audience_sql(), params![article_id, user_id])
        .await?
        > 0)
}

/// A confirm event (`e`) no revoke event names, of any round: what a person's history shows.
pub(crate) const VALID: &str = "e.kind = 'confirm' and not exists \
    (select 1 from ack_events r where r.kind = 'revoke' and r.revokes_id = e.id)";

/// A valid confirmation (`e`) that counts now: of the article's current round and not lapsed
/// under an N-day rule. Both checks are primary-key lookups (`ack_settings`, `ack_lapses`), so
/// the status queries stay indexed. Shared with `db::campaigns::progress`, which applies the
/// same audience and confirmation rules to every article of a campaign at once.
pub(crate) const STANDING: &str = "e.kind = 'confirm' and not exists \
    (select 1 from ack_events r where r.kind = 'revoke' and r.revokes_id = e.id) \
    and e.round = (select cr.current_round from ack_settings cr where cr.article_id = e.article_id) \
    and not exists (select 1 from ack_lapses l where l.event_id = e.id)";

/// A standing staff confirmation, with who recorded it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Confirmation {
    pub event_id: i64,
    pub user_id: i64,
    pub name: String,
    pub unit: String,
    pub version: i64,
    /// The renewal round it belongs to (1 unless fixed-date renewals opened others).
    pub round: i64,
    pub text_hash: String,
    pub created_at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub note: String,
}

impl Confirmation {
    /// Who recorded it for the person (a paper sign-off), when it was not themselves.
    pub fn on_behalf_by(&self) -> Option<&str> {
        match (&self.actor_name, self.actor_id) {
            (Some(name), Some(actor)) if actor != self.user_id => Some(name),
            _ => None,
        }
    }
}

const CONFIRMATIONS: &str = "select e.id as event_id, e.user_id, u.name, \
    coalesce(un.name, '') as unit, e.version, e.round, e.text_hash, e.created_at, e.actor_id, \
    act.name as actor_name, e.note \
    from ack_events e join users u on u.id = e.user_id \
    left join units un on un.id = u.unit_id \
    left join users act on act.id = e.actor_id";

/// The standing staff confirmations of one version, oldest first.
pub async fn confirmations(
    db: &Db,
    article_id: i64,
    version: i64,
) -> Result<Vec<Confirmation>, DbError> {
    let sql = format!(
        "{CONFIRMATIONS} where e.article_id = $1 and e.version = $2 and {STANDING} \
         order by e.created_at, e.id"
    );
    db.pool()
        .fetch_all(&sql, params![article_id, version])
        .await
}

/// A member of the audience with their standing confirmation of the version, if any.
#[derive(Clone, Debug)]
pub struct Status {
    pub member: Member,
    pub confirmation: Option<Confirmation>,
}

/// Every current member of the audience (by unit and name) with their standing confirmation of
/// `version`: what the per-article page and its export show.
pub async fn statuses(db: &Db, article_id: i64, version: i64) -> Result<Vec<Status>, DbError> {
    let audience = audience(db, article_id).await?;
    let mut by_user: std::collections::HashMap<i64, Confirmation> =
        confirmations(db, article_id, version)
            .await?
            .into_iter()
            .map(|c| (c.user_id, c))
            .collect();
    Ok(audience
        .into_iter()
        .map(|member| Status {
            confirmation: by_user.remove(&member.user_id),
            member,
        })
        .collect())
}

/// One person's latest valid confirmation of the article, of any version or round (it may no
/// longer count: see [`STANDING`]).
pub async fn latest_of(
    db: &Db,
    article_id: i64,
    user_id: i64,
) -> Result<Option<Confirmation>, DbError> {
    Ok(history_of(db, article_id, user_id)
        .await?
        .into_iter()
        .next())
}

/// The statement of [`history_of`]: `$1` article, `$2` person. The status box of every article
/// page a signed-in person opens asks it.
pub fn history_sql() -> String {
    format!(
        "{CONFIRMATIONS} where e.article_id = $1 and e.user_id = $2 and {VALID} \
         order by e.id desc"
    )
}

/// Every valid confirmation one person gave of the article, in every version and round, newest
/// first: their history, and the evidence that earlier rounds were confirmed.
pub async fn history_of(
    db: &Db,
    article_id: i64,
    user_id: i64,
) -> Result<Vec<Confirmation>, DbError> {
    db.pool()
        .fetch_all(&history_sql(), params![article_id, user_id])
        .await
}

/// Whether this confirmation counts now (see [`STANDING`]).
pub async fn is_standing(db: &Db, event_id: i64) -> Result<bool, DbError> {
    let sql = format!("select count(*) from ack_events e where e.id = $1 and {STANDING}");
    Ok(db.pool().fetch_i64(&sql, params![event_id]).await? > 0)
}

/// One event, for the admin's revoke form.
pub async fn event(
    db: &Db,
    article_id: i64,
    event_id: i64,
) -> Result<Option<Confirmation>, DbError> {
    let sql = format!("{CONFIRMATIONS} where e.article_id = $1 and e.id = $2 and {STANDING}");
    db.pool()
        .fetch_optional(&sql, params![article_id, event_id])
        .await
}

/// A staff confirmation to record: by the person, or by the Office on their behalf.
#[derive(Clone, Debug)]
pub struct NewConfirm<'a> {
    pub article_id: i64,
    pub version: i64,
    pub user_id: i64,
    pub text_hash: &'a str,
    pub actor_id: i64,
    pub note: &'a str,
    pub ip: &'a str,
}

impl<'a> NewConfirm<'a> {
    /// `user_id`'s confirmation of the article's current version, recorded by `actor_id` (the
    /// person, or the Office on their behalf with a note): what the staff button and the admin's
    /// "ghi nhận thay" both record.
    pub fn of(
        ack: &'a AckArticle,
        (user_id, actor_id): (i64, i64),
        note: &'a str,
        ip: &'a str,
    ) -> NewConfirm<'a> {
        NewConfirm {
            article_id: ack.article_id,
            version: ack.terms.current_version,
            user_id,
            text_hash: ack.text_hash.as_deref().unwrap_or_default(),
            actor_id,
            note,
            ip,
        }
    }
}

/// The statement of [`record_confirm`]: `$1` article, `$2` version, `$3` person, `$4` text hash,
/// `$5` actor, `$6` note, `$7` address, `$8` now.
pub fn record_confirm_sql() -> String {
    format!(
        "insert into ack_events (article_id, version, kind, user_id, text_hash, actor_id, note, \
         seq, ip, created_at, round) \
         select $1, $2, 'confirm', $3, $4, $5, $6, \
         (select count(*) from ack_events c where c.article_id = $1 and c.version = $2 \
          and c.user_id = $3 and c.kind = 'confirm'), $7, $8, \
         (select s.current_round from ack_settings s where s.article_id = $1) \
         where not exists (select 1 from ack_events e where e.article_id = $1 \
          and e.version = $2 and e.user_id = $3 and {STANDING}) \
         on conflict do nothing"
    )
}

/// Records a confirmation unless one already stands; true when this call recorded it.
///
/// One statement, so the check and the insert cannot be split by a second click: `seq` counts the
/// person's earlier confirmations of the version, and the unique index on it makes the loser of a
/// race insert nothing (`on conflict do nothing`, which also keeps a PostgreSQL transaction usable).
pub async fn record_confirm(
    tx: &mut Tx,
    c: &NewConfirm<'_>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let sql = record_confirm_sql();
    let n = tx
        .execute(
            &sql,
            params![
                c.article_id,
                c.version,
                c.user_id,
                c.text_hash,
                c.actor_id,
                c.note,
                c.ip,
                now
            ],
        )
        .await?;
    Ok(n == 1)
}

/// Revokes a standing staff confirmation of the article with a reason; false when there was
/// none to revoke (already revoked, or not this article's).
pub async fn revoke(
    tx: &mut Tx,
    article_id: i64,
    event_id: i64,
    actor_id: i64,
    reason: &str,
    ip: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let sql = format!(
        "insert into ack_events (article_id, version, kind, user_id, text_hash, actor_id, \
         revokes_id, reason, ip, created_at, round) \
         select e.article_id, e.version, 'revoke', e.user_id, e.text_hash, $3, e.id, $4, $5, $6, \
         e.round \
         from ack_events e where e.id = $2 and e.article_id = $1 and e.user_id is not null \
         and {STANDING}"
    );
    let n = tx
        .execute(
            &sql,
            params![article_id, event_id, actor_id, reason, ip, now],
        )
        .await?;
    Ok(n == 1)
}

/// One article a person must acknowledge, with their standing confirmation of its current
/// version if any.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserItem {
    pub article_id: i64,
    pub slug: String,
    pub title: String,
    pub due_at: Option<DateTime<Utc>>,
    pub closes_at: Option<DateTime<Utc>>,
    pub current_version: i64,
    pub confirmed_event: Option<i64>,
}

impl UserItem {
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        super::ack_settings::before_closing(self.closes_at, now)
    }
}

/// The units a person belongs to: their unit and every unit above it, as a recursive CTE named
/// `anc` (`$1`: the account).
const MY_UNITS: &str = "with recursive anc(id) as ( \
    select unit_id from users where id = $1 and unit_id is not null \
    union \
    select un.parent_id from units un join anc on un.id = anc.id \
    where un.parent_id is not null)";

/// The acknowledgment settings `s` of published articles `a` whose audience includes the active
/// account `$1`. `cross join` keeps the settings as the outer loop on SQLite (its planner would
/// otherwise walk every live article and probe the settings of each); PostgreSQL treats it as
/// the inner join it is.
const MINE: &str = "from ack_settings s cross join articles a \
    where a.id = s.article_id \
    and a.status = 'published' and a.deleted_at is null \
    and exists (select 1 from users me where me.id = $1 and me.active) \
    and (s.staff_all or exists (select 1 from ack_units au \
         where au.article_id = s.article_id and au.unit_id in (select id from anc)))";

/// Every published article whose audience includes this active account: their pending and
/// confirmed items, soonest due first.
pub async fn items_for_user(db: &Db, user_id: i64) -> Result<Vec<UserItem>, DbError> {
    let sql = format!(
        "{MY_UNITS} select a.id as article_id, a.slug, a.title, s.due_at, s.closes_at, \
         s.current_version, \
         (select max(e.id) from ack_events e where e.article_id = a.id \
          and e.version = s.current_version and e.user_id = $1 and {STANDING}) \
          as confirmed_event \
         {MINE} order by s.due_at is null, s.due_at, a.title, a.id"
    );
    db.pool().fetch_all(&sql, params![user_id]).await
}

/// The header's count, asked on every signed-in request: open items (`$2`: now) of account `$1`
/// with no standing confirmation of their current version. One statement whose every step is an
/// index lookup (the person's events of one article and version through
/// `ack_events_staff_once`, revocations through `ack_events_by_revoked`); it reads the settings
/// of the articles that take acknowledgments, never the events of other people.
pub fn pending_count_sql() -> String {
    format!(
        "{MY_UNITS} select count(*) {MINE} \
         and (s.closes_at is null or s.closes_at > $2) \
         and not exists (select 1 from ack_events e where e.article_id = s.article_id \
              and e.version = s.current_version and e.user_id = $1 and {STANDING})"
    )
}

/// The number of open items this person has yet to confirm (the header's count).
pub async fn pending_count(db: &Db, user_id: i64, now: DateTime<Utc>) -> Result<i64, DbError> {
    db.pool()
        .fetch_i64(&pending_count_sql(), params![user_id, now])
        .await
}

/// Anonymous citizen confirmations of one day and locality.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CitizenCount {
    pub day: String,
    pub locality: String,
    pub locality_name: Option<String>,
    pub confirmations: i64,
}

impl CitizenCount {
    /// The locality's name, its slug when it has gone from `site.toml`, or "no locality given".
    pub fn locality_label(&self) -> String {
        match (&self.locality_name, self.locality.as_str()) {
            (Some(name), _) => name.clone(),
            (None, "") => "Không ghi địa bàn".to_owned(),
            (None, slug) => slug.to_owned(),
        }
    }
}

/// The citizens' counts of an article, newest day first.
pub async fn citizen_counts(db: &Db, article_id: i64) -> Result<Vec<CitizenCount>, DbError> {
    db.pool()
        .fetch_all(
            "select c.day, c.locality, l.name as locality_name, c.confirmations \
             from ack_citizen_counts c left join localities l on l.slug = c.locality \
             where c.article_id = $1 order by c.day desc, l.position, c.locality",
            params![article_id],
        )
        .await
}
