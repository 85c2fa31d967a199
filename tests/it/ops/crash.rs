//! Nothing accepted is lost: 2,000 staff and citizen confirmations are sent, many at a time, to
//! the real `loa serve`, which is killed with SIGKILL in the middle three times and started
//! again; what got no answer is sent again, as a person would. Every POST that was answered with
//! success must be in the database at the end, once, and SQLite's `integrity_check` must pass
//! after every kill.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use loa::account::{Email, NewPassword, Role};
use loa::db::{users, Db};
use loa::params;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::site::{CITIZEN_ARTICLE, LOCALITY, STAFF_ARTICLES};
use crate::db_tests;
use crate::fixtures::binary::Server;
use crate::helpers::{TestDb, PASSWORD};

db_tests!(nothing_accepted_is_lost_when_the_server_is_killed);

/// 500 employees × 2 articles, and 1,000 citizens: 2,000 confirmations.
const STAFF: usize = 500;
const CITIZENS: usize = 1000;
const ROUNDS: usize = 3;
const IN_FLIGHT: usize = 64;
const PER_ADDRESS: usize = 4;

#[derive(Clone, Debug)]
enum Post {
    Staff {
        user: i64,
        token: String,
        csrf: String,
        slug: &'static str,
    },
    Citizen {
        n: usize,
    },
}

impl Post {
    fn phone(n: usize) -> String {
        format!("0915{n:06}")
    }
}

#[derive(Debug, PartialEq)]
enum Answer {
    Accepted,
    Refused(u16),
    CutOff,
}

async fn nothing_accepted_is_lost_when_the_server_is_killed(db: TestDb) {
    let started = Instant::now();
    let posts = prepare(&db).await;
    assert_eq!(posts.len(), 2000);
    // Four confirmations per address stay within the per-address limit (five), even when one
    // is sent again after a lost answer.
    let citizen_clients: Arc<Vec<reqwest::Client>> = Arc::new(
        (0..CITIZENS.div_ceil(PER_ADDRESS))
            .map(|k| {
                client(Some(IpAddr::V4(Ipv4Addr::new(
                    127,
                    0,
                    3 + (k / 250) as u8,
                    (k % 250) as u8 + 1,
                ))))
            })
            .collect(),
    );
    let staff_client = client(None);
    let mut pending = posts.clone();
    let mut accepted = Vec::new();
    let (mut refused, mut cut_off, mut kills) = (0, 0, 0);
    // Each round sends what has not been answered yet, as a client would retry; the first
    // ROUNDS are cut by a SIGKILL once a quarter of all confirmations were answered in them.
    while !pending.is_empty() {
        let kill = kills < ROUNDS;
        let mut server = Server::start(&db, &[]);
        let base = Arc::new(server.base.clone());
        let pid = server.pid();
        let answered = Arc::new(AtomicUsize::new(0));
        let killer = kill.then(|| {
            let answered = answered.clone();
            let quarter = posts.len() / 4;
            tokio::spawn(async move {
                while answered.load(Ordering::SeqCst) < quarter {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                std::process::Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status()
                    .unwrap();
            })
        });
        let gate = Arc::new(Semaphore::new(IN_FLIGHT));
        let mut sent = JoinSet::new();
        for post in std::mem::take(&mut pending) {
            let permit = gate.clone().acquire_owned().await.unwrap();
            let (base, answered) = (base.clone(), answered.clone());
            let client = match &post {
                Post::Staff { .. } => staff_client.clone(),
                Post::Citizen { n } => citizen_clients[n / PER_ADDRESS].clone(),
            };
            sent.spawn(async move {
                let answer = send(&client, &base, &post).await;
                if answer == Answer::Accepted {
                    answered.fetch_add(1, Ordering::SeqCst);
                }
                drop(permit);
                (post, answer)
            });
        }
        let mut round_cut = 0;
        while let Some(done) = sent.join_next().await {
            let (post, answer) = done.unwrap();
            match answer {
                Answer::Accepted => accepted.push(post),
                Answer::Refused(status) => {
                    refused += 1;
                    eprintln!("refused with {status}: {post:?}");
                }
                Answer::CutOff => {
                    round_cut += 1;
                    pending.push(post);
                }
            }
        }
        if let Some(killer) = killer {
            killer.await.unwrap();
            assert!(server.wait(Duration::from_secs(5)).is_some());
            assert!(round_cut > 0, "the kill came after the last answer");
            kills += 1;
            check_integrity(&db).await;
        } else {
            assert_eq!(round_cut, 0, "no kill, no lost answer");
            server.signal("TERM");
            assert!(server
                .wait(Duration::from_secs(10))
                .is_some_and(|s| s.success()));
        }
        cut_off += round_cut;
    }
    assert_eq!(accepted.len(), posts.len());

    // Started again after the last kill: ready, and stopped in order.
    let mut server = Server::start(&db, &[]);
    let ready = reqwest::get(format!("{}/readyz", server.base))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    server.signal("TERM");
    let status = server
        .wait(Duration::from_secs(10))
        .expect("stops within 10 s");
    assert!(status.success());

    let pool = db.connect().await;
    let lost = lost(&pool, &accepted).await;
    let doubled = doubled(&pool).await;
    pool.close().await;
    check_integrity(&db).await;
    eprintln!(
        "crash test ({}): {} confirmations, {cut_off} answers cut off by {kills} SIGKILLs and \
         sent again, {} accepted, {refused} refused, {} lost, {doubled} recorded twice, {:.1} s",
        db.url.split(':').next().unwrap(),
        posts.len(),
        accepted.len(),
        lost.len(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(refused, 0, "every answer before a kill was a success");
    assert!(lost.is_empty(), "accepted but lost: {lost:?}");
    assert_eq!(doubled, 0, "a confirmation sent again is recorded once");
}

/// Confirmations recorded more than once for one person and article.
async fn doubled(db: &Db) -> i64 {
    db.pool()
        .fetch_i64(
            "select count(*) from (select article_id, user_id, contact_key from ack_events \
             where kind = 'confirm' group by article_id, user_id, contact_key \
             having count(*) > 1) d",
            vec![],
        )
        .await
        .unwrap()
}

fn client(from: Option<IpAddr>) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30));
    if let Some(ip) = from {
        b = b.local_address(ip);
    }
    b.build().unwrap()
}

