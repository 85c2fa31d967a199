//! Storage: one query layer over SQLite and PostgreSQL, chosen by the database URL.
//!
//! Queries are plain SQL strings written once, in the dialect both databases accept (lowercase,
//! `$1` placeholders, `returning`, `on conflict`). Parameters travel as [`Param`] values and are
//! bound per backend, so no code above this module knows which database it talks to. Rows are
//! decoded with `sqlx::FromRow` structs whose field types exist on both backends (`i64`, `bool`,
//! `String`, `DateTime<Utc>`).

pub mod ack_reminders;
pub mod ack_rounds;
pub mod ack_settings;
pub mod ack_status;
pub mod articles;
pub mod audit;
pub mod campaigns;
pub mod citizens;
pub mod evidence;
pub mod jobs;
pub mod media;
pub mod page_generation;
pub mod places;
pub mod plans;
pub mod revisions;
pub mod search;
pub mod sessions;
pub mod site;
pub mod sitemap;
pub mod tables;
pub mod topics;
pub mod units;
pub mod users;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{FromRow, Postgres, Sqlite, Transaction};

use crate::config::DatabaseUrl;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Errors of the storage layer.
pub type DbError = sqlx::Error;

/// A handle on the database, cheap to clone (it wraps a pool).
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// One bound parameter. Every value Loa stores is one of these types.
#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    I64(i64),
    Bool(bool),
    Text(String),
    Time(DateTime<Utc>),
    OptI64(Option<i64>),
    OptBool(Option<bool>),
    OptText(Option<String>),
    OptTime(Option<DateTime<Utc>>),
    /// A file's bytes (`blob` / `bytea`).
    Bytes(Vec<u8>),
    OptBytes(Option<Vec<u8>>),
}

impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Param::I64(v)
    }
}
impl From<bool> for Param {
    fn from(v: bool) -> Self {
        Param::Bool(v)
    }
}
impl From<String> for Param {
    fn from(v: String) -> Self {
        Param::Text(v)
    }
}
impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Param::Text(v.to_owned())
    }
}
impl From<&String> for Param {
    fn from(v: &String) -> Self {
        Param::Text(v.clone())
    }
}
impl From<DateTime<Utc>> for Param {
    fn from(v: DateTime<Utc>) -> Self {
        Param::Time(v)
    }
}
impl From<Option<i64>> for Param {
    fn from(v: Option<i64>) -> Self {
        Param::OptI64(v)
    }
}
impl From<Option<bool>> for Param {
    fn from(v: Option<bool>) -> Self {
        Param::OptBool(v)
    }
}
impl From<Option<String>> for Param {
    fn from(v: Option<String>) -> Self {
        Param::OptText(v)
    }
}
impl From<Option<&str>> for Param {
    fn from(v: Option<&str>) -> Self {
        Param::OptText(v.map(str::to_owned))
    }
}
impl From<Vec<u8>> for Param {
    fn from(v: Vec<u8>) -> Self {
        Param::Bytes(v)
    }
}
impl From<Option<DateTime<Utc>>> for Param {
    fn from(v: Option<DateTime<Utc>>) -> Self {
        Param::OptTime(v)
    }
}

/// Builds a `Vec<Param>` from values of any supported type.
#[macro_export]
macro_rules! params {
    ($($p:expr),* $(,)?) => { vec![$($crate::db::Param::from($p)),*] };
}

/// Binds every parameter, in order, on a `query` or `query_as` of either backend.
macro_rules! bind_all {
    ($q:expr, $params:expr) => {{
        let mut q = $q;
        for p in $params {
            q = match p {
                Param::I64(v) => q.bind(v),
                Param::Bool(v) => q.bind(v),
                Param::Text(v) => q.bind(v),
                Param::Time(v) => q.bind(v),
                Param::OptI64(v) => q.bind(v),
                Param::OptBool(v) => q.bind(v),
                Param::OptText(v) => q.bind(v),
                Param::OptTime(v) => q.bind(v),
                Param::Bytes(v) => q.bind(v),
                Param::OptBytes(v) => q.bind(v),
            };
        }
        q
    }};
}

