//! Search without I/O: folding text into index words, turning any query into safe terms, ranking
//! candidates and cutting highlighted snippets out of the original text.
//!
//! Both databases index the same folded words (see [`index_text`]) and receive terms made only of
//! `a-z0-9`, so no query can be an FTS5 or tsquery syntax error, and the ranking is computed here
//! so SQLite and PostgreSQL order results identically.

use pulldown_cmark::{Event, Parser, TagEnd};
use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use crate::slug::fold;

/// At most this many terms are used; the rest of a long query is ignored.
pub const MAX_TERMS: usize = 8;
/// Longer "words" (pasted hashes, 10 kB of one letter) can never match an indexed word usefully.
pub const MAX_TERM_LEN: usize = 40;
/// Only this much of a query is looked at, so 10 kB of input costs nothing.
const MAX_QUERY_CHARS: usize = 1000;
/// Words in a snippet.
const SNIPPET_WORDS: usize = 30;
/// Words kept before the first match, so it is seen in context.
const SNIPPET_LEAD: usize = 8;

/// Weights of a term found in each field: title weighs most, then summary, then topics, then body.
pub const W_TITLE: i64 = 8;
pub const W_SUMMARY: i64 = 4;
pub const W_TOPICS: i64 = 2;
const W_BODY: i64 = 1;

/// The words of `text` as the index stores them: diacritics folded (`đ` → `d`), lowercase, and
/// every run of characters other than `a-z0-9` one space. "Đăng ký (bắt buộc)!" → "dang ky bat buoc".
pub fn index_text(text: &str) -> String {
    words(text).collect::<Vec<_>>().join(" ")
}

/// At most `max` characters of `text`; when it is longer, cut before the word the limit falls in,
/// so a clipped query never ends with half a word that would be required and match nothing.
pub fn clip(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        None => text,
        Some((end, c)) => {
            let head = &text[..end];
            if c.is_whitespace() {
                head
            } else {
                head.rfind(char::is_whitespace).map_or(head, |i| &head[..i])
            }
        }
    }
}

/// The folded words of `text`, in order.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    let folded = fold(text).to_lowercase();
    folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect::<Vec<_>>()
        .into_iter()
}

/// The terms of a query: folded words, distinct, in order, at most [`MAX_TERMS`]. Every term is
/// non-empty `a-z0-9`, so it is safe inside FTS5 quotes and a tsquery. Empty when the query has
/// no usable word (only punctuation, emoji or over-long words).
pub fn terms(query: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in words(clip(query, MAX_QUERY_CHARS)) {
        if w.len() <= MAX_TERM_LEN && !out.contains(&w) {
            out.push(w);
            if out.len() == MAX_TERMS {
                break;
            }
        }
    }
    out
}

/// An FTS5 match expression requiring every term: `"hai" "long"`.
pub fn fts5_match(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{t}\""))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A PostgreSQL tsquery requiring every term: `hai & long`.
pub fn tsquery(terms: &[String]) -> String {
    terms.join(" & ")
}

/// The score of an article that contains every term somewhere (the database guaranteed that), as
/// [`crate::db::search::ranked_page`] computes it in SQL (kept here to test the rule itself):
/// for each term, the weights of the fields holding it; a term in none of title, summary and
/// topics is in the body. Fields are index text ([`index_text`]).
pub fn score(terms: &[String], title: &str, summary: &str, topics: &str) -> i64 {
    // Called for thousands of candidates per query: no allocation, just a scan of short fields.
    let has = |field: &str, t: &str| field.split(' ').any(|w| w == t);
    terms
        .iter()
        .map(|t| {
            let mut s = 0;
            if has(title, t) {
                s += W_TITLE;
            }
            if has(summary, t) {
                s += W_SUMMARY;
            }
            if has(topics, t) {
                s += W_TOPICS;
            }
            if s == 0 {
                s = W_BODY;
            }
            s
        })
        .sum()
}

/// A piece of shown text; `hit` pieces are the matched words, highlighted by the template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Segment {
    pub text: String,
    pub hit: bool,
}

/// One piece of original text: a word (letters and digits) or what lies between words.
struct Piece<'a> {
    text: &'a str,
    word: bool,
}

fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_word = None;
    for (i, c) in text.char_indices() {
        // Combining marks stay with their letter (text is NFC, but be safe).
        let w = c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c);
        match in_word {
            Some(prev) if prev != w => {
                out.push(Piece {
                    text: &text[start..i],
                    word: prev,
                });
                start = i;
            }
            _ => {}
        }
        in_word = Some(w);
    }
    if let Some(w) = in_word {
        out.push(Piece {
            text: &text[start..],
            word: w,
        });
    }
    out
}

fn is_hit(word: &str, terms: &[String]) -> bool {
    words(word).any(|w| terms.contains(&w))
}

