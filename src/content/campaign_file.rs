//! `content/campaigns/SLUG.toml`: one campaign per file — its name, period, targets and the slugs
//! of its articles in reading order. Parsed into a typed struct with spans, so every mistake
//! names its file and line; written back in the same form by `loa export`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::ContentError;
use crate::campaign::{CampaignFields, RawCampaign};

/// The folder of campaign files inside a content directory.
pub const DIR_NAME: &str = "campaigns";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    slug: Option<Spanned<String>>,
    name: Option<Spanned<String>>,
    description: Option<Spanned<String>>,
    starts_on: Option<Spanned<toml::Value>>,
    ends_on: Option<Spanned<toml::Value>>,
    staff_target_percent: Option<Spanned<toml::Value>>,
    citizen_target: Option<Spanned<toml::Value>>,
    #[serde(default)]
    public: bool,
    articles: Option<Spanned<Vec<Spanned<String>>>>,
}

/// A parsed campaign file.
#[derive(Debug, Clone)]
pub struct CampaignFile {
    pub path: PathBuf,
    pub fields: CampaignFields,
    /// Article slugs in order, each with its line (checked against the articles by the import).
    pub articles: Vec<(String, usize)>,
    /// The line of `slug = …` (1 when the slug is the file's name).
    pub slug_line: usize,
}

/// Parses one campaign file. Without a `slug` key the file's name (without `.toml`) is the slug.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<CampaignFile, Vec<ContentError>> {
    let text = super::front_matter::decode(path, bytes).map_err(|e| vec![e])?;
    let line_of = |offset: usize| 1 + text[..offset.min(text.len())].matches('\n').count();
    let raw: RawFile = toml::from_str(&text).map_err(|e| {
        let line = e.span().map_or(1, |s| line_of(s.start));
        let first = e.message().lines().next().unwrap_or_default().to_owned();
        let message = if first.starts_with("unknown field") {
            format!("trường không được hỗ trợ ({first})")
        } else {
            format!("TOML không hợp lệ: {first}")
        };
        vec![ContentError::new(path, line, None, message)]
    })?;

    let mut errors = Vec::new();
    let mut lines: HashMap<&'static str, usize> = HashMap::new();
    let mut text_of = |field: &'static str, v: &Option<Spanned<toml::Value>>| -> String {
        let Some(v) = v else { return String::new() };
        lines.insert(field, line_of(v.span().start));
        match v.get_ref() {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(n) => n.to_string(),
            toml::Value::Datetime(d) => d.to_string(),
            other => {
                errors.push(ContentError::new(
                    path,
                    line_of(v.span().start),
                    Some(field),
                    format!("giá trị kiểu {} không hợp lệ", other.type_str()),
                ));
                String::new()
            }
        }
    };
    let starts_on = text_of("starts_on", &raw.starts_on);
    let ends_on = text_of("ends_on", &raw.ends_on);
    let staff_target_percent = text_of("staff_target_percent", &raw.staff_target_percent);
    let citizen_target = text_of("citizen_target", &raw.citizen_target);
    let mut spanned = |field: &'static str, v: &Option<Spanned<String>>| -> String {
        v.as_ref()
            .map(|s| {
                lines.insert(field, line_of(s.span().start));
                s.get_ref().clone()
            })
            .unwrap_or_default()
    };
    let name = spanned("name", &raw.name);
    let description = spanned("description", &raw.description);
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let slug = raw
        .slug
        .as_ref()
        .map(|s| s.get_ref().clone())
        .unwrap_or_else(|| stem.clone());
    let slug_line = raw.slug.as_ref().map_or(1, |s| line_of(s.span().start));
    lines.insert("slug", slug_line);
    let raw_campaign = RawCampaign {
        slug,
        name,
        description,
        starts_on,
        ends_on,
        staff_target_percent,
        citizen_target,
        is_public: raw.public,
    };
    let fields = match CampaignFields::try_from(raw_campaign) {
        Ok(f) => Some(f),
        Err(field_errors) => {
            for e in field_errors {
                let line = lines.get(e.field).copied().unwrap_or(1);
                errors.push(ContentError::new(path, line, Some(e.field), e.message));
            }
            None
        }
    };
    let mut articles: Vec<(String, usize)> = Vec::new();
    for a in raw.articles.iter().flat_map(|a| a.get_ref()) {
        let line = line_of(a.span().start);
        let slug = a.get_ref().trim().to_owned();
        if articles.iter().any(|(s, _)| *s == slug) {
            errors.push(ContentError::new(
                path,
                line,
                Some("articles"),
                format!("bài viết «{slug}» được kể hai lần"),
            ));
        } else {
            articles.push((slug, line));
        }
    }
    match fields {
        Some(fields) if errors.is_empty() => Ok(CampaignFile {
            path: path.to_owned(),
            fields,
            articles,
            slug_line,
        }),
        _ => Err(errors),
    }
}

