//! Response compression: which encoding a client accepts, the encoders with settings
//! measured for small web bodies, and the middleware step that compresses every
//! response that did not arrive already encoded.
//!
//! Cached pages, search answers and static files are compressed once and kept (see
//! [`super::cache`]); what is left for the middleware is what changes per request (the
//! `/search` results page, staff pages, feeds). actix's own compression middleware set
//! up brotli with a 4 MB window for every response, ~2.7 ms for a 3 KB answer; here the
//! window is sized to the body.

use std::io::Write;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::HttpRequest;

/// Brotli quality for forms that are kept (cached pages, search answers, static
/// files). Measured on a 7 KB article page (brotli 9.1): quality 4 takes 0.3 ms for
/// 2,435 bytes, while qualities 5 to 11 all take 8–12 ms (they set up much larger match
/// finders) for 2,304 (q6) to 1,983 (q11) bytes. A cached page is compressed again
/// whenever its public count changes, so the 30× cost would be paid under exactly the
/// load where it hurts. `quire export`, which compresses once for static hosting, uses 9.
const KEPT_BROTLI_QUALITY: u32 = 4;

/// Brotli quality for bodies compressed for one response only (the `/search` page,
/// staff pages). On a 10 KB results page: quality 1 takes 0.11 ms for 2,845 bytes,
/// quality 4 0.30 ms for 2,437; with the results cached, compression was half of the
/// page's cost, and 400 bytes are ~3 ms on a 1 Mbit/s line.
const ONE_OFF_BROTLI_QUALITY: u32 = 1;

/// gzip level while serving: within a few percent of level 9's size at a fraction of
/// its time on pages of a few kilobytes.
const SERVING_GZIP_LEVEL: u32 = 6;

/// Bodies smaller than this go out as they are: the encoding headers would cost about
/// what compression saves.
const MIN_COMPRESSED_BYTES: usize = 256;

/// Bodies larger than this are compressed on the blocking pool rather than on an
/// executor thread (a CSV export can be megabytes).
const MAX_INLINE_BYTES: usize = 64 * 1024;

/// A content encoding Quire can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// The `Content-Encoding` token.
    pub fn token(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
            Encoding::Identity => "identity",
        }
    }
}

/// The best encoding `request` accepts (brotli, then gzip), honouring `q=0` (refused).
pub fn preferred_encoding(request: &HttpRequest) -> Encoding {
    let accepted = request.headers().get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).unwrap_or("");
    let accepts = |name: &str| {
        accepted.split(',').any(|part| {
            let mut pieces = part.split(';');
            let coding = pieces.next().unwrap_or("").trim();
            let quality = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            coding.eq_ignore_ascii_case(name) && quality > 0.0
        })
    };
    if accepts("br") {
        Encoding::Brotli
    } else if accepts("gzip") {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// A brotli window just big enough for `len` bytes: the encoder allocates memory in
/// proportion to the window, and for a 3 KB response a 4 MB window costs more than the
/// compression itself.
fn brotli_window(len: usize) -> u32 {
    (usize::BITS - len.max(1).leading_zeros()).clamp(10, 22)
}

/// `bytes` brotli-compressed at `quality` with a window sized to them; `None` if the
/// encoder failed. The result holds no spare capacity (it may be kept for long).
pub fn brotli(bytes: &[u8], quality: u32) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = brotli::CompressorWriter::new(&mut out, 4096, quality, brotli_window(bytes.len()));
    let written = encoder.write_all(bytes).and_then(|_| encoder.flush());
    drop(encoder);
    written.ok()?;
    out.shrink_to_fit();
    Some(out)
}

/// `bytes` gzip-compressed at `level` (0–9); `None` if the encoder failed. The result
/// holds no spare capacity.
pub fn gzip(bytes: &[u8], level: u32) -> Option<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    encoder.write_all(bytes).ok()?;
    let mut out = encoder.finish().ok()?;
    out.shrink_to_fit();
    Some(out)
}

/// `bytes` in `encoding`, compressed to be kept and sent many times.
pub fn encode_to_keep(bytes: &[u8], encoding: Encoding) -> Option<Vec<u8>> {
    match encoding {
        Encoding::Brotli => brotli(bytes, KEPT_BROTLI_QUALITY),
        Encoding::Gzip => gzip(bytes, SERVING_GZIP_LEVEL),
        Encoding::Identity => None,
    }
}

