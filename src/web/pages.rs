//! Page view models: plain structs holding exactly what each template shows, built
//! from the library by small functions so templates stay free of logic.

use askama::Template;

use super::assets;
use super::{AppState, SiteInfo};
use crate::content::{Article, Category, Library, TocEntry};

/// What the shared layout (`base.html`) needs on every page.
pub struct Layout {
    pub site_title: String,
    pub lang: String,
    /// Text of `<title>`.
    pub title: String,
    pub description: String,
    /// Absolute canonical URL.
    pub canonical: String,
    pub og_type: &'static str,
    /// Absolute URL of the picture shown when the page is shared.
    pub og_image: String,
    pub touch_icon_url: String,
    /// The stylesheet, inlined (see `assets::INLINE_CSS`).
    pub inline_css: &'static str,
    pub js_url: String,
    pub favicon_url: String,
    pub support_url: String,
    /// Show the compact search box in the header (not on the home page, which has a big one).
    pub header_search: bool,
    /// The current search, to keep it in the header box.
    pub query: String,
    /// Keep the page out of search engines (error pages, search results).
    pub noindex: bool,
    /// A staff page: header and footer as wide as its tables, and none of the
    /// customers' "Contact support" links.
    pub staff: bool,
}

impl Layout {
    /// The layout for a page at `path` of this site.
    pub fn new(info: &SiteInfo, path: &str, title: &str, description: Option<&str>) -> Self {
        let full_title = if title.is_empty() || title == info.title {
            info.title.clone()
        } else {
            format!("{title} – {}", info.title)
        };
        Self {
            site_title: info.title.clone(),
            lang: info.language.clone(),
            title: full_title,
            description: description.unwrap_or(&info.tagline).to_string(),
            canonical: format!("{}{path}", info.base_url),
            og_type: "website",
            og_image: info.share_image.clone(),
            touch_icon_url: assets::url("apple-touch-icon.png"),
            inline_css: assets::INLINE_CSS.as_str(),
            js_url: assets::url("quire.js"),
            favicon_url: assets::url("favicon.svg"),
            // Every contact link goes through `/contact`, which counts the escalation
            // (when it comes from a help page) and redirects to the support address.
            support_url: "/contact".to_string(),
            header_search: true,
            query: String::new(),
            noindex: false,
            staff: false,
        }
    }

    /// A layout for the 500 page, which cannot rely on the site state.
    pub fn fallback(title: &str) -> Self {
        let info = SiteInfo {
            title: "Help Center".into(),
            tagline: String::new(),
            base_url: String::new(),
            support_url: "/".into(),
            language: "en".into(),
            share_image: String::new(),
            show_updated: true,
        };
        let mut layout = Self::new(&info, "/", title, None);
        layout.noindex = true;
        layout
    }
}

/// A link to an article (or FAQ page) in a list.
pub struct PageLink {
    pub title: String,
    pub url: String,
    pub summary: String,
}

impl PageLink {
    pub fn article(article: &Article) -> Self {
        Self { title: article.title.clone(), url: article.url(), summary: article.summary.clone().unwrap_or_default() }
    }
}

/// A category tile on the home and error pages.
pub struct CategoryCard {
    pub title: String,
    pub url: String,
    pub description: String,
    pub count: usize,
}

pub fn category_cards(library: &Library) -> Vec<CategoryCard> {
    library
        .visible_categories()
        .map(|c| CategoryCard {
            title: c.title.clone(),
            url: c.url(),
            description: c.description.clone().unwrap_or_default(),
            count: library.category_count(c),
        })
        .collect()
}

/// One step of the breadcrumb trail.
pub struct Crumb {
    pub title: String,
    pub url: String,
}

pub fn crumbs_for(category: &Category, section: Option<usize>) -> Vec<Crumb> {
    let mut crumbs = vec![
        Crumb { title: "Home".into(), url: "/".into() },
        Crumb { title: category.title.clone(), url: category.url() },
    ];
    if let Some(section) = section.and_then(|s| category.sections.get(s)) {
        crumbs.push(Crumb { title: section.title.clone(), url: format!("{}#{}", category.url(), section.slug) });
    }
    crumbs
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub layout: Layout,
    pub tagline: String,
    pub categories: Vec<CategoryCard>,
    pub promoted: Vec<PageLink>,
    pub faqs: Vec<PageLink>,
    /// A search that finds an article, offered as an example under the search box.
    pub example: Option<ExampleSearch>,
}

