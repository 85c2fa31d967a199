//! `/admin/bai-viet/{id}/xac-nhan/xuat/{bang}.{csv|xlsx}`: one article's acknowledgments as files
//! — `xac-nhan` (every member of the audience with their status), `nguoi-dan` (citizens by
//! locality; by poster place and by day in the workbook too) and `noi-dat` (citizens by poster
//! place: a CSV file holds one table). Editors and admins, like the page they come from; every
//! export is audited.

use axum::extract::Path;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::app::AppState;
use crate::db::{ack_status, citizens, places};
use crate::error::{AppError, Result};
use crate::http::admin::exports::{self, Subject};
use crate::http::auth::{Editor, Page};
use crate::report;
use crate::time;

pub fn router() -> Router<AppState> {
    Router::new().route("/bai-viet/{id}/xac-nhan/xuat/{file}", get(download))
}

async fn download(
    Page(state, ctx): Page,
    _: Editor,
    Path((id, file)): Path<(i64, String)>,
) -> Result<Response> {
    let (table, format) = exports::split_file_name(&file).ok_or(AppError::NotFound)?;
    let ack = super::acks::load(&state, id).await?;
    let (suffix, sheets) = match table {
        "xac-nhan" => {
            let statuses =
                ack_status::statuses(&state.db, ack.article_id, ack.terms.current_version).await?;
            let sheet = report::acks::confirmations(&ack, &statuses, time::now());
            ("xac-nhan", vec![sheet])
        }
        "nguoi-dan" | "noi-dat" => {
            let counts = ack_status::citizen_counts(&state.db, ack.article_id).await?;
            let total = counts.iter().map(|c| c.confirmations).sum();
            let by_place = places::article_counts(&state.db, ack.article_id, total).await?;
            if table == "noi-dat" {
                ("noi-dat", vec![report::acks::place_sheet(&by_place)])
            } else {
                let localities = citizens::localities(&state.db).await?;
                let sheets = report::acks::citizens(&counts, localities, &by_place);
                ("nguoi-dan", sheets)
            }
        }
        _ => return Err(AppError::NotFound),
    };
    let title = format!("{} — {}", ack.title, report_title(suffix));
    let file = exports::render(format, format!("{}-{suffix}", ack.slug), title, sheets).await?;
    let subject = Subject {
        action: "report.export",
        target_type: "article",
        target_id: Some(ack.article_id),
        target_label: ack.title.clone(),
        note: String::new(),
    };
    exports::deliver(&state, &ctx, file, &subject).await
}

fn report_title(table: &str) -> &'static str {
    match table {
        "xac-nhan" => "Tình hình xác nhận của cán bộ",
        "noi-dat" => "Người dân xác nhận theo nơi đặt áp phích",
        _ => "Người dân xác nhận theo địa bàn",
    }
}
