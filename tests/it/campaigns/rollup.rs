//! The figures of `db::campaigns` on a three-level tree: a person moved between units, a
//! deactivated person, a major version that resets confirmations, a person without a unit, an
//! article not published yet and one without staff audience.

use loa::account::Role;
use loa::db::campaigns::{self, Cell, Figures, Scope};
use loa::db::units;
use loa::params;

use crate::db_tests;
use crate::fixtures::{
    article_id, campaign, confirm, days_from_now, deactivate, move_to, new_major_version, person,
    require_ack, spawn_tree, unit_id,
};
use crate::helpers::{Browser, TestApp, TestDb};

db_tests!(
    the_roll_up_follows_the_tree_and_the_acknowledgment_rules,
    a_unit_scope_sees_its_subtree_only,
    the_figures_are_those_of_the_per_article_rules,
);

/// The scenario of this module, see the numbers in the first test.
pub struct Scenario {
    pub app: TestApp,
    pub quy_che: i64,
    pub noi_quy: i64,
    pub people: std::collections::HashMap<&'static str, i64>,
}

/// The head of Phòng Kỹ thuật (an employee heading it), signed in on the scenario's site.
pub async fn tech_head(app: &TestApp) -> Browser {
    let (email, name) = ("truong.kt@loa.test", "Trưởng Kỹ thuật");
    let unit = Some("phong-ky-thuat");
    person(app, email, name, Role::Employee, unit, true).await.0
}

pub async fn scenario(db: TestDb) -> Scenario {
    let app = spawn_tree(db, &["quy-che", "noi-quy", "tin-dan", "sap-toi"]).await;
    // quy-che: the Centre and everything below it, overdue; noi-quy: all staff, due later.
    let quy_che = require_ack(
        &app,
        "quy-che",
        &["trung-tam"],
        Some(days_from_now(-3)),
        None,
    )
    .await;
    let noi_quy = require_ack(&app, "noi-quy", &[], Some(days_from_now(5)), None).await;
    // tin-dan: citizens only; sap-toi: all staff, but not published yet.
    let tin_dan = require_ack(&app, "tin-dan", &[], None, None).await;
    let sap_toi = require_ack(&app, "sap-toi", &[], None, None).await;
    let db = &app.state.db;
    db.pool()
        .execute(
            "update ack_settings set staff_all = false, citizens = true where article_id = $1",
            params![tin_dan],
        )
        .await
        .unwrap();
    db.pool()
        .execute(
            "update articles set status = 'draft' where id = $1",
            params![sap_toi],
        )
        .await
        .unwrap();
    let mut people = std::collections::HashMap::new();
    for (key, name, unit) in [
        ("vp1", "An Văn phòng", Some("van-phong")),
        ("vp2", "Bình Văn phòng", Some("van-phong")),
        ("tt1", "Cường Trung tâm", Some("trung-tam")),
        ("kt1", "Dũng Kỹ thuật", Some("phong-ky-thuat")),
        ("kt2", "Giang Kỹ thuật", Some("phong-ky-thuat")),
        ("m1", "Hà Mạng", Some("to-mang")),
        ("hc1", "Khánh Hành chính", Some("phong-hanh-chinh")),
        ("nounit", "Lan Không đơn vị", None),
        ("moved", "Minh Chuyển", Some("van-phong")),
        ("gone", "Nam Nghỉ việc", Some("to-mang")),
    ] {
        let id = app
            .create_user(
                &format!("{key}@loa.test"),
                name,
                loa::account::Role::Employee,
                unit,
                false,
            )
            .await;
        people.insert(key, id);
    }
    campaign(
        &app,
        "thu-nghiem",
        &["quy-che", "noi-quy", "tin-dan", "sap-toi"],
        80,
        false,
    )
    .await;
    for who in ["tt1", "kt1", "m1"] {
        assert!(confirm(&app, quy_che, people[who]).await);
    }
    for who in ["vp1", "moved", "gone", "kt2", "nounit"] {
        assert!(confirm(&app, noi_quy, people[who]).await);
    }
    // A major version of quy-che: its three confirmations no longer count.
    new_major_version(&app, quy_che, "Sửa quy định").await;
    // "moved" leaves the Office for the network team and confirms the new version there.
    move_to(&app, people["moved"], Some("to-mang")).await;
    for who in ["kt1", "moved"] {
        assert!(confirm(&app, quy_che, people[who]).await);
    }
    deactivate(&app, people["gone"]).await;
    Scenario {
        app,
        quy_che,
        noi_quy,
        people,
    }
}

fn figures(audience: i64, confirmed: i64, overdue: i64, target: i64) -> Figures {
    Figures {
        audience,
        confirmed,
        overdue,
        target,
    }
}

async fn campaign_row(app: &TestApp) -> campaigns::CampaignRow {
    campaigns::by_slug(&app.state.db, "thu-nghiem")
        .await
        .unwrap()
        .unwrap()
}

