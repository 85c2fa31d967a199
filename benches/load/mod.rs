//! The parts of `benches/public.rs`: the tools it needs, the `loa` processes it runs, wrk and
//! nginx, the generated articles, the 10,000 confirmations and the table.

pub mod confirm;
pub mod generate;
pub mod nginx;
pub mod report;
pub mod server;
pub mod wrk;

use std::path::{Path, PathBuf};

use loa::account::Role;
use loa::db::Db;
use loa::demo::{self, Options, Seeded};

use crate::common::BenchDb;

/// The external programs the benchmark runs.
#[derive(Clone, Debug)]
pub struct Tools {
    pub wrk: PathBuf,
    pub nginx: PathBuf,
}

/// Finds wrk and nginx, or says what to install.
pub fn tools() -> anyhow::Result<Tools> {
    let find = |name: &str| -> Option<PathBuf> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    };
    match (find("wrk"), find("nginx")) {
        (Some(wrk), Some(nginx)) => Ok(Tools { wrk, nginx }),
        (wrk, nginx) => {
            let missing: Vec<&str> = [("wrk", wrk.is_none()), ("nginx", nginx.is_none())]
                .into_iter()
                .filter_map(|(n, m)| m.then_some(n))
                .collect();
            anyhow::bail!(
                "this benchmark needs {} (it installs nothing itself); on Debian: \
                 apt-get install wrk nginx-light",
                missing.join(" and ")
            )
        }
    }
}

/// How long the benchmark's sessions may live: longer than any run.
pub const SESSION_LIFETIME: chrono::Duration = chrono::Duration::hours(12);

/// The `loa` binary Cargo built for this benchmark (release profile).
pub fn loa_binary() -> &'static str {
    env!("CARGO_BIN_EXE_loa")
}

/// `loa import DIR` on the benchmark's database, as an operator runs it.
pub async fn loa_import(bench: &BenchDb, dir: &Path) -> anyhow::Result<()> {
    let out = tokio::process::Command::new(loa_binary())
        .arg("import")
        .arg(dir)
        .env("LOA_DATABASE_URL", &bench.url)
        .env("LOA_DATA_DIR", bench.dir.path().join("data"))
        .env("RUST_LOG", "warn")
        .output()
        .await?;
    anyhow::ensure!(
        out.status.success(),
        "loa import failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// Employees enough for 10,000 active ones (`seed-demo` deactivates a few), their units, and
/// 100,000 citizens' confirmations: `loa seed-demo`'s generator.
pub async fn seed_people(db: &Db) -> anyhow::Result<Seeded> {
    let options = Options {
        employees: 10_400,
        citizens: 100_000,
        force: true,
        ..Options::default()
    };
    Ok(demo::seed(db, &options, loa::time::now()).await?)
}

/// A new employee (no unit) and a session of theirs; returns the cookie's token.
pub async fn employee_session(db: &Db) -> anyhow::Result<String> {
    let id = crate::common::add_user(
        db,
        "nhanvien.dodac@loa.bench",
        "Nhân viên đo đạc",
        Role::Employee,
        "mat-khau-do-hieu-nang",
    )
    .await?;
    Ok(loa::db::sessions::create(db, id, "127.0.0.1", loa::time::now(), SESSION_LIFETIME).await?)
}
