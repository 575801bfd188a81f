//! `/search` (the results page, works without JavaScript) and `/api/search` (JSON for
//! as-you-type suggestions).

use std::sync::Arc;

use actix_web::http::header::HeaderValue;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde::{Deserialize, Serialize};

use super::cache::CachedPage;
use super::pages::{self, PageLink, SearchPage};
use super::response::{self, AppError};
use super::AppState;
use crate::feedback::learning::Learned;
use crate::search::{SearchRequest, SearchResults, MAX_LIMIT};
use crate::site::SiteVersion;
use crate::store::{SearchRecord, SearchSource};

/// Results per page on `/search`.
const PAGE_SIZE: usize = 10;
/// Pages reachable through pagination (deeper pages are noise).
const MAX_PAGE: usize = 50;

#[derive(Deserialize)]
pub struct PageParams {
    #[serde(default)]
    q: String,
    category: Option<String>,
    page: Option<usize>,
}

/// A result as the page shows it.
pub struct ResultView {
    pub title_html: String,
    pub url: String,
    pub category: String,
    pub snippet_html: String,
}

/// A category filter link with its count.
pub struct FilterView {
    pub title: String,
    pub count: u64,
    pub url: String,
    pub current: bool,
}

/// Characters escaped in a query-string value: the ones with meaning in a URL.
const QUERY_VALUE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b'<')
    .add(b'>')
    .add(b'=')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\'');

pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

fn search_url(query: &str, category: Option<&str>, page: usize) -> String {
    let mut url = format!("/search?q={}", encode(query));
    if let Some(category) = category {
        url.push_str(&format!("&category={}", encode(category)));
    }
    if page > 1 {
        url.push_str(&format!("&page={page}"));
    }
    url
}

pub async fn page(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<PageParams>,
) -> Result<HttpResponse, AppError> {
    let version = state.site.current();
    let learned = state.learned.load();
    let page_number = params.page.unwrap_or(1).clamp(1, MAX_PAGE);
    let category = params.category.as_deref().filter(|c| !c.is_empty());
    // Keyed by what the results depend on (not the raw query string, whose order and
    // junk parameters vary): content generation, learned state, query, filter, page.
    // The category's length makes the key unambiguous whatever both strings contain.
    let filter = category.unwrap_or("");
    let key = format!(
        "{}:{}:{:p}:{page_number}:{}:{filter}{}",
        version.generation,
        version.search_mode(&state.site.semantic).as_str(),
        Arc::as_ptr(&learned),
        filter.len(),
        params.q
    );
    let results: Arc<SearchResults> = match state.results_cache.get(&key) {
        Some(results) => results,
        None => {
            let spec = FullSearch {
                query: params.q.clone(),
                category: category.map(str::to_string),
                offset: (page_number - 1) * PAGE_SIZE,
                limit: PAGE_SIZE,
                with_facets: true,
                without_snippets: false,
            };
            let results = Arc::new(full_search(&state, Arc::clone(&version), Arc::clone(&learned), spec).await?);
            state.results_cache.insert(key, Arc::clone(&results));
            results
        }
    };
    let query = results.query.clone();
    // Log the search itself, not its refinements (other pages, category filters).
    let search_id = if !query.is_empty() && page_number == 1 && category.is_none() {
        log_search(&state, &results, SearchSource::Page).await
    } else {
        None
    };
    let title = if query.is_empty() { "Search".to_string() } else { format!("Search: {query}") };
    let mut layout = pages::layout(&state, "/search", &title, None);
    layout.noindex = true;
    // The page has its own search box at the top; a second one in the header is noise.
    layout.header_search = false;
    layout.query = query.clone();

    let all_count: u64 = results.categories.iter().map(|c| c.count).sum();
    let mut filters = vec![FilterView {
        title: "All".into(),
        count: all_count,
        url: search_url(&query, None, 1),
        current: category.is_none(),
    }];
    filters.extend(results.categories.iter().map(|c| FilterView {
        title: c.title.clone(),
        count: c.count,
        url: search_url(&query, Some(&c.slug), 1),
        current: category == Some(c.slug.as_str()),
    }));
    let last_page = results.total.div_ceil(PAGE_SIZE).clamp(1, MAX_PAGE);
    let popular = if results.hits.is_empty() {
        version.library.promoted().into_iter().map(PageLink::article).collect()
    } else {
        Vec::new()
    };
    let page = SearchPage {
        layout,
        query: query.clone(),
        total: results.total,
        first_shown: if results.hits.is_empty() { 0 } else { (page_number - 1) * PAGE_SIZE + 1 },
        last_shown: (page_number - 1) * PAGE_SIZE + results.hits.len(),
        results: results
            .hits
            .iter()
            .enumerate()
            .map(|(i, hit)| ResultView {
                url: match search_id {
                    Some(id) => click_url(&state.feedback.key, id, (page_number - 1) * PAGE_SIZE + i + 1, &hit.url),
                    None => hit.url.clone(),
                },
                title_html: hit.title_html.clone(),
                category: hit.category.clone(),
                snippet_html: hit.snippet_html.clone(),
            })
            .collect(),
        filters: if results.categories.len() > 1 || category.is_some() { filters } else { Vec::new() },
        suggestion_url: results.suggestion.as_deref().map(|s| search_url(s, None, 1)),
        suggestion: results.suggestion.clone().unwrap_or_default(),
        previous_url: (page_number > 1).then(|| search_url(&query, category, page_number - 1)),
        next_url: (page_number < last_page).then(|| search_url(&query, category, page_number + 1)),
        page_number,
        last_page,
        popular,
        // Only the no-results tips show it; finding it walks every article.
        example: if results.hits.is_empty() {
            version.library.example_searches(1).into_iter().next().map(pages::ExampleSearch::new)
        } else {
            None
        },
        current_filter: category
            .and_then(|slug| results.categories.iter().find(|c| c.slug == slug))
            .map(|c| c.title.clone()),
    };
    response::page(&request, StatusCode::OK, &page)
}

