//! Article revisions in the admin: the list, the comparison of any two, and restoring one.

use loa::account::Role;
use loa::db::revisions::{self, NewRevision};
use loa::db::{articles, topics};

use crate::db_tests;
use crate::fixtures::article_id;
use crate::helpers::{
    attrs, count, location, texts, Browser, ContentDir, TestApp, TestDb, PASSWORD,
};

mod restore;

db_tests!(
    the_list_shows_revisions_newest_first,
    the_comparison_shows_changed_lines_and_words_escaped,
    revisions_of_other_or_deleted_articles_are_not_found,
    an_import_that_changes_an_article_is_a_revision_and_audited,
);

const FIRST_BODY: &str = "Mở đầu chiến dịch.\nDòng sẽ bị xoá.\nPhần giữa.\n<b>x</b>\n";
const SECOND_BODY: &str = "Mở đầu chiến dịch.\nPhần giữa.\nDòng mới thêm vào.\n<b>x</b>\n";

/// An app with two published articles (`mot`, `hai`) and a draft (`nhap`), all from files.
async fn app(db: TestDb) -> TestApp {
    let content = ContentDir::new();
    content
        .article(
            "mot.md",
            "title = \"Bài một\"\nslug = \"mot\"\nsummary = \"Tóm tắt một.\"\ntopics = [\"SIPAS\", \"Tin tức\"]",
            "Nội dung ban đầu.",
        )
        .article("hai.md", "title = \"Bài hai\"\nslug = \"hai\"", "Bài thứ hai.")
        .article(
            "nhap.md",
            "title = \"Bài nháp\"\nslug = \"nhap\"\nstatus = \"draft\"",
            "Nháp ban đầu.",
        );
    TestApp::spawn(db, content.path()).await
}

/// The texts of one column (`revision-number`, `revision-author`, …) of the revisions table,
/// newest first.
fn column(page: &str, class: &str) -> Vec<String> {
    texts(page, &format!("table.revisions tbody tr .{class}"))
}

