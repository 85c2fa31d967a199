//! The figures of one campaign within one scope, read once and shaped for the templates: the
//! dashboard and the printable report show the same [`Report`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::views::{DayChart, FiguresView};
use super::{Focus, Viewer};
use crate::app::AppState;
use crate::article::ArticleStatus;
use crate::db::campaigns::{self, CampaignRow};
use crate::db::{places, units};
use crate::error::Result;
use crate::http::admin::acks::PlaceCountView;
use crate::policy::{self, Action, Target};
use crate::time;

#[derive(Serialize)]
pub struct ArticleRow {
    /// 1, 2, 3, … in the campaign's order.
    pub position: i64,
    pub article_id: i64,
    pub title: String,
    pub slug: String,
    pub status: String,
    pub due: String,
    /// `None`: not counted (see `note`).
    pub figures: Option<FiguresView>,
    pub note: &'static str,
}

#[derive(Serialize)]
pub struct UnitRow {
    /// Empty for people without a unit.
    pub slug: String,
    pub name: String,
    /// Capped for the stylesheet's indentation classes.
    pub depth: usize,
    pub figures: FiguresView,
    /// The same unit in the previous renewal round, when the campaign has one.
    pub previous: Option<FiguresView>,
    /// The row opens as its own dashboard (never the "no unit" row).
    pub may_open: bool,
    /// "Nhắc ngay" for the unit's pending people.
    pub may_urge: bool,
}

#[derive(Serialize)]
pub struct PendingRow {
    pub user_id: i64,
    pub name: String,
    pub unit: String,
    pub articles: i64,
    pub days_overdue: i64,
}

#[derive(Serialize)]
pub struct LocalityRow {
    pub name: String,
    pub count: i64,
    /// Share of the busiest locality, 0–1000, for the bar.
    pub bar: i64,
}

#[derive(Serialize)]
pub struct Report {
    pub slug: String,
    pub name: String,
    pub description: String,
    /// `01/09/2018 – 31/12/2020`.
    pub period: String,
    pub is_public: bool,
    pub staff_target_percent: i64,
    pub citizen_target: i64,
    /// "Toàn cơ quan", or the unit "và các đơn vị trực thuộc".
    pub scope_label: String,
    /// The `don_vi` of links and forms; empty for the whole agency.
    pub unit_slug: String,
    /// The viewer may look at the whole agency (editors): links back to it are shown.
    pub sees_agency: bool,
    pub may_edit: bool,
    pub may_urge: bool,
    pub overall: FiguresView,
    /// "Đợt trước (năm 2018)": the heading of the previous round's column, when an article of
    /// the campaign renewed (issue 17); its figures are in `previous_overall` and each unit's
    /// `previous`.
    pub previous_label: Option<String>,
    pub previous_overall: Option<FiguresView>,
    pub articles: Vec<ArticleRow>,
    pub units: Vec<UnitRow>,
    pub pending: Vec<PendingRow>,
    /// Everyone pending in scope (the list may show fewer).
    pub pending_total: usize,
    pub citizens: FiguresView,
    pub localities: Vec<LocalityRow>,
    /// Citizens' confirmations by poster place (empty when the site has no places and none
    /// came without one).
    pub places: Vec<PlaceCountView>,
    /// `None` before the period begins.
    pub chart: Option<DayChart>,
    /// `30/09/2018`, the day the figures were read (Vietnam time).
    pub report_date: String,
    pub report_time: String,
}

/// Pending people shown on the dashboard; the printable report shows them all.
pub const DASHBOARD_PENDING: usize = 100;

impl Report {
    /// The campaign of a page's URL and its report for the unit asked for (`don_vi`, empty for
    /// the viewer's widest scope): 404 for an unknown campaign or unit, 403 for a unit the
    /// viewer may not see.
    pub async fn for_page(
        state: &AppState,
        viewer: &Viewer,
        slug: &str,
        don_vi: &str,
        pending_limit: Option<usize>,
    ) -> Result<(CampaignRow, Report)> {
        let campaign = super::load(state, slug).await?;
        let focus = Focus::resolve(state, viewer, Some(don_vi), Action::ViewProgress).await?;
        let report =
            Report::load(state, viewer, &campaign, &focus, pending_limit, time::now()).await?;
        Ok((campaign, report))
    }