/// `bytes` in `encoding`, compressed for a single response.
fn encode_once(bytes: &[u8], encoding: Encoding) -> Option<Vec<u8>> {
    match encoding {
        Encoding::Brotli => brotli(bytes, ONE_OFF_BROTLI_QUALITY),
        Encoding::Gzip => gzip(bytes, SERVING_GZIP_LEVEL),
        Encoding::Identity => None,
    }
}

/// Whether a response of this type gains from compression (text, JSON, XML, SVG);
/// images and archives are compressed already.
fn is_compressible(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence.starts_with("text/")
        || essence.ends_with("json")
        || essence.ends_with("xml")
        || essence.ends_with("javascript")
        || essence == "image/svg+xml"
}

/// The middleware step: compresses `response` in `accepted` unless it is already
/// encoded (it has a `Content-Encoding`, as cached pages do), not compressible, too
/// small, or a stream.
pub async fn compress_response<B>(response: ServiceResponse<B>, accepted: Encoding) -> ServiceResponse<BoxBody>
where
    B: MessageBody + 'static,
{
    let response = response.map_into_boxed_body();
    if response.headers().contains_key(header::CONTENT_ENCODING) || !is_compressible(response.headers()) {
        return response;
    }
    let (request, response) = response.into_parts();
    let (mut response, body) = response.into_parts();
    // The body depends on Accept-Encoding from here on, whichever encoding is chosen.
    if !response.headers().contains_key(header::VARY) {
        response.headers_mut().insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    let bytes = match body.try_into_bytes() {
        Ok(bytes) => bytes,
        Err(stream) => return ServiceResponse::new(request, response.set_body(stream)),
    };
    if accepted == Encoding::Identity || bytes.len() < MIN_COMPRESSED_BYTES {
        return ServiceResponse::new(request, response.set_body(BoxBody::new(bytes)));
    }
    let compressed = if bytes.len() > MAX_INLINE_BYTES {
        let input = bytes.clone();
        actix_web::rt::task::spawn_blocking(move || encode_once(&input, accepted)).await.ok().flatten()
    } else {
        encode_once(&bytes, accepted)
    };
    let body = match compressed {
        Some(compressed) => {
            response.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static(accepted.token()));
            BoxBody::new(compressed)
        }
        None => BoxBody::new(bytes),
    };
    ServiceResponse::new(request, response.set_body(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn accepted(header_value: &str) -> Encoding {
        preferred_encoding(&TestRequest::default().insert_header(("accept-encoding", header_value)).to_http_request())
    }

    #[test]
    fn the_best_accepted_encoding_wins_and_q0_refuses() {
        assert_eq!(accepted("gzip, deflate, br"), Encoding::Brotli);
        assert_eq!(accepted("gzip;q=1, br;q=0"), Encoding::Gzip);
        assert_eq!(accepted("BR;q=0.5"), Encoding::Brotli);
        assert_eq!(accepted("deflate"), Encoding::Identity);
        assert_eq!(preferred_encoding(&TestRequest::default().to_http_request()), Encoding::Identity);
    }

    #[test]
    fn brotli_windows_fit_the_body() {
        assert_eq!(brotli_window(0), 10);
        assert_eq!(brotli_window(3_000), 12);
        assert_eq!(brotli_window(15_000), 14);
        assert_eq!(brotli_window(100_000_000), 22);
    }

    #[test]
    fn encoders_round_trip_without_slack() {
        let text = "<p>How do I reset my password?</p>\n".repeat(300);
        let br = brotli(text.as_bytes(), KEPT_BROTLI_QUALITY).expect("brotli");
        assert_eq!(br.len(), br.capacity());
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut decoded).expect("decode");
        assert_eq!(decoded, text.as_bytes());
        let gz = gzip(text.as_bytes(), SERVING_GZIP_LEVEL).expect("gzip");
        assert_eq!(gz.len(), gz.capacity());
        let mut decoded = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut decoded).expect("decode");
        assert_eq!(decoded, text);
    }

    #[test]
    fn text_types_are_compressible_and_images_are_not() {
        let with_type = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
            is_compressible(&headers)
        };
        for yes in ["text/html; charset=utf-8", "application/json", "application/xml", "image/svg+xml", "text/csv"] {
            assert!(with_type(yes), "{yes}");
        }
        for no in ["image/png", "application/zip", "application/octet-stream"] {
            assert!(!with_type(no), "{no}");
        }
        assert!(!is_compressible(&HeaderMap::new()));
    }
}
