//! Acknowledgment settings and versions: who must confirm an article, until when, and the exact
//! text of every major version (the rows a confirmation's version and hash refer to).
//!
//! The other parts of the acknowledgment feature read through [`settings`], [`current_version`],
//! [`version`] and [`is_open`]; the editor and the content import write through [`save`],
//! [`remove`], [`ensure_version`] and [`new_major_version`].

use chrono::{DateTime, Utc};

use super::{Db, DbError, Tx};
use crate::ack::{self, AckSettings, Renewal, StaffAudience};
use crate::article::ArticleStatus;
use crate::params;

/// An article's acknowledgment settings as stored, with its audience units.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SettingsRow {
    pub article_id: i64,
    pub staff_all: bool,
    pub citizens: bool,
    pub due_at: Option<DateTime<Utc>>,
    pub statement: String,
    pub closes_at: Option<DateTime<Utc>>,
    pub current_version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The renewal rule as stored (see [`ack::Renewal`]): days, or "09-01,03-15" with due days.
    pub renew_every_days: Option<i64>,
    pub renew_on: String,
    pub renew_due_days: Option<i64>,
    /// The round people confirm now (1 until a fixed-date renewal opens another).
    pub current_round: i64,
    /// The audience units (their sub-units are in the audience too), in the site file's order.
    #[sqlx(skip)]
    pub units: Vec<AckUnit>,
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AckUnit {
    pub id: i64,
    pub slug: String,
}

impl SettingsRow {
    /// The unit ids of the audience (without their sub-units).
    pub fn unit_ids(&self) -> Vec<i64> {
        self.units.iter().map(|u| u.id).collect()
    }

    /// The settings as the front matter and the editor know them (units by slug).
    pub fn to_settings(&self) -> AckSettings {
        let staff = if self.staff_all {
            StaffAudience::All
        } else if self.units.is_empty() {
            StaffAudience::None
        } else {
            StaffAudience::Units(self.units.iter().map(|u| u.slug.clone()).collect())
        };
        AckSettings {
            staff,
            citizens: self.citizens,
            due: self.due_at,
            statement: self.statement.clone(),
            closes: self.closes_at,
            renewal: self.renewal(),
        }
    }

    pub fn renewal(&self) -> Renewal {
        let days = |d: Option<i64>| d.and_then(|n| u32::try_from(n).ok());
        let dates: Vec<(u32, u32)> = self
            .renew_on
            .split(',')
            .filter_map(ack::parse_month_day)
            .collect();
        if !dates.is_empty() {
            Renewal::OnDates {
                dates,
                due_days: days(self.renew_due_days),
            }
        } else {
            days(self.renew_every_days).map_or(Renewal::None, Renewal::EveryDays)
        }
    }
}

/// The renewal rule as the three stored columns.
fn renewal_columns(r: &Renewal) -> (Option<i64>, String, Option<i64>) {
    match r {
        Renewal::None => (None, String::new(), None),
        Renewal::EveryDays(n) => (Some(i64::from(*n)), String::new(), None),
        Renewal::OnDates { dates, due_days } => {
            let on: Vec<String> = dates.iter().map(|d| ack::format_month_day(*d)).collect();
            (None, on.join(","), due_days.map(i64::from))
        }
    }
}

/// The exact text of one major version, as people confirm it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct VersionRow {
    pub article_id: i64,
    pub version: i64,
    pub title: String,
    pub body: String,
    pub statement: String,
    pub text_hash: String,
    /// Why people must confirm again (empty for version 1).
    pub reason: String,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl VersionRow {
    /// The text whose SHA-256 is [`VersionRow::text_hash`].
    pub fn confirmed_text(&self) -> String {
        ack::confirmed_text(&self.title, &self.body, &self.statement)
    }
}

const SETTINGS: &str = "select article_id, staff_all, citizens, due_at, statement, closes_at, \
     current_version, created_at, updated_at, renew_every_days, renew_on, renew_due_days, \
     current_round from ack_settings where article_id = $1";
const UNITS: &str = "select u.id, u.slug from ack_units a join units u on u.id = a.unit_id \
     where a.article_id = $1 order by u.position, u.id";
const VERSION: &str = "select article_id, version, title, body, statement, text_hash, reason, \
     created_by, created_at from ack_versions";

