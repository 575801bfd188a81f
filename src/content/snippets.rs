//! Reusable snippets, variables, and the template tags content brings from other tools.
//!
//! Support teams repeat the same contact block or warning in many articles. Quire's
//! form is `{% snippet contact-us %}`, reading `_snippets/contact-us.md`; Jekyll's
//! `{% include footer-nav.md %}` reads `_includes/footer-nav.md` (then `_snippets/`).
//! Both take parameters (`{% snippet note text="Back up first" %}`, used inside as
//! `{{ text }}` or Jekyll's `{{ include.text }}`), and every page can use the values
//! of `_variables.yml` at the top of the content folder (`{{ product }}`, Jekyll's
//! `{{ site.product }}`).
//!
//! Everything else written in template syntax (`{% if %}`, Hugo's `{{< note >}}`,
//! `{{ page.title }}`) is a leftover of a tool Quire does not run: it is removed from
//! the page and the index, and reported with its line, never shown as text. kramdown's
//! `{::nomarkdown}` … `{:/}` markers are removed (the HTML between them stays, and is
//! sanitized like any HTML), and `{::comment}` blocks are removed whole.
//!
//! Expansion happens before rendering, with a map from each line of the result to the
//! line of the page it came from, so problems inside a snippet point at the line that
//! includes it. Code spans and blocks are never touched.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use super::diagnostics::{Diagnostic, Severity};
use super::loader::slash_path;

/// The folder of Quire snippets, and Jekyll's folder of includes.
pub const SNIPPET_DIR: &str = "_snippets";
pub const INCLUDE_DIR: &str = "_includes";
/// Values for `{{ name }}` in every page.
pub const VARIABLES_FILE: &str = "_variables.yml";
/// How deep snippets may include snippets.
const MAX_DEPTH: usize = 5;
/// The most text snippets may make of one page.
const MAX_EXPANDED_BYTES: usize = 4 << 20;

/// The snippets and variables of a content folder.
#[derive(Debug, Default)]
pub struct SnippetLibrary {
    /// Path inside `_snippets/` or `_includes/` ("contact-us.md", "nav/footer.md") → text.
    snippets: HashMap<String, String>,
    includes: HashMap<String, String>,
    variables: HashMap<String, String>,
}

impl SnippetLibrary {
    /// Reads `_snippets/`, `_includes/` and `_variables.yml` under `dir`; problems
    /// (unreadable files, bad YAML) go to `diagnostics`.
    pub fn load(dir: &Path, diagnostics: &mut Vec<Diagnostic>) -> Self {
        let mut library = Self::default();
        for (folder, into) in [(SNIPPET_DIR, &mut library.snippets), (INCLUDE_DIR, &mut library.includes)] {
            let root = dir.join(folder);
            if !root.is_dir() {
                continue;
            }
            for entry in walkdir::WalkDir::new(&root).sort_by_file_name().into_iter().flatten() {
                if !entry.file_type().is_file() {
                    continue;
                }
                let name = entry.path().strip_prefix(&root).map(slash_path).unwrap_or_default();
                match std::fs::read_to_string(entry.path()) {
                    Ok(text) => {
                        into.insert(name, text);
                    }
                    Err(err) => diagnostics.push(Diagnostic::error(
                        &Path::new(folder).join(&name),
                        None,
                        format!("cannot read this snippet: {err}"),
                    )),
                }
            }
        }
        let variables_path = dir.join(VARIABLES_FILE);
        if let Ok(text) = std::fs::read_to_string(&variables_path) {
            match serde_yaml_ng::from_str::<Option<HashMap<String, serde_yaml_ng::Value>>>(&text) {
                Ok(values) => {
                    for (name, value) in values.unwrap_or_default() {
                        let text = match value {
                            serde_yaml_ng::Value::String(s) => s,
                            serde_yaml_ng::Value::Number(n) => n.to_string(),
                            serde_yaml_ng::Value::Bool(b) => b.to_string(),
                            _ => {
                                diagnostics.push(Diagnostic::error(
                                    Path::new(VARIABLES_FILE),
                                    None,
                                    format!("variable `{name}` must be a text, a number or true/false"),
                                ));
                                continue;
                            }
                        };
                        library.variables.insert(name, text);
                    }
                }
                Err(err) => diagnostics.push(Diagnostic::error(
                    Path::new(VARIABLES_FILE),
                    err.location().map(|l| l.line()),
                    format!("invalid variables file (write one `name: value` per line): {err}"),
                )),
            }
        }
        library
    }

