//! Markdown fidelity: the CommonMark 0.31.2 suite, and the GitHub-flavoured extensions
//! Quire enables, run through Quire's content pipeline (one article file per example:
//! front matter, preprocessing, link resolution, rendering, sanitizing), compared with
//! the spec's HTML.
//!
//! What Quire adds on purpose is normalized away before comparing: heading ids, `h1`
//! shown as `h2` (the page title is the only `h1`), `rel` on links, the scrollable
//! wrapper around tables and the labelled task-list checkbox. Raw HTML is sanitized by
//! design; an example whose output differs *only* by that (Quire's output equals the
//! spec's HTML passed through the same sanitizer) is counted apart. Everything else must
//! match, except the few examples in [`BY_DESIGN`], each with its reason.
//!
//! The CommonMark suite comes from the npm package `commonmark-spec` (`npm ci --prefix
//! tests/quality`); without it the test is skipped with a notice, and it is mandatory
//! with `QUIRE_REQUIRE_QUALITY=1` (as in `.ci/run`). The GFM examples (tables,
//! strikethrough, task lists) and the footnote examples are read from the copy of the
//! specs that the pulldown-cmark crate ships in its package (found through `cargo
//! metadata`), so they always match the parser version in `Cargo.lock`.

mod common;

use std::path::{Path, PathBuf};

use quire::content::{self, LoadOptions};

/// Examples whose difference from the spec is a Quire feature, not a loss.
const BY_DESIGN: &[(&str, &str)] = &[
    (
        "commonmark 201",
        "`[foo]: <bar>(baz)`: `<bar>` is not an HTML tag, so Quire shows it as text (authors \
         write placeholders such as `<port>`); the spec passes it through as raw HTML",
    ),
    ("commonmark 613", "`<a><bab><c2c>`: as above, `<bab>` and `<c2c>` are placeholders that stay visible"),
];

struct Example {
    /// "commonmark 42", "gfm_table 3", …
    name: String,
    section: String,
    markdown: String,
    html: String,
}

#[test]
fn commonmark_and_gfm_examples_survive_the_whole_pipeline() {
    let spec_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/quality/node_modules/commonmark-spec/spec.txt");
    let Ok(spec) = std::fs::read_to_string(&spec_path) else {
        assert!(
            !common::required("QUIRE_REQUIRE_QUALITY"),
            "QUIRE_REQUIRE_QUALITY=1 but {} is missing (npm ci --prefix tests/quality)",
            spec_path.display()
        );
        eprintln!("SKIPPED: the CommonMark suite needs `npm ci --prefix tests/quality`");
        return;
    };
    let commonmark = commonmark_examples(&spec);
    assert_eq!(commonmark.len(), 652, "the CommonMark 0.31.2 suite has 652 examples");
    let extensions = extension_examples();
    assert!(extensions.len() >= 40, "GFM and footnote examples found: {}", extensions.len());

    let mut report = Report::default();
    run(&commonmark, &mut report);
    let commonmark_report = std::mem::take(&mut report);
    run(&extensions, &mut report);

    eprintln!("{}", commonmark_report.summary("CommonMark 0.31.2", commonmark.len()));
    eprintln!("{}", report.summary("GFM tables, strikethrough, task lists; footnotes", extensions.len()));
    let failures: Vec<&String> = commonmark_report.differs.iter().chain(&report.differs).collect();
    assert!(failures.is_empty(), "{} examples lost or changed author text:\n{}", failures.len(), join(&failures));
    assert!(commonmark_report.same >= 592, "CommonMark examples matching: {} (want >= 592)", commonmark_report.same);
    let unused: Vec<&str> = BY_DESIGN
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !commonmark_report.by_design.iter().chain(&report.by_design).any(|n| n == name))
        .collect();
    assert!(unused.is_empty(), "these by-design differences no longer occur; remove them: {unused:?}");
}

#[derive(Default)]
struct Report {
    same: usize,
    sanitized: Vec<String>,
    by_design: Vec<String>,
    differs: Vec<String>,
}

impl Report {
    fn summary(&self, title: &str, total: usize) -> String {
        format!(
            "{title}: {} of {total} match; {} differ only by raw HTML the sanitizer removes ({}); \
             {} by design ({}); {} differ",
            self.same,
            self.sanitized.len(),
            self.sanitized.join(", "),
            self.by_design.len(),
            self.by_design.join(", "),
            self.differs.len()
        )
    }
}

fn join(items: &[&String]) -> String {
    items.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
}

