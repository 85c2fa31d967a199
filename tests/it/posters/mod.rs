//! Posters with QR codes (issue 15): the QR code decodes to exactly the public address with the
//! place's tag (`qr`), confirmations carry their place through to the counts (`places`), the
//! places in `site.toml` and the admin area (`place_admin`), the poster form's checks, and the
//! place in the exports and the printed report (`reports`).

mod place_admin;
mod places;
mod qr;
mod reports;

use loa::account::Role;

use crate::db_tests;
use crate::fixtures::{self, TREE_SITE};
use crate::helpers::{count, texts, Browser, ContentDir, TestApp, TestDb};

/// A title long enough for the slug to be cut at 80 characters, full of diacritics and `đ`.
pub const LONG_TITLE: &str = "Hướng dẫn người dân đánh giá mức độ hài lòng đối với sự phục vụ \
    của Bộ phận Một cửa và Trung tâm Phục vụ hành chính công tỉnh năm 2024";

/// Two places: a counter, and one with a long slug.
pub const PLACES: &str = "[[places]]\nslug = \"quay-1\"\nname = \"Quầy số 1\"\n\
    [[places]]\nslug = \"trung-tam-phuc-vu-hanh-chinh-cong-tinh\"\n\
    name = \"Trung tâm Phục vụ hành chính công tỉnh\"\n";

/// The site of these tests: [`TREE_SITE`] with [`PLACES`]; `bai-a` and the long-titled article
/// take citizens' confirmations, `noi-bo` does not, `nhap` is a draft; the public campaign
/// `chien-dich-a` holds `bai-a` and `noi-bo`, `kin` is not public.
pub async fn spawn(db: TestDb) -> TestApp {
    let content = ContentDir::new();
    content.raw("site.toml", format!("{TREE_SITE}{PLACES}").as_bytes());
    let citizens = "\n[ack]\ncitizens = true";
    content.article(
        "bai-a.md",
        &format!("title = \"Bài A\"\nslug = \"bai-a\"\nsummary = \"Tóm tắt bài A.\"{citizens}"),
        "Nội dung cần đọc.",
    );
    content.article(
        "dai.md",
        &format!("title = \"{LONG_TITLE}\"{citizens}"),
        "Nội dung dài.",
    );
    content.article(
        "noi-bo.md",
        "title = \"Nội bộ\"\nslug = \"noi-bo\"",
        "Chỉ để đọc.",
    );
    content.article(
        "nhap.md",
        "title = \"Nháp\"\nslug = \"nhap\"\nstatus = \"draft\"",
        "Chưa xong.",
    );
    let app = TestApp::spawn(db, content.path()).await;
    fixtures::campaign(&app, "chien-dich-a", &["bai-a", "noi-bo"], 100, true).await;
    fixtures::campaign(&app, "kin", &["bai-a"], 100, false).await;
    app
}

/// The slug Loa derives from [`LONG_TITLE`].
pub fn long_slug() -> String {
    loa::slug::Slug::from_title(LONG_TITLE).unwrap().to_string()
}

pub async fn editor(app: &TestApp) -> Browser {
    app.signed_in(Role::Editor).await
}

db_tests!(
    the_poster_shows_the_agency_title_text_and_steps,
    the_poster_form_refuses_bad_choices,
    only_published_articles_and_public_campaigns_get_posters,
    only_editors_and_admins_print_posters,
);

