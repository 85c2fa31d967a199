//! Addresses: old slugs redirect to the new one, secret preview links open drafts until revoked.

use loa::account::Role;

use super::*;
use crate::db_tests;
use crate::helpers::{attrs, count, location, texts, ContentDir, TestApp, TestDb};

db_tests!(
    a_renamed_article_redirects_from_its_old_slug,
    a_secret_preview_link_works_until_revoked,
);

async fn a_renamed_article_redirects_from_its_old_slug(db: TestDb) {
    let app = TestApp::spawn(db, ContentDir::new().path()).await;
    let (editor, _) = sign_in(&app, Role::Editor, "Biên Tập").await;
    let id = create(&editor, "Tin cũ", "Nội dung.", "xuat-ban").await;
    app.page("/bai-viet/tin-cu", 200).await;

    let r = save(&editor, id, &[("slug", "Tin mới đây")], "luu").await;
    assert_eq!(r.status(), 303);
    assert_eq!(row(&app, id).await.slug, "tin-moi-day");
    let r = app.get("/bai-viet/tin-cu").await;
    assert_eq!(r.status(), 301);
    assert_eq!(location(&r), "/bai-viet/tin-moi-day");
    app.page("/bai-viet/tin-moi-day", 200).await;

    // The old slug stays reserved for the old article: a new one steps aside.
    let other = create(&editor, "Tin cũ", "Bài khác.", "luu").await;
    assert_eq!(row(&app, other).await.slug, "tin-cu-2");
    let third = create(&editor, "Tin mới đây", "Bài thứ ba.", "luu").await;
    assert_eq!(row(&app, third).await.slug, "tin-moi-day-2");

    // Renaming back drops the alias that now equals the slug.
    assert_eq!(
        save(&editor, id, &[("slug", "tin-cu")], "luu")
            .await
            .status(),
        303
    );
    assert_eq!(row(&app, id).await.slug, "tin-cu");
    app.page("/bai-viet/tin-cu", 200).await;
    let r = app.get("/bai-viet/tin-moi-day").await;
    assert_eq!(
        (r.status().as_u16(), location(&r)),
        (301, "/bai-viet/tin-cu".to_owned())
    );
    let aliases = app
        .state
        .db
        .pool()
        .fetch_i64(
            "select count(*) from slug_aliases where slug = 'tin-cu'",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(aliases, 0);
    // An alias of an unpublished article is a 404 like the article.
    assert_eq!(
        editor
            .post(&format!("/admin/bai-viet/{id}/luu-tru"), &[])
            .await
            .status(),
        303
    );
    app.page("/bai-viet/tin-moi-day", 404).await;
}

async fn a_secret_preview_link_works_until_revoked(db: TestDb) {
    let app = TestApp::spawn(db, ContentDir::new().path()).await;
    let (author, _) = sign_in(&app, Role::Author, "Tác Giả").await;
    let id = create(
        &author,
        "Bản nháp bí mật",
        "## Phần một\n\nChưa công bố.",
        "luu",
    )
    .await;
    app.page("/bai-viet/ban-nhap-bi-mat", 404).await;

    let r = author
        .post(&format!("/admin/bai-viet/{id}/lien-ket-xem-truoc"), &[])
        .await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    let link = attrs(&page, "input.preview-link", "value")
        .pop()
        .expect("the link is shown");
    let path = link
        .strip_prefix(&app.base)
        .expect("an absolute link to this site")
        .to_owned();
    let token = path.strip_prefix("/xem-truoc/").unwrap();
    assert_eq!(token.len(), 64);

    // Only the hash is stored, and the link is not shown again.
    let stored = row(&app, id).await.preview_token_hash.unwrap();
    assert_ne!(stored, token);
    assert_eq!(stored, loa::db::sessions::hash_token(token));
    let again = author.page(&format!("/admin/bai-viet/{id}"), 200).await;
    assert!(!again.contains(token));
    assert_eq!(
        audit_actions(&app, id).await.last().unwrap(),
        "article.preview_link"
    );

    // Anyone with the link sees the draft, and search engines are told to stay away.
    let r = app.get(&path).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["x-robots-tag"]
        .to_str()
        .unwrap()
        .contains("noindex"));
    let preview = r.text().await.unwrap();
    assert_eq!(texts(&preview, "h1"), ["Bản nháp bí mật"]);
    assert_eq!(count(&preview, "meta[name=robots][content*=noindex]"), 1);
    assert_eq!(count(&preview, ".prose h2#phan-mot"), 1);
    app.page(&format!("/xem-truoc/{}", "0".repeat(64)), 404)
        .await;
    app.page("/xem-truoc/khong-phai-ma", 404).await;

    let r = author
        .post(&format!("/admin/bai-viet/{id}/thu-hoi-xem-truoc"), &[])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(row(&app, id).await.preview_token_hash, None);
    app.page(&path, 404).await;
    assert_eq!(
        audit_actions(&app, id).await.last().unwrap(),
        "article.preview_revoke"
    );
}
