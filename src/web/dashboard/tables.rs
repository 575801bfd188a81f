//! The sortable table of every page, and the needs-attention list.

use super::*;

#[derive(Template)]
#[template(path = "staff_pages.html")]
struct PagesPage {
    layout: Layout,
    frame: StaffFrame,
    headers: Vec<SortHeader>,
    rows: Vec<PageRow>,
    attention_only: bool,
}

/// `GET /staff/pages?sort=…&dir=…`: every page, sortable by every metric.
pub async fn pages_table(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<PeriodParams>,
) -> PageResult {
    render_table(request, state, params, false).await
}

/// `GET /staff/attention`: the pages to fix first.
pub async fn attention(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<PeriodParams>,
) -> PageResult {
    render_table(request, state, params, true).await
}

async fn render_table(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<PeriodParams>,
    attention_only: bool,
) -> PageResult {
    let session = staff_or_login!(request, state);
    let PeriodData { chosen, rows, catalog } = period_data(&state, &params).await?;
    let scale = state.feedback.scale;
    let pages = metrics::per_page(&rows.votes, &rows.counts, chosen.period, scale);
    let mut table = page_rows(&catalog, &pages, scale, &chosen);
    let (sort, descending) = if attention_only {
        ("attention".to_string(), true)
    } else {
        let sort = params.sort.clone().unwrap_or_else(|| "attention".into());
        let descending = params.dir.as_deref() != Some("asc");
        (sort, descending)
    };
    sort_rows(&mut table, &sort, descending);
    if attention_only {
        table.retain(|r| r.sort_keys[10] > 0.0);
    }
    let (path, current, title) = if attention_only {
        ("/staff/attention", "attention", "Needs attention")
    } else {
        ("/staff/pages", "pages", "Articles")
    };
    let page = PagesPage {
        layout: staff_layout(&state, path, title),
        frame: frame(&session, &chosen, path, current),
        headers: sort_headers(&chosen, &sort, descending),
        rows: table,
        attention_only,
    };
    staff_html(&page)
}
