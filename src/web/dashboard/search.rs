//! The search report: top queries, content gaps, results that did not help.

use super::*;

#[derive(Template)]
#[template(path = "staff_search.html")]
struct SearchReportPage {
    layout: Layout,
    frame: StaffFrame,
    kpis: Vec<Kpi>,
    top: Vec<QueryRow>,
    gaps: Vec<QueryRow>,
    unhelpful: Vec<QueryRow>,
}

/// `GET /staff/search`.
pub async fn search_report(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<PeriodParams>,
) -> PageResult {
    let session = staff_or_login!(request, state);
    let chosen = choose_period(&params, chrono::Utc::now().timestamp());
    let rows = load_rows(&state, chosen.period).await?;
    let computed = compute(&rows, chosen.period, state.feedback.scale);
    let page = SearchReportPage {
        layout: staff_layout(&state, "/staff/search", "Search report"),
        frame: frame(&session, &chosen, "/staff/search", "search"),
        kpis: kpis(&computed.current, &computed.previous, &computed.search, &computed.previous_search)
            .into_iter()
            .skip(7)
            .collect(),
        top: query_rows(computed.search.top_queries(25)),
        gaps: query_rows(computed.search.top_zero_result(25)),
        unhelpful: query_rows(computed.search.unhelpful_clicks(25)),
    };
    staff_html(&page)
}
