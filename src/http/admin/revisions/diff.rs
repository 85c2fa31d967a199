//! Differences between two texts as view data: lines, and inside a changed line the words that
//! changed. Only kinds and plain text come out of here; the template turns them into `<ins>` and
//! `<del>` (escaped), so no HTML is ever built in Rust.

use std::time::Duration;

use serde::Serialize;
use similar::{ChangeTag, DiffOp, TextDiff};

/// Unchanged lines kept around each change; longer unchanged runs are collapsed.
const CONTEXT: usize = 3;

/// Below this similarity two lines (or two titles) are shown as wholly replaced: emphasising
/// the few words two unrelated texts happen to share is noise.
const MIN_WORD_RATIO: f32 = 0.4;

/// Past this, the diff falls back to a coarser (still correct) answer, so a huge body cannot
/// hold a request thread.
const TIMEOUT: Duration = Duration::from_millis(500);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Equal,
    Insert,
    Delete,
}

/// A run of text that is unchanged, inserted or deleted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Segment {
    pub kind: Kind,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LineKind {
    Equal,
    Insert,
    Delete,
    /// A collapsed run of unchanged lines.
    Skip,
}

/// One line of the body diff, with its numbers in the old and the new text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Line {
    pub kind: LineKind,
    pub old_no: Option<usize>,
    pub new_no: Option<usize>,
    pub segments: Vec<Segment>,
    /// For [`LineKind::Skip`]: how many unchanged lines are hidden.
    pub skipped: usize,
}

impl Line {
    fn whole(kind: LineKind, old_no: Option<usize>, new_no: Option<usize>, text: &str) -> Line {
        let seg = match kind {
            LineKind::Insert => Kind::Insert,
            LineKind::Delete => Kind::Delete,
            _ => Kind::Equal,
        };
        Line {
            kind,
            old_no,
            new_no,
            segments: segments_of(vec![(seg, text.to_owned())]),
            skipped: 0,
        }
    }

    fn skip(skipped: usize) -> Line {
        Line {
            kind: LineKind::Skip,
            old_no: None,
            new_no: None,
            segments: Vec::new(),
            skipped,
        }
    }
}

/// A short text (title, summary) as one sequence: unchanged words, then what was deleted and
/// what was inserted in their place.
pub fn words(old: &str, new: &str) -> Vec<Segment> {
    if old == new {
        return segments_of(vec![(Kind::Equal, old.to_owned())]);
    }
    let diff = TextDiff::configure().timeout(TIMEOUT).diff_words(old, new);
    if diff.ratio() < MIN_WORD_RATIO {
        return segments_of(vec![
            (Kind::Delete, old.to_owned()),
            (Kind::Insert, new.to_owned()),
        ]);
    }
    merge(diff.iter_all_changes().map(|c| (c.tag(), c.value())))
}

/// A body, line by line, with unchanged runs longer than the context collapsed. Empty when the
/// texts are equal.
pub fn lines(old: &str, new: &str) -> Vec<Line> {
    if old == new {
        return Vec::new();
    }
    // A last line without its newline would otherwise differ from the same line with one.
    let old = with_final_newline(old);
    let new = with_final_newline(new);
    let diff = TextDiff::configure()
        .timeout(TIMEOUT)
        .diff_lines(old.as_str(), new.as_str());
    let old_lines: Vec<&str> = diff.old_slices().iter().map(|l| trim_eol(l)).collect();
    let new_lines: Vec<&str> = diff.new_slices().iter().map(|l| trim_eol(l)).collect();

    let mut out = Vec::new();
    let mut shown_to = 0;
    for group in diff.grouped_ops(CONTEXT) {
        let Some(start) = group.first().map(|op| op.old_range().start) else {
            continue;
        };
        if start > shown_to {
            out.push(Line::skip(start - shown_to));
        }
        for op in &group {
            push_op(&mut out, *op, &old_lines, &new_lines);
        }
        shown_to = group.last().map_or(shown_to, |op| op.old_range().end);
    }
    if shown_to < old_lines.len() {
        out.push(Line::skip(old_lines.len() - shown_to));
    }
    out
}

