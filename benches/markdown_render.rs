//! How long does rendering take for the bodies an author controls? Times `markdown::render` (the
//! whole pipeline: parse, ids, sanitiser, external links) on:
//! - issue 11's case, 2 MB of `## a` (420 000 equal headings; past the limits, so only stored
//!   bodies could be this big, but it shows the id hand-out is linear),
//! - the same shape at the byte limit (`MAX_BODY_BYTES`),
//! - a long article at the byte limit: at most `MAX_HEADINGS` headings, paragraphs with emphasis,
//!   links and footnotes,
//!
//! and reports the median of 5 runs of each, with the ids' work (claims, probes).
//!
//! cargo bench --bench markdown_render

use std::time::{Duration, Instant};

use loa::markdown::{render_counting, MAX_BODY_BYTES};

#[path = "common/long_article.rs"]
mod long_article;

const RUNS: usize = 5;

fn main() {
    let cases = [
        ("2 MB of `## a`", "## a\n".repeat(2 * 1024 * 1024 / 5)),
        ("512 kB of `## a`", "## a\n".repeat(MAX_BODY_BYTES / 5)),
        ("512 kB article", long_article::long_article()),
    ];
    println!("| body | bytes | headings | probes | median | slowest |");
    println!("|---|---|---|---|---|---|");
    for (name, body) in cases {
        let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
        let mut last = None;
        for _ in 0..RUNS {
            let started = Instant::now();
            let (rendered, work) = render_counting(&body);
            times.push(started.elapsed());
            last = Some((rendered.toc.len(), work));
        }
        times.sort();
        let (headings, work) = last.expect("at least one run");
        println!(
            "| {name} | {} | {headings} | {} | {:.0} ms | {:.0} ms |",
            body.len(),
            work.probes,
            times[RUNS / 2].as_secs_f64() * 1000.0,
            times[RUNS - 1].as_secs_f64() * 1000.0,
        );
    }
}
