//! The Markdown pipeline: source → sanitised HTML, table of contents, summary, reading time.
//!
//! Pure and synchronous; called when an article's body is written (import, editor), never per
//! request. The result is stored next to the source together with [`RENDER_VERSION`], so a change
//! to this module re-renders stored articles at the next start-up.
//!
//! Authors are semi-trusted: pulldown-cmark passes raw HTML through, so everything it produces goes
//! through an ammonia allow-list before it is stored.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

use ammonia::{Builder, UrlRelative};
use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};

use crate::slug::slugify;

/// Bump when the output of [`render`] changes for the same source.
pub const RENDER_VERSION: i64 = 2;

/// Everything before this marker is the article's summary (when front matter gives none).
pub const MORE_MARKER: &str = "<!-- more -->";

/// Reading speed used for "N phút đọc". Vietnamese words are single syllables separated by
/// spaces, so a word count runs higher than in English for the same text.
const WORDS_PER_MINUTE: usize = 220;

/// Longest summary derived from the first paragraph, in characters.
const SUMMARY_CHARS: usize = 240;

/// Element ids the page layout uses; headings never take them.
const RESERVED_IDS: &[&str] = &[
    "noi-dung",
    "muc-luc",
    "dau-trang",
    "chan-trang",
    "menu",
    "xac-nhan",
    "nguoi-dan-xac-nhan",
];

const EXTERNAL_REL: &str = "noopener noreferrer";

/// One heading in the table of contents; `children` holds the `h3`s under an `h2`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TocEntry {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<TocEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Sanitised HTML, safe to insert into a page as is.
    pub html: String,
    pub toc: Vec<TocEntry>,
    /// Plain text: what precedes [`MORE_MARKER`], or else the start of the first paragraph.
    pub summary: String,
    pub word_count: usize,
    pub reading_minutes: usize,
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Renders an article body.
pub fn render(source: &str) -> Rendered {
    let events: Vec<Event> = Parser::new_ext(source, options()).collect();
    // The page title is the only h1: when the body uses `#` headings, every level moves down one.
    let shift = events.iter().any(|e| {
        matches!(
            e,
            Event::Start(Tag::Heading {
                level: HeadingLevel::H1,
                ..
            })
        )
    });

    let mut ids = Anchors::default();
    let mut toc = Vec::new();
    let mut out = Vec::with_capacity(events.len());
    let mut links = Vec::new();
    let mut word_count = 0;
    let mut i = 0;
    while i < events.len() {
        match &events[i] {
            Event::Start(Tag::Heading { level, id, .. }) => {
                let end = heading_end(&events, i);
                let text = plain_text(&events[i + 1..end]);
                let id = ids.claim(id.as_deref().unwrap_or(&text));
                let level = if shift { demote(*level) } else { *level };
                add_to_toc(&mut toc, level, &id, &text);
                // Attributes from `{#id .class key=value}` are dropped: only our id survives.
                out.push(Event::Start(Tag::Heading {
                    level,
                    id: Some(CowStr::from(id)),
                    classes: vec![],
                    attrs: vec![],
                }));
                for e in &events[i + 1..end] {
                    word_count += count_words(e);
                    out.push(rewrite_inline(e.clone(), &mut links));
                }
                out.push(Event::End(TagEnd::Heading(level)));
                i = end + 1;
                continue;
            }
            e => {
                word_count += count_words(e);
                out.push(rewrite_inline(e.clone(), &mut links));
            }
        }
        i += 1;
    }

    let mut raw = String::with_capacity(source.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut raw, out.into_iter());
    let html = SANITIZER.clean(&raw).to_string();

    let summary = match source.find(MORE_MARKER) {
        Some(at) => plain_text_of(&source[..at]),
        None => first_paragraph(&events),
    };
    Rendered {
        html,
        toc,
        summary,
        word_count,
        reading_minutes: word_count.div_ceil(WORDS_PER_MINUTE).max(1),
    }
}

/// The plain text of a Markdown fragment, whitespace collapsed.
pub fn plain_text_of(source: &str) -> String {
    let events: Vec<Event> = Parser::new_ext(source, options()).collect();
    plain_text(&events)
}

fn heading_end(events: &[Event], start: usize) -> usize {
    events[start..]
        .iter()
        .position(|e| matches!(e, Event::End(TagEnd::Heading(_))))
        .map(|p| start + p)
        .unwrap_or(events.len() - 1)
}

