//! Deactivating and reactivating an account, and resetting its password. Deactivation and a
//! reset end the account's sessions in the same transaction, so no session outlives them; an
//! admin cannot deactivate themselves, nor the last active admin.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;

use super::people::{entry_for, one_time_page, parse_id, OneTimeAccount};
use super::people_form::{render, FieldErrors, PersonForm, LAST_ADMIN};
use crate::account::{self, NewPassword, Role};
use crate::app::AppState;
use crate::db::audit;
use crate::db::users::{self, UserRow};
use crate::error::{AppError, Result};
use crate::http::auth::Ctx;
use crate::time;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/nguoi-dung/{id}/khoa", post(deactivate))
        .route("/nguoi-dung/{id}/mo-khoa", post(reactivate))
        .route("/nguoi-dung/{id}/dat-lai-mat-khau", post(reset_password))
}

/// The account's edit page again, with `message` above the form (status 422: nothing changed).
async fn refuse(state: &AppState, ctx: &Ctx, user: &UserRow, message: &str) -> Result<Response> {
    let errors = FieldErrors {
        general: vec![message.to_owned()],
        ..Default::default()
    };
    render(
        state,
        ctx,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(user),
        PersonForm::of(user),
        errors,
        None,
    )
    .await
}

async fn load(state: &AppState, id: &str) -> Result<UserRow> {
    let id = parse_id(id)?;
    users::by_id(&state.db, id).await?.ok_or(AppError::NotFound)
}

async fn deactivate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response> {
    let actor = ctx.user()?.clone();
    let user = load(&state, &id).await?;
    if user.id == actor.id {
        return refuse(
            &state,
            &ctx,
            &user,
            "Bạn không thể tự khoá tài khoản của chính mình.",
        )
        .await;
    }
    let now = time::now();
    let mut tx = state.db.begin().await?;
    let current = users::by_id_tx(&mut tx, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !current.active {
        return Ok(redirect(user.id, "da-khoa"));
    }
    if current.role() == Role::Admin && users::count_active_admins_tx(&mut tx).await? <= 1 {
        drop(tx);
        return refuse(&state, &ctx, &user, LAST_ADMIN).await;
    }
    users::set_active(&mut tx, user.id, false, now).await?;
    let ended = users::end_sessions(&mut tx, user.id).await?;
    let detail = format!("kết thúc {ended} phiên đăng nhập");
    let entry = entry_for(
        &ctx,
        &actor,
        "user.deactivate",
        user.id,
        &current.email,
        detail,
    );
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(redirect(user.id, "da-khoa"))
}

async fn reactivate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response> {
    let actor = ctx.user()?.clone();
    let user = load(&state, &id).await?;
    let now = time::now();
    let mut tx = state.db.begin().await?;
    let current = users::by_id_tx(&mut tx, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !current.active {
        users::set_active(&mut tx, user.id, true, now).await?;
        let entry = entry_for(
            &ctx,
            &actor,
            "user.reactivate",
            user.id,
            &current.email,
            String::new(),
        );
        audit::record(&mut tx, &entry, now).await?;
        tx.commit().await?;
    }
    Ok(redirect(user.id, "da-mo-khoa"))
}

async fn reset_password(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response> {
    let actor = ctx.user()?.clone();
    let user = load(&state, &id).await?;
    if user.id == actor.id {
        return refuse(
            &state,
            &ctx,
            &user,
            "Để đổi mật khẩu của chính mình, hãy dùng trang «Đổi mật khẩu».",
        )
        .await;
    }
    let password = NewPassword::random();
    let hash = account::hash_password(&password).await?;
    let now = time::now();
    let mut tx = state.db.begin().await?;
    users::set_password(&mut tx, user.id, &hash, true, now).await?;
    let ended = users::end_sessions(&mut tx, user.id).await?;
    let detail = format!("kết thúc {ended} phiên đăng nhập");
    let entry = entry_for(
        &ctx,
        &actor,
        "user.password_reset",
        user.id,
        &user.email,
        detail,
    );
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    let account = OneTimeAccount {
        id: user.id,
        role_label: user.role().label(),
        name: user.name,
        email: user.email,
        unit: user.unit_name.unwrap_or_default(),
        password: password.expose().to_owned(),
    };
    one_time_page(&state, &ctx, "Đã đặt lại mật khẩu", account).await
}

fn redirect(id: i64, notice: &str) -> Response {
    Redirect::to(&format!("/admin/nguoi-dung/{id}?thong_bao={notice}")).into_response()
}
