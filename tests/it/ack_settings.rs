//! Acknowledgment settings and versions: the `[ack]` front matter (errors, import, export), the
//! editor's fields, and minor and major changes with the text of every version kept.

use loa::account::Role;
use loa::ack::{confirmed_text, text_hash, StaffAudience, DEFAULT_STATEMENT};
use loa::article::ArticleStatus;
use loa::content::{self, ImportError};
use loa::db::{ack_settings, articles, Db};

use crate::db_tests;
use crate::fixtures::articles::{create, row, save, sign_in};
use crate::fixtures::unit_id;
use crate::helpers::{count, repo_content, texts, ContentDir, TestApp, TestDb};

db_tests!(
    front_matter_errors_name_their_line,
    import_is_idempotent_and_export_round_trips,
    the_editor_sets_the_audience_and_stores_version_1,
    minor_keeps_the_version_and_major_needs_a_reason,
    closing_date_and_status_decide_whether_it_is_open,
);

/// The errors of importing one article with `front`, as (line, field).
async fn errors_of(db: &Db, front: &str) -> Vec<(usize, Option<String>, String)> {
    let dir = ContentDir::new();
    dir.article("a.md", front, "Nội dung.");
    match content::import_dir(db, dir.path()).await {
        Err(ImportError::Invalid(errors)) => errors
            .into_iter()
            .map(|e| (e.line, e.field, e.message))
            .collect(),
        other => panic!("expected errors, got {other:?}"),
    }
}

async fn front_matter_errors_name_their_line(db: TestDb) {
    let db = db.connect().await;
    let t = "title = \"A\"\n[ack]\n";
    // Lines: 1 is +++, 2 the title, 3 [ack], 4 the first key.
    let e = errors_of(&db, &format!("{t}staff = \"some\"")).await;
    assert_eq!((e[0].0, e[0].1.as_deref()), (4, Some("ack.staff")), "{e:?}");
    let e = errors_of(&db, &format!("{t}staff = \"all\"\ndue = \"15/09/2018\"")).await;
    assert_eq!((e[0].0, e[0].1.as_deref()), (5, Some("ack.due")), "{e:?}");
    let e = errors_of(&db, &format!("{t}citizens = true\nstatement = \"  \"")).await;
    assert_eq!(
        (e[0].0, e[0].1.as_deref()),
        (5, Some("ack.statement")),
        "{e:?}"
    );
    let e = errors_of(&db, &format!("{t}citizens = \"có\"")).await;
    assert_eq!(e[0].0, 4, "{e:?}");
    let e = errors_of(&db, &format!("{t}staff = \"all\"\nclose = \"2018-12-31\"")).await;
    assert_eq!((e[0].0, e[0].1.as_deref()), (5, Some("ack")), "{e:?}");
    let e = errors_of(&db, &format!("{t}staff = [\"khong-co\"]")).await;
    assert_eq!((e[0].0, e[0].1.as_deref()), (4, Some("ack.staff")), "{e:?}");
    assert!(e[0].2.contains("khong-co"), "{e:?}");
    let e = errors_of(&db, &format!("{t}citizens = false")).await;
    assert_eq!(e[0].1.as_deref(), Some("ack"), "{e:?}");
    // Nothing was written.
    assert_eq!(articles::count_all(&db).await.unwrap(), 0);
}

