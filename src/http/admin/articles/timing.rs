//! When an article goes live and when it leaves: the editor's `datetime-local` fields in Vietnam
//! time, the one-minute lead a schedule needs, what the stored article says about both, and the
//! rules and audit details of scheduling.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::form::{Action, ArticleForm, FormErrors};
use crate::article::ArticleStatus;
use crate::db::articles::ArticleRow;
use crate::http::auth::CurrentUser;
use crate::policy::{self, Target};
use crate::time;

/// What the stored article says, for the rules that depend on it: the publication time an end
/// must follow, the end time a form left as it was. A new article has none of it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stored {
    pub status: Option<ArticleStatus>,
    pub publish_at: Option<DateTime<Utc>>,
    pub unpublish_at: Option<DateTime<Utc>>,
}

impl Stored {
    pub fn of(row: &ArticleRow) -> Stored {
        Stored {
            status: Some(row.status()),
            publish_at: row.publish_at,
            unpublish_at: row.unpublish_at,
        }
    }

    /// When the article goes (or went) live once `action` is done, if that is known yet.
    pub(super) fn publication(
        &self,
        action: Action,
        scheduled: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let live_or_due = matches!(
            self.status,
            Some(ArticleStatus::Published | ArticleStatus::Scheduled)
        );
        match action {
            Action::Schedule => scheduled,
            Action::Publish if self.status == Some(ArticleStatus::Published) => self.publish_at,
            Action::Publish => Some(now),
            _ if live_or_due => self.publish_at,
            // A draft's publication time is decided when it is published or scheduled, and
            // checked then.
            _ => None,
        }
    }
}

/// What the "Gỡ bài lúc" field asks for, compared with the stored time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndChoice {
    /// Absent, or showing the stored time (to the minute the input shows).
    Unchanged,
    Cleared,
    Set(DateTime<Utc>),
    Invalid,
}

/// A schedule must leave the scheduler (which ticks every second) and the editor's own clock
/// some room: a time that close is almost always a slip, and could pass before the save lands.
pub const SCHEDULE_LEAD_SECONDS: i64 = 60;

/// The earliest time a schedule may name at `now`, rounded up to the minute the input shows.
pub fn earliest_schedule(now: DateTime<Utc>) -> DateTime<Utc> {
    let t = now + Duration::seconds(SCHEDULE_LEAD_SECONDS);
    let secs = t.timestamp();
    let into_minute = secs.rem_euclid(60);
    if into_minute == 0 && t.timestamp_subsec_nanos() == 0 {
        t
    } else {
        DateTime::from_timestamp(secs - into_minute + 60, 0).unwrap_or(t)
    }
}

