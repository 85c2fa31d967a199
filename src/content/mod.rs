//! Content as files: `content/*.md` articles, `content/site.toml` and
//! `content/campaigns/*.toml`, imported into the database and exported back.
//!
//! Import is all or nothing: every file is parsed and validated first, every mistake reported
//! with its file and line, and only a fully valid directory is written, in one transaction.
//! Articles and campaigns are matched by slug, so importing the same directory twice changes
//! nothing.

pub mod aliases;
mod campaign_dir;
pub mod campaign_file;
pub mod front_matter;
pub mod site_file;

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde::Serialize;

use crate::ack::{format_month_day, AckSettings, Renewal, StaffAudience};
use crate::article::{ArticleInput, ArticleStatus};
use crate::db::site::SiteChanges;
use crate::db::{self, ack_settings, articles, campaigns, topics, units, Db, DbError, Tx};
use crate::site::SiteFile;
use crate::slug::Slug;
use crate::time;

pub use campaign_file::CampaignFile;
pub use front_matter::ArticleFile;

/// A mistake in a content file: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentError {
    pub path: PathBuf,
    pub line: usize,
    pub field: Option<String>,
    pub message: String,
}

impl ContentError {
    pub fn new(path: &Path, line: usize, field: Option<&str>, message: impl Into<String>) -> Self {
        ContentError {
            path: path.to_owned(),
            line,
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.path.display(), self.line)?;
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{} lỗi trong nội dung, không nhập gì", .0.len())]
    Invalid(Vec<ContentError>),
    #[error("không đọc được {0}: {1}")]
    Io(PathBuf, #[source] std::io::Error),
    #[error("lỗi cơ sở dữ liệu: {0}")]
    Db(#[from] DbError),
}

/// A directory's content, parsed and validated, with every slug final.
#[derive(Debug, Clone, Default)]
pub struct ContentSet {
    pub site: Option<SiteFile>,
    pub articles: Vec<ArticleFile>,
    /// `campaigns/*.toml`, by file name.
    pub campaigns: Vec<CampaignFile>,
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
    pub site: Option<SiteChanges>,
    /// Campaign slugs, as for articles.
    pub campaigns_added: Vec<String>,
    pub campaigns_updated: Vec<String>,
    pub campaigns_unchanged: Vec<String>,
}

impl ImportReport {
    pub fn changed_anything(&self) -> bool {
        !self.added.is_empty()
            || !self.updated.is_empty()
            || self.site.is_some_and(|s| s.added + s.updated > 0)
            || !self.campaigns_added.is_empty()
            || !self.campaigns_updated.is_empty()
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for slug in &self.added {
            writeln!(f, "  thêm mới    {slug}")?;
        }
        for slug in &self.updated {
            writeln!(f, "  cập nhật    {slug}")?;
        }
        write!(
            f,
            "Bài viết: {} thêm mới, {} cập nhật, {} không đổi.",
            self.added.len(),
            self.updated.len(),
            self.unchanged.len()
        )?;
        if let Some(s) = self.site {
            write!(
                f,
                "\nThông tin cơ quan, đơn vị, địa bàn: {} thêm mới, {} cập nhật, {} không đổi.",
                s.added, s.updated, s.unchanged
            )?;
        }
        let campaigns = self.campaigns_added.len()
            + self.campaigns_updated.len()
            + self.campaigns_unchanged.len();
        if campaigns > 0 {
            write!(
                f,
                "\nChiến dịch: {} thêm mới, {} cập nhật, {} không đổi.",
                self.campaigns_added.len(),
                self.campaigns_updated.len(),
                self.campaigns_unchanged.len()
            )?;
        }
        if !self.changed_anything() {
            write!(f, "\nKhông có gì thay đổi.")?;
        }
        Ok(())
    }
}

/// Reads and validates a content directory without touching the database.
pub fn load_dir(dir: &Path) -> Result<ContentSet, ImportError> {
    let entries = std::fs::read_dir(dir).map_err(|e| ImportError::Io(dir.to_owned(), e))?;
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| ImportError::Io(dir.to_owned(), e))?
            .path();
        if path.extension().is_some_and(|e| e == "md") && path.is_file() {
            paths.push(path);
        }
    }
    // Sorted, so that derived slugs get the same suffixes on every run.
    paths.sort();

    let mut errors = Vec::new();
    let mut set = ContentSet::default();
    let site_path = dir.join(site_file::FILE_NAME);
    if site_path.is_file() {
        let bytes = std::fs::read(&site_path).map_err(|e| ImportError::Io(site_path.clone(), e))?;
        match site_file::parse(&site_path, &bytes) {
            Ok(site) => set.site = Some(site),
            Err(e) => errors.extend(e),
        }
    }
    // Reading, parsing and rendering a file is independent of the others: done on every core
    // (rayon), then gathered in path order, so the articles, their slugs and the order of the
    // errors are those of a one-thread run.
    let parsed: Vec<Result<_, ImportError>> = paths
        .par_iter()
        .map(|path| {
            let bytes = std::fs::read(path).map_err(|e| ImportError::Io(path.clone(), e))?;
            Ok(front_matter::parse(path, &bytes))
        })
        .collect();
    for file in parsed {
        // The first unreadable file in path order, as a one-thread run would stop at.
        match file? {
            Ok(file) => set.articles.push(file),
            Err(e) => errors.extend(e),
        }
    }
    errors.extend(assign_slugs(&mut set.articles));
    errors.extend(aliases::check_in_set(&set.articles));
    match campaign_dir::load(&dir.join(campaign_file::DIR_NAME))? {
        Ok(files) => set.campaigns = files,
        Err(e) => errors.extend(e),
    }
    if let Some(site) = &set.site {
        let known: HashSet<String> = site.units.iter().map(|u| u.slug.to_string()).collect();
        errors.extend(check_ack_units(&set.articles, &known));
    }
    if errors.is_empty() {
        Ok(set)
    } else {
        Err(ImportError::Invalid(errors))
    }
}

/// Explicit slugs must be unique; derived ones step aside with `-2`, `-3`, …
fn assign_slugs(files: &mut [ArticleFile]) -> Vec<ContentError> {
    let mut errors = Vec::new();
    let mut explicit: Vec<(Slug, PathBuf)> = Vec::new();
    for f in files.iter().filter(|f| f.slug_is_explicit) {
        match explicit.iter().find(|(s, _)| *s == f.input.slug) {
            Some((_, first)) => errors.push(ContentError::new(
                &f.path,
                f.slug_line,
                Some("slug"),
                format!("slug «{}» trùng với tệp {}", f.input.slug, first.display()),
            )),
            None => explicit.push((f.input.slug.clone(), f.path.clone())),
        }
    }
    let mut taken: HashSet<String> = explicit.iter().map(|(s, _)| s.to_string()).collect();
    for f in files.iter_mut().filter(|f| !f.slug_is_explicit) {
        let slug = Slug::unique(&f.input.slug, |s| taken.contains(s));
        taken.insert(slug.to_string());
        f.input.slug = slug;
    }
    errors
}

/// Every unit an `[ack]` names must exist: in the directory's `site.toml`, or (without one) in
/// the database.
pub fn check_ack_units(files: &[ArticleFile], known: &HashSet<String>) -> Vec<ContentError> {
    let mut errors = Vec::new();
    for f in files {
        let Some(ack) = &f.ack else { continue };
        if let StaffAudience::Units(slugs) = &ack.settings.staff {
            for slug in slugs.iter().filter(|s| !known.contains(*s)) {
                errors.push(ContentError::new(
                    &f.path,
                    ack.staff_line,
                    Some("ack.staff"),
                    format!("không có đơn vị «{slug}» trong site.toml"),
                ));
            }
        }
    }
    errors
}

/// Imports a directory: validate everything, then write everything in one transaction.
pub async fn import_dir(db: &Db, dir: &Path) -> Result<ImportReport, ImportError> {
    // Reading and rendering every file is blocking work: off the async workers, and done before
    // `apply` opens its transaction.
    let owned = dir.to_owned();
    let set = match tokio::task::spawn_blocking(move || load_dir(&owned)).await {
        Ok(set) => set?,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    };
    let mut errors = aliases::check_against_db(db, &set.articles).await?;
    if set.site.is_none() {
        let known: HashSet<String> = units::all(db).await?.into_iter().map(|u| u.slug).collect();
        errors.extend(check_ack_units(&set.articles, &known));
    }
    if !set.campaigns.is_empty() {
        let known: HashSet<String> = campaigns::live_article_slugs(db)
            .await?
            .into_iter()
            .collect();
        errors.extend(campaign_dir::check_articles(&set, &known));
    }
    if !errors.is_empty() {
        return Err(ImportError::Invalid(errors));
    }
    Ok(apply(db, &set, time::now()).await?)
}

/// Writes a validated content set: articles are inserted or updated by slug, and left alone when
/// nothing in them changed.
pub async fn apply(db: &Db, set: &ContentSet, now: DateTime<Utc>) -> Result<ImportReport, DbError> {
    let mut tx = db.begin().await?;
    let mut report = ImportReport::default();
    if let Some(site) = &set.site {
        report.site = Some(db::site::upsert(&mut tx, site, now).await?);
    }
    for file in &set.articles {
        let mut input = file.input.clone();
        let slug = input.slug.to_string();
        match articles::find_by_slug(&mut tx, &slug).await? {
            None => {
                if input.publish_at.is_none() && input.status == ArticleStatus::Published {
                    input.publish_at = Some(now);
                }
                let id = articles::insert(&mut tx, &input, now).await?;
                // A new article has no settings to remove.
                if let Some(ack) = &file.ack {
                    apply_ack(&mut tx, id, Some(&ack.settings), now).await?;
                }
                let new_aliases = aliases::missing(&mut tx, id, file).await?;
                aliases::add(&mut tx, id, &new_aliases, now).await?;
                report.added.push(slug);
            }
            Some(existing) => {
                // A published file without a date keeps the date it was first published.
                if input.publish_at.is_none() {
                    input.publish_at = existing.publish_at;
                }
                // Files do not carry the meta description: keep the one written in the editor.
                input.meta_description = existing.meta_description.clone();
                let topics_now = topics::names_for_article(&mut tx, existing.id).await?;
                let ack_now = ack_settings::settings_tx(&mut tx, existing.id)
                    .await?
                    .map(|s| s.to_settings());
                let ack = file.ack.as_ref().map(|a| &a.settings);
                let same_ack = same_ack(ack_now.as_ref(), ack);
                let same = same_article(&existing, &topics_now, &input) && same_ack;
                // A new alias is not an edit of the article: no new version, no revision.
                let new_aliases = aliases::missing(&mut tx, existing.id, file).await?;
                if same && new_aliases.is_empty() {
                    report.unchanged.push(slug);
                    continue;
                }
                if !same {
                    articles::update(&mut tx, existing.id, &input, now).await?;
                    record_import(&mut tx, existing.id, now).await?;
                    if !same_ack {
                        apply_ack(&mut tx, existing.id, ack, now).await?;
                    }
                    // A file cannot say that a change is major: changes by import are minor,
                    // and a first publication stores version 1.
                    ack_settings::ensure_version(&mut tx, existing.id, None, now).await?;
                }
                aliases::add(&mut tx, existing.id, &new_aliases, now).await?;
                report.updated.push(slug);
            }
        }
    }
    for file in &set.campaigns {
        campaign_dir::apply(&mut tx, file, &mut report, now).await?;
    }
    // A running server's page cache drops its pages when this commits (`http::page_cache`).
    let change = crate::db::page_generation::Change::Everything;
    crate::db::page_generation::bump(&mut tx, &change, "import", now).await?;
    tx.commit().await?;
    Ok(report)
}

/// The revision and the audit entry of an import that changed an existing article, as any other
/// save leaves them; the actor is the command itself, not a person.
async fn record_import(tx: &mut Tx, id: i64, now: DateTime<Utc>) -> Result<(), DbError> {
    let row = articles::by_id_tx(tx, id)
        .await?
        .ok_or(DbError::RowNotFound)?;
    let revision = db::revisions::NewRevision::of(&row, (None, IMPORT_ACTOR), "Nhập từ tệp");
    db::revisions::record(tx, &revision, now).await?;
    let entry = db::audit::Entry {
        actor_label: IMPORT_ACTOR.to_owned(),
        action: "article.import",
        target_type: "article",
        target_id: Some(id),
        target_label: row.title.clone(),
        detail: format!("{}.md", row.slug),
        ..Default::default()
    };
    db::audit::record(tx, &entry, now).await
}

/// Who the revisions and audit entries of `loa import` name.
pub const IMPORT_ACTOR: &str = "loa import";

/// Writes (or removes) an article's `[ack]`; the units were checked to exist.
async fn apply_ack(
    tx: &mut Tx,
    article_id: i64,
    ack: Option<&AckSettings>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let Some(settings) = ack else {
        return ack_settings::remove(tx, article_id).await;
    };
    let mut ids = Vec::new();
    if let StaffAudience::Units(slugs) = &settings.staff {
        for unit in units::all_tx(tx).await? {
            if slugs.contains(&unit.slug) {
                ids.push(unit.id);
            }
        }
    }
    ack_settings::save(tx, article_id, settings, &ids, now).await?;
    ack_settings::ensure_version(tx, article_id, None, now).await?;
    Ok(())
}

/// The same settings, whatever the order of the units.
fn same_ack(stored: Option<&AckSettings>, file: Option<&AckSettings>) -> bool {
    let normal = |s: &AckSettings| {
        let mut s = s.clone();
        if let StaffAudience::Units(u) = &mut s.staff {
            u.sort();
        }
        s
    };
    stored.map(normal) == file.map(normal)
}

fn same_article(row: &articles::ArticleRow, topic_names: &[String], a: &ArticleInput) -> bool {
    let topic_slugs = |names: &[String]| -> Vec<Slug> {
        topics::distinct(names)
            .into_iter()
            .map(|(s, _)| s)
            .collect()
    };
    row.title == a.title
        && row.summary == a.summary
        && a.body == row.body.as_str()
        && row.status() == a.status
        && row.featured == a.featured
        && row.cover == a.cover
        && row.cover_alt == a.cover_alt
        && row.publish_at == a.publish_at
        && row.unpublish_at == a.unpublish_at
        && topic_slugs(topic_names) == topic_slugs(&a.topics)
}

/// Front matter as export writes it: every field explicit, times in Vietnam time.
#[derive(Serialize)]
struct ExportedFrontMatter<'a> {
    title: &'a str,
    slug: &'a str,
    summary: &'a str,
    topics: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    publish_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unpublish_at: Option<String>,
    status: &'a str,
    featured: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    cover: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cover_alt: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<String>,
    /// Last: a TOML table follows the plain keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    ack: Option<ExportedAck>,
}

