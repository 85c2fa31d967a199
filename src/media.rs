//! Image handling for the media library, with no I/O: recognise the format from the bytes,
//! decode within limits, resize for display and as a thumbnail, re-encode; and the strict random
//! names stored files carry.
//!
//! Uploads are never trusted as they come: the format is read from the magic bytes (never the
//! file name or the browser's content type), the image is decoded with dimension and allocation
//! caps (a decompression bomb fails before it allocates), and only our own re-encoded output is
//! stored and served, so metadata, trailing payloads and polyglot tricks are dropped.

use std::fmt;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use rand::RngCore;

/// Longest side of the display version.
pub const DISPLAY_MAX: u32 = 1600;
/// Longest side of the thumbnail.
pub const THUMB_MAX: u32 = 320;
/// Widest or tallest image we agree to decode.
pub const MAX_DIMENSION: u32 = 12_000;
/// Largest decoded pixel buffer: a 50-megapixel photo fits, a bomb does not.
const MAX_ALLOC: u64 = 192 * 1024 * 1024;
const JPEG_QUALITY: u8 = 85;
/// Images processed at once: decoding holds up to [`MAX_ALLOC`] bytes, so a burst of uploads must
/// queue rather than exhaust memory.
const CONCURRENT_JOBS: usize = 2;

/// The formats an upload may be in, as recognised from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceFormat {
    Png,
    Jpeg,
    WebP,
    Gif,
}

impl SourceFormat {
    /// Reads the magic number; anything else (text, HTML, SVG, BMP, …) is `None`.
    pub fn detect(bytes: &[u8]) -> Option<SourceFormat> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(SourceFormat::Png)
        } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
            Some(SourceFormat::Jpeg)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(SourceFormat::Gif)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(SourceFormat::WebP)
        } else {
            None
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            SourceFormat::Png => ImageFormat::Png,
            SourceFormat::Jpeg => ImageFormat::Jpeg,
            SourceFormat::WebP => ImageFormat::WebP,
            SourceFormat::Gif => ImageFormat::Gif,
        }
    }
}

/// The formats Loa stores: JPEG for photos, PNG where transparency must survive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoredFormat {
    Png,
    Jpeg,
}

impl StoredFormat {
    pub fn extension(self) -> &'static str {
        match self {
            StoredFormat::Png => "png",
            StoredFormat::Jpeg => "jpg",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            StoredFormat::Png => "image/png",
            StoredFormat::Jpeg => "image/jpeg",
        }
    }

    fn from_extension(ext: &str) -> Option<StoredFormat> {
        match ext {
            "png" => Some(StoredFormat::Png),
            "jpg" => Some(StoredFormat::Jpeg),
            _ => None,
        }
    }
}

/// The name of a stored image: 32 lowercase hex characters and its extension, e.g.
/// `0f3a…9c.png`. Only names of this exact shape reach the file system, so a request cannot
/// walk out of the media folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaName {
    hex: String,
    format: StoredFormat,
}

impl MediaName {
    /// A fresh name from the operating system's random source (128 bits: unguessable).
    pub fn random(format: StoredFormat) -> MediaName {
        let mut bytes = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        MediaName {
            hex: hex::encode(bytes),
            format,
        }
    }

    /// Accepts only the exact shape [`MediaName::random`] produces.
    pub fn parse(s: &str) -> Option<MediaName> {
        let (hex, ext) = s.split_once('.')?;
        let is_hex = hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !is_hex {
            return None;
        }
        Some(MediaName {
            hex: hex.to_owned(),
            format: StoredFormat::from_extension(ext)?,
        })
    }

    pub fn format(&self) -> StoredFormat {
        self.format
    }

    /// The display version's file name (also the name in URLs and in the database).
    pub fn file_name(&self) -> String {
        format!("{}.{}", self.hex, self.format.extension())
    }

    /// The thumbnail's file name, beside the display version.
    pub fn thumb_file_name(&self) -> String {
        format!("{}-thumb.{}", self.hex, self.format.extension())
    }
}

impl fmt::Display for MediaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file_name())
    }
}

/// The folder of stored images, under LOA_DATA_DIR.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("media")
}

/// Longest alt text, in characters.
pub const ALT_MAX: usize = 300;

/// Alt text as stored: NFC, whitespace collapsed to single spaces (a line break would end the
/// Markdown image), required and bounded. The error is the message shown beside the field.
pub fn clean_alt(raw: &str) -> Result<String, &'static str> {
    use unicode_normalization::UnicodeNormalization;
    let alt: String = raw
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .nfc()
        .collect();
    if alt.is_empty() {
        Err("Hãy nhập mô tả ảnh (văn bản thay thế) cho người không xem được ảnh.")
    } else if alt.chars().count() > ALT_MAX {
        Err("Mô tả ảnh dài tối đa 300 ký tự.")
    } else {
        Ok(alt)
    }
}

