//! URL slugs: ASCII, lowercase, Vietnamese diacritics folded (`đ` → `d`).
//!
//! "Chỉ số hài lòng" → `chi-so-hai-long`. The same folding serves heading anchors and
//! diacritic-insensitive search.

use std::fmt;

use serde::Serialize;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Longest slug we derive; longer titles are cut at a word boundary.
pub const MAX_LEN: usize = 80;

/// Removes Vietnamese (and other Latin) diacritics, keeping letter case: "Đăng ký" → "Dang ky".
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            other => other,
        })
        .collect()
}

/// Turns any text into slug form: folded, lowercase, runs of other characters as one `-`.
/// May return an empty string (for text without letters or digits).
pub fn slugify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_dash = false;
    for c in fold(text).chars() {
        if c.is_ascii_alphanumeric() {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.push(c.to_ascii_lowercase());
        } else {
            pending_dash = true;
        }
    }
    if out.len() > MAX_LEN {
        let cut = out[..=MAX_LEN].rfind('-').unwrap_or(MAX_LEN);
        out.truncate(cut);
    }
    out
}

/// A valid slug: non-empty, at most 100 characters of `a-z`, `0-9` and single inner hyphens.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Slug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("đường dẫn (slug) không được để trống")]
    Empty,
    #[error("đường dẫn (slug) dài quá 100 ký tự")]
    TooLong,
    #[error("đường dẫn (slug) chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang, không bắt đầu hay kết thúc bằng gạch ngang: «{0}»")]
    Invalid(String),
}

impl Slug {
    pub fn parse(s: &str) -> Result<Slug, SlugError> {
        if s.is_empty() {
            return Err(SlugError::Empty);
        }
        if s.len() > 100 {
            return Err(SlugError::TooLong);
        }
        let valid = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        if valid {
            Ok(Slug(s.to_owned()))
        } else {
            Err(SlugError::Invalid(s.to_owned()))
        }
    }

    /// The slug derived from a title, or `None` when the title has no letter or digit.
    pub fn from_title(title: &str) -> Option<Slug> {
        let s = slugify(title);
        (!s.is_empty()).then_some(Slug(s))
    }

    /// The first of `base`, `base-2`, `base-3`, … that `taken` does not claim.
    pub fn unique(base: &Slug, mut taken: impl FnMut(&str) -> bool) -> Slug {
        if !taken(&base.0) {
            return base.clone();
        }
        (2..)
            .map(|n| Slug(format!("{}-{n}", base.0)))
            .find(|s| !taken(&s.0))
            .expect("an unbounded range always yields a free slug")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese_including_d() {
        assert_eq!(fold("Đăng ký hài lòng"), "Dang ky hai long");
        assert_eq!(
            fold("Sở Thông tin và Truyền thông"),
            "So Thong tin va Truyen thong"
        );
        assert_eq!(fold("ỷ ữ ợ ặ ậ ế"), "y u o a a e");
    }

    #[test]
    fn folding_ignores_normalisation_form() {
        let composed = "hài lòng";
        let decomposed: String = composed.nfd().collect();
        assert_ne!(composed, decomposed);
        assert_eq!(fold(composed), fold(&decomposed));
    }

    #[test]
    fn slugifies_titles() {
        assert_eq!(slugify("Chỉ số hài lòng"), "chi-so-hai-long");
        assert_eq!(
            slugify("SIPAS là gì? Khi người dân “chấm điểm”"),
            "sipas-la-gi-khi-nguoi-dan-cham-diem"
        );
        assert_eq!(slugify("  --Đường dẫn--  "), "duong-dan");
        assert_eq!(slugify("5 yếu tố, 22 tiêu chí"), "5-yeu-to-22-tieu-chi");
        assert_eq!(slugify("???"), "");
    }

    #[test]
    fn long_titles_are_cut_at_a_word() {
        let s = slugify(&"cải cách hành chính ".repeat(10));
        assert!(s.len() <= MAX_LEN, "{s}");
        assert!(!s.ends_with('-'));
        assert!(s.starts_with("cai-cach-hanh-chinh-cai"));
    }

    #[test]
    fn parses_only_valid_slugs() {
        assert!(Slug::parse("sipas-2018").is_ok());
        assert_eq!(Slug::parse(""), Err(SlugError::Empty));
        for bad in [
            "Sipas",
            "sipas--2018",
            "-sipas",
            "sipas-",
            "hài-lòng",
            "a b",
            "a/b",
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad} should be refused");
        }
        assert_eq!(Slug::parse(&"a".repeat(101)), Err(SlugError::TooLong));
    }

    #[test]
    fn unique_adds_a_counter() {
        let base = Slug::from_title("Tin mới").unwrap();
        assert_eq!(Slug::unique(&base, |_| false).as_str(), "tin-moi");
        let taken = ["tin-moi", "tin-moi-2"];
        assert_eq!(
            Slug::unique(&base, |s| taken.contains(&s)).as_str(),
            "tin-moi-3"
        );
        assert_eq!(Slug::from_title("!!!"), None);
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

            /// Folding what is folded, or slugifying a slug, changes nothing; and every
            /// non-empty slug derived from text is a valid [`Slug`].
            #[test]
            fn folding_and_slugifying_are_idempotent(text in "\\PC{0,120}|[Đđ ăâêôơự̀́̉̃a-zA-Z0-9-]{0,120}") {
                let folded = fold(&text);
                prop_assert_eq!(fold(&folded), folded.clone());
                let slug = slugify(&text);
                prop_assert_eq!(slugify(&slug), slug.clone());
                prop_assert_eq!(slugify(&folded), slug.clone());
                if !slug.is_empty() {
                    prop_assert_eq!(Slug::parse(&slug).map(|s| s.as_str().to_owned()), Ok(slug));
                }
            }
        }
    }
}
