//! Full-text search over the help center: the only module that knows tantivy.
//!
//! A [`SearchIndex`] is built from one [`Library`] version, in memory, and swapped in
//! together with it, so searches never see a half-built index. Every published article
//! is one document and every FAQ question is its own document, so a FAQ hit links
//! straight to its answer.
//!
//! Searching: plan the query ([`query`]), collect the total, the per-category counts
//! and one page of hits in one pass, put best bets first, then cut snippets with the
//! matched words in `<mark>`.

pub mod analysis;
pub mod best_bets;
pub mod dictionary;
pub mod fusion;
pub mod query;
mod snippet;
pub mod synonyms;
pub mod vocabulary;
mod window;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{Facet, FacetOptions, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{Language, TextAnalyzer};
use tantivy::{doc, DocAddress, Index, IndexReader, ReloadPolicy, Score, SegmentReader, Term};

use crate::content::{Diagnostic, Library};
use fusion::QueryShape;
pub use fusion::{DenseHit, Fusion};
use query::{Fields, Planner};
use synonyms::Synonyms;
use vocabulary::Vocabulary;
use window::WindowFinder;

/// File in the content folder holding synonym groups.
pub const SYNONYMS_FILE: &str = "synonyms.txt";
/// File in the content folder holding best bets.
pub const BEST_BETS_FILE: &str = "best-bets.toml";
/// Everyday help-desk synonyms applied to English content (see the file).
pub const DEFAULT_SYNONYMS: &str = include_str!("default_synonyms.txt");
/// Most results one request may ask for.
pub const MAX_LIMIT: usize = 50;
/// Extra results fetched below the requested page when learned boosts may re-rank it.
const LEARNED_POOL: usize = 20;
/// Keyword results fused with the meaning side: pages ranked lower by keywords are
/// rarely lifted to the first page by meaning.
const HYBRID_KEYWORD_POOL: usize = 100;
/// From this meaning weight on (questions), results link to the matching section and
/// show the passage that matched as the snippet.
const PASSAGE_SNIPPET_WEIGHT: f32 = 0.45;
/// Characters of text around the matched words in a snippet.
const SNIPPET_CHARS: usize = 180;

/// How search is set up.
#[derive(Debug, Clone)]
pub struct SearchSettings {
    /// Stemming language; `None` indexes words as they are.
    pub language: Option<Language>,
    /// Apply the built-in everyday synonyms (English only).
    pub default_synonyms: bool,
}

impl Default for SearchSettings {
    fn default() -> Self {
        Self { language: Some(Language::English), default_synonyms: true }
    }
}

/// What a search document points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    Article(usize),
    FaqQuestion { page: usize, question: usize },
}

struct DocMeta {
    target: Target,
    boost: f32,
    category: usize,
}

/// The feedback key of a search target: the article slug, or `faq-slug#question`.
pub fn page_key(library: &Library, target: Target) -> String {
    match target {
        Target::Article(index) => library.articles[index].slug.clone(),
        Target::FaqQuestion { page, question } => {
            let faq = &library.faqs[page];
            format!("{}#{}", faq.slug, faq.questions[question].id)
        }
    }
}

/// One search request.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest<'a> {
    pub query: &'a str,
    /// Only results in this category (slug).
    pub category: Option<&'a str>,
    pub offset: usize,
    pub limit: usize,
    /// Complete the last word as a prefix (as-you-type and normal searches alike).
    pub complete_last_word: bool,
    /// Count results per category (the results page's filters; the API skips it).
    pub with_facets: bool,
    /// Leave titles unhighlighted and snippets empty (as-you-type suggestions show
    /// neither, and cutting snippets is a large part of a search's cost).
    pub without_snippets: bool,
    /// As-you-type suggestions: match titles, keywords, headings, summaries and tags
    /// but not article bodies (see [`query::Planner::headlines_only`]).
    pub headlines_only: bool,
    /// Score multipliers learned from readers' votes, by normalized query
    /// ([`crate::feedback::learning`]).
    pub learned: Option<&'a crate::feedback::learning::Boosts>,
    /// Pages found by meaning for this query, best first ([`crate::semantic`]): when
    /// present, the results are the fusion of both rankings (hybrid search).
    pub dense: Option<&'a [DenseHit]>,
    /// How the two rankings are fused (default: [`Fusion::default`]).
    pub fusion: Option<&'a Fusion>,
}

