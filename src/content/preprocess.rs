//! Source-level clean-up of syntaxes that other help-center tools use and CommonMark
//! does not know, done before the Markdown parser sees the text:
//!
//! 1. MDX `import`/`export` lines are dropped (they are code for a JavaScript build).
//! 2. Docusaurus admonitions (`:::tip Title` … `:::`) become callout blocks.
//! 3. GitHub alerts with text on the marker line (`> [!NOTE] text`) are split so the
//!    parser recognises the alert; lowercase markers are accepted.
//! 4. kramdown attribute lists (`[a](b){.link-external}`, `{: .class}`) are removed.
//! 5. JSX expression attributes (`src={useBaseUrl('x')}`) are removed, so the tag
//!    around them is still HTML (and sanitized) rather than shown as literal text.
//!
//! Fenced code is never touched. Because step 2 adds lines, the result carries a map
//! from its lines back to the original ones, so link errors still name the right line.

use std::sync::LazyLock;

use regex::Regex;

/// Preprocessed Markdown and, for each of its lines, the 0-based source line it came from.
pub struct Preprocessed {
    pub text: String,
    pub source_line: Vec<usize>,
}

impl Preprocessed {
    /// The 0-based line of the original source for a byte offset into `text`.
    pub fn original_line(&self, byte_offset: usize) -> usize {
        let line = super::diagnostics::line_at(&self.text, byte_offset) - 1;
        self.source_line.get(line).copied().unwrap_or(line)
    }
}

static KRAMDOWN_INLINE_ATTRS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\)(?:\s*\{:?\s*\.[^}\n]*\}|\{:?\s*#[^}\n]*\})").expect("valid regex"));
static KRAMDOWN_BLOCK_ATTRS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*\{:\s*[^}]*\}\s*$").expect("valid regex"));
static JSX_EXPRESSION_ATTRIBUTE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s[A-Za-z_:][\w:.-]*=\{[^{}\n]*(?:\{[^{}\n]*\}[^{}\n]*)*\}").expect("valid regex"));
static GITHUB_ALERT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(\s*>\s*)\[!(note|tip|important|warning|caution)\]\s*(.*)$").expect("valid regex")
});
static ADMONITION_OPEN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*:{3,}\s*([A-Za-z]+)\s*(?:\[([^\]]*)\]|(.*))$").expect("valid regex"));
static ADMONITION_CLOSE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s*:{3,}\s*$").expect("valid regex"));
static MDX_IMPORT_EXPORT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"^(import\s+(?:[\w*{}\s,]+\s+from\s+)?['"][^'"]+['"];?\s*$|export\s+(?:default|const|function|let)\b)"#,
    )
    .expect("valid regex")
});

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

