//! Every table as data, for `loa copy` and the backup tests: tables, columns, primary and foreign
//! keys read from the database's own catalogue — so a table added by a later migration is
//! included without a list to keep up to date — and rows as typed [`Param`] values.
//!
//! A column type this module does not know stops the work with its name, rather than copying it
//! wrongly. Derived tables ([`DERIVED`], and SQLite's FTS5 tables behind them) are rebuilt from
//! the others, never copied.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use anyhow::{anyhow, bail, Context};
use sqlx::{Row as _, ValueRef as _};

use super::{Db, DbError, Param, Tx};
use crate::params;

/// Tables computed from other tables: the search index (an FTS5 table on SQLite).
pub const DERIVED: &[&str] = &["search_index"];

/// What a column holds, on both databases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Int,
    Bool,
    Text,
    /// `timestamptz` on PostgreSQL; SQLite keeps times as text.
    Time,
    /// `blob` / `bytea` (a kept export file).
    Bytes,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
    /// A PostgreSQL identity column (its sequence must follow copied ids).
    pub identity: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
    /// The tables this one references, itself excluded.
    pub parents: BTreeSet<String>,
    /// Columns that reference this same table (a tree, such as `units.parent_id`).
    pub self_refs: Vec<String>,
}

/// A table's rows, ordered by primary key, each value in column order.
pub type Rows = Vec<Vec<Param>>;

/// Quotes an identifier for either database.
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[derive(sqlx::FromRow)]
struct NameRow {
    name: String,
}

#[derive(sqlx::FromRow)]
struct SqliteTableRow {
    name: String,
    kind: String,
}

#[derive(sqlx::FromRow)]
struct ColumnRow {
    name: String,
    kind: String,
    identity: bool,
    pk: i64,
}

#[derive(sqlx::FromRow)]
struct ForeignKeyRow {
    parent: String,
    col: String,
}

/// The tables to copy, in dependency order (parents first), derived tables left out.
pub async fn schema(db: &Db) -> anyhow::Result<Vec<Table>> {
    let mut tables = Vec::new();
    for name in table_names(db).await? {
        tables.push(describe(db, &name).await?);
    }
    dependency_order(tables)
}

async fn table_names(db: &Db) -> anyhow::Result<Vec<String>> {
    let names = match db {
        Db::Sqlite(_) => {
            let rows: Vec<SqliteTableRow> = db
                .pool()
                .fetch_all(
                    "select name, type as kind from pragma_table_list where schema = 'main' \
                     and name not like 'sqlite_%' and name <> '_sqlx_migrations' order by name",
                    params![],
                )
                .await?;
            let mut names = Vec::new();
            for r in rows {
                match r.kind.as_str() {
                    "table" if !DERIVED.contains(&r.name.as_str()) => names.push(r.name),
                    // FTS5 keeps its data in shadow tables of the virtual one.
                    "table" | "shadow" | "view" => {}
                    "virtual" if DERIVED.contains(&r.name.as_str()) => {}
                    other => bail!(
                        "bảng «{}» ({other}) không có trong danh sách bảng dẫn xuất; \
                         không biết cách chép nó",
                        r.name
                    ),
                }
            }
            names
        }
        Db::Postgres(_) => db
            .pool()
            .fetch_all::<NameRow>(
                "select table_name::text as name from information_schema.tables \
                 where table_schema = current_schema() and table_type = 'BASE TABLE' \
                 and table_name <> '_sqlx_migrations' order by table_name",
                params![],
            )
            .await?
            .into_iter()
            .map(|r| r.name)
            .filter(|n| !DERIVED.contains(&n.as_str()))
            .collect(),
    };
    Ok(names)
}

