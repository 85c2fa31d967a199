//! QR codes for posters, without I/O: the `qrcode` crate computes the module matrix (error
//! correction level Q), and we turn it into the outline of the dark modules as SVG path data.
//!
//! The crate's own SVG renderer is not used: its markup would have to be inserted unescaped into
//! the page. The path data here is made only of `M`, `h`, `v`, `z`, digits and spaces, so the
//! template inserts it with autoescape on and draws the `<svg>` element itself.

use qrcode::{Color, EcLevel, QrCode};
use serde::Serialize;

/// Light modules around the code, as the QR specification asks; scanners need them.
pub const QUIET_ZONE: usize = 4;

/// Level Q restores up to a quarter of the code: posters get scratched, creased and taped over.
pub const EC_LEVEL: EcLevel = EcLevel::Q;

/// A QR code ready for the template's `<svg viewBox="0 0 {size} {size}">…<path d="{path}">`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QrSvg {
    /// Modules across, quiet zone included: the side of the view box.
    pub size: usize,
    /// The dark modules, one closed rectangle per horizontal run (`M4 4h7v1h-7z…`), in view-box
    /// units.
    pub path: String,
}

#[derive(Debug, thiserror::Error)]
#[error("không tạo được mã QR: {0}")]
pub struct QrError(#[from] qrcode::types::QrError);

/// The QR code of `text` (a URL), with its quiet zone.
pub fn svg(text: &str) -> Result<QrSvg, QrError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EC_LEVEL)?;
    let width = code.width();
    let colors = code.to_colors();
    let mut path = String::with_capacity(width * width);
    for (y, row) in colors.chunks(width).enumerate() {
        let mut x = 0;
        while x < width {
            if row[x] != Color::Dark {
                x += 1;
                continue;
            }
            let start = x;
            while x < width && row[x] == Color::Dark {
                x += 1;
            }
            let run = x - start;
            path.push_str(&format!(
                "M{} {}h{run}v1h-{run}z",
                start + QUIET_ZONE,
                y + QUIET_ZONE
            ));
        }
    }
    Ok(QrSvg {
        size: width + 2 * QUIET_ZONE,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_is_only_drawing_commands() {
        let qr = svg("https://loa.example/bai-viet/sipas-la-gi?nguon=quay-1").unwrap();
        assert!(qr
            .path
            .chars()
            .all(|c| matches!(c, 'M' | 'h' | 'v' | 'z' | '-' | ' ' | '0'..='9')));
        // 53 bytes need version 5 at level Q (up to 60): 37 modules, plus the quiet zone.
        assert_eq!(qr.size, 37 + 2 * QUIET_ZONE);
    }

    #[test]
    fn the_quiet_zone_stays_light() {
        let qr = svg("x").unwrap();
        for run in qr.path.split('M').skip(1) {
            // "X Yh{len}v1h-{len}z"
            let (x, rest) = run.split_once(' ').unwrap();
            let (y, rest) = rest.split_once('h').unwrap();
            let (len, _) = rest.split_once('v').unwrap();
            let (x, y, len): (usize, usize, usize) =
                (x.parse().unwrap(), y.parse().unwrap(), len.parse().unwrap());
            assert!(x >= QUIET_ZONE && y >= QUIET_ZONE, "{run}");
            assert!(
                x + len <= qr.size - QUIET_ZONE && y < qr.size - QUIET_ZONE,
                "{run}"
            );
        }
    }

    #[test]
    fn the_finder_pattern_is_a_full_first_row() {
        // Every QR code starts with a 7-module finder pattern in its top-left corner.
        let qr = svg("x").unwrap();
        assert!(qr.path.starts_with("M4 4h7v1h-7z"), "{}", qr.path);
    }
}
