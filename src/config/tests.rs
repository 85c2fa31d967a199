//! Unit tests of the parent module.

use std::collections::HashMap;

use super::*;

#[test]
fn defaults_are_sqlite_on_localhost() {
    let c = Config::defaults();
    assert_eq!(c.database_url, DatabaseUrl::Sqlite("data/loa.db".into()));
    assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
    assert_eq!(c.base_url.as_str(), "http://127.0.0.1:3000/");
    assert!(!c.is_https());
}

#[test]
fn database_urls_choose_the_backend() {
    assert_eq!(
        DatabaseUrl::parse("sqlite:///var/lib/loa/loa.db").unwrap(),
        DatabaseUrl::Sqlite("/var/lib/loa/loa.db".into())
    );
    assert_eq!(
        DatabaseUrl::parse("sqlite:loa.db?mode=rwc").unwrap(),
        DatabaseUrl::Sqlite("loa.db".into())
    );
    assert!(matches!(
        DatabaseUrl::parse("postgres://u:p@127.0.0.1/loa").unwrap(),
        DatabaseUrl::Postgres(_)
    ));
    let e = DatabaseUrl::parse("mysql://localhost/loa").unwrap_err();
    assert!(e.to_string().contains("mysql"), "{e}");
    assert!(DatabaseUrl::parse("no scheme").is_err());
    assert!(DatabaseUrl::parse("postgres://").is_err());
}

#[test]
fn passwords_are_redacted() {
    let url = DatabaseUrl::parse("postgres://loa:s3cret@db/loa").unwrap();
    assert!(!format!("{url:?}").contains("s3cret"));
    assert!(!format!("{:?}", Secret("smtp://u:s3cret@x".into())).contains("s3cret"));
    let e = DatabaseUrl::parse("mongodb://loa:s3cret@db/loa").unwrap_err();
    assert!(!e.to_string().contains("s3cret"));
}

#[test]
fn later_layers_win() {
    let file = RawConfig {
        addr: Some("127.0.0.1:4000".into()),
        content_dir: Some("noi-dung".into()),
        ..Default::default()
    };
    let env = RawConfig::from_env(&HashMap::from([
        ("LOA_ADDR".to_owned(), "0.0.0.0:5000".to_owned()),
        (
            "LOA_BASE_URL".to_owned(),
            "https://loa.example.vn".to_owned(),
        ),
    ]))
    .unwrap();
    let c = RawConfig::default()
        .merge(file)
        .merge(env)
        .validate()
        .unwrap();
    assert_eq!(c.addr.to_string(), "0.0.0.0:5000");
    assert_eq!(c.content_dir, PathBuf::from("noi-dung"));
    assert!(c.is_https());
}

#[test]
fn bad_values_name_the_setting() {
    let bad = |r: RawConfig| r.validate().unwrap_err().setting;
    let addr = RawConfig {
        addr: Some("localhost".into()),
        ..Default::default()
    };
    assert_eq!(bad(addr), "LOA_ADDR");
    let base = RawConfig {
        base_url: Some("ftp://x".into()),
        ..Default::default()
    };
    assert_eq!(bad(base), "LOA_BASE_URL");
    let smtp = RawConfig {
        smtp_url: Some("http://x".into()),
        ..Default::default()
    };
    assert_eq!(bad(smtp), "LOA_SMTP_URL");
    let reminder = RawConfig {
        reminder_time: Some("8 giờ".into()),
        ..Default::default()
    };
    assert_eq!(bad(reminder), "LOA_REMINDER_TIME");
    let days = RawConfig {
        reminder_days: Some(-1),
        ..Default::default()
    };
    assert_eq!(bad(days), "LOA_REMINDER_DAYS");
    let overdue = RawConfig {
        reminder_max_overdue_days: Some(0),
        ..Default::default()
    };
    assert_eq!(bad(overdue), "LOA_REMINDER_MAX_OVERDUE_DAYS");
    let from = RawConfig {
        mail_from: Some("không phải thư".into()),
        ..Default::default()
    };
    assert_eq!(bad(from), "LOA_MAIL_FROM");
    let metrics = RawConfig {
        metrics_addr: Some("9100".into()),
        ..Default::default()
    };
    assert_eq!(bad(metrics), "LOA_METRICS_ADDR");
    let proxies = RawConfig {
        trusted_proxies: Some("10.0.0.0/8, proxy".into()),
        ..Default::default()
    };
    assert_eq!(bad(proxies), "LOA_TRUSTED_PROXIES");
    let preview = RawConfig {
        preview_link_days: Some(0),
        ..Default::default()
    };
    assert_eq!(bad(preview), "LOA_PREVIEW_LINK_DAYS");
    let session = RawConfig {
        session_hours: Some(0),
        ..Default::default()
    };
    assert_eq!(bad(session), "LOA_SESSION_HOURS");
    let timeout = RawConfig {
        request_timeout_secs: Some(0),
        ..Default::default()
    };
    assert_eq!(bad(timeout), "LOA_REQUEST_TIMEOUT_SECS");
    let header = RawConfig {
        header_timeout_secs: Some(0),
        ..Default::default()
    };
    assert_eq!(bad(header), "LOA_HEADER_TIMEOUT_SECS");
    let concurrent = RawConfig {
        max_concurrent_requests: Some(0),
        ..Default::default()
    };
    assert_eq!(bad(concurrent), "LOA_MAX_CONCURRENT_REQUESTS");
    let env = HashMap::from([("LOA_MAX_UPLOAD_MB".to_owned(), "năm".to_owned())]);
    assert_eq!(
        RawConfig::from_env(&env).unwrap_err().setting,
        "LOA_MAX_UPLOAD_MB"
    );
}

