//! Citizens' confirmations: the form, phone normalisation, repeats, honeypot, rate limits,
//! closing, the thank-you count, the privacy page, the purge and the admin's find/export/delete.

use chrono::Duration;
use loa::db::Db;
use loa::params;
use loa::phone::Phone;

mod personal_data;

use crate::db_tests;
use crate::helpers::{
    attrs, count, location, repo_content, texts, ContentDir, TestApp, TestDb, CROSS_SITE,
    FOREIGN_ORIGIN,
};

db_tests!(
    the_form_shows_only_where_citizens_may_confirm,
    the_same_phone_written_two_ways_counts_once,
    name_contact_and_consent_are_required,
    the_honeypot_stores_nothing,
    rate_limits_per_address_and_per_contact,
    a_closed_article_refuses,
    the_privacy_page_explains_the_processing,
    front_matter_opens_the_form,
);

pub(super) const LOCALITY: &str = "thanh-pho-dong-xoai";

#[test]
fn phones_are_normalised() {
    for s in [
        "0912 345 678",
        "+84 912345678",
        "84912345678",
        "0912.345.678",
        "(091) 234-5678",
        "0084912345678",
    ] {
        assert_eq!(Phone::parse(s).unwrap().as_str(), "+84912345678", "{s}");
    }
    for s in [
        "091234567",
        "0271 3879 999",
        "0912 345 67x",
        "+1 912 345 678",
    ] {
        assert!(Phone::parse(s).is_err(), "{s}");
    }
}

/// A site with the repository's localities and three published articles; `tai-lieu-a` and
/// `tai-lieu-b` and `tai-lieu-c` take citizens' confirmations, `noi-bo` does not.
pub(super) async fn app_with_articles(db: TestDb) -> TestApp {
    app_with_articles_and(db, |_| {}).await
}

/// [`app_with_articles`] with the test's own settings.
pub(crate) async fn app_with_articles_and(
    db: TestDb,
    configure: impl FnOnce(&mut loa::config::RawConfig),
) -> TestApp {
    let content = ContentDir::new();
    content.raw(
        "site.toml",
        &std::fs::read(repo_content().join("site.toml")).unwrap(),
    );
    for (slug, title) in [
        ("tai-lieu-a", "Tài liệu A"),
        ("tai-lieu-b", "Tài liệu B"),
        ("tai-lieu-c", "Tài liệu C"),
        ("noi-bo", "Nội bộ"),
    ] {
        content.article(
            &format!("{slug}.md"),
            &format!("title = \"{title}\"\nslug = \"{slug}\""),
            "Nội dung cần đọc.",
        );
    }
    let app = TestApp::spawn_with(db, content.path(), configure).await;
    for slug in ["tai-lieu-a", "tai-lieu-b", "tai-lieu-c"] {
        allow_citizens(&app.state.db, slug).await;
    }
    app
}

pub(super) async fn article_id(db: &Db, slug: &str) -> i64 {
    db.pool()
        .fetch_i64("select id from articles where slug = $1", params![slug])
        .await
        .unwrap()
}

/// Settings and version 1 written directly, as the editor's part would.
async fn allow_citizens(db: &Db, slug: &str) {
    let id = article_id(db, slug).await;
    let now = loa::time::now();
    let text = loa::ack::confirmed_text(slug, "Nội dung cần đọc.", loa::ack::DEFAULT_STATEMENT);
    let mut p = db.pool();
    p.execute(
        "insert into ack_settings (article_id, citizens, statement, current_version, \
         created_at, updated_at) values ($1, true, $2, 1, $3, $3)",
        params![id, loa::ack::DEFAULT_STATEMENT, now],
    )
    .await
    .unwrap();
    p.execute(
        "insert into ack_versions (article_id, version, title, body, statement, text_hash, \
         created_at) values ($1, 1, $2, $3, $4, $5, $6)",
        params![
            id,
            slug,
            "Nội dung cần đọc.",
            loa::ack::DEFAULT_STATEMENT,
            loa::ack::text_hash(&text),
            now
        ],
    )
    .await
    .unwrap();
}

pub(super) async fn n(db: &Db, sql: &str) -> i64 {
    db.pool().fetch_i64(sql, vec![]).await.unwrap()
}

pub(crate) fn citizen<'a>(
    name: &'a str,
    phone: &'a str,
    email: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("phone", phone),
        ("email", email),
        ("locality", LOCALITY),
        ("consent", "1"),
        ("website", ""),
    ]
}

pub(crate) const ACTION_A: &str = "/bai-viet/tai-lieu-a/nguoi-dan-xac-nhan";

