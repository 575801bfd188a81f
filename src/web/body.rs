//! Request bodies are read whole, within a deadline, before any handler runs.

use std::time::Duration;

use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpMessage, HttpResponse};
use futures_core::Stream;

/// The largest request body Quire takes: every form it serves is a few fields.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// The editor's forms carry a whole page (up to `check.max_file_kb`, twice: the text
/// and the version it was made from) or an image.
pub const MAX_EDITOR_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The largest body taken for a request to `path`.
pub fn limit_for(path: &str) -> usize {
    if path.starts_with("/staff/edit") || path == "/staff/restore" {
        MAX_EDITOR_BODY_BYTES
    } else {
        MAX_BODY_BYTES
    }
}

/// Reads a request's body within `deadline` (at most [`MAX_BODY_BYTES`]) and
/// hands the request on with the body in memory. A client that trickles its body gets
/// 408 instead of holding a connection (and a file descriptor) for as long as it likes;
/// actix limits the time for headers and idle keep-alive, not for bodies.
pub async fn read_in_time(mut request: ServiceRequest, deadline: Duration) -> Result<ServiceRequest, ServiceResponse> {
    let has_body = request.headers().contains_key(header::CONTENT_LENGTH)
        || request.headers().contains_key(header::TRANSFER_ENCODING);
    if !has_body {
        return Ok(request);
    }
    let limit = limit_for(request.path());
    let mut payload = request.take_payload();
    let read = actix_web::rt::time::timeout(deadline, async move {
        let mut body = web::BytesMut::new();
        while let Some(chunk) = std::future::poll_fn(|cx| std::pin::Pin::new(&mut payload).poll_next(cx)).await {
            let chunk = chunk.map_err(|_| StatusCode::BAD_REQUEST)?;
            if body.len() + chunk.len() > limit {
                return Err(StatusCode::PAYLOAD_TOO_LARGE);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    })
    .await;
    let refuse = |request: ServiceRequest, status: StatusCode, message: &str| {
        let response = HttpResponse::build(status)
            .insert_header((header::CONNECTION, "close"))
            .content_type("text/plain; charset=utf-8")
            .body(format!("{message}\n"));
        request.into_response(response)
    };
    match read {
        Ok(Ok(body)) => {
            request.set_payload(Payload::from(body));
            Ok(request)
        }
        Ok(Err(StatusCode::PAYLOAD_TOO_LARGE)) => {
            Err(refuse(request, StatusCode::PAYLOAD_TOO_LARGE, &format!("the form is larger than {} KB", limit / 1024)))
        }
        Ok(Err(status)) => Err(refuse(request, status, "the request body could not be read")),
        Err(_) => {
            tracing::info!(path = request.path(), "request body not received in time: 408");
            Err(refuse(request, StatusCode::REQUEST_TIMEOUT, "the request body did not arrive in time"))
        }
    }
}
