//! Reading exports back: CSV with the `csv` crate, workbooks with `calamine`, each compared cell by
//! cell with expected rows written as the person opening the file should see them.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};
use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};

/// An expected cell.
#[derive(Clone, Debug)]
pub enum X {
    /// Text exactly as shown (neutralised text included: `'=…`).
    T(String),
    I(i64),
    /// A fraction: `0.5` is `50%` in CSV, 0.5 in the workbook.
    P(f64),
    /// An instant: Vietnam time in both formats.
    D(DateTime<Utc>),
    Day(NaiveDate),
    /// Some instant (the moment a report was made).
    AnyTime,
    E,
}

pub fn t(s: &str) -> X {
    X::T(s.to_owned())
}

pub fn headers(h: &[&str]) -> Vec<X> {
    h.iter().map(|s| t(s)).collect()
}

fn vietnam(t: DateTime<Utc>) -> chrono::NaiveDateTime {
    t.with_timezone(&loa::time::vietnam()).naive_local()
}

fn csv_text(x: &X) -> String {
    match x {
        X::T(s) => s.clone(),
        X::I(n) => n.to_string(),
        X::P(f) => {
            let p = format!("{:.1}", f * 100.0);
            format!("{}%", p.strip_suffix(".0").unwrap_or(&p))
        }
        X::D(t) => vietnam(*t).format("%Y-%m-%d %H:%M:%S").to_string(),
        X::Day(d) => d.format("%Y-%m-%d").to_string(),
        X::AnyTime => unreachable!("CSV cells are compared as text"),
        X::E => String::new(),
    }
}

/// A CSV export: UTF-8 with a BOM, RFC 4180, CRLF, every row as expected.
pub fn check_csv(bytes: &[u8], expected: &[Vec<X>]) {
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a byte-order mark");
    let text = std::str::from_utf8(bytes).expect("UTF-8");
    assert!(text.ends_with("\r\n"), "CRLF line ends");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..]);
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(rows.len(), expected.len(), "rows: {rows:#?}");
    for (i, (row, want)) in rows.iter().zip(expected).enumerate() {
        let want: Vec<String> = want.iter().map(csv_text).collect();
        assert_eq!(row, &want, "CSV row {i}");
    }
}

/// The cells of one column of a CSV export (found by its header), every data row in order.
pub fn csv_column(bytes: &[u8], header: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_reader(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes));
    let at = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == header)
        .unwrap_or_else(|| panic!("no column {header}"));
    reader
        .records()
        .map(|r| r.unwrap()[at].to_owned())
        .collect()
}

/// The worksheet names of a workbook, in order.
pub fn sheet_names(bytes: &[u8]) -> Vec<String> {
    let book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    book.sheet_names()
}

/// One worksheet of a workbook, cell by cell: text as strings, numbers as numbers, instants as
/// Excel dates (to the second) in Vietnam time.
pub fn check_sheet(bytes: &[u8], sheet: &str, expected: &[Vec<X>]) {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    assert_eq!(range.start(), Some((0, 0)), "the table starts at A1");
    let rows: Vec<&[Data]> = range.rows().collect();
    assert_eq!(rows.len(), expected.len(), "rows of {sheet}: {rows:#?}");
    for (i, (row, want)) in rows.iter().zip(expected).enumerate() {
        assert!(row.len() >= want.len(), "{sheet} row {i}: {row:?}");
        for (j, (cell, x)) in row.iter().zip(want).enumerate() {
            let ok = match (x, cell) {
                (X::T(s), Data::String(c)) => s == c,
                (X::I(n), Data::Float(f)) => *f == *n as f64,
                (X::I(n), Data::Int(c)) => n == c,
                (X::P(p), Data::Float(f)) => (p - f).abs() < 1e-9,
                (X::D(t), Data::DateTime(d)) => d
                    .as_datetime()
                    .is_some_and(|d| (d - vietnam(*t)).num_milliseconds().abs() < 1000),
                (X::Day(day), Data::DateTime(d)) => {
                    d.as_datetime().is_some_and(|d| d.date() == *day)
                }
                (X::AnyTime, Data::DateTime(d)) => d.as_datetime().is_some(),
                (X::E, Data::Empty) => true,
                _ => false,
            };
            assert!(ok, "{sheet} row {i} column {j}: want {x:?}, got {cell:?}");
        }
        assert!(
            row[want.len()..].iter().all(|c| *c == Data::Empty),
            "{sheet} row {i}: extra cells {row:?}"
        );
    }
}

/// Every text cell of every sheet of a workbook, one per line.
pub fn xlsx_text(bytes: &[u8]) -> String {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let mut out = String::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).unwrap();
        for cell in range.used_cells() {
            if let Data::String(s) = cell.2 {
                out.push_str(s);
                out.push('\n');
            }
        }
    }
    out
}

/// A part of the workbook's zip, as text.
pub fn xlsx_part(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    let mut part = zip.by_name(name).unwrap();
    let mut text = String::new();
    part.read_to_string(&mut text).unwrap();
    text
}

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Downloads a file; returns its bytes after checking the status, type and file name.
pub async fn download(b: &crate::helpers::Browser, path: &str, file_name: &str) -> Vec<u8> {
    let r = b.get(path).await;
    assert_eq!(r.status(), 200, "GET {path}");
    let ext = file_name.rsplit('.').next().unwrap();
    let content_type = r.headers()["content-type"].to_str().unwrap().to_owned();
    match ext {
        "csv" => assert_eq!(content_type, "text/csv; charset=utf-8"),
        _ => assert_eq!(
            content_type,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        ),
    }
    assert_eq!(
        r.headers()["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"{file_name}\"")
    );
    assert_eq!(r.headers()["cache-control"].to_str().unwrap(), "no-store");
    r.bytes().await.unwrap().to_vec()
}

/// `{slug}_{yyyy-mm-dd}.{ext}` for today in Vietnam.
pub fn today_name(slug: &str, ext: &str) -> String {
    let today = loa::time::now()
        .with_timezone(&loa::time::vietnam())
        .format("%Y-%m-%d");
    format!("{slug}_{today}.{ext}")
}
