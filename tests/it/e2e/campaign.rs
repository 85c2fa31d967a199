//! The Office and a unit head: the campaign dashboard, "Nhắc ngay", the printable report and the
//! Excel report, which arrives as a download and opens with a spreadsheet reader (calamine). The
//! head sees only their unit, and reminders do not stack.

use std::path::PathBuf;
use std::time::Duration;

use super::harness::{Account, Screen};
use super::journey::Journey;
use crate::reports::read::xlsx_text;

const OFFICE: Account = Account {
    email: "mai.tt@stttt.test",
    name: "Trần Thị Mai",
    role: "editor",
    unit: Some("van-phong"),
    head: false,
};

const HEAD: Account = Account {
    email: "duc.pv@stttt.test",
    name: "Phan Văn Đức",
    role: "employee",
    unit: Some("thanh-tra"),
    head: true,
};

const INSPECTOR: Account = Account {
    email: "ha.nt@stttt.test",
    name: "Ngô Thu Hà",
    role: "employee",
    unit: Some("thanh-tra"),
    head: false,
};

const CLERK: Account = Account {
    email: "son.lv@stttt.test",
    name: "Lý Văn Sơn",
    role: "employee",
    unit: Some("van-phong"),
    head: false,
};

const CAMPAIGN: &str = "/admin/chien-dich/sipas-2017-2020";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_and_unit_head_follow_the_campaign() {
    let accounts = [OFFICE, HEAD, INSPECTOR, CLERK];
    let Some(mut j) = Journey::start("campaign", Screen::Desktop, &accounts).await else {
        return;
    };

    // The Office: the whole agency.
    j.sign_in(OFFICE.email).await;
    j.click(".admin-nav a[href='/admin/chien-dich']").await;
    j.wait_path("/admin/chien-dich").await;
    j.check("campaigns").await;
    j.click(&format!(".campaign-list a[href='{CAMPAIGN}']"))
        .await;
    j.wait_path(CAMPAIGN).await;
    assert!(j.text("#ty-le").await.ends_with('%'));
    let units = j.text(".campaign-units").await;
    assert!(units.contains("Văn phòng Sở") && units.contains("Thanh tra Sở"));
    let pending = j.text(".campaign-pending").await;
    for person in [HEAD.name, INSPECTOR.name, CLERK.name] {
        assert!(pending.contains(person), "{person} has not confirmed");
    }
    let heading = j.text("#chua-xac-nhan").await;
    let pending_people = first_number(&heading);
    j.check("dashboard").await;

    // Everyone pending is reminded now (the harness keeps the daily reminders for later today).
    j.click("#nhac-ngay").await;
    let result = j.wait_text("#ket-qua-nhac", "Đã gửi nhắc cho").await;
    assert_eq!(
        first_number(&result),
        pending_people,
        "each pending person is reminded: {result}"
    );
    j.check("reminded").await;

    let report = download(&j, "a[href$='/xuat/bao-cao.xlsx']").await;
    let text = xlsx_text(&std::fs::read(&report).unwrap());
    for expected in ["Tuyên truyền SIPAS 2017–2020", "Thanh tra Sở", CLERK.name] {
        assert!(text.contains(expected), "the workbook has «{expected}»");
    }
    std::fs::remove_file(&report).unwrap();

    // The printable report.
    j.click(&format!("a[href='{CAMPAIGN}/in']")).await;
    j.wait_path(&format!("{CAMPAIGN}/in")).await;
    j.check("printable").await;
    j.click(&format!(".report-toolbar a[href='{CAMPAIGN}']"))
        .await;
    j.wait_path(CAMPAIGN).await;
    j.sign_out().await;

    // The head of the inspectorate: the reminder has reached them; their unit only.
    j.sign_in(HEAD.email).await;
    j.click(".main-nav a[href='/thong-bao']").await;
    j.wait_text(".notice-list", "tài liệu cần xác nhận đã đọc")
        .await;
    j.check("head-notices").await;
    j.click(".main-nav a[href='/admin/chien-dich']").await;
    j.wait_text("h1", "Đơn vị của tôi: Thanh tra Sở").await;
    j.check("my-unit").await;
    j.click(&format!(".campaign-list a[href='{CAMPAIGN}']"))
        .await;
    j.wait_text("#pham-vi", "Thanh tra Sở").await;
    let pending = j.text(".campaign-pending").await;
    assert!(pending.contains(INSPECTOR.name));
    assert!(
        !pending.contains(CLERK.name),
        "another unit's people stay hidden"
    );
    assert!(!j.text(".campaign-units").await.contains("Văn phòng Sở"));
    j.check("head-dashboard").await;

    // Reminders do not stack: the Office reminded everyone today already.
    j.click("#nhac-ngay").await;
    j.wait_text("#ket-qua-nhac", "đã được nhắc hôm nay nên không gửi lại")
        .await;
    j.check("head-reminded").await;

    let report = download(&j, "a[href*='/xuat/bao-cao.xlsx']").await;
    let text = xlsx_text(&std::fs::read(&report).unwrap());
    assert!(text.contains(INSPECTOR.name));
    assert!(
        !text.contains(CLERK.name),
        "the head's report covers their unit only"
    );

    j.finish().await;
}

/// The first whole number in `text` ("Người chưa xác nhận (4)" → 4).
fn first_number(text: &str) -> u64 {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| !w.is_empty())
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("no number in «{text}»"))
}

/// Clicks the download link matching `css` and waits for the file to arrive whole (Chromium
/// writes `.crdownload` until it has).
async fn download(j: &Journey, css: &str) -> PathBuf {
    let dir = j.s.dir.join("downloads");
    j.click(css).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let done = std::fs::read_dir(&dir).ok().and_then(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .find(|p| p.extension().is_some_and(|x| x == "xlsx"))
        });
        if let Some(file) = done {
            return file;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the download of {css} did not arrive in {}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
