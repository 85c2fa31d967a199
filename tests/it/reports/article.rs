//! One article's exports: the staff list with statuses, citizens by locality, and the evidence
//! with its SHA-256 on screen, in the audit log and equal to the downloaded bytes' hash.

use loa::account::Role;

use super::fixture::{audited, citizen_confirms, events, spawn, version, EDITOR_NAME, HOSTILE};
use super::read::{
    check_csv, check_sheet, download, headers, sha256, sheet_names, t, today_name, xlsx_part,
    X::{self, D, E, I, P},
};
use crate::db_tests;
use crate::fixtures::{article_id, person};
use crate::helpers::{location, texts, Browser, TestApp, TestDb};

db_tests!(
    the_staff_list_reads_back_cell_by_cell,
    citizens_by_locality_read_back_cell_by_cell,
    the_evidence_hash_is_the_hash_of_the_file,
    only_editors_and_admins_export,
);

/// Trần An (trung-tam) confirmed, was revoked with a reason, confirmed again; Phạm Chi
/// (to-mang) was recorded on her behalf; Lê Bình (phong-ky-thuat) is pending; Vũ Dũng
/// (van-phong) is outside the audience; two citizens, one with a hostile name.
struct Scenario {
    app: TestApp,
    editor: Browser,
    id: i64,
}

async fn scenario(db: TestDb) -> Scenario {
    let app = spawn(db).await;
    let id = article_id(&app, "quy-che").await;
    let (an, _) = person(
        &app,
        "an@loa.test",
        "Trần An",
        Role::Employee,
        Some("trung-tam"),
        false,
    )
    .await;
    person(
        &app,
        "binh@loa.test",
        "Lê Bình",
        Role::Employee,
        Some("phong-ky-thuat"),
        false,
    )
    .await;
    let (_, chi) = person(
        &app,
        "chi@loa.test",
        "Phạm Chi",
        Role::Employee,
        Some("to-mang"),
        false,
    )
    .await;
    person(
        &app,
        "dung@loa.test",
        "Vũ Dũng",
        Role::Employee,
        Some("van-phong"),
        false,
    )
    .await;
    let (editor, _) = person(&app, "bt@loa.test", EDITOR_NAME, Role::Editor, None, false).await;

    assert_eq!(
        an.post("/bai-viet/quy-che/xac-nhan", &[]).await.status(),
        303
    );
    let chi = chi.to_string();
    let r = editor
        .post(
            &format!("/admin/bai-viet/{id}/xac-nhan/thay-mat"),
            &[("user_id", &chi), ("note", "@giấy ký ngày 12/9")],
        )
        .await;
    assert_eq!(r.status(), 303);
    citizen_confirms(
        &app,
        "quy-che",
        HOSTILE,
        "0912 345 678",
        "",
        "huyen-loc-ninh",
    )
    .await;
    citizen_confirms(
        &app,
        "quy-che",
        "Lê Thị Hoa",
        "",
        "hoa@mail.vn",
        "huyen-bu-dang",
    )
    .await;
    let first = events(&app, id).await[0].id.to_string();
    let r = editor
        .post(
            &format!("/admin/bai-viet/{id}/xac-nhan/thu-hoi"),
            &[("event_id", &first), ("reason", "-nhầm người")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        an.post("/bai-viet/quy-che/xac-nhan", &[]).await.status(),
        303
    );
    Scenario { app, editor, id }
}

async fn the_staff_list_reads_back_cell_by_cell(db: TestDb) {
    let Scenario { app, editor, id } = scenario(db).await;
    let ev = events(&app, id).await;
    assert_eq!(ev.len(), 6);
    let expected = vec![
        headers(&[
            "Họ tên",
            "Thư điện tử",
            "Đơn vị",
            "Trạng thái",
            "Số ngày quá hạn",
            "Phiên bản",
            "Thời điểm xác nhận",
            "Ghi nhận thay bởi",
            "Ghi chú",
        ]),
        vec![
            t("Lê Bình"),
            t("binh@loa.test"),
            t("Phòng Kỹ thuật"),
            t("Quá hạn 3 ngày"),
            I(3),
            E,
            E,
            E,
            E,
        ],
        vec![
            t("Trần An"),
            t("an@loa.test"),
            t("Trung tâm"),
            t("Đã xác nhận"),
            E,
            I(1),
            D(ev[5].created_at),
            E,
            E,
        ],
        vec![
            t("Phạm Chi"),
            t("chi@loa.test"),
            t("Tổ Mạng"),
            t("Đã xác nhận"),
            E,
            I(1),
            D(ev[1].created_at),
            t(EDITOR_NAME),
            t("'@giấy ký ngày 12/9"),
        ],
    ];
    let base = format!("/admin/bai-viet/{id}/xac-nhan/xuat/xac-nhan");
    let csv = download(
        &editor,
        &format!("{base}.csv"),
        &today_name("quy-che-xac-nhan", "csv"),
    )
    .await;
    check_csv(&csv, &expected);
    let xlsx = download(
        &editor,
        &format!("{base}.xlsx"),
        &today_name("quy-che-xac-nhan", "xlsx"),
    )
    .await;
    assert_eq!(sheet_names(&xlsx), ["Xác nhận"]);
    check_sheet(&xlsx, "Xác nhận", &expected);

    // A bold, frozen header row with filters, widths set, dates formatted as dates.
    let sheet = xlsx_part(&xlsx, "xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains("ySplit=\"1\"") && sheet.contains("state=\"frozen\""),
        "{sheet}"
    );
    assert!(sheet.contains("<autoFilter ref=\"A1:I4\""), "{sheet}");
    assert!(sheet.contains("customWidth=\"1\""), "{sheet}");
    let styles = xlsx_part(&xlsx, "xl/styles.xml");
    assert!(styles.contains("<b/>"), "{styles}");
    assert!(
        styles.contains("formatCode=\"dd/mm/yyyy hh:mm\""),
        "{styles}"
    );

    // Both audited with the hash of what was sent; the page links both.
    for bytes in [&csv, &xlsx] {
        assert_eq!(audited(&app, "report.export", &sha256(bytes)).await, 1);
    }
    let page = editor
        .page(&format!("/admin/bai-viet/{id}/xac-nhan"), 200)
        .await;
    assert!(page.contains(&format!("{base}.xlsx")) && page.contains(&format!("{base}.csv")));
}

