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
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};

use super::compress::{self, Encoding};

/// One page, ready to send in any encoding the client accepts. Each compressed form is
/// made the first time a client asks for it, then kept.
pub struct CachedPage {
    etag: String,
    content_type: HeaderValue,
    cache_control: &'static str,
    identity: Bytes,
    gzip: OnceLock<Bytes>,
    brotli: OnceLock<Bytes>,
}

impl CachedPage {
    /// An HTML page, revalidated on every visit (`no-cache` plus ETag).
    pub fn new(html: String) -> Self {
        let mut html = html.into_bytes();
        // A rendered page's buffer grew by doubling; kept as is, up to half of it would
        // be slack held for as long as the page stays cached.
        html.shrink_to_fit();
        Self::with_type(Bytes::from(html), HeaderValue::from_static("text/html; charset=utf-8"), "no-cache")
    }

    /// Any other body, e.g. a JSON answer or a static file.
    pub fn with_type(body: Bytes, content_type: HeaderValue, cache_control: &'static str) -> Self {
        let etag = super::response::etag_for(&body);
        Self { etag, content_type, cache_control, identity: body, gzip: OnceLock::new(), brotli: OnceLock::new() }
    }

    fn encoded(&self, encoding: Encoding) -> &Bytes {
        let slot = match encoding {
            Encoding::Brotli => &self.brotli,
            Encoding::Gzip => &self.gzip,
            Encoding::Identity => return &self.identity,
        };
        slot.get_or_init(|| compress::encode_to_keep(&self.identity, encoding).map(Bytes::from).unwrap_or_default())
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
        let fallbacks: &[Encoding] = match compress::preferred_encoding(request) {
            Encoding::Brotli => &[Encoding::Brotli, Encoding::Gzip],
            Encoding::Gzip => &[Encoding::Gzip],
            Encoding::Identity => &[],
        };
        let (encoding, body) = fallbacks
            .iter()
            .map(|&encoding| (encoding, self.encoded(encoding)))
            .find(|(_, body)| !body.is_empty())
            .unwrap_or((Encoding::Identity, &self.identity));
        // An explicit Content-Encoding also tells the compression middleware to leave
        // it; `identity` is never sent (no client needs it; an uncompressed form is
        // kept only where compressing does not pay, which the middleware knows too).
        if encoding != Encoding::Identity {
            response.insert_header((header::CONTENT_ENCODING, encoding.token()));
        }
        response.content_type(self.content_type.clone()).body(body.clone())
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
        assert_eq!(decode_brotli(page.encoded(Encoding::Brotli)), html);
        let gzip = page
            .respond(&TestRequest::default().insert_header(("accept-encoding", "gzip;q=1, br;q=0")).to_http_request());
        assert_eq!(encoding(&gzip), "gzip");
        let plain = page.respond(&TestRequest::default().to_http_request());
        assert_eq!(encoding(&plain), "", "no Content-Encoding header for an uncompressed body");
        let etag = page.etag.clone();
        let cached = page.respond(&TestRequest::default().insert_header(("if-none-match", etag)).to_http_request());
        assert_eq!(cached.status(), 304);
        assert!(page.encoded(Encoding::Brotli).len() < html.len() / 10);
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
