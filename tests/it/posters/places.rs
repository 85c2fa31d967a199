//! Counting by place, end to end: a citizen who came through a poster (`?nguon=quay-1`) is
//! counted for that place on the article's acknowledgment page and the campaign dashboard; an
//! unknown tag is stored as nothing at all. The article page never varies with the tag.

use loa::params;

use super::{editor, long_slug, spawn};
use crate::db_tests;
use crate::fixtures;
use crate::helpers::{attrs, count, location, texts, TestApp, TestDb};

db_tests!(
    a_confirmation_from_a_poster_counts_for_its_place,
    the_pages_do_not_vary_with_the_tag,
    an_old_slug_keeps_the_tag,
);

pub(super) fn citizen<'a>(
    name: &'a str,
    phone: &'a str,
    nguon: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("phone", phone),
        ("email", ""),
        ("locality", "huyen-bu-dang"),
        ("consent", "1"),
        ("website", ""),
        ("nguon", nguon),
    ]
}

/// The place (slug) stored with the citizen's latest confirmation of an article.
async fn stored_place(app: &TestApp, phone: &str) -> Option<String> {
    #[derive(sqlx::FromRow)]
    struct Row {
        slug: Option<String>,
    }
    let row: Row = app
        .state
        .db
        .pool()
        .fetch_optional(
            "select p.slug from ack_events e left join places p on p.id = e.place_id \
             where e.kind = 'confirm' and e.contact_key = $1",
            params![loa::phone::Phone::parse(phone).unwrap().as_str()],
        )
        .await
        .unwrap()
        .expect("the confirmation is stored");
    row.slug
}

/// The rows of a counts table as (place, count) text pairs.
pub(super) fn rows(page: &str, table: &str) -> Vec<(String, String)> {
    let names = texts(page, &format!("table.{table} tbody td:first-child"));
    let counts = texts(page, &format!("table.{table} tbody td.num"));
    names.into_iter().zip(counts).collect()
}

pub(super) fn pair(name: &str, n: i64) -> (String, String) {
    (name.to_owned(), n.to_string())
}

async fn a_confirmation_from_a_poster_counts_for_its_place(db: TestDb) {
    let app = spawn(db).await;
    let action = "/bai-viet/bai-a/nguoi-dan-xac-nhan";
    let citizen_browser = app.browser();
    for (name, phone, tag) in [
        ("An", "0912000001", "quay-1"),
        ("Bình", "0912000002", "khong-co"),
        ("Chi", "0912000003", ""),
    ] {
        let r = citizen_browser
            .post(action, &citizen(name, phone, tag))
            .await;
        assert_eq!(r.status(), 303, "{name}");
        assert_eq!(location(&r), "/bai-viet/bai-a/cam-on");
    }
    // Through the long article, from the place with the long slug.
    let long = long_slug();
    let place = "trung-tam-phuc-vu-hanh-chinh-cong-tinh";
    let r = citizen_browser
        .post(
            &format!("/bai-viet/{long}/nguoi-dan-xac-nhan"),
            &citizen("Dũng", "0912000004", place),
        )
        .await;
    assert_eq!(r.status(), 303);

    assert_eq!(
        stored_place(&app, "0912000001").await.as_deref(),
        Some("quay-1")
    );
    assert_eq!(stored_place(&app, "0912000002").await, None, "unknown tag");
    assert_eq!(stored_place(&app, "0912000003").await, None, "no tag");
    assert_eq!(
        stored_place(&app, "0912000004").await.as_deref(),
        Some(place)
    );
    let db = &app.state.db;
    let n = |sql: &'static str| async move { db.pool().fetch_i64(sql, vec![]).await.unwrap() };
    assert_eq!(
        n("select count(*) from places").await,
        2,
        "no place made up"
    );

    // A repeat from the same contact counts nothing, wherever it comes from.
    let r = citizen_browser
        .post(action, &citizen("An", "0912 000 001", "quay-1"))
        .await;
    assert!(location(&r).ends_with("/cam-on"));
    assert_eq!(
        n("select cast(sum(confirmations) as bigint) from ack_citizen_place_counts").await,
        2
    );

    // A mistake keeps a known tag in the form shown again, and drops an unknown one.
    let r = citizen_browser
        .post(action, &citizen("", "0912000005", "quay-1"))
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert_eq!(attrs(&page, "input[name=nguon]", "value"), ["quay-1"]);
    let r = citizen_browser
        .post(action, &citizen("", "0912000005", "<script>"))
        .await;
    let page = r.text().await.unwrap();
    assert_eq!(attrs(&page, "input[name=nguon]", "value"), [""]);

    // The Office sees them by place: the article's page (every version) …
    let b = editor(&app).await;
    let id = fixtures::article_id(&app, "bai-a").await;
    let page = b.page(&format!("/admin/bai-viet/{id}/xac-nhan"), 200).await;
    assert_eq!(
        rows(&page, "ack-places"),
        [
            pair("Quầy số 1", 1),
            pair("Trung tâm Phục vụ hành chính công tỉnh", 0),
            pair(loa::db::places::NO_PLACE, 2),
        ]
    );
    assert_eq!(texts(&page, "#so-nguoi-dan"), ["3"]);
    let long_id = fixtures::article_id(&app, &long).await;
    let page = b
        .page(&format!("/admin/bai-viet/{long_id}/xac-nhan"), 200)
        .await;
    assert_eq!(
        rows(&page, "ack-places"),
        [
            pair("Quầy số 1", 0),
            pair("Trung tâm Phục vụ hành chính công tỉnh", 1)
        ],
        "no 'without a place' row when every confirmation had one"
    );
    // … and the campaign's dashboard (its articles only: the long one is not in it).
    let page = b.page("/admin/chien-dich/chien-dich-a", 200).await;
    assert_eq!(
        rows(&page, "campaign-places"),
        [
            pair("Quầy số 1", 1),
            pair("Trung tâm Phục vụ hành chính công tỉnh", 0),
            pair(loa::db::places::NO_PLACE, 2),
        ]
    );
}

