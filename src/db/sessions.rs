//! Sign-in sessions. The cookie carries a random token; the table keeps only its SHA-256.

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::users::{UserRow, SELECT};
use super::{Db, DbError, Param};
use crate::params;

/// How long a session lives without use. Besides this, every session ends `LOA_SESSION_HOURS`
/// after it began however active it is ([`expiry`]).
pub const IDLE: Duration = Duration::days(7);

/// When a session used at `now` ends: after [`IDLE`] without use, and never later than its
/// absolute `lifetime` from `created_at`.
pub fn expiry(created_at: DateTime<Utc>, now: DateTime<Utc>, lifetime: Duration) -> DateTime<Utc> {
    (now + IDLE).min(created_at + lifetime)
}

/// A new random token: 32 bytes, hex-encoded.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A live session and its account.
#[derive(Clone, Debug)]
pub struct Session {
    pub id_hash: String,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub user: UserRow,
}

/// Starts a session (with a CSRF token of its own, new like the session); returns the cookie
/// token (the only copy of it).
pub async fn create(
    db: &Db,
    user_id: i64,
    ip: &str,
    now: DateTime<Utc>,
    lifetime: Duration,
) -> Result<String, DbError> {
    let token = new_token();
    db.pool()
        .execute(INSERT, insert_params(&token, user_id, ip, now, lifetime))
        .await?;
    Ok(token)
}

const INSERT: &str = "insert into sessions (id_hash, user_id, csrf_token, ip, created_at, \
    last_seen_at, expires_at) values ($1, $2, $3, $4, $5, $5, $6)";

fn insert_params(
    token: &str,
    user_id: i64,
    ip: &str,
    now: DateTime<Utc>,
    lifetime: Duration,
) -> Vec<Param> {
    params![
        hash_token(token),
        user_id,
        new_token(),
        ip,
        now,
        expiry(now, now, lifetime)
    ]
}

/// Starts a session for each account in one transaction (one sync instead of one per account);
/// returns the tokens in the same order. For the benchmark's thousands of signed-in employees.
pub async fn create_many(
    db: &Db,
    user_ids: &[i64],
    ip: &str,
    now: DateTime<Utc>,
    lifetime: Duration,
) -> Result<Vec<String>, DbError> {
    let mut tx = db.begin().await?;
    let mut tokens = Vec::with_capacity(user_ids.len());
    for &user_id in user_ids {
        let token = new_token();
        tx.execute(INSERT, insert_params(&token, user_id, ip, now, lifetime))
            .await?;
        tokens.push(token);
    }
    tx.commit().await?;
    Ok(tokens)
}

/// The session of a cookie token, if it is live (used within [`IDLE`], begun within `lifetime`)
/// and its account active.
pub async fn find(
    db: &Db,
    token: &str,
    now: DateTime<Utc>,
    lifetime: Duration,
) -> Result<Option<Session>, DbError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id_hash: String,
        csrf_token: String,
        user_id: i64,
        created_at: DateTime<Utc>,
        last_seen_at: DateTime<Utc>,
    }
    // The lifetime is checked here too, not only through `expires_at`: a shorter
    // LOA_SESSION_HOURS applies at once to sessions begun under a longer one.
    let row: Option<Row> = db
        .pool()
        .fetch_optional(
            "select s.id_hash, s.csrf_token, s.user_id, s.created_at, s.last_seen_at \
             from sessions s join users u on u.id = s.user_id \
             where s.id_hash = $1 and s.expires_at > $2 and s.created_at > $3 \
             and u.active = true",
            params![hash_token(token), now, now - lifetime],
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    let user: Option<UserRow> = db
        .pool()
        .fetch_optional(&format!("{SELECT} where u.id = $1"), params![row.user_id])
        .await?;
    Ok(user.map(|user| Session {
        id_hash: row.id_hash,
        csrf_token: row.csrf_token,
        created_at: row.created_at,
        last_seen_at: row.last_seen_at,
        user,
    }))
}

/// Extends a session's life, up to its absolute end; called at most every few minutes per
/// session.
pub async fn touch(
    db: &Db,
    session: &Session,
    now: DateTime<Utc>,
    lifetime: Duration,
) -> Result<(), DbError> {
    db.pool()
        .execute(
            "update sessions set last_seen_at = $2, expires_at = $3 where id_hash = $1",
            params![
                session.id_hash.as_str(),
                now,
                expiry(session.created_at, now, lifetime)
            ],
        )
        .await
        .map(|_| ())
}

pub async fn delete(db: &Db, id_hash: &str) -> Result<(), DbError> {
    db.pool()
        .execute("delete from sessions where id_hash = $1", params![id_hash])
        .await
        .map(|_| ())
}

/// Ends every session of an account, except `keep` (the one changing its password).
pub async fn delete_for_user(db: &Db, user_id: i64, keep: Option<&str>) -> Result<u64, DbError> {
    db.pool()
        .execute(
            "delete from sessions where user_id = $1 and id_hash <> $2",
            params![user_id, keep.unwrap_or("")],
        )
        .await
}

pub async fn delete_expired(db: &Db, now: DateTime<Utc>) -> Result<u64, DbError> {
    db.pool()
        .execute("delete from sessions where expires_at <= $1", params![now])
        .await
}

/// Failed sign-ins within the window, for the account and for the address.
pub async fn recent_failures(
    db: &Db,
    email: &str,
    ip: &str,
    since: DateTime<Utc>,
) -> Result<(i64, i64), DbError> {
    let by_email = db
        .pool()
        .fetch_i64(
            "select count(*) from sign_in_failures where email = $1 and at > $2",
            params![email, since],
        )
        .await?;
    let by_ip = db
        .pool()
        .fetch_i64(
            "select count(*) from sign_in_failures where ip = $1 and at > $2",
            params![ip, since],
        )
        .await?;
    Ok((by_email, by_ip))
}

/// Records a password check as a failure *before* argon2 runs, so that parallel guesses are all
/// counted as they arrive; a check that then succeeds removes it. Returns the row's id.
pub async fn record_failure(
    db: &Db,
    email: &str,
    ip: &str,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    db.pool()
        .fetch_i64(
            "insert into sign_in_failures (email, ip, at) values ($1, $2, $3) returning id",
            params![email, ip, now],
        )
        .await
}

/// Failures within the window recorded up to and including `id`, for the account and for the
/// address: the place of one attempt in a burst.
pub async fn failures_up_to(
    db: &Db,
    email: &str,
    ip: &str,
    since: DateTime<Utc>,
    id: i64,
) -> Result<(i64, i64), DbError> {
    let by_email = db
        .pool()
        .fetch_i64(
            "select count(*) from sign_in_failures where email = $1 and at > $2 and id <= $3",
            params![email, since, id],
        )
        .await?;
    let by_ip = db
        .pool()
        .fetch_i64(
            "select count(*) from sign_in_failures where ip = $1 and at > $2 and id <= $3",
            params![ip, since, id],
        )
        .await?;
    Ok((by_email, by_ip))
}

/// Removes one recorded attempt (it succeeded, or was refused before any check).
pub async fn forget_failure(db: &Db, id: i64) -> Result<(), DbError> {
    db.pool()
        .execute("delete from sign_in_failures where id = $1", params![id])
        .await
        .map(|_| ())
}

pub async fn clear_failures(db: &Db, email: &str) -> Result<(), DbError> {
    db.pool()
        .execute(
            "delete from sign_in_failures where email = $1",
            params![email],
        )
        .await
        .map(|_| ())
}
