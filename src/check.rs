//! `quire check`: load the content the way the server does and report every problem.

use std::path::Path;
use std::process::ExitCode;

use crate::config::Config;
use crate::content::{self, Severity};
use crate::search::SearchIndex;

/// Prints every diagnostic for `dir`, then a summary; exits 1 when there are errors.
pub fn run(config: &Config, dir: &Path) -> ExitCode {
    let started = std::time::Instant::now();
    let library = content::load(dir, &crate::site::load_options(config));
    // Building the index also validates the synonyms and best bets files.
    let search_diagnostics = match config.search_settings().map(|settings| SearchIndex::build(&library, &settings, dir))
    {
        Ok(Ok((_, diagnostics))) => diagnostics,
        Ok(Err(err)) => vec![content::Diagnostic::error(dir, None, format!("cannot build the search index: {err}"))],
        Err(err) => {
            eprintln!("quire: {err:#}");
            return ExitCode::from(2);
        }
    };
    let diagnostics: Vec<&content::Diagnostic> = library.diagnostics.iter().chain(&search_diagnostics).collect();
    for diagnostic in &diagnostics {
        // Paths are printed relative to the folder given, so editors can jump to them.
        println!("{}", with_root(dir, diagnostic));
    }
    // What Quire changed in the authors' text to read other tools' syntax, so nothing
    // is removed without the author being able to see it.
    for (path, rewrite) in &library.rewrites {
        println!("{}", describe_rewrite(&dir.join(path), rewrite));
    }
    if library.snippets_filled > 0 || library.template_tags_removed > 0 {
        println!(
            "templates: {} snippet(s) filled in, {} template tag(s) of other tools removed",
            library.snippets_filled, library.template_tags_removed
        );
    }
    let errors = diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    let warnings = diagnostics.len() - errors;
    println!(
        "checked {} articles and {} FAQ pages in {} categories in {} ms: {errors} error(s), {warnings} warning(s), {} rewrite(s)",
        library.articles.len(),
        library.faqs.len(),
        library.categories.len(),
        started.elapsed().as_millis(),
        library.rewrites.len()
    );
    if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// `rewrite: path:line: what was done: `before` → `after``.
fn describe_rewrite(path: &Path, rewrite: &content::SourceRewrite) -> String {
    let after = if rewrite.after.is_empty() { "(removed)".to_string() } else { format!("`{}`", rewrite.after) };
    format!("rewrite: {}:{}: {}: `{}` → {after}", path.display(), rewrite.line, rewrite.rule.describe(), rewrite.before)
}

fn with_root(dir: &Path, diagnostic: &content::Diagnostic) -> content::Diagnostic {
    let mut shown = diagnostic.clone();
    shown.path = dir.join(&diagnostic.path);
    shown
}
