//! Rendered pages kept in memory with their compressed forms, so serving a page that
//! was served before is a map lookup plus headers: no template rendering, no
//! compression, and a 304 without touching the body. (`quire export` writes the same
//! bytes, compressed at the highest levels, for static servers.)
//!
//! An entry belongs to one content generation and one "stamp" (what else the page
//! shows that can change: the public vote counts). A lookup with another generation
//! misses; one with another stamp misses once the entry is older than the lag the caller
//! allows, and the new rendering replaces the entry.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};

/// Brotli quality for cached pages. Measured on a 7 KB article page (brotli 9.1):
/// quality 4 takes 0.3 ms for 2,435 bytes, while qualities 5 to 11 all take 8–12 ms
/// (they set up much larger match finders) for 2,304 (q6) to 1,983 (q11) bytes. A page
/// re-renders whenever its content or public vote count changes, so the 30× cost is
/// paid under exactly the load where it hurts; `quire export` uses quality 9.
const BROTLI_QUALITY: u32 = 4;

/// A brotli window just big enough for `len` bytes: the encoder allocates memory in
/// proportion to the window, and for a 3 KB response a 4 MB window (actix's choice)
/// costs more than the compression itself.
fn brotli_window(len: usize) -> u32 {
    (usize::BITS - len.max(1).leading_zeros()).clamp(10, 22)
}

/// A buffer to keep for as long as the page is cached, without the slack it grew
/// (encoders grow their output by doubling: up to half of it unused).
fn kept_bytes(mut buffer: Vec<u8>) -> Bytes {
    buffer.shrink_to_fit();
    Bytes::from(buffer)
}

/// One page, ready to send in any encoding the client accepts. Each compressed form is
/// made the first time a client asks for it, then kept.
pub struct CachedPage {
    etag: String,
    content_type: &'static str,
    cache_control: &'static str,
    identity: Bytes,
    gzip: OnceLock<Bytes>,
    brotli: OnceLock<Bytes>,
}

impl CachedPage {
    /// An HTML page, revalidated on every visit (`no-cache` plus ETag).
    pub fn new(html: String) -> Self {
        Self::with_type(kept_bytes(html.into_bytes()), "text/html; charset=utf-8", "no-cache")
    }

    /// Any other body, e.g. a JSON answer.
    pub fn with_type(body: Bytes, content_type: &'static str, cache_control: &'static str) -> Self {
        let etag = super::response::etag_for(&body);
        Self { etag, content_type, cache_control, identity: body, gzip: OnceLock::new(), brotli: OnceLock::new() }
    }

    fn gzip(&self) -> &Bytes {
        self.gzip.get_or_init(|| {
            let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(7));
            encoder.write_all(&self.identity).and_then(|_| encoder.finish()).map(kept_bytes).unwrap_or_default()
        })
    }

    fn brotli(&self) -> &Bytes {
        self.brotli.get_or_init(|| {
            let mut out = Vec::new();
            let window = brotli_window(self.identity.len());
            let mut encoder = brotli::CompressorWriter::new(&mut out, 4096, BROTLI_QUALITY, window);
            let written = encoder.write_all(&self.identity).and_then(|_| encoder.flush());
            drop(encoder);
            if written.is_ok() {
                kept_bytes(out)
            } else {
                Bytes::new()
            }
        })
    }

    /// Length of the uncompressed body.
    pub fn identity_len(&self) -> usize {
        self.identity.len()
    }

    /// Bytes held (all three forms), for the memory report.
    pub fn size(&self) -> usize {
        self.identity.len() + self.gzip.get().map_or(0, Bytes::len) + self.brotli.get().map_or(0, Bytes::len)
    }

    /// The response for `request`: 304 when it has this version, else the body in the
    /// best encoding it accepts (brotli, then gzip, then none).
    pub fn respond(&self, request: &HttpRequest) -> HttpResponse {
        let mut response = if super::response::matches_etag(request, &self.etag) {
            HttpResponse::NotModified()
        } else {
            HttpResponse::Ok()
        };
        response
            .insert_header((header::ETAG, self.etag.as_str()))
            .insert_header((header::CACHE_CONTROL, self.cache_control))
            .insert_header((header::VARY, "Accept-Encoding"));
        if super::response::matches_etag(request, &self.etag) {
            return response.finish();
        }
        let (encoding, body) = match preferred_encoding(request) {
            Encoding::Brotli if !self.brotli().is_empty() => ("br", self.brotli().clone()),
            Encoding::Brotli | Encoding::Gzip if !self.gzip().is_empty() => ("gzip", self.gzip().clone()),
            _ => ("identity", self.identity.clone()),
        };
        // An explicit Content-Encoding also tells the compression middleware to leave it.
        response.insert_header((header::CONTENT_ENCODING, encoding)).content_type(self.content_type).body(body)
    }
}

enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

/// What the client accepts, honouring `q=0` (refused).
fn preferred_encoding(request: &HttpRequest) -> Encoding {
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

struct Entry {
    generation: u64,
    stamp: String,
    rendered_at: Instant,
    page: Arc<CachedPage>,
}

/// Pages by path (and reader arrival), for the current content generation.
#[derive(Default)]
pub struct PageCache {
    entries: RwLock<HashMap<String, Entry>>,
}

impl PageCache {
    /// The cached page for `key` if it was rendered for this generation and either this
    /// stamp or another one less than `may_lag` ago.
    pub fn get(&self, key: &str, generation: u64, stamp: &str, may_lag: Duration) -> Option<Arc<CachedPage>> {
        let entries = self.entries.read().ok()?;
        let entry = entries.get(key)?;
        let current = entry.stamp == stamp || entry.rendered_at.elapsed() < may_lag;
        (entry.generation == generation && current).then(|| Arc::clone(&entry.page))
    }

    /// Stores a rendering; entries of older generations are dropped on the way.
    pub fn insert(&self, key: &str, generation: u64, stamp: String, page: Arc<CachedPage>) {
        let Ok(mut entries) = self.entries.write() else { return };
        if entries.values().next().is_some_and(|e| e.generation < generation) {
            entries.retain(|_, e| e.generation >= generation);
        }
        entries.insert(key.to_string(), Entry { generation, stamp, rendered_at: Instant::now(), page });
    }

    /// (pages, bytes) held.
    pub fn stats(&self) -> (usize, usize) {
        self.entries.read().map(|e| (e.len(), e.values().map(|v| v.page.size()).sum())).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn encoding(response: &HttpResponse) -> &str {
        response.headers().get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    fn decode_brotli(bytes: &[u8]) -> String {
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &bytes[..], &mut out).expect("brotli");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn pages_are_served_in_the_best_accepted_encoding() {
        let html = "<p>hello</p>".repeat(200);
        let page = CachedPage::new(html.clone());
        let br = page.respond(&TestRequest::default().insert_header(("accept-encoding", "gzip, br")).to_http_request());
        assert_eq!(encoding(&br), "br");
        assert_eq!(decode_brotli(page.brotli()), html);
        let gzip = page
            .respond(&TestRequest::default().insert_header(("accept-encoding", "gzip;q=1, br;q=0")).to_http_request());
        assert_eq!(encoding(&gzip), "gzip");
        let plain = page.respond(&TestRequest::default().to_http_request());
        assert_eq!(encoding(&plain), "identity");
        let etag = page.etag.clone();
        let cached = page.respond(&TestRequest::default().insert_header(("if-none-match", etag)).to_http_request());
        assert_eq!(cached.status(), 304);
        assert!(page.brotli().len() < html.len() / 10);
    }

    #[test]
    fn brotli_windows_fit_the_body() {
        assert_eq!(brotli_window(0), 10);
        assert_eq!(brotli_window(3_000), 12);
        assert_eq!(brotli_window(15_000), 14);
        assert_eq!(brotli_window(100_000_000), 22);
    }

    #[test]
    fn entries_belong_to_a_generation_and_a_stamp() {
        let cache = PageCache::default();
        let now = Duration::ZERO;
        cache.insert("/a", 1, "3 of 4".into(), Arc::new(CachedPage::new("a".into())));
        assert!(cache.get("/a", 1, "3 of 4", now).is_some());
        assert!(cache.get("/a", 1, "4 of 5", now).is_none());
        assert!(cache.get("/a", 2, "3 of 4", now).is_none());
        cache.insert("/b", 2, "".into(), Arc::new(CachedPage::new("b".into())));
        assert_eq!(cache.stats().0, 1, "older generations are dropped");
    }

    #[test]
    fn a_new_stamp_may_lag_but_a_new_generation_may_not() {
        let cache = PageCache::default();
        cache.insert("/a", 1, "3 of 4".into(), Arc::new(CachedPage::new("a".into())));
        let lag = Duration::from_secs(60);
        assert!(cache.get("/a", 1, "4 of 5", lag).is_some(), "a fresh entry with an older count is served");
        assert!(cache.get("/a", 2, "3 of 4", lag).is_none(), "content changes never lag");
        std::thread::sleep(Duration::from_millis(20));
        assert!(cache.get("/a", 1, "4 of 5", Duration::from_millis(10)).is_none(), "an older entry re-renders");
    }
}
