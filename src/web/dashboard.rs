//! The staff dashboard (`/staff/…`): overview, page table, page detail, search report,
//! needs-attention list, feedback inbox, CSV exports and the JSON metrics API.
//!
//! Handlers load the period's rows off the executor, compute with
//! [`crate::feedback::metrics`] and fill the page structs; numbers are formatted here.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, NaiveDate};

use super::charts::{self, Bar};
use super::feedback::form_fields;
use super::pages::Layout;
use super::response::AppError;
use super::staff::{check_staff_post, session, staff_layout, to_login};
use super::AppState;
use crate::content::Library;
use crate::feedback::metrics::{self, Attention, Metrics, Period, SearchReport};
use crate::feedback::{Arrival, DailyCounts, EffortScale, FeedbackStore, Reason, SearchOutcome, VoteRow};
use crate::store::staff::StaffSession;

type PageResult = Result<HttpResponse, AppError>;

/// Signs the request in or answers with the redirect to the login form.
macro_rules! staff_or_login {
    ($request:expr, $state:expr) => {
        match session(&$request, &$state).await? {
            Some(session) => session,
            None => return Ok(to_login(&$request)),
        }
    };
}

// ---------------------------------------------------------------- periods

/// `?days=7|30|90` or `?from=YYYY-MM-DD&to=YYYY-MM-DD`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct PeriodParams {
    days: Option<i64>,
    from: Option<String>,
    to: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    key: Option<String>,
    page: Option<String>,
    status: Option<String>,
}

/// The chosen period and how it is written in links.
struct Chosen {
    period: Period,
    label: String,
    query: String,
    days: i64,
    from: String,
    to: String,
}

fn date_of_day(day: i64) -> String {
    DateTime::from_timestamp(day * 86_400, 0).map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

fn day_of_date(text: &str) -> Option<i64> {
    let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp().div_euclid(86_400))
}

fn choose_period(params: &PeriodParams, now: i64) -> Chosen {
    if let (Some(from), Some(to)) = (params.from.as_deref(), params.to.as_deref()) {
        if let (Some(first), Some(last)) = (day_of_date(from), day_of_date(to)) {
            let (first, last) = (first.min(last), first.max(last));
            let last = last.min(first + 3_660);
            return Chosen {
                period: Period::days(first, last),
                label: format!("{} to {}", date_of_day(first), date_of_day(last)),
                query: format!("from={}&to={}", date_of_day(first), date_of_day(last)),
                days: 0,
                from: date_of_day(first),
                to: date_of_day(last),
            };
        }
    }
    let days = params.days.filter(|d| [7, 30, 90].contains(d)).unwrap_or(30);
    let period = Period::last_days(days, now);
    Chosen {
        period,
        label: format!("Last {days} days"),
        query: format!("days={days}"),
        days,
        from: date_of_day(period.first_day()),
        to: date_of_day(period.end_day() - 1),
    }
}

// ---------------------------------------------------------------- data

/// What the dashboard knows about a page of the help center.
struct PageInfo {
    title: String,
    url: String,
    category: String,
    stale: bool,
    revision: String,
}

fn catalog(library: &Library, stale_after_days: i64) -> BTreeMap<String, PageInfo> {
    let today = chrono::Utc::now().date_naive();
    let mut pages = BTreeMap::new();
    for article in library.published() {
        let reviewed = article.reviewed.unwrap_or(article.updated);
        if let Some(target) = super::feedback::target(library, &article.slug) {
            pages.insert(
                article.slug.clone(),
                PageInfo {
                    title: article.title.clone(),
                    url: article.url(),
                    category: library.categories[article.category].title.clone(),
                    stale: (today - reviewed).num_days() > stale_after_days,
                    revision: target.revision,
                },
            );
        }
    }
    for faq in library.published_faqs() {
        for question in &faq.questions {
            let key = format!("{}#{}", faq.slug, question.id);
            if let Some(target) = super::feedback::target(library, &key) {
                pages.insert(
                    key,
                    PageInfo {
                        title: question.question.clone(),
                        url: target.url,
                        category: library.categories[faq.category].title.clone(),
                        stale: false,
                        revision: target.revision,
                    },
                );
            }
        }
    }
    pages
}

