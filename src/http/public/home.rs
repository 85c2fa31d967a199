//! `/`: featured articles, then the latest, paginated with `?trang=N`.

use axum::extract::Query;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use serde::Serialize;

use crate::app::AppState;
use crate::db::articles;
use crate::error::Result;
use crate::http::auth::Page;
use crate::http::views::{ArticleCard, Layout, PageQuery, Pagination, SiteView, PAGE_SIZE};

const FEATURED: i64 = 3;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

#[derive(Serialize)]
struct HomeView {
    #[serde(flatten)]
    layout: Layout,
    featured: Vec<ArticleCard>,
    latest: Vec<ArticleCard>,
    pagination: Pagination,
}

async fn home(Page(state, ctx): Page, Query(q): Query<PageQuery>) -> Result<Html<String>> {
    let page = q.number()?;
    let total = articles::count_published(&state.db).await?;
    let pagination = Pagination::new("/", page, total)?;
    let featured = if page == 1 {
        ArticleCard::many(&state, articles::list_featured(&state.db, FEATURED).await?).await?
    } else {
        vec![]
    };
    let rows = articles::list_published(&state.db, PAGE_SIZE, pagination.offset()).await?;
    let latest = ArticleCard::many(&state, rows).await?;
    let site = SiteView::load(&state).await?;
    let title = if page == 1 {
        "Trang chủ".to_owned()
    } else {
        format!("Trang chủ – trang {page}")
    };
    let description = format!("Tin bài, tài liệu tuyên truyền của {}", site.name);
    let path = pagination_path(page);
    let view = HomeView {
        layout: Layout::new(&state, &ctx, site, &title, &description, &path),
        featured,
        latest,
        pagination,
    };
    Ok(Html(state.templates.render("home.html", &view)?))
}

fn pagination_path(page: i64) -> String {
    if page == 1 {
        "/".to_owned()
    } else {
        format!("/?trang={page}")
    }
}