/// `[ack]` as export writes it (see [`front_matter::AckFile`]).
#[derive(Serialize)]
struct ExportedAck {
    #[serde(skip_serializing_if = "Option::is_none")]
    staff: Option<ExportedStaff>,
    citizens: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    due: Option<String>,
    statement: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    closes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    renew_every_days: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    renew_on: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    renew_due_days: Option<u32>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum ExportedStaff {
    All(&'static str),
    Units(Vec<String>),
}

impl ExportedAck {
    fn new(s: AckSettings) -> ExportedAck {
        ExportedAck {
            staff: match s.staff {
                StaffAudience::None => None,
                StaffAudience::All => Some(ExportedStaff::All("all")),
                StaffAudience::Units(u) => Some(ExportedStaff::Units(u)),
            },
            citizens: s.citizens,
            due: s.due.map(front_matter::format_ack_time),
            statement: s.statement,
            closes: s.closes.map(front_matter::format_ack_time),
            renew_every_days: match s.renewal {
                Renewal::EveryDays(n) => Some(n),
                _ => None,
            },
            renew_on: match &s.renewal {
                Renewal::OnDates { dates, .. } => {
                    dates.iter().map(|d| format_month_day(*d)).collect()
                }
                _ => Vec::new(),
            },
            renew_due_days: match s.renewal {
                Renewal::OnDates { due_days, .. } => due_days,
                _ => None,
            },
        }
    }
}

/// How many files an export wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ExportReport {
    pub articles: usize,
    pub site: bool,
    pub campaigns: usize,
}

/// Writes every article as `SLUG.md`, `site.toml` and every campaign as `campaigns/SLUG.toml`
/// into `dir` (created if missing). Files of other names already there are left alone.
pub async fn export_dir(db: &Db, dir: &Path) -> Result<ExportReport, ImportError> {
    std::fs::create_dir_all(dir).map_err(|e| ImportError::Io(dir.to_owned(), e))?;
    let mut report = ExportReport::default();
    if let Some(site) = db::site::load_file(db).await? {
        let path = dir.join(site_file::FILE_NAME);
        write_file(&path, &site_file::write(&site))?;
        report.site = true;
    }
    let rows = articles::all(db).await?;
    let mut tx = db.begin().await?;
    for row in rows {
        let topic_names = topics::names_for_article(&mut tx, row.id).await?;
        let ack = ack_settings::settings_tx(&mut tx, row.id)
            .await?
            .map(|s| ExportedAck::new(s.to_settings()));
        let aliases = articles::aliases_of(&mut tx, row.id).await?;
        let front = ExportedFrontMatter {
            title: &row.title,
            slug: &row.slug,
            summary: &row.summary,
            topics: &topic_names,
            publish_at: row.publish_at.map(time::to_rfc3339_vietnam),
            unpublish_at: row.unpublish_at.map(time::to_rfc3339_vietnam),
            status: row.status().as_str(),
            featured: row.featured,
            cover: row.cover.as_deref(),
            cover_alt: row.cover_alt.as_deref(),
            aliases,
            ack,
        };
        let front = toml::to_string(&front).expect("front matter always serialises");
        let text = format!("+++\n{front}+++\n\n{}\n", row.body);
        write_file(&dir.join(format!("{}.md", row.slug)), &text)?;
        report.articles += 1;
    }
    report.campaigns = campaign_dir::export(&mut tx, db, dir).await?;
    tx.commit().await?;
    Ok(report)
}

/// Writes through a temporary file and a rename, so a crash never leaves half a file.
fn write_file(path: &Path, text: &str) -> Result<(), ImportError> {
    let tmp = path.with_extension("tmp~");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| ImportError::Io(path.to_owned(), e))
}
