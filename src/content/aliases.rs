//! `aliases = ["old-slug"]` in front matter: addresses an article had before, kept in
//! `slug_aliases` so that `/bai-viet/{old}` answers 301 with the article's current address.
//!
//! An alias may not be anybody's slug: not the file's own, not another file's, not a live
//! article's in the database (checked on import), and it is named by one file only. Import adds
//! the aliases a file names and never removes one, so an address that worked once keeps working
//! (an older file cannot undo a rename made in the editor).

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::{ArticleFile, ContentError};
use crate::db::{articles, Db, DbError, Tx};

/// Collisions inside the directory, each reported at the line of the alias.
pub fn check_in_set(files: &[ArticleFile]) -> Vec<ContentError> {
    let slugs: HashMap<&str, &Path> = files
        .iter()
        .map(|f| (f.input.slug.as_str(), f.path.as_path()))
        .collect();
    let mut named: HashMap<&str, &Path> = HashMap::new();
    let mut errors = Vec::new();
    for f in files {
        for alias in &f.aliases {
            let slug = alias.slug.as_str();
            let problem = if slug == f.input.slug.as_str() {
                Some(format!(
                    "đường dẫn cũ «{slug}» trùng với slug của chính bài này"
                ))
            } else if let Some(other) = slugs.get(slug) {
                Some(format!(
                    "đường dẫn cũ «{slug}» trùng với slug của tệp {}",
                    other.display()
                ))
            } else if let Some(other) = named.get(slug) {
                Some(format!(
                    "đường dẫn cũ «{slug}» đã được tệp {} dùng",
                    other.display()
                ))
            } else {
                named.insert(slug, &f.path);
                None
            };
            if let Some(message) = problem {
                errors.push(ContentError::new(
                    &f.path,
                    alias.line,
                    Some("aliases"),
                    message,
                ));
            }
        }
    }
    errors
}

/// Aliases that are the slug of a live article already in the database (one the directory does
/// not carry, or [`check_in_set`] would have said so). A deleted article's slug may be reused.
pub async fn check_against_db(
    db: &Db,
    files: &[ArticleFile],
) -> Result<Vec<ContentError>, DbError> {
    let mut tx = db.begin().await?;
    let mut errors = Vec::new();
    for f in files {
        for alias in &f.aliases {
            let Some(row) = articles::find_by_slug(&mut tx, alias.slug.as_str()).await? else {
                continue;
            };
            if row.deleted_at.is_none() {
                errors.push(ContentError::new(
                    &f.path,
                    alias.line,
                    Some("aliases"),
                    format!(
                        "đường dẫn cũ «{}» đang là slug của bài «{}» trong cơ sở dữ liệu; \
                         hãy xoá hoặc đổi slug bài đó trước",
                        alias.slug, row.title
                    ),
                ));
            }
        }
    }
    tx.commit().await?;
    Ok(errors)
}

/// The file's aliases that do not yet lead to the article.
pub async fn missing(
    tx: &mut Tx,
    article_id: i64,
    file: &ArticleFile,
) -> Result<Vec<String>, DbError> {
    if file.aliases.is_empty() {
        return Ok(Vec::new());
    }
    let stored = articles::aliases_of(tx, article_id).await?;
    Ok(file
        .aliases
        .iter()
        .map(|a| a.slug.to_string())
        .filter(|s| !stored.contains(s))
        .collect())
}

/// Points each alias at the article (taking it from another article that had it).
pub async fn add(
    tx: &mut Tx,
    article_id: i64,
    slugs: &[String],
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    for slug in slugs {
        articles::set_alias(tx, slug, article_id, now).await?;
    }
    Ok(())
}
