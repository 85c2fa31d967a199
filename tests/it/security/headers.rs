//! Headers of sensitive answers: admin pages are never stored by any cache, and HSTS is sent
//! when (and only when) the public address is https.

use loa::account::Role;

use super::app_with;
use crate::db_tests;
use crate::helpers::TestDb;

db_tests!(admin_pages_are_not_stored, hsts_only_with_an_https_base_url);

async fn admin_pages_are_not_stored(db: TestDb) {
    let app = app_with(db, |_| {}).await;
    let admin = app.signed_in(Role::Admin).await;
    for path in [
        "/admin",
        "/admin/bai-viet",
        "/admin/nguoi-dung",
        "/admin/nguoi-dan",
    ] {
        let r = admin.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
    }
    // Public pages keep their revalidation.
    let r = admin.get("/").await;
    assert_eq!(r.headers()["cache-control"], "private, no-cache");
}

async fn hsts_only_with_an_https_base_url(db: TestDb) {
    let plain = app_with(db, |_| {}).await;
    assert!(plain
        .get("/")
        .await
        .headers()
        .get("strict-transport-security")
        .is_none());
    let db = plain.db.another().await;
    let https = app_with(db, |raw| {
        raw.base_url = Some("https://sipas.example.gov.vn".into());
    })
    .await;
    for path in ["/", "/dang-nhap", "/khong-co"] {
        let r = https.get(path).await;
        assert_eq!(
            r.headers()["strict-transport-security"],
            "max-age=31536000",
            "{path}"
        );
    }
}
