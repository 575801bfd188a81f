//! `quire import jekyll|docusaurus|mkdocs DIR OUT`: a documentation site's Markdown
//! tree, copied into a content folder Quire serves, with what those tools keep outside
//! the Markdown carried over.
//!
//! - Every page gets a `title` (its front matter's, its place in the MkDocs `nav`, its
//!   first `# heading`, or its file name), and an `order` from `sidebar_position`
//!   (Docusaurus), `nav_order` (Jekyll's just-the-docs) or its place in the `nav`.
//! - Folder names and order come from Docusaurus `_category_.json`/`.yml` and from the
//!   MkDocs `nav`, written as Quire's `_meta.yml`.
//! - MkDocs admonitions (`!!! note "Title"` with an indented body) become the
//!   `:::note Title` … `:::` form Quire reads; Jekyll's `_includes/` is copied as it is
//!   (Quire reads it); images and files next to the pages are copied.
//! - Keys with no meaning in Quire (`layout`, `sidebar_label`, a Docusaurus `id`, …) are
//!   dropped; `permalink`s are reported, since their addresses change.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use anyhow::{bail, Context, Result};
use regex::Regex;
use serde_yaml_ng::{Mapping, Value};

use super::{prepare_output, write_file, yaml_string, ImportReport};

/// Which tool wrote the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteTool {
    Jekyll,
    Docusaurus,
    MkDocs,
}

impl SiteTool {
    pub fn name(self) -> &'static str {
        match self {
            SiteTool::Jekyll => "Jekyll",
            SiteTool::Docusaurus => "Docusaurus",
            SiteTool::MkDocs => "MkDocs",
        }
    }
}

