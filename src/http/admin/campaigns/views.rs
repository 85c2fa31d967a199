//! View structs of the campaign pages: figures with their bar, and the day-by-day chart, as
//! numbers the templates turn into SVG (`templates/admin/campaign_macros.html`). No markup is
//! built here.

use chrono::{Duration, NaiveDate};
use serde::Serialize;

use crate::db::campaigns::{DayCount, Figures};
use crate::http::views::percent;

/// The SVG bars' user units: a bar is 1000 wide, so widths are per-mille of the whole.
pub const BAR_WIDTH: i64 = 1000;

/// One set of figures as pages show them, with the geometry of its progress bar.
#[derive(Clone, Debug, Serialize)]
pub struct FiguresView {
    pub audience: i64,
    pub confirmed: i64,
    pub pending: i64,
    pub overdue: i64,
    pub target: i64,
    /// `66,7%` (as the per-article page writes it); `—` without an audience.
    pub percent: String,
    /// The filled part of the bar, 0–1000.
    pub bar: i64,
    /// Where the target mark sits on the bar, 0–1000.
    pub target_at: i64,
    pub reached: bool,
    pub has_audience: bool,
    /// A sentence for the bar's accessible name.
    pub label: String,
}

impl FiguresView {
    pub fn new(f: &Figures) -> FiguresView {
        let has_audience = f.audience > 0;
        let share = |n: i64| {
            if has_audience {
                (n * BAR_WIDTH / f.audience).clamp(0, BAR_WIDTH)
            } else {
                0
            }
        };
        let percent = if has_audience {
            percent(f.confirmed, f.audience)
        } else {
            "—".to_owned()
        };
        FiguresView {
            label: format!(
                "Đã xác nhận {} trên {} ({percent}); chỉ tiêu {}",
                f.confirmed, f.audience, f.target
            ),
            audience: f.audience,
            confirmed: f.confirmed,
            pending: f.pending(),
            overdue: f.overdue,
            target: f.target,
            percent,
            bar: share(f.confirmed),
            target_at: share(f.target),
            reached: f.reaches_target(),
            has_audience,
        }
    }

    /// Citizens: confirmations against a number, not an audience.
    pub fn citizens(total: i64, target: i64) -> FiguresView {
        let whole = target.max(total).max(1);
        FiguresView {
            label: format!("{total} lượt người dân xác nhận, chỉ tiêu {target}"),
            audience: target,
            confirmed: total,
            pending: (target - total).max(0),
            overdue: 0,
            target,
            percent: if target > 0 {
                percent(total, target)
            } else {
                "—".to_owned()
            },
            bar: total * BAR_WIDTH / whole,
            target_at: target * BAR_WIDTH / whole,
            reached: total >= target,
            has_audience: target > 0 || total > 0,
        }
    }
}

/// One bar of the day-by-day chart, in the chart's user units.
#[derive(Clone, Debug, Serialize)]
pub struct DayBar {
    pub x: i64,
    pub y: i64,
    pub height: i64,
    /// `05/09/2018: 12`, for the bar's tooltip.
    pub title: String,
}

/// A row of the chart's text alternative.
#[derive(Clone, Debug, Serialize)]
pub struct DayRow {
    pub day: String,
    pub count: i64,
}

/// Citizens' confirmations per day over the campaign so far: one bar per day, scaled to the
/// busiest day, with the same figures as a table.
#[derive(Clone, Debug, Serialize)]
pub struct DayChart {
    pub width: i64,
    pub height: i64,
    pub bars: Vec<DayBar>,
    pub first_day: String,
    pub last_day: String,
    pub max: i64,
    pub rows: Vec<DayRow>,
}

/// Each day is this wide in the chart's user units (bars 3 wide with a gap of 1).
const DAY_STEP: i64 = 4;
const CHART_HEIGHT: i64 = 100;

impl DayChart {
    /// The days from `start` to `end` (both included); `None` when the period has not begun.
    pub fn new(counts: &[DayCount], start: NaiveDate, end: NaiveDate) -> Option<DayChart> {
        if end < start {
            return None;
        }
        let days = (end - start).num_days() + 1;
        let in_range: Vec<(NaiveDate, i64)> = counts
            .iter()
            .filter_map(|c| {
                let d = NaiveDate::parse_from_str(&c.day, "%Y-%m-%d").ok()?;
                (d >= start && d <= end).then_some((d, c.confirmations))
            })
            .collect();
        let max = in_range.iter().map(|(_, n)| *n).max().unwrap_or(0);
        let fmt = |d: NaiveDate| d.format("%d/%m/%Y").to_string();
        let bars = in_range
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(d, n)| {
                let height = (n * CHART_HEIGHT / max.max(1)).max(1);
                DayBar {
                    x: (*d - start).num_days() * DAY_STEP,
                    y: CHART_HEIGHT - height,
                    height,
                    title: format!("{}: {n}", fmt(*d)),
                }
            })
            .collect();
        Some(DayChart {
            width: days * DAY_STEP,
            height: CHART_HEIGHT,
            bars,
            first_day: fmt(start),
            last_day: fmt(start + Duration::days(days - 1)),
            max,
            rows: in_range
                .iter()
                .map(|(d, n)| DayRow {
                    day: fmt(*d),
                    count: *n,
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn bars_are_shares_of_the_audience() {
        let v = FiguresView::new(&Figures {
            audience: 3,
            confirmed: 2,
            overdue: 1,
            target: 3,
        });
        assert_eq!(
            (v.bar, v.target_at, v.percent.as_str()),
            (666, 1000, "66,7%")
        );
        assert_eq!(v.pending, 1);
        assert!(!v.reached);
        let none = FiguresView::new(&Figures::default());
        assert_eq!((none.bar, none.percent.as_str()), (0, "—"));
    }

    #[test]
    fn citizens_are_measured_against_their_target() {
        let v = FiguresView::citizens(50, 200);
        assert_eq!((v.bar, v.target_at, v.percent.as_str()), (250, 1000, "25%"));
        let over = FiguresView::citizens(300, 200);
        assert_eq!((over.bar, over.target_at), (1000, 666));
        assert!(over.reached);
    }

    #[test]
    fn the_chart_has_one_slot_per_day_and_scales_to_the_busiest() {
        let counts = vec![
            DayCount {
                day: "2018-08-31".into(),
                confirmations: 99,
            },
            DayCount {
                day: "2018-09-01".into(),
                confirmations: 4,
            },
            DayCount {
                day: "2018-09-03".into(),
                confirmations: 2,
            },
        ];
        let c = DayChart::new(&counts, day("2018-09-01"), day("2018-09-10")).unwrap();
        assert_eq!(c.width, 40);
        assert_eq!(c.max, 4);
        let geometry: Vec<(i64, i64, i64)> = c.bars.iter().map(|b| (b.x, b.y, b.height)).collect();
        assert_eq!(geometry, [(0, 0, 100), (8, 50, 50)]);
        assert_eq!(c.rows.len(), 2, "the day before the period is left out");
        assert_eq!(c.bars[1].title, "03/09/2018: 2");
        assert_eq!(
            (c.first_day.as_str(), c.last_day.as_str()),
            ("01/09/2018", "10/09/2018")
        );
        assert!(DayChart::new(&counts, day("2018-09-02"), day("2018-09-01")).is_none());
    }
}
