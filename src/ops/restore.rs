//! `loa restore FILE [--force]`: puts a backup back into the configured database and data folder.
//!
//! The archive is unpacked and checked against its manifest in a folder inside `LOA_DATA_DIR`
//! before anything is touched. The target must be empty — no rows in any table, no uploaded
//! file — unless `--force`, which replaces what is there. Servers must be stopped first: a running
//! server would keep writing to what is being replaced. The restored database is then migrated,
//! as `loa serve` would, so a backup from an older version is ready for this binary.

use std::path::Path;

use anyhow::{bail, Context};

use super::archive::{self, Manifest};
use super::backup::{pg_tool, run};
use crate::config::{Config, DatabaseUrl};
use crate::db::{page_generation, tables, Db};

#[derive(Debug)]
pub struct RestoreReport {
    pub manifest: Manifest,
    /// What `--force` replaced, for the message.
    pub replaced: Vec<String>,
}

pub async fn restore(config: &Config, file: &Path, force: bool) -> anyhow::Result<RestoreReport> {
    if !file.is_file() {
        bail!("không có tệp {}", file.display());
    }
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("không tạo được {}", config.data_dir.display()))?;
    // Inside the data folder, so the media folder moves into place with a rename.
    let staging = tempfile::Builder::new()
        .prefix(".loa-restore-")
        .tempdir_in(&config.data_dir)?;
    let manifest = tokio::task::spawn_blocking({
        let (file, dir) = (file.to_owned(), staging.path().to_owned());
        move || archive::unpack(&file, &dir)
    })
    .await??;
    let backend = config.database_url.backend();
    if manifest.backend != backend {
        bail!(
            "bản sao lưu là của {} nhưng LOA_DATABASE_URL là {backend}. Hãy khôi phục vào một cơ \
             sở dữ liệu {} rồi chuyển bằng `loa copy`",
            manifest.backend,
            manifest.backend
        );
    }

    let media = config.data_dir.join(archive::MEDIA);
    let (mut occupied, generation) = database_contents(&config.database_url).await?;
    let media_count = archive::media_files(&media)?.len();
    if media_count > 0 {
        occupied.push(format!("{media_count} tệp trong {}", media.display()));
    }
    if !occupied.is_empty() && !force {
        bail!(
            "nơi khôi phục không trống ({}). Dùng --force để thay thế bằng bản sao lưu",
            occupied.join("; ")
        );
    }

    match &config.database_url {
        DatabaseUrl::Sqlite(path) => {
            place_sqlite(&staging.path().join(archive::SQLITE_FILE), path).await?
        }
        DatabaseUrl::Postgres(url) => {
            pg_restore(url, &staging.path().join(archive::POSTGRES_FILE)).await?
        }
    }
    let db = Db::connect(&config.database_url).await?;
    let migrated = async {
        db.migrate().await?;
        // Past both the backup's generation and the replaced database's, announced on commit:
        // servers running on this database drop every page they kept.
        let mut tx = db.begin().await?;
        let everything = page_generation::Change::Everything;
        let now = crate::time::now();
        page_generation::bump_past(&mut tx, &everything, generation, "restore", now).await?;
        tx.commit().await?;
        anyhow::Ok(())
    }
    .await;
    db.close().await;
    migrated.context("áp dụng migration cho cơ sở dữ liệu vừa khôi phục")?;

    // The media folder last: swapped whole, the old one removed with the staging folder.
    let restored_media = staging.path().join(archive::MEDIA);
    std::fs::create_dir_all(&restored_media)?;
    if media.exists() {
        std::fs::rename(&media, staging.path().join("media-replaced"))?;
    }
    std::fs::rename(&restored_media, &media)?;
    archive::sync_dir(&config.data_dir);
    Ok(RestoreReport {
        manifest,
        replaced: occupied,
    })
}

/// The tables that hold rows, as "name (n dòng)", and the public pages' generation (0 when it
/// cannot be read); a database that does not exist yet has neither.
async fn database_contents(url: &DatabaseUrl) -> anyhow::Result<(Vec<String>, i64)> {
    if let DatabaseUrl::Sqlite(path) = url {
        if !path.exists() {
            return Ok((vec![], 0));
        }
    }
    let db = Db::connect(url).await?;
    let result = async {
        let mut out = Vec::new();
        let schema = tables::schema(&db).await?;
        let mut tx = db.begin().await?;
        for t in schema {
            let n = tables::count(&mut tx, &t.name).await?;
            if n > 0 {
                out.push(format!("bảng {} có {n} dòng", t.name));
            }
        }
        drop(tx);
        // A database of another program, or from before the generation row, has none.
        let generation = page_generation::current(&db).await.unwrap_or(0);
        anyhow::Ok((out, generation))
    }
    .await;
    db.close().await;
    result.context("kiểm tra cơ sở dữ liệu đích")
}

/// Checks the restored file, then renames it over the database. The old database's `-wal` and
/// `-shm` files go first: SQLite would otherwise apply the old log to the new file.
async fn place_sqlite(restored: &Path, target: &Path) -> anyhow::Result<()> {
    let check = Db::connect(&DatabaseUrl::Sqlite(restored.to_owned())).await?;
    let verdict: Result<Vec<Verdict>, _> = check
        .pool()
        .fetch_all("pragma integrity_check", crate::params![])
        .await;
    check.close().await;
    let verdict = verdict?;
    if verdict.len() != 1 || verdict[0].integrity_check != "ok" {
        bail!("cơ sở dữ liệu trong bản sao lưu bị hỏng (integrity_check)");
    }
    let folder = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&folder)?;
    let tmp = tempfile::Builder::new()
        .prefix(".loa-restore-")
        .tempfile_in(&folder)?;
    std::io::copy(&mut std::fs::File::open(restored)?, &mut tmp.as_file())?;
    tmp.as_file().sync_all()?;
    for suffix in ["-wal", "-shm"] {
        let mut side = target.as_os_str().to_owned();
        side.push(suffix);
        match std::fs::remove_file(&side) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).context("xoá tệp nhật ký WAL cũ"),
        }
    }
    tmp.persist(target).map_err(|e| e.error)?;
    archive::sync_dir(&folder);
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Verdict {
    integrity_check: String,
}

#[derive(sqlx::FromRow)]
struct NameRow {
    name: String,
}

/// Empties the database's schema (every table is empty, or `--force` was given) and loads the
/// dump into it in one transaction.
async fn pg_restore(url: &str, dump: &Path) -> anyhow::Result<()> {
    let db = Db::connect(&DatabaseUrl::Postgres(url.to_owned())).await?;
    let result = async {
        let names: Vec<NameRow> = db
            .pool()
            .fetch_all(
                "select table_name::text as name from information_schema.tables \
                 where table_schema = current_schema() and table_type = 'BASE TABLE'",
                crate::params![],
            )
            .await?;
        if !names.is_empty() {
            let list: Vec<String> = names.iter().map(|n| tables::quote(&n.name)).collect();
            db.pool()
                .execute(
                    &format!("drop table if exists {} cascade", list.join(", ")),
                    crate::params![],
                )
                .await?;
        }
        anyhow::Ok(())
    }
    .await;
    db.close().await;
    result.context("làm trống cơ sở dữ liệu đích")?;
    let mut cmd = pg_tool("pg_restore", url)?;
    cmd.arg("--no-owner")
        .arg("--no-privileges")
        .arg("--single-transaction")
        .arg("--exit-on-error")
        .arg(dump);
    run(cmd, "pg_restore").await
}
