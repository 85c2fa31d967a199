//! `/admin/chien-dich/{slug}` (the dashboard, `?don_vi=` for one unit's subtree, with citizens'
//! confirmations by the place of the poster they came from) and
//! `/admin/chien-dich/{slug}/nguoi/{id}` (one person's status for each article).

use axum::extract::{Path, Query};
use axum::response::Html;
use serde::{Deserialize, Serialize};

use super::report::{Report, DASHBOARD_PENDING};
use super::{load, Viewer};
use crate::db::campaigns::{self, Cell};
use crate::error::{AppError, Result};
use crate::http::admin::people::parse_id;
use crate::http::auth::Page;
use crate::http::views::Layout;
use crate::policy::Action;
use crate::time;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DashboardQuery {
    pub don_vi: String,
    /// After "Nhắc ngay": how many were reminded, and how many had been already today.
    pub da_nhac: Option<i64>,
    pub da_nhac_truoc: Option<i64>,
}

/// The outcome of "Nhắc ngay", shown once after the redirect.
#[derive(Serialize)]
struct Urged {
    sent: i64,
    already: i64,
}

#[derive(Serialize)]
struct DashboardView {
    #[serde(flatten)]
    layout: Layout,
    #[serde(flatten)]
    report: Report,
    urged: Option<Urged>,
    pending_limit: usize,
    may_print_posters: bool,
}

pub async fn show(
    Page(state, viewer): Page<Viewer>,
    Path(slug): Path<String>,
    Query(q): Query<DashboardQuery>,
) -> Result<Html<String>> {
    let (campaign, report) =
        Report::for_page(&state, &viewer, &slug, &q.don_vi, Some(DASHBOARD_PENDING)).await?;
    let path = format!("/admin/chien-dich/{}", campaign.slug);
    let view = DashboardView {
        layout: Layout::load(
            &state,
            &viewer.ctx,
            &campaign.name,
            "Tiến độ chiến dịch",
            &path,
        )
        .await?,
        report,
        urged: q.da_nhac.map(|sent| Urged {
            sent: sent.max(0),
            already: q.da_nhac_truoc.unwrap_or(0).max(0),
        }),
        pending_limit: DASHBOARD_PENDING,
        may_print_posters: viewer.may_agency(Action::PrintPosters),
    };
    Ok(Html(state.templates.render("admin/campaign.html", &view)?))
}

#[derive(Serialize)]
struct PersonCell {
    position: i64,
    title: String,
    slug: String,
    due: String,
    /// `confirmed`, `pending` or `overdue` (the stylesheet's classes), or `none`.
    state: &'static str,
    text: String,
}

#[derive(Serialize)]
struct PersonView {
    #[serde(flatten)]
    layout: Layout,
    campaign_slug: String,
    campaign_name: String,
    name: String,
    email: String,
    unit: String,
    cells: Vec<PersonCell>,
}

/// The words of a cell, as the matrix export writes them.
pub fn cell_text(cell: Cell) -> (&'static str, String) {
    match cell {
        Cell::NotRequired => ("none", "Không phải xác nhận".to_owned()),
        Cell::Confirmed(at) => (
            "confirmed",
            format!("Đã xác nhận lúc {}", time::format_datetime(at)),
        ),
        Cell::Pending => ("pending", "Chưa xác nhận".to_owned()),
        Cell::Overdue(days) => ("overdue", format!("Quá hạn {days} ngày")),
    }
}

/// One person's row of the matrix. Only people inside the viewer's own scope are found: anyone
/// else is 404, whatever the URL says.
pub async fn person(
    Page(state, viewer): Page<Viewer>,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Html<String>> {
    let campaign = load(&state, &slug).await?;
    let id = parse_id(&id)?;
    let (articles, row) = campaigns::person(&state.db, &campaign, viewer.scope, id, time::now())
        .await?
        .ok_or(AppError::NotFound)?;
    let cells = articles
        .iter()
        .zip(row.cells.iter())
        .map(|(a, c)| {
            let (state, text) = cell_text(*c);
            PersonCell {
                position: a.position + 1,
                title: a.title.clone(),
                slug: a.slug.clone(),
                due: a.terms.due_at.map(time::format_date).unwrap_or_default(),
                state,
                text,
            }
        })
        .collect();
    let path = format!("/admin/chien-dich/{}/nguoi/{id}", campaign.slug);
    let view = PersonView {
        layout: Layout::load(
            &state,
            &viewer.ctx,
            &row.name,
            "Tình hình xác nhận của một người",
            &path,
        )
        .await?,
        campaign_slug: campaign.slug,
        campaign_name: campaign.name,
        name: row.name,
        email: row.email,
        unit: if row.unit.is_empty() {
            campaigns::NO_UNIT.to_owned()
        } else {
            row.unit
        },
        cells,
    };
    Ok(Html(
        state
            .templates
            .render("admin/campaign_person.html", &view)?,
    ))
}
