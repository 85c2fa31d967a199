//! The hot queries — what every public page and every signed-in request asks — and the
//! database's plan for any statement, so that `tests/it/query_plans.rs` can insist, on both
//! databases, that none of them reads a whole table (a page costs what it shows, not what the
//! archive holds).
//!
//! The SQL comes from the functions and constants the code runs, never from copies.

use chrono::{DateTime, Utc};

use super::{ack_status, articles, sitemap, Db, DbError, Param, Tx};
use crate::params;

/// One hot statement with parameters to plan it with.
pub struct HotQuery {
    pub name: &'static str,
    pub sql: String,
    pub params: Vec<Param>,
    /// Tables (as the plan names them: alias or table) this statement may read whole, and why:
    /// what the page summarises is exactly those rows.
    pub may_scan: &'static [&'static str],
    /// A page of a list: the rows must come in index order, with no sort of every match.
    pub ordered: bool,
    /// A count or the sitemap's articles: the articles must be read from an index alone, never
    /// their rows (on SQLite a row read walks past the body to reach the columns after it).
    pub index_only: bool,
}

/// Ids to plan the statements with: any existing article, topic and account.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub article_id: i64,
    pub topic_id: i64,
    pub user_id: i64,
    pub now: DateTime<Utc>,
}

/// Every hot statement: the home page (count, featured, list), a topic page (count, list), the
/// sitemap's files, the start-up's check for stale renderings, a signed-in person's header count
/// and status box, and a staff confirmation (the audience check and the insert).
pub fn hot_queries(s: &Sample) -> Vec<HotQuery> {
    vec![
        HotQuery {
            name: "home: count",
            sql: articles::COUNT_PUBLISHED.to_owned(),
            params: vec![],
            may_scan: &[],
            ordered: false,
            index_only: true,
        },
        HotQuery {
            name: "home: featured",
            sql: articles::list_featured_sql(),
            params: params![3_i64],
            may_scan: &[],
            ordered: true,
            index_only: false,
        },
        HotQuery {
            name: "home: list",
            sql: articles::list_published_sql(),
            params: params![10_i64, 0_i64],
            may_scan: &[],
            ordered: true,
            index_only: false,
        },
        HotQuery {
            name: "topic: count",
            sql: articles::count_in_topic_sql(),
            params: params![s.topic_id],
            may_scan: &[],
            ordered: false,
            index_only: true,
        },
        HotQuery {
            name: "topic: list",
            sql: articles::list_in_topic_sql(),
            params: params![s.topic_id, 10_i64, 0_i64],
            may_scan: &[],
            ordered: true,
            index_only: false,
        },
        HotQuery {
            // The index of the sitemap summarises every live article: read from an index alone.
            name: "sitemap: files of articles",
            sql: sitemap::parts_sql(),
            params: params![],
            may_scan: &[],
            ordered: false,
            index_only: true,
        },
        HotQuery {
            name: "sitemap: one file of articles",
            sql: sitemap::PART_ARTICLES.to_owned(),
            params: params![0_i64, sitemap::PART],
            may_scan: &[],
            ordered: true,
            index_only: true,
        },
        HotQuery {
            // Every topic is listed with its newest article: every link is read.
            name: "sitemap: topics",
            sql: sitemap::TOPICS.to_owned(),
            params: params![1000_i64],
            may_scan: &["t", "topics", "at", "article_topics"],
            ordered: false,
            index_only: false,
        },
        HotQuery {
            // A handful of campaigns, every public one listed.
            name: "sitemap: campaigns",
            sql: sitemap::CAMPAIGNS.to_owned(),
            params: params![1000_i64],
            may_scan: &["c", "campaigns"],
            ordered: false,
            index_only: false,
        },
        HotQuery {
            // The settings of the articles that take acknowledgments (one row each): the count
            // is about them. The person's own unit chain is a recursive CTE.
            name: "signed in: pending count",
            sql: ack_status::pending_count_sql(),
            params: params![s.user_id, s.now],
            may_scan: &["s", "ack_settings", "anc"],
            ordered: false,
            index_only: false,
        },
        HotQuery {
            name: "signed in: confirmation history",
            sql: ack_status::history_sql(),
            params: params![s.article_id, s.user_id],
            may_scan: &[],
            ordered: false,
            index_only: false,
        },
        HotQuery {
            // The audience's units and their sub-units (a recursive CTE over a handful of rows).
            name: "confirm: audience check",
            sql: ack_status::in_audience_sql(),
            params: params![s.article_id, s.user_id],
            may_scan: &["aud"],
            ordered: false,
            index_only: false,
        },
        HotQuery {
            name: "confirm: insert",
            sql: ack_status::record_confirm_sql(),
            params: params![
                s.article_id,
                1_i64,
                s.user_id,
                "0".repeat(64),
                s.user_id,
                "",
                "127.0.0.1",
                s.now
            ],
            may_scan: &[],
            ordered: false,
            index_only: false,
        },
    ]
}

#[derive(sqlx::FromRow)]
struct SqlitePlanRow {
    detail: String,
}

#[derive(sqlx::FromRow)]
struct PostgresPlanRow {
    #[sqlx(rename = "QUERY PLAN")]
    line: String,
}

