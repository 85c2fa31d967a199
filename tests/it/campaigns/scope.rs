//! A unit head sees their own unit and everything below it — the dashboard, the lists, the
//! printable report, a person's page, "Nhắc ngay" — and nothing of another unit, whatever the
//! URL, query or form says. Employees and authors are refused; editors see everything.

use loa::account::Role;
use loa::db::campaigns::{self, Scope};
use loa::params;

use super::rollup::{scenario, tech_head};
use crate::db_tests;
use crate::fixtures::person;
use crate::helpers::{count, location, texts, TestDb};

db_tests!(
    a_unit_head_sees_their_subtree_and_nothing_else,
    employees_and_authors_are_refused_and_only_heads_get_the_link,
);

async fn a_unit_head_sees_their_subtree_and_nothing_else(db: TestDb) {
    let s = scenario(db).await;
    let app = &s.app;
    let head = tech_head(app).await;
    // The header's link, and the list of their unit.
    let list = head.page("/admin/chien-dich", 200).await;
    assert_eq!(
        texts(&list, "a[href='/admin/chien-dich']")
            .first()
            .map(String::as_str),
        Some("Đơn vị của tôi")
    );
    assert_eq!(texts(&list, "h1"), ["Đơn vị của tôi: Phòng Kỹ thuật"]);
    assert_eq!(count(&list, "a[href='/admin/chien-dich/moi']"), 0);
    assert_eq!(count(&list, ".admin-nav a[href='/admin/bai-viet']"), 0);

    let page = head.page("/admin/chien-dich/thu-nghiem", 200).await;
    assert_eq!(
        texts(&page, "#pham-vi"),
        ["Phòng Kỹ thuật và các đơn vị trực thuộc"]
    );
    let rows: Vec<String> = crate::helpers::attrs(&page, ".campaign-units tbody tr", "data-unit");
    assert_eq!(rows, ["phong-ky-thuat", "to-mang"]);
    // The figures are those of the subtree (the head is in it too).
    let tech = app
        .state
        .db
        .pool()
        .fetch_i64("select id from units where slug = 'phong-ky-thuat'", vec![])
        .await
        .unwrap();
    let c = campaigns::by_slug(&app.state.db, "thu-nghiem")
        .await
        .unwrap()
        .unwrap();
    let p = campaigns::staff_progress(&app.state.db, &c, Scope::Unit(tech), loa::time::now())
        .await
        .unwrap();
    assert_eq!(p.overall.audience, 10);
    let units = texts(&page, ".campaign-units tr[data-unit='phong-ky-thuat'] td");
    assert_eq!(units[1], p.overall.audience.to_string());
    assert_eq!(units[2], p.overall.confirmed.to_string());
    // Only the subtree's people, and no links to the agency-wide pages.
    let names = texts(&page, ".campaign-pending tbody td:first-child");
    // The most overdue first (by unit, then name), then the others.
    assert_eq!(
        names,
        [
            "Giang Kỹ thuật",
            "Trưởng Kỹ thuật",
            "Hà Mạng",
            "Dũng Kỹ thuật"
        ]
    );
    for outsider in [
        "Bình Văn phòng",
        "Cường Trung tâm",
        "Khánh Hành chính",
        "An Văn phòng",
    ] {
        assert!(!page.contains(outsider), "{outsider} leaked");
    }
    assert_eq!(count(&page, "a[href^='/admin/bai-viet/']"), 0);
    assert_eq!(
        count(&page, "a[href='/admin/chien-dich/thu-nghiem/sua']"),
        0
    );

    // Below: allowed. Beside or above: 403, on every page that takes a unit.
    head.page("/admin/chien-dich/thu-nghiem?don_vi=to-mang", 200)
        .await;
    for other in ["van-phong", "trung-tam", "phong-hanh-chinh"] {
        head.page(&format!("/admin/chien-dich/thu-nghiem?don_vi={other}"), 403)
            .await;
        head.page(
            &format!("/admin/chien-dich/thu-nghiem/in?don_vi={other}"),
            403,
        )
        .await;
    }
    let print = head.page("/admin/chien-dich/thu-nghiem/in", 200).await;
    assert!(!print.contains("Bình Văn phòng"));
    assert!(print.contains("Hà Mạng"));
    // A person outside the subtree is not found; one inside is.
    head.page(
        &format!("/admin/chien-dich/thu-nghiem/nguoi/{}", s.people["vp1"]),
        404,
    )
    .await;
    head.page(
        &format!("/admin/chien-dich/thu-nghiem/nguoi/{}", s.people["m1"]),
        200,
    )
    .await;
    // Urging another unit: refused, nobody reminded.
    let r = head
        .post(
            "/admin/chien-dich/thu-nghiem/nhac-ngay",
            &[("don_vi", "van-phong")],
        )
        .await;
    assert_eq!(r.status(), 403);
    let reminded = |db: loa::db::Db| async move {
        db.pool()
            .fetch_i64("select count(*) from ack_reminders", vec![])
            .await
            .unwrap()
    };
    assert_eq!(reminded(app.state.db.clone()).await, 0);
    // Urging their own: the subtree's pending people only.
    let r = head
        .post("/admin/chien-dich/thu-nghiem/nhac-ngay", &[("don_vi", "")])
        .await;
    assert_eq!(r.status(), 303);
    assert!(
        location(&r).contains("don_vi=phong-ky-thuat"),
        "{}",
        location(&r)
    );
    let outside = app
        .state
        .db
        .pool()
        .fetch_i64(
            "select count(*) from ack_reminders r join users u on u.id = r.user_id \
             where u.unit_id not in (select id from units where slug in \
             ('phong-ky-thuat', 'to-mang'))",
            params![],
        )
        .await
        .unwrap();
    assert_eq!(outside, 0);
    assert_eq!(
        app.state
            .db
            .pool()
            .fetch_i64(
                "select count(distinct user_id) from ack_reminders where channel = 'in_app'",
                vec![]
            )
            .await
            .unwrap(),
        4
    );
    // No editing, whatever the form.
    head.page("/admin/chien-dich/moi", 403).await;
    head.page("/admin/chien-dich/thu-nghiem/sua", 403).await;
    let r = head
        .post(
            "/admin/chien-dich/moi",
            &[
                ("name", "Của tôi"),
                ("starts_on", "2020-01-01"),
                ("ends_on", "2020-02-01"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(campaigns::list(&app.state.db).await.unwrap().len(), 1);
}

async fn employees_and_authors_are_refused_and_only_heads_get_the_link(db: TestDb) {
    let s = scenario(db).await;
    let app = &s.app;
    let (employee, _) = person(
        app,
        "nv@loa.test",
        "Nhân viên",
        Role::Employee,
        Some("phong-ky-thuat"),
        false,
    )
    .await;
    let (author, _) = person(app, "tg@loa.test", "Tác giả", Role::Author, None, false).await;
    // A head without a unit heads nothing.
    let (headless, _) = person(app, "tr@loa.test", "Trưởng", Role::Employee, None, true).await;
    for b in [&employee, &author, &headless] {
        for path in [
            "/admin/chien-dich",
            "/admin/chien-dich/thu-nghiem",
            "/admin/chien-dich/thu-nghiem?don_vi=phong-ky-thuat",
            "/admin/chien-dich/thu-nghiem/in",
            "/admin/chien-dich/moi",
        ] {
            b.page(path, 403).await;
        }
        let home = b.page("/", 200).await;
        assert_eq!(count(&home, "a[href='/admin/chien-dich']"), 0);
    }
    let r = app.get("/admin/chien-dich/thu-nghiem").await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/dang-nhap?next="));
    // Editors see every unit's row and may open any of them.
    let (editor, _) = person(app, "bt@loa.test", "Biên tập", Role::Editor, None, false).await;
    let page = editor.page("/admin/chien-dich/thu-nghiem", 200).await;
    assert_eq!(count(&page, ".campaign-units tbody tr"), 6);
    assert_eq!(count(&page, ".campaign-units tbody tr a"), 5);
    editor
        .page("/admin/chien-dich/thu-nghiem?don_vi=van-phong", 200)
        .await;
}
