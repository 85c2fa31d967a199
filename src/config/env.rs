//! The `LOA_*` environment variables, read into one [`RawConfig`] layer. An empty variable
//! counts as unset; a number that does not parse names its variable.

use std::collections::HashMap;
use std::path::PathBuf;

use super::{ConfigError, RawConfig};

impl RawConfig {
    /// Reads `LOA_*` variables from the given environment.
    pub fn from_env(env: &HashMap<String, String>) -> Result<RawConfig, ConfigError> {
        let get = |k: &str| env.get(k).filter(|v| !v.is_empty()).cloned();
        let max_upload_mb = integer(get("LOA_MAX_UPLOAD_MB"), "LOA_MAX_UPLOAD_MB")?;
        let citizen_retention_days = integer(
            get("LOA_CITIZEN_RETENTION_DAYS"),
            "LOA_CITIZEN_RETENTION_DAYS",
        )?;
        let reminder_days = integer(get("LOA_REMINDER_DAYS"), "LOA_REMINDER_DAYS")?;
        let preview_link_days = integer(get("LOA_PREVIEW_LINK_DAYS"), "LOA_PREVIEW_LINK_DAYS")?;
        let session_hours = integer(get("LOA_SESSION_HOURS"), "LOA_SESSION_HOURS")?;
        let request_timeout_secs =
            integer(get("LOA_REQUEST_TIMEOUT_SECS"), "LOA_REQUEST_TIMEOUT_SECS")?;
        let header_timeout_secs =
            integer(get("LOA_HEADER_TIMEOUT_SECS"), "LOA_HEADER_TIMEOUT_SECS")?;
        let max_concurrent_requests = integer(
            get("LOA_MAX_CONCURRENT_REQUESTS"),
            "LOA_MAX_CONCURRENT_REQUESTS",
        )?;
        let reminder_max_overdue_days = integer(
            get("LOA_REMINDER_MAX_OVERDUE_DAYS"),
            "LOA_REMINDER_MAX_OVERDUE_DAYS",
        )?;
        Ok(RawConfig {
            trusted_proxies: get("LOA_TRUSTED_PROXIES"),
            preview_link_days,
            session_hours,
            request_timeout_secs,
            header_timeout_secs,
            max_concurrent_requests,
            reminder_time: get("LOA_REMINDER_TIME"),
            metrics_addr: get("LOA_METRICS_ADDR"),
            reminder_days,
            reminder_max_overdue_days,
            mail_from: get("LOA_MAIL_FROM"),
            database_url: get("LOA_DATABASE_URL"),
            addr: get("LOA_ADDR"),
            base_url: get("LOA_BASE_URL"),
            content_dir: get("LOA_CONTENT_DIR").map(PathBuf::from),
            data_dir: get("LOA_DATA_DIR").map(PathBuf::from),
            smtp_url: get("LOA_SMTP_URL"),
            max_upload_mb,
            citizen_retention_days,
            page_cache_mb: integer(get("LOA_PAGE_CACHE_MB"), "LOA_PAGE_CACHE_MB")?,
            page_cache_ttl: integer(get("LOA_PAGE_CACHE_TTL"), "LOA_PAGE_CACHE_TTL")?,
            search_cache_ttl: integer(get("LOA_SEARCH_CACHE_TTL"), "LOA_SEARCH_CACHE_TTL")?,
            cache_max_age: integer(get("LOA_CACHE_MAX_AGE"), "LOA_CACHE_MAX_AGE")?,
            cache_stale_while_revalidate: integer(
                get("LOA_CACHE_STALE_WHILE_REVALIDATE"),
                "LOA_CACHE_STALE_WHILE_REVALIDATE",
            )?,
        })
    }
}

/// An optional whole number from the environment variable `setting`.
fn integer<T: std::str::FromStr>(
    value: Option<String>,
    setting: &str,
) -> Result<Option<T>, ConfigError> {
    value
        .map(|v| {
            v.trim()
                .parse::<T>()
                .map_err(|_| ConfigError::new(setting, format!("«{v}» không phải một số nguyên")))
        })
        .transpose()
}
