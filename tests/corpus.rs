//! Loads the real help-center corpora in `../shared/corpus/` (when present) and renders
//! every article: no panics, quirks degraded gracefully, problems counted by kind.
//! Skipped with a notice when the corpora are absent, unless `QUIRE_REQUIRE_CORPUS=1`.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use quire::content::{self, LoadOptions, Severity};

fn corpus_dir(name: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus").join(name);
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(!common::required("QUIRE_REQUIRE_CORPUS"), "QUIRE_REQUIRE_CORPUS=1 but {} is missing", dir.display());
    eprintln!("SKIPPED: corpus {} not found (set QUIRE_REQUIRE_CORPUS=1 to make this a failure)", dir.display());
    None
}

/// The first words of a message, so problems can be counted by kind.
fn kind_of(message: &str) -> String {
    let words: Vec<&str> =
        message.split_whitespace().filter(|w| !w.contains('`') && !w.contains('/')).take(4).collect();
    words.join(" ").trim_end_matches(':').to_string()
}

fn load_and_report(name: &str, old_hosts: &[&str], old_path_prefixes: &[&str]) -> Option<content::Library> {
    let dir = corpus_dir(name)?;
    let started = Instant::now();
    let library = content::load(
        &dir,
        &LoadOptions {
            old_hosts: old_hosts.iter().map(|h| h.to_string()).collect(),
            old_path_prefixes: old_path_prefixes.iter().map(|h| h.to_string()).collect(),
            ..LoadOptions::default()
        },
    );
    let elapsed = started.elapsed();
    let mut kinds: BTreeMap<(String, String), usize> = BTreeMap::new();
    for d in &library.diagnostics {
        let severity = if d.severity == Severity::Error { "error" } else { "warning" };
        *kinds.entry((severity.to_string(), kind_of(&d.message))).or_default() += 1;
    }
    eprintln!(
        "corpus {name}: {} articles, {} categories, loaded in {} ms",
        library.articles.len(),
        library.categories.len(),
        elapsed.as_millis()
    );
    for ((severity, kind), count) in &kinds {
        eprintln!("  {severity:7} {count:4} × {kind}");
    }
    Some(library)
}

fn front_matter_errors(library: &content::Library) -> Vec<String> {
    library
        .diagnostics
        .iter()
        .filter(|d| d.is_error() && d.message.contains("front matter"))
        .map(ToString::to_string)
        .collect()
}

#[test]
fn arduino_help_center_loads_and_renders() {
    let Some(lib) = load_and_report("arduino-help", &["support.arduino.cc"], &[]) else {
        return;
    };
    assert_eq!(lib.articles.len(), 414, "every file becomes an article");
    assert_eq!(lib.articles.iter().filter(|a| a.draft).count(), 4);
    assert_eq!(lib.categories.len(), 7);
    // No front matter problems: every file parses.
    let front_matter_errors = front_matter_errors(&lib);
    assert!(front_matter_errors.is_empty(), "{front_matter_errors:?}");
    let mut resolved_legacy = 0;
    for article in lib.published() {
        let html = &article.rendered.html;
        assert!(
            !html.contains("<script") && !html.contains("<form") && !html.contains("<iframe"),
            "{}",
            article.source_path.display()
        );
        assert!(
            !html.contains("[!NOTE]") && !html.contains("[!TIP]"),
            "alerts become callouts in {}",
            article.source_path.display()
        );
        assert!(
            !article.rendered.plain_text.contains("<!--"),
            "comments are not indexed in {}",
            article.source_path.display()
        );
        assert!(
            !html.contains("{.link-external}") && !html.contains("{.link-chevron-right}"),
            "kramdown attributes stripped in {}",
            article.source_path.display()
        );
        resolved_legacy += html.matches(r#"href="/articles/"#).count();
        assert_eq!(
            html.matches("<div").count(),
            html.matches("</div>").count(),
            "balanced layout in {}",
            article.source_path.display()
        );
    }
    assert!(resolved_legacy >= 400, "old Zendesk links resolve to local articles ({resolved_legacy})");
    // Placeholders inside code stay visible.
    let with_port = lib.published().find(|a| a.source.contains("\"<port>\"")).expect("an article with <port>");
    assert!(with_port.rendered.html.contains("&lt;port&gt;"));
    // Non-ASCII folders give ASCII slugs.
    assert!(lib.categories.iter().all(|c| c.slug.is_ascii()));
}

#[test]
fn plausible_docs_load_and_render() {
    let Some(lib) = load_and_report("plausible-docs", &[], &["/docs"]) else {
        return;
    };
    assert_eq!(lib.articles.len(), 132);
    let front_matter_errors = front_matter_errors(&lib);
    assert!(front_matter_errors.is_empty(), "{front_matter_errors:?}");
    for article in lib.published() {
        let html = &article.rendered.html;
        assert!(
            !html.contains("@docusaurus") && !html.contains("useBaseUrl"),
            "MDX removed in {}",
            article.source_path.display()
        );
        assert!(!html.contains(":::"), "admonitions converted in {}", article.source_path.display());
        assert_eq!(
            html.matches("<div").count(),
            html.matches("</div>").count(),
            "balanced layout in {}",
            article.source_path.display()
        );
    }
    let top_pages = lib.published().find(|a| a.source_path.ends_with("top-pages.md")).expect("top-pages");
    assert!(!top_pages.title.is_empty() && !top_pages.rendered.html.contains("title:"), "`--- ` closing delimiter");
    let relative_links = lib.published().map(|a| a.rendered.html.matches(r#"href="/articles/"#).count()).sum::<usize>();
    assert!(relative_links > 100, "sibling .md links resolve ({relative_links})");
}

/// `quire import` on the corpora as they are published (plausible-docs is a
/// Docusaurus site's docs; arduino-help a plain Markdown tree, read as Jekyll's):
/// every page comes through, and the imported folder has no more errors than the
/// original loaded directly.
#[test]
fn importing_the_corpora_keeps_every_page() {
    use quire::import::docs_site::{import, SiteTool};
    for (name, tool) in [("plausible-docs", SiteTool::Docusaurus), ("arduino-help", SiteTool::Jekyll)] {
        let Some(dir) = corpus_dir(name) else { return };
        let out = tempfile::tempdir().expect("tempdir");
        let target = out.path().join("content");
        let report = import(tool, &dir, &target).expect("import");
        let original = content::load(&dir, &LoadOptions::default());
        let imported = content::load(&target, &LoadOptions::default());
        let errors = |library: &content::Library| library.diagnostics.iter().filter(|d| d.is_error()).count();
        eprintln!(
            "{name} imported as {}: {} pages, {} files, {} problem(s); errors {} → {}",
            tool.name(),
            report.articles,
            report.attachments,
            report.problems.len(),
            errors(&original),
            errors(&imported)
        );
        assert_eq!(report.articles, original.articles.len() + original.faqs.len(), "{name}: every page imported");
        assert_eq!(imported.articles.len(), original.articles.len(), "{name}: every article loads");
        assert!(errors(&imported) <= errors(&original), "{name}: the import adds no errors");
    }
}
