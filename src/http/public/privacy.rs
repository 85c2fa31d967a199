//! `/bao-ve-du-lieu-ca-nhan`: what Loa collects from citizens who confirm reading, why, for how
//! long, their rights under Decree 13/2023/NĐ-CP, and whom to contact.

use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use serde::Serialize;

use crate::app::AppState;
use crate::error::Result;
use crate::http::auth::Ctx;
use crate::http::views::Layout;

pub fn router() -> Router<AppState> {
    Router::new().route("/bao-ve-du-lieu-ca-nhan", get(page))
}

#[derive(Serialize)]
struct PrivacyPage {
    #[serde(flatten)]
    layout: Layout,
    retention_days: i64,
}

async fn page(State(state): State<AppState>, ctx: Ctx) -> Result<Html<String>> {
    let layout = Layout::load(&state, &ctx, "Bảo vệ dữ liệu cá nhân", "Dữ liệu cá nhân được thu thập khi người dân xác nhận đã đọc bài viết: nội dung, mục đích, thời hạn lưu trữ và quyền của chủ thể dữ liệu theo Nghị định 13/2023/NĐ-CP.", "/bao-ve-du-lieu-ca-nhan").await?;
    let view = PrivacyPage {
        layout,
        retention_days: state.config.citizen_retention_days,
    };
    Ok(Html(state.templates.render("privacy.html", &view)?))
}
