//! The `[ack]` table of an article's front matter: who must confirm having read the article,
//! until when, and with which statement.
//!
//! ```toml
//! [ack]
//! staff = "all"            # or unit slugs from content/site.toml: ["van-phong", "trung-tam"]
//! citizens = true
//! due = "2018-09-15"       # a date in Vietnam time (the end of that day), or RFC 3339
//! statement = "Tôi đã đọc và hiểu nội dung tài liệu này."
//! closes = "2018-12-31"    # optional
//! renew_on = ["09-01"]     # optional: everyone confirms again each 1 September…
//! renew_due_days = 14      # …within 14 days of it
//! # or: renew_every_days = 365 (each person again 365 days after their own confirmation)
//! ```

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use serde::Deserialize;
use toml::Spanned;

use super::Located;
use crate::ack::{parse_month_day, AckSettings, Renewal, StaffAudience, DEFAULT_STATEMENT};
use crate::content::ContentError;
use crate::slug::Slug;
use crate::time;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAck {
    staff: Option<Spanned<toml::Value>>,
    #[serde(default)]
    citizens: bool,
    due: Option<Spanned<toml::Value>>,
    statement: Option<Spanned<String>>,
    closes: Option<Spanned<toml::Value>>,
    renew_every_days: Option<Spanned<i64>>,
    renew_on: Option<Spanned<Vec<String>>>,
    renew_due_days: Option<Spanned<i64>>,
}

/// The `[ack]` of a file, validated except for the unit slugs, which are checked against the
/// units of the site (see [`crate::content::check_ack_units`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckFile {
    pub settings: AckSettings,
    /// The line of `staff = …`, for errors about unknown units.
    pub staff_line: usize,
}

/// The keys of `[ack]`, to name the field of a TOML error.
pub(super) const KEYS: [&str; 8] = [
    "staff",
    "citizens",
    "due",
    "statement",
    "closes",
    "renew_every_days",
    "renew_on",
    "renew_due_days",
];

pub(super) fn validate(
    at: &Located,
    raw: &Spanned<RawAck>,
    errors: &mut Vec<ContentError>,
) -> Option<AckFile> {
    let table_line = at.line_of(raw.span().start);
    let raw = raw.get_ref();
    let before = errors.len();

    let staff_line = raw
        .staff
        .as_ref()
        .map_or(table_line, |s| at.line_of(s.span().start));
    let staff = match raw.staff.as_ref().map(Spanned::get_ref) {
        None => StaffAudience::None,
        Some(toml::Value::String(s)) if s.trim() == "all" => StaffAudience::All,
        Some(toml::Value::Array(items)) => {
            let mut slugs: Vec<String> = Vec::new();
            for item in items {
                match item.as_str().map(Slug::parse) {
                    Some(Ok(slug)) => {
                        if !slugs.contains(&slug.to_string()) {
                            slugs.push(slug.to_string());
                        }
                    }
                    Some(Err(e)) => errors.push(at.error(staff_line, "ack.staff", e.to_string())),
                    None => errors.push(at.error(
                        staff_line,
                        "ack.staff",
                        "danh sách đơn vị chỉ gồm các slug viết trong dấu ngoặc kép",
                    )),
                }
            }
            if slugs.is_empty() {
                StaffAudience::None
            } else {
                StaffAudience::Units(slugs)
            }
        }
        Some(_) => {
            errors.push(at.error(
                staff_line,
                "ack.staff",
                "staff phải là \"all\" (toàn bộ cán bộ) hoặc danh sách slug đơn vị, ví dụ [\"van-phong\"]",
            ));
            StaffAudience::None
        }
    };

    let due = at.time(&raw.due, "ack.due", "ngày", parse_time, errors);
    let closes = at.time(&raw.closes, "ack.closes", "ngày", parse_time, errors);

    let statement = match &raw.statement {
        None => DEFAULT_STATEMENT.to_owned(),
        Some(s) => {
            let text = s.get_ref().trim().to_owned();
            if text.is_empty() {
                errors.push(at.error(
                    at.line_of(s.span().start),
                    "ack.statement",
                    "lời xác nhận không được để trống (bỏ dòng này để dùng lời mặc định)",
                ));
            }
            text
        }
    };

    let renewal = renewal(at, raw, errors);

    if staff == StaffAudience::None && !raw.citizens && errors.len() == before {
        errors.push(at.error(
            table_line,
            "ack",
            "[ack] không yêu cầu ai xác nhận: ghi staff = \"all\", danh sách đơn vị, hoặc citizens = true",
        ));
    }
    (errors.len() == before).then_some(AckFile {
        settings: AckSettings {
            staff,
            citizens: raw.citizens,
            due,
            statement,
            closes,
            renewal,
        },
        staff_line,
    })
}

/// A day count between 1 and 3650 (ten years), or an error on its line.
fn days(
    at: &Located,
    v: &Option<Spanned<i64>>,
    field: &str,
    errors: &mut Vec<ContentError>,
) -> Option<u32> {
    let v = v.as_ref()?;
    match u32::try_from(*v.get_ref()) {
        Ok(n) if (1..=3650).contains(&n) => Some(n),
        _ => {
            let line = at.line_of(v.span().start);
            errors.push(at.error(line, field, "số ngày phải từ 1 đến 3650"));
            None
        }
    }
}

