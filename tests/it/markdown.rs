//! The Markdown pipeline (`loa::markdown::render`): hostile input comes out harmless, and the
//! fixtures in `tests/fixtures/markdown/` render to the accepted snapshots.

use std::path::{Path, PathBuf};

use loa::markdown::{render, TocEntry};
use scraper::{ElementRef, Html, Selector};

/// Markdown an author (or a stolen author account) could submit. Each entry is rendered on its
/// own; the output must contain nothing that runs script, loads a page, restyles the layout or
/// clobbers the page's own element ids.
const HOSTILE: &[&str] = &[
    // Raw script, block and inline.
    "<script>alert(1)</script>",
    "Đoạn văn <script>alert(1)</script> tiếp tục.",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)<</script>/script>",
    // Event handlers.
    "<img src=x onerror=alert(1)>",
    "<img src=\"x` onerror=alert(1)>",
    "<img src=`x` onerror=alert(1)>",
    "<img src=x:alert(1) onerror=eval(src)>",
    "<a href=# onclick=alert(1)>x</a>",
    "<details open ontoggle=alert(1)><summary>x</summary></details>",
    "<video><source onerror=alert(1)></video>",
    "<video poster=\"javascript:alert(1)\"></video>",
    "<body onload=alert(1)>",
    "<marquee onstart=alert(1)>x</marquee>",
    "<div\n  onclick=\"alert(1)\">x</div>",
    // Foreign content and mutation XSS.
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
    "<a xlink:href=\"javascript:alert(1)\">x</a>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<math><mtext><table><mglyph><style><!--</style><img title=\"--&gt;&lt;/mglyph&gt;&lt;img&Tab;src=1&Tab;onerror=alert(1)&gt;\">",
    "<math href=\"javascript:alert(1)\">x</math>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    "<template><script>alert(1)</script></template>",
    "<xmp><script>alert(1)</script></xmp>",
    "<plaintext><script>alert(1)</script>",
    // Embedding, styling, page-level elements.
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<applet code=x></applet><frameset><frame src=javascript:alert(1)></frameset>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<style>@import 'javascript:alert(1)';</style>",
    "<link rel=stylesheet href=\"javascript:alert(1)\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"javascript:alert(1)//\">",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<p style=\"position:fixed;top:0;left:0;width:100%;height:100%\">Đăng nhập lại</p>",
    // Forms.
    "<form action=\"javascript:alert(1)\"><input type=submit></form>",
    "<input autofocus onfocus=alert(1)>",
    "<textarea><script>alert(1)</script></textarea>",
    "<button formaction=\"javascript:alert(1)\">x</button>",
    "<isindex action=javascript:alert(1) type=image>",
    "<select><option>x</option></select>",
    // Raw-HTML links with dangerous schemes, obfuscated every way the parsers allow.
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href='javascript:alert(1)'>x</a>",
    "<a href=javascript:alert(1)>x</a>",
    "<a\nhref=\"javascript:alert(1)\">x</a>",
    "<IMG SRC=JaVaScRiPt:alert(1)>",
    "<a href=\"jav&#x0A;ascript:alert(1)\">x</a>",
    "<a href=\"java\tscript:alert(1)\">x</a>",
    "<a href=\" \u{1}javascript:alert(1)\">x</a>",
    "<a href=\"javascript\0:alert(1)\">x</a>",
    "<a href=\"javascript&#58;alert(1)\">x</a>",
    "<a href=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000049&#0000041\">x</a>",
    "<a href=\"&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)\">x</a>",
    "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
    "<img src=\"javascript:alert(1)\">",
    // ammonia allows `cite` (blockquote, q, del, ins) but does not check its scheme; these four
    // stay here until the pipeline filters it.
    "<blockquote cite=\"javascript:alert(1)\">x</blockquote>",
    "<q cite=\"vbscript:msgbox(1)\">x</q>",
    "<del cite=\"javascript:alert(1)\">x</del>",
    "<ins cite=\"data:text/html,x\">x</ins>",
    "<table><tr><td background=\"javascript:alert(1)\">x</td></tr></table>",
    "<div><a href=\"javascript:alert(1)\"\n>x</a></div>",
    // Markdown links and images with dangerous schemes.
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java&#x09;script:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](  javascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[x](vbscript:msgbox(1))",
    "[x](file:///etc/passwd)",
    "![x](javascript:alert(1))",
    "<javascript:alert(1)>",
    "[x][evil]\n\n[evil]: javascript:alert(1)",
    "![x][evil]\n\n[evil]: javascript:alert(1) \"t\"",
    // Looks external (has a host), so it takes the hand-built `<a rel=…>` path.
    "[x](javascript://evil.example/%0aalert(1))",
    // Quotes in an external URL or title must not break out of the hand-built tag.
    "[x](https://example.com/\"onmouseover=\"alert(1))",
    "[x](https://example.com \"\\\" onmouseover=\\\"alert(1)\")",
    "[x](https://example.com '\"><script>alert(1)</script>')",
    // Heading attribute syntax: only the id we derive may survive.
    "# T {#x onclick=alert(1)}",
    "## T {#x .y onmouseover=alert(1)}",
    "# T {onclick=\"alert(1)\"}",
    "## T {#\"><img/src/onerror=alert(1)>}",
    "## Nội dung {#noi-dung}",
    // Comments, CDATA, code (the last two are text and must stay text).
    "<!--><script>alert(1)</script>-->",
    "<!-- --!><script>alert(1)</script> -->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<!-- more --><script>alert(1)</script>",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    // DOM clobbering and tab-nabbing.
    "<img name=cookie id=x>",
    "<form id=\"location\" name=\"location\"><input name=\"href\"></form>",
    "<div id=\"noi-dung\">giả mạo</div>",
    "<div id=\"x y\" name=\"z\">x</div>",
    "<a href=\"//evil.example/x\" target=_blank>x</a>",
    "<a href=\"https://example.com\" rel=\"opener\">x</a>",
    // Hostile content inside the extensions.
    "Chú thích[^1].\n\n[^1]: <img src=x onerror=alert(1)> [x](javascript:alert(1))",
    "Chú thích[^\"><img src=x onerror=alert(1)>].\n\n[^\"><img src=x onerror=alert(1)>]: x",
    "| a | b |\n|---|---|\n| <script>alert(1)</script> | [x](javascript:alert(1)) |\n| <img src=x onerror=alert(1)> | <iframe src=x></iframe> |",
    "| a |\n|:-:|\n| <td style=\"background:red\" onclick=alert(1)>x</td> |",
    "- [ ] <img src=x onerror=alert(1)>\n- [x] <a href=\"javascript:alert(1)\">x</a>",
    "> <script>alert(1)</script>\n> [x](javascript:alert(1))",
];

