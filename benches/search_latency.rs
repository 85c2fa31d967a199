//! How fast is search? Generates N published articles (default 10,000) of Vietnamese-like text
//! (syllables with tones, Zipf-distributed as in real prose), then runs 200 queries of one to
//! three words taken from article titles, half of them typed without diacritics, and reports the
//! median and p95 of what the search page does per query: candidates from the index, ranking, and
//! the first page's rows and snippets.
//!
//! cargo bench --bench search_latency
//! LOA_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench search_latency
//!
//! With LOA_BENCH_DATABASE_URL, a fresh PostgreSQL database is created there and dropped after.

mod common;

use std::time::Instant;

use loa::article::{ArticleInput, ArticleStatus};
use loa::slug::Slug;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const QUERIES: usize = 200;

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

/// Syllables: onset + rhyme with one of six tones on its first vowel.
fn vocabulary() -> Vec<String> {
    let onsets = [
        "", "b", "c", "ch", "d", "đ", "g", "h", "kh", "l", "m", "n", "ng", "nh", "ph", "qu", "s",
        "t", "th", "tr", "v", "x",
    ];
    let rhymes = [
        "a", "ai", "an", "ang", "anh", "ao", "am", "e", "em", "en", "i", "inh", "o", "oi", "on",
        "ong", "ô", "ôi", "ông", "ơ", "ơi", "u", "ui", "ung", "ư", "ưa", "ương", "uyên",
    ];
    let tones = |v: char| -> Option<[char; 6]> {
        Some(match v {
            'a' => ['a', 'à', 'á', 'ả', 'ã', 'ạ'],
            'e' => ['e', 'è', 'é', 'ẻ', 'ẽ', 'ẹ'],
            'i' => ['i', 'ì', 'í', 'ỉ', 'ĩ', 'ị'],
            'o' => ['o', 'ò', 'ó', 'ỏ', 'õ', 'ọ'],
            'ô' => ['ô', 'ồ', 'ố', 'ổ', 'ỗ', 'ộ'],
            'ơ' => ['ơ', 'ờ', 'ớ', 'ở', 'ỡ', 'ợ'],
            'u' => ['u', 'ù', 'ú', 'ủ', 'ũ', 'ụ'],
            'ư' => ['ư', 'ừ', 'ứ', 'ử', 'ữ', 'ự'],
            _ => return None,
        })
    };
    let mut out = Vec::new();
    for o in onsets {
        for r in rhymes {
            let first = r.chars().next().unwrap();
            for t in tones(first).unwrap() {
                out.push(format!("{o}{t}{}", &r[first.len_utf8()..]));
            }
        }
    }
    out
}

/// Picks word ranks with probability ∝ 1/rank (Zipf), as in natural text.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize) -> Zipf {
        let mut acc = 0.0;
        let cumulative = (1..=n)
            .map(|r| {
                acc += 1.0 / r as f64;
                acc
            })
            .collect();
        Zipf { cumulative }
    }
    fn pick(&self, rng: &mut StdRng) -> usize {
        let x = rng.gen::<f64>() * self.cumulative.last().unwrap();
        self.cumulative.partition_point(|&c| c < x)
    }
}

fn sentence(rng: &mut StdRng, zipf: &Zipf, vocab: &[String], words: usize) -> String {
    (0..words)
        .map(|_| vocab[zipf.pick(rng)].as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

async fn run() -> anyhow::Result<()> {
    let n: usize = std::env::var("LOA_BENCH_ARTICLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let bench = common::BenchDb::open().await?;
    let db = bench.db.clone();

    let vocab = vocabulary();
    let zipf = Zipf::new(vocab.len());
    let mut rng = StdRng::seed_from_u64(6);
    let topics: Vec<String> = (0..30)
        .map(|i| format!("Chủ đề {}", vocab[i * 7]))
        .collect();
    let started = Instant::now();
    let mut titles = Vec::with_capacity(n);
    for chunk in 0..n.div_ceil(500) {
        let mut tx = db.begin().await?;
        for i in chunk * 500..((chunk + 1) * 500).min(n) {
            let title = sentence(&mut rng, &zipf, &vocab, 8);
            let paragraphs: Vec<String> = (0..6)
                .map(|_| sentence(&mut rng, &zipf, &vocab, 50) + ".")
                .collect();
            let input = ArticleInput {
                slug: Slug::parse(&format!("bai-{i}"))?,
                title: title.clone(),
                summary: sentence(&mut rng, &zipf, &vocab, 20),
                body: loa::markdown::Body::new(paragraphs.join("\n\n"))?,
                status: ArticleStatus::Published,
                publish_at: Some(loa::time::now()),
                topics: vec![topics[rng.gen_range(0..topics.len())].clone()],
                featured: false,
                cover: None,
                cover_alt: None,
                unpublish_at: None,
                meta_description: String::new(),
            };
            loa::db::articles::insert(&mut tx, &input, loa::time::now()).await?;
            titles.push(title);
        }
        tx.commit().await?;
    }
    println!(
        "{} articles written and indexed in {:.1} s ({})",
        n,
        started.elapsed().as_secs_f64(),
        db.backend()
    );

    let mut latencies = Vec::with_capacity(QUERIES);
    let mut results = 0usize;
    for q in 0..QUERIES {
        let title = &titles[rng.gen_range(0..titles.len())];
        let words: Vec<&str> = title.split(' ').collect();
        let len = rng.gen_range(1..=3);
        let from = rng.gen_range(0..=words.len() - len);
        let mut query = words[from..from + len].join(" ");
        if q % 2 == 1 {
            query = loa::slug::fold(&query);
        }
        let t = Instant::now();
        let terms = loa::search::terms(&query);
        let (ids, total) = loa::db::search::ranked_page(&db, &terms, 10, 0).await?;
        for id in ids {
            let row = loa::db::articles::by_id(&db, id).await?.expect("a row");
            let body = loa::search::plain_text(&row.body);
            let snippet = loa::search::snippet(&body, &terms)
                .or_else(|| loa::search::snippet(&row.summary, &terms));
            std::hint::black_box(snippet);
            std::hint::black_box(loa::search::highlight(&row.title, &terms));
        }
        latencies.push(t.elapsed());
        results += total as usize;
    }
    latencies.sort();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{QUERIES} queries: min {:.1} ms, median {:.1} ms, p95 {:.1} ms, worst {:.1} ms; {:.0} results per query on average",
        ms(latencies[0]),
        ms(latencies[QUERIES / 2]),
        ms(latencies[QUERIES * 95 / 100]),
        ms(latencies[QUERIES - 1]),
        results as f64 / QUERIES as f64
    );

    bench.close().await?;
    Ok(())
}