/// Loads every example as an article of one content folder and compares each body.
fn run(examples: &[Example], report: &mut Report) {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("spec");
    std::fs::create_dir_all(&folder).expect("mkdir");
    for (index, example) in examples.iter().enumerate() {
        let file = format!("---\ntitle: Example {index}\n---\n{}", example.markdown);
        std::fs::write(folder.join(format!("example-{index:04}.md")), file).expect("write example");
    }
    let library = content::load(dir.path(), &LoadOptions::default());
    let errors: Vec<String> = library
        .diagnostics
        .iter()
        .filter(|d| d.severity == content::Severity::Error)
        .map(|d| d.to_string())
        // The examples link to files that do not exist; reporting that is right.
        .filter(|d| !d.contains("broken link") && !d.contains("missing image"))
        .collect();
    assert!(errors.is_empty(), "spec examples gave errors: {errors:?}");
    for (index, example) in examples.iter().enumerate() {
        let path = PathBuf::from("spec").join(format!("example-{index:04}.md"));
        let article = library
            .articles
            .iter()
            .find(|a| a.source_path == path)
            .unwrap_or_else(|| panic!("{} was not loaded as an article", example.name));
        let quire = normalize_quire(&article.rendered.html);
        let expected = normalize_spec(&example.html);
        if quire == expected {
            report.same += 1;
        } else if let Some(sanitized) =
            Some(content::sanitize(&without_non_elements(&spec_for_sanitizer(&example.html))))
                .filter(|sanitized| quire == normalize_quire(sanitized))
        {
            if has_raw_html(&example.markdown) && removes_markup(&example.html, &sanitized) {
                report.sanitized.push(example.name.clone());
            } else {
                // Only serialization differs: entity spelling, or a tag the HTML
                // parser closed.
                report.same += 1;
            }
        } else if BY_DESIGN.iter().any(|(name, _)| *name == example.name) {
            report.by_design.push(example.name.clone());
        } else {
            report.differs.push(format!(
                "--- {} ({})\nmarkdown: {:?}\nspec:     {:?}\nquire:    {:?}",
                example.name, example.section, example.markdown, expected, quire
            ));
        }
    }
}

/// Whether sanitizing took elements, attributes, comments or declarations out of the
/// spec's HTML (rather than only re-serializing it).
fn removes_markup(spec: &str, sanitized: &str) -> bool {
    static TAG: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"<(/?[A-Za-z][A-Za-z0-9-]*)([^>]*)>|<[!?]").expect("regex"));
    static ATTRIBUTE: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r#"([A-Za-z_:][-A-Za-z0-9_:.]*)\s*="#).expect("regex"));
    let markup = |html: &str| {
        let mut found: Vec<String> = Vec::new();
        for caps in TAG.captures_iter(html) {
            let Some(name) = caps.get(1) else {
                found.push("declaration or comment".into());
                continue;
            };
            let name = name.as_str().to_ascii_lowercase();
            // Closing tags the parser adds are serialization, not removal.
            if name.starts_with('/') {
                continue;
            }
            found.push(name.clone());
            for attribute in ATTRIBUTE.captures_iter(caps.get(2).map_or("", |m| m.as_str())) {
                if &attribute[1] != "rel" {
                    found.push(format!("{name}@{}", &attribute[1]));
                }
            }
        }
        found.sort();
        found
    };
    markup(spec) != markup(sanitized)
}

fn has_raw_html(markdown: &str) -> bool {
    pulldown_cmark::Parser::new_ext(markdown, content::markdown::parser_options())
        .any(|event| matches!(event, pulldown_cmark::Event::Html(_) | pulldown_cmark::Event::InlineHtml(_)))
}

/// Processing instructions, CDATA and declarations removed whole: what a sanitizer must
/// leave of them is nothing (an HTML parser would end each at its first `>` and show
/// the rest as text).
fn without_non_elements(html: &str) -> String {
    static NON_ELEMENT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?s)<\?.*?\?>|<!\[CDATA\[.*?\]\]>|<![A-Za-z][^>]*>").expect("regex")
    });
    NON_ELEMENT.replace_all(html, "").into_owned()
}

/// The spec's HTML as Quire would show it: `h1` becomes `h2`.
fn spec_for_sanitizer(html: &str) -> String {
    html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
}

fn normalize_spec(html: &str) -> String {
    normalize_common(&spec_for_sanitizer(html))
}

/// Removes what Quire adds on purpose, then applies the common normalization.
fn normalize_quire(html: &str) -> String {
    static HEADING_ID: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r#"(<h[1-6]) id="[^"]*""#).expect("regex"));
    static TABLE_WRAP: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"(?s)<div class="table-wrap" tabindex="0">\s*(<table>.*?</table>)\s*</div>"#)
            .expect("regex")
    });
    let html = HEADING_ID.replace_all(html, "$1");
    let html = html.replace(" class=\"align-", " style=\"text-align: ");
    let html = TABLE_WRAP.replace_all(&html, "$1");
    // Code blocks are focusable (they may scroll sideways).
    let html = html.replace(r#"<pre tabindex="0">"#, "<pre>");
    normalize_common(&html)
}

