//! View structs: what templates receive. Built from rows here, never passed rows directly, so a
//! template cannot reach a column it should not show. Dates arrive formatted in Vietnam time.

use std::collections::HashMap;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::db::articles::{ArticleRow, Card};
use crate::db::topics::TopicRow;
use crate::error::{AppError, Result};
use crate::http::auth::{Ctx, CurrentUser};
use crate::markdown::TocEntry;
use crate::policy::{self, Action, Target};
use crate::site::SiteInfo;
use crate::{db, time};

/// Articles per listing page.
pub const PAGE_SIZE: i64 = 10;

#[derive(Clone, Debug, Serialize)]
pub struct SiteView {
    pub name: String,
    pub short_name: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    pub website: String,
    /// When the details last changed (`None`: never imported), for `Last-Modified`.
    #[serde(skip)]
    pub changed_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<SiteInfo> for SiteView {
    fn from(i: SiteInfo) -> Self {
        SiteView {
            changed_at: None,
            short_name: i.display_short_name().to_owned(),
            name: i.name,
            address: i.address,
            phone: i.phone,
            email: i.email,
            website: i.website,
        }
    }
}

impl SiteView {
    pub async fn load(state: &AppState) -> Result<SiteView> {
        Ok(match db::site::info_changed(&state.db).await? {
            Some((info, changed)) => SiteView {
                changed_at: Some(changed),
                ..info.into()
            },
            None => SiteInfo::placeholder().into(),
        })
    }

    /// For error pages, which must render even when the database does not answer.
    pub async fn load_or_placeholder(state: &AppState) -> SiteView {
        match db::site::info(&state.db).await {
            Ok(Some(info)) => info.into(),
            _ => SiteInfo::placeholder().into(),
        }
    }
}

/// `66,7%`: one decimal, with the Vietnamese decimal comma (`0%` when `whole` is 0). The one
/// way every page shows a share, so the same figures read the same everywhere.
pub fn percent(part: i64, whole: i64) -> String {
    if whole <= 0 {
        return "0%".to_owned();
    }
    let p = part as f64 * 100.0 / whole as f64;
    format!("{p:.1}%").replace(".0%", "%").replace('.', ",")
}

/// The signed-in account, as the header shows it.
#[derive(Clone, Debug, Serialize)]
pub struct UserView {
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub role_label: &'static str,
    pub is_writer: bool,
    pub is_editor: bool,
    pub is_admin: bool,
    /// Heads a unit: the header offers "Đơn vị của tôi".
    pub heads_unit: bool,
    /// May open the campaigns (editors, admins, unit heads).
    pub sees_campaigns: bool,
}

impl From<&CurrentUser> for UserView {
    fn from(u: &CurrentUser) -> Self {
        UserView {
            name: u.name.clone(),
            email: u.email.clone(),
            role: u.role.as_str(),
            role_label: u.role.label(),
            is_writer: u.role.is_staff_writer(),
            is_editor: u.role.can_publish(),
            is_admin: u.role.is_admin(),
            heads_unit: u.is_head && u.unit_id.is_some(),
            sees_campaigns: policy::may(u, Action::ListCampaigns, Target::Agency),
        }
    }
}

/// What every page's layout needs.
#[derive(Debug, Serialize)]
pub struct Layout {
    pub site: SiteView,
    pub user: Option<UserView>,
    /// The CSRF token every form of the page carries.
    pub csrf: String,
    pub static_version: &'static str,
    /// The `<title>`, before the site's name.
    pub page_title: String,
    pub description: String,
    pub canonical: String,
    /// The signed-in person's open acknowledgment items still to confirm (0 when signed out).
    pub pending_acks: i64,
    /// Open Graph's `og:type`: `website`, or `article` on article pages.
    pub og_type: &'static str,
    /// The absolute URL of the page's image (an article's cover) for link previews.
    pub og_image: Option<String>,
    /// `article:published_time` and `article:modified_time`, RFC 3339.
    pub published_time: Option<String>,
    pub modified_time: Option<String>,
    /// Structured data (JSON-LD), already made safe to sit inside a `<script>` element.
    pub json_ld: Option<String>,
}

impl Layout {
    /// The layout with the site's details read for this page: how nearly every page begins.
    pub async fn load(
        state: &AppState,
        ctx: &Ctx,
        page_title: &str,
        description: &str,
        path: &str,
    ) -> Result<Layout> {
        let site = SiteView::load(state).await?;
        Ok(Layout::new(state, ctx, site, page_title, description, path))
    }