/// Elements that run script, load other documents, restyle the page or submit data.
const FORBIDDEN_ELEMENTS: &[&str] = &[
    "script", "iframe", "frame", "style", "object", "embed", "form", "input", "button", "textarea",
    "select", "svg", "math", "base", "meta", "link", "template", "noscript", "applet", "frameset",
];

/// Attributes that carry script, replace a form's target, or clobber/reach named globals.
const FORBIDDEN_ATTRIBUTES: &[&str] = &["srcdoc", "formaction", "xlink:href", "target", "name"];

/// Attributes whose value is a URL the browser follows or loads.
const URL_ATTRIBUTES: &[&str] = &["href", "src", "cite", "action", "poster", "background"];

const DANGEROUS_SCHEMES: &[&str] = &["javascript:", "data:", "vbscript:", "file:"];

/// Ids the page layout owns (mirrors `RESERVED_IDS` in src/markdown.rs): content taking one would
/// hijack the skip link or the table of contents.
const LAYOUT_IDS: &[&str] = &["noi-dung", "muc-luc", "dau-trang", "chan-trang", "menu"];

const EXTERNAL_REL: &str = "noopener noreferrer";

/// Panics, showing the input and the output, when `html` holds anything dangerous.
fn assert_safe(input: &str, html: &str) {
    if let Some(report) = unsafe_report(input, html) {
        panic!("{report}");
    }
}