    pub async fn load(
        state: &AppState,
        viewer: &Viewer,
        campaign: &CampaignRow,
        focus: &Focus,
        pending_limit: Option<usize>,
        now: DateTime<Utc>,
    ) -> Result<Report> {
        let db = &state.db;
        let progress = campaigns::staff_progress(db, campaign, focus.scope, now).await?;
        let previous = campaigns::previous_round_progress(db, campaign, focus.scope, now).await?;
        let previous_units: HashMap<Option<i64>, FiguresView> = previous
            .iter()
            .flat_map(|p| &p.progress.units)
            .map(|u| (u.unit_id, FiguresView::new(&u.figures)))
            .collect();
        let mut people = campaigns::pending_people(db, campaign, focus.scope, now).await?;
        let pending_total = people.len();
        if let Some(limit) = pending_limit {
            people.truncate(limit);
        }
        let by_locality = campaigns::citizens_by_locality(db, campaign).await?;
        let by_day = campaigns::citizens_by_day(db, campaign).await?;
        let citizens_total: i64 = by_locality.iter().map(|l| l.confirmations).sum();
        let by_place = places::campaign_counts(db, campaign, citizens_total).await?;
        let busiest = by_locality
            .iter()
            .map(|l| l.confirmations)
            .max()
            .unwrap_or(0)
            .max(1);
        let today = now.with_timezone(&time::vietnam()).date_naive();
        let chart = DayChart::new(&by_day, campaign.starts(), campaign.ends().min(today));
        // Buttons say what the server would accept: the policy is asked for each target.
        let all_units = units::all(db).await?;
        let may = |action, unit: Option<i64>| match unit {
            Some(id) => policy::may(
                &viewer.user,
                action,
                Target::Unit(&units::ancestry(&all_units, id)),
            ),
            None => policy::may(&viewer.user, action, Target::Agency),
        };
        Ok(Report {
            slug: campaign.slug.clone(),
            name: campaign.name.clone(),
            description: campaign.description.clone(),
            period: campaign.period_label(),
            is_public: campaign.is_public,
            staff_target_percent: campaign.staff_target_percent,
            citizen_target: campaign.citizen_target,
            scope_label: focus.label(),
            unit_slug: focus.unit_slug().to_owned(),
            sees_agency: policy::may(&viewer.user, Action::ViewProgress, Target::Agency),
            may_edit: policy::may(&viewer.user, Action::EditCampaigns, Target::Agency),
            may_urge: progress.overall.pending() > 0
                && may(Action::Urge, focus.unit.as_ref().map(|u| u.id)),
            overall: FiguresView::new(&progress.overall),
            previous_label: previous.as_ref().map(|p| p.label()),
            previous_overall: previous
                .as_ref()
                .map(|p| FiguresView::new(&p.progress.overall)),
            articles: progress
                .articles
                .iter()
                .map(|a| ArticleRow {
                    position: a.article.position + 1,
                    article_id: a.article.article_id,
                    title: a.article.title.clone(),
                    slug: a.article.slug.clone(),
                    status: a
                        .article
                        .status
                        .parse::<ArticleStatus>()
                        .map(|s| s.label())
                        .unwrap_or("")
                        .to_owned(),
                    due: a
                        .article
                        .terms
                        .due_at
                        .map(time::format_date)
                        .unwrap_or_default(),
                    figures: a.figures.as_ref().map(FiguresView::new),
                    note: if !a.article.staff {
                        "Không yêu cầu cán bộ xác nhận"
                    } else if !a.article.is_released() {
                        "Chưa xuất bản, chưa tính"
                    } else {
                        ""
                    },
                })
                .collect(),
            units: progress
                .units
                .iter()
                .map(|u| UnitRow {
                    slug: u.slug.clone(),
                    name: u.name.clone(),
                    depth: u.depth.min(5),
                    figures: FiguresView::new(&u.figures),
                    previous: previous_units.get(&u.unit_id).cloned(),
                    may_open: u
                        .unit_id
                        .is_some_and(|id| may(Action::ViewProgress, Some(id))),
                    may_urge: u.figures.pending() > 0
                        && u.unit_id.is_some_and(|id| may(Action::Urge, Some(id))),
                })
                .collect(),
            pending: people
                .iter()
                .map(|p| PendingRow {
                    user_id: p.user_id,
                    name: p.name.clone(),
                    unit: if p.unit.is_empty() {
                        campaigns::NO_UNIT.to_owned()
                    } else {
                        p.unit.clone()
                    },
                    articles: p.articles,
                    days_overdue: p.days_overdue(now),
                })
                .collect(),
            pending_total,
            citizens: FiguresView::citizens(citizens_total, campaign.citizen_target),
            localities: by_locality
                .into_iter()
                .map(|l| LocalityRow {
                    bar: l.confirmations * super::views::BAR_WIDTH / busiest,
                    name: l.name,
                    count: l.confirmations,
                })
                .collect(),
            places: PlaceCountView::many(by_place),
            chart,
            report_date: time::format_date(now),
            report_time: time::format_datetime(now),
        })
    }
}