fn demote(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H2,
        HeadingLevel::H2 => HeadingLevel::H3,
        HeadingLevel::H3 => HeadingLevel::H4,
        HeadingLevel::H4 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

fn add_to_toc(toc: &mut Vec<TocEntry>, level: HeadingLevel, id: &str, title: &str) {
    let entry = TocEntry {
        id: id.to_owned(),
        title: title.to_owned(),
        children: vec![],
    };
    match level {
        HeadingLevel::H2 => toc.push(entry),
        HeadingLevel::H3 => match toc.last_mut() {
            Some(parent) => parent.children.push(entry),
            None => toc.push(entry),
        },
        _ => {}
    }
}

/// Heading ids: folded slugs, unique within the page (`y-nghia`, `y-nghia-2`, …).
#[derive(Default)]
struct Anchors {
    taken: HashSet<String>,
}

impl Anchors {
    fn claim(&mut self, text: &str) -> String {
        let mut base = slugify(text);
        if base.is_empty() {
            base = "muc".to_owned();
        }
        let mut id = base.clone();
        let mut n = 1;
        while RESERVED_IDS.contains(&id.as_str()) || self.taken.contains(&id) {
            n += 1;
            id = format!("{base}-{n}");
        }
        self.taken.insert(id.clone());
        id
    }
}

/// Small rewrites of single events: external links get `rel`, task-list boxes become text.
fn rewrite_inline<'a>(event: Event<'a>, links: &mut Vec<bool>) -> Event<'a> {
    match event {
        Event::Start(Tag::Link {
            ref dest_url,
            ref title,
            ..
        }) if is_external(dest_url) => {
            links.push(true);
            Event::Html(external_link_open(dest_url, title).into())
        }
        Event::Start(Tag::Link { .. }) => {
            links.push(false);
            event
        }
        Event::End(TagEnd::Link) if links.pop() == Some(true) => Event::Html("</a>".into()),
        Event::TaskListMarker(done) => Event::Text(if done { "☑ " } else { "☐ " }.into()),
        other => other,
    }
}

fn is_external(url: &str) -> bool {
    let url = url.trim_start();
    url.starts_with("//") || url::Url::parse(url).is_ok_and(|u| u.has_host())
}

/// `<a href="…" title="…" rel="noopener noreferrer">`, with both values escaped. The result still
/// goes through the sanitiser, which re-checks the URL scheme.
fn external_link_open(href: &str, title: &str) -> String {
    let mut tag = String::from("<a href=\"");
    pulldown_cmark_escape::escape_href(&mut tag, href).expect("writing to a String");
    tag.push('"');
    if !title.is_empty() {
        tag.push_str(" title=\"");
        pulldown_cmark_escape::escape_html(&mut tag, title).expect("writing to a String");
        tag.push('"');
    }
    tag.push_str(" rel=\"");
    tag.push_str(EXTERNAL_REL);
    tag.push_str("\">");
    tag
}

fn count_words(event: &Event) -> usize {
    match event {
        Event::Text(t) | Event::Code(t) => t.split_whitespace().count(),
        _ => 0,
    }
}

