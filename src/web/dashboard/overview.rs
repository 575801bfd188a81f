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
    /// Hours with unusually many votes on one page.
    bursts: Vec<BurstRow>,
    /// Windows of votes staff excluded.
    windows: Vec<WindowRow>,
    /// Votes of the period and the one before left out by those windows.
    excluded_votes: u64,
}

/// An hour of unusual voting, with what excluding it would send.
pub struct BurstRow {
    pub title: String,
    pub page: String,
    pub hour: String,
    pub from: i64,
    pub to: i64,
    pub votes: u64,
    pub helpful: String,
    pub usual: String,
}

/// A window of excluded votes.
pub struct WindowRow {
    pub id: i64,
    pub title: String,
    pub span: String,
    pub by: String,
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
    let title_of = |page: &str| catalog.get(page).map_or_else(|| page.to_string(), |info| info.title.clone());
    let bursts = metrics::bursts(&rows.votes, chosen.period)
        .into_iter()
        .take(10)
        .map(|burst| BurstRow {
            title: title_of(&burst.page),
            page: burst.page.clone(),
            hour: when(burst.hour),
            from: burst.hour,
            to: burst.hour + 3_600,
            votes: burst.votes,
            helpful: format!("{} of {}", burst.helpful, burst.votes),
            usual: format!("{:.1}", burst.baseline_per_hour),
        })
        .collect();
    let windows = rows
        .windows
        .iter()
        .map(|window| WindowRow {
            id: window.id,
            title: title_of(&window.page),
            span: format!("{} to {}", when(window.from), when(window.to)),
            by: window.by.clone(),
        })
        .collect();
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
        bursts,
        windows,
        excluded_votes: rows.excluded_votes,
    };
    staff_html(&page)
}

/// `POST /staff/exclude`: leaves the votes of a page in `[from, to)` out of the metrics.
pub async fn exclude_window(request: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> PageResult {
    let session = staff_or_login!(request, state);
    let fields = form_fields(&body);
    if let Err(response) = check_staff_write(&request, &session, &fields) {
        return Ok(*response);
    }
    let value = |name: &str| fields.get(name).and_then(|v| v.first()).cloned().unwrap_or_default();
    let (page, from, to) = (value("page"), value("from").parse::<i64>(), value("to").parse::<i64>());
    let (Ok(from), Ok(to)) = (from, to) else {
        return Ok(HttpResponse::BadRequest()
            .content_type("text/plain; charset=utf-8")
            .body("from and to must be unix times\n"));
    };
    if page.is_empty() || to <= from || to - from > 7 * 86_400 {
        return Ok(HttpResponse::BadRequest()
            .content_type("text/plain; charset=utf-8")
            .body("a window names a page and at most 7 days\n"));
    }
    let store = Arc::clone(&state.store);
    let by = session.email.clone();
    crate::web::blocking(move || {
        let now = chrono::Utc::now().timestamp();
        store.exclude_window(&page, from, to, &by, now)?;
        store.audit(&by, "votes.exclude", &page, &format!("from {from} to {to}"), now)
    })
    .await?;
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, "/staff#bursts-heading")).finish())
}

/// `POST /staff/include`: counts the votes of an excluded window again.
pub async fn include_window(request: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> PageResult {
    let session = staff_or_login!(request, state);
    let fields = form_fields(&body);
    if let Err(response) = check_staff_write(&request, &session, &fields) {
        return Ok(*response);
    }
    let Some(id) = fields.get("id").and_then(|v| v.first()).and_then(|v| v.parse::<i64>().ok()) else {
        return Ok(HttpResponse::BadRequest().content_type("text/plain; charset=utf-8").body("id is missing\n"));
    };
    let store = Arc::clone(&state.store);
    let by = session.email.clone();
    crate::web::blocking(move || {
        store.include_window(id)?;
        store.audit(&by, "votes.include", &format!("window {id}"), "", chrono::Utc::now().timestamp())
    })
    .await?;
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, "/staff#bursts-heading")).finish())
}
