//! `loa backup` and `loa restore` through the real binary, on SQLite and PostgreSQL: a backup
//! taken during a stream of writes restores to one consistent moment, a quiet one restores every
//! table and every media file exactly, a used place is refused unless `--force`, and a missing
//! `pg_dump` is explained.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use loa::account::Role;
use loa::db::{tables, Db, Param};

use super::site::{confirm_as_citizen, populated};
use crate::admin_media::{png, upload_ok};
use crate::db_tests;
use crate::fixtures::articles::sign_in;
use crate::fixtures::binary::{data_dir, text};
use crate::helpers::{TestApp, TestDb};

db_tests!(
    a_backup_during_writes_restores_every_table_and_file,
    pg_dump_missing_is_explained
);

/// Columns that writes may change in rows that already exist: a counter.
const COUNTERS: &[(&str, &str)] = &[
    ("ack_citizen_counts", "confirmations"),
    ("page_generation", "generation"),
    ("page_generation", "updated_at"),
];

async fn a_backup_during_writes_restores_every_table_and_file(db: TestDb) {
    let app = populated(db).await;
    let (editor, _) = sign_in(&app, Role::Editor, "Biên Tập Sao Lưu").await;
    let target = app.db.another().await;
    let archive = app.db.dir.path().join("sao-luu.tar.gz");
    let archive = archive.to_str().unwrap().to_owned();

    // Citizens confirm and the editor uploads images while the backup runs.
    let stop = Arc::new(AtomicBool::new(false));
    let writes = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (stop, writes) = (stop.clone(), writes.clone());
        let browsers: Vec<_> = (1..=40)
            .map(|i| app.browser_from(IpAddr::V4(Ipv4Addr::new(127, 0, 2, i))))
            .collect();
        tokio::spawn(async move {
            let mut i = 0usize;
            while !stop.load(Ordering::SeqCst) && i < 190 {
                if i % 5 == 4 {
                    upload_ok(&editor, png(24 + i as u32, 16), "anh.png", "Ảnh").await;
                } else {
                    let b = &browsers[i / 5];
                    let phone = format!("0913{i:06}");
                    let r = confirm_as_citizen(b, "Người Dân", &phone, "").await;
                    assert_eq!(r.status(), 303, "citizen {i}");
                }
                i += 1;
                writes.store(i, Ordering::SeqCst);
            }
        })
    };
    while writes.load(Ordering::SeqCst) < 5 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let out = run(&app.db, &["backup", &archive]).await;
    assert!(out.status.success(), "{}", text(&out));
    let after_backup = writes.load(Ordering::SeqCst);
    let out = run(&target, &["restore", &archive]).await;
    assert!(out.status.success(), "{}", text(&out));
    // The stream went on after the backup was taken.
    while writes.load(Ordering::SeqCst) < after_backup + 3 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }

    // One moment of the database: every restored row is the source's row (counters may have
    // grown since), the counts agree with the events they count, and every image is there.
    let restored = target.connect().await;
    let source_tables = keyed(&app.state.db).await;
    let restored_tables = keyed(&restored).await;
    assert_eq!(
        source_tables.keys().collect::<Vec<_>>(),
        restored_tables.keys().collect::<Vec<_>>()
    );
    for (name, rows) in &restored_tables {
        let source = &source_tables[name];
        for (key, row) in rows {
            assert_eq!(
                source.get(key),
                Some(row),
                "restored row {key:?} of {name} is not the source's"
            );
        }
    }
    assert_eq!(
        restored
            .pool()
            .fetch_i64(
                "select cast(coalesce(sum(confirmations), 0) as bigint) from ack_citizen_counts",
                vec![]
            )
            .await
            .unwrap(),
        restored
            .pool()
            .fetch_i64(
                "select count(*) from ack_events where citizen_id is not null",
                vec![]
            )
            .await
            .unwrap(),
        "citizen counts and events from the same moment"
    );
    let names = media_names(&restored).await;
    assert!(names.len() > 1);
    for name in &names {
        let (stem, ext) = name.rsplit_once('.').unwrap();
        for file in [name.clone(), format!("{stem}-thumb.{ext}")] {
            assert_eq!(
                read(&data_dir(&target).join("media").join(&file)),
                read(&data_dir(&app.db).join("media").join(&file)),
                "{file}"
            );
        }
    }
    restored.close().await;

    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();

    // Quiet now: a second backup restores everything exactly, over the first only with --force.
    let out = run(&app.db, &["backup", &archive]).await;
    assert!(out.status.success(), "{}", text(&out));
    let refused = run(&target, &["restore", &archive]).await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused).contains("--force"), "{}", text(&refused));
    let replaced = target.connect().await;
    let generation = loa::db::page_generation::current;
    let before = generation(&replaced).await.unwrap();
    replaced.close().await;
    let out = run(&target, &["restore", &archive, "--force"]).await;
    assert!(out.status.success(), "{}", text(&out));
    let restored = target.connect().await;
    // The public pages' generation moves past both the backup's and the replaced database's, so
    // that servers running on it drop their pages: the one row that differs.
    let now = generation(&restored).await.unwrap();
    let backed_up = generation(&app.state.db).await.unwrap();
    assert_eq!(now, before.max(backed_up) + 1);
    let without_generation = |dump: Vec<(tables::Table, tables::Rows)>| {
        dump.into_iter()
            .filter(|(t, _)| t.name != "page_generation")
            .collect::<Vec<_>>()
    };
    assert_eq!(
        without_generation(tables::dump(&app.state.db).await.unwrap()),
        without_generation(tables::dump(&restored).await.unwrap()),
        "every table"
    );
    restored.close().await;
    assert_eq!(
        files(&data_dir(&app.db).join("media")),
        files(&data_dir(&target).join("media")),
        "every media file"
    );
    // The restored site serves.
    let served = TestApp::spawn(target, &crate::helpers::repo_content()).await;
    served.page("/bai-viet/sipas-la-gi", 200).await;
}

