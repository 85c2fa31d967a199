//! `/admin/nguoi-dan` (admin only): a citizen's personal data, found by phone or e-mail
//! (normalised as the public form does; the lookup is a POST and audited), exported as CSV (through `report`, like every export) or
//! deleted. Both are audited; deleting clears name and contacts and leaves the confirmations as
//! anonymous records.

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::{Deserialize, Serialize};

use crate::account::Email;
use crate::app::AppState;
use crate::db::audit::Entry;
use crate::db::citizens::{self, CitizenRecord};
use crate::error::{AppError, Result};
use crate::http::auth::{Ctx, Page};
use crate::http::views::Layout;
use crate::phone::Phone;
use crate::report::{Cell, Sheet};
use crate::time;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/nguoi-dan", get(show).post(find))
        .route("/nguoi-dan/xuat", post(export))
        .route("/nguoi-dan/xoa", post(delete))
}

/// A phone (any common form) or an e-mail, as the key the public form stores.
pub fn normalise_contact(s: &str) -> Option<String> {
    let s = s.trim();
    if s.contains('@') {
        Email::parse(s).ok().map(|e| e.as_str().to_owned())
    } else {
        Phone::parse(s).ok().map(|p| p.as_str().to_owned())
    }
}

/// `+84912***678`, `ng***@mail.vn`: enough for the audit log to tell requests apart without
/// keeping the contact itself past its retention period.
fn masked(contact: &str) -> String {
    match contact.split_once('@') {
        Some((local, domain)) => {
            let head: String = local.chars().take(2).collect();
            format!("{head}***@{domain}")
        }
        None => {
            let chars: Vec<char> = contact.chars().collect();
            let head: String = chars.iter().take(6).collect();
            let tail: String = chars[chars.len().saturating_sub(3)..].iter().collect();
            format!("{head}***{tail}")
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct ShowQuery {
    /// Set after a deletion: how many records were cleared.
    da_xoa: Option<u64>,
}

#[derive(Serialize)]
struct RecordView {
    name: String,
    phone: String,
    email: String,
    locality: String,
    article: String,
    version: String,
    text_hash: String,
    ip: String,
    at: String,
}

impl From<&CitizenRecord> for RecordView {
    fn from(r: &CitizenRecord) -> Self {
        RecordView {
            name: r.name.clone().unwrap_or_default(),
            phone: r.phone.clone().unwrap_or_default(),
            email: r.email.clone().unwrap_or_default(),
            locality: r.locality.clone().unwrap_or_default(),
            article: r.article_title.clone().unwrap_or_default(),
            version: r.version.map(|v| v.to_string()).unwrap_or_default(),
            text_hash: r.text_hash.clone().unwrap_or_default(),
            ip: r.ip.clone(),
            at: time::format_datetime(r.created_at),
        }
    }
}

#[derive(Serialize)]
struct FindPage {
    #[serde(flatten)]
    layout: Layout,
    query: String,
    contact: String,
    error: Option<String>,
    searched: bool,
    deleted: Option<u64>,
    records: Vec<RecordView>,
}

async fn blank_page(state: &AppState, ctx: &Ctx) -> Result<FindPage> {
    let layout = Layout::load(state, ctx, "Dữ liệu người dân", "", "/admin/nguoi-dan").await?;
    Ok(FindPage {
        layout,
        query: String::new(),
        contact: String::new(),
        error: None,
        searched: false,
        deleted: None,
        records: vec![],
    })
}

/// The search form (and the result of a deletion).
async fn show(Page(state, ctx): Page, Query(q): Query<ShowQuery>) -> Result<Response> {
    ctx.user()?;
    let mut page = blank_page(&state, &ctx).await?;
    page.deleted = q.da_xoa;
    let html = state.templates.render("admin/citizens.html", &page)?;
    Ok(Html(html).into_response())
}

/// A lookup by contact: a POST, so the phone or e-mail is in no URL, history, proxy log or
/// `Referer`, and audited like the export, since reading someone's data is processing it.
async fn find(Page(state, ctx): Page, Form(form): Form<ContactForm>) -> Result<Response> {
    ctx.user()?;
    let mut page = blank_page(&state, &ctx).await?;
    page.query = form.lien_he.trim().to_owned();
    let mut status = StatusCode::OK;
    match normalise_contact(&page.query) {
        Some(contact) => {
            let rows = citizens::find_by_contact(&state.db, &contact).await?;
            let e = entry(
                &ctx,
                "citizen.find",
                &contact,
                format!("{} bản ghi", rows.len()),
            )?;
            crate::db::audit::record_now(&state.db, &e, time::now()).await?;
            page.records = rows.iter().map(RecordView::from).collect();
            page.contact = contact;
            page.searched = true;
        }
        None => {
            page.error = Some(
                "Không phải số điện thoại di động hay thư điện tử hợp lệ (ví dụ: 0912 345 678 hoặc ten@gmail.com)."
                    .to_owned(),
            );
            status = StatusCode::UNPROCESSABLE_ENTITY;
        }
    }
    state
        .templates
        .respond(status, "admin/citizens.html", &page)
}

#[derive(Debug, Deserialize)]
struct ContactForm {
    #[serde(default)]
    lien_he: String,
}

fn entry(ctx: &Ctx, action: &'static str, contact: &str, detail: String) -> Result<Entry> {
    let user = ctx.user()?;
    Ok(Entry {
        actor_id: Some(user.id),
        actor_label: user.email.clone(),
        action,
        target_type: "citizen",
        target_id: None,
        target_label: masked(contact),
        detail,
        ip: ctx.ip.clone(),
    })
}

async fn export(Page(state, ctx): Page, Form(form): Form<ContactForm>) -> Result<Response> {
    let contact = normalise_contact(&form.lien_he).ok_or(AppError::NotFound)?;
    let rows = citizens::find_by_contact(&state.db, &contact).await?;
    let now = time::now();
    let file = crate::report::File::render(
        crate::report::Format::Csv,
        "du-lieu-nguoi-dan",
        "Dữ liệu người dân",
        &[sheet(&rows)],
        now,
    )?;
    let e = entry(
        &ctx,
        "citizen.export",
        &contact,
        format!("{} bản ghi", rows.len()),
    )?;
    // The export is recorded before the data leaves.
    let mut tx = state.db.begin().await?;
    crate::db::audit::record(&mut tx, &e, now).await?;
    tx.commit().await?;
    Ok(super::exports::attachment(file))
}

/// The citizen's records as one table (every text cell neutralised by the CSV writer: the name
/// is whatever they typed).
fn sheet(rows: &[CitizenRecord]) -> Sheet {
    let mut sheet = Sheet::new(
        "Dữ liệu người dân",
        &[
            "Họ tên",
            "Điện thoại",
            "Thư điện tử",
            "Địa bàn",
            "Bài viết",
            "Phiên bản",
            "SHA-256 nội dung",
            "SHA-256 lời đồng ý",
            "Địa chỉ IP",
            "Thời điểm",
        ],
    );
    for r in rows {
        sheet.push(vec![
            Cell::opt_text(r.name.clone().unwrap_or_default()),
            Cell::opt_text(r.phone.clone().unwrap_or_default()),
            Cell::opt_text(r.email.clone().unwrap_or_default()),
            Cell::opt_text(r.locality.clone().unwrap_or_default()),
            Cell::opt_text(r.article_title.clone().unwrap_or_default()),
            r.version.map_or(Cell::Empty, Cell::Int),
            Cell::opt_text(r.text_hash.clone().unwrap_or_default()),
            Cell::text(&r.consent_text_hash),
            Cell::opt_text(&r.ip),
            Cell::Time(r.created_at),
        ]);
    }
    sheet
}

async fn delete(Page(state, ctx): Page, Form(form): Form<ContactForm>) -> Result<Response> {
    let contact = normalise_contact(&form.lien_he).ok_or(AppError::NotFound)?;
    let e = entry(&ctx, "citizen.delete", &contact, String::new())?;
    let cleared = citizens::delete_by_contact(&state.db, &contact, &e, time::now()).await?;
    Ok(Redirect::to(&format!("/admin/nguoi-dan?da_xoa={cleared}")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_are_normalised_and_masked() {
        assert_eq!(
            normalise_contact(" (091) 234-5678 ").as_deref(),
            Some("+84912345678")
        );
        assert_eq!(
            normalise_contact("An@Mail.VN").as_deref(),
            Some("an@mail.vn")
        );
        assert_eq!(normalise_contact("abc"), None);
        assert_eq!(masked("+84912345678"), "+84912***678");
        assert_eq!(masked("an@mail.vn"), "an***@mail.vn");
    }
}