/// Changes an article's texts as the editor does (a new version and its revision, in one
/// transaction) and returns the revision's id.
async fn save(
    app: &TestApp,
    id: i64,
    texts: (&str, &str, &str),
    who: (Option<i64>, &str),
    reason: &str,
) -> i64 {
    let body = loa::markdown::Body::new(texts.2.to_owned()).unwrap();
    let mut tx = app.state.db.begin().await.unwrap();
    let row = articles::by_id_tx(&mut tx, id).await.unwrap().unwrap();
    let mut input = row.to_input(topics::names_for_article(&mut tx, id).await.unwrap(), body);
    (input.title, input.summary) = (texts.0.to_owned(), texts.1.to_owned());
    let now = loa::time::now();
    articles::update(&mut tx, id, &input, now).await.unwrap();
    let rev = revisions::record(
        &mut tx,
        &NewRevision {
            article_id: id,
            article_version: row.version + 1,
            title: &input.title,
            summary: &input.summary,
            body: &input.body,
            author_id: who.0,
            author_label: who.1,
            reason,
        },
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    rev
}

/// A signed-in account of `role`, with its id.
async fn account(app: &TestApp, email: &str, name: &str, role: Role) -> (Browser, i64) {
    let id = app.create_user(email, name, role, None, false).await;
    let b = app.browser();
    assert_eq!(b.sign_in(email, PASSWORD).await.status(), 303);
    (b, id)
}

async fn set_author(app: &TestApp, article: i64, author: i64) {
    app.state
        .db
        .pool()
        .execute(
            "update articles set author_id = $1 where id = $2",
            loa::params![author, article],
        )
        .await
        .unwrap();
}

async fn version_and_body(app: &TestApp, id: i64) -> (i64, String) {
    let row = articles::by_id(&app.state.db, id).await.unwrap().unwrap();
    (row.version, row.body)
}

async fn revision_count(app: &TestApp, id: i64) -> usize {
    revisions::list_for_article(&app.state.db, id)
        .await
        .unwrap()
        .len()
}

fn list_url(id: i64) -> String {
    format!("/admin/bai-viet/{id}/phien-ban")
}

fn restore_url(id: i64, rev: i64) -> String {
    format!("/admin/bai-viet/{id}/phien-ban/{rev}/khoi-phuc")
}

async fn the_list_shows_revisions_newest_first(db: TestDb) {
    let app = app(db).await;
    let id = article_id(&app, "mot").await;
    let (editor, editor_id) = account(&app, "bt@loa.test", "Trần Biên Tập", Role::Editor).await;
    let r1 = save(
        &app,
        id,
        ("Bài một", "Tóm tắt một.", FIRST_BODY),
        (Some(editor_id), "Trần Biên Tập"),
        "Lưu",
    )
    .await;
    let r2 = save(
        &app,
        id,
        ("Bài một", "Tóm tắt một.", SECOND_BODY),
        (None, "Nguyễn <Thị> Hà"),
        "Xuất bản",
    )
    .await;
    let r3 = save(
        &app,
        id,
        ("Bài một (sửa)", "Tóm tắt một.", SECOND_BODY),
        (Some(editor_id), "Trần Biên Tập"),
        "Lưu trữ",
    )
    .await;

    let page = editor.page(&list_url(id), 200).await;
    let rows = "table.revisions tbody tr";
    assert_eq!(column(&page, "revision-number"), ["3", "2", "1"]);
    assert_eq!(
        column(&page, "revision-author"),
        ["Trần Biên Tập", "Nguyễn <Thị> Hà", "Trần Biên Tập"]
    );
    assert!(page.contains("Nguyễn &lt;Thị&gt; Hà"), "labels are escaped");
    assert_eq!(
        column(&page, "revision-reason"),
        ["Lưu trữ", "Xuất bản", "Lưu"]
    );
    // Each saved version of the article is recorded: 1 at import, then 2, 3, 4.
    assert_eq!(column(&page, "revision-version"), ["4", "3", "2"]);
    // Vietnam time, `08:00 31/08/2018`.
    for at in column(&page, "revision-time") {
        let b = at.as_bytes();
        assert!(
            at.len() == 16 && b[2] == b':' && b[8] == b'/' && b[11] == b'/',
            "{at}"
        );
    }
    // A restore button per revision, each its own form with the CSRF token, except for the
    // newest: the article is as it left it.
    assert_eq!(
        count(&page, &format!("{rows}:first-child .revision-current")),
        1
    );
    assert_eq!(count(&page, ".revision-current"), 1);
    let actions = attrs(&page, &format!("{rows} form"), "action");
    assert_eq!(actions, [restore_url(id, r2), restore_url(id, r1)]);
    assert_eq!(count(&page, &format!("{rows} form input[name=csrf]")), 2);
    // The comparison form preselects the two newest.
    assert_eq!(
        attrs(&page, "select[name=den] option[selected]", "value"),
        [r3.to_string()]
    );
    assert_eq!(count(&page, "select[name=tu] option"), 3);
    // "What changed" links compare each revision with the one before it.
    let links = attrs(&page, &format!("{rows} a[href*='so-sanh']"), "href");
    assert_eq!(links.len(), 2);
    assert!(links[0].ends_with(&format!("den={r3}")), "{links:?}");

    // An article without revisions says so.
    let other = article_id(&app, "hai").await;
    let page = editor.page(&list_url(other), 200).await;
    assert_eq!(count(&page, "table.revisions"), 0);
    assert!(page.contains("chưa có phiên bản nào"));

    // Strangers are sent to sign in; employees have no business in /admin.
    let r = app.browser().get(&list_url(id)).await;
    assert_eq!(r.status(), 303);
    assert!(
        location(&r).starts_with("/dang-nhap?next="),
        "{}",
        location(&r)
    );
    let employee = app.signed_in(Role::Employee).await;
    employee.page(&list_url(id), 403).await;
}

async fn the_comparison_shows_changed_lines_and_words_escaped(db: TestDb) {
    let app = app(db).await;
    let id = article_id(&app, "mot").await;
    let r1 = save(
        &app,
        id,
        ("Chỉ số hài lòng năm 2017", "<i>Tóm tắt</i>", FIRST_BODY),
        (None, "A"),
        "Lưu",
    )
    .await;
    let r2 = save(
        &app,
        id,
        ("Chỉ số hài lòng năm 2018", "<i>Tóm tắt</i>", SECOND_BODY),
        (None, "B"),
        "Lưu",
    )
    .await;
    let editor = app.signed_in(Role::Editor).await;

    let page = editor
        .page(
            &format!("/admin/bai-viet/{id}/phien-ban/so-sanh?tu={r1}&den={r2}"),
            200,
        )
        .await;
    assert_eq!(texts(&page, "h1"), ["So sánh phiên bản 1 và 2"]);
    // The title: only the changed word is marked.
    assert_eq!(texts(&page, ".diff-title del"), ["2017"]);
    assert_eq!(texts(&page, ".diff-title ins"), ["2018"]);
    // The summary did not change, and its markup is text.
    assert_eq!(count(&page, ".diff-summary del, .diff-summary ins"), 0);
    assert_eq!(count(&page, ".diff-summary i"), 0);
    assert_eq!(texts(&page, ".diff-summary"), ["<i>Tóm tắt</i>"]);
    // The body: one deleted line, one inserted line, the rest unchanged.
    assert_eq!(
        texts(&page, ".diff-body .diff-delete del"),
        ["Dòng sẽ bị xoá."]
    );
    assert_eq!(
        texts(&page, ".diff-body .diff-insert ins"),
        ["Dòng mới thêm vào."]
    );
    assert_eq!(
        count(&page, ".diff-body .diff-delete, .diff-body .diff-insert"),
        2
    );
    assert_eq!(
        count(&page, ".diff-body b"),
        0,
        "HTML in a body is shown as text"
    );
    assert!(page.contains("&lt;b&gt;x&lt;/b&gt;"));
    assert!(texts(&page, ".diff-body .diff-equal .diff-text").contains(&"<b>x</b>".to_owned()));
    // Restoring is offered for both sides.
    let actions = attrs(&page, ".revision-side form", "action");
    assert_eq!(actions, [restore_url(id, r1), restore_url(id, r2)]);

    // The other way round, the same lines swap.
    let page = editor
        .page(
            &format!("/admin/bai-viet/{id}/phien-ban/so-sanh?tu={r2}&den={r1}"),
            200,
        )
        .await;
    assert_eq!(
        texts(&page, ".diff-body .diff-insert ins"),
        ["Dòng sẽ bị xoá."]
    );
    assert_eq!(
        texts(&page, ".diff-body .diff-delete del"),
        ["Dòng mới thêm vào."]
    );

    // One revision compared with itself: nothing changed.
    let page = editor
        .page(
            &format!("/admin/bai-viet/{id}/phien-ban/so-sanh?tu={r2}&den={r2}"),
            200,
        )
        .await;
    assert_eq!(count(&page, ".diff del, .diff ins"), 0);
    assert!(page.contains("giống hệt nhau"));
}

async fn revisions_of_other_or_deleted_articles_are_not_found(db: TestDb) {
    let app = app(db).await;
    let one = article_id(&app, "mot").await;
    let two = article_id(&app, "hai").await;
    let a1 = save(&app, one, ("Bài một", "", "Một."), (None, "A"), "Lưu").await;
    let a2 = save(&app, one, ("Bài một", "", "Một, sửa."), (None, "A"), "Lưu").await;
    let b1 = save(&app, two, ("Bài hai", "", "Hai."), (None, "A"), "Lưu").await;
    let editor = app.signed_in(Role::Editor).await;

    // A revision of another article, in a comparison or a restore: 404, nothing changes.
    let compare = |tu: String, den: String| {
        format!("/admin/bai-viet/{one}/phien-ban/so-sanh?tu={tu}&den={den}")
    };
    editor
        .page(&compare(a1.to_string(), b1.to_string()), 404)
        .await;
    editor
        .page(&compare(b1.to_string(), a2.to_string()), 404)
        .await;
    editor.page(&compare("x".into(), a2.to_string()), 404).await;
    editor
        .page(
            &format!("/admin/bai-viet/{one}/phien-ban/so-sanh?tu={a1}"),
            404,
        )
        .await;
    let r = editor.post(&restore_url(one, b1), &[]).await;
    assert_eq!(r.status(), 404);
    assert_eq!(version_and_body(&app, one).await.1, "Một, sửa.");
    // Articles that do not exist.
    editor.page(&list_url(999_999), 404).await;
    editor.page("/admin/bai-viet/abc/phien-ban", 404).await;
    assert_eq!(
        editor.post(&restore_url(999_999, a1), &[]).await.status(),
        404
    );

    // A deleted article: gone for an editor; an admin reads its revisions but restores nothing.
    app.state
        .db
        .pool()
        .execute(
            "update articles set deleted_at = $1 where id = $2",
            loa::params![loa::time::now(), one],
        )
        .await
        .unwrap();
    editor.page(&list_url(one), 404).await;
    editor
        .page(&compare(a1.to_string(), a2.to_string()), 404)
        .await;
    assert_eq!(editor.post(&restore_url(one, a1), &[]).await.status(), 404);
    let admin = app.signed_in(Role::Admin).await;
    let page = admin.page(&list_url(one), 200).await;
    assert_eq!(count(&page, "table.revisions tbody tr"), 2);
    assert_eq!(count(&page, "form[action*='khoi-phuc']"), 0);
    admin
        .page(&compare(a1.to_string(), a2.to_string()), 200)
        .await;
    assert_eq!(admin.post(&restore_url(one, a1), &[]).await.status(), 403);
    assert_eq!(version_and_body(&app, one).await.1, "Một, sửa.");
}

/// `loa import` changing an existing article leaves a revision (listed like any other save) and
/// an audit entry; an import that changes nothing leaves neither.
async fn an_import_that_changes_an_article_is_a_revision_and_audited(db: TestDb) {
    let app = app(db).await;
    let id = article_id(&app, "hai").await;
    let db = &app.state.db;
    let revisions_of = |id| async move { revisions::list_for_article(db, id).await.unwrap() };
    let before = revisions_of(id).await.len();

    let dir = ContentDir::new();
    dir.article(
        "hai.md",
        "title = \"Bài hai\"\nslug = \"hai\"",
        "Bài thứ hai, sửa từ tệp.",
    );
    let report = loa::content::import_dir(db, dir.path()).await.unwrap();
    assert_eq!(report.updated, vec!["hai".to_owned()]);
    let after = revisions_of(id).await;
    assert_eq!(after.len(), before + 1);
    let last = after.last().unwrap();
    assert_eq!(last.reason, "Nhập từ tệp");
    assert_eq!(last.author_label, loa::content::IMPORT_ACTOR);
    assert_eq!(last.author_id, None);
    let row = articles::by_id(db, id).await.unwrap().unwrap();
    assert_eq!(last.article_version, row.version);
    let audited = db
        .pool()
        .fetch_i64(
            "select count(*) from audit_log where action = 'article.import' and target_id = $1",
            loa::params![id],
        )
        .await
        .unwrap();
    assert_eq!(audited, 1);

    // The same files again: unchanged, nothing recorded.
    let again = loa::content::import_dir(db, dir.path()).await.unwrap();
    assert_eq!(again.unchanged, vec!["hai".to_owned()]);
    assert_eq!(revisions_of(id).await.len(), before + 1);

    // The admin's list shows it like any other revision.
    let b = app.signed_in(Role::Editor).await;
    let page = b
        .page(&format!("/admin/bai-viet/{id}/phien-ban"), 200)
        .await;
    assert!(page.contains("Nhập từ tệp"), "{page}");
}
