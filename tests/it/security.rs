//! Hardening against abuse (issue 11): sign-in floods and long e-mails, clients behind a reverse
//! proxy, temporary passwords, and the headers of sensitive pages.

mod headers;
mod limits;
mod proxies;
mod sessions;
mod sign_in_abuse;
mod temporary_passwords;

use crate::helpers::{ContentDir, TestApp, TestDb};

/// A site with one article, and the test's own settings.
async fn app_with(db: TestDb, configure: impl FnOnce(&mut loa::config::RawConfig)) -> TestApp {
    let content = ContentDir::new();
    content.article("a.md", "title = \"Bài\"", "Nội dung.");
    TestApp::spawn_with(db, content.path(), configure).await
}
