//! Typed configuration, layered: built-in defaults → optional `loa.toml` → `LOA_*` environment
//! variables → command-line flags. Everything is validated here, once; the rest of the program
//! only sees a [`Config`].

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use url::Url;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/loa.db";
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_CONFIG_FILE: &str = "loa.toml";

/// Where the data lives. The backend is chosen by the URL scheme.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://data/loa.db` (relative to the working directory) or `sqlite:///var/lib/loa.db`.
    Sqlite(PathBuf),
    /// `postgres://user:password@host:5432/loa`, passed to the driver as is.
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(s: &str) -> Result<DatabaseUrl, ConfigError> {
        let bad =
            |why: &str| ConfigError::new("LOA_DATABASE_URL", format!("«{}»: {why}", redact(s)));
        let (scheme, rest) = s
            .split_once(':')
            .ok_or_else(|| bad("không phải một URL (ví dụ sqlite://data/loa.db)"))?;
        match scheme {
            "sqlite" => {
                let path = rest.trim_start_matches("//");
                let path = path.split('?').next().unwrap_or_default();
                if path.is_empty() {
                    return Err(bad("thiếu đường dẫn tệp (ví dụ sqlite://data/loa.db)"));
                }
                Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
            }
            "postgres" | "postgresql" => {
                let url = Url::parse(s).map_err(|e| bad(&format!("URL không hợp lệ ({e})")))?;
                if !url.has_host() {
                    return Err(bad(
                        "thiếu máy chủ (ví dụ postgres://postgres@127.0.0.1/loa)",
                    ));
                }
                Ok(DatabaseUrl::Postgres(s.to_owned()))
            }
            other => Err(bad(&format!(
                "lược đồ «{other}» không được hỗ trợ; dùng sqlite:// hoặc postgres://"
            ))),
        }
    }
}

impl DatabaseUrl {
    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
        }
    }
}

/// Hides a password in a URL, for messages and `Debug`.
fn redact(s: &str) -> String {
    match Url::parse(s) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => s.to_owned(),
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(p) => write!(f, "sqlite://{}", p.display()),
            DatabaseUrl::Postgres(u) => f.write_str(&redact(u)),
        }
    }
}

/// A value that must never reach a log (it may hold a password).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: DatabaseUrl,
    pub addr: SocketAddr,
    /// The public address of the site, for absolute links; `http://{addr}` unless set.
    pub base_url: Url,
    pub content_dir: PathBuf,
    pub data_dir: PathBuf,
    /// Mail is sent only when this is set.
    pub smtp_url: Option<Secret>,
    /// Largest accepted upload, in bytes.
    pub max_upload_bytes: usize,
    /// Days citizens' names and contacts are kept after an article's confirmations close.
    pub citizen_retention_days: i64,
    /// When the daily acknowledgment reminders go out, in Vietnam time.
    pub reminder_time: chrono::NaiveTime,
    /// Items due within this many days (or overdue) are reminded.
    pub reminder_days: i64,
    /// Items overdue by more than this many days are no longer reminded (nor in heads' digests).
    pub reminder_max_overdue_days: i64,
    /// The `From` of every e-mail (`"Name" <address>` or an address); `None`: the site's e-mail,
    /// else `khong-tra-loi@{host}`.
    pub mail_from: Option<String>,
    /// Where Prometheus metrics are served; not at all when unset.
    pub metrics_addr: Option<SocketAddr>,
    /// Memory for the rendered-page cache, in bytes; 0 switches it off.
    pub page_cache_bytes: usize,
    /// How long a kept page is served at most (pages that change with time alone, such as a
    /// form that closes at an hour, are right again after this).
    pub page_cache_ttl: std::time::Duration,
    /// How long a search result page is kept.
    pub search_cache_ttl: std::time::Duration,
    /// `Cache-Control: public, max-age=…` of anonymous pages, for browsers, proxies and CDNs.
    pub cache_max_age: std::time::Duration,
    /// `stale-while-revalidate=…` of anonymous pages.
    pub cache_stale_while_revalidate: std::time::Duration,
    /// Reverse proxies whose `X-Forwarded-For` is believed; nobody's when empty.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// How long a secret preview link works after it is made.
    pub preview_link_days: i64,
    /// The absolute lifetime of a session, however active.
    pub session_hours: i64,
    /// Longest time a request may take, body included (a slow client is cut off).
    pub request_timeout: std::time::Duration,
    /// Longest time a client may take to send a request's line and headers, and longest a
    /// keep-alive connection may stay idle (a slow-loris client is cut off).
    pub header_timeout: std::time::Duration,
    /// Requests handled at once; others wait for a slot (within the request timeout).
    pub max_concurrent_requests: usize,
}

