//! The daily acknowledgment reminders: at `LOA_REMINDER_TIME` (Vietnam time) every employee with
//! items due within `LOA_REMINDER_DAYS` days, or overdue, gets one message listing them — in the
//! application always, by e-mail when `LOA_SMTP_URL` is set — and every unit head with overdue
//! staff gets one digest of them. An item stops being reminded (and leaves the digest) once its
//! acknowledgment closes or once it is more than `LOA_REMINDER_MAX_OVERDUE_DAYS` overdue.
//!
//! "Once a day" is the reminder log's unique index (person, kind, channel, day): a message is
//! logged *before* it is sent, so a second run, or a second instance, finds the row and sends
//! nothing. The job also claims its daily tick, so normally only one instance does the work.
//!
//! [`remind_now`] is the same message sent at once to chosen people (a campaign's "Nhắc ngay"),
//! under the same once-a-day rule: whoever was reminded today, by the job or by another click,
//! is not reminded again.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveTime, Timelike, Utc};

use super::{Claim, JobSpec};
use crate::config::Config;
use crate::db::ack_reminders::{self, NewReminder};
use crate::db::{self, ack_status, Db};
use crate::mail::{self, Mail, Mailer};
use crate::site::SiteInfo;
use crate::time;

/// The job as registered: once a day at the configured time.
pub fn spec(config: &Config) -> JobSpec {
    JobSpec {
        name: "reminders",
        label: "Nhắc xác nhận đã đọc tài liệu",
        schedule: cron(config.reminder_time),
        schedule_label: format!(
            "hằng ngày lúc {} (giờ Việt Nam)",
            config.reminder_time.format("%H:%M")
        ),
        claim: Claim::PerTick { slot: day_slot },
        catch_up: true,
        work: |db, config, now| {
            Box::pin(async move {
                let summary = run_daily(&db, &config, now).await?;
                crate::metrics::reminders("in_app", "sent", summary.in_app);
                crate::metrics::reminders("email", "sent", summary.emailed);
                crate::metrics::reminders("email", "failed", summary.failed);
                Ok(summary.messages())
            })
        },
    }
}

/// The cron (seconds first, UTC) of a Vietnam time of day: Vietnam is UTC+07:00 all year.
fn cron(at: NaiveTime) -> String {
    let utc = at - Duration::hours(7);
    format!("0 {} {} * * *", utc.minute(), utc.hour())
}

/// The Vietnam date, yyyy-mm-dd: the reminder "day".
pub fn day_slot(now: DateTime<Utc>) -> String {
    now.with_timezone(&time::vietnam())
        .format("%Y-%m-%d")
        .to_string()
}

/// What one run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub in_app: usize,
    pub emailed: usize,
    pub failed: usize,
    pub skipped: usize,
    /// People who had been reminded today already (only [`remind_now`] counts them).
    pub already: usize,
}

impl Summary {
    /// Messages this run created (a run that found everyone reminded already made none).
    pub fn messages(&self) -> usize {
        self.in_app + self.emailed + self.failed
    }
}

#[derive(Clone, Debug, sqlx::FromRow)]
struct Person {
    id: i64,
    name: String,
    email: String,
    unit_id: Option<i64>,
    is_head: bool,
}

/// One item a reminder lists.
#[derive(Clone, Debug)]
struct Due {
    title: String,
    slug: String,
    /// None only in [`remind_now`], which lists items without a due date too.
    due_at: Option<DateTime<Utc>>,
}

struct Overdue {
    user_id: i64,
    name: String,
    items: Vec<Due>,
}

/// The mail side of a run: off, on, or misconfigured (every e-mail then fails with the reason).
enum MailSide {
    Off,
    On(Box<Mailer>),
    Broken(String),
}