/// The rows of a period and of the period before it.
struct Rows {
    votes: Vec<VoteRow>,
    counts: Vec<DailyCounts>,
    searches: Vec<SearchOutcome>,
}

async fn load_rows(state: &AppState, period: Period) -> Result<Rows, AppError> {
    let previous = period.previous();
    let store = Arc::clone(&state.store);
    super::blocking(move || {
        Ok(Rows {
            votes: store.votes_between(previous.from, period.to)?,
            counts: store.counts_between(previous.first_day(), period.end_day())?,
            searches: store.searches_between(previous.from, period.to)?,
        })
    })
    .await
}

// ---------------------------------------------------------------- formatting

fn percent(value: Option<f64>) -> String {
    value.map(|v| format!("{:.0}%", v * 100.0)).unwrap_or_else(|| "–".into())
}

fn decimal(value: Option<f64>) -> String {
    value.map(|v| format!("{v:.2}")).unwrap_or_else(|| "–".into())
}

fn signed_points(current: Option<f64>, previous: Option<f64>) -> String {
    match (current, previous) {
        (Some(c), Some(p)) => format!("{:+.0} pts", (c - p) * 100.0),
        _ => String::new(),
    }
}

fn signed_count(current: u64, previous: u64) -> String {
    let delta = current as i64 - previous as i64;
    match previous {
        0 if current == 0 => String::new(),
        0 => format!("{delta:+}"),
        _ => format!("{delta:+} ({:+.0}%)", delta as f64 / previous as f64 * 100.0),
    }
}

fn when(unix: i64) -> String {
    DateTime::from_timestamp(unix, 0).map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
}

// ---------------------------------------------------------------- shared views

/// One headline number with its change against the previous period.
pub struct Kpi {
    pub label: &'static str,
    pub value: String,
    pub change: String,
    pub help: &'static str,
}

/// One row of the page table.
pub struct PageRow {
    pub title: String,
    pub category: String,
    pub detail_url: String,
    pub views: u64,
    pub votes: u64,
    pub helpful: String,
    pub wilson: String,
    pub effort: String,
    pub net_easy: String,
    pub escalation_rate: String,
    pub deflections: u64,
    pub comments: u64,
    pub attention: String,
    pub attention_reasons: String,
    sort_keys: [f64; 11],
}

const SORT_COLUMNS: [(&str, &str); 11] = [
    ("title", "Page"),
    ("views", "Views"),
    ("votes", "Votes"),
    ("helpful", "Helpful"),
    ("wilson", "Wilson (95%)"),
    ("effort", "Mean effort"),
    ("net-easy", "Net easy"),
    ("escalation", "Escalation rate"),
    ("deflections", "Deflections"),
    ("comments", "Comments"),
    ("attention", "Attention"),
];

fn detail_url(key: &str, chosen: &Chosen) -> String {
    format!("/staff/page?key={}&{}", super::search::encode(key), chosen.query)
}

fn page_row(key: &str, info: Option<&PageInfo>, m: &Metrics, attention: &Attention, chosen: &Chosen) -> PageRow {
    let mut reasons = Vec::new();
    if attention.unhelpful > 0.0 {
        reasons.push(format!("unhelpful ≥ {}", percent(Some(attention.unhelpful))));
    }
    if attention.difficult > 0.0 {
        reasons.push(format!("difficult ≥ {}", percent(Some(attention.difficult))));
    }
    if attention.escalating > 0.0 {
        reasons.push(format!("escalates ≥ {}", percent(Some(attention.escalating))));
    }
    if attention.stale {
        reasons.push("review overdue".to_string());
    }
    let missing = -1.0;
    PageRow {
        title: info.map(|i| i.title.clone()).unwrap_or_else(|| format!("{key} (removed)")),
        category: info.map(|i| i.category.clone()).unwrap_or_default(),
        detail_url: detail_url(key, chosen),
        views: m.views,
        votes: m.votes(),
        helpful: percent(m.helpfulness.share()),
        wilson: if m.votes() > 0 { format!("{:.2}", m.helpfulness.wilson()) } else { "–".into() },
        effort: decimal(m.effort.mean()),
        net_easy: m.effort.net_easy().map(|v| format!("{:+.0}", v * 100.0)).unwrap_or_else(|| "–".into()),
        escalation_rate: percent(m.escalation_rate()),
        deflections: m.deflections(),
        comments: m.comments,
        attention: format!("{:.2}", attention.score),
        attention_reasons: reasons.join(", "),
        sort_keys: [
            0.0,
            m.views as f64,
            m.votes() as f64,
            m.helpfulness.share().unwrap_or(missing),
            if m.votes() > 0 { m.helpfulness.wilson() } else { missing },
            m.effort.mean().unwrap_or(missing),
            m.effort.net_easy().unwrap_or(-2.0),
            m.escalation_rate().unwrap_or(missing),
            m.deflections() as f64,
            m.comments as f64,
            attention.score,
        ],
    }
}

