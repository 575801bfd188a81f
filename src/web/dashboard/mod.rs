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
use super::staff::{check_staff_write, session, staff_layout, to_login};
use super::AppState;
use crate::content::Library;
use crate::feedback::metrics::{self, Attention, Metrics, Period, SearchReport};
use crate::feedback::{
    Arrival, DailyCounts, EffortScale, ExcludedWindow, FeedbackStore, Reason, SearchOutcome, VoteRow,
};
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

mod audit;
mod exports;
mod inbox;
mod learning;
mod overview;
mod page;
mod search;
mod tables;

pub use audit::{audit_log, export_audit};
pub use exports::{api_metrics, export_feedback, export_metrics};
pub use inbox::{bulk, inbox, resolve};
pub use learning::{decide_learning, learning};
pub use overview::overview;
pub use overview::{exclude_window, include_window};
pub use page::{mark_reviewed, page_detail};
pub use search::search_report;
pub use tables::{attention, pages_table};

/// `?days=7|30|90` or `?from=YYYY-MM-DD&to=YYYY-MM-DD`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct PeriodParams {
    days: Option<i64>,
    from: Option<String>,
    to: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    key: Option<String>,
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

/// What the dashboard knows about a page of the help center.
struct PageInfo {
    title: String,
    url: String,
    category: String,
    stale: bool,
    revision: String,
    /// The Markdown file, relative to the content folder.
    source_path: String,
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
                    source_path: article.source_path.to_string_lossy().into_owned(),
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
                        source_path: faq.source_path.to_string_lossy().into_owned(),
                    },
                );
            }
        }
    }
    pages
}

/// What every period page starts from: the chosen period, its rows (and the previous
/// period's), and the pages of the current content version.
struct PeriodData {
    chosen: Chosen,
    rows: Rows,
    catalog: BTreeMap<String, PageInfo>,
}

/// Chooses the period from `params`, loads its rows off the executor and lists the pages.
async fn period_data(state: &AppState, params: &PeriodParams) -> Result<PeriodData, AppError> {
    let chosen = choose_period(params, chrono::Utc::now().timestamp());
    let rows = load_rows(state, chosen.period).await?;
    let catalog = catalog(&state.site.current().library, state.stale_after_days);
    Ok(PeriodData { chosen, rows, catalog })
}

/// The rows of a period and of the period before it. Votes in windows staff excluded
/// are left out of `votes` (and counted in `excluded_votes`).
struct Rows {
    votes: Vec<VoteRow>,
    counts: Vec<DailyCounts>,
    searches: Vec<SearchOutcome>,
    windows: Vec<ExcludedWindow>,
    excluded_votes: u64,
}

async fn load_rows(state: &AppState, period: Period) -> Result<Rows, AppError> {
    let previous = period.previous();
    let store = Arc::clone(&state.store);
    super::blocking(move || {
        let windows = store.excluded_windows()?;
        let mut votes = store.votes_between(previous.from, period.to)?;
        let before = votes.len();
        votes.retain(|vote| !windows.iter().any(|window| window.covers(vote)));
        Ok(Rows {
            excluded_votes: (before - votes.len()) as u64,
            votes,
            counts: store.counts_between(previous.first_day(), period.end_day())?,
            searches: store.searches_between(previous.from, period.to)?,
            windows,
        })
    })
    .await
}

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
    crate::feedback::local_time(unix)
}

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
    /// The editor for the page's file; empty for a page that is gone.
    pub edit_url: String,
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

