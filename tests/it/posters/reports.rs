//! The place a citizen came from, through to the files and the paper: the citizens' exports of
//! an article and of a campaign (a `noi-dat` table of their own in CSV, a sheet in the
//! workbooks), the printable campaign report, and the evidence export's place column.

use loa::db::places::NO_PLACE;

use super::places::{citizen, pair, rows};
use super::{editor, spawn};
use crate::db_tests;
use crate::fixtures;
use crate::helpers::{attrs, location, TestDb};
use crate::reports::read::{
    check_csv, check_sheet, csv_column, download, headers, sheet_names, t, today_name, X,
};

db_tests!(the_place_goes_through_to_the_exports_and_the_printed_report);

async fn the_place_goes_through_to_the_exports_and_the_printed_report(db: TestDb) {
    let app = spawn(db).await;
    let visitor = app.browser();
    for (name, phone, tag) in [
        ("An", "0912000001", "quay-1"),
        ("Bình", "0912000002", "quay-1"),
        ("Chi", "0912000003", ""),
    ] {
        let r = visitor
            .post(
                "/bai-viet/bai-a/nguoi-dan-xac-nhan",
                &citizen(name, phone, tag),
            )
            .await;
        assert_eq!(r.status(), 303, "{name}");
    }
    let b = editor(&app).await;
    let id = fixtures::article_id(&app, "bai-a").await;
    let by_place = vec![
        headers(&["Nơi đặt áp phích", "Số xác nhận", "Tỷ lệ"]),
        vec![t("Quầy số 1"), X::I(2), X::P(2.0 / 3.0)],
        vec![
            t("Trung tâm Phục vụ hành chính công tỉnh"),
            X::I(0),
            X::P(0.0),
        ],
        vec![t(NO_PLACE), X::I(1), X::P(1.0 / 3.0)],
        vec![t("Tổng cộng"), X::I(3), X::P(1.0)],
    ];

    // The article: its own CSV file, and a sheet of the citizens' workbook.
    let base = format!("/admin/bai-viet/{id}/xac-nhan/xuat");
    let csv = download(
        &b,
        &format!("{base}/noi-dat.csv"),
        &today_name("bai-a-noi-dat", "csv"),
    )
    .await;
    check_csv(&csv, &by_place);
    let book = download(
        &b,
        &format!("{base}/nguoi-dan.xlsx"),
        &today_name("bai-a-nguoi-dan", "xlsx"),
    )
    .await;
    assert_eq!(
        sheet_names(&book),
        ["Theo địa bàn", "Theo nơi đặt áp phích", "Theo ngày"]
    );
    check_sheet(&book, "Theo nơi đặt áp phích", &by_place);
    let page = b.page(&format!("/admin/bai-viet/{id}/xac-nhan"), 200).await;
    assert!(page.contains(&format!("{base}/noi-dat.csv")));

    // The campaign: the same counts (bai-a is its only article citizens confirm).
    let base = "/admin/chien-dich/chien-dich-a/xuat";
    let csv = download(
        &b,
        &format!("{base}/noi-dat.csv"),
        &today_name("chien-dich-a-noi-dat", "csv"),
    )
    .await;
    check_csv(&csv, &by_place);
    for (file, name) in [
        ("nguoi-dan.xlsx", "chien-dich-a-nguoi-dan"),
        ("bao-cao.xlsx", "chien-dich-a"),
    ] {
        let book = download(&b, &format!("{base}/{file}"), &today_name(name, "xlsx")).await;
        assert!(
            sheet_names(&book).contains(&"Người dân theo nơi đặt".to_owned()),
            "{file}"
        );
        check_sheet(&book, "Người dân theo nơi đặt", &by_place);
    }
    let page = b.page("/admin/chien-dich/chien-dich-a", 200).await;
    assert!(page.contains(&format!("{base}/noi-dat.xlsx")));

    // The printable report has the table the dashboard has.
    let expected = [
        pair("Quầy số 1", 2),
        pair("Trung tâm Phục vụ hành chính công tỉnh", 0),
        pair(NO_PLACE, 1),
    ];
    let printed = b.page("/admin/chien-dich/chien-dich-a/in", 200).await;
    assert_eq!(rows(&printed, "report-places"), expected);
    let dashboard = b.page("/admin/chien-dich/chien-dich-a", 200).await;
    assert_eq!(rows(&dashboard, "campaign-places"), expected);

    // The evidence names each citizen's place (and round).
    let evidence = format!("/admin/bai-viet/{id}/xac-nhan/bang-chung");
    let r = b.post(&evidence, &[("dinh_dang", "csv")]).await;
    assert_eq!(r.status(), 303);
    let page = b.page(&location(&r), 200).await;
    let link = attrs(&page, "#tai-tep", "href").pop().unwrap();
    let bytes = download(&b, &link, &today_name("bai-a-bang-chung", "csv")).await;
    assert_eq!(
        csv_column(&bytes, "Nơi đặt áp phích"),
        ["Quầy số 1", "Quầy số 1", ""]
    );
    assert_eq!(csv_column(&bytes, "Đợt"), ["1", "1", "1"]);
}
