//! The tables of one article's acknowledgments: who confirmed and who has not, citizens by
//! locality (and by day), and the evidence — every event with its version's SHA-256.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::{Cell, Sheet};
use crate::db::ack_rounds::RoundRow;
use crate::db::ack_settings::VersionRow;
use crate::db::ack_status::{AckArticle, CitizenCount, Status};
use crate::db::campaigns::{self, LocalityCount};
use crate::db::citizens::LocalityRow;
use crate::db::evidence::Event;
use crate::db::places::PlaceCount;

/// "Quá hạn", "Chưa xác nhận" or "Đã xác nhận", as the campaign matrix also says it.
pub fn status_label(confirmed: bool, days_overdue: i64) -> String {
    match (confirmed, days_overdue) {
        (true, _) => "Đã xác nhận".to_owned(),
        (false, 0) => "Chưa xác nhận".to_owned(),
        (false, n) => format!("Quá hạn {n} ngày"),
    }
}

/// One row per current member of the audience, as on `/admin/bai-viet/{id}/xac-nhan`.
pub fn confirmations(ack: &AckArticle, statuses: &[Status], now: DateTime<Utc>) -> Sheet {
    let mut sheet = Sheet::new(
        "Xác nhận",
        &[
            "Họ tên",
            "Thư điện tử",
            "Đơn vị",
            "Trạng thái",
            "Số ngày quá hạn",
            "Phiên bản",
            "Thời điểm xác nhận",
            "Ghi nhận thay bởi",
            "Ghi chú",
        ],
    );
    let overdue = crate::ack::days_overdue(ack.terms.due_at, now);
    for s in statuses {
        let c = s.confirmation.as_ref();
        let late = if c.is_some() { 0 } else { overdue };
        sheet.push(vec![
            Cell::text(&s.member.name),
            Cell::text(&s.member.email),
            Cell::opt_text(&s.member.unit),
            Cell::text(status_label(c.is_some(), late)),
            if late > 0 {
                Cell::Int(late)
            } else {
                Cell::Empty
            },
            c.map_or(Cell::Empty, |c| Cell::Int(c.version)),
            Cell::opt_time(c.map(|c| c.created_at)),
            Cell::opt_text(c.and_then(|c| c.on_behalf_by()).unwrap_or_default()),
            Cell::opt_text(c.map(|c| c.note.as_str()).unwrap_or_default()),
        ]);
    }
    sheet
}

/// Citizens' confirmations per locality (in the order of `campaigns::arrange`, as the campaign
/// reports), with the share of each and a total; then per poster place (`places`, from
/// `db::places::article_counts`); and per day and locality. A CSV file holds the first table:
/// the places have their own file (`noi-dat`, [`place_sheet`]).
pub fn citizens(
    counts: &[CitizenCount],
    localities: Vec<LocalityRow>,
    places: &[PlaceCount],
) -> Vec<Sheet> {
    let mut per_slug: HashMap<String, i64> = HashMap::new();
    for c in counts {
        *per_slug.entry(c.locality.clone()).or_default() += c.confirmations;
    }
    let mut by_locality = locality_sheet(&campaigns::arrange(localities, per_slug));
    by_locality.name = "Theo địa bàn".to_owned();

    let mut by_day = Sheet::new("Theo ngày", &["Ngày", "Địa bàn", "Số xác nhận"]);
    let mut days: Vec<&CitizenCount> = counts.iter().collect();
    days.sort_by(|a, b| a.day.cmp(&b.day));
    for c in days {
        by_day.push(vec![
            day_cell(&c.day),
            Cell::text(c.locality_label()),
            Cell::Int(c.confirmations),
        ]);
    }
    vec![by_locality, place_sheet(places), by_day]
}

/// A stored `yyyy-mm-dd` as a date cell (as text if it is not one).
pub fn day_cell(day: &str) -> Cell {
    NaiveDate::parse_from_str(day, "%Y-%m-%d").map_or_else(|_| Cell::text(day), Cell::Date)
}

/// `Địa bàn | Số xác nhận | Tỷ lệ` per locality, each with its share of the whole, then the total.
pub fn locality_sheet(rows: &[LocalityCount]) -> Sheet {
    shares(
        "Người dân",
        "Địa bàn",
        rows.iter().map(|l| (l.name.as_str(), l.confirmations)),
    )
}

/// `Nơi đặt áp phích | Số xác nhận | Tỷ lệ`: every place (0 where nobody confirmed), then the
/// confirmations that came without one (`db::places::NO_PLACE`), then the total — which is the
/// locality table's total, since both count the same confirmations.
pub fn place_sheet(rows: &[PlaceCount]) -> Sheet {
    shares(
        "Theo nơi đặt áp phích",
        "Nơi đặt áp phích",
        rows.iter().map(|p| (p.name.as_str(), p.confirmations)),
    )
}

