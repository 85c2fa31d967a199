//! Campaigns: a named period with an ordered list of articles, a staff target (a share of each
//! article's audience) and a citizen target (a number of confirmations). [`CampaignFields`] is
//! the validated campaign every writer (the admin form, a content file) hands to storage.

use chrono::{Datelike, NaiveDate};

use crate::slug::Slug;

/// The staff target when none is given: everyone in each article's audience.
pub const DEFAULT_STAFF_TARGET: i64 = 100;

/// A campaign as people write it (form fields or file keys), before validation. Dates are text:
/// `2018-09-01`, or `01/09/2018` as people write them.
#[derive(Clone, Debug, Default)]
pub struct RawCampaign {
    /// Empty: derived from the name.
    pub slug: String,
    pub name: String,
    pub description: String,
    pub starts_on: String,
    pub ends_on: String,
    /// Empty: [`DEFAULT_STAFF_TARGET`].
    pub staff_target_percent: String,
    /// Empty: 0 (no citizen target).
    pub citizen_target: String,
    pub is_public: bool,
}

/// A validated campaign, without its articles (they are ids in storage, slugs in files).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignFields {
    pub slug: Slug,
    pub name: String,
    pub description: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// 0–100.
    pub staff_target_percent: i64,
    /// ≥ 0.
    pub citizen_target: i64,
    pub is_public: bool,
}

/// One mistake, with the field it belongs to (the form's field name, the file's key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    fn new(field: &'static str, message: impl Into<String>) -> FieldError {
        FieldError {
            field,
            message: message.into(),
        }
    }
}

pub const MAX_NAME: usize = 200;
pub const MAX_DESCRIPTION: usize = 2000;
/// More confirmations than this is a typing mistake, not a target.
pub const MAX_CITIZEN_TARGET: i64 = 100_000_000;

impl TryFrom<RawCampaign> for CampaignFields {
    type Error = Vec<FieldError>;

