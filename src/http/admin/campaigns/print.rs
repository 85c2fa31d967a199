//! `/admin/chien-dich/{slug}/in`: the report to print (or save as PDF) from the browser — A4,
//! the agency's name, the report date, every table of the dashboard with the whole pending list,
//! and the signature block. Same figures and scope rules as the dashboard.

use axum::extract::{Path, Query};
use axum::response::Html;
use serde::Serialize;

use super::dashboard::DashboardQuery;
use super::report::Report;
use super::Viewer;
use crate::error::Result;
use crate::http::auth::Page;
use crate::http::views::Layout;

#[derive(Serialize)]
struct PrintView {
    #[serde(flatten)]
    layout: Layout,
    #[serde(flatten)]
    report: Report,
}

pub async fn show(
    Page(state, viewer): Page<Viewer>,
    Path(slug): Path<String>,
    Query(q): Query<DashboardQuery>,
) -> Result<Html<String>> {
    let (campaign, report) = Report::for_page(&state, &viewer, &slug, &q.don_vi, None).await?;
    let path = format!("/admin/chien-dich/{}/in", campaign.slug);
    let title = format!("Báo cáo: {}", campaign.name);
    let view = PrintView {
        layout: Layout::load(&state, &viewer.ctx, &title, &title, &path).await?,
        report,
    };
    Ok(Html(
        state.templates.render("admin/campaign_print.html", &view)?,
    ))
}