async fn pg_dump_missing_is_explained(db: TestDb) {
    if db.url.starts_with("sqlite") {
        return;
    }
    db.connect().await.close().await;
    let empty = tempfile::tempdir().unwrap();
    let out = crate::fixtures::binary::command(&db)
        .args(["backup", "x.tar.gz"])
        .env("PATH", empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("không tìm thấy pg_dump trên PATH"),
        "{}",
        text(&out)
    );
    assert!(!db.dir.path().join("x.tar.gz").exists());
}

/// Runs a one-shot command off the async threads.
async fn run(db: &TestDb, args: &[&str]) -> std::process::Output {
    let mut cmd = crate::fixtures::binary::command(db);
    cmd.args(args);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

type Keyed = BTreeMap<String, BTreeMap<Vec<String>, Vec<Param>>>;

/// Every table's rows by primary key, counters left out.
async fn keyed(db: &Db) -> Keyed {
    let mut out = Keyed::new();
    for (table, rows) in tables::dump(db).await.unwrap() {
        let key_at: Vec<usize> = table
            .primary_key
            .iter()
            .map(|k| table.columns.iter().position(|c| &c.name == k).unwrap())
            .collect();
        let counter_at: Vec<usize> = table
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| COUNTERS.contains(&(table.name.as_str(), c.name.as_str())))
            .map(|(i, _)| i)
            .collect();
        let by_key = rows
            .into_iter()
            .map(|mut row| {
                let key = key_at.iter().map(|&i| format!("{:?}", row[i])).collect();
                for &i in &counter_at {
                    row[i] = Param::OptI64(None);
                }
                (key, row)
            })
            .collect();
        out.insert(table.name, by_key);
    }
    out
}

async fn media_names(db: &Db) -> Vec<String> {
    #[derive(sqlx::FromRow)]
    struct Name {
        stored_name: String,
    }
    db.pool()
        .fetch_all::<Name>("select stored_name from media", vec![])
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.stored_name)
        .collect()
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every file of a folder with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    loa::ops::archive::media_files(dir)
        .unwrap()
        .into_iter()
        .map(|name| (name.clone(), read(&dir.join(name))))
        .collect()
}
