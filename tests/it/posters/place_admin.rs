//! Places in `site.toml` (import, export, import again) and in the admin area (`/admin/noi-dat`):
//! add, rename, refuse bad input with nothing changed, audit every change.

use loa::params;

use super::{editor, spawn};
use crate::db_tests;
use crate::fixtures::TREE_SITE;
use crate::helpers::{attrs, count, location, texts, ContentDir, TestDb};

db_tests!(
    places_round_trip_through_site_files,
    editors_add_and_rename_places,
    bad_places_are_refused_with_nothing_changed,
);

fn place_pairs(site: &loa::site::SiteFile) -> Vec<(String, String)> {
    site.places
        .iter()
        .map(|p| (p.slug.to_string(), p.name.clone()))
        .collect()
}

async fn places_round_trip_through_site_files(db: TestDb) {
    let app = spawn(db).await;
    let b = editor(&app).await;
    let r = b
        .post("/admin/noi-dat", &[("name", "Quầy Bưu điện"), ("slug", "")])
        .await;
    assert_eq!(r.status(), 303);

    let out = tempfile::tempdir().unwrap();
    loa::content::export_dir(&app.state.db, out.path())
        .await
        .unwrap();
    let text = std::fs::read_to_string(out.path().join("site.toml")).unwrap();
    let exported = loa::content::site_file::parse(&out.path().join("site.toml"), text.as_bytes())
        .expect("the exported site file reads back");
    let want = vec![
        ("quay-1".to_owned(), "Quầy số 1".to_owned()),
        (
            "trung-tam-phuc-vu-hanh-chinh-cong-tinh".to_owned(),
            "Trung tâm Phục vụ hành chính công tỉnh".to_owned(),
        ),
        ("quay-buu-dien".to_owned(), "Quầy Bưu điện".to_owned()),
    ];
    assert_eq!(place_pairs(&exported), want);

    // Into another database: the same places; a second import changes nothing.
    let other_db = app.db.another().await;
    let other = other_db.connect().await;
    loa::content::import_dir(&other, out.path()).await.unwrap();
    let again = loa::db::site::load_file(&other).await.unwrap().unwrap();
    assert_eq!(place_pairs(&again), want);
    let report = loa::content::import_dir(&other, out.path()).await.unwrap();
    let site = report.site.unwrap();
    assert_eq!((site.added, site.updated), (0, 0));

    // A file that renames a place and leaves another out: renamed, and the other kept (posters
    // with its code may still hang somewhere).
    let content = ContentDir::new();
    content.raw(
        "site.toml",
        format!("{TREE_SITE}[[places]]\nslug = \"quay-1\"\nname = \"Quầy số 1 (tầng trệt)\"\n")
            .as_bytes(),
    );
    loa::content::import_dir(&other, content.path())
        .await
        .unwrap();
    let names: Vec<String> = loa::db::places::all(&other)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names.len(), 3);
    assert_eq!(names[0], "Quầy số 1 (tầng trệt)");
    other.close().await;
}

async fn editors_add_and_rename_places(db: TestDb) {
    let app = spawn(db).await;
    let b = editor(&app).await;
    let page = b.page("/admin/noi-dat", 200).await;
    assert_eq!(
        attrs(&page, "table.places tr[data-slug]", "data-slug"),
        ["quay-1", "trung-tam-phuc-vu-hanh-chinh-cong-tinh"]
    );
    let r = b
        .post(
            "/admin/noi-dat",
            &[("name", "  Bộ phận  Một cửa Sở  "), ("slug", "mot-cua-so")],
        )
        .await;
    assert_eq!(
        (r.status().as_u16(), location(&r)),
        (303, "/admin/noi-dat".into())
    );
    let db = &app.state.db;
    let id = db
        .pool()
        .fetch_i64("select id from places where slug = 'mot-cua-so'", vec![])
        .await
        .unwrap();
    let r = b
        .post(
            &format!("/admin/noi-dat/{id}"),
            &[("name", "Bộ phận Một cửa Sở TT&TT")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let page = b.page("/admin/noi-dat", 200).await;
    assert_eq!(
        texts(
            &page,
            "table.places tr[data-slug=mot-cua-so] td:first-child"
        ),
        ["Bộ phận Một cửa Sở TT&TT"]
    );
    // The poster form offers it at once.
    let article = crate::fixtures::article_id(&app, "bai-a").await;
    let poster = b
        .page(&format!("/admin/bai-viet/{article}/ap-phich"), 200)
        .await;
    assert_eq!(count(&poster, "option[value=mot-cua-so]"), 1);
    // Both changes are in the audit log.
    let audited = db
        .pool()
        .fetch_i64(
            "select count(*) from audit_log where target_type = 'place' and target_id = $1 \
             and action in ('place.create', 'place.rename')",
            params![id],
        )
        .await
        .unwrap();
    assert_eq!(audited, 2);
}

async fn bad_places_are_refused_with_nothing_changed(db: TestDb) {
    let app = spawn(db).await;
    let b = editor(&app).await;
    let db = &app.state.db;
    let places = || async {
        db.pool()
            .fetch_i64("select count(*) from places", vec![])
            .await
            .unwrap()
    };
    for (fields, selector, message) in [
        (
            [("name", ""), ("slug", "")],
            "#name-error",
            "Hãy nhập tên nơi đặt.",
        ),
        (
            [("name", "Quầy 2"), ("slug", "Quầy 2")],
            "#slug-error",
            "Đường dẫn (slug) chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang, không bắt \
             đầu hay kết thúc bằng gạch ngang: «Quầy 2».",
        ),
        (
            [("name", "Quầy khác"), ("slug", "quay-1")],
            "#slug-error",
            "Đường dẫn «quay-1» đã có nơi đặt khác dùng; hãy chọn đường dẫn khác.",
        ),
    ] {
        let r = b.post("/admin/noi-dat", &fields).await;
        assert_eq!(r.status(), 422, "{fields:?}");
        let page = r.text().await.unwrap();
        assert_eq!(texts(&page, selector), [message]);
        // What was typed is kept.
        assert_eq!(attrs(&page, "input#name", "value"), [fields[0].1]);
        assert_eq!(places().await, 2);
    }
    let long = "Q".repeat(121);
    let r = b
        .post("/admin/noi-dat", &[("name", &long), ("slug", "")])
        .await;
    assert_eq!(r.status(), 422);
    let id = db
        .pool()
        .fetch_i64("select id from places where slug = 'quay-1'", vec![])
        .await
        .unwrap();
    let r = b
        .post(&format!("/admin/noi-dat/{id}"), &[("name", "  ")])
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert_eq!(
        texts(&page, &format!("#loi-ten-{id}")),
        ["Hãy nhập tên nơi đặt."]
    );
    let r = b.post("/admin/noi-dat/999999", &[("name", "X")]).await;
    assert_eq!(r.status(), 404);
    let names: Vec<String> = loa::db::places::all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(
        names,
        ["Quầy số 1", "Trung tâm Phục vụ hành chính công tỉnh"]
    );
    assert_eq!(
        db.pool()
            .fetch_i64(
                "select count(*) from audit_log where target_type = 'place'",
                vec![]
            )
            .await
            .unwrap(),
        0
    );
}
