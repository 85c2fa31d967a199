//! A journey: a browser session with the steps users take (go, click, type, press keys) and the
//! checks of every page it visits, gathered and reported together at the end.

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::Locator;
use serde_json::json;

use super::checks;
use super::harness::{tools, Account, Screen, Session, Tools};
use crate::helpers::PASSWORD;

pub struct Journey {
    pub s: Session,
    tools: &'static Tools,
    step: usize,
    /// Saved page sources, for the one Nu HTML Checker run at the end.
    pages: Vec<PathBuf>,
    problems: Vec<String>,
}

/// How long to wait for something the page should show.
const PATIENCE: Duration = Duration::from_secs(15);

impl Journey {
    /// A fresh server and browser, or `None` (after one printed line) without a browser.
    pub async fn start(name: &str, screen: Screen, accounts: &[Account]) -> Option<Journey> {
        let tools = tools()?;
        let s = Session::start(&tools.browser, name, screen, accounts).await;
        Some(Journey {
            s,
            tools,
            step: 0,
            pages: Vec::new(),
            problems: Vec::new(),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.s.server.base)
    }

    pub async fn goto(&self, path: &str) {
        self.s.c.goto(&self.url(path)).await.expect("navigate");
    }

    /// The path (and query) of the current page.
    pub async fn path(&self) -> String {
        let url = self.s.c.current_url().await.expect("the current URL");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Waits until the current page's path starts with `prefix`.
    pub async fn wait_path(&self, prefix: &str) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let path = self.path().await;
            if path.starts_with(prefix) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "expected to reach {prefix}, still on {path}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The element matching `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        match self
            .s
            .c
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(e) => e,
            Err(e) => panic!("no {css} on {}: {e}", self.path().await),
        }
    }

    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.s.c.find_all(Locator::Css(css)).await.expect("find")
    }

    /// The text of the element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text")
    }

    /// Waits until `css` shows text containing `needle`; returns that text.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Ok(e) = self.s.c.find(Locator::Css(css)).await {
                let text = e.text().await.unwrap_or_default();
                if text.contains(needle) {
                    return text;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "{css} never showed «{needle}»; it shows «{text}»"
                );
            } else {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "no {css} after {PATIENCE:?} (waiting for «{needle}»)"
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.expect("click");
    }

    /// Clears the field matching `css` and types `text` into it.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    /// Runs `script` in the page and returns its JSON answer.
    pub async fn js(&self, script: &str) -> serde_json::Value {
        self.s
            .c
            .execute(script, vec![])
            .await
            .expect("run a script")
    }

    /// The `id` (or a description) of the focused element.
    pub async fn focused(&self) -> String {
        self.js("const e = document.activeElement; return e.id || (e.tagName.toLowerCase() + ' «' + e.textContent.trim().slice(0, 40) + '»');")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Presses keys on the keyboard as a person would (to whatever has the focus): each `char` is
    /// a key, `Key::Tab.into()` and friends for the special ones.
    pub async fn keys(&self, keys: &[char]) {
        let mut seq = KeyActions::new("keyboard".to_owned());
        for &k in keys {
            seq = seq
                .then(KeyAction::Down { value: k })
                .then(KeyAction::Up { value: k });
        }
        self.s.c.perform_actions(seq).await.expect("press keys");
    }

    /// Holds `modifier` while pressing `key` (Ctrl+A).
    pub async fn chord(&self, modifier: Key, key: char) {
        let seq = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down {
                value: modifier.into(),
            })
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key })
            .then(KeyAction::Up {
                value: modifier.into(),
            });
        self.s.c.perform_actions(seq).await.expect("press keys");
    }

    pub async fn press(&self, key: Key) {
        self.keys(&[key.into()]).await;
    }

    /// Types `text` with the keyboard into the focused field.
    pub async fn type_text(&self, text: &str) {
        self.keys(&text.chars().collect::<Vec<_>>()).await;
    }

    /// Whether the focused element matches `css`.
    pub async fn focus_is(&self, css: &str) -> bool {
        self.s
            .c
            .execute(
                "return document.activeElement.matches(arguments[0]);",
                vec![json!(css)],
            )
            .await
            .expect("run a script")
            == true
    }

    /// Presses Tab until the focus is on the element matching `css` (at most `max` times).
    pub async fn tab_to(&self, css: &str, max: usize) {
        for _ in 0..max {
            if self.focus_is(css).await {
                return;
            }
            self.press(Key::Tab).await;
        }
        assert!(
            self.focus_is(css).await,
            "Tab never reached {css}; the focus is on {}",
            self.focused().await
        );
    }

    /// Presses Tab once per selector, checking that the focus lands on each in turn.
    pub async fn tab_through(&self, order: &[&str]) {
        for css in order {
            self.press(Key::Tab).await;
            assert!(
                self.focus_is(css).await,
                "Tab went to {} instead of {css}",
                self.focused().await
            );
        }
    }

    /// Signs in through the sign-in form and waits to leave it.
    pub async fn sign_in(&self, email: &str) {
        self.goto("/dang-nhap").await;
        self.fill("#email", email).await;
        self.fill("#password", PASSWORD).await;
        self.click("form[action='/dang-nhap'] button[type=submit]")
            .await;
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while self.path().await.starts_with("/dang-nhap") {
            assert!(
                tokio::time::Instant::now() < deadline,
                "sign-in of {email} did not go through"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Signs out with the header's button.
    pub async fn sign_out(&self) {
        self.click("form[action='/dang-xuat'] button").await;
        self.find("a[href='/dang-nhap']").await;
    }

    /// Checks the current page, which a GET reached: its source is fetched again as the server
    /// sends it, for the HTML checker.
    pub async fn check(&mut self, name: &str) {
        let source = self
            .s
            .c
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 fetch(location.href, { cache: 'no-store', credentials: 'same-origin' })
                   .then(r => r.text()).then(done, e => done('error: ' + e));",
                vec![],
            )
            .await
            .expect("fetch the page source");
        self.check_source(name, source.as_str().unwrap_or_default().to_owned())
            .await;
    }

    /// Checks the current page when it answered a POST (a form shown again with its errors): the
    /// document as the browser parsed it stands in for the source.
    pub async fn check_rendered(&mut self, name: &str) {
        let source = self
            .js("return '<!DOCTYPE html>\\n' + document.documentElement.outerHTML;")
            .await;
        self.check_source(name, source.as_str().unwrap_or_default().to_owned())
            .await;
    }

    async fn check_source(&mut self, name: &str, source: String) {
        self.step += 1;
        let file = format!("{:02}-{name}", self.step);
        self.js("return document.readyState;").await;
        let png = self.s.c.screenshot().await.expect("a screenshot");
        std::fs::write(self.s.dir.join(format!("{file}.png")), png).expect("save the screenshot");
        let html = self.s.dir.join("html").join(format!("{file}.html"));
        std::fs::write(&html, source).expect("save the page source");
        self.pages.push(html);
        let path = self.path().await;
        let mut found = checks::axe(&self.s.c, self.tools).await;
        if self.s.screen == Screen::Phone {
            found.extend(checks::thumb(&self.s.c).await);
        }
        self.problems
            .extend(found.into_iter().map(|p| format!("{file} ({path}): {p}")));
    }

    /// Runs the HTML checker over every page, quits the browser, and fails with every problem
    /// found on the way.
    pub async fn finish(mut self) {
        let found = checks::vnu(self.tools, &self.pages);
        self.problems.extend(found);
        let problems = std::mem::take(&mut self.problems);
        self.s.close().await;
        assert!(
            problems.is_empty(),
            "{} problem(s) on the pages of this journey:\n{}",
            problems.len(),
            problems.join("\n")
        );
    }

    /// Resizes nothing, but lets the page settle: waits for `ms` milliseconds.
    pub async fn pause(&self, ms: u64) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }

    /// Sets a date or time field's value as its picker would (typing into it depends on the
    /// browser's locale) and tells the page it changed.
    pub async fn set_value(&self, css: &str, value: &str) {
        let el = self.find(css).await;
        self.s
            .c
            .execute(
                "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', { bubbles: true })); arguments[0].dispatchEvent(new Event('change', { bubbles: true }));",
                vec![serde_json::to_value(&el).unwrap(), json!(value)],
            )
            .await
            .expect("set a value");
    }
}

impl Drop for Journey {
    /// A journey that stops half-way still reports what its pages had wrong so far.
    fn drop(&mut self) {
        if std::thread::panicking() && !self.problems.is_empty() {
            eprintln!(
                "problems found before the journey stopped:\n{}",
                self.problems.join("\n")
            );
        }
    }
}
