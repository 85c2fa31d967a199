//! The fixture of the staff acknowledgment tests: a site with nested units, acknowledgment
//! switched on by SQL, employees signed in, and small readers of events and counts.

use loa::params;

use crate::helpers::{texts, Browser, ContentDir, TestApp, TestDb};

pub use crate::fixtures::{add_version, employee, require_ack, version_text, STATEMENT};

/// Units: van-phong; trung-tam ⊃ to-ky-thuat ⊃ nhom-mang. Articles: quy-che (published),
/// tin-khac (published, no acknowledgment).
pub async fn spawn(db: TestDb) -> TestApp {
    let content = ContentDir::new();
    content.raw(
        "site.toml",
        "name = \"Sở A\"\nlocalities = [\"Huyện Bù Đăng\"]\n\
         [[units]]\nslug = \"van-phong\"\nname = \"Văn phòng Sở\"\n\
         [[units]]\nslug = \"trung-tam\"\nname = \"Trung tâm\"\n\
         [[units]]\nslug = \"to-ky-thuat\"\nname = \"Tổ Kỹ thuật\"\nparent = \"trung-tam\"\n\
         [[units]]\nslug = \"nhom-mang\"\nname = \"Nhóm Mạng\"\nparent = \"to-ky-thuat\"\n"
            .as_bytes(),
    );
    for slug in ["quy-che", "tin-khac"] {
        content.article(
            &format!("{slug}.md"),
            &format!("title = \"Quy chế {slug}\"\nslug = \"{slug}\"\nstatus = \"published\""),
            "Nội dung cần đọc.",
        );
    }
    TestApp::spawn(db, content.path()).await
}

pub async fn confirms(app: &TestApp, id: i64) -> i64 {
    app.state
        .db
        .pool()
        .fetch_i64(
            "select count(*) from ack_events where article_id = $1 and kind = 'confirm'",
            params![id],
        )
        .await
        .unwrap()
}

/// The pending count in the header, 0 when no badge is shown.
pub async fn header_count(b: &Browser) -> i64 {
    let page = b.page("/can-xac-nhan", 200).await;
    texts(&page, ".ack-count")
        .first()
        .map(|t| t.parse().unwrap())
        .unwrap_or(0)
}

pub async fn admin_numbers(editor: &Browser, id: i64) -> (String, String, String) {
    let page = editor
        .page(&format!("/admin/bai-viet/{id}/xac-nhan"), 200)
        .await;
    let one = |sel: &str| texts(&page, sel).join("");
    (
        one("#so-phai-xac-nhan"),
        one("#so-da-xac-nhan"),
        one("#so-chua-xac-nhan"),
    )
}
