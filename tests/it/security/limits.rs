//! Bodies before authentication: multipart only on the upload routes and only once the session,
//! the origin and the role allow it; small limits for public forms; a slow client cut off; a
//! concurrency limit.

use std::time::Duration;

use futures_util::StreamExt;

use loa::account::Role;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::app_with;
use crate::db_tests;
use crate::helpers::{Browser, TestDb};

db_tests!(
    multipart_is_refused_outside_the_upload_routes,
    an_upload_is_not_read_before_the_role_is_known,
    forms_have_body_limits,
    a_slow_client_is_cut_off,
    a_client_sending_its_headers_slowly_is_cut_off,
    requests_beyond_the_concurrency_limit_wait,
);

/// A body that sends `first` and then nothing, ever (the connection stays open).
fn stalled_body(first: &'static str) -> reqwest::Body {
    let chunks = futures_util::stream::once(async move { Ok::<_, std::io::Error>(first) })
        .chain(futures_util::stream::pending());
    reqwest::Body::wrap_stream(chunks)
}

/// POSTs `body` as a same-origin form with `content_type`; the response, unless none came within
/// `within`.
async fn post_body(
    b: &Browser,
    path: &str,
    content_type: &str,
    body: reqwest::Body,
    within: Duration,
) -> Option<reqwest::Response> {
    let send = b
        .client
        .post(format!("{}{path}", b.base))
        .header("sec-fetch-site", "same-origin")
        .header("origin", &b.base)
        .header("content-type", content_type)
        .body(body)
        .send();
    tokio::time::timeout(within, send)
        .await
        .ok()
        .map(|r| r.unwrap())
}

const MULTIPART: &str = "multipart/form-data; boundary=X";

/// POSTs a multipart body that never ends past its first boundary: an answer proves the server
/// did not wait to read it.
async fn post_stalled_multipart(b: &Browser, path: &str) -> reqwest::Response {
    post_body(
        b,
        path,
        MULTIPART,
        stalled_body("--X\r\n"),
        Duration::from_secs(5),
    )
    .await
    .unwrap_or_else(|| panic!("{path}: no answer; the body was being read"))
}

async fn multipart_is_refused_outside_the_upload_routes(db: TestDb) {
    let app = app_with(db, |_| {}).await;
    let editor = app.signed_in(Role::Editor).await;
    let anonymous = app.browser();
    // The body never ends: an answer proves it was not read.
    for (b, path) in [
        (&anonymous, "/dang-nhap"),
        (&anonymous, "/bai-viet/bai/nguoi-dan-xac-nhan"),
        (&editor, "/admin/bai-viet/moi"),
        (&editor, "/dang-xuat"),
    ] {
        let r = post_stalled_multipart(b, path).await;
        assert_eq!(r.status(), 415, "{path}");
    }
    // Still signed in: the refused sign-out did nothing.
    editor.page("/admin", 200).await;
}

