//! Campaign files (`content/campaigns/*.toml`): the SIPAS campaign ships with the content,
//! import is all or nothing with `file:line` errors and idempotent, and export → import gives
//! the same campaign with its articles in the same order.

use loa::content::{self, ImportError};
use loa::db::{articles, campaigns, Db};

use crate::db_tests;
use crate::fixtures::tree_content;
use crate::helpers::{repo_content, texts, ContentDir, TestApp, TestDb};

db_tests!(
    the_sipas_campaign_ships_with_the_content,
    export_and_import_round_trip_and_import_is_idempotent,
    a_bad_campaign_file_stops_the_whole_import_with_its_lines,
);

const CAMPAIGN: &str = "name = \"Tuyên truyền quy chế\"\n\
    description = \"Cán bộ đọc và xác nhận.\"\n\
    starts_on = 2018-09-01\n\
    ends_on = \"2018-12-31\"\n\
    staff_target_percent = 90\n\
    citizen_target = 300\n\
    public = true\n\
    articles = [\"b\", \"a\"]\n";

/// `(slug, name, period, targets, public)` and the article slugs in order.
async fn stored(db: &Db, slug: &str) -> (String, Vec<String>) {
    let c = campaigns::by_slug(db, slug).await.unwrap().unwrap();
    let mut tx = db.begin().await.unwrap();
    let slugs = campaigns::article_slugs_tx(&mut tx, c.id).await.unwrap();
    tx.commit().await.unwrap();
    (
        format!(
            "{}|{}|{}|{}|{}|{}|{}|{}",
            c.slug,
            c.name,
            c.description,
            c.starts_on,
            c.ends_on,
            c.staff_target_percent,
            c.citizen_target,
            c.is_public
        ),
        slugs,
    )
}

async fn the_sipas_campaign_ships_with_the_content(db: TestDb) {
    let set = content::load_dir(&repo_content()).unwrap();
    assert_eq!(set.campaigns.len(), 1);
    let sipas = &set.campaigns[0];
    assert_eq!(sipas.fields.slug.as_str(), "sipas-2017-2020");
    assert!(sipas.fields.is_public);
    assert_eq!(sipas.fields.staff_target_percent, 100);
    assert!(sipas.fields.citizen_target > 0);
    let in_dir: Vec<&str> = set.articles.iter().map(|a| a.input.slug.as_str()).collect();
    for (slug, _) in &sipas.articles {
        assert!(in_dir.contains(&slug.as_str()), "{slug} is in content/");
    }
    assert_eq!(sipas.articles[0].0, "thong-bao-608-sttt-vp");
    // A fresh site has it, on the public page, its articles in order.
    let app = TestApp::spawn(db, &repo_content()).await;
    let page = app.page("/chien-dich/sipas-2017-2020", 200).await;
    let links = crate::helpers::attrs(&page, ".campaign-articles-public h3 a", "href");
    let expected: Vec<String> = sipas
        .articles
        .iter()
        .map(|(s, _)| format!("/bai-viet/{s}"))
        .collect();
    assert_eq!(links, expected);
    assert_eq!(texts(&page, "h1"), [sipas.fields.name.as_str()]);
}

async fn export_and_import_round_trip_and_import_is_idempotent(db: TestDb) {
    let conn = db.connect().await;
    let dir = tree_content(&["a", "b", "c"]);
    dir.raw("campaigns/quy-che.toml", CAMPAIGN.as_bytes());
    let first = content::import_dir(&conn, dir.path()).await.unwrap();
    assert_eq!(first.campaigns_added, ["quy-che"]);
    let original = stored(&conn, "quy-che").await;
    assert_eq!(
        original,
        (
            "quy-che|Tuyên truyền quy chế|Cán bộ đọc và xác nhận.|2018-09-01|2018-12-31|90|300|true"
                .to_owned(),
            vec!["b".to_owned(), "a".to_owned()]
        )
    );
    // The same directory again: nothing changes.
    let again = content::import_dir(&conn, dir.path()).await.unwrap();
    assert_eq!(again.campaigns_unchanged, ["quy-che"]);
    assert!(!again.changed_anything(), "{again}");

    // Export, then import the export into another database: the same campaign.
    let out = db.dir.path().join("xuat");
    let report = content::export_dir(&conn, &out).await.unwrap();
    assert_eq!(report.campaigns, 1);
    let text = std::fs::read_to_string(out.join("campaigns/quy-che.toml")).unwrap();
    assert!(text.contains("starts_on = 2018-09-01"), "{text}");
    let back = content::import_dir(&conn, &out).await.unwrap();
    assert!(!back.changed_anything(), "{back}");
    let other_db = db.another().await;
    let other = other_db.connect().await;
    content::import_dir(&other, &out).await.unwrap();
    assert_eq!(stored(&other, "quy-che").await, original);

    // A changed order in the file is an update.
    let dir2 = ContentDir::new();
    dir2.raw(
        "campaigns/quy-che.toml",
        CAMPAIGN
            .replace("[\"b\", \"a\"]", "[\"c\", \"a\", \"b\"]")
            .as_bytes(),
    );
    let changed = content::import_dir(&conn, dir2.path()).await.unwrap();
    assert_eq!(changed.campaigns_updated, ["quy-che"]);
    assert_eq!(stored(&conn, "quy-che").await.1, ["c", "a", "b"]);
}

async fn a_bad_campaign_file_stops_the_whole_import_with_its_lines(db: TestDb) {
    let conn = db.connect().await;
    let dir = tree_content(&["a", "b"]);
    dir.raw(
        "campaigns/sai.toml",
        "name = \"Sai\"\nstarts_on = 2018-09-01\nends_on = 2018-08-01\n\
         articles = [\n  \"a\",\n  \"khong-co\",\n]\n"
            .as_bytes(),
    );
    dir.raw(
        "campaigns/trung.toml",
        "slug = \"sai\"\nname = \"Trùng\"\nstarts_on = 2018-09-01\nends_on = 2018-09-02\n"
            .as_bytes(),
    );
    let errors = match content::import_dir(&conn, dir.path()).await {
        Err(ImportError::Invalid(errors)) => errors,
        other => panic!("expected errors, got {other:?}"),
    };
    let lines: Vec<String> = errors
        .iter()
        .map(|e| {
            let file = e.path.file_name().unwrap().to_string_lossy().into_owned();
            format!("{file}:{}: {}", e.line, e.field.clone().unwrap_or_default())
        })
        .collect();
    assert_eq!(lines, ["sai.toml:3: ends_on"], "{errors:?}");
    assert!(errors[0].message.contains("Ngày kết thúc"), "{errors:?}");

    // With the dates right: the unknown article is reported at its line.
    std::fs::write(
        dir.path().join("campaigns/sai.toml"),
        "name = \"Sai\"\nstarts_on = 2018-09-01\nends_on = 2018-10-01\n\
         articles = [\n  \"a\",\n  \"khong-co\",\n]\n",
    )
    .unwrap();
    std::fs::remove_file(dir.path().join("campaigns/trung.toml")).unwrap();
    let errors = match content::import_dir(&conn, dir.path()).await {
        Err(ImportError::Invalid(errors)) => errors,
        other => panic!("expected errors, got {other:?}"),
    };
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        errors[0].to_string(),
        format!(
            "{}:6: articles: không có bài viết «khong-co»",
            dir.path().join("campaigns/sai.toml").display()
        )
    );
    // All or nothing: neither the articles nor the campaign were written.
    assert_eq!(articles::count_all(&conn).await.unwrap(), 0);
    assert!(campaigns::list(&conn).await.unwrap().is_empty());
}
