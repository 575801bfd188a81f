//! CSS, JavaScript and icons built into the binary, served under content-hashed names
//! (`/static/quire.3f9a2c81d0.css`) so browsers may cache them for a year.

use std::collections::HashMap;
use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "static/"]
struct StaticFiles;

struct Asset {
    bytes: actix_web::web::Bytes,
    mime: String,
}

struct Assets {
    by_hashed_name: HashMap<String, Asset>,
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
        let mime = mime_guess::from_path(name.as_ref()).first_or_octet_stream().to_string();
        assets.hashed_name_of.insert(name.to_string(), hashed.clone());
        assets
            .by_hashed_name
            .insert(hashed, Asset { bytes: actix_web::web::Bytes::from(file.data.into_owned()), mime });
    }
    assets
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
pub async fn serve(name: web::Path<String>) -> HttpResponse {
    match ASSETS.by_hashed_name.get(name.as_str()) {
        Some(asset) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, asset.mime.as_str()))
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .body(asset.bytes.clone()),
        None => HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("no such static file\n"),
    }
}
