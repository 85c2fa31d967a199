//! Citizens confirm they have read an article, without an account: the form under articles that
//! allow it, `POST /bai-viet/{slug}/nguoi-dan-xac-nhan`, and the thank-you page with the running
//! count. A honeypot and rate limits (per address and per contact, counted from the stored
//! events) keep robots out; a repeat by the same contact for the same version counts nothing.
//!
//! A poster's QR code opens the article with `?nguon=PLACE`. The page itself never varies with
//! it (it may be cached by path and query, and nothing goes in a cookie): `static/nguon.js`
//! copies the tag into the form's hidden `nguon` field, and the POST keeps it only when it names
//! a known place.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::account::Email;
use crate::app::AppState;
use crate::db::citizens::{self, CitizenAck, LocalityRow, NewConfirmation, Recorded};
use crate::db::page_generation::Change;
use crate::db::places;
use crate::error::{AppError, Result};
use crate::http::auth::{Ctx, Page};
use crate::http::page_cache::PublicPages;
use crate::http::views::{Layout, SiteView};
use crate::phone::Phone;
use crate::{ack, time};

/// At most this many confirmations from one address in [`IP_WINDOW_MINUTES`].
pub const IP_LIMIT: i64 = 5;
pub const IP_WINDOW_MINUTES: i64 = 10;
/// At most this many confirmations by one contact in a day.
pub const CONTACT_LIMIT: i64 = 3;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bai-viet/{slug}/nguoi-dan-xac-nhan", post(confirm))
        .route("/bai-viet/{slug}/cam-on", get(thanks))
}