/// Employees with open sessions (written straight into the new database, as a sign-in would),
/// today's daily jobs marked done so that start-up work does not compete, and the posts.
async fn prepare(db: &TestDb) -> Vec<Post> {
    let pool = db.connect().await;
    let now = loa::time::now();
    for job in ["reminders", "citizen_purge"] {
        let day = loa::jobs::reminders::day_slot(now);
        loa::db::jobs::claim_tick(&pool, job, &day, "thu-nghiem", now)
            .await
            .unwrap();
    }
    let email = Email::parse("mau@loa.test").unwrap();
    let hash = loa::account::hash_password(&NewPassword::parse(PASSWORD, &email).unwrap())
        .await
        .unwrap();
    let mut tx = pool.begin().await.unwrap();
    let mut staff = Vec::new();
    for i in 0..STAFF {
        let new = users::NewUser {
            email: Email::parse(&format!("nv{i}@loa.test")).unwrap(),
            name: format!("Nhân Viên {i}"),
            unit_id: None,
            role: Role::Employee,
            is_head: false,
            password_hash: hash.clone(),
            must_change_password: false,
        };
        let id = users::insert(&mut tx, &new, now).await.unwrap();
        let (token, csrf) = (
            loa::db::sessions::new_token(),
            loa::db::sessions::new_token(),
        );
        tx.execute(
            "insert into sessions (id_hash, user_id, csrf_token, ip, created_at, last_seen_at, \
             expires_at) values ($1, $2, $3, '', $4, $4, $5)",
            params![
                loa::db::sessions::hash_token(&token),
                id,
                csrf.as_str(),
                now,
                now + chrono::Duration::days(1)
            ],
        )
        .await
        .unwrap();
        staff.push((id, token, csrf));
    }
    tx.commit().await.unwrap();
    pool.close().await;

    let mut staff_posts = staff.iter().flat_map(|(user, token, csrf)| {
        STAFF_ARTICLES.map(|slug| Post::Staff {
            user: *user,
            token: token.clone(),
            csrf: csrf.clone(),
            slug,
        })
    });
    let mut posts = Vec::new();
    for n in 0..CITIZENS {
        posts.push(Post::Citizen { n });
        posts.extend(staff_posts.next());
    }
    posts.extend(staff_posts);
    posts
}