/// Every published page (and removed pages that still have numbers), with metrics.
fn page_rows(
    catalog: &BTreeMap<String, PageInfo>,
    pages: &BTreeMap<String, Metrics>,
    scale: EffortScale,
    chosen: &Chosen,
) -> Vec<PageRow> {
    let empty = Metrics::new(scale);
    let keys: std::collections::BTreeSet<&String> = catalog.keys().chain(pages.keys()).collect();
    keys.into_iter()
        .map(|key| {
            let info = catalog.get(key);
            let m = pages.get(key).unwrap_or(&empty);
            let attention = metrics::attention(m, info.is_some_and(|i| i.stale));
            page_row(key, info, m, &attention, chosen)
        })
        .collect()
}

fn sort_rows(rows: &mut [PageRow], sort: &str, descending: bool) {
    let column = SORT_COLUMNS.iter().position(|(key, _)| *key == sort).unwrap_or(10);
    if column == 0 {
        rows.sort_by_key(|row| row.title.to_lowercase());
    } else {
        rows.sort_by(|a, b| a.sort_keys[column].total_cmp(&b.sort_keys[column]).then_with(|| a.title.cmp(&b.title)));
    }
    if descending {
        rows.reverse();
    }
}

/// A column header link that sorts by it (toggling direction when already sorted).
pub struct SortHeader {
    pub label: &'static str,
    pub url: String,
    /// `ascending`, `descending` or `none`, for `aria-sort`.
    pub aria_sort: &'static str,
}

fn sort_headers(chosen: &Chosen, sort: &str, descending: bool) -> Vec<SortHeader> {
    SORT_COLUMNS
        .iter()
        .map(|&(key, label)| {
            let active = key == sort;
            let next_dir = if active && descending {
                "asc"
            } else if active {
                "desc"
            } else if key == "title" {
                "asc"
            } else {
                "desc"
            };
            SortHeader {
                label,
                url: format!("/staff/pages?{}&sort={key}&dir={next_dir}", chosen.query),
                aria_sort: match (active, descending) {
                    (false, _) => "none",
                    (true, true) => "descending",
                    (true, false) => "ascending",
                },
            }
        })
        .collect()
}

/// Helpfulness and effort for one way of arriving.
pub struct ArrivalRow {
    pub arrival: &'static str,
    pub votes: u64,
    pub helpful: String,
    pub effort: String,
}

fn arrival_rows<'a>(votes: impl IntoIterator<Item = &'a VoteRow>, scale: EffortScale) -> Vec<ArrivalRow> {
    metrics::by_arrival(votes, scale)
        .into_iter()
        .map(|(arrival, m)| ArrivalRow {
            arrival: match arrival {
                Arrival::Search => "From search",
                Arrival::Browse => "Browsing",
                Arrival::Direct => "Direct or external",
            },
            votes: m.votes(),
            helpful: percent(m.helpfulness.share()),
            effort: decimal(m.effort.mean()),
        })
        .collect()
}

/// One day's votes, for the trend table next to the chart.
pub struct DayRow {
    pub date: String,
    pub yes: u64,
    pub no: u64,
}

fn trend<'a>(votes: impl IntoIterator<Item = &'a VoteRow>, period: Period) -> (String, Vec<DayRow>) {
    let days = metrics::daily_votes(votes, period);
    let bars: Vec<Bar> = days
        .iter()
        .map(|(day, h)| Bar { label: date_of_day(*day), parts: vec![(h.yes, "bar-yes"), (h.no, "bar-no")] })
        .collect();
    let total: u64 = days.iter().map(|(_, h)| h.votes()).sum();
    let svg = charts::bars(
        &bars,
        &format!("Helpful and unhelpful votes per day, {total} in all; the table below has the numbers"),
    );
    let rows = days.into_iter().map(|(day, h)| DayRow { date: date_of_day(day), yes: h.yes, no: h.no }).collect();
    (svg, rows)
}

