//! Acknowledgment: the settings an article may carry, and the exact text a confirmation refers to.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// What staff confirm unless the article says otherwise.
pub const DEFAULT_STATEMENT: &str = "Tôi đã đọc và hiểu nội dung tài liệu này.";

/// Who among staff must acknowledge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StaffAudience {
    None,
    All,
    /// These units (by slug) and every unit below them.
    Units(Vec<String>),
}

/// An article's acknowledgment settings, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AckSettings {
    pub staff: StaffAudience,
    pub citizens: bool,
    pub due: Option<DateTime<Utc>>,
    pub statement: String,
    pub closes: Option<DateTime<Utc>>,
    pub renewal: Renewal,
}

/// When confirmations must be given again (issue 17). A renewal never rewrites a confirmation:
/// fixed dates open a new round (`ack_rounds`), an N-day rule lapses each person's own
/// confirmation N days after it was given (`ack_lapses`); both are written by the scheduler.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Renewal {
    /// A confirmation stands until a major version (today's behaviour).
    #[default]
    None,
    /// Every N days after each person's own confirmation.
    EveryDays(u32),
    /// On these Vietnam dates (month, day) each year everyone must confirm again, by
    /// `due_days` after the round opens (no due date when `None`).
    OnDates {
        dates: Vec<(u32, u32)>,
        due_days: Option<u32>,
    },
}

/// Parses "09-01" (month-day) as a renewal date; February 29 is refused (it would skip years).
pub fn parse_month_day(s: &str) -> Option<(u32, u32)> {
    let (m, d) = s.trim().split_once('-')?;
    let (m, d): (u32, u32) = (m.parse().ok()?, d.parse().ok()?);
    let valid = chrono::NaiveDate::from_ymd_opt(2019, m, d).is_some();
    valid.then_some((m, d))
}

/// The inverse of [`parse_month_day`].
pub fn format_month_day((m, d): (u32, u32)) -> String {
    format!("{m:02}-{d:02}")
}

/// The text a person confirms: title, body and statement, in a fixed form. Its SHA-256 is stored
/// with every confirmation, so what was confirmed can be proven later.
pub fn confirmed_text(title: &str, body: &str, statement: &str) -> String {
    format!("{title}\n\n{body}\n\n---\n{statement}\n")
}

pub fn text_hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Whole days since the due date by the Vietnam calendar, at least 1 once it has passed; 0 when
/// not overdue (or no due date). Every page and report that says "quá hạn N ngày" uses this.
pub fn days_overdue(due: Option<DateTime<Utc>>, now: DateTime<Utc>) -> i64 {
    match due {
        Some(d) if now > d => {
            let tz = crate::time::vietnam();
            let days = (now.with_timezone(&tz).date_naive() - d.with_timezone(&tz).date_naive())
                .num_days();
            days.max(1)
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_follows_every_part_of_the_text() {
        let a = text_hash(&confirmed_text("T", "B", DEFAULT_STATEMENT));
        assert_eq!(a.len(), 64);
        assert_eq!(a, text_hash(&confirmed_text("T", "B", DEFAULT_STATEMENT)));
        assert_ne!(a, text_hash(&confirmed_text("T", "B.", DEFAULT_STATEMENT)));
        assert_ne!(a, text_hash(&confirmed_text("T", "B", "Khác.")));
    }

    #[test]
    fn overdue_days_follow_the_vietnam_calendar() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // Due at the end of 15/09 (Vietnam); checked on 18/09 in the morning.
        let due = Some(t("2018-09-15T16:59:59Z"));
        assert_eq!(days_overdue(due, t("2018-09-18T01:00:00Z")), 3);
        assert_eq!(days_overdue(due, t("2018-09-15T10:00:00Z")), 0);
        // Passed by minutes, the same Vietnam day after midnight UTC: one day.
        assert_eq!(
            days_overdue(Some(t("2018-09-15T02:00:00Z")), t("2018-09-15T03:00:00Z")),
            1
        );
        assert_eq!(days_overdue(None, t("2018-09-18T01:00:00Z")), 0);
    }
}
