//! Turning rendered pages into responses: ETags and 304s, and the one error type
//! whose body never shows internals (the details go to the log).

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use askama::Template;

use super::pages::{ErrorPage, Layout};

/// An unexpected failure while answering a request: logged in full, shown as a
/// generic 500 page.
#[derive(Debug)]
pub struct AppError(anyhow::Error);

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("internal error")
    }
}

impl AppError {
    /// The error behind this response.
    pub fn cause(&self) -> &anyhow::Error {
        &self.0
    }
}

impl<E: Into<anyhow::Error>> From<E> for AppError {
    fn from(err: E) -> Self {
        Self(err.into())
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        if crate::store::is_unavailable(&self.0) {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }

    fn error_response(&self) -> HttpResponse {
        if crate::store::is_unavailable(&self.0) {
            // Logged once per burst by the store, not once per request.
            return store_unavailable();
        }
        tracing::error!("request failed: {:#}", self.0);
        let page = ErrorPage {
            layout: Layout::fallback("Something went wrong"),
            status: 500,
            heading: "Something went wrong on our side".to_string(),
            message: "Sorry, this page could not be shown. Please try again in a moment, or search the help center."
                .to_string(),
            categories: Vec::new(),
        };
        let body = page.render().unwrap_or_else(|_| "Internal server error".to_string());
        HttpResponse::InternalServerError().content_type("text/html; charset=utf-8").body(body)
    }
}

/// Seconds a client is asked to wait before retrying a write the database refused.
pub const RETRY_AFTER_SECONDS: u32 = 30;

/// 503 for a write the database could not store (a full disk): nothing was saved, and
/// the reader is told so instead of being thanked.
fn store_unavailable() -> HttpResponse {
    let page = ErrorPage {
        layout: Layout::fallback("Not saved"),
        status: 503,
        heading: "We could not save that right now".to_string(),
        message: "Nothing was saved, because the help center cannot store anything at the moment. Please try again in a minute; reading articles and searching still work."
            .to_string(),
        categories: Vec::new(),
    };
    let body = page.render().unwrap_or_else(|_| "Service unavailable: nothing was saved".to_string());
    HttpResponse::ServiceUnavailable()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::RETRY_AFTER, RETRY_AFTER_SECONDS.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// A weak validator for a body: the same bytes always give the same tag.
pub fn etag_for(body: &[u8]) -> String {
    format!("W/\"{}\"", &blake3::hash(body).to_hex()[..20])
}

/// Whether the request's `If-None-Match` already names `etag`.
pub fn matches_etag(request: &HttpRequest, etag: &str) -> bool {
    request
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == etag.trim_start_matches("W/"))
}

/// A body with its ETag, or 304 Not Modified when the client has it already.
pub fn with_etag(request: &HttpRequest, content_type: &str, cache_control: &str, body: String) -> HttpResponse {
    let etag = etag_for(body.as_bytes());
    let mut response = if matches_etag(request, &etag) { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    response
        .insert_header((header::ETAG, etag.clone()))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::VARY, "Accept-Encoding"));
    if matches_etag(request, &etag) {
        return response.finish();
    }
    response.content_type(content_type).body(body)
}

/// Renders a page template with status 200 (with ETag) or the given error status.
pub fn page<T: Template>(request: &HttpRequest, status: StatusCode, template: &T) -> Result<HttpResponse, AppError> {
    let body = template.render()?;
    if status == StatusCode::OK {
        // HTML changes whenever content reloads, so browsers revalidate every time;
        // the ETag makes that a cheap 304.
        return Ok(with_etag(request, "text/html; charset=utf-8", "no-cache", body));
    }
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// A permanent redirect.
pub fn moved_permanently(location: &str) -> HttpResponse {
    HttpResponse::MovedPermanently().insert_header((header::LOCATION, location)).finish()
}