/// A search group, formatted.
pub struct QueryRow {
    pub example: String,
    pub normalized: String,
    pub searches: u64,
    pub zero_results: u64,
    pub clicks: u64,
    pub unhelpful_clicks: u64,
    pub search_url: String,
}

fn query_rows(groups: Vec<&metrics::QueryGroup>) -> Vec<QueryRow> {
    groups
        .into_iter()
        .map(|g| QueryRow {
            example: g.example.clone(),
            normalized: g.normalized.clone(),
            searches: g.searches,
            zero_results: g.zero_results,
            clicks: g.clicks,
            unhelpful_clicks: g.unhelpful_clicks,
            search_url: format!("/search?q={}", super::search::encode(&g.example)),
        })
        .collect()
}

/// The period picker and staff navigation, shared by every dashboard page.
pub struct StaffFrame {
    pub email: String,
    pub csrf: String,
    pub period_label: String,
    pub period_query: String,
    pub days: i64,
    pub from: String,
    pub to: String,
    /// Path of the current page, for the period form.
    pub path: &'static str,
    pub current: &'static str,
}

fn frame(session: &StaffSession, chosen: &Chosen, path: &'static str, current: &'static str) -> StaffFrame {
    StaffFrame {
        email: session.email.clone(),
        csrf: session.csrf.clone(),
        period_label: chosen.label.clone(),
        period_query: chosen.query.clone(),
        days: chosen.days,
        from: chosen.from.clone(),
        to: chosen.to.clone(),
        path,
        current,
    }
}

fn staff_html(template: &impl Template) -> PageResult {
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(template.render()?))
}

// ---------------------------------------------------------------- overview

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
    open_items: usize,
    categories: Vec<CategoryRow>,
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

fn kpis(current: &Metrics, previous: &Metrics, search: &SearchReport, previous_search: &SearchReport) -> Vec<Kpi> {
    vec![
        Kpi {
            label: "Page views",
            value: current.views.to_string(),
            change: signed_count(current.views, previous.views),
            help: "Views of articles and FAQ pages by people (crawlers are not counted).",
        },
        Kpi {
            label: "Votes",
            value: current.votes().to_string(),
            change: signed_count(current.votes(), previous.votes()),
            help: "Current helpfulness votes; a changed vote counts once.",
        },
        Kpi {
            label: "Helpful (CSAT)",
            value: percent(current.helpfulness.share()),
            change: signed_points(current.helpfulness.share(), previous.helpfulness.share()),
            help: "Yes votes ÷ all votes.",
        },
        Kpi {
            label: "Customer effort",
            value: decimal(current.effort.mean()),
            change: match (current.effort.mean(), previous.effort.mean()) {
                (Some(c), Some(p)) => format!("{:+.2}", c - p),
                _ => String::new(),
            },
            help: "Mean answer, 1 = very easy; lower is better.",
        },
        Kpi {
            label: "Net easy",
            value: current.effort.net_easy().map(|v| format!("{:+.0}", v * 100.0)).unwrap_or_else(|| "–".into()),
            change: signed_points(current.effort.net_easy(), previous.effort.net_easy()),
            help: "Share of easy answers minus share of difficult ones, in points.",
        },
        Kpi {
            label: "Escalation rate",
            value: percent(current.escalation_rate()),
            change: signed_points(current.escalation_rate(), previous.escalation_rate()),
            help: "Contact-support clicks ÷ page views; lower is better.",
        },
        Kpi {
            label: "Self-service (deflections)",
            value: current.deflections().to_string(),
            change: signed_count(current.deflections(), previous.deflections()),
            help: "Page views that did not go on to contact support: an estimate.",
        },
        Kpi {
            label: "Searches",
            value: search.searches.to_string(),
            change: signed_count(search.searches, previous_search.searches),
            help: "Searches run on the results page or picked from suggestions.",
        },
        Kpi {
            label: "Zero-result rate",
            value: percent(search.zero_result_rate()),
            change: signed_points(search.zero_result_rate(), previous_search.zero_result_rate()),
            help: "Searches that found nothing; see the search report for what to write.",
        },
        Kpi {
            label: "Search click-through",
            value: percent(search.click_through_rate()),
            change: signed_points(search.click_through_rate(), previous_search.click_through_rate()),
            help: "Searches where a result was opened.",
        },
    ]
}

