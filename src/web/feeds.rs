//! Machine-readable views of the help center: `sitemap.xml` for search engines,
//! `robots.txt`, and `llms.txt` (an index of every article's Markdown source) for
//! assistants and tools.

use actix_web::{web, HttpRequest, HttpResponse};

use super::response;
use super::AppState;

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub async fn sitemap(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let version = state.site.current();
    let library = &version.library;
    let base = &state.info.base_url;
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let mut entry = |path: &str, lastmod: Option<String>| {
        xml.push_str(&format!("  <url><loc>{}</loc>", xml_escape(&format!("{base}{path}"))));
        if let Some(date) = lastmod {
            xml.push_str(&format!("<lastmod>{date}</lastmod>"));
        }
        xml.push_str("</url>\n");
    };
    entry("/", None);
    for category in library.visible_categories() {
        entry(&category.url(), None);
    }
    for article in library.published() {
        entry(&article.url(), Some(article.updated.to_string()));
    }
    for faq in library.published_faqs() {
        entry(&faq.url(), Some(faq.updated.to_string()));
    }
    xml.push_str("</urlset>\n");
    response::with_etag(&request, "application/xml; charset=utf-8", "no-cache", xml)
}

pub async fn robots(state: web::Data<AppState>) -> HttpResponse {
    let body = format!(
        "User-agent: *\nAllow: /\nDisallow: /search\nDisallow: /staff\n\nSitemap: {}/sitemap.xml\n",
        state.info.base_url
    );
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(body)
}

pub async fn llms(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let version = state.site.current();
    let library = &version.library;
    let base = &state.info.base_url;
    let mut text = format!("# {}\n\n> {}\n\n", state.info.title, state.info.tagline);
    text.push_str("Every article is available as Markdown at the links below.\n");
    for category in library.visible_categories() {
        text.push_str(&format!("\n## {}\n\n", category.title));
        let sections = category.sections.iter().flat_map(|s| s.articles.iter());
        for &index in category.articles.iter().chain(sections) {
            let article = &library.articles[index];
            if article.draft {
                continue;
            }
            text.push_str(&format!("- [{}]({base}{}.md)", article.title, article.url()));
            if let Some(summary) = &article.summary {
                text.push_str(&format!(": {summary}"));
            }
            text.push('\n');
        }
        for &index in &category.faqs {
            let faq = &library.faqs[index];
            if !faq.draft {
                text.push_str(&format!(
                    "- [{}]({base}{}.md): {} questions and answers\n",
                    faq.title,
                    faq.url(),
                    faq.questions.len()
                ));
            }
        }
    }
    response::with_etag(&request, "text/plain; charset=utf-8", "no-cache", text)
}
