//! Reports as files: one description of a table (a [`Sheet`] of typed [`Cell`]s under Vietnamese
//! headers), written either as CSV or as an Excel workbook, with the file name and the SHA-256
//! that go with it.
//!
//! Every text cell of both formats goes through [`neutralise`], so a name a citizen typed
//! (`=HYPERLINK(…)`) is shown as text, never run as a formula.

pub mod acks;
pub mod campaign;
mod xlsx;

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};

/// One value of a table.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Number(f64),
    /// A fraction (0.667 for 66.7%): a number in the workbook, `66.7%` in CSV.
    Percent(f64),
    /// An instant, written in Vietnam time.
    Time(DateTime<Utc>),
    /// A calendar day (already in Vietnam).
    Date(NaiveDate),
    Empty,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// Text, or an empty cell for an empty string.
    pub fn opt_text(s: impl Into<String>) -> Cell {
        let s = s.into();
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s)
        }
    }

    pub fn opt_time(t: Option<DateTime<Utc>>) -> Cell {
        t.map_or(Cell::Empty, Cell::Time)
    }

    /// `part` of `whole` as a fraction; empty when `whole` is 0 (no share to speak of).
    pub fn ratio(part: i64, whole: i64) -> Cell {
        if whole == 0 {
            Cell::Empty
        } else {
            Cell::Percent(part as f64 / whole as f64)
        }
    }
}

