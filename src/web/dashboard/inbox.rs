//! The feedback inbox and resolving its items.

use super::*;

#[derive(Template)]
#[template(path = "staff_inbox.html")]
struct InboxPage {
    layout: Layout,
    frame: StaffFrame,
    items: Vec<FeedbackItem>,
    status: String,
    page_filter: String,
    page_options: Vec<(String, String)>,
}

/// `GET /staff/inbox?status=open|resolved|all&page=…`: every "No" with a reason or comment.
pub async fn inbox(request: HttpRequest, state: web::Data<AppState>, params: web::Query<PeriodParams>) -> PageResult {
    let session = staff_or_login!(request, state);
    let chosen = choose_period(&params, chrono::Utc::now().timestamp());
    let status = match params.status.as_deref() {
        Some("resolved") => "resolved",
        Some("all") => "all",
        _ => "open",
    };
    let resolved = match status {
        "resolved" => Some(true),
        "all" => None,
        _ => Some(false),
    };
    let page_filter = params.page.clone().filter(|p| !p.is_empty());
    let store = Arc::clone(&state.store);
    let filter = page_filter.clone();
    let votes = crate::web::blocking(move || store.inbox(filter.as_deref(), resolved, 500)).await?;
    let version = state.site.current();
    let catalog = catalog(&version.library, state.stale_after_days);
    let page = InboxPage {
        layout: staff_layout(&state, "/staff/inbox", "Feedback inbox"),
        frame: frame(&session, &chosen, "/staff/inbox", "inbox"),
        items: votes.iter().map(|v| feedback_item(v, &catalog, &chosen)).collect(),
        status: status.to_string(),
        page_filter: page_filter.unwrap_or_default(),
        page_options: catalog.iter().map(|(key, info)| (key.clone(), info.title.clone())).collect(),
    };
    staff_html(&page)
}

/// `POST /staff/inbox/{id}`: `action=resolve|reopen`, with the session's CSRF token.
pub async fn resolve(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> PageResult {
    let session = staff_or_login!(request, state);
    let fields = form_fields(&body);
    if let Err(response) = check_staff_post(&request, &session, &fields) {
        return Ok(*response);
    }
    let reopen = fields.get("action").and_then(|v| v.first()).is_some_and(|a| a == "reopen");
    let by = (!reopen).then(|| session.email.clone());
    let store = Arc::clone(&state.store);
    let id = id.into_inner();
    let found =
        crate::web::blocking(move || store.set_resolved(id, by.as_deref(), chrono::Utc::now().timestamp())).await?;
    if !found {
        return Ok(HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("no such feedback item\n"));
    }
    let back = fields
        .get("back")
        .and_then(|v| v.first())
        .filter(|b| b.starts_with("/staff/") && !b.contains("//"))
        .cloned()
        .unwrap_or_else(|| "/staff/inbox".into());
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, back)).finish())
}
