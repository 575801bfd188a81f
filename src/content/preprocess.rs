//! Source-level clean-up of syntaxes that other help-center tools use and CommonMark
//! does not know, done before the Markdown parser renders the text:
//!
//! 1. MDX `import`/`export` statements are dropped (they are code for a JavaScript
//!    build) — in MDX files only (see [`MdxMode`]).
//! 2. Docusaurus admonitions (`:::tip Title` … `:::`) become callout blocks, when the
//!    marker starts a block, names a known type and is closed.
//! 3. GitHub alerts with text on the marker line (`> [!NOTE] text`) are split so the
//!    parser recognises the alert; lowercase markers are accepted.
//! 4. kramdown attribute lists are removed: on a line of their own (`{: .note}`), or
//!    directly after a link or image (`[a](b){:target="_blank"}`).
//! 5. JSX expression attributes (`src={useBaseUrl('x')}`) inside a tag are removed, so
//!    the tag is still HTML (and sanitized) rather than shown as literal text — in MDX
//!    files only.
//!
//! Every rule works from the parsed structure of the source: code (spans, indented and
//! fenced blocks at any depth: in lists, in block quotes) is never touched, and where a
//! rule is unsure the author's text is kept. Each change is returned as a
//! [`SourceRewrite`] so `quire check` can show what was done. Because step 2 adds lines,
//! the result carries a map from its lines back to the original ones, so link errors
//! still name the right line.

use std::ops::Range;
use std::sync::LazyLock;

use pulldown_cmark::{Event, Parser, Tag};
use regex::Regex;

use super::markdown::parser_options;

/// Whether the MDX rules (1 and 5) apply to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MdxMode {
    /// A `.mdx` file or `format: mdx`.
    On,
    /// `format: md`.
    Off,
    /// MDX when the body imports a JavaScript module (`import X from '@site/…'` outside
    /// code): prose such as "import your contacts from 'Gmail'" names no module path.
    Detect,
}

/// Which rule changed the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewriteRule {
    MdxStatement,
    JsxExpression,
    Admonition,
    GithubAlert,
    KramdownAttributes,
}

impl RewriteRule {
    /// What the rule does, for `quire check`.
    pub fn describe(self) -> &'static str {
        match self {
            Self::MdxStatement => "MDX import/export removed",
            Self::JsxExpression => "JSX expression attribute removed",
            Self::Admonition => "Docusaurus admonition shown as a callout",
            Self::GithubAlert => "GitHub alert marker normalized",
            Self::KramdownAttributes => "kramdown attribute list removed",
        }
    }
}

/// One place where preprocessing changed the author's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRewrite {
    /// 0-based line of the source passed to [`preprocess`].
    pub line: usize,
    pub rule: RewriteRule,
    /// The source line (or statement) as written, shortened if long.
    pub before: String,
    /// What the parser sees instead (empty when removed).
    pub after: String,
}

/// Preprocessed Markdown and, for each of its lines, the 0-based source line it came from.
pub struct Preprocessed {
    pub text: String,
    pub source_line: Vec<usize>,
    /// Byte offset in `text` where each line starts.
    line_starts: Vec<usize>,
    pub rewrites: Vec<SourceRewrite>,
}

impl Preprocessed {
    /// The 0-based line of the original source for a byte offset into `text`
    /// (a binary search: a file with thousands of links stays linear to render).
    pub fn original_line(&self, byte_offset: usize) -> usize {
        let line = self.line_starts.partition_point(|&start| start <= byte_offset).saturating_sub(1);
        self.source_line.get(line).copied().unwrap_or(line)
    }

    fn push(&mut self, line: &str, origin: usize) {
        self.line_starts.push(self.text.len());
        self.text.push_str(line);
        self.text.push('\n');
        self.source_line.push(origin);
    }
}