/// The article's settings, or `None` when it takes no acknowledgments.
pub async fn settings(db: &Db, article_id: i64) -> Result<Option<SettingsRow>, DbError> {
    let Some(mut row) = db
        .pool()
        .fetch_optional::<SettingsRow>(SETTINGS, params![article_id])
        .await?
    else {
        return Ok(None);
    };
    row.units = db.pool().fetch_all(UNITS, params![article_id]).await?;
    Ok(Some(row))
}

/// [`settings`] inside a transaction.
pub async fn settings_tx(tx: &mut Tx, article_id: i64) -> Result<Option<SettingsRow>, DbError> {
    let Some(mut row) = tx
        .fetch_optional::<SettingsRow>(SETTINGS, params![article_id])
        .await?
    else {
        return Ok(None);
    };
    row.units = tx.fetch_all(UNITS, params![article_id]).await?;
    Ok(Some(row))
}

/// The version people must confirm now, or `None` when the article takes no acknowledgments or
/// was never published. An article that takes acknowledgments and was published without the
/// editor (by the scheduler) gets its first version here, from its text at this moment.
pub async fn current_version(db: &Db, article_id: i64) -> Result<Option<VersionRow>, DbError> {
    let Some(s) = settings(db, article_id).await? else {
        return Ok(None);
    };
    if let Some(v) = version(db, article_id, s.current_version).await? {
        return Ok(Some(v));
    }
    let mut tx = db.begin().await?;
    ensure_version(&mut tx, article_id, None, crate::time::now()).await?;
    tx.commit().await?;
    version(db, article_id, s.current_version).await
}

/// The text of version `v`, kept for ever.
pub async fn version(db: &Db, article_id: i64, v: i64) -> Result<Option<VersionRow>, DbError> {
    db.pool()
        .fetch_optional(
            &format!("{VERSION} where article_id = $1 and version = $2"),
            params![article_id, v],
        )
        .await
}

/// Every stored version, oldest first.
pub async fn versions(db: &Db, article_id: i64) -> Result<Vec<VersionRow>, DbError> {
    db.pool()
        .fetch_all(
            &format!("{VERSION} where article_id = $1 order by version"),
            params![article_id],
        )
        .await
}

/// Whether new confirmations are taken: the article is published and its closing date, if any,
/// has not passed.
pub fn is_open(settings: &SettingsRow, status: ArticleStatus, now: DateTime<Utc>) -> bool {
    status == ArticleStatus::Published && before_closing(settings.closes_at, now)
}

/// Whether `now` is before the closing date, if there is one: the closing rule of every reader of
/// acknowledgment settings (the article box, the citizen form, a person's list, the reminders).
pub fn before_closing(closes_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    closes_at.is_none_or(|c| now < c)
}

/// The settings (`s`) of an article (`a`) with their current version (`v`, absent until it is
/// stored), as a `from` clause: which version is current is said here only.
#[macro_export]
macro_rules! ack_with_current_version {
    () => {
        "ack_settings s join articles a on a.id = s.article_id \
         left join ack_versions v on v.article_id = s.article_id and v.version = s.current_version"
    };
}

/// Creates or replaces the settings. `unit_ids` are the audience units when the staff audience
/// is a list of units (ignored otherwise). Re-enabling acknowledgments continues from the last
/// stored version, so earlier confirmations keep their meaning.
pub async fn save(
    tx: &mut Tx,
    article_id: i64,
    s: &AckSettings,
    unit_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let staff_all = s.staff == StaffAudience::All;
    let (every, on, due_days) = renewal_columns(&s.renewal);
    // Re-enabling continues from the last round too, so no confirmation changes its meaning.
    tx.execute(
        "insert into ack_settings (article_id, staff_all, citizens, due_at, statement, closes_at, \
         current_version, created_at, updated_at, renew_every_days, renew_on, renew_due_days, \
         current_round) \
         values ($1, $2, $3, $4, $5, $6, \
         (select coalesce(max(version), 1) from ack_versions where article_id = $1), $7, $7, \
         $8, $9, $10, \
         (select coalesce(max(round), 1) from ack_rounds where article_id = $1)) \
         on conflict (article_id) do update set staff_all = excluded.staff_all, \
         citizens = excluded.citizens, due_at = excluded.due_at, \
         statement = excluded.statement, closes_at = excluded.closes_at, \
         updated_at = excluded.updated_at, renew_every_days = excluded.renew_every_days, \
         renew_on = excluded.renew_on, renew_due_days = excluded.renew_due_days",
        params![
            article_id,
            staff_all,
            s.citizens,
            s.due,
            s.statement.as_str(),
            s.closes,
            now,
            every,
            on,
            due_days
        ],
    )
    .await?;
    tx.execute(
        "delete from ack_units where article_id = $1",
        params![article_id],
    )
    .await?;
    if matches!(s.staff, StaffAudience::Units(_)) {
        for id in unit_ids {
            tx.execute(
                "insert into ack_units (article_id, unit_id) values ($1, $2) \
                 on conflict do nothing",
                params![article_id, *id],
            )
            .await?;
        }
    }
    Ok(())
}

