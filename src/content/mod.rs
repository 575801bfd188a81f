//! The content library: every article, FAQ page and category of a help center, loaded
//! from a folder of Markdown files and rendered once.
//!
//! [`load`] reads the folder and returns a [`Library`] together with every problem it
//! found (as [`Diagnostic`]s), so the same code serves `quire check` and the server.
//! A `Library` is immutable: a content change builds a new one. Nothing here knows
//! about HTTP or search.

pub mod diagnostics;
pub mod diff;
pub mod edit;
pub mod faq;
pub mod front_matter;
pub mod history;
pub mod images;
mod links;
mod loader;
pub mod markdown;
pub mod preprocess;
pub mod revisions;
pub mod sanitize;
pub mod snippets;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::NaiveDate;

pub use diagnostics::{Diagnostic, Severity};
pub use links::{legacy_article_id, media_url};
pub use loader::{load, preview, LoadOptions, Preview, PreviewPart, DEFAULT_MAX_FILE_BYTES};
pub use markdown::{Rendered, TocEntry};
pub use preprocess::{MdxMode, RewriteRule, SourceRewrite};
pub use sanitize::sanitize;

/// One help article.
#[derive(Debug, Clone)]
pub struct Article {
    pub slug: String,
    pub title: String,
    pub summary: Option<String>,
    /// Index into [`Library::categories`].
    pub category: usize,
    /// Index into that category's `sections`.
    pub section: Option<usize>,
    pub tags: Vec<String>,
    pub order: Option<i64>,
    pub draft: bool,
    pub promoted: bool,
    pub updated: NaiveDate,
    pub reviewed: Option<NaiveDate>,
    pub aliases: Vec<String>,
    pub legacy_id: Option<String>,
    /// Hidden search words from the front matter.
    pub keywords: Vec<String>,
    /// Search score multiplier from the front matter (1.0 = neutral).
    pub search_boost: f64,
    /// The article's language, when the front matter names one.
    pub lang: Option<String>,
    /// The article's text direction, when written or known from its language.
    pub dir: Option<front_matter::TextDirection>,
    /// The article's share picture (`image:`), resolved: a URL or a site path.
    pub image: Option<String>,
    /// Path relative to the content folder.
    pub source_path: PathBuf,
    /// The file's full text (front matter included), served at `/articles/<slug>.md`.
    pub source: String,
    /// A short hash of `source`, stored with each vote so staff can compare an
    /// article's helpfulness before and after an edit.
    pub revision: String,
    pub rendered: Rendered,
}

/// The revision id of a text: the first 16 hex digits of its BLAKE3 hash.
pub fn revision_of(parts: &[&[u8]]) -> String {
    let mut hasher = blake3::Hasher::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hasher.update(b"\0");
        }
        hasher.update(part);
    }
    hasher.finalize().to_hex()[..16].to_string()
}

impl Article {
    /// The article's public URL path.
    pub fn url(&self) -> String {
        format!("/articles/{}", self.slug)
    }
}

/// One question and answer on a FAQ page.
#[derive(Debug, Clone)]
pub struct FaqQuestion {
    /// The URL fragment addressing this question.
    pub id: String,
    pub question: String,
    pub answer: Rendered,
    /// A short hash of the question and its rendered answer (see [`Article::revision`]).
    pub revision: String,
}

/// A FAQ page: an intro and a list of questions.
#[derive(Debug, Clone)]
pub struct FaqPage {
    pub slug: String,
    pub title: String,
    pub summary: Option<String>,
    pub keywords: Vec<String>,
    pub category: usize,
    pub draft: bool,
    pub updated: NaiveDate,
    pub intro: Rendered,
    pub questions: Vec<FaqQuestion>,
    pub source_path: PathBuf,
    pub source: String,
}

impl FaqPage {
    pub fn url(&self) -> String {
        format!("/faq/{}", self.slug)
    }
}