/// An example search, with the address of its results.
pub struct ExampleSearch {
    pub query: String,
    pub url: String,
}

impl ExampleSearch {
    pub fn new(query: String) -> Self {
        let url = format!("/search?q={}", form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>());
        Self { query, url }
    }
}

/// A section of a category page.
pub struct SectionView {
    pub id: String,
    pub title: String,
    pub description: String,
    pub articles: Vec<PageLink>,
    /// "See all N articles": the section's own page, when it has more than are shown.
    pub more: Option<(String, usize)>,
}

/// Previous and next pages of a long list.
pub struct Paging {
    pub number: usize,
    pub last: usize,
    pub previous_url: Option<String>,
    pub next_url: Option<String>,
}

#[derive(Template)]
#[template(path = "category.html")]
pub struct CategoryPage {
    pub layout: Layout,
    pub crumbs: Vec<Crumb>,
    pub title: String,
    pub description: String,
    pub articles: Vec<PageLink>,
    pub sections: Vec<SectionView>,
    pub faqs: Vec<PageLink>,
    /// Set when the list is longer than one page.
    pub paging: Option<Paging>,
}

#[derive(Template)]
#[template(path = "article.html")]
pub struct ArticlePage {
    pub layout: Layout,
    pub crumbs: Vec<Crumb>,
    pub title: String,
    pub summary: String,
    pub updated_iso: String,
    pub updated_text: String,
    /// `site.show_updated`.
    pub show_updated: bool,
    /// Empty unless the article has three or more headings.
    pub toc: Vec<TocItem>,
    pub body_html: String,
    pub related: Vec<PageLink>,
    pub source_url: String,
    pub feedback: FeedbackWidget,
    /// Contact support through the redirect that counts escalations.
    pub contact_url: String,
    /// The article's own language and direction, when the front matter sets them.
    pub lang: Option<String>,
    pub dir: Option<&'static str>,
    /// A draft, shown to signed-in staff only.
    pub draft: bool,
}

/// An entry of the "On this page" box: a section with its subsections beneath.
pub struct TocItem {
    pub id: String,
    pub title: String,
    pub children: Vec<TocEntry>,
}

impl TocItem {
    /// Nests a flat list of entries of two levels (h2 and h3 usually): each lower one
    /// under the higher one before it (a lower one before any higher stands alone).
    pub fn nest(entries: &[TocEntry]) -> Vec<TocItem> {
        let top = entries.iter().map(|e| e.level).min().unwrap_or(2);
        let mut items: Vec<TocItem> = Vec::new();
        let mut under_section = false;
        for entry in entries {
            match items.last_mut() {
                Some(parent) if entry.level > top && under_section => parent.children.push(entry.clone()),
                _ => {
                    under_section = entry.level == top;
                    items.push(TocItem { id: entry.id.clone(), title: entry.title.clone(), children: Vec::new() });
                }
            }
        }
        items
    }
}

/// The "Was this helpful?" form at the end of an article or FAQ answer.
pub struct FeedbackWidget {
    /// Unique within the page, for element ids.
    pub id: String,
    /// Article slug or `faq#question`.
    pub page_key: String,
    pub question: &'static str,
    pub arrival: &'static str,
    /// "N of M people found this helpful", when shown.
    pub count_text: Option<String>,
    /// The element naming what is voted on, when a page has several widgets (FAQ
    /// questions): part of the buttons' accessible names, so they differ.
    pub subject_id: Option<String>,
}

/// The follow-up questions after a vote (a fragment: also swapped in by script).
#[derive(Template)]
#[template(path = "feedback_follow_up.html")]
pub struct FollowUpFragment {
    pub id: String,
    pub ticket: String,
    pub helpful: bool,
    /// The effort question, in the configured wording.
    pub effort_question: String,
    /// Whether to ask the satisfaction (CSAT) question too.
    pub csat_question: bool,
    /// The points of the effort scale.
    pub points: Vec<ScalePoint>,
    /// Words under the two ends of the effort scale.
    pub effort_ends: (&'static str, &'static str),
    /// The points of the satisfaction scale.
    pub csat_points: Vec<ScalePoint>,
    /// Words under the two ends of the satisfaction scale.
    pub csat_ends: (&'static str, &'static str),
    /// (value, label) of each reason.
    pub reasons: Vec<(&'static str, &'static str)>,
    pub max_comment: usize,
    pub contact_url: String,
}