impl Config {
    /// The configuration Loa runs with when nothing is set.
    pub fn defaults() -> Config {
        RawConfig::default()
            .validate()
            .expect("the defaults are valid")
    }

    /// The absolute lifetime of a session.
    pub fn session_lifetime(&self) -> chrono::Duration {
        chrono::Duration::hours(self.session_hours)
    }

    /// True when cookies must be `Secure`.
    pub fn is_https(&self) -> bool {
        self.base_url.scheme() == "https"
    }
}

/// One layer of settings, every field optional. Later layers override earlier ones.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub database_url: Option<String>,
    pub addr: Option<String>,
    pub base_url: Option<String>,
    pub content_dir: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub smtp_url: Option<String>,
    pub max_upload_mb: Option<u64>,
    pub citizen_retention_days: Option<i64>,
    pub reminder_time: Option<String>,
    pub reminder_days: Option<i64>,
    pub reminder_max_overdue_days: Option<i64>,
    pub mail_from: Option<String>,
    pub metrics_addr: Option<String>,
    pub page_cache_mb: Option<u64>,
    pub page_cache_ttl: Option<u64>,
    pub search_cache_ttl: Option<u64>,
    pub cache_max_age: Option<u64>,
    pub cache_stale_while_revalidate: Option<u64>,
    /// CIDRs or addresses, separated by commas or spaces.
    pub trusted_proxies: Option<String>,
    pub preview_link_days: Option<i64>,
    pub session_hours: Option<i64>,
    pub request_timeout_secs: Option<u64>,
    pub header_timeout_secs: Option<u64>,
    pub max_concurrent_requests: Option<usize>,
}

/// A number of seconds within `range` (its default when unset), as a duration.
fn seconds(
    value: Option<u64>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
    setting: &str,
) -> Result<std::time::Duration, ConfigError> {
    let v = value.unwrap_or(default);
    if !range.contains(&v) {
        return Err(ConfigError::new(
            setting,
            format!("phải từ {} đến {} (giây)", range.start(), range.end()),
        ));
    }
    Ok(std::time::Duration::from_secs(v))
}