async fn the_form_shows_only_where_citizens_may_confirm(db: TestDb) {
    let app = app_with_articles(db).await;
    let page = app.page("/bai-viet/tai-lieu-a", 200).await;
    assert_eq!(count(&page, &format!("form[action=\"{ACTION_A}\"]")), 1);
    // No token: the Fetch-metadata check protects the form, and the page is the same for all.
    assert_eq!(count(&page, "input[name=csrf]"), 0);
    assert_eq!(
        count(
            &page,
            &format!("select[name=locality] option[value={LOCALITY}]")
        ),
        1
    );
    // The honeypot: out of sight, out of the tab order, never autofilled.
    assert_eq!(
        count(
            &page,
            ".hp-field[aria-hidden=true] input[name=website][tabindex=\"-1\"][autocomplete=off]"
        ),
        1
    );
    let consent = texts(&page, "label.check").join(" ");
    assert!(
        consent.contains("họ tên") && consent.contains("365 ngày"),
        "{consent}"
    );
    assert_eq!(count(&page, "a[href=\"/bao-ve-du-lieu-ca-nhan\"]"), 1);

    let other = app.page("/bai-viet/noi-bo", 200).await;
    assert_eq!(count(&other, ".citizen-ack"), 0);
    let r = app
        .browser()
        .post(
            "/bai-viet/noi-bo/nguoi-dan-xac-nhan",
            &citizen("An", "0912345678", ""),
        )
        .await;
    assert_eq!(r.status(), 404);
    // An article that is no longer published takes nothing either.
    app.state
        .db
        .pool()
        .execute(
            "update articles set status = 'archived' where slug = 'tai-lieu-b'",
            vec![],
        )
        .await
        .unwrap();
    let r = app
        .browser()
        .post(
            "/bai-viet/tai-lieu-b/nguoi-dan-xac-nhan",
            &citizen("An", "0912345678", ""),
        )
        .await;
    assert_eq!(r.status(), 404);
    assert_eq!(n(&app.state.db, "select count(*) from citizens").await, 0);
}

async fn the_same_phone_written_two_ways_counts_once(db: TestDb) {
    let app = app_with_articles(db).await;
    let b = app.browser();
    let r = b
        .post(
            ACTION_A,
            &citizen("Nguyễn Văn An", "0912 345 678", "An@Mail.VN"),
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/bai-viet/tai-lieu-a/cam-on");
    let thanks = b.page(&location(&r), 200).await;
    assert!(thanks.contains("Cảm ơn bạn đã xác nhận"));
    assert_eq!(texts(&thanks, ".citizen-count strong"), vec!["1"]);
    assert!(thanks.contains("tính cả các phiên bản trước"));

    let r = b
        .post(ACTION_A, &citizen("Nguyễn Văn An", "+84 912.345.678", ""))
        .await;
    assert_eq!(r.status(), 303);
    // Answered exactly as the first time: the form is no oracle of who confirmed.
    assert_eq!(location(&r), "/bai-viet/tai-lieu-a/cam-on");
    let again = b.page(&location(&r), 200).await;
    assert_eq!(again, thanks);

    let db = &app.state.db;
    assert_eq!(n(db, "select count(*) from citizens").await, 1);
    assert_eq!(n(db, "select count(*) from ack_events").await, 1);
    assert_eq!(
        n(
            db,
            "select count(*) from citizens where phone = '+84912345678' \
             and email = 'an@mail.vn' and contact_key = '+84912345678' \
             and name = 'Nguyễn Văn An' and ip = '127.0.0.1'"
        )
        .await,
        1
    );
    // The event carries the current version's hash, and the consent text's hash is stored.
    let id = article_id(db, "tai-lieu-a").await;
    assert_eq!(
        db.pool()
            .fetch_i64(
                "select count(*) from ack_events e join ack_versions v \
                 on v.article_id = e.article_id and v.version = e.version \
                 where e.article_id = $1 and e.kind = 'confirm' and e.user_id is null \
                 and e.citizen_id is not null and e.contact_key = '+84912345678' \
                 and e.text_hash = v.text_hash and e.seq = 0 and e.version = 1",
                params![id],
            )
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        n(
            db,
            "select count(*) from citizens where length(consent_text_hash) = 64"
        )
        .await,
        1
    );
    let day = loa::db::citizens::vietnam_day(loa::time::now());
    assert_eq!(
        db.pool()
            .fetch_i64(
                "select confirmations from ack_citizen_counts where article_id = $1 \
                 and day = $2 and locality = $3",
                params![id, day, LOCALITY],
            )
            .await
            .unwrap(),
        1
    );

    // Someone else counts; an e-mail alone is a contact too (lower-cased).
    let r = b
        .post(ACTION_A, &citizen("Trần Thị Bình", "", "Binh@Mail.VN"))
        .await;
    assert_eq!(r.status(), 303);
    let thanks = b.page(&location(&r), 200).await;
    assert_eq!(texts(&thanks, ".citizen-count strong"), vec!["2"]);
    // A repeat is answered exactly like a first confirmation (no oracle of who confirmed).
    let first = location(&r);
    let r = b.post(ACTION_A, &citizen("Bình", "", "binh@mail.vn")).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), first);
    let again = b.page(&location(&r), 200).await;
    assert_eq!(again, thanks, "the same page after a repeat");
    assert_eq!(n(db, "select count(*) from citizens").await, 2);
}

