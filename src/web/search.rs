//! The `/search` page. Until the tantivy index lands (the search issue), this is a
//! plain word match over titles, summaries, headings and text, ranked by where the
//! words occur: enough for the search box to be useful on a small help center.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use serde::Deserialize;

use super::pages::{self, PageLink, SearchPage};
use super::response::{self, AppError};
use super::AppState;
use crate::content::Library;

/// Longest query considered; the rest is ignored.
const MAX_QUERY_CHARS: usize = 200;
const MAX_RESULTS: usize = 30;

#[derive(Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
}

pub async fn page(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<SearchParams>,
) -> Result<actix_web::HttpResponse, AppError> {
    let query: String = params.q.chars().take(MAX_QUERY_CHARS).collect();
    let version = state.site.current();
    let results = basic_search(&version.library, &query);
    let mut layout = pages::layout(
        &state,
        "/search",
        &format!("Search: {}", query.trim()),
        None,
    );
    layout.noindex = true;
    layout.query = query.clone();
    let popular = if results.is_empty() {
        version
            .library
            .promoted()
            .into_iter()
            .map(PageLink::article)
            .collect()
    } else {
        Vec::new()
    };
    let page = SearchPage {
        layout,
        query: query.trim().to_string(),
        results,
        popular,
    };
    response::page(&request, StatusCode::OK, &page)
}

fn basic_search(library: &Library, query: &str) -> Vec<PageLink> {
    let terms: Vec<String> = slug::slugify(query)
        .split('-')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    if terms.is_empty() {
        return Vec::new();
    }
    let mut scored: Vec<(usize, PageLink)> = library
        .published()
        .filter_map(|article| {
            let title = slug::slugify(&article.title);
            let summary = slug::slugify(article.summary.as_deref().unwrap_or(""));
            let headings = slug::slugify(article.rendered.headings.join(" "));
            let body = slug::slugify(&article.rendered.plain_text);
            let mut score = 0;
            for term in &terms {
                let term_score = 8 * usize::from(title.contains(term.as_str()))
                    + 3 * usize::from(summary.contains(term.as_str()))
                    + 2 * usize::from(headings.contains(term.as_str()))
                    + usize::from(body.contains(term.as_str()));
                if term_score == 0 {
                    return None;
                }
                score += term_score;
            }
            Some((score, PageLink::article(article)))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.title.cmp(&b.1.title)));
    scored
        .into_iter()
        .take(MAX_RESULTS)
        .map(|(_, link)| link)
        .collect()
}
