//! The poster prints on one page (issue 15): Chromium prints `/admin/bai-viet/{id}/ap-phich`
//! through WebDriver's "print" command — what its print preview does — for the A4 and the A5
//! layout, with a long Vietnamese title and the longest text the form accepts, and the PDF it
//! returns has exactly one page, with the QR code and the steps inside the sheet.
//!
//! Needs only Chromium and chromedriver (no Java or npm tools): skipped like the journeys without
//! them.

use fantoccini::wd::{PrintConfiguration, PrintMargins, PrintOrientation, PrintSize};

use super::harness::{browser, Account, Screen, Session};
use crate::helpers::PASSWORD;

const EDITOR: Account = Account {
    email: "mai.tt@stttt.test",
    name: "Trần Thị Mai",
    role: "editor",
    unit: Some("van-phong"),
    head: false,
};

/// An article of the shipped content whose title is made three times as long below.
const SLUG: &str = "dich-vu-cong-muc-3-4-va-ho-so-dung-han";

/// The pages of a PDF: its page objects (`/Type /Page`, not `/Pages`). Chromium (Skia) writes
/// them uncompressed, one per page; the `/Count` of the page tree must agree.
fn pdf_pages(pdf: &[u8]) -> usize {
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let mut pages = 0;
    for pattern in [&b"/Type /Page"[..], &b"/Type/Page"[..]] {
        pages += pdf
            .windows(pattern.len() + 1)
            .filter(|w| w.starts_with(pattern) && w[pattern.len()] != b's')
            .count();
    }
    let text = String::from_utf8_lossy(pdf);
    let counts: Vec<usize> = text
        .match_indices("/Count ")
        .filter_map(|(i, m)| {
            let digits: String = text[i + m.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .collect();
    assert!(
        counts.contains(&pages),
        "page objects ({pages}) and the page tree's counts ({counts:?}) disagree"
    );
    pages
}

/// Paper of `size`, portrait, no margins, at 100% (what the poster page asks the user to choose).
fn paper(size: PrintSize) -> PrintConfiguration {
    PrintConfiguration::builder()
        .orientation(PrintOrientation::Portrait)
        .size(size)
        .margins(PrintMargins {
            top: 0.0,
            bottom: 0.0,
            left: 0.0,
            right: 0.0,
        })
        .scale(1.0)
        .shrink_to_fit(false)
        .background(true)
        .build()
        .expect("a print configuration")
}

const A5: PrintSize = PrintSize {
    width: 14.8,
    height: 21.0,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_poster_prints_on_one_page() {
    let Some(browser) = browser() else {
        return;
    };
    let s = Session::start(browser, "poster", Screen::Desktop, &[EDITOR]).await;
    let db = loa::db::Db::connect(&loa::config::DatabaseUrl::parse(&s.server.db_url).unwrap())
        .await
        .unwrap();
    let made_long = db
        .pool()
        .execute(
            "update articles set title = title || ' — ' || title || ' — ' || title \
             where slug = $1",
            loa::params![SLUG],
        )
        .await
        .unwrap();
    assert_eq!(made_long, 1);
    let id = db
        .pool()
        .fetch_i64(
            "select id from articles where slug = $1",
            loa::params![SLUG],
        )
        .await
        .unwrap();
    db.close().await;

    // Sign in through the form.
    let base = s.server.base.clone();
    s.c.goto(&format!("{base}/dang-nhap")).await.unwrap();
    let form =
        s.c.form(fantoccini::Locator::Css("form[action='/dang-nhap']"))
            .await
            .unwrap();
    form.set_by_name("email", EDITOR.email).await.unwrap();
    form.set_by_name("password", PASSWORD).await.unwrap();
    form.submit().await.unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    while s.c.current_url().await.unwrap().path() == "/dang-nhap" {
        assert!(tokio::time::Instant::now() < deadline, "sign-in failed");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // The longest text the form accepts: 300 characters with diacritics.
    let message: String = "Mời ông bà quét mã để đọc và xác nhận đã đọc bài viết. "
        .chars()
        .cycle()
        .take(300) // the form's limit (`http::admin::posters::MAX_MESSAGE_CHARS`)
        .collect();
    let layouts = [
        ("a4", vec![("A4", PrintSize::A4)]),
        ("a5", vec![("A5", A5), ("A4", PrintSize::A4)]),
    ];
    for (kho, papers) in layouts {
        let url = reqwest::Url::parse_with_params(
            &format!("{base}/admin/bai-viet/{id}/ap-phich"),
            &[
                ("nguon", "mot-cua-so"),
                ("kho", kho),
                ("loi_nhan", &message),
            ],
        )
        .unwrap();
        s.c.goto(url.as_str()).await.unwrap();
        s.c.find(fantoccini::Locator::Css("main.poster svg.qr"))
            .await
            .unwrap_or_else(|e| panic!("no poster for {kho}: {e}"));
        // Nothing the sheet must show is cut off by its fixed box.
        let inside =
            s.c.execute(
                "const sheet = document.querySelector('main.poster').getBoundingClientRect();
                 return ['.poster-title', '.poster-qr', '.poster-steps', '.poster-place']
                   .map(css => document.querySelector(css).getBoundingClientRect())
                   .every(r => r.top >= sheet.top && r.bottom <= sheet.bottom + 0.5);",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            inside,
            serde_json::json!(true),
            "{kho}: content outside the sheet"
        );
        for (name, size) in papers {
            let pdf = s.c.print(paper(size)).await.expect("print");
            std::fs::write(s.dir.join(format!("poster-{kho}-on-{name}.pdf")), &pdf).unwrap();
            assert_eq!(pdf_pages(&pdf), 1, "the {kho} poster on {name} paper");
        }
    }
    let mut s = s;
    s.close().await;
}
