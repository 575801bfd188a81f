//! `quire import`: moving a help center in from another tool.
//!
//! An import writes a content folder Quire serves as it is (one folder per category,
//! one per section, `_meta.yml` with their names and order, one Markdown file per
//! article with its front matter) and reports what it could not carry over, item by
//! item, so nothing is lost silently. It never writes into a folder that has files.

pub mod docs_site;
pub mod zendesk;

mod html;

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// What an import wrote, and what it could not carry over.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub categories: usize,
    pub sections: usize,
    pub articles: usize,
    pub drafts: usize,
    pub attachments: usize,
    pub problems: Vec<ImportProblem>,
}

/// Something an import could not carry over as it was.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportProblem {
    /// What it is about: `article 360001 "Refunds"`, `section 12`.
    pub item: String,
    pub message: String,
}

impl fmt::Display for ImportReport {
    /// The summary line, then one `problem:` line per problem.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "imported {} articles ({} drafts) in {} categories and {} sections, with {} attachments; {} problem(s)",
            self.articles,
            self.drafts,
            self.categories,
            self.sections,
            self.attachments,
            self.problems.len()
        )?;
        for problem in &self.problems {
            writeln!(f, "problem: {}: {}", problem.item, problem.message)?;
        }
        Ok(())
    }
}

impl ImportReport {
    fn problem(&mut self, item: impl Into<String>, message: impl Into<String>) {
        self.problems.push(ImportProblem { item: item.into(), message: message.into() });
    }
}

/// Creates `out` for an import: it must not exist or be empty, so an import never
/// mixes with (or overwrites) a help center's files.
fn prepare_output(out: &Path) -> Result<()> {
    if out.exists() {
        let mut entries = std::fs::read_dir(out).with_context(|| format!("cannot read {}", out.display()))?;
        if entries.next().is_some() {
            bail!("{} is not empty: import into a new folder", out.display());
        }
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))
}

/// Writes `text` to `path`, creating its folder.
fn write_file(path: &Path, text: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// A file or folder name from a title: lowercase ASCII words joined by dashes.
fn file_name(title: &str, fallback: &str) -> String {
    let name = slug::slugify(title);
    if name.is_empty() {
        fallback.to_string()
    } else {
        name.chars().take(80).collect::<String>().trim_end_matches('-').to_string()
    }
}

/// `name`, or `name-2`, `name-3`… if a path with it is taken.
fn unique_path(folder: &Path, name: &str, extension: &str, taken: &mut std::collections::HashSet<PathBuf>) -> PathBuf {
    let mut n = 1;
    loop {
        let candidate = if n == 1 { name.to_string() } else { format!("{name}-{n}") };
        let path = folder.join(if extension.is_empty() { candidate } else { format!("{candidate}.{extension}") });
        if taken.insert(path.clone()) {
            return path;
        }
        n += 1;
    }
}

/// A YAML scalar for front matter: quoted (and escaped) as a JSON string, which YAML
/// reads the same, so any title is safe.
fn yaml_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_string())
}