/// What the consent checkbox says; its SHA-256 is stored with each citizen.
pub fn consent_text(site_name: &str, retention_days: i64) -> String {
    format!(
        "Tôi đồng ý để {site_name} thu thập họ tên, số điện thoại hoặc thư điện tử và địa bàn \
         của tôi, chỉ để ghi nhận việc tôi đã đọc tài liệu này và thống kê số người dân đã đọc \
         theo địa bàn. Họ tên, thông tin liên lạc và địa chỉ IP được xoá {retention_days} ngày \
         sau khi bài viết ngừng nhận xác nhận (hoặc sau khi tôi xác nhận, nếu bài viết không có \
         hạn); chỉ số liệu thống kê ẩn danh được giữ lại."
    )
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct LocalityOption {
    slug: String,
    name: String,
    selected: bool,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct FieldErrors {
    name: Option<String>,
    contact: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    locality: Option<String>,
    consent: Option<String>,
}

impl FieldErrors {
    fn any(&self) -> bool {
        self.name.is_some()
            || self.contact.is_some()
            || self.phone.is_some()
            || self.email.is_some()
            || self.locality.is_some()
            || self.consent.is_some()
    }
}

/// The citizen form under an article (`templates/confirm_citizen.html`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct CitizenForm {
    action: String,
    /// False once the closing date has passed: a notice instead of the form.
    open: bool,
    closed_on: String,
    consent_text: String,
    localities: Vec<LocalityOption>,
    name: String,
    phone: String,
    email: String,
    consent: bool,
    /// The poster's place (a known slug) when the form is shown again after a mistake; empty on
    /// the article page, where the script fills it from the address.
    source: String,
    errors: FieldErrors,
    /// A message for the whole form (closed, too many attempts).
    notice: Option<String>,
}

/// The form for the article page, or `None` when the article does not take citizens'
/// confirmations (or its current version has no stored text yet).
/// `site` is the page's own, read once for the whole page.
pub async fn form_for(
    state: &AppState,
    slug: &str,
    site: &SiteView,
) -> Result<Option<CitizenForm>> {
    let Some(ack) = citizens::for_article(&state.db, slug).await? else {
        return Ok(None);
    };
    if ack.text_hash.is_none() {
        return Ok(None);
    }
    let localities = citizens::localities(&state.db).await?;
    Ok(Some(blank_form(
        state,
        &ack,
        site,
        &localities,
        time::now(),
    )))
}

fn blank_form(
    state: &AppState,
    ack: &CitizenAck,
    site: &SiteView,
    localities: &[LocalityRow],
    now: DateTime<Utc>,
) -> CitizenForm {
    CitizenForm {
        action: format!("/bai-viet/{}/nguoi-dan-xac-nhan", ack.slug),
        open: ack.is_open(now),
        closed_on: ack.closes_at.map(time::format_datetime).unwrap_or_default(),
        consent_text: consent_text(&site.name, state.config.citizen_retention_days),
        localities: localities
            .iter()
            .map(|l| LocalityOption {
                slug: l.slug.clone(),
                name: l.name.clone(),
                selected: false,
            })
            .collect(),
        ..Default::default()
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RawConfirmation {
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    locality: String,
    consent: Option<String>,
    /// The poster's source tag (`?nguon=` copied by the script); unknown tags are ignored.
    #[serde(default)]
    nguon: String,
    /// The honeypot: hidden from people, filled by robots.
    #[serde(default)]
    website: String,
}

/// The page that shows the form again, with what went wrong.
#[derive(Serialize)]
struct FormPage {
    #[serde(flatten)]
    layout: Layout,
    article_title: String,
    article_path: String,
    citizen_form: CitizenForm,
}

/// The article behind a citizen's form or thanks page: 404 unless it is published and takes
/// citizens' confirmations.
async fn citizen_ack(state: &AppState, slug: &str) -> Result<CitizenAck> {
    citizens::for_article(&state.db, slug)
        .await?
        .ok_or(AppError::NotFound)
}

async fn confirm(
    Page(state, ctx): Page,
    Path(slug): Path<String>,
    Form(raw): Form<RawConfirmation>,
) -> Result<Response> {
    let ack = citizen_ack(&state, &slug).await?;
    let text_hash = ack.text_hash.clone().ok_or(AppError::NotFound)?;
    let thanks = format!("/bai-viet/{}/cam-on", ack.slug);
    if !raw.website.trim().is_empty() {
        // A robot: it is told it succeeded, and nothing is stored.
        return Ok(PublicPages::Unchanged.mark(Redirect::to(&thanks)));
    }
    let now = time::now();
    let site = SiteView::load(&state).await?;
    let localities = citizens::localities(&state.db).await?;
    let mut form = blank_form(&state, &ack, &site, &localities, now);
    form.name = raw.name.trim().to_owned();
    form.phone = raw.phone.trim().to_owned();
    form.email = raw.email.trim().to_owned();
    form.consent = raw.consent.is_some();
    let place = places::by_slug(&state.db, raw.nguon.trim()).await?;
    form.source = place.as_ref().map(|p| p.slug.clone()).unwrap_or_default();
    for l in &mut form.localities {
        l.selected = l.slug == raw.locality;
    }
    // Every refusal shows the form again, with what was typed and why.
    let show_again = |form, status| render(&state, &ctx, site, &ack, form, status);
    if !form.open {
        form.notice = Some(format!(
            "Bài viết này đã ngừng nhận xác nhận từ {}.",
            form.closed_on
        ));
        return show_again(form, StatusCode::FORBIDDEN);
    }

    let (valid, errors) = parse(&raw, &localities);
    form.errors = errors;
    let Some(valid) = valid else {
        return show_again(form, StatusCode::UNPROCESSABLE_ENTITY);
    };

    let ip_count = citizens::recent_by_network(
        &state.db,
        &ctx.network,
        now - Duration::minutes(IP_WINDOW_MINUTES),
    )
    .await?;
    let contact_count =
        citizens::recent_by_contact(&state.db, &valid.contact_key, now - Duration::days(1)).await?;
    if ip_count >= IP_LIMIT || contact_count >= CONTACT_LIMIT {
        form.notice = Some(
            "Có quá nhiều lượt xác nhận trong thời gian ngắn. Xin vui lòng thử lại sau ít phút \
             (hoặc vào ngày mai nếu bạn đã xác nhận nhiều bài hôm nay). Xin cảm ơn!"
                .to_owned(),
        );
        return show_again(form, StatusCode::TOO_MANY_REQUESTS);
    }

    let new = NewConfirmation {
        article_id: ack.article_id,
        version: ack.current_version,
        text_hash,
        name: valid.name,
        phone: valid.phone.map(|p| p.as_str().to_owned()),
        email: valid.email.map(|e| e.as_str().to_owned()),
        contact_key: valid.contact_key,
        locality: valid.locality,
        place_id: place.map(|p| p.id),
        consent_text_hash: ack::text_hash(&form.consent_text),
        ip: ctx.ip.clone(),
        network: ctx.network.clone(),
    };
    match citizens::record(&state.db, &new, now).await? {
        Recorded::New => {
            crate::metrics::citizen_confirmation();
            // The counts show on the thank-you page and the campaign pages, nowhere else: the
            // article page, which a campaign sends everyone to, stays kept.
            let counts = PublicPages::Changed(Change::Article(ack.slug.clone()));
            Ok(counts.mark(Redirect::to(&thanks)))
        }
        // The same answer as a first confirmation: anyone may type anyone's phone number, and
        // "you confirmed before" would tell them that this person read the article.
        Recorded::Repeat => Ok(PublicPages::Unchanged.mark(Redirect::to(&thanks))),
    }
}

fn render(
    state: &AppState,
    ctx: &Ctx,
    site: SiteView,
    ack: &CitizenAck,
    citizen_form: CitizenForm,
    status: StatusCode,
) -> Result<Response> {
    let article_path = format!("/bai-viet/{}", ack.slug);
    let layout = Layout::new(
        state,
        ctx,
        site,
        &format!("Xác nhận đã đọc: {}", ack.title),
        "",
        &article_path,
    );
    let page = FormPage {
        layout,
        article_title: ack.title.clone(),
        article_path,
        citizen_form,
    };
    state
        .templates
        .respond(status, "confirm_citizen_page.html", &page)
}

/// A confirmation that passed every check.
struct Valid {
    name: String,
    phone: Option<Phone>,
    email: Option<Email>,
    contact_key: String,
    locality: Option<LocalityRow>,
}

fn parse(raw: &RawConfirmation, localities: &[LocalityRow]) -> (Option<Valid>, FieldErrors) {
    let mut errors = FieldErrors::default();
    let name = raw.name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        errors.name = Some("Xin nhập họ và tên.".to_owned());
    } else if name.chars().count() > 120 {
        errors.name = Some("Họ và tên dài quá 120 ký tự.".to_owned());
    }
    let phone = match raw.phone.trim() {
        "" => None,
        p => match Phone::parse(p) {
            Ok(p) => Some(p),
            Err(_) => {
                errors.phone = Some(
                    "Số điện thoại di động không hợp lệ (ví dụ: 0912 345 678 hoặc +84 912 345 678)."
                        .to_owned(),
                );
                None
            }
        },
    };
    let email = match raw.email.trim() {
        "" => None,
        e => match Email::parse(e) {
            Ok(e) => Some(e),
            Err(_) => {
                errors.email =
                    Some("Địa chỉ thư điện tử không hợp lệ (ví dụ: ten@gmail.com).".to_owned());
                None
            }
        },
    };
    if raw.phone.trim().is_empty() && raw.email.trim().is_empty() {
        errors.contact = Some("Xin nhập số điện thoại hoặc thư điện tử (ít nhất một).".to_owned());
    }
    let locality = match raw.locality.trim() {
        "" if localities.is_empty() => None,
        "" => {
            errors.locality = Some("Xin chọn địa bàn nơi bạn sinh sống.".to_owned());
            None
        }
        slug => {
            let found = localities.iter().find(|l| l.slug == slug).cloned();
            if found.is_none() {
                errors.locality = Some("Địa bàn không có trong danh sách.".to_owned());
            }
            found
        }
    };
    if raw.consent.is_none() {
        errors.consent =
            Some("Xin đánh dấu ô đồng ý để chúng tôi được ghi nhận xác nhận của bạn.".to_owned());
    }
    if errors.any() {
        return (None, errors);
    }
    let contact_key = match (&phone, &email) {
        (Some(p), _) => p.as_str().to_owned(),
        (None, Some(e)) => e.as_str().to_owned(),
        (None, None) => return (None, errors),
    };
    let valid = Valid {
        name,
        phone,
        email,
        contact_key,
        locality,
    };
    (Some(valid), errors)
}

#[derive(Serialize)]
struct ThanksPage {
    #[serde(flatten)]
    layout: Layout,
    article_title: String,
    article_path: String,
    count: i64,
}

async fn thanks(Page(state, ctx): Page, Path(slug): Path<String>) -> Result<Response> {
    let ack = citizen_ack(&state, &slug).await?;
    let count = citizens::total_for_article(&state.db, ack.article_id).await?;
    let article_path = format!("/bai-viet/{}", ack.slug);
    let mut layout = Layout::load(
        &state,
        &ctx,
        "Cảm ơn bạn đã xác nhận",
        "",
        &format!("{article_path}/cam-on"),
    )
    .await?;
    // Nothing here for search engines.
    layout.canonical = String::new();
    let page = ThanksPage {
        layout,
        article_title: ack.title,
        article_path,
        count,
    };
    Ok(Html(state.templates.render("confirm_thanks.html", &page)?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(name: &str, phone: &str, email: &str) -> RawConfirmation {
        RawConfirmation {
            name: name.into(),
            phone: phone.into(),
            email: email.into(),
            consent: Some("1".into()),
            ..Default::default()
        }
    }

    #[test]
    fn the_phone_is_the_contact_key_when_given() {
        let (v, _) = parse(&raw(" Nguyễn  Văn A ", "0912.345.678", "A@Mail.VN"), &[]);
        let v = v.unwrap();
        assert_eq!(v.name, "Nguyễn Văn A");
        assert_eq!(v.contact_key, "+84912345678");
        assert_eq!(v.email.unwrap().as_str(), "a@mail.vn");
        let (v, _) = parse(&raw("B", "", "B@Mail.VN"), &[]);
        assert_eq!(v.unwrap().contact_key, "b@mail.vn");
    }

    #[test]
    fn missing_fields_are_named() {
        let (v, e) = parse(
            &RawConfirmation {
                consent: None,
                ..Default::default()
            },
            &[],
        );
        assert!(v.is_none());
        assert!(e.name.is_some() && e.contact.is_some() && e.consent.is_some());
        let (v, e) = parse(&raw("A", "123", "x"), &[]);
        assert!(v.is_none() && e.phone.is_some() && e.email.is_some());
    }
}
