//! `/admin/bai-viet/{id}/ap-phich` and `/admin/chien-dich/{slug}/ap-phich`: a poster to print
//! and hang at a counter — the agency's name, the title, the summary (or the editor's own short
//! text), and a large QR code, drawn on the server, that opens the public page with the place's
//! tag (`?nguon=quay-1`). A4 portrait, or A5 for a table stand (`?kho=a5`).
//!
//! The choices are a GET form (`nguon`, `kho`, `loi_nhan`): nothing is stored, and the poster's
//! address can be bookmarked. Editors and admins only (`policy::Action::PrintPosters`).

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use super::people::parse_id;
use crate::app::AppState;
use crate::article::ArticleStatus;
use crate::db::places::{self, PlaceRow};
use crate::db::{articles, campaigns, citizens};
use crate::error::{AppError, Result};
use crate::http::auth::{Ctx, Page};
use crate::http::views::{Layout, SiteView};
use crate::policy::{self, Action, Target};
use crate::qr::{self, QrSvg};

/// The editor's own text replaces the summary; a poster has room for a few lines only.
pub const MAX_MESSAGE_CHARS: usize = 300;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bai-viet/{id}/ap-phich", get(article))
        .route("/chien-dich/{slug}/ap-phich", get(campaign))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PosterQuery {
    /// A place's slug; empty for a poster without one.
    nguon: String,
    /// `a4` (the default) or `a5`.
    kho: String,
    loi_nhan: String,
}

/// What the poster is about, whichever kind.
struct Subject {
    title: String,
    /// The summary or the campaign's description, used when the editor typed nothing.
    text: String,
    /// The public page the QR code opens.
    public_path: String,
    /// Citizens may confirm reading there (or, for a campaign, in one of its articles).
    citizens: bool,
    campaign: bool,
    /// This page, for the form's action.
    path: String,
    back: String,
    back_label: &'static str,
    /// Why there is no poster (a campaign not public yet).
    refused: Option<String>,
}

#[derive(Serialize)]
struct PlaceOption {
    slug: String,
    name: String,
    selected: bool,
}

#[derive(Default, Serialize)]
struct Errors {
    place: Option<String>,
    size: Option<String>,
    message: Option<String>,
}

#[derive(Serialize)]
struct Poster {
    agency: String,
    kicker: &'static str,
    title: String,
    text: String,
    steps: Vec<&'static str>,
    /// The absolute address the QR code holds, printed under it too.
    url: String,
    qr: QrSvg,
    /// The place's name, printed small at the foot (for whoever hangs it).
    place: String,
}

#[derive(Serialize)]
struct PosterView {
    #[serde(flatten)]
    layout: Layout,
    subject_title: String,
    action: String,
    back: String,
    back_label: &'static str,
    places: Vec<PlaceOption>,
    /// `a4` or `a5` (the body's class and the radio buttons).
    size: &'static str,
    message: String,
    errors: Errors,
    notice: Option<String>,
    poster: Option<Poster>,
}

