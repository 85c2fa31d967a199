//! The staff CSV import: preview with every problem on its line, all-or-nothing confirm that
//! checks the text again, escaped names.

use loa::account::Role;
use reqwest::multipart::{Form, Part};

use super::{admin, app, audit_of, id_of, person, unit, user, user_count};
use crate::db_tests;
use crate::helpers::{attrs, count, location, texts, Browser, TestDb};

db_tests!(
    a_good_csv_creates_every_account,
    a_csv_with_errors_shows_each_problem_and_imports_nothing,
    the_confirm_step_checks_the_text_again,
    names_with_html_are_shown_escaped,
);

/// Uploads a CSV file as the import form does.
async fn upload(b: &Browser, bytes: &[u8]) -> reqwest::Response {
    let part = Part::bytes(bytes.to_vec())
        .file_name("can-bo.csv")
        .mime_str("text/csv")
        .unwrap();
    b.post_multipart(
        "/admin/nguoi-dung/nhap",
        Form::new().part("tep", part).text("noi_dung", ""),
    )
    .await
}

/// Posts the text of a previewed CSV to the confirm step, as the preview's form does.
async fn confirm(b: &Browser, csv: &str) -> reqwest::Response {
    b.post("/admin/nguoi-dung/nhap/xac-nhan", &[("csv", csv)])
        .await
}

pub const GOOD_CSV: &str = "Họ tên,Email,Đơn vị,Vai trò\r\n\
Nguyễn Văn An,An.Nguyen@Loa.test,Văn phòng Sở,\"Cán bộ, công chức\"\r\n\
Trần Thị Bình,binh@loa.test,thanh-tra,Biên tập viên\r\n\
Lê Văn Cường,cuong@loa.test,phòng kỹ thuật,Tác giả\r\n";

async fn a_good_csv_creates_every_account(db: TestDb) {
    let (app, _c) = app(db).await;
    let (b, _) = admin(&app).await;
    let before = user_count(&app).await;
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(GOOD_CSV.as_bytes());

    let r = upload(&b, &bytes).await;
    assert_eq!(r.status(), 200);
    let preview = r.text().await.unwrap();
    assert_eq!(
        attrs(&preview, "tr.row-ok", "data-line"),
        vec!["2", "3", "4"]
    );
    assert_eq!(count(&preview, "tr.row-error"), 0);
    assert_eq!(user_count(&app).await, before, "a preview creates nothing");
    let csv = attrs(&preview, "form.confirm-import input[name=csv]", "value").remove(0);
    assert!(!csv.starts_with('\u{feff}'));

    let r = confirm(&b, &csv).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let done = r.text().await.unwrap();
    let passwords = texts(&done, "code.one-time-password");
    assert_eq!(passwords.len(), 3);
    assert_eq!(user_count(&app).await, before + 3);

    let check = |email: &'static str, unit: &'static str, role: Role| {
        let app = &app;
        async move {
            let id = id_of(app, email).await;
            let u = user(app, id).await;
            assert_eq!(u.unit_name.as_deref(), Some(unit), "{email}");
            assert_eq!(u.role(), role, "{email}");
            assert!(u.must_change_password && u.active);
        }
    };
    check("an.nguyen@loa.test", "Văn phòng Sở", Role::Employee).await;
    check("binh@loa.test", "Thanh tra Sở", Role::Editor).await;
    check("cuong@loa.test", "Phòng Kỹ thuật", Role::Author).await;

    let imports = audit_of(&app, "user.import").await;
    assert_eq!(imports.len(), 1);
    assert!(imports[0].detail.contains('3'), "{}", imports[0].detail);

    // Row order is kept: the first password belongs to the first row.
    let r = app
        .browser()
        .sign_in("an.nguyen@loa.test", &passwords[0])
        .await;
    assert_eq!(location(&r), "/doi-mat-khau");

    // Pasted text works as a file does.
    let pasted = "ho ten,email,don vi,vai tro\nPhạm Dũng,dung@loa.test,,employee\n";
    let r = b
        .post_multipart(
            "/admin/nguoi-dung/nhap",
            Form::new()
                .part("tep", Part::bytes(vec![]).file_name(""))
                .text("noi_dung", pasted),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(count(&r.text().await.unwrap(), "tr.row-ok"), 1);
}

async fn a_csv_with_errors_shows_each_problem_and_imports_nothing(db: TestDb) {
    let (app, _c) = app(db).await;
    let (b, _) = admin(&app).await;
    app.create_user("da.co@loa.test", "Đã Có", Role::Employee, None, false)
        .await;
    let before = user_count(&app).await;
    let csv = "họ tên,email,đơn vị,vai trò\n\
               Tốt Một,tot@loa.test,van-phong,employee\n\
               ,thieu.ten@loa.test,van-phong,employee\n\
               Sai Thư,khong-phai-email,van-phong,employee\n\
               Lạc Đơn Vị,lac@loa.test,Phòng Không Có,employee\n\
               Sai Vai,sai.vai@loa.test,van-phong,giám đốc\n\
               Trùng Trong Tệp,tot@LOA.test,van-phong,employee\n\
               Trùng Tài Khoản,DA.CO@loa.test,van-phong,employee\n";
    let r = upload(&b, csv.as_bytes()).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert_eq!(count(&page, "form.confirm-import"), 0, "no confirm button");
    let problems = texts(&page, "ul.problems li");
    let has = |line: u32, part: &str| {
        problems
            .iter()
            .any(|p| p.starts_with(&format!("Dòng {line}:")) && p.contains(part))
    };
    assert!(has(2, "trùng với dòng 7"), "{problems:?}");
    assert!(has(3, "Thiếu họ tên"));
    assert!(has(4, "«khong-phai-email» không hợp lệ"));
    assert!(has(5, "Không có đơn vị «Phòng Không Có»"));
    assert!(has(6, "Vai trò «giám đốc»"));
    assert!(has(7, "trùng với dòng 2"));
    assert!(has(8, "da.co@loa.test đã có tài khoản"));
    assert_eq!(
        attrs(&page, "tr.row-error", "data-line"),
        vec!["2", "3", "4", "5", "6", "7", "8"]
    );
    // The text comes back in the textarea to be fixed.
    assert_eq!(texts(&page, "textarea#noi_dung").len(), 1);

    // Posting the same text to the confirm step directly imports nothing either.
    let r = confirm(&b, csv).await;
    assert_eq!(r.status(), 422);
    assert_eq!(user_count(&app).await, before);
    assert!(audit_of(&app, "user.import").await.is_empty());

    // A file that is not UTF-8, and a header with a wrong column.
    let r = upload(&b, b"h\xe1 t\xean,email,\xd0\xa0\n").await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("UTF-8"));
    let r = upload(
        &b,
        "họ tên,email,phòng ban,vai trò\nA,a@loa.test,x,employee\n".as_bytes(),
    )
    .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(texts(&page, "ul.file-problems li")
        .iter()
        .any(|p| p.contains("«phòng ban»")));
}

