//! Staff acknowledgment: the status box on `/bai-viet/{slug}`, the confirm button's
//! `POST /bai-viet/{slug}/xac-nhan`, and the list of one's own items at `/can-xac-nhan`.
//!
//! A person confirms only for themselves, only while in the audience and only while the article
//! takes confirmations; anything else is refused with a page that says why, and nothing is
//! recorded. A second click finds the confirmation standing and records nothing more.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{middleware, Router};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::app::AppState;
use crate::db::ack_status::{self, AckArticle, Closed, NewConfirm};
use crate::db::articles;
use crate::db::{ack_rounds, ack_settings, Db, DbError};
use crate::error::{AppError, Result};
use crate::http::auth::{Ctx, CurrentUser, Page};
use crate::http::page_cache;
use crate::http::views::Layout;
use crate::time;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bai-viet/{slug}/xac-nhan", post(confirm))
        .route("/can-xac-nhan", get(my_items))
        // A person's own confirmation shows only on signed-in pages, which are never cached.
        .route_layer(middleware::map_response(page_cache::unchanged))
}

/// The staff status box of an article page (templates/ack_status.html).
#[derive(Clone, Debug, Serialize)]
pub struct StaffAckBox {
    /// `pending`, `confirmed`, `reconfirm` (a new major version), `renew` (a renewal: a new round
    /// or a lapsed confirmation), or `not_required` (an editor outside the audience).
    pub state: &'static str,
    pub confirmed_at: String,
    pub confirmed_version: i64,
    /// Why the current major version must be confirmed again.
    pub reason: String,
    /// For `renew`: "cần xác nhận lại cho năm 2019", or why the confirmation lapsed.
    pub renewal: String,
    /// The year of the round people confirm now, once a fixed date has opened one ("Đã xác
    /// nhận cho năm 2019"); empty in the first round.
    pub round_year: String,
    /// Every confirmation this person gave of the article, newest first, with its version,
    /// round and the start of the text hash it confirmed (nothing is rewritten by a renewal).
    pub history: Vec<HistoryView>,
    pub statement: String,
    pub version: i64,
    pub due: String,
    pub overdue: bool,
    /// The button is shown only when this is true.
    pub open: bool,
    /// Why confirmations are not taken, when they are not.
    pub closed_message: String,
    pub action: String,
    /// The admin view of who has confirmed, for editors and admins.
    pub admin_href: String,
}

/// The box for the signed-in person, when the article asks them to acknowledge it.
pub async fn status_box(
    state: &AppState,
    ctx: &Ctx,
    article_id: i64,
) -> Result<Option<StaffAckBox>> {
    let Some(user) = ctx.user.as_ref() else {
        return Ok(None);
    };
    let Some(ack) = ack_status::article(&state.db, article_id).await? else {
        return Ok(None);
    };
    let admin_href = if user.role.can_publish() {
        format!("/admin/bai-viet/{article_id}/xac-nhan")
    } else {
        String::new()
    };
    let now = time::now();
    let due = ack
        .terms
        .due_at
        .map(time::format_datetime)
        .unwrap_or_default();
    if !ack_status::in_audience(&state.db, article_id, user.id).await? {
        // Editors outside the audience still get the way to the admin view.
        return Ok((!admin_href.is_empty()).then(|| StaffAckBox {
            state: "not_required",
            confirmed_at: String::new(),
            confirmed_version: 0,
            reason: String::new(),
            renewal: String::new(),
            round_year: String::new(),
            history: Vec::new(),
            statement: ack.statement.clone(),
            version: ack.terms.current_version,
            due,
            overdue: false,
            open: false,
            closed_message: String::new(),
            action: String::new(),
            admin_href,
        }));
    }
    let latest = ack_status::latest_of(&state.db, article_id, user.id).await?;
    let renewal = match &latest {
        Some(c) if c.version == ack.terms.current_version => {
            renewal_note(&state.db, &ack, c.event_id, c.round).await?
        }
        _ => None,
    };
    let (st, confirmed_at, confirmed_version) = match &latest {
        Some(c) if c.version == ack.terms.current_version && renewal.is_some() => {
            ("renew", time::format_datetime(c.created_at), c.version)
        }
        Some(c) if c.version == ack.terms.current_version => {
            ("confirmed", time::format_datetime(c.created_at), c.version)
        }
        Some(c) => ("reconfirm", time::format_datetime(c.created_at), c.version),
        None => ("pending", String::new(), 0),
    };
    // A missing version row is stored by the first confirmation (see `with_version`).
    let closed = ack.closed(now).filter(|c| *c != Closed::NoVersion);
    Ok(Some(StaffAckBox {
        state: st,
        confirmed_at,
        confirmed_version,
        reason: ack.reason.clone().unwrap_or_default(),
        renewal: renewal.unwrap_or_default(),
        round_year: round_year(&state.db, &ack).await?,
        history: ack_status::history_of(&state.db, article_id, user.id)
            .await?
            .iter()
            .map(HistoryView::new)
            .collect(),
        statement: ack.statement.clone(),
        version: ack.terms.current_version,
        due,
        overdue: st != "confirmed" && ack.terms.is_overdue(now),
        open: closed.is_none() && st != "confirmed",
        closed_message: closed.map(closed_message).unwrap_or("").to_owned(),
        action: format!("/bai-viet/{}/xac-nhan", ack.slug),
        admin_href,
    }))
}

