//! `/admin/nhat-ky`: the audit log, newest first, filtered by kind of action, by actor and by a
//! range of dates (days in Vietnam time).

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::dashboard::action_label;
use crate::app::AppState;
use crate::db::audit::{self, Filter};
use crate::error::{AppError, Result};
use crate::http::auth::Page;
use crate::http::views::{Layout, Pagination};
use crate::time;

/// Entries per page.
const PAGE_SIZE: i64 = 50;

/// The kinds of action offered by the filter: (prefix, label).
const KINDS: [(&str, &str); 5] = [
    ("sign_in", "Đăng nhập"),
    ("user", "Tài khoản"),
    ("unit", "Đơn vị"),
    ("article", "Bài viết"),
    ("media", "Thư viện ảnh"),
];

pub fn router() -> Router<AppState> {
    Router::new().route("/nhat-ky", get(list))
}

/// A day as people write it, `15/09/2018` or `2018-09-15`, as the instant it starts in Vietnam.
fn parse_day(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    let day = NaiveDate::parse_from_str(s, "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y-%m-%d"))
        .ok()?;
    start_of(day)
}

fn start_of(day: NaiveDate) -> Option<DateTime<Utc>> {
    time::vietnam()
        .from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// The instant the day after `s` starts, so that "until 15/09" includes all of the 15th.
fn parse_day_end(s: &str) -> Option<DateTime<Utc>> {
    let start = parse_day(s)?;
    let day = start.with_timezone(&time::vietnam()).date_naive();
    start_of(day.checked_add_days(Days::new(1))?)
}

#[derive(Debug, Default, Deserialize)]
struct LogQuery {
    #[serde(default)]
    hanh_dong: String,
    #[serde(default)]
    nguoi: String,
    #[serde(default)]
    tu: String,
    #[serde(default)]
    den: String,
    trang: Option<String>,
}

impl LogQuery {
    fn query_string(&self) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("hanh_dong", &self.hanh_dong),
            ("nguoi", &self.nguoi),
            ("tu", &self.tu),
            ("den", &self.den),
        ] {
            if !v.trim().is_empty() {
                s.append_pair(k, v.trim());
            }
        }
        s.finish()
    }
}

#[derive(Serialize)]
struct KindOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Serialize)]
struct EntryView {
    at: String,
    at_iso: String,
    actor: String,
    action: String,
    action_code: String,
    target: String,
    detail: String,
    ip: String,
}

#[derive(Default, Serialize)]
struct DateErrors {
    tu: Option<String>,
    den: Option<String>,
}

#[derive(Serialize)]
struct LogView {
    #[serde(flatten)]
    layout: Layout,
    entries: Vec<EntryView>,
    total: i64,
    kinds: Vec<KindOption>,
    nguoi: String,
    tu: String,
    den: String,
    errors: DateErrors,
    filtered: bool,
    pagination: Pagination,
}

/// An optional day of the filter form; a wrong one leaves its message in `error` and filters
/// nothing.
fn day_filter(
    s: &str,
    parse: fn(&str) -> Option<DateTime<Utc>>,
    error: &mut Option<String>,
) -> Option<DateTime<Utc>> {
    if s.trim().is_empty() {
        return None;
    }
    let t = parse(s);
    if t.is_none() {
        *error = Some(BAD_DAY.to_owned());
    }
    t
}

const BAD_DAY: &str = "Ngày không hợp lệ; hãy ghi dạng 15/09/2018 hoặc 2018-09-15.";

async fn list(Page(state, ctx): Page, Query(q): Query<LogQuery>) -> Result<Response> {
    let page = match q.trang.as_deref() {
        None | Some("") => 1,
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=1_000_000).contains(n))
            .ok_or(AppError::NotFound)?,
    };
    let mut errors = DateErrors::default();
    let from = day_filter(&q.tu, parse_day, &mut errors.tu);
    let until = day_filter(&q.den, parse_day_end, &mut errors.den);
    let action_prefix = KINDS
        .iter()
        .find(|(k, _)| *k == q.hanh_dong)
        .map(|(k, _)| (*k).to_owned())
        .unwrap_or_default();
    let filter = Filter {
        action_prefix,
        actor: q.nguoi.trim().to_owned(),
        from,
        until,
    };
    let total = audit::count(&state.db, &filter).await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    if page > pages {
        return Err(AppError::NotFound);
    }
    let filters = q.query_string();
    let url = |n: i64| {
        let mut parts = vec![];
        if !filters.is_empty() {
            parts.push(filters.clone());
        }
        if n > 1 {
            parts.push(format!("trang={n}"));
        }
        if parts.is_empty() {
            "/admin/nhat-ky".to_owned()
        } else {
            format!("/admin/nhat-ky?{}", parts.join("&"))
        }
    };
    let pagination = Pagination {
        current: page,
        total: pages,
        prev: (page > 1).then(|| url(page - 1)),
        next: (page < pages).then(|| url(page + 1)),
    };
    let entries = audit::list(&state.db, &filter, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        .await?
        .into_iter()
        .map(|a| EntryView {
            at: time::format_datetime(a.at),
            at_iso: time::to_rfc3339_utc(a.at),
            actor: a.actor_label,
            action: action_label(&a.action).to_owned(),
            target: if a.target_label.is_empty() {
                a.target_id
                    .map(|id| format!("{} #{id}", a.target_type))
                    .unwrap_or_default()
            } else {
                a.target_label
            },
            action_code: a.action,
            detail: a.detail,
            ip: a.ip,
        })
        .collect();
    let filtered = !filter.action_prefix.is_empty()
        || !filter.actor.is_empty()
        || filter.from.is_some()
        || filter.until.is_some();
    let kinds = KINDS
        .iter()
        .map(|(value, label)| KindOption {
            value,
            label,
            selected: *value == filter.action_prefix,
        })
        .collect();
    let status = if errors.tu.is_some() || errors.den.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let view = LogView {
        layout: Layout::load(
            &state,
            &ctx,
            "Nhật ký hoạt động",
            "Nhật ký hoạt động",
            "/admin/nhat-ky",
        )
        .await?,
        entries,
        total,
        kinds,
        nguoi: q.nguoi.clone(),
        tu: q.tu.clone(),
        den: q.den.clone(),
        errors,
        filtered,
        pagination,
    };
    state
        .templates
        .respond(status, "admin/audit_log.html", &view)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn days_are_vietnamese_days() {
        assert_eq!(parse_day("15/09/2018"), Some(utc("2018-09-14T17:00:00Z")));
        assert_eq!(parse_day("2018-09-15"), Some(utc("2018-09-14T17:00:00Z")));
        assert_eq!(
            parse_day_end("15/9/2018"),
            Some(utc("2018-09-15T17:00:00Z"))
        );
        assert_eq!(
            parse_day_end("31/12/2018"),
            Some(utc("2018-12-31T17:00:00Z"))
        );
        for bad in ["", "32/01/2018", "2018/09/15", "hôm qua", "29/02/2019"] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
    }
}