    pub fn new(
        state: &AppState,
        ctx: &Ctx,
        site: SiteView,
        page_title: &str,
        description: &str,
        path: &str,
    ) -> Layout {
        Layout {
            site,
            user: ctx.user.as_ref().map(UserView::from),
            csrf: ctx.csrf.clone(),
            static_version: super::assets::version(),
            page_title: page_title.to_owned(),
            description: description.to_owned(),
            canonical: state
                .config
                .base_url
                .join(path)
                .map(|u| u.to_string())
                .unwrap_or_default(),
            pending_acks: ctx.user.as_ref().map_or(0, |u| u.pending_acks),
            og_type: "website",
            og_image: None,
            published_time: None,
            modified_time: None,
            json_ld: None,
        }
    }
}

/// `path` (or an already absolute URL) as an absolute URL on the site's base URL, for link
/// previews and structured data, which crawlers read outside the page.
pub fn absolute_url(state: &AppState, path: &str) -> Option<String> {
    state.config.base_url.join(path).ok().map(|u| u.to_string())
}

/// Serialises structured data for a `<script type="application/ld+json">` block. Every `<`
/// becomes `\u003c` (the same string to a JSON parser), so no title can close the element or
/// open a comment in it; the template inserts the result unescaped.
pub fn json_ld_script(data: &impl Serialize) -> Result<String> {
    let json = serde_json::to_string(data).map_err(|e| AppError::Internal(e.into()))?;
    Ok(json.replace('<', "\\u003c"))
}

#[derive(Clone, Debug, Serialize)]
pub struct TopicLink {
    pub slug: String,
    pub name: String,
}

impl From<&TopicRow> for TopicLink {
    fn from(t: &TopicRow) -> Self {
        TopicLink {
            slug: t.slug.clone(),
            name: t.name.clone(),
        }
    }
}

/// An article in a list.
#[derive(Debug, Serialize)]
pub struct ArticleCard {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub date: String,
    pub date_iso: String,
    pub reading_minutes: i64,
    pub topics: Vec<TopicLink>,
    pub cover: Option<String>,
    pub cover_alt: Option<String>,
}

impl ArticleCard {
    pub fn new(row: Card, topics: &[TopicRow]) -> ArticleCard {
        let when = row.publish_at.unwrap_or(row.created_at);
        ArticleCard {
            slug: row.slug,
            title: row.title,
            summary: row.summary,
            date: time::format_date(when),
            date_iso: time::to_rfc3339_utc(when),
            reading_minutes: row.reading_minutes,
            topics: topics.iter().map(TopicLink::from).collect(),
            cover: row.cover,
            cover_alt: row.cover_alt,
        }
    }

    /// Cards for a list of rows, with their topics fetched in one query.
    pub async fn many(state: &AppState, rows: Vec<Card>) -> Result<Vec<ArticleCard>> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut topics: HashMap<i64, Vec<TopicRow>> =
            db::topics::for_articles(&state.db, &ids).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let t = topics.remove(&r.id).unwrap_or_default();
                ArticleCard::new(r, &t)
            })
            .collect())
    }
}

/// A whole article: its card, with the body and the table of contents.
#[derive(Debug, Serialize)]
pub struct ArticleView {
    #[serde(flatten)]
    pub card: ArticleCard,
    /// Sanitised by the Markdown pipeline when it was stored.
    pub html: String,
    pub toc: Vec<TocEntry>,
}

