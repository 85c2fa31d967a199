//! The publishing calendar and the background jobs page, and who may open them.

use chrono::Duration;
use loa::account::Role;
use loa::db::jobs::Outcome;
use loa::time::vietnam;

use crate::db_tests;
use crate::fixtures::articles::{create, schedule, sign_in};
use crate::helpers::{attrs, count, texts, ContentDir, TestApp, TestDb};

db_tests!(
    the_calendar_lists_publications_and_ends_by_vietnam_day,
    the_jobs_page_shows_every_job_and_its_failures,
    the_calendar_is_for_writers_and_the_jobs_page_for_admins,
);

/// The calendar's days: each heading with the text of its events.
fn calendar_days(html: &str) -> Vec<(String, Vec<String>)> {
    let doc = scraper::Html::parse_document(html);
    let day = scraper::Selector::parse("section.calendar-day").unwrap();
    let heading = scraper::Selector::parse("h2").unwrap();
    let event = scraper::Selector::parse("li.calendar-event").unwrap();
    let text = |e: scraper::ElementRef| {
        e.text()
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    doc.select(&day)
        .map(|d| {
            (
                d.select(&heading).next().map(text).unwrap_or_default(),
                d.select(&event).map(text).collect(),
            )
        })
        .collect()
}

async fn the_calendar_lists_publications_and_ends_by_vietnam_day(db: TestDb) {
    let content = ContentDir::new();
    let article = |slug: &str, title: &str, front: &str| {
        content.article(
            &format!("{slug}.md"),
            &format!("title = \"{title}\"\nslug = \"{slug}\"\n{front}"),
            "Nội dung.",
        );
    };
    article(
        "cuoi-nam",
        "Bài đêm giao thừa",
        "status = \"scheduled\"\npublish_at = \"2099-12-31T23:30:00+07:00\"",
    );
    article(
        "dau-nam",
        "Bài đầu năm <mới>",
        "status = \"scheduled\"\npublish_at = \"2100-01-01T00:00:00+07:00\"",
    );
    article(
        "het-han",
        "Chiến dịch kết thúc",
        "status = \"published\"\npublish_at = \"2018-09-01T08:00:00+07:00\"\n\
         unpublish_at = \"2100-01-10T09:15:00+07:00\"",
    );
    article(
        "da-xoa",
        "Bài đã xoá",
        "status = \"scheduled\"\npublish_at = \"2099-12-20T08:00:00+07:00\"",
    );
    article(
        "ban-nhap",
        "Bản nháp có ngày",
        "status = \"draft\"\npublish_at = \"2099-12-21T08:00:00+07:00\"",
    );
    let app = TestApp::spawn(db, content.path()).await;
    app.state
        .db
        .pool()
        .execute(
            "update articles set deleted_at = $1 where slug = 'da-xoa'",
            loa::params![loa::time::now()],
        )
        .await
        .unwrap();
    let (editor, _) = sign_in(&app, Role::Editor, "Biên Tập").await;

    let page = editor.page("/admin/lich?tu=2099-12-01", 200).await;
    let days = calendar_days(&page);
    assert_eq!(
        days,
        [
            (
                "Thứ Năm, 31/12/2099".to_owned(),
                vec!["23:30 Xuất bản Bài đêm giao thừa (Đã lên lịch)".to_owned()]
            ),
            (
                "Thứ Sáu, 01/01/2100".to_owned(),
                vec!["00:00 Xuất bản Bài đầu năm <mới> (Đã lên lịch)".to_owned()]
            ),
            (
                "Chủ Nhật, 10/01/2100".to_owned(),
                vec!["09:15 Gỡ bài Chiến dịch kết thúc (Đã xuất bản)".to_owned()]
            ),
        ]
    );
    assert!(!page.contains("Bài đầu năm <mới>"), "titles are escaped");
    let id = |slug: &'static str| {
        let db = app.state.db.clone();
        async move {
            db.pool()
                .fetch_i64(
                    "select id from articles where slug = $1",
                    loa::params![slug],
                )
                .await
                .unwrap()
        }
    };
    assert_eq!(
        attrs(&page, "li.calendar-event a", "href"),
        [
            format!("/admin/bai-viet/{}", id("cuoi-nam").await),
            format!("/admin/bai-viet/{}", id("dau-nam").await),
            format!("/admin/bai-viet/{}", id("het-han").await),
        ]
    );

    // Sixty days from the chosen day: a later start leaves the December article out.
    let page = editor.page("/admin/lich?tu=2100-01-01", 200).await;
    let headings: Vec<String> = calendar_days(&page).into_iter().map(|d| d.0).collect();
    assert_eq!(headings, ["Thứ Sáu, 01/01/2100", "Chủ Nhật, 10/01/2100"]);
    // From 02/11, sixty days end at midnight of 01/01: the 23:30 article is in, 00:00 is not.
    let page = editor.page("/admin/lich?tu=2099-11-02", 200).await;
    let headings: Vec<String> = calendar_days(&page).into_iter().map(|d| d.0).collect();
    assert_eq!(headings, ["Thứ Năm, 31/12/2099"]);

    // By default, from now: nothing of 2099 yet, and a schedule of the day after tomorrow shows.
    let page = editor.page("/admin/lich", 200).await;
    assert!(calendar_days(&page).is_empty());
    assert_eq!(count(&page, "p.empty"), 1);
    let soon = loa::time::now() + Duration::days(2);
    let minute = soon
        .with_timezone(&vietnam())
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let new = editor
        .post(
            "/admin/bai-viet/moi",
            &[
                ("title", "Sắp đăng"),
                ("body", "x"),
                ("publish_at", minute.as_str()),
                ("action", "len-lich"),
            ],
        )
        .await;
    assert_eq!(new.status(), 303);
    let page = editor.page("/admin/lich", 200).await;
    let days = calendar_days(&page);
    assert_eq!(days.len(), 1);
    assert!(
        days[0].0.ends_with(&loa::time::format_date(soon)),
        "{days:?}"
    );
    assert!(days[0].1[0].contains("Sắp đăng"));

    // A day that is not one: 422 with a message, and the default view.
    let r = editor.get("/admin/lich?tu=31-31-2099").await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert_eq!(count(&page, "#tu-error"), 1);
}

