//! `content/site.toml`: the agency's name and contacts, its units, the localities and the places
//! where posters hang.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::Spanned;
use unicode_normalization::UnicodeNormalization;

use super::ContentError;
use crate::site::{Locality, Place, SiteFile, SiteInfo, Unit};
use crate::slug::Slug;

pub const FILE_NAME: &str = "site.toml";

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawSite {
    name: Option<Spanned<String>>,
    #[serde(default)]
    short_name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    website: String,
    #[serde(default)]
    units: Vec<Spanned<RawUnit>>,
    #[serde(default)]
    localities: Vec<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    places: Vec<Spanned<RawPlace>>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawPlace {
    slug: String,
    name: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawUnit {
    slug: String,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parent: Option<String>,
}

pub fn parse(path: &Path, bytes: &[u8]) -> Result<SiteFile, Vec<ContentError>> {
    let text =
        std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).map_err(|e| {
            let line = 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            vec![ContentError::new(
                path,
                line,
                None,
                "tệp không phải văn bản UTF-8 hợp lệ",
            )]
        })?;
    let text: String = text.nfc().collect();
    let line_of = |offset: usize| 1 + text[..offset.min(text.len())].matches('\n').count();
    let raw: RawSite = toml::from_str(&text).map_err(|e| {
        let line = e.span().map_or(1, |s| line_of(s.start));
        let first = e.message().lines().next().unwrap_or_default().to_owned();
        vec![ContentError::new(
            path,
            line,
            None,
            format!("TOML không hợp lệ: {first}"),
        )]
    })?;

    let mut errors = Vec::new();
    let name = match &raw.name {
        Some(n) if !n.get_ref().trim().is_empty() => n.get_ref().trim().to_owned(),
        _ => {
            errors.push(ContentError::new(
                path,
                1,
                Some("name"),
                "thiếu tên cơ quan (name)",
            ));
            String::new()
        }
    };

    let mut units = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for u in &raw.units {
        let line = line_of(u.span().start);
        let raw_unit = u.get_ref();
        match Slug::parse(&raw_unit.slug) {
            Ok(slug) if seen.contains_key(slug.as_str()) => errors.push(ContentError::new(
                path,
                line,
                Some("units.slug"),
                format!("đơn vị «{slug}» bị khai báo hai lần"),
            )),
            Ok(slug) => {
                seen.insert(slug.to_string(), line);
                if raw_unit.name.trim().is_empty() {
                    errors.push(ContentError::new(
                        path,
                        line,
                        Some("units.name"),
                        "đơn vị thiếu tên",
                    ));
                }
                units.push((line, slug, raw_unit));
            }
            Err(e) => errors.push(ContentError::new(
                path,
                line,
                Some("units.slug"),
                e.to_string(),
            )),
        }
    }
    let mut parsed = Vec::new();
    for (line, slug, raw_unit) in &units {
        let parent = match &raw_unit.parent {
            None => None,
            Some(p) if seen.contains_key(p.as_str()) && p != slug.as_str() => {
                Some(Slug::parse(p).expect("known unit slugs are valid"))
            }
            Some(p) => {
                errors.push(ContentError::new(
                    path,
                    *line,
                    Some("units.parent"),
                    format!("đơn vị cấp trên «{p}» không có trong danh sách đơn vị"),
                ));
                None
            }
        };
        parsed.push(Unit {
            slug: slug.clone(),
            name: raw_unit.name.trim().to_owned(),
            parent,
        });
    }
    let units = match parents_first(parsed) {
        Ok(units) => units,
        Err(slug) => {
            let line = seen.get(slug.as_str()).copied().unwrap_or(1);
            errors.push(ContentError::new(
                path,
                line,
                Some("units.parent"),
                format!("các đơn vị cấp trên tạo thành vòng lặp tại «{slug}»"),
            ));
            vec![]
        }
    };

    let mut localities = Vec::new();
    let mut locality_slugs = HashSet::new();
    for l in &raw.localities {
        let line = line_of(l.span().start);
        let name = l.get_ref().trim();
        match Slug::from_title(name) {
            Some(slug) if locality_slugs.insert(slug.clone()) => localities.push(Locality {
                slug,
                name: name.to_owned(),
            }),
            Some(_) => errors.push(ContentError::new(
                path,
                line,
                Some("localities"),
                format!("địa bàn «{name}» bị lặp"),
            )),
            None => errors.push(ContentError::new(
                path,
                line,
                Some("localities"),
                "tên địa bàn trống",
            )),
        }
    }

    let places = parse_places(path, &raw.places, &line_of, &mut errors);

    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(SiteFile {
        info: SiteInfo {
            name,
            short_name: raw.short_name.trim().to_owned(),
            address: raw.address.trim().to_owned(),
            phone: raw.phone.trim().to_owned(),
            email: raw.email.trim().to_owned(),
            website: raw.website.trim().to_owned(),
        },
        units,
        localities,
        places,
    })
}

/// `[[places]]`: a slug (printed in QR codes, so given, never derived) and a name each.
fn parse_places(
    path: &Path,
    raw: &[Spanned<RawPlace>],
    line_of: &dyn Fn(usize) -> usize,
    errors: &mut Vec<ContentError>,
) -> Vec<Place> {
    let mut places = Vec::new();
    let mut seen = HashSet::new();
    for p in raw {
        let line = line_of(p.span().start);
        let name = p.get_ref().name.trim();
        match Slug::parse(p.get_ref().slug.trim()) {
            Ok(slug) if !seen.insert(slug.clone()) => errors.push(ContentError::new(
                path,
                line,
                Some("places.slug"),
                format!("nơi đặt «{slug}» bị khai báo hai lần"),
            )),
            Ok(_) if name.is_empty() => errors.push(ContentError::new(
                path,
                line,
                Some("places.name"),
                "nơi đặt thiếu tên",
            )),
            Ok(slug) => places.push(Place {
                slug,
                name: name.to_owned(),
            }),
            Err(e) => errors.push(ContentError::new(
                path,
                line,
                Some("places.slug"),
                e.to_string(),
            )),
        }
    }
    places
}

/// Orders units so that every parent precedes its children (keeping the file's order
/// otherwise); returns the slug of a unit caught in a cycle if there is one.
fn parents_first(units: Vec<Unit>) -> Result<Vec<Unit>, Slug> {
    let mut placed: HashSet<Slug> = HashSet::new();
    let mut out = Vec::with_capacity(units.len());
    let mut pending = units;
    while !pending.is_empty() {
        let before = pending.len();
        let (ready, rest): (Vec<Unit>, Vec<Unit>) = pending
            .into_iter()
            .partition(|u| u.parent.as_ref().is_none_or(|p| placed.contains(p)));
        for u in ready {
            placed.insert(u.slug.clone());
            out.push(u);
        }
        if rest.len() == before {
            return Err(rest[0].slug.clone());
        }
        pending = rest;
    }
    Ok(out)
}

/// The file's text, in the form `parse` reads back to the same [`SiteFile`].
pub fn write(file: &SiteFile) -> String {
    let raw = RawSite {
        name: Some(Spanned::new(0..0, file.info.name.clone())),
        short_name: file.info.short_name.clone(),
        address: file.info.address.clone(),
        phone: file.info.phone.clone(),
        email: file.info.email.clone(),
        website: file.info.website.clone(),
        units: file
            .units
            .iter()
            .map(|u| {
                Spanned::new(
                    0..0,
                    RawUnit {
                        slug: u.slug.to_string(),
                        name: u.name.clone(),
                        parent: u.parent.as_ref().map(|p| p.to_string()),
                    },
                )
            })
            .collect(),
        localities: file
            .localities
            .iter()
            .map(|l| Spanned::new(0..0, l.name.clone()))
            .collect(),
        places: file
            .places
            .iter()
            .map(|p| {
                Spanned::new(
                    0..0,
                    RawPlace {
                        slug: p.slug.to_string(),
                        name: p.name.clone(),
                    },
                )
            })
            .collect(),
    };
    toml::to_string(&raw).expect("a site file always serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(s: &str) -> Vec<ContentError> {
        parse(Path::new("site.toml"), s.as_bytes()).unwrap_err()
    }

    #[test]
    fn parses_and_writes_back() {
        let src = "name = \"Sở A\"\nlocalities = [\"Huyện Lộc Ninh\", \"Thị xã Bình Long\"]\n\n[[places]]\nslug = \"quay-1\"\nname = \"Quầy số 1\"\n\n[[units]]\nslug = \"phong-a\"\nname = \"Phòng A\"\nparent = \"ban-giam-doc\"\n\n[[units]]\nslug = \"ban-giam-doc\"\nname = \"Ban Giám đốc\"\n";
        let f = parse(Path::new("site.toml"), src.as_bytes()).unwrap();
        assert_eq!(f.units[0].slug.as_str(), "ban-giam-doc", "parents first");
        assert_eq!(f.localities[0].slug.as_str(), "huyen-loc-ninh");
        assert_eq!(f.places[0].slug.as_str(), "quay-1");
        assert_eq!(f.places[0].name, "Quầy số 1");
        let again = parse(Path::new("site.toml"), write(&f).as_bytes()).unwrap();
        assert_eq!(again, f);
    }

    #[test]
    fn mistakes_are_located() {
        let e = errors("address = \"x\"\n");
        assert_eq!(e[0].field.as_deref(), Some("name"));
        let e = errors("name = \"A\"\n\n[[units]]\nslug = \"a\"\nname = \"A\"\nparent = \"b\"\n");
        assert_eq!(
            (e[0].line, e[0].field.as_deref()),
            (3, Some("units.parent"))
        );
        let e = errors("name = \"A\"\n[[units]]\nslug = \"a\"\nname = \"A\"\nparent = \"b\"\n[[units]]\nslug = \"b\"\nname = \"B\"\nparent = \"a\"\n");
        assert!(e[0].message.contains("vòng lặp"), "{:?}", e);
        let e = errors("name = \"A\"\n[[units]]\nslug = \"a\"\nname = \"A\"\n[[units]]\nslug = \"a\"\nname = \"B\"\n");
        assert_eq!(e[0].line, 5);
        let e = errors("name = \"A\"\nlocalities = [\"X\", \"x\"]\n");
        assert_eq!(e[0].field.as_deref(), Some("localities"));
    }

    #[test]
    fn place_mistakes_are_located() {
        let head = "name = \"A\"\n";
        let e = errors(&format!(
            "{head}[[places]]\nslug = \"quay-1\"\nname = \"Quầy 1\"\n[[places]]\nslug = \"quay-1\"\nname = \"Quầy 2\"\n"
        ));
        assert_eq!((e[0].line, e[0].field.as_deref()), (5, Some("places.slug")));
        assert!(e[0].message.contains("hai lần"), "{e:?}");
        let e = errors(&format!(
            "{head}[[places]]\nslug = \"Quầy 1\"\nname = \"Quầy 1\"\n"
        ));
        assert_eq!((e[0].line, e[0].field.as_deref()), (2, Some("places.slug")));
        let e = errors(&format!(
            "{head}[[places]]\nslug = \"quay-1\"\nname = \" \"\n"
        ));
        assert_eq!(e[0].field.as_deref(), Some("places.name"));
        let e = errors(&format!("{head}[[places]]\nslug = \"quay-1\"\n"));
        assert!(e[0].message.contains("TOML"), "{e:?}");
    }
}
