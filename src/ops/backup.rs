//! `loa backup FILE`: a consistent copy of the database and the uploaded media, taken while the
//! server runs, written as one archive ([`super::archive`]).
//!
//! SQLite is copied with `vacuum into` (one read transaction, so one moment of the database,
//! without stopping writers in WAL mode); PostgreSQL with `pg_dump` (one repeatable-read snapshot),
//! which must be on the PATH. The media folder is read after the database: an image uploaded in
//! between is in the archive without its row (harmless), and images are never changed in place.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use tokio::process::Command;

use super::archive::{self, Manifest};
use crate::config::{Config, DatabaseUrl};
use crate::db::Db;

/// What a backup wrote.
#[derive(Debug)]
pub struct BackupReport {
    pub manifest: Manifest,
    pub archive_bytes: u64,
}

/// Backs up the database of `config` and `LOA_DATA_DIR/media` into `dest`.
pub async fn backup(config: &Config, dest: &Path) -> anyhow::Result<BackupReport> {
    let folder = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    if !folder.is_dir() {
        bail!("thư mục {} không tồn tại", folder.display());
    }
    // The database snapshot waits next to the archive (same disk, chosen by the operator).
    let staging = tempfile::Builder::new()
        .prefix(".loa-backup-")
        .tempdir_in(&folder)
        .with_context(|| format!("không ghi được vào {}", folder.display()))?;
    let (backend, name) = match &config.database_url {
        DatabaseUrl::Sqlite(path) => {
            snapshot_sqlite(path, &staging.path().join(archive::SQLITE_FILE)).await?;
            ("sqlite", archive::SQLITE_FILE)
        }
        DatabaseUrl::Postgres(url) => {
            pg_dump(url, &staging.path().join(archive::POSTGRES_FILE)).await?;
            ("postgres", archive::POSTGRES_FILE)
        }
    };
    let database = staging.path().join(name);
    let media = config.data_dir.join(archive::MEDIA);
    let dest = dest.to_owned();
    let manifest = tokio::task::spawn_blocking({
        let dest = dest.clone();
        move || archive::write(&dest, backend, &database, name, &media)
    })
    .await??;
    let archive_bytes = std::fs::metadata(&dest)?.len();
    Ok(BackupReport {
        manifest,
        archive_bytes,
    })
}

async fn snapshot_sqlite(db_path: &Path, out: &Path) -> anyhow::Result<()> {
    if !db_path.is_file() {
        bail!("không có cơ sở dữ liệu {}", db_path.display());
    }
    let db = Db::connect(&DatabaseUrl::Sqlite(db_path.to_owned())).await?;
    let target = out
        .to_str()
        .context("đường dẫn tạm không phải UTF-8")?
        .to_owned();
    let result = db
        .pool()
        .execute("vacuum into $1", crate::params![target])
        .await;
    db.close().await;
    result.context("sao chép cơ sở dữ liệu SQLite (vacuum into)")?;
    Ok(())
}

async fn pg_dump(url: &str, out: &Path) -> anyhow::Result<()> {
    let mut cmd = pg_tool("pg_dump", url)?;
    cmd.arg("--format=custom")
        .arg("--no-owner")
        .arg("--no-privileges")
        .arg("--file")
        .arg(out);
    run(cmd, "pg_dump").await
}

/// A PostgreSQL client program for `url`. The password travels in `PGPASSWORD`, never on the
/// command line (where `ps` would show it).
pub(super) fn pg_tool(program: &str, url: &str) -> anyhow::Result<Command> {
    let mut parsed = url::Url::parse(url).context("URL PostgreSQL không hợp lệ")?;
    let mut cmd = Command::new(program);
    if let Some(password) = parsed.password() {
        let password = percent_decode(password);
        cmd.env("PGPASSWORD", password);
        let _ = parsed.set_password(None);
    }
    // libpq knows `postgresql://` and `postgres://`.
    cmd.arg(format!("--dbname={parsed}"));
    cmd.kill_on_drop(true);
    Ok(cmd)
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Runs a client program; a missing program or a failure is explained in one message.
pub(super) async fn run(mut cmd: Command, program: &str) -> anyhow::Result<()> {
    let output = match cmd.output().await {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "không tìm thấy {program} trên PATH. Cài gói postgresql-client cùng phiên bản chính \
             với máy chủ PostgreSQL (ví dụ: apt install postgresql-client-15) rồi chạy lại"
        ),
        Err(e) => return Err(e).with_context(|| format!("không chạy được {program}")),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        bail!("{program} thất bại ({}): {}", output.status, stderr.trim());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_decoded_for_the_environment() {
        assert_eq!(percent_decode("p%40ss+w%2Frd"), "p@ss+w/rd");
        assert_eq!(percent_decode("plain"), "plain");
    }
}
