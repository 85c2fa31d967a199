//! The media library: uploads checked by content, resized and stored; serving; the library page;
//! alt text, deletion and who may do what.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use loa::account::Role;
use reqwest::multipart::{Form, Part};

use crate::db_tests;
use crate::fixtures::audited;
use crate::helpers::{attrs, location, texts, Browser, ContentDir, TestApp, TestDb};

db_tests!(
    a_large_png_is_resized_listed_and_served,
    jpeg_and_webp_are_accepted,
    disguised_and_broken_files_are_refused,
    big_files_up_to_the_limit_pass_and_larger_ones_are_refused,
    alt_text_is_required_and_editable,
    only_writers_upload_and_only_editors_delete,
    images_in_use_are_not_deleted,
    media_urls_accept_only_stored_names,
    user_text_is_shown_escaped,
);

fn encode(img: RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), format)
        .unwrap();
    out
}

fn encoded(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    // Smooth gradients: small files, so only the tests about size send big bodies.
    let img = RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 120])
    });
    encode(img, format)
}

pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
    encoded(width, height, ImageFormat::Png)
}

/// A PNG of pseudo-random pixels, which does not compress: about 3 bytes per pixel.
fn noisy_png(width: u32, height: u32) -> Vec<u8> {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let img = RgbImage::from_fn(width, height, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let [r, g, b, ..] = seed.to_le_bytes();
        Rgb([r, g, b])
    });
    encode(img, ImageFormat::Png)
}

/// The upload form as our page sends it: the CSRF field first (it precedes the file in the
/// HTML), then the alt text and the file.
async fn upload_form(
    b: &Browser,
    bytes: Vec<u8>,
    file_name: &str,
    content_type: &str,
    alt: &str,
) -> Form {
    let form = match b.token().await {
        Some(token) => Form::new().text("csrf", token),
        // Not signed in: no token to send.
        None => Form::new(),
    };
    form.text("alt", alt.to_owned()).part(
        "file",
        Part::bytes(bytes)
            .file_name(file_name.to_owned())
            .mime_str(content_type)
            .unwrap(),
    )
}

/// Sends the form as the page does; the server may answer early and close the connection.
async fn try_send(b: &Browser, form: Form) -> reqwest::Result<reqwest::Response> {
    b.client
        .post(format!("{}/admin/anh", b.base))
        .header("origin", &b.base)
        .multipart(form)
        .send()
        .await
}

async fn send(b: &Browser, form: Form) -> reqwest::Response {
    try_send(b, form).await.expect("the server answers")
}

async fn upload(
    b: &Browser,
    bytes: Vec<u8>,
    file_name: &str,
    content_type: &str,
    alt: &str,
) -> reqwest::Response {
    send(b, upload_form(b, bytes, file_name, content_type, alt).await).await
}

/// Uploads and follows the redirect; returns the stored name (`HEX.ext`) from the library page.
pub(crate) async fn upload_ok(b: &Browser, bytes: Vec<u8>, file_name: &str, alt: &str) -> String {
    let r = upload(b, bytes, file_name, "image/png", alt).await;
    assert_eq!(r.status(), 303, "upload of {file_name}");
    let to = location(&r);
    assert!(to.starts_with("/admin/anh?moi="), "{to}");
    let page = b.page(&to, 200).await;
    let id = to.trim_start_matches("/admin/anh?moi=");
    let md = attrs(&page, &format!("#md-{id}"), "value").pop().unwrap();
    md.rsplit("/media/")
        .next()
        .unwrap()
        .trim_end_matches(')')
        .to_owned()
}

/// The id of the image stored under `name`.
async fn media_id(app: &TestApp, name: &str) -> i64 {
    app.state
        .db
        .pool()
        .fetch_i64(
            "select id from media where stored_name = $1",
            loa::params![name],
        )
        .await
        .unwrap()
}

async fn media_rows(app: &TestApp) -> i64 {
    app.state
        .db
        .pool()
        .fetch_i64("select count(*) from media", vec![])
        .await
        .unwrap()
}

