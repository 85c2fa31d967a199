//! GET `/admin/bai-viet`: every article, filtered by status (or the deleted ones, for admins),
//! topic, author and title, newest change first, paginated. Authors see every article and get a
//! link to the editor for their own only.

use axum::extract::Query;
use axum::response::Html;
use serde::{Deserialize, Serialize};

use crate::article::ArticleStatus;
use crate::db::articles::admin::{self, AdminFilter, AdminListRow};
use crate::db::topics;
use crate::error::{url_encode, AppError, Result};
use crate::http::auth::{CurrentUser, Page};
use crate::http::views::{Layout, TopicLink};
use crate::policy::{self, Action, ArticleFacts, Target};
use crate::time;

const PAGE_SIZE: i64 = 20;

/// The `trang_thai` value of the deleted articles' view.
const DELETED: &str = "da-xoa";

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ListQuery {
    trang_thai: String,
    chu_de: String,
    tac_gia: String,
    q: String,
    #[serde(skip_serializing)]
    trang: Option<String>,
    #[serde(skip_serializing)]
    thong_bao: Option<String>,
}

impl ListQuery {
    /// The filter, or 404 for values no page of ours links to (403 for the deleted view of a
    /// non-admin).
    fn filter(&self, user: &CurrentUser) -> Result<AdminFilter> {
        let mut f = AdminFilter {
            topic_slug: self.chu_de.trim().to_owned(),
            query: self.q.trim().to_owned(),
            ..AdminFilter::default()
        };
        match self.trang_thai.as_str() {
            "" => {}
            DELETED if policy::may(user, Action::RestoreArticle, Target::Agency) => {
                f.deleted = true
            }
            DELETED => return Err(AppError::Forbidden),
            s => f.status = Some(s.parse::<ArticleStatus>().map_err(|_| AppError::NotFound)?),
        }
        if !self.tac_gia.is_empty() {
            f.author_id = Some(self.tac_gia.parse().map_err(|_| AppError::NotFound)?);
        }
        Ok(f)
    }

    fn page(&self) -> Result<i64> {
        match self.trang.as_deref() {
            None | Some("") => Ok(1),
            Some(s) => s
                .parse::<i64>()
                .ok()
                .filter(|&n| (1..=1_000_000).contains(&n))
                .ok_or(AppError::NotFound),
        }
    }

    /// The list's address with these filters on page `n`.
    fn url(&self, n: i64) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("trang_thai", &self.trang_thai),
            ("chu_de", &self.chu_de),
            ("tac_gia", &self.tac_gia),
            ("q", &self.q),
        ] {
            if !v.is_empty() {
                parts.push(format!("{k}={}", url_encode(v)));
            }
        }
        if n > 1 {
            parts.push(format!("trang={n}"));
        }
        if parts.is_empty() {
            "/admin/bai-viet".to_owned()
        } else {
            format!("/admin/bai-viet?{}", parts.join("&"))
        }
    }
}

#[derive(Serialize)]
struct Row {
    id: i64,
    title: String,
    status: &'static str,
    status_label: &'static str,
    featured: bool,
    author: String,
    topics: Vec<TopicLink>,
    updated: String,
    published: Option<String>,
    deleted: Option<String>,
    /// The editor, for those who may open it.
    edit_url: Option<String>,
    public_url: Option<String>,
}

#[derive(Serialize)]
struct ChoiceView {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct Pages {
    current: i64,
    total: i64,
    prev: Option<String>,
    next: Option<String>,
}

#[derive(Serialize)]
struct ListPage {
    #[serde(flatten)]
    layout: Layout,
    query: ListQuery,
    statuses: Vec<ChoiceView>,
    topics: Vec<ChoiceView>,
    authors: Vec<ChoiceView>,
    deleted_view: bool,
    rows: Vec<Row>,
    total: i64,
    pages: Pages,
    notice: Option<&'static str>,
}

pub async fn list(Page(state, ctx): Page, Query(query): Query<ListQuery>) -> Result<Html<String>> {
    let user = ctx.user()?;
    let filter = query.filter(user)?;
    let current = query.page()?;
    let total = admin::admin_count(&state.db, &filter).await?;
    let pages_total = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    if current > pages_total {
        return Err(AppError::NotFound);
    }
    let found = admin::admin_list(&state.db, &filter, PAGE_SIZE, (current - 1) * PAGE_SIZE).await?;
    let ids: Vec<i64> = found.iter().map(|r| r.id).collect();
    let mut topic_map = topics::for_articles(&state.db, &ids).await?;
    let rows = found
        .into_iter()
        .map(|r| {
            let t = topic_map.remove(&r.id).unwrap_or_default();
            row_view(user, r, t.iter().map(TopicLink::from).collect())
        })
        .collect();

    let mut statuses: Vec<ChoiceView> = ArticleStatus::ALL
        .iter()
        .map(|s| ChoiceView {
            value: s.as_str().to_owned(),
            label: s.label().to_owned(),
        })
        .collect();
    if policy::may(user, Action::RestoreArticle, Target::Agency) {
        statuses.push(ChoiceView {
            value: DELETED.to_owned(),
            label: "Đã xoá".to_owned(),
        });
    }
    let topics = admin::topic_choices(&state.db)
        .await?
        .into_iter()
        .map(|c| ChoiceView {
            value: c.slug,
            label: c.name,
        })
        .collect();
    let authors = admin::author_choices(&state.db)
        .await?
        .into_iter()
        .map(|c| ChoiceView {
            value: c.id.to_string(),
            label: c.name,
        })
        .collect();
    let pages = Pages {
        current,
        total: pages_total,
        prev: (current > 1).then(|| query.url(current - 1)),
        next: (current < pages_total).then(|| query.url(current + 1)),
    };
    let notice = match query.thong_bao.as_deref() {
        Some("da-xoa") => {
            Some("Đã xoá bài viết. Quản trị viên có thể khôi phục trong mục «Đã xoá».")
        }
        _ => None,
    };
    let view = ListPage {
        layout: Layout::load(
            &state,
            &ctx,
            "Bài viết",
            "Danh sách bài viết",
            "/admin/bai-viet",
        )
        .await?,
        deleted_view: filter.deleted,
        query,
        statuses,
        topics,
        authors,
        rows,
        total,
        pages,
        notice,
    };
    Ok(Html(state.templates.render("admin/articles.html", &view)?))
}

fn row_view(user: &CurrentUser, r: AdminListRow, topics: Vec<TopicLink>) -> Row {
    let status = r.status.parse().unwrap_or(ArticleStatus::Draft);
    let facts = ArticleFacts {
        author_id: r.author_id,
        status,
        deleted: r.deleted_at.is_some(),
    };
    let may_open = policy::may(user, Action::OpenArticle, Target::Article(facts));
    let live = !facts.deleted;
    Row {
        id: r.id,
        status: status.as_str(),
        status_label: status.label(),
        featured: r.featured,
        author: r.author_name.unwrap_or_else(|| "—".to_owned()),
        topics,
        updated: time::format_datetime(r.updated_at),
        published: r.publish_at.map(time::format_datetime),
        deleted: r.deleted_at.map(time::format_datetime),
        edit_url: may_open.then(|| format!("/admin/bai-viet/{}", r.id)),
        public_url: (live && status == ArticleStatus::Published)
            .then(|| format!("/bai-viet/{}", r.slug)),
        title: r.title,
    }
}