/// What a full search (results page, search API) asks for.
struct FullSearch {
    query: String,
    category: Option<String>,
    offset: usize,
    limit: usize,
    with_facets: bool,
    without_snippets: bool,
}

/// Runs a full search on the blocking pool: embedding the query is CPU work that must
/// not hold up the executor.
async fn full_search(
    state: &AppState,
    version: Arc<SiteVersion>,
    learned: Arc<Learned>,
    spec: FullSearch,
) -> Result<SearchResults, AppError> {
    let semantic = Arc::clone(&state.site.semantic);
    super::blocking(move || {
        Ok(version.search(
            &semantic,
            &SearchRequest {
                query: &spec.query,
                category: spec.category.as_deref(),
                offset: spec.offset,
                limit: spec.limit,
                complete_last_word: true,
                with_facets: spec.with_facets,
                without_snippets: spec.without_snippets,
                headlines_only: false,
                learned: Some(&learned.boosts),
                ..SearchRequest::default()
            },
        ))
    })
    .await
}

/// Records a search in the log; a failure is logged and does not fail the page.
async fn log_search(state: &AppState, results: &SearchResults, source: SearchSource) -> Option<i64> {
    let store = Arc::clone(&state.store);
    let (query, normalized, count) = (results.query.clone(), results.normalized.clone(), results.total);
    let logged = super::blocking(move || {
        store.record_search(&SearchRecord { query: &query, normalized: &normalized, result_count: count, source })
    })
    .await;
    match logged {
        Ok(id) => Some(id),
        Err(err) => {
            if !crate::store::is_unavailable(err.cause()) {
                tracing::error!("cannot log a search: {:#}", err.cause());
            }
            None
        }
    }
}

/// The link a result points at: through `/search/click`, which records the click and
/// redirects, so click-through works without JavaScript.
/// The search id is signed, so a click cannot be recorded for a search that was not
/// shown to this reader by this server.
fn click_url(key: &crate::auth::ServerKey, search_id: i64, rank: usize, target: &str) -> String {
    format!("/search/click?sid={}&rank={rank}&to={}", encode(&key.sign(&search_id.to_string())), encode(target))
}

#[derive(Deserialize)]
pub struct ClickParams {
    /// The logged search the click belongs to (results page), signed.
    sid: Option<String>,
    /// The query, for picks from as-you-type suggestions (not logged before).
    q: Option<String>,
    rank: Option<u32>,
    to: String,
}

