//! Page handlers: extract, look up one thing in the current library, render.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;

use super::cache::CachedPage;
use super::feedback;
use super::pages::{
    self, category_cards, crumbs_for, ArticlePage, CategoryPage, ErrorPage, FaqPageView, FeedbackWidget, HomePage,
    PageLink, QuestionView, SectionView,
};
use super::response::{self, AppError};
use super::AppState;
use crate::content::{legacy_article_id, FaqPage, Library};
use crate::feedback::Arrival;
use askama::Template;
use std::sync::Arc;

type PageResult = Result<HttpResponse, AppError>;

pub async fn home(request: HttpRequest, state: web::Data<AppState>) -> PageResult {
    let version = state.site.current();
    let new_cookie = feedback::visitor_cookie_for(&state, &request);
    cached_page(&request, &state, new_cookie, version.generation, "/", String::new(), || {
        let library = &version.library;
        let mut layout = pages::layout(&state, "/", &state.info.title, None);
        layout.header_search = false;
        let page = HomePage {
            layout,
            tagline: state.info.tagline.clone(),
            categories: category_cards(library),
            promoted: library.promoted().into_iter().map(PageLink::article).collect(),
            faqs: library.published_faqs().map(faq_link).collect(),
            example: library.example_searches(1).into_iter().next().map(pages::ExampleSearch::new),
        };
        Ok(page.render()?)
    })
}

/// Articles on one page of a category's or section's list.
const LIST_PAGE_SIZE: usize = 50;
/// Articles of each section shown on its category's page; "See all" leads to the rest.
const SECTION_PREVIEW: usize = 10;

pub async fn category(request: HttpRequest, state: web::Data<AppState>, slug: web::Path<String>) -> PageResult {
    list_page(&request, &state, &slug, None, 1)
}

