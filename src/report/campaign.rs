//! The tables of a campaign's reports, from the figures `db::campaigns` computes for the
//! dashboard (so a file and the page never disagree): the overview, per article, the unit
//! roll-up, the pending list, the person × article matrix, and citizens by locality and by day.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::acks::{day_cell, locality_sheet, place_sheet, status_label};
use super::{Cell, Sheet};
use crate::db::campaigns::{
    self, CampaignRow, DayCount, Figures, LocalityCount, Matrix, PendingItem, PreviousRound,
    StaffProgress,
};
use crate::db::places::PlaceCount;

/// The per-article table's columns. These lists are public so that the tests reading the files
/// back compare against them and cannot drift from them.
pub const ARTICLE_HEADERS: [&str; 9] = [
    "STT",
    "Bài viết",
    "Hạn xác nhận",
    "Lượt phải xác nhận",
    "Lượt đã xác nhận",
    "Tỷ lệ",
    "Chỉ tiêu (lượt)",
    "Lượt quá hạn",
    "Ghi chú",
];

/// The unit roll-up's columns, before those of a previous round.
pub const UNIT_HEADERS: [&str; 10] = [
    "Đơn vị",
    "Cấp",
    "Thuộc đơn vị",
    "Lượt phải xác nhận",
    "Lượt đã xác nhận",
    "Tỷ lệ",
    "Chỉ tiêu (lượt)",
    "Đạt chỉ tiêu",
    "Lượt chưa xác nhận",
    "Lượt quá hạn",
];

/// The pending list's columns.
pub const PENDING_HEADERS: [&str; 7] = [
    "Họ tên",
    "Thư điện tử",
    "Đơn vị",
    "Bài viết",
    "Hạn xác nhận",
    "Trạng thái",
    "Số ngày quá hạn",
];

/// The matrix's columns before the articles' (the person) and after them (their counts).
pub const MATRIX_PERSON_HEADERS: [&str; 3] = ["Họ tên", "Thư điện tử", "Đơn vị"];
pub const MATRIX_COUNT_HEADERS: [&str; 3] = ["Đã xác nhận", "Phải xác nhận", "Quá hạn"];

/// Confirmed over audience; empty when nobody must confirm.
fn share(f: &Figures) -> Cell {
    Cell::ratio(f.confirmed, f.audience)
}

/// A campaign in figures: what, when, for whom, and where it stands.
pub fn overview(
    campaign: &CampaignRow,
    progress: &StaffProgress,
    scope_label: &str,
    citizens: i64,
    now: DateTime<Utc>,
) -> Sheet {
    let mut sheet = Sheet::new("Tổng quan", &["Mục", "Giá trị"]);
    let o = &progress.overall;
    let rows: Vec<(&str, Cell)> = vec![
        ("Chiến dịch", Cell::text(&campaign.name)),
        ("Bắt đầu", Cell::Date(campaign.starts())),
        ("Kết thúc", Cell::Date(campaign.ends())),
        ("Phạm vi", Cell::text(scope_label)),
        ("Thời điểm lập báo cáo", Cell::Time(now)),
        ("Lượt phải xác nhận", Cell::Int(o.audience)),
        ("Lượt đã xác nhận", Cell::Int(o.confirmed)),
        ("Tỷ lệ đã xác nhận", share(o)),
        (
            "Chỉ tiêu cán bộ (%)",
            Cell::Int(campaign.staff_target_percent),
        ),
        ("Chỉ tiêu cán bộ (lượt)", Cell::Int(o.target)),
        ("Lượt chưa xác nhận", Cell::Int(o.pending())),
        ("Lượt quá hạn", Cell::Int(o.overdue)),
        ("Lượt người dân xác nhận", Cell::Int(citizens)),
        (
            "Chỉ tiêu người dân (lượt)",
            Cell::Int(campaign.citizen_target),
        ),
    ];
    for (label, value) in rows {
        sheet.push(vec![Cell::text(label), value]);
    }
    sheet
}

/// One row per article of the campaign, in order, with its figures when it counts.
pub fn articles(progress: &StaffProgress) -> Sheet {
    let mut sheet = Sheet::new("Theo bài viết", &ARTICLE_HEADERS);
    for a in &progress.articles {
        let art = &a.article;
        let mut row = vec![
            Cell::Int(art.position + 1),
            Cell::text(&art.title),
            Cell::opt_time(art.terms.due_at),
        ];
        match &a.figures {
            Some(f) => row.extend([
                Cell::Int(f.audience),
                Cell::Int(f.confirmed),
                share(f),
                Cell::Int(f.target),
                Cell::Int(f.overdue),
                Cell::Empty,
            ]),
            None => {
                row.extend(std::iter::repeat_n(Cell::Empty, 5));
                row.push(Cell::text(if art.staff {
                    "Chưa xuất bản, chưa tính"
                } else {
                    "Không yêu cầu cán bộ xác nhận"
                }));
            }
        }
        sheet.push(row);
    }
    sheet
}