const PAGE_EXTENSIONS: &[&str] = &["md", "markdown", "mdx"];
const FILE_EXTENSIONS: &[&str] =
    &["png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "pdf", "mp4", "webm", "mp3", "csv", "zip", "txt"];
/// Folders of a site's build, theme or tooling, never content.
const NOT_CONTENT: &[&str] =
    &["_site", "_layouts", "_sass", "_data", "_plugins", "node_modules", "vendor", "build", "site", ".docusaurus"];
/// Front matter keys Quire has no use for, dropped without a word.
const DROPPED_KEYS: &[&str] = &[
    "layout",
    "sidebar_label",
    "sidebar_class_name",
    "sidebar_custom_props",
    "displayed_sidebar",
    "pagination_label",
    "pagination_next",
    "pagination_prev",
    "hide_title",
    "hide_table_of_contents",
    "toc_max_heading_level",
    "toc_min_heading_level",
    "custom_edit_url",
    "parent",
    "grand_parent",
    "has_children",
    "nav_exclude",
    "search_exclude",
    "last_modified_date",
];

/// Copies the site at `source` into `out` (new or empty).
pub fn import(tool: SiteTool, source: &Path, out: &Path) -> Result<ImportReport> {
    if !source.is_dir() {
        bail!("{} is not a folder", source.display());
    }
    prepare_output(out)?;
    let nav = match tool {
        SiteTool::MkDocs => MkDocsNav::read(source)?,
        _ => MkDocsNav::default(),
    };
    let root = match tool {
        SiteTool::Docusaurus if source.join("docs").is_dir() => source.join("docs"),
        SiteTool::MkDocs => source.join(nav.docs_dir.as_deref().unwrap_or("docs")),
        _ => source.to_path_buf(),
    };
    if !root.is_dir() {
        bail!("{} has no pages folder ({} is missing)", source.display(), root.display());
    }
    let mut report = ImportReport::default();
    let mut folders: HashSet<PathBuf> = HashSet::new();
    let walker = walkdir::WalkDir::new(&root).sort_by_file_name().into_iter().filter_entry(|entry| {
        let name = entry.file_name().to_string_lossy();
        entry.depth() == 0 || !(name.starts_with('.') || NOT_CONTENT.contains(&name.as_ref()))
    });
    for entry in walker {
        let entry = entry.with_context(|| format!("cannot read {}", root.display()))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let relative = entry.path().strip_prefix(&root).unwrap_or(entry.path()).to_path_buf();
        let name = entry.file_name().to_string_lossy().to_string();
        let extension = entry.path().extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        let target = out.join(&relative);
        if name.starts_with("_category_.") {
            let meta = category_meta(entry.path()).with_context(|| format!("cannot read {}", relative.display()))?;
            write_file(&target.with_file_name("_meta.yml"), meta.as_bytes())?;
            continue;
        }
        if PAGE_EXTENSIONS.contains(&extension.as_str()) {
            let text =
                std::fs::read_to_string(entry.path()).with_context(|| format!("cannot read {}", relative.display()))?;
            let in_includes = relative.starts_with("_includes");
            let page = if in_includes { text } else { convert_page(tool, &relative, &text, &nav, &mut report) };
            write_file(&target, page.as_bytes())?;
            if !in_includes {
                report.articles += 1;
                if let Some(parent) = relative.parent().filter(|p| !p.as_os_str().is_empty()) {
                    folders.insert(parent.to_path_buf());
                }
            }
        } else if FILE_EXTENSIONS.contains(&extension.as_str()) {
            std::fs::create_dir_all(target.parent().unwrap_or(out))?;
            std::fs::copy(entry.path(), &target).with_context(|| format!("cannot copy {}", relative.display()))?;
            report.attachments += 1;
        }
    }
    // Folder names and order from the MkDocs nav, where no `_meta.yml` was written.
    for (folder, (title, order)) in &nav.folders {
        let meta = out.join(folder).join("_meta.yml");
        if out.join(folder).is_dir() && !meta.exists() {
            write_file(&meta, format!("title: {}\norder: {order}\n", yaml_string(title)).as_bytes())?;
        }
    }
    report.categories = folders.iter().filter(|f| f.components().count() == 1).count();
    report.sections = folders.iter().filter(|f| f.components().count() == 2).count();
    let deep = folders.iter().filter(|f| f.components().count() > 2).count();
    if deep > 0 {
        report.problem(
            format!("{deep} folders"),
            "are nested more than two levels deep: Quire shows a category and its sections, and files deeper count in the section above",
        );
    }
    Ok(report)
}

/// A Docusaurus `_category_.json`/`.yml` as Quire's `_meta.yml`.
fn category_meta(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path)?;
    let value: Value = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str::<serde_json::Value>(&text).map(|v| serde_yaml_ng::to_value(v).unwrap_or(Value::Null))?
    } else {
        serde_yaml_ng::from_str(&text)?
    };
    let mut meta = String::new();
    if let Some(label) = value.get("label").and_then(Value::as_str) {
        meta.push_str(&format!("title: {}\n", yaml_string(label)));
    }
    if let Some(position) = value.get("position").and_then(Value::as_f64) {
        meta.push_str(&format!("order: {}\n", position.round() as i64));
    }
    if let Some(description) = value.get("link").and_then(|l| l.get("description")).and_then(Value::as_str) {
        meta.push_str(&format!("description: {}\n", yaml_string(description)));
    }
    Ok(meta)
}

static FIRST_H1: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?m)^#\s+(.+?)\s*#*\s*$").expect("valid regex"));
static ADMONITION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^(\s*)(?:!!!|\?\?\?\+?)\s+([A-Za-z]+)(?:\s+"([^"]*)")?\s*$"#).expect("valid regex"));

