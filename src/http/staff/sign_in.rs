//! `/dang-nhap` (sign in), `/dang-xuat` (sign out, a POST) and `/doi-mat-khau` (change password).

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{middleware, Form, Router};
use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::account::{self, Email, NewPassword, Role};
use crate::app::AppState;
use crate::db::{audit, sessions, users};
use crate::error::Result;
use crate::http::auth::{safe_next, set_cookie, Ctx, CurrentUser, Page, SESSION_COOKIE};
use crate::http::page_cache;
use crate::http::views::Layout;
use crate::time;

/// Failed sign-ins tolerated within [`LOCK_WINDOW`], per account and per address.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
pub const LOCK_WINDOW: Duration = Duration::minutes(15);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dang-nhap", get(show).post(submit))
        .route("/dang-xuat", post(sign_out))
        .route("/doi-mat-khau", get(show_change).post(change))
        // Signing in and out shows on no public page.
        .route_layer(middleware::map_response(page_cache::unchanged))
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

#[derive(Serialize)]
struct SignInView {
    #[serde(flatten)]
    layout: Layout,
    email: String,
    next: String,
    error: Option<String>,
    /// How long a remembered sign-in lasts (`LOA_SESSION_HOURS`).
    session_hours: i64,
}

async fn render_sign_in(
    state: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    email: &str,
    next: &str,
    error: Option<String>,
) -> Result<Response> {
    let view = SignInView {
        layout: Layout::load(
            state,
            ctx,
            "Đăng nhập",
            "Đăng nhập dành cho cán bộ",
            "/dang-nhap",
        )
        .await?,
        email: email.to_owned(),
        next: next.to_owned(),
        error,
        session_hours: state.config.session_hours,
    };
    Ok((status, Html(state.templates.render("sign_in.html", &view)?)).into_response())
}

/// Where an account goes after signing in when no `next` is given.
fn home_of(user: &CurrentUser) -> &'static str {
    if user.role.is_staff_writer() {
        "/admin"
    } else {
        "/"
    }
}

async fn show(Page(state, ctx): Page, Query(q): Query<NextQuery>) -> Result<Response> {
    let next = safe_next(q.next.as_deref()).unwrap_or_default();
    if let Some(user) = &ctx.user {
        let to = if next.is_empty() {
            home_of(user).to_owned()
        } else {
            next
        };
        return Ok(Redirect::to(&to).into_response());
    }
    render_sign_in(&state, &ctx, StatusCode::OK, "", &next, None).await
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
    /// "Ghi nhớ đăng nhập": the cookie outlives the browser (until the session's end).
    nho: Option<String>,
}

/// Longest e-mail address accepted (RFC 5321's limit on a path); anything longer is refused
/// before it reaches the database or the audit log.
pub const MAX_EMAIL_CHARS: usize = 254;

/// A password check under the lock-out.
enum Gate {
    /// Checked: the attempt is recorded as a failure until it succeeds. `completes_lock` when
    /// failing it reaches a limit, so the lock is logged once, as it begins.
    Open {
        attempt: i64,
        completes_lock: bool,
    },
    Locked,
}

