//! Element ids of a rendered page: headings and footnotes, folded to ASCII, each given once and
//! never one the page layout owns.

use std::collections::{HashMap, HashSet};

use pulldown_cmark::{CowStr, Event, Tag};

use super::{heading_end, plain_text, Work};
use crate::slug::slugify;

/// Element ids the page layout uses; headings never take them, and the sanitiser drops them.
pub(super) const RESERVED_IDS: &[&str] = &[
    "noi-dung",
    "muc-luc",
    "dau-trang",
    "chan-trang",
    "menu",
    "xac-nhan",
    "nguoi-dan-xac-nhan",
];

/// Every heading's (id, plain text), in order.
pub(super) fn heading_ids(events: &[Event], ids: &mut Anchors) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { id, .. }) = &events[i] {
            let end = heading_end(events, i);
            let text = plain_text(&events[i + 1..end]);
            let mut base = slugify(id.as_deref().unwrap_or(&text));
            if base.is_empty() {
                base = "muc".to_owned();
            }
            out.push((ids.claim(base), text));
            i = end;
        }
        i += 1;
    }
    out
}

/// The element ids of one page: each given once (`y-nghia`, `y-nghia-2`, …), never one the
/// layout owns. `next` remembers, per base, the number to try next, so `n` equal headings cost
/// `n` claims rather than `1 + 2 + … + n` probes.
pub(super) struct Anchors {
    taken: HashSet<String>,
    next: HashMap<String, usize>,
    pub(super) work: Work,
}

impl Anchors {
    pub(super) fn new() -> Anchors {
        Anchors {
            taken: RESERVED_IDS.iter().map(|&id| id.to_owned()).collect(),
            next: HashMap::new(),
            work: Work::default(),
        }
    }

    /// The first free id of `base`, `base-2`, `base-3`, … after those this base already took.
    /// A probe fails only on an id taken by another base (or reserved), and each such id can
    /// fail one probe of its own base and one of the base it looks numbered from: the total stays
    /// linear.
    pub(super) fn claim(&mut self, base: String) -> String {
        self.work.claims += 1;
        let next = self.next.entry(base.clone()).or_insert(1);
        loop {
            let id = match *next {
                1 => base.clone(),
                n => format!("{base}-{n}"),
            };
            *next += 1;
            self.work.probes += 1;
            if self.taken.insert(id.clone()) {
                return id;
            }
        }
    }
}

/// Footnote ids: the label folded like a heading (`[^nguồn]` → `fn-nguon`), in the page's one
/// set of ids, so a footnote can neither lose its anchor to the sanitiser (which keeps only
/// ASCII ids) nor take a heading's. Labels match case-insensitively, as pulldown-cmark matches a
/// reference to its definition.
#[derive(Default)]
pub(super) struct Footnotes {
    ids: HashMap<String, String>,
}

impl Footnotes {
    pub(super) fn id<'a>(&mut self, label: &str, anchors: &mut Anchors) -> CowStr<'a> {
        let id =
            self.ids
                .entry(label.to_lowercase())
                .or_insert_with(|| match slugify(label).as_str() {
                    "" => anchors.claim("fn".to_owned()),
                    slug => anchors.claim(format!("fn-{slug}")),
                });
        CowStr::from(id.clone())
    }
}
