//! The Excel side of reports, with `rust_xlsxwriter`: one worksheet per table, a bold frozen
//! header row with filters, numbers as numbers, instants as real Excel dates in Vietnam time
//! (`dd/mm/yyyy hh:mm`), days as dates (`dd/mm/yyyy`), and column widths from the longest value.

use chrono::{DateTime, Utc};
use rust_xlsxwriter::{Color, DocProperties, Format, FormatBorder, Workbook, Worksheet};

use super::{neutralise, Cell, Sheet};

/// Widths in Excel's units (about one character each).
const MIN_WIDTH: usize = 6;
const MAX_WIDTH: usize = 60;
const TIME_FORMAT: &str = "dd/mm/yyyy hh:mm";
const DATE_FORMAT: &str = "dd/mm/yyyy";

struct Formats {
    header: Format,
    time: Format,
    date: Format,
    percent: Format,
    number: Format,
}

pub fn write(title: &str, sheets: &[Sheet], now: DateTime<Utc>) -> anyhow::Result<Vec<u8>> {
    let formats = Formats {
        header: Format::new()
            .set_bold()
            .set_background_color(Color::RGB(0xE8EEF4))
            .set_border_bottom(FormatBorder::Thin),
        time: Format::new().set_num_format(TIME_FORMAT),
        date: Format::new().set_num_format(DATE_FORMAT),
        percent: Format::new().set_num_format("0.0%"),
        number: Format::new().set_num_format("#,##0.##"),
    };
    let mut book = Workbook::new();
    book.set_properties(
        &DocProperties::new()
            .set_title(title)
            .set_author("Loa")
            .set_creation_datetime(&now),
    );
    let mut used = Vec::new();
    for sheet in sheets {
        let ws = book.add_worksheet();
        ws.set_name(tab_name(&sheet.name, &mut used))?;
        write_sheet(ws, sheet, &formats)?;
    }
    if sheets.is_empty() {
        book.add_worksheet();
    }
    Ok(book.save_to_buffer()?)
}

/// A valid, unique tab name: at most 31 characters, none of `[]:*?/\`.
fn tab_name(name: &str, used: &mut Vec<String>) -> String {
    let clean: String = name
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '-' } else { c })
        .collect();
    let clean = clean.trim_matches('\'').trim();
    let base: String = if clean.is_empty() { "Bảng" } else { clean }
        .chars()
        .take(31)
        .collect();
    let mut candidate = base.clone();
    let mut n = 2;
    while used
        .iter()
        .any(|u| u.to_lowercase() == candidate.to_lowercase())
    {
        let suffix = format!(" ({n})");
        let keep = 31 - suffix.chars().count();
        candidate = format!(
            "{}{suffix}",
            base.chars().take(keep).collect::<String>().trim_end()
        );
        n += 1;
    }
    used.push(candidate.clone());
    candidate
}

fn write_sheet(ws: &mut Worksheet, sheet: &Sheet, f: &Formats) -> anyhow::Result<()> {
    let mut widths: Vec<usize> = sheet
        .headers
        .iter()
        .map(|h| h.chars().count() + 3) // room for the filter button
        .collect();
    for (c, h) in sheet.headers.iter().enumerate() {
        ws.write_string_with_format(0, col(c)?, neutralise(h), &f.header)?;
    }
    let vietnam = crate::time::vietnam();
    for (r, row) in sheet.rows.iter().enumerate() {
        let r = u32::try_from(r + 1)?;
        for (c, cell) in row.iter().enumerate() {
            let width = match cell {
                Cell::Text(s) => {
                    let s = neutralise(s);
                    ws.write_string(r, col(c)?, s.as_ref())?;
                    s.chars().count()
                }
                Cell::Int(n) => {
                    ws.write_number(r, col(c)?, *n as f64)?;
                    n.to_string().len()
                }
                Cell::Number(x) => {
                    ws.write_number_with_format(r, col(c)?, *x, &f.number)?;
                    format!("{x:.2}").len()
                }
                Cell::Percent(p) => {
                    ws.write_number_with_format(r, col(c)?, *p, &f.percent)?;
                    6
                }
                Cell::Time(t) => {
                    let local = t.with_timezone(&vietnam).naive_local();
                    ws.write_datetime_with_format(r, col(c)?, local, &f.time)?;
                    TIME_FORMAT.len()
                }
                Cell::Date(d) => {
                    ws.write_datetime_with_format(r, col(c)?, d, &f.date)?;
                    DATE_FORMAT.len()
                }
                Cell::Empty => 0,
            };
            if let Some(w) = widths.get_mut(c) {
                *w = (*w).max(width);
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(col(c)?, (*w + 1).clamp(MIN_WIDTH, MAX_WIDTH) as f64)?;
    }
    ws.set_freeze_panes(1, 0)?;
    if !sheet.headers.is_empty() {
        let last_row = u32::try_from(sheet.rows.len())?;
        ws.autofilter(0, 0, last_row, col(sheet.headers.len() - 1)?)?;
    }
    Ok(())
}

fn col(c: usize) -> anyhow::Result<u16> {
    Ok(u16::try_from(c)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_names_are_valid_and_unique() {
        let mut used = Vec::new();
        assert_eq!(tab_name("Theo đơn vị", &mut used), "Theo đơn vị");
        assert_eq!(tab_name("Theo đơn vị", &mut used), "Theo đơn vị (2)");
        assert_eq!(tab_name("a/b:c", &mut used), "a-b-c");
        let long = "Danh sách chưa xác nhận của toàn bộ các đơn vị";
        let first = tab_name(long, &mut used);
        assert_eq!(first.chars().count(), 31);
        let second = tab_name(long, &mut used);
        assert!(second.ends_with(" (2)") && second.chars().count() <= 31);
        assert_eq!(tab_name("", &mut used), "Bảng");
    }
}