static MDX_IMPORT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^import\s+(?:[\w*{}\s,$]+\s+from\s+)?['"]([^'"]+)['"];?\s*$"#).expect("valid regex")
});
/// The first line of an ESM statement, which may continue on the next lines.
static MDX_STATEMENT_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"^(?:import\s+(?:[\w*{}\s,$]+\s+from\s+)?['"]|import\s*\{|import\s+[\w$]+\s*,\s*\{|export\s+(?:default|const|let|var|function|class|async\s+function)\b|export\s*[{*])"#,
    )
    .expect("valid regex")
});
static JSX_EXPRESSION_ATTRIBUTE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s[A-Za-z_:][\w:.-]*=\{[^{}\n]*(?:\{[^{}\n]*\}[^{}\n]*)*\}").expect("valid regex"));
static KRAMDOWN_BLOCK_ATTRS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*\{:\s*[^}]*\}\s*$").expect("valid regex"));
/// Attribute lists directly after a link or image (`{:target="_blank"}{:rel="x"}`,
/// `{.external}`, `{#id}`), possibly several in a row.
static KRAMDOWN_ATTRS_AFTER_LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:[ \t]?\{:[^}\n]*\}|[ \t]?\{[.#][^}\n]*\})+").expect("valid regex"));
static GITHUB_ALERT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(\s*>\s*)\[!(note|tip|important|warning|caution)\]\s*(.*)$").expect("valid regex")
});
static ADMONITION_OPEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\s*)(:{3,})[ \t]*([A-Za-z]+)(?:[ \t]*\[([^\]]*)\]|[ \t]+(.*?))?[ \t]*$").expect("valid regex")
});
static ADMONITION_CLOSE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\s*)(:{3,})\s*$").expect("valid regex"));

/// Admonition types of Docusaurus and similar tools; `:::anything-else` stays text.
const ADMONITION_TYPES: &[&str] = &["note", "tip", "info", "important", "warning", "caution", "danger", "success"];

/// The callout kinds Quire styles; anything else is shown as a note.
pub fn callout_label(kind: &str) -> (&'static str, &'static str) {
    match kind.to_ascii_lowercase().as_str() {
        "tip" | "success" => ("tip", "Tip"),
        "important" | "info" => ("important", "Important"),
        "warning" | "caution" => ("warning", "Warning"),
        "danger" | "error" => ("caution", "Caution"),
        _ => ("note", "Note"),
    }
}

/// One line of the source with what the parse says about it.
struct Line<'a> {
    text: &'a str,
    /// Byte offset of the line in the source.
    start: usize,
    /// The line's first non-blank character is inside code.
    in_code: bool,
}

/// Where code is, and where links and images end, in the source.
struct Structure {
    code: Vec<Range<usize>>,
    link_ends: Vec<usize>,
}

/// Where `source`'s code spans and blocks are, in order: text no rewriting may touch.
pub(super) fn code_ranges(source: &str) -> Vec<Range<usize>> {
    Structure::of(source).code
}

impl Structure {
    fn of(source: &str) -> Self {
        let mut code = Vec::new();
        let mut link_ends = Vec::new();
        for (event, range) in Parser::new_ext(source, parser_options()).into_offset_iter() {
            match event {
                Event::Start(Tag::CodeBlock(_)) | Event::Code(_) => code.push(range),
                Event::Start(Tag::Link { .. } | Tag::Image { .. }) => link_ends.push(range.end),
                _ => {}
            }
        }
        code.sort_by_key(|r| r.start);
        link_ends.sort_unstable();
        Self { code, link_ends }
    }

    fn in_code(&self, offset: usize) -> bool {
        let after = self.code.partition_point(|r| r.start <= offset);
        after > 0 && self.code[after - 1].end > offset
    }
}

/// A paired admonition marker.
enum Marker {
    Open { indent: String, kind: String, title: Option<String> },
    Close { indent: String },
}

