//! The agency's details, units, localities and places (as `site.toml` holds them).

use chrono::{DateTime, Utc};

use super::{Db, DbError, Tx};
use crate::params;
use crate::site::{Locality, Place, SiteFile, SiteInfo, Unit};
use crate::slug::Slug;

#[derive(sqlx::FromRow)]
struct InfoRow {
    name: String,
    short_name: String,
    address: String,
    phone: String,
    email: String,
    website: String,
    updated_at: DateTime<Utc>,
}

impl From<InfoRow> for SiteInfo {
    fn from(r: InfoRow) -> Self {
        SiteInfo {
            name: r.name,
            short_name: r.short_name,
            address: r.address,
            phone: r.phone,
            email: r.email,
            website: r.website,
        }
    }
}

const INFO_SQL: &str = "select name, short_name, address, phone, email, website, updated_at \
    from site where id = 1";

/// The site's details, or `None` before the first import.
pub async fn info(db: &Db) -> Result<Option<SiteInfo>, DbError> {
    Ok(info_changed(db).await?.map(|(info, _)| info))
}

/// The site's details and when they last changed (for `Last-Modified`: they are on every page).
pub async fn info_changed(db: &Db) -> Result<Option<(SiteInfo, DateTime<Utc>)>, DbError> {
    let row: Option<InfoRow> = db.pool().fetch_optional(INFO_SQL, vec![]).await?;
    Ok(row
        .map(|r| (r.updated_at, SiteInfo::from(r)))
        .map(|(t, i)| (i, t)))
}

/// What an import of `file` would change, counted as (added, updated, unchanged) entries.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SiteChanges {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Writes the site file: details, then units (parents before children), then localities, then
/// places. Units, localities and places missing from the file are kept: accounts, confirmations
/// and printed posters may point at them.
pub async fn upsert(
    tx: &mut Tx,
    file: &SiteFile,
    now: DateTime<Utc>,
) -> Result<SiteChanges, DbError> {
    let mut changes = SiteChanges::default();
    let old: Option<InfoRow> = tx.fetch_optional(INFO_SQL, vec![]).await?;
    let i = &file.info;
    match old.map(SiteInfo::from) {
        Some(ref current) if current == i => changes.unchanged += 1,
        existing => {
            if existing.is_some() {
                changes.updated += 1
            } else {
                changes.added += 1
            }
            tx.execute(
                "insert into site (id, name, short_name, address, phone, email, website, \
                     created_at, updated_at) values (1, $1, $2, $3, $4, $5, $6, $7, $7) \
                 on conflict (id) do update set name = excluded.name, \
                     short_name = excluded.short_name, address = excluded.address, \
                     phone = excluded.phone, email = excluded.email, website = excluded.website, \
                     updated_at = excluded.updated_at",
                params![
                    &i.name,
                    &i.short_name,
                    &i.address,
                    &i.phone,
                    &i.email,
                    &i.website,
                    now
                ],
            )
            .await?;
        }
    }
    for (position, unit) in file.units.iter().enumerate() {
        upsert_unit(tx, unit, position as i64, now, &mut changes).await?;
    }
    for (position, l) in file.localities.iter().enumerate() {
        upsert_named(
            tx,
            "localities",
            &l.slug,
            &l.name,
            position as i64,
            now,
            &mut changes,
        )
        .await?;
    }
    for (position, p) in file.places.iter().enumerate() {
        upsert_named(
            tx,
            "places",
            &p.slug,
            &p.name,
            position as i64,
            now,
            &mut changes,
        )
        .await?;
    }
    Ok(changes)
}

#[derive(sqlx::FromRow)]
struct UnitRow {
    id: i64,
    name: String,
    parent_id: Option<i64>,
    position: i64,
}

async fn unit_id(tx: &mut Tx, slug: &Slug) -> Result<Option<i64>, DbError> {
    let row: Option<UnitRow> = tx
        .fetch_optional(
            "select id, name, parent_id, position from units where slug = $1",
            params![slug.as_str()],
        )
        .await?;
    Ok(row.map(|r| r.id))
}