/// Spelling differences that are not differences: void-element slashes, line breaks
/// between tags, `rel` on links, entity forms, the checkbox's attributes.
fn normalize_common(html: &str) -> String {
    static CHECKBOX: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"<input[^>]*>\s*").expect("regex"));
    static REL: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r#" rel="[^"]*""#).expect("regex"));
    let html = CHECKBOX.replace_all(
        html,
        |caps: &regex::Captures<'_>| {
            if caps[0].contains("checked") {
                "<input checked> "
            } else {
                "<input> "
            }
        },
    );
    let html = REL.replace_all(&html, "");
    html.replace(" />", ">")
        .replace("/>", ">")
        .replace("&quot;", "\"")
        .replace("&nbsp;", "\u{a0}")
        .replace("&#39;", "'")
        .replace(">\n<", "><")
        .replace("> <", "><")
        .trim()
        .to_string()
}

/// The examples of CommonMark's `spec.txt` (fenced by 32 backticks and `example`).
fn commonmark_examples(spec: &str) -> Vec<Example> {
    const FENCE: &str = "````````````````````````````````";
    let mut examples = Vec::new();
    let mut section = String::new();
    let mut lines = spec.lines();
    while let Some(line) = lines.next() {
        if let Some(heading) = line.strip_prefix("## ").or_else(|| line.strip_prefix("### ")) {
            section = heading.to_string();
        }
        if line != format!("{FENCE} example") {
            continue;
        }
        let (mut markdown, mut html) = (String::new(), String::new());
        let mut in_html = false;
        for line in lines.by_ref() {
            if line == FENCE {
                break;
            }
            if line == "." && !in_html {
                in_html = true;
                continue;
            }
            let target = if in_html { &mut html } else { &mut markdown };
            target.push_str(&line.replace('→', "\t"));
            target.push('\n');
        }
        examples.push(Example {
            name: format!("commonmark {}", examples.len() + 1),
            section: section.clone(),
            markdown,
            html,
        });
    }
    examples
}

/// GFM and footnote examples from the pulldown-cmark package in the cargo registry.
fn extension_examples() -> Vec<Example> {
    let suite = pulldown_cmark_dir().join("tests/suite");
    let mut examples = Vec::new();
    for (file, section) in [
        ("gfm_table.rs", "GFM tables"),
        ("gfm_strikethrough.rs", "GFM strikethrough"),
        ("gfm_tasklist.rs", "GFM task lists"),
        ("footnotes.rs", "footnotes"),
    ] {
        let source = std::fs::read_to_string(suite.join(file))
            .unwrap_or_else(|err| panic!("read {}: {err}", suite.join(file).display()));
        let stem = file.trim_end_matches(".rs");
        for (index, (markdown, html, default_options)) in generated_tests(&source).into_iter().enumerate() {
            // Tests with optional features on (smart punctuation, old footnotes…) are
            // for options Quire does not enable.
            if default_options {
                examples.push(Example {
                    name: format!("{stem} {}", index + 1),
                    section: section.into(),
                    markdown,
                    html,
                });
            }
        }
    }
    examples
}

/// (markdown, html, all optional features off) of each generated test in a suite file.
fn generated_tests(source: &str) -> Vec<(String, String, bool)> {
    let mut tests = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find("let original = r##\"") {
        rest = &rest[start + "let original = r##\"".len()..];
        let Some(end) = rest.find("\"##;") else { break };
        let markdown = rest[..end].to_string();
        rest = &rest[end..];
        let Some(start) = rest.find("let expected = r##\"") else { break };
        rest = &rest[start + "let expected = r##\"".len()..];
        let Some(end) = rest.find("\"##;") else { break };
        let html = rest[..end].to_string();
        rest = &rest[end..];
        let call_end = rest.find(");").unwrap_or(rest.len());
        let defaults = !rest[..call_end].contains("true");
        tests.push((markdown, html, defaults));
    }
    tests
}

/// Where cargo unpacked the pulldown-cmark package this build uses.
fn pulldown_cmark_dir() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked", "--manifest-path"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .output()
        .expect("run cargo metadata");
    assert!(output.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&output.stderr));
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).expect("metadata JSON");
    let manifest = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == "pulldown-cmark")
        .and_then(|p| p["manifest_path"].as_str())
        .expect("pulldown-cmark in the dependency graph");
    Path::new(manifest).parent().expect("package folder").to_path_buf()
}