/// `renew_every_days`, or `renew_on` with `renew_due_days`; not both.
fn renewal(at: &Located, raw: &RawAck, errors: &mut Vec<ContentError>) -> Renewal {
    let every = days(at, &raw.renew_every_days, "ack.renew_every_days", errors);
    let due_days = days(at, &raw.renew_due_days, "ack.renew_due_days", errors);
    let Some(on) = &raw.renew_on else {
        if let Some(d) = &raw.renew_due_days {
            let line = at.line_of(d.span().start);
            errors.push(at.error(
                line,
                "ack.renew_due_days",
                "renew_due_days chỉ dùng cùng renew_on",
            ));
        }
        return every.map_or(Renewal::None, Renewal::EveryDays);
    };
    let line = at.line_of(on.span().start);
    if every.is_some() {
        errors.push(at.error(
            line,
            "ack.renew_on",
            "chỉ chọn một cách gia hạn: renew_on (ngày cố định) hoặc renew_every_days",
        ));
    }
    let mut dates = Vec::new();
    for text in on.get_ref() {
        match parse_month_day(text) {
            Some(d) if !dates.contains(&d) => dates.push(d),
            Some(_) => {}
            None => errors.push(at.error(
                line,
                "ack.renew_on",
                format!("ngày gia hạn \"{text}\" không hợp lệ: ghi tháng-ngày, ví dụ \"09-01\""),
            )),
        }
    }
    if dates.is_empty() {
        return Renewal::None;
    }
    dates.sort_unstable();
    Renewal::OnDates { dates, due_days }
}

/// The last second of a Vietnam day: a date alone means "by the end of that day".
pub fn end_of_day(d: NaiveDate) -> DateTime<Utc> {
    let local = d.and_time(NaiveTime::from_hms_opt(23, 59, 59).expect("valid time"));
    // A fixed offset maps every local time to exactly one instant.
    time::vietnam()
        .from_local_datetime(&local)
        .single()
        .expect("fixed offset")
        .with_timezone(&Utc)
}

/// A due or closing time: a bare date is the end of that day in Vietnam; anything else as
/// [`time::parse_human`] reads it.
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, time::BadTime> {
    match NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
        Ok(d) => Ok(end_of_day(d)),
        Err(_) => time::parse_human(s),
    }
}

/// The inverse of [`parse_time`]: the end of a Vietnam day is written as the bare date.
pub fn format_time(t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&time::vietnam());
    if (
        local.hour(),
        local.minute(),
        local.second(),
        local.nanosecond(),
    ) == (23, 59, 59, 0)
    {
        local.format("%Y-%m-%d").to_string()
    } else {
        time::to_rfc3339_vietnam(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_date_is_the_end_of_that_day_and_writes_back_as_a_date() {
        let t = parse_time("2018-09-15").unwrap();
        assert_eq!(time::to_rfc3339_vietnam(t), "2018-09-15T23:59:59+07:00");
        assert_eq!(format_time(t), "2018-09-15");
        let t = parse_time("2018-09-15T08:00:00+07:00").unwrap();
        assert_eq!(format_time(t), "2018-09-15T08:00:00+07:00");
    }

    fn ack_of(toml: &str) -> Result<AckSettings, Vec<ContentError>> {
        let file = format!("+++\ntitle = \"A\"\n[ack]\nstaff = \"all\"\n{toml}\n+++\nx");
        super::super::parse(std::path::Path::new("content/x.md"), file.as_bytes())
            .map(|f| f.ack.expect("an [ack]").settings)
    }

    #[test]
    fn renewal_rules_are_read() {
        assert_eq!(ack_of("").unwrap().renewal, Renewal::None);
        assert_eq!(
            ack_of("renew_every_days = 365").unwrap().renewal,
            Renewal::EveryDays(365)
        );
        assert_eq!(
            ack_of("renew_on = [\"09-01\", \"03-15\"]\nrenew_due_days = 14")
                .unwrap()
                .renewal,
            Renewal::OnDates {
                dates: vec![(3, 15), (9, 1)],
                due_days: Some(14)
            }
        );
    }

    #[test]
    fn bad_renewal_rules_name_their_line() {
        let first = |t: &str| ack_of(t).unwrap_err().remove(0);
        let e = first("renew_on = [\"13-40\"]");
        assert_eq!((e.line, e.field.as_deref()), (5, Some("ack.renew_on")));
        assert!(e.message.contains("13-40"), "{}", e.message);
        let e = first("citizens = true\nrenew_every_days = 0");
        assert_eq!(
            (e.line, e.field.as_deref()),
            (6, Some("ack.renew_every_days"))
        );
        let e = first("renew_every_days = 30\nrenew_on = [\"09-01\"]");
        assert_eq!((e.line, e.field.as_deref()), (6, Some("ack.renew_on")));
        let e = first("renew_due_days = 14");
        assert_eq!(e.field.as_deref(), Some("ack.renew_due_days"));
    }
}
