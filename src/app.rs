//! Building and serving the application: what `loa serve` and the tests both call.

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use axum::ServiceExt as _;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::{Layer, Service, ServiceExt};

use crate::config::Config;
use crate::db::{self, Db};
use crate::http::page_cache::{PageCache, PageCacheLayer};
use crate::templates::Templates;
use crate::{content, http};

/// Everything a request handler may use. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub templates: Arc<Templates>,
    /// The ticks of this process's scheduler, for `/readyz` (silent until jobs start).
    pub scheduler: crate::jobs::Heartbeat,
    /// The rendered public pages (`http::page_cache`).
    pub pages: PageCache,
}

/// Opens and migrates the database, fills a new site from `content_dir`, and refreshes articles
/// rendered by an older Markdown pipeline. After this the application can serve.
pub async fn prepare(config: Config) -> anyhow::Result<AppState> {
    let db = Db::connect(&config.database_url)
        .await
        .with_context(|| format!("không kết nối được cơ sở dữ liệu {:?}", config.database_url))?;
    db.migrate()
        .await
        .context("không áp dụng được các bản chuyển đổi (migration) cơ sở dữ liệu")?;
    seed_if_empty(&db, &config).await?;
    // Catch up before the first request: what fell due while no instance ran is published, and
    // what expired is archived.
    let caught_up = crate::jobs::publication::run_due(&db, crate::time::now()).await?;
    if caught_up.items() > 0 {
        tracing::info!(
            published = caught_up.published.len(),
            archived = caught_up.archived.len(),
            "caught up with the publication schedule"
        );
    }
    let refreshed = db::articles::refresh_stale_renders(&db).await?;
    if refreshed > 0 {
        tracing::info!(
            articles = refreshed,
            "re-rendered articles for the current Markdown pipeline"
        );
    }
    // Articles written before the search index existed.
    db::search::index_missing(&db).await?;
    let templates = Templates::new().context("mẫu trang (template) lỗi")?;
    let pages = PageCache::new(&config);
    // What the database says now is what the (empty) cache starts from.
    pages.observe(db::page_generation::current(&db).await?);
    pages.hear_changes(&db);
    Ok(AppState {
        db,
        pages,
        config: Arc::new(config),
        templates: Arc::new(templates),
        scheduler: crate::jobs::Heartbeat::default(),
    })
}

/// A new site is never empty: with no article and no site details yet, import the content
/// directory. A broken content directory stops the start-up with its errors.
async fn seed_if_empty(db: &Db, config: &Config) -> anyhow::Result<()> {
    let empty = db::articles::count_all(db).await? == 0 && db::site::info(db).await?.is_none();
    if !empty {
        return Ok(());
    }
    if !config.content_dir.is_dir() {
        tracing::warn!(dir = %config.content_dir.display(), "the database is empty and the content directory does not exist");
        return Ok(());
    }
    match content::import_dir(db, &config.content_dir).await {
        Ok(report) => {
            tracing::info!(
                dir = %config.content_dir.display(),
                added = report.added.len(),
                "empty database: imported the content directory"
            );
            Ok(())
        }
        Err(content::ImportError::Invalid(errors)) => {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            anyhow::bail!(
                "nội dung trong {} có lỗi, không nhập được:\n{}",
                config.content_dir.display(),
                list.join("\n")
            )
        }
        Err(e) => Err(e.into()),
    }
}

/// The e-mail of the administrator created on a site that has none.
pub const FIRST_ADMIN_EMAIL: &str = "quantri@loa.local";

/// When no active admin exists, creates one with a random one-time password (to be changed at
/// the first sign-in) and returns its e-mail and password, for the console only.
pub async fn ensure_admin(db: &Db) -> anyhow::Result<Option<(String, String)>> {
    if db::users::count_active_admins(db).await? > 0 {
        return Ok(None);
    }
    let password = crate::account::NewPassword::random();
    let hash = crate::account::hash_password(&password).await?;
    let email = crate::account::Email::parse(FIRST_ADMIN_EMAIL).expect("a valid constant");
    let now = crate::time::now();
    let mut tx = db.begin().await?;
    // An earlier, deactivated first admin keeps its row: reactivate it with the new password.
    let existing = tx
        .fetch_optional::<IdRow>(
            "select id from users where email = $1",
            crate::params![email.as_str()],
        )
        .await?;
    let id = match existing {
        Some(IdRow { id }) => {
            tx.execute(
                "update users set role = 'admin', active = true, password_hash = $2, \
                     must_change_password = true, updated_at = $3 where id = $1",
                crate::params![id, hash.as_str(), now],
            )
            .await?;
            id
        }
        None => {
            let new = db::users::NewUser {
                email: email.clone(),
                name: "Quản trị hệ thống".to_owned(),
                unit_id: None,
                role: crate::account::Role::Admin,
                is_head: false,
                password_hash: hash,
                must_change_password: true,
            };
            match db::users::insert(&mut tx, &new, now).await {
                Ok(id) => id,
                // Another instance starting on the same database created it first.
                Err(e) if db::is_unique_violation(&e) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
    };
    let entry = db::audit::Entry {
        actor_label: "hệ thống".to_owned(),
        action: "user.create",
        target_type: "user",
        target_id: Some(id),
        target_label: email.to_string(),
        detail: "quản trị viên đầu tiên".to_owned(),
        ..Default::default()
    };
    db::audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(Some((email.to_string(), password.expose().to_owned())))
}

#[derive(sqlx::FromRow)]
struct IdRow {
    id: i64,
}

/// Serves the application on `listener` until `shutdown` completes, then finishes the requests
/// in flight.
///
/// Our own accept loop rather than `axum::serve`, which has no header-read timeout: a client
/// that sends its request line and headers slowly (or not at all) is cut off after
/// `LOA_HEADER_TIMEOUT_SECS`, and so is a keep-alive connection left idle that long.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let header_timeout = state.config.header_timeout;
    // Changes made by other instances and processes reach this one's page cache.
    let sync = tokio::spawn(http::page_cache::sync::watch(
        state.pages.clone(),
        state.db.clone(),
    ));
    // The page cache answers its hits before the router (and all its layers) sees them.
    let app = PageCacheLayer(state.pages.clone()).layer(http::router(state));
    // The peer address feeds the sign-in lock-out and the audit log.
    let mut make_service = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = match make_service.call(peer).await {
            Ok(service) => service,
            Err(never) => match never {},
        };
        let service = TowerToHyperService::new(service.map_request(
            |req: axum::http::Request<hyper::body::Incoming>| req.map(axum::body::Body::new),
        ));
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout);
        // No upgrades: Loa has no WebSocket route.
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A client that went away or timed out: nothing to report.
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    // New connections are refused from here; idle ones close, and those mid-request close once
    // answered.
    drop(listener);
    graceful.shutdown().await;
    sync.abort();
    Ok(())
}

/// After a failed accept. A peer that gave up is routine; anything else (out of file
/// descriptors, mostly) is logged and followed by a pause, so that connections can close first.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed");
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
}
