//! Scheduling from the editor: the one-minute lead, rescheduling and unscheduling in the audit
//! log, no scheduling of a live article, and the end of publication ("Gỡ bài lúc").

use chrono::{DateTime, Duration, Utc};
use loa::account::Role;
use loa::time::{format_datetime, vietnam};

use crate::db_tests;
use crate::fixtures::articles::{
    act, assert_scheduled, audit_actions, create, editor_on_empty_site, row, save, schedule,
    sign_in, strings,
};
use crate::helpers::{attrs, count, texts, TestApp, TestDb};

db_tests!(
    a_schedule_needs_a_minute_of_lead,
    rescheduling_and_unscheduling_are_audited,
    a_published_article_is_archived_before_it_is_scheduled_again,
    the_end_of_publication_is_set_kept_cleared_and_checked,
);

/// The earliest time the editor accepts at `now`: a minute ahead, rounded up to the minute.
fn earliest(now: DateTime<Utc>) -> DateTime<Utc> {
    let t = now + Duration::seconds(60);
    let secs = t.timestamp();
    if secs % 60 == 0 && t.timestamp_subsec_nanos() == 0 {
        t
    } else {
        DateTime::from_timestamp(secs - secs % 60 + 60, 0).unwrap()
    }
}

/// What a `datetime-local` input sends for `t`, to the second.
fn local_seconds(t: DateTime<Utc>) -> String {
    t.with_timezone(&vietnam())
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

/// The audit details of one action on an article, oldest first.
async fn audit_details(app: &TestApp, id: i64, action: &str) -> Vec<String> {
    let sql = "select detail from audit_log where target_type = 'article' and target_id = $1 \
               and action = $2 order by id";
    strings(app, sql, loa::params![id, action]).await
}

async fn a_schedule_needs_a_minute_of_lead(db: TestDb) {
    let (app, editor) = editor_on_empty_site(db).await;
    let id = create(&editor, "Thông báo sắp đăng", "Nội dung.", "luu").await;

    // 30 seconds ahead: refused, with the earliest time allowed, in Vietnam time.
    let before = loa::time::now();
    let soon = local_seconds(before + Duration::seconds(30));
    let r = save(&editor, id, &[("publish_at", soon.as_str())], "len-lich").await;
    assert_eq!(r.status(), 422);
    let after = loa::time::now();
    let page = r.text().await.unwrap();
    let error = texts(&page, "#publish_at-error").join(" ");
    assert!(error.contains("ít nhất một phút"), "{error}");
    assert!(
        [earliest(before), earliest(after)]
            .iter()
            .any(|t| error.contains(&format!("{} (giờ Việt Nam)", format_datetime(*t)))),
        "{error}"
    );
    let a = row(&app, id).await;
    assert_eq!(
        (a.status.as_str(), a.version, a.publish_at),
        ("draft", 1, None)
    );

    // The same from the new-article form.
    let r = editor
        .post(
            "/admin/bai-viet/moi",
            &[
                ("title", "Bài mới quá sớm"),
                ("body", "x"),
                ("publish_at", soon.as_str()),
                ("action", "len-lich"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);

    // Two minutes ahead (to the minute, as the input sends it): scheduled.
    let later = loa::time::now() + Duration::minutes(2);
    let minute = later
        .with_timezone(&vietnam())
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let r = save(&editor, id, &[("publish_at", minute.as_str())], "len-lich").await;
    assert_eq!(r.status(), 303);
    let a = row(&app, id).await;
    assert_eq!(a.status, "scheduled");
    assert_eq!(
        a.publish_at.map(format_datetime),
        Some(format_datetime(later))
    );
    app.page("/bai-viet/thong-bao-sap-dang", 404).await;
}

async fn rescheduling_and_unscheduling_are_audited(db: TestDb) {
    let (app, editor) = editor_on_empty_site(db).await;
    let id = create(&editor, "Dời lịch", "Nội dung.", "luu").await;

    let r = schedule(&editor, id, "2099-09-15T07:00").await;
    assert_eq!(r.status(), 303);
    // Again with a new time: a reschedule, old and new times in the log.
    let r = schedule(&editor, id, "2099-09-16T08:30").await;
    assert_eq!(r.status(), 303);
    assert_scheduled(&app, id, "2099-09-16T01:30:00+00:00").await;
    // "Lưu" with a changed time is a reschedule too, not a silently dropped field.
    let r = save(&editor, id, &[("publish_at", "2099-09-17T09:00")], "luu").await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        row(&app, id).await.publish_at.unwrap().to_rfc3339(),
        "2099-09-17T02:00:00+00:00"
    );
    let details = audit_details(&app, id, "article.schedule").await;
    assert_eq!(details.len(), 3, "{details:?}");
    assert!(details[0].contains("07:00 15/09/2099"), "{details:?}");
    assert!(
        details[1].contains("07:00 15/09/2099 → 08:30 16/09/2099"),
        "{details:?}"
    );
    assert!(
        details[2].contains("08:30 16/09/2099 → 09:00 17/09/2099"),
        "{details:?}"
    );

    // The editor offers the cancel button; cancelling is audited with the time it cancels.
    let page = editor.page(&format!("/admin/bai-viet/{id}"), 200).await;
    assert_eq!(
        count(
            &page,
            &format!("form[action='/admin/bai-viet/{id}/huy-lich'] button")
        ),
        1
    );
    let r = act(&editor, id, "huy-lich").await;
    assert_eq!(r.status(), 303);
    let a = row(&app, id).await;
    assert_eq!((a.status.as_str(), a.publish_at), ("draft", None));
    let cancelled = audit_details(&app, id, "article.unschedule").await;
    assert_eq!(cancelled.len(), 1);
    assert!(cancelled[0].contains("09:00 17/09/2099"), "{cancelled:?}");
    assert_eq!(
        audit_actions(&app, id).await,
        [
            "article.create",
            "article.schedule",
            "article.schedule",
            "article.schedule",
            "article.unschedule"
        ]
    );
}

async fn a_published_article_is_archived_before_it_is_scheduled_again(db: TestDb) {
    let (app, editor) = editor_on_empty_site(db).await;
    let id = create(&editor, "Đang đăng", "Nội dung.", "xuat-ban").await;
    let published = row(&app, id).await;
    assert_eq!(published.status, "published");

    // No "Lên lịch" on a published article, and the action itself is refused.
    let page = editor.page(&format!("/admin/bai-viet/{id}"), 200).await;
    assert_eq!(count(&page, "button[value=len-lich]"), 0);
    let r = schedule(&editor, id, "2099-01-01T07:00").await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    let message = texts(&page, "#form-error").join(" ");
    assert!(
        message.contains("Lưu trữ") && message.contains("không thể lên lịch"),
        "{message}"
    );
    let a = row(&app, id).await;
    assert_eq!(
        (a.status.as_str(), a.version, a.publish_at),
        ("published", published.version, published.publish_at)
    );
    app.page("/bai-viet/dang-dang", 200).await;

    // Archived, it may be scheduled again.
    let r = act(&editor, id, "luu-tru").await;
    assert_eq!(r.status(), 303);
    let page = editor.page(&format!("/admin/bai-viet/{id}"), 200).await;
    assert_eq!(count(&page, "button[value=len-lich]"), 1);
    let r = schedule(&editor, id, "2099-01-01T07:00").await;
    assert_eq!(r.status(), 303);
    assert_scheduled(&app, id, "2099-01-01T00:00:00+00:00").await;
    app.page("/bai-viet/dang-dang", 404).await;
    assert_eq!(
        audit_actions(&app, id).await,
        [
            "article.create",
            "article.publish",
            "article.archive",
            "article.schedule"
        ]
    );
}

async fn the_end_of_publication_is_set_kept_cleared_and_checked(db: TestDb) {
    let (app, editor) = editor_on_empty_site(db).await;
    let (author, _) = sign_in(&app, Role::Author, "Tác Giả").await;
    let id = create(&editor, "Chiến dịch mùa thu", "Nội dung.", "luu").await;

    // An end before (or at) the publication is refused, and nothing changes.
    for end in ["2099-09-15T06:00", "2099-09-15T07:00"] {
        let r = save(
            &editor,
            id,
            &[("publish_at", "2099-09-15T07:00"), ("unpublish_at", end)],
            "len-lich",
        )
        .await;
        assert_eq!(r.status(), 422, "{end}");
        let page = r.text().await.unwrap();
        let error = texts(&page, "#unpublish_at-error").join(" ");
        assert!(
            error.contains("sau thời điểm xuất bản") && error.contains("07:00 15/09/2099"),
            "{error}"
        );
    }
    // Publishing now with an end in the past: refused too.
    let r = save(
        &editor,
        id,
        &[("unpublish_at", "2020-01-01T07:00")],
        "xuat-ban",
    )
    .await;
    assert_eq!(r.status(), 422);
    let a = row(&app, id).await;
    assert_eq!(
        (a.status.as_str(), a.version, a.unpublish_at),
        ("draft", 1, None)
    );

    // Saved with the schedule, and shown in both zones.
    let r = save(
        &editor,
        id,
        &[
            ("publish_at", "2099-09-15T07:00"),
            ("unpublish_at", "2099-10-01T17:00"),
        ],
        "len-lich",
    )
    .await;
    assert_eq!(r.status(), 303);
    let a = row(&app, id).await;
    assert_eq!(a.status, "scheduled");
    assert_eq!(
        a.unpublish_at.unwrap().to_rfc3339(),
        "2099-10-01T10:00:00+00:00"
    );
    let page = editor.page(&format!("/admin/bai-viet/{id}"), 200).await;
    assert_eq!(
        attrs(&page, "input[name=unpublish_at]", "value"),
        ["2099-10-01T17:00"]
    );
    let ends = texts(&page, ".article-ends").join(" ");
    assert!(
        ends.contains("17:00 01/10/2099") && ends.contains("10:00 01/10/2099 UTC"),
        "{ends}"
    );
    assert!(audit_details(&app, id, "article.schedule").await[0]
        .contains("gỡ bài lúc không → 17:00 01/10/2099"));

    // A form without the field keeps the end; authors never get to set it.
    assert_eq!(
        save(&editor, id, &[("title", "Chiến dịch mùa thu 2099")], "luu")
            .await
            .status(),
        303
    );
    assert_eq!(row(&app, id).await.unpublish_at, a.unpublish_at);
    let author_page = author.page("/admin/bai-viet/moi", 200).await;
    assert_eq!(count(&author_page, "input[name=unpublish_at]"), 0);
    let r = author
        .post(
            "/admin/bai-viet/moi",
            &[
                ("title", "Tự đặt ngày gỡ"),
                ("body", "x"),
                ("unpublish_at", "2099-10-01T17:00"),
                ("action", "luu"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);

    // Published, the scheduler archives it at the end.
    let r = save(&editor, id, &[], "xuat-ban").await;
    assert_eq!(r.status(), 303);
    assert_eq!(row(&app, id).await.status, "published");
    let end = a.unpublish_at.unwrap();
    let report = loa::jobs::publication::run_due(&app.state.db, end - Duration::seconds(1))
        .await
        .unwrap();
    assert!(report.archived.is_empty());
    let report = loa::jobs::publication::run_due(&app.state.db, end)
        .await
        .unwrap();
    assert_eq!(report.archived, [id]);
    assert_eq!(row(&app, id).await.status, "archived");

    // Scheduled again, the old end (now before the new publication) must go: cleared, it does.
    let r = schedule(&editor, id, "2099-11-01T07:00").await;
    assert_eq!(r.status(), 422);
    let r = save(
        &editor,
        id,
        &[("publish_at", "2099-11-01T07:00"), ("unpublish_at", "")],
        "len-lich",
    )
    .await;
    assert_eq!(r.status(), 303);
    let a = row(&app, id).await;
    assert_eq!((a.status.as_str(), a.unpublish_at), ("scheduled", None));
}
