//! Addresses: old slugs redirect to the new one, secret preview links open drafts until revoked.

use loa::account::Role;

use super::*;
use crate::db_tests;
use crate::helpers::{attrs, count, location, texts, ContentDir, TestApp, TestDb};

db_tests!(
    a_renamed_article_redirects_from_its_old_slug,
    a_secret_preview_link_works_until_revoked,
    a_preview_link_expires_and_ends_with_archival_or_deletion,
);

async fn a_renamed_article_redirects_from_its_old_slug(db: TestDb) {
    let (app, editor) = editor_on_empty_site(db).await;
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
    assert_eq!(act(&editor, id, "luu-tru").await.status(), 303);
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

    let r = act(&author, id, "lien-ket-xem-truoc").await;
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

    let r = act(&author, id, "thu-hoi-xem-truoc").await;
    assert_eq!(r.status(), 303);
    assert_eq!(row(&app, id).await.preview_token_hash, None);
    app.page(&path, 404).await;
    assert_eq!(
        audit_actions(&app, id).await.last().unwrap(),
        "article.preview_revoke"
    );
}

/// Makes a preview link for article `id` as `who`; returns its path.
async fn preview_link(app: &TestApp, who: &crate::helpers::Browser, id: i64) -> String {
    let r = act(who, id, "lien-ket-xem-truoc").await;
    assert_eq!(r.status(), 200);
    let link = attrs(&r.text().await.unwrap(), "input.preview-link", "value")
        .pop()
        .expect("the link is shown");
    link.strip_prefix(&app.base).unwrap().to_owned()
}

async fn a_preview_link_expires_and_ends_with_archival_or_deletion(db: TestDb) {
    let app = TestApp::spawn_with(db, ContentDir::new().path(), |raw| {
        raw.preview_link_days = Some(2);
    })
    .await;
    let (editor, _) = sign_in(&app, Role::Editor, "Biên Tập").await;
    let id = create(&editor, "Bản nháp", "Chưa công bố.", "luu").await;

    // The link works for LOA_PREVIEW_LINK_DAYS, and the editor is told until when.
    let path = preview_link(&app, &editor, id).await;
    app.page(&path, 200).await;
    let db = &app.state.db;
    let expires = db
        .pool()
        .fetch_i64(
            &format!(
                "select count(*) from articles where id = {id} and preview_expires_at > $1 \
                 and preview_expires_at < $2"
            ),
            loa::params![
                loa::time::now() + chrono::Duration::hours(47),
                loa::time::now() + chrono::Duration::hours(49)
            ],
        )
        .await
        .unwrap();
    assert_eq!(expires, 1, "two days from now");
    db.pool()
        .execute(
            "update articles set preview_expires_at = $1 where id = $2",
            loa::params![loa::time::now() - chrono::Duration::minutes(1), id],
        )
        .await
        .unwrap();
    app.page(&path, 404).await;

    // A new link dies with the article's archival, and does not come back with it.
    let path = preview_link(&app, &editor, id).await;
    app.page(&path, 200).await;
    let r = act(&editor, id, "luu-tru").await;
    assert_eq!(r.status(), 303);
    app.page(&path, 404).await;
    let r = act(&editor, id, "bo-luu-tru").await;
    assert_eq!(r.status(), 303);
    app.page(&path, 404).await;

    // And with its deletion.
    let other = create(&editor, "Bản nháp khác", "Chưa công bố.", "luu").await;
    let path = preview_link(&app, &editor, other).await;
    app.page(&path, 200).await;
    let r = editor
        .post(&format!("/admin/bai-viet/{other}/xoa"), &[])
        .await;
    assert_eq!(r.status(), 303);
    app.page(&path, 404).await;
}
