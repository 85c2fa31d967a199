//! `loa seed-demo`: realistic volumes for dashboards, demonstrations and benchmarks — units in a
//! three-level tree, employees (one head per unit, a few deactivated), published articles with
//! acknowledgment settings gathered in a campaign, staff confirmations spread over the period
//! (some late, some never), and citizens' confirmations over the localities.
//!
//! Everything is written in one transaction with multi-row inserts ([`batch`]), so 5,000
//! employees and 100,000 citizens take seconds. It refuses a database that has real accounts
//! (anyone but the first administrator and earlier demo accounts) unless forced, and a database
//! already holding demo data. The random choices come from a seed: the same options give the
//! same data.

mod batch;
mod people;

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::ack::{self, AckSettings, Renewal, StaffAudience};
use crate::article::{ArticleInput, ArticleStatus};
use crate::campaign::{CampaignFields, RawCampaign};
use crate::db::page_generation::Change;
use crate::db::{self, Db, DbError, Tx};
use crate::markdown::Body;
use crate::params;
use crate::slug::Slug;

/// Demo accounts' e-mails end with this (a reserved top-level domain: nothing is ever sent).
pub const EMAIL_DOMAIN: &str = "demo.loa.invalid";
/// The campaign that gathers the demo articles.
pub const CAMPAIGN_SLUG: &str = "chien-dich-mau";

/// What to generate.
#[derive(Clone, Debug)]
pub struct Options {
    pub units: usize,
    pub employees: usize,
    pub citizens: usize,
    pub articles: usize,
    /// Also on a database with real accounts.
    pub force: bool,
    /// The seed of every random choice.
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            units: 40,
            employees: 5_000,
            citizens: 100_000,
            articles: 20,
            force: false,
            seed: 2018,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "cơ sở dữ liệu đã có {0} tài khoản thật; dữ liệu mẫu sẽ lẫn vào số liệu thật — \
         dùng một cơ sở dữ liệu riêng, hoặc thêm --force nếu chắc chắn"
    )]
    RealUsers(i64),
    #[error("cơ sở dữ liệu đã có dữ liệu mẫu (tài khoản @{EMAIL_DOMAIN}); không tạo thêm")]
    AlreadySeeded,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// What was written.
#[derive(Clone, Debug, Default)]
pub struct Seeded {
    pub units: usize,
    pub employees: usize,
    pub articles: usize,
    pub staff_confirmations: usize,
    pub citizen_confirmations: usize,
    /// Every demo account's password (shown once by the command).
    pub password: String,
    /// A unit head's e-mail, to try the scoped pages.
    pub head_email: String,
}

impl Options {
    fn check(&self) -> Result<(), DemoError> {
        let bad = |what: &str| Err(DemoError::Invalid(what.to_owned()));
        if !(3..=2_000).contains(&self.units) {
            return bad("--units phải từ 3 đến 2000 (ba cấp đơn vị)");
        }
        if self.employees < self.units || self.employees > 500_000 {
            return bad("--employees phải từ số đơn vị đến 500000");
        }
        if self.citizens > 5_000_000 {
            return bad("--citizens tối đa 5000000");
        }
        if !(1..=500).contains(&self.articles) {
            return bad("--articles phải từ 1 đến 500");
        }
        Ok(())
    }
}

/// Refuses what must not be mixed with demo data; returns nothing when the database may take it.
pub async fn check_database(db: &Db, force: bool) -> Result<(), DemoError> {
    let demo = format!("%@{EMAIL_DOMAIN}");
    let mut pool = db.pool();
    if pool
        .fetch_i64(
            "select count(*) from users where email like $1",
            params![demo.as_str()],
        )
        .await?
        > 0
    {
        return Err(DemoError::AlreadySeeded);
    }
    let real = pool
        .fetch_i64(
            "select count(*) from users where email <> $1",
            params![crate::app::FIRST_ADMIN_EMAIL],
        )
        .await?;
    if real > 0 && !force {
        return Err(DemoError::RealUsers(real));
    }
    Ok(())
}