async fn describe(db: &Db, table: &str) -> anyhow::Result<Table> {
    let (columns_sql, fk_sql) = match db {
        Db::Sqlite(_) => (
            "select name, lower(type) as kind, false as identity, pk from pragma_table_info($1) \
             order by cid",
            "select \"table\" as parent, \"from\" as col from pragma_foreign_key_list($1)",
        ),
        Db::Postgres(_) => (
            "select c.column_name::text as name, c.data_type::text as kind, \
                 (c.is_identity = 'YES') as identity, \
                 coalesce((select cast(k.ordinal_position as bigint) \
                     from information_schema.table_constraints t \
                     join information_schema.key_column_usage k \
                         on k.constraint_name = t.constraint_name \
                         and k.table_schema = t.table_schema and k.table_name = t.table_name \
                     where t.constraint_type = 'PRIMARY KEY' and t.table_schema = c.table_schema \
                         and t.table_name = c.table_name and k.column_name = c.column_name), 0) \
                     as pk \
             from information_schema.columns c \
             where c.table_schema = current_schema() and c.table_name = $1 \
             order by c.ordinal_position",
            "select c.confrelid::regclass::text as parent, a.attname::text as col \
             from pg_constraint c \
             join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1] \
             where c.contype = 'f' and c.conrelid = to_regclass($1)",
        ),
    };
    let rows: Vec<ColumnRow> = db.pool().fetch_all(columns_sql, params![table]).await?;
    let mut columns = Vec::new();
    let mut pk: Vec<(i64, String)> = Vec::new();
    for r in rows {
        let kind = kind_of(db, &r.kind).ok_or_else(|| {
            anyhow!(
                "cột {table}.{} có kiểu «{}» chưa được hỗ trợ",
                r.name,
                r.kind
            )
        })?;
        if r.pk > 0 {
            pk.push((r.pk, r.name.clone()));
        }
        columns.push(Column {
            name: r.name,
            kind,
            identity: r.identity,
        });
    }
    pk.sort();
    let mut parents = BTreeSet::new();
    let mut self_refs = Vec::new();
    for fk in db
        .pool()
        .fetch_all::<ForeignKeyRow>(fk_sql, params![table])
        .await?
    {
        if fk.parent == table {
            self_refs.push(fk.col);
        } else {
            parents.insert(fk.parent);
        }
    }
    Ok(Table {
        name: table.to_owned(),
        columns,
        primary_key: pk.into_iter().map(|(_, n)| n).collect(),
        parents,
        self_refs,
    })
}

/// The kind of a declared (SQLite) or catalogue (PostgreSQL) column type.
fn kind_of(db: &Db, declared: &str) -> Option<Kind> {
    match (db, declared) {
        (Db::Sqlite(_), "integer" | "int" | "bigint") => Some(Kind::Int),
        (Db::Sqlite(_), "boolean") => Some(Kind::Bool),
        (Db::Sqlite(_), "text") => Some(Kind::Text),
        (Db::Sqlite(_), "blob") => Some(Kind::Bytes),
        (Db::Postgres(_), "bytea") => Some(Kind::Bytes),
        (Db::Postgres(_), "bigint" | "integer" | "smallint") => Some(Kind::Int),
        (Db::Postgres(_), "boolean") => Some(Kind::Bool),
        (Db::Postgres(_), "text" | "character varying") => Some(Kind::Text),
        (Db::Postgres(_), "timestamp with time zone") => Some(Kind::Time),
        _ => None,
    }
}

/// Parents before children; a foreign-key cycle between tables is an error.
fn dependency_order(tables: Vec<Table>) -> anyhow::Result<Vec<Table>> {
    let names: HashSet<String> = tables.iter().map(|t| t.name.clone()).collect();
    let mut pending: BTreeMap<String, Table> =
        tables.into_iter().map(|t| (t.name.clone(), t)).collect();
    let mut done: HashSet<String> = HashSet::new();
    let mut ordered = Vec::new();
    while !pending.is_empty() {
        let ready: Vec<String> = pending
            .values()
            .filter(|t| {
                t.parents
                    .iter()
                    .all(|p| done.contains(p) || !names.contains(p))
            })
            .map(|t| t.name.clone())
            .collect();
        if ready.is_empty() {
            let left: Vec<&str> = pending.keys().map(String::as_str).collect();
            bail!("các bảng tham chiếu vòng tròn: {}", left.join(", "));
        }
        for name in ready {
            let table = pending.remove(&name).expect("listed above");
            done.insert(name);
            ordered.push(table);
        }
    }
    Ok(ordered)
}

