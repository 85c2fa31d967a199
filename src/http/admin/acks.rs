//! `/admin/bai-viet/{id}/xac-nhan`: who has acknowledged an article and who has not, the
//! citizens' counts (by locality and day, and by the place of the poster they came from), recording a paper sign-off on someone's behalf, and revoking a wrong
//! confirmation (a revoke event with a reason; nothing is ever deleted). Editors and admins.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::db::ack_status::{self, AckArticle, NewConfirm};
use crate::db::{ack_rounds, audit, places};
use crate::error::{AppError, Result};
use crate::http::auth::{Ctx, Editor, Page};
use crate::http::staff::acknowledge::{check_may_confirm, closed_message, with_version};
use crate::http::views::{percent, Layout};
use crate::time;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bai-viet/{id}/xac-nhan", get(show))
        .route("/bai-viet/{id}/xac-nhan/thay-mat", post(on_behalf))
        .route("/bai-viet/{id}/xac-nhan/thu-hoi", post(revoke))
}

#[derive(Serialize)]
struct ConfirmedRow {
    event_id: i64,
    name: String,
    unit: String,
    version: i64,
    at: String,
    /// Who recorded it for the person, when it was not themselves.
    on_behalf_of: String,
    note: String,
}

#[derive(Serialize)]
struct PendingRow {
    user_id: i64,
    name: String,
    unit: String,
    days_overdue: i64,
}

#[derive(Serialize)]
struct CitizenRow {
    day: String,
    locality: String,
    count: i64,
}

/// Citizens' confirmations that came through one place's poster (or through none).
#[derive(Serialize)]
pub struct PlaceCountView {
    pub slug: String,
    pub name: String,
    pub count: i64,
}

impl PlaceCountView {
    pub fn many(counts: Vec<places::PlaceCount>) -> Vec<PlaceCountView> {
        counts
            .into_iter()
            .map(|c| PlaceCountView {
                slug: c.slug,
                name: c.name,
                count: c.confirmations,
            })
            .collect()
    }
}

/// What the forms sent and what was wrong with it, when a POST is re-rendered.
#[derive(Default, Serialize)]
struct FormState {
    behalf_error: String,
    behalf_user: i64,
    behalf_note: String,
    revoke_error: String,
    revoke_event: i64,
    revoke_reason: String,
}

#[derive(Serialize)]
struct AcksView {
    #[serde(flatten)]
    layout: Layout,
    article_id: i64,
    title: String,
    slug: String,
    version: i64,
    reason: String,
    statement: String,
    text_hash: String,
    due: String,
    closes: String,
    closed_message: String,
    audience: usize,
    confirmed_count: usize,
    pending_count: usize,
    confirmed_percent: String,
    pending_percent: String,
    confirmed: Vec<ConfirmedRow>,
    pending: Vec<PendingRow>,
    citizens: Vec<CitizenRow>,
    citizens_total: i64,
    /// Confirmations per renewal round, when a fixed date opened more than one.
    rounds: Vec<RoundView>,
    places: Vec<PlaceCountView>,
    /// The article is published: its poster can be printed.
    poster_url: Option<String>,
    form: FormState,
}

#[derive(Serialize)]
struct RoundView {
    label: String,
    confirmations: i64,
    current: bool,
}

/// The acknowledgment settings of the article of a URL, or 404 (also for the exports).
pub(super) async fn load(state: &AppState, id: i64) -> Result<AckArticle> {
    ack_status::article(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)
}

