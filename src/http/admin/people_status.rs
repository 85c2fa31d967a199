//! Deactivating and reactivating an account, and resetting its password. Deactivation and a
//! reset end the account's sessions in the same transaction, so no session outlives them; an
//! admin cannot deactivate themselves, nor the last active admin.

use axum::extract::Path;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use chrono::{DateTime, Utc};

use super::people::{entry_for, one_time_page, parse_id, OneTimeAccount};
use super::people_form::{back_to_account, render, FieldErrors, PersonForm, LAST_ADMIN};
use crate::account::{self, NewPassword, Role};
use crate::app::AppState;
use crate::db::users::{self, UserRow};
use crate::db::{audit, Tx};
use crate::error::{AppError, Result};
use crate::http::auth::{Ctx, CurrentUser, Page};
use crate::time;

const OWN_DEACTIVATION: &str = "Bạn không thể tự khoá tài khoản của chính mình.";
const OWN_RESET: &str = "Để đổi mật khẩu của chính mình, hãy dùng trang «Đổi mật khẩu».";

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
    render(state, ctx, Some(user), PersonForm::of(user), errors, None).await
}

/// The admin acting and the account of the path.
async fn load(state: &AppState, ctx: &Ctx, id: &str) -> Result<(CurrentUser, UserRow)> {
    let actor = ctx.user()?.clone();
    let id = parse_id(id)?;
    let user = users::by_id(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((actor, user))
}

/// The account as the transaction sees it, which is what its checks must use.
async fn reload(tx: &mut Tx, id: i64) -> Result<UserRow> {
    users::by_id_tx(tx, id).await?.ok_or(AppError::NotFound)
}

/// Ends the account's sessions; returns the audit detail saying how many.
/// The actor and the account they act on, or the page refusing `own` when that account is their
/// own (deactivating or resetting oneself goes through other pages, or not at all).
async fn load_other(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    own: &str,
) -> Result<std::result::Result<(CurrentUser, UserRow), Response>> {
    let (actor, user) = load(state, ctx, id).await?;
    if user.id == actor.id {
        return refuse(state, ctx, &user, own).await.map(Err);
    }
    Ok(Ok((actor, user)))
}

async fn end_sessions(tx: &mut Tx, id: i64) -> Result<String> {
    let ended = users::end_sessions(tx, id).await?;
    Ok(format!("kết thúc {ended} phiên đăng nhập"))
}

/// Records the action on `target` and commits it with the change it audits.
async fn commit_audited(
    mut tx: Tx,
    ctx: &Ctx,
    actor: &CurrentUser,
    action: &'static str,
    target: &UserRow,
    detail: String,
    now: DateTime<Utc>,
) -> Result<()> {
    let entry = entry_for(ctx, actor, action, target.id, &target.email, detail);
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(())
}

async fn deactivate(Page(state, ctx): Page, Path(id): Path<String>) -> Result<Response> {
    let (actor, user) = match load_other(&state, &ctx, &id, OWN_DEACTIVATION).await? {
        Ok(pair) => pair,
        Err(refusal) => return Ok(refusal),
    };
    let now = time::now();
    // The admins are locked first, so two admins deactivating each other cannot both pass.
    let mut tx = state.db.begin_write().await?;
    let admins = users::lock_active_admins(&mut tx).await?;
    let current = reload(&mut tx, user.id).await?;
    if !current.active {
        return Ok(back_to_account(user.id, "da-khoa"));
    }
    if current.role() == Role::Admin && admins <= 1 {
        drop(tx);
        return refuse(&state, &ctx, &user, LAST_ADMIN).await;
    }
    users::set_active(&mut tx, user.id, false, now).await?;
    let detail = end_sessions(&mut tx, user.id).await?;
    commit_audited(tx, &ctx, &actor, "user.deactivate", &current, detail, now).await?;
    Ok(back_to_account(user.id, "da-khoa"))
}

async fn reactivate(Page(state, ctx): Page, Path(id): Path<String>) -> Result<Response> {
    let (actor, user) = load(&state, &ctx, &id).await?;
    let now = time::now();
    let mut tx = state.db.begin().await?;
    let current = reload(&mut tx, user.id).await?;
    if !current.active {
        users::set_active(&mut tx, user.id, true, now).await?;
        let detail = String::new();
        commit_audited(tx, &ctx, &actor, "user.reactivate", &current, detail, now).await?;
    }
    Ok(back_to_account(user.id, "da-mo-khoa"))
}

async fn reset_password(Page(state, ctx): Page, Path(id): Path<String>) -> Result<Response> {
    let (actor, user) = match load_other(&state, &ctx, &id, OWN_RESET).await? {
        Ok(pair) => pair,
        Err(refusal) => return Ok(refusal),
    };
    let password = NewPassword::random();
    let hash = account::hash_password(&password).await?;
    let now = time::now();
    let mut tx = state.db.begin().await?;
    users::set_password(&mut tx, user.id, &hash, true, now).await?;
    let detail = end_sessions(&mut tx, user.id).await?;
    commit_audited(tx, &ctx, &actor, "user.password_reset", &user, detail, now).await?;
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