/// Which retrieval answered a search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchMode {
    /// Keywords only (no model, or its vectors are not ready yet).
    #[default]
    Lexical,
    /// Keywords and meaning, fused.
    Hybrid,
}

impl SearchMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SearchMode::Lexical => "lexical",
            SearchMode::Hybrid => "hybrid",
        }
    }
}

/// One result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub target: Target,
    pub title: String,
    /// The title, HTML-escaped, with matched words in `<mark>`.
    pub title_html: String,
    pub url: String,
    pub category: String,
    pub category_slug: String,
    /// Text around the matched words, HTML-escaped, matched words in `<mark>`.
    pub snippet_html: String,
    pub score: f32,
}

/// Number of results in one category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryCount {
    pub slug: String,
    pub title: String,
    pub count: u64,
}

/// The answer to a [`SearchRequest`].
#[derive(Debug, Clone, Default)]
pub struct SearchResults {
    /// The query as used (trimmed, cut to the length limit).
    pub query: String,
    /// The analyzer's normal form of the query, for grouping in reports.
    pub normalized: String,
    /// Matching documents, in the requested category if any.
    pub total: usize,
    pub hits: Vec<Hit>,
    /// Matches per category, over all categories (empty when not requested).
    pub categories: Vec<CategoryCount>,
    /// A respelling of the query with unknown words corrected, when there is one.
    pub suggestion: Option<String>,
    /// Which retrieval produced the results.
    pub mode: SearchMode,
}

impl SearchResults {
    /// Approximate heap bytes held, for caches bounded by size.
    pub fn heap_bytes(&self) -> usize {
        let hits: usize = self
            .hits
            .iter()
            .map(|h| {
                h.title.len()
                    + h.title_html.len()
                    + h.url.len()
                    + h.category.len()
                    + h.category_slug.len()
                    + h.snippet_html.len()
                    + std::mem::size_of::<Hit>()
            })
            .sum();
        let categories: usize =
            self.categories.iter().map(|c| c.slug.len() + c.title.len() + std::mem::size_of::<CategoryCount>()).sum();
        self.query.len() + self.normalized.len() + self.suggestion.as_ref().map_or(0, String::len) + hits + categories
    }
}

/// The search index for one content version.
pub struct SearchIndex {
    reader: IndexReader,
    fields: Fields,
    category_field: tantivy::schema::Field,
    vocabulary: Vocabulary,
    synonyms: Synonyms,
    /// Normalized query → pinned documents.
    best_bets: HashMap<String, Vec<usize>>,
    docs: Vec<DocMeta>,
    /// Document position of each page, to place pages found by meaning.
    positions: HashMap<Target, usize>,
    /// Per-document score multipliers (`search_boost`), by `ord`.
    boosts: Arc<[f32]>,
    /// Whether any boost differs from 1 (otherwise scores are not tweaked at all).
    has_boosts: bool,
    stem: TextAnalyzer,
    words: TextAnalyzer,
    drop_stop_words: bool,
}

impl SearchIndex {
    /// Indexes every published page of `library`. Problems in the synonyms and best
    /// bets files of `content_dir` are returned as diagnostics; their good parts apply.
    pub fn build(
        library: &Library,
        settings: &SearchSettings,
        content_dir: &Path,
    ) -> tantivy::Result<(Self, Vec<Diagnostic>)> {
        let mut diagnostics = Vec::new();
        let stem = analysis::stemmed(settings.language);
        let mut words = analysis::words();

        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analysis::STEMMED)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let mut schema = Schema::builder();
        let fields = Fields {
            title: schema.add_text_field("title", text.clone()),
            keywords: schema.add_text_field("keywords", text.clone()),
            headings: schema.add_text_field("headings", text.clone()),
            summary: schema.add_text_field("summary", text.clone()),
            tags: schema.add_text_field("tags", text.clone()),
            category: schema.add_text_field("category_text", text.clone()),
            body: schema.add_text_field("body", text),
        };
        let category_field = schema.add_facet_field("category", FacetOptions::default());
        let ord = schema.add_u64_field("ord", FAST);
        let index = Index::create_in_ram(schema.build());
        index.tokenizers().register(analysis::STEMMED, stem.clone());
        index.tokenizers().register(analysis::WORDS, words.clone());

