//! `/admin/nhac-nho` (editors and admins): the reminder log — who was reminded, of what, when, by
//! which channel, and how it ended — with filters on outcome, channel and kind.

use axum::extract::Query;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::db::ack_reminders::{self, LogFilter};
use crate::error::Result;
use crate::http::auth::{Editor, Page};
use crate::http::views::Layout;
use crate::time;

/// How many of the latest reminders the page lists.
const SHOWN: i64 = 200;

const OUTCOMES: [(&str, &str); 3] = [("sent", "Đã gửi"), ("failed", "Lỗi"), ("skipped", "Bỏ qua")];
const CHANNELS: [(&str, &str); 2] = [("in_app", "Trong ứng dụng"), ("email", "E-mail")];
const KINDS: [(&str, &str); 2] = [
    ("staff", "Nhắc cán bộ"),
    ("head", "Tổng hợp cho trưởng đơn vị"),
];

pub fn router() -> Router<AppState> {
    Router::new().route("/nhac-nho", get(reminder_log))
}

fn label(options: &[(&'static str, &'static str)], value: &str) -> &'static str {
    options
        .iter()
        .find(|(v, _)| *v == value)
        .map(|(_, l)| *l)
        .unwrap_or("Không rõ")
}

/// Only known values filter; anything else means "any".
fn known(options: &[(&str, &str)], value: &str) -> String {
    if options.iter().any(|(v, _)| *v == value) {
        value.to_owned()
    } else {
        String::new()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LogQuery {
    ket_qua: String,
    kenh: String,
    loai: String,
}

#[derive(Serialize)]
struct OptionView {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

fn options(all: &[(&'static str, &'static str)], chosen: &str) -> Vec<OptionView> {
    all.iter()
        .map(|(value, label)| OptionView {
            value,
            label,
            selected: *value == chosen,
        })
        .collect()
}

#[derive(Serialize)]
struct ReminderView {
    at: String,
    at_iso: String,
    day: String,
    name: String,
    email: String,
    unit: String,
    kind: String,
    kind_label: &'static str,
    channel: String,
    channel_label: &'static str,
    outcome: String,
    outcome_label: &'static str,
    subject: String,
    body: String,
    error: String,
}

#[derive(Serialize)]
struct LogPage {
    #[serde(flatten)]
    layout: Layout,
    reminders: Vec<ReminderView>,
    outcomes: Vec<OptionView>,
    channels: Vec<OptionView>,
    kinds: Vec<OptionView>,
    shown: i64,
}

/// GET `/admin/nhac-nho`.
async fn reminder_log(
    Page(state, ctx): Page,
    _: Editor,
    Query(q): Query<LogQuery>,
) -> Result<Html<String>> {
    let filter = LogFilter {
        outcome: known(&OUTCOMES, &q.ket_qua),
        channel: known(&CHANNELS, &q.kenh),
        kind: known(&KINDS, &q.loai),
    };
    let reminders = ack_reminders::recent(&state.db, &filter, SHOWN)
        .await?
        .into_iter()
        .map(|r| ReminderView {
            at: time::format_datetime(r.created_at),
            at_iso: time::to_rfc3339_utc(r.created_at),
            kind_label: label(&KINDS, &r.kind),
            channel_label: label(&CHANNELS, &r.channel),
            outcome_label: label(&OUTCOMES, &r.outcome),
            day: r.day,
            name: r.user_name,
            email: r.user_email,
            unit: r.unit,
            kind: r.kind,
            channel: r.channel,
            outcome: r.outcome,
            subject: r.subject,
            body: r.body,
            error: r.error,
        })
        .collect();
    let view = LogPage {
        layout: Layout::load(
            &state,
            &ctx,
            "Nhật ký nhắc xác nhận",
            "Các lời nhắc xác nhận đã đọc tài liệu",
            "/admin/nhac-nho",
        )
        .await?,
        reminders,
        outcomes: options(&OUTCOMES, &filter.outcome),
        channels: options(&CHANNELS, &filter.channel),
        kinds: options(&KINDS, &filter.kind),
        shown: SHOWN,
    };
    Ok(Html(state.templates.render("admin/reminders.html", &view)?))
}