async fn the_roll_up_follows_the_tree_and_the_acknowledgment_rules(db: TestDb) {
    let s = scenario(db).await;
    let app = &s.app;
    let c = campaign_row(app).await;
    let now = loa::time::now();
    let p = campaigns::staff_progress(&app.state.db, &c, Scope::All, now)
        .await
        .unwrap();
    // quy-che: 6 people in the Centre's tree (moved in, gone out), 2 confirmed v2, 4 overdue;
    // noi-quy: 9 active people, 4 confirmed (gone no longer counts).
    assert_eq!(p.overall, figures(15, 6, 4, 12));
    let by_article: Vec<(String, Option<Figures>)> = p
        .articles
        .iter()
        .map(|a| (a.article.slug.clone(), a.figures))
        .collect();
    assert_eq!(
        by_article,
        [
            ("quy-che".to_owned(), Some(figures(6, 2, 4, 5))),
            ("noi-quy".to_owned(), Some(figures(9, 4, 0, 8))),
            ("tin-dan".to_owned(), None),
            ("sap-toi".to_owned(), None),
        ]
    );
    let units: Vec<(String, usize, Figures, Figures)> = p
        .units
        .iter()
        .map(|u| (u.name.clone(), u.depth, u.figures, u.own))
        .collect();
    assert_eq!(
        units,
        [
            (
                "Văn phòng Sở".to_owned(),
                0,
                figures(2, 1, 0, 2),
                figures(2, 1, 0, 2)
            ),
            (
                "Trung tâm".to_owned(),
                0,
                figures(12, 4, 4, 10),
                figures(2, 0, 1, 2)
            ),
            (
                "Phòng Kỹ thuật".to_owned(),
                1,
                figures(8, 4, 2, 7),
                figures(4, 2, 1, 4)
            ),
            (
                "Tổ Mạng".to_owned(),
                2,
                figures(4, 2, 1, 4),
                figures(4, 2, 1, 4)
            ),
            (
                "Phòng Hành chính".to_owned(),
                1,
                figures(2, 0, 1, 2),
                figures(2, 0, 1, 2)
            ),
            (
                campaigns::NO_UNIT.to_owned(),
                0,
                figures(1, 1, 0, 1),
                figures(1, 1, 0, 1)
            ),
        ]
    );
    // The top rows add up to the whole.
    let top: i64 = p
        .units
        .iter()
        .filter(|u| u.depth == 0)
        .map(|u| u.figures.audience)
        .sum();
    assert_eq!(top, p.overall.audience);

    // The pending list: one row per (person, article), 15 − 6 of them.
    let pending = campaigns::pending(&app.state.db, &c, Scope::All, now)
        .await
        .unwrap();
    assert_eq!(pending.len(), 9);
    let overdue: Vec<(&str, &str, bool)> = pending
        .iter()
        .map(|i| {
            (
                i.name.as_str(),
                i.article_slug.as_str(),
                i.days_overdue >= 3,
            )
        })
        .collect();
    assert_eq!(
        overdue,
        [
            ("Bình Văn phòng", "noi-quy", false),
            ("Cường Trung tâm", "quy-che", true),
            ("Cường Trung tâm", "noi-quy", false),
            ("Dũng Kỹ thuật", "noi-quy", false),
            ("Giang Kỹ thuật", "quy-che", true),
            ("Hà Mạng", "quy-che", true),
            ("Hà Mạng", "noi-quy", false),
            ("Khánh Hành chính", "quy-che", true),
            ("Khánh Hành chính", "noi-quy", false),
        ]
    );

    // The same, per person: the most overdue first.
    let people = campaigns::pending_people(&app.state.db, &c, Scope::All, now)
        .await
        .unwrap();
    let people: Vec<(&str, i64, bool)> = people
        .iter()
        .map(|p| (p.name.as_str(), p.articles, p.days_overdue(now) >= 3))
        .collect();
    assert_eq!(
        people,
        [
            ("Cường Trung tâm", 2, true),
            ("Giang Kỹ thuật", 1, true),
            ("Hà Mạng", 2, true),
            ("Khánh Hành chính", 2, true),
            ("Bình Văn phòng", 1, false),
            ("Dũng Kỹ thuật", 1, false),
        ]
    );

    // The matrix: the two counted articles, nine active people.
    let m = campaigns::matrix(&app.state.db, &c, Scope::All, now)
        .await
        .unwrap();
    let columns: Vec<&str> = m.articles.iter().map(|a| a.slug.as_str()).collect();
    assert_eq!(columns, ["quy-che", "noi-quy"]);
    assert_eq!(m.rows.len(), 9);
    let row = |name: &str| m.rows.iter().find(|r| r.name == name).unwrap();
    assert!(matches!(
        row("Minh Chuyển").cells[..],
        [Cell::Confirmed(_), Cell::Confirmed(_)]
    ));
    assert_eq!(row("Minh Chuyển").unit, "Tổ Mạng");
    assert!(matches!(row("Hà Mạng").cells[..], [Cell::Overdue(d), Cell::Pending] if d >= 3));
    assert!(matches!(
        row("An Văn phòng").cells[..],
        [Cell::NotRequired, Cell::Confirmed(_)]
    ));
    assert!(m.rows.iter().all(|r| r.name != "Nam Nghỉ việc"));
    // Confirmed cells and pending items agree with the figures.
    let confirmed = m
        .rows
        .iter()
        .flat_map(|r| &r.cells)
        .filter(|c| matches!(c, Cell::Confirmed(_)))
        .count();
    assert_eq!(confirmed as i64, p.overall.confirmed);
}