    /// A snippet by the name a page wrote: `_snippets/<name>` with or without `.md`,
    /// then (for Jekyll's include) `_includes/<name>`.
    fn find(&self, name: &str, jekyll: bool) -> Option<&str> {
        let name = name.trim_matches(['"', '\'']).trim_start_matches("./");
        let with_md = format!("{name}.md");
        let quire = self.snippets.get(name).or_else(|| self.snippets.get(&with_md));
        let found = if jekyll { self.includes.get(name).or(quire) } else { quire.or_else(|| self.includes.get(name)) };
        found.map(String::as_str)
    }
}

/// A page's text with its snippets and variables filled in.
#[derive(Debug)]
pub struct Expansion {
    pub text: String,
    /// For each line of `text`, the 0-based line of the page it came from.
    pub line_map: Vec<usize>,
    pub problems: Vec<TemplateProblem>,
    /// Snippets filled in.
    pub snippets_used: usize,
    /// Template tags removed.
    pub tags_removed: usize,
}

/// Something wrong with a template tag, at a 0-based line of the page.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateProblem {
    pub line: usize,
    pub severity: Severity,
    pub message: String,
}

static TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\{%-?\s*(?P<block>.*?)\s*-?%\}|\{\{-?\s*(?P<value>.*?)\s*-?\}\}|\{::(?P<kopen>\w+)[^}]*\}|\{:/(?P<kclose>\w*)\}")
        .expect("valid regex")
});
static ARGUMENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"([A-Za-z_][\w-]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+))"#).expect("valid regex"));

/// `body` with its template tags handled, or `None` when it has none (most pages).
pub fn expand(body: &str, library: &SnippetLibrary) -> Option<Expansion> {
    if !body.contains("{%") && !body.contains("{{") && !body.contains("{:") {
        return None;
    }
    let mut out = Expansion {
        text: String::new(),
        line_map: Vec::new(),
        problems: Vec::new(),
        snippets_used: 0,
        tags_removed: 0,
    };
    let mut stack = Vec::new();
    expand_into(body, library, &HashMap::new(), None, &mut stack, &mut out);
    Some(out)
}