/// What [`assert_safe`] reports, or `None` when the output is safe.
fn unsafe_report(input: &str, html: &str) -> Option<String> {
    let problems = problems(html);
    (!problems.is_empty()).then(|| {
        format!(
            "unsafe output\n--- input ---\n{input}\n--- output ---\n{html}\n--- problems ---\n{}\n",
            problems.join("\n")
        )
    })
}

/// Everything wrong with `html`, judged on the parsed tree: escaped text such as
/// `&lt;script&gt;` or "javascript:" in a paragraph is harmless, so substring search would lie.
fn problems(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    // The one substring check: a literal tag opener can only come from unescaped markup.
    if html.to_lowercase().contains("<script") {
        found.push("raw `<script` in the output".to_owned());
    }
    let fragment = Html::parse_fragment(html);
    // The first element is the `<html>` wrapper the fragment parser adds.
    for el in fragment.root_element().descendent_elements().skip(1) {
        found.extend(element_problems(el));
    }
    found
}

fn element_problems(el: ElementRef) -> Vec<String> {
    let name = el.value().name();
    let mut found = Vec::new();
    if FORBIDDEN_ELEMENTS.contains(&name) {
        found.push(format!("element <{name}>"));
    }
    for (qual, value) in el.value().attrs.iter() {
        // Namespaced attributes (in SVG) are split into prefix and local name; put them together.
        let attr = match &qual.prefix {
            Some(prefix) => format!("{}:{}", &**prefix, &*qual.local),
            None => qual.local.to_string(),
        };
        let value: &str = value;
        if let Some(problem) = attribute_problem(name, &attr, value) {
            found.push(format!("<{name} {attr}=\"{value}\">: {problem}"));
        }
    }
    found
}

fn attribute_problem(element: &str, attr: &str, value: &str) -> Option<&'static str> {
    let attr = attr.to_ascii_lowercase();
    if attr.starts_with("on") {
        return Some("event handler");
    }
    if FORBIDDEN_ATTRIBUTES.contains(&attr.as_str()) {
        return Some("forbidden attribute");
    }
    if attr == "style" && !is_column_alignment(element, value) {
        return Some("style other than a table column's alignment");
    }
    if URL_ATTRIBUTES.contains(&attr.as_str()) && has_dangerous_scheme(value) {
        return Some("dangerous URL scheme");
    }
    if attr == "id" && !is_plain_id(value) {
        return Some("id outside [A-Za-z0-9_-]");
    }
    if attr == "id" && LAYOUT_IDS.contains(&value) {
        return Some("id reserved for the page layout");
    }
    if attr == "rel" && value != EXTERNAL_REL {
        return Some("rel other than the one the pipeline adds");
    }
    None
}

/// The only style pulldown-cmark writes: a table column's alignment.
fn is_column_alignment(element: &str, value: &str) -> bool {
    matches!(element, "th" | "td")
        && matches!(
            value,
            "text-align: left" | "text-align: center" | "text-align: right"
        )
}

/// Browsers ignore leading spaces and drop tabs, newlines and control characters anywhere in a
/// URL, and schemes are case-insensitive; normalise the same way before looking at the scheme.
fn has_dangerous_scheme(url: &str) -> bool {
    let normalised: String = url
        .trim()
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_ascii_control())
        .collect::<String>()
        .to_ascii_lowercase();
    DANGEROUS_SCHEMES
        .iter()
        .any(|scheme| normalised.starts_with(scheme))
}

fn is_plain_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[test]
fn hostile_markdown_renders_to_safe_html() {
    assert!(
        HOSTILE.len() >= 45,
        "the corpus shrank to {}",
        HOSTILE.len()
    );
    // Report every unsafe output at once, not just the first: one fix often covers several.
    let reports: Vec<String> = HOSTILE
        .iter()
        .filter_map(|input| unsafe_report(input, &render(input).html))
        .collect();
    assert!(
        reports.is_empty(),
        "{} of {} hostile inputs rendered unsafely:\n\n{}",
        reports.len(),
        HOSTILE.len(),
        reports.join("\n")
    );
}

