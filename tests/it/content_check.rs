//! The content check: every article of the repository's `content/` is NFC, ends with a
//! `## Nguồn` section that names at least one source, has a summary, links only to articles,
//! anchors and topics that exist, and is not dated before the newest `dd/mm/yyyy` date it writes
//! (so a page cannot report, on its publication day, an event that had not happened yet).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::NaiveDate;
use unicode_normalization::UnicodeNormalization;

use crate::helpers::{attrs, repo_content, ContentDir};
use loa::content::{ArticleFile, ImportError};

/// Every problem of a content directory, one line each, starting with the file's name.
fn problems(dir: &Path) -> Vec<String> {
    let set = match loa::content::load_dir(dir) {
        Ok(set) => set,
        Err(ImportError::Invalid(errors)) => return errors.iter().map(|e| e.to_string()).collect(),
        Err(e) => return vec![e.to_string()],
    };
    // Heading ids of every article, as the real pipeline renders them.
    let ids: HashMap<&str, HashSet<String>> = set
        .articles
        .iter()
        .map(|f| {
            let html = loa::markdown::render(&f.input.body).html;
            let ids = attrs(&html, "[id]", "id").into_iter().collect();
            (f.input.slug.as_str(), ids)
        })
        .collect();
    let topics: HashSet<String> = set
        .articles
        .iter()
        .flat_map(|f| &f.input.topics)
        .filter_map(|t| loa::slug::Slug::from_title(t).map(|s| s.to_string()))
        .collect();
    let mut out = Vec::new();
    for file in &set.articles {
        let name = file
            .path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let mut say = |problem: String| out.push(format!("{name}: {problem}"));
        let raw = std::fs::read_to_string(&file.path).unwrap();
        // The loader normalises; the file itself must already be NFC.
        if !raw.nfc().eq(raw.chars()) {
            say("không ở dạng chuẩn NFC".into());
        }
        if !has_summary(&raw) {
            say("thiếu summary trong phần đầu".into());
        }
        if let Err(problem) = sources(&file.input.body) {
            say(problem);
        }
        for href in links(file) {
            if let Err(problem) = resolve(&href, file, &ids, &topics) {
                say(problem);
            }
        }
        for problem in date_problems(file) {
            say(problem);
        }
    }
    out
}

/// An explicit, non-empty `summary` in the front matter (the loader would derive one).
fn has_summary(raw: &str) -> bool {
    let Some(front) = raw
        .strip_prefix("+++\n")
        .and_then(|r| r.split_once("\n+++\n"))
        .map(|(front, _)| front)
    else {
        return false;
    };
    toml::from_str::<toml::Table>(front).is_ok_and(|t| {
        t.get("summary")
            .and_then(|s| s.as_str())
            .is_some_and(|s| !s.trim().is_empty())
    })
}

/// The last `##` section is `## Nguồn` and holds a list item or a link.
fn sources(body: &str) -> Result<(), String> {
    let lines: Vec<&str> = body.lines().collect();
    let Some(start) = lines.iter().rposition(|l| l.starts_with("## ")) else {
        return Err("không có mục «## Nguồn»".into());
    };
    if lines[start].trim_end() != "## Nguồn" {
        return Err(format!(
            "mục cuối là «{}», không phải «## Nguồn»",
            lines[start]
        ));
    }
    let section = &lines[start + 1..];
    let listed = section.iter().any(|l| {
        let l = l.trim_start();
        l.starts_with("- ")
            || l.starts_with("* ")
            || l.split_once(". ")
                .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    });
    if listed || section.iter().any(|l| l.contains("](")) {
        Ok(())
    } else {
        Err("mục «## Nguồn» không nêu nguồn nào".into())
    }
}

/// Every `href` of the rendered article.
fn links(file: &ArticleFile) -> Vec<String> {
    attrs(
        &loa::markdown::render(&file.input.body).html,
        "a[href]",
        "href",
    )
}

