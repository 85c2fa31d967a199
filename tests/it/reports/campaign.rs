//! A campaign's exports on the roll-up scenario of `campaigns::rollup` (a three-level tree, a
//! person moved, one deactivated, a major version): every table read back cell by cell, the
//! whole report as one workbook, and a unit head's exports limited to their own subtree.

use chrono::{DateTime, NaiveDate, Utc};
use loa::account::Role;
use loa::params;
use loa::report::campaign::{
    ARTICLE_HEADERS, MATRIX_COUNT_HEADERS, MATRIX_PERSON_HEADERS, PENDING_HEADERS, UNIT_HEADERS,
};

use super::fixture::{audited, confirmed_at};
use super::read::{
    check_csv, check_sheet, download, headers, sheet_names, t, today_name, xlsx_text,
    X::{self, AnyTime, Day, D, E, I, P},
};
use crate::campaigns::rollup::{scenario, tech_head, Scenario};
use crate::db_tests;
use crate::fixtures::{article_id, citizen_count, person};
use crate::helpers::{Browser, TestApp, TestDb};

db_tests!(
    the_campaign_tables_read_back_cell_by_cell,
    a_unit_head_exports_only_their_subtree,
);

const BASE: &str = "/admin/chien-dich/thu-nghiem/xuat";

/// Both files of a table, checked against the same rows.
async fn both(b: &Browser, table: &str, query: &str, name: &str, sheet: &str, rows: &[Vec<X>]) {
    let csv = download(
        b,
        &format!("{BASE}/{table}.csv{query}"),
        &today_name(name, "csv"),
    )
    .await;
    check_csv(&csv, rows);
    let xlsx = download(
        b,
        &format!("{BASE}/{table}.xlsx{query}"),
        &today_name(name, "xlsx"),
    )
    .await;
    check_sheet(&xlsx, sheet, rows);
}

async fn due_at(app: &TestApp, article: i64) -> DateTime<Utc> {
    #[derive(sqlx::FromRow)]
    struct Due {
        due_at: Option<DateTime<Utc>>,
    }
    let d: Due = app
        .state
        .db
        .pool()
        .fetch_optional(
            "select due_at from ack_settings where article_id = $1",
            params![article],
        )
        .await
        .unwrap()
        .unwrap();
    d.due_at.unwrap()
}

/// The columns of every table, as the reports write them: the test compares each file with
/// the source's lists, and checks here, once, what those lists say.
#[test]
fn the_column_headers_are_in_vietnamese() {
    let line = |headers: &[&str]| headers.join(" | ");
    assert_eq!(
        line(&ARTICLE_HEADERS),
        "STT | Bài viết | Hạn xác nhận | Lượt phải xác nhận | Lượt đã xác nhận | Tỷ lệ | \
         Chỉ tiêu (lượt) | Lượt quá hạn | Ghi chú"
    );
    assert_eq!(
        line(&UNIT_HEADERS),
        "Đơn vị | Cấp | Thuộc đơn vị | Lượt phải xác nhận | Lượt đã xác nhận | Tỷ lệ | \
         Chỉ tiêu (lượt) | Đạt chỉ tiêu | Lượt chưa xác nhận | Lượt quá hạn"
    );
    assert_eq!(
        line(&PENDING_HEADERS),
        "Họ tên | Thư điện tử | Đơn vị | Bài viết | Hạn xác nhận | Trạng thái | Số ngày quá hạn"
    );
    assert_eq!(
        line(&MATRIX_PERSON_HEADERS),
        "Họ tên | Thư điện tử | Đơn vị"
    );
    assert_eq!(
        line(&MATRIX_COUNT_HEADERS),
        "Đã xác nhận | Phải xác nhận | Quá hạn"
    );
}

fn units_header() -> Vec<X> {
    headers(&UNIT_HEADERS)
}

/// A unit-table row: name, level, parent, then audience, confirmed, target, pending, overdue.
fn unit_row(name: &str, level: X, parent: X, f: [i64; 5]) -> Vec<X> {
    let [audience, confirmed, target, pending, overdue] = f;
    vec![
        t(name),
        level,
        parent,
        I(audience),
        I(confirmed),
        P(confirmed as f64 / audience as f64),
        I(target),
        t(if confirmed >= target {
            "Đạt"
        } else {
            "Chưa đạt"
        }),
        I(pending),
        I(overdue),
    ]
}

