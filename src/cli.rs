//! The `loa` command: `serve` (the default), `import DIR`, `export DIR`, `migrate`, `user add`,
//! `backup FILE`, `restore FILE`, `copy --from URL --to URL`.
//! `seed-demo`.
//!
//! Errors end the program with one line on standard error (content errors with one line per
//! mistake) and a non-zero exit code: 2 for bad configuration, 1 for everything else.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::config::{Config, ConfigError, RawConfig, DEFAULT_CONFIG_FILE};
use crate::content::{self, ImportError};
use crate::db::Db;

#[derive(Debug, Parser)]
#[command(
    name = "loa",
    version,
    about = "Loa – phần mềm tuyên truyền cho cơ quan nhà nước"
)]
struct Cli {
    #[command(flatten)]
    flags: Flags,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Flags override `LOA_*` variables, which override `loa.toml`.
#[derive(Debug, Args)]
struct Flags {
    /// Tệp cấu hình (mặc định: loa.toml nếu có)
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// sqlite://data/loa.db hoặc postgres://…
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    /// Địa chỉ lắng nghe, ví dụ 127.0.0.1:3000
    #[arg(long, global = true, value_name = "IP:PORT")]
    addr: Option<String>,
    /// Địa chỉ công khai của trang, ví dụ https://sipas.example.gov.vn
    #[arg(long, global = true, value_name = "URL")]
    base_url: Option<String>,
    /// Thư mục nội dung (mặc định: content)
    #[arg(long, global = true, value_name = "DIR")]
    content_dir: Option<PathBuf>,
    /// Thư mục dữ liệu (mặc định: data)
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Chạy máy chủ web (mặc định)
    Serve,
    /// Nhập bài viết và site.toml từ một thư mục
    Import { dir: PathBuf },
    /// Xuất bài viết và site.toml ra một thư mục
    Export { dir: PathBuf },
    /// Áp dụng các bản chuyển đổi cơ sở dữ liệu
    Migrate,
    /// Quản lý tài khoản
    #[command(subcommand)]
    User(UserCommand),
    /// Sao lưu cơ sở dữ liệu và ảnh tải lên vào một tệp (.tar.gz), kể cả khi máy chủ đang chạy
    Backup { file: PathBuf },
    /// Khôi phục một bản sao lưu vào cơ sở dữ liệu và thư mục dữ liệu trống
    Restore {
        file: PathBuf,
        /// thay thế dữ liệu đang có
        #[arg(long)]
        force: bool,
    },
    /// Chép mọi bảng từ một cơ sở dữ liệu sang một cơ sở dữ liệu trống (SQLite ↔ PostgreSQL)
    Copy {
        /// nguồn: sqlite://… hoặc postgres://…
        #[arg(long, value_name = "URL")]
        from: String,
        /// đích (trống): sqlite://… hoặc postgres://…
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// Tạo dữ liệu mẫu (đơn vị, cán bộ, bài viết, chiến dịch, lượt xác nhận) để thử và đo
    SeedDemo(SeedDemoArgs),
}

#[derive(Debug, Args)]
struct SeedDemoArgs {
    /// số đơn vị (ba cấp)
    #[arg(long, default_value_t = 40)]
    units: usize,
    /// số cán bộ
    #[arg(long, default_value_t = 5_000)]
    employees: usize,
    /// số lượt người dân xác nhận
    #[arg(long, default_value_t = 100_000)]
    citizens: usize,
    /// số bài viết cần xác nhận
    #[arg(long, default_value_t = 20)]
    articles: usize,
    /// hạt giống ngẫu nhiên (cùng hạt giống, cùng dữ liệu)
    #[arg(long, default_value_t = 2018)]
    seed: u64,
    /// chạy cả khi cơ sở dữ liệu đã có tài khoản thật
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Thêm một tài khoản; mật khẩu đọc từ đầu vào chuẩn (--password-stdin)
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, editor, author hoặc employee
        #[arg(long)]
        role: String,
        /// slug của đơn vị (trong content/site.toml)
        #[arg(long)]
        unit: Option<String>,
        /// là trưởng đơn vị
        #[arg(long)]
        head: bool,
        /// đọc mật khẩu từ dòng đầu của đầu vào chuẩn
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let config = match load_config(&cli.flags) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("lỗi: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("lỗi: không khởi tạo được tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => crate::server::run(config).await,
            Command::Import { dir } => import(config, dir).await,
            Command::Export { dir } => export(config, dir).await,
            Command::Migrate => migrate(config).await,
            Command::User(UserCommand::Add {
                email,
                name,
                role,
                unit,
                head,
                password_stdin: _,
            }) => add_user(config, email, name, role, unit, head).await,
            Command::Backup { file } => backup(config, file).await,
            Command::Restore { file, force } => restore(config, file, force).await,
            Command::Copy { from, to } => copy(from, to).await,
            Command::SeedDemo(args) => seed_demo(config, args).await,
        }
    });
    // Work still running on blocking threads (an argon2 hash) must not hold up the exit that
    // shutdown promised within ten seconds.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lỗi: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to standard error: `RUST_LOG` filters, `LOG_FORMAT=json` gives one JSON object a line.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("loa=info,warn"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        logs.json().flatten_event(true).init();
    } else {
        logs.init();
    }
}