impl RawConfig {
    /// Reads a `loa.toml`.
    pub fn from_file(path: &Path) -> Result<RawConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::new(
                &path.display().to_string(),
                format!("không đọc được tệp: {e}"),
            )
        })?;
        toml::from_str(&text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start].matches('\n').count() + 1)
                .unwrap_or(1);
            ConfigError::new(
                &format!("{}:{line}", path.display()),
                e.message().to_owned(),
            )
        })
    }

    /// `self`, with every value that `over` sets replaced.
    pub fn merge(self, over: RawConfig) -> RawConfig {
        RawConfig {
            database_url: over.database_url.or(self.database_url),
            addr: over.addr.or(self.addr),
            base_url: over.base_url.or(self.base_url),
            content_dir: over.content_dir.or(self.content_dir),
            data_dir: over.data_dir.or(self.data_dir),
            smtp_url: over.smtp_url.or(self.smtp_url),
            max_upload_mb: over.max_upload_mb.or(self.max_upload_mb),
            citizen_retention_days: over.citizen_retention_days.or(self.citizen_retention_days),
            reminder_time: over.reminder_time.or(self.reminder_time),
            reminder_days: over.reminder_days.or(self.reminder_days),
            reminder_max_overdue_days: over
                .reminder_max_overdue_days
                .or(self.reminder_max_overdue_days),
            mail_from: over.mail_from.or(self.mail_from),
            metrics_addr: over.metrics_addr.or(self.metrics_addr),
            page_cache_mb: over.page_cache_mb.or(self.page_cache_mb),
            page_cache_ttl: over.page_cache_ttl.or(self.page_cache_ttl),
            search_cache_ttl: over.search_cache_ttl.or(self.search_cache_ttl),
            cache_max_age: over.cache_max_age.or(self.cache_max_age),
            cache_stale_while_revalidate: over
                .cache_stale_while_revalidate
                .or(self.cache_stale_while_revalidate),
            trusted_proxies: over.trusted_proxies.or(self.trusted_proxies),
            preview_link_days: over.preview_link_days.or(self.preview_link_days),
            session_hours: over.session_hours.or(self.session_hours),
            request_timeout_secs: over.request_timeout_secs.or(self.request_timeout_secs),
            header_timeout_secs: over.header_timeout_secs.or(self.header_timeout_secs),
            max_concurrent_requests: over
                .max_concurrent_requests
                .or(self.max_concurrent_requests),
        }
    }

    pub fn validate(self) -> Result<Config, ConfigError> {
        let database_url =
            DatabaseUrl::parse(self.database_url.as_deref().unwrap_or(DEFAULT_DATABASE_URL))?;
        let addr_text = self.addr.as_deref().unwrap_or(DEFAULT_ADDR);
        let addr: SocketAddr = addr_text.parse().map_err(|_| {
            ConfigError::new(
                "LOA_ADDR",
                format!("«{addr_text}» không phải địa chỉ IP:cổng (ví dụ 127.0.0.1:3000)"),
            )
        })?;
        let base_text = self.base_url.unwrap_or_else(|| format!("http://{addr}"));
        let base_url = Url::parse(&base_text)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
            .ok_or_else(|| {
                ConfigError::new(
                    "LOA_BASE_URL",
                    format!("«{base_text}» không phải địa chỉ http(s) (ví dụ https://sipas.binhphuoc.gov.vn)"),
                )
            })?;
        if let Some(smtp) = &self.smtp_url {
            Url::parse(smtp)
                .ok()
                .filter(|u| matches!(u.scheme(), "smtp" | "smtps"))
                .ok_or_else(|| {
                    ConfigError::new(
                        "LOA_SMTP_URL",
                        "phải có dạng smtp://máy-chủ:cổng hoặc smtps://…",
                    )
                })?;
        }
        let max_upload_mb = self.max_upload_mb.unwrap_or(5);
        if !(1..=100).contains(&max_upload_mb) {
            return Err(ConfigError::new(
                "LOA_MAX_UPLOAD_MB",
                "phải từ 1 đến 100 (MB)",
            ));
        }
        let citizen_retention_days = self.citizen_retention_days.unwrap_or(365);
        if !(1..=3650).contains(&citizen_retention_days) {
            return Err(ConfigError::new(
                "LOA_CITIZEN_RETENTION_DAYS",
                "phải từ 1 đến 3650 (ngày)",
            ));
        }
        let time_text = self.reminder_time.as_deref().unwrap_or("08:00").trim();
        let reminder_time =
            chrono::NaiveTime::parse_from_str(time_text, "%H:%M").map_err(|_| {
                ConfigError::new(
                    "LOA_REMINDER_TIME",
                    format!("«{time_text}» không phải giờ:phút (ví dụ 08:00, giờ Việt Nam)"),
                )
            })?;
        let reminder_days = self.reminder_days.unwrap_or(3);
        if !(0..=60).contains(&reminder_days) {
            return Err(ConfigError::new(
                "LOA_REMINDER_DAYS",
                "phải từ 0 đến 60 (ngày)",
            ));
        }
        let reminder_max_overdue_days = self.reminder_max_overdue_days.unwrap_or(30);
        if !(1..=3650).contains(&reminder_max_overdue_days) {
            return Err(ConfigError::new(
                "LOA_REMINDER_MAX_OVERDUE_DAYS",
                "phải từ 1 đến 3650 (ngày)",
            ));
        }
        let mail_from = match self.mail_from.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(
                text.parse::<lettre::message::Mailbox>()
                    .map_err(|_| {
                        ConfigError::new(
                            "LOA_MAIL_FROM",
                            format!(
                                "«{text}» không phải địa chỉ thư (ví dụ \"Sở TT&TT\" <khong-tra-loi@sotttt.gov.vn>)"
                            ),
                        )
                    })?
                    .to_string(),
            ),
        };
        let metrics_addr = match self.metrics_addr.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(text.parse::<SocketAddr>().map_err(|_| {
                ConfigError::new(
                    "LOA_METRICS_ADDR",
                    format!("«{text}» không phải địa chỉ IP:cổng (ví dụ 127.0.0.1:9100)"),
                )
            })?),
        };
        let page_cache_mb = self.page_cache_mb.unwrap_or(32);
        if page_cache_mb > 4096 {
            return Err(ConfigError::new(
                "LOA_PAGE_CACHE_MB",
                "phải từ 0 (tắt) đến 4096 (MB)",
            ));
        }
        let day = 24 * 3600;
        let trusted_proxies =
            crate::http::client::parse_trusted(self.trusted_proxies.as_deref().unwrap_or(""))
                .map_err(|e| ConfigError::new("LOA_TRUSTED_PROXIES", e))?;
        let preview_link_days = self.preview_link_days.unwrap_or(7);
        if !(1..=365).contains(&preview_link_days) {
            return Err(ConfigError::new(
                "LOA_PREVIEW_LINK_DAYS",
                "phải từ 1 đến 365 (ngày)",
            ));
        }
        let session_hours = self.session_hours.unwrap_or(12);
        if !(1..=720).contains(&session_hours) {
            return Err(ConfigError::new(
                "LOA_SESSION_HOURS",
                "phải từ 1 đến 720 (giờ)",
            ));
        }
        let request_timeout_secs = self.request_timeout_secs.unwrap_or(60);
        if !(1..=3600).contains(&request_timeout_secs) {
            return Err(ConfigError::new(
                "LOA_REQUEST_TIMEOUT_SECS",
                "phải từ 1 đến 3600 (giây)",
            ));
        }
        let header_timeout_secs = self.header_timeout_secs.unwrap_or(10);
        if !(1..=600).contains(&header_timeout_secs) {
            return Err(ConfigError::new(
                "LOA_HEADER_TIMEOUT_SECS",
                "phải từ 1 đến 600 (giây)",
            ));
        }
        let max_concurrent_requests = self.max_concurrent_requests.unwrap_or(256);
        if !(1..=100_000).contains(&max_concurrent_requests) {
            return Err(ConfigError::new(
                "LOA_MAX_CONCURRENT_REQUESTS",
                "phải từ 1 đến 100000",
            ));
        }
        Ok(Config {
            page_cache_bytes: page_cache_mb as usize * 1024 * 1024,
            page_cache_ttl: seconds(self.page_cache_ttl, 60, 1..=day, "LOA_PAGE_CACHE_TTL")?,
            search_cache_ttl: seconds(self.search_cache_ttl, 10, 1..=day, "LOA_SEARCH_CACHE_TTL")?,
            cache_max_age: seconds(self.cache_max_age, 5, 0..=day, "LOA_CACHE_MAX_AGE")?,
            cache_stale_while_revalidate: seconds(
                self.cache_stale_while_revalidate,
                30,
                0..=day,
                "LOA_CACHE_STALE_WHILE_REVALIDATE",
            )?,
            session_hours,
            request_timeout: std::time::Duration::from_secs(request_timeout_secs),
            header_timeout: std::time::Duration::from_secs(header_timeout_secs),
            max_concurrent_requests,
            trusted_proxies,
            preview_link_days,
            metrics_addr,
            reminder_time,
            reminder_days,
            reminder_max_overdue_days,
            mail_from,
            citizen_retention_days,
            max_upload_bytes: max_upload_mb as usize * 1024 * 1024,
            database_url,
            addr,
            base_url,
            content_dir: self.content_dir.unwrap_or_else(|| PathBuf::from("content")),
            data_dir: self.data_dir.unwrap_or_else(|| PathBuf::from("data")),
            smtp_url: self.smtp_url.map(Secret),
        })
    }
}

/// A configuration mistake: which setting, and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("cấu hình sai: {setting}: {message}")]
pub struct ConfigError {
    pub setting: String,
    pub message: String,
}

impl ConfigError {
    fn new(setting: &str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            setting: setting.to_owned(),
            message: message.into(),
        }
    }
}

mod env;
#[cfg(test)]
mod tests;