/// Expands `text` into `out`. `origin` is the page line everything maps to when `text`
/// is a snippet (`None`: the page itself, each line to itself).
fn expand_into(
    text: &str,
    library: &SnippetLibrary,
    parameters: &HashMap<String, String>,
    origin: Option<usize>,
    stack: &mut Vec<String>,
    out: &mut Expansion,
) {
    let code = super::preprocess::code_ranges(text);
    let in_code = |offset: usize| {
        let after = code.partition_point(|r: &Range<usize>| r.start <= offset);
        after > 0 && code[after - 1].end > offset
    };
    let mut in_comment = false;
    let mut start = 0;
    for (index, raw) in text.split_inclusive('\n').enumerate() {
        let line_start = start;
        start += raw.len();
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let page_line = origin.unwrap_or(index);
        let mut result = String::with_capacity(line.len());
        let mut kept_from = 0;
        let mut whole_line_snippet: Option<String> = None;
        for found in TAG.captures_iter(line) {
            let Some(all) = found.get(0) else { continue };
            // `style={{…}}` is a JSX attribute (MDX), not a template value.
            let jsx_attribute = line[..all.start()].ends_with('=') && found.name("value").is_some();
            if in_code(line_start + all.start()) || jsx_attribute {
                continue;
            }
            if !in_comment {
                result.push_str(&line[kept_from..all.start()]);
            }
            kept_from = all.end();
            let mut report = |severity: Severity, message: String| {
                out.problems.push(TemplateProblem { line: page_line, severity, message });
            };
            if let Some(opened) = found.name("kopen") {
                // kramdown: {::nomarkdown}/{::options .../} markers go; comments go whole.
                if opened.as_str() == "comment" && !all.as_str().ends_with("/}") {
                    in_comment = true;
                }
                continue;
            }
            if found.name("kclose").is_some() {
                in_comment = false;
                continue;
            }
            if in_comment {
                continue;
            }
            if let Some(block) = found.name("block") {
                let block = block.as_str();
                let mut words = block.split_whitespace();
                let keyword = words.next().unwrap_or_default();
                match keyword {
                    "include" | "include_relative" | "snippet" => {
                        let name = words.next().unwrap_or_default();
                        let arguments: HashMap<String, String> = ARGUMENT
                            .captures_iter(block)
                            .filter_map(|a| {
                                let value = a.get(2).or(a.get(3)).or(a.get(4))?.as_str();
                                Some((a[1].to_string(), fill_values(value, parameters, library)))
                            })
                            .collect();
                        match library.find(name, keyword != "snippet") {
                            None => report(
                                Severity::Error,
                                format!(
                                    "snippet `{name}` not found: put it in {SNIPPET_DIR}/{} (or, for Jekyll's include, {INCLUDE_DIR}/{name})",
                                    if name.ends_with(".md") { name.to_string() } else { format!("{name}.md") }
                                ),
                            ),
                            Some(_) if stack.iter().any(|s| s == name) => report(
                                Severity::Error,
                                format!("snippet `{name}` includes itself (through {}): it is left out", stack.join(" → ")),
                            ),
                            Some(_) if stack.len() >= MAX_DEPTH => report(
                                Severity::Error,
                                format!("snippet `{name}` is included {MAX_DEPTH} snippets deep ({}): it is left out", stack.join(" → ")),
                            ),
                            // Snippets that include snippets many times over could make a
                            // page of any size.
                            Some(_) if out.text.len() > MAX_EXPANDED_BYTES => report(
                                Severity::Error,
                                format!("snippet `{name}` is left out: with its snippets this page is over {} MB", MAX_EXPANDED_BYTES >> 20),
                            ),
                            Some(snippet) => {
                                out.snippets_used += 1;
                                let whole = line.trim() == all.as_str().trim();
                                if whole {
                                    whole_line_snippet = Some(name.to_string());
                                    stack.push(name.to_string());
                                    expand_into(snippet, library, &arguments, Some(page_line), stack, out);
                                    stack.pop();
                                } else {
                                    // Inside a sentence: the snippet's text, on this line.
                                    let mut inner = Expansion {
                                        text: String::new(),
                                        line_map: Vec::new(),
                                        problems: Vec::new(),
                                        snippets_used: 0,
                                        tags_removed: 0,
                                    };
                                    stack.push(name.to_string());
                                    expand_into(snippet, library, &arguments, Some(page_line), stack, &mut inner);
                                    stack.pop();
                                    result.push_str(inner.text.trim_end().replace('\n', " ").as_str());
                                    out.problems.extend(inner.problems);
                                    out.snippets_used += inner.snippets_used;
                                    out.tags_removed += inner.tags_removed;
                                }
                            }
                        }
                    }
                    // Liquid's raw markers only protect what is between them.
                    "raw" | "endraw" => {}
                    "highlight" => result.push_str(&format!("```{}", words.next().unwrap_or_default())),
                    "endhighlight" => result.push_str("```"),
                    _ => {
                        out.tags_removed += 1;
                        report(
                            Severity::Warning,
                            format!(
                                "template tag `{}` removed: Quire does not run {}",
                                shorten(all.as_str()),
                                tool_of(all.as_str())
                            ),
                        );
                    }
                }
                continue;
            }
            if let Some(value) = found.name("value") {
                match lookup(value.as_str(), parameters, library) {
                    Some(filled) => result.push_str(&filled),
                    None => {
                        out.tags_removed += 1;
                        report(
                            Severity::Warning,
                            format!(
                                "template value `{}` removed: {}",
                                shorten(all.as_str()),
                                if value.as_str().starts_with(['<', '%']) {
                                    "Quire does not run Hugo shortcodes".to_string()
                                } else {
                                    format!("no such variable (set it in {VARIABLES_FILE})")
                                }
                            ),
                        );
                    }
                }
            }
        }
        if whole_line_snippet.is_some() {
            continue;
        }
        if !in_comment {
            result.push_str(&line[kept_from..]);
        }
        out.text.push_str(&result);
        out.text.push('\n');
        out.line_map.push(page_line);
    }
}

/// A `{{ … }}` value: a parameter (`text`, `include.text`) or a variable (`product`,
/// `site.product`), with Liquid filters after `|` ignored.
fn lookup(expression: &str, parameters: &HashMap<String, String>, library: &SnippetLibrary) -> Option<String> {
    let name = expression.split('|').next().unwrap_or_default().trim();
    if let Some(parameter) = name.strip_prefix("include.") {
        return parameters.get(parameter).cloned();
    }
    let variable = name.strip_prefix("site.").unwrap_or(name);
    parameters.get(name).or_else(|| library.variables.get(variable)).cloned()
}

/// Fills `{{ … }}` inside a snippet's argument (`text="{{ product }} 2"`).
fn fill_values(value: &str, parameters: &HashMap<String, String>, library: &SnippetLibrary) -> String {
    TAG.replace_all(value, |c: &regex::Captures<'_>| {
        c.name("value").and_then(|v| lookup(v.as_str(), parameters, library)).unwrap_or_default()
    })
    .into_owned()
}