/// The original file name as kept: without control characters, trimmed, at most 200
/// characters. Only ever shown (escaped), never used as a path, so it is otherwise kept as sent.
pub fn clean_file_name(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .chars()
        .take(200)
        .collect()
}

/// The Markdown that shows an image: `![alt](/media/NAME)`, with the characters that would end
/// the alt text escaped.
pub fn markdown(alt: &str, name: &str) -> String {
    let mut escaped = String::with_capacity(alt.len());
    for c in alt.chars() {
        if matches!(c, '\\' | '[' | ']') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    format!("![{escaped}](/media/{name})")
}

/// Why an upload was refused. The messages are shown to the uploader as they are.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error(
        "Tệp này không phải ảnh PNG, JPEG, WebP hoặc GIF. Loa kiểm tra nội dung tệp, không dựa vào tên hay đuôi tệp."
    )]
    Unsupported,
    #[error("Không đọc được ảnh: tệp bị hỏng hoặc không đầy đủ.")]
    Corrupt,
    #[error("Ảnh quá lớn để xử lý: mỗi chiều tối đa 12.000 điểm ảnh và tổng cộng khoảng 50 triệu điểm ảnh.")]
    TooManyPixels,
    /// Encoding into memory failed: a bug, not the uploader's fault.
    #[error("không mã hoá được ảnh")]
    Encode(#[source] image::ImageError),
}

impl MediaError {
    /// True when the uploader can fix it (another file); false for our own failures.
    pub fn is_user_error(&self) -> bool {
        !matches!(self, MediaError::Encode(_))
    }
}

/// An upload turned into what Loa stores.
#[derive(Debug)]
pub struct Processed {
    pub source: SourceFormat,
    pub format: StoredFormat,
    /// Dimensions of the display version.
    pub width: u32,
    pub height: u32,
    pub display: Vec<u8>,
    pub thumb: Vec<u8>,
}

/// Decodes, resizes and re-encodes an upload. CPU-bound: call it from `spawn_blocking`.
/// GIF animations keep their first frame only.
pub fn process(bytes: &[u8]) -> Result<Processed, MediaError> {
    let source = SourceFormat::detect(bytes).ok_or(MediaError::Unsupported)?;
    let _permit = Permit::acquire();
    let image = decode(bytes, source)?;
    let display = shrink(&image, DISPLAY_MAX, FilterType::Lanczos3);
    drop(image);
    let display = to_8_bit(display);
    let format = match source {
        SourceFormat::Png | SourceFormat::Gif => StoredFormat::Png,
        // A WebP with real transparency would turn black as JPEG.
        SourceFormat::WebP if is_transparent(&display) => StoredFormat::Png,
        SourceFormat::Jpeg | SourceFormat::WebP => StoredFormat::Jpeg,
    };
    let thumb = shrink(&display, THUMB_MAX, FilterType::Triangle);
    Ok(Processed {
        source,
        format,
        width: display.width(),
        height: display.height(),
        display: encode(&display, format)?,
        thumb: encode(&thumb, format)?,
    })
}

fn decode(bytes: &[u8], source: SourceFormat) -> Result<DynamicImage, MediaError> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_ALLOC);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), source.image_format());
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(classify)?;
    // `into_decoder` checks the dimensions but not the size of the buffer it will fill.
    if decoder.total_bytes() > MAX_ALLOC {
        return Err(MediaError::TooManyPixels);
    }
    // Phone photos are stored sideways with an EXIF rotation; apply it so they display upright.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(classify)?;
    image.apply_orientation(orientation);
    Ok(image)
}

fn classify(e: image::ImageError) -> MediaError {
    match e {
        image::ImageError::Limits(_) => MediaError::TooManyPixels,
        _ => MediaError::Corrupt,
    }
}

/// Fits the image within `max` × `max`, keeping its proportions; never enlarges.
fn shrink(image: &DynamicImage, max: u32, filter: FilterType) -> DynamicImage {
    if image.width().max(image.height()) <= max {
        image.clone()
    } else {
        image.resize(max, max, filter)
    }
}

/// 8-bit RGB, or RGBA when the source has an alpha channel (16-bit PNGs and grey images
/// included), which both encoders accept.
fn to_8_bit(image: DynamicImage) -> DynamicImage {
    if image.color().has_alpha() {
        DynamicImage::ImageRgba8(image.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(image.into_rgb8())
    }
}

fn is_transparent(image: &DynamicImage) -> bool {
    match image {
        DynamicImage::ImageRgba8(buf) => buf.pixels().any(|p| p.0[3] < 255),
        _ => false,
    }
}

fn encode(image: &DynamicImage, format: StoredFormat) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    let result = match format {
        StoredFormat::Png => image.write_with_encoder(PngEncoder::new(&mut out)),
        StoredFormat::Jpeg => {
            // JPEG has no alpha: drop the (fully opaque) channel.
            let rgb = DynamicImage::ImageRgb8(image.to_rgb8());
            rgb.write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))
        }
    };
    result.map_err(MediaError::Encode)?;
    Ok(out)
}