async fn the_campaign_tables_read_back_cell_by_cell(db: TestDb) {
    let s: Scenario = scenario(db).await;
    let app = &s.app;
    let tin_dan = article_id(app, "tin-dan").await;
    citizen_count(app, tin_dan, "2024-05-01", "huyen-bu-dang", 3).await;
    citizen_count(app, tin_dan, "2024-05-02", "huyen-loc-ninh", 2).await;
    citizen_count(app, tin_dan, "2024-05-02", "", 1).await;
    // The editor is staff too, without a unit: one more person who must read noi-quy (all staff).
    let (editor, bt) = person(app, "bt@loa.test", "Biên Tập", Role::Editor, None, false).await;
    let mut people = s.people.clone();
    people.insert("bt", bt);

    let units = vec![
        units_header(),
        unit_row("Văn phòng Sở", I(1), E, [2, 1, 2, 1, 0]),
        unit_row("Trung tâm", I(1), E, [12, 4, 10, 8, 4]),
        unit_row("Phòng Kỹ thuật", I(2), t("Trung tâm"), [8, 4, 7, 4, 2]),
        unit_row("Tổ Mạng", I(3), t("Phòng Kỹ thuật"), [4, 2, 4, 2, 1]),
        unit_row("Phòng Hành chính", I(2), t("Trung tâm"), [2, 0, 2, 2, 1]),
        unit_row("Không thuộc đơn vị nào", E, E, [2, 1, 2, 1, 0]),
        unit_row("Tổng cộng", E, E, [16, 6, 13, 10, 4]),
    ];
    both(
        &editor,
        "don-vi",
        "",
        "thu-nghiem-don-vi",
        "Theo đơn vị",
        &units,
    )
    .await;

    let (quy, noi) = (due_at(app, s.quy_che).await, due_at(app, s.noi_quy).await);
    let email = |key: &str| format!("{key}@loa.test");
    let pending_row = |name: &str, key: &str, unit: &str, quy_che: bool| {
        vec![
            t(name),
            t(&email(key)),
            t(unit),
            t(if quy_che {
                "Bài quy-che"
            } else {
                "Bài noi-quy"
            }),
            D(if quy_che { quy } else { noi }),
            t(if quy_che {
                "Quá hạn 3 ngày"
            } else {
                "Chưa xác nhận"
            }),
            if quy_che { I(3) } else { E },
        ]
    };
    let pending = vec![
        headers(&PENDING_HEADERS),
        pending_row("Bình Văn phòng", "vp2", "Văn phòng Sở", false),
        pending_row("Cường Trung tâm", "tt1", "Trung tâm", true),
        pending_row("Cường Trung tâm", "tt1", "Trung tâm", false),
        pending_row("Dũng Kỹ thuật", "kt1", "Phòng Kỹ thuật", false),
        pending_row("Giang Kỹ thuật", "kt2", "Phòng Kỹ thuật", true),
        pending_row("Hà Mạng", "m1", "Tổ Mạng", true),
        pending_row("Hà Mạng", "m1", "Tổ Mạng", false),
        pending_row("Khánh Hành chính", "hc1", "Phòng Hành chính", true),
        pending_row("Khánh Hành chính", "hc1", "Phòng Hành chính", false),
        pending_row("Biên Tập", "bt", "Không thuộc đơn vị nào", false),
    ];
    both(
        &editor,
        "chua-xac-nhan",
        "",
        "thu-nghiem-chua-xac-nhan",
        "Chưa xác nhận",
        &pending,
    )
    .await;

    // The matrix: a date where confirmed, the status where not, empty where not required.
    let at = |article: i64, key: &str| confirmed_at(app, article, people[key]);
    let (late, open) = (t("Quá hạn 3 ngày"), t("Chưa xác nhận"));
    let articles = ["1. Bài quy-che", "2. Bài noi-quy"];
    let mut matrix = vec![headers(
        &[&MATRIX_PERSON_HEADERS[..], &articles, &MATRIX_COUNT_HEADERS].concat(),
    )];
    for (name, key, unit, quy_cell, noi_cell, counts) in [
        (
            "An Văn phòng",
            "vp1",
            "Văn phòng Sở",
            E,
            D(at(s.noi_quy, "vp1").await),
            [1, 1, 0],
        ),
        (
            "Bình Văn phòng",
            "vp2",
            "Văn phòng Sở",
            E,
            open.clone(),
            [0, 1, 0],
        ),
        (
            "Cường Trung tâm",
            "tt1",
            "Trung tâm",
            late.clone(),
            open.clone(),
            [0, 2, 1],
        ),
        (
            "Dũng Kỹ thuật",
            "kt1",
            "Phòng Kỹ thuật",
            D(at(s.quy_che, "kt1").await),
            open.clone(),
            [1, 2, 0],
        ),
        (
            "Giang Kỹ thuật",
            "kt2",
            "Phòng Kỹ thuật",
            late.clone(),
            D(at(s.noi_quy, "kt2").await),
            [1, 2, 1],
        ),
        (
            "Hà Mạng",
            "m1",
            "Tổ Mạng",
            late.clone(),
            open.clone(),
            [0, 2, 1],
        ),
        (
            "Minh Chuyển",
            "moved",
            "Tổ Mạng",
            D(at(s.quy_che, "moved").await),
            D(at(s.noi_quy, "moved").await),
            [2, 2, 0],
        ),
        (
            "Khánh Hành chính",
            "hc1",
            "Phòng Hành chính",
            late.clone(),
            open.clone(),
            [0, 2, 1],
        ),
        (
            "Biên Tập",
            "bt",
            "Không thuộc đơn vị nào",
            E,
            open.clone(),
            [0, 1, 0],
        ),
        (
            "Lan Không đơn vị",
            "nounit",
            "Không thuộc đơn vị nào",
            E,
            D(at(s.noi_quy, "nounit").await),
            [1, 1, 0],
        ),
    ] {
        let [done, due, overdue] = counts;
        matrix.push(vec![
            t(name),
            t(&email(key)),
            t(unit),
            quy_cell,
            noi_cell,
            I(done),
            I(due),
            I(overdue),
        ]);
    }
    both(
        &editor,
        "ma-tran",
        "",
        "thu-nghiem-ma-tran",
        "Ma trận",
        &matrix,
    )
    .await;

    let localities = vec![
        headers(&["Địa bàn", "Số xác nhận", "Tỷ lệ"]),
        vec![t("Huyện Bù Đăng"), I(3), P(0.5)],
        vec![t("Huyện Lộc Ninh"), I(2), P(2.0 / 6.0)],
        vec![t("Không ghi địa bàn"), I(1), P(1.0 / 6.0)],
        vec![t("Tổng cộng"), I(6), P(1.0)],
    ];
    let day = |d: &str| Day(NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap());
    let days = vec![
        headers(&["Ngày", "Số xác nhận"]),
        vec![day("2024-05-01"), I(3)],
        vec![day("2024-05-02"), I(3)],
    ];
    both(
        &editor,
        "nguoi-dan",
        "",
        "thu-nghiem-nguoi-dan",
        "Người dân theo địa bàn",
        &localities,
    )
    .await;

    // The whole report: one workbook, one sheet per table, named after the campaign and the day.
    editor.page(&format!("{BASE}/bao-cao.csv"), 404).await;
    let book = download(
        &editor,
        &format!("{BASE}/bao-cao.xlsx"),
        &today_name("thu-nghiem", "xlsx"),
    )
    .await;
    assert_eq!(
        sheet_names(&book),
        [
            "Tổng quan",
            "Theo bài viết",
            "Theo đơn vị",
            "Chưa xác nhận",
            "Ma trận",
            "Người dân theo địa bàn",
            "Người dân theo nơi đặt",
            "Người dân theo ngày"
        ]
    );
    let overview: Vec<Vec<X>> = [
        ("Mục", t("Giá trị")),
        ("Chiến dịch", t("Chiến dịch thu-nghiem")),
        ("Bắt đầu", day("2018-09-01")),
        ("Kết thúc", day("2030-12-31")),
        ("Phạm vi", t("Toàn cơ quan")),
        ("Thời điểm lập báo cáo", AnyTime),
        ("Lượt phải xác nhận", I(16)),
        ("Lượt đã xác nhận", I(6)),
        ("Tỷ lệ đã xác nhận", P(6.0 / 16.0)),
        ("Chỉ tiêu cán bộ (%)", I(80)),
        ("Chỉ tiêu cán bộ (lượt)", I(13)),
        ("Lượt chưa xác nhận", I(10)),
        ("Lượt quá hạn", I(4)),
        ("Lượt người dân xác nhận", I(6)),
        ("Chỉ tiêu người dân (lượt)", I(100)),
    ]
    .into_iter()
    .map(|(label, value)| vec![t(label), value])
    .collect();
    check_sheet(&book, "Tổng quan", &overview);
    let no_figures = |pos: i64, slug: &str, note: &str| {
        vec![I(pos), t(&format!("Bài {slug}")), E, E, E, E, E, E, t(note)]
    };
    check_sheet(
        &book,
        "Theo bài viết",
        &[
            headers(&ARTICLE_HEADERS),
            vec![
                I(1),
                t("Bài quy-che"),
                D(quy),
                I(6),
                I(2),
                P(2.0 / 6.0),
                I(5),
                I(4),
                E,
            ],
            vec![
                I(2),
                t("Bài noi-quy"),
                D(noi),
                I(10),
                I(4),
                P(0.4),
                I(8),
                I(0),
                E,
            ],
            no_figures(3, "tin-dan", "Không yêu cầu cán bộ xác nhận"),
            no_figures(4, "sap-toi", "Chưa xuất bản, chưa tính"),
        ],
    );
    check_sheet(&book, "Theo đơn vị", &units);
    check_sheet(&book, "Chưa xác nhận", &pending);
    check_sheet(&book, "Ma trận", &matrix);
    check_sheet(&book, "Người dân theo địa bàn", &localities);
    check_sheet(&book, "Người dân theo ngày", &days);

    // Each download audited once, with its scope; the dashboard links them.
    assert_eq!(
        audited(app, "report.export", "phạm vi: Toàn cơ quan").await,
        9
    );
    let page = editor.page("/admin/chien-dich/thu-nghiem", 200).await;
    for table in [
        "bao-cao.xlsx",
        "ma-tran.csv",
        "don-vi.xlsx",
        "chua-xac-nhan.csv",
        "nguoi-dan.xlsx",
    ] {
        assert!(page.contains(&format!("{BASE}/{table}")), "{table}");
    }
    editor.page(&format!("{BASE}/khac.xlsx"), 404).await;
    editor
        .page("/admin/chien-dich/khong-co/xuat/ma-tran.xlsx", 404)
        .await;
}

