//! `/admin/lich`: the publishing calendar — what goes live and what leaves the site over the next
//! 60 days, day by day in Vietnam time, for everyone who writes.

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::article::ArticleStatus;
use crate::db::articles::admin::{self, TimedRow, Timing};
use crate::db::{Db, DbError};
use crate::error::Result;
use crate::http::auth::{CurrentUser, Page};
use crate::http::views::Layout;
use crate::policy::{self, Action, ArticleFacts, Target};
use crate::time;

/// How many days one page of the calendar shows.
const DAYS: u64 = 60;

/// More events than anyone reads on one page; the bound only keeps a runaway page cheap.
const MAX_EVENTS: i64 = 2000;

pub fn router() -> Router<AppState> {
    Router::new().route("/lich", get(calendar))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CalendarQuery {
    /// The first day: `2018-09-15` (what `<input type="date">` sends), or `15/09/2018`.
    tu: String,
}

/// What happens to an article at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Publish,
    Unpublish,
}

impl Kind {
    fn code(self) -> &'static str {
        match self {
            Kind::Publish => "xuat-ban",
            Kind::Unpublish => "go-bai",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Kind::Publish => "Xuất bản",
            Kind::Unpublish => "Gỡ bài",
        }
    }
}

/// Scheduled publications and ends in `[from, to)`, in time order.
async fn events(
    db: &Db,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(Kind, TimedRow)>, DbError> {
    let publications = admin::timed_between(db, Timing::Publication, from, to, MAX_EVENTS).await?;
    let ends = admin::timed_between(db, Timing::End, from, to, MAX_EVENTS).await?;
    let mut all: Vec<(Kind, TimedRow)> = publications
        .into_iter()
        .map(|r| (Kind::Publish, r))
        .chain(ends.into_iter().map(|r| (Kind::Unpublish, r)))
        .collect();
    all.sort_by(|(ka, a), (kb, b)| (a.at, *ka, &a.title, a.id).cmp(&(b.at, *kb, &b.title, b.id)));
    Ok(all)
}

/// The Vietnamese name of a weekday, as a heading writes it.
fn weekday_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Thứ Hai",
        Weekday::Tue => "Thứ Ba",
        Weekday::Wed => "Thứ Tư",
        Weekday::Thu => "Thứ Năm",
        Weekday::Fri => "Thứ Sáu",
        Weekday::Sat => "Thứ Bảy",
        Weekday::Sun => "Chủ Nhật",
    }
}

/// "Thứ Bảy, 15/09/2018".
fn day_heading(d: NaiveDate) -> String {
    format!("{}, {}", weekday_name(d.weekday()), d.format("%d/%m/%Y"))
}

/// 00:00 of a day in Vietnam, in UTC.
fn vietnam_midnight(d: NaiveDate) -> DateTime<Utc> {
    let midnight = d.and_hms_opt(0, 0, 0).expect("midnight exists");
    time::vietnam()
        .from_local_datetime(&midnight)
        .single()
        .expect("a fixed offset has one local time")
        .with_timezone(&Utc)
}

/// The day a person typed, within years the calendar can show.
fn parse_day(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .ok()
        .filter(|d| (2000..=9000).contains(&d.year()))
}

#[derive(Serialize)]
struct EventView {
    time: String,
    at_iso: String,
    kind: &'static str,
    kind_label: &'static str,
    title: String,
    status_label: &'static str,
    /// The editor, for those who may open it.
    edit_url: Option<String>,
}

#[derive(Serialize)]
struct DayView {
    iso: String,
    heading: String,
    events: Vec<EventView>,
}

#[derive(Serialize)]
struct CalendarPage {
    #[serde(flatten)]
    layout: Layout,
    days: u64,
    /// The date field's value.
    tu: String,
    error: Option<String>,
    first: String,
    last: String,
    prev_url: String,
    next_url: String,
    /// Whether this is another page than the default (from now).
    moved: bool,
    groups: Vec<DayView>,
    total: usize,
}

