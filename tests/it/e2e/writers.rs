//! The author and the editor, on a desktop: the author uploads an image, writes an article while
//! the live preview follows the typing, inserts the image and submits it for review; the editor
//! schedules it a minute ahead and, in a second tab, sees it appear on the public home page when
//! the scheduler publishes it, without the admin tab being reloaded.

use chrono::{Duration, DurationRound, Utc};
use loa::db::Db;

use super::harness::{Account, Screen};
use super::journey::Journey;

const AUTHOR: Account = Account {
    email: "minh.tv@stttt.test",
    name: "Trần Văn Minh",
    role: "author",
    unit: Some("van-phong"),
    head: false,
};

const EDITOR: Account = Account {
    email: "hoa.lt@stttt.test",
    name: "Lê Thị Hoa",
    role: "editor",
    unit: Some("van-phong"),
    head: false,
};

const TITLE: &str = "Một cửa Đồng Xoài đón người dân buổi sáng";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn author_writes_with_preview_and_editor_schedules() {
    let Some(mut j) = Journey::start("writers", Screen::Desktop, &[AUTHOR, EDITOR]).await else {
        return;
    };
    j.sign_in(AUTHOR.email).await;
    j.wait_path("/admin").await;
    j.check("dashboard").await;

    // An image into the media library.
    let image = j.s.dir.join("quay-mot-cua.png");
    image::RgbImage::from_fn(120, 80, |x, y| {
        image::Rgb([(x * 2) as u8, (y * 3) as u8, 140])
    })
    .save(&image)
    .expect("write a PNG");
    j.click(".admin-nav a[href='/admin/anh']").await;
    j.wait_path("/admin/anh").await;
    j.check("media").await;
    j.find("#tep-anh")
        .await
        .send_keys(image.to_str().unwrap())
        .await
        .expect("choose the file");
    j.fill("#mo-ta-anh", "Quầy một cửa buổi sáng").await;
    j.click(".upload-form button[type=submit]").await;
    j.wait_text(".alert-success", "Đã tải ảnh lên").await;
    let markdown = j
        .find(".media-new input[data-copy]")
        .await
        .prop("value")
        .await
        .unwrap()
        .expect("the image's Markdown");
    assert!(
        markdown.starts_with("![Quầy một cửa buổi sáng](/media/"),
        "{markdown}"
    );
    j.check("media-uploaded").await;

    // A new article; the preview follows the typing.
    j.goto("/admin/bai-viet/moi").await;
    j.check("editor-new").await;
    j.fill("#title", TITLE).await;
    j.fill("#topics", "Cải cách hành chính").await;
    j.click("#body").await;
    j.type_text("## Giờ mở cửa\n\nQuầy mở từ **7 giờ sáng**")
        .await;
    j.wait_text("#xem-truoc-truc-tiep h2#gio-mo-cua", "Giờ mở cửa")
        .await;
    j.wait_text("#xem-truoc-truc-tiep strong", "7 giờ sáng")
        .await;
    j.type_text(", kể cả thứ Bảy.").await;
    j.wait_text("#xem-truoc-truc-tiep .prose p", "kể cả thứ Bảy.")
        .await;
    // The image, inserted where the author is typing.
    j.type_text(&format!("\n\n{markdown}\n")).await;
    let img = j
        .find("#xem-truoc-truc-tiep img[alt='Quầy một cửa buổi sáng']")
        .await;
    let loaded =
        j.s.c
            .execute(
                "return arguments[0].complete && arguments[0].naturalWidth;",
                vec![serde_json::to_value(&img).unwrap()],
            )
            .await
            .unwrap();
    assert_eq!(loaded, 120, "the image shows in the preview");
    j.js("document.getElementById('xem-truoc-truc-tiep').scrollIntoView(); return true;")
        .await;
    j.check_rendered("editor-preview").await;

    j.click("button[value='gui-duyet']").await;
    j.wait_text(".alert-success", "Đã gửi duyệt").await;
    assert_eq!(j.text(".article-facts .badge").await, "Chờ duyệt");
    let editor_path = j.path().await;
    j.check("submitted").await;
    j.sign_out().await;

    // The editor finds it waiting and schedules it a few minutes ahead (the form wants at least
    // one, and a loaded machine may take a while to send it).
    j.sign_in(EDITOR.email).await;
    j.goto("/admin/bai-viet?trang_thai=review").await;
    j.check("articles").await;
    j.click(&format!(
        ".article-list a[href='{}']",
        editor_path.split('?').next().unwrap()
    ))
    .await;
    j.wait_text("h1", "Sửa bài").await;
    let at = (Utc::now() + Duration::minutes(3))
        .duration_trunc(Duration::minutes(1))
        .unwrap()
        .with_timezone(&loa::time::vietnam());
    j.set_value("#publish_at", &at.format("%Y-%m-%dT%H:%M").to_string())
        .await;
    j.click("button[value='len-lich']").await;
    j.wait_text(".alert-success", "Đã lên lịch xuất bản").await;
    assert_eq!(j.text(".article-facts .badge").await, "Đã lên lịch");
    j.check("scheduled").await;
    j.click(".admin-nav a[href='/admin/lich']").await;
    j.wait_text(".calendar-events", TITLE).await;
    j.check("calendar").await;
    j.js("window.notReloaded = true; return true;").await;

    // The public home page in a second tab: not there yet.
    let admin_tab = j.s.c.window().await.unwrap();
    let public_tab = j.s.c.new_window(true).await.unwrap().handle;
    j.s.c.switch_to_window(public_tab).await.unwrap();
    j.goto("/").await;
    assert!(!j.text("main").await.contains(TITLE));

    // Waiting out the minute is the scheduler's business, not this test's: the publication time
    // is moved to now, and the real scheduler inside `loa serve` publishes it.
    let db = Db::connect(&loa::config::DatabaseUrl::parse(&j.s.server.db_url).unwrap())
        .await
        .unwrap();
    let moved = db
        .pool()
        .execute(
            "update articles set publish_at = $1 where title = $2 and status = 'scheduled'",
            loa::params![Utc::now(), TITLE],
        )
        .await
        .unwrap();
    assert_eq!(moved, 1);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    while !j.text("main").await.contains(TITLE) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the scheduler did not publish the article"
        );
        j.pause(500).await;
        j.s.c.refresh().await.unwrap();
    }
    j.check("home-published").await;

    j.s.c.switch_to_window(admin_tab).await.unwrap();
    assert_eq!(
        j.js("return window.notReloaded === true;").await,
        true,
        "the admin tab was not reloaded"
    );
    j.finish().await;
}