/// A row type that decodes on both backends.
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{}

/// The five query shapes, implemented once for a pool and once for a transaction.
macro_rules! query_methods {
    ($sqlite:pat => $se:expr, $pg:pat => $pe:expr) => {
        /// Runs a statement and returns the number of rows it changed.
        pub async fn execute(&mut self, sql: &str, params: Vec<Param>) -> Result<u64, DbError> {
            Ok(match self {
                $sqlite => bind_all!(sqlx::query(sql), params)
                    .execute($se)
                    .await?
                    .rows_affected(),
                $pg => bind_all!(sqlx::query(sql), params)
                    .execute($pe)
                    .await?
                    .rows_affected(),
            })
        }

        /// Runs a query and decodes every row.
        pub async fn fetch_all<T: Row>(
            &mut self,
            sql: &str,
            params: Vec<Param>,
        ) -> Result<Vec<T>, DbError> {
            match self {
                $sqlite => {
                    bind_all!(sqlx::query_as::<_, T>(sql), params)
                        .fetch_all($se)
                        .await
                }
                $pg => {
                    bind_all!(sqlx::query_as::<_, T>(sql), params)
                        .fetch_all($pe)
                        .await
                }
            }
        }

        /// Runs a query and decodes its first row, if any.
        pub async fn fetch_optional<T: Row>(
            &mut self,
            sql: &str,
            params: Vec<Param>,
        ) -> Result<Option<T>, DbError> {
            match self {
                $sqlite => {
                    bind_all!(sqlx::query_as::<_, T>(sql), params)
                        .fetch_optional($se)
                        .await
                }
                $pg => {
                    bind_all!(sqlx::query_as::<_, T>(sql), params)
                        .fetch_optional($pe)
                        .await
                }
            }
        }

        /// Runs a query that returns one text column (slugs, names), every row in order.
        pub async fn fetch_strings(
            &mut self,
            sql: &str,
            params: Vec<Param>,
        ) -> Result<Vec<String>, DbError> {
            match self {
                $sqlite => {
                    bind_all!(sqlx::query_scalar::<_, String>(sql), params)
                        .fetch_all($se)
                        .await
                }
                $pg => {
                    bind_all!(sqlx::query_scalar::<_, String>(sql), params)
                        .fetch_all($pe)
                        .await
                }
            }
        }

        /// Runs a query that returns one integer (a count, a new id).
        pub async fn fetch_i64(&mut self, sql: &str, params: Vec<Param>) -> Result<i64, DbError> {
            match self {
                $sqlite => {
                    bind_all!(sqlx::query_scalar::<_, i64>(sql), params)
                        .fetch_one($se)
                        .await
                }
                $pg => {
                    bind_all!(sqlx::query_scalar::<_, i64>(sql), params)
                        .fetch_one($pe)
                        .await
                }
            }
        }
    };
}

/// A pool handle used as an executor: each call takes a connection from the pool.
pub struct PoolRef<'a>(&'a Db);

impl PoolRef<'_> {
    query_methods!(
        PoolRef(Db::Sqlite(p)) => p,
        PoolRef(Db::Postgres(p)) => p
    );
}

/// An open transaction on either backend. Dropped without [`Tx::commit`], it rolls back.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    query_methods!(
        Tx::Sqlite(t) => &mut **t,
        Tx::Postgres(t) => &mut **t
    );

    pub async fn commit(self) -> Result<(), DbError> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }
}

impl Db {
    /// Connects to the database named by the URL; a SQLite file and its folder are created if
    /// missing. Does not migrate.
    pub async fn connect(url: &DatabaseUrl) -> Result<Db, DbError> {
        match url {
            DatabaseUrl::Sqlite(path) => Self::connect_sqlite(path).await,
            DatabaseUrl::Postgres(url) => {
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?;
                Ok(Db::Postgres(pool))
            }
        }
    }

