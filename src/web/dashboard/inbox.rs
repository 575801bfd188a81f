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
    /// This list's address (filters and page number), where its forms come back to.
    here: String,
    /// What was just done here, shown where it happened, with its undo.
    notice: Option<Notice>,
    /// Position of the notice in `items` (before that item; at the end when past it).
    notice_at: usize,
    pages: Paging,
}

/// "Marked resolved", in place of the item(s), with a button that undoes it.
struct Notice {
    text: String,
    /// Undo sends these ids back with the opposite action.
    ids: Vec<i64>,
    undo_action: &'static str,
}

/// Which slice of the list is shown.
struct Paging {
    first: u64,
    last: u64,
    total: u64,
    previous_url: Option<String>,
    next_url: Option<String>,
}

/// Items per inbox page.
const PER_PAGE: u64 = 20;

#[derive(serde::Deserialize)]
pub struct InboxParams {
    status: Option<String>,
    page: Option<String>,
    /// 1-based page of the list.
    p: Option<u64>,
    /// Items just resolved or reopened (comma-separated ids) and how.
    done: Option<String>,
    action: Option<String>,
    /// The item that followed them, where the notice goes.
    next: Option<i64>,
}

/// `GET /staff/inbox?status=open|resolved|all&page=…&p=…`: every "No" with a reason
/// or comment, newest first, a page at a time.
pub async fn inbox(
    request: HttpRequest,
    state: web::Data<AppState>,
    period: web::Query<PeriodParams>,
    params: web::Query<InboxParams>,
) -> PageResult {
    let session = staff_or_login!(request, state);
    let chosen = choose_period(&period, chrono::Utc::now().timestamp());
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
    let done: Vec<i64> = params
        .done
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter_map(|id| id.parse().ok())
        .take(PER_PAGE as usize)
        .collect();
    let store = Arc::clone(&state.store);
    let filter = page_filter.clone();
    let wanted_page = params.p.unwrap_or(1).max(1);
    let first_done = done.first().copied();
    let (total, votes, done_vote) = crate::web::blocking(move || {
        let total = store.inbox_count(filter.as_deref(), resolved)?;
        let last_page = total.div_ceil(PER_PAGE).max(1);
        let offset = (wanted_page.min(last_page) - 1) * PER_PAGE;
        let votes = store.inbox(filter.as_deref(), resolved, PER_PAGE as usize, offset as usize)?;
        let done_vote = match first_done {
            Some(id) => store.vote(id)?,
            None => None,
        };
        Ok((total, votes, done_vote))
    })
    .await?;
    let last_page = total.div_ceil(PER_PAGE).max(1);
    let page_number = wanted_page.min(last_page);
    let version = state.site.current();
    let catalog = catalog(&version.library, state.stale_after_days);
    let list_url = |number: u64| {
        let mut url = format!("/staff/inbox?status={status}");
        if let Some(page) = &page_filter {
            url.push_str(&format!("&page={}", form_urlencoded::byte_serialize(page.as_bytes()).collect::<String>()));
        }
        if number > 1 {
            url.push_str(&format!("&p={number}"));
        }
        url
    };
    let mut items: Vec<FeedbackItem> = votes.iter().map(|v| feedback_item(v, &catalog, &chosen)).collect();
    link_next(&mut items);
    let notice = done_vote.map(|vote| {
        let reopened = params.action.as_deref() == Some("reopen");
        let title = catalog.get(&vote.page).map(|i| i.title.clone()).unwrap_or_else(|| vote.page.clone());
        let text = match (done.len(), reopened) {
            (1, false) => format!("Marked resolved: the feedback on “{title}”."),
            (1, true) => format!("Reopened: the feedback on “{title}”."),
            (n, false) => format!("Marked {n} items resolved."),
            (n, true) => format!("Reopened {n} items."),
        };
        Notice { text, ids: done.clone(), undo_action: if reopened { "resolve" } else { "reopen" } }
    });
    let notice_at = params.next.and_then(|next| items.iter().position(|i| i.id == next)).unwrap_or(items.len());
    let page = InboxPage {
        layout: staff_layout(&state, "/staff/inbox", "Feedback inbox"),
        frame: frame(&session, &chosen, "/staff/inbox", "inbox"),
        here: list_url(page_number),
        notice,
        notice_at,
        pages: Paging {
            first: if total == 0 { 0 } else { (page_number - 1) * PER_PAGE + 1 },
            last: ((page_number - 1) * PER_PAGE + items.len() as u64).min(total),
            total,
            previous_url: (page_number > 1).then(|| list_url(page_number - 1)),
            next_url: (page_number < last_page).then(|| list_url(page_number + 1)),
        },
        items,
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
    change_items(request, state, Some(id.into_inner()), body).await
}

/// `POST /staff/inbox/bulk`: `ids` (repeatable) and `action=resolve|reopen`: several
/// items at once, from the list's checkboxes or an undo.
pub async fn bulk(request: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> PageResult {
    change_items(request, state, None, body).await
}

/// Resolves or reopens `id` (or the form's `ids`), then goes back to the list the form
/// came from with a notice in the items' place.
async fn change_items(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: Option<i64>,
    body: web::Bytes,
) -> PageResult {
    let session = staff_or_login!(request, state);
    let fields = form_fields(&body);
    if let Err(response) = check_staff_write(&request, &session, &fields) {
        return Ok(*response);
    }
    let reopen = fields.get("action").and_then(|v| v.first()).is_some_and(|a| a == "reopen");
    let ids: Vec<i64> = match id {
        Some(id) => vec![id],
        None => fields.get("ids").into_iter().flatten().filter_map(|v| v.parse().ok()).take(500).collect(),
    };
    let back = fields
        .get("back")
        .and_then(|v| v.first())
        .filter(|b| b.starts_with("/staff/") && !b.contains("//") && !b.contains('#'))
        .cloned()
        .unwrap_or_else(|| "/staff/inbox".into());
    if ids.is_empty() {
        return Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, back)).finish());
    }
    let by = (!reopen).then(|| session.email.clone());
    let who = session.email.clone();
    let store = Arc::clone(&state.store);
    let changed_ids = ids.clone();
    let found = crate::web::blocking(move || {
        let at = chrono::Utc::now().timestamp();
        let mut found = 0;
        for id in &changed_ids {
            if store.set_resolved(*id, by.as_deref(), at)? {
                found += 1;
                let action = if reopen { "inbox.reopen" } else { "inbox.resolve" };
                store.audit(&who, action, &format!("feedback {id}"), "", at)?;
            }
        }
        Ok(found)
    })
    .await?;
    if found == 0 {
        return Ok(HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("no such feedback item\n"));
    }
    let mut location = back;
    if location.starts_with("/staff/inbox") {
        let done: Vec<String> = ids.iter().map(i64::to_string).collect();
        location.push(if location.contains('?') { '&' } else { '?' });
        location.push_str(&format!("done={}&action={}", done.join(","), if reopen { "reopen" } else { "resolve" }));
        if let Some(next) = fields.get("next").and_then(|v| v.first()).and_then(|n| n.parse::<i64>().ok()) {
            location.push_str(&format!("&next={next}"));
        }
        location.push_str("#inbox-notice");
    }
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish())
}