async fn the_confirm_step_checks_the_text_again(db: TestDb) {
    let (app, _c) = app(db).await;
    let (b, _) = admin(&app).await;
    let before = user_count(&app).await;
    let preview = upload(&b, GOOD_CSV.as_bytes()).await.text().await.unwrap();
    let csv = attrs(&preview, "form.confirm-import input[name=csv]", "value").remove(0);

    // Tampered: a row added after the preview, naming an unknown role.
    let tampered = format!("{csv}Kẻ Lạ,ke.la@loa.test,van-phong,admin-toi-cao\n");
    let r = confirm(&b, &tampered).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(texts(&page, "ul.problems li")
        .iter()
        .any(|p| p.starts_with("Dòng 5:")));
    assert_eq!(user_count(&app).await, before, "all or nothing");

    // Between preview and confirm, one of the addresses got an account: nothing is imported.
    app.create_user(
        "binh@loa.test",
        "Bình Đến Trước",
        Role::Employee,
        None,
        false,
    )
    .await;
    let r = confirm(&b, &csv).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(texts(&page, "ul.problems li")
        .iter()
        .any(|p| p.starts_with("Dòng 3:") && p.contains("đã có tài khoản")));
    assert_eq!(user_count(&app).await, before + 1);
    assert!(audit_of(&app, "user.import").await.is_empty());
}

async fn names_with_html_are_shown_escaped(db: TestDb) {
    let (app, _c) = app(db).await;
    let (b, _) = admin(&app).await;
    let evil = "<script>alert(1)</script> Hacker";
    let csv = format!("họ tên,email,đơn vị,vai trò\n\"{evil}\",evil@loa.test,,employee\n\"<img src=x onerror=alert(2)>\",bad,,employee\n");
    let r = upload(&b, csv.as_bytes()).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(!page.contains("<script>alert(1)"));
    assert!(!page.contains("<img src=x"));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; Hacker"));
    assert_eq!(count(&page, "script:not([src])"), 0);

    let r = b
        .post(
            "/admin/nguoi-dung/moi",
            &person(evil, "evil@loa.test", "", "employee"),
        )
        .await;
    assert_eq!(r.status(), 200);
    let id = id_of(&app, "evil@loa.test").await;
    for path in [
        "/admin/nguoi-dung".to_owned(),
        format!("/admin/nguoi-dung/{id}"),
        "/admin/nhat-ky".to_owned(),
    ] {
        let page = b.page(&path, 200).await;
        assert!(!page.contains("<script>alert(1)"), "{path}");
        assert_eq!(count(&page, "script:not([src])"), 0, "{path}");
    }
    let list = b.page("/admin/nguoi-dung", 200).await;
    assert!(texts(&list, "table.people td a").contains(&evil.to_owned()));

    let r = b
        .post("/admin/don-vi/moi", &unit("<b>Đơn vị</b>", "", ""))
        .await;
    assert_eq!(r.status(), 303);
    let units = b.page("/admin/don-vi", 200).await;
    assert_eq!(count(&units, "td.unit-name b"), 0);
    assert!(units.contains("&lt;b&gt;Đơn vị&lt;/b&gt;"));
}