/// The table as both databases must see it for a copy: the same columns (by name), with the
/// kind the PostgreSQL side gives when one side keeps times as SQLite text.
pub fn reconcile(source: &Table, target: &Table) -> anyhow::Result<Table> {
    let source_names: BTreeSet<&str> = source.columns.iter().map(|c| c.name.as_str()).collect();
    let target_names: BTreeSet<&str> = target.columns.iter().map(|c| c.name.as_str()).collect();
    if source_names != target_names {
        bail!(
            "bảng {} có các cột khác nhau ở nguồn ({}) và đích ({}); hai cơ sở dữ liệu phải cùng \
             phiên bản migration",
            target.name,
            source_names.into_iter().collect::<Vec<_>>().join(", "),
            target_names.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    let mut table = target.clone();
    for column in &mut table.columns {
        let from = source
            .columns
            .iter()
            .find(|c| c.name == column.name)
            .expect("same names");
        column.kind = match (from.kind, column.kind) {
            (a, b) if a == b => a,
            (Kind::Text, Kind::Time) | (Kind::Time, Kind::Text) => Kind::Time,
            (a, b) => bail!(
                "cột {}.{} có kiểu khác nhau ({a:?} ở nguồn, {b:?} ở đích)",
                table.name,
                column.name
            ),
        };
    }
    Ok(table)
}

/// Reads every row of `table`, ordered by its primary key (by every column when it has none).
pub async fn read_rows(tx: &mut Tx, table: &Table) -> anyhow::Result<Rows> {
    let postgres = matches!(tx, Tx::Postgres(_));
    let select: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            let q = quote(&c.name);
            // Narrower integer and text types are read as the ones `Param` holds.
            match (postgres, c.kind) {
                (true, Kind::Int) => format!("cast({q} as bigint)"),
                (true, Kind::Text) => format!("cast({q} as text)"),
                _ => q,
            }
        })
        .collect();
    let order: Vec<String> = if table.primary_key.is_empty() {
        table.columns.iter().map(|c| quote(&c.name)).collect()
    } else {
        table.primary_key.iter().map(|c| quote(c)).collect()
    };
    let sql = format!(
        "select {} from {} order by {}",
        select.join(", "),
        quote(&table.name),
        order.join(", ")
    );
    let decode = |e: DbError| anyhow!(e).context(format!("đọc bảng {}", table.name));
    let rows = match tx {
        Tx::Sqlite(t) => {
            let rows = sqlx::query(&sql).fetch_all(&mut **t).await?;
            rows.iter()
                .map(|r| {
                    (0..table.columns.len())
                        .map(|i| sqlite_value(r, i, table.columns[i].kind))
                        .collect::<Result<Vec<_>, _>>()
                })
                .collect::<Result<Rows, _>>()
                .map_err(decode)?
        }
        Tx::Postgres(t) => {
            let rows = sqlx::query(&sql).fetch_all(&mut **t).await?;
            rows.iter()
                .map(|r| {
                    (0..table.columns.len())
                        .map(|i| postgres_value(r, i, table.columns[i].kind))
                        .collect::<Result<Vec<_>, _>>()
                })
                .collect::<Result<Rows, _>>()
                .map_err(decode)?
        }
    };
    Ok(rows)
}

fn sqlite_value(row: &sqlx::sqlite::SqliteRow, i: usize, kind: Kind) -> Result<Param, DbError> {
    // SQLite checks a value's type against the declared one; NULLs need no check.
    if row.try_get_raw(i)?.is_null() {
        return Ok(null(kind));
    }
    Ok(match kind {
        Kind::Int => Param::OptI64(Some(row.try_get(i)?)),
        Kind::Bool => Param::OptBool(Some(row.try_get(i)?)),
        Kind::Text => Param::OptText(Some(row.try_get(i)?)),
        Kind::Time => Param::OptTime(Some(row.try_get(i)?)),
        Kind::Bytes => Param::OptBytes(Some(row.try_get(i)?)),
    })
}

