//! `/thong-bao`: a signed-in employee's in-app reminders (the daily acknowledgment reminders and,
//! for unit heads, the digest of their overdue staff), newest first.

use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use serde::Serialize;

use crate::app::AppState;
use crate::db::ack_reminders;
use crate::error::Result;
use crate::http::auth::Ctx;
use crate::http::views::Layout;
use crate::time;

/// Reminders come once a day at most; two months of them is plenty to scroll.
const SHOWN: i64 = 60;

pub fn router() -> Router<AppState> {
    Router::new().route("/thong-bao", get(notifications))
}

#[derive(Serialize)]
struct NoticeView {
    id: i64,
    is_digest: bool,
    subject: String,
    body: String,
    at: String,
    at_iso: String,
}

#[derive(Serialize)]
struct NoticesPage {
    #[serde(flatten)]
    layout: Layout,
    notices: Vec<NoticeView>,
}

/// GET `/thong-bao`.
async fn notifications(State(state): State<AppState>, ctx: Ctx) -> Result<Html<String>> {
    let user = ctx.user()?;
    let notices = ack_reminders::in_app_for(&state.db, user.id, SHOWN)
        .await?
        .into_iter()
        .map(|r| NoticeView {
            id: r.id,
            is_digest: r.kind == "head",
            subject: r.subject,
            body: r.body,
            at: time::format_datetime(r.created_at),
            at_iso: time::to_rfc3339_utc(r.created_at),
        })
        .collect();
    let view = NoticesPage {
        layout: Layout::load(
            &state,
            &ctx,
            "Thông báo",
            "Các lời nhắc xác nhận tài liệu gửi cho bạn",
            "/thong-bao",
        )
        .await?,
        notices,
    };
    Ok(Html(state.templates.render("notifications.html", &view)?))
}
