//! Sign-in sessions. The cookie carries a random token; the table keeps only its SHA-256.

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::users::{UserRow, SELECT};
use super::{Db, DbError, Param};
use crate::params;

/// How long a session lives without use.
pub const IDLE: Duration = Duration::days(7);

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
    pub last_seen_at: DateTime<Utc>,
    pub user: UserRow,
}

/// Starts a session; returns the cookie token (the only copy of it).
pub async fn create(
    db: &Db,
    user_id: i64,
    ip: &str,
    now: DateTime<Utc>,
) -> Result<String, DbError> {
    let token = new_token();
    db.pool()
        .execute(INSERT, insert_params(&token, user_id, ip, now))
        .await?;
    Ok(token)
}

const INSERT: &str = "insert into sessions (id_hash, user_id, csrf_token, ip, created_at, \
    last_seen_at, expires_at) values ($1, $2, $3, $4, $5, $5, $6)";

fn insert_params(token: &str, user_id: i64, ip: &str, now: DateTime<Utc>) -> Vec<Param> {
    params![hash_token(token), user_id, new_token(), ip, now, now + IDLE]
}

/// Starts a session for each account in one transaction (one sync instead of one per account);
/// returns the tokens in the same order. For the benchmark's thousands of signed-in employees.
pub async fn create_many(
    db: &Db,
    user_ids: &[i64],
    ip: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>, DbError> {
    let mut tx = db.begin().await?;
    let mut tokens = Vec::with_capacity(user_ids.len());
    for &user_id in user_ids {
        let token = new_token();
        tx.execute(INSERT, insert_params(&token, user_id, ip, now))
            .await?;
        tokens.push(token);
    }
    tx.commit().await?;
    Ok(tokens)
}

/// The session of a cookie token, if it is live and its account active.
pub async fn find(db: &Db, token: &str, now: DateTime<Utc>) -> Result<Option<Session>, DbError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id_hash: String,
        csrf_token: String,
        user_id: i64,
        last_seen_at: DateTime<Utc>,
    }
    let row: Option<Row> = db
        .pool()
        .fetch_optional(
            "select s.id_hash, s.csrf_token, s.user_id, s.last_seen_at from sessions s \
             join users u on u.id = s.user_id \
             where s.id_hash = $1 and s.expires_at > $2 and u.active = true",
            params![hash_token(token), now],
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
        last_seen_at: row.last_seen_at,
        user,
    }))
}

/// Extends a session's life; called at most every few minutes per session.
pub async fn touch(db: &Db, id_hash: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    db.pool()
        .execute(
            "update sessions set last_seen_at = $2, expires_at = $3 where id_hash = $1",
            params![id_hash, now, now + IDLE],
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

pub async fn record_failure(
    db: &Db,
    email: &str,
    ip: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    db.pool()
        .execute(
            "insert into sign_in_failures (email, ip, at) values ($1, $2, $3)",
            params![email, ip, now],
        )
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
