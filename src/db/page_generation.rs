//! The public pages' generation in the database, and the PostgreSQL channel that announces its
//! changes: how one instance (or `loa import`) tells every other instance's page cache that a
//! public page may have changed. Within one process the same notices also go straight to its
//! own page caches ([`Hears`]), before [`bump_now`] returns: SQLite has no channel, PostgreSQL's
//! takes a round trip, and the next request must not find a stale page.

use std::sync::{Arc, LazyLock, Mutex, Weak};

use chrono::{DateTime, Utc};

use super::{Db, DbError, Tx};

/// The PostgreSQL channel every instance listens on (`http::page_cache::sync`).
pub const CHANNEL: &str = "loa_pages";

/// What a change touched, as the channel's payload says it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Anything public may have changed: drop every page.
    Everything,
    /// Only the pages that show this article's citizens' counts (its thank-you page) and the
    /// campaign pages changed: a citizen's confirmation moved them.
    Article(String),
}

/// A notification of the channel: the generation after the change, what changed, and the
/// instance that made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub generation: i64,
    pub change: Change,
    pub instance: String,
}

impl Notice {
    /// `GENERATION:*@INSTANCE`, or `GENERATION:a:SLUG@INSTANCE` for an article.
    pub fn payload(&self) -> String {
        let what = match &self.change {
            Change::Everything => "*".to_owned(),
            Change::Article(slug) => format!("a:{slug}"),
        };
        format!("{}:{what}@{}", self.generation, self.instance)
    }

    /// Reads a payload. One it cannot read stands for everything, at an unknown generation (-1).
    pub fn parse(payload: &str) -> Notice {
        let (rest, instance) = payload.rsplit_once('@').unwrap_or((payload, ""));
        let (generation, what) = rest.split_once(':').unwrap_or(("", rest));
        let change = match what.strip_prefix("a:") {
            Some(slug) if !slug.is_empty() => Change::Article(slug.to_owned()),
            _ => Change::Everything,
        };
        Notice {
            generation: generation.parse().unwrap_or(-1),
            change,
            instance: instance.to_owned(),
        }
    }
}

/// The current generation (0 before the first change).
pub async fn current(db: &Db) -> Result<i64, DbError> {
    db.pool()
        .fetch_i64(
            "select coalesce(max(generation), 0) from page_generation",
            vec![],
        )
        .await
}

/// Records a change that can alter public pages, in `tx`: everything adds one to the generation;
/// on PostgreSQL the other instances are notified when `tx` commits (never for a change that is
/// rolled back). Returns the new generation, or the current one for an article's change, which
/// only the notification carries.
pub async fn bump(
    tx: &mut Tx,
    change: &Change,
    instance: &str,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    bump_past(tx, change, 0, instance, now).await
}

/// [`bump`] to a generation above `floor` too: after `loa restore`, whose database comes back
/// with the generation of the day of the backup, below what running instances have seen (they
/// would take it for an old notice and keep their pages).
pub async fn bump_past(
    tx: &mut Tx,
    change: &Change,
    floor: i64,
    instance: &str,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    let generation = match change {
        Change::Everything => {
            tx.fetch_i64(
                "insert into page_generation (id, generation, created_at, updated_at) \
                 values (1, $2 + 1, $1, $1) \
                 on conflict (id) do update set generation = case \
                 when page_generation.generation > $2 then page_generation.generation + 1 \
                 else $2 + 1 end, updated_at = $1 \
                 returning generation",
                crate::params![now, floor.max(0)],
            )
            .await?
        }
        Change::Article(_) => {
            tx.fetch_i64(
                "select coalesce(max(generation), 0) from page_generation",
                vec![],
            )
            .await?
        }
    };
    if let Tx::Postgres(_) = tx {
        let notice = Notice {
            generation,
            change: change.clone(),
            instance: instance.to_owned(),
        };
        tx.execute(
            "select pg_notify($1, $2)",
            crate::params![CHANNEL, notice.payload()],
        )
        .await?;
    }
    Ok(generation)
}

/// [`bump`] in a transaction of its own, for a change already committed; once it commits, this
/// process's own page caches of the same database hear of it at once ([`local`]).
pub async fn bump_now(db: &Db, change: &Change, instance: &str) -> Result<i64, DbError> {
    let mut tx = db.begin().await?;
    let generation = bump(&mut tx, change, instance, crate::time::now()).await?;
    tx.commit().await?;
    let notice = Notice {
        generation,
        change: change.clone(),
        instance: instance.to_owned(),
    };
    tell_this_process(db, &notice);
    Ok(generation)
}

/// Something in this process that hears of the changes to a database's public pages as they
/// commit: a page cache.
pub trait Hears: Send + Sync {
    fn hear(&self, notice: &Notice);
}

/// Who hears of which database's changes (by [`Db::identity`]); weak, so a dropped page cache
/// leaves by itself.
type Hearers = Vec<(String, Weak<dyn Hears>)>;
static HEARERS: LazyLock<Mutex<Hearers>> = LazyLock::new(Mutex::default);

/// From now on `who` hears of the changes [`bump_now`] commits to `db` in this process.
pub fn hear_changes(db: &Db, who: Weak<dyn Hears>) {
    let mut hearers = HEARERS.lock().unwrap_or_else(|e| e.into_inner());
    hearers.retain(|(_, w)| w.strong_count() > 0);
    hearers.push((db.identity(), who));
}

fn tell_this_process(db: &Db, notice: &Notice) {
    let database = db.identity();
    let targets: Vec<Arc<dyn Hears>> = HEARERS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|(d, _)| *d == database)
        .filter_map(|(_, w)| w.upgrade())
        .collect();
    for t in targets {
        t.hear(notice);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        for change in [
            Change::Everything,
            Change::Article("sipas-la-gi".to_owned()),
        ] {
            let notice = Notice {
                generation: 42,
                change,
                instance: "a1b2".to_owned(),
            };
            assert_eq!(Notice::parse(&notice.payload()), notice);
        }
        let unknown = Notice::parse("garbage");
        assert_eq!(
            (unknown.generation, unknown.change),
            (-1, Change::Everything)
        );
        assert_eq!(Notice::parse("3:a:@x").change, Change::Everything);
    }
}