async fn the_pages_do_not_vary_with_the_tag(db: TestDb) {
    let app = spawn(db).await;
    let visitor = app.browser();
    for path in ["/bai-viet/bai-a", "/chien-dich/chien-dich-a"] {
        let plain = visitor.get(path).await;
        let plain = plain.text().await.unwrap();
        let tagged = visitor.get(&format!("{path}?nguon=quay-1")).await;
        assert!(
            tagged.headers().get("set-cookie").is_none(),
            "the tag goes in no cookie"
        );
        assert_eq!(tagged.text().await.unwrap(), plain, "{path}");
        assert!(!plain.contains("quay-1"));
        assert_eq!(
            count(&plain, "script[src^=\"/static/nguon.js\"]"),
            1,
            "{path}"
        );
    }
    let page = visitor.page("/bai-viet/bai-a?nguon=quay-1", 200).await;
    assert_eq!(
        attrs(
            &page,
            "form[action=\"/bai-viet/bai-a/nguoi-dan-xac-nhan\"] input[type=hidden][name=nguon]",
            "value"
        ),
        [""],
        "the script fills it from the address"
    );
    let campaign = visitor.page("/chien-dich/chien-dich-a", 200).await;
    assert_eq!(
        attrs(&campaign, "a[data-nguon]", "href"),
        [
            "/bai-viet/bai-a",
            "/bai-viet/bai-a#nguoi-dan-xac-nhan",
            "/bai-viet/noi-bo"
        ]
    );
    // The script itself: served as JavaScript, reading the tag and writing only known shapes.
    let js = app.get("/static/nguon.js").await;
    assert_eq!(
        js.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let js = js.text().await.unwrap();
    assert!(js.contains("get(\"nguon\")") && js.contains("input[type=\"hidden\"][name=\"nguon\"]"));
}

async fn an_old_slug_keeps_the_tag(db: TestDb) {
    let app = spawn(db).await;
    let id = fixtures::article_id(&app, "bai-a").await;
    let mut tx = app.state.db.begin().await.unwrap();
    loa::db::articles::set_alias(&mut tx, "bai-cu", id, loa::time::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // A poster printed before the rename still counts for its place.
    let r = app.get("/bai-viet/bai-cu?nguon=quay-1").await;
    assert_eq!(r.status(), 301);
    assert_eq!(location(&r), "/bai-viet/bai-a?nguon=quay-1");
    let r = app.get("/bai-viet/bai-cu").await;
    assert_eq!(location(&r), "/bai-viet/bai-a");
}
