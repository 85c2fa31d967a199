//! One article file: TOML front matter between `+++` lines, then the Markdown body.
//!
//! The front matter is split off first, then parsed into a typed struct; every mistake is
//! reported with the file, the line and the field, and a file yields either a complete
//! [`ArticleInput`] or its list of errors, never half of each.

mod ack;

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;
use unicode_normalization::UnicodeNormalization;

pub use ack::{end_of_day, format_time as format_ack_time, parse_time as parse_ack_time, AckFile};

use super::ContentError;
use crate::article::{too_many_topics, ArticleInput, ArticleStatus, MAX_TOPICS};
use crate::markdown::Body;
use crate::slug::Slug;
use crate::time;

const FENCE: &str = "+++";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFrontMatter {
    title: Option<Spanned<String>>,
    slug: Option<Spanned<String>>,
    summary: Option<String>,
    topics: Option<Spanned<Vec<String>>>,
    publish_at: Option<Spanned<toml::Value>>,
    unpublish_at: Option<Spanned<toml::Value>>,
    status: Option<Spanned<String>>,
    #[serde(default)]
    featured: bool,
    cover: Option<Spanned<String>>,
    cover_alt: Option<String>,
    /// Old slugs that must keep answering (301 to this article): see [`Alias`].
    #[serde(default)]
    aliases: Vec<Spanned<String>>,
    /// Who must confirm having read the article: see [`ack`].
    ack: Option<Spanned<ack::RawAck>>,
}

/// A parsed article file. When the file gives no slug, `input.slug` is derived from the title
/// and may still get a `-2` suffix (see [`super::load_dir`]).
#[derive(Debug, Clone)]
pub struct ArticleFile {
    pub path: PathBuf,
    pub input: ArticleInput,
    pub slug_is_explicit: bool,
    /// The line of `slug = …`, or of the title when the slug is derived.
    pub slug_line: usize,
    /// The `[ack]` table, when the article takes acknowledgments.
    pub ack: Option<AckFile>,
    /// `aliases = ["old-slug", …]`: addresses the article had before, in the file's order.
    pub aliases: Vec<Alias>,
}

/// An old slug of an article, kept in `slug_aliases` so that `/bai-viet/{old}` answers 301.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    pub slug: Slug,
    /// The line of `aliases = …`, for errors about collisions found later.
    pub line: usize,
}

/// Where the front matter sits in the file, to turn byte offsets into line numbers.
struct Located<'a> {
    path: &'a Path,
    front: &'a str,
    /// Line number of the front matter's first line (the one after the opening `+++`).
    first_line: usize,
}

impl Located<'_> {
    fn line_of(&self, offset: usize) -> usize {
        self.first_line
            + self.front[..offset.min(self.front.len())]
                .matches('\n')
                .count()
    }

    /// A time field, written as a string or a TOML datetime and read by `parse`; a mistake is
    /// pushed to `errors` with its line, and the field is then `None`.
    fn time<E: std::fmt::Display>(
        &self,
        value: &Option<Spanned<toml::Value>>,
        field: &str,
        expected: &str,
        parse: impl Fn(&str) -> Result<chrono::DateTime<chrono::Utc>, E>,
        errors: &mut Vec<ContentError>,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        let v = value.as_ref()?;
        let line = self.line_of(v.span().start);
        let text = match v.get_ref() {
            toml::Value::String(s) => s.clone(),
            toml::Value::Datetime(d) => d.to_string(),
            other => {
                let message = format!("cần một {expected}, không phải {}", other.type_str());
                errors.push(self.error(line, field, message));
                return None;
            }
        };
        parse(&text)
            .map_err(|e| errors.push(self.error(line, field, e.to_string())))
            .ok()
    }

    fn error(&self, line: usize, field: &str, message: impl Into<String>) -> ContentError {
        ContentError::new(self.path, line, Some(field), message)
    }
}

/// Parses the bytes of one article file.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<ArticleFile, Vec<ContentError>> {
    let text = decode(path, bytes).map_err(|e| vec![e])?;
    let (front, body, first_line) = split(path, &text).map_err(|e| vec![e])?;
    let at = Located {
        path,
        front,
        first_line,
    };
    let raw: RawFrontMatter = toml::from_str(front).map_err(|e| {
        let line = e.span().map_or(first_line, |s| at.line_of(s.start));
        vec![ContentError::new(
            path,
            line,
            field_of_toml_error(e.message()),
            toml_message(e.message()),
        )]
    })?;
    validate(&at, raw, body)
}

