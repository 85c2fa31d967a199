//! Restoring a revision: the new version and its revision, who may, and the editor's stale save
//! after a restore.

use loa::account::Role;
use loa::db::{articles, topics};

use super::{
    account, app, article_id, column, list_url, restore_url, revision_count, save, set_author,
    version_and_body,
};
use crate::db_tests;
use crate::helpers::{attrs, count, location, texts, Browser, TestDb};

db_tests!(
    restoring_makes_a_new_revision_and_a_new_version,
    only_those_who_may_write_the_article_restore,
    the_editor_saves_revisions_and_a_stale_save_after_a_restore_is_refused,
);

async fn restoring_makes_a_new_revision_and_a_new_version(db: TestDb) {
    let app = app(db).await;
    let id = article_id(&app, "mot").await;
    let r1 = save(
        &app,
        id,
        ("Bài một", "Tóm tắt cũ.", "Văn bản **cũ** cần khôi phục."),
        (None, "A"),
        "Lưu",
    )
    .await;
    save(
        &app,
        id,
        ("Bài một, bản mới", "Tóm tắt mới.", "Văn bản mới."),
        (None, "B"),
        "Xuất bản",
    )
    .await;
    let before = articles::by_id(&app.state.db, id).await.unwrap().unwrap();
    assert!(app
        .page("/bai-viet/mot", 200)
        .await
        .contains("Văn bản mới."));
    let (editor, _) = account(&app, "bt@loa.test", "Trần Biên Tập", Role::Editor).await;

    let r = editor.post(&restore_url(id, r1), &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        location(&r),
        format!("/admin/bai-viet/{id}/phien-ban?khoi_phuc=1&moi=3")
    );

    let after = articles::by_id(&app.state.db, id).await.unwrap().unwrap();
    assert_eq!(after.version, before.version + 1);
    assert_eq!(
        (
            after.title.as_str(),
            after.summary.as_str(),
            after.body.as_str()
        ),
        ("Bài một", "Tóm tắt cũ.", "Văn bản **cũ** cần khôi phục.")
    );
    assert!(
        after.body_html.contains("<strong>cũ</strong>"),
        "re-rendered"
    );
    // Everything else is kept.
    assert_eq!(after.slug, before.slug);
    assert_eq!(after.status, before.status);
    assert_eq!(after.publish_at, before.publish_at);
    let mut tx = app.state.db.begin().await.unwrap();
    assert_eq!(
        topics::names_for_article(&mut tx, id).await.unwrap(),
        ["SIPAS", "Tin tức"]
    );
    drop(tx);
    // The public page shows the restored text.
    let public = app.page("/bai-viet/mot", 200).await;
    assert!(public.contains("<strong>cũ</strong> cần khôi phục"));
    assert!(!public.contains("Văn bản mới."));

    // A new revision on top, by the editor, saying what it restored.
    let page = editor.page(&location(&r), 200).await;
    assert!(texts(&page, ".alert-success")[0].contains("phiên bản 1"));
    assert_eq!(column(&page, "revision-number")[0], "3");
    assert_eq!(column(&page, "revision-reason")[0], "Khôi phục phiên bản 1");
    assert_eq!(column(&page, "revision-author")[0], "Trần Biên Tập");
    assert_eq!(
        column(&page, "revision-version")[0],
        after.version.to_string()
    );
    // Audited, in the same transaction.
    let audited = app
        .state
        .db
        .pool()
        .fetch_i64(
            "select count(*) from audit_log where action = 'article.revision_restore' \
             and target_id = $1 and actor_label = 'bt@loa.test'",
            loa::params![id],
        )
        .await
        .unwrap();
    assert_eq!(audited, 1);
}

