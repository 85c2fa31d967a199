//! Daily jobs missed while no server ran (the reminders at 08:00, the purge at 03:30, Vietnam
//! time) run once at the next start that day — never twice, however many instances start, and
//! not when the day's tick already ran. The clock is injected.

use chrono::{DateTime, Utc};
use loa::account::Role;
use loa::db::jobs::Outcome;
use loa::jobs::catch_up;
use loa::params;

use crate::db_tests;
use crate::helpers::{repo_content, TestApp, TestDb};

db_tests!(missed_daily_jobs_run_once_at_the_next_start);

fn vn(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{s}+07:00"))
        .unwrap()
        .with_timezone(&Utc)
}

fn names(ran: &[(&'static str, Outcome)]) -> Vec<&'static str> {
    let mut names: Vec<_> = ran.iter().map(|(n, _)| *n).collect();
    names.sort();
    names
}

async fn missed_daily_jobs_run_once_at_the_next_start(db: TestDb) {
    // The SIPAS notices ask every employee to acknowledge them; due a few days before the test's
    // day (2030-03-05), so an employee is reminded every day (by 2030 the shipped 2018 dates
    // are past `LOA_REMINDER_MAX_OVERDUE_DAYS`).
    let app = TestApp::spawn(db, &repo_content()).await;
    app.state
        .db
        .pool()
        .execute(
            "update ack_settings set due_at = $1 where due_at is not null",
            loa::params![vn("2030-03-01T17:00:00")],
        )
        .await
        .unwrap();
    let employee = app
        .create_user("nv@loa.test", "Nhân Viên", Role::Employee, None, false)
        .await;
    let (db, config) = (&app.state.db, &app.state.config);

    // 07:00: the reminders' time has not come; the purge's (03:30) passed unseen.
    let ran = catch_up(db, config, "a", vn("2030-03-05T07:00:00")).await;
    assert_eq!(names(&ran), ["citizen_purge"]);
    // 09:00: the day's reminders were missed; they go out now.
    let ran = catch_up(db, config, "a", vn("2030-03-05T09:00:00")).await;
    assert_eq!(names(&ran), ["reminders"]);
    assert_eq!(ran[0].1, Outcome::Ok { items: 1 });
    // Two more instances starting at once, and a restart in the evening: nothing more.
    let (b, c) = tokio::join!(
        catch_up(db, config, "b", vn("2030-03-05T09:00:01")),
        catch_up(db, config, "c", vn("2030-03-05T09:00:01")),
    );
    assert!(b.is_empty() && c.is_empty(), "{b:?} {c:?}");
    assert!(catch_up(db, config, "a", vn("2030-03-05T23:59:00"))
        .await
        .is_empty());

    // The next day two instances start together after 08:00: each job runs on one of them.
    let (b, c) = tokio::join!(
        catch_up(db, config, "b", vn("2030-03-06T10:00:00")),
        catch_up(db, config, "c", vn("2030-03-06T10:00:00")),
    );
    let mut both = [b, c].concat();
    both.sort_by_key(|(n, _)| *n);
    assert_eq!(names(&both), ["citizen_purge", "reminders"]);

    // A day when the server ran at 08:00: the tick did the work, a later start does not.
    let reminders = loa::jobs::registry(config)
        .into_iter()
        .find(|s| s.name == "reminders")
        .unwrap();
    let tick = loa::jobs::run_at(db, config, &reminders, "a", vn("2030-03-07T08:00:00")).await;
    assert_eq!(tick, Some(Outcome::Ok { items: 1 }));
    let ran = catch_up(db, config, "a", vn("2030-03-07T10:00:00")).await;
    assert_eq!(names(&ran), ["citizen_purge"]);

    // 02:00: yesterday's jobs are not caught up again, today's have not come.
    assert!(catch_up(db, config, "a", vn("2030-03-08T02:00:00"))
        .await
        .is_empty());

    // One in-app reminder a day for the employee; one claim a day for each job.
    let reminded = db
        .pool()
        .fetch_i64(
            "select count(*) from ack_reminders where user_id = $1 and channel = 'in_app' \
             and day in ('2030-03-05', '2030-03-06', '2030-03-07')",
            params![employee],
        )
        .await
        .unwrap();
    assert_eq!(reminded, 3);
    let claims = db
        .pool()
        .fetch_i64(
            "select count(*) from job_claims where slot like '2030-03-0%'",
            params![],
        )
        .await
        .unwrap();
    assert_eq!(claims, 6, "reminders and purge, three days each");
}