async fn render(
    state: &AppState,
    ctx: &Ctx,
    ack: AckArticle,
    form: FormState,
    status: StatusCode,
) -> Result<Response> {
    let now = time::now();
    let statuses =
        ack_status::statuses(&state.db, ack.article_id, ack.terms.current_version).await?;
    let audience = statuses.len();
    let mut confirmed = Vec::new();
    let mut pending = Vec::new();
    for ack_status::Status {
        member: m,
        confirmation,
    } in statuses
    {
        match confirmation {
            Some(c) => confirmed.push(ConfirmedRow {
                event_id: c.event_id,
                on_behalf_of: c.on_behalf_by().unwrap_or_default().to_owned(),
                name: c.name,
                unit: c.unit,
                version: c.version,
                at: time::format_datetime(c.created_at),
                note: c.note,
            }),
            None => pending.push(PendingRow {
                user_id: m.user_id,
                name: m.name,
                unit: m.unit,
                days_overdue: crate::ack::days_overdue(ack.terms.due_at, now),
            }),
        }
    }
    let rounds = if ack.terms.current_round > 1 {
        ack_rounds::counts(&state.db, ack.article_id, ack.terms.current_version)
            .await?
            .into_iter()
            .map(|r| RoundView {
                label: match r.opens_on.as_deref().and_then(|d| d.get(..4)) {
                    Some(year) => format!("Đợt {} (năm {year})", r.round),
                    None => format!("Đợt {}", r.round),
                },
                confirmations: r.confirmations,
                current: r.round == ack.terms.current_round,
            })
            .collect()
    } else {
        Vec::new()
    };
    let citizen_rows = ack_status::citizen_counts(&state.db, ack.article_id).await?;
    let citizens_total = citizen_rows.iter().map(|c| c.confirmations).sum();
    let citizens = citizen_rows
        .into_iter()
        .map(|c| CitizenRow {
            locality: c.locality_label(),
            day: chrono::NaiveDate::parse_from_str(&c.day, "%Y-%m-%d")
                .map(|d| d.format("%d/%m/%Y").to_string())
                .unwrap_or(c.day),
            count: c.confirmations,
        })
        .collect();
    let places = PlaceCountView::many(
        places::article_counts(&state.db, ack.article_id, citizens_total).await?,
    );
    let poster_url =
        (ack.status == "published").then(|| format!("/admin/bai-viet/{}/ap-phich", ack.article_id));
    let path = format!("/admin/bai-viet/{}/xac-nhan", ack.article_id);
    let title = format!("Xác nhận: {}", ack.title);
    let view = AcksView {
        layout: Layout::load(state, ctx, &title, "Tình hình xác nhận đã đọc", &path).await?,
        article_id: ack.article_id,
        version: ack.terms.current_version,
        reason: ack.reason.clone().unwrap_or_default(),
        statement: ack.statement.clone(),
        text_hash: ack.text_hash.clone().unwrap_or_default(),
        due: ack
            .terms
            .due_at
            .map(time::format_datetime)
            .unwrap_or_default(),
        closes: ack
            .terms
            .closes_at
            .map(time::format_datetime)
            .unwrap_or_default(),
        closed_message: ack.closed(now).map(closed_message).unwrap_or("").to_owned(),
        audience,
        confirmed_count: confirmed.len(),
        pending_count: pending.len(),
        confirmed_percent: percent(confirmed.len() as i64, audience as i64),
        pending_percent: percent(pending.len() as i64, audience as i64),
        confirmed,
        pending,
        citizens,
        citizens_total,
        rounds,
        places,
        poster_url,
        form,
        title: ack.title,
        slug: ack.slug,
    };
    state
        .templates
        .respond(status, "admin/article_acks.html", &view)
}