async fn an_upload_is_not_read_before_the_role_is_known(db: TestDb) {
    let app = app_with(db, |_| {}).await;
    let employee = app.signed_in(Role::Employee).await;
    let anonymous = app.browser();
    for (b, path, status) in [
        (&employee, "/admin/anh", 403),
        (&anonymous, "/admin/anh", 303),
        (&employee, "/admin/nguoi-dung/nhap", 403),
    ] {
        let r = post_stalled_multipart(b, path).await;
        assert_eq!(r.status(), status, "{path}");
    }
    // A writer's upload without the session's token is refused by the handler.
    let author = app.signed_in(Role::Author).await;
    let form = reqwest::multipart::Form::new()
        .text("alt", "Ảnh")
        .part(
            "file",
            reqwest::multipart::Part::bytes(vec![1, 2, 3]).file_name("a.png"),
        )
        .text("csrf", "0".repeat(64));
    let r = author
        .client
        .post(format!("{}/admin/anh", app.base))
        .header("sec-fetch-site", "same-origin")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

async fn forms_have_body_limits(db: TestDb) {
    let app = app_with(db, |_| {}).await;
    let big = "x".repeat(100 * 1024);
    let r = app
        .browser()
        .post("/dang-nhap", &[("email", "a@loa.test"), ("password", &big)])
        .await;
    assert_eq!(r.status(), 413, "a public form above 64 kB");
    let employee = app.signed_in(Role::Employee).await;
    let r = employee.post("/dang-xuat", &[("x", &big)]).await;
    assert_eq!(r.status(), 413, "a staff form above 64 kB");
    // An admin form takes a long article (above 64 kB, within the Markdown body cap).
    let editor = app.signed_in(Role::Editor).await;
    let body = "Đoạn văn dài. ".repeat(25_000);
    assert!((64 * 1024..loa::markdown::MAX_BODY_BYTES).contains(&body.len()));
    let r = editor
        .post("/admin/bai-viet/xem-truoc", &[("body", body.as_str())])
        .await;
    assert_eq!(r.status(), 200);
    // Beyond the largest upload, refused from its Content-Length alone: the body never comes.
    // (Sending it would race the server's close against the client's writes: a broken pipe.)
    let send = editor
        .client
        .post(format!("{}/admin/bai-viet/xem-truoc", editor.base))
        .header("sec-fetch-site", "same-origin")
        .header("origin", &editor.base)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("content-length", 9 * 1024 * 1024)
        .body(stalled_body(""))
        .send();
    let r = tokio::time::timeout(Duration::from_secs(10), send)
        .await
        .expect("refused before the body")
        .unwrap();
    assert_eq!(r.status(), 413);
}

async fn a_slow_client_is_cut_off(db: TestDb) {
    let app = app_with(db, |raw| raw.request_timeout_secs = Some(1)).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /dang-nhap HTTP/1.1\r\nHost: {addr}\r\nSec-Fetch-Site: same-origin\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // One byte every 200 ms: never idle long enough for the body timeout, but never done.
    let (mut read, mut write) = stream.into_split();
    let trickle = tokio::spawn(async move {
        for _ in 0..1000 {
            if write.write_all(b"a").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let mut answer = vec![0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(20), read.read(&mut answer))
        .await
        .expect("the server answers the slow client")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]).into_owned();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    trickle.abort();
}

async fn a_client_sending_its_headers_slowly_is_cut_off(db: TestDb) {
    let app = app_with(db, |raw| raw.header_timeout_secs = Some(1)).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let started = tokio::time::Instant::now();
    // One client trickles a header byte every 200 ms, another stops after half a request line:
    // neither ever finishes its headers, and no body or request timeout has started yet.
    let trickling = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (mut trickling, mut write) = trickling.into_split();
    write
        .write_all(format!("GET / HTTP/1.1\r\nHost: {addr}\r\nX-A: ").as_bytes())
        .await
        .unwrap();
    let trickle = tokio::spawn(async move {
        for _ in 0..1000 {
            if write.write_all(b"a").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let mut stalled = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stalled.write_all(b"GET /bai-vi").await.unwrap();
    // Meanwhile, others are served.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    for (name, read) in [
        (
            "trickling",
            &mut trickling as &mut (dyn tokio::io::AsyncRead + Unpin + Send),
        ),
        ("stalled", &mut stalled),
    ] {
        let mut answer = vec![0u8; 64];
        let ended = tokio::time::timeout(Duration::from_secs(8), read.read(&mut answer))
            .await
            .unwrap_or_else(|_| panic!("the {name} client is still connected"));
        // Closed without an answer: there is no request to answer.
        assert!(matches!(ended, Ok(0) | Err(_)), "{name}: {ended:?}");
    }
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "cut off before the timeout"
    );
    trickle.abort();
}

async fn requests_beyond_the_concurrency_limit_wait(db: TestDb) {
    let app = app_with(db, |raw| raw.max_concurrent_requests = Some(1)).await;
    let b = app.browser();
    // One request holds the only slot: its body never ends.
    let holder = {
        let b = Browser {
            client: b.client.clone(),
            base: b.base.clone(),
        };
        tokio::spawn(async move {
            post_body(
                &b,
                "/dang-nhap",
                "application/x-www-form-urlencoded",
                stalled_body("email=a"),
                Duration::from_secs(60),
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let waiting = tokio::time::timeout(Duration::from_millis(700), app.get("/healthz")).await;
    assert!(waiting.is_err(), "answered while the only slot was taken");
    // The holder goes away; the slot frees and the next request is served.
    holder.abort();
    let r = tokio::time::timeout(Duration::from_secs(15), app.get("/healthz"))
        .await
        .expect("served once the slot is free");
    assert_eq!(r.status(), 200);
}
