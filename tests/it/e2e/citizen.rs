//! The citizen, on a 390 × 844 phone: home page, a search without diacritics, an article and its
//! table of contents, then the confirmation form with the keyboard alone — a mistake first (the
//! error is announced next to its field and gets the focus), then the thank-you page.

use fantoccini::key::Key;

use super::harness::Screen;
use super::journey::Journey;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn citizen_reads_searches_and_confirms_on_a_phone() {
    let Some(mut j) = Journey::start("citizen", Screen::Phone, &[]).await else {
        return;
    };
    j.goto("/").await;
    let size = j
        .js("return [window.innerWidth, window.innerHeight];")
        .await;
    assert_eq!(size, serde_json::json!([390, 844]), "the phone's viewport");
    assert!(j.text("h1").await.contains("Bình Phước"));
    j.check("home").await;

    // Search from the header box, as typed on a phone keyboard without diacritics.
    j.click("#q-dau-trang").await;
    j.type_text("hai long").await;
    j.press(Key::Enter).await;
    j.wait_path("/tim-kiem?q=hai+long").await;
    let mut marked = Vec::new();
    for mark in j.find_all(".search-results mark").await {
        marked.push(mark.text().await.unwrap().to_lowercase());
    }
    assert!(
        marked.iter().any(|m| m == "hài") && marked.iter().any(|m| m == "lòng"),
        "«hai long» found and highlighted «hài lòng»: {marked:?}"
    );
    j.check("search").await;

    j.click(".search-results a[href='/bai-viet/sipas-la-gi']")
        .await;
    j.wait_path("/bai-viet/sipas-la-gi").await;
    j.check("article").await;

    // The table of contents leads to its section.
    let entry = j.find("#muc-luc li:nth-child(2) > a").await;
    let target = entry.attr("href").await.unwrap().expect("a TOC link");
    entry.click().await.unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let at = j
            .js(&format!(
                "return [location.hash, Math.round(document.querySelector('{target}').getBoundingClientRect().top)];"
            ))
            .await;
        let top = at[1].as_i64().unwrap();
        if at[0] == target.as_str() && (0..100).contains(&top) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the TOC link {target} did not bring its heading to the top: {at}"
        );
        j.pause(100).await;
    }

    // From the section down to the form with Tab; then a mistake: a phone number that is not
    // one, and no locality chosen.
    j.tab_to("#cd-name", 80).await;
    j.type_text("Nguyễn Văn Dân").await;
    j.tab_through(&["#cd-phone"]).await;
    j.type_text("12345").await;
    // The honeypot field robots fill is never reached with Tab.
    j.tab_through(&["#cd-email", "#cd-locality", "#cd-consent"])
        .await;
    j.press(Key::Space).await;
    assert_eq!(j.js("return document.activeElement.checked;").await, true);
    j.tab_through(&[
        "a[href='/bao-ve-du-lieu-ca-nhan']",
        ".citizen-ack button[type=submit]",
    ])
    .await;
    j.press(Key::Enter).await;
    j.wait_text("h1", "Xác nhận đã đọc").await;

    // Each error sits next to its field, the field says it is invalid and points to it, and the
    // focus is on the first one.
    for (field, says) in [
        ("cd-phone", "không hợp lệ"),
        ("cd-locality", "chọn địa bàn"),
    ] {
        let error = j
            .js(&format!(
                "const f = document.getElementById('{field}');
                 const ids = (f.getAttribute('aria-describedby') || '').split(' ');
                 const e = ids.map(id => document.getElementById(id)).find(e => e && e.classList.contains('error-text'));
                 return [f.getAttribute('aria-invalid'), e ? e.textContent : null, !!e && e.closest('.field') === f.closest('.field')];"
            ))
            .await;
        assert_eq!(error[0], "true", "{field} is marked invalid: {error}");
        assert!(
            error[1].as_str().is_some_and(|t| t.contains(says)),
            "{field} is described by its error: {error}"
        );
        assert_eq!(error[2], true, "the error of {field} sits next to it");
    }
    assert_eq!(
        j.focused().await,
        "cd-phone",
        "the focus is on the first error"
    );
    j.check_rendered("confirm-errors").await;

    // Put it right, still with the keyboard alone.
    j.chord(Key::Control, 'a').await;
    j.type_text("0912 345 678").await;
    j.tab_through(&["#cd-email", "#cd-locality"]).await;
    j.press(Key::Down).await;
    let locality = j.js("return document.activeElement.value;").await;
    assert_ne!(locality, "", "a locality is chosen with the arrow key");
    j.tab_through(&["#cd-consent"]).await;
    assert_eq!(
        j.js("return document.activeElement.checked;").await,
        true,
        "consent is kept"
    );
    j.tab_through(&[
        "a[href='/bao-ve-du-lieu-ca-nhan']",
        ".citizen-ack button[type=submit]",
    ])
    .await;
    j.press(Key::Enter).await;
    j.wait_path("/bai-viet/sipas-la-gi/cam-on").await;
    assert_eq!(j.text("h1").await, "Cảm ơn bạn đã xác nhận");
    assert_eq!(j.text(".citizen-count strong").await, "1");
    j.check("thanks").await;

    j.finish().await;
}