        let documents = documents(library);
        // One thread keeps small help centers in one segment; large ones use both cores.
        let threads = if documents.len() > 2_000 { 2 } else { 1 };
        let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(threads, threads * 60_000_000)?;
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        let mut docs = Vec::with_capacity(documents.len());
        for (position, document) in documents.iter().enumerate() {
            let category = &library.categories[document.category];
            writer.add_document(doc!(
                fields.title => document.title.as_str(),
                fields.keywords => document.keywords.join(" "),
                fields.headings => document.headings.join("\n"),
                fields.summary => document.summary,
                fields.tags => document.tags.join(" "),
                fields.category => category.title.as_str(),
                fields.body => document.body,
                category_field => Facet::from_path([category.slug.as_str()]),
                ord => position as u64,
            ))?;
            let mut seen = HashSet::new();
            for part in [
                document.title.as_str(),
                document.summary,
                document.body,
                &document.headings.join(" "),
                &document.tags.join(" "),
                &document.keywords.join(" "),
            ] {
                for word in analysis::tokens(&mut words, part) {
                    if word.len() >= 2 && seen.insert(word.clone()) {
                        *counts.entry(word).or_default() += 1;
                    }
                }
            }
            docs.push(DocMeta { target: document.target, boost: document.boost as f32, category: document.category });
        }
        writer.commit()?;
        writer.wait_merging_threads()?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;

