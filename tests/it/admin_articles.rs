//! The article admin: the list, the editor, actions by role, optimistic locking, slug aliases,
//! secret preview links, deletion and both previews — all through the real server. Shared
//! helpers here; the tests in the submodules.

mod editing;
mod limits;
mod links;
mod roles;

use loa::account::Role;
use loa::db::articles::{self, ArticleRow};

use crate::helpers::{attrs, location, Browser, TestApp, PASSWORD};

/// A signed-in browser for a new account of `role`, and the account's id.
pub(crate) async fn sign_in(app: &TestApp, role: Role, name: &str) -> (Browser, i64) {
    let email = format!(
        "{}-{}@loa.test",
        role.as_str(),
        loa::slug::slugify(name).replace('-', ".")
    );
    let id = app.create_user(&email, name, role, None, false).await;
    let b = app.browser();
    assert_eq!(b.sign_in(&email, PASSWORD).await.status(), 303);
    (b, id)
}

/// Creates an article through the editor with `action`; returns its id.
pub(crate) async fn create(b: &Browser, title: &str, body: &str, action: &str) -> i64 {
    let r = b
        .post(
            "/admin/bai-viet/moi",
            &[("title", title), ("body", body), ("action", action)],
        )
        .await;
    assert_eq!(r.status(), 303, "create «{title}» with {action}");
    let to = location(&r);
    let id = to
        .trim_start_matches("/admin/bai-viet/")
        .split('?')
        .next()
        .unwrap();
    id.parse().unwrap_or_else(|_| panic!("redirected to {to}"))
}

pub(crate) async fn row(app: &TestApp, id: i64) -> ArticleRow {
    articles::by_id(&app.state.db, id).await.unwrap().unwrap()
}

/// The editor's fields as they are now, with `changes` applied and `action` chosen.
pub(crate) async fn edit_fields(b: &Browser, id: i64) -> Vec<(String, String)> {
    let page = b.page(&format!("/admin/bai-viet/{id}"), 200).await;
    let mut fields = Vec::new();
    for name in ["title", "slug", "topics", "cover", "cover_alt", "version"] {
        let v = attrs(
            &page,
            &format!("form.article-form input[name={name}]"),
            "value",
        );
        fields.push((name.to_owned(), v.into_iter().next().unwrap_or_default()));
    }
    for name in ["summary", "meta_description", "body"] {
        let v = texts_raw(&page, &format!("form.article-form textarea[name={name}]"));
        fields.push((name.to_owned(), v));
    }
    fields
}

/// The text of the first element matching `selector`, as is (textareas keep their lines).
pub(crate) fn texts_raw(html: &str, selector: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(selector).unwrap();
    doc.select(&sel)
        .next()
        .map(|e| e.text().collect::<String>())
        .unwrap_or_default()
}

/// Saves the article through its editor form with some fields changed.
pub(crate) async fn save(
    b: &Browser,
    id: i64,
    changes: &[(&str, &str)],
    action: &str,
) -> reqwest::Response {
    let mut fields = edit_fields(b, id).await;
    for (k, v) in changes {
        match fields.iter_mut().find(|(name, _)| name == k) {
            Some(f) => f.1 = (*v).to_owned(),
            None => fields.push(((*k).to_owned(), (*v).to_owned())),
        }
    }
    fields.push(("action".to_owned(), action.to_owned()));
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    b.post(&format!("/admin/bai-viet/{id}"), &form).await
}

pub(crate) async fn audit_actions(app: &TestApp, id: i64) -> Vec<String> {
    #[derive(sqlx::FromRow)]
    struct Action {
        action: String,
    }
    let rows: Vec<Action> = app
        .state
        .db
        .pool()
        .fetch_all(
            "select action from audit_log where target_type = 'article' and target_id = $1 \
             order by id",
            loa::params![id],
        )
        .await
        .unwrap();
    rows.into_iter().map(|a| a.action).collect()
}

pub(crate) async fn revision_reasons(app: &TestApp, id: i64) -> Vec<String> {
    #[derive(sqlx::FromRow)]
    struct Reason {
        reason: String,
    }
    let rows: Vec<Reason> = app
        .state
        .db
        .pool()
        .fetch_all(
            "select reason from article_revisions where article_id = $1 order by id",
            loa::params![id],
        )
        .await
        .unwrap();
    rows.into_iter().map(|r| r.reason).collect()
}