/// One page: front matter mapped for Quire, MkDocs admonitions converted.
fn convert_page(tool: SiteTool, relative: &Path, text: &str, nav: &MkDocsNav, report: &mut ImportReport) -> String {
    let item = relative.display().to_string();
    // The loader's own split: a page without front matter is all body.
    let (front, body) = match crate::content::front_matter::split(text) {
        Ok(split) => (Some(split.yaml), split.body),
        Err(_) => (None, text),
    };
    let mut mapping: Mapping = match front.map(serde_yaml_ng::from_str::<Value>) {
        Some(Ok(Value::Mapping(mapping))) => mapping,
        Some(Ok(Value::Null)) | None => Mapping::new(),
        Some(Ok(_)) | Some(Err(_)) => {
            report.problem(
                &item,
                "its front matter is not valid YAML: it is kept as written for `quire check` to point at",
            );
            return text.to_string();
        }
    };
    let mut out: Vec<(&str, String)> = Vec::new();
    let key = |k: &str| Value::String(k.to_string());
    // The title: the page's own, the nav's, its first heading, or its file name.
    let title = mapping
        .remove(key("title"))
        .and_then(|v| v.as_str().map(str::to_string))
        .or_else(|| nav.titles.get(relative).cloned())
        .or_else(|| FIRST_H1.captures(body).map(|c| c[1].trim().to_string()))
        .unwrap_or_else(|| {
            let stem = relative.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
            stem.replace(['-', '_'], " ")
        });
    out.push(("title", yaml_string(&title)));
    let order = mapping
        .remove(key("sidebar_position"))
        .or_else(|| mapping.remove(key("nav_order")))
        .and_then(|v| v.as_f64())
        .map(|p| p.round() as i64)
        .or_else(|| nav.orders.get(relative).copied());
    if let Some(order) = order {
        out.push(("order", order.to_string()));
    }
    if tool == SiteTool::Docusaurus {
        // A Docusaurus `id` names the document for its links, not an old help desk id.
        mapping.remove(key("id"));
        if let Some(slug) = mapping.remove(key("slug")).and_then(|v| v.as_str().map(str::to_string)) {
            let slug = slug.trim_matches('/').rsplit('/').next().unwrap_or_default().to_string();
            if !slug.is_empty() {
                out.push(("slug", yaml_string(&slug)));
            }
        }
    }
    if let Some(permalink) = mapping.remove(key("permalink")) {
        report.problem(
            &item,
            format!(
                "its address `{}` changes to /articles/<slug>; add the old path's prefix to `migration.old_path_prefixes` or an alias to keep links",
                permalink.as_str().unwrap_or_default()
            ),
        );
    }
    if mapping.remove(key("unlisted")).and_then(|v| v.as_bool()) == Some(true) {
        out.push(("draft", "true".into()));
    }
    for dropped in DROPPED_KEYS {
        mapping.remove(key(dropped));
    }
    let mut rest = String::new();
    if !mapping.is_empty() {
        rest = serde_yaml_ng::to_string(&Value::Mapping(mapping)).unwrap_or_default();
    }
    let mut page = String::from("---\n");
    for (name, value) in &out {
        page.push_str(&format!("{name}: {value}\n"));
    }
    page.push_str(&rest);
    page.push_str("---\n");
    let body = if tool == SiteTool::MkDocs { mkdocs_admonitions(body) } else { body.to_string() };
    // The page shows its title; a first `# Title` repeating it would show it twice.
    page.push_str(&body);
    page
}

/// MkDocs admonitions (`!!! warning "Careful"` and a body indented by four spaces) as
/// `:::warning Careful` … `:::`.
fn mkdocs_admonitions(body: &str) -> String {
    let lines: Vec<&str> = body.lines().collect();
    let mut out = String::with_capacity(body.len() + 32);
    let mut i = 0;
    while i < lines.len() {
        let Some(caps) = ADMONITION.captures(lines[i]) else {
            out.push_str(lines[i]);
            out.push('\n');
            i += 1;
            continue;
        };
        let indent = caps[1].to_string();
        let kind = caps[2].to_ascii_lowercase();
        let title = caps.get(3).map(|t| format!(" {}", t.as_str())).unwrap_or_default();
        out.push_str(&format!("{indent}:::{kind}{title}\n"));
        i += 1;
        let inner = format!("{indent}    ");
        while i < lines.len() && (lines[i].starts_with(&inner) || lines[i].trim().is_empty()) {
            if lines[i].trim().is_empty() && !lines.get(i + 1).is_some_and(|next| next.starts_with(&inner)) {
                break;
            }
            out.push_str(&indent);
            out.push_str(lines[i].strip_prefix(&inner).unwrap_or(lines[i].trim_start()));
            out.push('\n');
            i += 1;
        }
        out.push_str(&format!("{indent}:::\n"));
    }
    out
}

/// What `mkdocs.yml` says: the pages folder, and the `nav`'s titles and order.
#[derive(Debug, Default)]
struct MkDocsNav {
    docs_dir: Option<String>,
    /// Page path (relative to the pages folder) → its title in the nav.
    titles: HashMap<PathBuf, String>,
    /// Page path → its position in its part of the nav.
    orders: HashMap<PathBuf, i64>,
    /// Folder → (title, position) for the nav's named parts.
    folders: HashMap<PathBuf, (String, i64)>,
}

