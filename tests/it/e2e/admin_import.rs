//! The admin imports staff from HR's CSV file: one row names a unit that does not exist, the
//! preview says which and imports nobody; the admin fixes the row and confirms.

use super::harness::{Account, Screen};
use super::journey::Journey;

const ADMIN: Account = Account {
    email: "quantri@stttt.test",
    name: "Hoàng Văn Tâm",
    role: "admin",
    unit: Some("trung-tam"),
    head: false,
};

const CSV: &str = "họ tên,email,đơn vị,vai trò
Phạm Văn Nam,nam.pv@stttt.test,Văn phòng Sở,\"Cán bộ, công chức\"
Võ Thị Thu,thu.vt@stttt.test,Phòng Kế toán,Tác giả
Đỗ Minh Khoa,khoa.dm@stttt.test,thanh-tra,Biên tập viên
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_imports_staff_fixing_a_bad_row() {
    let Some(mut j) = Journey::start("admin-import", Screen::Desktop, &[ADMIN]).await else {
        return;
    };
    j.sign_in(ADMIN.email).await;
    j.click(".admin-nav a[href='/admin/nguoi-dung']").await;
    j.wait_path("/admin/nguoi-dung").await;
    j.check("people").await;
    j.click("a[href='/admin/nguoi-dung/nhap']").await;
    j.wait_path("/admin/nguoi-dung/nhap").await;
    j.check("import").await;

    let file = j.s.dir.join("can-bo.csv");
    std::fs::write(&file, CSV).unwrap();
    j.find("#tep")
        .await
        .send_keys(file.to_str().unwrap())
        .await
        .expect("choose the file");
    j.click("form[action='/admin/nguoi-dung/nhap'] button[type=submit]")
        .await;
    j.wait_text(".alert-error", "Có 1 lỗi; chưa nhập ai").await;
    let bad = j.find_all(".import-preview tr.row-error").await;
    assert_eq!(bad.len(), 1);
    assert_eq!(
        bad[0].attr("data-line").await.unwrap().as_deref(),
        Some("3")
    );
    assert!(bad[0].text().await.unwrap().contains("Phòng Kế toán"));
    assert!(
        j.find_all(".confirm-import").await.is_empty(),
        "nothing to confirm yet"
    );
    j.check_rendered("import-preview-error").await;

    // The file's text is in the box below the preview: fix the row there and look again.
    j.fill("#noi_dung", &CSV.replace("Phòng Kế toán", "Văn phòng Sở"))
        .await;
    j.click("form[action='/admin/nguoi-dung/nhap'] button[type=submit]")
        .await;
    j.wait_text(".alert-success", "Cả 3 dòng đều hợp lệ").await;
    j.check_rendered("import-preview-ok").await;

    j.click(".confirm-import button[type=submit]").await;
    j.wait_text("h1", "Đã nhập 3 tài khoản").await;
    assert_eq!(j.find_all(".imported .one-time-password").await.len(), 3);
    j.check_rendered("imported").await;

    j.goto("/admin/nguoi-dung").await;
    let list = j.text("main").await;
    for name in ["Phạm Văn Nam", "Võ Thị Thu", "Đỗ Minh Khoa"] {
        assert!(list.contains(name), "{name} is listed");
    }
    j.check("people-after").await;

    // The import is in the audit log.
    j.click(".admin-nav a[href='/admin/nhat-ky']").await;
    j.wait_text("main", "Nhập danh sách cán bộ").await;
    j.check("audit-log").await;
    j.click(".admin-nav a[href='/admin/don-vi']").await;
    j.wait_path("/admin/don-vi").await;
    j.check("units").await;

    j.finish().await;
}
