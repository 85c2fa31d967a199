//! Staff accounts.

use chrono::{DateTime, Utc};

use super::{Db, DbError, Param, Tx};
use crate::account::{Email, Role};
use crate::params;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub unit_id: Option<i64>,
    pub unit_name: Option<String>,
    pub role: String,
    pub is_head: bool,
    pub active: bool,
    pub must_change_password: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl UserRow {
    pub fn role(&self) -> Role {
        // The schema's check constraint admits only the four roles.
        self.role.parse().unwrap_or(Role::Employee)
    }
}

pub const SELECT: &str = "select u.id, u.email, u.name, u.unit_id, n.name as unit_name, u.role, \
    u.is_head, u.active, u.must_change_password, u.created_at, u.updated_at \
    from users u left join units n on n.id = u.unit_id";

/// A new account, validated.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub email: Email,
    pub name: String,
    pub unit_id: Option<i64>,
    pub role: Role,
    pub is_head: bool,
    pub password_hash: String,
    pub must_change_password: bool,
}

pub async fn insert(tx: &mut Tx, u: &NewUser, now: DateTime<Utc>) -> Result<i64, DbError> {
    let mut p = u.details().params();
    p.extend(params![
        u.password_hash.as_str(),
        u.must_change_password,
        now
    ]);
    tx.fetch_i64(
        "insert into users (email, name, unit_id, role, is_head, active, password_hash, \
             must_change_password, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, true, $6, $7, $8, $8) returning id",
        p,
    )
    .await
}

impl NewUser {
    /// The details an edit may change later.
    fn details(&self) -> Changes {
        Changes {
            email: self.email.clone(),
            name: self.name.clone(),
            unit_id: self.unit_id,
            role: self.role,
            is_head: self.is_head,
        }
    }
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<UserRow>, DbError> {
    db.pool()
        .fetch_optional(&format!("{SELECT} where u.id = $1"), params![id])
        .await
}

pub async fn by_id_tx(tx: &mut Tx, id: i64) -> Result<Option<UserRow>, DbError> {
    tx.fetch_optional(&format!("{SELECT} where u.id = $1"), params![id])
        .await
}

/// The account and its password hash, for signing in.
pub async fn credentials(db: &Db, email: &str) -> Result<Option<(UserRow, String)>, DbError> {
    let Some(user): Option<UserRow> = db
        .pool()
        .fetch_optional(&format!("{SELECT} where u.email = $1"), params![email])
        .await?
    else {
        return Ok(None);
    };
    let hash = password_hash(db, user.id)
        .await?
        .ok_or(DbError::RowNotFound)?;
    Ok(Some((user, hash)))
}

pub async fn password_hash(db: &Db, id: i64) -> Result<Option<String>, DbError> {
    #[derive(sqlx::FromRow)]
    struct Hash {
        password_hash: String,
    }
    let h: Option<Hash> = db
        .pool()
        .fetch_optional("select password_hash from users where id = $1", params![id])
        .await?;
    Ok(h.map(|h| h.password_hash))
}

pub async fn set_password(
    tx: &mut Tx,
    id: i64,
    hash: &str,
    must_change: bool,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx.execute(
        "update users set password_hash = $2, must_change_password = $3, updated_at = $4 \
         where id = $1",
        params![id, hash, must_change, now],
    )
    .await
    .map(|_| ())
}

const COUNT_ACTIVE_ADMINS: &str =
    "select count(*) from users where role = 'admin' and active = true";

pub async fn count_active_admins(db: &Db) -> Result<i64, DbError> {
    db.pool().fetch_i64(COUNT_ACTIVE_ADMINS, vec![]).await
}

/// Active admins, counted inside the transaction that is about to remove one, with their rows
/// locked until it ends: of two admins demoting each other at the same instant, the second waits
/// and then counts one. PostgreSQL locks the rows (`for update`, which rechecks the condition on
/// rows changed meanwhile); SQLite needs the transaction opened with [`crate::db::Db::begin_write`].
pub async fn lock_active_admins(tx: &mut Tx) -> Result<i64, DbError> {
    #[derive(sqlx::FromRow)]
    struct Id {
        #[allow(dead_code)]
        id: i64,
    }
    let sql = match tx {
        // In id order, so two transactions lock the same rows in the same order (no deadlock).
        Tx::Postgres(_) => {
            "select id from users where role = 'admin' and active = true order by id for update"
        }
        Tx::Sqlite(_) => "select id from users where role = 'admin' and active = true",
    };
    let rows: Vec<Id> = tx.fetch_all(sql, vec![]).await?;
    Ok(rows.len() as i64)
}

pub async fn unit_id_by_slug(tx: &mut Tx, slug: &str) -> Result<Option<i64>, DbError> {
    #[derive(sqlx::FromRow)]
    struct Id {
        id: i64,
    }
    let row: Option<Id> = tx
        .fetch_optional("select id from units where slug = $1", params![slug])
        .await?;
    Ok(row.map(|r| r.id))
}

/// Every account, for the admin list (an agency has hundreds of staff, not millions, so the list
/// is filtered and paged in Rust, where search can ignore diacritics).
pub async fn all(db: &Db) -> Result<Vec<UserRow>, DbError> {
    db.pool()
        .fetch_all(&format!("{SELECT} order by u.id"), vec![])
        .await
}

/// Every e-mail address in use (stored lowercased), for checking an import.
pub async fn emails(db: &Db) -> Result<std::collections::HashSet<String>, DbError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        email: String,
    }
    let rows: Vec<Row> = db
        .pool()
        .fetch_all("select email from users", vec![])
        .await?;
    Ok(rows.into_iter().map(|r| r.email).collect())
}

/// An account with this e-mail other than `except`.
pub async fn email_taken(db: &Db, email: &Email, except: Option<i64>) -> Result<bool, DbError> {
    let n = db
        .pool()
        .fetch_i64(
            "select count(*) from users where email = $1 and id <> $2",
            params![email.as_str(), except.unwrap_or(0)],
        )
        .await?;
    Ok(n > 0)
}

/// What the admin's edit form changes (the active flag and the password have their own actions).
#[derive(Clone, Debug)]
pub struct Changes {
    pub email: Email,
    pub name: String,
    pub unit_id: Option<i64>,
    pub role: Role,
    pub is_head: bool,
}

impl Changes {
    /// `email, name, unit_id, role, is_head` as `$1`–`$5`, the order both the insert and the
    /// update bind them in.
    fn params(&self) -> Vec<Param> {
        params![
            self.email.as_str(),
            self.name.as_str(),
            self.unit_id,
            self.role.as_str(),
            self.is_head
        ]
    }
}

pub async fn update(tx: &mut Tx, id: i64, c: &Changes, now: DateTime<Utc>) -> Result<(), DbError> {
    let mut p = c.params();
    p.extend(params![now, id]);
    tx.execute(
        "update users set email = $1, name = $2, unit_id = $3, role = $4, is_head = $5, \
             updated_at = $6 where id = $7",
        p,
    )
    .await
    .map(|_| ())
}

pub async fn set_active(
    tx: &mut Tx,
    id: i64,
    active: bool,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx.execute(
        "update users set active = $2, updated_at = $3 where id = $1",
        params![id, active, now],
    )
    .await
    .map(|_| ())
}

/// Ends every session of the account, in the same transaction as the change that requires it
/// (deactivation, password reset), so no session outlives the change.
pub async fn end_sessions(tx: &mut Tx, id: i64) -> Result<u64, DbError> {
    tx.execute("delete from sessions where user_id = $1", params![id])
        .await
}