/// Counts an attempt for `email` from `network` before any password is checked: a locked
/// account or address is refused, and of a burst of parallel guesses only those within the
/// limits go on to argon2.
async fn begin_attempt(
    state: &AppState,
    email: &str,
    network: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Gate> {
    // Counting and recording are one step per process: a few milliseconds of queries, so that a
    // burst of guesses is ordered exactly (PostgreSQL's read-committed counts could otherwise
    // miss a row committed a moment later). Across instances the ordinal below still bounds it.
    static GATE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _gate = GATE.lock().await;
    let since = now - LOCK_WINDOW;
    let over = |(account, address): (i64, i64)| {
        account > MAX_FAILURES_PER_ACCOUNT || address > MAX_FAILURES_PER_ADDRESS
    };
    let (account, address) = sessions::recent_failures(&state.db, email, network, since).await?;
    if over((account + 1, address + 1)) {
        return Ok(Gate::Locked);
    }
    let attempt = sessions::record_failure(&state.db, email, network, now).await?;
    let place = sessions::failures_up_to(&state.db, email, network, since, attempt).await?;
    if over(place) {
        sessions::forget_failure(&state.db, attempt).await?;
        return Ok(Gate::Locked);
    }
    Ok(Gate::Open {
        attempt,
        completes_lock: place.0 == MAX_FAILURES_PER_ACCOUNT || place.1 == MAX_FAILURES_PER_ADDRESS,
    })
}

fn locked_message() -> String {
    format!(
        "Đăng nhập sai quá nhiều lần. Để bảo vệ tài khoản, việc đăng nhập tạm khoá trong {} phút; xin thử lại sau.",
        LOCK_WINDOW.num_minutes()
    )
}

const BUSY_MESSAGE: &str =
    "Máy chủ đang bận vì có nhiều lượt đăng nhập cùng lúc. Xin chờ một lát rồi thử lại.";

async fn submit(Page(state, ctx): Page, Form(form): Form<SignInForm>) -> Result<Response> {
    let now = time::now();
    let next = safe_next(form.next.as_deref()).unwrap_or_default();
    if form.email.trim().chars().count() > MAX_EMAIL_CHARS {
        let message = format!("Địa chỉ thư điện tử quá dài (tối đa {MAX_EMAIL_CHARS} ký tự).");
        return render_sign_in(
            &state,
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
            &next,
            Some(message),
        )
        .await;
    }
    let email = form.email.trim().to_lowercase();
    // Every refusal from here on shows the form again with the address typed.
    let refuse =
        |status, message| render_sign_in(&state, &ctx, status, &email, &next, Some(message));
    let Gate::Open {
        attempt,
        completes_lock,
    } = begin_attempt(&state, &email, &ctx.network, now).await?
    else {
        // The lock was logged when it began; a locked account's further tries are not.
        return refuse(StatusCode::TOO_MANY_REQUESTS, locked_message()).await;
    };

    let credentials = users::credentials(&state.db, &email).await?;
    let (user, hash) = match credentials {
        Some((u, h)) => (Some(u), Some(h)),
        None => (None, None),
    };
    // Always verify, even without an account, so the answer takes as long either way.
    let Ok(password_ok) = account::verify_password(&form.password, hash).await else {
        sessions::forget_failure(&state.db, attempt).await?;
        return refuse(StatusCode::TOO_MANY_REQUESTS, BUSY_MESSAGE.to_owned()).await;
    };
    let user = user.filter(|u| password_ok && u.active);
    let Some(user) = user else {
        // The attempt stays recorded as a failure.
        let entry = audit::Entry {
            actor_label: email.clone(),
            action: "sign_in.failure",
            ip: ctx.ip.clone(),
            ..Default::default()
        };
        audit::record_now(&state.db, &entry, now).await?;
        if completes_lock {
            let entry = audit::Entry {
                action: "sign_in.locked",
                ..entry
            };
            audit::record_now(&state.db, &entry, now).await?;
        }
        let message = "Địa chỉ thư điện tử hoặc mật khẩu không đúng.".to_owned();
        return refuse(StatusCode::UNAUTHORIZED, message).await;
    };

    // A new session id at every sign-in: a session fixed before signing in is worthless.
    if let Some(old) = &ctx.session_hash {
        sessions::delete(&state.db, old).await?;
    }
    sessions::clear_failures(&state.db, &email).await?;
    let lifetime = state.config.session_lifetime();
    let token = sessions::create(&state.db, user.id, &ctx.ip, now, lifetime).await?;
    let entry = audit::Entry {
        actor_id: Some(user.id),
        actor_label: user.email.clone(),
        action: "sign_in.success",
        ip: ctx.ip.clone(),
        ..Default::default()
    };
    audit::record_now(&state.db, &entry, now).await?;
    let current = CurrentUser::from(user);
    let to = if current.must_change_password {
        "/doi-mat-khau".to_owned()
    } else if next.is_empty() {
        home_of(&current).to_owned()
    } else {
        next
    };
    // A session cookie (gone with the browser) unless the person asked to be remembered, on a
    // computer of their own; either way the session itself ends after its lifetime.
    let max_age = form.nho.is_some().then_some(lifetime);
    let cookie = set_cookie(&state, SESSION_COOKIE, &token, max_age);
    Ok((
        StatusCode::SEE_OTHER,
        [(header::LOCATION, to)],
        [(header::SET_COOKIE, cookie)],
    )
        .into_response())
}

async fn sign_out(State(state): State<AppState>, ctx: Ctx) -> Result<Response> {
    if let Some(hash) = &ctx.session_hash {
        sessions::delete(&state.db, hash).await?;
        if let Some(user) = &ctx.user {
            let entry = audit::Entry {
                actor_id: Some(user.id),
                actor_label: user.email.clone(),
                action: "sign_out",
                ip: ctx.ip.clone(),
                ..Default::default()
            };
            audit::record_now(&state.db, &entry, time::now()).await?;
        }
    }
    let cookie = set_cookie(&state, SESSION_COOKIE, "", Some(Duration::zero()));
    Ok((
        StatusCode::SEE_OTHER,
        [(header::LOCATION, "/")],
        [(header::SET_COOKIE, cookie)],
    )
        .into_response())
}

#[derive(Serialize)]
struct ChangeView {
    #[serde(flatten)]
    layout: Layout,
    forced: bool,
    errors: Vec<String>,
}

async fn render_change(
    state: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    errors: Vec<String>,
) -> Result<Response> {
    let user = ctx.user()?;
    let view = ChangeView {
        layout: Layout::load(state, ctx, "Đổi mật khẩu", "Đổi mật khẩu", "/doi-mat-khau").await?,
        forced: user.must_change_password,
        errors,
    };
    Ok((
        status,
        Html(state.templates.render("change_password.html", &view)?),
    )
        .into_response())
}

async fn show_change(State(state): State<AppState>, ctx: Ctx) -> Result<Response> {
    render_change(&state, &ctx, StatusCode::OK, vec![]).await
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct ChangeForm {
    current: String,
    new_password: String,
    confirm: String,
}

async fn change(Page(state, ctx): Page, Form(form): Form<ChangeForm>) -> Result<Response> {
    let user = ctx.user()?.clone();
    let email = Email::parse(&user.email).map_err(|e| anyhow::anyhow!(e))?;
    let mut errors = Vec::new();
    let new = match NewPassword::parse(&form.new_password, &email) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.push(format!("Mật khẩu mới: {e}."));
            None
        }
    };
    if form.new_password != form.confirm {
        errors.push("Hai lần nhập mật khẩu mới không khớp.".to_owned());
    }
    if form.new_password == form.current && !form.current.is_empty() {
        errors.push("Mật khẩu mới phải khác mật khẩu hiện tại.".to_owned());
    }
    // The current password is a password guess like any other: the sign-in lock-out applies.
    let now = time::now();
    let Gate::Open { attempt, .. } = begin_attempt(&state, &user.email, &ctx.network, now).await?
    else {
        return render_change(
            &state,
            &ctx,
            StatusCode::TOO_MANY_REQUESTS,
            vec![locked_message()],
        )
        .await;
    };
    let hash = users::password_hash(&state.db, user.id).await?;
    match account::verify_password(&form.current, hash).await {
        Ok(true) => sessions::forget_failure(&state.db, attempt).await?,
        Ok(false) => errors.push("Mật khẩu hiện tại không đúng.".to_owned()),
        Err(account::Busy) => {
            sessions::forget_failure(&state.db, attempt).await?;
            return render_change(
                &state,
                &ctx,
                StatusCode::TOO_MANY_REQUESTS,
                vec![BUSY_MESSAGE.to_owned()],
            )
            .await;
        }
    }
    let (Some(new), true) = (new, errors.is_empty()) else {
        return render_change(&state, &ctx, StatusCode::UNPROCESSABLE_ENTITY, errors).await;
    };
    let hash = account::hash_password(&new).await?;
    let mut tx = state.db.begin().await?;
    users::set_password(&mut tx, user.id, &hash, false, now).await?;
    let entry = audit::Entry {
        actor_id: Some(user.id),
        actor_label: user.email.clone(),
        action: "user.password_change",
        target_type: "user",
        target_id: Some(user.id),
        target_label: user.email.clone(),
        ip: ctx.ip.clone(),
        ..Default::default()
    };
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    // Every other session of the account ends; this one stays.
    sessions::delete_for_user(&state.db, user.id, ctx.session_hash.as_deref()).await?;
    let to = if user.role >= Role::Author {
        "/admin"
    } else {
        "/"
    };
    Ok(Redirect::to(to).into_response())
}