async fn citizens_by_locality_read_back_cell_by_cell(db: TestDb) {
    let Scenario { app, editor, id } = scenario(db).await;
    let by_locality = vec![
        headers(&["Địa bàn", "Số xác nhận", "Tỷ lệ"]),
        vec![t("Huyện Bù Đăng"), I(1), P(0.5)],
        vec![t("Huyện Lộc Ninh"), I(1), P(0.5)],
        vec![t("Tổng cộng"), I(2), P(1.0)],
    ];
    let base = format!("/admin/bai-viet/{id}/xac-nhan/xuat/nguoi-dan");
    let csv = download(
        &editor,
        &format!("{base}.csv"),
        &today_name("quy-che-nguoi-dan", "csv"),
    )
    .await;
    check_csv(&csv, &by_locality);
    let xlsx = download(
        &editor,
        &format!("{base}.xlsx"),
        &today_name("quy-che-nguoi-dan", "xlsx"),
    )
    .await;
    assert_eq!(
        sheet_names(&xlsx),
        ["Theo địa bàn", "Theo nơi đặt áp phích", "Theo ngày"]
    );
    check_sheet(&xlsx, "Theo địa bàn", &by_locality);
    let today = loa::time::now()
        .with_timezone(&loa::time::vietnam())
        .date_naive();
    check_sheet(
        &xlsx,
        "Theo ngày",
        &[
            headers(&["Ngày", "Địa bàn", "Số xác nhận"]),
            vec![X::Day(today), t("Huyện Bù Đăng"), I(1)],
            vec![X::Day(today), t("Huyện Lộc Ninh"), I(1)],
        ],
    );
    assert_eq!(
        audited(&app, "report.export", "quy-che-nguoi-dan_").await,
        2
    );
}

