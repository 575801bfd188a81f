//! The audit log: every staff write, for admins.

use super::*;
use crate::store::staff::{AuditEntry, Role};

#[derive(Template)]
#[template(path = "staff_audit.html")]
struct AuditPage {
    layout: Layout,
    frame: StaffFrame,
    entries: Vec<AuditRow>,
}

struct AuditRow {
    when: String,
    who: String,
    action: String,
    target: String,
    detail: String,
}

/// Entries shown and exported.
const AUDIT_LIMIT: usize = 5_000;

/// Answers 403 unless the session is an admin's.
fn admin_only(session: &crate::store::staff::StaffSession) -> Option<HttpResponse> {
    (session.role < Role::Admin).then(|| {
        HttpResponse::Forbidden()
            .content_type("text/plain; charset=utf-8")
            .body(format!("the audit log is for admins; your account is a {}\n", session.role.as_str()))
    })
}

async fn entries(state: &AppState) -> Result<Vec<AuditEntry>, AppError> {
    let store = Arc::clone(&state.store);
    crate::web::blocking(move || store.audit_entries(AUDIT_LIMIT)).await
}

/// `GET /staff/audit`: who changed what, newest first.
pub async fn audit_log(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<PeriodParams>,
) -> PageResult {
    let session = staff_or_login!(request, state);
    if let Some(refused) = admin_only(&session) {
        return Ok(refused);
    }
    let chosen = choose_period(&params, chrono::Utc::now().timestamp());
    let rows = entries(&state)
        .await?
        .into_iter()
        .map(|e| AuditRow {
            when: when(e.at),
            who: e.staff_email,
            action: e.action,
            target: e.target,
            detail: e.detail,
        })
        .collect();
    let page = AuditPage {
        layout: staff_layout(&state, "/staff/audit", "Audit log"),
        frame: frame(&session, &chosen, "/staff/audit", "audit"),
        entries: rows,
    };
    staff_html(&page)
}

/// `GET /staff/export/audit.csv`.
pub async fn export_audit(request: HttpRequest, state: web::Data<AppState>) -> PageResult {
    let session = staff_or_login!(request, state);
    if let Some(refused) = admin_only(&session) {
        return Ok(refused);
    }
    let mut rows = vec![vec!["at".into(), "staff".into(), "action".into(), "target".into(), "detail".into()]];
    for entry in entries(&state).await? {
        let at = chrono::DateTime::from_timestamp(entry.at, 0).map(|t| t.to_rfc3339()).unwrap_or_default();
        rows.push(vec![at, entry.staff_email, entry.action, entry.target, entry.detail]);
    }
    super::exports::csv_response("audit.csv", rows)
}
