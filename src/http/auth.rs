//! Who is asking, and may they: the session layer, the signed-in second CSRF wall, the request
//! context and the role layers.
//!
//! Cross-site request forgery is stopped before this layer by tower-http's `CsrfLayer` (the
//! Fetch-metadata scheme of Go's `CrossOriginProtection`: `Sec-Fetch-Site`, then `Origin` against
//! our own origin; see `http::router`), for every visitor and with no per-visitor state, so an
//! anonymous page sets no cookie and is the same for everyone. Every request then passes through
//! [`session_layer`]: it finds the session of the `loa_session` cookie (only the token's hash is
//! stored) and puts a [`Ctx`] in the request. A signed-in state change (POST, PUT, PATCH, DELETE)
//! must also carry the session's own CSRF token in an `x-csrf-token` header or a `csrf` form field
//! (a second wall for the browsers that send neither `Sec-Fetch-Site` nor `Origin`); otherwise it
//! is refused with 403 before any handler runs.

use std::net::SocketAddr;

use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Duration;

use crate::account::Role;
use crate::app::AppState;
use crate::db::users::UserRow;
use crate::db::{audit, sessions};
use crate::error::{AppError, Result};
use crate::http::client::Client;
use crate::time;

pub const SESSION_COOKIE: &str = "loa_session";

/// The signed-in account, as handlers see it.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub unit_id: Option<i64>,
    pub is_head: bool,
    pub must_change_password: bool,
    /// Open acknowledgment items still to confirm, for the header (filled by the session layer).
    pub pending_acks: i64,
}

impl From<UserRow> for CurrentUser {
    fn from(u: UserRow) -> Self {
        CurrentUser {
            role: u.role(),
            id: u.id,
            email: u.email,
            name: u.name,
            unit_id: u.unit_id,
            is_head: u.is_head,
            must_change_password: u.must_change_password,
            pending_acks: 0,
        }
    }
}

/// The request's context: who, their CSRF token (the session's; empty for anonymous visitors),
/// their address.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub user: Option<CurrentUser>,
    pub csrf: String,
    /// The client's address (behind a trusted proxy, from `X-Forwarded-For`; `http::client`).
    pub ip: String,
    /// What per-address limits count: the IPv4 address or the IPv6 /64.
    pub network: String,
    /// The hash of the session cookie, when signed in.
    pub session_hash: Option<String>,
    /// The path and query of the request, for `next=` after signing in.
    pub path: String,
}

impl Ctx {
    /// The account, or a redirect to the sign-in page that comes back here.
    pub fn user(&self) -> Result<&CurrentUser> {
        self.user.as_ref().ok_or_else(|| AppError::SignInRequired {
            next: self.path.clone(),
        })
    }

    /// The account if its role is at least `min`; 403 otherwise.
    pub fn require(&self, min: Role) -> Result<&CurrentUser> {
        let user = self.user()?;
        if user.role >= min {
            Ok(user)
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// The audit entry of `actor` acting on a target, from this request's address.
    pub fn audit_entry(
        &self,
        actor: &CurrentUser,
        action: &'static str,
        target: (&'static str, Option<i64>, &str),
        detail: String,
    ) -> audit::Entry {
        let (target_type, target_id, target_label) = target;
        audit::Entry {
            actor_id: Some(actor.id),
            actor_label: actor.email.clone(),
            action,
            target_type,
            target_id,
            target_label: target_label.to_owned(),
            detail,
            ip: self.ip.clone(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the session layer did not run")))
    }
}

/// What a page handler starts from: the application and who is asking, taken as one extractor
/// (`Page(state, ctx): Page`) because nearly every handler needs both. `T` is the request's
/// context by default, or a narrower view of it (the campaigns' `Viewer`).
pub struct Page<T = Ctx>(pub AppState, pub T);

impl<T> FromRequestParts<AppState> for Page<T>
where
    T: FromRequestParts<AppState, Rejection = AppError>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        Ok(Page(
            state.clone(),
            T::from_request_parts(parts, state).await?,
        ))
    }
}

/// The signed-in account, when it is an editor or an admin: a handler that takes one refuses
/// everyone else (403; anonymous visitors go to the sign-in page) before it runs.
#[derive(Clone, Debug)]
pub struct Editor(pub CurrentUser);

/// The signed-in account, when it is an admin; like [`Editor`].
#[derive(Clone, Debug)]
pub struct Admin(pub CurrentUser);

/// The account of the request if its role is at least `min`.
fn with_role(parts: &Parts, min: Role) -> Result<CurrentUser> {
    let ctx = parts
        .extensions
        .get::<Ctx>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the session layer did not run")))?;
    ctx.require(min).cloned()
}

impl<S: Send + Sync> FromRequestParts<S> for Editor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        with_role(parts, Role::Editor).map(Editor)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        with_role(parts, Role::Admin).map(Admin)
    }
}

/// Reads one cookie from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure on https.
pub fn set_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    max_age: Option<Duration>,
) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={}", age.num_seconds().max(0)));
    }
    if state.config.is_https() {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).expect("cookie values are hex")
}

