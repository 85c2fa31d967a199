//! People and units administration: accounts (create, edit, deactivate, reset), the unit tree,
//! the staff CSV import, and the admin-only role layer over them.

mod accounts;
mod import;
mod own_account;

use loa::account::Role;
use loa::db::audit::{self, AuditRow, Filter};
use loa::db::users::{self, UserRow};
use loa::db::Param;
use loa::params;
use reqwest::StatusCode;

use crate::db_tests;
use crate::fixtures::unit_id;
use crate::helpers::{attrs, count, location, texts, Browser, ContentDir, TestApp, TestDb};

db_tests!(
    units_form_a_tree_and_loops_are_refused,
    only_admins_reach_these_pages
);

const SITE: &str = "name = \"Sở Thông tin và Truyền thông tỉnh A\"\n\
[[units]]\nslug = \"van-phong\"\nname = \"Văn phòng Sở\"\n\
[[units]]\nslug = \"thanh-tra\"\nname = \"Thanh tra Sở\"\n\
[[units]]\nslug = \"trung-tam\"\nname = \"Trung tâm Công nghệ thông tin\"\n\
[[units]]\nslug = \"trung-tam-ky-thuat\"\nname = \"Phòng Kỹ thuật\"\nparent = \"trung-tam\"\n";

async fn app(db: TestDb) -> (TestApp, ContentDir) {
    let content = ContentDir::new();
    content.raw("site.toml", SITE.as_bytes());
    let app = TestApp::spawn(db, content.path()).await;
    (app, content)
}

/// A signed-in admin (quan.tri@loa.test) and its id.
pub(crate) async fn admin(app: &TestApp) -> (Browser, i64) {
    let (email, name) = ("quan.tri@loa.test", "Quản Trị");
    crate::fixtures::person(app, email, name, Role::Admin, None, false).await
}

/// One number from the database.
async fn scalar(app: &TestApp, sql: &str, params: Vec<Param>) -> i64 {
    app.state.db.pool().fetch_i64(sql, params).await.unwrap()
}

async fn user_count(app: &TestApp) -> i64 {
    scalar(app, "select count(*) from users", vec![]).await
}

async fn audit_of(app: &TestApp, action: &str) -> Vec<AuditRow> {
    let f = Filter {
        action_prefix: action.to_owned(),
        ..Default::default()
    };
    audit::list(&app.state.db, &f, 100, 0).await.unwrap()
}

async fn id_of(app: &TestApp, email: &str) -> i64 {
    scalar(app, "select id from users where email = $1", params![email]).await
}

/// The account as stored now.
async fn user(app: &TestApp, id: i64) -> UserRow {
    users::by_id(&app.state.db, id).await.unwrap().unwrap()
}

/// The status of a sign-in from a fresh browser.
async fn sign_in_status(app: &TestApp, email: &str, password: &str) -> StatusCode {
    app.browser().sign_in(email, password).await.status()
}

/// The fields of the person form, as the page posts them.
pub(crate) fn person<'a>(
    name: &'a str,
    email: &'a str,
    unit: &'a str,
    role: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("email", email),
        ("unit", unit),
        ("role", role),
    ]
}

/// The fields of the unit form, as the page posts them.
fn unit<'a>(name: &'a str, slug: &'a str, parent: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("name", name), ("slug", slug), ("parent", parent)]
}

