//! The long article of the rendering benchmark and of the test that the server answers others
//! while a body renders: near `MAX_BODY_BYTES`, cheap to send and parse, slow to render. Included
//! by path in both, so the test renders what the benchmark times and no test code reaches the
//! release binary.

use loa::markdown::{MAX_BODY_BYTES, MAX_HEADINGS};

/// At most `MAX_HEADINGS` headings, and paragraphs with emphasis, a link, code and a footnote
/// each, up to just under the byte limit.
pub fn long_article() -> String {
    let mut body = String::new();
    let mut i = 0;
    while body.len() < MAX_BODY_BYTES - 600 {
        i += 1;
        if i <= MAX_HEADINGS {
            body.push_str(&format!("## Mục {i}\n\n"));
        }
        body.push_str(&format!(
            "Đoạn *{i}* có [liên kết](https://vi.wikipedia.org/{i}) và **chữ đậm** `mã`[^{i}].\n\n[^{i}]: Chú thích {i}.\n\n"
        ));
    }
    body
}
