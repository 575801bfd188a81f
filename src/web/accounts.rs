//! Staff accounts managed in the browser (`/staff/accounts`, admins only): invite
//! someone with a role, change roles, disable and enable accounts, and reset a
//! password. Invitations and resets are one-time links (`/staff/password?token=…`),
//! shown once to the admin and stored only as a hash; the invited person sets their
//! own password there.

use std::sync::Arc;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::dashboard::{staff_frame, StaffFrame};
use super::feedback::{check_rate, check_same_origin, form_fields};
use super::pages::Layout;
use super::response::AppError;
use super::staff::{check_staff_post, session, staff_layout, to_login};
use super::AppState;
use crate::auth::{hash_password, random_token, token_hash};
use crate::store::staff::{AccountRefusal, Role};

type PageResult = Result<HttpResponse, AppError>;

/// How long a password link works.
const LINK_DAYS: i64 = 7;
/// The shortest password taken (as `quire staff add`).
const MIN_PASSWORD_CHARS: usize = 10;

fn text(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(format!("{message}\n"))
}

fn html(status: StatusCode, page: &impl Template) -> PageResult {
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page.render()?))
}

/// An account as the table shows it.
pub struct AccountRow {
    pub email: String,
    pub role: &'static str,
    pub disabled: bool,
    pub status: &'static str,
    pub created: String,
}

#[derive(Template)]
#[template(path = "staff_accounts.html")]
struct AccountsPage {
    layout: Layout,
    frame: StaffFrame,
    accounts: Vec<AccountRow>,
    notice: String,
    error: String,
    /// A password link just made: shown this once.
    link: String,
}

async fn accounts_page(state: &AppState, frame: StaffFrame, notice: String, error: String, link: String) -> PageResult {
    let store = Arc::clone(&state.store);
    let accounts = super::blocking(move || store.staff_accounts()).await?;
    let accounts = accounts
        .into_iter()
        .map(|a| AccountRow {
            status: match (a.disabled, a.has_password) {
                (true, _) => "disabled",
                (false, false) => "invited (no password yet)",
                (false, true) => "active",
            },
            role: a.role.as_str(),
            disabled: a.disabled,
            created: crate::feedback::local_time(a.created_at),
            email: a.email,
        })
        .collect();
    let status = if error.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = AccountsPage {
        layout: staff_layout(state, "/staff/accounts", "Staff accounts"),
        frame,
        accounts,
        notice,
        error,
        link,
    };
    html(status, &page)
}

/// `GET /staff/accounts`.
pub async fn accounts(request: HttpRequest, state: web::Data<AppState>) -> PageResult {
    let Some(session) = session(&request, &state).await? else {
        return Ok(to_login(&request));
    };
    if session.role < Role::Admin {
        return Ok(text(StatusCode::FORBIDDEN, "only admins manage staff accounts"));
    }
    let frame = staff_frame(&session, "/staff/accounts", "accounts");
    accounts_page(&state, frame, String::new(), String::new(), String::new()).await
}