        let custom = match std::fs::read_to_string(content_dir.join(SYNONYMS_FILE)) {
            Ok(text) => {
                let (synonyms, errors) = Synonyms::parse(&text, &mut words);
                for error in errors {
                    diagnostics.push(Diagnostic::error(Path::new(SYNONYMS_FILE), Some(error.line), error.message));
                }
                synonyms
            }
            Err(_) => Synonyms::default(),
        };
        let english = settings.language == Some(Language::English);
        let synonyms = if english && settings.default_synonyms {
            Synonyms::with_defaults(Synonyms::parse(DEFAULT_SYNONYMS, &mut words).0, custom)
        } else {
            custom
        };
        let drop_stop_words = english;
        let boosts: Arc<[f32]> = docs.iter().map(|d| d.boost).collect();
        let has_boosts = boosts.iter().any(|&b| (b - 1.0).abs() > f32::EPSILON);
        let positions = docs.iter().enumerate().map(|(position, d)| (d.target, position)).collect();
        let mut search = Self {
            positions,
            boosts,
            has_boosts,
            reader,
            fields,
            category_field,
            vocabulary: Vocabulary::new(counts),
            synonyms,
            best_bets: HashMap::new(),
            docs,
            stem,
            words,
            drop_stop_words,
        };
        search.load_best_bets(library, content_dir, &mut diagnostics);
        Ok((search, diagnostics))
    }

    fn load_best_bets(&mut self, library: &Library, content_dir: &Path, diagnostics: &mut Vec<Diagnostic>) {
        let Ok(text) = std::fs::read_to_string(content_dir.join(BEST_BETS_FILE)) else {
            return;
        };
        let path = Path::new(BEST_BETS_FILE);
        let bets = match best_bets::parse(&text) {
            Ok(bets) => bets,
            Err((line, message)) => {
                diagnostics.push(Diagnostic::error(path, line, message));
                return;
            }
        };
        for bet in bets {
            let mut pinned = Vec::new();
            for slug in &bet.articles {
                let position = library
                    .article_index(slug)
                    .and_then(|article| self.docs.iter().position(|d| d.target == Target::Article(article)));
                match position {
                    Some(position) => pinned.push(position),
                    None => {
                        let line = text.lines().position(|l| l.contains(&format!("\"{slug}\""))).map(|i| i + 1);
                        diagnostics.push(Diagnostic::error(
                            path,
                            line,
                            format!("best bet article `{slug}` is not a published article slug"),
                        ));
                    }
                }
            }
            for query in &bet.queries {
                let normalized = self.planner().normalize(query);
                if !normalized.is_empty() {
                    self.best_bets.entry(normalized).or_default().extend(pinned.iter().copied());
                }
            }
        }
    }

    fn planner(&self) -> Planner<'_> {
        self.planner_for(false)
    }

    fn planner_for(&self, headlines_only: bool) -> Planner<'_> {
        Planner {
            fields: self.fields,
            vocabulary: &self.vocabulary,
            synonyms: &self.synonyms,
            stem: self.stem.clone(),
            words: self.words.clone(),
            drop_stop_words: self.drop_stop_words,
            dictionary: self.drop_stop_words,
            headlines_only,
        }
    }

    /// Number of indexed documents (articles plus FAQ questions).
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// The analyzer's normal form of a query, for grouping queries that mean the same.
    pub fn normalize(&self, query: &str) -> String {
        self.planner().normalize(query)
    }

    /// Runs a search. Never fails: anything unexpected is logged and answered with no results.
    pub fn search(&self, library: &Library, request: &SearchRequest<'_>) -> SearchResults {
        let results = self.search_once(library, request);
        // A question in the customer's words may match only article bodies: rather
        // no suggestion list than an empty one.
        if request.headlines_only && results.total == 0 && !results.query.is_empty() {
            return self.search_once(library, &SearchRequest { headlines_only: false, ..request.clone() });
        }
        results
    }

    fn search_once(&self, library: &Library, request: &SearchRequest<'_>) -> SearchResults {
        match self.try_search(library, request) {
            Ok(results) => results,
            Err(err) => {
                tracing::error!("search failed: {err}");
                SearchResults { query: query::truncate(request.query), ..SearchResults::default() }
            }
        }
    }

    fn try_search(&self, library: &Library, request: &SearchRequest<'_>) -> tantivy::Result<SearchResults> {
        let query_text = query::truncate(request.query);
        let mut planner = self.planner_for(request.headlines_only);
        let Some(plan) = planner.plan(&query_text, request.complete_last_word) else {
            return Ok(SearchResults { query: query_text, ..SearchResults::default() });
        };
        let limit = request.limit.clamp(1, MAX_LIMIT);
        let searcher = self.reader.searcher();
        let dense = request.dense.filter(|_| !request.headlines_only);
        let fusion = request.fusion.copied().unwrap_or_default();

        let category_filter = request.category.map(|slug| {
            let term = Term::from_facet(self.category_field, &Facet::from_path([slug]));
            Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>
        });
        let (query, separate_facets): (Box<dyn Query>, Option<FacetCollector>) = match category_filter {
            // Counts per category are over all categories, so they need their own pass.
            Some(filter) => (
                Box::new(BooleanQuery::new(vec![(Occur::Must, plan.query.box_clone()), (Occur::Must, filter)])),
                category_counter(request.with_facets),
            ),
            None => (plan.query.box_clone(), None),
        };
        let combined_facets = if request.category.is_none() { category_counter(request.with_facets) } else { None };
        // Learned boosts and fusion re-rank a pool from the top, so pages are cut after.
        let learned = request.learned.and_then(|boosts| boosts.get(&plan.normalized));
        let reranked = learned.is_some() || dense.is_some();
        let pool = if dense.is_some() {
            (request.offset + limit + LEARNED_POOL).max(HYBRID_KEYWORD_POOL)
        } else {
            request.offset + limit + LEARNED_POOL
        };
        let top =
            if reranked { TopDocs::with_limit(pool) } else { TopDocs::with_limit(limit).and_offset(request.offset) };
        let (mut total, top_docs, facet_counts) = if self.has_boosts {
            let boosts = Arc::clone(&self.boosts);
            let boosted = top.tweak_score(move |segment: &SegmentReader| {
                let ords = segment.fast_fields().u64("ord").ok();
                let boosts = Arc::clone(&boosts);
                move |doc: tantivy::DocId, score: Score| {
                    let boost = ords.as_ref().and_then(|o| o.first(doc)).and_then(|o| boosts.get(o as usize)).copied();
                    score * boost.unwrap_or(1.0)
                }
            });
            collect(&searcher, &*query, boosted, combined_facets)?
        } else {
            collect(&searcher, &*query, top.order_by_score(), combined_facets)?
        };
        let facet_counts = match separate_facets {
            Some(collector) => Some(searcher.search(&*plan.query, &collector)?),
            None => facet_counts,
        };

        let mut ranked: Vec<(f32, usize)> = Vec::with_capacity(top_docs.len());
        for (score, address) in top_docs {
            if let Some(position) = self.position_of(&searcher, address)? {
                ranked.push((score, position));
            }
        }

        let shape = QueryShape { words: plan.words.len(), corrected: plan.corrected, half_typed: plan.half_typed };
        let mut passages: HashMap<usize, &DenseHit> = HashMap::new();
        let mut found_by_meaning_only: BTreeMap<usize, u64> = BTreeMap::new();
        let mode = if let Some(dense) = dense {
            let in_category = |position: usize| {
                request.category.is_none_or(|slug| library.categories[self.docs[position].category].slug == slug)
            };
            let mut dense_ranked = Vec::with_capacity(dense.len());
            for hit in dense {
                if let Some(&position) = self.positions.get(&hit.target) {
                    passages.insert(position, hit);
                    if in_category(position) {
                        dense_ranked.push((hit.score, position));
                    }
                }
            }
            let keyword_pool_is_complete = total <= ranked.len();
            let by_keywords: HashSet<usize> = ranked.iter().map(|r| r.1).collect();
            ranked = fusion.fuse(&ranked, &dense_ranked, shape);
            // Pages only meaning found add to the counts. Exact while the keyword pool
            // holds every keyword match; past that, such a page most likely matches a
            // keyword too and is counted already.
            if keyword_pool_is_complete {
                for &(_, position) in ranked.iter().filter(|r| !by_keywords.contains(&r.1)) {
                    total += 1;
                    *found_by_meaning_only.entry(self.docs[position].category).or_default() += 1;
                }
            }
            SearchMode::Hybrid
        } else {
            SearchMode::Lexical
        };
        if let Some(boosts) = learned {
            for (score, position) in ranked.iter_mut() {
                let key = page_key(library, self.docs[*position].target);
                if let Some((_, multiplier)) = boosts.iter().find(|(page, _)| *page == key) {
                    *score *= multiplier;
                }
            }
            ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        }
        if reranked {
            ranked.drain(..request.offset.min(ranked.len()));
        }
        if request.offset == 0 {
            self.pin_best_bets(&plan.normalized, request.category, library, &mut ranked);
        }

        // A question is answered by a passage: link to its section and show it.
        let prefer_passages = mode == SearchMode::Hybrid && fusion.dense_weight_for(shape) >= PASSAGE_SNIPPET_WEIGHT;
        let snippets = (!request.without_snippets).then(|| Snippets {
            bodies: self.snippet_generator(&plan.highlight, self.fields.body, SNIPPET_CHARS),
            titles: self.snippet_generator(&plan.highlight, self.fields.title, 400),
            window: window_finder(&plan.highlight),
        });
        let hits = ranked
            .into_iter()
            .take(limit)
            .map(|(score, position)| {
                let passage = passages.get(&position).copied().filter(|p| p.score >= fusion.min_similarity);
                self.hit(library, position, score, snippets.as_ref(), passage, prefer_passages)
            })
            .collect();

        let mut categories: Vec<CategoryCount> = facet_counts
            .iter()
            .flat_map(|counts| counts.get(Facet::root()))
            .filter_map(|(facet, count)| {
                let slug = facet.to_path().first().map(|s| s.to_string())?;
                let title = library.category(&slug).map(|c| c.title.clone()).unwrap_or_else(|| slug.clone());
                Some(CategoryCount { slug, title, count })
            })
            .collect();
        if request.with_facets {
            for (&category, &extra) in &found_by_meaning_only {
                let slug = &library.categories[category].slug;
                match categories.iter_mut().find(|c| &c.slug == slug) {
                    Some(count) => count.count += extra,
                    None => categories.push(CategoryCount {
                        slug: slug.clone(),
                        title: library.categories[category].title.clone(),
                        count: extra,
                    }),
                }
            }
        }
        categories.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.title.cmp(&b.title)));

        // Corrected in the customer's own wording, filler words included.
        let suggestion = self.suggestion(&analysis::tokens(&mut self.words.clone(), &query_text));
        Ok(SearchResults { query: query_text, normalized: plan.normalized, total, hits, categories, suggestion, mode })
    }

    fn position_of(&self, searcher: &tantivy::Searcher, address: DocAddress) -> tantivy::Result<Option<usize>> {
        let column = searcher.segment_reader(address.segment_ord).fast_fields().u64("ord")?;
        Ok(column.first(address.doc_id).map(|o| o as usize).filter(|&p| p < self.docs.len()))
    }

    fn pin_best_bets(
        &self,
        normalized: &str,
        category: Option<&str>,
        library: &Library,
        ranked: &mut Vec<(f32, usize)>,
    ) {
        let Some(pinned) = self.best_bets.get(normalized) else {
            return;
        };
        let top_score = ranked.first().map(|r| r.0).unwrap_or(1.0);
        let in_category =
            |position: usize| category.is_none_or(|slug| library.categories[self.docs[position].category].slug == slug);
        let mut front: Vec<(f32, usize)> = pinned
            .iter()
            .filter(|&&p| in_category(p))
            .enumerate()
            .map(|(i, &p)| (top_score + (pinned.len() - i) as f32, p))
            .collect();
        ranked.retain(|(_, p)| !pinned.contains(p));
        front.append(ranked);
        *ranked = front;
    }

    fn snippet_generator(
        &self,
        highlight: &BTreeMap<String, f32>,
        field: tantivy::schema::Field,
        chars: usize,
    ) -> SnippetGenerator {
        let terms: BTreeMap<String, Score> = highlight.iter().map(|(t, w)| (t.clone(), *w)).collect();
        SnippetGenerator::new(terms, self.stem.clone(), field, chars)
    }

    fn hit(
        &self,
        library: &Library,
        position: usize,
        score: f32,
        snippets: Option<&Snippets>,
        passage: Option<&DenseHit>,
        prefer_passage: bool,
    ) -> Hit {
        let meta = &self.docs[position];
        let category = &library.categories[meta.category];
        let (title, mut url, rendered, summary) = match meta.target {
            Target::Article(i) => {
                let a = &library.articles[i];
                (a.title.clone(), a.url(), &a.rendered, a.summary.as_deref())
            }
            Target::FaqQuestion { page, question } => {
                let f = &library.faqs[page];
                let q = &f.questions[question];
                (q.question.clone(), format!("{}#{}", f.url(), q.id), &q.answer, None)
            }
        };
        let body = rendered.plain_text.as_str();
        // The passage that matched the question, when it is what answers it.
        let passage = passage.filter(|_| prefer_passage);
        if let (Some(passage), Target::Article(_)) = (passage, meta.target) {
            if let Some(section) = passage.section.and_then(|i| rendered.sections.get(i)) {
                url = format!("{url}#{}", section.id);
            }
        }
        let (title_html, snippet_html) = match snippets {
            Some(s) => {
                let title_html = highlighted(&s.titles, &title).unwrap_or_else(|| escape(&title));
                let passage_text = passage.and_then(|p| body.get(p.range.clone())).filter(|t| !t.trim().is_empty());
                let snippet_html = match passage_text {
                    Some(text) => {
                        highlighted(&s.bodies, text).unwrap_or_else(|| snippet::leading_html(text, SNIPPET_CHARS))
                    }
                    None => {
                        let window = s.window.best_range(body);
                        highlighted_within(&s.bodies, body, window)
                            .or_else(|| summary.map(escape))
                            .unwrap_or_else(|| snippet::leading_html(body, SNIPPET_CHARS))
                    }
                };
                (title_html, snippet_html)
            }
            None => (escape(&title), String::new()),
        };
        Hit {
            target: meta.target,
            title,
            title_html,
            url,
            category: category.title.clone(),
            category_slug: category.slug.clone(),
            snippet_html,
            score,
        }
    }

    /// "Did you mean": the query with each unknown word replaced by its closest
    /// vocabulary word, if any word changed.
    fn suggestion(&self, words: &[String]) -> Option<String> {
        let mut changed = false;
        let corrected: Vec<String> = words
            .iter()
            .map(|w| {
                match self.vocabulary.correction(w).filter(|_| !(self.drop_stop_words && dictionary::is_word(w))) {
                    Some(better) => {
                        changed = true;
                        better
                    }
                    None => w.clone(),
                }
            })
            .collect();
        changed.then(|| corrected.join(" "))
    }
}

