//! Keeps this instance's page cache in step with changes made elsewhere: by other instances on
//! the same PostgreSQL database, by the scheduler, by `loa import`.
//!
//! Changes made by this process (the scheduler's) are heard before the change's `bump_now`
//! returns (`PageCache::hear_changes`). From other processes:
//! - on PostgreSQL the instance listens on `loa_pages` (sqlx's `PgListener`): another instance's
//!   change is announced when its transaction commits and heard within milliseconds. Should the
//!   listener lose its connection, what was sent meanwhile is lost, so once it is back everything
//!   is dropped and the generation row read again;
//! - the generation row is read periodically (every few seconds on PostgreSQL, behind the
//!   listener; every second on SQLite, which has no channel and where only another process on
//!   the same file, `loa import`, can change it unheard).

use std::time::Duration;

use sqlx::postgres::PgListener;

use super::PageCache;
use crate::db::page_generation::{self, Change, Notice, CHANNEL};
use crate::db::Db;
use crate::error::error_chain;

/// How often the generation row is read on SQLite.
const SQLITE_EVERY: Duration = Duration::from_secs(1);
/// How often the row is read on PostgreSQL, behind the listener.
const POSTGRES_EVERY: Duration = Duration::from_secs(5);
/// The wait before listening again after the listener failed.
const RETRY: Duration = Duration::from_secs(1);

/// Runs until the pool closes (or the task is aborted, as `app::serve` does when it stops).
pub async fn watch(pages: PageCache, db: Db) {
    match &db {
        Db::Postgres(pool) => loop {
            match listen(&pages, &db, pool).await {
                Err(sqlx::Error::PoolClosed) => return,
                Err(e) => tracing::warn!(
                    error = %error_chain(&e),
                    "the page cache stopped listening for changes; listening again"
                ),
                Ok(()) => return,
            }
            // Nothing was heard while not listening: whatever changed must go.
            pages.drop_pages(&Change::Everything);
            tokio::time::sleep(RETRY).await;
        },
        Db::Sqlite(_) => {
            let mut tick = tokio::time::interval(SQLITE_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if db.is_closed() {
                    return;
                }
                check(&pages, &db).await;
            }
        }
    }
}

/// Listens until the connection fails for good (sqlx reconnects by itself after a drop, and says
/// so with `Ok(None)`).
async fn listen(pages: &PageCache, db: &Db, pool: &sqlx::PgPool) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    // Changes made before we listened.
    check(pages, db).await;
    let mut tick = tokio::time::interval(POSTGRES_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            notification = listener.try_recv() => match notification? {
                Some(n) => pages.hear(&Notice::parse(n.payload())),
                None => {
                    tracing::info!("the page cache's listener reconnected; dropping every page");
                    pages.drop_pages(&Change::Everything);
                    check(pages, db).await;
                }
            },
            _ = tick.tick() => check(pages, db).await,
        }
    }
}

async fn check(pages: &PageCache, db: &Db) {
    match page_generation::current(db).await {
        Ok(g) => pages.observe(g),
        // A database that does not answer answers no page either; the next check will do.
        Err(e) => {
            tracing::debug!(error = %error_chain(&e), "the page generation could not be read")
        }
    }
}
