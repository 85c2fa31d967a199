//! The campaign files of a content directory (`campaigns/*.toml`): loading the folder, checking
//! the articles they name, writing them in the import's transaction, exporting them.

use std::collections::HashSet;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::campaign_file::{self, CampaignFile};
use super::{write_file, ContentError, ContentSet, ImportError, ImportReport};
use crate::db::{campaigns, Db, DbError, Tx};

/// `campaigns/*.toml`, sorted by name; no folder means no campaigns. Two files may not share a
/// slug.
pub(super) fn load(
    dir: &Path,
) -> Result<Result<Vec<CampaignFile>, Vec<ContentError>>, ImportError> {
    if !dir.is_dir() {
        return Ok(Ok(Vec::new()));
    }
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| ImportError::Io(dir.to_owned(), e))? {
        let path = entry
            .map_err(|e| ImportError::Io(dir.to_owned(), e))?
            .path();
        if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    let mut errors = Vec::new();
    let mut files: Vec<CampaignFile> = Vec::new();
    for path in paths {
        let bytes = std::fs::read(&path).map_err(|e| ImportError::Io(path.clone(), e))?;
        match campaign_file::parse(&path, &bytes) {
            Ok(file) => match files.iter().find(|f| f.fields.slug == file.fields.slug) {
                Some(first) => errors.push(ContentError::new(
                    &file.path,
                    file.slug_line,
                    Some("slug"),
                    format!(
                        "chiến dịch «{}» trùng với tệp {}",
                        file.fields.slug,
                        first.path.display()
                    ),
                )),
                None => files.push(file),
            },
            Err(e) => errors.extend(e),
        }
    }
    Ok(if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    })
}

/// Every article a campaign file names must be in the directory or, not deleted, in the
/// database.
pub(super) fn check_articles(set: &ContentSet, in_database: &HashSet<String>) -> Vec<ContentError> {
    let in_dir: HashSet<&str> = set.articles.iter().map(|a| a.input.slug.as_str()).collect();
    let mut errors = Vec::new();
    for c in &set.campaigns {
        for (slug, line) in &c.articles {
            if !in_dir.contains(slug.as_str()) && !in_database.contains(slug) {
                errors.push(ContentError::new(
                    &c.path,
                    *line,
                    Some("articles"),
                    format!("không có bài viết «{slug}»"),
                ));
            }
        }
    }
    errors
}

/// Inserts or updates one campaign by slug (after the articles, which it names); leaves it
/// alone when nothing changed.
pub(super) async fn apply(
    tx: &mut Tx,
    file: &CampaignFile,
    report: &mut ImportReport,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let slug = file.fields.slug.to_string();
    let wanted: Vec<String> = file.articles.iter().map(|(s, _)| s.clone()).collect();
    let id = match campaigns::by_slug_tx(tx, &slug).await? {
        Some(existing) => {
            let same = existing.fields() == file.fields
                && campaigns::article_slugs_tx(tx, existing.id).await? == wanted;
            if same {
                report.campaigns_unchanged.push(slug);
                return Ok(());
            }
            campaigns::update(tx, existing.id, &file.fields, now).await?;
            report.campaigns_updated.push(slug);
            existing.id
        }
        None => {
            report.campaigns_added.push(slug);
            campaigns::insert(tx, &file.fields, now).await?
        }
    };
    let mut ids = Vec::new();
    for slug in &wanted {
        // Checked to exist before the transaction began.
        if let Some(article) = campaigns::live_article_id_tx(tx, slug).await? {
            ids.push(article);
        }
    }
    campaigns::set_articles(tx, id, &ids).await
}

/// Writes every campaign as `campaigns/SLUG.toml` under `dir` (the folder only when there is
/// one); returns how many.
pub(super) async fn export(tx: &mut Tx, db: &Db, dir: &Path) -> Result<usize, ImportError> {
    let mut written = 0;
    let all = campaigns::list(db).await?;
    if !all.is_empty() {
        let folder = dir.join(campaign_file::DIR_NAME);
        std::fs::create_dir_all(&folder).map_err(|e| ImportError::Io(folder.clone(), e))?;
        for c in all {
            let slugs = campaigns::article_slugs_tx(tx, c.id).await?;
            let text = campaign_file::write(&c.fields(), &slugs);
            write_file(&folder.join(format!("{}.toml", c.slug)), &text)?;
            written += 1;
        }
    }
    Ok(written)
}