/// A collector of per-category counts, when they are wanted.
fn category_counter(wanted: bool) -> Option<FacetCollector> {
    wanted.then(|| {
        let mut facets = FacetCollector::for_field("category");
        facets.add_facet(Facet::root());
        facets
    })
}

type Collected = (usize, Vec<(Score, DocAddress)>, Option<tantivy::collector::FacetCounts>);

/// Runs `query` once, collecting the total, the top documents and (optionally) the
/// per-category counts.
fn collect<C>(
    searcher: &tantivy::Searcher,
    query: &dyn Query,
    top: C,
    facets: Option<FacetCollector>,
) -> tantivy::Result<Collected>
where
    C: tantivy::collector::Collector<Fruit = Vec<(Score, DocAddress)>>,
{
    match facets {
        Some(facets) => {
            let (total, counts, docs) = searcher.search(query, &(Count, facets, top))?;
            Ok((total, docs, Some(counts)))
        }
        None => {
            let (total, docs) = searcher.search(query, &(Count, top))?;
            Ok((total, docs, None))
        }
    }
}

/// Most terms used to place the snippet window.
const MAX_WINDOW_TERMS: usize = 4;

/// `text` cut to its best fragment, query terms marked; `None` when none occurs.
fn highlighted(generator: &SnippetGenerator, text: &str) -> Option<String> {
    highlighted_within(generator, text, 0..text.len())
}