/// Files in the media folder (none when it does not exist yet).
fn media_files(app: &TestApp) -> Vec<String> {
    let dir = app.state.config.data_dir.join("media");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

async fn served(app: &TestApp, path: &str) -> (reqwest::header::HeaderMap, DynamicImage) {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "GET {path}");
    let headers = r.headers().clone();
    let bytes = r.bytes().await.unwrap();
    (headers, image::load_from_memory(&bytes).unwrap())
}

async fn a_large_png_is_resized_listed_and_served(db: TestDb) {
    let content = ContentDir::new();
    let app = TestApp::spawn(db, content.path()).await;
    let b = app.signed_in(Role::Editor).await;
    assert!(b.page("/admin/anh", 200).await.contains("Chưa có ảnh nào"));

    let name = upload_ok(&b, png(2000, 1000), "bien-bang.png", "Biển bảng SIPAS").await;
    assert_eq!(name.len(), 36, "{name}");
    assert!(name.ends_with(".png"));

    let page = b.page("/admin/anh", 200).await;
    assert_eq!(
        attrs(&page, ".media-card img", "src"),
        [format!("/media/{name}?kich-thuoc=nho")]
    );
    assert_eq!(attrs(&page, ".media-card img", "alt"), ["Biển bảng SIPAS"]);
    assert_eq!(
        attrs(&page, ".media-card input[readonly]", "value"),
        [format!("![Biển bảng SIPAS](/media/{name})")]
    );
    assert!(texts(&page, "label").contains(&"Sao chép Markdown".to_owned()));
    assert_eq!(texts(&page, ".media-file"), ["bien-bang.png"]);
    let meta = texts(&page, ".media-card .meta").pop().unwrap();
    assert!(meta.contains("1600 × 800"), "{meta}");

    let (headers, img) = served(&app, &format!("/media/{name}")).await;
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(
        headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!((img.width(), img.height()), (1600, 800));

    let (headers, thumb) = served(&app, &format!("/media/{name}?kich-thuoc=nho")).await;
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!((thumb.width(), thumb.height()), (320, 160));

    assert_eq!(media_rows(&app).await, 1);
    let hex = name.trim_end_matches(".png");
    assert_eq!(
        media_files(&app),
        [format!("{hex}-thumb.png"), name.clone()]
    );
    assert_eq!(audited(&app, "media.upload").await, 1);
}

async fn jpeg_and_webp_are_accepted(db: TestDb) {
    let app = TestApp::spawn(db, ContentDir::new().path()).await;
    let b = app.signed_in(Role::Author).await;

    // The name and the browser's type say PNG; the bytes say JPEG, and the bytes win.
    let jpeg = encoded(800, 600, ImageFormat::Jpeg);
    let name = upload_ok(&b, jpeg, "anh.png", "Ảnh chụp hội nghị").await;
    assert!(name.ends_with(".jpg"), "{name}");
    let (headers, img) = served(&app, &format!("/media/{name}")).await;
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!((img.width(), img.height()), (800, 600), "never enlarged");
    let (_, thumb) = served(&app, &format!("/media/{name}?kich-thuoc=nho")).await;
    assert_eq!((thumb.width(), thumb.height()), (320, 240));

    let webp = encoded(1800, 2400, ImageFormat::WebP);
    let name = upload_ok(&b, webp, "poster.webp", "Áp phích").await;
    assert!(name.ends_with(".jpg"), "{name}");
    let (headers, img) = served(&app, &format!("/media/{name}")).await;
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!((img.width(), img.height()), (1200, 1600));

    let gif = encoded(40, 30, ImageFormat::Gif);
    let name = upload_ok(&b, gif, "dong.gif", "Ảnh động").await;
    assert!(name.ends_with(".png"), "{name}");
    assert_eq!(media_rows(&app).await, 3);
}

async fn disguised_and_broken_files_are_refused(db: TestDb) {
    let app = TestApp::spawn(db, ContentDir::new().path()).await;
    let b = app.signed_in(Role::Editor).await;
    let whole = png(300, 200);
    let cases: Vec<(Vec<u8>, &str, &str)> = vec![
        (
            b"Day la mot tep van ban.\n".to_vec(),
            "photo.png",
            "không phải ảnh PNG, JPEG, WebP hoặc GIF",
        ),
        (
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec(),
            "logo.png",
            "không phải ảnh PNG, JPEG, WebP hoặc GIF",
        ),
        (
            b"<!doctype html><h1>x</h1>".to_vec(),
            "trang.gif",
            "không phải ảnh PNG, JPEG, WebP hoặc GIF",
        ),
        (
            whole[..whole.len() / 2].to_vec(),
            "cut.png",
            "tệp bị hỏng hoặc không đầy đủ",
        ),
    ];
    for (bytes, file_name, message) in cases {
        let r = upload(&b, bytes, file_name, "image/png", "Mô tả").await;
        assert_eq!(r.status(), 422, "{file_name}");
        let page = r.text().await.unwrap();
        assert!(
            texts(&page, "#tep-anh-loi")[0].contains(message),
            "{file_name}: {:?}",
            texts(&page, "#tep-anh-loi")
        );
        // The alt text survives for the next try.
        assert_eq!(attrs(&page, "#mo-ta-anh", "value"), ["Mô tả"]);
    }

    let r = b
        .post_multipart("/admin/anh", Form::new().text("alt", "Không có tệp"))
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        texts(&r.text().await.unwrap(), "#tep-anh-loi"),
        ["Hãy chọn một tệp ảnh."]
    );

    assert_eq!(media_rows(&app).await, 0);
    assert_eq!(media_files(&app), Vec::<String>::new());
    assert_eq!(audited(&app, "media.upload").await, 0);
}