/// A group of articles inside a category (category → section → article).
#[derive(Debug, Clone)]
pub struct Section {
    /// Unique within its category; used as the anchor on the category page.
    pub slug: String,
    pub title: String,
    pub description: Option<String>,
    pub order: Option<i64>,
    /// Article indices, sorted by `order` then title.
    pub articles: Vec<usize>,
}

/// A top-level category: one folder of the content directory.
#[derive(Debug, Clone)]
pub struct Category {
    pub slug: String,
    pub title: String,
    pub description: Option<String>,
    pub order: Option<i64>,
    pub sections: Vec<Section>,
    /// Articles directly in the category folder, sorted.
    pub articles: Vec<usize>,
    pub faqs: Vec<usize>,
}

impl Category {
    pub fn url(&self) -> String {
        format!("/categories/{}", self.slug)
    }
}

/// Most related articles kept per article.
const MAX_RELATED: usize = 10;

/// Everything loaded from one content folder. Immutable once built.
#[derive(Debug, Default)]
pub struct Library {
    pub articles: Vec<Article>,
    pub faqs: Vec<FaqPage>,
    /// Sorted by `order`, then title.
    pub categories: Vec<Category>,
    pub diagnostics: Vec<Diagnostic>,
    /// Every place where migrating syntax of another tool changed an author's text
    /// (for `quire check`), in file order.
    pub rewrites: Vec<(PathBuf, SourceRewrite)>,
    /// Snippets filled in, and template tags of other tools removed (for `quire check`).
    pub snippets_filled: usize,
    pub template_tags_removed: usize,
    article_by_slug: HashMap<String, usize>,
    faq_by_slug: HashMap<String, usize>,
    category_by_slug: HashMap<String, usize>,
    alias_to_slug: HashMap<String, String>,
    legacy_id_to_url: HashMap<String, String>,
    media: HashMap<String, PathBuf>,
    /// What links may point at, and the snippets pages may use: kept so one edited
    /// page can be previewed against the rest without loading the folder again.
    link_targets: links::LinkTargets,
    snippet_library: snippets::SnippetLibrary,
    /// Each article's related articles (indexes, best first), worked out on its first
    /// render: scoring every article of a 10,000-article library was most of a render.
    related_of: OnceLock<Vec<OnceLock<Vec<usize>>>>,
    article_groups: OnceLock<ArticleGroups>,
}

/// Articles by tag and by category, for finding related articles.
#[derive(Debug, Default)]
struct ArticleGroups {
    by_tag: HashMap<String, Vec<usize>>,
    by_category: HashMap<usize, Vec<usize>>,
}

impl ArticleGroups {
    fn of(articles: &[Article]) -> Self {
        let mut groups = Self::default();
        for (i, article) in articles.iter().enumerate() {
            for tag in &article.tags {
                groups.by_tag.entry(tag.clone()).or_default().push(i);
            }
            groups.by_category.entry(article.category).or_default().push(i);
        }
        groups
    }
}

impl Library {
    /// A published (non-draft) article by slug.
    pub fn article(&self, slug: &str) -> Option<&Article> {
        self.article_by_slug.get(slug).map(|&i| &self.articles[i]).filter(|a| !a.draft)
    }

    /// Index of a published article.
    pub fn article_index(&self, slug: &str) -> Option<usize> {
        self.article_by_slug.get(slug).copied().filter(|&i| !self.articles[i].draft)
    }

    /// Index of an article that is a draft (for staff previews).
    pub fn draft_index(&self, slug: &str) -> Option<usize> {
        self.article_by_slug.get(slug).copied().filter(|&i| self.articles[i].draft)
    }

    /// A FAQ page that is a draft (for staff previews).
    pub fn draft_faq(&self, slug: &str) -> Option<&FaqPage> {
        self.faq_by_slug.get(slug).map(|&i| &self.faqs[i]).filter(|f| f.draft)
    }