/// `/categories/<category>/page/<n>`, `/categories/<category>/<section>` and
/// `/categories/<category>/<section>/page/<n>`: long lists a page at a time, so a
/// category of thousands of articles is not one enormous page.
pub async fn category_part(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> PageResult {
    let (slug, rest) = path.into_inner();
    let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    let (section, number) = match parts.as_slice() {
        ["page", n] => (None, n.parse::<usize>().ok()),
        [section] => (Some(*section), Some(1)),
        [section, "page", n] => (Some(*section), n.parse::<usize>().ok()),
        _ => (None, None),
    };
    match number {
        Some(1) if parts.len() > 1 => {
            // Page 1 has one address: the list's own.
            let base = match section {
                Some(section) => format!("/categories/{slug}/{section}"),
                None => format!("/categories/{slug}"),
            };
            Ok(response::moved_permanently(&base))
        }
        Some(number) if number >= 1 => list_page(&request, &state, &slug, section, number),
        _ => not_found_page(&request, &state),
    }
}

/// Pages of `total` items, `LIST_PAGE_SIZE` each (at least one page).
fn page_count(total: usize) -> usize {
    total.div_ceil(LIST_PAGE_SIZE).max(1)
}

/// The address of page `number` of the list at `base`.
fn list_url(base: &str, number: usize) -> String {
    if number <= 1 {
        base.to_string()
    } else {
        format!("{base}/page/{number}")
    }
}

/// Every address of a category's lists: its pages and its sections' pages (for the
/// static export).
pub fn category_list_urls(library: &Library) -> Vec<String> {
    let mut urls = Vec::new();
    for category in library.visible_categories() {
        let published = |indices: &[usize]| indices.iter().filter(|&&i| !library.articles[i].draft).count();
        let base = category.url();
        urls.extend((1..=page_count(published(&category.articles))).map(|n| list_url(&base, n)));
        for section in &category.sections {
            let count = published(&section.articles);
            if count > SECTION_PREVIEW {
                let section_base = format!("{base}/{}", section.slug);
                urls.extend((1..=page_count(count)).map(|n| list_url(&section_base, n)));
            }
        }
    }
    urls
}

fn list_page(
    request: &HttpRequest,
    state: &web::Data<AppState>,
    slug: &str,
    section_slug: Option<&str>,
    number: usize,
) -> PageResult {
    let version = state.site.current();
    let library = &version.library;
    let Some(category) = library.category(slug) else {
        return not_found_page(request, state);
    };
    let published = |indices: &[usize]| -> Vec<PageLink> {
        indices.iter().map(|&i| &library.articles[i]).filter(|a| !a.draft).map(PageLink::article).collect()
    };
    let section = match section_slug {
        Some(wanted) => match category.sections.iter().find(|s| s.slug == wanted) {
            Some(section) => Some(section),
            None => return not_found_page(request, state),
        },
        None => None,
    };
    let listed = match section {
        Some(section) => published(&section.articles),
        None => published(&category.articles),
    };
    let has_pages = !listed.is_empty()
        || (section.is_none()
            && (category.sections.iter().any(|s| !published(&s.articles).is_empty())
                || category.faqs.iter().any(|&i| !library.faqs[i].draft)));
    let last = page_count(listed.len());
    if !has_pages || number > last {
        return not_found_page(request, state);
    }
    let base = match section {
        Some(section) => format!("{}/{}", category.url(), section.slug),
        None => category.url(),
    };
    let url = list_url(&base, number);
    let new_cookie = feedback::visitor_cookie_for(state, request);
    cached_page(request, state, new_cookie, version.generation, &url, String::new(), || {
        let shown: Vec<PageLink> =
            listed.into_iter().skip((number - 1) * LIST_PAGE_SIZE).take(LIST_PAGE_SIZE).collect();
        // The first page of a category shows each section's first articles.
        let sections: Vec<SectionView> = if section.is_none() && number == 1 {
            category
                .sections
                .iter()
                .map(|s| {
                    let all = published(&s.articles);
                    let total = all.len();
                    SectionView {
                        id: s.slug.clone(),
                        title: s.title.clone(),
                        description: s.description.clone().unwrap_or_default(),
                        articles: all.into_iter().take(SECTION_PREVIEW).collect(),
                        more: (total > SECTION_PREVIEW).then(|| (format!("{}/{}", category.url(), s.slug), total)),
                    }
                })
                .filter(|s| !s.articles.is_empty())
                .collect()
        } else {
            Vec::new()
        };
        let (title, description) = match section {
            Some(section) => (section.title.clone(), section.description.clone().unwrap_or_default()),
            None => (category.title.clone(), category.description.clone().unwrap_or_default()),
        };
        let mut crumbs = vec![pages::Crumb { title: "Home".into(), url: "/".into() }];
        if section.is_some() {
            crumbs.push(pages::Crumb { title: category.title.clone(), url: category.url() });
        }
        let page_title = if number > 1 { format!("{title} (page {number} of {last})") } else { title.clone() };
        let page = CategoryPage {
            layout: pages::layout(state, &url, &page_title, Some(description.as_str()).filter(|d| !d.is_empty())),
            crumbs,
            title,
            description,
            articles: shown,
            sections,
            faqs: if section.is_none() && number == 1 {
                category.faqs.iter().map(|&i| &library.faqs[i]).filter(|f| !f.draft).map(faq_link).collect()
            } else {
                Vec::new()
            },
            paging: (last > 1).then(|| pages::Paging {
                number,
                last,
                previous_url: (number > 1).then(|| list_url(&base, number - 1)),
                next_url: (number < last).then(|| list_url(&base, number + 1)),
            }),
        };
        Ok(page.render()?)
    })
}

pub async fn article(request: HttpRequest, state: web::Data<AppState>, slug: web::Path<String>) -> PageResult {
    let version = state.site.current();
    let library = &version.library;
    if let Some(slug) = slug.strip_suffix(".md") {
        return match library.article(slug) {
            Some(article) => Ok(markdown_source(&request, article.source.clone())),
            None => not_found_page(&request, &state),
        };
    }
    let Some(index) = library.article_index(&slug) else {
        if let Some(draft) = library.draft_index(&slug) {
            return draft_preview(&request, &state, library, draft).await;
        }
        return match library.alias_target(&slug) {
            Some(target) => Ok(response::moved_permanently(&format!("/articles/{target}"))),
            None => not_found_page(&request, &state),
        };
    };
    let article = &library.articles[index];
    let new_cookie = feedback::visitor_cookie_for(&state, &request);
    feedback::count_view(&state, &request, std::slice::from_ref(&article.slug), new_cookie.as_ref());
    let (arrival, _) = feedback::arrival_of(&request, &state.feedback.key);
    let count_text = state.feedback.public_count(&article.slug);
    // The arrival is part of the key; the stamp is what may change under the same key.
    let stamp = count_text.clone().unwrap_or_default();
    let key = format!("{}|{}", article.url(), arrival.as_str());
    cached_page(&request, &state, new_cookie, version.generation, &key, stamp, || {
        article_page(&state, library, index, arrival, count_text)
    })
    .map(|response| allow_video_players(response, article.rendered.embeds))
}

/// A draft, at its real address, for signed-in staff only (everyone else gets the
/// 404 a missing page gets): never cached, never counted, never indexed.
async fn draft_preview(request: &HttpRequest, state: &AppState, library: &Library, index: usize) -> PageResult {
    if super::staff::session(request, state).await?.is_none() {
        return not_found_page(request, state);
    }
    let body = article_page(state, library, index, Arrival::Direct, None)?;
    Ok(draft_response(body, library.articles[index].rendered.embeds))
}

/// A draft page for the staff member who asked: not for caches, not for search engines.
fn draft_response(body: String, embeds: bool) -> HttpResponse {
    let response = HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header(("X-Robots-Tag", "noindex"))
        .body(body);
    allow_video_players(response, embeds)
}

/// The HTML of the article at `index` (a draft shows a banner saying so).
fn article_page(
    state: &AppState,
    library: &Library,
    index: usize,
    arrival: Arrival,
    count_text: Option<String>,
) -> Result<String, AppError> {
    let article = &library.articles[index];
    let category = &library.categories[article.category];
    let mut layout = pages::layout(state, &article.url(), &article.title, article.summary.as_deref());
    layout.og_type = "article";
    layout.noindex = article.draft;
    if let Some(image) = &article.image {
        layout.og_image = state.info.absolute_image(image);
    }
    layout.support_url = feedback::contact_url(&article.slug);
    let toc = if article.rendered.toc.len() >= 3 { pages::TocItem::nest(&article.rendered.toc) } else { Vec::new() };
    let page = ArticlePage {
        layout,
        crumbs: crumbs_for(category, article.section),
        title: article.title.clone(),
        summary: article.summary.clone().unwrap_or_default(),
        updated_iso: article.updated.format("%Y-%m-%d").to_string(),
        updated_text: human_date(article.updated),
        show_updated: state.info.show_updated,
        toc,
        body_html: article.rendered.html.clone(),
        related: library.related(index, 5).into_iter().map(PageLink::article).collect(),
        source_url: format!("{}.md", article.url()),
        feedback: feedback_widget(&article.slug, "Was this article helpful?", arrival, count_text),
        contact_url: feedback::contact_url(&article.slug),
        lang: article.lang.clone(),
        dir: article.dir.map(|d| d.as_str()),
        draft: article.draft,
    };
    Ok(page.render()?)
}

/// A page with a video placeholder may load the players' frames; other pages keep
/// the strict policy.
fn allow_video_players(mut response: HttpResponse, embeds: bool) -> HttpResponse {
    if embeds {
        response.headers_mut().insert(
            actix_web::http::header::CONTENT_SECURITY_POLICY,
            actix_web::http::header::HeaderValue::from_static(super::CONTENT_SECURITY_POLICY_WITH_VIDEO.as_str()),
        );
    }
    response
}

pub async fn faq(request: HttpRequest, state: web::Data<AppState>, slug: web::Path<String>) -> PageResult {
    let version = state.site.current();
    let library = &version.library;
    if let Some(slug) = slug.strip_suffix(".md") {
        return match library.faq(slug) {
            Some(faq) => Ok(markdown_source(&request, faq.source.clone())),
            None => not_found_page(&request, &state),
        };
    }
    let Some(faq) = library.faq(&slug) else {
        if let Some(draft) = library.draft_faq(&slug) {
            if super::staff::session(&request, &state).await?.is_some() {
                let counts = vec![None; draft.questions.len()];
                let body = faq_page(&state, library, draft, Arrival::Direct, counts)?;
                return Ok(draft_response(body, draft.questions.iter().any(|q| q.answer.embeds)));
            }
        }
        return not_found_page(&request, &state);
    };
    // A view of a FAQ page is a view of each question it shows: votes and escalations
    // are per question, so their rates need views per question.
    let question_keys: Vec<String> = faq.questions.iter().map(|q| format!("{}#{}", faq.slug, q.id)).collect();
    let new_cookie = feedback::visitor_cookie_for(&state, &request);
    feedback::count_view(&state, &request, &question_keys, new_cookie.as_ref());
    let (arrival, _) = feedback::arrival_of(&request, &state.feedback.key);
    let counts: Vec<Option<String>> =
        faq.questions.iter().map(|q| state.feedback.public_count(&format!("{}#{}", faq.slug, q.id))).collect();
    let stamp = counts.iter().map(|c| c.as_deref().unwrap_or("")).collect::<Vec<_>>().join("|");
    let key = format!("{}|{}", faq.url(), arrival.as_str());
    cached_page(&request, &state, new_cookie, version.generation, &key, stamp, || {
        faq_page(&state, library, faq, arrival, counts)
    })
    .map(|response| allow_video_players(response, faq.questions.iter().any(|q| q.answer.embeds)))
}

/// The HTML of a FAQ page (a draft shows a banner and no vote buttons).
fn faq_page(
    state: &AppState,
    library: &Library,
    faq: &FaqPage,
    arrival: Arrival,
    counts: Vec<Option<String>>,
) -> Result<String, AppError> {
    let category = &library.categories[faq.category];
    let mut layout = pages::layout(state, &faq.url(), &faq.title, faq.summary.as_deref());
    layout.noindex = faq.draft;
    let page = FaqPageView {
        layout,
        crumbs: crumbs_for(category, None),
        title: faq.title.clone(),
        intro_html: faq.intro.html.clone(),
        questions: faq
            .questions
            .iter()
            .zip(counts)
            .map(|(q, count_text)| QuestionView {
                id: q.id.clone(),
                question: q.question.clone(),
                answer_html: q.answer.html.clone(),
                feedback: FeedbackWidget {
                    subject_id: Some(format!("{}-title", q.id)),
                    ..feedback_widget(
                        &format!("{}#{}", faq.slug, q.id),
                        "Was this answer helpful?",
                        arrival,
                        count_text,
                    )
                },
            })
            .collect(),
        json_ld: faq_json_ld(faq, &state.info.base_url),
        draft: faq.draft,
    };
    Ok(page.render()?)
}

/// Old help desk URLs (`/hc/en-us/articles/360001-Refunds`) redirect to the article
/// that carries that id, so links into the old help center keep working.
pub async fn legacy_redirect(request: HttpRequest, state: web::Data<AppState>) -> PageResult {
    let version = state.site.current();
    let target = legacy_article_id(request.path()).and_then(|id| version.library.legacy_url(id));
    match target {
        Some(url) => Ok(response::moved_permanently(url)),
        None => not_found_page(&request, &state),
    }
}

/// Images and other files kept next to the Markdown.
pub async fn media(request: HttpRequest, state: web::Data<AppState>, path: web::Path<String>) -> PageResult {
    let version = state.site.current();
    let Some(file) = version.library.media_file(&path).map(|p| p.to_path_buf()) else {
        return not_found_page(&request, &state);
    };
    let Ok(bytes) = super::blocking(move || Ok(std::fs::read(file)?)).await else {
        return not_found_page(&request, &state);
    };
    let mime = mime_guess::from_path(path.as_str()).first_or_octet_stream();
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, mime.to_string()))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        // An uploaded SVG or PDF must not run script in the site's origin.
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
        ))
        .body(bytes))
}

pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let version = state.site.current();
    let semantic = &state.site.semantic;
    let progress = semantic.progress();
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(serde_json::json!({
        "status": "ok",
        "content_generation": version.generation,
        "articles": version.library.published().count(),
        "search": {
            "mode": version.search_mode(semantic).as_str(),
            "model": semantic.state().as_str(),
            "passages": progress.passages,
            "embedded": progress.embedded,
        },
    }))
}

/// The 404 page for any unknown URL.
pub async fn not_found(request: HttpRequest, state: web::Data<AppState>) -> PageResult {
    not_found_page(&request, &state)
}

fn not_found_page(request: &HttpRequest, state: &AppState) -> PageResult {
    let version = state.site.current();
    let mut layout = pages::layout(state, request.path(), "Page not found", None);
    layout.noindex = true;
    let page = ErrorPage {
        layout,
        status: 404,
        heading: "We couldn't find that page".into(),
        message: "The page may have moved or been removed. Try searching, or pick a topic below.".into(),
        categories: category_cards(&version.library),
    };
    response::page(request, StatusCode::NOT_FOUND, &page)
}

fn markdown_source(request: &HttpRequest, source: String) -> HttpResponse {
    response::with_etag(request, "text/markdown; charset=utf-8", "no-cache", source)
}

/// The vote form for a page, with how its reader arrived and its public count.
fn feedback_widget(key: &str, question: &'static str, arrival: Arrival, count_text: Option<String>) -> FeedbackWidget {
    FeedbackWidget {
        id: pages::html_id(key),
        page_key: key.to_string(),
        question,
        arrival: arrival.as_str(),
        count_text,
        subject_id: None,
    }
}

