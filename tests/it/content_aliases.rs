//! `aliases = ["old-slug"]` in content files: the old address answers 301, export writes the
//! aliases back, and an alias that is somebody's slug is refused with its file and line.

use loa::content::{self, ImportError};
use loa::db::articles;

use crate::db_tests;
use crate::helpers::{location, repo_content, ContentDir, TestApp, TestDb};

db_tests!(
    an_alias_answers_301_and_round_trips,
    an_alias_that_is_a_live_slug_is_refused,
    the_old_sipas_summary_leads_to_the_series,
);

const NEW: &str =
    "title = \"Bài mới\"\nslug = \"bai-moi\"\naliases = [\n  \"bai-cu\",\n  \"bai-cu-hon\",\n]";

fn invalid(e: ImportError) -> Vec<String> {
    match e {
        ImportError::Invalid(errors) => errors.iter().map(ToString::to_string).collect(),
        other => panic!("expected content errors, got {other}"),
    }
}

async fn an_alias_answers_301_and_round_trips(db: TestDb) {
    let dir = ContentDir::new();
    dir.article("moi.md", NEW, "Nội dung.")
        .article("khac.md", "title = \"Bài khác\"", "Nội dung.");
    let app = TestApp::spawn(db, dir.path()).await;
    for old in ["bai-cu", "bai-cu-hon"] {
        let r = app.get(&format!("/bai-viet/{old}")).await;
        assert_eq!(r.status(), 301, "{old}");
        assert_eq!(location(&r), "/bai-viet/bai-moi");
    }
    app.page("/bai-viet/bai-moi", 200).await;

    // Export writes the aliases; the files import back to the same thing, here and elsewhere.
    let conn = &app.state.db;
    let out = app.db.dir.path().join("xuat");
    content::export_dir(conn, &out).await.unwrap();
    let written = std::fs::read_to_string(out.join("bai-moi.md")).unwrap();
    assert!(
        written.contains("aliases = [\n    \"bai-cu\",\n    \"bai-cu-hon\",\n]")
            || written.contains("aliases = [\"bai-cu\", \"bai-cu-hon\"]"),
        "{written}"
    );
    assert!(!std::fs::read_to_string(out.join("bai-khac.md"))
        .unwrap()
        .contains("aliases"));
    let again = content::import_dir(conn, &out).await.unwrap();
    assert!(!again.changed_anything(), "{again}");
    let other = app.db.another().await;
    let other = other.connect().await;
    content::import_dir(&other, &out).await.unwrap();
    let aliases = |db: loa::db::Db| async move {
        let mut tx = db.begin().await.unwrap();
        let id = articles::find_by_slug(&mut tx, "bai-moi")
            .await
            .unwrap()
            .unwrap()
            .id;
        articles::aliases_of(&mut tx, id).await.unwrap()
    };
    assert_eq!(aliases(other).await, ["bai-cu", "bai-cu-hon"]);

    // A new alias in a file is added without making a new version of the article; dropping it
    // from the file later keeps the old address working.
    dir.article(
        "moi.md",
        &NEW.replace("\"bai-cu-hon\",", "\"bai-cu-hon\",\n  \"ban-dau\","),
        "Nội dung.",
    );
    let report = content::import_dir(conn, dir.path()).await.unwrap();
    assert_eq!(report.updated, ["bai-moi"]);
    let mut tx = conn.begin().await.unwrap();
    let row = articles::find_by_slug(&mut tx, "bai-moi")
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(row.version, 1);
    assert_eq!(
        location(&app.get("/bai-viet/ban-dau").await),
        "/bai-viet/bai-moi"
    );
    dir.article(
        "moi.md",
        "title = \"Bài mới\"\nslug = \"bai-moi\"",
        "Nội dung.",
    );
    let report = content::import_dir(conn, dir.path()).await.unwrap();
    assert!(!report.changed_anything(), "{report}");
    assert_eq!(app.get("/bai-viet/bai-cu").await.status(), 301);
}

async fn an_alias_that_is_a_live_slug_is_refused(db: TestDb) {
    let conn = db.connect().await;
    // Inside one directory: the file's own slug, another file's slug, another file's alias.
    let dir = ContentDir::new();
    dir.article(
        "a.md",
        "title = \"A\"\nslug = \"a\"\naliases = [\"a\"]",
        "x",
    )
    .article(
        "b.md",
        "title = \"B\"\nslug = \"b\"\n\naliases = [\"c\", \"a-cu\"]",
        "x",
    )
    .article(
        "c.md",
        "title = \"C\"\nslug = \"c\"\naliases = [\"a-cu\"]",
        "x",
    );
    let errors = invalid(content::import_dir(&conn, dir.path()).await.unwrap_err());
    let path = |name: &str| dir.path().join(name).display().to_string();
    assert_eq!(
        errors,
        [
            format!(
                "{}:4: aliases: đường dẫn cũ «a» trùng với slug của chính bài này",
                path("a.md")
            ),
            format!(
                "{}:5: aliases: đường dẫn cũ «c» trùng với slug của tệp {}",
                path("b.md"),
                path("c.md")
            ),
            format!(
                "{}:4: aliases: đường dẫn cũ «a-cu» đã được tệp {} dùng",
                path("c.md"),
                path("b.md")
            ),
        ]
    );
    assert_eq!(articles::count_all(&conn).await.unwrap(), 0);

    // Against the database: a live article already has the slug, so nothing is written.
    let old = ContentDir::new();
    old.article("cu.md", "title = \"Bài cũ\"\nslug = \"bai-cu\"", "x");
    content::import_dir(&conn, old.path()).await.unwrap();
    let new = ContentDir::new();
    new.article("moi.md", NEW, "x");
    let errors = invalid(content::import_dir(&conn, new.path()).await.unwrap_err());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with(&format!(
            "{}:5: aliases: ",
            new.path().join("moi.md").display()
        )) && errors[0].contains("«bai-cu»")
            && errors[0].contains("«Bài cũ»"),
        "{errors:?}"
    );
    assert_eq!(articles::count_all(&conn).await.unwrap(), 1);

    // Once that article is deleted, its address can lead to the new one.
    conn.pool()
        .execute(
            "update articles set deleted_at = $1 where slug = 'bai-cu'",
            loa::params![loa::time::now()],
        )
        .await
        .unwrap();
    content::import_dir(&conn, new.path()).await.unwrap();
    assert_eq!(
        loa::db::articles::alias_target(&conn, "bai-cu")
            .await
            .unwrap(),
        Some("bai-moi".to_owned())
    );
}

async fn the_old_sipas_summary_leads_to_the_series(db: TestDb) {
    let app = TestApp::spawn(db, &repo_content()).await;
    let r = app.get("/bai-viet/sipas-ca-nuoc-2017-2020").await;
    assert_eq!(r.status(), 301);
    assert_eq!(location(&r), "/bai-viet/ket-qua-sipas-2017");
    app.page("/bai-viet/ket-qua-sipas-2017", 200).await;
}
