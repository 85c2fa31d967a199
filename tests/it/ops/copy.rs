//! `loa copy` both ways on the full SIPAS site with accounts, confirmations, revisions, media and
//! the audit log: SQLite → PostgreSQL → SQLite (and PostgreSQL → SQLite → PostgreSQL) gives back
//! every table row for row, and the two databases answer every page a crawl of the public site and
//! the admin finds with the same page.

use std::collections::{BTreeSet, VecDeque};

use loa::db::tables;

use super::site::populated;
use crate::fixtures::binary::{loa, text};
use crate::helpers::{attrs, repo_content, TestApp, TestDb};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_postgres_and_back() {
    let Some(postgres) = TestDb::postgres().await else {
        return;
    };
    round_trip(TestDb::sqlite(), postgres, TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_to_sqlite_and_back() {
    let (Some(first), Some(back)) = (TestDb::postgres().await, TestDb::postgres().await) else {
        return;
    };
    round_trip(first, TestDb::sqlite(), back).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_on_one_side_only_stops_the_copy() {
    let (from, to) = (TestDb::sqlite(), TestDb::sqlite());
    from.connect().await.close().await;
    let target = to.connect().await;
    target
        .pool()
        .execute(
            "create table bang_la (id integer primary key, ten text)",
            vec![],
        )
        .await
        .unwrap();
    target.close().await;
    let out = loa(&from, &["copy", "--from", &from.url, "--to", &to.url]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("chỉ ở đích: bang_la"), "{}", text(&out));
}

async fn round_trip(first: TestDb, other: TestDb, back: TestDb) {
    let source = populated(first).await;
    // A session known to the test, to read the admin pages of both databases as one person.
    let admin = source
        .state
        .db
        .pool()
        .fetch_i64("select min(id) from users where role = 'admin'", vec![])
        .await
        .unwrap();
    let lifetime = source.state.config.session_lifetime();
    let token = loa::db::sessions::create(&source.state.db, admin, "", loa::time::now(), lifetime)
        .await
        .unwrap();

    let out = loa(
        &source.db,
        &["copy", "--from", &source.db.url, "--to", &other.url],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Đã chép"), "{}", text(&out));
    // Never into a database that holds something.
    let again = loa(
        &source.db,
        &["copy", "--from", &source.db.url, "--to", &other.url],
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again).contains("không trống"), "{}", text(&again));

    let out = loa(
        &source.db,
        &["copy", "--from", &other.url, "--to", &back.url],
    );
    assert!(out.status.success(), "{}", text(&out));
    let back_db = back.connect().await;
    let (before, after) = (
        tables::dump(&source.state.db).await.unwrap(),
        tables::dump(&back_db).await.unwrap(),
    );
    // Each copy moves the public pages' generation one past the copied one, so that a server
    // already running on the target drops its pages: the one row that differs.
    let generation = loa::db::page_generation::current;
    assert_eq!(
        generation(&back_db).await.unwrap(),
        generation(&source.state.db).await.unwrap() + 2
    );
    back_db.close().await;
    assert_eq!(names(&before), names(&after));
    for ((table, rows), (_, copied)) in before.iter().zip(&after) {
        if table.name != "page_generation" {
            assert_eq!(rows, copied, "table {} after the round trip", table.name);
        }
    }

    // The other database serves the same site (the media folder moves as it is), and takes new
    // rows after the copied ids.
    copy_dir(
        &source.db.dir.path().join("data/media"),
        &other.dir.path().join("data/media"),
    );
    let copy = TestApp::spawn(other, &repo_content()).await;
    compare_pages(&source, &copy, &token).await;
    let max = source
        .state
        .db
        .pool()
        .fetch_i64("select max(id) from users", vec![])
        .await
        .unwrap();
    let id = copy
        .create_user(
            "moi@loa.test",
            "Người Mới",
            loa::account::Role::Employee,
            None,
            false,
        )
        .await;
    assert_eq!(id, max + 1, "the identity sequence follows the copied ids");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

fn names(dump: &[(tables::Table, tables::Rows)]) -> Vec<&str> {
    dump.iter().map(|(t, _)| t.name.as_str()).collect()
}

/// Crawls both sites from the same starting points, as an anonymous visitor and as the admin,
/// and compares every page's status and body, masked where two servers must differ: their own
/// address and an anonymous visitor's CSRF token.
async fn compare_pages(a: &TestApp, b: &TestApp, admin_token: &str) {
    let starts = [
        "/",
        "/chu-de",
        "/tim-kiem?q=hai+long",
        "/feed.xml",
        "/sitemap.xml",
        "/robots.txt",
        "/bao-ve-du-lieu-ca-nhan",
        "/bai-viet/co-so-phap-ly-sipas",
        "/admin",
        "/can-xac-nhan",
        "/thong-bao",
    ];
    let mut compared = 0;
    for cookie in [None, Some(format!("loa_session={admin_token}"))] {
        let mut queue: VecDeque<String> = starts.iter().map(|s| (*s).to_owned()).collect();
        let mut seen: BTreeSet<String> = queue.iter().cloned().collect();
        while let Some(path) = queue.pop_front() {
            let (status_a, body_a) = fetch(a, &path, cookie.as_deref()).await;
            let (status_b, body_b) = fetch(b, &path, cookie.as_deref()).await;
            assert_eq!(status_a, status_b, "status of {path}");
            // Stored texts (reminders) name the address of the server that wrote them.
            let bases = [a.base.as_str(), b.base.as_str()];
            let (masked_a, masked_b) = (mask(&body_a, &bases), mask(&body_b, &bases));
            if let Some((n, (x, y))) = masked_a
                .lines()
                .zip(masked_b.lines())
                .enumerate()
                .find(|(_, (x, y))| x != y)
            {
                panic!("{path}, line {}:\n  {x}\n  {y}", n + 1);
            }
            assert_eq!(masked_a, masked_b, "body of {path}");
            compared += 1;
            for link in attrs(&body_a, "a[href]", "href") {
                let link = link.split('#').next().unwrap_or_default().to_owned();
                if follow(&link) && seen.len() < 400 && seen.insert(link.clone()) {
                    queue.push_back(link);
                }
            }
        }
    }
    eprintln!("copy: {compared} pages identical on both databases");
    assert!(compared > 60, "only {compared} pages compared");
}

/// Local pages only; not the static files (the same bytes in one binary), not downloads, not
/// the sign-out form's target.
fn follow(link: &str) -> bool {
    link.starts_with('/')
        && !link.starts_with("//")
        && !link.starts_with("/static/")
        && !link.contains("xuat")
        && !link.contains("dang-xuat")
}

async fn fetch(app: &TestApp, path: &str, cookie: Option<&str>) -> (u16, String) {
    let mut request = app.client.get(format!("{}{path}", app.base));
    if let Some(c) = cookie {
        request = request.header("cookie", c);
    }
    let r = request.send().await.expect("the server answers");
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    let body = r.text().await.unwrap_or_default();
    (status, location.unwrap_or(body))
}

/// The servers' addresses, the QR codes that encode them (a poster's) and 64-hex-digit tokens (an
/// anonymous visitor's CSRF token) become placeholders.
fn mask(body: &str, bases: &[&str]) -> String {
    let body = bases
        .iter()
        .fold(body.to_owned(), |b, base| b.replace(base, "BASE"));
    let body = body
        .lines()
        .map(|line| {
            if line.contains("<svg class=\"qr\"") {
                "QR"
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = String::with_capacity(body.len());
    let mut run = String::new();
    for c in body.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_hexdigit() {
            run.push(c);
            continue;
        }
        if run.len() == 64 {
            out.push_str("TOKEN");
        } else {
            out.push_str(&run);
        }
        run.clear();
        out.push(c);
    }
    out.pop();
    out
}