/// Serves a page from the page cache, rendering and compressing it on a miss. `stamp`
/// names what else the page shows that can change within a content generation. Sets
/// `new_cookie`, the visitor cookie of a reader who had none.
fn cached_page(
    request: &HttpRequest,
    state: &AppState,
    new_cookie: Option<actix_web::cookie::Cookie<'static>>,
    generation: u64,
    key: &str,
    stamp: String,
    render: impl FnOnce() -> Result<String, AppError>,
) -> PageResult {
    let page = match state.pages.get(key, generation, &stamp, state.feedback.count_refresh) {
        Some(page) => page,
        None => {
            let page = Arc::new(CachedPage::new(render()?));
            state.pages.insert(key, generation, stamp, Arc::clone(&page));
            page
        }
    };
    let mut response = page.respond(request);
    // A reader's first page view sets the visitor cookie a vote must show (the cached
    // body is the same for everyone; only this header differs).
    if let Some(cookie) = new_cookie {
        response.add_cookie(&cookie)?;
        // A response that sets a cookie is for this reader only, never a shared cache.
        response.headers_mut().insert(
            actix_web::http::header::CACHE_CONTROL,
            actix_web::http::header::HeaderValue::from_static("private, no-cache"),
        );
    }
    Ok(response)
}

fn faq_link(faq: &FaqPage) -> PageLink {
    PageLink { title: faq.title.clone(), url: faq.url(), summary: faq.summary.clone().unwrap_or_default() }
}

fn human_date(date: NaiveDate) -> String {
    date.format("%B %-d, %Y").to_string()
}

/// schema.org FAQPage data, with `<` escaped so the JSON cannot close its `<script>`.
fn faq_json_ld(faq: &FaqPage, base_url: &str) -> String {
    let entities: Vec<serde_json::Value> = faq
        .questions
        .iter()
        .map(|q| {
            serde_json::json!({
                "@type": "Question",
                "name": q.question,
                "url": format!("{base_url}{}#{}", faq.url(), q.id),
                "acceptedAnswer": { "@type": "Answer", "text": q.answer.html },
            })
        })
        .collect();
    let data = serde_json::json!({ "@context": "https://schema.org", "@type": "FAQPage", "mainEntity": entities });
    data.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}