/// `POST /staff/accounts`: `action` = `invite` (email, role), `reset` (email) or
/// `update` (email, role, `disabled`), with the CSRF token.
pub async fn change_account(request: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> PageResult {
    let Some(session) = session(&request, &state).await? else {
        return Ok(to_login(&request));
    };
    if session.role < Role::Admin {
        return Ok(text(StatusCode::FORBIDDEN, "only admins manage staff accounts"));
    }
    let fields = form_fields(&body);
    if let Err(response) = check_staff_post(&request, &session, &fields) {
        return Ok(*response);
    }
    let value = |name: &str| fields.get(name).and_then(|v| v.first()).cloned().unwrap_or_default();
    let email = value("email").trim().to_lowercase();
    let action = value("action");
    let frame = staff_frame(&session, "/staff/accounts", "accounts");
    let valid_email = email.len() <= 254
        && email.split_once('@').is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
        && !email.chars().any(|c| c.is_whitespace() || c.is_control() || "<>\"',;".contains(c));
    if !valid_email {
        let error = format!("“{email}” is not an email address");
        return accounts_page(&state, frame, String::new(), error, String::new()).await;
    }
    let role = Role::parse(&value("role"));
    let now = chrono::Utc::now().timestamp();
    let store = Arc::clone(&state.store);
    let who = session.email.clone();
    let (target, disabled) = (email.clone(), value("disabled") == "true");
    if action == "update" && disabled && email == session.email {
        let error = "you cannot disable your own account".to_string();
        return accounts_page(&state, frame, String::new(), error, String::new()).await;
    }
    // A link's token is shown once; only its hash is stored.
    let token = random_token()?;
    let link_hash = token_hash(&token);
    let expires = now + LINK_DAYS * 86_400;
    let outcome: Result<(String, bool), AccountRefusal> = super::blocking(move || {
        let (result, audit_action, detail, made_link) = match (action.as_str(), role) {
            ("invite", Some(role)) => {
                (store.invite_staff(&target, role, &link_hash, expires, now)?, "staff.invite", role.as_str(), true)
            }
            ("reset", _) => {
                (store.reset_staff_password(&target, &link_hash, expires)?, "staff.reset_password", "", true)
            }
            ("update", Some(role)) => {
                let detail = if disabled { "disabled" } else { role.as_str() };
                (store.update_staff(&target, role, disabled)?, "staff.update", detail, false)
            }
            _ => (Err(AccountRefusal("choose a role (viewer, editor or admin)".into())), "", "", false),
        };
        if result.is_ok() {
            store.audit(&who, audit_action, &target, detail, now)?;
        }
        Ok(result.map(|()| (audit_action.to_string(), made_link)))
    })
    .await?;
    match outcome {
        Ok((done, made_link)) => {
            let link =
                if made_link { format!("{}/staff/password?token={token}", state.info.base_url) } else { String::new() };
            let notice = match done.as_str() {
                "staff.invite" => format!("Invited {email}. Send them this link; it works once, for {LINK_DAYS} days, and is not shown again:"),
                "staff.reset_password" => format!("{email} is signed out and their password no longer works. Send them this link to choose a new one; it works once, for {LINK_DAYS} days, and is not shown again:"),
                _ => format!("Saved the account {email}."),
            };
            accounts_page(&state, frame, notice, String::new(), link).await
        }
        Err(AccountRefusal(error)) => accounts_page(&state, frame, String::new(), error, String::new()).await,
    }
}

#[derive(Template)]
#[template(path = "staff_password.html")]
struct PasswordPage {
    layout: Layout,
    email: String,
    token: String,
    error: String,
}

#[derive(serde::Deserialize)]
pub struct PasswordParams {
    #[serde(default)]
    token: String,
}

/// `GET /staff/password?token=…`: the form to set a password through a link.
pub async fn password_form(state: web::Data<AppState>, params: web::Query<PasswordParams>) -> PageResult {
    let store = Arc::clone(&state.store);
    let hash = token_hash(&params.token);
    let now = chrono::Utc::now().timestamp();
    let Some(email) = super::blocking(move || store.password_link(&hash, now)).await? else {
        return Ok(text(
            StatusCode::NOT_FOUND,
            "this link is not valid: it was used already or it expired; ask an admin for a new one",
        ));
    };
    let page = PasswordPage {
        layout: staff_layout(&state, "/staff/password", "Choose your password"),
        email,
        token: params.token.clone(),
        error: String::new(),
    };
    html(StatusCode::OK, &page)
}

/// `POST /staff/password`: `token`, `password`, `confirm`.
pub async fn set_password(request: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> PageResult {
    if let Err(message) = check_same_origin(&request) {
        return Ok(text(StatusCode::FORBIDDEN, message));
    }
    if check_rate(&state, &request).is_err() {
        return Ok(text(StatusCode::TOO_MANY_REQUESTS, "too many attempts; wait a minute"));
    }
    let fields = form_fields(&body);
    let value = |name: &str| fields.get(name).and_then(|v| v.first()).cloned().unwrap_or_default();
    let (token, password, confirm) = (value("token"), value("password"), value("confirm"));
    let hash = token_hash(&token);
    let now = chrono::Utc::now().timestamp();
    let problem = if password.chars().count() < MIN_PASSWORD_CHARS {
        Some(format!("the password needs at least {MIN_PASSWORD_CHARS} characters"))
    } else if password != confirm {
        Some("the two passwords are not the same".to_string())
    } else {
        None
    };
    if let Some(error) = problem {
        let store = Arc::clone(&state.store);
        let lookup = hash.clone();
        let Some(email) = super::blocking(move || store.password_link(&lookup, now)).await? else {
            return Ok(text(StatusCode::NOT_FOUND, "this link is not valid: it was used already or it expired"));
        };
        let page = PasswordPage {
            layout: staff_layout(&state, "/staff/password", "Choose your password"),
            email,
            token,
            error,
        };
        return html(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let store = Arc::clone(&state.store);
    let used = super::blocking(move || {
        let password_hash = hash_password(&password)?;
        let email = store.use_password_link(&hash, &password_hash, now)?;
        if let Some(email) = &email {
            store.audit(email, "staff.password_set", email, "", now)?;
        }
        Ok(email)
    })
    .await?;
    match used {
        Some(_) => Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, "/staff/login")).finish()),
        None => Ok(text(StatusCode::NOT_FOUND, "this link is not valid: it was used already or it expired")),
    }
}
