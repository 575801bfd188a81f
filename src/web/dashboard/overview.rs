//! The overview: KPIs with their change, votes per day, what to fix next, gaps, categories.

use super::*;

#[derive(Template)]
#[template(path = "staff_overview.html")]
struct OverviewPage {
    layout: Layout,
    frame: StaffFrame,
    kpis: Vec<Kpi>,
    trend_svg: String,
    trend: Vec<DayRow>,
    arrivals: Vec<ArrivalRow>,
    attention: Vec<PageRow>,
    gaps: Vec<QueryRow>,
    open_items: u64,
    categories: Vec<CategoryRow>,
    /// Page requests not counted as views (bots, scripts, prefetches).
    excluded_requests: u64,
}

/// One category's totals for the period.
pub struct CategoryRow {
    pub title: String,
    pub views: u64,
    pub votes: u64,
    pub helpful: String,
    pub effort: String,
    pub escalation_rate: String,
    pub deflections: u64,
}

/// `GET /staff`.
pub async fn overview(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<PeriodParams>,
) -> PageResult {
    let session = staff_or_login!(request, state);
    let PeriodData { chosen, rows, catalog } = period_data(&state, &params).await?;
    let scale = state.feedback.scale;
    let computed = compute(&rows, chosen.period, scale);
    let mut attention = page_rows(&catalog, &computed.pages, scale, &chosen);
    sort_rows(&mut attention, "attention", true);
    attention.retain(|r| r.sort_keys[10] > 0.0);
    attention.truncate(5);
    let period_votes: Vec<&VoteRow> = rows.votes.iter().filter(|v| chosen.period.contains(v.at)).collect();
    let (trend_svg, trend) = trend(period_votes.iter().copied(), chosen.period);
    let categories = metrics::grouped(&computed.pages, scale, |key| catalog.get(key).map(|i| i.category.clone()))
        .into_iter()
        .map(|(title, m)| CategoryRow {
            title,
            views: m.views,
            votes: m.votes(),
            helpful: percent(m.helpfulness.share()),
            effort: decimal(m.effort.mean()),
            escalation_rate: percent(m.escalation_rate()),
            deflections: m.deflections(),
        })
        .collect();
    let store = Arc::clone(&state.store);
    let (first_day, end_day) = (chosen.period.first_day(), chosen.period.end_day());
    let (open_items, excluded_requests) =
        crate::web::blocking(move || Ok((store.open_inbox_count()?, store.excluded_between(first_day, end_day)?)))
            .await?;
    let page = OverviewPage {
        layout: staff_layout(&state, "/staff", "Dashboard"),
        frame: frame(&session, &chosen, "/staff", "overview"),
        kpis: kpis(&computed.current, &computed.previous, &computed.search, &computed.previous_search),
        trend_svg,
        trend,
        arrivals: arrival_rows(period_votes.iter().copied(), scale),
        attention,
        gaps: query_rows(computed.search.top_zero_result(5)),
        open_items,
        categories,
        excluded_requests,
    };
    staff_html(&page)
}
