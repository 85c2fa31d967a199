//! Acknowledgments that renew (issue 17), with the scheduler's clock injected: a fixed date opens
//! a new round once (also with two instances at once) and keeps the first round's confirmations;
//! each round keeps its due date, and the evidence export names every event's round; the
//! campaign dashboard puts last year's round beside this one per unit; an N-day rule counts from
//! each person's own confirmation and never touches citizens; the editor sets the rule.

use chrono::{DateTime, Duration, TimeZone, Utc};
use loa::account::Role;
use loa::ack::{confirmed_text, text_hash, Renewal};
use loa::db::{ack_rounds, ack_settings, ack_status};
use loa::jobs::renewal;
use loa::params;

use crate::ack_staff::fixture::{employee, header_count, require_ack, spawn, STATEMENT};
use crate::db_tests;
use crate::fixtures::articles::{save, sign_in};
use crate::helpers::{attrs, count, location, texts, TestApp, TestDb};
use crate::reports::read::{
    check_sheet, csv_column, download, headers, sheet_names, today_name, X,
};

db_tests!(
    a_fixed_date_opens_a_new_round_and_keeps_the_first,
    two_instances_open_a_round_once,
    each_round_keeps_its_due_date_and_the_evidence_names_the_rounds,
    the_dashboard_shows_last_years_round_beside_this_one_per_unit,
    n_day_renewal_counts_from_each_persons_confirmation,
    the_editor_sets_the_rule_and_bad_input_changes_nothing,
);