async fn show(Page(state, ctx): Page, _: Editor, Path(id): Path<i64>) -> Result<Response> {
    let ack = load(&state, id).await?;
    render(&state, &ctx, ack, FormState::default(), StatusCode::OK).await
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct BehalfForm {
    user_id: String,
    note: String,
}

async fn on_behalf(
    Page(state, ctx): Page,
    Editor(editor): Editor,
    Path(id): Path<i64>,
    Form(f): Form<BehalfForm>,
) -> Result<Response> {
    let ack = with_version(&state, load(&state, id).await?).await?;
    let note = f.note.trim().to_owned();
    let mut form = FormState {
        behalf_user: f.user_id.trim().parse().unwrap_or(0),
        behalf_note: note.clone(),
        ..FormState::default()
    };
    let now = time::now();
    if form.behalf_user <= 0 {
        form.behalf_error = "Hãy chọn người được ghi nhận.".to_owned();
    } else if note.is_empty() {
        form.behalf_error = "Hãy ghi chú căn cứ ghi nhận (ví dụ: bản ký giấy ngày …).".to_owned();
    } else if note.chars().count() > 500 {
        form.behalf_error = "Ghi chú dài quá 500 ký tự.".to_owned();
    } else if let Some((status, message)) =
        check_may_confirm(&state, &ack, form.behalf_user, now).await?
    {
        form.behalf_error = if status == StatusCode::FORBIDDEN {
            "Người này không thuộc danh sách phải xác nhận tài liệu.".to_owned()
        } else {
            message.to_owned()
        };
        return render(&state, &ctx, ack, form, status).await;
    }
    if !form.behalf_error.is_empty() {
        return render(&state, &ctx, ack, form, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let person = ack_status::audience(&state.db, ack.article_id)
        .await?
        .into_iter()
        .find(|m| m.user_id == form.behalf_user)
        .map(|m| m.name)
        .unwrap_or_default();
    let mut tx = state.db.begin().await?;
    let confirm = NewConfirm::of(&ack, (form.behalf_user, editor.id), &note, &ctx.ip);
    let recorded = ack_status::record_confirm(&mut tx, &confirm, now).await?;
    if recorded {
        audit::record(
            &mut tx,
            &audit::Entry {
                actor_id: Some(editor.id),
                actor_label: editor.email.clone(),
                action: "ack.confirm_on_behalf",
                target_type: "article",
                target_id: Some(ack.article_id),
                target_label: ack.title.clone(),
                detail: format!("{person} (phiên bản {}): {note}", ack.terms.current_version),
                ip: ctx.ip.clone(),
            },
            now,
        )
        .await?;
    }
    tx.commit().await?;
    if recorded {
        crate::metrics::staff_confirmation("on_behalf");
    }
    Ok(Redirect::to(&format!("/admin/bai-viet/{id}/xac-nhan")).into_response())
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct RevokeForm {
    event_id: String,
    reason: String,
}

async fn revoke(
    Page(state, ctx): Page,
    Editor(editor): Editor,
    Path(id): Path<i64>,
    Form(f): Form<RevokeForm>,
) -> Result<Response> {
    let ack = load(&state, id).await?;
    let reason = f.reason.trim().to_owned();
    let mut form = FormState {
        revoke_event: f.event_id.trim().parse().unwrap_or(0),
        revoke_reason: reason.clone(),
        ..FormState::default()
    };
    let event = ack_status::event(&state.db, ack.article_id, form.revoke_event).await?;
    if event.is_none() {
        form.revoke_error = "Xác nhận này không còn hiệu lực (đã bị thu hồi?).".to_owned();
        return render(&state, &ctx, ack, form, StatusCode::CONFLICT).await;
    }
    if reason.is_empty() {
        form.revoke_error = "Hãy nêu lý do thu hồi xác nhận.".to_owned();
    } else if reason.chars().count() > 500 {
        form.revoke_error = "Lý do dài quá 500 ký tự.".to_owned();
    }
    if !form.revoke_error.is_empty() {
        return render(&state, &ctx, ack, form, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let event = event.expect("checked above");
    let now = time::now();
    let mut tx = state.db.begin().await?;
    let revoked = ack_status::revoke(
        &mut tx,
        ack.article_id,
        event.event_id,
        editor.id,
        &reason,
        &ctx.ip,
        now,
    )
    .await?;
    if revoked {
        audit::record(
            &mut tx,
            &audit::Entry {
                actor_id: Some(editor.id),
                actor_label: editor.email.clone(),
                action: "ack.revoke",
                target_type: "article",
                target_id: Some(ack.article_id),
                target_label: ack.title.clone(),
                detail: format!("{} (phiên bản {}): {reason}", event.name, event.version),
                ip: ctx.ip.clone(),
            },
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/admin/bai-viet/{id}/xac-nhan")).into_response())
}