async fn the_poster_shows_the_agency_title_text_and_steps(db: TestDb) {
    let app = spawn(db).await;
    let b = editor(&app).await;
    let id = fixtures::article_id(&app, "bai-a").await;
    let page = b.page(&format!("/admin/bai-viet/{id}/ap-phich"), 200).await;
    assert_eq!(
        texts(&page, ".poster-agency"),
        ["Sở Thông tin và Truyền thông tỉnh A"]
    );
    assert_eq!(texts(&page, ".poster-title"), ["Bài A"]);
    assert_eq!(texts(&page, ".poster-text"), ["Tóm tắt bài A."]);
    assert_eq!(
        texts(&page, ".poster-kicker"),
        ["Quét mã để đọc và xác nhận đã đọc"]
    );
    assert_eq!(count(&page, ".poster-steps li"), 3);
    assert_eq!(count(&page, "body.poster-a4"), 1);
    assert_eq!(count(&page, "svg.qr path"), 1);
    // The print stylesheet, and nothing inline for the content security policy to refuse.
    assert_eq!(count(&page, "link[href^=\"/static/poster.css\"]"), 1);
    assert_eq!(count(&page, "[style], style, script:not([src])"), 0);
    // Every place is offered; none is chosen yet, so the code carries no tag.
    assert_eq!(count(&page, "select[name=nguon] option"), 3);
    assert_eq!(count(&page, ".poster-place"), 0);
    assert!(!page.contains("nguon=quay"), "no tag without a place");

    // The editor's own words replace the summary; the place is named at the foot; A5.
    let page = b
        .page(
            &format!("/admin/bai-viet/{id}/ap-phich?nguon=quay-1&kho=a5&loi_nhan=Xin+m%E1%BB%9Di+qu%C3%A9t+m%C3%A3"),
            200,
        )
        .await;
    assert_eq!(texts(&page, ".poster-text"), ["Xin mời quét mã"]);
    assert_eq!(texts(&page, ".poster-place"), ["Nơi đặt: Quầy số 1"]);
    assert_eq!(count(&page, "body.poster-a5"), 1);
    assert_eq!(count(&page, "option[value=quay-1][selected]"), 1);
    assert_eq!(count(&page, "input[name=kho][value=a5][checked]"), 1);

    // An article citizens do not confirm: read only, two steps.
    let noi_bo = fixtures::article_id(&app, "noi-bo").await;
    let page = b
        .page(&format!("/admin/bai-viet/{noi_bo}/ap-phich"), 200)
        .await;
    assert_eq!(texts(&page, ".poster-kicker"), ["Quét mã để đọc bài viết"]);
    assert_eq!(count(&page, ".poster-steps li"), 2);

    // A campaign: its name and description, its public page.
    let page = b.page("/admin/chien-dich/chien-dich-a/ap-phich", 200).await;
    assert_eq!(texts(&page, ".poster-title"), ["Chiến dịch chien-dich-a"]);
    assert_eq!(texts(&page, ".poster-text"), ["Mô tả chiến dịch."]);
    assert_eq!(
        texts(&page, ".poster-url"),
        [format!("{}/chien-dich/chien-dich-a", app.base)]
    );

    // The editor, the acknowledgment page and the dashboard lead to the posters.
    let editor_page = b.page(&format!("/admin/bai-viet/{id}"), 200).await;
    assert_eq!(count(&editor_page, "a#ap-phich"), 1);
    let draft = fixtures::article_id(&app, "nhap").await;
    let draft_page = b.page(&format!("/admin/bai-viet/{draft}"), 200).await;
    assert_eq!(count(&draft_page, "a#ap-phich"), 0, "no poster for a draft");
    let acks = b.page(&format!("/admin/bai-viet/{id}/xac-nhan"), 200).await;
    let poster = format!("a[href=\"/admin/bai-viet/{id}/ap-phich\"]");
    assert_eq!(count(&acks, &poster), 1);
    let dashboard = b.page("/admin/chien-dich/chien-dich-a", 200).await;
    assert_eq!(
        count(
            &dashboard,
            "a[href=\"/admin/chien-dich/chien-dich-a/ap-phich\"]"
        ),
        1
    );
}

async fn the_poster_form_refuses_bad_choices(db: TestDb) {
    let app = spawn(db).await;
    let b = editor(&app).await;
    let id = fixtures::article_id(&app, "bai-a").await;
    let path = format!("/admin/bai-viet/{id}/ap-phich");
    let too_long = "á".repeat(301);
    for (query, field, message) in [
        (
            "nguon=quay-9".to_owned(),
            "#nguon-error",
            "Nơi đặt này không có trong danh sách.",
        ),
        (
            "kho=a3".to_owned(),
            "#kho-error",
            "Khổ giấy chỉ có thể là A4 hoặc A5.",
        ),
        (
            format!("loi_nhan={too_long}"),
            "#loi-nhan-error",
            "Lời nhắn dài quá 300 ký tự; áp phích chỉ đủ chỗ cho vài dòng.",
        ),
    ] {
        let page = b.page(&format!("{path}?{query}"), 422).await;
        assert_eq!(texts(&page, field), [message], "{query}");
        assert_eq!(count(&page, ".poster"), 0, "no poster with {query}");
        assert_eq!(count(&page, "form.poster-form"), 1, "the form again");
    }
    // 300 characters fit.
    let ok = "á".repeat(300);
    let page = b.page(&format!("{path}?loi_nhan={ok}"), 200).await;
    assert_eq!(texts(&page, ".poster-text"), [ok]);
}

async fn only_published_articles_and_public_campaigns_get_posters(db: TestDb) {
    let app = spawn(db).await;
    let b = editor(&app).await;
    let draft = fixtures::article_id(&app, "nhap").await;
    b.page(&format!("/admin/bai-viet/{draft}/ap-phich"), 404)
        .await;
    b.page("/admin/bai-viet/999999/ap-phich", 404).await;
    b.page("/admin/bai-viet/abc/ap-phich", 404).await;
    b.page("/admin/chien-dich/khong-co/ap-phich", 404).await;
    // A campaign that is not public: its page would be a 404 for citizens, so no code.
    let page = b.page("/admin/chien-dich/kin/ap-phich", 409).await;
    assert_eq!(count(&page, "#thong-bao"), 1);
    assert_eq!(count(&page, ".poster"), 0);
}

async fn only_editors_and_admins_print_posters(db: TestDb) {
    let app = spawn(db).await;
    let id = fixtures::article_id(&app, "bai-a").await;
    let paths = [
        format!("/admin/bai-viet/{id}/ap-phich"),
        "/admin/chien-dich/chien-dich-a/ap-phich".to_owned(),
        "/admin/noi-dat".to_owned(),
    ];
    // A unit head sees the campaign's dashboard, but prints nothing.
    let (head, _) = fixtures::person(
        &app,
        "truong@loa.test",
        "Trưởng phòng",
        Role::Employee,
        Some("trung-tam"),
        true,
    )
    .await;
    let author = app.signed_in(Role::Author).await;
    for path in &paths {
        head.page(path, 403).await;
        author.page(path, 403).await;
        app.signed_in(Role::Admin).await.page(path, 200).await;
    }
}
