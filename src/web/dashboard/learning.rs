//! What search learned from votes, and staff decisions on it.

use super::*;

/// A learned pairing, formatted.
pub struct PairingRow {
    pub query: String,
    pub page_key: String,
    pub page_title: String,
    pub helpful: String,
    pub unhelpful: String,
    pub multiplier: String,
    pub state: &'static str,
}

#[derive(Template)]
#[template(path = "staff_learning.html")]
struct LearningPage {
    layout: Layout,
    frame: StaffFrame,
    rows: Vec<PairingRow>,
    min_outcomes: f64,
    max_multiplier: f64,
    half_life_days: f64,
}

/// `GET /staff/learning`: what search learned from votes, with staff decisions.
pub async fn learning(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<PeriodParams>,
) -> PageResult {
    use crate::feedback::learning::{self as learned, Override};
    let session = staff_or_login!(request, state);
    let chosen = choose_period(&params, chrono::Utc::now().timestamp());
    let current = state.learned.load();
    let version = state.site.current();
    let catalog = catalog(&version.library, state.stale_after_days);
    let rows = current
        .pairings
        .iter()
        .map(|p| PairingRow {
            query: p.normalized.clone(),
            page_key: p.page.clone(),
            page_title: catalog.get(&p.page).map(|i| i.title.clone()).unwrap_or_else(|| p.page.clone()),
            helpful: format!("{} ({:.1} weighted)", p.helpful_count, p.helpful),
            unhelpful: format!("{} ({:.1} weighted)", p.unhelpful_count, p.unhelpful),
            multiplier: format!("×{:.2}", p.multiplier),
            state: match p.staff {
                Some(Override::Pin) => "pinned",
                Some(Override::Remove) => "removed",
                None if (p.multiplier - 1.0).abs() > 1e-9 => "learned",
                None => "not enough evidence",
            },
        })
        .collect();
    let page = LearningPage {
        layout: staff_layout(&state, "/staff/learning", "Learned search"),
        frame: frame(&session, &chosen, "/staff/learning", "learning"),
        rows,
        min_outcomes: learned::MIN_OUTCOMES,
        max_multiplier: learned::MAX_MULTIPLIER,
        half_life_days: learned::HALF_LIFE_DAYS,
    };
    staff_html(&page)
}

/// `POST /staff/learning`: `query`, `page`, `decision=pin|remove|reset`, with the CSRF token.
pub async fn decide_learning(request: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> PageResult {
    use crate::feedback::learning::Override;
    let session = staff_or_login!(request, state);
    let fields = form_fields(&body);
    if let Err(response) = check_staff_write(&request, &session, &fields) {
        return Ok(*response);
    }
    let value = |name: &str| fields.get(name).and_then(|v| v.first()).cloned().unwrap_or_default();
    let (query, page, decision) = (value("query"), value("page"), value("decision"));
    let decision = match decision.as_str() {
        "reset" => None,
        other => match Override::parse(other) {
            Some(decision) => Some(decision),
            None => {
                return Ok(HttpResponse::BadRequest()
                    .content_type("text/plain; charset=utf-8")
                    .body("decision must be pin, remove or reset\n"))
            }
        },
    };
    if query.is_empty() || page.is_empty() {
        return Ok(HttpResponse::BadRequest()
            .content_type("text/plain; charset=utf-8")
            .body("query and page are required\n"));
    }
    let store = Arc::clone(&state.store);
    let learned = Arc::clone(&state.learned);
    let by = session.email.clone();
    crate::web::blocking(move || {
        let now = chrono::Utc::now().timestamp();
        store.set_learned_override(&query, &page, decision, &by, now)?;
        let decided = decision.map(|d| d.as_str()).unwrap_or("reset");
        store.audit(&by, &format!("search.{decided}"), &page, &format!("for “{query}”"), now)?;
        crate::web::refresh_learning(&store, &learned);
        Ok(())
    })
    .await?;
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, "/staff/learning")).finish())
}
