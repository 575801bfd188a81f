//! `/search` (the results page, works without JavaScript) and `/api/search` (JSON for
//! as-you-type suggestions).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};

use super::pages::{self, PageLink, SearchPage};
use super::response::{self, AppError};
use super::AppState;
use crate::search::{SearchRequest, SearchResults, MAX_LIMIT};

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

fn encode(value: &str) -> String {
    utf8_percent_encode(value, NON_ALPHANUMERIC).to_string()
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
    let page_number = params.page.unwrap_or(1).clamp(1, MAX_PAGE);
    let category = params.category.as_deref().filter(|c| !c.is_empty());
    let results: SearchResults = version.search.search(
        &version.library,
        &SearchRequest {
            query: &params.q,
            category,
            offset: (page_number - 1) * PAGE_SIZE,
            limit: PAGE_SIZE,
            complete_last_word: true,
        },
    );
    let query = results.query.clone();
    let title = if query.is_empty() { "Search".to_string() } else { format!("Search: {query}") };
    let mut layout = pages::layout(&state, "/search", &title, None);
    layout.noindex = true;
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
            .into_iter()
            .map(|hit| ResultView {
                title_html: hit.title_html,
                url: hit.url,
                category: hit.category,
                snippet_html: hit.snippet_html,
            })
            .collect(),
        filters: if results.categories.len() > 1 || category.is_some() { filters } else { Vec::new() },
        suggestion_url: results.suggestion.as_deref().map(|s| search_url(s, None, 1)),
        suggestion: results.suggestion.unwrap_or_default(),
        previous_url: (page_number > 1).then(|| search_url(&query, category, page_number - 1)),
        next_url: (page_number < last_page).then(|| search_url(&query, category, page_number + 1)),
        page_number,
        last_page,
        popular,
    };
    response::page(&request, StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct ApiParams {
    #[serde(default)]
    q: String,
    limit: Option<usize>,
    category: Option<String>,
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
}

/// `GET /api/search?q=…&limit=…&category=…`: best results first, snippets as HTML
/// with `<mark>` around matched words (everything else escaped).
pub async fn api(state: web::Data<AppState>, params: web::Query<ApiParams>) -> HttpResponse {
    let version = state.site.current();
    let results = version.search.search(
        &version.library,
        &SearchRequest {
            query: &params.q,
            category: params.category.as_deref().filter(|c| !c.is_empty()),
            offset: 0,
            limit: params.limit.unwrap_or(8).clamp(1, MAX_LIMIT),
            complete_last_word: true,
        },
    );
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
    };
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(body)
}