async fn a_unit_head_exports_only_their_subtree(db: TestDb) {
    let s = scenario(db).await;
    let app = &s.app;
    let head = tech_head(app).await;
    // The head is in the subtree too: 10 pairs, 4 confirmed, 3 overdue.
    let units = vec![
        units_header(),
        unit_row("Phòng Kỹ thuật", I(1), E, [10, 4, 8, 6, 3]),
        unit_row("Tổ Mạng", I(2), t("Phòng Kỹ thuật"), [4, 2, 4, 2, 1]),
        unit_row("Tổng cộng", E, E, [10, 4, 8, 6, 3]),
    ];
    both(
        &head,
        "don-vi",
        "",
        "thu-nghiem-don-vi-phong-ky-thuat",
        "Theo đơn vị",
        &units,
    )
    .await;

    // Every table, in both formats and as the whole report: nobody outside the subtree.
    let inside = ["kt1@", "kt2@", "m1@", "truong.kt@", "moved@"];
    let outside = ["vp1@", "vp2@", "tt1@", "hc1@", "nounit@", "gone@"];
    let mut downloads = 2;
    for (file, query) in [
        ("ma-tran.csv", ""),
        ("ma-tran.xlsx", ""),
        ("chua-xac-nhan.csv", "?don_vi="),
        ("chua-xac-nhan.xlsx", ""),
        ("bao-cao.xlsx", ""),
        ("ma-tran.csv", "?don_vi=to-mang"),
    ] {
        let r = head.get(&format!("{BASE}/{file}{query}")).await;
        assert_eq!(r.status(), 200, "{file}{query}");
        downloads += 1;
        let bytes = r.bytes().await.unwrap();
        let text = if file.ends_with(".csv") {
            String::from_utf8(bytes.to_vec()).unwrap()
        } else {
            xlsx_text(&bytes)
        };
        for who in outside {
            assert!(!text.contains(who), "{file}{query} shows {who}");
        }
        let expected: &[&str] = if query.contains("to-mang") {
            &["m1@", "moved@"]
        } else if file.starts_with("chua-xac-nhan") {
            // Minh Chuyển has confirmed everything.
            &inside[..4]
        } else {
            &inside
        };
        for who in expected {
            assert!(text.contains(who), "{file}{query} lacks {who}");
        }
        if query.contains("to-mang") {
            assert!(!text.contains("kt1@"), "the smaller scope");
        }
    }
    // A crafted unit outside the subtree is refused, an unknown one is not found.
    for table in [
        "ma-tran.csv",
        "don-vi.xlsx",
        "chua-xac-nhan.csv",
        "nguoi-dan.csv",
        "bao-cao.xlsx",
    ] {
        for unit in ["trung-tam", "van-phong", "phong-hanh-chinh"] {
            head.page(&format!("{BASE}/{table}?don_vi={unit}"), 403)
                .await;
        }
        head.page(&format!("{BASE}/{table}?don_vi=khong-co"), 404)
            .await;
    }
    // Employees who head nothing, and authors, are refused; strangers sign in first.
    let (employee, _) = person(
        app,
        "nv@loa.test",
        "Nhân Viên",
        Role::Employee,
        Some("phong-ky-thuat"),
        false,
    )
    .await;
    employee.page(&format!("{BASE}/ma-tran.xlsx"), 403).await;
    app.signed_in(Role::Author)
        .await
        .page(&format!("{BASE}/don-vi.csv"), 403)
        .await;
    assert_eq!(app.get(&format!("{BASE}/don-vi.csv")).await.status(), 303);

    // Audited: every download and only those, with the scope.
    let scope = "phạm vi: Phòng Kỹ thuật và các đơn vị trực thuộc";
    assert_eq!(audited(app, "report.export", scope).await, downloads - 1);
    assert_eq!(audited(app, "report.export", "phạm vi: Tổ Mạng").await, 1);
    assert_eq!(audited(app, "report.export", "").await, downloads);
}