/// What is wrong with a page, said with its numbers: "12 of 40 readers said No, 3×
/// the site's share". Only what raised the attention score is said.
fn attention_facts(m: &Metrics, site: &Metrics, attention: &Attention) -> Vec<String> {
    // "3× the site's share", when the page is clearly worse than the site as a whole.
    let compared = |page: Option<f64>, site: Option<f64>| match (page, site) {
        (Some(page), Some(site)) if site > 0.0 && page / site >= 1.5 => {
            let times = format!("{:.1}", page / site);
            format!(", {}× the site's share", times.trim_end_matches(".0"))
        }
        _ => String::new(),
    };
    let mut facts = Vec::new();
    let (no, votes) = (m.helpfulness.no, m.votes());
    if attention.unhelpful > 0.0 && no > 0 {
        let share = |h: &metrics::Helpfulness| (h.votes() > 0).then(|| h.no as f64 / h.votes() as f64);
        let people = if votes == 1 { "reader" } else { "readers" };
        facts.push(format!(
            "{no} of {votes} {people} said No{}",
            compared(share(&m.helpfulness), share(&site.helpfulness))
        ));
    }
    if attention.difficult > 0.0 && m.effort.difficult > 0 {
        facts.push(format!(
            "{} of {} effort answers were difficult{}",
            m.effort.difficult,
            m.effort.count(),
            compared(m.effort.difficult_share(), site.effort.difficult_share())
        ));
    }
    if attention.escalating > 0.0 && m.escalations > 0 {
        facts.push(format!(
            "{} of {} views went on to contact support{}",
            m.escalations,
            m.views,
            compared(m.escalation_rate(), site.escalation_rate())
        ));
    }
    if attention.stale {
        facts.push("its review is overdue".to_string());
    }
    facts
}