async fn name_contact_and_consent_are_required(db: TestDb) {
    let app = app_with_articles(db).await;
    let b = app.browser();
    let r = b.post(ACTION_A, &citizen("  ", "", "")).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("Xin nhập họ và tên."));
    assert!(page.contains("Xin nhập số điện thoại hoặc thư điện tử (ít nhất một)."));
    // The missing contact is an error of both contact fields, read out with each.
    for field in ["#cd-phone", "#cd-email"] {
        assert_eq!(attrs(&page, field, "aria-invalid"), ["true"]);
        assert_eq!(
            attrs(&page, field, "aria-describedby"),
            ["cd-contact-error"]
        );
    }

    let r = b
        .post(ACTION_A, &citizen("An", "0912 34", "khong-phai-thu"))
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("Số điện thoại di động không hợp lệ"));
    assert!(page.contains("Địa chỉ thư điện tử không hợp lệ"));
    // What was typed comes back, escaped.
    assert_eq!(attrs(&page, "input[name=name]", "value"), vec!["An"]);

    let mut no_consent = citizen("An", "0912345678", "");
    no_consent.retain(|(k, _)| *k != "consent");
    let r = b.post(ACTION_A, &no_consent).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("Xin đánh dấu ô đồng ý"));
    assert_eq!(attrs(&page, "#cd-consent", "aria-invalid"), ["true"]);
    assert_eq!(
        attrs(&page, "#cd-consent", "aria-describedby"),
        ["cd-consent-error"]
    );
    assert_eq!(count(&page, "#cd-consent-error"), 1);

    let mut no_locality = citizen("An", "0912345678", "");
    no_locality.retain(|(k, _)| *k != "locality");
    let r = b.post(ACTION_A, &no_locality).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Xin chọn địa bàn"));

    let r = b
        .post(ACTION_A, &citizen("<script>alert(1)</script>", "", "x"))
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(!page.contains("<script>alert(1)"));
    assert!(page.contains("&lt;script&gt;"));

    let db = &app.state.db;
    assert_eq!(n(db, "select count(*) from citizens").await, 0);
    assert_eq!(n(db, "select count(*) from ack_events").await, 0);
    assert_eq!(n(db, "select count(*) from ack_citizen_counts").await, 0);
}

async fn the_honeypot_stores_nothing(db: TestDb) {
    let app = app_with_articles(db).await;
    let mut fields = citizen("Robot", "0912345678", "");
    fields.retain(|(k, _)| *k != "website");
    fields.push(("website", "http://spam.example"));
    let r = app.browser().post(ACTION_A, &fields).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/bai-viet/tai-lieu-a/cam-on");
    let db = &app.state.db;
    assert_eq!(n(db, "select count(*) from citizens").await, 0);
    assert_eq!(n(db, "select count(*) from ack_events").await, 0);
    assert_eq!(n(db, "select count(*) from ack_citizen_counts").await, 0);
    // From another site nothing gets through at all.
    for headers in [CROSS_SITE, FOREIGN_ORIGIN] {
        let r = app
            .browser()
            .post_with(ACTION_A, &citizen("An", "0912345678", ""), headers)
            .await;
        assert_eq!(r.status(), 403, "{headers:?}");
    }
    assert_eq!(n(db, "select count(*) from citizens").await, 0);
}

