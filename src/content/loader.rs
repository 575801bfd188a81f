//! Building a [`Library`] from a content folder.
//!
//! The steps, in order:
//! 1. Walk the folder: Markdown files become documents, `_meta.yml` files describe
//!    their folder, anything else with a media extension becomes a servable asset.
//! 2. Parse each document's front matter. A file that fails keeps its last good
//!    version from the previous library, if there was one, so a typo never takes a
//!    published article down.
//! 3. Place documents in categories (top folder) and sections (second folder).
//! 4. Give every page a unique slug, then register aliases and old help desk ids.
//! 5. Render every document, resolving its links against all the others.
//! 6. Sort categories, sections and articles by `order`, then title.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::diagnostics::Diagnostic;
use super::faq::split_questions;
use super::front_matter::{self, DocKind, FrontMatter, SourceFormat};
use super::links::{DocumentLinks, LinkTargets};
use super::markdown::{heading_id, render, unique_id, RenderRequest, Rendered};
use super::preprocess::{MdxMode, SourceRewrite};
use super::snippets::{SnippetLibrary, INCLUDE_DIR, SNIPPET_DIR};
use super::{Article, Category, FaqPage, FaqQuestion, Library, Section};

/// Settings that change how content is loaded.
#[derive(Debug, Clone)]
pub struct LoadOptions<'a> {
    /// Hosts of the help desk the content was migrated from; links to them resolve locally.
    pub old_hosts: Vec<String>,
    /// Path prefixes the old site served pages under (e.g. `/docs`).
    pub old_path_prefixes: Vec<String>,
    /// An article whose `reviewed` date is older than this many days gets a warning.
    pub stale_after_days: i64,
    /// The date "stale" is measured from.
    pub today: NaiveDate,
    /// The library being replaced, whose good documents stand in for broken ones.
    pub previous: Option<&'a Library>,
    /// Page files larger than this are reported and skipped (`check.max_file_kb`).
    pub max_file_bytes: u64,
}