/// Applies the clean-ups listed in the module docs.
pub fn preprocess(source: &str, mdx: MdxMode) -> Preprocessed {
    let structure = Structure::of(source);
    let mut lines = Vec::new();
    let mut start = 0;
    for raw in source.split_inclusive('\n') {
        let text = raw.strip_suffix('\n').unwrap_or(raw);
        let text = text.strip_suffix('\r').unwrap_or(text);
        let indent = text.len() - text.trim_start().len();
        let in_code = !text.trim().is_empty() && structure.in_code(start + indent);
        lines.push(Line { text, start, in_code });
        start += raw.len();
    }
    let mdx = match mdx {
        MdxMode::On => true,
        MdxMode::Off => false,
        MdxMode::Detect => imports_a_module(&lines),
    };
    let statements = if mdx { mdx_statements(&lines) } else { Vec::new() };
    let markers = admonition_markers(&lines);

    let mut out = Preprocessed {
        text: String::with_capacity(source.len() + 64),
        source_line: Vec::with_capacity(lines.len() + 8),
        line_starts: Vec::with_capacity(lines.len() + 8),
        rewrites: Vec::new(),
    };
    let mut inside_tag = false;
    let mut idx = 0;
    while idx < lines.len() {
        let line = &lines[idx];
        if let Some(statement) = statements.iter().find(|s| s.start == idx) {
            let before: Vec<&str> = lines[statement.clone()].iter().map(|l| l.text).collect();
            out.rewrites.push(rewrite(idx, RewriteRule::MdxStatement, &before.join(" "), ""));
            for origin in statement.clone() {
                out.push("", origin);
            }
            idx = statement.end;
            continue;
        }
        match markers.get(idx).and_then(Option::as_ref) {
            Some(Marker::Open { indent, kind, title }) => {
                let (class, label) = callout_label(kind);
                let title = escape_html(title.as_deref().unwrap_or(label));
                let html = format!(
                    r#"{indent}<div class="callout callout-{class}" role="note"><p class="callout-title">{title}</p>"#
                );
                out.rewrites.push(rewrite(
                    idx,
                    RewriteRule::Admonition,
                    line.text,
                    &format!("{label} callout \"{title}\""),
                ));
                out.push("", idx);
                out.push(&html, idx);
                out.push("", idx);
            }
            Some(Marker::Close { indent }) => {
                out.push("", idx);
                out.push(&format!("{indent}</div>"), idx);
                out.push("", idx);
            }
            None if line.in_code => out.push(line.text, idx),
            None => {
                if let Some(caps) = GITHUB_ALERT.captures(line.text) {
                    let marker = format!("{}[!{}]", &caps[1], caps[2].to_ascii_uppercase());
                    let rest = caps[3].trim();
                    let after = if rest.is_empty() { marker.clone() } else { format!("{marker} / {}{rest}", &caps[1]) };
                    if after != line.text {
                        out.rewrites.push(rewrite(idx, RewriteRule::GithubAlert, line.text, &after));
                    }
                    out.push(&marker, idx);
                    if !rest.is_empty() {
                        out.push(&format!("{}{rest}", &caps[1]), idx);
                    }
                } else if KRAMDOWN_BLOCK_ATTRS.is_match(line.text) {
                    out.rewrites.push(rewrite(idx, RewriteRule::KramdownAttributes, line.text, ""));
                    out.push("", idx);
                } else {
                    let cleaned = clean_inline(line, &structure, mdx, &mut inside_tag, idx, &mut out.rewrites);
                    out.push(&cleaned, idx);
                }
            }
        }
        idx += 1;
    }
    out
}

/// Removes attribute lists after links and (in MDX) JSX expression attributes in tags,
/// outside code spans.
fn clean_inline(
    line: &Line<'_>,
    structure: &Structure,
    mdx: bool,
    inside_tag: &mut bool,
    idx: usize,
    rewrites: &mut Vec<SourceRewrite>,
) -> String {
    let mut removals: Vec<(Range<usize>, RewriteRule)> = Vec::new();
    let line_end = line.start + line.text.len();
    let first = structure.link_ends.partition_point(|&end| end < line.start);
    for &end in structure.link_ends[first..].iter().take_while(|&&end| end <= line_end) {
        let at = end - line.start;
        if let Some(found) = line.text.get(at..).and_then(|rest| KRAMDOWN_ATTRS_AFTER_LINK.find(rest)) {
            removals.push((at..at + found.end(), RewriteRule::KramdownAttributes));
        }
    }
    let carried = *inside_tag;
    if mdx {
        for found in JSX_EXPRESSION_ATTRIBUTE.find_iter(line.text) {
            if tag_is_open(&line.text[..found.start()], carried) && !structure.in_code(line.start + found.start() + 1) {
                removals.push((found.range(), RewriteRule::JsxExpression));
            }
        }
        *inside_tag = tag_is_open(line.text, carried);
    }
    if removals.is_empty() {
        return line.text.to_string();
    }
    removals.sort_by_key(|(range, _)| range.start);
    let mut cleaned = String::with_capacity(line.text.len());
    let mut kept_from = 0;
    for (range, _) in &removals {
        if range.start >= kept_from {
            cleaned.push_str(&line.text[kept_from..range.start]);
            kept_from = range.end;
        }
    }
    cleaned.push_str(&line.text[kept_from..]);
    let mut rules: Vec<RewriteRule> = removals.iter().map(|(_, rule)| *rule).collect();
    rules.dedup();
    for rule in rules {
        rewrites.push(rewrite(idx, rule, line.text, &cleaned));
    }
    cleaned
}

/// Whether text ending at this point is inside an HTML/JSX tag (`<img alt="x" `), given
/// whether the line started inside one.
fn tag_is_open(before: &str, started_inside: bool) -> bool {
    match (before.rfind('<'), before.rfind('>')) {
        (Some(open), close) if close.is_none_or(|c| c < open) => {
            before[open + 1..].starts_with(|c: char| c.is_ascii_alphabetic())
        }
        (None, None) => started_inside,
        _ => false,
    }
}