/// One table: a worksheet of the workbook, or the whole of a CSV file.
#[derive(Clone, Debug, PartialEq)]
pub struct Sheet {
    /// The worksheet's tab (at most 31 characters, none of `[]:*?/\`).
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet {
    pub fn new(name: &str, headers: &[&str]) -> Sheet {
        Sheet {
            name: name.to_owned(),
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.headers.len(), "a row per header");
        self.rows.push(row);
    }
}

/// Text that a spreadsheet would take for a formula (`=`, `+`, `-`, `@`) or that some programs
/// strip or split on (tab, carriage return) is prefixed with an apostrophe, which keeps the rest
/// readable (`'+84912345678`). The one neutralising function of every export (OWASP's advice for
/// CSV injection).
pub fn neutralise(s: &str) -> Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

/// The two file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// From the extension in a URL (`csv`, `xlsx`).
    pub fn from_ext(ext: &str) -> Option<Format> {
        match ext {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    pub fn ext(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// A report written out: what is sent, and what the audit log says about it.
#[derive(Clone, Debug)]
pub struct File {
    pub name: String,
    pub format: Format,
    pub bytes: Vec<u8>,
    /// Data rows of every sheet (headers not counted).
    pub rows: usize,
}

impl File {
    /// Writes `sheets` as `{slug}_{yyyy-mm-dd}.{ext}` (the Vietnam date of `now`). A CSV file holds
    /// one table: only the first sheet is written.
    pub fn render(
        format: Format,
        slug: &str,
        title: &str,
        sheets: &[Sheet],
        now: DateTime<Utc>,
    ) -> anyhow::Result<File> {
        let bytes = match format {
            Format::Csv => csv(sheets.first().ok_or_else(|| anyhow::anyhow!("no sheet"))?)?,
            Format::Xlsx => xlsx::write(title, sheets, now)?,
        };
        let rows = match format {
            Format::Csv => sheets.first().map_or(0, |s| s.rows.len()),
            Format::Xlsx => sheets.iter().map(|s| s.rows.len()).sum(),
        };
        Ok(File {
            name: file_name(slug, now, format),
            format,
            bytes,
            rows,
        })
    }

    /// The SHA-256 of the bytes, in lowercase hex: what a printed report quotes.
    pub fn sha256(&self) -> String {
        hex::encode(Sha256::digest(&self.bytes))
    }

    /// `attachment; filename="…"`: the name is made of a slug, a date and an extension, so it is
    /// ASCII already; anything else is replaced to keep the header well formed.
    pub fn content_disposition(&self) -> String {
        let safe: String = self
            .name
            .chars()
            .map(|c| match c {
                'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' | '.' => c,
                _ => '_',
            })
            .collect();
        format!("attachment; filename=\"{safe}\"")
    }
}

/// `{slug}_{yyyy-mm-dd}.{ext}`, dated in Vietnam.
pub fn file_name(slug: &str, now: DateTime<Utc>, format: Format) -> String {
    format!(
        "{slug}_{}.{}",
        now.with_timezone(&crate::time::vietnam())
            .format("%Y-%m-%d"),
        format.ext()
    )
}

/// `2018-09-30 08:05:09`: Vietnam time in the order every spreadsheet reads as a date.
fn csv_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&crate::time::vietnam())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// `66.7%`: one decimal, a point as the separator (the comma separates fields).
fn csv_percent(fraction: f64) -> String {
    let p = format!("{:.1}", fraction * 100.0);
    format!("{}%", p.strip_suffix(".0").unwrap_or(&p))
}

/// RFC 4180 (comma separator, CRLF line ends, quotes only where needed), UTF-8 with a byte-order
/// mark so that Excel shows the diacritics.
pub fn csv(sheet: &Sheet) -> anyhow::Result<Vec<u8>> {
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    w.write_record(sheet.headers.iter().map(|h| neutralise(h).into_owned()))?;
    let mut record = Vec::with_capacity(sheet.headers.len());
    for row in &sheet.rows {
        record.clear();
        record.extend(row.iter().map(|cell| match cell {
            Cell::Text(s) => neutralise(s).into_owned(),
            Cell::Int(n) => n.to_string(),
            Cell::Number(x) => x.to_string(),
            Cell::Percent(f) => csv_percent(*f),
            Cell::Time(t) => csv_time(*t),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::Empty => String::new(),
        }));
        w.write_record(&record)?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("csv: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralised_and_the_rest_kept() {
        for s in [
            "=HYPERLINK(\"http://x\")",
            "+84912345678",
            "-1",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert_eq!(neutralise(s), format!("'{s}"));
        }
        for s in ["Nguyễn Văn A", "", "0912 345 678", " =1", "a=b", "'quoted"] {
            assert!(matches!(neutralise(s), Cow::Borrowed(_)), "{s:?}");
        }
    }

    #[test]
    fn csv_is_rfc4180_with_a_bom_and_typed_values() {
        let mut s = Sheet::new("Bảng", &["Họ tên", "Số", "Tỷ lệ", "Lúc", "Trống"]);
        let t = crate::time::parse_human("2018-09-30T08:05:09+07:00").unwrap();
        s.push(vec![
            Cell::text("=1+2, \"x\""),
            Cell::Int(-3),
            Cell::Percent(2.0 / 3.0),
            Cell::Time(t),
            Cell::Empty,
        ]);
        s.push(vec![
            Cell::text("Lê Thị B"),
            Cell::Int(0),
            Cell::Percent(1.0),
            Cell::Time(t),
            Cell::Empty,
        ]);
        let bytes = csv(&s).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        assert_eq!(
            text,
            "Họ tên,Số,Tỷ lệ,Lúc,Trống\r\n\
             \"'=1+2, \"\"x\"\"\",-3,66.7%,2018-09-30 08:05:09,\r\n\
             Lê Thị B,0,100%,2018-09-30 08:05:09,\r\n"
        );
    }

    #[test]
    fn file_names_carry_the_slug_and_the_vietnam_date() {
        // 18:00 UTC on the 29th is already the 30th in Vietnam.
        let t = crate::time::parse_human("2018-09-29T18:00:00Z").unwrap();
        assert_eq!(
            file_name("sipas-2017-2020", t, Format::Xlsx),
            "sipas-2017-2020_2018-09-30.xlsx"
        );
        let f = File::render(Format::Csv, "a-b", "T", &[Sheet::new("x", &["h"])], t).unwrap();
        assert_eq!(f.name, "a-b_2018-09-30.csv");
        assert_eq!(
            f.content_disposition(),
            "attachment; filename=\"a-b_2018-09-30.csv\""
        );
        assert_eq!(f.sha256().len(), 64);
    }
}