async fn send(client: &reqwest::Client, base: &str, post: &Post) -> Answer {
    let (path, cookie, form, success) = match post {
        Post::Staff {
            token, csrf, slug, ..
        } => (
            format!("/bai-viet/{slug}/xac-nhan"),
            Some(format!("loa_session={token}")),
            vec![("csrf", csrf.clone())],
            format!("/bai-viet/{slug}#xac-nhan"),
        ),
        Post::Citizen { n } => (
            format!("/bai-viet/{CITIZEN_ARTICLE}/nguoi-dan-xac-nhan"),
            None,
            vec![
                ("name", format!("Người Dân {n}")),
                ("phone", Post::phone(*n)),
                ("locality", LOCALITY.to_owned()),
                ("consent", "on".to_owned()),
            ],
            format!("/bai-viet/{CITIZEN_ARTICLE}/cam-on"),
        ),
    };
    let mut request = client
        .post(format!("{base}{path}"))
        .header("origin", base)
        .header("sec-fetch-site", "same-origin");
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.form(&form).send().await;
    match response {
        Err(_) => Answer::CutOff,
        Ok(r) => {
            let to = r.headers().get("location").map(|l| l.to_str().unwrap());
            // A confirmation sent again after a lost answer may find itself recorded already:
            // it is answered like a first one.
            if r.status() == 303 && to.is_some_and(|t| t.starts_with(&success)) {
                Answer::Accepted
            } else {
                Answer::Refused(r.status().as_u16())
            }
        }
    }
}

/// The accepted posts whose confirmation is not in the database.
async fn lost(db: &Db, accepted: &[Post]) -> Vec<Post> {
    #[derive(sqlx::FromRow)]
    struct Staff {
        user_id: i64,
        slug: String,
    }
    #[derive(sqlx::FromRow)]
    struct Citizen {
        contact_key: String,
    }
    let staff: HashSet<(i64, String)> = db
        .pool()
        .fetch_all::<Staff>(
            "select e.user_id, a.slug from ack_events e join articles a on a.id = e.article_id \
             where e.kind = 'confirm' and e.user_id is not null",
            vec![],
        )
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.user_id, s.slug))
        .collect();
    let citizens: HashSet<String> = db
        .pool()
        .fetch_all::<Citizen>(
            "select contact_key from ack_events where kind = 'confirm' and contact_key is not null",
            vec![],
        )
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.contact_key)
        .collect();
    accepted
        .iter()
        .filter(|post| match post {
            Post::Staff { user, slug, .. } => !staff.contains(&(*user, (*slug).to_owned())),
            Post::Citizen { n } => {
                let key = loa::phone::Phone::parse(&Post::phone(*n)).unwrap();
                !citizens.contains(key.as_str())
            }
        })
        .cloned()
        .collect()
}

/// SQLite's own check of the file, with no server running.
async fn check_integrity(db: &TestDb) {
    if !db.url.starts_with("sqlite") {
        return;
    }
    #[derive(sqlx::FromRow)]
    struct Verdict {
        integrity_check: String,
    }
    let pool = db.connect().await;
    let verdict: Vec<Verdict> = pool
        .pool()
        .fetch_all("pragma integrity_check", vec![])
        .await
        .unwrap();
    pool.close().await;
    let lines: Vec<&str> = verdict.iter().map(|v| v.integrity_check.as_str()).collect();
    assert_eq!(lines, ["ok"]);
}