async fn units_form_a_tree_and_loops_are_refused(db: TestDb) {
    let (app, _c) = app(db).await;
    let (b, _) = admin(&app).await;
    let r = b
        .post(
            "/admin/don-vi/moi",
            &unit("Phòng Kế hoạch – Tài chính", "", ""),
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/admin/don-vi");
    let parent = unit_id(&app, "phong-ke-hoach-tai-chinh").await;
    let p = parent.to_string();
    let r = b
        .post("/admin/don-vi/moi", &unit("Tổ Kế toán", "to-ke-toan", &p))
        .await;
    assert_eq!(r.status(), 303);
    let child = unit_id(&app, "to-ke-toan").await;

    let list = b.page("/admin/don-vi", 200).await;
    let rows = attrs(&list, "table.unit-tree tbody tr", "data-id");
    let at = |id: i64| rows.iter().position(|r| *r == id.to_string()).unwrap();
    assert_eq!(at(child), at(parent) + 1, "the child follows its parent");
    assert_eq!(
        attrs(&list, &format!("tr[data-id='{child}']"), "class"),
        vec!["depth-1".to_owned()]
    );
    assert_eq!(
        attrs(&list, &format!("tr[data-id='{parent}']"), "class"),
        vec!["depth-0".to_owned()]
    );

    // The parent cannot move below its own child.
    let c = child.to_string();
    let r = b
        .post(
            &format!("/admin/don-vi/{parent}"),
            &unit("Phòng Kế hoạch – Tài chính", "phong-ke-hoach-tai-chinh", &c),
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(texts(&page, "#parent-error")[0].contains("vòng lặp"));
    let parent_of = |id: i64| {
        let db = app.state.db.clone();
        async move {
            loa::db::units::by_id(&db, id)
                .await
                .unwrap()
                .unwrap()
                .parent_id
        }
    };
    assert_eq!(parent_of(parent).await, None);
    // Nor below itself; and its edit form does not offer its own subtree.
    let r = b
        .post(&format!("/admin/don-vi/{parent}"), &unit("X", "x", &p))
        .await;
    assert_eq!(r.status(), 422);
    let form = b.page(&format!("/admin/don-vi/{parent}"), 200).await;
    let offered = attrs(&form, "select#parent option", "value");
    assert!(!offered.contains(&p) && !offered.contains(&c));

    // A slug already used is a form error.
    let r = b
        .post("/admin/don-vi/moi", &unit("Văn phòng mới", "van-phong", ""))
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(count(&r.text().await.unwrap(), "#slug-error"), 1);

    // Moving the child to the top level and renaming it is audited.
    let r = b
        .post(
            &format!("/admin/don-vi/{child}"),
            &unit("Tổ Kế toán – Thống kê", "to-ke-toan", ""),
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(parent_of(child).await, None);
    assert_eq!(audit_of(&app, "unit.create").await.len(), 2);
    let updates = audit_of(&app, "unit.update").await;
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].target_label, "Tổ Kế toán – Thống kê");
    assert!(
        updates[0].detail.contains("trực thuộc"),
        "{}",
        updates[0].detail
    );
}

async fn only_admins_reach_these_pages(db: TestDb) {
    let (app, _c) = app(db).await;
    let target = app
        .create_user("muc.tieu@loa.test", "Mục Tiêu", Role::Employee, None, false)
        .await;
    let editor = app.signed_in(Role::Editor).await;
    let pages = [
        "/admin/nguoi-dung".to_owned(),
        "/admin/nguoi-dung/moi".to_owned(),
        format!("/admin/nguoi-dung/{target}"),
        "/admin/nguoi-dung/nhap".to_owned(),
        "/admin/don-vi".to_owned(),
        "/admin/don-vi/moi".to_owned(),
        format!("/admin/don-vi/{}", unit_id(&app, "van-phong").await),
        "/admin/nhat-ky".to_owned(),
    ];
    for path in &pages {
        editor.page(path, 403).await;
    }
    let before = user_count(&app).await;
    let posts = [
        format!("/admin/nguoi-dung/{target}/khoa"),
        format!("/admin/nguoi-dung/{target}/dat-lai-mat-khau"),
        "/admin/nguoi-dung/moi".to_owned(),
        "/admin/don-vi/moi".to_owned(),
        "/admin/nguoi-dung/nhap/xac-nhan".to_owned(),
    ];
    for path in &posts {
        let r = editor
            .post(
                path,
                &[
                    ("name", "X"),
                    ("email", "x@loa.test"),
                    ("role", "admin"),
                    ("csv", import::GOOD_CSV),
                ],
            )
            .await;
        assert_eq!(r.status(), 403, "POST {path}");
    }
    assert_eq!(user_count(&app).await, before);
    assert!(user(&app, target).await.active);
    // Anonymous visitors are sent to sign in.
    let r = app.browser().get("/admin/nguoi-dung").await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/dang-nhap"));
    // Admins see the links to them.
    let (b, _) = admin(&app).await;
    let home = b.page("/admin", 200).await;
    for path in ["/admin/nguoi-dung", "/admin/don-vi", "/admin/nhat-ky"] {
        assert_eq!(
            count(&home, &format!("nav.admin-nav a[href='{path}']")),
            1,
            "{path}"
        );
    }
}