/// Like [`highlighted`], choosing the fragment within `window` of `text` only (the
/// generator's cost grows with the text) but widening it within the whole text.
fn highlighted_within(generator: &SnippetGenerator, text: &str, window: std::ops::Range<usize>) -> Option<String> {
    let found = generator.snippet(text.get(window.clone())?);
    snippet::highlighted_html(text, &found, window.start)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// What cuts highlighted titles and snippets for one search.
struct Snippets {
    titles: SnippetGenerator,
    bodies: SnippetGenerator,
    window: WindowFinder,
}

/// A finder placed by the strongest terms: the words as typed, then corrections.
fn window_finder(highlight: &BTreeMap<String, f32>) -> WindowFinder {
    let mut terms: Vec<(&String, &f32)> = highlight.iter().collect();
    terms.sort_by(|a, b| b.1.total_cmp(a.1));
    WindowFinder::new(terms.into_iter().take(MAX_WINDOW_TERMS).map(|(t, _)| t.as_str()))
}

/// A page as the index sees it.
struct Document<'a> {
    target: Target,
    title: String,
    summary: &'a str,
    headings: Vec<String>,
    tags: Vec<String>,
    keywords: Vec<String>,
    body: &'a str,
    category: usize,
    boost: f64,
}

fn documents(library: &Library) -> Vec<Document<'_>> {
    let mut documents = Vec::new();
    for (i, article) in library.articles.iter().enumerate().filter(|(_, a)| !a.draft) {
        documents.push(Document {
            target: Target::Article(i),
            title: article.title.clone(),
            summary: article.summary.as_deref().unwrap_or(""),
            headings: article.rendered.headings.clone(),
            tags: article.tags.clone(),
            keywords: article.keywords.clone(),
            body: &article.rendered.plain_text,
            category: article.category,
            boost: article.search_boost,
        });
    }
    for (page_index, page) in library.faqs.iter().enumerate().filter(|(_, f)| !f.draft) {
        for (question_index, question) in page.questions.iter().enumerate() {
            documents.push(Document {
                target: Target::FaqQuestion { page: page_index, question: question_index },
                title: question.question.clone(),
                summary: "",
                headings: vec![page.title.clone()],
                tags: Vec::new(),
                keywords: page.keywords.clone(),
                body: &question.answer.plain_text,
                category: page.category,
                boost: 1.0,
            });
        }
    }
    documents
}