/// A campaign file as `loa export` writes it: every key explicit, dates as TOML dates.
#[derive(Serialize)]
struct Written<'a> {
    slug: &'a str,
    name: &'a str,
    description: &'a str,
    starts_on: toml::value::Datetime,
    ends_on: toml::value::Datetime,
    staff_target_percent: i64,
    citizen_target: i64,
    public: bool,
    articles: &'a [String],
}

fn toml_date(d: chrono::NaiveDate) -> toml::value::Datetime {
    use chrono::Datelike;
    toml::value::Datetime {
        date: Some(toml::value::Date {
            year: d.year() as u16,
            month: d.month() as u8,
            day: d.day() as u8,
        }),
        time: None,
        offset: None,
    }
}

/// The text of a campaign file that [`parse`] reads back to the same campaign and articles.
pub fn write(fields: &CampaignFields, articles: &[String]) -> String {
    let written = Written {
        slug: fields.slug.as_str(),
        name: &fields.name,
        description: &fields.description,
        starts_on: toml_date(fields.starts_on),
        ends_on: toml_date(fields.ends_on),
        staff_target_percent: fields.staff_target_percent,
        citizen_target: fields.citizen_target,
        public: fields.is_public,
        articles,
    };
    let body = toml::to_string_pretty(&written).expect("a campaign always serialises");
    format!(
        "# A campaign (chiến dịch): period, targets and its articles in reading order.\n\
         # Written by `loa export`; read by `loa import`.\n{body}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(s: &str) -> Vec<ContentError> {
        parse(Path::new("campaigns/x.toml"), s.as_bytes()).unwrap_err()
    }

    #[test]
    fn parses_and_writes_back() {
        let src = "name = \"SIPAS 2017–2020\"\ndescription = \"Tuyên truyền.\"\n\
                   starts_on = 2018-09-01\nends_on = \"2020-12-31\"\ncitizen_target = 5000\n\
                   public = true\narticles = [\"b\", \"a\"]\n";
        let f = parse(Path::new("campaigns/sipas-2017-2020.toml"), src.as_bytes()).unwrap();
        assert_eq!(f.fields.slug.as_str(), "sipas-2017-2020");
        assert_eq!(f.fields.staff_target_percent, 100);
        assert_eq!(f.fields.citizen_target, 5000);
        assert!(f.fields.is_public);
        assert_eq!(f.articles, [("b".to_owned(), 7), ("a".to_owned(), 7)]);
        let slugs: Vec<String> = f.articles.iter().map(|(s, _)| s.clone()).collect();
        let text = write(&f.fields, &slugs);
        let again = parse(Path::new("campaigns/other.toml"), text.as_bytes()).unwrap();
        assert_eq!(again.fields, f.fields);
        assert_eq!(
            again.articles.iter().map(|(s, _)| s).collect::<Vec<_>>(),
            ["b", "a"]
        );
    }

    #[test]
    fn mistakes_are_located() {
        let e = errors("name = \"A\"\nstarts_on = 2018-09-01\nends_on = 2018-08-01\n");
        assert_eq!((e[0].line, e[0].field.as_deref()), (3, Some("ends_on")));
        let e = errors("name = \"A\"\nstarts_on = 2018-09-01\nends_on = 2018-09-02\nstaff_target_percent = 150\n");
        assert_eq!(
            (e[0].line, e[0].field.as_deref()),
            (4, Some("staff_target_percent"))
        );
        let e = errors("name = \"A\"\nstarts_on = 2018-09-01\nends_on = 2018-09-02\narticles = [\n\"a\",\n\"a\"]\n");
        assert_eq!((e[0].line, e[0].field.as_deref()), (6, Some("articles")));
        let e = errors("name = \"A\"\nstart = 2018-09-01\n");
        assert!(e[0].message.contains("không được hỗ trợ"), "{e:?}");
        let e = errors("starts_on = 2018-09-01\nends_on = 2018-09-02\n");
        assert_eq!((e[0].line, e[0].field.as_deref()), (1, Some("name")));
    }
}
