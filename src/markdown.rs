//! The Markdown pipeline: source → sanitised HTML, table of contents, summary, reading time.
//!
//! Pure and synchronous; called when an article's body is written (import, editor), never per
//! request. The result is stored next to the source together with [`RENDER_VERSION`], so a change
//! to this module re-renders stored articles at the next start-up.
//!
//! Authors are semi-trusted: pulldown-cmark passes raw HTML through, so everything it produces goes
//! through an ammonia allow-list before it is stored. An author also controls how much work a
//! render costs: a [`Body`] is within [`MAX_BODY_BYTES`] and [`MAX_HEADINGS`], and every step is
//! linear in the source (ids are handed out from a map of next numbers, never by re-probing).

use std::borrow::Cow;
use std::collections::HashSet;
use std::ops::Deref;
use std::sync::LazyLock;

use ammonia::{Builder, UrlRelative};
use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};

use ids::{heading_ids, Anchors, Footnotes, RESERVED_IDS};

mod ids;

/// Bump when the output of [`render`] changes for the same source.
pub const RENDER_VERSION: i64 = 3;

/// The most Markdown an article body may hold, in bytes of UTF-8. Far above the longest document
/// an agency publishes, and small enough that the editor's form carrying it percent-encoded (at
/// most three bytes per byte) stays under the 2 MB a form may send.
pub const MAX_BODY_BYTES: usize = 512 * 1024;

/// The most headings (of every level) an article may have: the table of contents lists them.
pub const MAX_HEADINGS: usize = 1000;

/// Why a body is refused; the message is what the author reads, next to the field or after
/// `file:line:`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error(
        "nội dung dài {} kB, quá giới hạn {} kB: hãy rút gọn hoặc chia thành nhiều bài",
        .bytes.div_ceil(1024),
        MAX_BODY_BYTES / 1024
    )]
    TooLong { bytes: usize },
    #[error("nội dung có hơn {MAX_HEADINGS} tiêu đề mục: hãy gộp bớt hoặc chia thành nhiều bài")]
    TooManyHeadings {
        /// The line of the first heading over the limit, counted from the body's first line.
        line: usize,
    },
}

impl BodyError {
    /// The line of the body the error points at (1 for the whole body).
    pub fn line(&self) -> usize {
        match self {
            BodyError::TooLong { .. } => 1,
            BodyError::TooManyHeadings { line } => *line,
        }
    }
}

/// An article body within the limits, together with its rendering: the only way to get one is
/// to render it, so stored HTML cannot drift from the stored source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    source: String,
    rendered: Rendered,
}

impl Body {
    /// Checks the limits and renders, on the calling thread (the command line, tests).
    pub fn new(source: String) -> Result<Body, BodyError> {
        let rendered = render_checked(&source)?;
        Ok(Body { source, rendered })
    }

    /// [`Body::new`] on tokio's blocking pool: a long body must not hold up an async worker
    /// (the server answers others meanwhile). Call it before opening a transaction.
    pub async fn new_off_thread(source: String) -> Result<Body, BodyError> {
        off_thread(move || Body::new(source)).await
    }

    /// A body accepted before (a revision being restored): rendered whatever its size, as stored
    /// articles are, on the blocking pool.
    pub async fn stored_off_thread(source: String) -> Body {
        off_thread(move || Body {
            rendered: render(&source),
            source,
        })
        .await
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn rendered(&self) -> &Rendered {
        &self.rendered
    }
}

impl Deref for Body {
    type Target = str;

    fn deref(&self) -> &str {
        &self.source
    }
}

impl PartialEq<str> for Body {
    fn eq(&self, other: &str) -> bool {
        self.source == other
    }
}

impl PartialEq<&str> for Body {
    fn eq(&self, other: &&str) -> bool {
        self.source == *other
    }
}

/// Everything before this marker is the article's summary (when front matter gives none).
pub const MORE_MARKER: &str = "<!-- more -->";

/// Reading speed used for "N phút đọc". Vietnamese words are single syllables separated by
/// spaces, so a word count runs higher than in English for the same text.
const WORDS_PER_MINUTE: usize = 220;

/// Longest summary derived from the first paragraph, in characters.
const SUMMARY_CHARS: usize = 240;

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

/// Renders an article body, whatever its size: for bodies stored before the limits existed.
/// What authors send goes through [`Body`] (or [`render_checked`]).
pub fn render(source: &str) -> Rendered {
    let events = parse(source, usize::MAX).expect("no limit on headings");
    render_events(source, events).0
}

/// [`render`] on tokio's blocking pool (stored bodies re-rendered at start-up).
pub async fn render_off_thread(source: String) -> Rendered {
    off_thread(move || render(&source)).await
}

async fn off_thread<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(done) => done,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // Only a runtime shutting down cancels a blocking task before it starts.
        Err(e) => panic!("rendering cancelled: {e}"),
    }
}

/// Checks [`MAX_BODY_BYTES`] and [`MAX_HEADINGS`], then renders.
pub fn render_checked(source: &str) -> Result<Rendered, BodyError> {
    if source.len() > MAX_BODY_BYTES {
        return Err(BodyError::TooLong {
            bytes: source.len(),
        });
    }
    Ok(render_events(source, parse(source, MAX_HEADINGS)?).0)
}