struct Computed {
    pages: BTreeMap<String, Metrics>,
    previous_pages: BTreeMap<String, Metrics>,
    current: Metrics,
    previous: Metrics,
    search: SearchReport,
    previous_search: SearchReport,
}

fn compute(rows: &Rows, period: Period, scale: EffortScale) -> Computed {
    let previous_period = period.previous();
    let pages = metrics::per_page(&rows.votes, &rows.counts, period, scale);
    let previous_pages = metrics::per_page(&rows.votes, &rows.counts, previous_period, scale);
    let in_period = |s: &&SearchOutcome| period.contains(s.at);
    let in_previous = |s: &&SearchOutcome| previous_period.contains(s.at);
    let searches: Vec<SearchOutcome> = rows.searches.iter().filter(in_period).cloned().collect();
    let previous_searches: Vec<SearchOutcome> = rows.searches.iter().filter(in_previous).cloned().collect();
    Computed {
        current: metrics::total(&pages, scale),
        previous: metrics::total(&previous_pages, scale),
        search: metrics::search_report(&searches, &rows.votes),
        previous_search: metrics::search_report(&previous_searches, &rows.votes),
        pages,
        previous_pages,
    }
}

/// `GET /staff`.
pub async fn overview(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<PeriodParams>,
) -> PageResult {
    let session = staff_or_login!(request, state);
    let chosen = choose_period(&params, chrono::Utc::now().timestamp());
    let rows = load_rows(&state, chosen.period).await?;
    let scale = state.feedback.scale;
    let computed = compute(&rows, chosen.period, scale);
    let version = state.site.current();
    let catalog = catalog(&version.library, state.stale_after_days);
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
    let open_items = super::blocking(move || store.inbox(None, Some(false), 1_000)).await?.len();
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
    };
    staff_html(&page)
}

// ---------------------------------------------------------------- pages table

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
    let chosen = choose_period(&params, chrono::Utc::now().timestamp());
    let rows = load_rows(&state, chosen.period).await?;
    let scale = state.feedback.scale;
    let pages = metrics::per_page(&rows.votes, &rows.counts, chosen.period, scale);
    let version = state.site.current();
    let catalog = catalog(&version.library, state.stale_after_days);
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

// ---------------------------------------------------------------- one page

/// A vote with a reason or comment, formatted.
pub struct FeedbackItem {
    pub id: i64,
    pub page_title: String,
    pub page_detail_url: String,
    pub when: String,
    pub helpful: bool,
    pub effort: String,
    pub reasons: String,
    pub comment: String,
    pub arrival: &'static str,
    pub resolved: String,
}

fn feedback_item(vote: &VoteRow, catalog: &BTreeMap<String, PageInfo>, chosen: &Chosen) -> FeedbackItem {
    FeedbackItem {
        id: vote.id,
        page_title: catalog.get(&vote.page).map(|i| i.title.clone()).unwrap_or_else(|| vote.page.clone()),
        page_detail_url: detail_url(&vote.page, chosen),
        when: when(vote.at),
        helpful: vote.helpful,
        effort: vote.effort.map(|e| format!("{e} of {}", vote.scale.points)).unwrap_or_default(),
        reasons: vote.reasons.iter().map(|r| r.label()).collect::<Vec<_>>().join("; "),
        comment: vote.comment.clone().unwrap_or_default(),
        arrival: vote.arrival.as_str(),
        resolved: match (&vote.resolved_by, vote.resolved_at) {
            (Some(by), Some(at)) => format!("Resolved by {by}, {}", when(at)),
            _ => String::new(),
        },
    }
}

/// Before/after an edit, formatted.
pub struct EditComparison {
    pub changed: String,
    pub before_votes: u64,
    pub before_helpful: String,
    pub before_effort: String,
    pub after_votes: u64,
    pub after_helpful: String,
    pub after_effort: String,
}