/// Applies the clean-ups listed in the module docs.
pub fn preprocess(source: &str) -> Preprocessed {
    let mut out = String::with_capacity(source.len() + 64);
    let mut source_line = Vec::new();
    let mut fence: Option<(char, usize)> = None;
    let mut open_admonitions = 0usize;

    let mut push = |out: &mut String, line: &str, origin: usize| {
        out.push_str(line);
        out.push('\n');
        source_line.push(origin);
    };

    for (idx, line) in source.lines().enumerate() {
        if let Some((ch, len)) = fence {
            push(&mut out, line, idx);
            if is_fence_close(line, ch, len) {
                fence = None;
            }
            continue;
        }
        if let Some(open) = fence_open(line) {
            fence = Some(open);
            push(&mut out, line, idx);
            continue;
        }
        if MDX_IMPORT_EXPORT.is_match(line) {
            push(&mut out, "", idx);
            continue;
        }
        if ADMONITION_CLOSE.is_match(line) && open_admonitions > 0 {
            open_admonitions -= 1;
            push(&mut out, "", idx);
            push(&mut out, "</div>", idx);
            push(&mut out, "", idx);
            continue;
        }
        if let Some(caps) = ADMONITION_OPEN.captures(line) {
            let (class, label) = callout_label(&caps[1]);
            let title = caps.get(2).or(caps.get(3)).map(|m| m.as_str().trim()).filter(|t| !t.is_empty());
            let title = escape_html(title.unwrap_or(label));
            open_admonitions += 1;
            push(&mut out, "", idx);
            push(
                &mut out,
                &format!(r#"<div class="callout callout-{class}" role="note"><p class="callout-title">{title}</p>"#),
                idx,
            );
            push(&mut out, "", idx);
            continue;
        }
        if let Some(caps) = GITHUB_ALERT.captures(line) {
            let marker = format!("{}[!{}]", &caps[1], caps[2].to_ascii_uppercase());
            push(&mut out, &marker, idx);
            if !caps[3].trim().is_empty() {
                push(&mut out, &format!("{}{}", &caps[1], &caps[3]), idx);
            }
            continue;
        }
        if KRAMDOWN_BLOCK_ATTRS.is_match(line) {
            push(&mut out, "", idx);
            continue;
        }
        let cleaned = KRAMDOWN_INLINE_ATTRS.replace_all(line, ")");
        let cleaned = if cleaned.contains("={") { JSX_EXPRESSION_ATTRIBUTE.replace_all(&cleaned, "") } else { cleaned };
        push(&mut out, &cleaned, idx);
    }
    // An admonition left open at the end of the file still gets closed, so the page
    // layout after it is not swallowed.
    for _ in 0..open_admonitions {
        out.push_str("\n</div>\n");
    }
    Preprocessed { text: out, source_line }
}

fn fence_open(line: &str) -> Option<(char, usize)> {
    let trimmed = line.trim_start();
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let ch = trimmed.chars().next()?;
    if ch != '`' && ch != '~' {
        return None;
    }
    let len = trimmed.chars().take_while(|&c| c == ch).count();
    (len >= 3).then_some((ch, len))
}

fn is_fence_close(line: &str, ch: char, len: usize) -> bool {
    let trimmed = line.trim();
    trimmed.chars().take_while(|&c| c == ch).count() >= len && trimmed.chars().all(|c| c == ch)
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

    #[test]
    fn drops_mdx_imports_but_not_code() {
        let p = preprocess("import Tabs from '@theme/Tabs';\nText\n```js\nimport x from 'y';\n```\n");
        assert!(!p.text.contains("@theme/Tabs"));
        assert!(p.text.contains("import x from 'y';"));
    }

    #[test]
    fn admonitions_become_callouts_with_line_map() {
        let p = preprocess(":::tip Pro tip\nUse **this**.\n:::\nAfter");
        assert!(p.text.contains(r#"class="callout callout-tip""#));
        assert!(p.text.contains("Pro tip"));
        let after = p.text.find("After").expect("kept");
        assert_eq!(p.original_line(after), 3);
    }

    #[test]
    fn github_alert_text_on_marker_line_is_split() {
        let p = preprocess("> [!Note] Read this first.\n");
        assert!(p.text.starts_with("> [!NOTE]\n> Read this first."), "{}", p.text);
    }

    #[test]
    fn kramdown_attributes_are_removed() {
        let p = preprocess("[Download](https://x.y){.link-download} and [more](/m) {.link-external}\n{: .note}\n## Setup (v2) {#setup}\n");
        assert!(p.text.starts_with("[Download](https://x.y) and [more](/m)\n"), "{}", p.text);
        assert!(p.text.contains("## Setup (v2) {#setup}"), "heading ids are kept: {}", p.text);
        assert!(!p.text.contains("{: .note}"));
    }

    #[test]
    fn jsx_expression_attributes_are_removed() {
        let p = preprocess(
            "<img class=\"border\" alt=\"VAT\" src={useBaseUrl('img/v2/x.webp')} />\n<X style={{a: 1}} />\n",
        );
        assert_eq!(p.text, "<img class=\"border\" alt=\"VAT\" />\n<X />\n");
    }

    #[test]
    fn unclosed_admonition_is_closed() {
        let p = preprocess(":::warning\nCareful");
        assert_eq!(p.text.matches("<div").count(), p.text.matches("</div>").count());
    }
}