impl MkDocsNav {
    fn read(site: &Path) -> Result<Self> {
        let path = site.join("mkdocs.yml");
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(_) => return Ok(Self::default()),
        };
        // MkDocs configs use `!!python/name:` tags for extensions: read them as text.
        let value: Value =
            serde_yaml_ng::from_str(&text).with_context(|| format!("{} is not valid YAML", path.display()))?;
        let mut nav =
            Self { docs_dir: value.get("docs_dir").and_then(Value::as_str).map(str::to_string), ..Self::default() };
        if let Some(items) = value.get("nav").and_then(Value::as_sequence) {
            nav.walk(items);
        }
        Ok(nav)
    }

    /// Reads one level of the nav: `- Title: page.md`, `- page.md`, `- Part: [ … ]`.
    fn walk(&mut self, items: &[Value]) {
        for (position, item) in items.iter().enumerate() {
            let position = position as i64 + 1;
            match item {
                Value::String(page) => {
                    self.orders.insert(PathBuf::from(page), position);
                }
                Value::Mapping(entry) => {
                    for (title, target) in entry {
                        let Some(title) = title.as_str() else { continue };
                        match target {
                            Value::String(page) if !page.contains("://") => {
                                self.titles.insert(PathBuf::from(page), title.to_string());
                                self.orders.insert(PathBuf::from(page), position);
                            }
                            Value::Sequence(children) => {
                                // A named part: its folder is the one its first page is in.
                                if let Some(folder) =
                                    first_page(children).and_then(|p| PathBuf::from(p).parent().map(Path::to_path_buf))
                                {
                                    if !folder.as_os_str().is_empty() {
                                        self.folders.entry(folder).or_insert((title.to_string(), position));
                                    }
                                }
                                self.walk(children);
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// The first page path in a part of the nav.
fn first_page(items: &[Value]) -> Option<String> {
    items.iter().find_map(|item| match item {
        Value::String(page) => Some(page.clone()),
        Value::Mapping(entry) => entry.values().find_map(|v| match v {
            Value::String(page) => Some(page.clone()),
            Value::Sequence(children) => first_page(children),
            _ => None,
        }),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mkdocs_admonitions_become_quire_callouts() {
        let body = "Intro\n\n!!! warning \"Back up first\"\n    Your data is deleted.\n\n    Really.\n\nAfter\n";
        assert_eq!(
            mkdocs_admonitions(body),
            "Intro\n\n:::warning Back up first\nYour data is deleted.\n\nReally.\n:::\n\nAfter\n"
        );
    }

    #[test]
    fn front_matter_is_mapped_for_quire() {
        let mut report = ImportReport::default();
        let page = "---\ntitle: Billing\nsidebar_position: 3\nsidebar_label: Pay\nid: billing-doc\nslug: /billing/overview\ntags: [money]\n---\nBody\n";
        let converted =
            convert_page(SiteTool::Docusaurus, Path::new("billing.md"), page, &MkDocsNav::default(), &mut report);
        assert_eq!(converted, "---\ntitle: \"Billing\"\norder: 3\nslug: \"overview\"\ntags:\n- money\n---\nBody\n");
        let untitled = convert_page(
            SiteTool::Jekyll,
            Path::new("how-to/reset-it.md"),
            "# Reset it now\n\nText\n",
            &MkDocsNav::default(),
            &mut report,
        );
        assert!(untitled.starts_with("---\ntitle: \"Reset it now\"\n---\n# Reset it now"), "{untitled}");
        let moved = convert_page(
            SiteTool::Jekyll,
            Path::new("a.md"),
            "---\ntitle: A\npermalink: /docs/a/\nnav_order: 2\n---\nx\n",
            &MkDocsNav::default(),
            &mut report,
        );
        assert!(moved.starts_with("---\ntitle: \"A\"\norder: 2\n---\n"), "{moved}");
        assert!(report.problems.iter().any(|p| p.message.contains("/docs/a/")), "{:?}", report.problems);
    }
}