/// The article takes no more acknowledgments. Versions and events stay (they are the record).
pub async fn remove(tx: &mut Tx, article_id: i64) -> Result<(), DbError> {
    tx.execute(
        "delete from ack_settings where article_id = $1",
        params![article_id],
    )
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Source {
    title: String,
    body: String,
    status: String,
    deleted: bool,
    statement: String,
    current_version: i64,
}

async fn source(tx: &mut Tx, article_id: i64) -> Result<Option<Source>, DbError> {
    tx.fetch_optional(
        "select a.title, a.body, a.status, a.deleted_at is not null as deleted, s.statement, \
         s.current_version from articles a join ack_settings s on s.article_id = a.id \
         where a.id = $1",
        params![article_id],
    )
    .await
}

async fn insert_version(
    tx: &mut Tx,
    article_id: i64,
    v: i64,
    src: &Source,
    reason: &str,
    created_by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let hash = ack::text_hash(&ack::confirmed_text(&src.title, &src.body, &src.statement));
    // A concurrent writer may have stored the same version first: theirs stands.
    tx.execute(
        "insert into ack_versions (article_id, version, title, body, statement, text_hash, \
         reason, created_by, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         on conflict (article_id, version) do nothing",
        params![
            article_id,
            v,
            src.title.as_str(),
            src.body.as_str(),
            src.statement.as_str(),
            hash,
            reason,
            created_by,
            now
        ],
    )
    .await?;
    Ok(())
}

/// Stores the current version's text when the article takes acknowledgments, is published and
/// has none yet (the first publication, or acknowledgments enabled on a published article).
/// Returns the version created, if any.
pub async fn ensure_version(
    tx: &mut Tx,
    article_id: i64,
    created_by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbError> {
    let Some(src) = source(tx, article_id).await? else {
        return Ok(None);
    };
    if src.deleted || src.status != ArticleStatus::Published.as_str() {
        return Ok(None);
    }
    let exists = tx
        .fetch_i64(
            "select count(*) from ack_versions where article_id = $1 and version = $2",
            params![article_id, src.current_version],
        )
        .await?;
    if exists > 0 {
        return Ok(None);
    }
    insert_version(
        tx,
        article_id,
        src.current_version,
        &src,
        "",
        created_by,
        now,
    )
    .await?;
    Ok(Some(src.current_version))
}

/// A major edit: everyone must confirm again. Stores the article's text as it is now (call it
/// after writing the article) as the next version, with the reason staff will see. Returns the
/// new version, or `None` when the article takes no acknowledgments.
pub async fn new_major_version(
    tx: &mut Tx,
    article_id: i64,
    reason: &str,
    created_by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbError> {
    let Some(mut src) = source(tx, article_id).await? else {
        return Ok(None);
    };
    let latest = tx
        .fetch_i64(
            "select coalesce(max(version), 0) from ack_versions where article_id = $1",
            params![article_id],
        )
        .await?;
    let next = latest.max(src.current_version) + 1;
    tx.execute(
        "update ack_settings set current_version = $2, updated_at = $3 where article_id = $1",
        params![article_id, next, now],
    )
    .await?;
    src.current_version = next;
    insert_version(tx, article_id, next, &src, reason, created_by, now).await?;
    Ok(Some(next))
}

/// Whether the article already has a stored version people confirm (so a change to it is
/// minor or major).
pub async fn has_version(db: &Db, article_id: i64) -> Result<bool, DbError> {
    Ok(db
        .pool()
        .fetch_i64(
            "select count(*) from ack_versions v join ack_settings s \
             on s.article_id = v.article_id and s.current_version = v.version \
             where v.article_id = $1",
            params![article_id],
        )
        .await?
        > 0)
}