/// How much work the id hand-out did, for the tests that bound it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Work {
    /// Headings and footnotes given an id.
    pub claims: usize,
    /// Candidate ids looked up (at least one per claim).
    pub probes: usize,
}

/// [`render`], also telling how much work the ids took: linear means `probes` stays within a
/// constant times `claims`, however the headings repeat.
pub fn render_counting(source: &str) -> (Rendered, Work) {
    let events = parse(source, usize::MAX).expect("no limit on headings");
    render_events(source, events)
}

/// The events of `source`, refused at the first heading past `max_headings`.
fn parse(source: &str, max_headings: usize) -> Result<Vec<Event<'_>>, BodyError> {
    let mut headings = 0;
    let mut events = Vec::new();
    for (event, range) in Parser::new_ext(source, options()).into_offset_iter() {
        if matches!(event, Event::Start(Tag::Heading { .. })) {
            headings += 1;
            if headings > max_headings {
                let line = 1 + source[..range.start].matches('\n').count();
                return Err(BodyError::TooManyHeadings { line });
            }
        }
        events.push(event);
    }
    Ok(events)
}

fn render_events<'a>(source: &str, events: Vec<Event<'a>>) -> (Rendered, Work) {
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

    // Headings take their ids first, so a footnote never pushes a heading's anchor aside.
    let mut ids = Anchors::new();
    let headings = heading_ids(&events, &mut ids);
    let mut notes = Footnotes::default();

    let mut toc = Vec::new();
    let mut out = Vec::with_capacity(events.len());
    let mut word_count = 0;
    let mut next_heading = headings.into_iter();
    let mut i = 0;
    while i < events.len() {
        match &events[i] {
            Event::Start(Tag::Heading { level, .. }) => {
                let end = heading_end(&events, i);
                let (id, text) = next_heading.next().expect("one id per heading");
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
                    out.push(rewrite_inline(e.clone(), &mut ids, &mut notes));
                }
                out.push(Event::End(TagEnd::Heading(level)));
                i = end + 1;
                continue;
            }
            e => {
                word_count += count_words(e);
                out.push(rewrite_inline(e.clone(), &mut ids, &mut notes));
            }
        }
        i += 1;
    }

    let mut raw = String::with_capacity(source.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut raw, out.into_iter());
    let html = mark_external_links(&SANITIZER.clean(&raw).to_string());

    let summary = match source.find(MORE_MARKER) {
        Some(at) => plain_text_of(&source[..at]),
        None => first_paragraph(&events),
    };
    let rendered = Rendered {
        html,
        toc,
        summary,
        word_count,
        reading_minutes: word_count.div_ceil(WORDS_PER_MINUTE).max(1),
    };
    (rendered, ids.work)
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

/// Small rewrites of single events: footnotes get folded ids, task-list boxes become text.
fn rewrite_inline<'a>(event: Event<'a>, ids: &mut Anchors, notes: &mut Footnotes) -> Event<'a> {
    match event {
        // pulldown-cmark writes the label as the reference's `href="#…"` and the definition's
        // `id`, and numbers notes by it: the folded id serves all three.
        Event::FootnoteReference(label) => Event::FootnoteReference(notes.id(&label, ids)),
        Event::Start(Tag::FootnoteDefinition(label)) => {
            Event::Start(Tag::FootnoteDefinition(notes.id(&label, ids)))
        }
        Event::TaskListMarker(done) => Event::Text(if done { "☑ " } else { "☐ " }.into()),
        other => other,
    }
}

/// Where relative links resolve for [`is_external`]; `.invalid` never names a real host.
static SITE: LazyLock<url::Url> =
    LazyLock::new(|| url::Url::parse("https://loa.invalid/").expect("a valid URL"));

/// Whether a link leaves the site: resolved the way a browser resolves it (so `//host`,
/// `/\\host` and `https://host` all count), it names another host.
fn is_external(href: &str) -> bool {
    SITE.join(href)
        .is_ok_and(|u| u.host_str().is_some_and(|h| Some(h) != SITE.host_str()))
}

/// Gives every external link, written in Markdown or as raw `<a href>`, `rel="noopener
/// noreferrer"`. It runs on the sanitised HTML, where links come in one canonical form, with
/// lol_html (a streaming rewriter) rather than a pattern of our own. html5ever escapes only `&`,
/// `"`, `<`, `>` and no-break spaces in attribute values, none of which may stand in a scheme or a
/// host, so the escaped `href` says "external" exactly when the browser's would.
fn mark_external_links(html: &str) -> String {
    use lol_html::{element, rewrite_str, RewriteStrSettings};
    let settings =
        RewriteStrSettings::new().append_element_content_handler(element!("a[href]", |el| {
            if el.get_attribute("href").is_some_and(|h| is_external(&h)) {
                el.set_attribute("rel", EXTERNAL_REL)?;
            }
            Ok(())
        }));
    rewrite_str(html, settings).unwrap_or_else(|e| {
        // lol_html fails only on its memory limit, which `rewrite_str` leaves unbounded; the
        // sanitised HTML without `rel` is still safe to show.
        tracing::warn!(error = %e, "external links left without rel");
        html.to_owned()
    })
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
        // Authors' `rel`s go; `mark_external_links` adds ours to external links afterwards.
        .link_rel(None)
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
mod tests;