async fn big_files_up_to_the_limit_pass_and_larger_ones_are_refused(db: TestDb) {
    let app = TestApp::spawn(db, ContentDir::new().path()).await;
    let b = app.signed_in(Role::Editor).await;

    // Larger than axum's default 2 MB body limit, smaller than Loa's 5 MB.
    let photo = noisy_png(1300, 1000);
    assert!((3 * 1024 * 1024..5 * 1024 * 1024).contains(&photo.len()));
    let name = upload_ok(&b, photo, "anh-lon.png", "Ảnh lớn").await;
    let (_, img) = served(&app, &format!("/media/{name}")).await;
    assert_eq!((img.width(), img.height()), (1300, 1000));

    // Over the 5 MB default: refused with the limit named, before any decoding.
    let mut big = png(16, 16);
    big.resize(5 * 1024 * 1024 + 1, 0);
    let r = upload(&b, big, "lon.png", "image/png", "Ảnh lớn").await;
    assert_eq!(r.status(), 413);
    let page = r.text().await.unwrap();
    assert_eq!(
        texts(&page, "#tep-anh-loi"),
        ["Tệp lớn hơn giới hạn 5 MB. Hãy thu nhỏ ảnh hoặc chọn ảnh khác."]
    );
    assert_eq!(attrs(&page, "#mo-ta-anh", "value"), ["Ảnh lớn"]);

    // A body far past the limit never reaches the handler: the server answers 413 as soon as
    // the limit is crossed, and may close the connection while the client is still sending.
    let form = upload_form(&b, vec![0u8; 8 * 1024 * 1024], "x.png", "image/png", "x").await;
    let sent = try_send(&b, form).await;
    if let Ok(r) = sent {
        assert_eq!(r.status(), 413);
    }

    assert_eq!(media_rows(&app).await, 1);
    assert_eq!(media_files(&app).len(), 2);
}