fn is_token(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Finds the session, and refuses a signed-in state change without the session's CSRF token.
pub async fn session_layer(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let now = time::now();
    let client = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| Client::of(c.0.ip(), req.headers(), &state.config.trusted_proxies));
    let (ip, network) = client
        .map(|c| (c.ip_text(), c.network()))
        .unwrap_or_default();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".to_owned());
    let mut ctx = Ctx {
        user: None,
        csrf: String::new(),
        ip,
        network,
        session_hash: None,
        path,
    };
    let mut cookies_out = Vec::new();

    if let Some(token) = cookie(req.headers(), SESSION_COOKIE).filter(|t| is_token(t)) {
        let lifetime = state.config.session_lifetime();
        match sessions::find(&state.db, token, now, lifetime).await {
            Ok(Some(s)) => {
                // Extending the session costs a write; once every few minutes is enough.
                if now - s.last_seen_at > Duration::minutes(5) {
                    if let Err(e) = sessions::touch(&state.db, &s, now, lifetime).await {
                        return AppError::Db(e).into_response();
                    }
                }
                ctx.csrf = s.csrf_token;
                ctx.session_hash = Some(s.id_hash);
                let mut user: CurrentUser = s.user.into();
                // Every page's header shows it; one indexed query per signed-in request.
                match crate::db::ack_status::pending_count(&state.db, user.id, now).await {
                    Ok(n) => user.pending_acks = n,
                    Err(e) => return AppError::Db(e).into_response(),
                }
                ctx.user = Some(user);
            }
            Ok(None) => cookies_out.push(set_cookie(
                &state,
                SESSION_COOKIE,
                "",
                Some(Duration::zero()),
            )),
            Err(e) => return AppError::Db(e).into_response(),
        }
    }
    if is_multipart(req.headers()) && !MULTIPART_ROUTES.contains(&req.uri().path()) {
        let mut response = AppError::UnsupportedMediaType.into_response();
        response.extensions_mut().insert(ctx);
        return response;
    }
    // A temporary password (the first admin's, a reset, an import) opens only the password
    // change and sign-out: whoever read it on a screen or a sheet must not use it for anything.
    if ctx
        .user
        .as_ref()
        .is_some_and(|u| u.must_change_password && !temporary_password_may(req.uri().path()))
    {
        let mut response = if req.method() == Method::GET || req.method() == Method::HEAD {
            Redirect::to(CHANGE_PASSWORD).into_response()
        } else {
            AppError::Forbidden.into_response()
        };
        response.extensions_mut().insert(ctx);
        return response;
    }

    // Anonymous state changes (signing in, a citizen's confirmation) have no token to check:
    // the Fetch-metadata layer outside this one has already refused them if cross-site.
    let mut response = if ctx.user.is_none()
        || matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
    {
        req.extensions_mut().insert(ctx.clone());
        next.run(req).await
    } else {
        match verify(&ctx, req).await {
            Ok(mut req) => {
                req.extensions_mut().insert(ctx.clone());
                next.run(req).await
            }
            Err(e) => e.into_response(),
        }
    };
    for c in cookies_out {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    // The error-page layer, outside this one, draws its page for this visitor.
    response.extensions_mut().insert(ctx);
    response
}

/// Where a session with a temporary password is sent, and may go.
const CHANGE_PASSWORD: &str = "/doi-mat-khau";

/// The paths a session with a temporary password may reach: the change form, sign-out, and the
/// stylesheets and scripts those pages need.
fn temporary_password_may(path: &str) -> bool {
    path == CHANGE_PASSWORD || path == "/dang-xuat" || path.starts_with("/static/")
}

/// The token check of a signed-in state change. Reading a form body to find the token consumes
/// it, so the request is rebuilt with the same bytes. A multipart body (only on
/// [`MULTIPART_ROUTES`]) is not read here: its handler checks the token as it reads the form,
/// after the role layers, so no upload is read for a request not yet known to be allowed.
async fn verify(ctx: &Ctx, req: Request) -> Result<Request> {
    if let Some(t) = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        return if constant_time_eq(t, &ctx.csrf) {
            Ok(req)
        } else {
            Err(AppError::Csrf)
        };
    }
    if is_multipart(req.headers()) {
        return Ok(req);
    }
    let urlencoded = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let limit = body_limit(req.uri().path());
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, limit)
        .await
        .map_err(|_| AppError::TooLarge)?;
    let token = urlencoded
        .then(|| {
            url::form_urlencoded::parse(&bytes)
                .find(|(k, _)| k == "csrf")
                .map(|(_, v)| v.into_owned())
        })
        .flatten();
    check_form_token(ctx, token.as_deref())?;
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// The routes that accept `multipart/form-data` (an image upload, the staff import); any other
/// multipart request is refused with 415 before its body is read.
pub const MULTIPART_ROUTES: [&str; 2] = ["/admin/anh", "/admin/nguoi-dung/nhap"];

fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            t.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/")
        })
}

/// The largest body of a form on `path`: a public or staff form is small; the admin's forms carry
/// whole articles.
pub fn body_limit(path: &str) -> usize {
    if path == "/admin" || path.starts_with("/admin/") {
        crate::http::ADMIN_BODY_LIMIT
    } else {
        crate::http::PUBLIC_BODY_LIMIT
    }
}

/// The session's CSRF token as a form sent it (`None`: not sent); 403 unless it matches.
pub fn check_form_token(ctx: &Ctx, token: Option<&str>) -> Result<()> {
    match token {
        Some(t) if !ctx.csrf.is_empty() && constant_time_eq(t, &ctx.csrf) => Ok(()),
        _ => {
            tracing::warn!(path = %ctx.path, "refused a state change without a valid CSRF token");
            Err(AppError::Csrf)
        }
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The role layer of `/admin`: anonymous visitors go to the sign-in page, employees get 403.
pub async fn require_writer(req: Request, next: Next) -> Response {
    require(req, next, Role::Author).await
}

/// The role layer of the admin-only pages (people, units, audit log).
pub async fn require_admin(req: Request, next: Next) -> Response {
    require(req, next, Role::Admin).await
}

async fn require(req: Request, next: Next, min: Role) -> Response {
    let check = match req.extensions().get::<Ctx>() {
        Some(ctx) => ctx.require(min).map(|_| ()),
        None => Err(AppError::Internal(anyhow::anyhow!(
            "the session layer did not run"
        ))),
    };
    match check {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

/// Only local paths are followed after signing in: `/admin`, never `//evil.example` or
/// `https://evil.example`.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let n = next?.trim();
    let local = n.starts_with('/')
        && !n.starts_with("//")
        && !n.starts_with("/\\")
        && !n.chars().any(|c| c.is_control() || c == '\\');
    local.then(|| n.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/admin?x=1")).as_deref(), Some("/admin?x=1"));
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "admin",
            "/a\nb",
            "/\\/x",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad}");
        }
        assert_eq!(safe_next(None), None);
    }

    #[test]
    fn cookies_are_read_by_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; loa_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, "loa_session"), Some("abc"));
        assert_eq!(cookie(&h, "loa"), None);
    }

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