/// Defaults → loa.toml → LOA_* → flags.
fn load_config(flags: &Flags) -> Result<Config, ConfigError> {
    let env: HashMap<String, String> = std::env::vars().collect();
    let file = match flags
        .config
        .clone()
        .or_else(|| env.get("LOA_CONFIG").map(PathBuf::from))
    {
        Some(path) => RawConfig::from_file(&path)?,
        None if std::path::Path::new(DEFAULT_CONFIG_FILE).is_file() => {
            RawConfig::from_file(std::path::Path::new(DEFAULT_CONFIG_FILE))?
        }
        None => RawConfig::default(),
    };
    let from_flags = RawConfig {
        database_url: flags.database_url.clone(),
        addr: flags.addr.clone(),
        base_url: flags.base_url.clone(),
        content_dir: flags.content_dir.clone(),
        data_dir: flags.data_dir.clone(),
        smtp_url: None,
        max_upload_mb: None,
        ..Default::default()
    };
    RawConfig::default()
        .merge(file)
        .merge(RawConfig::from_env(&env)?)
        .merge(from_flags)
        .validate()
}

async fn open(config: &Config) -> anyhow::Result<Db> {
    open_url(&config.database_url).await
}

async fn import(config: Config, dir: PathBuf) -> anyhow::Result<()> {
    let db = open(&config).await?;
    let result = content::import_dir(&db, &dir).await;
    // An imported article scheduled in the past goes live now, not at a server's next tick.
    let due = match &result {
        Ok(_) => Some(crate::jobs::publication::run_due(&db, crate::time::now()).await?),
        Err(_) => None,
    };
    db.close().await;
    match result {
        Ok(report) => {
            println!("{report}");
            if let Some(due) = due.filter(|d| d.items() > 0) {
                println!(
                    "Theo lịch: {} bài được xuất bản, {} bài hết hạn được lưu trữ.",
                    due.published.len(),
                    due.archived.len()
                );
            }
            Ok(())
        }
        Err(ImportError::Invalid(errors)) => {
            for e in &errors {
                eprintln!("{e}");
            }
            anyhow::bail!(
                "{} lỗi trong {}; không nhập gì",
                errors.len(),
                dir.display()
            )
        }
        Err(e) => Err(e.into()),
    }
}

async fn export(config: Config, dir: PathBuf) -> anyhow::Result<()> {
    let db = open(&config).await?;
    let report = content::export_dir(&db, &dir).await;
    db.close().await;
    let report = report?;
    let campaigns = match report.campaigns {
        0 => String::new(),
        n => format!(", {n} chiến dịch"),
    };
    println!(
        "Đã xuất {} bài viết{}{} vào {}",
        report.articles,
        campaigns,
        if report.site { " và site.toml" } else { "" },
        dir.display()
    );
    Ok(())
}

async fn migrate(config: Config) -> anyhow::Result<()> {
    let db = open(&config).await?;
    db.close().await;
    println!("Cơ sở dữ liệu đã ở phiên bản mới nhất.");
    Ok(())
}

async fn backup(config: Config, file: PathBuf) -> anyhow::Result<()> {
    let report = crate::ops::backup::backup(&config, &file).await?;
    println!(
        "Đã sao lưu {} ({} tệp ảnh) vào {} ({} KB).",
        report.manifest.backend,
        report.manifest.media.len(),
        file.display(),
        report.archive_bytes.div_ceil(1024)
    );
    Ok(())
}

