//! The sitemap: `/sitemap.xml` is an index of files of at most 1,000 URLs (the pages that are not
//! articles, then the articles by blocks of ids), read back with a strict XML reader; a large
//! archive is split with every article exactly once; a change shows in the right file at once.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use loa::account::Role;
use quick_xml::events::Event;

use crate::admin_articles::create;
use crate::db_tests;
use crate::feeds::{content, LATER};
use crate::fixtures::articles::many_published;
use crate::fixtures::{article_id, campaign};
use crate::helpers::{ContentDir, TestApp, TestDb};

db_tests!(
    the_sitemap_lists_every_public_page,
    a_large_site_is_split_into_files_of_a_thousand,
);

/// One line of a sitemap or of a sitemap index: `<loc>` and `<lastmod>`.
type Line = (String, Option<String>);

/// The root element's name and its lines (`url`s or `sitemap`s), read by a strict XML reader.
fn read(xml: &str) -> (String, Vec<Line>) {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut root = None;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => {
                let name: String = e.name().as_ref().to_owned();
                if root.is_none() {
                    let ns = e
                        .attributes()
                        .map(|a| a.unwrap())
                        .find(|a| a.key.as_ref() == "xmlns")
                        .map(|a| a.value.to_string());
                    assert_eq!(
                        ns.as_deref(),
                        Some("http://www.sitemaps.org/schemas/sitemap/0.9")
                    );
                    root = Some(name.clone());
                } else if name == "url" || name == "sitemap" {
                    let expected = if root.as_deref() == Some("urlset") {
                        "url"
                    } else {
                        "sitemap"
                    };
                    assert_eq!(name, expected, "a {name} in a {root:?}");
                    lines.push((String::new(), None));
                }
                current = name;
            }
            Event::Text(t) => {
                let text = t.to_string();
                match (current.as_str(), lines.last_mut()) {
                    ("loc", Some(u)) => u.0.push_str(&text),
                    ("lastmod", Some(u)) => u.1 = Some(text),
                    _ => {}
                }
            }
            Event::End(_) => current.clear(),
            Event::Eof => break,
            _ => {}
        }
    }
    (root.expect("a root element"), lines)
}

/// GETs a sitemap file: 200, XML, and the expected root.
async fn file(app: &TestApp, path: &str, root: &str) -> Vec<Line> {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "GET {path}");
    assert_eq!(
        response.headers()["content-type"],
        "application/xml; charset=utf-8"
    );
    let (found, lines) = read(&response.text().await.unwrap());
    assert_eq!(found, root, "{path}");
    for (loc, lastmod) in &lines {
        let lastmod = lastmod
            .as_deref()
            .unwrap_or_else(|| panic!("{loc} in {path} has a lastmod"));
        DateTime::parse_from_rfc3339(lastmod).expect("a W3C datetime");
    }
    lines
}

/// The index and every file it lists, by path (after the site's base URL). Each file's
/// `lastmod` in the index is the newest of its lines.
async fn every_file(app: &TestApp) -> Vec<(String, Vec<Line>)> {
    let index = file(app, "/sitemap.xml", "sitemapindex").await;
    let mut files = Vec::new();
    for (loc, lastmod) in index {
        let path = loc.strip_prefix(app.base.as_str()).unwrap().to_owned();
        let lines = file(app, &path, "urlset").await;
        let newest = lines.iter().filter_map(|l| l.1.clone()).max();
        assert_eq!(lastmod, newest, "the lastmod of {path} in the index");
        files.push((path, lines));
    }
    files
}

fn paths(app: &TestApp, lines: &[Line]) -> Vec<String> {
    lines
        .iter()
        .map(|(l, _)| l.strip_prefix(app.base.as_str()).unwrap().to_owned())
        .collect()
}