fn require(ctx: &Ctx) -> Result<()> {
    let user = ctx.user()?;
    if policy::may(user, Action::PrintPosters, Target::Agency) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

async fn article(
    Page(state, ctx): Page,
    Path(id): Path<String>,
    Query(q): Query<PosterQuery>,
) -> Result<Response> {
    require(&ctx)?;
    let id = parse_id(&id)?;
    // Only what citizens can open: a poster must never lead to a 404.
    let row = articles::by_id(&state.db, id)
        .await?
        .filter(|a| a.deleted_at.is_none() && a.status() == ArticleStatus::Published)
        .ok_or(AppError::NotFound)?;
    let citizens = citizens::for_article(&state.db, &row.slug).await?.is_some();
    let subject = Subject {
        public_path: format!("/bai-viet/{}", row.slug),
        path: format!("/admin/bai-viet/{id}/ap-phich"),
        back: format!("/admin/bai-viet/{id}"),
        back_label: "Trở lại bài viết",
        title: row.title,
        text: row.summary,
        citizens,
        campaign: false,
        refused: None,
    };
    render(&state, &ctx, subject, q).await
}

async fn campaign(
    Page(state, ctx): Page,
    Path(slug): Path<String>,
    Query(q): Query<PosterQuery>,
) -> Result<Response> {
    require(&ctx)?;
    let c = campaigns::by_slug(&state.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let citizens = campaigns::articles(&state.db, c.id)
        .await?
        .iter()
        .any(|a| a.terms.citizens && a.status == "published");
    let refused = (!c.is_public).then(|| {
        "Chiến dịch này chưa công khai, nên người dân quét mã sẽ không mở được trang. Hãy bật \
         «Công khai» trong phần sửa chiến dịch rồi in áp phích."
            .to_owned()
    });
    let subject = Subject {
        public_path: format!("/chien-dich/{}", c.slug),
        path: format!("/admin/chien-dich/{}/ap-phich", c.slug),
        back: format!("/admin/chien-dich/{}", c.slug),
        back_label: "Trở lại bảng theo dõi chiến dịch",
        title: c.name,
        text: c.description,
        citizens,
        campaign: true,
        refused,
    };
    render(&state, &ctx, subject, q).await
}

/// The poster's size.
fn size(kho: &str) -> Option<&'static str> {
    match kho.trim() {
        "" | "a4" => Some("a4"),
        "a5" => Some("a5"),
        _ => None,
    }
}

/// How to use the poster, in the reader's words.
fn steps(subject: &Subject) -> (&'static str, Vec<&'static str>) {
    let scan = "Mở ứng dụng máy ảnh hoặc ứng dụng quét mã QR trên điện thoại, hướng vào mã.";
    match (subject.campaign, subject.citizens) {
        (false, true) => (
            "Quét mã để đọc và xác nhận đã đọc",
            vec![
                scan,
                "Đọc bài viết trên điện thoại.",
                "Cuối bài, điền họ tên, số điện thoại hoặc thư điện tử, địa bàn và bấm «Tôi đã \
                 đọc bài viết này».",
            ],
        ),
        (false, false) => (
            "Quét mã để đọc bài viết",
            vec![scan, "Đọc bài viết trên điện thoại."],
        ),
        (true, true) => (
            "Quét mã để đọc và xác nhận đã đọc",
            vec![
                scan,
                "Chọn bài viết của chiến dịch để đọc.",
                "Cuối mỗi bài, bấm «Tôi đã đọc bài viết này» để xác nhận.",
            ],
        ),
        (true, false) => (
            "Quét mã để xem các bài viết",
            vec![scan, "Chọn bài viết của chiến dịch để đọc."],
        ),
    }
}

async fn render(state: &AppState, ctx: &Ctx, subject: Subject, q: PosterQuery) -> Result<Response> {
    let all = places::all(&state.db).await?;
    let wanted = q.nguon.trim();
    let place: Option<PlaceRow> = all.iter().find(|p| p.slug == wanted).cloned();
    let message: String = q.loi_nhan.trim().nfc().collect();
    let mut errors = Errors::default();
    if !wanted.is_empty() && place.is_none() {
        errors.place = Some("Nơi đặt này không có trong danh sách.".to_owned());
    }
    let size_class = size(&q.kho);
    if size_class.is_none() {
        errors.size = Some("Khổ giấy chỉ có thể là A4 hoặc A5.".to_owned());
    }
    if message.chars().count() > MAX_MESSAGE_CHARS {
        errors.message = Some(format!(
            "Lời nhắn dài quá {MAX_MESSAGE_CHARS} ký tự; áp phích chỉ đủ chỗ cho vài dòng."
        ));
    }
    let invalid = errors.place.is_some() || errors.size.is_some() || errors.message.is_some();
    let site = SiteView::load(state).await?;
    let poster = if invalid || subject.refused.is_some() {
        None
    } else {
        let mut url = state
            .config
            .base_url
            .join(&subject.public_path)
            .map_err(|e| AppError::Internal(e.into()))?;
        if let Some(p) = &place {
            url.query_pairs_mut().append_pair("nguon", &p.slug);
        }
        let url = url.to_string();
        let qr = qr::svg(&url).map_err(|e| AppError::Internal(e.into()))?;
        let (kicker, steps) = steps(&subject);
        Some(Poster {
            agency: site.name.clone(),
            kicker,
            title: subject.title.clone(),
            text: if message.is_empty() {
                subject.text.clone()
            } else {
                message.clone()
            },
            steps,
            url,
            qr,
            place: place.as_ref().map(|p| p.name.clone()).unwrap_or_default(),
        })
    };
    let status = if invalid {
        StatusCode::UNPROCESSABLE_ENTITY
    } else if subject.refused.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    let title = format!("Áp phích: {}", subject.title);
    let view = PosterView {
        layout: Layout::new(state, ctx, site, &title, "", &subject.path),
        subject_title: subject.title,
        action: subject.path,
        back: subject.back,
        back_label: subject.back_label,
        places: all
            .into_iter()
            .map(|p| PlaceOption {
                selected: p.slug == wanted,
                slug: p.slug,
                name: p.name,
            })
            .collect(),
        size: size_class.unwrap_or("a4"),
        message,
        errors,
        notice: subject.refused,
        poster,
    };
    state.templates.respond(status, "admin/poster.html", &view)
}