async fn alt_text_is_required_and_editable(db: TestDb) {
    let app = TestApp::spawn(db, ContentDir::new().path()).await;
    let b = app.signed_in(Role::Author).await;

    for alt in ["", "   \n "] {
        let r = upload(&b, png(50, 50), "a.png", "image/png", alt).await;
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        assert_eq!(
            texts(&page, "#mo-ta-anh-loi"),
            ["Hãy nhập mô tả ảnh (văn bản thay thế) cho người không xem được ảnh."]
        );
    }
    let r = upload(&b, png(50, 50), "a.png", "image/png", &"dài ".repeat(100)).await;
    assert_eq!(r.status(), 422);
    assert_eq!(media_rows(&app).await, 0);
    assert_eq!(media_files(&app), Vec::<String>::new());

    let name = upload_ok(&b, png(50, 50), "a.png", "  Ảnh\n  cũ ").await;
    let id = media_id(&app, &name).await;
    let path = format!("/admin/anh/{id}");
    let page = b.page(&path, 200).await;
    assert_eq!(
        attrs(&page, "#mo-ta-anh", "value"),
        ["Ảnh cũ"],
        "whitespace collapsed"
    );

    let r = b.post(&path, &[("alt", " ")]).await;
    assert_eq!(r.status(), 422);
    assert_eq!(texts(&r.text().await.unwrap(), "#mo-ta-anh-loi").len(), 1);
    assert_eq!(audited(&app, "media.alt").await, 0, "a refused edit");

    let r = b.post(&path, &[("alt", "Ảnh [mới]")]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("{path}?da-luu=1"));
    let page = b.page(&location(&r), 200).await;
    assert!(page.contains("Đã lưu mô tả ảnh."));
    // The edit is audited, old and new text; saving the same text again records nothing.
    assert_eq!(audited(&app, "media.alt").await, 1);
    let detail = app
        .state
        .db
        .pool()
        .fetch_optional::<(String,)>(
            "select detail from audit_log where action = 'media.alt'",
            vec![],
        )
        .await
        .unwrap()
        .unwrap()
        .0;
    assert_eq!(detail, "Ảnh cũ → Ảnh [mới]");
    assert_eq!(b.post(&path, &[("alt", "Ảnh [mới]")]).await.status(), 303);
    assert_eq!(audited(&app, "media.alt").await, 1);
    assert_eq!(
        attrs(&page, &format!("#md-{id}"), "value"),
        [format!("![Ảnh \\[mới\\]](/media/{name})")]
    );

    b.page("/admin/anh/999999", 404).await;
    b.page("/admin/anh/abc", 404).await;
}