fn push_op(out: &mut Vec<Line>, op: DiffOp, old: &[&str], new: &[&str]) {
    match op {
        DiffOp::Equal {
            old_index,
            new_index,
            len,
        } => {
            for k in 0..len {
                out.push(Line::whole(
                    LineKind::Equal,
                    Some(old_index + k + 1),
                    Some(new_index + k + 1),
                    old[old_index + k],
                ));
            }
        }
        DiffOp::Delete {
            old_index, old_len, ..
        } => {
            for (k, text) in old.iter().enumerate().skip(old_index).take(old_len) {
                out.push(Line::whole(LineKind::Delete, Some(k + 1), None, text));
            }
        }
        DiffOp::Insert {
            new_index, new_len, ..
        } => {
            for (k, text) in new.iter().enumerate().skip(new_index).take(new_len) {
                out.push(Line::whole(LineKind::Insert, None, Some(k + 1), text));
            }
        }
        DiffOp::Replace {
            old_index,
            old_len,
            new_index,
            new_len,
        } => {
            // Deleted lines first, then inserted ones (as a reader compares them); the k-th of
            // each side is paired with the k-th of the other for word emphasis.
            let pairs = old_len.min(new_len);
            let mut inserted = Vec::with_capacity(new_len);
            for k in 0..old_len {
                let o = old_index + k;
                if k < pairs {
                    let n = new_index + k;
                    let (del, ins) = changed_line(old[o], new[n], o + 1, n + 1);
                    out.push(del);
                    inserted.push(ins);
                } else {
                    out.push(Line::whole(LineKind::Delete, Some(o + 1), None, old[o]));
                }
            }
            for k in pairs..new_len {
                let n = new_index + k;
                inserted.push(Line::whole(LineKind::Insert, None, Some(n + 1), new[n]));
            }
            out.extend(inserted);
        }
    }
}

/// A line and its replacement, each showing its own side of the word diff.
fn changed_line(old: &str, new: &str, old_no: usize, new_no: usize) -> (Line, Line) {
    let merged = words(old, new);
    let side = |kind: LineKind, dropped: Kind| Line {
        kind,
        old_no: (kind == LineKind::Delete).then_some(old_no),
        new_no: (kind == LineKind::Insert).then_some(new_no),
        segments: segments_of(
            merged
                .iter()
                .filter(|s| s.kind != dropped)
                .map(|s| (s.kind, s.text.clone()))
                .collect(),
        ),
        skipped: 0,
    };
    (
        side(LineKind::Delete, Kind::Insert),
        side(LineKind::Insert, Kind::Delete),
    )
}

/// Turns word changes into segments: each run of changes becomes one deletion followed by one
/// insertion, and the blanks between two changed words join the change instead of splitting it
/// into fragments.
fn merge<'a>(changes: impl Iterator<Item = (ChangeTag, &'a str)>) -> Vec<Segment> {
    let changes: Vec<(ChangeTag, &str)> = changes.collect();
    let mut parts = Vec::new();
    let (mut del, mut ins) = (String::new(), String::new());
    for (i, &(tag, text)) in changes.iter().enumerate() {
        match tag {
            ChangeTag::Delete => del.push_str(text),
            ChangeTag::Insert => ins.push_str(text),
            ChangeTag::Equal => {
                let in_change = !(del.is_empty() && ins.is_empty());
                let change_follows = changes
                    .get(i + 1)
                    .is_some_and(|(t, _)| *t != ChangeTag::Equal);
                if in_change && change_follows && text.trim().is_empty() {
                    del.push_str(text);
                    ins.push_str(text);
                } else {
                    parts.push((Kind::Delete, std::mem::take(&mut del)));
                    parts.push((Kind::Insert, std::mem::take(&mut ins)));
                    parts.push((Kind::Equal, text.to_owned()));
                }
            }
        }
    }
    parts.push((Kind::Delete, del));
    parts.push((Kind::Insert, ins));
    segments_of(parts)
}

/// Drops empty parts and joins neighbours of the same kind.
fn segments_of(parts: Vec<(Kind, String)>) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    for (kind, text) in parts {
        if text.is_empty() {
            continue;
        }
        match out.last_mut() {
            Some(last) if last.kind == kind => last.text.push_str(&text),
            _ => out.push(Segment { kind, text }),
        }
    }
    out
}

fn with_final_newline(s: &str) -> String {
    if s.is_empty() || s.ends_with('\n') {
        s.to_owned()
    } else {
        format!("{s}\n")
    }
}

