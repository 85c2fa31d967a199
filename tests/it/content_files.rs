//! The repository's own content: the SIPAS articles and site.toml meet the editorial rules.

use unicode_normalization::UnicodeNormalization;

use crate::helpers::repo_content;

#[test]
fn the_sipas_articles_follow_the_editorial_rules() {
    let set = loa::content::load_dir(&repo_content()).expect("content/ imports cleanly");
    assert!(
        set.articles.len() >= 9,
        "8 articles and the notice of letter 608"
    );
    assert!(set
        .articles
        .iter()
        .any(|a| a.input.slug.as_str() == "thong-bao-608-sttt-vp"));
    for file in &set.articles {
        let a = &file.input;
        let name = file.path.display();
        let raw = std::fs::read_to_string(&file.path).unwrap();
        assert!(raw.nfc().eq(raw.chars()), "{name} is NFC");
        let words = a.body.split_whitespace().count();
        assert!((400..=1200).contains(&words), "{name}: {words} words");
        assert!(
            a.body.contains("\n## Nguồn\n"),
            "{name} ends with its sources"
        );
        assert!(
            !a.body.lines().any(|l| l.starts_with("# ")),
            "{name}: the title is the only h1"
        );
        assert!(!a.summary.is_empty(), "{name} has a summary");
        assert!(!a.topics.is_empty(), "{name} has topics");
        assert!(a.publish_at.is_some(), "{name} has a publication date");
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
