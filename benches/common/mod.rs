//! What the benchmarks share: a fresh database for one run — a SQLite file in a temporary folder,
//! or, when LOA_BENCH_DATABASE_URL names a PostgreSQL server, a database created there for the run
//! and dropped after it.

// Compiled into each benchmark; not every benchmark uses every part.
#![allow(dead_code)]

use loa::account::{Email, NewPassword, Role};
use loa::config::DatabaseUrl;
use loa::db::Db;
use sqlx::Connection;

pub struct BenchDb {
    pub db: Db,
    /// The database's URL, for benchmarks that boot the whole application on it.
    pub url: String,
    /// Holds the SQLite file, and anything else the benchmark writes, until the run ends.
    pub dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl BenchDb {
    /// A migrated, empty database.
    pub async fn open() -> anyhow::Result<BenchDb> {
        BenchDb::open_named("bench").await
    }

    /// A migrated, empty database; `name` tells apart several databases of one run.
    pub async fn open_named(name: &str) -> anyhow::Result<BenchDb> {
        let dir = tempfile::tempdir()?;
        let (url, postgres) = match std::env::var("LOA_BENCH_DATABASE_URL") {
            Ok(admin) => {
                let name = format!("loa_{name}_{}", std::process::id());
                let mut conn = sqlx::PgConnection::connect(&admin).await?;
                // A run killed half-way may have left its database behind under a reused pid.
                sqlx::query(&format!("drop database if exists {name} with (force)"))
                    .execute(&mut conn)
                    .await?;
                sqlx::query(&format!("create database {name}"))
                    .execute(&mut conn)
                    .await?;
                let mut url = url::Url::parse(&admin)?;
                url.set_path(&name);
                (url.to_string(), Some((admin, name)))
            }
            Err(_) => (
                format!("sqlite://{}", dir.path().join("bench.db").display()),
                None,
            ),
        };
        let db = Db::connect(&DatabaseUrl::parse(&url)?).await?;
        db.migrate().await?;
        Ok(BenchDb {
            db,
            url,
            dir,
            postgres,
        })
    }

    /// Closes the pool and drops a PostgreSQL database made for the run.
    pub async fn close(self) -> anyhow::Result<()> {
        self.db.close().await;
        if let Some((admin, name)) = self.postgres {
            let mut conn = sqlx::PgConnection::connect(&admin).await?;
            sqlx::query(&format!("drop database if exists {name} with (force)"))
                .execute(&mut conn)
                .await?;
        }
        Ok(())
    }
}

/// Adds an account (no unit) with this password; returns its id.
pub async fn add_user(
    db: &Db,
    email: &str,
    name: &str,
    role: Role,
    password: &str,
) -> anyhow::Result<i64> {
    let email = Email::parse(email)?;
    let hash = loa::account::hash_password(&NewPassword::parse(password, &email)?).await?;
    let mut tx = db.begin().await?;
    let id = loa::db::users::insert(
        &mut tx,
        &loa::db::users::NewUser {
            email,
            name: name.to_owned(),
            unit_id: None,
            role,
            is_head: false,
            password_hash: hash,
            must_change_password: false,
        },
        loa::time::now(),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