/// UTF-8 only; a byte BOM is dropped, text is NFC-normalised and line ends become `\n`. Shared
/// with the campaign files.
pub(super) fn decode(path: &Path, bytes: &[u8]) -> Result<String, ContentError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        ContentError::new(path, line, None, "tệp không phải văn bản UTF-8 hợp lệ")
    })?;
    Ok(text.replace("\r\n", "\n").nfc().collect())
}

/// Returns (front matter, body, line number of the front matter's first line).
fn split<'a>(path: &Path, text: &'a str) -> Result<(&'a str, &'a str, usize), ContentError> {
    let missing = |line| {
        ContentError::new(
            path,
            line,
            None,
            "thiếu phần đầu (front matter): tệp phải bắt đầu bằng một dòng +++ và phần đầu kết thúc bằng một dòng +++",
        )
    };
    let rest = text
        .strip_prefix(FENCE)
        .and_then(|r| {
            r.strip_prefix('\n')
                .or_else(|| r.trim_start_matches([' ', '\t']).strip_prefix('\n'))
        })
        .ok_or_else(|| missing(1))?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == FENCE {
            let front = &rest[..offset];
            let body = &rest[offset + line.len()..];
            return Ok((front, body, 2));
        }
        offset += line.len();
    }
    Err(missing(text.lines().count().max(1)))
}

fn field_of_toml_error(message: &str) -> Option<&'static str> {
    // The deserializer names unknown fields in its message; other errors point at a line.
    const FIELDS: [&str; 11] = [
        "title",
        "slug",
        "summary",
        "topics",
        "publish_at",
        "unpublish_at",
        "status",
        "featured",
        "cover",
        "cover_alt",
        "aliases",
    ];
    let named = |f: &str| message.contains(&format!("`{f}`"));
    FIELDS
        .into_iter()
        .find(|f| named(f))
        .or_else(|| ack::KEYS.into_iter().any(named).then_some("ack"))
}

fn toml_message(message: &str) -> String {
    let first = message.lines().next().unwrap_or(message);
    if first.starts_with("unknown field") {
        format!("trường không được hỗ trợ ({first})")
    } else {
        format!("phần đầu TOML không hợp lệ: {first}")
    }
}