async fn the_jobs_page_shows_every_job_and_its_failures(db: TestDb) {
    let app = TestApp::spawn(db, ContentDir::new().path()).await;
    let (admin, _) = sign_in(&app, Role::Admin, "Quản Trị").await;

    let page = admin.page("/admin/tac-vu", 200).await;
    assert_eq!(count(&page, "#tac-vu-publication"), 1);
    assert_eq!(count(&page, "#tac-vu-cleanup"), 1);
    assert!(texts(&page, "#tac-vu-publication h2")[0].contains("Xuất bản theo lịch"));
    assert!(texts(&page, "#tac-vu-cleanup .job-facts")
        .join(" ")
        .contains("0 17 * * * *"));
    assert!(texts(&page, "#tac-vu-publication .job-last-run")[0].contains("Chưa chạy"));
    assert_eq!(count(&page, "table.job-runs"), 0);

    // A run that did something, then a failure with markup in its error.
    let db = &app.state.db;
    let now = loa::time::now();
    loa::db::jobs::register(db, "publication", "* * * * * *", now)
        .await
        .unwrap();
    let ok_at = now - Duration::minutes(5);
    loa::db::jobs::finish(
        db,
        "publication",
        "may-1",
        ok_at,
        ok_at + Duration::milliseconds(40),
        &Outcome::Ok { items: 3 },
    )
    .await
    .unwrap();
    let failed_at = now + Duration::milliseconds(120);
    loa::db::jobs::finish(
        db,
        "publication",
        "may-2",
        now,
        failed_at,
        &Outcome::Failed {
            error: "<script>alert(1)</script> mất kết nối cơ sở dữ liệu".to_owned(),
        },
    )
    .await
    .unwrap();

    let page = admin.page("/admin/tac-vu", 200).await;
    let last = texts(&page, "#tac-vu-publication .job-last-run").join(" ");
    assert!(last.contains("Lỗi") && last.contains("may-2"), "{last}");
    let failure = texts(&page, "#tac-vu-publication .job-last-failure").join(" ");
    let when = failed_at
        .with_timezone(&vietnam())
        .format("%H:%M:%S %d/%m/%Y")
        .to_string();
    assert!(failure.contains(&when), "{failure} / {when}");
    assert!(
        failure.contains("<script>alert(1)</script> mất kết nối"),
        "{failure}"
    );
    assert!(!page.contains("<script>alert(1)"), "the error is escaped");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(texts(&page, "#tac-vu-cleanup .job-last-failure")[0].contains("Chưa có lỗi"));

    // Both runs below, newest first, the failure marked.
    assert_eq!(count(&page, "table.job-runs tbody tr"), 2);
    assert_eq!(count(&page, "table.job-runs tr.run-error"), 1);
    let rows = texts(&page, "table.job-runs tbody tr");
    assert!(
        rows[0].contains("Lỗi") && rows[0].contains("mất kết nối"),
        "{rows:?}"
    );
    assert!(
        rows[1].contains("Thành công") && rows[1].contains("may-1"),
        "{rows:?}"
    );
    let ok_when = ok_at
        .with_timezone(&vietnam())
        .format("%H:%M:%S %d/%m/%Y")
        .to_string();
    assert!(rows[1].contains(&ok_when), "{rows:?}");
}