async fn import_is_idempotent_and_export_round_trips(db: TestDb) {
    let conn = db.connect().await;
    content::import_dir(&conn, &repo_content()).await.unwrap();
    let dir = ContentDir::new();
    dir.article(
        "a.md",
        "title = \"Quy chế mới\"\n[ack]\nstaff = [\"thanh-tra\", \"van-phong\"]\ncitizens = true\n\
         due = \"2018-09-15\"",
        "Nội dung quy chế.",
    )
    .article(
        "b.md",
        "title = \"Cho mọi người\"\nstatus = \"draft\"\n[ack]\nstaff = \"all\"\n\
         due = 2018-09-15T08:00:00+07:00\ncloses = \"2018-12-31\"",
        "Nháp.",
    );
    let first = content::import_dir(&conn, dir.path()).await.unwrap();
    assert_eq!(first.added.len(), 2);
    let again = content::import_dir(&conn, dir.path()).await.unwrap();
    assert!(!again.changed_anything(), "{again}");

    let id = |slug: &'static str, db: Db| async move {
        articles::all(&db)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.slug == slug)
            .unwrap()
            .id
    };
    let a = id("quy-che-moi", conn.clone()).await;
    let s = ack_settings::settings(&conn, a).await.unwrap().unwrap();
    assert!(s.citizens && !s.staff_all);
    let mut slugs: Vec<_> = s.units.iter().map(|u| u.slug.as_str()).collect();
    slugs.sort();
    assert_eq!(slugs, ["thanh-tra", "van-phong"]);
    assert_eq!(s.statement, DEFAULT_STATEMENT);
    assert_eq!(
        loa::time::to_rfc3339_vietnam(s.due_at.unwrap()),
        "2018-09-15T23:59:59+07:00"
    );
    // Published: version 1 holds the text, with its hash.
    let v = ack_settings::current_version(&conn, a)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v.version, 1);
    assert_eq!(v.body, "Nội dung quy chế.");
    assert_eq!(v.text_hash, text_hash(&v.confirmed_text()));
    // A draft has settings but no version yet.
    let b = id("cho-moi-nguoi", conn.clone()).await;
    assert!(
        ack_settings::settings(&conn, b)
            .await
            .unwrap()
            .unwrap()
            .staff_all
    );
    assert!(ack_settings::current_version(&conn, b)
        .await
        .unwrap()
        .is_none());

    // A changed [ack] is an update; removing it removes the settings.
    dir.article(
        "a.md",
        "title = \"Quy chế mới\"\n[ack]\nstaff = \"all\"",
        "Nội dung quy chế.",
    );
    let changed = content::import_dir(&conn, dir.path()).await.unwrap();
    assert_eq!(changed.updated, ["quy-che-moi"]);
    assert!(
        ack_settings::settings(&conn, a)
            .await
            .unwrap()
            .unwrap()
            .staff_all
    );
    dir.article(
        "b.md",
        "title = \"Cho mọi người\"\nstatus = \"draft\"",
        "Nháp.",
    );
    content::import_dir(&conn, dir.path()).await.unwrap();
    assert!(ack_settings::settings(&conn, b).await.unwrap().is_none());

    // Export, then import into a fresh database: the same settings.
    let out = db.dir.path().join("xuat");
    content::export_dir(&conn, &out).await.unwrap();
    let text = std::fs::read_to_string(out.join("quy-che-moi.md")).unwrap();
    assert!(text.contains("[ack]\nstaff = \"all\""), "{text}");
    assert!(!std::fs::read_to_string(out.join("cho-moi-nguoi.md"))
        .unwrap()
        .contains("[ack]"));
    let back = content::import_dir(&conn, &out).await.unwrap();
    assert!(!back.changed_anything(), "{back}");
    let other_db = db.another().await;
    let other = other_db.connect().await;
    content::import_dir(&other, &out).await.unwrap();
    let a2 = id("quy-che-moi", other.clone()).await;
    let left = ack_settings::settings(&conn, a).await.unwrap().unwrap();
    let right = ack_settings::settings(&other, a2).await.unwrap().unwrap();
    assert_eq!(left.to_settings(), right.to_settings());
}

/// The article's acknowledgment settings as stored now.
async fn settings_of(app: &TestApp, id: i64) -> Option<ack_settings::SettingsRow> {
    ack_settings::settings(&app.state.db, id).await.unwrap()
}

/// The version people confirm now, as stored.
async fn version_of(app: &TestApp, id: i64) -> Option<ack_settings::VersionRow> {
    ack_settings::current_version(&app.state.db, id)
        .await
        .unwrap()
}

