//! CSS, JavaScript and icons built into the binary, served under content-hashed names
//! (`/static/quire.3f9a2c81d0.css`) so browsers may cache them for a year. Each is
//! compressed once, the first time a client asks for an encoding, like cached pages.

use std::collections::HashMap;
use std::sync::LazyLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;

use super::cache::CachedPage;

#[derive(RustEmbed)]
#[folder = "static/"]
struct StaticFiles;

struct Assets {
    by_hashed_name: HashMap<String, CachedPage>,
    hashed_name_of: HashMap<String, String>,
}

static ASSETS: LazyLock<Assets> = LazyLock::new(|| {
    let mut assets = Assets { by_hashed_name: HashMap::new(), hashed_name_of: HashMap::new() };
    for name in StaticFiles::iter() {
        let Some(file) = StaticFiles::get(&name) else {
            continue;
        };
        let hash = blake3::hash(&file.data).to_hex();
        let hashed = match name.rsplit_once('.') {
            Some((stem, ext)) => format!("{stem}.{}.{ext}", &hash[..10]),
            None => format!("{name}.{}", &hash[..10]),
        };
        let mime = mime_guess::from_path(name.as_ref()).first_or_octet_stream();
        let content_type = match mime.type_() {
            mime_guess::mime::TEXT => format!("{mime}; charset=utf-8"),
            _ => mime.to_string(),
        };
        let Ok(content_type) = HeaderValue::from_str(&content_type) else {
            continue;
        };
        let bytes = actix_web::web::Bytes::from(file.data.into_owned());
        assets.hashed_name_of.insert(name.to_string(), hashed.clone());
        assets
            .by_hashed_name
            .insert(hashed, CachedPage::with_type(bytes, content_type, "public, max-age=31536000, immutable"));
    }
    assets
});

/// The stylesheet, for inlining in every page: one request fewer before the first
/// paint, and with the page it fits in the first round trip (about 4 KB compressed).
pub static INLINE_CSS: LazyLock<String> = LazyLock::new(|| {
    StaticFiles::get("quire.css").map(|file| String::from_utf8_lossy(&file.data).into_owned()).unwrap_or_default()
});

/// The CSP source that allows exactly [`INLINE_CSS`]: `'sha256-…'`.
pub static INLINE_CSS_HASH: LazyLock<String> = LazyLock::new(|| {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(INLINE_CSS.as_bytes());
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest))
});

/// The URL of a static file by its plain name (`quire.css`).
pub fn url(name: &str) -> String {
    match ASSETS.hashed_name_of.get(name) {
        Some(hashed) => format!("/static/{hashed}"),
        None => format!("/static/{name}"),
    }
}

/// The URL of every static file (`/static/<hashed name>`).
pub fn all_urls() -> Vec<String> {
    let mut urls: Vec<String> = ASSETS.by_hashed_name.keys().map(|name| format!("/static/{name}")).collect();
    urls.sort();
    urls
}

/// `/favicon.ico`, which crawlers and old browsers ask for regardless of `<link rel=icon>`.
pub async fn favicon() -> HttpResponse {
    HttpResponse::MovedPermanently().insert_header((header::LOCATION, url("favicon.svg"))).finish()
}

/// Serves a static file by its hashed name; unknown names are 404.
pub async fn serve(request: HttpRequest, name: web::Path<String>) -> HttpResponse {
    match ASSETS.by_hashed_name.get(name.as_str()) {
        Some(asset) => asset.respond(&request),
        None => HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("no such static file\n"),
    }
}