/// The checker itself must catch what it is there to catch, or a passing corpus proves nothing.
#[test]
fn safety_checker_rejects_known_bad_html() {
    let bad = [
        "<script>alert(1)</script>",
        "<p><img src=x onerror=alert(1)></p>",
        "<a href=\" JaVa\tScRiPt:alert(1)\">x</a>",
        "<a href=\"&#x6A;avascript:alert(1)\">x</a>",
        "<img src=\"data:image/svg+xml,x\">",
        "<p style=\"color: red\">x</p>",
        // Inside a table: the fragment parser drops a stray `<td>`, as a browser would.
        "<table><tr><td style=\"text-align: center; background: red\">x</td></tr></table>",
        "<h2 id=\"a b\">x</h2>",
        "<div id=\"menu\">x</div>",
        "<a href=\"/x\" target=\"_blank\">x</a>",
        "<svg><a xlink:href=\"#x\">x</a></svg>",
        "<iframe srcdoc=\"x\"></iframe>",
    ];
    for html in bad {
        assert!(!problems(html).is_empty(), "not caught: {html}");
    }
    let good = concat!(
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; javascript:alert(1)</p>",
        "<table><tr><td style=\"text-align: right\">1</td></tr></table>",
        "<h2 id=\"y-nghia-2\">Ý nghĩa</h2>",
        "<a href=\"https://example.com\" rel=\"noopener noreferrer\">x</a>",
    );
    assert_eq!(problems(good), Vec::<String>::new());
}

/// Every `<a>` in the fragment as (href, rel, text).
fn links(html: &str) -> Vec<(Option<String>, Option<String>, String)> {
    let fragment = Html::parse_fragment(html);
    let a = Selector::parse("a").expect("valid selector");
    fragment
        .select(&a)
        .map(|el| {
            (
                el.attr("href").map(str::to_owned),
                el.attr("rel").map(str::to_owned),
                el.text().collect(),
            )
        })
        .collect()
}

#[test]
fn sanitising_keeps_the_words_and_safe_links() {
    let external = render("[a](https://example.com)").html;
    assert_eq!(
        links(&external),
        [(
            Some("https://example.com".to_owned()),
            Some(EXTERNAL_REL.to_owned()),
            "a".to_owned()
        )],
        "{external}"
    );

    // Internal links stay as written and need no rel.
    let internal = render("[a](/bai-viet/sipas)").html;
    assert_eq!(
        links(&internal),
        [(Some("/bai-viet/sipas".to_owned()), None, "a".to_owned())],
        "{internal}"
    );

    // The dangerous URL goes; the link text the author wrote stays.
    let hostile = render("[a](javascript:alert(1))").html;
    assert_eq!(links(&hostile), [(None, None, "a".to_owned())], "{hostile}");
    assert_safe("[a](javascript:alert(1))", &hostile);

    // Escaped markup stays visible as text rather than vanishing.
    let text = render("Dùng thẻ `<script>` và 1 < 2.").html;
    let fragment = Html::parse_fragment(&text);
    let words: String = fragment.root_element().text().collect();
    assert_eq!(words.trim(), "Dùng thẻ <script> và 1 < 2.", "{text}");
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/markdown")
}

/// The fixtures, sorted so the run order (and any failure report) is stable.
fn fixtures() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(fixture_dir())
        .expect("tests/fixtures/markdown exists")
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    paths.sort();
    paths
}

/// A readable dump of everything `render` returns, for the snapshot.
fn describe(source: &str) -> String {
    let r = render(source);
    let mut out = String::new();
    out.push_str("--- html ---\n");
    out.push_str(r.html.trim_end());
    out.push_str("\n--- toc ---\n");
    write_toc(&mut out, &r.toc, 0);
    out.push_str("--- summary ---\n");
    out.push_str(&r.summary);
    out.push_str("\n--- stats ---\n");
    out.push_str(&format!(
        "word_count: {}\nreading_minutes: {}\n",
        r.word_count, r.reading_minutes
    ));
    out
}

