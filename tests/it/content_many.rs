//! Importing a directory of many files: they are read and rendered on several threads, and the
//! result is still that of reading them one by one in path order — the same articles, the same
//! derived slugs, the same ids in the database, and every mistake reported with its file and
//! line, in path order.

use std::path::Path;

use loa::content::{front_matter, ContentError, ImportError};
use loa::db::articles;

use crate::db_tests;
use crate::helpers::{ContentDir, TestDb};

db_tests!(many_files_are_imported_in_path_order);

/// Files in the directory; every seventh one shares its title with the one before it, so its
/// slug is derived and depends on the order (`…-2`).
const FILES: usize = 240;

fn name(i: usize) -> String {
    format!("bai-{i:03}.md")
}

fn write_many(dir: &ContentDir) {
    for i in 0..FILES {
        let title = if i % 7 == 1 {
            format!("Bài số {}", i - 1)
        } else {
            format!("Bài số {i}")
        };
        let body = format!(
            "Đoạn mở đầu của bài {i}.\n\n## Mục một\n\n- ý thứ nhất\n- ý thứ hai\n\n\
             Xem [trang chủ](/)."
        );
        dir.article(&name(i), &format!("title = \"{title}\""), &body);
    }
}

/// What a one-thread reading of the directory gives: each file parsed in path order.
fn parsed_one_by_one(dir: &Path) -> Vec<front_matter::ArticleFile> {
    (0..FILES)
        .map(|i| {
            let path = dir.join(name(i));
            let bytes = std::fs::read(&path).unwrap();
            front_matter::parse(&path, &bytes).unwrap()
        })
        .collect()
}

#[test]
fn many_files_give_the_articles_of_a_one_thread_reading() {
    let dir = ContentDir::new();
    write_many(&dir);
    let set = loa::content::load_dir(dir.path()).unwrap();
    let expected = parsed_one_by_one(dir.path());
    assert_eq!(set.articles.len(), FILES);
    for (i, (got, want)) in set.articles.iter().zip(&expected).enumerate() {
        assert_eq!(got.path, want.path, "file {i}");
        let mut want = want.input.clone();
        if i % 7 == 1 {
            // The second file of a title steps aside.
            want.slug = loa::slug::Slug::parse(&format!("bai-so-{}-2", i - 1)).unwrap();
        }
        assert_eq!(got.input, want, "file {i}");
    }
}

#[test]
fn mistakes_among_many_files_are_reported_with_file_and_line_in_path_order() {
    let dir = ContentDir::new();
    write_many(&dir);
    // Three bad files, far apart: the date on line 3, the status on line 4, the title on line 2.
    let bad = [
        (5, "title = \"A\"\npublish_at = \"hôm qua\"", 3),
        (131, "title = \"B\"\nslug = \"b\"\nstatus = \"xong\"", 4),
        (238, "title = \"\"", 2),
    ];
    for (i, front, _) in bad {
        dir.article(&name(i), front, "Nội dung.");
    }
    let Err(ImportError::Invalid(errors)) = loa::content::load_dir(dir.path()) else {
        panic!("three bad files must refuse the directory");
    };
    let places: Vec<(String, usize)> = errors
        .iter()
        .map(|e: &ContentError| {
            let file = e.path.file_name().unwrap().to_string_lossy().into_owned();
            (file, e.line)
        })
        .collect();
    let expected: Vec<(String, usize)> = bad.iter().map(|(i, _, line)| (name(*i), *line)).collect();
    assert_eq!(places, expected, "{errors:#?}");
}

async fn many_files_are_imported_in_path_order(db: TestDb) {
    let dir = ContentDir::new();
    write_many(&dir);
    let conn = db.connect().await;
    let report = loa::content::import_dir(&conn, dir.path()).await.unwrap();
    assert_eq!(report.added.len(), FILES);
    let expected = loa::content::load_dir(dir.path()).unwrap();
    let rows = articles::all(&conn).await.unwrap();
    // Ids in path order, each row the file's article, rendered as the file renders.
    let got: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r.slug.as_str(), r.title.as_str(), r.body_html.as_str()))
        .collect();
    let want: Vec<(&str, &str, &str)> = expected
        .articles
        .iter()
        .map(|f| {
            let a = &f.input;
            (
                a.slug.as_str(),
                a.title.as_str(),
                a.body.rendered().html.as_str(),
            )
        })
        .collect();
    assert_eq!(got, want);
    assert_eq!(
        report.added,
        rows.iter().map(|r| r.slug.clone()).collect::<Vec<_>>()
    );
}
