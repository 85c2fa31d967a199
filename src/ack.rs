//! Acknowledgment: the settings an article may carry, and the exact text a confirmation refers to.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// What staff confirm unless the article says otherwise.
pub const DEFAULT_STATEMENT: &str = "Tôi đã đọc và hiểu nội dung tài liệu này.";

/// Who among staff must acknowledge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StaffAudience {
    None,
    All,
    /// These units (by slug) and every unit below them.
    Units(Vec<String>),
}

/// An article's acknowledgment settings, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AckSettings {
    pub staff: StaffAudience,
    pub citizens: bool,
    pub due: Option<DateTime<Utc>>,
    pub statement: String,
    pub closes: Option<DateTime<Utc>>,
}

/// The text a person confirms: title, body and statement, in a fixed form. Its SHA-256 is stored
/// with every confirmation, so what was confirmed can be proven later.
pub fn confirmed_text(title: &str, body: &str, statement: &str) -> String {
    format!("{title}\n\n{body}\n\n---\n{statement}\n")
}

pub fn text_hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_follows_every_part_of_the_text() {
        let a = text_hash(&confirmed_text("T", "B", DEFAULT_STATEMENT));
        assert_eq!(a.len(), 64);
        assert_eq!(a, text_hash(&confirmed_text("T", "B", DEFAULT_STATEMENT)));
        assert_ne!(a, text_hash(&confirmed_text("T", "B.", DEFAULT_STATEMENT)));
        assert_ne!(a, text_hash(&confirmed_text("T", "B", "Khác.")));
    }
}
