//! Articles: the publication states and the validated input every writer (import, editor) gives.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::markdown::Body;
use crate::slug::Slug;

/// Where an article is in its life: draft → in review → scheduled → published → archived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArticleStatus {
    Draft,
    Review,
    Scheduled,
    Published,
    Archived,
}

impl ArticleStatus {
    pub const ALL: [ArticleStatus; 5] = [
        ArticleStatus::Draft,
        ArticleStatus::Review,
        ArticleStatus::Scheduled,
        ArticleStatus::Published,
        ArticleStatus::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ArticleStatus::Draft => "draft",
            ArticleStatus::Review => "review",
            ArticleStatus::Scheduled => "scheduled",
            ArticleStatus::Published => "published",
            ArticleStatus::Archived => "archived",
        }
    }

    /// The name staff read.
    pub fn label(self) -> &'static str {
        match self {
            ArticleStatus::Draft => "Bản nháp",
            ArticleStatus::Review => "Chờ duyệt",
            ArticleStatus::Scheduled => "Đã lên lịch",
            ArticleStatus::Published => "Đã xuất bản",
            ArticleStatus::Archived => "Đã lưu trữ",
        }
    }
}

impl fmt::Display for ArticleStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "trạng thái «{0}» không hợp lệ; dùng một trong: draft, review, scheduled, published, archived"
)]
pub struct UnknownStatus(pub String);

impl FromStr for ArticleStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ArticleStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

/// The most topics one article may have.
pub const MAX_TOPICS: usize = 20;

/// The message when an article names more than [`MAX_TOPICS`] topics.
pub fn too_many_topics(given: usize) -> String {
    format!("có {given} chủ đề, nhiều nhất là {MAX_TOPICS}: hãy bớt chủ đề")
}

/// A complete, valid article as a writer hands it to storage. The body comes rendered (see
/// [`Body`]): writers render before they open a transaction, and the stored HTML always
/// matches the stored source.
#[derive(Clone, Debug, PartialEq)]
pub struct ArticleInput {
    pub slug: Slug,
    pub title: String,
    pub summary: String,
    pub body: Body,
    /// Topic names, in the order the author gave them.
    pub topics: Vec<String>,
    pub status: ArticleStatus,
    pub featured: bool,
    pub cover: Option<String>,
    pub cover_alt: Option<String>,
    pub publish_at: Option<DateTime<Utc>>,
    pub unpublish_at: Option<DateTime<Utc>>,
    /// The `<meta name="description">` of the article page; set in the editor only (content
    /// files do not carry it, so an import keeps what the editor wrote).
    pub meta_description: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_text() {
        for st in ArticleStatus::ALL {
            assert_eq!(st.as_str().parse::<ArticleStatus>().unwrap(), st);
        }
        assert!("Published".parse::<ArticleStatus>().is_err());
        assert!("deleted".parse::<ArticleStatus>().is_err());
    }
}