fn trim_eol(line: &str) -> &str {
    line.trim_end_matches(['\n', '\r'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(kind: Kind, text: &str) -> Segment {
        Segment {
            kind,
            text: text.to_owned(),
        }
    }

    fn kinds(lines: &[Line]) -> Vec<LineKind> {
        lines.iter().map(|l| l.kind).collect()
    }

    #[test]
    fn equal_texts_have_no_changes() {
        assert_eq!(words("Chỉ số", "Chỉ số"), vec![seg(Kind::Equal, "Chỉ số")]);
        assert!(lines("a\nb\n", "a\nb\n").is_empty());
        assert!(words("", "").is_empty());
    }

    #[test]
    fn changed_words_are_one_deletion_and_one_insertion() {
        assert_eq!(
            words(
                "Chỉ số hài lòng của người dân năm 2017",
                "Chỉ số hài lòng của tổ chức, doanh nghiệp năm 2017"
            ),
            vec![
                seg(Kind::Equal, "Chỉ số hài lòng của "),
                seg(Kind::Delete, "người dân"),
                seg(Kind::Insert, "tổ chức, doanh nghiệp"),
                seg(Kind::Equal, " năm 2017"),
            ]
        );
    }

    #[test]
    fn unrelated_texts_are_replaced_whole() {
        assert_eq!(
            words("Một hai ba", "Bốn năm sáu"),
            vec![
                seg(Kind::Delete, "Một hai ba"),
                seg(Kind::Insert, "Bốn năm sáu")
            ]
        );
        assert_eq!(words("", "Mới"), vec![seg(Kind::Insert, "Mới")]);
    }

    #[test]
    fn inserted_and_deleted_lines_are_numbered() {
        let d = lines("a\nb\nc\n", "a\nc\nd\n");
        assert_eq!(
            kinds(&d),
            [
                LineKind::Equal,
                LineKind::Delete,
                LineKind::Equal,
                LineKind::Insert
            ]
        );
        assert_eq!(d[1].segments, vec![seg(Kind::Delete, "b")]);
        assert_eq!((d[1].old_no, d[1].new_no), (Some(2), None));
        assert_eq!(d[3].segments, vec![seg(Kind::Insert, "d")]);
        assert_eq!((d[3].old_no, d[3].new_no), (None, Some(3)));
        assert_eq!((d[2].old_no, d[2].new_no), (Some(3), Some(2)));
    }

    #[test]
    fn a_changed_line_shows_its_changed_words_on_each_side() {
        let d = lines(
            "Tiêu đề\nHạn xác nhận là ngày 15/9 hằng năm.\n",
            "Tiêu đề\nHạn xác nhận là ngày 30/9 hằng năm.\n",
        );
        assert_eq!(
            kinds(&d),
            [LineKind::Equal, LineKind::Delete, LineKind::Insert]
        );
        assert_eq!(
            d[1].segments,
            vec![
                seg(Kind::Equal, "Hạn xác nhận là ngày "),
                seg(Kind::Delete, "15/9"),
                seg(Kind::Equal, " hằng năm."),
            ]
        );
        assert_eq!(
            d[2].segments,
            vec![
                seg(Kind::Equal, "Hạn xác nhận là ngày "),
                seg(Kind::Insert, "30/9"),
                seg(Kind::Equal, " hằng năm."),
            ]
        );
    }

    #[test]
    fn long_unchanged_runs_are_collapsed() {
        let old: String = (1..=20).map(|i| format!("dòng {i}\n")).collect();
        let new = old.replace("dòng 10\n", "dòng mười\n");
        let d = lines(&old, &new);
        assert_eq!(d.first().unwrap().kind, LineKind::Skip);
        assert_eq!(d.first().unwrap().skipped, 6);
        assert_eq!(d.last().unwrap().kind, LineKind::Skip);
        assert_eq!(d.last().unwrap().skipped, 7);
        let shown = d.iter().filter(|l| l.kind == LineKind::Equal).count();
        assert_eq!(shown, 2 * CONTEXT);
    }

    #[test]
    fn a_missing_final_newline_is_not_a_change() {
        let d = lines("a\nb", "a\nb\nc");
        assert_eq!(
            kinds(&d),
            [LineKind::Equal, LineKind::Equal, LineKind::Insert]
        );
    }
}