    /// The canonical slug an old slug (an `aliases` entry) redirects to.
    pub fn alias_target(&self, old_slug: &str) -> Option<&str> {
        self.alias_to_slug.get(old_slug).map(String::as_str).filter(|slug| self.article(slug).is_some())
    }

    /// The URL of the page that had this id in the previous help desk.
    pub fn legacy_url(&self, id: &str) -> Option<&str> {
        self.legacy_id_to_url.get(id).map(String::as_str)
    }

    pub fn faq(&self, slug: &str) -> Option<&FaqPage> {
        self.faq_by_slug.get(slug).map(|&i| &self.faqs[i]).filter(|f| !f.draft)
    }

    pub fn category(&self, slug: &str) -> Option<&Category> {
        self.category_by_slug.get(slug).map(|&i| &self.categories[i])
    }

    /// Every content asset's `/media/<path>` path, sorted.
    pub fn media_paths(&self) -> Vec<&str> {
        let mut paths: Vec<&str> = self.media.keys().map(String::as_str).collect();
        paths.sort_unstable();
        paths
    }

    /// The file behind a `/media/<path>` URL, if that path is a content asset.
    pub fn media_file(&self, relative: &str) -> Option<&Path> {
        self.media.get(relative).map(PathBuf::as_path)
    }

    /// Published articles in library order.
    pub fn published(&self) -> impl Iterator<Item = &Article> {
        self.articles.iter().filter(|a| !a.draft)
    }

    /// Published FAQ pages.
    pub fn published_faqs(&self) -> impl Iterator<Item = &FaqPage> {
        self.faqs.iter().filter(|f| !f.draft)
    }

    /// Published articles marked `promoted`, for the home page.
    pub fn promoted(&self) -> Vec<&Article> {
        let mut promoted: Vec<&Article> = self.published().filter(|a| a.promoted).collect();
        promoted.sort_by_key(|a| (a.order.unwrap_or(i64::MAX), a.title.to_lowercase()));
        promoted
    }

    /// Up to `count` short searches that each find a real article (its title, in
    /// lower case), promoted articles first: the examples in search hints, so a
    /// customer who tries one is never shown "no results".
    pub fn example_searches(&self, count: usize) -> Vec<String> {
        let promoted = self.promoted();
        let mut rest: Vec<&Article> = self.published().filter(|a| !a.promoted).collect();
        rest.sort_by_key(|a| (a.order.unwrap_or(i64::MAX), a.title.len()));
        promoted.into_iter().chain(rest).filter_map(|article| example_search(&article.title)).take(count).collect()
    }

    /// Number of published articles and FAQ pages in a category, sections included.
    pub fn category_count(&self, category: &Category) -> usize {
        let articles = category.articles.iter().chain(category.sections.iter().flat_map(|s| &s.articles));
        articles.filter(|&&i| !self.articles[i].draft).count()
            + category.faqs.iter().filter(|&&i| !self.faqs[i].draft).count()
    }

    /// Categories that have at least one published page.
    pub fn visible_categories(&self) -> impl Iterator<Item = &Category> {
        self.categories.iter().filter(|c| self.category_count(c) > 0)
    }

    /// Up to `limit` (at most 10) published articles most related to `index`: shared
    /// tags, same section, then same category.
    pub fn related(&self, index: usize, limit: usize) -> Vec<&Article> {
        let slots = self.related_of.get_or_init(|| self.articles.iter().map(|_| OnceLock::new()).collect());
        let Some(slot) = slots.get(index) else {
            return Vec::new();
        };
        slot.get_or_init(|| self.score_related(index, MAX_RELATED))
            .iter()
            .take(limit)
            .map(|&i| &self.articles[i])
            .collect()
    }

