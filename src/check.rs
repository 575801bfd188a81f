//! `quire check`: load the content the way the server does and report every problem.

use std::path::Path;
use std::process::ExitCode;

use crate::config::Config;
use crate::content::{self, Severity};

/// Prints every diagnostic for `dir`, then a summary; exits 1 when there are errors.
pub fn run(config: &Config, dir: &Path) -> ExitCode {
    let started = std::time::Instant::now();
    let library = content::load(dir, &crate::site::load_options(config));
    for diagnostic in &library.diagnostics {
        // Paths are printed relative to the folder given, so editors can jump to them.
        println!("{}", with_root(dir, diagnostic));
    }
    let errors = library
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = library.diagnostics.len() - errors;
    println!(
        "checked {} articles and {} FAQ pages in {} categories in {} ms: {errors} error(s), {warnings} warning(s)",
        library.articles.len(),
        library.faqs.len(),
        library.categories.len(),
        started.elapsed().as_millis()
    );
    if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn with_root(dir: &Path, diagnostic: &content::Diagnostic) -> content::Diagnostic {
    let mut shown = diagnostic.clone();
    shown.path = dir.join(&diagnostic.path);
    shown
}