/// One earlier confirmation in the article's box.
#[derive(Clone, Debug, Serialize)]
pub struct HistoryView {
    pub at: String,
    pub version: i64,
    pub round: i64,
    /// The first 12 hex digits of the text hash, enough to compare with the evidence.
    pub hash: String,
}

impl HistoryView {
    fn new(c: &ack_status::Confirmation) -> HistoryView {
        HistoryView {
            at: time::format_datetime(c.created_at),
            version: c.version,
            round: c.round,
            hash: c.text_hash.chars().take(12).collect(),
        }
    }
}

/// The year that names the article's current round when a fixed date opened it (`2019`), or
/// empty in the first round: what "Đã xác nhận cho năm 2019" says.
async fn round_year(db: &Db, ack: &AckArticle) -> Result<String, DbError> {
    if ack.terms.current_round <= 1 {
        return Ok(String::new());
    }
    Ok(ack_rounds::current(db, ack.article_id)
        .await?
        .map(|r| r.year().to_owned())
        .unwrap_or_default())
}

/// Why a person's confirmation of the current version no longer counts, in their words: a new
/// round ("cần xác nhận lại cho năm 2019") or an N-day rule; None while it counts.
pub async fn renewal_note(
    db: &Db,
    ack: &AckArticle,
    event_id: i64,
    round: i64,
) -> Result<Option<String>, DbError> {
    if ack_status::is_standing(db, event_id).await? {
        return Ok(None);
    }
    if round < ack.terms.current_round {
        let year = ack_rounds::current(db, ack.article_id).await?;
        return Ok(Some(match year {
            Some(r) => format!("cần xác nhận lại cho năm {}", r.year()),
            None => "cần xác nhận lại cho đợt mới".to_owned(),
        }));
    }
    Ok(Some(match ack.renew_every_days {
        Some(n) => format!("xác nhận đã quá {n} ngày, cần xác nhận lại"),
        None => "cần xác nhận lại".to_owned(),
    }))
}

pub fn closed_message(c: Closed) -> &'static str {
    match c {
        Closed::NotPublished => "Bài viết chưa được xuất bản nên chưa nhận xác nhận.",
        Closed::AfterClosing => "Đã hết thời hạn nhận xác nhận cho tài liệu này.",
        Closed::NoVersion => "Tài liệu chưa có phiên bản để xác nhận; xin báo Văn phòng.",
    }
}

#[derive(Serialize)]
struct RefusedView {
    #[serde(flatten)]
    layout: Layout,
    heading: &'static str,
    message: String,
    back: String,
}

/// A refusal page: the status and a sentence saying why; nothing was recorded.
pub async fn refused(
    state: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    message: &str,
    back: &str,
) -> Result<Response> {
    let view = RefusedView {
        layout: Layout::load(state, ctx, "Không thể xác nhận", message, back).await?,
        heading: "Không thể xác nhận",
        message: message.to_owned(),
        back: back.to_owned(),
    };
    state.templates.respond(status, "ack_refused.html", &view)
}