fn postgres_value(row: &sqlx::postgres::PgRow, i: usize, kind: Kind) -> Result<Param, DbError> {
    Ok(match kind {
        Kind::Int => Param::OptI64(row.try_get(i)?),
        Kind::Bool => Param::OptBool(row.try_get(i)?),
        Kind::Text => Param::OptText(row.try_get(i)?),
        Kind::Time => Param::OptTime(row.try_get(i)?),
        Kind::Bytes => Param::OptBytes(row.try_get(i)?),
    })
}

/// A NULL of the column's type (PostgreSQL wants typed parameters).
fn null(kind: Kind) -> Param {
    match kind {
        Kind::Int => Param::OptI64(None),
        Kind::Bool => Param::OptBool(None),
        Kind::Text => Param::OptText(None),
        Kind::Time => Param::OptTime(None),
        Kind::Bytes => Param::OptBytes(None),
    }
}

/// Rows of a table that references itself, reordered so that a referenced row always comes
/// before the rows that reference it (a unit before its sub-units).
pub fn parents_first(table: &Table, rows: Rows) -> anyhow::Result<Rows> {
    if table.self_refs.is_empty() {
        return Ok(rows);
    }
    let [pk] = table.primary_key.as_slice() else {
        bail!(
            "bảng {} tự tham chiếu nhưng khoá chính không phải một cột",
            table.name
        );
    };
    let index = |name: &str| table.columns.iter().position(|c| c.name == name);
    let pk_at = index(pk).expect("the key is a column");
    let ref_at: Vec<usize> = table
        .self_refs
        .iter()
        .map(|c| index(c).expect("a column"))
        .collect();
    let key = |p: &Param| match p {
        Param::OptI64(v) => *v,
        _ => None,
    };
    let mut placed: HashSet<i64> = HashSet::new();
    let mut pending = rows;
    let mut ordered = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let (ready, rest): (Rows, Rows) = pending.into_iter().partition(|row| {
            ref_at.iter().all(|&i| match key(&row[i]) {
                None => true,
                Some(parent) => placed.contains(&parent) || key(&row[pk_at]) == Some(parent),
            })
        });
        if ready.is_empty() {
            bail!("bảng {} có các dòng tham chiếu vòng tròn", table.name);
        }
        for row in ready {
            if let Some(id) = key(&row[pk_at]) {
                placed.insert(id);
            }
            ordered.push(row);
        }
        pending = rest;
    }
    Ok(ordered)
}

/// Inserts rows with their ids as they are; identity columns are overridden on PostgreSQL.
pub async fn insert_rows(tx: &mut Tx, table: &Table, rows: Rows) -> Result<(), DbError> {
    if rows.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = table.columns.iter().map(|c| quote(&c.name)).collect();
    let overriding = match tx {
        Tx::Postgres(_) if table.columns.iter().any(|c| c.identity) => " overriding system value",
        _ => "",
    };
    // Both databases take well over this many parameters in one statement.
    let per_batch = (4000 / table.columns.len().max(1)).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<Vec<Param>> = rows.by_ref().take(per_batch).collect();
        let mut params = Vec::with_capacity(batch.len() * names.len());
        let mut tuples = Vec::with_capacity(batch.len());
        for row in batch {
            let start = params.len();
            let marks: Vec<String> = (1..=row.len()).map(|i| format!("${}", start + i)).collect();
            tuples.push(format!("({})", marks.join(", ")));
            params.extend(row);
        }
        let sql = format!(
            "insert into {} ({}){overriding} values {}",
            quote(&table.name),
            names.join(", "),
            tuples.join(", ")
        );
        tx.execute(&sql, params).await?;
    }
    Ok(())
}