async fn the_sitemap_lists_every_public_page(db: TestDb) {
    let dir = content();
    let app = TestApp::spawn(db, dir.path()).await;
    campaign(&app, "mua-he", &["dang-ky"], 100, true).await;
    campaign(&app, "noi-bo", &["dang-ky"], 100, false).await;

    let files = every_file(&app).await;
    let names: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(names, ["/sitemap-trang.xml", "/sitemap-bai-viet-1.xml"]);
    assert_eq!(
        paths(&app, &files[0].1),
        [
            "/",
            "/chu-de",
            "/chien-dich/mua-he",
            "/chu-de/dich-vu-cong",
            "/chu-de/suc-khoe"
        ],
        "the public campaign, not the internal one"
    );
    let mut articles = paths(&app, &files[1].1);
    articles.sort();
    assert_eq!(
        articles,
        ["/bai-viet/dang-ky", "/bai-viet/hoi-dap"],
        "no draft, no scheduled article"
    );
    // Every listed page exists.
    for (_, lines) in &files {
        for path in paths(&app, lines) {
            app.page(&path, 200).await;
        }
    }

    // An article's lastmod is its last change.
    #[derive(sqlx::FromRow)]
    struct Updated {
        updated_at: DateTime<Utc>,
    }
    let row: Updated = app
        .state
        .db
        .pool()
        .fetch_optional(
            "select updated_at from articles where slug = 'dang-ky'",
            vec![],
        )
        .await
        .unwrap()
        .unwrap();
    let dang_ky = files[1].1.iter().find(|(l, _)| l.ends_with("/dang-ky"));
    assert_eq!(
        dang_ky.unwrap().1.as_deref(),
        Some(loa::time::to_rfc3339_utc(row.updated_at).as_str())
    );

    // Only files that exist, under one name each.
    for path in [
        "/sitemap-bai-viet-2.xml",
        "/sitemap-bai-viet-0.xml",
        "/sitemap-bai-viet-01.xml",
        "/sitemap-bai-viet-1",
        "/sitemap-bai-viet-x.xml",
        "/sitemap-bai-viet--1.xml",
    ] {
        app.page(path, 404).await;
    }

    // Published by the scheduler: in the file at the next request.
    loa::jobs::publication::run_due(&app.state.db, LATER.parse().unwrap())
        .await
        .unwrap();
    let lines = file(&app, "/sitemap-bai-viet-1.xml", "urlset").await;
    let articles = paths(&app, &lines);
    assert!(articles.contains(&"/bai-viet/sap-dang".to_owned()));
    assert!(!articles.iter().any(|l| l.contains("ban-nhap")));
}

async fn a_large_site_is_split_into_files_of_a_thousand(db: TestDb) {
    let dir = ContentDir::new();
    let app = TestApp::spawn(db, dir.path()).await;
    let slugs = many_published(&app.state.db, 2_345).await;

    let files = every_file(&app).await;
    let names: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "/sitemap-trang.xml",
            "/sitemap-bai-viet-1.xml",
            "/sitemap-bai-viet-2.xml",
            "/sitemap-bai-viet-3.xml"
        ]
    );
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (name, lines) in &files {
        assert!(lines.len() <= 1000, "{name} has {} URLs", lines.len());
        for path in paths(&app, lines) {
            if let Some(slug) = path.strip_prefix("/bai-viet/") {
                *seen.entry(slug.to_owned()).or_default() += 1;
            }
        }
    }
    assert_eq!(seen.len(), slugs.len(), "every article is listed");
    for slug in &slugs {
        assert_eq!(seen.get(slug), Some(&1), "{slug} is listed once");
    }
    app.page("/sitemap-bai-viet-4.xml", 404).await;

    // Every file is kept now; a new article shows in the last one at the next request, and a
    // deleted one leaves its own.
    let editor = app.signed_in(Role::Editor).await;
    create(&editor, "Tin mới nhất", "Nội dung.", "xuat-ban").await;
    let last = paths(&app, &file(&app, "/sitemap-bai-viet-3.xml", "urlset").await);
    assert_eq!(
        last.last().map(String::as_str),
        Some("/bai-viet/tin-moi-nhat")
    );
    let id = article_id(&app, "bai-so-1500").await;
    let r = editor.post(&format!("/admin/bai-viet/{id}/xoa"), &[]).await;
    assert_eq!(r.status(), 303);
    let files = every_file(&app).await;
    let listed: Vec<String> = files.iter().flat_map(|f| paths(&app, &f.1)).collect();
    assert!(!listed.contains(&"/bai-viet/bai-so-1500".to_owned()));
    assert_eq!(listed.len(), 2 + 2_345, "home, topics, and 2,345 articles");
}
