//! The people of the demo data: units, employees, their confirmations, and citizens with theirs.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::Rng;

use super::{batch, early_time, subtrees, Article, Locality, EMAIL_DOMAIN};
use crate::db::{self, DbError, Tx};
use crate::params;
use crate::slug::Slug;

const FAMILY: [&str; 16] = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "Hồ", "Ngô", "Dương", "Lý",
];
const MIDDLE: [&str; 10] = [
    "Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Hoài", "Thu",
];
const GIVEN: [&str; 30] = [
    "An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Hương", "Khánh", "Lan",
    "Linh", "Long", "Mai", "Minh", "Nam", "Nga", "Phong", "Phương", "Quân", "Sơn", "Tâm", "Thảo",
    "Trang", "Trung", "Tuấn", "Vy", "Yến", "Đạt",
];
const TOPICS: [&str; 8] = [
    "quy chế văn hoá công sở",
    "cải cách hành chính",
    "chỉ số hài lòng của người dân",
    "dịch vụ công trực tuyến",
    "an toàn thông tin",
    "phòng chống tham nhũng",
    "tiếp công dân",
    "chuyển đổi số",
];

pub fn name(rng: &mut StdRng) -> String {
    format!(
        "{} {} {}",
        FAMILY[rng.gen_range(0..FAMILY.len())],
        MIDDLE[rng.gen_range(0..MIDDLE.len())],
        GIVEN[rng.gen_range(0..GIVEN.len())]
    )
}

pub fn topic(i: usize) -> &'static str {
    TOPICS[i % TOPICS.len()]
}

pub fn paragraph(rng: &mut StdRng) -> String {
    let words: Vec<&str> = (0..60)
        .map(|_| TOPICS[rng.gen_range(0..TOPICS.len())])
        .collect();
    format!("Nội dung về {}.", words.join(", "))
}

/// Sixteen random letters and digits, shared by every demo account.
pub fn password(rng: &mut StdRng) -> String {
    const CHARS: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    (0..16)
        .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
        .collect()
}

/// One argon2 hash for all: hashing 5,000 passwords would take minutes.
pub async fn password_hash(password: &str) -> anyhow::Result<String> {
    let email = crate::account::Email::parse(&format!("mau@{EMAIL_DOMAIN}"))?;
    let password = crate::account::NewPassword::parse(password, &email)?;
    crate::account::hash_password(&password).await
}

/// A demo unit: its row id, slug, depth (0 at the top) and parent's index.
pub struct Unit {
    pub id: i64,
    pub slug: String,
    pub depth: usize,
    pub parent: Option<usize>,
}

/// `n` units in three levels: a tenth at the top, three tenths below them, the rest below those.
pub async fn insert_units(tx: &mut Tx, n: usize, now: DateTime<Utc>) -> Result<Vec<Unit>, DbError> {
    let top = (n / 10).max(1);
    let middle = (n * 3 / 10).max(1).min(n - top - 1);
    let mut units: Vec<Unit> = Vec::with_capacity(n);
    let mut names: Vec<String> = Vec::with_capacity(n);
    let mut children: HashMap<usize, usize> = HashMap::new();
    for i in 0..n {
        let (depth, parent) = if i < top {
            (0, None)
        } else if i < top + middle {
            (1, Some((i - top) % top))
        } else {
            (2, Some(top + (i - top - middle) % middle))
        };
        let (slug, name) = match parent {
            None => (format!("mau-{}", i + 1), format!("Khối {}", i + 1)),
            Some(p) => {
                let k = children.entry(p).or_default();
                *k += 1;
                let number = format!("{}.{k}", names[p].split_once(' ').map_or("", |x| x.1));
                let kind = if depth == 1 { "Phòng" } else { "Tổ" };
                (format!("{}-{k}", units[p].slug), format!("{kind} {number}"))
            }
        };
        let input = db::units::UnitInput {
            slug: Slug::parse(&slug).expect("demo slugs are valid"),
            name: name.clone(),
            parent_id: parent.map(|p| units[p].id),
        };
        let id = db::units::insert(tx, &input, now).await?;
        units.push(Unit {
            id,
            slug,
            depth,
            parent,
        });
        names.push(name);
    }
    Ok(units)
}

/// A demo employee.
pub struct Person {
    pub id: i64,
    pub email: String,
    pub unit: usize,
    pub active: bool,
    pub is_head: bool,
}

/// `n` employees: the first of each unit heads it; the rest go mostly to the lower units; one
/// in a hundred has left (deactivated).
pub async fn insert_employees(
    tx: &mut Tx,
    units: &[Unit],
    n: usize,
    hash: &str,
    rng: &mut StdRng,
    now: DateTime<Utc>,
) -> Result<Vec<Person>, DbError> {
    let weights: Vec<usize> = units.iter().map(|u| u.depth + 1).collect();
    let total: usize = weights.iter().sum();
    let mut people = Vec::with_capacity(n);
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let is_head = i < units.len();
        let unit = if is_head {
            i
        } else {
            let mut pick = rng.gen_range(0..total);
            weights
                .iter()
                .position(|w| {
                    if pick < *w {
                        true
                    } else {
                        pick -= w;
                        false
                    }
                })
                .unwrap_or(0)
        };
        let active = is_head || !rng.gen_bool(0.01);
        let email = format!("nv{:05}@{EMAIL_DOMAIN}", i + 1);
        rows.push(params![
            email.as_str(),
            name(rng),
            units[unit].id,
            is_head,
            active,
            hash,
            now,
            now
        ]);
        people.push(Person {
            id: 0,
            email,
            unit,
            active,
            is_head,
        });
    }
    batch::insert(
        tx,
        "insert into users (email, name, unit_id, role, is_head, active, password_hash, \
         must_change_password, created_at, updated_at) values",
        "(?, ?, ?, 'employee', ?, ?, ?, false, ?, ?)",
        rows,
    )
    .await?;
    #[derive(sqlx::FromRow)]
    struct Id {
        id: i64,
        email: String,
    }
    let ids: HashMap<String, i64> = tx
        .fetch_all::<Id>(
            "select id, email from users where email like $1",
            params![format!("%@{EMAIL_DOMAIN}")],
        )
        .await?
        .into_iter()
        .map(|r| (r.email, r.id))
        .collect();
    for p in &mut people {
        p.id = ids[&p.email];
    }
    Ok(people)
}