/// The plan of a statement, one line per step, without running it: SQLite's
/// `explain query plan`, PostgreSQL's `explain` with sequential scans (and, for a list that must
/// come in index order, sorts) priced out (`set local enable_seqscan = off`, `enable_sort =
/// off`), so that a `Seq Scan` or a `Sort` left in the plan means no index can do the work,
/// whatever the size of the test's tables.
pub async fn explain(
    db: &Db,
    sql: &str,
    params: Vec<Param>,
    price_out_sorts: bool,
) -> Result<Vec<String>, DbError> {
    let mut tx: Tx = db.begin().await?;
    let lines = match tx {
        Tx::Sqlite(_) => {
            let rows: Vec<SqlitePlanRow> = tx
                .fetch_all(&format!("explain query plan {sql}"), params)
                .await?;
            rows.into_iter().map(|r| r.detail).collect()
        }
        Tx::Postgres(_) => {
            // Priced out, not forbidden: a plan that still has one has no index to use. Sorts
            // only for a list that must come in index order: elsewhere a sort of a person's few
            // rows is right, and pricing it out would push the planner to walk a whole index.
            let settings: &[&str] = if price_out_sorts {
                &["enable_seqscan", "enable_sort", "enable_incremental_sort"]
            } else {
                &["enable_seqscan"]
            };
            for setting in settings {
                tx.execute(&format!("set local {setting} = off"), vec![])
                    .await?;
            }
            let rows: Vec<PostgresPlanRow> =
                tx.fetch_all(&format!("explain {sql}"), params).await?;
            rows.into_iter().map(|r| r.line).collect()
        }
    };
    // Nothing ran; the transaction only scoped the setting.
    drop(tx);
    Ok(lines)
}

/// The tables a plan reads whole: SQLite's `SCAN t` without an index (a covering index scan is
/// an index read) and any step `USING AUTOMATIC … INDEX` (SQLite reads the whole table to build
/// it, at every execution); PostgreSQL's `Seq Scan on t [alias]` (both names are returned).
/// PostgreSQL's walks of a whole small index (the revocations, the lapses) into a hash are its
/// right choice for small tables and are not counted.
pub fn table_scans(plan: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for line in plan {
        let line = line.trim().trim_start_matches("->").trim();
        if line.contains("USING AUTOMATIC") {
            found.extend(line.split_whitespace().nth(1).map(str::to_owned));
        } else if let Some(rest) = line.strip_prefix("SCAN ") {
            // "SCAN t", "SCAN t USING INDEX i", "SCAN t USING COVERING INDEX i",
            // "SCAN CONSTANT ROW", "SCAN anc" (a CTE).
            let mut words = rest.split_whitespace();
            let table = words.next().unwrap_or_default();
            if words.next() != Some("USING") && rest != "CONSTANT ROW" {
                found.push(table.to_owned());
            }
        } else if let Some(rest) = line.split("Seq Scan on ").nth(1) {
            // "Seq Scan on articles a  (cost=…)"
            let names: Vec<&str> = rest
                .split("  (")
                .next()
                .unwrap_or_default()
                .split_whitespace()
                .collect();
            found.extend(names.iter().map(|n| (*n).to_owned()));
        }
    }
    found
}

/// Whether a plan sorts rows (SQLite's temporary B-tree for an `order by`, PostgreSQL's `Sort`).
pub fn sorts(plan: &[String]) -> bool {
    plan.iter().any(|l| {
        let l = l.trim().trim_start_matches("->").trim();
        (l.starts_with("USE TEMP B-TREE FOR") && l.contains("ORDER BY"))
            || l.starts_with("Sort ")
            || l.starts_with("Incremental Sort ")
    })
}

/// The steps of a plan that read rows of `articles` (not only an index of it): SQLite's
/// `SEARCH`/`SCAN` of `articles` or `a` without `COVERING INDEX`, PostgreSQL's index, bitmap or
/// sequential scans of it that are not `Index Only Scan`.
pub fn article_row_reads(plan: &[String]) -> Vec<String> {
    plan.iter()
        .filter(|l| {
            let l = l.trim().trim_start_matches("->").trim();
            let sqlite = ["SEARCH articles ", "SCAN articles", "SEARCH a ", "SCAN a"]
                .iter()
                .any(|p| l.starts_with(p) || l == p.trim_end())
                && !l.contains("COVERING INDEX");
            let postgres = l.contains(" on articles")
                && (l.contains("Scan") && !l.starts_with("Index Only Scan"))
                && !l.starts_with("Bitmap Index Scan");
            sqlite || postgres
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_are_told_from_index_reads() {
        let plan: Vec<String> = [
            "SEARCH articles USING INDEX articles_by_status (status=? AND deleted_at=?)",
            "SCAN a USING COVERING INDEX articles_by_status",
            "SCAN CONSTANT ROW",
            "SCAN s",
            "SEARCH u USING AUTOMATIC COVERING INDEX (parent_id=?)",
            "  ->  Seq Scan on ack_settings s  (cost=0.00..1.01 rows=1 width=8)",
            "  ->  Index Only Scan using articles_live on articles a  (cost=0.29..363.29)",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        assert_eq!(table_scans(&plan), ["s", "u", "ack_settings", "s"]);
        assert!(!sorts(&plan));
        assert_eq!(
            article_row_reads(&plan),
            ["SEARCH articles USING INDEX articles_by_status (status=? AND deleted_at=?)"]
        );
        let sorted = ["USE TEMP B-TREE FOR RIGHT PART OF ORDER BY".to_owned()];
        assert!(sorts(&sorted));
        let pg = [
            "Limit  (cost=914.52..914.55 rows=10 width=21)".to_owned(),
            "  ->  Sort  (cost=914.52..937.02 rows=9000 width=21)".to_owned(),
            "        ->  Bitmap Heap Scan on articles  (cost=394.54..720.04 rows=9000)".to_owned(),
            "              ->  Bitmap Index Scan on articles_featured  (cost=0.00..392.29)"
                .to_owned(),
        ];
        assert!(sorts(&pg));
        assert_eq!(article_row_reads(&pg), [pg[2].clone()]);
    }
}
