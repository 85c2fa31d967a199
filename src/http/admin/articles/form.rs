//! The editor's form: the fields as typed, their validation into an article, and the messages
//! shown next to the fields.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use super::ack::{AckErrors, AckForm};
use super::timing::{
    earliest_schedule, parse_datetime_local, to_datetime_local, EndChoice, Stored,
    SCHEDULE_LEAD_SECONDS,
};
use crate::article::{too_many_topics, ArticleInput, ArticleStatus, MAX_TOPICS};
use crate::db::articles::ArticleRow;
use crate::markdown::{Body, BodyError, MAX_HEADINGS};
use crate::slug::Slug;
use crate::time;

pub const MAX_TITLE: usize = 200;
pub const MAX_SUMMARY: usize = 1000;
pub const MAX_META_DESCRIPTION: usize = 300;

/// The fields as the browser sends them (and as the form shows them again).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ArticleForm {
    pub title: String,
    pub slug: String,
    pub summary: String,
    /// Topic names, separated by commas.
    pub topics: String,
    pub cover: String,
    pub cover_alt: String,
    /// "on" when the box is ticked; absent otherwise.
    pub featured: Option<String>,
    pub meta_description: String,
    pub body: String,
    /// `<input type="datetime-local">`: Vietnam time, `2026-11-28T07:00`.
    pub publish_at: String,
    /// "Gỡ bài lúc", the same kind of input. Absent (a form without the field, such as an
    /// author's) keeps the stored time; empty clears it.
    pub unpublish_at: Option<String>,
    /// The version the edit started from (optimistic locking).
    pub version: String,
    /// Which submit button: see [`Action`].
    #[serde(skip_serializing)]
    pub action: String,
    /// The acknowledgment fields (editors and admins only).
    #[serde(flatten)]
    pub ack: AckForm,
}

/// The submit buttons of the editor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Save,
    Submit,
    Publish,
    Schedule,
    /// Renders the preview below the form; saves nothing.
    Preview,
}

impl Action {
    pub fn parse(s: &str) -> Action {
        match s {
            "gui-duyet" => Action::Submit,
            "xuat-ban" => Action::Publish,
            "len-lich" => Action::Schedule,
            "xem-truoc" => Action::Preview,
            // Enter in a text field submits without naming a button: that is a save.
            _ => Action::Save,
        }
    }

    /// Publishing and scheduling are the editors' (and admins') decisions.
    pub fn needs_editor(self) -> bool {
        matches!(self, Action::Publish | Action::Schedule)
    }

    /// The audit action, the revision's reason and the notice after the redirect.
    pub fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Action::Save | Action::Preview => ("article.save", "Lưu", "da-luu"),
            Action::Submit => ("article.submit", "Gửi duyệt", "da-gui-duyet"),
            Action::Publish => ("article.publish", "Xuất bản", "da-xuat-ban"),
            Action::Schedule => ("article.schedule", "Lên lịch", "da-len-lich"),
        }
    }
}

/// Messages shown next to the fields; all `None` when the form is valid.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FormErrors {
    pub title: Option<String>,
    pub slug: Option<String>,
    pub summary: Option<String>,
    pub cover: Option<String>,
    pub cover_alt: Option<String>,
    pub meta_description: Option<String>,
    pub topics: Option<String>,
    pub body: Option<String>,
    pub publish_at: Option<String>,
    pub unpublish_at: Option<String>,
    /// A refusal that is about the article rather than one field.
    pub general: Option<String>,
    pub ack: AckErrors,
}

impl FormErrors {
    pub fn any(&self) -> bool {
        [
            &self.title,
            &self.slug,
            &self.summary,
            &self.cover,
            &self.cover_alt,
            &self.meta_description,
            &self.topics,
            &self.body,
            &self.publish_at,
            &self.unpublish_at,
            &self.general,
        ]
        .iter()
        .any(|e| e.is_some())
            || self.ack.any()
    }
}

/// A valid form: everything of an article except what the action and the database decide
/// (status, final slug, publication time of a "publish now").
#[derive(Clone, Debug)]
pub struct Valid {
    pub title: String,
    /// The slug asked for (typed, or derived from the title); made unique later.
    pub slug: Slug,
    pub summary: String,
    pub topics: Vec<String>,
    pub cover: Option<String>,
    pub cover_alt: Option<String>,
    pub featured: bool,
    pub meta_description: String,
    pub body: String,
    /// The chosen time of a schedule.
    pub publish_at: Option<DateTime<Utc>>,
    /// When the article leaves the site (the scheduler archives it then).
    pub unpublish_at: Option<DateTime<Utc>>,
}

