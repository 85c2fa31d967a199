//! Generated Markdown articles as an editor's `content/` would hold them: Vietnamese words taken
//! from the shipped articles, headings, lists and links, one or two topics each (the shipped
//! topics and twenty more), publication dates over eight years, and one notice every employee
//! must acknowledge (`NOTICE`).

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::Path;

use chrono::{Duration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// The slug of the notice the 10,000 employees confirm.
pub const NOTICE: &str = "thong-bao-xac-nhan-mau";

/// The words and topic names of the shipped content.
fn vocabulary(content: &Path) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let mut words = Vec::new();
    let mut topics = BTreeSet::new();
    for entry in std::fs::read_dir(content)? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let text = std::fs::read_to_string(&path)?;
        let mut parts = text.splitn(3, "+++");
        let (_, front, body) = (parts.next(), parts.next(), parts.next());
        for line in front.unwrap_or_default().lines() {
            if let Some(list) = line.strip_prefix("topics = [") {
                topics.extend(
                    list.trim_end_matches(']')
                        .split(',')
                        .map(|t| t.trim().trim_matches('"').to_owned())
                        .filter(|t| !t.is_empty()),
                );
            }
        }
        words.extend(
            body.unwrap_or_default()
                .split_whitespace()
                .map(|w| {
                    w.trim_matches(|c: char| !c.is_alphanumeric())
                        .to_lowercase()
                })
                .filter(|w| !w.is_empty() && w.chars().all(char::is_alphabetic)),
        );
    }
    let mut topics: Vec<String> = topics.into_iter().collect();
    topics.extend((1..=20).map(|i| format!("Chủ đề mẫu {i}")));
    anyhow::ensure!(words.len() > 1000, "too few words in {}", content.display());
    Ok((words, topics))
}

/// A sentence of a length in `len`, capitalised, with a full stop.
fn sentence(rng: &mut StdRng, words: &[String], len: std::ops::Range<usize>) -> String {
    let n = rng.gen_range(len);
    let mut s: Vec<&str> = (0..n)
        .map(|_| words.choose(rng).expect("words").as_str())
        .collect();
    let first = s[0].to_owned();
    let mut chars = first.chars();
    let capital: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    s[0] = &capital;
    format!("{}.", s.join(" "))
}

fn paragraph(rng: &mut StdRng, words: &[String]) -> String {
    let n = rng.gen_range(3..7);
    (0..n)
        .map(|_| sentence(rng, words, 8..20))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes `n` article files (and the notice) into `dir`.
pub fn articles(dir: &Path, content: &Path, n: usize) -> anyhow::Result<()> {
    let (words, topics) = vocabulary(content)?;
    std::fs::create_dir_all(dir)?;
    let mut rng = StdRng::seed_from_u64(608);
    let start = Utc.with_ymd_and_hms(2018, 1, 1, 1, 0, 0).unwrap();
    for i in 1..=n {
        let title = sentence(&mut rng, &words, 6..11);
        let title = title.trim_end_matches('.');
        let summary = sentence(&mut rng, &words, 20..35);
        let how_many = rng.gen_range(1..3);
        let picked: Vec<&String> = topics.choose_multiple(&mut rng, how_many).collect();
        let when = start + Duration::minutes(rng.gen_range(0..8 * 365 * 24 * 60));
        let mut text = String::new();
        writeln!(text, "+++")?;
        writeln!(text, "title = {:?}", title)?;
        writeln!(text, "slug = \"bai-mau-{i:05}\"")?;
        writeln!(text, "summary = {:?}", summary)?;
        writeln!(
            text,
            "topics = [{}]",
            picked
                .iter()
                .map(|t| format!("{t:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
        writeln!(text, "publish_at = \"{}\"", when.to_rfc3339())?;
        writeln!(text, "status = \"published\"")?;
        writeln!(text, "featured = {}", i % 997 == 0)?;
        writeln!(text, "+++\n")?;
        writeln!(text, "{}\n", paragraph(&mut rng, &words))?;
        for _ in 0..rng.gen_range(2..4) {
            let heading = sentence(&mut rng, &words, 3..7);
            writeln!(text, "## {}\n", heading.trim_end_matches('.'))?;
            writeln!(text, "{}\n", paragraph(&mut rng, &words))?;
            for _ in 0..3 {
                let item = sentence(&mut rng, &words, 4..10);
                writeln!(text, "- {item}")?;
            }
            writeln!(text)?;
            writeln!(
                text,
                "{} Xem thêm [bài trước](/bai-viet/bai-mau-{:05}).\n",
                paragraph(&mut rng, &words),
                rng.gen_range(1..=n)
            )?;
        }
        writeln!(
            text,
            "## Nguồn\n\nSố liệu mẫu do chương trình đo hiệu năng tạo ra."
        )?;
        std::fs::write(dir.join(format!("bai-mau-{i:05}.md")), text)?;
    }
    let notice = format!(
        "+++\ntitle = \"Thông báo mẫu: mọi người xác nhận đã đọc\"\nslug = \"{NOTICE}\"\n\
         summary = \"Thông báo mà mọi công chức, viên chức phải xác nhận đã đọc.\"\n\
         topics = [\"Thông báo\"]\npublish_at = \"2026-01-02T08:00:00+07:00\"\n\
         status = \"published\"\n\n[ack]\nstaff = \"all\"\n\
         statement = \"Tôi đã đọc thông báo này.\"\n+++\n\n{}\n",
        paragraph(&mut rng, &words)
    );
    std::fs::write(dir.join(format!("{NOTICE}.md")), notice)?;
    Ok(())
}