/// Only pages of this help center may be redirect targets: never an open redirect.
fn is_local_page(url: &str) -> bool {
    (url.starts_with("/articles/") || url.starts_with("/faq/"))
        && !url.contains("//")
        && !url.contains('\\')
        && !url.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// `GET /search/click`: record which result was opened, then redirect to it.
pub async fn click(state: web::Data<AppState>, params: web::Query<ClickParams>) -> Result<HttpResponse, AppError> {
    let ClickParams { sid, q, rank, to } = params.into_inner();
    if !is_local_page(&to) {
        return Ok(HttpResponse::BadRequest()
            .content_type("text/plain; charset=utf-8")
            .body("`to` must be the address of an article or FAQ page of this help center\n"));
    }
    let rank = rank.unwrap_or(0).min(1_000);
    let (search_id, rank) = match (sid, q) {
        (Some(signed), _) => (state.feedback.key.verify(&signed).and_then(|id| id.parse::<i64>().ok()), rank),
        (None, Some(query)) if !query.trim().is_empty() => {
            // A pick from the suggestions: the search is logged now, and the click only
            // when the page really is among its first results.
            let version = state.site.current();
            let results = version.search.search(
                &version.library,
                &SearchRequest {
                    query: &query,
                    limit: 10,
                    complete_last_word: true,
                    without_snippets: true,
                    ..SearchRequest::default()
                },
            );
            let position = results.hits.iter().position(|hit| hit.url == to);
            let id = log_search(&state, &results, SearchSource::Instant).await;
            match position {
                Some(position) => (id, position as u32 + 1),
                None => (None, rank),
            }
        }
        _ => (None, rank),
    };
    if let Some(id) = search_id {
        let store = Arc::clone(&state.store);
        let target = to.clone();
        if let Err(err) = super::blocking(move || store.record_click(id, &target, rank)).await {
            if !crate::store::is_unavailable(err.cause()) {
                tracing::error!("cannot log a click: {:#}", err.cause());
            }
        }
    }
    let mut response = HttpResponse::SeeOther().insert_header((header::LOCATION, to.as_str())).finish();
    if let Some(id) = search_id {
        // The article's vote form learns from this that its reader came from search.
        let cookie = super::feedback::search_cookie(&state.feedback.key, id, &to, state.feedback.secure_cookies);
        response.add_cookie(&cookie)?;
    }
    Ok(response)
}

#[derive(Deserialize)]
pub struct ApiParams {
    #[serde(default)]
    q: String,
    limit: Option<usize>,
    category: Option<String>,
    /// `snippets=0` leaves snippets empty and titles unhighlighted (faster; the
    /// suggestions list shows neither).
    snippets: Option<String>,
    /// `suggest=1`: as-you-type suggestions — match titles, headings, summaries,
    /// keywords and tags only, and no snippets. About twice as fast on large sites.
    suggest: Option<String>,
}

#[derive(Serialize)]
struct ApiResult {
    title: String,
    url: String,
    category: String,
    snippet: String,
    score: f32,
}

#[derive(Serialize)]
struct ApiResponse {
    query: String,
    total: usize,
    results: Vec<ApiResult>,
    suggestion: Option<String>,
    /// `hybrid` (keywords and meaning) or `lexical` (keywords only).
    mode: &'static str,
}

/// `GET /api/search?q=…&limit=…&category=…`: best results first, snippets as HTML
/// with `<mark>` around matched words (everything else escaped).
pub async fn api(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<ApiParams>,
) -> Result<HttpResponse, AppError> {
    let version = state.site.current();
    let learned = state.learned.load_full();
    let suggest = is_on(params.suggest.as_deref());
    // Help-center searches repeat a lot; an answer is reused until the content, the
    // retrieval mode or what search learned changes (all part of the key).
    let mode = if suggest { "suggest" } else { version.search_mode(&state.site.semantic).as_str() };
    let key = format!("{}:{mode}:{:p}:{}", version.generation, Arc::as_ptr(&learned), request.query_string());
    if let Some(answer) = state.api_cache.get(&key) {
        return Ok(answer.respond(&request));
    }
    let category = params.category.as_deref().filter(|c| !c.is_empty());
    let limit = params.limit.unwrap_or(8).clamp(1, MAX_LIMIT);
    let results = if suggest {
        // As-you-type: keywords in headlines only, fast enough for the executor.
        version.search.search(
            &version.library,
            &SearchRequest {
                query: &params.q,
                category,
                limit,
                complete_last_word: true,
                without_snippets: true,
                headlines_only: true,
                learned: Some(&learned.boosts),
                ..SearchRequest::default()
            },
        )
    } else {
        let spec = FullSearch {
            query: params.q.clone(),
            category: category.map(str::to_string),
            offset: 0,
            limit,
            with_facets: false,
            without_snippets: is_off(params.snippets.as_deref()),
        };
        full_search(&state, Arc::clone(&version), Arc::clone(&learned), spec).await?
    };
    let body = ApiResponse {
        query: results.query,
        total: results.total,
        results: results
            .hits
            .into_iter()
            .map(|hit| ApiResult {
                title: hit.title,
                url: hit.url,
                category: hit.category,
                snippet: hit.snippet_html,
                score: hit.score,
            })
            .collect(),
        suggestion: results.suggestion,
        mode: results.mode.as_str(),
    };
    let body = web::Bytes::from(serde_json::to_vec(&body).unwrap_or_default());
    // Compressed here, once, with a window sized to the answer (see `cache`).
    let answer = Arc::new(CachedPage::with_type(body, HeaderValue::from_static("application/json"), "no-store"));
    state.api_cache.insert(key, Arc::clone(&answer));
    Ok(answer.respond(&request))
}

fn is_on(flag: Option<&str>) -> bool {
    matches!(flag, Some("1" | "true" | "yes"))
}

fn is_off(flag: Option<&str>) -> bool {
    matches!(flag, Some("0" | "false" | "no"))
}