async fn only_those_who_may_write_the_article_restore(db: TestDb) {
    let app = app(db).await;
    let published = article_id(&app, "mot").await;
    let draft = article_id(&app, "nhap").await;
    let p1 = save(
        &app,
        published,
        ("Bài một", "", "Bản một."),
        (None, "A"),
        "Lưu",
    )
    .await;
    save(
        &app,
        published,
        ("Bài một", "", "Bản hai."),
        (None, "A"),
        "Lưu",
    )
    .await;
    let d1 = save(
        &app,
        draft,
        ("Bài nháp", "", "Nháp một."),
        (None, "A"),
        "Lưu",
    )
    .await;
    save(
        &app,
        draft,
        ("Bài nháp", "", "Nháp hai."),
        (None, "A"),
        "Lưu",
    )
    .await;
    let (author, author_id) = account(&app, "tg@loa.test", "Tác Giả", Role::Author).await;
    let (other, _) = account(&app, "khac@loa.test", "Tác Giả Khác", Role::Author).await;
    set_author(&app, published, author_id).await;
    set_author(&app, draft, author_id).await;

    // Someone else's article: neither its revisions nor a restore.
    other.page(&list_url(draft), 403).await;
    let r = other.post(&restore_url(draft, d1), &[]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(version_and_body(&app, draft).await.1, "Nháp hai.");

    // Their own published article: they read its revisions but may not change it.
    let page = author.page(&list_url(published), 200).await;
    assert_eq!(count(&page, "table.revisions tbody tr"), 2);
    assert_eq!(count(&page, "form[action*='khoi-phuc']"), 0);
    let r = author.post(&restore_url(published, p1), &[]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(version_and_body(&app, published).await.1, "Bản hai.");

    // Their own draft: yes.
    let page = author.page(&list_url(draft), 200).await;
    assert_eq!(
        attrs(&page, "form[action*='khoi-phuc']", "action"),
        [restore_url(draft, d1)]
    );
    let before = version_and_body(&app, draft).await.0;
    let r = author.post(&restore_url(draft, d1), &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        version_and_body(&app, draft).await,
        (before + 1, "Nháp một.".to_owned())
    );
    assert_eq!(revision_count(&app, draft).await, 3);

    // Not signed in: to the sign-in page, nothing changes.
    let r = app.browser().post(&restore_url(draft, d1), &[]).await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/dang-nhap"));
    assert_eq!(revision_count(&app, draft).await, 3);
    // Without the CSRF token: refused.
    let r = author
        .post_raw(
            &restore_url(draft, d1),
            &[],
            Some(&author.base.clone()),
            None,
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(revision_count(&app, draft).await, 3);
}

/// Posts the article editor's form (`/admin/bai-viet/moi` or `/admin/bai-viet/{id}`).
async fn save_in_editor(
    b: &Browser,
    path: &str,
    body: &str,
    version: &str,
    action: &str,
) -> reqwest::Response {
    let fields = [
        ("title", "Bài mới"),
        ("summary", "Tóm tắt."),
        ("body", body),
        ("version", version),
        ("action", action),
    ];
    b.post(path, &fields).await
}

/// The whole story through the real editor: an author writes and saves, restores their first
/// version, and an editor tab opened before the restore can no longer overwrite it.
async fn the_editor_saves_revisions_and_a_stale_save_after_a_restore_is_refused(db: TestDb) {
    let app = app(db).await;
    let (author, _) = account(&app, "tg@loa.test", "Lê Tác Giả", Role::Author).await;
    let r = save_in_editor(&author, "/admin/bai-viet/moi", "Bản đầu tiên.", "", "luu").await;
    assert_eq!(r.status(), 303);
    let editor_path = location(&r);
    let id: i64 = editor_path
        .trim_start_matches("/admin/bai-viet/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let r = save_in_editor(
        &author,
        &format!("/admin/bai-viet/{id}"),
        "Bản thứ hai.",
        "1",
        "luu",
    )
    .await;
    assert_eq!(r.status(), 303);
    let r = save_in_editor(
        &author,
        &format!("/admin/bai-viet/{id}"),
        "Bản thứ ba.",
        "2",
        "gui-duyet",
    )
    .await;
    assert_eq!(r.status(), 303);

    let page = author.page(&list_url(id), 200).await;
    let rows = "table.revisions tbody tr";
    assert_eq!(column(&page, "revision-number"), ["3", "2", "1"]);
    assert_eq!(column(&page, "revision-author"), ["Lê Tác Giả"; 3]);
    assert_eq!(
        column(&page, "revision-reason"),
        ["Gửi duyệt", "Lưu", "Lưu"]
    );
    let first = attrs(&page, &format!("{rows} form"), "action")
        .pop()
        .unwrap();

    // Restored by its author while in review; the version moves from 3 to 4.
    assert_eq!(author.post(&first, &[]).await.status(), 303);
    assert_eq!(
        version_and_body(&app, id).await,
        (4, "Bản đầu tiên.".to_owned())
    );
    // A save started from version 3 would silently undo the restore: it is refused.
    let r = save_in_editor(
        &author,
        &format!("/admin/bai-viet/{id}"),
        "Bản cũ của tab khác.",
        "3",
        "luu",
    )
    .await;
    assert_eq!(r.status(), 409);
    assert_eq!(version_and_body(&app, id).await.1, "Bản đầu tiên.");
    assert_eq!(revision_count(&app, id).await, 4);
}