async fn restore(config: Config, file: PathBuf, force: bool) -> anyhow::Result<()> {
    let report = crate::ops::restore::restore(&config, &file, force).await?;
    if !report.replaced.is_empty() {
        println!("Đã thay thế: {}.", report.replaced.join("; "));
    }
    println!(
        "Đã khôi phục bản sao lưu ngày {} ({}, {} tệp ảnh).",
        report.manifest.created_at,
        report.manifest.backend,
        report.manifest.media.len()
    );
    Ok(())
}

async fn copy(from: String, to: String) -> anyhow::Result<()> {
    let from_url = crate::config::DatabaseUrl::parse(&from)?;
    let to_url = crate::config::DatabaseUrl::parse(&to)?;
    if from_url == to_url {
        anyhow::bail!("nguồn và đích là cùng một cơ sở dữ liệu");
    }
    let source = open_url(&from_url).await.context("nguồn")?;
    let target = open_url(&to_url).await.context("đích")?;
    let result = crate::ops::copy::copy(&source, &target).await;
    source.close().await;
    target.close().await;
    let report = result?;
    println!("{report}");
    println!("Từ {from_url:?} sang {to_url:?}.");
    Ok(())
}

async fn open_url(url: &crate::config::DatabaseUrl) -> anyhow::Result<Db> {
    let db = Db::connect(url)
        .await
        .with_context(|| format!("không kết nối được cơ sở dữ liệu {url:?}"))?;
    db.migrate().await.context("không áp dụng được migration")?;
    Ok(db)
}

async fn add_user(
    config: Config,
    email: String,
    name: String,
    role: String,
    unit: Option<String>,
    head: bool,
) -> anyhow::Result<()> {
    use crate::account::{self, Email, NewPassword, Role};
    use crate::db::{audit, users};

    let email = Email::parse(&email)?;
    let role: Role = role.parse()?;
    let name = name.trim().to_owned();
    anyhow::ensure!(!name.is_empty(), "--name không được để trống");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let password = NewPassword::parse(line.trim_end_matches(['\r', '\n']), &email)?;
    let hash = account::hash_password(&password).await?;

    let db = open(&config).await?;
    let now = crate::time::now();
    let mut tx = db.begin().await?;
    let unit_id = match &unit {
        Some(slug) => Some(
            users::unit_id_by_slug(&mut tx, slug)
                .await?
                .ok_or_else(|| anyhow::anyhow!("không có đơn vị «{slug}»"))?,
        ),
        None => None,
    };
    let new = users::NewUser {
        email: email.clone(),
        name,
        unit_id,
        role,
        is_head: head,
        password_hash: hash,
        must_change_password: false,
    };
    let id = match users::insert(&mut tx, &new, now).await {
        Ok(id) => id,
        Err(e) if crate::db::is_unique_violation(&e) => {
            anyhow::bail!("đã có tài khoản {email}")
        }
        Err(e) => return Err(e.into()),
    };
    let entry = audit::Entry {
        actor_label: "dòng lệnh".to_owned(),
        action: "user.create",
        target_type: "user",
        target_id: Some(id),
        target_label: email.to_string(),
        detail: format!("vai trò {}", role.as_str()),
        ..Default::default()
    };
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    db.close().await;
    println!("Đã tạo tài khoản {email} ({}).", role.label());
    Ok(())
}

/// Prepares the database as `serve` would (so an empty one gets the site's content first), then
/// adds the demo data.
async fn seed_demo(config: Config, args: SeedDemoArgs) -> anyhow::Result<()> {
    let options = crate::demo::Options {
        units: args.units,
        employees: args.employees,
        citizens: args.citizens,
        articles: args.articles,
        force: args.force,
        seed: args.seed,
    };
    let state = crate::app::prepare(config).await?;
    let started = std::time::Instant::now();
    let seeded = crate::demo::seed(&state.db, &options, crate::time::now()).await;
    state.db.close().await;
    let s = seeded?;
    println!(
        "Đã tạo {} đơn vị, {} cán bộ, {} bài viết, {} lượt cán bộ xác nhận và {} lượt người dân \
         xác nhận trong {:.1} giây.",
        s.units,
        s.employees,
        s.articles,
        s.staff_confirmations,
        s.citizen_confirmations,
        started.elapsed().as_secs_f64()
    );
    println!(
        "Bảng theo dõi: /admin/chien-dich/{}. Mọi tài khoản mẫu (…@{}) dùng mật khẩu: {}",
        crate::demo::CAMPAIGN_SLUG,
        crate::demo::EMAIL_DOMAIN,
        s.password
    );
    if !s.head_email.is_empty() {
        println!("Một trưởng đơn vị để thử: {}", s.head_email);
    }
    Ok(())
}
