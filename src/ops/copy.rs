//! `loa copy --from URL --to URL`: every table from one database to another (SQLite ↔
//! PostgreSQL), ids kept, in one transaction on the target, which must be empty.
//!
//! The tables come from the schema itself ([`crate::db::tables`]); both databases are migrated
//! by this binary first, so they must end up with the same tables and columns, and a difference
//! stops the copy before anything is written. Derived tables (the search index) are rebuilt on
//! the target in the same transaction.

use std::fmt;

use anyhow::{bail, Context};

use crate::db::tables::{self, Table};
use crate::db::{self, Db};

/// What a copy did: each table and its row count, in the order copied.
#[derive(Debug, Default)]
pub struct CopyReport {
    pub tables: Vec<(String, usize)>,
}

impl CopyReport {
    pub fn rows(&self) -> usize {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

impl fmt::Display for CopyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (table, n) in &self.tables {
            writeln!(f, "  {table}: {n}")?;
        }
        write!(
            f,
            "Đã chép {} bảng, {} dòng.",
            self.tables.len(),
            self.rows()
        )
    }
}

/// Copies every table of `from` into the empty database `to`. Both must be migrated.
pub async fn copy(from: &Db, to: &Db) -> anyhow::Result<CopyReport> {
    let source = tables::schema(from)
        .await
        .context("đọc lược đồ của cơ sở dữ liệu nguồn")?;
    let target = tables::schema(to)
        .await
        .context("đọc lược đồ của cơ sở dữ liệu đích")?;
    let plan = plan(&source, &target)?;

    let mut write = to.begin().await?;
    let mut busy = Vec::new();
    for table in &plan {
        let n = tables::count(&mut write, &table.name).await?;
        if n > 0 {
            busy.push(format!("{} ({n} dòng)", table.name));
        }
    }
    if !busy.is_empty() {
        bail!(
            "cơ sở dữ liệu đích không trống: {}. Hãy chép vào một cơ sở dữ liệu mới tạo",
            busy.join(", ")
        );
    }

    let mut read = tables::begin_snapshot(from).await?;
    let mut report = CopyReport::default();
    for table in &plan {
        let rows = tables::read_rows(&mut read, table).await?;
        let n = rows.len();
        let rows = tables::parents_first(table, rows)?;
        tables::insert_rows(&mut write, table, rows)
            .await
            .with_context(|| format!("ghi bảng {}", table.name))?;
        tables::reset_identities(&mut write, table).await?;
        report.tables.push((table.name.clone(), n));
    }
    drop(read);
    for id in article_ids(&mut write).await? {
        db::search::index_article(&mut write, id).await?;
    }
    // Past the copied generation, announced on commit: a server already running on the target
    // drops what it kept of the empty site.
    let everything = db::page_generation::Change::Everything;
    db::page_generation::bump(&mut write, &everything, "copy", crate::time::now()).await?;
    write.commit().await.context("ghi giao dịch vào đích")?;
    Ok(report)
}

/// The target's tables with the kinds both sides agree on; any table on one side only stops
/// the copy (a database from another version, or a table this binary does not know).
fn plan(source: &[Table], target: &[Table]) -> anyhow::Result<Vec<Table>> {
    let only = |a: &[Table], b: &[Table]| -> Vec<String> {
        a.iter()
            .filter(|t| !b.iter().any(|u| u.name == t.name))
            .map(|t| t.name.clone())
            .collect()
    };
    let (source_only, target_only) = (only(source, target), only(target, source));
    if !source_only.is_empty() || !target_only.is_empty() {
        bail!(
            "hai cơ sở dữ liệu có các bảng khác nhau (chỉ ở nguồn: {}; chỉ ở đích: {})",
            list(&source_only),
            list(&target_only)
        );
    }
    target
        .iter()
        .map(|t| {
            let s = source
                .iter()
                .find(|s| s.name == t.name)
                .expect("same names");
            tables::reconcile(s, t)
        })
        .collect()
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "không có".to_owned()
    } else {
        names.join(", ")
    }
}

#[derive(sqlx::FromRow)]
struct Id {
    id: i64,
}

async fn article_ids(tx: &mut db::Tx) -> Result<Vec<i64>, db::DbError> {
    let rows: Vec<Id> = tx
        .fetch_all("select id from articles order by id", crate::params![])
        .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}