/// A counting gate on the blocking threads that decode images.
struct Permit;

static RUNNING: Mutex<usize> = Mutex::new(0);
static FREED: Condvar = Condvar::new();

impl Permit {
    fn acquire() -> Permit {
        let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
        while *running >= CONCURRENT_JOBS {
            running = FREED.wait(running).unwrap_or_else(|e| e.into_inner());
        }
        *running += 1;
        Permit
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
        *running -= 1;
        FREED.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(width, height, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn formats_are_recognised_by_their_bytes() {
        assert_eq!(SourceFormat::detect(&png(2, 2)), Some(SourceFormat::Png));
        assert_eq!(
            SourceFormat::detect(b"\xff\xd8\xff\xe0rest"),
            Some(SourceFormat::Jpeg)
        );
        assert_eq!(SourceFormat::detect(b"GIF89a..."), Some(SourceFormat::Gif));
        assert_eq!(
            SourceFormat::detect(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(SourceFormat::WebP)
        );
        for bad in [
            &b"hello, I am a text file"[..],
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>",
            b"<!doctype html><script>alert(1)</script>",
            b"BM\0\0",
            b"RIFF\0\0\0\0WAVE",
            b"",
        ] {
            assert_eq!(SourceFormat::detect(bad), None);
        }
    }

    #[test]
    fn large_images_are_shrunk_and_small_ones_kept() {
        let p = process(&png(2000, 1000)).unwrap();
        assert_eq!((p.width, p.height), (1600, 800));
        assert_eq!(p.format, StoredFormat::Png);
        let thumb = image::load_from_memory(&p.thumb).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (320, 160));

        let p = process(&png(300, 500)).unwrap();
        assert_eq!((p.width, p.height), (300, 500), "never enlarged");
    }

    #[test]
    fn transparency_decides_the_stored_format_of_webp() {
        let opaque = RgbaImage::from_pixel(10, 10, Rgba([1, 2, 3, 255]));
        let clear = RgbaImage::from_pixel(10, 10, Rgba([1, 2, 3, 0]));
        for (img, expected) in [(opaque, StoredFormat::Jpeg), (clear, StoredFormat::Png)] {
            let mut webp = Vec::new();
            DynamicImage::ImageRgba8(img)
                .write_to(&mut Cursor::new(&mut webp), ImageFormat::WebP)
                .unwrap();
            assert_eq!(process(&webp).unwrap().format, expected);
        }
    }

    #[test]
    fn broken_and_huge_images_are_refused() {
        let whole = png(64, 64);
        let cut = &whole[..whole.len() / 2];
        assert!(matches!(process(cut), Err(MediaError::Corrupt)));
        assert!(matches!(process(b"hello"), Err(MediaError::Unsupported)));

        // A valid PNG header claiming 20,000 × 20,000 pixels: refused before decoding.
        let mut bomb = whole.clone();
        bomb[16..20].copy_from_slice(&20_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&20_000u32.to_be_bytes());
        let crc = crc32(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        assert!(matches!(process(&bomb), Err(MediaError::TooManyPixels)));
    }

    /// The PNG chunk checksum, so the forged header above is otherwise well-formed.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn text_inputs_are_cleaned() {
        assert_eq!(clean_alt("  Cán bộ\n  một cửa ").unwrap(), "Cán bộ một cửa");
        assert!(clean_alt(" \t\n").is_err());
        assert!(clean_alt(&"a".repeat(301)).is_err());
        assert!(clean_alt(&"ả".repeat(300)).is_ok());
        assert_eq!(clean_file_name(" <b>ảnh</b> 1.png"), "<b>ảnh</b> 1.png");
        assert_eq!(clean_file_name(" a\u{0}b.png "), "ab.png");
        assert_eq!(clean_file_name(&"x".repeat(500)).len(), 200);
        assert_eq!(
            markdown("Ảnh [1] \\ x", "abc.png"),
            "![Ảnh \\[1\\] \\\\ x](/media/abc.png)"
        );
    }

    #[test]
    fn only_exact_random_names_parse() {
        let name = MediaName::random(StoredFormat::Jpeg);
        assert_eq!(MediaName::parse(&name.file_name()), Some(name.clone()));
        assert!(name.thumb_file_name().ends_with("-thumb.jpg"));
        let hex = "0123456789abcdef0123456789abcdef";
        assert!(MediaName::parse(&format!("{hex}.png")).is_some());
        for bad in [
            format!("{hex}.gif"),
            format!("{hex}.PNG"),
            format!("{}.png", hex.to_uppercase()),
            format!("{hex}-thumb.png"),
            format!("../{hex}.png"),
            format!("{hex}.png/.."),
            format!("{hex}.png.png"),
            "..%2Fetc%2Fpasswd".to_owned(),
            "../../etc/passwd".to_owned(),
            String::new(),
        ] {
            assert_eq!(MediaName::parse(&bad), None, "{bad}");
        }
    }
}
