//! Unit tests of the parent module.

use super::*;

#[test]
fn headings_get_folded_unique_ids_and_a_toc() {
    let r = render("## Ý nghĩa\n\ntext\n\n### Đối tượng\n\n## Ý nghĩa\n\n## Mục lục\n");
    assert!(
        r.html.contains(r#"<h2 id="y-nghia">Ý nghĩa</h2>"#),
        "{}",
        r.html
    );
    assert!(r.html.contains(r#"<h3 id="doi-tuong">"#));
    assert!(r.html.contains(r#"<h2 id="y-nghia-2">"#));
    // "muc-luc" belongs to the page's own table of contents.
    assert!(r.html.contains(r#"<h2 id="muc-luc-2">"#));
    // and "xac-nhan" to the acknowledgment box below the article.
    let ack = render("## Xác nhận\n");
    assert!(ack.html.contains(r#"<h2 id="xac-nhan-2">"#), "{}", ack.html);
    assert_eq!(r.toc.len(), 3);
    assert_eq!(r.toc[0].children[0].id, "doi-tuong");
    assert_eq!(r.toc[0].children[0].title, "Đối tượng");
}

#[test]
fn h1_in_the_body_is_demoted() {
    let r = render("# Một\n\n## Hai\n");
    assert!(r.html.contains("<h2 id=\"mot\">"));
    assert!(r.html.contains("<h3 id=\"hai\">"));
    assert!(!r.html.contains("<h1"));
}

#[test]
fn external_links_get_rel_and_internal_ones_do_not() {
    let r = render("[a](https://vnexpress.net/x?a=1&b=2 \"T\") [b](/bai-viet/sipas) [c](#muc)");
    assert!(
        r.html.contains(
            r#"<a href="https://vnexpress.net/x?a=1&amp;b=2" title="T" rel="noopener noreferrer">a</a>"#
        ),
        "{}",
        r.html
    );
    assert!(r.html.contains(r#"<a href="/bai-viet/sipas">b</a>"#));
    assert!(r.html.contains(r##"<a href="#muc">c</a>"##));
}

#[test]
fn raw_html_links_get_the_same_rel_as_markdown_links() {
    let r = render(concat!(
        "<a href=\"https://vnexpress.net/x?a=1&b=2\">a</a> ",
        "<a href=\"//evil.example/x\" rel=\"opener\">b</a> ",
        "<a href=\"/\\evil.example\">c</a>\n\n",
        "<p><a href=\"/bai-viet/sipas\" rel=\"noopener noreferrer nofollow\">d</a> ",
        "<a href=\"#muc\">e</a> <a href=\"mailto:a@b.vn\">f</a></p>\n",
    ));
    for external in [
        r#"<a href="https://vnexpress.net/x?a=1&amp;b=2" rel="noopener noreferrer">a</a>"#,
        r#"<a href="//evil.example/x" rel="noopener noreferrer">b</a>"#,
        r#"<a href="/\evil.example" rel="noopener noreferrer">c</a>"#,
    ] {
        assert!(r.html.contains(external), "{external} in {}", r.html);
    }
    // Internal links carry no rel, whatever the author wrote.
    assert!(
        r.html.contains(r#"<a href="/bai-viet/sipas">d</a>"#),
        "{}",
        r.html
    );
    assert!(r.html.contains(r##"<a href="#muc">e</a>"##));
    assert!(r.html.contains(r#"<a href="mailto:a@b.vn">f</a>"#));
}

#[test]
fn footnote_ids_are_folded_in_their_own_namespace() {
    let r = render(
        "## Nguồn\n\nTheo báo cáo[^nguồn] và[^nguon].\n\n[^nguồn]: Sở TT&TT.\n\n[^nguon]: Khác.\n",
    );
    // The heading keeps its id; the notes fold to fn-…, and two labels folding alike
    // still get one anchor each.
    assert!(
        r.html.contains(r#"<h2 id="nguon">Nguồn</h2>"#),
        "{}",
        r.html
    );
    assert!(
        r.html.contains(r##"<a href="#fn-nguon">1</a>"##),
        "{}",
        r.html
    );
    assert!(r.html.contains(r#"id="fn-nguon""#), "{}", r.html);
    assert!(
        r.html.contains(r##"<a href="#fn-nguon-2">2</a>"##),
        "{}",
        r.html
    );
    assert!(r.html.contains(r#"id="fn-nguon-2""#), "{}", r.html);
    // A heading that folds to a note's id keeps it; the note moves aside.
    let r = render("Xem[^nguon].\n\n## Fn nguồn\n\n[^nguon]: Sở.\n");
    assert!(r.html.contains(r#"<h2 id="fn-nguon">"#), "{}", r.html);
    assert!(r.html.contains(r##"href="#fn-nguon-2""##), "{}", r.html);
    assert!(r.html.contains(r#"id="fn-nguon-2""#), "{}", r.html);
    // A label matches its definition whatever the case, as pulldown-cmark matches them.
    let r = render("Xem[^Nguồn].\n\n[^nguồn]: Sở.\n");
    assert!(
        r.html.contains(r##"<a href="#fn-nguon">1</a>"##),
        "{}",
        r.html
    );
    assert!(r
        .html
        .contains(r#"<div class="footnote-definition" id="fn-nguon">"#));
}

#[test]
fn equal_headings_cost_linear_work() {
    let n = 5000;
    let (r, work) = render_counting(&"## a\n".repeat(n));
    assert_eq!(r.toc.len(), n);
    assert_eq!(r.toc[n - 1].id, format!("a-{n}"));
    assert_eq!(work.claims, n);
    // Probing `a`, `a-2`, … anew for each repeat would look up n²/2 ids.
    assert_eq!(work.probes, n);
    // Numbered headings written first make a later base skip them, each once.
    let mut source = (2..=n).map(|i| format!("## a {i}\n")).collect::<String>();
    source.push_str(&"## a\n".repeat(n));
    let (r, work) = render_counting(&source);
    assert_eq!(r.toc.last().unwrap().id, format!("a-{}", 2 * n - 1));
    assert!(work.probes <= 2 * work.claims, "{work:?}");
}

#[test]
fn bodies_past_the_limits_are_refused() {
    let long = "a".repeat(MAX_BODY_BYTES + 1);
    assert_eq!(
        render_checked(&long),
        Err(BodyError::TooLong {
            bytes: MAX_BODY_BYTES + 1
        })
    );
    let at_limit = "## a\n".repeat(MAX_HEADINGS);
    assert_eq!(render_checked(&at_limit).unwrap().toc.len(), MAX_HEADINGS);
    let over = format!("Mở đầu.\n\n{at_limit}## b\n");
    let e = render_checked(&over).unwrap_err();
    assert_eq!(
        e,
        BodyError::TooManyHeadings {
            line: MAX_HEADINGS + 3
        }
    );
    assert!(e.to_string().contains("hơn 1000 tiêu đề mục"), "{e}");
    let body = Body::new("## Ý nghĩa\n\nChữ.".to_owned()).unwrap();
    assert_eq!(body, "## Ý nghĩa\n\nChữ.");
    assert_eq!(body.rendered().toc[0].id, "y-nghia");
}

#[test]
fn summary_comes_from_the_more_marker_or_the_first_paragraph() {
    let r = render("Đoạn **mở đầu**.\n\nThêm nữa.\n\n<!-- more -->\n\nPhần còn lại.");
    assert_eq!(r.summary, "Đoạn mở đầu. Thêm nữa.");
    let r = render("## Tiêu đề\n\nĐoạn *đầu tiên*.\n\nĐoạn hai.");
    assert_eq!(r.summary, "Đoạn đầu tiên.");
    let long = "chữ ".repeat(200);
    let r = render(&long);
    assert!(r.summary.ends_with('…'));
    assert!(r.summary.chars().count() <= SUMMARY_CHARS + 1);
}

#[test]
fn reading_time_rounds_up_to_a_minute() {
    assert_eq!(render("một hai ba").reading_minutes, 1);
    let r = render(&"từ ".repeat(WORDS_PER_MINUTE * 2 + 1));
    assert_eq!(r.word_count, WORDS_PER_MINUTE * 2 + 1);
    assert_eq!(r.reading_minutes, 3);
}

#[test]
fn extensions_are_on() {
    let r = render("| a | b |\n|:-:|--|\n| 1 | 2 |\n\n~~cũ~~\n\n- [x] xong\n- [ ] chưa\n\nChú thích[^1].\n\n[^1]: Nguồn.\n");
    assert!(r.html.contains("<table>"), "{}", r.html);
    assert!(r.html.contains(r#"<th style="text-align: center">a</th>"#));
    assert!(r.html.contains("<del>cũ</del>"));
    assert!(r.html.contains("☑ xong"));
    assert!(r.html.contains("☐ chưa"));
    assert!(r.html.contains(r#"class="footnote-reference""#));
    assert!(r.html.contains(r#"class="footnote-definition""#));
}