impl ArticleView {
    pub fn new(row: ArticleRow, topics: &[TopicRow]) -> ArticleView {
        let toc = row.toc();
        let card = Card {
            id: row.id,
            slug: row.slug,
            title: row.title,
            summary: row.summary,
            meta_description: row.meta_description,
            reading_minutes: row.reading_minutes,
            cover: row.cover,
            cover_alt: row.cover_alt,
            publish_at: row.publish_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        };
        ArticleView {
            card: ArticleCard::new(card, topics),
            html: row.body_html,
            toc,
        }
    }
}

/// `?trang=N` on listing pages.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    pub trang: Option<String>,
}

impl PageQuery {
    /// The requested page, 1-based. Anything but a positive number is a page that does not exist.
    pub fn number(&self) -> Result<i64> {
        match self.trang.as_deref() {
            None => Ok(1),
            Some(s) => s
                .parse::<i64>()
                .ok()
                .filter(|&n| (1..=1_000_000).contains(&n))
                .ok_or(AppError::NotFound),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Pagination {
    pub current: i64,
    pub total: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pagination {
    /// Fails with 404 for a page past the last (page 1 always exists, even when empty).
    pub fn new(path: &str, current: i64, items: i64) -> Result<Pagination> {
        let total = ((items + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
        if current > total {
            return Err(AppError::NotFound);
        }
        let url = |n: i64| {
            if n == 1 {
                path.to_owned()
            } else {
                format!("{path}?trang={n}")
            }
        };
        Ok(Pagination {
            current,
            total,
            prev: (current > 1).then(|| url(current - 1)),
            next: (current < total).then(|| url(current + 1)),
        })
    }

    pub fn offset(&self) -> i64 {
        (self.current - 1) * PAGE_SIZE
    }
}

#[derive(Debug, Serialize)]
pub struct ErrorView {
    #[serde(flatten)]
    pub layout: Layout,
    pub status: u16,
    pub heading: &'static str,
    pub message: &'static str,
}

impl ErrorView {
    pub fn new(state: &AppState, ctx: &Ctx, site: SiteView, status: StatusCode) -> ErrorView {
        let (heading, message) = match status {
            StatusCode::FORBIDDEN => (
                "Không thực hiện được",
                "Bạn không có quyền thực hiện thao tác này, hoặc phiên làm việc đã hết hạn. Hãy tải lại trang rồi thử lại.",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                "Dữ liệu quá lớn",
                "Tệp hoặc nội dung bạn gửi vượt quá dung lượng cho phép.",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "Không nhận được dữ liệu",
                "Trang này không nhận tệp đính kèm. Hãy gửi biểu mẫu từ chính trang của Loa.",
            ),
            StatusCode::REQUEST_TIMEOUT => (
                "Hết thời gian chờ",
                "Yêu cầu mất quá nhiều thời gian nên đã bị dừng. Xin kiểm tra kết nối mạng rồi thử lại.",
            ),
            StatusCode::TOO_MANY_REQUESTS => (
                "Máy chủ đang bận",
                "Có quá nhiều yêu cầu cùng lúc. Xin vui lòng chờ một lát rồi thử lại.",
            ),
            StatusCode::NOT_FOUND => (
                "Không tìm thấy trang",
                "Trang bạn tìm không có hoặc đã được gỡ. Hãy kiểm tra lại địa chỉ, hoặc về trang chủ để xem các bài viết mới.",
            ),
            _ => (
                "Đã có lỗi xảy ra",
                "Máy chủ gặp sự cố khi xử lý yêu cầu của bạn. Xin vui lòng thử lại sau ít phút.",
            ),
        };
        ErrorView {
            layout: Layout::new(state, ctx, site, heading, message, "/"),
            status: status.as_u16(),
            heading,
            message,
        }
    }
}