async fn rate_limits_per_address_and_per_contact(db: TestDb) {
    let app = app_with_articles(db).await;
    let b = app.browser();
    // Per contact: three confirmations a day, whatever the article.
    for slug in ["tai-lieu-a", "tai-lieu-b", "tai-lieu-c"] {
        let r = b
            .post(
                &format!("/bai-viet/{slug}/nguoi-dan-xac-nhan"),
                &citizen("An", "0912345678", ""),
            )
            .await;
        assert_eq!(r.status(), 303, "{slug}");
    }
    let db = &app.state.db;
    // A fourth article, for the fourth confirmation.
    db.pool()
        .execute(
            "update articles set status = 'published' where slug = 'noi-bo'",
            vec![],
        )
        .await
        .unwrap();
    allow_citizens(db, "noi-bo").await;
    let r = b
        .post(
            "/bai-viet/noi-bo/nguoi-dan-xac-nhan",
            &citizen("An", "0912.345.678", ""),
        )
        .await;
    assert_eq!(r.status(), 429);
    assert!(r.text().await.unwrap().contains("Xin vui lòng thử lại sau"));
    assert_eq!(n(db, "select count(*) from ack_events").await, 3);

    // Per address: five confirmations in ten minutes (three are recorded already).
    for phone in ["0912000001", "0912000002"] {
        let r = b
            .post(
                "/bai-viet/noi-bo/nguoi-dan-xac-nhan",
                &citizen("Bình", phone, ""),
            )
            .await;
        assert_eq!(r.status(), 303, "{phone}");
    }
    let r = b
        .post(
            "/bai-viet/noi-bo/nguoi-dan-xac-nhan",
            &citizen("Cường", "0912000003", ""),
        )
        .await;
    assert_eq!(r.status(), 429);
    assert_eq!(n(db, "select count(*) from ack_events").await, 5);
    // Ten minutes later the address may confirm again.
    db.pool()
        .execute(
            "update ack_events set created_at = $1",
            params![loa::time::now() - Duration::minutes(11)],
        )
        .await
        .unwrap();
    let r = b
        .post(
            "/bai-viet/noi-bo/nguoi-dan-xac-nhan",
            &citizen("Cường", "0912000003", ""),
        )
        .await;
    assert_eq!(r.status(), 303);
}

async fn a_closed_article_refuses(db: TestDb) {
    let app = app_with_articles(db).await;
    let db = &app.state.db;
    db.pool()
        .execute(
            "update ack_settings set closes_at = $1",
            params![loa::time::now() - Duration::hours(1)],
        )
        .await
        .unwrap();
    let page = app.page("/bai-viet/tai-lieu-a", 200).await;
    assert_eq!(count(&page, ".citizen-ack"), 1);
    assert_eq!(count(&page, &format!("form[action=\"{ACTION_A}\"]")), 0);
    assert!(page.contains("đã ngừng nhận xác nhận"));
    let r = app
        .browser()
        .post(ACTION_A, &citizen("An", "0912345678", ""))
        .await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("đã ngừng nhận xác nhận"));
    assert_eq!(n(db, "select count(*) from citizens").await, 0);
    // A closing date in the future still takes confirmations.
    db.pool()
        .execute(
            "update ack_settings set closes_at = $1",
            params![loa::time::now() + Duration::hours(1)],
        )
        .await
        .unwrap();
    let r = app
        .browser()
        .post(ACTION_A, &citizen("An", "0912345678", ""))
        .await;
    assert_eq!(r.status(), 303);
}

async fn the_privacy_page_explains_the_processing(db: TestDb) {
    let app = app_with_articles(db).await;
    let page = app.page("/bao-ve-du-lieu-ca-nhan", 200).await;
    for needle in [
        "Nghị định số 13/2023/NĐ-CP",
        "Họ và tên",
        "365 ngày",
        "Quyền của bạn",
        "Sở Thông tin và Truyền thông tỉnh Bình Phước",
    ] {
        assert!(page.contains(needle), "{needle}");
    }
    assert_eq!(count(&page, "h1"), 1);
}

/// The whole chain: `[ack] citizens = true` in a file makes the settings and version 1, and the
/// event carries that version's hash.
async fn front_matter_opens_the_form(db: TestDb) {
    let content = ContentDir::new();
    content.raw(
        "site.toml",
        &std::fs::read(repo_content().join("site.toml")).unwrap(),
    );
    content.article(
        "tu-tep.md",
        "title = \"Từ tệp\"\nslug = \"tu-tep\"\n\n[ack]\ncitizens = true",
        "Nội dung.",
    );
    let app = TestApp::spawn(db, content.path()).await;
    let page = app.page("/bai-viet/tu-tep", 200).await;
    let action = "/bai-viet/tu-tep/nguoi-dan-xac-nhan";
    assert_eq!(count(&page, &format!("form[action=\"{action}\"]")), 1);
    let r = app
        .browser()
        .post(action, &citizen("An", "0912345678", ""))
        .await;
    assert_eq!(r.status(), 303);
    let want = loa::ack::text_hash(&loa::ack::confirmed_text(
        "Từ tệp",
        "Nội dung.",
        loa::ack::DEFAULT_STATEMENT,
    ));
    assert_eq!(
        app.state
            .db
            .pool()
            .fetch_i64(
                "select count(*) from ack_events where version = 1 and text_hash = $1",
                params![want],
            )
            .await
            .unwrap(),
        1
    );
}
