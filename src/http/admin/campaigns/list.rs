//! `/admin/chien-dich`: every campaign with its staff progress within the viewer's scope — the
//! whole agency for editors and admins, their own unit's subtree for a unit head ("Đơn vị của
//! tôi" in the header leads here).

use axum::extract::State;
use axum::response::Html;
use serde::Serialize;

use super::views::FiguresView;
use super::{Focus, Viewer};
use crate::app::AppState;
use crate::db::campaigns;
use crate::error::Result;
use crate::http::views::Layout;
use crate::policy::Action;
use crate::time;

#[derive(Serialize)]
struct Item {
    slug: String,
    name: String,
    period: String,
    is_public: bool,
    /// Running today (Vietnam time).
    current: bool,
    staff: FiguresView,
}

#[derive(Serialize)]
struct ListView {
    #[serde(flatten)]
    layout: Layout,
    campaigns: Vec<Item>,
    may_edit: bool,
    /// The head's unit, when the list is one unit's.
    unit_name: String,
}

pub async fn list(State(state): State<AppState>, viewer: Viewer) -> Result<Html<String>> {
    viewer.require(Action::ListCampaigns)?;
    let focus = Focus::resolve(&state, &viewer, None, Action::ViewProgress).await?;
    let now = time::now();
    let today = now.with_timezone(&time::vietnam()).date_naive();
    let mut items = Vec::new();
    for c in campaigns::list(&state.db).await? {
        let progress = campaigns::staff_progress(&state.db, &c, focus.scope, now).await?;
        items.push(Item {
            period: c.period_label(),
            current: c.starts() <= today && today <= c.ends(),
            staff: FiguresView::new(&progress.overall),
            slug: c.slug,
            name: c.name,
            is_public: c.is_public,
        });
    }
    let unit_name = focus.unit.map(|u| u.name).unwrap_or_default();
    let title = if unit_name.is_empty() {
        "Chiến dịch".to_owned()
    } else {
        format!("Đơn vị của tôi: {unit_name}")
    };
    let view = ListView {
        layout: Layout::load(
            &state,
            &viewer.ctx,
            &title,
            "Các chiến dịch tuyên truyền và tiến độ xác nhận",
            "/admin/chien-dich",
        )
        .await?,
        campaigns: items,
        may_edit: viewer.may_agency(Action::EditCampaigns),
        unit_name,
    };
    Ok(Html(state.templates.render("admin/campaigns.html", &view)?))
}