/// The specifier names a module (`@site/…`, `./x`, `react-dom/client`, `x.js`), not
/// a word of prose.
fn is_module_path(specifier: &str) -> bool {
    specifier.starts_with(['@', '.', '/', '~', '$'])
        || specifier.contains('/')
        || [".js", ".jsx", ".ts", ".tsx", ".md", ".mdx", ".css"].iter().any(|ext| specifier.ends_with(ext))
}

fn imports_a_module(lines: &[Line<'_>]) -> bool {
    lines.iter().filter(|l| !l.in_code).any(|l| {
        MDX_IMPORT.captures(l.text).and_then(|c| c.get(1)).is_some_and(|specifier| is_module_path(specifier.as_str()))
    })
}

/// Line ranges of top-level ESM statements: a statement starts a block at column 0 and
/// runs to the next blank line, as MDX reads it.
fn mdx_statements(lines: &[Line<'_>]) -> Vec<Range<usize>> {
    let mut statements = Vec::new();
    let mut idx = 0;
    while idx < lines.len() {
        let at_block_start = idx == 0
            || lines[idx - 1].text.trim().is_empty()
            || statements.last().is_some_and(|s: &Range<usize>| s.end == idx);
        if at_block_start && !lines[idx].in_code && MDX_STATEMENT_START.is_match(lines[idx].text) {
            let end = if MDX_IMPORT.is_match(lines[idx].text) {
                idx + 1
            } else {
                (idx..lines.len()).find(|&i| lines[i].text.trim().is_empty() || lines[i].in_code).unwrap_or(lines.len())
            };
            statements.push(idx..end);
            idx = end;
        } else {
            idx += 1;
        }
    }
    statements
}

/// Pairs `:::type` openers with `:::` closers (innermost first). Unpaired markers, and
/// openers that do not start a block or name an unknown type, stay text.
fn admonition_markers(lines: &[Line<'_>]) -> Vec<Option<Marker>> {
    let mut markers: Vec<Option<Marker>> = (0..lines.len()).map(|_| None).collect();
    // (line, colons) of openers waiting for their closer.
    let mut open: Vec<(usize, usize)> = Vec::new();
    for (idx, line) in lines.iter().enumerate() {
        if line.in_code {
            continue;
        }
        let previous_is_boundary = idx == 0 || {
            let previous = lines[idx - 1].text;
            previous.trim().is_empty() || ADMONITION_OPEN.is_match(previous) || ADMONITION_CLOSE.is_match(previous)
        };
        if let Some(caps) = ADMONITION_CLOSE.captures(line.text) {
            let colons = caps[2].len();
            if let Some(position) = open.iter().rposition(|&(_, opened)| opened <= colons) {
                // Openers inside the one closed here were never closed themselves.
                for (inner, _) in open.drain(position + 1..) {
                    markers[inner] = None;
                }
                open.pop();
                markers[idx] = Some(Marker::Close { indent: caps[1].to_string() });
            }
            continue;
        }
        let Some(caps) = ADMONITION_OPEN.captures(line.text) else { continue };
        let kind = caps[3].to_ascii_lowercase();
        if !previous_is_boundary || !ADMONITION_TYPES.contains(&kind.as_str()) {
            continue;
        }
        let title = caps.get(4).or(caps.get(5)).map(|m| m.as_str().trim().to_string()).filter(|t| !t.is_empty());
        markers[idx] = Some(Marker::Open { indent: caps[1].to_string(), kind, title });
        open.push((idx, caps[2].len()));
    }
    // Openers never closed are text after all: a callout must not swallow the page.
    for (opener, _) in open {
        markers[opener] = None;
    }
    markers
}

fn rewrite(line: usize, rule: RewriteRule, before: &str, after: &str) -> SourceRewrite {
    SourceRewrite { line, rule, before: shorten(before.trim()), after: shorten(after.trim()) }
}

fn shorten(text: &str) -> String {
    const MAX: usize = 160;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// Escapes text for inclusion in HTML.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(source: &str) -> Preprocessed {
        preprocess(source, MdxMode::Detect)
    }

    #[test]
    fn drops_mdx_imports_but_not_code() {
        let p = detect("import Tabs from '@theme/Tabs';\nText\n```js\nimport x from 'y';\n```\n");
        assert!(!p.text.contains("@theme/Tabs"));
        assert!(p.text.contains("import x from 'y';"));
        assert_eq!(p.rewrites.len(), 1);
        assert_eq!(p.rewrites[0].rule, RewriteRule::MdxStatement);
    }

    #[test]
    fn multi_line_exports_are_dropped_whole_in_mdx() {
        let p = preprocess("export const meta = {\n  a: 1,\n};\n\nText\n", MdxMode::On);
        assert_eq!(p.text.trim(), "Text");
    }

    #[test]
    fn prose_that_looks_like_an_import_is_kept() {
        let text = "import your contacts from 'Gmail'\n\nexport default settings are fine\n";
        let p = detect(text);
        assert_eq!(p.text, text);
        assert!(p.rewrites.is_empty());
        let p = preprocess("import x from './x.js'\n", MdxMode::Off);
        assert_eq!(p.text, "import x from './x.js'\n", "format: md turns MDX rules off");
    }

    #[test]
    fn admonitions_become_callouts_with_line_map() {
        let p = detect(":::tip Pro tip\nUse **this**.\n:::\nAfter");
        assert!(p.text.contains(r#"class="callout callout-tip""#));
        assert!(p.text.contains("Pro tip"));
        let after = p.text.find("After").expect("kept");
        assert_eq!(p.original_line(after), 3);
        assert_eq!(p.rewrites[0].rule, RewriteRule::Admonition);
        assert_eq!(p.rewrites[0].before, ":::tip Pro tip");
    }

    #[test]
    fn unclosed_or_unknown_admonitions_stay_text() {
        for source in [":::warning\nCareful", ":::gibberish\nx\n:::\n", "Text\n:::note\nx\n:::\n"] {
            let p = detect(source);
            assert!(!p.text.contains("<div"), "{source:?} → {}", p.text);
            assert!(p.text.contains(":::"), "{}", p.text);
        }
    }

    #[test]
    fn nested_admonitions_pair_inside_out() {
        let p = detect("::::note Outer\n\n:::tip Inner\nx\n:::\n\n::::\n");
        assert_eq!(p.text.matches("<div").count(), 2, "{}", p.text);
        assert_eq!(p.text.matches("</div>").count(), 2, "{}", p.text);
    }

    #[test]
    fn code_at_any_depth_is_never_touched() {
        let sources = [
            "- item\n\n      :::note\n      inside indented code\n\nAfter\n",
            "> ```\n> :::note\n> import x from '@a/b';\n> ```\n",
            "1. step\n\n   ```mdx\n   <Button onClick={save}>\n   ```\n",
            "Use `<Button onClick={save}>` here.\n",
            "    {: .not-an-ial}\n",
        ];
        for source in sources {
            let p = preprocess(source, MdxMode::On);
            assert_eq!(p.text, source, "changed: {source:?}");
            assert!(p.rewrites.is_empty());
        }
    }

    #[test]
    fn github_alert_text_on_marker_line_is_split() {
        let p = detect("> [!Note] Read this first.\n");
        assert!(p.text.starts_with("> [!NOTE]\n> Read this first."), "{}", p.text);
    }

    #[test]
    fn kramdown_attributes_only_right_after_links_or_alone() {
        let p = detect("[Download](https://x.y){.link-download} and [more](/m) {.link-external}\n{: .note}\n## Setup (v2) {#setup}\n[a](b){:target=\"_blank\"}{:rel=\"noopener\"} end\n");
        assert!(p.text.starts_with("[Download](https://x.y) and [more](/m)\n"), "{}", p.text);
        assert!(p.text.contains("## Setup (v2) {#setup}"), "heading ids are kept: {}", p.text);
        assert!(!p.text.contains("{: .note}"));
        assert!(p.text.contains("[a](b) end"), "{}", p.text);
        let prose = "The set {.a, .b} is (in braces) {.x} here\n";
        assert_eq!(detect(prose).text, prose);
    }

    #[test]
    fn jsx_expression_attributes_are_removed_inside_tags_in_mdx() {
        let p = preprocess(
            "<img class=\"border\" alt=\"VAT\" src={useBaseUrl('img/v2/x.webp')} />\n<X style={{a: 1}} />\n<img\n  src={x}\n/>\n",
            MdxMode::On,
        );
        assert_eq!(p.text, "<img class=\"border\" alt=\"VAT\" />\n<X />\n<img\n \n/>\n");
        let prose = "set limit={100} in the query\n";
        assert_eq!(preprocess(prose, MdxMode::On).text, prose);
    }

    #[test]
    fn original_lines_of_a_long_file() {
        let source: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        let p = detect(&source);
        let offset = p.text.find("line 777").expect("present");
        assert_eq!(p.original_line(offset), 777);
    }
}