#[derive(Template)]
#[template(path = "staff_page.html")]
struct PageDetail {
    layout: Layout,
    frame: StaffFrame,
    title: String,
    url: String,
    key: String,
    kpis: Vec<Kpi>,
    trend_svg: String,
    trend: Vec<DayRow>,
    effort_svg: String,
    effort: Vec<(String, u64)>,
    reasons: Vec<(&'static str, u64)>,
    arrivals: Vec<ArrivalRow>,
    edit: Option<EditComparison>,
    items: Vec<FeedbackItem>,
    inbox_url: String,
}

/// `GET /staff/page?key=…`: one article or FAQ answer.
pub async fn page_detail(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<PeriodParams>,
) -> PageResult {
    let session = staff_or_login!(request, state);
    let chosen = choose_period(&params, chrono::Utc::now().timestamp());
    let key = params.key.clone().unwrap_or_default();
    let version = state.site.current();
    let catalog = catalog(&version.library, state.stale_after_days);
    let rows = load_rows(&state, chosen.period).await?;
    let store = Arc::clone(&state.store);
    let lookup = key.clone();
    let all_votes = super::blocking(move || store.votes_of(&lookup, 100_000)).await?;
    if !catalog.contains_key(&key) && all_votes.is_empty() {
        return Ok(HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("no such page\n"));
    }
    let scale = state.feedback.scale;
    let computed = compute(&rows, chosen.period, scale);
    let empty = Metrics::new(scale);
    let current = computed.pages.get(&key).unwrap_or(&empty);
    let previous = computed.previous_pages.get(&key).unwrap_or(&empty);
    let period_votes: Vec<&VoteRow> = all_votes.iter().filter(|v| chosen.period.contains(v.at)).collect();
    let (trend_svg, trend) = trend(period_votes.iter().copied(), chosen.period);
    let effort: Vec<(String, u64)> =
        current.effort.distribution.iter().enumerate().map(|(i, n)| ((i + 1).to_string(), *n)).collect();
    let effort_bars: Vec<Bar> =
        effort.iter().map(|(label, n)| Bar { label: label.clone(), parts: vec![(*n, "bar-effort")] }).collect();
    let effort_svg = charts::bars(
        &effort_bars,
        &format!("Effort answers from 1 (very easy) to {} (very difficult); the table has the numbers", scale.points),
    );
    let mut reason_counts: HashMap<Reason, u64> = HashMap::new();
    for vote in &period_votes {
        for reason in &vote.reasons {
            *reason_counts.entry(*reason).or_default() += 1;
        }
    }
    let reasons = Reason::ALL.iter().map(|r| (r.label(), reason_counts.get(r).copied().unwrap_or(0))).collect();
    let info = catalog.get(&key);
    let edit = info.and_then(|info| {
        let all: Vec<&VoteRow> = all_votes.iter().collect();
        metrics::before_after(&all, &info.revision, scale).map(|split| EditComparison {
            changed: when(split.changed_at),
            before_votes: split.before.votes(),
            before_helpful: percent(split.before.helpfulness.share()),
            before_effort: decimal(split.before.effort.mean()),
            after_votes: split.after.votes(),
            after_helpful: percent(split.after.helpfulness.share()),
            after_effort: decimal(split.after.effort.mean()),
        })
    });
    let items = all_votes
        .iter()
        .filter(|v| v.comment.is_some() || !v.reasons.is_empty())
        .take(20)
        .map(|v| feedback_item(v, &catalog, &chosen))
        .collect();
    let title = info.map(|i| i.title.clone()).unwrap_or_else(|| format!("{key} (removed)"));
    let empty_search = SearchReport::default();
    let page = PageDetail {
        layout: staff_layout(&state, "/staff/page", &title),
        frame: frame(&session, &chosen, "/staff/page", "pages"),
        url: info.map(|i| i.url.clone()).unwrap_or_default(),
        inbox_url: format!("/staff/inbox?page={}", super::search::encode(&key)),
        key,
        title,
        kpis: kpis(current, previous, &empty_search, &empty_search).into_iter().take(7).collect(),
        trend_svg,
        trend,
        effort_svg,
        effort,
        reasons,
        arrivals: arrival_rows(period_votes.iter().copied(), scale),
        edit,
        items,
    };
    staff_html(&page)
}

// ---------------------------------------------------------------- search report

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

// ---------------------------------------------------------------- inbox

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
    let votes = super::blocking(move || store.inbox(filter.as_deref(), resolved, 500)).await?;
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
    let found = super::blocking(move || store.set_resolved(id, by.as_deref(), chrono::Utc::now().timestamp())).await?;
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

// ---------------------------------------------------------------- exports

/// A CSV cell that a spreadsheet will not run as a formula.
fn cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) && value.parse::<f64>().is_err() {
        format!("'{value}")
    } else {
        value.to_string()
    }
}