/// The settings with their current version's text stored: a published article whose version
/// row is missing (published by a path that did not store it) gets it now, from its current text,
/// which is what the person has in front of them.
pub async fn with_version(state: &AppState, ack: AckArticle) -> Result<AckArticle> {
    if ack.text_hash.is_some() || ack.status != "published" {
        return Ok(ack);
    }
    let mut tx = state.db.begin().await?;
    ack_settings::ensure_version(&mut tx, ack.article_id, None, time::now()).await?;
    tx.commit().await?;
    ack_status::article(&state.db, ack.article_id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Whether `user` may have a confirmation recorded now: None if so, else the refusal.
pub async fn check_may_confirm(
    state: &AppState,
    ack: &AckArticle,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<(StatusCode, &'static str)>> {
    if !ack_status::in_audience(&state.db, ack.article_id, user_id).await? {
        return Ok(Some((
            StatusCode::FORBIDDEN,
            "Tài liệu này không yêu cầu bạn xác nhận: bạn không thuộc đơn vị được giao.",
        )));
    }
    if let Some(c) = ack.closed(now) {
        return Ok(Some((StatusCode::CONFLICT, closed_message(c))));
    }
    Ok(None)
}

async fn confirm(Page(state, ctx): Page, Path(slug): Path<String>) -> Result<Response> {
    let user: &CurrentUser = ctx.user()?;
    let Some(row) = articles::published_by_slug(&state.db, &slug).await? else {
        return Err(AppError::NotFound);
    };
    let back = format!("/bai-viet/{}", row.slug);
    let Some(ack) = ack_status::article(&state.db, row.id).await? else {
        return Err(AppError::NotFound);
    };
    let ack = with_version(&state, ack).await?;
    let now = time::now();
    if let Some((status, message)) = check_may_confirm(&state, &ack, user.id, now).await? {
        return refused(&state, &ctx, status, message, &back).await;
    }
    let mut tx = state.db.begin().await?;
    let confirm = NewConfirm::of(&ack, (user.id, user.id), "", &ctx.ip);
    let recorded = ack_status::record_confirm(&mut tx, &confirm, now).await?;
    tx.commit().await?;
    if recorded {
        crate::metrics::staff_confirmation("self");
        tracing::info!(
            article = ack.article_id,
            version = ack.terms.current_version,
            "staff confirmation recorded"
        );
    }
    // Recorded now or by an earlier click: either way the page shows the confirmation.
    Ok(Redirect::to(&format!("{back}#xac-nhan")).into_response())
}

#[derive(Serialize)]
struct ItemView {
    title: String,
    href: String,
    due: String,
    overdue: bool,
    open: bool,
    confirmed_at: String,
    /// Why an item confirmed earlier is pending again (a renewal), or empty.
    renewal: String,
    /// For a confirmed item, the year of the round it was confirmed for, once renewals began.
    round_year: String,
}

/// For a pending item: why, when the person confirmed this version before (a renewal).
async fn pending_renewal(db: &Db, article_id: i64, user_id: i64) -> Result<Option<String>> {
    let Some(ack) = ack_status::article(db, article_id).await? else {
        return Ok(None);
    };
    match ack_status::latest_of(db, article_id, user_id).await? {
        Some(c) if c.version == ack.terms.current_version => {
            Ok(renewal_note(db, &ack, c.event_id, c.round).await?)
        }
        _ => Ok(None),
    }
}

#[derive(Serialize)]
struct MyItemsView {
    #[serde(flatten)]
    layout: Layout,
    pending: Vec<ItemView>,
    done: Vec<ItemView>,
}

async fn my_items(State(state): State<AppState>, ctx: Ctx) -> Result<Html<String>> {
    let user = ctx.user()?;
    let now = time::now();
    let items = ack_status::items_for_user(&state.db, user.id).await?;
    let mut pending = Vec::new();
    let mut done = Vec::new();
    for item in items {
        let confirmed_at = match item.confirmed_event {
            Some(id) => ack_status::event(&state.db, item.article_id, id)
                .await?
                .map(|c| time::format_datetime(c.created_at)),
            None => None,
        };
        let (renewal, year) = match confirmed_at {
            Some(_) => match ack_status::article(&state.db, item.article_id).await? {
                Some(ack) => (None, round_year(&state.db, &ack).await?),
                None => (None, String::new()),
            },
            None => (
                pending_renewal(&state.db, item.article_id, user.id).await?,
                String::new(),
            ),
        };
        let view = ItemView {
            href: format!("/bai-viet/{}", item.slug),
            due: item.due_at.map(time::format_datetime).unwrap_or_default(),
            overdue: confirmed_at.is_none() && item.due_at.is_some_and(|d| now > d),
            open: item.is_open(now),
            title: item.title,
            confirmed_at: confirmed_at.clone().unwrap_or_default(),
            renewal: renewal.unwrap_or_default(),
            round_year: year,
        };
        if confirmed_at.is_some() {
            done.push(view);
        } else {
            pending.push(view);
        }
    }
    let view = MyItemsView {
        layout: Layout::load(
            &state,
            &ctx,
            "Tài liệu cần xác nhận",
            "Các tài liệu bạn cần đọc và xác nhận",
            "/can-xac-nhan",
        )
        .await?,
        pending,
        done,
    };
    Ok(Html(state.templates.render("ack_pending.html", &view)?))
}
