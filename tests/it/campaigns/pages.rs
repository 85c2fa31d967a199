//! The dashboard, a person's page and the printable report through the real server: the same
//! figures as the per-article pages, server-drawn SVG with text alternatives, nothing inline
//! that the content security policy would block.

use loa::account::Role;

use super::rollup::scenario;
use crate::db_tests;
use crate::fixtures::{citizen_count, person};
use crate::helpers::{attrs, count, texts, TestDb};

db_tests!(
    the_dashboard_shows_the_per_article_figures,
    the_printable_report_has_the_tables_and_the_signatures,
    a_person_page_shows_each_article,
);

/// `(audience, confirmed)` of an article's own admin page.
async fn article_page(b: &crate::helpers::Browser, id: i64) -> (String, String, String) {
    let page = b.page(&format!("/admin/bai-viet/{id}/xac-nhan"), 200).await;
    let one = |sel: &str| texts(&page, sel).join("");
    (
        one("#so-phai-xac-nhan"),
        one("#so-da-xac-nhan"),
        one("#so-chua-xac-nhan"),
    )
}

async fn the_dashboard_shows_the_per_article_figures(db: TestDb) {
    let s = scenario(db).await;
    let app = &s.app;
    let (editor, _) = person(app, "bt@loa.test", "Biên tập", Role::Editor, None, false).await;
    citizen_count(app, s.quy_che, "2018-09-05", "huyen-bu-dang", 7).await;
    citizen_count(app, s.noi_quy, "2018-09-06", "huyen-bu-dang", 2).await;
    citizen_count(app, s.noi_quy, "2018-09-06", "", 1).await;
    // Before the period: not counted.
    citizen_count(app, s.noi_quy, "2018-08-31", "huyen-loc-ninh", 50).await;

    let page = editor.page("/admin/chien-dich/thu-nghiem", 200).await;
    for (slug, id) in [("quy-che", s.quy_che), ("noi-quy", s.noi_quy)] {
        let (audience, confirmed, pending) = article_page(&editor, id).await;
        let row = texts(
            &page,
            &format!(".campaign-articles tr[data-slug='{slug}'] td"),
        );
        assert_eq!(row[3], audience, "{slug}: {row:?}");
        assert_eq!(row[4], confirmed, "{slug}: {row:?}");
        let (a, c): (i64, i64) = (audience.parse().unwrap(), confirmed.parse().unwrap());
        assert_eq!(a - c, pending.parse::<i64>().unwrap());
    }
    // Not counted: no staff audience, not published.
    let row = texts(&page, ".campaign-articles tr[data-slug='sap-toi'] td");
    assert!(row[3].contains("Chưa xuất bản"), "{row:?}");
    // The editor (no unit) joined the "all staff" audience of noi-quy: 6 + 10 = 16, 6 confirmed.
    assert_eq!(texts(&page, "#ty-le"), ["37,5%"]);
    let units = texts(&page, ".campaign-units tr[data-unit='trung-tam'] td");
    assert_eq!(&units[1..6], ["12", "4", "33,3%", "10", "4"]);
    // Every bar is SVG drawn by the server, and the page has no inline style or script.
    assert!(count(&page, "svg.progress-bar") >= 10);
    assert_eq!(count(&page, "[style]"), 0);
    assert_eq!(count(&page, "script:not([src])"), 0);
    // Citizens: the two localities and the one without, within the period; chart and its table.
    assert_eq!(texts(&page, "#so-nguoi-dan"), ["10"]);
    assert_eq!(
        texts(&page, ".campaign-localities tbody td:first-child"),
        ["Huyện Bù Đăng", "Huyện Lộc Ninh", "Không ghi địa bàn"]
    );
    assert_eq!(
        texts(&page, ".campaign-localities tbody td.num"),
        ["9", "0", "1"]
    );
    assert_eq!(count(&page, ".day-chart svg rect.chart-bar"), 2);
    assert_eq!(
        texts(&page, ".campaign-days tbody td"),
        ["05/09/2018", "7", "06/09/2018", "3"]
    );
    // Each pending person links to their page; unit rows open that unit's dashboard.
    let links = attrs(&page, ".campaign-pending a", "href");
    assert_eq!(links.len(), 7, "{links:?}");
    assert!(links
        .iter()
        .all(|l| l.starts_with("/admin/chien-dich/thu-nghiem/nguoi/")));
    let tech = editor
        .page("/admin/chien-dich/thu-nghiem?don_vi=phong-ky-thuat", 200)
        .await;
    assert_eq!(
        texts(&tech, "#pham-vi"),
        ["Phòng Kỹ thuật và các đơn vị trực thuộc"]
    );
    assert_eq!(texts(&tech, "#ty-le"), ["50%"]);
    editor
        .page("/admin/chien-dich/thu-nghiem?don_vi=khong-co", 404)
        .await;
    editor.page("/admin/chien-dich/khong-co", 404).await;
    // The list shows the campaign with the same overall figures.
    let list = editor.page("/admin/chien-dich", 200).await;
    assert_eq!(
        texts(&list, ".campaign-list tr[data-slug='thu-nghiem'] td.num"),
        ["6 / 16 (37,5%)"]
    );
}

async fn the_printable_report_has_the_tables_and_the_signatures(db: TestDb) {
    let s = scenario(db).await;
    let app = &s.app;
    let (editor, _) = person(app, "bt@loa.test", "Biên tập", Role::Editor, None, false).await;
    let page = editor.page("/admin/chien-dich/thu-nghiem/in", 200).await;
    assert!(page.contains("Sở Thông tin và Truyền thông tỉnh A"));
    let today = loa::time::format_date(loa::time::now());
    assert!(
        page.contains(&format!("Ngày lập báo cáo: {today}")),
        "{page}"
    );
    assert_eq!(
        texts(&page, ".signature-title"),
        ["Người lập báo cáo", "Chánh Văn phòng"]
    );
    // The whole pending list, numbered.
    assert_eq!(count(&page, ".report-pending tbody tr"), 7);
    assert_eq!(count(&page, "[style]"), 0);
    assert_eq!(count(&page, "script:not([src])"), 0);
    assert_eq!(count(&page, "button[data-print][hidden]"), 1);
    let css = app.get("/static/loa.css").await.text().await.unwrap();
    assert!(css.contains("size: A4"));
}

async fn a_person_page_shows_each_article(db: TestDb) {
    let s = scenario(db).await;
    let app = &s.app;
    let (editor, _) = person(app, "bt@loa.test", "Biên tập", Role::Editor, None, false).await;
    let page = editor
        .page(
            &format!("/admin/chien-dich/thu-nghiem/nguoi/{}", s.people["m1"]),
            200,
        )
        .await;
    let rows = texts(&page, ".campaign-person tbody tr .status");
    assert_eq!(rows.len(), 2);
    assert!(rows[0].starts_with("Quá hạn "), "{rows:?}");
    assert_eq!(rows[1], "Chưa xác nhận");
    let moved = editor
        .page(
            &format!("/admin/chien-dich/thu-nghiem/nguoi/{}", s.people["moved"]),
            200,
        )
        .await;
    assert!(texts(&moved, ".meta").join(" ").contains("Tổ Mạng"));
    assert_eq!(count(&moved, ".cell-confirmed"), 2);
    // A deactivated person has no page; nor does a number that is nobody.
    editor
        .page(
            &format!("/admin/chien-dich/thu-nghiem/nguoi/{}", s.people["gone"]),
            404,
        )
        .await;
    editor
        .page("/admin/chien-dich/thu-nghiem/nguoi/abc", 404)
        .await;
}