async fn upsert_unit(
    tx: &mut Tx,
    unit: &Unit,
    position: i64,
    now: DateTime<Utc>,
    changes: &mut SiteChanges,
) -> Result<(), DbError> {
    // Parents come first in a validated site file, so the parent exists by now.
    let parent_id = match &unit.parent {
        Some(p) => unit_id(tx, p).await?,
        None => None,
    };
    let existing: Option<UnitRow> = tx
        .fetch_optional(
            "select id, name, parent_id, position from units where slug = $1",
            params![unit.slug.as_str()],
        )
        .await?;
    match existing {
        Some(e) if e.name == unit.name && e.parent_id == parent_id && e.position == position => {
            changes.unchanged += 1;
        }
        Some(e) => {
            changes.updated += 1;
            tx.execute(
                "update units set name = $2, parent_id = $3, position = $4, updated_at = $5 \
                 where id = $1",
                params![e.id, &unit.name, parent_id, position, now],
            )
            .await?;
        }
        None => {
            changes.added += 1;
            tx.execute(
                "insert into units (slug, name, parent_id, position, created_at, updated_at) \
                 values ($1, $2, $3, $4, $5, $5)",
                params![unit.slug.as_str(), &unit.name, parent_id, position, now],
            )
            .await?;
        }
    }
    Ok(())
}

async fn upsert_named(
    tx: &mut Tx,
    table: &str,
    slug: &Slug,
    name: &str,
    position: i64,
    now: DateTime<Utc>,
    changes: &mut SiteChanges,
) -> Result<(), DbError> {
    #[derive(sqlx::FromRow)]
    struct Named {
        name: String,
        position: i64,
    }
    let existing: Option<Named> = tx
        .fetch_optional(
            &format!("select name, position from {table} where slug = $1"),
            params![slug.as_str()],
        )
        .await?;
    match existing {
        Some(e) if e.name == name && e.position == position => changes.unchanged += 1,
        Some(_) => {
            changes.updated += 1;
            tx.execute(
                &format!(
                    "update {table} set name = $2, position = $3, updated_at = $4 where slug = $1"
                ),
                params![slug.as_str(), name, position, now],
            )
            .await?;
        }
        None => {
            changes.added += 1;
            tx.execute(
                &format!(
                    "insert into {table} (slug, name, position, created_at, updated_at) \
                     values ($1, $2, $3, $4, $4)"
                ),
                params![slug.as_str(), name, position, now],
            )
            .await?;
        }
    }
    Ok(())
}

/// The whole site file as stored, for export; `None` before the first import.
pub async fn load_file(db: &Db) -> Result<Option<SiteFile>, DbError> {
    let Some(info) = info(db).await? else {
        return Ok(None);
    };
    #[derive(sqlx::FromRow)]
    struct UnitOut {
        slug: String,
        name: String,
        parent: Option<String>,
    }
    let units: Vec<UnitOut> = db
        .pool()
        .fetch_all(
            "select u.slug, u.name, p.slug as parent from units u \
             left join units p on p.id = u.parent_id order by u.position, u.id",
            vec![],
        )
        .await?;
    #[derive(sqlx::FromRow)]
    struct NamedOut {
        slug: String,
        name: String,
    }
    let localities: Vec<NamedOut> = db
        .pool()
        .fetch_all(
            "select slug, name from localities order by position, id",
            vec![],
        )
        .await?;
    let places: Vec<NamedOut> = db
        .pool()
        .fetch_all(
            "select slug, name from places order by position, id",
            vec![],
        )
        .await?;
    // Stored slugs were validated on the way in.
    let slug = |s: &str| Slug::parse(s).expect("stored slugs are valid");
    Ok(Some(SiteFile {
        info,
        units: units
            .into_iter()
            .map(|u| Unit {
                slug: slug(&u.slug),
                name: u.name,
                parent: u.parent.as_deref().map(slug),
            })
            .collect(),
        localities: localities
            .into_iter()
            .map(|l| Locality {
                slug: slug(&l.slug),
                name: l.name,
            })
            .collect(),
        places: places
            .into_iter()
            .map(|p| Place {
                slug: slug(&p.slug),
                name: p.name,
            })
            .collect(),
    }))
}