impl Default for LoadOptions<'_> {
    fn default() -> Self {
        Self {
            old_hosts: Vec::new(),
            old_path_prefixes: Vec::new(),
            stale_after_days: 365,
            today: Utc::now().date_naive(),
            previous: None,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

/// Largest page file loaded by default: a help article is a few kilobytes; anything
/// near this is a mistake (a pasted log, a generated dump) that would slow every load.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

const DOC_EXTENSIONS: &[&str] = &["md", "markdown", "mdx"];
const MEDIA_EXTENSIONS: &[&str] =
    &["png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "ico", "pdf", "mp4", "webm", "mp3", "csv", "zip", "txt"];
/// Files at the content root that configure Quire rather than being content.
const RESERVED_ROOT_FILES: &[&str] = &["synonyms.txt", "best-bets.toml", "README.txt"];
/// Title of the category holding pages that sit at the content root without `category:`.
const DEFAULT_CATEGORY: &str = "General";

/// Optional metadata of a category or section folder, in its `_meta.yml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FolderMeta {
    title: Option<String>,
    description: Option<String>,
    order: Option<i64>,
    slug: Option<String>,
}

struct ParsedDoc {
    rel: PathBuf,
    /// Content-relative folder, `/`-separated ("" at the root).
    dir: String,
    stem: String,
    front: FrontMatter,
    body: String,
    body_first_line: usize,
    source: String,
    modified: NaiveDate,
}

/// Reads and renders every page in `dir`. Problems are returned inside the library's
/// `diagnostics`, never as a failure: whatever loaded is usable.
pub fn load(dir: &Path, options: &LoadOptions<'_>) -> Library {
    let mut diagnostics = Vec::new();
    let scan = scan(dir, &mut diagnostics);
    let snippets = SnippetLibrary::load(dir, &mut diagnostics);
    let commit_dates = super::history::last_commit_dates(dir);
    let docs = parse_documents(dir, scan.documents, commit_dates.as_deref(), options, &mut diagnostics);
    let placement = place(&docs, &scan.folder_meta);
    build(docs, placement, scan.media, snippets, options, diagnostics)
}

/// One page of a preview: an article's body, or a FAQ's intro or one answer.
#[derive(Debug, Clone)]
pub struct PreviewPart {
    /// The FAQ question this part answers; `None` for an article or a FAQ's intro.
    pub question: Option<String>,
    pub rendered: Rendered,
}

/// A page rendered from text that is not (yet) in its file, with everything
/// `quire check` would say about it.
#[derive(Debug, Clone, Default)]
pub struct Preview {
    /// The title from the front matter (empty when it cannot be read).
    pub title: String,
    pub parts: Vec<PreviewPart>,
    /// Problems in this file only, by line.
    pub diagnostics: Vec<Diagnostic>,
    /// Where other tools' syntax was rewritten.
    pub rewrites: Vec<SourceRewrite>,
}

/// Renders `source` as the file `rel` (content-relative) of `library` would be, with
/// its links resolved against the other pages: the editor's preview. Costs one page's
/// render, whatever the size of the help center.
pub fn preview(library: &Library, rel: &Path, source: String, options: &LoadOptions<'_>) -> Preview {
    let mut diagnostics = Vec::new();
    let mut rewrites = Vec::new();
    let doc = match parse_document(rel, source, options.today) {
        Ok(doc) => doc,
        Err((line, message)) => {
            return Preview { diagnostics: vec![Diagnostic::error(rel, Some(line), message)], ..Preview::default() };
        }
    };
    warn_about_front_matter(&doc, options, &mut diagnostics);
    let slug = match &doc.front.slug {
        Some(explicit) => slug::slugify(explicit),
        None => slug::slugify(&doc.stem),
    };
    let taken_by = match doc.front.kind {
        DocKind::Article => library.article_by_slug.get(&slug).map(|&i| &library.articles[i].source_path),
        DocKind::Faq => library.faq_by_slug.get(&slug).map(|&i| &library.faqs[i].source_path),
    };
    if let Some(other) = taken_by.filter(|other| other.as_path() != rel) {
        diagnostics.push(Diagnostic::error(
            rel,
            None,
            format!("the address `{slug}` is already used by {}: set another `slug:` or file name", other.display()),
        ));
    }
    let (filled, removed) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    let links = DocumentLinks { targets: &library.link_targets, dir: &doc.dir };
    let sources = PartSources { links: &links, snippets: &library.snippet_library, filled: &filled, removed: &removed };
    let mut parts = Vec::new();
    match doc.front.kind {
        DocKind::Article => {
            share_image(&doc, &links, &mut diagnostics);
            let rendered = render_part(
                &doc,
                &doc.body,
                doc.body_first_line,
                Some(&doc.front.title),
                &sources,
                &mut diagnostics,
                &mut rewrites,
            );
            parts.push(PreviewPart { question: None, rendered });
        }
        DocKind::Faq => {
            let (intro, questions) = split_questions(&doc.body, doc.body_first_line);
            if questions.is_empty() {
                diagnostics.push(Diagnostic::error(
                    rel,
                    Some(doc.body_first_line),
                    "this FAQ has no questions: write each question as a `## Question?` heading with its answer below",
                ));
            }
            let intro = render_part(
                &doc,
                &intro,
                doc.body_first_line,
                Some(&doc.front.title),
                &sources,
                &mut diagnostics,
                &mut rewrites,
            );
            parts.push(PreviewPart { question: None, rendered: intro });
            for question in questions {
                let rendered = render_part(
                    &doc,
                    &question.answer_markdown,
                    question.answer_first_line,
                    None,
                    &sources,
                    &mut diagnostics,
                    &mut rewrites,
                );
                parts.push(PreviewPart { question: Some(question.question), rendered });
            }
        }
    }
    diagnostics.sort_by_key(|d| d.line);
    Preview {
        title: doc.front.title,
        parts,
        diagnostics,
        rewrites: rewrites.into_iter().map(|(_, rewrite)| rewrite).collect(),
    }
}

struct Scan {
    documents: Vec<PathBuf>,
    folder_meta: HashMap<String, FolderMeta>,
    media: HashMap<String, PathBuf>,
}

fn scan(dir: &Path, diagnostics: &mut Vec<Diagnostic>) -> Scan {
    let mut result = Scan { documents: Vec::new(), folder_meta: HashMap::new(), media: HashMap::new() };
    if !dir.is_dir() {
        diagnostics.push(Diagnostic::error(dir, None, "the content folder does not exist or is not a folder"));
        return result;
    }
    let walker = walkdir::WalkDir::new(dir).sort_by_file_name().into_iter().filter_entry(|entry| {
        let name = entry.file_name().to_string_lossy();
        let snippet_folder = entry.depth() == 1 && (name == SNIPPET_DIR || name == INCLUDE_DIR);
        entry.depth() == 0 || !(name.starts_with('.') || name == "node_modules" || snippet_folder)
    });
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                let path = err.path().map(|p| relative(dir, p)).unwrap_or_default();
                diagnostics.push(Diagnostic::error(&path, None, format!("cannot read: {err}")));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = relative(dir, entry.path());
        let rel_str = slash_path(&rel);
        let name = entry.file_name().to_string_lossy();
        let extension = entry.path().extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        if name == "_meta.yml" || name == "_meta.yaml" {
            let folder = rel.parent().map(slash_path).unwrap_or_default();
            match std::fs::read_to_string(entry.path()) {
                Ok(text) => match serde_yaml_ng::from_str::<Option<FolderMeta>>(&text) {
                    Ok(meta) => {
                        result.folder_meta.insert(folder, meta.unwrap_or_default());
                    }
                    Err(err) => {
                        let line = err.location().map(|l| l.line());
                        diagnostics.push(Diagnostic::error(
                            &rel,
                            line,
                            format!("invalid folder metadata (allowed keys: title, description, order, slug): {err}"),
                        ));
                    }
                },
                Err(err) => diagnostics.push(Diagnostic::error(&rel, None, format!("cannot read: {err}"))),
            }
        } else if DOC_EXTENSIONS.contains(&extension.as_str()) {
            result.documents.push(rel);
        } else if MEDIA_EXTENSIONS.contains(&extension.as_str())
            && !(rel.parent() == Some(Path::new("")) && RESERVED_ROOT_FILES.contains(&name.as_ref()))
        {
            result.media.insert(rel_str, entry.path().to_path_buf());
        }
    }
    result
}

fn parse_documents(
    dir: &Path,
    paths: Vec<PathBuf>,
    commit_dates: Option<&super::history::CommitDates>,
    options: &LoadOptions<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<ParsedDoc> {
    let mut docs = Vec::with_capacity(paths.len());
    for rel in paths {
        let full = dir.join(&rel);
        let metadata = std::fs::metadata(&full);
        let size = metadata.as_ref().map(|m| m.len()).unwrap_or(0);
        // When the text last changed: its last commit (a checkout's file times are the
        // checkout's), else the file's modification time.
        let modified = commit_dates.and_then(|dates| dates.get(&rel).copied()).unwrap_or_else(|| {
            metadata.and_then(|m| m.modified()).map(|t| DateTime::<Utc>::from(t).date_naive()).unwrap_or(options.today)
        });
        let parsed = if size > options.max_file_bytes {
            // Not read at all: a huge file must not hold up the whole help center.
            Err((
                1,
                format!(
                    "the file is {} KB, more than the {} KB a page may have (check.max_file_kb), so it is not loaded: split it into several articles",
                    size.div_ceil(1024),
                    options.max_file_bytes / 1024
                ),
            ))
        } else {
            read_utf8(&full).and_then(|text| parse_document(&rel, text, modified))
        };
        match parsed {
            Ok(doc) => docs.push(doc),
            Err((line, message)) => {
                let fallback = options.previous.and_then(|lib| previous_source(lib, &rel));
                let fallback = fallback.and_then(|source| parse_document(&rel, source, modified).ok());
                let note = if fallback.is_some() { " (the last good version is still being served)" } else { "" };
                diagnostics.push(Diagnostic::error(&rel, Some(line), format!("{message}{note}")));
                docs.extend(fallback);
            }
        }
    }
    docs
}

fn read_utf8(path: &Path) -> Result<String, (usize, String)> {
    let bytes = std::fs::read(path).map_err(|err| (1, format!("cannot read the file: {err}")))?;
    String::from_utf8(bytes).map_err(|err| {
        let valid = err.utf8_error().valid_up_to();
        let line = err.as_bytes()[..valid].iter().filter(|&&b| b == b'\n').count() + 1;
        (line, "the file is not valid UTF-8 text: save it with UTF-8 encoding".to_string())
    })
}

fn previous_source(library: &Library, rel: &Path) -> Option<String> {
    let article = library.articles.iter().find(|a| a.source_path == rel).map(|a| a.source.clone());
    article.or_else(|| library.faqs.iter().find(|f| f.source_path == rel).map(|f| f.source.clone()))
}

fn parse_document(rel: &Path, source: String, modified: NaiveDate) -> Result<ParsedDoc, (usize, String)> {
    let split = front_matter::split(&source).map_err(|e| (e.line, e.message))?;
    let front = front_matter::parse(split.yaml, 2).map_err(|e| (e.line, e.message))?;
    let body = split.body.to_string();
    let body_first_line = split.body_first_line;
    Ok(ParsedDoc {
        rel: rel.to_path_buf(),
        dir: rel.parent().map(slash_path).unwrap_or_default(),
        stem: rel.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
        front,
        body,
        body_first_line,
        source,
        modified,
    })
}

/// Where each document sits: category and section, by index into the sorted lists.
struct Placement {
    categories: Vec<Category>,
    /// Per document: (category index, section index).
    of_doc: Vec<(usize, Option<usize>)>,
}

struct GroupKey {
    slug: String,
    title: String,
    description: Option<String>,
    order: Option<i64>,
}

fn group_key(name: &str, meta: Option<&FolderMeta>) -> GroupKey {
    let title = meta.and_then(|m| m.title.clone()).unwrap_or_else(|| name.to_string());
    let slug = meta.and_then(|m| m.slug.as_deref()).map(slug::slugify).unwrap_or_else(|| slug::slugify(name));
    GroupKey {
        slug: if slug.is_empty() { "category".to_string() } else { slug },
        title,
        description: meta.and_then(|m| m.description.clone()),
        order: meta.and_then(|m| m.order),
    }
}

fn place(docs: &[ParsedDoc], folder_meta: &HashMap<String, FolderMeta>) -> Placement {
    // Category slug → (key, section slug → key), in first-seen order.
    let mut groups: Vec<(GroupKey, Vec<GroupKey>)> = Vec::new();
    let mut keys_of_doc = Vec::with_capacity(docs.len());
    for doc in docs {
        let mut folders = doc.dir.split('/').filter(|s| !s.is_empty());
        let category_key = match folders.next() {
            Some(folder) => group_key(folder, folder_meta.get(folder)),
            None => group_key(doc.front.category.as_deref().unwrap_or(DEFAULT_CATEGORY), None),
        };
        let section_key = match folders.next() {
            Some(section) => {
                let folder = doc.dir.split('/').take(2).collect::<Vec<_>>().join("/");
                Some(group_key(section, folder_meta.get(&folder)))
            }
            None => doc.front.section.as_deref().map(|s| group_key(s, None)),
        };
        let cat_pos = match groups.iter().position(|(k, _)| k.slug == category_key.slug) {
            Some(pos) => pos,
            None => {
                groups.push((category_key, Vec::new()));
                groups.len() - 1
            }
        };
        let section_slug = section_key.map(|key| {
            let sections = &mut groups[cat_pos].1;
            let slug = key.slug.clone();
            if !sections.iter().any(|s| s.slug == slug) {
                sections.push(key);
            }
            slug
        });
        keys_of_doc.push((groups[cat_pos].0.slug.clone(), section_slug));
    }

    let by_order = |a: &GroupKey, b: &GroupKey| {
        (a.order.unwrap_or(i64::MAX), a.title.to_lowercase())
            .cmp(&(b.order.unwrap_or(i64::MAX), b.title.to_lowercase()))
    };
    groups.sort_by(|a, b| by_order(&a.0, &b.0));
    let categories: Vec<Category> = groups
        .into_iter()
        .map(|(key, mut sections)| {
            sections.sort_by(by_order);
            Category {
                slug: key.slug,
                title: key.title,
                description: key.description,
                order: key.order,
                sections: sections
                    .into_iter()
                    .map(|s| Section {
                        slug: s.slug,
                        title: s.title,
                        description: s.description,
                        order: s.order,
                        articles: Vec::new(),
                    })
                    .collect(),
                articles: Vec::new(),
                faqs: Vec::new(),
            }
        })
        .collect();
    let of_doc = keys_of_doc
        .into_iter()
        .map(|(cat_slug, sec_slug)| {
            let cat = categories.iter().position(|c| c.slug == cat_slug).unwrap_or(0);
            let sec = sec_slug.and_then(|s| categories[cat].sections.iter().position(|x| x.slug == s));
            (cat, sec)
        })
        .collect();
    Placement { categories, of_doc }
}

/// Assigns unique slugs to `docs` (the ones with `kind`), reporting collisions.
fn assign_slugs(docs: &[ParsedDoc], kind: DocKind, diagnostics: &mut Vec<Diagnostic>) -> HashMap<usize, String> {
    let mut owner: HashMap<String, usize> = HashMap::new();
    let mut slugs: HashMap<usize, String> = HashMap::new();
    let members: Vec<usize> = (0..docs.len()).filter(|&i| docs[i].front.kind == kind).collect();

    for &i in &members {
        let Some(explicit) = docs[i].front.slug.as_deref() else {
            continue;
        };
        let slug = slug::slugify(explicit);
        if slug.is_empty() {
            diagnostics.push(Diagnostic::warning(
                &docs[i].rel,
                Some(2),
                format!("`slug: {explicit}` has no letters or digits; the file name is used instead"),
            ));
            continue;
        }
        if slug != explicit {
            diagnostics.push(Diagnostic::warning(
                &docs[i].rel,
                Some(2),
                format!("`slug: {explicit}` is not URL-safe; it is served as `{slug}` (use lowercase letters, digits and `-`)"),
            ));
        }
        match owner.get(&slug) {
            Some(&other) => diagnostics.push(Diagnostic::error(
                &docs[i].rel,
                Some(2),
                format!("`slug: {slug}` is already used by {}: choose another slug", docs[other].rel.display()),
            )),
            None => {
                owner.insert(slug.clone(), i);
                slugs.insert(i, slug);
            }
        }
    }
    for &i in &members {
        if slugs.contains_key(&i) {
            continue;
        }
        let mut default = slug::slugify(&docs[i].stem);
        if default.is_empty() {
            default = "page".to_string();
        }
        let slug = match owner.get(&default) {
            None => default,
            Some(&other) => {
                let parent = docs[i].dir.rsplit('/').next().map(slug::slugify).unwrap_or_default();
                let base = if parent.is_empty() { default.clone() } else { format!("{parent}-{default}") };
                let mut candidate = base.clone();
                let mut n = 2;
                while owner.contains_key(&candidate) {
                    candidate = format!("{base}-{n}");
                    n += 1;
                }
                diagnostics.push(Diagnostic::warning(
                    &docs[i].rel,
                    None,
                    format!(
                        "{} already has the slug `{default}`, so this page is served as `{candidate}`; set `slug:` in its front matter to choose",
                        docs[other].rel.display()
                    ),
                ));
                candidate
            }
        };
        owner.insert(slug.clone(), i);
        slugs.insert(i, slug);
    }
    slugs
}

fn build(
    docs: Vec<ParsedDoc>,
    placement: Placement,
    media: HashMap<String, PathBuf>,
    snippets: SnippetLibrary,
    options: &LoadOptions<'_>,
    mut diagnostics: Vec<Diagnostic>,
) -> Library {
    let article_slugs = assign_slugs(&docs, DocKind::Article, &mut diagnostics);
    let faq_slugs = assign_slugs(&docs, DocKind::Faq, &mut diagnostics);
    let mut library = Library { categories: placement.categories, ..Library::default() };
    let mut rewrites = Vec::new();

    let mut targets = LinkTargets {
        old_hosts: options.old_hosts.clone(),
        old_path_prefixes: options.old_path_prefixes.clone(),
        ..LinkTargets::default()
    };
    targets.media = media.keys().cloned().collect();
    for category in &library.categories {
        targets.urls.insert(category.url());
    }
    for (i, doc) in docs.iter().enumerate() {
        let url = match (article_slugs.get(&i), faq_slugs.get(&i)) {
            (Some(slug), _) => format!("/articles/{slug}"),
            (None, Some(slug)) => format!("/faq/{slug}"),
            (None, None) => continue,
        };
        let category_url = library.categories.get(placement.of_doc[i].0).map(Category::url);
        if let (Some(category_url), Some(parent)) = (category_url, doc.rel.parent()) {
            for folder in parent.ancestors().filter(|f| !f.as_os_str().is_empty()) {
                targets.folders.entry(slash_path(folder)).or_insert_with(|| category_url.clone());
            }
        }
        let path_key = slash_path(&doc.rel.with_extension(""));
        targets.pages.insert(path_key, url.clone());
        targets.urls.insert(url.clone());
        if let Some(id) = &doc.front.legacy_id {
            if let Some(previous) = targets.legacy_ids.insert(id.clone(), url.clone()) {
                diagnostics.push(Diagnostic::error(
                    &doc.rel,
                    None,
                    format!("`id: {id}` is also the id of the page at {previous}: old help desk ids must be unique"),
                ));
            }
        }
    }
    library.legacy_id_to_url = targets.legacy_ids.clone();

    let (filled, removed) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    for (i, doc) in docs.into_iter().enumerate() {
        let (category, section) = placement.of_doc[i];
        warn_about_front_matter(&doc, options, &mut diagnostics);
        let links = DocumentLinks { targets: &targets, dir: &doc.dir };
        let links = PartSources { links: &links, snippets: &snippets, filled: &filled, removed: &removed };
        if let Some(slug) = article_slugs.get(&i) {
            let rendered = render_part(
                &doc,
                &doc.body,
                doc.body_first_line,
                Some(&doc.front.title),
                &links,
                &mut diagnostics,
                &mut rewrites,
            );
            let image = share_image(&doc, links.links, &mut diagnostics);
            library.article_by_slug.insert(slug.clone(), library.articles.len());
            library.articles.push(Article {
                slug: slug.clone(),
                title: doc.front.title,
                summary: doc.front.summary,
                category,
                section,
                tags: doc.front.tags,
                order: doc.front.order,
                draft: doc.front.draft,
                promoted: doc.front.promoted,
                updated: doc.front.updated.unwrap_or(doc.modified),
                reviewed: doc.front.reviewed,
                aliases: doc.front.aliases,
                legacy_id: doc.front.legacy_id,
                keywords: doc.front.keywords,
                search_boost: doc.front.search_boost,
                lang: doc.front.lang,
                dir: doc.front.dir,
                image,
                source_path: doc.rel,
                revision: super::revision_of(&[doc.source.as_bytes()]),
                source: doc.source,
                rendered,
            });
        } else if let Some(slug) = faq_slugs.get(&i) {
            let (intro, raw_questions) = split_questions(&doc.body, doc.body_first_line);
            if raw_questions.is_empty() {
                diagnostics.push(Diagnostic::error(
                    &doc.rel,
                    Some(doc.body_first_line),
                    "this FAQ has no questions: write each question as a `## Question?` heading with its answer below",
                ));
                continue;
            }
            let intro = render_part(
                &doc,
                &intro,
                doc.body_first_line,
                Some(&doc.front.title),
                &links,
                &mut diagnostics,
                &mut rewrites,
            );
            let mut taken = HashSet::new();
            let questions = raw_questions
                .into_iter()
                .map(|q| {
                    let answer = render_part(
                        &doc,
                        &q.answer_markdown,
                        q.answer_first_line,
                        None,
                        &links,
                        &mut diagnostics,
                        &mut rewrites,
                    );
                    FaqQuestion {
                        id: unique_id(heading_id(&q.question), &mut taken),
                        revision: super::revision_of(&[q.question.as_bytes(), answer.html.as_bytes()]),
                        answer,
                        question: q.question,
                    }
                })
                .collect();
            library.faq_by_slug.insert(slug.clone(), library.faqs.len());
            library.faqs.push(FaqPage {
                slug: slug.clone(),
                title: doc.front.title,
                summary: doc.front.summary,
                keywords: doc.front.keywords,
                category,
                draft: doc.front.draft,
                updated: doc.front.updated.unwrap_or(doc.modified),
                intro,
                questions,
                source_path: doc.rel,
                source: doc.source,
            });
        }
    }

    register_aliases(&mut library, &mut diagnostics);
    fill_categories(&mut library);
    library.media = media;
    diagnostics.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    library.diagnostics = diagnostics;
    library.rewrites = rewrites;
    library.snippets_filled = filled.get();
    library.template_tags_removed = removed.get();
    library.link_targets = targets;
    library.snippet_library = snippets;
    library
}

/// What a part of a page is rendered with besides its text.
struct PartSources<'a> {
    links: &'a DocumentLinks<'a>,
    snippets: &'a SnippetLibrary,
    /// Running totals for the library: snippets filled in, template tags removed.
    filled: &'a std::cell::Cell<usize>,
    removed: &'a std::cell::Cell<usize>,
}

fn render_part(
    doc: &ParsedDoc,
    markdown: &str,
    first_line: usize,
    title: Option<&str>,
    sources: &PartSources<'_>,
    diagnostics: &mut Vec<Diagnostic>,
    rewrites: &mut Vec<(PathBuf, SourceRewrite)>,
) -> Rendered {
    // Snippets and variables filled in, template leftovers removed (see `snippets`).
    let expansion = super::snippets::expand(markdown, sources.snippets);
    if let Some(expansion) = &expansion {
        sources.filled.set(sources.filled.get() + expansion.snippets_used);
        sources.removed.set(sources.removed.get() + expansion.tags_removed);
        for problem in &expansion.problems {
            diagnostics.push(Diagnostic {
                severity: problem.severity,
                path: doc.rel.clone(),
                line: Some(first_line + problem.line),
                message: problem.message.clone(),
            });
        }
    }
    let (markdown, line_map) = match &expansion {
        Some(expansion) => (expansion.text.as_str(), Some(expansion.line_map.as_slice())),
        None => (markdown, None),
    };
    let links = sources.links;
    let mdx = match doc.front.format {
        SourceFormat::Mdx => MdxMode::On,
        SourceFormat::Markdown => MdxMode::Off,
        SourceFormat::Detect if doc.rel.extension().is_some_and(|e| e.eq_ignore_ascii_case("mdx")) => MdxMode::On,
        SourceFormat::Detect => MdxMode::Detect,
    };
    let mut rendered = render(&RenderRequest { markdown, first_line, title, links, mdx, line_map });
    rewrites.extend(std::mem::take(&mut rendered.rewrites).into_iter().map(|r| (doc.rel.clone(), r)));
    // Kept for the life of this content version: drop the slack of buffers that grew
    // by doubling (with 10,000 articles that is tens of megabytes).
    rendered.html.shrink_to_fit();
    rendered.plain_text.shrink_to_fit();
    for problem in &rendered.problems {
        diagnostics.push(Diagnostic {
            severity: problem.severity,
            path: doc.rel.clone(),
            line: Some(problem.line),
            message: problem.message.clone(),
        });
    }
    rendered
}

fn warn_about_front_matter(doc: &ParsedDoc, options: &LoadOptions<'_>, diagnostics: &mut Vec<Diagnostic>) {
    for key in &doc.front.unknown_keys {
        let line = doc.source.lines().position(|l| l.starts_with(key.as_str())).map(|i| i + 1);
        diagnostics.push(Diagnostic::warning(
            &doc.rel,
            line,
            format!("unknown front matter key `{key}` is ignored (known keys: title, summary, slug, category, section, tags, keywords, search_boost, order, draft, updated, reviewed, aliases, promoted, id, type, format, lang, dir, image)"),
        ));
    }
    if doc.front.draft {
        return;
    }
    if let Some(reviewed) = doc.front.reviewed {
        let age = (options.today - reviewed).num_days();
        if age > options.stale_after_days {
            let line = doc.source.lines().position(|l| l.starts_with("reviewed")).map(|i| i + 1);
            diagnostics.push(Diagnostic::warning(
                &doc.rel,
                line,
                format!("last reviewed {age} days ago ({reviewed}): check it is still accurate and update `reviewed`"),
            ));
        }
    }
}

/// The article's `image:` as a URL or site path: a file next to the article becomes
/// its `/media/` address; one that is not there is reported at the key's line.
fn share_image(doc: &ParsedDoc, links: &DocumentLinks<'_>, diagnostics: &mut Vec<Diagnostic>) -> Option<String> {
    use super::markdown::{LinkKind, LinkResolver};
    let written = doc.front.image.as_deref()?;
    let resolution = links.resolve(written, LinkKind::Image);
    if let Some((severity, message)) = resolution.problem {
        let line = doc.source.lines().position(|l| l.starts_with("image")).map(|i| i + 1);
        let message = format!("`image`: {message}");
        diagnostics.push(match severity {
            super::diagnostics::Severity::Error => Diagnostic::error(&doc.rel, line, message),
            super::diagnostics::Severity::Warning => Diagnostic::warning(&doc.rel, line, message),
        });
        return None;
    }
    Some(resolution.rewrite.unwrap_or_else(|| written.to_string()))
}

fn register_aliases(library: &mut Library, diagnostics: &mut Vec<Diagnostic>) {
    for article in &library.articles {
        for alias in &article.aliases {
            let alias_slug = slug::slugify(alias.trim_start_matches("/articles/"));
            let line = article.source.lines().position(|l| l.contains(alias.as_str())).map(|i| i + 1);
            // Harmless (the address already is the article's), but it does nothing.
            if alias_slug == article.slug {
                diagnostics.push(Diagnostic::warning(
                    &article.source_path,
                    line,
                    format!("alias `{alias}` is the article's own slug: it does nothing and can be removed"),
                ));
                continue;
            }
            let clash = if library.article_by_slug.contains_key(&alias_slug) {
                Some(format!("it is the slug of the article at /articles/{alias_slug}"))
            } else {
                library
                    .alias_to_slug
                    .get(&alias_slug)
                    .map(|other| format!("it is already an alias of /articles/{other}"))
            };
            match clash {
                Some(why) => {
                    diagnostics.push(Diagnostic::error(
                        &article.source_path,
                        line,
                        format!("alias `{alias}` collides: {why}"),
                    ));
                }
                None => {
                    library.alias_to_slug.insert(alias_slug, article.slug.clone());
                }
            }
        }
    }
}

fn fill_categories(library: &mut Library) {
    for (i, article) in library.articles.iter().enumerate() {
        let category = &mut library.categories[article.category];
        match article.section {
            Some(s) => category.sections[s].articles.push(i),
            None => category.articles.push(i),
        }
    }
    for (i, faq) in library.faqs.iter().enumerate() {
        library.categories[faq.category].faqs.push(i);
    }
    let articles = &library.articles;
    let key = |&i: &usize| (articles[i].order.unwrap_or(i64::MAX), articles[i].title.to_lowercase());
    for (index, category) in library.categories.iter_mut().enumerate() {
        category.articles.sort_by_key(key);
        for section in &mut category.sections {
            section.articles.sort_by_key(key);
        }
        library.category_by_slug.insert(category.slug.clone(), index);
    }
}

fn relative(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

/// A relative path with `/` separators on every platform.
/// A path with `/` between its parts on every platform.
pub(super) fn slash_path(path: &Path) -> String {
    path.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}