/// A Vietnam wall-clock time.
fn vn(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    loa::time::vietnam()
        .with_ymd_and_hms(y, m, d, h, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// `quy-che` for van-phong, renewed each 1 September with 14 days to confirm, its settings made
/// on 1 October 2018 (so 1 September 2019 is the first renewal).
async fn yearly(app: &TestApp) -> i64 {
    let id = require_ack(app, "quy-che", &["van-phong"], None, None).await;
    app.state
        .db
        .pool()
        .execute(
            "update ack_settings set renew_on = '09-01', renew_due_days = 14, created_at = $2 \
             where article_id = $1",
            params![id, vn(2018, 10, 1, 8)],
        )
        .await
        .unwrap();
    id
}

async fn a_fixed_date_opens_a_new_round_and_keeps_the_first(db: TestDb) {
    let app = spawn(db).await;
    let id = yearly(&app).await;
    let (b, user_id) = employee(&app, "nv@loa.test", "Nguyễn Văn", Some("van-phong")).await;
    let db = &app.state.db;
    assert_eq!(
        b.post("/bai-viet/quy-che/xac-nhan", &[]).await.status(),
        303
    );
    assert_eq!(header_count(&b).await, 0);
    let page = b.page("/bai-viet/quy-che", 200).await;
    let state = texts(&page, ".ack-state").join("");
    assert!(
        state.starts_with("Đã xác nhận lúc "),
        "no year in the first round: {state}"
    );

    // Before the date nothing opens; on it, round 2 opens once with its own due date.
    assert_eq!(
        renewal::run(db, vn(2019, 8, 31, 23)).await.unwrap().opened,
        []
    );
    assert_eq!(
        renewal::run(db, vn(2019, 9, 1, 0)).await.unwrap().opened,
        [(id, 2)]
    );
    assert_eq!(
        renewal::run(db, vn(2019, 9, 1, 1)).await.unwrap().opened,
        []
    );
    let s = ack_settings::settings(db, id).await.unwrap().unwrap();
    assert_eq!(s.current_round, 2);
    assert_eq!(
        s.due_at.map(loa::time::to_rfc3339_vietnam).as_deref(),
        Some("2019-09-15T23:59:59+07:00")
    );

    // The person is pending again, and the page and the list say for which year.
    assert_eq!(header_count(&b).await, 1);
    let page = b.page("/bai-viet/quy-che", 200).await;
    assert_eq!(
        texts(&page, ".ack-state"),
        ["Chưa xác nhận: cần xác nhận lại cho năm 2019"]
    );
    assert_eq!(count(&page, ".ack-form"), 1);
    let list = b.page("/can-xac-nhan", 200).await;
    assert!(list.contains("cần xác nhận lại cho năm 2019"), "{list}");
    // The daily reminders count the new round: the person is reminded of it.
    let config = app.state.config.clone();
    let reminded = loa::jobs::reminders::run_daily(db, &config, vn(2019, 9, 14, 8))
        .await
        .unwrap();
    assert_eq!(reminded.in_app, 1);

    // Round 2 confirmed; both confirmations stay, with their rounds and the hash of the text.
    assert_eq!(
        b.post("/bai-viet/quy-che/xac-nhan", &[]).await.status(),
        303
    );
    assert_eq!(header_count(&b).await, 0);
    let page = b.page("/bai-viet/quy-che", 200).await;
    assert_eq!(count(&page, ".ack-history li"), 2);
    // "Đã xác nhận" speaks of the current round too, on the article and in the list.
    let state = texts(&page, ".ack-state").join("");
    assert!(
        state.starts_with("Đã xác nhận cho năm 2019 lúc "),
        "{state}"
    );
    let list = b.page("/can-xac-nhan", 200).await;
    let done = texts(&list, "tr.ack-done td").join(" ");
    assert!(done.ends_with("(cho năm 2019)"), "{done}");
    let reminded = loa::jobs::reminders::run_daily(db, &config, vn(2019, 9, 15, 8))
        .await
        .unwrap();
    assert_eq!(reminded.messages(), 0, "nothing left to remind of");
    let history = ack_status::history_of(db, id, user_id).await.unwrap();
    let hash = text_hash(&confirmed_text(
        "Quy chế quy-che",
        "Nội dung cần đọc.",
        STATEMENT,
    ));
    let rounds: Vec<(i64, i64, &str)> = history
        .iter()
        .map(|c| (c.round, c.version, c.text_hash.as_str()))
        .collect();
    assert_eq!(rounds, [(2, 1, hash.as_str()), (1, 1, hash.as_str())]);
    let standing = ack_status::confirmations(db, id, 1).await.unwrap();
    assert_eq!(standing.len(), 1);
    assert_eq!(standing[0].round, 2);
    // The editor's page shows the rounds side by side.
    let (editor, _) = sign_in(&app, Role::Editor, "Biên Tập").await;
    let page = editor
        .page(&format!("/admin/bai-viet/{id}/xac-nhan"), 200)
        .await;
    assert_eq!(
        texts(&page, ".ack-rounds tbody th"),
        ["Đợt 1 (năm 2018)", "Đợt 2 (năm 2019) — đợt hiện tại"]
    );
    assert_eq!(texts(&page, ".ack-rounds tbody td"), ["1", "1"]);

    // After a year of downtime the latest missed date opens (late), not every missed one.
    let r = renewal::run(db, vn(2021, 10, 3, 9)).await.unwrap();
    assert_eq!(r.opened, [(id, 3)]);
    let rounds = ack_rounds::rounds(db, id).await.unwrap();
    let on: Vec<&str> = rounds.iter().map(|r| r.opens_on.as_str()).collect();
    assert_eq!(on, ["2018-10-01", "2019-09-01", "2021-09-01"]);
    assert_eq!(header_count(&b).await, 1);
}

async fn two_instances_open_a_round_once(db: TestDb) {
    let other = db.connect().await;
    let app = spawn(db).await;
    let id = yearly(&app).await;
    let at = vn(2019, 9, 1, 0);
    for _ in 0..3 {
        let (a, b) = tokio::join!(renewal::run(&app.state.db, at), renewal::run(&other, at));
        let opened = a.unwrap().opened.len() + b.unwrap().opened.len();
        assert!(opened <= 1);
    }
    // The first round got its row when the second opened; the second is there once.
    let rounds = ack_rounds::rounds(&app.state.db, id).await.unwrap();
    let years: Vec<(i64, &str)> = rounds.iter().map(|r| (r.round, r.year())).collect();
    assert_eq!(years, [(1, "2018"), (2, "2019")]);
    let s = ack_settings::settings(&other, id).await.unwrap().unwrap();
    assert_eq!(s.current_round, 2);
}

/// The employee confirms `quy-che` with the button.
async fn confirm(b: &crate::helpers::Browser) {
    assert_eq!(
        b.post("/bai-viet/quy-che/xac-nhan", &[]).await.status(),
        303
    );
}

/// A Vietnam wall-clock time to the second.
fn vn_s(y: i32, m: u32, d: u32, h: u32, min: u32, sec: u32) -> DateTime<Utc> {
    loa::time::vietnam()
        .with_ymd_and_hms(y, m, d, h, min, sec)
        .unwrap()
        .with_timezone(&Utc)
}

async fn each_round_keeps_its_due_date_and_the_evidence_names_the_rounds(db: TestDb) {
    let app = spawn(db).await;
    let id = yearly(&app).await;
    let db = &app.state.db;
    let set_due = |due: DateTime<Utc>| async move {
        db.pool()
            .execute(
                "update ack_settings set due_at = $2 where article_id = $1",
                params![id, due],
            )
            .await
            .unwrap();
    };
    let first_due = vn_s(2018, 10, 15, 23, 59, 59);
    set_due(first_due).await;
    let (b, _) = employee(&app, "nv@loa.test", "Nguyễn Văn", Some("van-phong")).await;
    confirm(&b).await;
    assert_eq!(
        renewal::run(db, vn(2019, 9, 1, 0)).await.unwrap().opened,
        [(id, 2)]
    );
    confirm(&b).await;
    // The editor moves round 2's due date; round 3 opens a year later with its own.
    let moved = vn_s(2019, 9, 30, 23, 59, 59);
    set_due(moved).await;
    assert_eq!(
        renewal::run(db, vn(2020, 9, 1, 8)).await.unwrap().opened,
        [(id, 3)]
    );
    let third_due = vn_s(2020, 9, 15, 23, 59, 59);
    let dues: Vec<(i64, String, Option<DateTime<Utc>>)> = ack_rounds::due_dates(db, id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.round, r.opens_on, r.due_at))
        .collect();
    let day = |s: &str| s.to_owned();
    assert_eq!(
        dues,
        [
            (1, day("2018-10-01"), Some(first_due)),
            (2, day("2019-09-01"), Some(moved)),
            (3, day("2020-09-01"), Some(third_due)),
        ]
    );

    // The evidence export, through the page: each event's round, and the rounds' due dates.
    let (editor, _) = sign_in(&app, Role::Editor, "Biên Tập").await;
    let page_path = format!("/admin/bai-viet/{id}/xac-nhan/bang-chung");
    let mut files = Vec::new();
    for ext in ["csv", "xlsx"] {
        let r = editor.post(&page_path, &[("dinh_dang", ext)]).await;
        assert_eq!(r.status(), 303);
        let page = editor.page(&location(&r), 200).await;
        let link = attrs(&page, "#tai-tep", "href").pop().unwrap();
        let name = today_name("quy-che-bang-chung", ext);
        files.push(download(&editor, &link, &name).await);
    }
    assert_eq!(csv_column(&files[0], "Đợt"), ["1", "2"]);
    let book = &files[1];
    assert_eq!(sheet_names(book), ["Sự kiện", "Phiên bản", "Đợt xác nhận"]);
    let d = |y, m, dd| X::Day(chrono::NaiveDate::from_ymd_opt(y, m, dd).unwrap());
    check_sheet(
        book,
        "Đợt xác nhận",
        &[
            headers(&["Đợt", "Mở ngày", "Hạn xác nhận", "Số cán bộ xác nhận"]),
            vec![X::I(1), d(2018, 10, 1), X::D(first_due), X::I(1)],
            vec![X::I(2), d(2019, 9, 1), X::D(moved), X::I(1)],
            vec![X::I(3), d(2020, 9, 1), X::D(third_due), X::I(0)],
        ],
    );
}

async fn the_dashboard_shows_last_years_round_beside_this_one_per_unit(db: TestDb) {
    let app = spawn(db).await;
    yearly(&app).await;
    crate::fixtures::campaign(&app, "hang-nam", &["quy-che"], 100, false).await;
    let mut staff = Vec::new();
    for (email, name) in [
        ("a@loa.test", "Lê A"),
        ("b@loa.test", "Trần B"),
        ("c@loa.test", "Phạm C"),
    ] {
        staff.push(employee(&app, email, name, Some("van-phong")).await.0);
    }
    confirm(&staff[0]).await;
    confirm(&staff[1]).await;
    let (editor, _) = sign_in(&app, Role::Editor, "Biên Tập").await;
    let path = "/admin/chien-dich/hang-nam";
    let page = editor.page(path, 200).await;
    assert_eq!(
        count(&page, ".previous-round, #dot-truoc"),
        0,
        "no earlier round yet"
    );

    // 2019's round opens; one of last year's two confirms again.
    renewal::run(&app.state.db, vn(2019, 9, 1, 0))
        .await
        .unwrap();
    confirm(&staff[0]).await;
    for (path, row) in [
        (
            path.to_owned(),
            "table.campaign-units tr[data-unit=van-phong] td.num",
        ),
        (format!("{path}/in"), "table.unit-tree tr.depth-0 td.num"),
    ] {
        let page = editor.page(&path, 200).await;
        assert!(page.contains("Đợt trước (năm 2018)"), "{path}");
        // Phải xác nhận, đã xác nhận, tỷ lệ, then last year's round.
        let cells = texts(&page, row);
        assert_eq!(cells[..4], ["3", "1", "33,3%", "2 / 3 (66,7%)"], "{path}");
    }
    let page = editor.page(path, 200).await;
    assert_eq!(
        texts(&page, "#dot-truoc"),
        ["Đợt trước (năm 2018): 2 / 3 lượt xác nhận (66,7%)."]
    );
    assert_eq!(texts(&page, "th.previous-round"), ["Đợt trước (năm 2018)"]);
    // A unit with nobody to confirm shows a dash, not 0%.
    assert_eq!(
        texts(&page, "tr[data-unit=trung-tam] td.previous-round"),
        ["—"]
    );
    // The unit roll-up export has the same columns: van-phong, the three other units, the total.
    let csv = download(
        &editor,
        "/admin/chien-dich/hang-nam/xuat/don-vi.csv",
        &today_name("hang-nam-don-vi", "csv"),
    )
    .await;
    let column = |name: &str| csv_column(&csv, &format!("Đợt trước (năm 2018): {name}"));
    assert_eq!(column("lượt đã xác nhận"), ["2", "0", "0", "0", "2"]);
    assert_eq!(column("tỷ lệ"), ["66.7%", "", "", "", "66.7%"]);
    assert_eq!(
        csv_column(&csv, "Lượt đã xác nhận"),
        ["1", "0", "0", "0", "1"]
    );
}

async fn n_day_renewal_counts_from_each_persons_confirmation(db: TestDb) {
    let app = spawn(db).await;
    let id = require_ack(&app, "quy-che", &["van-phong"], None, None).await;
    let db = &app.state.db;
    db.pool()
        .execute(
            "update ack_settings set renew_every_days = 365, citizens = true \
             where article_id = $1",
            params![id],
        )
        .await
        .unwrap();
    // A citizen confirms too: citizens are never asked again, so theirs never lapses.
    let r = app
        .browser()
        .post(
            "/bai-viet/quy-che/nguoi-dan-xac-nhan",
            &[
                ("name", "Người Dân"),
                ("phone", "0912000009"),
                ("email", ""),
                ("locality", "huyen-bu-dang"),
                ("consent", "1"),
                ("website", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    db.pool()
        .execute(
            "update ack_events set created_at = $1 where citizen_id is not null",
            params![loa::time::now() - Duration::days(400)],
        )
        .await
        .unwrap();
    let (early, early_id) = employee(&app, "a@loa.test", "Lê A", Some("van-phong")).await;
    let (late, _) = employee(&app, "b@loa.test", "Trần B", Some("van-phong")).await;
    for b in [&early, &late] {
        assert_eq!(
            b.post("/bai-viet/quy-che/xac-nhan", &[]).await.status(),
            303
        );
    }
    // The first confirmed 400 days ago, the second 10 days ago.
    let now = loa::time::now();
    for (user, days) in [(early_id, 400), (early_id + 1, 10)] {
        db.pool()
            .execute(
                "update ack_events set created_at = $2 where user_id = $1",
                params![user, now - Duration::days(days)],
            )
            .await
            .unwrap();
    }
    assert_eq!(renewal::run(db, now).await.unwrap().lapsed, 1);
    assert_eq!(renewal::run(db, now).await.unwrap().lapsed, 0);
    assert_eq!(header_count(&early).await, 1);
    assert_eq!(header_count(&late).await, 0);
    let page = early.page("/bai-viet/quy-che", 200).await;
    assert_eq!(
        texts(&page, ".ack-state"),
        ["Chưa xác nhận: xác nhận đã quá 365 ngày, cần xác nhận lại"]
    );

    // Confirming again counts from now; the lapsed one stays in the history.
    assert_eq!(
        early.post("/bai-viet/quy-che/xac-nhan", &[]).await.status(),
        303
    );
    assert_eq!(header_count(&early).await, 0);
    assert_eq!(
        ack_status::history_of(db, id, early_id)
            .await
            .unwrap()
            .len(),
        2
    );
    // 356 days on, only the second person's year is over.
    assert_eq!(
        renewal::run(db, now + Duration::days(356))
            .await
            .unwrap()
            .lapsed,
        1
    );
    assert_eq!(header_count(&early).await, 0);
    assert_eq!(header_count(&late).await, 1);
}

async fn the_editor_sets_the_rule_and_bad_input_changes_nothing(db: TestDb) {
    let app = spawn(db).await;
    let id = require_ack(&app, "quy-che", &[], None, None).await;
    let (editor, _) = sign_in(&app, Role::Editor, "Biên Tập").await;
    let base = [("ack_present", "1"), ("ack_staff", "all")];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut f = base.to_vec();
        f.extend_from_slice(extra);
        f
    };
    let r = save(
        &editor,
        id,
        &with(&[
            ("ack_renew", "dates"),
            ("ack_renew_on", "09-01, 03-15"),
            ("ack_renew_due_days", "14"),
        ]),
        "luu",
    )
    .await;
    assert_eq!(r.status(), 303);
    let dates = Renewal::OnDates {
        dates: vec![(3, 15), (9, 1)],
        due_days: Some(14),
    };
    assert_eq!(rule(&app, id).await, dates);
    let page = editor.page(&format!("/admin/bai-viet/{id}"), 200).await;
    assert_eq!(attrs(&page, "#ack_renew_on", "value"), ["03-15, 09-01"]);

    // A date that does not exist: the form comes back with the message, nothing changes.
    let r = save(
        &editor,
        id,
        &with(&[("ack_renew", "dates"), ("ack_renew_on", "02-30")]),
        "luu",
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert_eq!(
        texts(&html, "#ack_renew-error"),
        ["Ngày gia hạn \"02-30\" không hợp lệ: ghi tháng-ngày, ví dụ 09-01."]
    );
    assert_eq!(rule(&app, id).await, dates);

    let r = save(
        &editor,
        id,
        &with(&[("ack_renew", "days"), ("ack_renew_every_days", "365")]),
        "luu",
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(rule(&app, id).await, Renewal::EveryDays(365));
    let r = save(&editor, id, &with(&[("ack_renew", "none")]), "luu").await;
    assert_eq!(r.status(), 303);
    assert_eq!(rule(&app, id).await, Renewal::None);
}

/// The renewal rule stored for the article.
async fn rule(app: &TestApp, id: i64) -> Renewal {
    let s = ack_settings::settings(&app.state.db, id).await.unwrap();
    s.unwrap().to_settings().renewal
}