fn validate(
    at: &Located,
    raw: RawFrontMatter,
    body: &str,
) -> Result<ArticleFile, Vec<ContentError>> {
    let mut errors = Vec::new();

    let title = match &raw.title {
        Some(t) if !t.get_ref().trim().is_empty() => Some(t.get_ref().trim().to_owned()),
        Some(t) => {
            errors.push(at.error(
                at.line_of(t.span().start),
                "title",
                "tiêu đề không được để trống",
            ));
            None
        }
        None => {
            errors.push(at.error(1, "title", "thiếu tiêu đề (title), trường bắt buộc"));
            None
        }
    };
    let title_line = raw.title.as_ref().map_or(1, |t| at.line_of(t.span().start));

    let (slug, slug_is_explicit, slug_line) = match &raw.slug {
        Some(s) => {
            let line = at.line_of(s.span().start);
            match Slug::parse(s.get_ref()) {
                Ok(slug) => (Some(slug), true, line),
                Err(e) => {
                    errors.push(at.error(line, "slug", e.to_string()));
                    (None, true, line)
                }
            }
        }
        None => {
            let derived = title.as_deref().and_then(Slug::from_title);
            if title.is_some() && derived.is_none() {
                errors.push(at.error(
                    title_line,
                    "slug",
                    "không tạo được đường dẫn từ tiêu đề; hãy ghi slug",
                ));
            }
            (derived, false, title_line)
        }
    };

    let status = match &raw.status {
        None => Some(ArticleStatus::Published),
        Some(s) => match s.get_ref().parse::<ArticleStatus>() {
            Ok(st) => Some(st),
            Err(e) => {
                errors.push(at.error(at.line_of(s.span().start), "status", e.to_string()));
                None
            }
        },
    };

    let publish_at = at.time(
        &raw.publish_at,
        "publish_at",
        "ngày giờ",
        time::parse_human,
        &mut errors,
    );
    let unpublish_at = at.time(
        &raw.unpublish_at,
        "unpublish_at",
        "ngày giờ",
        time::parse_human,
        &mut errors,
    );

    if status == Some(ArticleStatus::Scheduled) && raw.publish_at.is_none() {
        let line = raw
            .status
            .as_ref()
            .map_or(1, |s| at.line_of(s.span().start));
        errors.push(at.error(
            line,
            "publish_at",
            "bài đã lên lịch (scheduled) phải có publish_at",
        ));
    }
    if let (Some(p), Some(u)) = (publish_at, unpublish_at) {
        if u <= p {
            let line = raw
                .unpublish_at
                .as_ref()
                .map_or(1, |u| at.line_of(u.span().start));
            errors.push(at.error(
                line,
                "unpublish_at",
                "thời điểm gỡ bài phải sau thời điểm đăng",
            ));
        }
    }

    let cover = raw
        .cover
        .as_ref()
        .map(|c| c.get_ref().trim().to_owned())
        .filter(|c| !c.is_empty());
    let cover_alt = raw
        .cover_alt
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty());
    if let (Some(c), None) = (&raw.cover, &cover_alt) {
        errors.push(at.error(
            at.line_of(c.span().start),
            "cover_alt",
            "ảnh bìa phải có mô tả thay thế (cover_alt) cho người đọc không nhìn thấy ảnh",
        ));
    }
    if let (Some(c), Some(url)) = (&raw.cover, &cover) {
        if !is_safe_image_url(url) {
            errors.push(at.error(
                at.line_of(c.span().start),
                "cover",
                "ảnh bìa phải là đường dẫn trên trang (/static/…) hoặc địa chỉ http(s)",
            ));
        }
    }

    let ack = raw
        .ack
        .as_ref()
        .and_then(|a| ack::validate(at, a, &mut errors));
    let aliases = aliases(at, &raw.aliases, &mut errors);

    let (topics_line, topics) = match raw.topics {
        Some(t) => (at.line_of(t.span().start), t.into_inner()),
        None => (1, Vec::new()),
    };
    let topics: Vec<String> = topics
        .into_iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    if topics.len() > MAX_TOPICS {
        errors.push(at.error(topics_line, "topics", too_many_topics(topics.len())));
    }

    // The body starts on the line after the closing `+++`; blank lines before it are dropped.
    let trimmed = body.trim_start_matches('\n');
    let body_line = at.line_of(at.front.len()) + 1 + (body.len() - trimmed.len());
    let body = match Body::new(trimmed.trim_end().to_owned()) {
        Ok(body) => Some(body),
        Err(e) => {
            let line = body_line + e.line() - 1;
            errors.push(ContentError::new(at.path, line, None, e.to_string()));
            None
        }
    };

    if !errors.is_empty() {
        return Err(errors);
    }
    let (Some(title), Some(slug), Some(status), Some(body)) = (title, slug, status, body) else {
        unreachable!("every missing value pushed an error");
    };
    let summary = match raw.summary.map(|s| s.trim().to_owned()) {
        Some(s) if !s.is_empty() => s,
        _ => body.rendered().summary.clone(),
    };
    Ok(ArticleFile {
        path: at.path.to_owned(),
        input: ArticleInput {
            slug,
            title,
            summary,
            body,
            topics,
            status,
            featured: raw.featured,
            cover,
            cover_alt,
            publish_at,
            unpublish_at,
            meta_description: String::new(),
        },
        slug_is_explicit,
        slug_line,
        ack,
        aliases,
    })
}

/// Each alias a valid slug, listed once; whether it collides with a slug is decided with the
/// whole directory in view (see [`super::aliases`]).
fn aliases(at: &Located, raw: &[Spanned<String>], errors: &mut Vec<ContentError>) -> Vec<Alias> {
    let mut out: Vec<Alias> = Vec::new();
    for item in raw {
        let line = at.line_of(item.span().start);
        match Slug::parse(item.get_ref()) {
            Ok(slug) if out.iter().any(|a| a.slug == slug) => errors.push(at.error(
                line,
                "aliases",
                format!("đường dẫn cũ «{slug}» được ghi hai lần"),
            )),
            Ok(slug) => out.push(Alias { slug, line }),
            Err(e) => errors.push(at.error(line, "aliases", e.to_string())),
        }
    }
    out
}

