//! Time: stored in UTC, shown and entered in Vietnam time (Asia/Ho_Chi_Minh).
//!
//! Vietnam has kept UTC+07:00 without daylight saving since 1975, so a fixed offset is exact for
//! every date Loa deals with and spares us a time-zone database.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};

/// Asia/Ho_Chi_Minh.
pub fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("+07:00 is a valid offset")
}

/// The current time, in UTC, to the microsecond (both databases keep microseconds).
pub fn now() -> DateTime<Utc> {
    let t = Utc::now();
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// `31/08/2018`, the date in Vietnam.
pub fn format_date(t: DateTime<Utc>) -> String {
    t.with_timezone(&vietnam()).format("%d/%m/%Y").to_string()
}

/// `08:00 31/08/2018`, the time and date in Vietnam.
pub fn format_datetime(t: DateTime<Utc>) -> String {
    t.with_timezone(&vietnam())
        .format("%H:%M %d/%m/%Y")
        .to_string()
}

/// RFC 3339 in Vietnam time, as written to content files: `2018-08-31T08:00:00+07:00`.
pub fn to_rfc3339_vietnam(t: DateTime<Utc>) -> String {
    t.with_timezone(&vietnam())
        .to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// RFC 3339 in UTC, for machine-readable attributes such as `<time datetime>`.
pub fn to_rfc3339_utc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ngày giờ không hợp lệ «{0}»: dùng RFC 3339 có múi giờ (2018-09-15T08:00:00+07:00) hoặc một ngày (2018-09-15)")]
pub struct BadTime(pub String);

/// Parses a time as written by people in content files:
/// - RFC 3339 with an offset: `2018-09-15T08:00:00+07:00`, `2018-09-15T01:00:00Z`;
/// - a bare date, meaning 00:00 in Vietnam: `2018-09-15`;
/// - a date and time without offset, meaning Vietnam time: `2018-09-15T08:00` or `2018-09-15 08:00:00`.
pub fn parse_human(s: &str) -> Result<DateTime<Utc>, BadTime> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return from_vietnam_local(d.and_hms_opt(0, 0, 0).expect("midnight exists"), s);
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
            return from_vietnam_local(dt, s);
        }
    }
    Err(BadTime(s.to_owned()))
}

fn from_vietnam_local(dt: NaiveDateTime, original: &str) -> Result<DateTime<Utc>, BadTime> {
    vietnam()
        .from_local_datetime(&dt)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| BadTime(original.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_bare_date_is_midnight_in_vietnam() {
        assert_eq!(
            parse_human("2018-09-15").unwrap(),
            utc("2018-09-14T17:00:00Z")
        );
    }

    #[test]
    fn offsets_are_honoured() {
        assert_eq!(
            parse_human("2018-09-15T08:00:00+07:00").unwrap(),
            utc("2018-09-15T01:00:00Z")
        );
        assert_eq!(
            parse_human("2018-09-15T01:00:00Z").unwrap(),
            utc("2018-09-15T01:00:00Z")
        );
        assert_eq!(
            parse_human("2018-09-15T08:00").unwrap(),
            utc("2018-09-15T01:00:00Z")
        );
    }

    #[test]
    fn new_year_eve_in_vietnam_round_trips() {
        let t = parse_human("2018-12-31T23:30:00+07:00").unwrap();
        assert_eq!(t, utc("2018-12-31T16:30:00Z"));
        assert_eq!(format_date(t), "31/12/2018");
        assert_eq!(format_datetime(t), "23:30 31/12/2018");
        assert_eq!(to_rfc3339_vietnam(t), "2018-12-31T23:30:00+07:00");
        assert_eq!(parse_human(&to_rfc3339_vietnam(t)).unwrap(), t);
        // Just after 17:00 UTC it is already the next day in Vietnam.
        assert_eq!(format_date(utc("2018-12-31T17:00:00Z")), "01/01/2019");
    }

    #[test]
    fn garbage_is_refused() {
        for bad in [
            "",
            "31/08/2018",
            "2018-13-01",
            "2018-02-30",
            "tomorrow",
            "2018-09-15T25:00",
        ] {
            assert!(parse_human(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn now_keeps_microseconds_only() {
        assert_eq!(now().timestamp_subsec_nanos() % 1000, 0);
    }
}