    fn score_related(&self, index: usize, limit: usize) -> Vec<usize> {
        let Some(this) = self.articles.get(index) else {
            return Vec::new();
        };
        let groups = self.article_groups.get_or_init(|| ArticleGroups::of(&self.articles));
        // Only articles sharing a tag or the category can score; comparing this
        // article's tags with every other article's was most of a page render.
        let mut scores: HashMap<usize, usize> = HashMap::new();
        for tag in &this.tags {
            for &i in groups.by_tag.get(tag).into_iter().flatten() {
                *scores.entry(i).or_default() += 3;
            }
        }
        for &i in groups.by_category.get(&this.category).into_iter().flatten() {
            let a = &self.articles[i];
            let same_section = a.section.is_some() && a.section == this.section;
            *scores.entry(i).or_default() += 1 + usize::from(same_section) * 2;
        }
        let mut scored: Vec<(usize, usize)> = scores
            .into_iter()
            .filter(|&(i, _)| i != index && !self.articles[i].draft)
            .map(|(i, score)| (score, i))
            .collect();
        // Best first, then by title; only the first `limit` need ordering.
        let order = |(sa, a): &(usize, usize), (sb, b): &(usize, usize)| {
            sb.cmp(sa).then_with(|| self.articles[*a].title.cmp(&self.articles[*b].title)).then_with(|| a.cmp(b))
        };
        if scored.len() > limit && limit > 0 {
            scored.select_nth_unstable_by(limit - 1, order);
            scored.truncate(limit);
        }
        scored.sort_by(order);
        // Collected into a new vector on purpose: `scored.into_iter().map().collect()`
        // would reuse `scored`'s buffer (one slot per candidate, often the whole
        // category), and the result is cached per article for the life of the library —
        // that slack was 55 KB per article page viewed (heaptrack, 10,000 articles).
        let mut related = Vec::with_capacity(scored.len().min(limit));
        related.extend(scored.iter().take(limit).map(|&(_, i)| i));
        related
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// `title` as a customer might type it, if it is short and plain enough to be an
/// example: two to five words, letters and digits, at most 32 characters.
fn example_search(title: &str) -> Option<String> {
    let title = title.trim().trim_end_matches(['?', '.', '!']);
    let words: Vec<&str> = title.split_whitespace().collect();
    let plain = title.chars().all(|c| c.is_alphanumeric() || c == ' ' || c == '-' || c == '\'');
    if !(2..=5).contains(&words.len()) || title.chars().count() > 32 || !plain {
        return None;
    }
    // Acronyms (SSO, PDF) keep their capitals.
    let lower: Vec<String> = words
        .iter()
        .map(|w| {
            if w.len() > 1 && w.chars().all(|c| c.is_uppercase() || c.is_ascii_digit()) {
                w.to_string()
            } else {
                w.to_lowercase()
            }
        })
        .collect();
    Some(lower.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_are_short_plain_titles_in_lower_case() {
        assert_eq!(example_search("Reset your SSO password").as_deref(), Some("reset your SSO password"));
        assert_eq!(example_search("Can I pay by card?").as_deref(), Some("can i pay by card"));
        assert_eq!(example_search("Install"), None, "one word says too little");
        assert_eq!(example_search("Session length and automatic sign-out for admins"), None, "too long");
        assert_eq!(example_search("Config: the [site] table"), None, "not plain");
    }

    #[test]
    fn cached_related_lists_hold_no_slack() {
        let dir = tempfile::tempdir().expect("tempdir");
        let category = dir.path().join("Guides");
        std::fs::create_dir_all(&category).expect("mkdir");
        for n in 0..200 {
            let text = format!("---\ntitle: Guide {n}\ntags: [setup]\n---\nx");
            std::fs::write(category.join(format!("guide-{n}.md")), text).expect("write");
        }
        let library = load(dir.path(), &LoadOptions::default());
        assert_eq!(library.related(0, 5).len(), 5);
        let cached = library.related_of.get().and_then(|slots| slots[0].get()).expect("cached after a lookup");
        // Kept for the library's lifetime, once per article viewed: a buffer sized for
        // all 199 candidates would be 3 KB of slack per article.
        assert_eq!(cached.len(), MAX_RELATED);
        assert!(cached.capacity() <= MAX_RELATED, "capacity {}", cached.capacity());
    }
}