async fn the_calendar_is_for_writers_and_the_jobs_page_for_admins(db: TestDb) {
    let app = TestApp::spawn(db, ContentDir::new().path()).await;
    let (author, _) = sign_in(&app, Role::Author, "Tác Giả").await;
    let (editor, _) = sign_in(&app, Role::Editor, "Biên Tập").await;
    let (admin, _) = sign_in(&app, Role::Admin, "Quản Trị").await;
    let (employee, _) = sign_in(&app, Role::Employee, "Cán Bộ").await;

    let page = author.page("/admin/lich", 200).await;
    assert!(texts(&page, "p.empty")[0].contains("Không có bài nào"));
    assert_eq!(count(&page, "nav.admin-nav a[href='/admin/lich']"), 1);
    assert_eq!(count(&page, "nav.admin-nav a[href='/admin/tac-vu']"), 0);
    author.page("/admin/tac-vu", 403).await;
    editor.page("/admin/tac-vu", 403).await;
    employee.page("/admin/lich", 403).await;
    let r = app.get("/admin/lich").await;
    assert_eq!(r.status(), 303, "anonymous visitors are sent to sign in");

    let page = admin.page("/admin/tac-vu", 200).await;
    assert_eq!(texts(&page, "h1"), ["Tác vụ nền"]);
    assert_eq!(count(&page, "nav.admin-nav a[href='/admin/tac-vu']"), 1);

    // An author sees what is planned, and the editor only for their own articles.
    let (other, _) = sign_in(&app, Role::Author, "Tác Giả Khác").await;
    let mine = create(&other, "Bài của tác giả khác", "x", "gui-duyet").await;
    let r = schedule(&editor, mine, "2099-05-01T07:00").await;
    assert_eq!(r.status(), 303);
    let page = author.page("/admin/lich?tu=2099-05-01", 200).await;
    assert!(page.contains("Bài của tác giả khác"));
    assert_eq!(count(&page, "li.calendar-event a"), 0);
    let page = other.page("/admin/lich?tu=2099-05-01", 200).await;
    assert_eq!(
        attrs(&page, "li.calendar-event a", "href"),
        [format!("/admin/bai-viet/{mine}")]
    );
}
