//! The QR code must scan: the poster's `<svg>` exactly as the server sent it is rasterised with
//! resvg and read back with rqrr, and must hold exactly the public address with the place's tag
//! — for a long Vietnamese slug and a long place slug too, on A4 and A5, for a campaign.

use super::{editor, long_slug, spawn};
use crate::db_tests;
use crate::fixtures;
use crate::helpers::TestDb;

db_tests!(every_poster_code_decodes_to_its_exact_address);

/// Module size in pixels when rasterising: about what a phone's camera sees of a printed code.
const SCALE: f32 = 6.0;

/// The `<svg class="qr">…</svg>` of a poster page, byte for byte.
fn qr_svg(page: &str) -> &str {
    let start = page
        .find("<svg class=\"qr\"")
        .expect("the poster has a QR code");
    let end = start + page[start..].find("</svg>").expect("the SVG is closed") + "</svg>".len();
    &page[start..end]
}

/// Rasterises the SVG on white and decodes every QR code found: (error-correction level as the
/// format bits say it, text).
fn decode(svg: &str) -> Vec<(u16, String)> {
    let tree = resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default())
        .expect("the poster's SVG parses");
    let size = tree.size();
    let (w, h) = (
        (size.width() * SCALE).ceil() as u32,
        (size.height() * SCALE).ceil() as u32,
    );
    let mut pixmap = resvg::tiny_skia::Pixmap::new(w, h).unwrap();
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(SCALE, SCALE),
        &mut pixmap.as_mut(),
    );
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w as usize, h as usize, |x, y| {
        pixmap.pixel(x as u32, y as u32).unwrap().red()
    });
    image
        .detect_grids()
        .into_iter()
        .map(|grid| {
            let (meta, text) = grid.decode().expect("the code decodes");
            (meta.ecc_level, text)
        })
        .collect()
}

/// rqrr gives the format bits' level: M = 0, L = 1, H = 2, Q = 3.
const LEVEL_Q: u16 = 3;

async fn every_poster_code_decodes_to_its_exact_address(db: TestDb) {
    let app = spawn(db).await;
    let b = editor(&app).await;
    let slug = long_slug();
    assert!(
        slug.len() > 70 && slug.contains("danh-gia-muc-do-hai-long"),
        "a long folded slug: {slug}"
    );
    let long_id = fixtures::article_id(&app, &slug).await;
    let short_id = fixtures::article_id(&app, "bai-a").await;
    let base = &app.base;
    let place = "trung-tam-phuc-vu-hanh-chinh-cong-tinh";
    let cases = [
        (
            format!("/admin/bai-viet/{long_id}/ap-phich?nguon={place}"),
            format!("{base}/bai-viet/{slug}?nguon={place}"),
        ),
        (
            format!("/admin/bai-viet/{long_id}/ap-phich?nguon={place}&kho=a5"),
            format!("{base}/bai-viet/{slug}?nguon={place}"),
        ),
        (
            format!("/admin/bai-viet/{short_id}/ap-phich?nguon=quay-1"),
            format!("{base}/bai-viet/bai-a?nguon=quay-1"),
        ),
        (
            format!("/admin/bai-viet/{short_id}/ap-phich"),
            format!("{base}/bai-viet/bai-a"),
        ),
        (
            "/admin/chien-dich/chien-dich-a/ap-phich?nguon=quay-1".to_owned(),
            format!("{base}/chien-dich/chien-dich-a?nguon=quay-1"),
        ),
    ];
    for (poster, want) in cases {
        let page = b.page(&poster, 200).await;
        let svg = qr_svg(&page);
        assert_eq!(
            decode(svg),
            [(LEVEL_Q, want.clone())],
            "{poster}: exactly one code, level Q, with exactly the address"
        );
        // The address under the code is the same, and it opens the page.
        assert!(page.contains(&format!(
            "<figcaption class=\"poster-url\">{want}</figcaption>"
        )));
        let path = want.strip_prefix(base.as_str()).unwrap();
        app.page(path, 200).await;
    }

    // The quiet zone is kept: the view box is four modules wider than the code on each side,
    // and no dark module lies in that border.
    let page = b
        .page(&format!("/admin/bai-viet/{short_id}/ap-phich"), 200)
        .await;
    let svg = qr_svg(&page);
    let view_box = svg.split("viewBox=\"0 0 ").nth(1).unwrap();
    let side: usize = view_box.split(' ').next().unwrap().parse().unwrap();
    let path = svg
        .split(" d=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    for run in path.split('M').skip(1) {
        let (x, rest) = run.split_once(' ').unwrap();
        let (y, rest) = rest.split_once('h').unwrap();
        let (len, _) = rest.split_once('v').unwrap();
        let (x, y, len): (usize, usize, usize) =
            (x.parse().unwrap(), y.parse().unwrap(), len.parse().unwrap());
        assert!(
            x >= 4 && y >= 4 && x + len <= side - 4 && y < side - 4,
            "{run}"
        );
    }
}