/// The value of an `<input type="datetime-local">` for a time: minutes, in Vietnam time.
pub fn to_datetime_local(t: DateTime<Utc>) -> String {
    t.with_timezone(&time::vietnam())
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// What a `datetime-local` input sends (Vietnam time, with or without seconds); nothing else.
pub fn parse_datetime_local(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    // Only the input's own shape: a date alone or an offset is not what the field sends.
    if s.len() < 16 || s.as_bytes().get(10) != Some(&b'T') || s.contains(['+', 'Z', 'z']) {
        return None;
    }
    time::parse_human(s).ok()
}

/// A time in Vietnam time and in UTC, for the editor: "07:00 28/11/2026" and "00:00 28/11/2026".
#[derive(Clone, Debug, Serialize)]
pub struct TwoZones {
    pub vietnam: String,
    pub utc: String,
}

impl TwoZones {
    pub fn new(t: DateTime<Utc>) -> TwoZones {
        TwoZones {
            vietnam: time::format_datetime(t),
            utc: t.format("%H:%M %d/%m/%Y").to_string(),
        }
    }
}

/// The audit detail of a schedule: the new time, and the old one when it moves.
pub(super) fn schedule_detail(old: Option<DateTime<Utc>>, new: Option<DateTime<Utc>>) -> String {
    match (old, new) {
        (Some(old), Some(new)) if old != new => format!(
            "lúc {} → {} (giờ Việt Nam)",
            time::format_datetime(old),
            time::format_datetime(new)
        ),
        (_, Some(new)) => format!("lúc {} (giờ Việt Nam)", time::format_datetime(new)),
        _ => String::new(),
    }
}

/// The audit detail of a changed end, if it changed.
pub(super) fn end_detail(old: Option<DateTime<Utc>>, new: Option<DateTime<Utc>>) -> Option<String> {
    let show = |t: Option<DateTime<Utc>>| {
        t.map(time::format_datetime)
            .unwrap_or_else(|| "không".to_owned())
    };
    (old != new).then(|| format!("gỡ bài lúc {} → {} (giờ Việt Nam)", show(old), show(new)))
}

/// Only editors decide when an article leaves the site; authors' forms do not carry the field.
pub(super) fn may_set_end(
    user: &CurrentUser,
    form: &ArticleForm,
    stored: Option<DateTime<Utc>>,
) -> bool {
    policy::may(user, policy::Action::PublishArticle, Target::Agency)
        || form.end_choice(stored) == EndChoice::Unchanged
}

/// The refusal of "Lên lịch" on a published article.
pub(super) fn published_cannot_be_scheduled() -> FormErrors {
    FormErrors {
        general: Some(
            "Bài đang được xuất bản nên không thể lên lịch lại. Muốn bài lên trang vào giờ khác, \
             hãy «Lưu trữ» bài trước rồi lên lịch; muốn bài tự gỡ xuống, hãy đặt «Gỡ bài lúc»."
                .into(),
        ),
        ..FormErrors::default()
    }
}

/// The form's time fields against the stored article.
impl ArticleForm {
    /// The action on a stored article. "Lưu" on a scheduled article whose time field was
    /// changed is a reschedule: the new time must not be dropped silently, and it gets the
    /// schedule's checks and audit entry.
    pub fn action_for(&self, stored: &Stored) -> Action {
        let action = self.action();
        let typed = self.publish_at.trim();
        let rescheduled = stored.status == Some(ArticleStatus::Scheduled)
            && !typed.is_empty()
            && stored.publish_at.map(to_datetime_local).as_deref() != Some(typed);
        if action == Action::Save && rescheduled {
            Action::Schedule
        } else {
            action
        }
    }

    /// What the "Gỡ bài lúc" field asks for, against the stored time.
    pub fn end_choice(&self, stored: Option<DateTime<Utc>>) -> EndChoice {
        let Some(raw) = self.unpublish_at.as_deref().map(str::trim) else {
            return EndChoice::Unchanged;
        };
        if raw.is_empty() {
            return match stored {
                None => EndChoice::Unchanged,
                Some(_) => EndChoice::Cleared,
            };
        }
        // The input shows minutes: the stored time shown as it was keeps its seconds.
        if stored.map(to_datetime_local).as_deref() == Some(raw) {
            return EndChoice::Unchanged;
        }
        match parse_datetime_local(raw) {
            Some(t) => EndChoice::Set(t),
            None => EndChoice::Invalid,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn datetime_local_is_vietnam_time() {
        let t = parse_datetime_local("2026-11-28T07:00").unwrap();
        assert_eq!(t, utc("2026-11-28T00:00:00Z"));
        assert_eq!(to_datetime_local(t), "2026-11-28T07:00");
        let z = TwoZones::new(t);
        assert_eq!(z.vietnam, "07:00 28/11/2026");
        assert_eq!(z.utc, "00:00 28/11/2026");
        for bad in [
            "",
            "2026-11-28",
            "28/11/2026 07:00",
            "2026-11-28T07:00Z",
            "ngày mai",
        ] {
            assert_eq!(parse_datetime_local(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_earliest_schedule_is_a_whole_minute_a_minute_ahead() {
        assert_eq!(
            earliest_schedule(utc("2026-11-28T00:00:30Z")),
            utc("2026-11-28T00:02:00Z")
        );
        assert_eq!(
            earliest_schedule(utc("2026-11-28T00:00:00Z")),
            utc("2026-11-28T00:01:00Z")
        );
        assert_eq!(
            earliest_schedule(utc("2026-11-28T00:00:00.000001Z")),
            utc("2026-11-28T00:02:00Z")
        );
    }

    #[test]
    fn saving_a_changed_time_reschedules() {
        let stored = Stored {
            status: Some(ArticleStatus::Scheduled),
            publish_at: Some(utc("2026-12-01T00:00:00Z")),
            unpublish_at: None,
        };
        let mut f = ArticleForm {
            action: "luu".into(),
            ..ArticleForm::default()
        };
        f.publish_at = "2026-12-01T07:00".into();
        assert_eq!(f.action_for(&stored), Action::Save);
        f.publish_at = String::new();
        assert_eq!(f.action_for(&stored), Action::Save);
        f.publish_at = "2026-12-02T07:00".into();
        assert_eq!(f.action_for(&stored), Action::Schedule);
        let draft = Stored {
            status: Some(ArticleStatus::Draft),
            ..stored
        };
        assert_eq!(f.action_for(&draft), Action::Save);
    }
}