fn event_view(user: &CurrentUser, kind: Kind, r: TimedRow) -> EventView {
    let status: ArticleStatus = r.status.parse().unwrap_or(ArticleStatus::Draft);
    let facts = ArticleFacts::live(r.author_id, status);
    let may_open = policy::may(user, Action::OpenArticle, Target::Article(facts));
    EventView {
        time: r
            .at
            .with_timezone(&time::vietnam())
            .format("%H:%M")
            .to_string(),
        at_iso: time::to_rfc3339_utc(r.at),
        kind: kind.code(),
        kind_label: kind.label(),
        status_label: status.label(),
        edit_url: may_open.then(|| format!("/admin/bai-viet/{}", r.id)),
        title: r.title,
    }
}

/// Events grouped by their day in Vietnam, days in order.
fn group_by_day(user: &CurrentUser, events: Vec<(Kind, TimedRow)>) -> Vec<DayView> {
    let mut groups: Vec<(NaiveDate, DayView)> = Vec::new();
    for (kind, r) in events {
        let day = r.at.with_timezone(&time::vietnam()).date_naive();
        if groups.last().is_none_or(|(d, _)| *d != day) {
            groups.push((
                day,
                DayView {
                    iso: day.format("%Y-%m-%d").to_string(),
                    heading: day_heading(day),
                    events: Vec::new(),
                },
            ));
        }
        if let Some((_, group)) = groups.last_mut() {
            group.events.push(event_view(user, kind, r));
        }
    }
    groups.into_iter().map(|(_, g)| g).collect()
}

/// GET `/admin/lich?tu=yyyy-mm-dd`: from now, or from the start of the chosen day.
async fn calendar(Page(state, ctx): Page, Query(q): Query<CalendarQuery>) -> Result<Response> {
    let user = ctx.user()?;
    let now = time::now();
    let today = now.with_timezone(&time::vietnam()).date_naive();
    let chosen = (!q.tu.trim().is_empty()).then(|| parse_day(&q.tu));
    let (first, from, error) = match chosen {
        None => (today, now, None),
        Some(Some(day)) => (day, vietnam_midnight(day), None),
        Some(None) => (
            today,
            now,
            Some("Ngày không hợp lệ: hãy chọn một ngày, ví dụ 15/09/2018.".to_owned()),
        ),
    };
    let after = first + Days::new(DAYS);
    let to = vietnam_midnight(after);
    let found = events(&state.db, from, to).await?;
    let total = found.len();
    let groups = group_by_day(user, found);
    let before = first - Days::new(DAYS);
    let day_url = |d: NaiveDate| format!("/admin/lich?tu={}", d.format("%Y-%m-%d"));
    let view = CalendarPage {
        layout: Layout::load(
            &state,
            &ctx,
            "Lịch xuất bản",
            "Bài sắp xuất bản và sắp gỡ",
            "/admin/lich",
        )
        .await?,
        days: DAYS,
        tu: if error.is_some() {
            q.tu.trim().to_owned()
        } else {
            first.format("%Y-%m-%d").to_string()
        },
        error,
        first: first.format("%d/%m/%Y").to_string(),
        last: (after - Days::new(1)).format("%d/%m/%Y").to_string(),
        prev_url: day_url(before),
        next_url: day_url(after),
        moved: matches!(chosen, Some(Some(_))),
        groups,
        total,
    };
    let status = if view.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    state
        .templates
        .respond(status, "admin/calendar.html", &view)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_named_in_vietnamese() {
        let d = NaiveDate::from_ymd_opt(2018, 9, 15).unwrap();
        assert_eq!(day_heading(d), "Thứ Bảy, 15/09/2018");
        let d = NaiveDate::from_ymd_opt(2018, 9, 13).unwrap();
        assert_eq!(day_heading(d), "Thứ Năm, 13/09/2018");
        let d = NaiveDate::from_ymd_opt(2018, 9, 16).unwrap();
        assert_eq!(day_heading(d), "Chủ Nhật, 16/09/2018");
    }

    #[test]
    fn a_day_starts_at_midnight_in_vietnam() {
        let d = NaiveDate::from_ymd_opt(2019, 1, 1).unwrap();
        assert_eq!(
            time::to_rfc3339_utc(vietnam_midnight(d)),
            "2018-12-31T17:00:00Z"
        );
    }

    #[test]
    fn days_are_typed_either_way() {
        let d = NaiveDate::from_ymd_opt(2018, 9, 15);
        assert_eq!(parse_day("2018-09-15"), d);
        assert_eq!(parse_day(" 15/09/2018 "), d);
        for bad in ["", "2018-02-30", "ngày mai", "0001-01-01", "15-09-2018"] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
    }
}