async fn the_editor_sets_the_audience_and_stores_version_1(db: TestDb) {
    let app = TestApp::spawn(db, &repo_content()).await;
    let (editor, _) = sign_in(&app, Role::Editor, "Biên Tập").await;
    let id = create(&editor, "Nội quy cơ quan", "Điều 1.", "luu").await;
    let page = editor.page(&format!("/admin/bai-viet/{id}"), 200).await;
    assert_eq!(count(&page, "fieldset.ack-settings"), 1);
    assert!(count(&page, "input[type=checkbox][name^=ack_unit_]") >= 2);
    // No minor/major choice before anyone confirms a version.
    assert_eq!(count(&page, "input[name=ack_change]"), 0);

    let vp = unit_id(&app, "van-phong").await;
    let unit_field = format!("ack_unit_{vp}");
    // Chosen units, but none ticked: refused.
    let r = save(
        &editor,
        id,
        &[("ack_present", "1"), ("ack_staff", "units")],
        "luu",
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert_eq!(
        texts(&html, "#ack_units-error"),
        ["Hãy chọn ít nhất một đơn vị."]
    );
    assert!(settings_of(&app, id).await.is_none());

    let r = save(
        &editor,
        id,
        &[
            ("ack_present", "1"),
            ("ack_staff", "units"),
            (&unit_field, "on"),
            ("ack_citizens", "on"),
            ("ack_due", "2030-09-15"),
            ("ack_statement", "Tôi đã đọc nội quy."),
        ],
        "luu",
    )
    .await;
    assert_eq!(r.status(), 303);
    let s = settings_of(&app, id).await.unwrap();
    assert_eq!(s.unit_ids(), [vp]);
    assert!(s.citizens);
    assert_eq!(s.statement, "Tôi đã đọc nội quy.");
    assert_eq!(
        loa::time::to_rfc3339_vietnam(s.due_at.unwrap()),
        "2030-09-15T23:59:59+07:00"
    );
    // A draft: no version yet. Publishing stores version 1 with the exact text.
    assert!(version_of(&app, id).await.is_none());
    let page = editor.page(&format!("/admin/bai-viet/{id}"), 200).await;
    assert_eq!(
        crate::helpers::attrs(&page, &format!("input[name={unit_field}]"), "checked").len(),
        1
    );
    assert_eq!(
        crate::helpers::attrs(&page, "input[name=ack_due]", "value"),
        ["2030-09-15"]
    );
    // The editor's own save without the ack fields (as an author's form) keeps the settings.
    assert_eq!(save(&editor, id, &[], "xuat-ban").await.status(), 303);
    let v = version_of(&app, id).await.unwrap();
    assert_eq!(v.version, 1);
    assert_eq!(
        v.text_hash,
        text_hash(&confirmed_text(
            "Nội quy cơ quan",
            "Điều 1.",
            "Tôi đã đọc nội quy."
        ))
    );
    assert_eq!(settings_of(&app, id).await.unwrap().unit_ids(), [vp]);

    // Staff audience "all", then none and no citizens: the article takes none any more.
    let r = save(
        &editor,
        id,
        &[("ack_present", "1"), ("ack_staff", "all")],
        "luu",
    )
    .await;
    assert_eq!(r.status(), 303);
    let s = settings_of(&app, id).await.unwrap();
    assert!(s.staff_all && !s.citizens && s.units.is_empty());
    assert_eq!(s.to_settings().staff, StaffAudience::All);
    let r = save(
        &editor,
        id,
        &[("ack_present", "1"), ("ack_staff", "none")],
        "luu",
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(settings_of(&app, id).await.is_none());
    // The confirmed text stays.
    assert!(ack_settings::version(&app.state.db, id, 1)
        .await
        .unwrap()
        .is_some());

    // Authors do not see the fields, and a form that carries them anyway is refused, not saved
    // without them.
    let (author, _) = sign_in(&app, Role::Author, "Tác Giả").await;
    let mine = create(&author, "Bài của tôi", "x", "luu").await;
    let page = author.page(&format!("/admin/bai-viet/{mine}"), 200).await;
    assert_eq!(count(&page, "fieldset.ack-settings"), 0);
    let r = save(
        &author,
        mine,
        &[("ack_present", "1"), ("ack_staff", "all")],
        "luu",
    )
    .await;
    assert_eq!(r.status(), 403);
    let r = save(&author, mine, &[("ack_unit_1", "on")], "luu").await;
    assert_eq!(r.status(), 403);
    // Without them, the author's save goes through.
    assert_eq!(save(&author, mine, &[], "luu").await.status(), 303);
    assert!(settings_of(&app, mine).await.is_none());
}

async fn minor_keeps_the_version_and_major_needs_a_reason(db: TestDb) {
    let app = TestApp::spawn(db, &repo_content()).await;
    let (editor, editor_id) = sign_in(&app, Role::Editor, "Biên Tập").await;
    let id = create(&editor, "Quy trình một cửa", "Bước 1.", "luu").await;
    let r = save(
        &editor,
        id,
        &[("ack_present", "1"), ("ack_staff", "all")],
        "xuat-ban",
    )
    .await;
    assert_eq!(r.status(), 303);
    let v1 = version_of(&app, id).await.unwrap();
    assert_eq!(v1.version, 1);
    assert_eq!(v1.created_by, Some(editor_id));
    let page = editor.page(&format!("/admin/bai-viet/{id}"), 200).await;
    assert_eq!(count(&page, "input[name=ack_change]"), 2);

    // Minor: the text changes, the version people confirm does not.
    let ack = [("ack_present", "1"), ("ack_staff", "all")];
    let minor = [
        &ack[..],
        &[("body", "Bước 1 (sửa chính tả)."), ("ack_change", "minor")],
    ]
    .concat();
    assert_eq!(save(&editor, id, &minor, "luu").await.status(), 303);
    let v = version_of(&app, id).await.unwrap();
    assert_eq!(v, v1);

    // Major without a reason: refused, nothing written.
    let major = [
        &ack[..],
        &[("body", "Bước 1, bước 2."), ("ack_change", "major")],
    ]
    .concat();
    let r = save(&editor, id, &major, "luu").await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert_eq!(texts(&html, "#ack_reason-error").len(), 1);
    assert_eq!(row(&app, id).await.body, "Bước 1 (sửa chính tả).");
    assert_eq!(settings_of(&app, id).await.unwrap().current_version, 1);

    // With a reason: version 2, with the new text and its own hash.
    let with_reason = [
        &major[..],
        &[("ack_reason", "Thêm bước 2 theo quy định mới.")],
    ]
    .concat();
    assert_eq!(save(&editor, id, &with_reason, "luu").await.status(), 303);
    let v2 = version_of(&app, id).await.unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(v2.body, "Bước 1, bước 2.");
    assert_eq!(v2.reason, "Thêm bước 2 theo quy định mới.");
    assert_ne!(v2.text_hash, v1.text_hash);
    assert_eq!(v2.text_hash, text_hash(&v2.confirmed_text()));
    // Version 1's text is still there, unchanged.
    let old = ack_settings::version(&app.state.db, id, 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old, v1);
    assert_eq!(old.body, "Bước 1.");
    assert_eq!(
        ack_settings::versions(&app.state.db, id)
            .await
            .unwrap()
            .len(),
        2
    );
    let page = editor.page(&format!("/admin/bai-viet/{id}"), 200).await;
    assert!(page.contains("phiên bản 2"), "{page}");
}

async fn closing_date_and_status_decide_whether_it_is_open(db: TestDb) {
    let conn = db.connect().await;
    let dir = ContentDir::new();
    dir.article(
        "a.md",
        "title = \"Đã đóng\"\n[ack]\nstaff = \"all\"\ncloses = \"2020-01-01\"",
        "x",
    );
    content::import_dir(&conn, dir.path()).await.unwrap();
    let id = articles::all(&conn).await.unwrap()[0].id;
    let s = ack_settings::settings(&conn, id).await.unwrap().unwrap();
    let before = loa::time::parse_human("2020-01-01T23:00:00+07:00").unwrap();
    let after = loa::time::parse_human("2020-01-02T00:00:00+07:00").unwrap();
    assert!(ack_settings::is_open(&s, ArticleStatus::Published, before));
    assert!(!ack_settings::is_open(&s, ArticleStatus::Published, after));
    assert!(!ack_settings::is_open(&s, ArticleStatus::Draft, before));
    assert!(!ack_settings::is_open(&s, ArticleStatus::Archived, before));
}
