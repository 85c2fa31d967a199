//! One kept page: the response's headers and body, compressed once with brotli and gzip, and the
//! answer to a request from it (304 when its validators match, else the best encoding it
//! accepts).

use std::io::Write;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;

use crate::http::caching;

/// A rendered page with its encodings.
pub(super) struct Page {
    /// The response's headers, ETag and `Vary` included, without length or encoding.
    pub(super) headers: HeaderMap,
    pub(super) identity: Bytes,
    pub(super) gzip: Option<Bytes>,
    pub(super) br: Option<Bytes>,
}

impl Page {
    /// Compresses the body once, on the blocking pool (brotli is CPU work).
    pub(super) async fn new(mut headers: HeaderMap, identity: Bytes) -> Page {
        for name in [
            header::CONTENT_LENGTH,
            header::CONTENT_ENCODING,
            header::TRANSFER_ENCODING,
        ] {
            headers.remove(name);
        }
        // A proxy keeps one copy per encoding, and never gives it to someone with a session
        // (anonymous visitors send no cookie at all).
        headers.insert(
            header::VARY,
            HeaderValue::from_static("accept-encoding, cookie"),
        );
        // The body as rendered may sit in a larger buffer (a `String` grown while the template
        // was written): kept for minutes, it gets an allocation of its own size.
        let identity = exact(identity.to_vec());
        let body = identity.clone();
        let (gzip, br) = tokio::task::spawn_blocking(move || (gzip(&body), brotli(&body)))
            .await
            .unwrap_or_default();
        // A variant no smaller than the plain body is not worth sending.
        let smaller = |v: Option<Vec<u8>>| v.filter(|v| v.len() < identity.len()).map(exact);
        Page {
            headers,
            gzip: smaller(gzip),
            br: smaller(br),
            identity,
        }
    }

    /// What the page holds in memory, so that `LOA_PAGE_CACHE_MB` bounds the memory and not only
    /// the bodies: the three bodies (exact-size allocations, see [`exact`]) and the headers
    /// (their table at its capacity, names and values).
    pub(super) fn weight(&self) -> usize {
        /// A header's slot in `HeaderMap` beyond its name and value: hash, links, index.
        const HEADER_SLOT: usize = 32;
        let slot = std::mem::size_of::<header::HeaderName>()
            + std::mem::size_of::<HeaderValue>()
            + HEADER_SLOT;
        let headers = self.headers.capacity() * slot
            + self
                .headers
                .iter()
                .map(|(name, value)| name.as_str().len() + value.len())
                .sum::<usize>();
        let bodies = [Some(&self.identity), self.gzip.as_ref(), self.br.as_ref()]
            .into_iter()
            .flatten()
            .map(Bytes::len)
            .sum::<usize>();
        bodies + headers + std::mem::size_of::<Page>()
    }

    /// The answer to a request with these headers: 304, or the best encoding it accepts.
    pub(super) fn answer(&self, request: &HeaderMap) -> Response {
        if caching::Validators::of(request).unchanged(&self.headers) {
            return caching::not_modified(&self.headers);
        }
        let accepted = Accepted::from(request);
        let (body, encoding) = match (&self.br, &self.gzip) {
            (Some(br), _) if accepted.br => (br, Some("br")),
            (_, Some(gz)) if accepted.gzip => (gz, Some("gzip")),
            _ => (&self.identity, None),
        };
        let mut response = Response::new(Body::from(body.clone()));
        *response.headers_mut() = self.headers.clone();
        if let Some(e) = encoding {
            response
                .headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
        }
        response
    }
}

/// Bytes in an allocation of exactly their length, as the weigher counts them.
fn exact(bytes: Vec<u8>) -> Bytes {
    Bytes::from(bytes.into_boxed_slice())
}

fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    encoder.write_all(body).ok()?;
    encoder.finish().ok()
}

/// Brotli's quality for kept pages.
const QUALITY: u32 = 5;

fn brotli(body: &[u8]) -> Option<Vec<u8>> {
    // Quality 5 of 11. Quality 9 made a body about a tenth smaller but took about 20 MB of
    // scratch and 19 ms per page (mostly page faults), on every miss of every dropped page:
    // a burst of misses then held far more memory than the cache (BENCHMARKS.md). The window
    // fits the body (2^10 to 2^22): a larger one finds nothing more in a page.
    let window = (usize::BITS - body.len().max(2).saturating_sub(1).leading_zeros()).clamp(10, 22);
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, QUALITY, window);
        writer.write_all(body).ok()?;
    }
    Some(out)
}

/// The encodings a request accepts (`Accept-Encoding`, with `q=0` as a refusal and `*`).
#[derive(Debug, Default, PartialEq)]
pub(super) struct Accepted {
    pub(super) br: bool,
    pub(super) gzip: bool,
}

impl From<&HeaderMap> for Accepted {
    fn from(headers: &HeaderMap) -> Accepted {
        let (mut br, mut gzip, mut any) = (None, None, None);
        let items = headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','));
        for item in items {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let accepted = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .map(|q| q.trim().parse::<f32>().is_ok_and(|q| q > 0.0))
                .next()
                .unwrap_or(true);
            if name.eq_ignore_ascii_case("br") {
                br = Some(accepted);
            } else if name.eq_ignore_ascii_case("gzip") {
                gzip = Some(accepted);
            } else if name == "*" {
                any = Some(accepted);
            }
        }
        Accepted {
            br: br.or(any).unwrap_or(false),
            gzip: gzip.or(any).unwrap_or(false),
        }
    }
}
