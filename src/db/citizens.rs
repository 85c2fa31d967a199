//! Citizens' confirmations: the article's citizen settings, recording a confirmation (with the
//! poster's place, if any) and its anonymous counts, the recent-activity counts behind the rate
//! limits, the purge of personal data after the retention period, and the admin's find /
//! export / delete by contact.

use chrono::{DateTime, Utc};

use super::audit::{self, Entry};
use super::{Db, DbError};
use crate::params;

/// A published article that takes citizens' confirmations, with its current version.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CitizenAck {
    pub article_id: i64,
    pub slug: String,
    pub title: String,
    pub closes_at: Option<DateTime<Utc>>,
    pub current_version: i64,
    /// The hash of the current version's exact text; `None` until that version's row exists.
    pub text_hash: Option<String>,
}

impl CitizenAck {
    /// Whether new confirmations are still taken at `now`.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        super::ack_settings::before_closing(self.closes_at, now)
    }
}

/// The citizen settings of a published article, if it takes citizens' confirmations.
pub async fn for_article(db: &Db, slug: &str) -> Result<Option<CitizenAck>, DbError> {
    db.pool()
        .fetch_optional(
            concat!(
                "select a.id as article_id, a.slug, a.title, s.closes_at, s.current_version, \
                 v.text_hash from ",
                crate::ack_with_current_version!(),
                " where a.slug = $1 and a.status = 'published' and a.deleted_at is null \
                 and s.citizens = true"
            ),
            params![slug],
        )
        .await
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct LocalityRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

pub async fn localities(db: &Db) -> Result<Vec<LocalityRow>, DbError> {
    db.pool()
        .fetch_all(
            "select id, slug, name from localities order by position, id",
            vec![],
        )
        .await
}

/// Citizens' confirmations recorded from `network` (`http::client::Client::network`) since
/// `since` (for the per-address limit).
pub async fn recent_by_network(
    db: &Db,
    network: &str,
    since: DateTime<Utc>,
) -> Result<i64, DbError> {
    db.pool()
        .fetch_i64(
            "select count(*) from ack_events where kind = 'confirm' and user_id is null \
             and ip = $1 and created_at >= $2",
            params![network, since],
        )
        .await
}

/// Confirmations by one contact since `since`, on any article (for the per-contact limit).
pub async fn recent_by_contact(
    db: &Db,
    contact_key: &str,
    since: DateTime<Utc>,
) -> Result<i64, DbError> {
    db.pool()
        .fetch_i64(
            "select count(*) from ack_events where kind = 'confirm' and contact_key = $1 \
             and created_at >= $2",
            params![contact_key, since],
        )
        .await
}

/// A confirmation to record. `contact_key` is the normalised phone if given, else the e-mail.
#[derive(Clone, Debug)]
pub struct NewConfirmation {
    pub article_id: i64,
    pub version: i64,
    pub text_hash: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub contact_key: String,
    pub locality: Option<LocalityRow>,
    /// The place whose poster the citizen came from (`?nguon=`), when the tag was a known one.
    pub place_id: Option<i64>,
    pub consent_text_hash: String,
    /// The client's address, kept on the citizen's record until the purge.
    pub ip: String,
    /// What the per-address limit counts (the IPv4 address or the IPv6 /64), kept on the event
    /// until the purge.
    pub network: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    New,
    /// This contact had already confirmed this version: nothing was written.
    Repeat,
}

/// Records the citizen, their confirmation and the anonymous count, in one transaction. A repeat
/// (found first, or caught by the unique index when two requests race) writes nothing.
pub async fn record(db: &Db, c: &NewConfirmation, now: DateTime<Utc>) -> Result<Recorded, DbError> {
    let seen = db
        .pool()
        .fetch_i64(
            "select count(*) from ack_events where kind = 'confirm' and article_id = $1 \
             and version = $2 and contact_key = $3",
            params![c.article_id, c.version, c.contact_key.as_str()],
        )
        .await?;
    if seen > 0 {
        return Ok(Recorded::Repeat);
    }
    let mut tx = db.begin().await?;
    let citizen_id = tx
        .fetch_i64(
            "insert into citizens (name, phone, email, contact_key, locality_id, \
             consent_text_hash, ip, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8) \
             returning id",
            params![
                c.name.as_str(),
                c.phone.clone(),
                c.email.clone(),
                c.contact_key.as_str(),
                c.locality.as_ref().map(|l| l.id),
                c.consent_text_hash.as_str(),
                c.ip.as_str(),
                now
            ],
        )
        .await?;
    let inserted = tx
        .execute(
            // The round current when it was given, for the evidence; citizens are never asked
            // again, so the repeat check above stays per contact and version.
            "insert into ack_events (article_id, version, kind, citizen_id, contact_key, \
             text_hash, seq, ip, place_id, created_at, round) \
             values ($1, $2, 'confirm', $3, $4, $5, 0, $6, $7, $8, coalesce((select \
             s.current_round from ack_settings s where s.article_id = $1), 1))",
            params![
                c.article_id,
                c.version,
                citizen_id,
                c.contact_key.as_str(),
                c.text_hash.as_str(),
                c.network.as_str(),
                c.place_id,
                now
            ],
        )
        .await;
    match inserted {
        Ok(_) => {}
        // The other request of a double submit won; this one rolls back.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Ok(Recorded::Repeat),
        Err(e) => return Err(e),
    }
    let day = vietnam_day(now);
    tx.execute(
        "insert into ack_citizen_counts (article_id, day, locality, confirmations) \
         values ($1, $2, $3, 1) on conflict (article_id, day, locality) \
         do update set confirmations = ack_citizen_counts.confirmations + 1",
        params![
            c.article_id,
            day.as_str(),
            c.locality
                .as_ref()
                .map(|l| l.slug.clone())
                .unwrap_or_default()
        ],
    )
    .await?;
    if let Some(place_id) = c.place_id {
        super::places::count_confirmation(&mut tx, c.article_id, &day, place_id).await?;
    }
    tx.commit().await?;
    Ok(Recorded::New)
}

/// `yyyy-mm-dd` in Vietnam time.
pub fn vietnam_day(t: DateTime<Utc>) -> String {
    t.with_timezone(&crate::time::vietnam())
        .format("%Y-%m-%d")
        .to_string()
}

/// Citizens' confirmations of an article, every version, from the anonymous counts (which
/// survive the purge).
pub async fn total_for_article(db: &Db, article_id: i64) -> Result<i64, DbError> {
    db.pool()
        .fetch_i64(
            "select cast(coalesce(sum(confirmations), 0) as bigint) from ack_citizen_counts \
             where article_id = $1",
            params![article_id],
        )
        .await
}

/// What the purge and a deletion on request clear: every column of `citizens` and `ack_events`
/// that could identify a citizen. The privacy page promises exactly this list (a test compares).
pub const ERASED_CITIZEN_COLUMNS: [&str; 5] = ["name", "phone", "email", "contact_key", "ip"];
pub const ERASED_EVENT_COLUMNS: [&str; 2] = ["contact_key", "ip"];

/// Removes names, contacts and addresses of citizens whose article stopped taking confirmations
/// before `cutoff` — or, when it never closes, who confirmed before `cutoff`; the events and
/// counts stay, anonymous. Returns how many citizens were purged.
pub async fn purge_expired(
    db: &Db,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u64, DbError> {
    // Events first: they find their citizens through the citizens' still-present rows. An
    // article without settings (or without a closing date) is aged by the confirmation itself.
    let expired = "select e.citizen_id from ack_events e left join ack_settings s \
                   on s.article_id = e.article_id \
                   where e.citizen_id is not null and coalesce(s.closes_at, e.created_at) < $1";
    let mut tx = db.begin().await?;
    tx.execute(
        &format!(
            "update ack_events set contact_key = null, ip = '' \
             where (contact_key is not null or ip <> '') and citizen_id in ({expired})"
        ),
        params![cutoff],
    )
    .await?;
    let purged = tx
        .execute(
            &format!(
                "update citizens set name = null, phone = null, email = null, \
                 contact_key = null, ip = '', purged_at = $2 \
                 where purged_at is null and id in ({expired})"
            ),
            params![cutoff, now],
        )
        .await?;
    // Purged before addresses were part of the purge.
    tx.execute(
        &format!("update citizens set ip = '' where ip <> '' and purged_at is not null and id in ({expired})"),
        params![cutoff],
    )
    .await?;
    tx.commit().await?;
    Ok(purged)
}

/// One citizen's confirmation, as the admin finds it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CitizenRecord {
    pub citizen_id: i64,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub locality: Option<String>,
    pub consent_text_hash: String,
    pub ip: String,
    pub created_at: DateTime<Utc>,
    pub article_id: Option<i64>,
    pub article_title: Option<String>,
    pub version: Option<i64>,
    pub text_hash: Option<String>,
}

/// Every record of the citizen identified by a normalised phone or e-mail (matched on the phone,
/// the e-mail and the contact key, since a citizen who gave both is keyed by the phone).
pub async fn find_by_contact(db: &Db, contact: &str) -> Result<Vec<CitizenRecord>, DbError> {
    db.pool()
        .fetch_all(
            "select c.id as citizen_id, c.name, c.phone, c.email, l.name as locality, \
             c.consent_text_hash, c.ip, c.created_at, e.article_id, a.title as article_title, \
             e.version, e.text_hash from citizens c \
             left join localities l on l.id = c.locality_id \
             left join ack_events e on e.citizen_id = c.id and e.kind = 'confirm' \
             left join articles a on a.id = e.article_id \
             where c.purged_at is null and (c.contact_key = $1 or c.phone = $1 or c.email = $1) \
             order by c.created_at, c.id",
            params![contact],
        )
        .await
}

/// Deletes a citizen's personal data (the events stay as anonymous records), with the audit
/// entry in the same transaction. Returns how many citizen rows were cleared.
pub async fn delete_by_contact(
    db: &Db,
    contact: &str,
    entry: &Entry,
    now: DateTime<Utc>,
) -> Result<u64, DbError> {
    let mine = "select id from citizens where purged_at is null \
                and (contact_key = $1 or phone = $1 or email = $1)";
    let mut tx = db.begin().await?;
    tx.execute(
        &format!(
            "update ack_events set contact_key = null, ip = '' \
             where (contact_key = $1 or citizen_id in ({mine}))"
        ),
        params![contact],
    )
    .await?;
    let cleared = tx
        .execute(
            &format!(
                "update citizens set name = null, phone = null, email = null, \
                 contact_key = null, ip = '', purged_at = $2 where id in ({mine})"
            ),
            params![contact, now],
        )
        .await?;
    if cleared > 0 {
        audit::record(&mut tx, entry, now).await?;
    }
    tx.commit().await?;
    Ok(cleared)
}