    async fn connect_sqlite(path: &Path) -> Result<Db, DbError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        // WAL lets readers proceed while one writer writes; the busy timeout makes a second
        // writer (another `loa` process on the same file) wait instead of failing at once.
        // `synchronous = full` syncs the WAL at every commit: with `normal` a commit survives a
        // crash of the process but not a power cut, and "đã ghi nhận" is a promise about both.
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Ok(Db::Sqlite(pool))
    }

    /// Applies the pending migrations of this backend.
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self {
            Db::Sqlite(p) => SQLITE_MIGRATIONS.run(p).await,
            Db::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await,
        }
    }

    /// The name of the backend, for logs and `/healthz`.
    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Which database this is (the SQLite file, or PostgreSQL's host, port and database), to
    /// tell two pools on the same database within one process.
    pub fn identity(&self) -> String {
        match self {
            Db::Sqlite(p) => format!("sqlite:{}", p.connect_options().get_filename().display()),
            Db::Postgres(p) => {
                let o = p.connect_options();
                format!(
                    "postgres:{}:{}/{}",
                    o.get_host(),
                    o.get_port(),
                    o.get_database().unwrap_or_default()
                )
            }
        }
    }

    /// True once the pool is closed (the process is stopping).
    pub fn is_closed(&self) -> bool {
        match self {
            Db::Sqlite(p) => p.is_closed(),
            Db::Postgres(p) => p.is_closed(),
        }
    }

    /// Runs single statements straight on the pool.
    pub fn pool(&self) -> PoolRef<'_> {
        PoolRef(self)
    }

    pub async fn begin(&self) -> Result<Tx, DbError> {
        Ok(match self {
            Db::Sqlite(p) => Tx::Sqlite(p.begin().await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// A transaction that holds the database's write lock from its first statement, for a
    /// check-then-write that must not interleave with another (the last administrator). On
    /// SQLite that is `begin immediate` (a second one waits for the busy timeout, then reads what
    /// the first committed); PostgreSQL locks rows instead (`for update` in the check itself).
    pub async fn begin_write(&self) -> Result<Tx, DbError> {
        Ok(match self {
            Db::Sqlite(p) => Tx::Sqlite(p.begin_with("begin immediate").await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// (open connections, idle ones, the largest size) of the pool, for the metrics.
    pub fn pool_state(&self) -> (u32, usize, u32) {
        match self {
            Db::Sqlite(p) => (p.size(), p.num_idle(), p.options().get_max_connections()),
            Db::Postgres(p) => (p.size(), p.num_idle(), p.options().get_max_connections()),
        }
    }

    /// How many of this binary's migrations the database has not applied (successfully), for
    /// `/readyz`.
    pub async fn pending_migrations(&self) -> Result<usize, DbError> {
        #[derive(sqlx::FromRow)]
        struct Version {
            version: i64,
        }
        let applied: Vec<Version> = self
            .pool()
            .fetch_all(
                "select version from _sqlx_migrations where success = true",
                vec![],
            )
            .await?;
        let migrator = match self {
            Db::Sqlite(_) => &SQLITE_MIGRATIONS,
            Db::Postgres(_) => &POSTGRES_MIGRATIONS,
        };
        Ok(migrator
            .iter()
            .filter(|m| !applied.iter().any(|a| a.version == m.version))
            .count())
    }

    /// A trivial round trip, for `/readyz`.
    pub async fn ping(&self) -> Result<(), DbError> {
        self.pool()
            .fetch_i64("select cast(1 as bigint)", vec![])
            .await
            .map(|_| ())
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(p) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }
}

/// `$1, $2, …, $n`: the placeholders of an `in (…)` list of `n` values, numbered from 1.
pub fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// True when the error is a violation of a unique constraint (on either backend).
pub fn is_unique_violation(err: &DbError) -> bool {
    matches!(err, sqlx::Error::Database(e) if e.is_unique_violation())
}