/// A cover is shown in an `<img src>`: only site paths and http(s) addresses.
fn is_safe_image_url(url: &str) -> bool {
    (url.starts_with('/') && !url.starts_with("//"))
        || url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Result<ArticleFile, Vec<ContentError>> {
        parse(Path::new("content/x.md"), s.as_bytes())
    }

    fn first_error(s: &str) -> ContentError {
        parse_str(s).unwrap_err().remove(0)
    }

    #[test]
    fn parses_a_complete_file() {
        let f = parse_str(
            "+++\ntitle = \"Đăng ký hài lòng\"\ntopics = [\"SIPAS\", \" \"]\npublish_at = 2018-09-05\nfeatured = true\ncover = \"/static/a.png\"\ncover_alt = \"Ảnh\"\n+++\n\nĐoạn đầu.\n\n<!-- more -->\n\nCòn lại.\n",
        )
        .unwrap();
        assert_eq!(f.input.slug.as_str(), "dang-ky-hai-long");
        assert!(!f.slug_is_explicit);
        assert_eq!(f.input.summary, "Đoạn đầu.");
        assert_eq!(f.input.topics, ["SIPAS"]);
        assert_eq!(f.input.status, ArticleStatus::Published);
        assert_eq!(
            time::to_rfc3339_vietnam(f.input.publish_at.unwrap()),
            "2018-09-05T00:00:00+07:00"
        );
        assert!(f.input.body.starts_with("Đoạn đầu."));
        assert!(f.input.body.ends_with("Còn lại."));
    }

    #[test]
    fn errors_name_line_and_field() {
        let e = first_error("+++\ntitle = \"A\"\nstatus = \"live\"\n+++\nx");
        assert_eq!((e.line, e.field.as_deref()), (3, Some("status")));
        let e = first_error("+++\nslug = \"a\"\n+++\nx");
        assert_eq!((e.line, e.field.as_deref()), (1, Some("title")));
        let e = first_error("+++\ntitle = \"A\"\n\npublish_at = \"31/08/2018\"\n+++\n");
        assert_eq!((e.line, e.field.as_deref()), (4, Some("publish_at")));
        let e = first_error("+++\ntitle = \"A\"\ntitel = \"B\"\n+++\n");
        assert_eq!(e.line, 3);
        let e = first_error("+++\ntitle = \"A\nb = 1\n+++\n");
        assert_eq!(e.line, 2);
        let e = first_error("+++\ntitle = \"A\"\nslug = \"Có Dấu\"\n+++\n");
        assert_eq!((e.line, e.field.as_deref()), (3, Some("slug")));
        let e = first_error(
            "+++\ntitle = \"A\"\ncover = \"javascript:alert(1)\"\ncover_alt = \"x\"\n+++\n",
        );
        assert_eq!(e.field.as_deref(), Some("cover"));
        let e = first_error("+++\ntitle = \"A\"\ncover = \"/a.png\"\n+++\n");
        assert_eq!(e.field.as_deref(), Some("cover_alt"));
        let e = first_error("+++\ntitle = \"A\"\nstatus = \"scheduled\"\n+++\n");
        assert_eq!(e.field.as_deref(), Some("publish_at"));
    }

    #[test]
    fn limits_are_reported_with_their_lines() {
        let topics = (0..=MAX_TOPICS)
            .map(|i| format!("\"Chủ đề {i}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let e = first_error(&format!("+++\ntitle = \"A\"\ntopics = [{topics}]\n+++\nx"));
        assert_eq!((e.line, e.field.as_deref()), (3, Some("topics")));
        assert!(e.message.contains("21 chủ đề"), "{}", e.message);
        // The file's lines: 1 `+++`, 2 title, 3 `+++`, 4–5 blank, 6 a paragraph, 7 blank, then
        // one heading a line: the 1001st is on line 8 + 1000.
        let headings = "## a\n".repeat(crate::markdown::MAX_HEADINGS + 1);
        let e = first_error(&format!(
            "+++\ntitle = \"A\"\n+++\n\n\nMở đầu.\n\n{headings}"
        ));
        assert_eq!((e.line, e.field.as_deref()), (1008, None));
        assert!(e.message.contains("tiêu đề mục"), "{}", e.message);
        let long = "a".repeat(crate::markdown::MAX_BODY_BYTES + 1);
        let e = first_error(&format!("+++\ntitle = \"A\"\n+++\n{long}"));
        assert_eq!(e.line, 4);
        assert!(e.message.contains("quá giới hạn 512 kB"), "{}", e.message);
    }

    #[test]
    fn aliases_are_slugs_listed_once_with_their_lines() {
        let f = parse_str(
            "+++\ntitle = \"A\"\naliases = [\n  \"bai-cu\",\n  \"bai-cu-hon\",\n]\n+++\nx",
        )
        .unwrap();
        let got: Vec<(&str, usize)> = f
            .aliases
            .iter()
            .map(|a| (a.slug.as_str(), a.line))
            .collect();
        assert_eq!(got, [("bai-cu", 4), ("bai-cu-hon", 5)]);
        let e = first_error("+++\ntitle = \"A\"\naliases = [\"Có Dấu\"]\n+++\n");
        assert_eq!((e.line, e.field.as_deref()), (3, Some("aliases")));
        let e = first_error("+++\ntitle = \"A\"\naliases = [\"a\",\n \"a\"]\n+++\n");
        assert_eq!((e.line, e.field.as_deref()), (4, Some("aliases")));
        let e = first_error("+++\ntitle = \"A\"\naliases = \"a\"\n+++\n");
        assert_eq!(e.line, 3);
    }

    #[test]
    fn front_matter_fences_are_required() {
        assert_eq!(first_error("title = \"A\"\n").line, 1);
        assert_eq!(first_error("+++\ntitle = \"A\"\nbody\n").line, 3);
    }

    #[test]
    fn invalid_utf8_names_its_line() {
        let bytes = b"+++\ntitle = \"A\"\n+++\nok\n\xff\xfe\n";
        let e = parse(Path::new("x.md"), bytes).unwrap_err().remove(0);
        assert_eq!(e.line, 5);
    }

    #[test]
    fn text_is_normalised_to_nfc_with_unix_line_ends() {
        let decomposed: String = "hài lòng".nfd().collect();
        let src = format!("\u{feff}+++\r\ntitle = \"{decomposed}\"\r\n+++\r\n\r\nA\r\nB\r\n");
        let f = parse_str(&src).unwrap();
        assert_eq!(f.input.title, "hài lòng");
        assert_eq!(f.input.body, "A\nB");
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// Lines a content file is made of, whole or broken, and any text.
        fn line() -> impl Strategy<Value = String> {
            prop_oneof![
                2 => prop::sample::select(&[
                    "+++", "title = \"Tin\"", "title = ", "slug = \"tin\"", "slug = \"Có Dấu\"",
                    "topics = [\"SIPAS\", \"\"]", "topics = \"x\"", "publish_at = 2018-09-05",
                    "publish_at = \"31/08/2018 07:00\"", "unpublish_at = 1979-05-27T07:32:00Z",
                    "status = \"scheduled\"", "status = \"live\"", "featured = true",
                    "cover = \"/a.png\"", "cover_alt = \"Ảnh\"", "aliases = [\"a\", \"a\"]",
                    "[ack]", "staff = \"all\"", "due = \"15/9/2018\"", "units = [\"x\"]",
                    "citizens = true", "statement = \"\"\"", "## Mục", "[^a]: b", "<!-- more -->",
                    "\"", "[", "]", "=", "",
                ][..]).prop_map(str::to_owned),
                1 => any::<String>().prop_map(|s| s.chars().take(40).collect()),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

            /// Whatever the bytes, a file is parsed or refused with errors, never a panic.
            #[test]
            fn parsing_never_panics(
                lines in prop::collection::vec(line(), 0..24),
                bytes in prop::collection::vec(any::<u8>(), 0..200),
            ) {
                let _ = parse(Path::new("x.md"), lines.join("\n").as_bytes());
                let _ = parse(Path::new("x.md"), &bytes);
                let mut framed = b"+++\ntitle = \"A\"\n".to_vec();
                framed.extend(&bytes);
                let _ = parse(Path::new("x.md"), &framed);
            }
        }
    }
}