async fn a_unit_scope_sees_its_subtree_only(db: TestDb) {
    let s = scenario(db).await;
    let app = &s.app;
    let c = campaign_row(app).await;
    let now = loa::time::now();
    let tech = unit_id(app, "phong-ky-thuat").await;
    let scope = Scope::Unit(tech);
    let p = campaigns::staff_progress(&app.state.db, &c, scope, now)
        .await
        .unwrap();
    assert_eq!(p.overall, figures(8, 4, 2, 7));
    let units: Vec<(&str, usize)> = p.units.iter().map(|u| (u.slug.as_str(), u.depth)).collect();
    assert_eq!(units, [("phong-ky-thuat", 0), ("to-mang", 1)]);
    let articles: Vec<Option<Figures>> = p.articles.iter().map(|a| a.figures).collect();
    assert_eq!(
        articles,
        [
            Some(figures(4, 2, 2, 4)),
            Some(figures(4, 2, 0, 4)),
            None,
            None
        ]
    );
    let pending = campaigns::pending(&app.state.db, &c, scope, now)
        .await
        .unwrap();
    let names: Vec<&str> = pending.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        names,
        ["Dũng Kỹ thuật", "Giang Kỹ thuật", "Hà Mạng", "Hà Mạng"]
    );
    let m = campaigns::matrix(&app.state.db, &c, scope, now)
        .await
        .unwrap();
    let mut names: Vec<&str> = m.rows.iter().map(|r| r.name.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        ["Dũng Kỹ thuật", "Giang Kỹ thuật", "Hà Mạng", "Minh Chuyển"]
    );
    // A person of another unit is not found through this scope; through the whole agency they
    // are.
    let office = s.people["vp1"];
    assert!(campaigns::person(&app.state.db, &c, scope, office, now)
        .await
        .unwrap()
        .is_none());
    assert!(
        campaigns::person(&app.state.db, &c, Scope::All, office, now)
            .await
            .unwrap()
            .is_some()
    );
    // A unit with nobody in any audience, and an unknown unit: empty, never everyone.
    let all_units = units::all(&app.state.db).await.unwrap();
    assert_eq!(all_units.len(), 5);
    let nobody = campaigns::staff_progress(&app.state.db, &c, Scope::Unit(999_999), now)
        .await
        .unwrap();
    assert_eq!(nobody.overall, Figures::default());
    assert!(nobody.units.is_empty());
    assert!(
        campaigns::pending(&app.state.db, &c, Scope::Unit(999_999), now)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn the_figures_are_those_of_the_per_article_rules(db: TestDb) {
    let s = scenario(db).await;
    let app = &s.app;
    let before = agreeing_figures(app, &[s.quy_che, s.noi_quy]).await;
    assert!(before[0].1 > 0, "{before:?}");
    // A renewal round (issue 17): both count the new round only, so nobody has confirmed it.
    app.state
        .db
        .pool()
        .execute(
            "update ack_settings set renew_on = '09-01', created_at = $2 where article_id = $1",
            loa::params![s.quy_che, loa::time::now() - chrono::Duration::days(800)],
        )
        .await
        .unwrap();
    let opened = loa::jobs::renewal::run(&app.state.db, loa::time::now())
        .await
        .unwrap()
        .opened;
    assert_eq!(opened, [(s.quy_che, 2)]);
    let after = agreeing_figures(app, &[s.quy_che, s.noi_quy]).await;
    assert_eq!((after[0].0, after[0].1), (before[0].0, 0));
    assert_eq!(after[1], before[1]);
    assert_eq!(article_id(app, "quy-che").await, s.quy_che);
}

/// (audience, confirmed) of each article on the dashboard, checked against the per-article
/// rules (`db::ack_status`).
async fn agreeing_figures(app: &TestApp, ids: &[i64]) -> Vec<(i64, i64)> {
    let c = campaign_row(app).await;
    let p = campaigns::staff_progress(&app.state.db, &c, Scope::All, loa::time::now())
        .await
        .unwrap();
    let mut out = Vec::new();
    for &id in ids {
        let ack = loa::db::ack_status::article(&app.state.db, id)
            .await
            .unwrap()
            .unwrap();
        let audience = loa::db::ack_status::audience(&app.state.db, id)
            .await
            .unwrap();
        let standing =
            loa::db::ack_status::confirmations(&app.state.db, id, ack.terms.current_version)
                .await
                .unwrap();
        let confirmed = audience
            .iter()
            .filter(|m| standing.iter().any(|c| c.user_id == m.user_id))
            .count() as i64;
        let f = p
            .articles
            .iter()
            .find(|a| a.article.article_id == id)
            .unwrap()
            .figures
            .unwrap();
        assert_eq!(
            (f.audience, f.confirmed),
            (audience.len() as i64, confirmed)
        );
        out.push((f.audience, f.confirmed));
    }
    out
}