    /// Checks every field and reports every mistake at once, in Vietnamese.
    fn try_from(raw: RawCampaign) -> Result<Self, Self::Error> {
        let mut errors = Vec::new();
        let name = raw.name.trim().to_owned();
        if name.is_empty() {
            errors.push(FieldError::new("name", "Hãy nhập tên chiến dịch."));
        } else if name.chars().count() > MAX_NAME {
            errors.push(FieldError::new(
                "name",
                format!("Tên chiến dịch dài quá {MAX_NAME} ký tự."),
            ));
        }
        let description = raw.description.trim().replace("\r\n", "\n");
        if description.chars().count() > MAX_DESCRIPTION {
            errors.push(FieldError::new(
                "description",
                format!("Phần mô tả dài quá {MAX_DESCRIPTION} ký tự."),
            ));
        }
        let slug = match raw.slug.trim() {
            "" => Slug::from_title(&name),
            given => match Slug::parse(given) {
                Ok(s) => Some(s),
                Err(e) => {
                    errors.push(FieldError::new(
                        "slug",
                        format!("{}.", capitalise(&e.to_string())),
                    ));
                    None
                }
            },
        };
        if slug.is_none() && !name.is_empty() && raw.slug.trim().is_empty() {
            errors.push(FieldError::new(
                "slug",
                "Không tạo được đường dẫn từ tên; hãy nhập đường dẫn (slug).",
            ));
        }
        let starts_on = date(&raw.starts_on, "starts_on", "ngày bắt đầu", &mut errors);
        let ends_on = date(&raw.ends_on, "ends_on", "ngày kết thúc", &mut errors);
        if let (Some(s), Some(e)) = (starts_on, ends_on) {
            if e < s {
                errors.push(FieldError::new(
                    "ends_on",
                    "Ngày kết thúc phải sau hoặc trùng ngày bắt đầu.",
                ));
            }
        }
        let staff_target_percent = match raw.staff_target_percent.trim() {
            "" => Some(DEFAULT_STAFF_TARGET),
            t => match t.trim_end_matches('%').trim().parse::<i64>() {
                Ok(n) if (0..=100).contains(&n) => Some(n),
                _ => {
                    errors.push(FieldError::new(
                        "staff_target_percent",
                        "Chỉ tiêu cán bộ là một số phần trăm từ 0 đến 100.",
                    ));
                    None
                }
            },
        };
        let citizen_target = match raw.citizen_target.trim() {
            "" => Some(0),
            t => match t.replace(['.', ' '], "").parse::<i64>() {
                Ok(n) if (0..=MAX_CITIZEN_TARGET).contains(&n) => Some(n),
                _ => {
                    errors.push(FieldError::new(
                        "citizen_target",
                        "Chỉ tiêu người dân là một số nguyên không âm (số lượt xác nhận).",
                    ));
                    None
                }
            },
        };
        match (
            slug,
            starts_on,
            ends_on,
            staff_target_percent,
            citizen_target,
        ) {
            (Some(slug), Some(starts_on), Some(ends_on), Some(staff), Some(citizens))
                if errors.is_empty() =>
            {
                Ok(CampaignFields {
                    slug,
                    name,
                    description,
                    starts_on,
                    ends_on,
                    staff_target_percent: staff,
                    citizen_target: citizens,
                    is_public: raw.is_public,
                })
            }
            _ => Err(errors),
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// `2018-09-01` (ISO, as date inputs and files write it) or `1/9/2018` (as people write it).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .ok()
        .filter(|d| (1900..=9999).contains(&d.year()))
}

fn date(
    s: &str,
    field: &'static str,
    label: &str,
    errors: &mut Vec<FieldError>,
) -> Option<NaiveDate> {
    if s.trim().is_empty() {
        errors.push(FieldError::new(field, format!("Hãy nhập {label}.")));
        return None;
    }
    let d = parse_date(s);
    if d.is_none() {
        errors.push(FieldError::new(
            field,
            format!(
                "{} «{}» không hợp lệ: viết theo dạng 31/12/2020 hoặc 2020-12-31.",
                capitalise(label),
                s.trim()
            ),
        ));
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawCampaign {
        RawCampaign {
            name: "SIPAS 2017–2020".into(),
            starts_on: "2018-09-01".into(),
            ends_on: "31/12/2020".into(),
            ..RawCampaign::default()
        }
    }

    #[test]
    fn a_valid_campaign_gets_defaults_and_a_slug() {
        let c = CampaignFields::try_from(raw()).unwrap();
        assert_eq!(c.slug.as_str(), "sipas-2017-2020");
        assert_eq!(c.staff_target_percent, 100);
        assert_eq!(c.citizen_target, 0);
        assert_eq!(c.starts_on, NaiveDate::from_ymd_opt(2018, 9, 1).unwrap());
        assert_eq!(c.ends_on, NaiveDate::from_ymd_opt(2020, 12, 31).unwrap());
        assert!(!c.is_public);
    }

    #[test]
    fn every_mistake_is_reported_in_vietnamese() {
        let errors = CampaignFields::try_from(RawCampaign {
            slug: "Có Dấu".into(),
            name: " ".into(),
            starts_on: "2020-13-01".into(),
            ends_on: String::new(),
            staff_target_percent: "120".into(),
            citizen_target: "-3".into(),
            ..RawCampaign::default()
        })
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "name",
                "slug",
                "starts_on",
                "ends_on",
                "staff_target_percent",
                "citizen_target"
            ]
        );
        assert!(errors[2].message.contains("«2020-13-01»"));
    }

    #[test]
    fn the_end_is_not_before_the_start() {
        let mut r = raw();
        r.ends_on = "2018-08-31".into();
        let errors = CampaignFields::try_from(r).unwrap_err();
        assert_eq!(errors[0].field, "ends_on");
        let mut same = raw();
        same.ends_on = "1/9/2018".into();
        assert!(CampaignFields::try_from(same).is_ok());
    }

    #[test]
    fn targets_accept_what_people_type() {
        let mut r = raw();
        r.staff_target_percent = "80%".into();
        r.citizen_target = "10.000".into();
        let c = CampaignFields::try_from(r).unwrap();
        assert_eq!((c.staff_target_percent, c.citizen_target), (80, 10_000));
    }
}
