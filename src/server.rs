//! `loa serve`: the site, the metrics listener (when `LOA_METRICS_ADDR` is set), the background
//! jobs, and an orderly stop on SIGTERM or Ctrl-C.
//!
//! On the signal: the listeners close at once (new connections are refused) and requests in
//! flight finish, for at most [`DRAIN`]; then the scheduler stops and a job run in progress may
//! finish until [`DEADLINE`]; then the pool closes and the process exits 0 — all within ten
//! seconds of the signal. What is cut off at a deadline is safe to cut: a request that never got
//! its answer was not promised anything, and every job run is idempotent and retried.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::time::{timeout_at, Instant};

use crate::config::Config;

/// The longest requests in flight may take after the signal.
pub const DRAIN: Duration = Duration::from_secs(6);
/// Everything is stopped by then (the pool gets a last moment after it).
pub const DEADLINE: Duration = Duration::from_secs(9);

pub async fn run(mut config: Config) -> anyhow::Result<()> {
    // Bind first: a port in use is reported before any other work.
    let listener = bind(config.addr).await?;
    let local = listener.local_addr()?;
    // With port 0 the system picks the port; the default public address must follow it.
    if config.base_url.port() == Some(0) {
        config.base_url = url::Url::parse(&format!("http://{local}/"))?;
    }
    let metrics_listener = match config.metrics_addr {
        Some(addr) => Some(bind(addr).await?),
        None => None,
    };
    // Before `prepare`, so the publications it catches up with are counted.
    let exporter = match &metrics_listener {
        Some(_) => Some(crate::metrics::install(config.database_url.backend())?),
        None => None,
    };
    let state = crate::app::prepare(config).await?;

    // Written, not println!: a closed standard output must not stop the server.
    let mut out = std::io::stdout();
    if let Some((email, password)) = crate::app::ensure_admin(&state.db).await? {
        // On the console only, never in the logs.
        let _ = writeln!(
            out,
            "Chưa có quản trị viên; đã tạo tài khoản {email} với mật khẩu dùng một lần: {password}\n\
             Đăng nhập tại http://{local}/dang-nhap và đổi mật khẩu ngay."
        );
    }
    let _ = writeln!(out, "Loa đang chạy tại http://{local}/");
    if state.config.base_url.as_str() != format!("http://{local}/") {
        let _ = writeln!(out, "Địa chỉ công khai: {}", state.config.base_url);
    }
    if let Some(l) = &metrics_listener {
        let _ = writeln!(
            out,
            "Số liệu Prometheus tại http://{}/metrics",
            l.local_addr()?
        );
    }
    let _ = out.flush();

    let jobs = crate::jobs::start_beating(
        state.db.clone(),
        state.config.clone(),
        state.scheduler.clone(),
    )
    .await?;
    let (stop, stopping) = watch::channel(false);
    let mut site = tokio::spawn(crate::app::serve(
        listener,
        state.clone(),
        stopped(stopping.clone()),
    ));
    let metrics = match (metrics_listener, exporter) {
        (Some(l), Some(handle)) => {
            let router = crate::http::metrics::router(handle, state.db.clone());
            let serve = axum::serve(l, router).with_graceful_shutdown(stopped(stopping));
            Some(tokio::spawn(async move { serve.await }))
        }
        _ => None,
    };

    let early = tokio::select! {
        result = &mut site => Some(result),
        () = signal() => None,
    };
    let signalled = Instant::now();
    let _ = stop.send(true);
    let mut failure = None;
    match early {
        Some(result) => failure = Some(flatten(result)),
        None => {
            tracing::info!("stopping: new connections refused, finishing the requests in flight");
            match timeout_at(signalled + DRAIN, &mut site).await {
                Ok(result) => failure = Some(flatten(result)).filter(|r| r.is_err()),
                Err(_) => {
                    tracing::warn!(
                        seconds = DRAIN.as_secs(),
                        "requests still running at the drain deadline were cut off"
                    );
                    site.abort();
                }
            }
        }
    }
    if let Some(m) = metrics {
        m.abort();
    }
    if timeout_at(signalled + DEADLINE, jobs.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "a job run was still going at the deadline; it runs again at the next start"
        );
    }
    let _ = timeout_at(
        signalled + DEADLINE + Duration::from_millis(500),
        state.db.close(),
    )
    .await;
    tracing::info!("stopped");
    match failure {
        Some(Err(e)) => Err(e),
        _ => Ok(()),
    }
}

async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("không mở được cổng {addr}"))
}

/// Resolves once the stop flag is raised.
async fn stopped(mut flag: watch::Receiver<bool>) {
    let _ = flag.wait_for(|stop| *stop).await;
}

fn flatten(result: Result<std::io::Result<()>, tokio::task::JoinError>) -> anyhow::Result<()> {
    result
        .context("the server task failed")?
        .context("the server stopped")
}

/// Ctrl-C or SIGTERM.
async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
