//! An orderly stop on SIGTERM and on Ctrl-C (SIGINT): with a citizen's confirmation still
//! arriving byte by byte, the server refuses new connections at once, finishes that request with
//! its success answer, records it, and exits 0 within ten seconds; a job run in progress (e-mail
//! reminders through a slow relay) finishes first.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::site::{CITIZEN_ARTICLE, LOCALITY};
use crate::db_tests;
use crate::fixtures::binary::{content_with_recent_notice, Server};
use crate::fixtures::smtp::SmtpServer;
use crate::helpers::TestDb;

db_tests!(
    sigterm_finishes_a_slow_request,
    ctrl_c_finishes_a_slow_request,
    a_running_job_finishes_before_the_exit,
);

async fn sigterm_finishes_a_slow_request(db: TestDb) {
    stops_in_order(db, "TERM").await;
}

async fn ctrl_c_finishes_a_slow_request(db: TestDb) {
    stops_in_order(db, "INT").await;
}

async fn stops_in_order(db: TestDb, signal: &str) {
    let mut server = Server::start(&db, &[]);
    let addr = server.base.trim_start_matches("http://").to_owned();
    let body = format!(
        "name=Ng%C6%B0%E1%BB%9Di+Ch%E1%BA%ADm&phone=0916000001&locality={LOCALITY}\
         &consent=on"
    );
    let (first, rest) = body.split_at(body.len() / 2);
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    write!(
        slow,
        "POST /bai-viet/{CITIZEN_ARTICLE}/nguoi-dan-xac-nhan HTTP/1.1\r\nHost: {addr}\r\n\
         Origin: {base}\r\nSec-Fetch-Site: same-origin\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len}\r\n\r\n{first}",
        base = server.base,
        len = body.len()
    )
    .unwrap();
    slow.flush().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    server.signal(signal);
    let signalled = Instant::now();
    // New connections are refused while the slow request is still being received.
    let refused = wait_until(Duration::from_secs(3), || {
        TcpStream::connect(&addr).is_err()
    });
    assert!(refused, "still accepting connections after the signal");
    assert!(
        server.wait(Duration::from_millis(500)).is_none(),
        "exited with a request in flight"
    );

    slow.write_all(rest.as_bytes()).unwrap();
    let mut answer = String::new();
    slow.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 303"),
        "the request in flight was answered: {answer}"
    );
    assert!(answer.contains(&format!("/bai-viet/{CITIZEN_ARTICLE}/cam-on")));

    let status = server
        .wait(Duration::from_secs(10).saturating_sub(signalled.elapsed()))
        .expect("stopped within 10 s of the signal");
    assert!(status.success(), "exit status {status}");
    let pool = db.connect().await;
    let recorded = pool
        .pool()
        .fetch_i64(
            "select count(*) from citizens where contact_key = '+84916000001'",
            vec![],
        )
        .await
        .unwrap();
    pool.close().await;
    assert_eq!(
        recorded, 1,
        "the confirmation finished during shutdown is kept"
    );
}

/// The reminders caught up at start go through a relay that takes two seconds to greet; a
/// SIGTERM in the middle waits for them, and the reminder log says "sent", not "interrupted".
async fn a_running_job_finishes_before_the_exit(db: TestDb) {
    let smtp = SmtpServer::start_slow(Duration::from_secs(2)).await;
    let url = smtp.url();
    let content = content_with_recent_notice();
    let dir = content.path().to_str().unwrap().to_owned();
    let mut server = Server::start(
        &db,
        &[
            ("LOA_SMTP_URL", url.as_str()),
            ("LOA_REMINDER_TIME", "00:00"),
            ("LOA_CONTENT_DIR", &dir),
        ],
    );
    // The first administrator is in the recent notice's audience: one e-mail to send.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(smtp.messages().is_empty(), "the relay is still greeting");
    server.signal("TERM");
    let signalled = Instant::now();
    let status = server
        .wait(Duration::from_secs(10))
        .expect("stopped within 10 s of the signal");
    assert!(status.success(), "exit status {status}");
    assert!(
        signalled.elapsed() > Duration::from_secs(1),
        "did not wait for the job"
    );
    assert_eq!(smtp.messages().len(), 1, "the e-mail went out");
    let sent = db
        .scalar("select count(*) from ack_reminders where channel = 'email' and outcome = 'sent'")
        .await;
    assert_eq!(sent, 1);
}

fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}