#[test]
fn the_page_cache_is_configurable() {
    let c = Config::defaults();
    assert_eq!(c.page_cache_bytes, 32 * 1024 * 1024);
    assert_eq!(c.cache_max_age.as_secs(), 5);
    let env = HashMap::from([
        ("LOA_PAGE_CACHE_MB".to_owned(), "0".to_owned()),
        ("LOA_CACHE_MAX_AGE".to_owned(), "60".to_owned()),
        ("LOA_SEARCH_CACHE_TTL".to_owned(), "3".to_owned()),
    ]);
    let c = RawConfig::from_env(&env).unwrap().validate().unwrap();
    assert_eq!(c.page_cache_bytes, 0);
    assert_eq!(c.cache_max_age.as_secs(), 60);
    assert_eq!(c.search_cache_ttl.as_secs(), 3);
    for (key, bad) in [
        ("LOA_PAGE_CACHE_TTL", "0"),
        ("LOA_PAGE_CACHE_MB", "5000"),
        ("LOA_CACHE_MAX_AGE", "mười"),
    ] {
        let env = HashMap::from([(key.to_owned(), bad.to_owned())]);
        let setting = match RawConfig::from_env(&env) {
            Ok(raw) => raw.validate().unwrap_err().setting,
            Err(e) => e.setting,
        };
        assert_eq!(setting, key, "{bad}");
    }
}

#[test]
fn reminder_limits_and_the_sender_are_settings() {
    let d = Config::defaults();
    assert_eq!(d.reminder_max_overdue_days, 30);
    assert_eq!(d.mail_from, None);
    let env = HashMap::from([
        ("LOA_REMINDER_MAX_OVERDUE_DAYS".to_owned(), "7".to_owned()),
        (
            "LOA_MAIL_FROM".to_owned(),
            "Sở TT&TT <thong-bao@stttt.example.vn>".to_owned(),
        ),
    ]);
    let c = RawConfig::from_env(&env).unwrap().validate().unwrap();
    assert_eq!(c.reminder_max_overdue_days, 7);
    assert!(c
        .mail_from
        .as_deref()
        .is_some_and(|f| f.contains("<thong-bao@stttt.example.vn>")));
}

#[test]
fn citizen_retention_is_configurable() {
    assert_eq!(Config::defaults().citizen_retention_days, 365);
    let env = HashMap::from([("LOA_CITIZEN_RETENTION_DAYS".to_owned(), "30".to_owned())]);
    let c = RawConfig::from_env(&env).unwrap().validate().unwrap();
    assert_eq!(c.citizen_retention_days, 30);
    for bad in ["0", "mot nam"] {
        let env = HashMap::from([("LOA_CITIZEN_RETENTION_DAYS".to_owned(), bad.to_owned())]);
        let setting = match RawConfig::from_env(&env) {
            Ok(raw) => raw.validate().unwrap_err().setting,
            Err(e) => e.setting,
        };
        assert_eq!(setting, "LOA_CITIZEN_RETENTION_DAYS", "{bad}");
    }
}