fn plain_text(events: &[Event]) -> String {
    let mut text = String::new();
    for e in events {
        match e {
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            // Blocks are separated by a space; inline markup (emphasis, links) is not.
            Event::End(end) if !is_inline(end) => text.push(' '),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_inline(end: &TagEnd) -> bool {
    matches!(
        end,
        TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Link
            | TagEnd::Image
            | TagEnd::Superscript
            | TagEnd::Subscript
    )
}

fn first_paragraph(events: &[Event]) -> String {
    let Some(start) = events
        .iter()
        .position(|e| matches!(e, Event::Start(Tag::Paragraph)))
    else {
        return String::new();
    };
    let end = events[start..]
        .iter()
        .position(|e| matches!(e, Event::End(TagEnd::Paragraph)))
        .map_or(events.len(), |p| start + p);
    truncate_words(&plain_text(&events[start..end]), SUMMARY_CHARS)
}

/// Cuts at a word boundary and adds an ellipsis when the text is longer than `max` characters.
fn truncate_words(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = match cut.rfind(' ') {
        Some(at) => &cut[..at],
        None => &cut,
    };
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.']))
}

static SANITIZER: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut b = Builder::default();
    b.rm_tags(["area", "map"])
        .url_schemes(HashSet::from(["http", "https", "mailto", "tel"]))
        .url_relative(UrlRelative::PassThrough)
        .link_rel(None)
        .add_tag_attributes("a", ["rel"])
        .add_tag_attributes("div", ["id"])
        .add_tag_attributes("th", ["style"])
        .add_tag_attributes("td", ["style"])
        .add_allowed_classes("sup", ["footnote-reference", "footnote-definition-label"])
        .add_allowed_classes("div", ["footnote-definition"])
        .attribute_filter(filter_attribute);
    // ammonia allows `cite` but does not check its scheme; browsers do not need it.
    for tag in ["blockquote", "q", "del", "ins"] {
        b.rm_tag_attributes(tag, ["cite"]);
    }
    for h in ["h1", "h2", "h3", "h4", "h5", "h6"] {
        b.add_tag_attributes(h, ["id"]);
    }
    b
});

/// Values the allow-list alone cannot judge.
fn filter_attribute<'u>(element: &str, attribute: &str, value: &'u str) -> Option<Cow<'u, str>> {
    let keep = match attribute {
        // Only the rel we add ourselves.
        "rel" => value == EXTERNAL_REL,
        // Only the alignment pulldown-cmark writes for table columns.
        "style" => matches!(
            value,
            "text-align: left" | "text-align: center" | "text-align: right"
        ),
        // Anchors only; nothing that could clobber the page's own names.
        "id" => {
            !value.is_empty()
                && value.len() <= 100
                && value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && !RESERVED_IDS.contains(&value)
        }
        _ => true,
    };
    let _ = element;
    keep.then_some(Cow::Borrowed(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_get_folded_unique_ids_and_a_toc() {
        let r = render("## Ý nghĩa\n\ntext\n\n### Đối tượng\n\n## Ý nghĩa\n\n## Mục lục\n");
        assert!(
            r.html.contains(r#"<h2 id="y-nghia">Ý nghĩa</h2>"#),
            "{}",
            r.html
        );
        assert!(r.html.contains(r#"<h3 id="doi-tuong">"#));
        assert!(r.html.contains(r#"<h2 id="y-nghia-2">"#));
        // "muc-luc" belongs to the page's own table of contents.
        assert!(r.html.contains(r#"<h2 id="muc-luc-2">"#));
        // and "xac-nhan" to the acknowledgment box below the article.
        let ack = render("## Xác nhận\n");
        assert!(ack.html.contains(r#"<h2 id="xac-nhan-2">"#), "{}", ack.html);
        assert_eq!(r.toc.len(), 3);
        assert_eq!(r.toc[0].children[0].id, "doi-tuong");
        assert_eq!(r.toc[0].children[0].title, "Đối tượng");
    }

    #[test]
    fn h1_in_the_body_is_demoted() {
        let r = render("# Một\n\n## Hai\n");
        assert!(r.html.contains("<h2 id=\"mot\">"));
        assert!(r.html.contains("<h3 id=\"hai\">"));
        assert!(!r.html.contains("<h1"));
    }

    #[test]
    fn external_links_get_rel_and_internal_ones_do_not() {
        let r = render("[a](https://vnexpress.net/x?a=1&b=2 \"T\") [b](/bai-viet/sipas) [c](#muc)");
        assert!(
            r.html.contains(
                r#"<a href="https://vnexpress.net/x?a=1&amp;b=2" title="T" rel="noopener noreferrer">a</a>"#
            ),
            "{}",
            r.html
        );
        assert!(r.html.contains(r#"<a href="/bai-viet/sipas">b</a>"#));
        assert!(r.html.contains(r##"<a href="#muc">c</a>"##));
    }

    #[test]
    fn summary_comes_from_the_more_marker_or_the_first_paragraph() {
        let r = render("Đoạn **mở đầu**.\n\nThêm nữa.\n\n<!-- more -->\n\nPhần còn lại.");
        assert_eq!(r.summary, "Đoạn mở đầu. Thêm nữa.");
        let r = render("## Tiêu đề\n\nĐoạn *đầu tiên*.\n\nĐoạn hai.");
        assert_eq!(r.summary, "Đoạn đầu tiên.");
        let long = "chữ ".repeat(200);
        let r = render(&long);
        assert!(r.summary.ends_with('…'));
        assert!(r.summary.chars().count() <= SUMMARY_CHARS + 1);
    }

    #[test]
    fn reading_time_rounds_up_to_a_minute() {
        assert_eq!(render("một hai ba").reading_minutes, 1);
        let r = render(&"từ ".repeat(WORDS_PER_MINUTE * 2 + 1));
        assert_eq!(r.word_count, WORDS_PER_MINUTE * 2 + 1);
        assert_eq!(r.reading_minutes, 3);
    }

    #[test]
    fn extensions_are_on() {
        let r = render("| a | b |\n|:-:|--|\n| 1 | 2 |\n\n~~cũ~~\n\n- [x] xong\n- [ ] chưa\n\nChú thích[^1].\n\n[^1]: Nguồn.\n");
        assert!(r.html.contains("<table>"), "{}", r.html);
        assert!(r.html.contains(r#"<th style="text-align: center">a</th>"#));
        assert!(r.html.contains("<del>cũ</del>"));
        assert!(r.html.contains("☑ xong"));
        assert!(r.html.contains("☐ chưa"));
        assert!(r.html.contains(r#"class="footnote-reference""#));
        assert!(r.html.contains(r#"class="footnote-definition""#));
    }
}