/// One answer on a rating scale: shown as its number, named with its end's words
/// (for screen readers) when it is an end.
pub struct ScalePoint {
    pub value: u8,
    pub end: Option<&'static str>,
}

impl ScalePoint {
    /// The points 1..=`points`, the ends named `low` and `high`.
    pub fn scale(points: u8, (low, high): (&'static str, &'static str)) -> Vec<ScalePoint> {
        (1..=points)
            .map(|value| ScalePoint {
                value,
                end: if value == 1 {
                    Some(low)
                } else if value == points {
                    Some(high)
                } else {
                    None
                },
            })
            .collect()
    }
}

/// The last step: thanks, and the contact link after "No".
#[derive(Template)]
#[template(path = "feedback_thanks.html")]
pub struct ThanksFragment {
    pub helpful: bool,
    pub contact_url: String,
}

/// The no-JavaScript page around a feedback fragment.
#[derive(Template)]
#[template(path = "feedback.html")]
pub struct FeedbackPage {
    pub layout: Layout,
    /// Title and address of the page the feedback is about.
    pub title: String,
    pub url: String,
    /// Where "Back to …" goes: the page's feedback block.
    pub back_url: String,
    /// "article" or "question".
    pub noun: &'static str,
    pub fragment_html: String,
}

/// A string usable in an element id: letters, digits and dashes.
pub fn html_id(key: &str) -> String {
    key.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect()
}

/// One question on a FAQ page.
pub struct QuestionView {
    pub id: String,
    pub question: String,
    pub answer_html: String,
    pub feedback: FeedbackWidget,
}

#[derive(Template)]
#[template(path = "faq.html")]
pub struct FaqPageView {
    pub layout: Layout,
    pub crumbs: Vec<Crumb>,
    pub title: String,
    pub intro_html: String,
    pub questions: Vec<QuestionView>,
    /// schema.org FAQPage JSON-LD, already safe inside `<script>`.
    pub json_ld: String,
    /// A draft, shown to signed-in staff only.
    pub draft: bool,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub status: u16,
    pub heading: String,
    pub message: String,
    pub categories: Vec<CategoryCard>,
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub layout: Layout,
    pub query: String,
    pub total: usize,
    pub first_shown: usize,
    pub last_shown: usize,
    pub results: Vec<super::search::ResultView>,
    pub filters: Vec<super::search::FilterView>,
    pub suggestion: String,
    pub suggestion_url: Option<String>,
    pub previous_url: Option<String>,
    pub next_url: Option<String>,
    pub page_number: usize,
    pub last_page: usize,
    /// Shown when nothing matched.
    pub popular: Vec<PageLink>,
    /// An example search that finds an article, for the no-results tips.
    pub example: Option<ExampleSearch>,
    /// The category filter in force, named in the collapsed filter's summary.
    pub current_filter: Option<String>,
}

/// The layout for a page of the running site.
pub fn layout(state: &AppState, path: &str, title: &str, description: Option<&str>) -> Layout {
    Layout::new(&state.info, path, title, description)
}

#[cfg(test)]
mod tests {
    use super::TocItem;
    use crate::content::TocEntry;

    #[test]
    fn contents_nest_subsections_under_their_section() {
        let entry = |level, id: &str| TocEntry { level, id: id.into(), title: id.into() };
        let flat = [entry(3, "lone"), entry(3, "lone-2"), entry(2, "a"), entry(3, "a1"), entry(3, "a2"), entry(2, "b")];
        let nested = TocItem::nest(&flat);
        let shape: Vec<(&str, Vec<&str>)> =
            nested.iter().map(|i| (i.id.as_str(), i.children.iter().map(|c| c.id.as_str()).collect())).collect();
        assert_eq!(shape, vec![("lone", vec![]), ("lone-2", vec![]), ("a", vec!["a1", "a2"]), ("b", vec![])]);
    }
}