fn csv_response(name: &str, rows: Vec<Vec<String>>) -> PageResult {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.write_record(row.iter().map(|v| cell(v)))?;
    }
    let bytes = writer.into_inner().map_err(|e| anyhow::anyhow!("csv: {e}"))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes))
}

/// `GET /staff/export/feedback.csv`: the period's raw votes.
pub async fn export_feedback(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<PeriodParams>,
) -> PageResult {
    let _session = staff_or_login!(request, state);
    let chosen = choose_period(&params, chrono::Utc::now().timestamp());
    let store = Arc::clone(&state.store);
    let period = chosen.period;
    let votes = super::blocking(move || store.votes_between(period.from, period.to)).await?;
    let version = state.site.current();
    let catalog = catalog(&version.library, state.stale_after_days);
    let mut rows = vec![[
        "id",
        "page",
        "title",
        "helpful",
        "effort",
        "effort_scale_points",
        "effort_low_is_easy",
        "reasons",
        "comment",
        "revision",
        "arrival",
        "at",
        "resolved_by",
        "resolved_at",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect::<Vec<String>>()];
    for vote in votes {
        rows.push(vec![
            vote.id.to_string(),
            vote.page.clone(),
            catalog.get(&vote.page).map(|i| i.title.clone()).unwrap_or_default(),
            if vote.helpful { "yes" } else { "no" }.to_string(),
            vote.effort.map(|e| e.to_string()).unwrap_or_default(),
            vote.scale.points.to_string(),
            vote.scale.low_is_easy.to_string(),
            vote.reasons.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(","),
            vote.comment.clone().unwrap_or_default(),
            vote.revision.clone(),
            vote.arrival.as_str().to_string(),
            when(vote.at),
            vote.resolved_by.clone().unwrap_or_default(),
            vote.resolved_at.map(when).unwrap_or_default(),
        ]);
    }
    csv_response("quire-feedback.csv", rows)
}

fn metrics_json(key: &str, info: Option<&PageInfo>, m: &Metrics) -> serde_json::Value {
    let attention = metrics::attention(m, info.is_some_and(|i| i.stale));
    serde_json::json!({
        "page": key,
        "title": info.map(|i| i.title.as_str()),
        "url": info.map(|i| i.url.as_str()),
        "category": info.map(|i| i.category.as_str()),
        "views": m.views,
        "votes": m.votes(),
        "helpful": m.helpfulness.yes,
        "unhelpful": m.helpfulness.no,
        "helpful_share": m.helpfulness.share(),
        "wilson_lower_bound": m.helpfulness.wilson(),
        "effort_answers": m.effort.count(),
        "effort_mean": m.effort.mean(),
        "effort_distribution": m.effort.distribution,
        "easy_share": m.effort.easy_share(),
        "difficult_share": m.effort.difficult_share(),
        "net_easy": m.effort.net_easy(),
        "escalations": m.escalations,
        "escalation_rate": m.escalation_rate(),
        "vote_rate": m.vote_rate(),
        "deflections": m.deflections(),
        "attention_score": attention.score,
    })
}

/// `GET /staff/export/metrics.csv`: per-page metrics of the period.
pub async fn export_metrics(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<PeriodParams>,
) -> PageResult {
    let _session = staff_or_login!(request, state);
    let chosen = choose_period(&params, chrono::Utc::now().timestamp());
    let rows = load_rows(&state, chosen.period).await?;
    let scale = state.feedback.scale;
    let pages = metrics::per_page(&rows.votes, &rows.counts, chosen.period, scale);
    let version = state.site.current();
    let catalog = catalog(&version.library, state.stale_after_days);
    let columns = [
        "page",
        "title",
        "category",
        "views",
        "votes",
        "helpful",
        "unhelpful",
        "helpful_share",
        "wilson_lower_bound",
        "effort_answers",
        "effort_mean",
        "easy_share",
        "difficult_share",
        "net_easy",
        "escalations",
        "escalation_rate",
        "deflections",
        "attention_score",
    ];
    let mut out = vec![columns.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    let empty = Metrics::new(scale);
    let keys: std::collections::BTreeSet<&String> = catalog.keys().chain(pages.keys()).collect();
    for key in keys {
        let json = metrics_json(key, catalog.get(key), pages.get(key).unwrap_or(&empty));
        out.push(
            columns
                .iter()
                .map(|c| match &json[*c] {
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
        );
    }
    csv_response("quire-metrics.csv", out)
}

/// `GET /staff/api/metrics`: the period's totals, per category and per page, as JSON.
pub async fn api_metrics(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<PeriodParams>,
) -> PageResult {
    let Some(_session) = session(&request, &state).await? else {
        return Ok(HttpResponse::Unauthorized()
            .json(serde_json::json!({ "error": "sign in at /staff/login; this API uses the staff session" })));
    };
    let chosen = choose_period(&params, chrono::Utc::now().timestamp());
    let rows = load_rows(&state, chosen.period).await?;
    let scale = state.feedback.scale;
    let computed = compute(&rows, chosen.period, scale);
    let version = state.site.current();
    let catalog = catalog(&version.library, state.stale_after_days);
    let categories = metrics::grouped(&computed.pages, scale, |key| catalog.get(key).map(|i| i.category.clone()));
    let report = &computed.search;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(serde_json::json!({
        "period": { "from": date_of_day(chosen.period.first_day()), "to": date_of_day(chosen.period.end_day() - 1) },
        "effort_scale": { "points": scale.points, "low_is_easy": scale.low_is_easy },
        "total": metrics_json("*", None, &computed.current),
        "previous_total": metrics_json("*", None, &computed.previous),
        "categories": categories.iter().map(|(name, m)| (name.clone(), metrics_json(name, None, m))).collect::<serde_json::Map<_, _>>(),
        "pages": catalog.keys().chain(computed.pages.keys()).collect::<std::collections::BTreeSet<_>>().into_iter()
            .map(|key| metrics_json(key, catalog.get(key), computed.pages.get(key).unwrap_or(&Metrics::new(scale))))
            .collect::<Vec<_>>(),
        "search": {
            "searches": report.searches,
            "zero_results": report.zero_results,
            "zero_result_rate": report.zero_result_rate(),
            "clicks": report.clicks,
            "click_through_rate": report.click_through_rate(),
            "top_queries": report.top_queries(25).iter().map(|g| serde_json::json!({"query": g.example, "normalized": g.normalized, "searches": g.searches, "zero_results": g.zero_results, "clicks": g.clicks})).collect::<Vec<_>>(),
            "zero_result_queries": report.top_zero_result(25).iter().map(|g| serde_json::json!({"query": g.example, "normalized": g.normalized, "searches": g.zero_results})).collect::<Vec<_>>(),
        },
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_from_parameters() {
        let now = 20_000 * 86_400 + 100;
        let chosen = choose_period(&PeriodParams { days: Some(7), ..PeriodParams::default() }, now);
        assert_eq!((chosen.period.first_day(), chosen.period.end_day()), (19_994, 20_001));
        let odd = choose_period(&PeriodParams { days: Some(11), ..PeriodParams::default() }, now);
        assert_eq!(odd.days, 30, "only 7, 30 and 90 are offered");
        let range =
            PeriodParams { from: Some("2024-03-10".into()), to: Some("2024-03-01".into()), ..PeriodParams::default() };
        let chosen = choose_period(&range, now);
        assert_eq!(chosen.label, "2024-03-01 to 2024-03-10");
        assert_eq!(chosen.period.end_day() - chosen.period.first_day(), 10);
    }

    #[test]
    fn csv_cells_never_start_a_formula() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("-cmd|' /C calc'!A0"), "'-cmd|' /C calc'!A0");
        assert_eq!(cell("-0.25"), "-0.25", "numbers stay numbers");
        assert_eq!(cell("fine"), "fine");
    }
}

// ---------------------------------------------------------------- learned search

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
    if let Err(response) = check_staff_post(&request, &session, &fields) {
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
    super::blocking(move || {
        store.set_learned_override(&query, &page, decision, &by, chrono::Utc::now().timestamp())?;
        super::refresh_learning(&store, &learned);
        Ok(())
    })
    .await?;
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, "/staff/learning")).finish())
}
