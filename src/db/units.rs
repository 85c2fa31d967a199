//! The agency's units as the admin pages manage them: a tree through `parent_id`, listed in tree
//! order, created and edited one at a time (the site file import lives in `db::site`).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::{Db, DbError, Tx};
use crate::params;
use crate::slug::Slug;

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct UnitRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub parent_id: Option<i64>,
    pub position: i64,
}

const SELECT: &str = "select id, slug, name, parent_id, position from units";

/// A unit as the form hands it over, validated.
#[derive(Clone, Debug)]
pub struct UnitInput {
    pub slug: Slug,
    pub name: String,
    pub parent_id: Option<i64>,
}

/// Every unit, in the order of the site file (position, then age).
pub async fn all(db: &Db) -> Result<Vec<UnitRow>, DbError> {
    db.pool()
        .fetch_all(&format!("{SELECT} order by position, id"), vec![])
        .await
}

/// Every unit, read inside a transaction (for checks that must see what the write will see).
pub async fn all_tx(tx: &mut Tx) -> Result<Vec<UnitRow>, DbError> {
    tx.fetch_all(&format!("{SELECT} order by position, id"), vec![])
        .await
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<UnitRow>, DbError> {
    db.pool()
        .fetch_optional(&format!("{SELECT} where id = $1"), params![id])
        .await
}

/// Appends a unit after all others; returns its id.
pub async fn insert(tx: &mut Tx, u: &UnitInput, now: DateTime<Utc>) -> Result<i64, DbError> {
    tx.fetch_i64(
        "insert into units (slug, name, parent_id, position, created_at, updated_at) \
         values ($1, $2, $3, (select coalesce(max(position), -1) + 1 from units), $4, $4) \
         returning id",
        params![u.slug.as_str(), u.name.as_str(), u.parent_id, now],
    )
    .await
}

pub async fn update(
    tx: &mut Tx,
    id: i64,
    u: &UnitInput,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx.execute(
        "update units set slug = $2, name = $3, parent_id = $4, updated_at = $5 where id = $1",
        params![id, u.slug.as_str(), u.name.as_str(), u.parent_id, now],
    )
    .await
    .map(|_| ())
}

/// Active accounts per unit (units without any are absent).
pub async fn active_members(db: &Db) -> Result<HashMap<i64, i64>, DbError> {
    #[derive(sqlx::FromRow)]
    struct Count {
        unit_id: i64,
        n: i64,
    }
    let rows: Vec<Count> = db
        .pool()
        .fetch_all(
            "select unit_id, count(*) as n from users \
             where active = true and unit_id is not null group by unit_id",
            vec![],
        )
        .await?;
    Ok(rows.into_iter().map(|c| (c.unit_id, c.n)).collect())
}

/// The units in tree order (each parent followed by its children), with their depth (0 for the
/// top level). A unit whose parent is missing, or that sits in a loop, is shown at the top level
/// rather than lost.
pub fn tree(units: &[UnitRow]) -> Vec<(usize, &UnitRow)> {
    let ids: HashSet<i64> = units.iter().map(|u| u.id).collect();
    let mut children: HashMap<Option<i64>, Vec<&UnitRow>> = HashMap::new();
    for u in units {
        let parent = u.parent_id.filter(|p| ids.contains(p) && *p != u.id);
        children.entry(parent).or_default().push(u);
    }
    let mut out = Vec::with_capacity(units.len());
    let mut seen = HashSet::new();
    fn walk<'a>(
        parent: Option<i64>,
        depth: usize,
        children: &HashMap<Option<i64>, Vec<&'a UnitRow>>,
        seen: &mut HashSet<i64>,
        out: &mut Vec<(usize, &'a UnitRow)>,
    ) {
        for u in children.get(&parent).into_iter().flatten() {
            if seen.insert(u.id) {
                out.push((depth, u));
                walk(Some(u.id), depth + 1, children, seen, out);
            }
        }
    }
    walk(None, 0, &children, &mut seen, &mut out);
    // Anything unreachable from the top (a loop) still appears, at the top level.
    for u in units {
        if !seen.contains(&u.id) {
            seen.insert(u.id);
            out.push((0, u));
            walk(Some(u.id), 1, &children, &mut seen, &mut out);
        }
    }
    out
}

/// The name of unit `id` among `units`, if there is one.
pub fn name_of(units: &[UnitRow], id: Option<i64>) -> Option<&str> {
    id.and_then(|id| units.iter().find(|u| u.id == id))
        .map(|u| u.name.as_str())
}

/// `id` and every unit below it.
pub fn subtree(units: &[UnitRow], id: i64) -> HashSet<i64> {
    let mut found = HashSet::from([id]);
    // Grows until stable; trees are small and this needs no recursion.
    loop {
        let before = found.len();
        for u in units {
            if u.parent_id.is_some_and(|p| found.contains(&p)) {
                found.insert(u.id);
            }
        }
        if found.len() == before {
            return found;
        }
    }
}

/// `id`, its parent, its parent's parent, … up to its top unit (what `policy::Target::Unit`
/// takes). Stops at a loop rather than hanging; empty when `id` is unknown.
pub fn ancestry(units: &[UnitRow], id: i64) -> Vec<i64> {
    let mut out = Vec::new();
    let mut next = Some(id);
    while let Some(current) = next {
        let Some(u) = units.iter().find(|u| u.id == current) else {
            break;
        };
        if out.contains(&u.id) {
            break;
        }
        out.push(u.id);
        next = u.parent_id;
    }
    out
}

/// True when making `parent` the parent of `id` would close a loop: `parent` is `id` itself or
/// lies below it.
pub fn would_cycle(units: &[UnitRow], id: i64, parent: i64) -> bool {
    subtree(units, id).contains(&parent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: i64, parent_id: Option<i64>, position: i64) -> UnitRow {
        UnitRow {
            id,
            slug: format!("u{id}"),
            name: format!("Đơn vị {id}"),
            parent_id,
            position,
        }
    }

    #[test]
    fn tree_order_puts_children_under_their_parent() {
        let units = vec![
            unit(1, None, 0),
            unit(2, None, 1),
            unit(3, Some(2), 2),
            unit(4, Some(1), 3),
            unit(5, Some(3), 4),
        ];
        let order: Vec<(usize, i64)> = tree(&units).into_iter().map(|(d, u)| (d, u.id)).collect();
        assert_eq!(order, vec![(0, 1), (1, 4), (0, 2), (1, 3), (2, 5)]);
    }

    #[test]
    fn loops_are_detected_and_never_hang_the_tree() {
        let units = vec![unit(1, None, 0), unit(2, Some(1), 1), unit(3, Some(2), 2)];
        assert!(would_cycle(&units, 1, 3));
        assert!(would_cycle(&units, 2, 2));
        assert!(!would_cycle(&units, 3, 1));
        assert_eq!(subtree(&units, 2), HashSet::from([2, 3]));

        let looped = vec![unit(1, Some(2), 0), unit(2, Some(1), 1)];
        assert_eq!(tree(&looped).len(), 2);
        assert_eq!(ancestry(&looped, 1), [1, 2]);
    }

    #[test]
    fn ancestry_goes_up_to_the_top() {
        let units = vec![unit(1, None, 0), unit(2, Some(1), 1), unit(3, Some(2), 2)];
        assert_eq!(ancestry(&units, 3), [3, 2, 1]);
        assert_eq!(ancestry(&units, 1), [1]);
        assert!(ancestry(&units, 9).is_empty());
    }

    #[test]
    fn names_are_found_by_id() {
        let units = vec![unit(1, None, 0), unit(2, Some(1), 1)];
        assert_eq!(name_of(&units, Some(2)), Some("Đơn vị 2"));
        assert_eq!(name_of(&units, Some(9)), None);
        assert_eq!(name_of(&units, None), None);
    }
}