async fn only_writers_upload_and_only_editors_delete(db: TestDb) {
    let app = TestApp::spawn(db, ContentDir::new().path()).await;

    let visitor = app.browser();
    let r = visitor.get("/admin/anh").await;
    assert_eq!(r.status(), 303);
    assert!(
        location(&r).starts_with("/dang-nhap?next="),
        "{}",
        location(&r)
    );
    let r = upload(&visitor, png(20, 20), "a.png", "image/png", "x").await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/dang-nhap"));

    let employee = app.signed_in(Role::Employee).await;
    employee.page("/admin/anh", 403).await;
    let r = upload(&employee, png(20, 20), "a.png", "image/png", "x").await;
    assert_eq!(r.status(), 403);
    assert_eq!(media_rows(&app).await, 0);

    let author = app.signed_in(Role::Author).await;
    let name = upload_ok(&author, png(20, 20), "a.png", "Của tác giả").await;
    let id = media_id(&app, &name).await;
    let path = format!("/admin/anh/{id}");

    // Another author sees the image but may neither edit its alt text nor delete it.
    let other = app.signed_in(Role::Author).await;
    let page = other.page(&path, 200).await;
    assert_eq!(attrs(&page, "#mo-ta-anh", "value").len(), 0);
    assert_eq!(other.post(&path, &[("alt", "Đổi")]).await.status(), 403);
    let page = author.page(&path, 200).await;
    assert_eq!(
        texts(&page, "button.button-danger").len(),
        0,
        "authors see no delete"
    );
    let r = author.post(&format!("{path}/xoa"), &[]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(media_rows(&app).await, 1);
    assert_eq!(media_files(&app).len(), 2);

    // An editor edits anyone's alt text and deletes: row, files and URL go, the audit log keeps it.
    let editor = app.signed_in(Role::Editor).await;
    assert_eq!(editor.post(&path, &[("alt", "Đã sửa")]).await.status(), 303);
    let r = editor.post(&format!("{path}/xoa"), &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/admin/anh");
    assert_eq!(media_rows(&app).await, 0);
    assert_eq!(media_files(&app), Vec::<String>::new());
    assert_eq!(audited(&app, "media.delete").await, 1);
    app.page(&format!("/media/{name}"), 404).await;
    editor.page(&path, 404).await;
    assert_eq!(editor.post(&format!("{path}/xoa"), &[]).await.status(), 404);
}

async fn images_in_use_are_not_deleted(db: TestDb) {
    let content = ContentDir::new();
    content.article("a.md", "title = \"Có ảnh\"", "Nội dung.");
    let app = TestApp::spawn(db, content.path()).await;
    let editor = app.signed_in(Role::Editor).await;
    let name = upload_ok(&editor, png(20, 20), "a.png", "Ảnh trong bài").await;
    app.state
        .db
        .pool()
        .execute(
            "update articles set body = body || $1",
            loa::params![format!("\n\n![Ảnh trong bài](/media/{name})\n")],
        )
        .await
        .unwrap();
    let id = media_id(&app, &name).await;
    let path = format!("/admin/anh/{id}");
    assert_eq!(
        texts(&editor.page(&path, 200).await, ".media-used a"),
        ["Có ảnh"]
    );
    let r = editor.post(&format!("{path}/xoa"), &[]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Ảnh đang được dùng"));
    assert_eq!(media_rows(&app).await, 1);
    assert_eq!(media_files(&app).len(), 2);
    app.page(&format!("/media/{name}"), 200).await;
}

async fn media_urls_accept_only_stored_names(db: TestDb) {
    let app = TestApp::spawn(db, ContentDir::new().path()).await;
    let b = app.signed_in(Role::Editor).await;
    let name = upload_ok(&b, png(20, 20), "a.png", "x").await;
    let hex = name.trim_end_matches(".png");
    // Something else readable in the data folder, next to the media folder.
    std::fs::write(app.state.config.data_dir.join("secret.txt"), "bí mật").unwrap();

    app.page(&format!("/media/{name}"), 200).await;
    for path in [
        "/media/..%2Fsecret.txt".to_owned(),
        "/media/..%2F..%2Fetc%2Fpasswd".to_owned(),
        "/media/%2e%2e%2fsecret.txt".to_owned(),
        "/media/secret.txt".to_owned(),
        format!("/media/{hex}-thumb.png"),
        format!("/media/{hex}.PNG"),
        format!("/media/{}.png", hex.to_uppercase()),
        format!("/media/{hex}.jpg"),
        format!("/media/{name}?kich-thuoc=lon"),
        format!("/media/.tmp-{name}"),
        "/media/0123456789abcdef0123456789abcdef.png".to_owned(),
        "/media/".to_owned(),
    ] {
        let r = app.get(&path).await;
        assert_eq!(r.status(), 404, "GET {path}");
        assert!(!r.text().await.unwrap().contains("bí mật"));
    }
}

async fn user_text_is_shown_escaped(db: TestDb) {
    let app = TestApp::spawn(db, ContentDir::new().path()).await;
    let b = app.signed_in(Role::Editor).await;
    let long = format!("{}.png", "ả".repeat(300));
    upload_ok(
        &b,
        png(20, 20),
        "<b>x</b>.png",
        "<script>alert(1)</script> \"quote\"",
    )
    .await;
    upload_ok(&b, png(20, 20), &long, "dài").await;

    let page = b.page("/admin/anh", 200).await;
    assert!(!page.contains("<b>x</b>"));
    assert!(!page.contains("<script>alert(1)"));
    assert!(
        page.contains("&lt;b&gt;x&lt;/b&gt;.png"),
        "{:?}",
        texts(&page, ".media-file")
    );
    let files = texts(&page, ".media-file");
    assert!(files.contains(&"<b>x</b>.png".to_owned()), "{files:?}");
    // Original names are kept to 200 characters.
    assert!(files.contains(&"ả".repeat(200)), "{files:?}");
    assert!(attrs(&page, ".media-card img", "alt")
        .contains(&"<script>alert(1)</script> \"quote\"".to_owned()));
}