fn write_toc(out: &mut String, entries: &[TocEntry], depth: usize) {
    for entry in entries {
        out.push_str(&format!(
            "{}{} — {}\n",
            "  ".repeat(depth),
            entry.id,
            entry.title
        ));
        write_toc(out, &entry.children, depth + 1);
    }
}

#[test]
fn fixtures_match_snapshots() {
    let paths = fixtures();
    assert!(
        !paths.is_empty(),
        "no fixtures in {}",
        fixture_dir().display()
    );
    for path in paths {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("UTF-8 file name")
            .to_owned();
        let source = std::fs::read_to_string(&path).expect("readable fixture");
        // Every fixture's output must also pass the safety check.
        let output = describe(&source);
        assert_safe(&source, &render(&source).html);
        insta::with_settings!({
            input_file => &path,
            description => format!("render(tests/fixtures/markdown/{name}.md)"),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(name, output);
        });
    }
}

/// Property tests: for any input, built from the hostile corpus, Markdown and HTML syntax and
/// arbitrary text, the output is safe and the work of rendering grows linearly.
mod properties {
    use loa::markdown::render_counting;
    use proptest::prelude::*;

    use super::{render, unsafe_report, HOSTILE};

    /// Syntax an attacker combines: headings, footnotes, links, raw HTML, schemes, escapes.
    const SYNTAX: &[&str] = &[
        "# ",
        "## ",
        "### ",
        "\n",
        "\n\n",
        "[^a]",
        "[^nguồn]",
        "[^a]: ",
        "[x](",
        "](",
        ")",
        "[x]: ",
        "<a href=\"",
        "<a href=",
        "\">",
        ">",
        "</a>",
        "<img src=",
        " onerror=alert(1)",
        "<svg>",
        "<script>",
        "</script>",
        "javascript:",
        "jav&#x09;ascript:",
        "data:text/html,",
        "//evil.example",
        "https://example.com",
        "/\\evil.example",
        "`",
        "```\n",
        "| a |\n|:-:|\n| b |\n",
        "{#noi-dung}",
        "{#x onclick=y}",
        "<!-- more -->",
        "<!--",
        "-->",
        "*",
        "_",
        "<",
        "&",
        "&#",
        "\"",
        "'",
        "\t",
        " ",
        "- [ ] ",
        "> ",
        "Ý nghĩa",
        "Xác nhận",
    ];

    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            2 => prop::sample::select(SYNTAX).prop_map(str::to_owned),
            1 => prop::sample::select(HOSTILE).prop_map(str::to_owned),
            1 => any::<String>().prop_map(|s| s.chars().take(16).collect()),
        ]
    }

    fn source() -> impl Strategy<Value = String> {
        prop::collection::vec(piece(), 0..32).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        // Each case renders through the whole pipeline: a few dozen keep the suite fast.
        #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn any_input_renders_to_safe_html(source in source()) {
            let html = render(&source).html;
            if let Some(report) = unsafe_report(&source, &html) {
                prop_assert!(false, "{}", report);
            }
        }

        /// Repeating an input `k` times (equal headings and footnotes included) costs `k` times
        /// the work, never `k²`: ids are claimed about once each, and the output stays within a
        /// constant factor of the input.
        #[test]
        fn rendering_work_is_linear(source in source(), k in 1usize..64) {
            let body = source.repeat(k);
            let (rendered, work) = render_counting(&body);
            // Each taken id fails at most two probes (one per base it can be numbered from),
            // the reserved layout ids included.
            prop_assert!(
                work.probes <= 3 * work.claims + 16,
                "{:?} for {} bytes", work, body.len()
            );
            prop_assert!(rendered.html.len() <= 64 * body.len() + 4096);
        }
    }
}