/// The daily step, with the time injected so tests can run any day.
pub async fn run_daily(db: &Db, config: &Config, now: DateTime<Utc>) -> anyhow::Result<Summary> {
    let day = day_slot(now);
    let horizon = now + Duration::days(config.reminder_days);
    // Past this, an item is a record of the past, not a task: the 2018 notice is not reminded
    // every morning for years ("quá hạn 2999 ngày"). Closed items are left out by `is_open`.
    let oldest = now - Duration::days(config.reminder_max_overdue_days);
    let site = db::site::info(db)
        .await?
        .unwrap_or_else(SiteInfo::placeholder);
    let mail = mail_side(config, &site);
    let people: Vec<Person> = db
        .pool()
        .fetch_all(
            "select id, name, email, unit_id, is_head from users where active order by id",
            vec![],
        )
        .await?;
    let mut summary = Summary::default();
    let mut overdue_by_unit: HashMap<i64, Vec<Overdue>> = HashMap::new();
    for person in &people {
        // The audience rule lives in one place, db::ack_status.
        let due: Vec<Due> = ack_status::items_for_user(db, person.id)
            .await?
            .into_iter()
            .filter(|i| i.confirmed_event.is_none() && i.is_open(now))
            .filter_map(|i| {
                let due_at = i.due_at.filter(|d| *d <= horizon && *d >= oldest)?;
                Some(Due {
                    title: i.title,
                    slug: i.slug,
                    due_at: Some(due_at),
                })
            })
            .collect();
        if due.is_empty() {
            continue;
        }
        let overdue: Vec<Due> = due
            .iter()
            .filter(|d| d.due_at.is_some_and(|t| t < now))
            .cloned()
            .collect();
        if let (Some(unit), false) = (person.unit_id, overdue.is_empty()) {
            overdue_by_unit.entry(unit).or_default().push(Overdue {
                user_id: person.id,
                name: person.name.clone(),
                items: overdue,
            });
        }
        let (subject, body) = staff_message(&site, config, &person.name, &due, now);
        let message = (subject.as_str(), body.as_str());
        deliver(
            db,
            &mail,
            (person, "staff"),
            &day,
            message,
            now,
            &mut summary,
        )
        .await?;
    }
    for head in people.iter().filter(|p| p.is_head) {
        let Some(unit) = head.unit_id else { continue };
        let staff: Vec<&Overdue> = overdue_by_unit
            .get(&unit)
            .map(|v| v.iter().filter(|o| o.user_id != head.id).collect())
            .unwrap_or_default();
        if staff.is_empty() {
            continue;
        }
        let (subject, body) = head_message(&site, config, &head.name, &staff, now);
        let message = (subject.as_str(), body.as_str());
        deliver(db, &mail, (head, "head"), &day, message, now, &mut summary).await?;
    }
    Ok(summary)
}

/// Sends these people their reminder now — every open item they have yet to confirm, whatever
/// its due date — in the application and by e-mail when configured. Someone reminded today
/// already (by the daily job, or by a click a moment ago) is counted in `already` and sent
/// nothing; inactive accounts and people with nothing open are skipped silently.
pub async fn remind_now(
    db: &Db,
    config: &Config,
    user_ids: &[i64],
    now: DateTime<Utc>,
) -> anyhow::Result<Summary> {
    let day = day_slot(now);
    let site = db::site::info(db)
        .await?
        .unwrap_or_else(SiteInfo::placeholder);
    let mail = mail_side(config, &site);
    let mut summary = Summary::default();
    for &id in user_ids {
        let person: Option<Person> = db
            .pool()
            .fetch_optional(
                "select id, name, email, unit_id, is_head from users where id = $1 and active",
                crate::params![id],
            )
            .await?;
        let Some(person) = person else { continue };
        let due: Vec<Due> = ack_status::items_for_user(db, person.id)
            .await?
            .into_iter()
            .filter(|i| i.confirmed_event.is_none() && i.is_open(now))
            .map(|i| Due {
                title: i.title,
                slug: i.slug,
                due_at: i.due_at,
            })
            .collect();
        if due.is_empty() {
            continue;
        }
        let (subject, body) = staff_message(&site, config, &person.name, &due, now);
        let before = summary.in_app;
        let message = (subject.as_str(), body.as_str());
        deliver(
            db,
            &mail,
            (&person, "staff"),
            &day,
            message,
            now,
            &mut summary,
        )
        .await?;
        if summary.in_app == before {
            summary.already += 1;
        }
    }
    Ok(summary)
}

fn mail_side(config: &Config, site: &SiteInfo) -> MailSide {
    match Mailer::from_config(config, &mail::sender(&site.name, &site.email, config)) {
        Ok(Some(m)) => MailSide::On(Box::new(m)),
        Ok(None) => MailSide::Off,
        Err(e) => MailSide::Broken(e.to_string()),
    }
}

/// Logs the in-app reminder, then the e-mail: claimed first, sent after, outcome recorded. A mail
/// failure is logged on the row and the run goes on with the next person.
async fn deliver(
    db: &Db,
    mail: &MailSide,
    (to, kind): (&Person, &str),
    day: &str,
    (subject, body): (&str, &str),
    now: DateTime<Utc>,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let row = |channel, outcome, error| NewReminder {
        user_id: to.id,
        kind,
        channel,
        day,
        subject,
        body,
        outcome,
        error,
    };
    if ack_reminders::claim(db, &row("in_app", "sent", ""), now).await? {
        summary.in_app += 1;
    }
    match mail {
        MailSide::Off => {
            let why = "Chưa cấu hình máy chủ thư (LOA_SMTP_URL).";
            if ack_reminders::claim(db, &row("email", "skipped", why), now).await? {
                summary.skipped += 1;
            }
        }
        MailSide::Broken(why) => {
            if ack_reminders::claim(db, &row("email", "failed", why), now).await? {
                summary.failed += 1;
            }
        }
        MailSide::On(mailer) => {
            // If the process dies while sending, the row says so rather than "sent".
            let interrupted = "Bị gián đoạn khi đang gửi.";
            if !ack_reminders::claim(db, &row("email", "failed", interrupted), now).await? {
                return Ok(());
            }
            let message = Mail {
                to_name: to.name.clone(),
                to_email: to.email.clone(),
                subject: subject.to_owned(),
                body: body.to_owned(),
            };
            let (outcome, error) = match mailer.send(&message).await {
                Ok(()) => {
                    summary.emailed += 1;
                    ("sent", String::new())
                }
                Err(e) => {
                    // No address in the log line: the reminder row names the person.
                    tracing::warn!(user_id = to.id, kind, error = %e, "reminder e-mail failed");
                    summary.failed += 1;
                    ("failed", e.to_string())
                }
            };
            ack_reminders::set_outcome(db, to.id, kind, "email", day, outcome, &error).await?;
        }
    }
    Ok(())
}

