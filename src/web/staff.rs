//! Staff sign-in: the login form, sessions, sign-out, and the gate every `/staff`
//! page passes through.
//!
//! Sessions are random tokens in an HttpOnly, SameSite=Strict cookie scoped to
//! `/staff` (Secure when the site is HTTPS); the database keeps only their hash. Every
//! staff form carries the session's CSRF token, and the login form a token bound to a
//! short-lived cookie. Failed sign-ins are throttled per account and per address.

use std::sync::Arc;
use std::time::Instant;

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::feedback::{check_rate, check_same_origin, form_fields};
use super::pages::{self, Layout};
use super::response::AppError;
use super::AppState;
use crate::auth::{decoy_hash, random_token, same_secret, token_hash, verify_password};
use crate::store::staff::{Role, StaffSession};

/// The session cookie.
pub const SESSION_COOKIE: &str = "quire_staff";
/// The login form's CSRF cookie.
const LOGIN_COOKIE: &str = "quire_login";

/// The staff layout: never indexed, never cached, the staff navigation shown.
pub fn staff_layout(state: &AppState, path: &str, title: &str) -> Layout {
    let mut layout = pages::layout(state, path, title, None);
    layout.noindex = true;
    layout.header_search = false;
    layout.staff = true;
    layout
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The signed-in staff member, if the request carries a live session.
pub async fn session(request: &HttpRequest, state: &AppState) -> Result<Option<StaffSession>, AppError> {
    let Some(cookie) = request.cookie(SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = token_hash(cookie.value());
    let store = Arc::clone(&state.store);
    super::blocking(move || store.session(&hash, now())).await
}

/// Where an anonymous request for a staff page goes: the login form, then back.
pub fn to_login(request: &HttpRequest) -> HttpResponse {
    let next = match request.query_string() {
        "" => request.path().to_string(),
        query => format!("{}?{query}", request.path()),
    };
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/staff/login?next={}", super::search::encode(&next))))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// Checks a staff form post: same origin and the session's CSRF token.
pub fn check_staff_post(
    request: &HttpRequest,
    session: &StaffSession,
    fields: &std::collections::HashMap<String, Vec<String>>,
) -> Result<(), Box<HttpResponse>> {
    let forbidden = |message: &str| {
        Box::new(HttpResponse::Forbidden().content_type("text/plain; charset=utf-8").body(format!("{message}\n")))
    };
    check_same_origin(request).map_err(forbidden)?;
    let token = fields.get("csrf").and_then(|v| v.first()).map(String::as_str).unwrap_or("");
    if token.is_empty() || !same_secret(token, &session.csrf) {
        return Err(forbidden("the form's security token is missing or out of date; reload the page and try again"));
    }
    Ok(())
}

/// Like [`check_staff_post`], for a form that changes something: only editors and
/// admins may; a viewer is told why not.
pub fn check_staff_write(
    request: &HttpRequest,
    session: &StaffSession,
    fields: &std::collections::HashMap<String, Vec<String>>,
) -> Result<(), Box<HttpResponse>> {
    check_staff_post(request, session, fields)?;
    if session.role < Role::Editor {
        return Err(Box::new(HttpResponse::Forbidden().content_type("text/plain; charset=utf-8").body(format!(
            "your account ({}) can read the dashboard but not change anything; an admin can make it an editor\n",
            session.role.as_str()
        ))));
    }
    Ok(())
}

#[derive(Template)]
#[template(path = "staff_login.html")]
struct LoginPage {
    layout: Layout,
    csrf: String,
    next: String,
    email: String,
    error: String,
}

#[derive(serde::Deserialize)]
pub struct LoginParams {
    #[serde(default)]
    next: String,
}

/// "3 minutes", "45 seconds": when to try signing in again.
fn wait_in_words(seconds: u64) -> String {
    if seconds < 60 {
        format!("{seconds} seconds")
    } else {
        let minutes = seconds.div_ceil(60);
        format!("{minutes} minute{}", if minutes == 1 { "" } else { "s" })
    }
}

/// Only local staff pages are valid destinations after sign-in.
fn safe_next(next: &str) -> String {
    // Control characters (CR/LF above all) would break the Location header.
    if next.starts_with("/staff")
        && !next.starts_with("/staff/login")
        && !next.contains("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control)
    {
        next.to_string()
    } else {
        "/staff".to_string()
    }
}

fn login_page(
    state: &AppState,
    status: StatusCode,
    next: &str,
    email: &str,
    error: &str,
) -> Result<HttpResponse, AppError> {
    let csrf = random_token()?;
    let page = LoginPage {
        layout: staff_layout(state, "/staff/login", "Staff sign-in"),
        csrf: csrf.clone(),
        next: safe_next(next),
        email: email.to_string(),
        error: error.to_string(),
    };
    let cookie = Cookie::build(LOGIN_COOKIE, csrf)
        .path("/staff/login")
        .http_only(true)
        .secure(state.feedback.secure_cookies)
        .same_site(SameSite::Strict)
        .max_age(CookieDuration::hours(1))
        .finish();
    let mut response = HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page.render()?);
    response.add_cookie(&cookie)?;
    Ok(response)
}

/// `GET /staff/login`.
pub async fn login_form(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<LoginParams>,
) -> Result<HttpResponse, AppError> {
    if session(&request, &state).await?.is_some() {
        return Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, safe_next(&params.next))).finish());
    }
    login_page(&state, StatusCode::OK, &params.next, "", "")
}