/// The unit roll-up: each unit's figures include all its sub-units; then the whole scope. With
/// `previous` (a renewal round before this one), each unit's figures in that round follow.
pub fn units(progress: &StaffProgress, previous: Option<&PreviousRound>) -> Sheet {
    let label = previous.map(PreviousRound::label);
    let previous_headers: Vec<String> = label
        .iter()
        .flat_map(|l| {
            [
                format!("{l}: lượt phải xác nhận"),
                format!("{l}: lượt đã xác nhận"),
                format!("{l}: tỷ lệ"),
            ]
        })
        .collect();
    let mut headers = UNIT_HEADERS.to_vec();
    headers.extend(previous_headers.iter().map(String::as_str));
    let mut sheet = Sheet::new("Theo đơn vị", &headers);
    let before: HashMap<Option<i64>, Figures> = previous
        .iter()
        .flat_map(|p| &p.progress.units)
        .map(|u| (u.unit_id, u.figures))
        .collect();
    let then = |f: Option<&Figures>| -> Vec<Cell> {
        match (previous, f) {
            (None, _) => Vec::new(),
            (Some(_), Some(f)) => vec![Cell::Int(f.audience), Cell::Int(f.confirmed), share(f)],
            (Some(_), None) => vec![Cell::Empty; 3],
        }
    };
    let names: HashMap<i64, &str> = progress
        .units
        .iter()
        .filter_map(|u| u.unit_id.map(|id| (id, u.name.as_str())))
        .collect();
    let figures = |f: &Figures| {
        [
            Cell::Int(f.audience),
            Cell::Int(f.confirmed),
            share(f),
            Cell::Int(f.target),
            Cell::text(if f.reaches_target() {
                "Đạt"
            } else {
                "Chưa đạt"
            }),
            Cell::Int(f.pending()),
            Cell::Int(f.overdue),
        ]
    };
    for u in &progress.units {
        let mut row = vec![
            Cell::text(&u.name),
            if u.unit_id.is_some() {
                Cell::Int(u.depth as i64 + 1)
            } else {
                Cell::Empty
            },
            Cell::opt_text(
                u.parent_id
                    .and_then(|p| names.get(&p).copied())
                    .unwrap_or_default(),
            ),
        ];
        row.extend(figures(&u.figures));
        row.extend(then(before.get(&u.unit_id)));
        sheet.push(row);
    }
    let mut total = vec![Cell::text("Tổng cộng"), Cell::Empty, Cell::Empty];
    total.extend(figures(&progress.overall));
    total.extend(then(previous.map(|p| &p.progress.overall)));
    sheet.push(total);
    sheet
}

/// Every (person, article) pair still to confirm, with the due date and days overdue.
pub fn pending(items: &[PendingItem]) -> Sheet {
    let mut sheet = Sheet::new("Chưa xác nhận", &PENDING_HEADERS);
    for p in items {
        sheet.push(vec![
            Cell::text(&p.name),
            Cell::text(&p.email),
            Cell::text(if p.unit.is_empty() {
                campaigns::NO_UNIT
            } else {
                &p.unit
            }),
            Cell::text(&p.article_title),
            Cell::opt_time(p.due_at),
            Cell::text(status_label(false, p.days_overdue)),
            if p.days_overdue > 0 {
                Cell::Int(p.days_overdue)
            } else {
                Cell::Empty
            },
        ]);
    }
    sheet
}

/// The person × article matrix: per article, the time of the confirmation (a date cell),
/// "Chưa xác nhận" or "Quá hạn N ngày", empty where the person need not confirm; then each
/// person's counts.
pub fn matrix(m: &Matrix) -> Sheet {
    let titles: Vec<String> = m
        .articles
        .iter()
        .map(|a| format!("{}. {}", a.position + 1, a.title))
        .collect();
    let mut headers: Vec<&str> = MATRIX_PERSON_HEADERS.to_vec();
    headers.extend(titles.iter().map(String::as_str));
    headers.extend(MATRIX_COUNT_HEADERS);
    let mut sheet = Sheet::new("Ma trận", &headers);
    for r in &m.rows {
        let mut row = Vec::with_capacity(headers.len());
        row.extend([
            Cell::text(&r.name),
            Cell::text(&r.email),
            Cell::text(if r.unit.is_empty() {
                campaigns::NO_UNIT
            } else {
                &r.unit
            }),
        ]);
        let (mut done, mut due, mut late) = (0, 0, 0);
        for c in &r.cells {
            row.push(match c {
                campaigns::Cell::NotRequired => Cell::Empty,
                campaigns::Cell::Confirmed(at) => {
                    done += 1;
                    due += 1;
                    Cell::Time(*at)
                }
                campaigns::Cell::Pending => {
                    due += 1;
                    Cell::text(status_label(false, 0))
                }
                campaigns::Cell::Overdue(days) => {
                    due += 1;
                    late += 1;
                    Cell::text(status_label(false, *days))
                }
            });
        }
        row.extend([Cell::Int(done), Cell::Int(due), Cell::Int(late)]);
        sheet.push(row);
    }
    sheet
}

/// Citizens' confirmations by locality and by poster place (each with shares and a total), and
/// by day. A CSV file holds the first table; the places have their own (`noi-dat`).
pub fn citizens(
    localities: &[LocalityCount],
    places: &[PlaceCount],
    days: &[DayCount],
) -> Vec<Sheet> {
    let mut by_locality = locality_sheet(localities);
    by_locality.name = "Người dân theo địa bàn".to_owned();
    let mut by_place = place_sheet(places);
    by_place.name = "Người dân theo nơi đặt".to_owned();
    let mut by_day = Sheet::new("Người dân theo ngày", &["Ngày", "Số xác nhận"]);
    for d in days {
        by_day.push(vec![day_cell(&d.day), Cell::Int(d.confirmations)]);
    }
    vec![by_locality, by_place, by_day]
}