async fn the_evidence_hash_is_the_hash_of_the_file(db: TestDb) {
    let Scenario { app, editor, id } = scenario(db).await;
    let ev = events(&app, id).await;
    let v = version(&app, id).await;
    let h = || t(&v.text_hash);
    let staff = |i: usize, name: &str, email: &str, unit: &str| {
        vec![
            I(ev[i].id),
            t("Xác nhận"),
            D(ev[i].created_at),
            t("Cán bộ"),
            t(name),
            t(email),
            t(unit),
            E,
            I(1),
            I(1),
            h(),
        ]
    };
    let citizen = |i: usize, name: &str, locality: &str| {
        vec![
            I(ev[i].id),
            t("Xác nhận"),
            D(ev[i].created_at),
            t("Người dân"),
            t(name),
            E,
            t(locality),
            E,
            I(1),
            I(1),
            h(),
            E,
            E,
            E,
            E,
            E,
        ]
    };
    let with = |mut row: Vec<X>, rest: Vec<X>| {
        row.extend(rest);
        row
    };
    let expected = vec![
        headers(&[
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
        ]),
        with(
            staff(0, "Trần An", "an@loa.test", "Trung tâm"),
            vec![E, E, E, E, I(ev[4].id)],
        ),
        with(
            staff(1, "Phạm Chi", "chi@loa.test", "Tổ Mạng"),
            vec![t(EDITOR_NAME), t("'@giấy ký ngày 12/9"), E, E, E],
        ),
        citizen(2, &format!("'{HOSTILE}"), "Huyện Lộc Ninh"),
        citizen(3, "Lê Thị Hoa", "Huyện Bù Đăng"),
        vec![
            I(ev[4].id),
            t("Thu hồi"),
            D(ev[4].created_at),
            t("Cán bộ"),
            t("Trần An"),
            t("an@loa.test"),
            t("Trung tâm"),
            E,
            I(1),
            I(1),
            h(),
            t(EDITOR_NAME),
            E,
            I(ev[0].id),
            t("'-nhầm người"),
            E,
        ],
        with(
            staff(5, "Trần An", "an@loa.test", "Trung tâm"),
            vec![E, E, E, E, E],
        ),
    ];
    let page_path = format!("/admin/bai-viet/{id}/xac-nhan/bang-chung");
    let page = editor.page(&page_path, 200).await;
    assert!(page.contains("Chưa xuất lần nào."));
    // A format that does not exist: a message, nothing stored.
    let r = editor.post(&page_path, &[("dinh_dang", "pdf")]).await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        texts(&r.text().await.unwrap(), "#loi-xuat"),
        ["Hãy chọn định dạng tệp: CSV hoặc Excel."]
    );

    for (ext, check) in [("csv", true), ("xlsx", false)] {
        let r = editor.post(&page_path, &[("dinh_dang", ext)]).await;
        assert_eq!(r.status(), 303);
        let shown_at = location(&r);
        assert!(shown_at.starts_with(&format!("{page_path}/")), "{shown_at}");
        let page = editor.page(&shown_at, 200).await;
        let shown = texts(&page, "#sha256-tep").join("");
        assert_eq!(shown.len(), 64);
        let link = crate::helpers::attrs(&page, "#tai-tep", "href")
            .pop()
            .unwrap();
        let name = today_name("quy-che-bang-chung", ext);
        let bytes = download(&editor, &link, &name).await;
        assert_eq!(sha256(&bytes), shown, "the hash on screen is the file's");
        assert_eq!(audited(&app, "evidence.export", &shown).await, 1);
        assert_eq!(audited(&app, "evidence.download", &shown).await, 1);
        if check {
            check_csv(&bytes, &expected);
        } else {
            assert_eq!(
                sheet_names(&bytes),
                ["Sự kiện", "Phiên bản", "Đợt xác nhận"]
            );
            check_sheet(&bytes, "Sự kiện", &expected);
            check_sheet(
                &bytes,
                "Phiên bản",
                &[
                    headers(&[
                        "Phiên bản",
                        "Tiêu đề",
                        "Thời điểm",
                        "Lý do xác nhận lại",
                        "SHA-256 nội dung",
                    ]),
                    vec![I(1), t(&v.title), D(v.created_at), E, h()],
                ],
            );
        }
        // The list keeps every export's hash.
        let list = editor.page(&page_path, 200).await;
        assert!(texts(&list, "table.evidence-exports code").contains(&shown));
    }

    // After its day the file goes; the hash stays on the page.
    let db = &app.state.db;
    let later = loa::time::now() + chrono::Duration::hours(25);
    assert_eq!(
        loa::db::evidence::expire(db, later - chrono::Duration::hours(24), later)
            .await
            .unwrap(),
        2
    );
    let page = editor.page(&format!("{page_path}/1"), 200).await;
    assert_eq!(crate::helpers::count(&page, "#tai-tep"), 0);
    assert_eq!(texts(&page, "#sha256-tep").join("").len(), 64);
    editor.page(&format!("{page_path}/1/tai-ve"), 404).await;
}

async fn only_editors_and_admins_export(db: TestDb) {
    let app = spawn(db).await;
    let id = article_id(&app, "quy-che").await;
    let paths = [
        format!("/admin/bai-viet/{id}/xac-nhan/xuat/xac-nhan.csv"),
        format!("/admin/bai-viet/{id}/xac-nhan/xuat/nguoi-dan.xlsx"),
        format!("/admin/bai-viet/{id}/xac-nhan/bang-chung"),
    ];
    let (head, _) = person(
        &app,
        "tp@loa.test",
        "Trưởng Phòng",
        Role::Employee,
        Some("trung-tam"),
        true,
    )
    .await;
    for role in [Role::Employee, Role::Author] {
        let b = app.signed_in(role).await;
        for p in &paths {
            b.page(p, 403).await;
        }
    }
    for p in &paths {
        head.page(p, 403).await;
        let r = app.get(p).await;
        assert_eq!(r.status(), 303, "anonymous {p}");
    }
    let r = app
        .browser()
        .post(
            &format!("/admin/bai-viet/{id}/xac-nhan/bang-chung"),
            &[("dinh_dang", "csv")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/dang-nhap"));
    let admin = app.signed_in(Role::Admin).await;
    admin.page(&paths[0], 200).await;
    // Unknown tables and formats, and articles without acknowledgment.
    admin
        .page(&format!("/admin/bai-viet/{id}/xac-nhan/xuat/khac.csv"), 404)
        .await;
    admin
        .page(
            &format!("/admin/bai-viet/{id}/xac-nhan/xuat/xac-nhan.pdf"),
            404,
        )
        .await;
    admin
        .page("/admin/bai-viet/999999/xac-nhan/xuat/xac-nhan.csv", 404)
        .await;
    assert_eq!(audited(&app, "report.export", "").await, 1);
}
