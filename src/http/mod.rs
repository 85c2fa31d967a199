//! The web layer: the router, layers every response passes through, and the error pages.
//!
//! `public/` holds what citizens see, `staff/` what signed-in employees do, `admin/` what editors
//! and admins do; each resource is a module with its own `router()`.

pub mod admin;
pub mod assets;
pub mod auth;
pub mod caching;
pub mod client;
pub mod metrics;
pub mod page_cache;
pub mod public;
pub mod staff;
pub mod views;

use axum::extract::DefaultBodyLimit;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Extensions, HeaderMap, HeaderValue, StatusCode, Version};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::Router;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::csrf::{CsrfLayer, ProtectionError};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::TraceLayer;

use crate::app::AppState;
use crate::error::{AppError, ErrorPage};

/// The largest body of a public or staff form (signing in, a citizen's confirmation).
pub const PUBLIC_BODY_LIMIT: usize = 64 * 1024;
/// The largest body of an admin form: an article (its Markdown, percent-encoded) and its fields.
pub const ADMIN_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// A request body that sends nothing for this long is cut off.
const BODY_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The whole application.
pub fn router(state: AppState) -> Router {
    caching::mark_start();
    // What any visitor can post is small; the extractors refuse more (axum's per-route limit,
    // which the upload route raises for itself).
    let small_forms = Router::new()
        .merge(public::router())
        .merge(staff::router())
        .layer(DefaultBodyLimit::max(PUBLIC_BODY_LIMIT));
    let config = state.config.clone();
    Router::new()
        .merge(small_forms)
        // Admin pages hold people's names, contacts and drafts: no cache, even the browser's, may
        // keep them (a shared office computer's back button, a disk cache).
        .nest(
            "/admin",
            admin::router()
                .layer(DefaultBodyLimit::max(ADMIN_BODY_LIMIT))
                .layer(middleware::map_response(no_store)),
        )
        .merge(assets::router())
        .fallback(|| async { AppError::NotFound })
        // The session layer runs first; the error-page layer wraps it, so the pages it draws
        // also cover the requests the session layer refuses.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::session_layer,
        ))
        // Sees what the handler says it changed, and drops the public pages it touched.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            page_cache::track_changes,
        ))
        // Before any session is looked up or any body read: a cross-site state change is refused
        // on its headers alone.
        .layer(csrf_layer(&state))
        // No body larger than the largest upload is ever read (a larger `Content-Length` is
        // refused at once); a body that stalls for 10 s is cut off.
        .layer(RequestBodyLimitLayer::new(
            ADMIN_BODY_LIMIT.max(config.max_upload_bytes + 2 * 1024 * 1024),
        ))
        .layer(RequestBodyTimeoutLayer::new(BODY_IDLE_TIMEOUT))
        .layer(middleware::from_fn_with_state(state.clone(), error_pages))
        // Outside the session layer, so it sees the cookies it sets; inside compression, so the
        // tag is computed once on the plain body.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            caching::conditional,
        ))
        .layer(middleware::map_response_with_state(
            state.clone(),
            security_headers,
        ))
        // What the page cache keeps it compresses once itself (`page_cache::Storable`).
        .layer(
            CompressionLayer::new()
                .gzip(true)
                .br(true)
                .compress_when(DefaultPredicate::new().and(not_for_the_page_cache)),
        )
        // Spans name the route template, not the path and query, which may carry a phone
        // number or an e-mail typed into a search box.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let route = req.extensions().get::<MatchedPath>().map(MatchedPath::as_str);
            tracing::debug_span!("request", method = %req.method(), route = route.unwrap_or("unmatched"))
        }))
        // At most this many requests at once; the others wait for a slot, within their timeout.
        .layer(GlobalConcurrencyLimitLayer::new(config.max_concurrent_requests))
        // A whole request, body included, within LOA_REQUEST_TIMEOUT_SECS: a client that
        // trickles its body (slow loris) is answered 408 and let go.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        // Outermost: counts every answer, whichever layer gave it.
        .layer(middleware::from_fn(metrics::track))
        .with_state(state)
}

/// Cross-site request forgery protection by Fetch metadata (tower-http's port of Go 1.25's
/// `CrossOriginProtection`): a state change passes if `Sec-Fetch-Site` is `same-origin` or `none`,
/// or, from a browser too old to send it, if `Origin` is ours (`LOA_BASE_URL`, or the `Host` it was
/// sent to). A refusal is our 403 page, drawn by the error-page layer outside.
type Refusal = fn(ProtectionError) -> Response;

fn csrf_layer(state: &AppState) -> CsrfLayer<Refusal> {
    let refuse: Refusal = |e| {
        tracing::warn!(reason = %e, "refused a cross-origin state change");
        AppError::Csrf.into_response()
    };
    let ours = state.config.base_url.origin().ascii_serialization();
    let layer = CsrfLayer::new()
        .add_trusted_origin(&ours)
        .unwrap_or_else(|e| {
            // Config validated the base URL as http(s); should it still not be an origin, the
            // `Host` comparison alone applies.
            tracing::warn!(error = %e, "the base URL is not a trusted origin for CSRF checks");
            CsrfLayer::new()
        });
    layer.with_rejection_response(refuse)
}

/// The compression layer's test: a response the page cache keeps passes plain.
fn not_for_the_page_cache(_: StatusCode, _: Version, _: &HeaderMap, ext: &Extensions) -> bool {
    ext.get::<page_cache::Storable>().is_none()
}

/// Headers that harden every page. Article HTML is sanitised already; the content security
/// policy is the second wall should anything slip through.
async fn security_headers(State(state): State<AppState>, mut response: Response) -> Response {
    const HEADERS: [(header::HeaderName, &str); 4] = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' https: data:; style-src 'self'; \
             script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
             frame-ancestors 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    let headers = response.headers_mut();
    for (name, value) in HEADERS {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    // Only when the public address is https: a browser told so over plain http would refuse
    // the site. A year, without subdomains (an agency's other sites are not ours to decide).
    if state.config.is_https() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

async fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Draws the Vietnamese 404 and 500 pages for responses marked with [`ErrorPage`].
async fn error_pages(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let Some(ErrorPage(status)) = response.extensions().get::<ErrorPage>().copied() else {
        return response;
    };
    // The session layer (inside this one) leaves the visitor's context on the response.
    let ctx = response.extensions().get::<auth::Ctx>().cloned();
    let ctx = ctx.unwrap_or_else(|| auth::Ctx {
        user: None,
        csrf: String::new(),
        ip: String::new(),
        network: String::new(),
        session_hash: None,
        path: "/".to_owned(),
    });
    let site = views::SiteView::load_or_placeholder(&state).await;
    let view = views::ErrorView::new(&state, &ctx, site, status);
    match state.templates.render("error.html", &view) {
        Ok(html) => {
            // Keep the cookies the session layer set (the removal of an expired session's).
            let mut page = (status, Html(html)).into_response();
            for c in response.headers().get_all(axum::http::header::SET_COOKIE) {
                page.headers_mut()
                    .append(axum::http::header::SET_COOKIE, c.clone());
            }
            page
        }
        Err(e) => {
            tracing::error!(error = %e, "the error page failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "Lỗi máy chủ").into_response()
        }
    }
}