/// `{label} | Số xác nhận | Tỷ lệ` per row, each with its share of the whole, then the total.
fn shares<'a>(name: &str, label: &str, rows: impl Iterator<Item = (&'a str, i64)>) -> Sheet {
    let rows: Vec<(&str, i64)> = rows.collect();
    let total: i64 = rows.iter().map(|(_, n)| n).sum();
    let mut sheet = Sheet::new(name, &[label, "Số xác nhận", "Tỷ lệ"]);
    for (label, n) in rows {
        sheet.push(vec![Cell::text(label), Cell::Int(n), Cell::ratio(n, total)]);
    }
    sheet.push(vec![
        Cell::text("Tổng cộng"),
        Cell::Int(total),
        Cell::ratio(total, total),
    ]);
    sheet
}

/// The evidence: every event (confirmations and revocations, staff and citizens) with the
/// version, the renewal round and the SHA-256 of its exact text; then, as second and third
/// tables, the versions themselves and the rounds with their due dates.
pub fn evidence(events: &[Event], versions: &[VersionRow], rounds: &[RoundRow]) -> Vec<Sheet> {
    let revoked_by: HashMap<i64, i64> = events
        .iter()
        .filter_map(|e| e.revokes_id.map(|r| (r, e.id)))
        .collect();
    let mut sheet = Sheet::new(
        "Sự kiện",
        &[
            "Mã sự kiện",
            "Loại",
            "Thời điểm",
            "Đối tượng",
            "Họ tên",
            "Thư điện tử",
            "Đơn vị / địa bàn",
            "Nơi đặt áp phích",
            "Phiên bản",
            "Đợt",
            "SHA-256 nội dung",
            "Người ghi nhận",
            "Ghi chú",
            "Thu hồi sự kiện",
            "Lý do thu hồi",
            "Bị thu hồi bởi sự kiện",
        ],
    );
    for e in events {
        let staff = e.user_id.is_some();
        let name = if staff {
            e.staff_name.clone().unwrap_or_default()
        } else {
            e.citizen_name
                .clone()
                .unwrap_or_else(|| "(đã xoá dữ liệu cá nhân)".to_owned())
        };
        // The person themselves is not "someone who recorded it".
        let recorder = match (e.actor_id, e.user_id) {
            (Some(a), Some(u)) if a == u => None,
            _ => e.actor_name.clone(),
        };
        sheet.push(vec![
            Cell::Int(e.id),
            Cell::text(if e.kind == "revoke" {
                "Thu hồi"
            } else {
                "Xác nhận"
            }),
            Cell::Time(e.created_at),
            Cell::text(if staff { "Cán bộ" } else { "Người dân" }),
            Cell::opt_text(name),
            Cell::opt_text(e.staff_email.clone().unwrap_or_default()),
            Cell::opt_text(
                if staff { &e.unit } else { &e.locality }
                    .clone()
                    .unwrap_or_default(),
            ),
            Cell::opt_text(e.place.clone().unwrap_or_default()),
            Cell::Int(e.version),
            Cell::Int(e.round),
            Cell::text(&e.text_hash),
            Cell::opt_text(recorder.unwrap_or_default()),
            Cell::opt_text(&e.note),
            e.revokes_id.map_or(Cell::Empty, Cell::Int),
            Cell::opt_text(&e.reason),
            revoked_by.get(&e.id).map_or(Cell::Empty, |r| Cell::Int(*r)),
        ]);
    }
    let mut texts = Sheet::new(
        "Phiên bản",
        &[
            "Phiên bản",
            "Tiêu đề",
            "Thời điểm",
            "Lý do xác nhận lại",
            "SHA-256 nội dung",
        ],
    );
    for v in versions {
        texts.push(vec![
            Cell::Int(v.version),
            Cell::text(&v.title),
            Cell::Time(v.created_at),
            Cell::opt_text(&v.reason),
            Cell::text(&v.text_hash),
        ]);
    }
    let mut by_round = Sheet::new(
        "Đợt xác nhận",
        &["Đợt", "Mở ngày", "Hạn xác nhận", "Số cán bộ xác nhận"],
    );
    for r in rounds {
        let staff = events
            .iter()
            .filter(|e| e.round == r.round && e.kind == "confirm" && e.user_id.is_some())
            .filter(|e| !revoked_by.contains_key(&e.id))
            .filter_map(|e| e.user_id)
            .collect::<std::collections::HashSet<_>>()
            .len();
        by_round.push(vec![
            Cell::Int(r.round),
            day_cell(&r.opens_on),
            Cell::opt_time(r.due_at),
            Cell::Int(staff as i64),
        ]);
    }
    vec![sheet, texts, by_round]
}