impl Valid {
    /// The article to store, once the body is rendered (off the async workers, see
    /// [`Body::new_off_thread`]) and the action and the database decided the rest. An empty
    /// summary is taken from the body.
    pub fn into_input(
        self,
        body: Body,
        slug: Slug,
        status: ArticleStatus,
        publish_at: Option<DateTime<Utc>>,
    ) -> ArticleInput {
        ArticleInput {
            slug,
            title: self.title,
            summary: if self.summary.is_empty() {
                body.rendered().summary.clone()
            } else {
                self.summary
            },
            body,
            topics: self.topics,
            status,
            featured: self.featured,
            cover: self.cover,
            cover_alt: self.cover_alt,
            publish_at,
            unpublish_at: self.unpublish_at,
            meta_description: self.meta_description,
        }
    }
}

impl FormErrors {
    /// The form's message for a body past the limits, as a sentence, with the line of the
    /// offending heading.
    pub fn body(e: &BodyError) -> FormErrors {
        let message = match e {
            BodyError::TooLong { .. } => sentence(&e.to_string()),
            BodyError::TooManyHeadings { line } => {
                format!(
                    "{} (tiêu đề thứ {} ở dòng {line}).",
                    sentence_start(&e.to_string()),
                    MAX_HEADINGS + 1
                )
            }
        };
        FormErrors {
            body: Some(message),
            ..FormErrors::default()
        }
    }
}

