//! `/admin`: counts by status and the latest activity.

use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use serde::Serialize;

use crate::account::Role;
use crate::app::AppState;
use crate::article::ArticleStatus;
use crate::db::{articles, audit};
use crate::error::Result;
use crate::http::auth::{Ctx, CurrentUser};
use crate::http::views::Layout;
use crate::time;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(dashboard))
}

#[derive(Serialize)]
struct StatusCount {
    status: &'static str,
    label: &'static str,
    count: i64,
}

#[derive(Serialize)]
struct Activity {
    at: String,
    actor: String,
    action: String,
    target: String,
}

#[derive(Serialize)]
struct DashboardView {
    #[serde(flatten)]
    layout: Layout,
    counts: Vec<StatusCount>,
    activity: Vec<Activity>,
}

async fn dashboard(State(state): State<AppState>, ctx: Ctx) -> Result<Html<String>> {
    let stored = articles::admin::counts_by_status(&state.db).await?;
    let counts = ArticleStatus::ALL
        .iter()
        .map(|&st| StatusCount {
            status: st.as_str(),
            label: st.label(),
            count: stored.iter().find(|(s, _)| *s == st).map_or(0, |(_, n)| *n),
        })
        .collect();
    let activity = recent_activity(&state, ctx.user()?).await?;
    let view = DashboardView {
        layout: Layout::load(&state, &ctx, "Tổng quan", "Khu vực quản trị", "/admin").await?,
        counts,
        activity,
    };
    Ok(Html(state.templates.render("admin/dashboard.html", &view)?))
}

/// The latest audit entries: all of them for admins; for editors and authors only what happened
/// to articles (no e-mails typed into failed sign-ins, no account events).
async fn recent_activity(state: &AppState, user: &CurrentUser) -> Result<Vec<Activity>> {
    let filter = audit::Filter {
        action_prefix: if user.role == Role::Admin {
            String::new()
        } else {
            "article.".to_owned()
        },
        ..Default::default()
    };
    Ok(audit::list(&state.db, &filter, 10, 0)
        .await?
        .into_iter()
        .map(|a| Activity {
            at: time::format_datetime(a.at),
            actor: a.actor_label,
            action: action_label(&a.action).to_owned(),
            target: a.target_label,
        })
        .collect())
}

/// The Vietnamese name of an audit action.
pub fn action_label(action: &str) -> &str {
    match action {
        "sign_in.success" => "Đăng nhập",
        "sign_in.failure" => "Đăng nhập sai",
        "sign_in.locked" => "Đăng nhập bị tạm khoá",
        "sign_out" => "Đăng xuất",
        "user.password_change" => "Đổi mật khẩu",
        "user.password_reset" => "Đặt lại mật khẩu",
        "user.create" => "Tạo tài khoản",
        "user.update" => "Sửa tài khoản",
        "user.role_change" => "Đổi vai trò",
        "user.deactivate" => "Khoá tài khoản",
        "user.reactivate" => "Mở lại tài khoản",
        "user.import" => "Nhập danh sách cán bộ",
        "unit.create" => "Tạo đơn vị",
        "unit.update" => "Sửa đơn vị",
        "article.create" => "Tạo bài viết",
        "article.import" => "Nhập từ tệp",
        "article.save" => "Lưu bài viết",
        "article.submit" => "Gửi duyệt",
        "article.publish" => "Xuất bản",
        "article.schedule" => "Lên lịch",
        "article.unschedule" => "Huỷ lịch",
        "article.archive" => "Lưu trữ",
        "article.unarchive" => "Khôi phục từ lưu trữ",
        "article.delete" => "Xoá bài viết",
        "article.restore" => "Khôi phục bài đã xoá",
        "article.revision_restore" => "Khôi phục phiên bản",
        "article.preview_link" => "Tạo liên kết xem trước",
        "article.preview_revoke" => "Thu hồi liên kết xem trước",
        "media.upload" => "Tải ảnh lên",
        "media.delete" => "Xoá ảnh",
        "media.alt" => "Sửa mô tả ảnh",
        "topic.rename" => "Đổi tên chủ đề",
        "ack.confirm_on_behalf" => "Ghi nhận xác nhận thay",
        "ack.revoke" => "Thu hồi xác nhận",
        "citizen.find" => "Tra cứu dữ liệu người dân",
        "citizen.export" => "Xuất dữ liệu người dân",
        "report.export" => "Xuất báo cáo",
        "evidence.export" => "Xuất bằng chứng xác nhận",
        "evidence.download" => "Tải tệp bằng chứng xác nhận",
        "citizen.delete" => "Xoá dữ liệu người dân",
        "campaign.create" => "Tạo chiến dịch",
        "campaign.update" => "Sửa chiến dịch",
        "campaign.urge" => "Nhắc xác nhận (chiến dịch)",
        other => other,
    }
}
