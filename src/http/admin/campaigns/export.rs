//! `/admin/chien-dich/{slug}/xuat/{bang}.{csv|xlsx}[?don_vi=…]`: a campaign's reports as files —
//! `ma-tran` (person × article), `don-vi` (the unit roll-up), `chua-xac-nhan` (the pending
//! list), `nguoi-dan` (citizens by locality; by poster place and by day in the workbook too),
//! `noi-dat` (citizens by poster place, for a CSV file of its own) and `bao-cao` (every
//! table, one sheet each; Excel only). The scope is the dashboard's: `Focus::resolve` with the
//! `Export` action, so a unit head gets their own subtree and a `don_vi` outside it is refused.
//! Every export is audited with its scope.

use axum::extract::{Path, Query};
use axum::response::Response;
use serde::Deserialize;

use super::{load, Focus, Viewer};
use crate::db::{campaigns, places};
use crate::error::{AppError, Result};
use crate::http::admin::exports::{self, Subject};
use crate::http::auth::Page;
use crate::policy::Action;
use crate::report::{self, campaign as sheets, Format, Sheet};
use crate::time;

#[derive(Debug, Default, Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    don_vi: String,
}

/// The tables a campaign exports, as named in URLs, with their titles.
const TABLES: [(&str, &str); 6] = [
    ("ma-tran", "Ma trận người × bài viết"),
    ("don-vi", "Tiến độ theo đơn vị"),
    ("chua-xac-nhan", "Danh sách chưa xác nhận"),
    ("nguoi-dan", "Người dân xác nhận"),
    ("noi-dat", "Người dân xác nhận theo nơi đặt áp phích"),
    ("bao-cao", "Báo cáo tổng hợp"),
];

pub async fn download(
    Page(state, viewer): Page<Viewer>,
    Path((slug, file)): Path<(String, String)>,
    Query(q): Query<ExportQuery>,
) -> Result<Response> {
    let (table, format) = exports::split_file_name(&file).ok_or(AppError::NotFound)?;
    let title = TABLES
        .iter()
        .find(|(name, _)| *name == table)
        .map(|(_, title)| *title)
        .ok_or(AppError::NotFound)?;
    if table == "bao-cao" && format == Format::Csv {
        // A CSV file holds one table; the whole report exists as a workbook only.
        return Err(AppError::NotFound);
    }
    let campaign = load(&state, &slug).await?;
    let focus = Focus::resolve(&state, &viewer, Some(&q.don_vi), Action::Export).await?;
    let db = &state.db;
    let now = time::now();
    let scope = focus.scope;
    let tables: Vec<Sheet> = match table {
        "ma-tran" => vec![sheets::matrix(
            &campaigns::matrix(db, &campaign, scope, now).await?,
        )],
        "don-vi" => vec![sheets::units(
            &campaigns::staff_progress(db, &campaign, scope, now).await?,
            campaigns::previous_round_progress(db, &campaign, scope, now)
                .await?
                .as_ref(),
        )],
        "chua-xac-nhan" => vec![sheets::pending(
            &campaigns::pending(db, &campaign, scope, now).await?,
        )],
        "nguoi-dan" | "noi-dat" => {
            let localities = campaigns::citizens_by_locality(db, &campaign).await?;
            let total = localities.iter().map(|l| l.confirmations).sum();
            let by_place = places::campaign_counts(db, &campaign, total).await?;
            if table == "noi-dat" {
                vec![report::acks::place_sheet(&by_place)]
            } else {
                let by_day = campaigns::citizens_by_day(db, &campaign).await?;
                sheets::citizens(&localities, &by_place, &by_day)
            }
        }
        _ => {
            let progress = campaigns::staff_progress(db, &campaign, scope, now).await?;
            let previous = campaigns::previous_round_progress(db, &campaign, scope, now).await?;
            let localities = campaigns::citizens_by_locality(db, &campaign).await?;
            let citizens: i64 = localities.iter().map(|l| l.confirmations).sum();
            let by_place = places::campaign_counts(db, &campaign, citizens).await?;
            let mut all = vec![
                sheets::overview(&campaign, &progress, &focus.label(), citizens, now),
                sheets::articles(&progress),
                sheets::units(&progress, previous.as_ref()),
                sheets::pending(&campaigns::pending(db, &campaign, scope, now).await?),
                sheets::matrix(&campaigns::matrix(db, &campaign, scope, now).await?),
            ];
            all.extend(sheets::citizens(
                &localities,
                &by_place,
                &campaigns::citizens_by_day(db, &campaign).await?,
            ));
            all
        }
    };
    // `sipas-2017-2020_2018-09-30.xlsx` for the whole report; the table and the unit otherwise.
    let mut file_slug = campaign.slug.clone();
    if table != "bao-cao" {
        file_slug = format!("{file_slug}-{table}");
    }
    if let Some(u) = &focus.unit {
        file_slug = format!("{file_slug}-{}", u.slug);
    }
    let title = format!("{} — {title} ({})", campaign.name, focus.label());
    let file = exports::render(format, file_slug, title, tables).await?;
    let subject = Subject {
        action: "report.export",
        target_type: "campaign",
        target_id: Some(campaign.id),
        target_label: campaign.name.clone(),
        note: format!("phạm vi: {}", focus.label()),
    };
    exports::deliver(&state, &viewer.ctx, file, &subject).await
}