/// Moves PostgreSQL identity sequences past the largest copied id, so the next insert does not
/// collide. Nothing to do on SQLite, which takes the largest rowid + 1.
pub async fn reset_identities(tx: &mut Tx, table: &Table) -> Result<(), DbError> {
    if !matches!(tx, Tx::Postgres(_)) {
        return Ok(());
    }
    for c in table.columns.iter().filter(|c| c.identity) {
        let sql = format!(
            "select setval(pg_get_serial_sequence($1, $2), \
                 coalesce((select max({col}) from {t}), 0) + 1, false)",
            col = quote(&c.name),
            t = quote(&table.name)
        );
        tx.fetch_i64(&sql, params![table.name.as_str(), c.name.as_str()])
            .await?;
    }
    Ok(())
}

/// How many rows a table holds.
pub async fn count(tx: &mut Tx, table: &str) -> Result<i64, DbError> {
    tx.fetch_i64(
        &format!("select cast(count(*) as bigint) from {}", quote(table)),
        params![],
    )
    .await
}

/// Every table with its rows, read in one transaction: a consistent picture of the database, for
/// comparing two of them (tests, the copy's own check).
pub async fn dump(db: &Db) -> anyhow::Result<Vec<(Table, Rows)>> {
    let tables = schema(db).await?;
    let mut tx = begin_snapshot(db).await?;
    let mut out = Vec::new();
    for table in tables {
        let rows = read_rows(&mut tx, &table)
            .await
            .with_context(|| format!("bảng {}", table.name))?;
        out.push((table, rows));
    }
    Ok(out)
}

/// A read-only transaction that sees one moment of the database throughout.
pub async fn begin_snapshot(db: &Db) -> Result<Tx, DbError> {
    let mut tx = db.begin().await?;
    if let Tx::Postgres(_) = tx {
        tx.execute(
            "set transaction isolation level repeatable read, read only",
            params![],
        )
        .await?;
    }
    Ok(tx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, parents: &[&str]) -> Table {
        Table {
            name: name.to_owned(),
            columns: vec![],
            primary_key: vec![],
            parents: parents.iter().map(|p| (*p).to_owned()).collect(),
            self_refs: vec![],
        }
    }

    #[test]
    fn parents_come_first() {
        let ordered = dependency_order(vec![
            table("ack_events", &["articles", "users"]),
            table("users", &["units"]),
            table("articles", &["users"]),
            table("units", &[]),
        ])
        .unwrap();
        let names: Vec<&str> = ordered.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["units", "users", "articles", "ack_events"]);
        assert!(dependency_order(vec![table("a", &["b"]), table("b", &["a"])]).is_err());
    }

    #[test]
    fn a_tree_is_ordered_parents_first() {
        let units = Table {
            name: "units".into(),
            columns: vec![
                Column {
                    name: "id".into(),
                    kind: Kind::Int,
                    identity: true,
                },
                Column {
                    name: "parent_id".into(),
                    kind: Kind::Int,
                    identity: false,
                },
            ],
            primary_key: vec!["id".into()],
            parents: BTreeSet::new(),
            self_refs: vec!["parent_id".into()],
        };
        let row =
            |id: i64, parent: Option<i64>| vec![Param::OptI64(Some(id)), Param::OptI64(parent)];
        // Unit 1 was moved under unit 3, created later.
        let rows = vec![row(1, Some(3)), row(2, Some(1)), row(3, None)];
        let ordered = parents_first(&units, rows).unwrap();
        let ids: Vec<Param> = ordered.iter().map(|r| r[0].clone()).collect();
        let expected: Vec<Param> = [3, 1, 2].map(|id| Param::OptI64(Some(id))).to_vec();
        assert_eq!(ids, expected);
        let cycle = vec![row(1, Some(2)), row(2, Some(1))];
        assert!(parents_first(&units, cycle).is_err());
    }
}