fn page_row(
    key: &str,
    info: Option<&PageInfo>,
    m: &Metrics,
    facts: Vec<String>,
    attention: &Attention,
    chosen: &Chosen,
) -> PageRow {
    let missing = -1.0;
    PageRow {
        title: info.map(|i| i.title.clone()).unwrap_or_else(|| format!("{key} (removed)")),
        category: info.map(|i| i.category.clone()).unwrap_or_default(),
        detail_url: detail_url(key, chosen),
        edit_url: info
            .map(|i| format!("/staff/edit?path={}", crate::web::search::encode(&i.source_path)))
            .unwrap_or_default(),
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
        attention_reasons: facts.join("; "),
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

/// Whether `key` is a FAQ page whose questions are in the catalog (`key#question`).
fn is_live_faq_page(catalog: &BTreeMap<String, PageInfo>, key: &str) -> bool {
    let prefix = format!("{key}#");
    catalog.range(prefix.clone()..).next().is_some_and(|(k, _)| k.starts_with(&prefix))
}

/// Every published page (and removed pages that still have numbers), with metrics.
fn page_rows(
    catalog: &BTreeMap<String, PageInfo>,
    pages: &BTreeMap<String, Metrics>,
    scale: EffortScale,
    chosen: &Chosen,
) -> Vec<PageRow> {
    let empty = Metrics::new(scale);
    let site = metrics::total(pages, scale);
    let keys: std::collections::BTreeSet<&String> = catalog.keys().chain(pages.keys()).collect();
    keys.into_iter()
        // A live FAQ page's own key (views counted before views were per question) is
        // not a page of its own: its questions are.
        .filter(|key| catalog.contains_key(*key) || !is_live_faq_page(catalog, key))
        .map(|key| {
            let info = catalog.get(key);
            let m = pages.get(key).unwrap_or(&empty);
            let attention = metrics::attention(m, info.is_some_and(|i| i.stale));
            page_row(key, info, m, attention_facts(m, &site, &attention), &attention, chosen)
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
    /// The account's role: what its navigation offers.
    pub role: &'static str,
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
        role: session.role.as_str(),
    }
}

/// The staff navigation for a page outside the dashboard's periods (the editor).
pub fn staff_frame(session: &StaffSession, path: &'static str, current: &'static str) -> StaffFrame {
    let chosen = choose_period(&PeriodParams::default(), chrono::Utc::now().timestamp());
    frame(session, &chosen, path, current)
}

fn staff_html(template: &impl Template) -> PageResult {
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(template.render()?))
}

/// Help text of the effort KPI.
const EFFORT_HELP: &str =
    "Mean answer, 1 = very easy; lower is better. Only voters who answered the effort question count.";
/// Help text of the effort KPI when the question is asked in CES 2.0 form.
const CES2_HELP: &str = "Mean agreement with \"The help center made it easy for me to handle my issue\", 1 = strongly disagree, 7 = strongly agree; higher is better. Only voters who answered count.";

/// Every KPI of the overview: the page numbers, then the search numbers.
fn kpis(current: &Metrics, previous: &Metrics, search: &SearchReport, previous_search: &SearchReport) -> Vec<Kpi> {
    let mut all = page_kpis(current, previous);
    all.extend(search_kpis(search, previous_search));
    all
}

/// The KPIs of pages (views, votes, effort, self-service): the overview's and one page's.
fn page_kpis(current: &Metrics, previous: &Metrics) -> Vec<Kpi> {
    let ces2 = !current.effort.scale.low_is_easy;
    vec![
        Kpi {
            label: "Page views",
            value: current.views.to_string(),
            change: signed_count(current.views, previous.views),
            help: "Views of articles and FAQ pages by people's browsers (crawlers, scripts and prefetches are not counted).",
        },
        Kpi {
            label: "Readers",
            value: current.readers.to_string(),
            change: signed_count(current.readers, previous.readers),
            help: "Distinct readers of each page each day, added up (one reader reading a page three times a day counts once).",
        },
        Kpi {
            label: "Votes",
            value: current.votes().to_string(),
            change: signed_count(current.votes(), previous.votes()),
            help: "Current helpfulness votes; a changed vote counts once.",
        },
        Kpi {
            label: "Vote rate",
            value: percent(current.vote_rate()),
            change: signed_points(current.vote_rate(), previous.vote_rate()),
            help: "Votes ÷ page views: how many readers answered \"Was this helpful?\".",
        },
        Kpi {
            label: "Helpful share",
            value: percent(current.helpfulness.share()),
            change: signed_points(current.helpfulness.share(), previous.helpfulness.share()),
            help: "Yes votes ÷ all votes (helpfulness of the articles, not customer satisfaction).",
        },
        Kpi {
            label: if ces2 { "CES 2.0 (mean agreement)" } else { "Customer effort" },
            value: decimal(current.effort.mean()),
            change: match (current.effort.mean(), previous.effort.mean()) {
                (Some(c), Some(p)) => format!("{:+.2}", c - p),
                _ => String::new(),
            },
            help: if ces2 { CES2_HELP } else { EFFORT_HELP },
        },
        Kpi {
            label: if ces2 { "Agree (5–7)" } else { "Easy (1–3)" },
            value: percent(current.effort.easy_share()),
            change: signed_points(current.effort.easy_share(), previous.effort.easy_share()),
            help: if ces2 {
                "Share of effort answers that agree (5, 6 or 7): the number CES 2.0 benchmarks publish."
            } else {
                "Share of effort answers that were easy (1, 2 or 3 on 7 points; 1 or 2 on 5)."
            },
        },
        Kpi {
            label: "CSAT (4–5 of 5)",
            value: percent(current.csat_share()),
            change: signed_points(current.csat_share(), previous.csat_share()),
            help: "Share of answers to the optional \"How satisfied are you with this answer?\" question that were 4 or 5 (feedback.csat_question).",
        },
        Kpi {
            label: "Effort answers",
            value: current.effort.count().to_string(),
            change: signed_count(current.effort.count(), previous.effort.count()),
            help: "Voters who answered the effort question (it is optional).",
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
    ]
}

/// The KPIs of search.
fn search_kpis(search: &SearchReport, previous_search: &SearchReport) -> Vec<Kpi> {
    vec![
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
    /// The item listed after this one: where a notice goes once this one leaves the list.
    pub next_id: Option<i64>,
}

/// Links each item to the one after it.
fn link_next(items: &mut [FeedbackItem]) {
    let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
    for (item, next) in items.iter_mut().zip(ids.iter().skip(1).map(|&id| Some(id)).chain([None])) {
        item.next_id = next;
    }
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
        next_id: None,
    }
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
}