/// `POST /staff/login`: email, password, csrf, next.
pub async fn login(
    request: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let fields = form_fields(&body);
    let value = |name: &str| fields.get(name).and_then(|v| v.first()).cloned().unwrap_or_default();
    let (email, password, next) = (value("email").trim().to_string(), value("password"), value("next"));
    if let Err(message) = check_same_origin(&request) {
        return Ok(HttpResponse::Forbidden().content_type("text/plain; charset=utf-8").body(format!("{message}\n")));
    }
    let cookie_token = request.cookie(LOGIN_COOKIE).map(|c| c.value().to_string()).unwrap_or_default();
    let form_token = value("csrf");
    if cookie_token.is_empty() || !same_secret(&cookie_token, &form_token) {
        return login_page(
            &state,
            StatusCode::FORBIDDEN,
            &next,
            &email,
            "The sign-in form expired or was not sent from this site. Please try again.",
        );
    }
    let client = state.proxies.client_address(&request).map(super::client::rate_key);
    let client = client.map(|ip| ip.to_string()).unwrap_or_default();
    let account_key = format!("email:{}", email.to_lowercase());
    let client_key = format!("ip:{client}");
    if check_rate(&state, &request).is_err() {
        return login_page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            &next,
            &email,
            "Too many attempts. Please wait a minute.",
        );
    }
    // Each verification holds ~19 MiB for ~50 ms: bound how many run at once, and
    // refuse the rest now rather than queue their memory.
    let Some(slot) = state.verification_slots.try_take() else {
        let mut response = login_page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            &next,
            &email,
            "Too many sign-ins at this moment. Please try again in a few seconds.",
        )?;
        response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("2"));
        return Ok(response);
    };
    // The attempt counts as a failure from here on, so guesses sent at the same time
    // cannot all pass the check before any is counted.
    let started = Instant::now();
    let throttles = [(&state.account_throttle, &account_key), (&state.client_throttle, &client_key)];
    for (index, (throttle, key)) in throttles.iter().enumerate() {
        if let Err(wait) = throttle.reserve(key, started) {
            for (earlier, earlier_key) in &throttles[..index] {
                earlier.refund(earlier_key);
            }
            let mut response = login_page(
                &state,
                StatusCode::TOO_MANY_REQUESTS,
                &next,
                &email,
                &format!("Too many failed sign-ins. Try again in {}.", wait_in_words(wait)),
            )?;
            if let Ok(value) = header::HeaderValue::from_str(&wait.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return Ok(response);
        }
    }

    let store = Arc::clone(&state.store);
    let lookup_email = email.clone();
    let hours = state.staff_session_hours;
    let signed_in = super::blocking(move || {
        let account = store.staff_by_email(&lookup_email)?;
        // Verify against a decoy when the account does not exist: same time either way.
        let hash = account.as_ref().map(|a| a.password_hash.as_str()).unwrap_or(decoy_hash());
        let matches = verify_password(&password, hash);
        match account.filter(|_| matches) {
            Some(account) => {
                let token = random_token()?;
                let csrf = random_token()?;
                let now = now();
                store.create_session(&token_hash(&token), account.id, &csrf, now, now + hours * 3_600)?;
                Ok(Some(token))
            }
            None => Ok(None),
        }
    })
    .await;
    drop(slot);
    let signed_in = match signed_in {
        Ok(signed_in) => signed_in,
        Err(err) => {
            // Not a wrong password: the attempt is given back.
            state.account_throttle.refund(&account_key);
            state.client_throttle.refund(&client_key);
            return Err(err);
        }
    };
    let Some(token) = signed_in else {
        tracing::warn!("failed staff sign-in");
        return login_page(&state, StatusCode::UNAUTHORIZED, &next, &email, "The email or password is not correct.");
    };
    state.account_throttle.succeed(&account_key);
    state.client_throttle.refund(&client_key);
    // The whole site: a signed-in staff member previews drafts at their real address.
    let cookie = Cookie::build(SESSION_COOKIE, token)
        .path("/")
        .http_only(true)
        .secure(state.feedback.secure_cookies)
        .same_site(SameSite::Strict)
        .max_age(CookieDuration::hours(hours))
        .finish();
    let mut response = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, safe_next(&next)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish();
    response.add_cookie(&cookie)?;
    let mut expired_login = Cookie::build(LOGIN_COOKIE, "").path("/staff/login").finish();
    expired_login.make_removal();
    response.add_cookie(&expired_login)?;
    Ok(response)
}

/// `POST /staff/logout`.
pub async fn logout(
    request: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let Some(current) = session(&request, &state).await? else {
        return Ok(to_login(&request));
    };
    if let Err(response) = check_staff_post(&request, &current, &form_fields(&body)) {
        return Ok(*response);
    }
    if let Some(cookie) = request.cookie(SESSION_COOKIE) {
        let hash = token_hash(cookie.value());
        let store = Arc::clone(&state.store);
        super::blocking(move || store.delete_session(&hash)).await?;
    }
    let mut response = HttpResponse::SeeOther().insert_header((header::LOCATION, "/staff/login")).finish();
    // Sessions made before drafts could be previewed had the cookie on /staff only.
    for path in ["/", "/staff"] {
        let mut removal = Cookie::build(SESSION_COOKIE, "").path(path).finish();
        removal.make_removal();
        response.add_cookie(&removal)?;
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_staff_pages_are_next_targets() {
        assert_eq!(safe_next("/staff/inbox\r\nSet-Cookie: x=1"), "/staff");
        assert_eq!(safe_next("/staff/\u{1}x"), "/staff");
        assert_eq!(safe_next("/staff/\u{7f}"), "/staff");
        assert_eq!(safe_next("/staff/inbox?status=open"), "/staff/inbox?status=open");
        assert_eq!(safe_next("https://evil.test/staff"), "/staff");
        assert_eq!(safe_next("//evil.test"), "/staff");
        assert_eq!(safe_next("/staff/login"), "/staff");
        assert_eq!(safe_next("/articles/x"), "/staff");
    }
}