/// Generates the demo data in one transaction, as of `now`.
pub async fn seed(db: &Db, o: &Options, now: DateTime<Utc>) -> Result<Seeded, DemoError> {
    o.check()?;
    check_database(db, o.force).await?;
    let mut rng = StdRng::seed_from_u64(o.seed);
    let password = people::password(&mut rng);
    let hash = people::password_hash(&password).await?;
    let started = std::time::Instant::now();
    let step = |what: &str| {
        tracing::debug!(
            step = what,
            ms = started.elapsed().as_millis() as u64,
            "seed-demo"
        )
    };
    let mut tx = db.begin().await?;
    let localities = ensure_localities(&mut tx, now).await?;
    let units = people::insert_units(&mut tx, o.units, now).await?;
    step("units");
    let staff =
        people::insert_employees(&mut tx, &units, o.employees, &hash, &mut rng, now).await?;
    step("employees");
    let articles = insert_articles(&mut tx, o.articles, &units, &mut rng, now).await?;
    insert_campaign(&mut tx, &articles, o.citizens, now).await?;
    step("articles");
    let staff_confirmations =
        people::insert_staff_confirmations(&mut tx, &units, &staff, &articles, &mut rng, now)
            .await?;
    step("staff confirmations");
    people::insert_citizens(&mut tx, &articles, &localities, o.citizens, &mut rng, now).await?;
    step("citizens");
    // New articles and counts: running servers on this database drop their pages.
    db::page_generation::bump(&mut tx, &Change::Everything, "seed-demo", now).await?;
    tx.commit().await?;
    step("commit");
    Ok(Seeded {
        units: units.len(),
        employees: staff.len(),
        articles: articles.len(),
        staff_confirmations,
        citizen_confirmations: o.citizens,
        password,
        head_email: staff
            .iter()
            .find(|p| p.is_head && units[p.unit].depth == 1)
            .map(|p| p.email.clone())
            .unwrap_or_default(),
    })
}

/// A locality citizens pick, with its popularity.
pub struct Locality {
    pub id: i64,
    pub slug: String,
    pub weight: f64,
}

/// The site's localities, or ten generic ones on a database that has none.
async fn ensure_localities(tx: &mut Tx, now: DateTime<Utc>) -> Result<Vec<Locality>, DbError> {
    #[derive(sqlx::FromRow)]
    struct L {
        id: i64,
        slug: String,
    }
    let sql = "select id, slug from localities order by position, id";
    let mut found: Vec<L> = tx.fetch_all(sql, vec![]).await?;
    if found.is_empty() {
        let rows = (1..=10_i64)
            .map(|i| {
                params![
                    format!("dia-ban-mau-{i}"),
                    format!("Địa bàn mẫu {i}"),
                    i,
                    now,
                    now
                ]
            })
            .collect();
        batch::insert(
            tx,
            "insert into localities (slug, name, position, created_at, updated_at) values",
            "(?, ?, ?, ?, ?)",
            rows,
        )
        .await?;
        found = tx.fetch_all(sql, vec![]).await?;
    }
    // Some districts are far busier than others (1/rank).
    Ok(found
        .into_iter()
        .enumerate()
        .map(|(i, l)| Locality {
            id: l.id,
            slug: l.slug,
            weight: 1.0 / (i + 1) as f64,
        })
        .collect())
}

/// A demo article as the generators need it.
pub struct Article {
    pub id: i64,
    pub published: DateTime<Utc>,
    pub due: DateTime<Utc>,
    /// `None`: all staff; else the index of the audience unit (with its subtree).
    pub unit: Option<usize>,
    pub text_hash: String,
}

/// The first day of the demo campaign: articles appear over the following weeks.
fn period_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::days(120)
}