fn link(config: &Config, path: &str) -> String {
    config
        .base_url
        .join(path)
        .map(|u| u.to_string())
        .unwrap_or_else(|_| path.to_owned())
}

/// "hạn 15/09/2018 (quá hạn 3 ngày)", in whole days as people count them.
fn due_phrase(due_at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let date = time::format_date(due_at);
    let vn = |t: DateTime<Utc>| t.with_timezone(&time::vietnam()).date_naive();
    let days = (vn(now) - vn(due_at)).num_days();
    if due_at >= now {
        let left = -days;
        match left {
            0 => format!("hạn {date} (hôm nay)"),
            n => format!("hạn {date} (còn {n} ngày)"),
        }
    } else if days <= 0 {
        format!("hạn {date} (đã quá hạn)")
    } else {
        format!("hạn {date} (quá hạn {days} ngày)")
    }
}

fn staff_message(
    site: &SiteInfo,
    config: &Config,
    name: &str,
    due: &[Due],
    now: DateTime<Utc>,
) -> (String, String) {
    let subject = format!("Nhắc việc: {} tài liệu cần xác nhận đã đọc", due.len());
    let mut body = format!(
        "Kính gửi {name},\n\nAnh/chị còn {} tài liệu cần đọc và xác nhận đã đọc:\n\n",
        due.len()
    );
    for d in due {
        body.push_str(&format!(
            "- {} — {}\n  {}\n",
            d.title,
            d.due_at
                .map(|t| due_phrase(t, now))
                .unwrap_or_else(|| "không có hạn".to_owned()),
            link(config, &format!("/bai-viet/{}", d.slug))
        ));
    }
    body.push_str(&format!(
        "\nDanh sách tài liệu cần xác nhận: {}\n\n{}\n",
        link(config, "/can-xac-nhan"),
        footer(site)
    ));
    (subject, body)
}

fn head_message(
    site: &SiteInfo,
    config: &Config,
    name: &str,
    staff: &[&Overdue],
    now: DateTime<Utc>,
) -> (String, String) {
    let subject = format!(
        "Tổng hợp: {} cán bộ trong đơn vị quá hạn xác nhận tài liệu",
        staff.len()
    );
    let mut body = format!(
        "Kính gửi {name},\n\nCác cán bộ sau trong đơn vị của anh/chị đã quá hạn mà chưa xác nhận \
         đã đọc tài liệu:\n\n"
    );
    for person in staff {
        body.push_str(&format!("- {}\n", person.name));
        for d in &person.items {
            if let Some(t) = d.due_at {
                body.push_str(&format!("  · {} — {}\n", d.title, due_phrase(t, now)));
            }
        }
    }
    body.push_str(&format!(
        "\nĐề nghị anh/chị nhắc các cán bộ hoàn thành.\n{}\n\n{}\n",
        link(config, "/can-xac-nhan"),
        footer(site)
    ));
    (subject, body)
}

fn footer(site: &SiteInfo) -> String {
    format!(
        "Thư này được gửi tự động từ hệ thống {}; mỗi ngày anh/chị nhận nhiều nhất một thư nhắc.",
        site.display_short_name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_cron_is_the_vietnam_time_in_utc() {
        assert_eq!(
            cron(NaiveTime::from_hms_opt(8, 0, 0).unwrap()),
            "0 0 1 * * *"
        );
        assert_eq!(
            cron(NaiveTime::from_hms_opt(6, 30, 0).unwrap()),
            "0 30 23 * * *"
        );
    }

    #[test]
    fn the_day_is_the_vietnam_date() {
        assert_eq!(day_slot(utc("2018-09-14T17:30:00Z")), "2018-09-15");
        assert_eq!(day_slot(utc("2018-09-14T16:59:00Z")), "2018-09-14");
    }

    #[test]
    fn due_dates_read_in_days() {
        let now = utc("2018-09-15T01:00:00Z");
        for (due, phrase) in [
            ("2018-09-12T10:00:00Z", "hạn 12/09/2018 (quá hạn 3 ngày)"),
            ("2018-09-17T10:00:00Z", "hạn 17/09/2018 (còn 2 ngày)"),
            ("2018-09-15T10:00:00Z", "hạn 15/09/2018 (hôm nay)"),
            ("2018-09-15T00:30:00Z", "hạn 15/09/2018 (đã quá hạn)"),
        ] {
            assert_eq!(due_phrase(utc(due), now), phrase, "due {due}");
        }
    }
}