/// Which tool a leftover tag belongs to, for the message.
fn tool_of(tag: &str) -> &'static str {
    if tag.starts_with("{{<") || tag.starts_with("{{%") {
        "Hugo shortcodes"
    } else {
        "Liquid (Jekyll) tags"
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= 60 {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(59).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn library() -> SnippetLibrary {
        let mut library = SnippetLibrary::default();
        library.snippets.insert("contact-us.md".into(), "Still stuck? Write to {{ product }} support.\n".into());
        library.snippets.insert("note.md".into(), "> [!NOTE]\n> {{ text }}\n".into());
        library.snippets.insert("loop.md".into(), "{% snippet loop %}\n".into());
        library.includes.insert("footer-nav.md".into(), "[Home](/)\n\n{% include contact-us.md %}\n".into());
        library.variables.insert("product".into(), "Quire".into());
        library
    }

    #[test]
    fn snippets_and_includes_fill_in_with_lines_mapped_to_the_page() {
        let page = "Intro\n\n{% snippet note text=\"Back up first\" %}\n\nMiddle\n{% include footer-nav.md %}\n";
        let out = expand(page, &library()).expect("expanded");
        assert_eq!(
            out.text,
            "Intro\n\n> [!NOTE]\n> Back up first\n\nMiddle\n[Home](/)\n\nStill stuck? Write to Quire support.\n"
        );
        assert_eq!(out.line_map, vec![0, 1, 2, 2, 3, 4, 5, 5, 5]);
        assert_eq!(out.snippets_used, 3);
        assert!(out.problems.is_empty(), "{:?}", out.problems);
    }

    #[test]
    fn leftover_tags_are_removed_and_reported_code_is_untouched() {
        let page = "{% if page.beta %}Beta{% endif %} ok\n{{< youtube abc >}}\nUse `{{ name }}` and {{ site.product }}.\n```\n{% include x %}\n```\n{% include missing.md %}\n";
        let out = expand(page, &library()).expect("expanded");
        assert_eq!(out.text, "Beta ok\n\nUse `{{ name }}` and Quire.\n```\n{% include x %}\n```\n\n");
        let lines: Vec<(usize, Severity)> = out.problems.iter().map(|p| (p.line, p.severity)).collect();
        assert_eq!(
            lines,
            vec![(0, Severity::Warning), (0, Severity::Warning), (1, Severity::Warning), (6, Severity::Error)]
        );
        assert!(out.problems[2].message.contains("Hugo"), "{:?}", out.problems[2]);
        assert!(out.problems[3].message.contains("_snippets/missing.md"), "{:?}", out.problems[3]);
        assert_eq!(out.tags_removed, 3);
    }

    #[test]
    fn kramdown_markers_go_and_comments_go_whole() {
        let page = "| a | {::nomarkdown}<br>{:/} |\n{::comment}\nhidden\n{:/comment}\nshown {::options parse_block_html=\"true\" /}\n";
        let out = expand(page, &library()).expect("expanded");
        // Lines stay lines (blank where all was removed), so line numbers hold.
        assert_eq!(out.text, "| a | <br> |\n\n\n\nshown \n");
    }

    #[test]
    fn a_snippet_that_includes_itself_stops() {
        let out = expand("{% snippet loop %}\n", &library()).expect("expanded");
        assert!(out.problems.iter().any(|p| p.message.contains("includes itself")), "{:?}", out.problems);
    }

    #[test]
    fn snippets_cannot_blow_a_page_up() {
        let mut library = library();
        let ten = |name: &str| format!("{}\n", vec![format!("{{% snippet {name} %}}"); 10].join("\n"));
        library.snippets.insert("a.md".into(), ten("b"));
        library.snippets.insert("b.md".into(), ten("c"));
        library.snippets.insert("c.md".into(), ten("d"));
        library.snippets.insert("d.md".into(), ten("e"));
        library.snippets.insert("e.md".into(), format!("{}\n", "x".repeat(100_000)));
        let out = expand("{% snippet a %}\n", &library).expect("expanded");
        assert!(out.text.len() <= MAX_EXPANDED_BYTES + 200_000, "{} bytes", out.text.len());
        assert!(out.problems.iter().any(|p| p.message.contains("over 4 MB")), "{:?}", out.problems.first());
    }

    #[test]
    fn pages_without_tags_are_left_alone() {
        assert!(expand("Just text with {braces}.\n", &library()).is_none());
    }
}