async fn insert_articles(
    tx: &mut Tx,
    n: usize,
    units: &[people::Unit],
    rng: &mut StdRng,
    now: DateTime<Utc>,
) -> Result<Vec<Article>, DemoError> {
    let start = period_start(now);
    let upper: Vec<usize> = (0..units.len()).filter(|&i| units[i].depth < 2).collect();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        // Spread over the first 100 days, so the last ones are still within their due period.
        let published = start + Duration::hours((i as i64 * 100 * 24) / n as i64);
        let title = format!("Tài liệu mẫu số {:02}: {}", i + 1, people::topic(i));
        let slug =
            Slug::parse(&format!("tai-lieu-mau-{:02}", i + 1)).map_err(anyhow::Error::from)?;
        let body = format!(
            "Tài liệu mẫu do `loa seed-demo` tạo để thử bảng theo dõi.\n\n## Nội dung\n\n{}\n",
            people::paragraph(rng)
        );
        let input = ArticleInput {
            slug,
            title,
            summary: "Tài liệu mẫu cần cán bộ và người dân xác nhận đã đọc.".to_owned(),
            // A paragraph: rendering it in the demo's one transaction costs nothing.
            body: Body::new(body).map_err(anyhow::Error::from)?,
            topics: vec!["Dữ liệu mẫu".to_owned()],
            status: ArticleStatus::Published,
            featured: false,
            cover: None,
            cover_alt: None,
            publish_at: Some(published),
            unpublish_at: None,
            meta_description: String::new(),
        };
        let id = db::articles::insert(tx, &input, now).await?;
        db::search::index_article(tx, id).await?;
        // Every third article is for all staff, the others for one upper unit and its subtree.
        let unit = (i % 3 != 0).then(|| upper[rng.gen_range(0..upper.len())]);
        let due = published + Duration::days(14);
        let settings = AckSettings {
            staff: match unit {
                None => StaffAudience::All,
                Some(u) => StaffAudience::Units(vec![units[u].slug.clone()]),
            },
            citizens: true,
            due: Some(due),
            statement: ack::DEFAULT_STATEMENT.to_owned(),
            closes: None,
            renewal: Renewal::None,
        };
        let unit_ids: Vec<i64> = unit.map(|u| units[u].id).into_iter().collect();
        db::ack_settings::save(tx, id, &settings, &unit_ids, now).await?;
        db::ack_settings::ensure_version(tx, id, None, published).await?;
        #[derive(sqlx::FromRow)]
        struct Hash {
            text_hash: String,
        }
        let stored: Hash = tx
            .fetch_optional(
                "select text_hash from ack_versions where article_id = $1 and version = 1",
                params![id],
            )
            .await?
            .ok_or_else(|| anyhow::anyhow!("version 1 of a published article"))?;
        out.push(Article {
            id,
            published,
            due,
            unit,
            text_hash: stored.text_hash,
        });
    }
    Ok(out)
}

async fn insert_campaign(
    tx: &mut Tx,
    articles: &[Article],
    citizens: usize,
    now: DateTime<Utc>,
) -> Result<(), DemoError> {
    let day = |t: DateTime<Utc>| {
        t.with_timezone(&crate::time::vietnam())
            .format("%Y-%m-%d")
            .to_string()
    };
    let fields = CampaignFields::try_from(RawCampaign {
        slug: CAMPAIGN_SLUG.to_owned(),
        name: "Chiến dịch mẫu".to_owned(),
        description: "Dữ liệu mẫu do loa seed-demo tạo.".to_owned(),
        starts_on: day(period_start(now)),
        ends_on: day(now + Duration::days(60)),
        staff_target_percent: "100".to_owned(),
        citizen_target: citizens.to_string(),
        is_public: true,
    })
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let id = db::campaigns::insert(tx, &fields, now).await?;
    let ids: Vec<i64> = articles.iter().map(|a| a.id).collect();
    db::campaigns::set_articles(tx, id, &ids).await?;
    Ok(())
}

/// A time between `from` and `to`, more often early (people confirm soon after publication).
fn early_time(rng: &mut StdRng, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
    let span = (to - from).num_seconds().max(1) as f64;
    let u: f64 = rng.gen();
    from + Duration::seconds((span * u * u) as i64)
}

/// Per-unit lists of the units below each one (itself included), by index.
fn subtrees(units: &[people::Unit]) -> Vec<Vec<usize>> {
    let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, u) in units.iter().enumerate() {
        if let Some(p) = u.parent {
            children.entry(p).or_default().push(i);
        }
    }
    (0..units.len())
        .map(|root| {
            let mut out = vec![root];
            let mut k = 0;
            while k < out.len() {
                out.extend(children.get(&out[k]).into_iter().flatten().copied());
                k += 1;
            }
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_checked() {
        assert!(Options::default().check().is_ok());
        let o = |units, employees| Options {
            units,
            employees,
            ..Options::default()
        };
        assert!(o(2, 100).check().is_err());
        assert!(o(40, 39).check().is_err());
        assert!(o(40, 40).check().is_ok());
    }

    #[test]
    fn early_times_stay_within_their_bounds() {
        let mut rng = StdRng::seed_from_u64(1);
        let from = crate::time::now();
        let to = from + Duration::days(10);
        for _ in 0..1000 {
            let t = early_time(&mut rng, from, to);
            assert!(t >= from && t <= to);
        }
    }
}