/// Most of each article's audience confirms: three in four on time, the rest after the due
/// date; about one in seven never does. Returns how many confirmations were written.
pub async fn insert_staff_confirmations(
    tx: &mut Tx,
    units: &[Unit],
    people: &[Person],
    articles: &[Article],
    rng: &mut StdRng,
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    let below = subtrees(units);
    let mut rows = Vec::new();
    for a in articles {
        let audience: Vec<usize> = match a.unit {
            None => (0..units.len()).collect(),
            Some(u) => below[u].clone(),
        };
        let mut in_audience = vec![false; units.len()];
        for u in audience {
            in_audience[u] = true;
        }
        for p in people.iter().filter(|p| p.active && in_audience[p.unit]) {
            if !rng.gen_bool(0.85) {
                continue;
            }
            let at = if now > a.due && rng.gen_bool(0.25) {
                early_time(rng, a.due, now)
            } else {
                early_time(rng, a.published, a.due.min(now))
            };
            rows.push(params![a.id, p.id, a.text_hash.as_str(), p.id, at]);
        }
    }
    let n = rows.len();
    batch::insert(
        tx,
        "insert into ack_events (article_id, version, kind, user_id, text_hash, actor_id, note, \
         seq, ip, created_at) values",
        "(?, 1, 'confirm', ?, ?, ?, '', 0, '', ?)",
        rows,
    )
    .await?;
    Ok(n)
}

/// `n` citizens, each confirming one article (older articles more often) from a locality
/// (the busiest first), with the anonymous counts the dashboards read.
pub async fn insert_citizens(
    tx: &mut Tx,
    articles: &[Article],
    localities: &[Locality],
    n: usize,
    rng: &mut StdRng,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let consent =
        crate::ack::text_hash("Dữ liệu mẫu do loa seed-demo tạo; không có lời đồng ý thật.");
    let age: Vec<f64> = articles
        .iter()
        .map(|a| (now - a.published).num_hours().max(1) as f64)
        .collect();
    let pick = |rng: &mut StdRng, weights: &[f64]| {
        let mut x = rng.gen_range(0.0..weights.iter().sum::<f64>());
        weights
            .iter()
            .position(|w| {
                x -= w;
                x < 0.0
            })
            .unwrap_or(weights.len() - 1)
    };
    let locality_weights: Vec<f64> = localities.iter().map(|l| l.weight).collect();
    let mut counts: HashMap<(i64, String, String), i64> = HashMap::new();
    const CHUNK: usize = 20_000;
    let mut done = 0;
    while done < n {
        let size = CHUNK.min(n - done);
        let mut citizens = Vec::with_capacity(size);
        let mut picks = HashMap::with_capacity(size);
        for k in done..done + size {
            let a = &articles[pick(rng, &age)];
            let l = &localities[pick(rng, &locality_weights)];
            let at = early_time(rng, a.published, now);
            let phone = format!("+849{k:08}");
            citizens.push(params![
                name(rng),
                phone.as_str(),
                phone.as_str(),
                l.id,
                consent.as_str(),
                at
            ]);
            *counts
                .entry((a.id, db::citizens::vietnam_day(at), l.slug.clone()))
                .or_default() += 1;
            picks.insert(phone, (a, at));
        }
        #[derive(sqlx::FromRow)]
        struct Citizen {
            id: i64,
            contact_key: String,
        }
        let ids: Vec<Citizen> = batch::insert_returning(
            tx,
            "insert into citizens (name, phone, email, contact_key, locality_id, \
             consent_text_hash, ip, created_at) values",
            "(?, ?, null, ?, ?, ?, '', ?)",
            citizens,
            "returning id, contact_key",
        )
        .await?;
        let events = ids
            .iter()
            .map(|c| {
                let (a, at) = picks[&c.contact_key];
                params![a.id, c.id, c.contact_key.as_str(), a.text_hash.as_str(), at]
            })
            .collect();
        batch::insert(
            tx,
            "insert into ack_events (article_id, version, kind, citizen_id, contact_key, \
             text_hash, seq, ip, created_at) values",
            "(?, 1, 'confirm', ?, ?, ?, 0, '', ?)",
            events,
        )
        .await?;
        done += size;
    }
    let rows = counts
        .into_iter()
        .map(|((article, day, locality), n)| params![article, day, locality, n])
        .collect();
    batch::insert(
        tx,
        "insert into ack_citizen_counts (article_id, day, locality, confirmations) values",
        "(?, ?, ?, ?)",
        rows,
    )
    .await?;
    Ok(())
}