/// Internal links name an existing article (and heading) or topic.
fn resolve(
    href: &str,
    file: &ArticleFile,
    ids: &HashMap<&str, HashSet<String>>,
    topics: &HashSet<String>,
) -> Result<(), String> {
    let (path, fragment) = match href.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (href, None),
    };
    let path = path.split('?').next().unwrap_or_default();
    let target = if path.is_empty() {
        file.input.slug.as_str()
    } else if let Some(slug) = path.strip_prefix("/bai-viet/") {
        slug
    } else if let Some(slug) = path.strip_prefix("/chu-de/") {
        return if topics.contains(slug) {
            Ok(())
        } else {
            Err(format!("liên kết tới chủ đề không có: {href}"))
        };
    } else {
        return Ok(());
    };
    let Some(target_ids) = ids.get(target) else {
        return Err(format!("liên kết tới bài không có: {href}"));
    };
    match fragment {
        Some(id) if !target_ids.contains(id) => Err(format!("liên kết tới mục không có: {href}")),
        _ => Ok(()),
    }
}

/// `d/m/yyyy` and `dd/mm/yyyy` dates written in the text (document numbers such as
/// `43/2011/NĐ-CP` are not dates).
fn dates(text: &str) -> Vec<Result<NaiveDate, String>> {
    let b = text.as_bytes();
    let run = |i: usize| {
        b[i.min(b.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() || (i > 0 && b[i - 1].is_ascii_digit()) {
            i += 1;
            continue;
        }
        let d = run(i);
        let m_at = i + d + 1;
        let m = if b.get(i + d) == Some(&b'/') {
            run(m_at)
        } else {
            0
        };
        let y_at = m_at + m + 1;
        let y = if m > 0 && b.get(m_at + m) == Some(&b'/') {
            run(y_at)
        } else {
            0
        };
        if d <= 2 && (1..=2).contains(&m) && y == 4 {
            let written = &text[i..y_at + 4];
            out.push(
                NaiveDate::parse_from_str(written, "%d/%m/%Y")
                    .map_err(|_| format!("ngày không có thật: {written}")),
            );
            i = y_at + 4;
        } else {
            i += d;
        }
    }
    out
}

fn date_problems(file: &ArticleFile) -> Vec<String> {
    let a = &file.input;
    let Some(publish_at) = a.publish_at else {
        return vec!["không có publish_at".into()];
    };
    let published = publish_at.with_timezone(&loa::time::vietnam()).date_naive();
    let text = format!("{}\n{}\n{}", a.title, a.summary, a.body.source());
    let mut problems = Vec::new();
    let mut newest: Option<NaiveDate> = None;
    for date in dates(&text) {
        match date {
            Ok(d) => newest = newest.max(Some(d)),
            Err(problem) => problems.push(problem),
        }
    }
    if let Some(newest) = newest.filter(|d| *d > published) {
        problems.push(format!(
            "đăng ngày {} nhưng nhắc tới ngày {}",
            published.format("%d/%m/%Y"),
            newest.format("%d/%m/%Y")
        ));
    }
    problems
}

#[test]
fn the_repository_content_passes_the_check() {
    let found = problems(&repo_content());
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_check_catches_each_kind_of_mistake() {
    let good_front =
        "title = \"Tốt\"\nslug = \"tot\"\nsummary = \"Tóm tắt.\"\ntopics = [\"SIPAS\"]\n\
                      publish_at = \"2018-09-14T08:00:00+07:00\"";
    let good_body = "Ngày 31/8/2018.\n\n## Phần một\n\nx\n\n## Nguồn\n\n- Công văn 608/STTTT-VP.";
    let with = |front: &str, body: &str| {
        let dir = ContentDir::new();
        dir.article("tot.md", good_front, good_body);
        dir.article("bai.md", front, body);
        problems(dir.path())
    };
    let front = "title = \"Bài\"\nsummary = \"Tóm tắt.\"\ntopics = [\"SIPAS\"]\n\
                 publish_at = \"2018-09-14T08:00:00+07:00\"";
    let ok = "Xem [bài](/bai-viet/tot#phan-mot), [chủ đề](/chu-de/sipas), [đầu](#phan-hai).\n\n\
              ## Phần hai\n\nx\n\n## Nguồn\n\n[Nguồn](https://example.com)";
    assert_eq!(with(front, ok), Vec::<String>::new());

    let nfd: String = "Phần hai".nfd().collect();
    let cases: Vec<(String, String, &str)> = vec![
        (front.into(), ok.replace("Phần hai", &nfd), "NFC"),
        (
            front.replace("summary = \"Tóm tắt.\"\n", ""),
            ok.into(),
            "summary",
        ),
        (
            front.into(),
            "x\n\n## Tài liệu\n\n- a".into(),
            "không phải «## Nguồn»",
        ),
        (
            front.into(),
            "## Nguồn\n\n- a\n\n## Phụ lục\n\nb".into(),
            "không phải «## Nguồn»",
        ),
        (front.into(), "x".into(), "không có mục"),
        (
            front.into(),
            "## Nguồn\n\nChưa có.".into(),
            "không nêu nguồn",
        ),
        (
            front.into(),
            format!("[x](/bai-viet/khong-co)\n\n{ok}"),
            "bài không có",
        ),
        (
            front.into(),
            format!("[x](/bai-viet/tot#khong-co)\n\n{ok}"),
            "mục không có",
        ),
        (
            front.into(),
            format!("[x](/chu-de/khong-co)\n\n{ok}"),
            "chủ đề không có",
        ),
        (
            front.into(),
            format!("Kết quả công bố ngày 24/6/2021.\n\n{ok}"),
            "nhắc tới ngày 24/06/2021",
        ),
        (
            front.into(),
            format!("Ngày 31/02/2018.\n\n{ok}"),
            "ngày không có thật",
        ),
        (
            front.replace("publish_at = \"2018-09-14T08:00:00+07:00\"", ""),
            ok.into(),
            "publish_at",
        ),
    ];
    for (front, body, expected) in cases {
        let found = with(&front, &body);
        assert!(
            found.len() == 1 && found[0].starts_with("bai.md: ") && found[0].contains(expected),
            "expected one problem with «{expected}», got {found:?}"
        );
    }
    // The publication day itself is fine; dates are read in Vietnam time.
    let late = front.replace("2018-09-14T08:00:00+07:00", "2021-06-25T00:30:00+07:00");
    assert!(with(&late, &format!("Ngày 25/6/2021.\n\n{ok}")).is_empty());
    // Numbers of documents are not dates.
    assert!(with(
        front,
        &format!("Công văn 1722/UBND-NC, Nghị định 43/2011/NĐ-CP, 12/2018/x.\n\n{ok}")
    )
    .is_empty());
}

#[test]
fn the_sipas_articles_follow_the_editorial_rules() {
    let set = loa::content::load_dir(&repo_content()).expect("content/ imports cleanly");
    assert!(
        set.articles.len() >= 17,
        "the notice of letter 608, its articles and the yearly results"
    );
    assert!(set
        .articles
        .iter()
        .any(|a| a.input.slug.as_str() == "thong-bao-608-sttt-vp"));
    for file in &set.articles {
        let a = &file.input;
        let name = file.path.display();
        let words = a.body.split_whitespace().count();
        assert!((800..=1200).contains(&words), "{name}: {words} words");
        assert!(
            !a.body.lines().any(|l| l.starts_with("# ")),
            "{name}: the title is the only h1"
        );
        assert!(!a.topics.is_empty(), "{name} has topics");
    }
}

#[test]
fn site_toml_names_the_department_its_units_and_localities() {
    let set = loa::content::load_dir(&repo_content()).unwrap();
    let site = set.site.expect("content/site.toml exists");
    assert_eq!(
        site.info.name,
        "Sở Thông tin và Truyền thông tỉnh Bình Phước"
    );
    let units: Vec<&str> = site.units.iter().map(|u| u.name.as_str()).collect();
    for expected in [
        "Ban Giám đốc",
        "Văn phòng Sở",
        "Thanh tra Sở",
        "Trung tâm Công nghệ Thông tin và Truyền thông",
    ] {
        assert!(units.contains(&expected), "{expected} in {units:?}");
    }
    assert!(
        site.units.iter().any(|u| u.parent.is_some()),
        "units form a tree"
    );
    assert_eq!(
        site.localities.len(),
        11,
        "the province's 11 district-level localities of 2018"
    );
}