/// `message` with a capital first letter.
fn sentence_start(message: &str) -> String {
    let mut chars = message.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// `message` as a sentence: a capital first letter and a full stop.
fn sentence(message: &str) -> String {
    format!("{}.", sentence_start(message))
}

/// NFC and `\n` line ends, as everywhere text enters Loa.
pub fn clean(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n").nfc().collect()
}

fn one_line(s: &str) -> String {
    clean(s).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A cover is shown in an `<img src>`: only site paths and http(s) addresses.
fn is_safe_image_url(url: &str) -> bool {
    (url.starts_with('/') && !url.starts_with("//") && !url.contains('\\'))
        || url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

impl ArticleForm {
    /// The form showing a stored article.
    pub fn from_row(row: &ArticleRow, topics: &[String]) -> ArticleForm {
        ArticleForm {
            title: row.title.clone(),
            slug: row.slug.clone(),
            summary: row.summary.clone(),
            topics: topics.join(", "),
            cover: row.cover.clone().unwrap_or_default(),
            cover_alt: row.cover_alt.clone().unwrap_or_default(),
            featured: row.featured.then(|| "on".to_owned()),
            meta_description: row.meta_description.clone(),
            body: row.body.clone(),
            publish_at: match row.status() {
                ArticleStatus::Scheduled => {
                    row.publish_at.map(to_datetime_local).unwrap_or_default()
                }
                _ => String::new(),
            },
            unpublish_at: Some(row.unpublish_at.map(to_datetime_local).unwrap_or_default()),
            version: row.version.to_string(),
            action: String::new(),
            // Filled from the stored settings when the editor is shown.
            ack: AckForm::default(),
        }
    }

    pub fn action(&self) -> Action {
        Action::parse(&self.action)
    }

    /// The version the edit started from; 0 (which no article has) when missing or garbled,
    /// so that the save is refused as a conflict rather than written blindly.
    pub fn version(&self) -> i64 {
        self.version.trim().parse().unwrap_or(0)
    }

    /// Validates every field, reporting all mistakes at once. `now` decides what "future" means
    /// for a schedule; `stored` is the article as it is (default for a new one).
    pub fn validate(
        &self,
        action: Action,
        now: DateTime<Utc>,
        stored: &Stored,
    ) -> Result<Valid, Box<FormErrors>> {
        let mut e = FormErrors::default();
        let title = one_line(&self.title);
        if title.is_empty() {
            e.title = Some("Hãy nhập tiêu đề.".into());
        } else if title.chars().count() > MAX_TITLE {
            e.title = Some(format!("Tiêu đề dài quá {MAX_TITLE} ký tự."));
        }
        let typed_slug = self.slug.trim();
        let slug = if typed_slug.is_empty() {
            let derived = Slug::from_title(&title);
            if derived.is_none() && e.title.is_none() {
                e.slug = Some(
                    "Tiêu đề không có chữ hay số để tạo đường dẫn; hãy nhập đường dẫn.".into(),
                );
            }
            derived
        } else {
            // A valid slug is kept as typed; other text is folded the way a title is
            // ("Hài lòng" becomes `hai-long`).
            let s = Slug::parse(typed_slug)
                .ok()
                .or_else(|| Slug::from_title(typed_slug));
            if s.is_none() {
                e.slug = Some("Đường dẫn cần có chữ hoặc số (không dấu).".into());
            }
            s
        };
        let summary = clean(self.summary.trim());
        if summary.chars().count() > MAX_SUMMARY {
            e.summary = Some(format!("Tóm tắt dài quá {MAX_SUMMARY} ký tự."));
        }
        let cover = Some(self.cover.trim().to_owned()).filter(|c| !c.is_empty());
        let cover_alt = Some(one_line(&self.cover_alt)).filter(|a| !a.is_empty());
        if let Some(c) = &cover {
            if !is_safe_image_url(c) {
                e.cover = Some(
                    "Ảnh bìa phải là đường dẫn trên trang (bắt đầu bằng /) hoặc địa chỉ http(s)."
                        .into(),
                );
            }
            if cover_alt.is_none() {
                e.cover_alt = Some(
                    "Hãy mô tả ảnh bìa cho người đọc không nhìn thấy ảnh (bắt buộc khi có ảnh bìa)."
                        .into(),
                );
            }
        }
        let meta_description = one_line(&self.meta_description);
        if meta_description.chars().count() > MAX_META_DESCRIPTION {
            e.meta_description = Some(format!(
                "Mô tả cho công cụ tìm kiếm dài quá {MAX_META_DESCRIPTION} ký tự."
            ));
        }
        let body = clean(&self.body).trim_matches('\n').trim_end().to_owned();
        if body.is_empty() && matches!(action, Action::Publish | Action::Schedule) {
            e.body = Some("Bài viết cần có nội dung trước khi xuất bản.".into());
        }
        let topics: Vec<String> = self
            .topics
            .split(',')
            .map(one_line)
            .filter(|t| !t.is_empty())
            .collect();
        if topics.len() > MAX_TOPICS {
            e.topics = Some(sentence(&too_many_topics(topics.len())));
        }
        let mut publish_at = None;
        if action == Action::Schedule {
            match parse_datetime_local(&self.publish_at) {
                None => e.publish_at = Some("Hãy chọn ngày và giờ xuất bản (giờ Việt Nam).".into()),
                Some(t) if t < now + Duration::seconds(SCHEDULE_LEAD_SECONDS) => {
                    e.publish_at = Some(format!(
                        "Thời điểm xuất bản phải ở tương lai, sau bây giờ ít nhất một phút: \
                         sớm nhất là {} (giờ Việt Nam).",
                        time::format_datetime(earliest_schedule(now))
                    ))
                }
                Some(t) => publish_at = Some(t),
            }
        }
        let unpublish_at = match self.end_choice(stored.unpublish_at) {
            EndChoice::Unchanged => stored.unpublish_at,
            EndChoice::Cleared => None,
            EndChoice::Invalid => {
                e.unpublish_at =
                    Some("Ngày giờ gỡ bài không hợp lệ: hãy chọn lại, hoặc để trống.".into());
                None
            }
            EndChoice::Set(t) if t <= now => {
                e.unpublish_at = Some(format!(
                    "Thời điểm gỡ bài phải ở tương lai; bây giờ là {} (giờ Việt Nam).",
                    time::format_datetime(now)
                ));
                None
            }
            EndChoice::Set(t) => Some(t),
        };
        if let (Some(end), Some(start)) =
            (unpublish_at, stored.publication(action, publish_at, now))
        {
            if end <= start {
                e.unpublish_at = Some(format!(
                    "Thời điểm gỡ bài phải sau thời điểm xuất bản ({} giờ Việt Nam): \
                     hãy chọn muộn hơn, hoặc để trống.",
                    time::format_datetime(start)
                ));
            }
        }
        match slug {
            Some(slug) if !e.any() => Ok(Valid {
                summary,
                title,
                slug,
                topics,
                cover,
                cover_alt,
                featured: self.featured.is_some(),
                meta_description,
                body,
                publish_at,
                unpublish_at,
            }),
            _ => Err(Box::new(e)),
        }
    }
}

#[cfg(test)]
mod tests;