/// The whole of `text` as segments, matched words marked (for titles).
pub fn highlight(text: &str, terms: &[String]) -> Vec<Segment> {
    let text: String = text.nfc().collect();
    let mut out: Vec<Segment> = Vec::new();
    for p in pieces(&text) {
        push(&mut out, p.text, p.word && is_hit(p.text, terms));
    }
    out
}

fn push(out: &mut Vec<Segment>, text: &str, hit: bool) {
    match out.last_mut() {
        Some(last) if last.hit == hit && !hit => last.text.push_str(text),
        _ => out.push(Segment {
            text: text.to_owned(),
            hit,
        }),
    }
}

/// About [`SNIPPET_WORDS`] words of `text` around its first match, matched words marked, with
/// "…" where text was cut. `None` when no word of `text` matches.
pub fn snippet(text: &str, terms: &[String]) -> Option<Vec<Segment>> {
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let text: String = text.nfc().collect();
    let ps = pieces(&text);
    let word_idx: Vec<usize> = (0..ps.len()).filter(|&i| ps[i].word).collect();
    let first = word_idx.iter().position(|&i| is_hit(ps[i].text, terms))?;
    let from_word = first.saturating_sub(SNIPPET_LEAD);
    let to_word = (from_word + SNIPPET_WORDS).min(word_idx.len());
    let from = word_idx[from_word];
    // Up to the end of the text when its last word is in (keeping a final full stop).
    let to = if to_word == word_idx.len() {
        ps.len()
    } else {
        word_idx[to_word - 1] + 1
    };
    let mut out = Vec::new();
    if from_word > 0 {
        push(&mut out, "… ", false);
    }
    for p in &ps[from..to] {
        push(&mut out, p.text, p.word && is_hit(p.text, terms));
    }
    if to < ps.len() {
        push(&mut out, " …", false);
    }
    Some(out)
}

/// The opening words of `text`, unmarked, for an article matched by its title or topics only.
pub fn opening(text: &str) -> Vec<Segment> {
    let ws: Vec<&str> = text.split_whitespace().collect();
    let mut s = ws[..ws.len().min(SNIPPET_WORDS)].join(" ");
    if ws.len() > SNIPPET_WORDS {
        s.push_str(" …");
    }
    vec![Segment {
        text: s,
        hit: false,
    }]
}

/// The readable text of a Markdown body (no markup, no URLs), blocks separated by spaces.
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::End(TagEnd::Paragraph) => out.push(' '),
            Event::End(_) => out.push(' '),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(q: &str) -> Vec<String> {
        terms(q)
    }

    #[test]
    fn folds_both_ways() {
        assert_eq!(t("hài lòng"), ["hai", "long"]);
        assert_eq!(t("HAI LONG"), ["hai", "long"]);
        assert_eq!(t("ĐĂNG KÝ đăng ký"), ["dang", "ky"]);
        assert_eq!(index_text("Đăng ký (bắt buộc)!"), "dang ky bat buoc");
    }

    #[test]
    fn hostile_queries_become_safe_terms() {
        assert_eq!(
            t("\"hai\" AND (long OR -x*) NEAR"),
            ["hai", "and", "long", "or", "x", "near"]
        );
        assert!(t("\"(*-😀").is_empty());
        assert!(t(&"a".repeat(10_000)).is_empty());
        assert!(t(&"ab ".repeat(5_000)).len() == 1);
        assert_eq!(t("a b c d e f g h i j").len(), MAX_TERMS);
        for term in t("x'y;--drop\\0\u{0}") {
            assert!(term.bytes().all(|b| b.is_ascii_alphanumeric()));
        }
    }

    #[test]
    fn clipping_keeps_whole_words() {
        assert_eq!(clip("hài lòng", 5), "hài");
        assert_eq!(clip("hài lòng", 3), "hài");
        assert_eq!(clip("hài lòng", 100), "hài lòng");
        assert_eq!(clip("abcdef", 3), "abc");
        assert_eq!(terms(&"hài lòng ".repeat(1200)), ["hai", "long"]);
    }

    #[test]
    fn title_weighs_more_than_summary_and_body() {
        let q = t("hai long");
        let title = score(&q, "chi so hai long", "", "");
        let summary = score(&q, "", "chi so hai long", "");
        let body = score(&q, "", "", "");
        assert!(title > summary && summary > body);
    }

    #[test]
    fn snippet_keeps_original_spelling() {
        let q = t("hai long");
        let s = snippet("Người dân rất hài lòng, thật.", &q).unwrap();
        let hits: Vec<&str> = s
            .iter()
            .filter(|s| s.hit)
            .map(|s| s.text.as_str())
            .collect();
        assert_eq!(hits, ["hài", "lòng"]);
        let all: String = s.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(all, "Người dân rất hài lòng, thật.");
        assert!(snippet("không có gì", &q).is_none());
    }

    #[test]
    fn plain_text_drops_markup() {
        let p = plain_text("# Tiêu đề\n\nMột [liên kết](http://x.vn) **đậm**.");
        assert!(p.contains("Tiêu đề") && p.contains("liên kết") && !p.contains("http"));
    }
}
