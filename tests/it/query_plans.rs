//! The hot queries read through indexes on both databases: the plan of every statement in
//! `loa::db::plans::hot_queries` (home, topic, sitemap, a signed-in person's header and status
//! box, a staff confirmation) is asked of the database, and a table read whole — SQLite's
//! `SCAN t` without an index, PostgreSQL's `Seq Scan` with sequential scans priced out — fails
//! the test, unless the statement names that table as one it may read (what it summarises). A
//! page of a list must come in index order (no sort of every match), and a count or the sitemap
//! must read the articles' index alone.

use loa::db::plans::{article_row_reads, explain, hot_queries, sorts, table_scans, Sample};
use loa::demo::{self, Options};

use crate::db_tests;
use crate::helpers::{repo_content, TestDb};

db_tests!(hot_queries_use_indexes);

async fn hot_queries_use_indexes(t: TestDb) {
    let db = t.connect().await;
    // The shipped content (articles in topics), then people, units and confirmations.
    loa::content::import_dir(&db, &repo_content())
        .await
        .unwrap();
    let options = Options {
        units: 3,
        employees: 30,
        citizens: 30,
        articles: 2,
        force: true,
        ..Options::default()
    };
    demo::seed(&db, &options, loa::time::now()).await.unwrap();
    let scalar = |sql: &'static str| {
        let db = db.clone();
        async move { db.pool().fetch_i64(sql, vec![]).await.unwrap() }
    };
    if db.backend() == "postgres" {
        // What autovacuum keeps up to date on a live server: statistics and the visibility map
        // (without it PostgreSQL prices an index-only scan like a heap read).
        db.pool().execute("vacuum analyze", vec![]).await.unwrap();
    }
    let sample = Sample {
        article_id: scalar("select min(article_id) from ack_settings").await,
        topic_id: scalar("select min(topic_id) from article_topics").await,
        user_id: scalar("select max(id) from users where role = 'employee'").await,
        now: loa::time::now(),
    };

    let mut failures = Vec::new();
    for q in hot_queries(&sample) {
        let plan = explain(&db, &q.sql, q.params.clone(), q.ordered)
            .await
            .unwrap();
        let scans: Vec<String> = table_scans(&plan)
            .into_iter()
            .filter(|t| !q.may_scan.contains(&t.as_str()))
            .collect();
        let mut wrong = Vec::new();
        if !scans.is_empty() {
            wrong.push(format!("reads {} whole", scans.join(", ")));
        }
        if q.ordered && sorts(&plan) {
            wrong.push("sorts instead of reading in index order".to_owned());
        }
        if q.index_only && !article_row_reads(&plan).is_empty() {
            wrong.push("reads article rows, not only an index".to_owned());
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{} {}:\n    {}",
                q.name,
                wrong.join("; "),
                plan.join("\n    ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}: {}",
        db.backend(),
        failures.join("\n")
    );
    db.close().await;
}
