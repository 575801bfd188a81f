//! Splitting a content file into YAML front matter and Markdown body, and reading the
//! front matter fields.
//!
//! Only the first `---` … `---` block at the very top of a file is front matter; any
//! later `---` is a Markdown horizontal rule.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;
use serde::Deserialize;
use serde_yaml_ng::Value;

/// A front-matter problem with the 1-based line of the file it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontMatterError {
    pub line: usize,
    pub message: String,
}

impl FrontMatterError {
    fn new(line: usize, message: impl Into<String>) -> Self {
        Self { line, message: message.into() }
    }
}

/// A file cut into its two parts.
#[derive(Debug, Clone, Copy)]
pub struct Split<'a> {
    pub yaml: &'a str,
    /// The Markdown after the closing delimiter.
    pub body: &'a str,
    /// 1-based file line on which `body` starts.
    pub body_first_line: usize,
}

/// Cuts `text` into front matter and body.
pub fn split(text: &str) -> Result<Split<'_>, FrontMatterError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(FrontMatterError::new(
            1,
            "the file is empty: an article needs front matter with at least a `title`",
        ));
    }
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        return Err(FrontMatterError::new(
            1,
            "missing front matter: the file must start with a `---` line, then fields such as `title: …`, then another `---` line",
        ));
    }
    let yaml_start = first.len();
    let mut offset = yaml_start;
    let mut line_no = 1;
    for line in lines {
        line_no += 1;
        // A closing delimiter with trailing spaces is common in real content ("--- ").
        if line.trim_end() == "---" || line.trim_end() == "..." {
            let body_start = offset + line.len();
            return Ok(Split {
                yaml: &text[yaml_start..offset],
                body: &text[body_start..],
                body_first_line: line_no + 1,
            });
        }
        offset += line.len();
    }
    Err(FrontMatterError::new(
        1,
        "the front matter opened by `---` on line 1 is never closed: did you forget the closing `---` line after the last field?",
    ))
}

/// A list that authors may also write as one comma-separated string.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(untagged)]
enum StringList {
    #[default]
    Missing,
    One(String),
    Many(Vec<String>),
}

impl StringList {
    fn into_vec(self) -> Vec<String> {
        match self {
            StringList::Missing => Vec::new(),
            StringList::One(s) => s.split(',').map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect(),
            StringList::Many(v) => v.into_iter().map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct RawFrontMatter {
    title: Option<String>,
    #[serde(alias = "description")]
    summary: Option<String>,
    slug: Option<String>,
    category: Option<String>,
    section: Option<String>,
    #[serde(default)]
    tags: StringList,
    order: Option<i64>,
    #[serde(default)]
    draft: bool,
    updated: Option<Value>,
    reviewed: Option<Value>,
    #[serde(default)]
    aliases: StringList,
    #[serde(default)]
    promoted: bool,
    id: Option<Value>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    keywords: StringList,
    search_boost: Option<f64>,
    format: Option<String>,
    lang: Option<String>,
    dir: Option<String>,
    image: Option<String>,
    #[serde(flatten)]
    extra: BTreeMap<String, Value>,
}

/// What kind of page a file produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Article,
    Faq,
}

/// Which dialect the body is written in. Docusaurus and other MDX-based tools mix
/// JavaScript (imports, JSX expressions) into Markdown; Quire removes those only where
/// the file is MDX, so prose that merely looks like code is never touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    /// `format: md`: plain Markdown, no MDX rules at all.
    Markdown,
    /// `format: mdx`, or a `.mdx` file.
    Mdx,
    /// No `format` key: MDX when the body imports a module (see `preprocess`).
    Detect,
}

/// The validated front matter of one file.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontMatter {
    pub title: String,
    pub summary: Option<String>,
    pub slug: Option<String>,
    pub category: Option<String>,
    pub section: Option<String>,
    pub tags: Vec<String>,
    pub order: Option<i64>,
    pub draft: bool,
    pub updated: Option<NaiveDate>,
    pub reviewed: Option<NaiveDate>,
    pub aliases: Vec<String>,
    pub promoted: bool,
    /// The article's id in the help desk it was migrated from (e.g. a Zendesk id).
    pub legacy_id: Option<String>,
    pub kind: DocKind,
    /// Extra search words, indexed but never shown.
    pub keywords: Vec<String>,
    /// Multiplies the article's search score (1.0 = neutral).
    pub search_boost: f64,
    /// `format: md | mdx` (Docusaurus's key); `Detect` when absent.
    pub format: SourceFormat,
    /// The language the page is written in (`lang: ar`), when not the site's.
    pub lang: Option<String>,
    /// The text direction, written (`dir: rtl`) or known from `lang`.
    pub dir: Option<TextDirection>,
    /// The picture shown when the page is shared (`og:image`), as written: a URL, a
    /// site path, or a path relative to the file.
    pub image: Option<String>,
    /// Keys Quire does not know, for a warning (a typo such as `tittle`).
    pub unknown_keys: Vec<String>,
}

/// Which way a page's text runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextDirection {
    LeftToRight,
    RightToLeft,
}

impl TextDirection {
    /// The value of an HTML `dir` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            TextDirection::LeftToRight => "ltr",
            TextDirection::RightToLeft => "rtl",
        }
    }

    /// The direction of a language's usual script: right to left for Arabic, Hebrew,
    /// Persian, Urdu and the others written in those scripts.
    pub fn of_language(tag: &str) -> TextDirection {
        const RIGHT_TO_LEFT: &[&str] =
            &["ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ku-arab", "ps", "sd", "syr", "ug", "ur", "yi"];
        let tag = tag.to_ascii_lowercase();
        let primary = tag.split('-').next().unwrap_or("");
        let arabic_script = tag.split('-').any(|part| part == "arab" || part == "hebr");
        if (RIGHT_TO_LEFT.contains(&primary) && !tag.contains("-latn")) || arabic_script {
            TextDirection::RightToLeft
        } else {
            TextDirection::LeftToRight
        }
    }
}

/// Whether `tag` looks like a BCP 47 language tag (`en`, `pt-BR`, `zh-Hant-TW`).
pub fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary_ok =
        parts.next().is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
    primary_ok
        && tag.len() <= 35
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Keys other documentation tools write that Quire deliberately ignores without a warning.
const FOREIGN_KEYS: &[&str] = &[
    "sidebar_label",
    "sidebar_position",
    "displayed_sidebar",
    "toc_max_heading_level",
    "hide_title",
    "layout",
    "permalink",
    "author",
];

/// Parses and validates the YAML of a front matter block. `yaml_first_line` is the
/// file line of the YAML's first line, so errors point into the file.
pub fn parse(yaml: &str, yaml_first_line: usize) -> Result<FrontMatter, FrontMatterError> {
    let raw: RawFrontMatter = if yaml.trim().is_empty() {
        RawFrontMatter::default()
    } else {
        serde_yaml_ng::from_str(yaml).map_err(|err| yaml_error(&err, yaml_first_line))?
    };
    let line_of = |key: &str| line_of_key(yaml, key).map(|l| l + yaml_first_line - 1).unwrap_or(yaml_first_line);

    let title = match raw.title.map(|t| t.trim().to_string()) {
        Some(t) if !t.is_empty() => t,
        Some(_) => return Err(FrontMatterError::new(line_of("title"), "`title` is empty")),
        None => {
            return Err(FrontMatterError::new(
                yaml_first_line.saturating_sub(1).max(1),
                "the front matter has no `title`: add a line such as `title: Reset your password`",
            ))
        }
    };
    let kind = match raw.kind.as_deref().map(str::trim) {
        None | Some("article") => DocKind::Article,
        Some("faq") => DocKind::Faq,
        Some(other) => {
            return Err(FrontMatterError::new(
                line_of("type"),
                format!("unknown `type: {other}`: use `article` (the default) or `faq`"),
            ))
        }
    };
    let updated = parse_date(raw.updated, "updated", line_of("updated"))?;
    let reviewed = parse_date(raw.reviewed, "reviewed", line_of("reviewed"))?;
    let legacy_id = match raw.id {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(_) => {
            return Err(FrontMatterError::new(
                line_of("id"),
                "`id` must be a number or a string (the old help desk's article id)",
            ))
        }
    };
    let search_boost = match raw.search_boost {
        None => 1.0,
        Some(b) if b.is_finite() && (0.0..=10.0).contains(&b) => b,
        Some(b) => {
            return Err(FrontMatterError::new(
                line_of("search_boost"),
                format!("`search_boost: {b}` is out of range: use a number from 0 (never first) to 10; 1 is neutral"),
            ))
        }
    };
    let format = match raw.format.as_deref().map(|f| f.trim().to_ascii_lowercase()).as_deref() {
        None | Some("detect") => SourceFormat::Detect,
        Some("md" | "markdown") => SourceFormat::Markdown,
        Some("mdx") => SourceFormat::Mdx,
        Some(other) => {
            return Err(FrontMatterError::new(
                line_of("format"),
                format!("unknown `format: {other}`: use `md` (plain Markdown), `mdx`, or leave it out to detect"),
            ))
        }
    };
    let lang = match raw.lang.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(tag) if is_language_tag(tag) => Some(tag.to_string()),
        Some(other) => {
            return Err(FrontMatterError::new(
                line_of("lang"),
                format!("`lang: {other}` is not a language tag: write one such as `en`, `de`, `pt-BR` or `ar`"),
            ))
        }
    };
    let dir = match raw.dir.as_deref().map(|d| d.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("auto") => lang.as_deref().map(TextDirection::of_language),
        Some("ltr") => Some(TextDirection::LeftToRight),
        Some("rtl") => Some(TextDirection::RightToLeft),
        Some(other) => {
            return Err(FrontMatterError::new(
                line_of("dir"),
                format!("unknown `dir: {other}`: use `rtl` (right to left) or `ltr`, or leave it out"),
            ))
        }
    };
    let unknown_keys = raw.extra.into_keys().filter(|k| !FOREIGN_KEYS.contains(&k.as_str())).collect();
    Ok(FrontMatter {
        title,
        summary: raw.summary.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
        slug: raw.slug.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
        category: raw.category.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
        section: raw.section.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
        tags: raw.tags.into_vec(),
        order: raw.order,
        draft: raw.draft,
        updated,
        reviewed,
        aliases: raw.aliases.into_vec(),
        promoted: raw.promoted,
        legacy_id,
        kind,
        keywords: raw.keywords.into_vec(),
        search_boost,
        format,
        lang,
        dir,
        image: raw.image.map(|i| i.trim().to_string()).filter(|i| !i.is_empty()),
        unknown_keys,
    })
}

static YAML_LINE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"line (\d+)").expect("valid regex"));

/// Converts a YAML error into one that counts lines from the top of the file. The
/// parser reports where it gave up (often the end of the block) and, for unclosed
/// lists and quotes, where the construct started; the earliest line is where the
/// author has to look.
fn yaml_error(err: &serde_yaml_ng::Error, yaml_first_line: usize) -> FrontMatterError {
    let to_file_line = |yaml_line: usize| yaml_line + yaml_first_line - 1;
    let text = err.to_string();
    let mut lines = Vec::new();
    let message = YAML_LINE.replace_all(&text, |caps: &regex::Captures<'_>| {
        let yaml_line: usize = caps[1].parse().unwrap_or(1);
        lines.push(to_file_line(yaml_line));
        format!("line {}", to_file_line(yaml_line))
    });
    let line =
        lines.into_iter().min().or_else(|| err.location().map(|l| to_file_line(l.line()))).unwrap_or(yaml_first_line);
    FrontMatterError::new(line, format!("invalid front matter: {message}"))
}

fn parse_date(value: Option<Value>, key: &str, line: usize) -> Result<Option<NaiveDate>, FrontMatterError> {
    let text = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s,
        Some(other) => {
            return Err(FrontMatterError::new(
                line,
                format!("`{key}` must be a date written as YYYY-MM-DD, found {}", yaml_kind(&other)),
            ))
        }
    };
    // Accept a full timestamp too; only its date part matters for a help article.
    let date_part = text.trim().get(..10).unwrap_or(text.trim());
    NaiveDate::parse_from_str(date_part, "%Y-%m-%d").map(Some).map_err(|_| {
        FrontMatterError::new(line, format!("`{key}: {text}` is not a date: write it as YYYY-MM-DD, e.g. 2026-01-31"))
    })
}

fn yaml_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a true/false value",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// 1-based line within `yaml` where top-level `key:` is written.
fn line_of_key(yaml: &str, key: &str) -> Option<usize> {
    yaml.lines().position(|l| l.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with(':'))).map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_and_direction() {
        let front = parse("title: مرحبا\nlang: ar", 2).expect("valid");
        assert_eq!((front.lang.as_deref(), front.dir), (Some("ar"), Some(TextDirection::RightToLeft)));
        let front = parse("title: Hallo\nlang: de-AT", 2).expect("valid");
        assert_eq!(front.dir, Some(TextDirection::LeftToRight));
        let front = parse("title: x\ndir: rtl", 2).expect("valid");
        assert_eq!((front.lang, front.dir), (None, Some(TextDirection::RightToLeft)));
        assert_eq!(parse("title: x", 2).expect("valid").dir, None);
        assert_eq!(TextDirection::of_language("az-Arab"), TextDirection::RightToLeft);
        assert_eq!(TextDirection::of_language("ku-Latn"), TextDirection::LeftToRight);
        let bad = parse("title: x\ndir: sideways", 2).expect_err("invalid dir");
        assert_eq!(bad.line, 3);
        assert!(bad.message.contains("`rtl`"), "{}", bad.message);
        let bad = parse("title: x\nlang: <script>", 2).expect_err("invalid lang");
        assert!(bad.message.contains("language tag"), "{}", bad.message);
    }

    fn parse_file(text: &str) -> Result<FrontMatter, FrontMatterError> {
        let split = split(text)?;
        parse(split.yaml, 2)
    }

    #[test]
    fn reads_all_fields() {
        let fm = parse_file(
            "---\ntitle: \"Compilation error: board \\\"X\\\" not found\"\nsummary: Fix it\nslug: fix\ntags: [a, b]\norder: 3\ndraft: true\nupdated: 2026-01-02\nreviewed: 2026-02-03T10:00:00Z\naliases: old-fix\npromoted: true\nid: 360016495679\n---\nBody",
        )
        .expect("valid");
        assert_eq!(fm.title, "Compilation error: board \"X\" not found");
        assert_eq!(fm.summary.as_deref(), Some("Fix it"));
        assert_eq!(fm.tags, vec!["a", "b"]);
        assert_eq!(fm.aliases, vec!["old-fix"]);
        assert_eq!(fm.updated, NaiveDate::from_ymd_opt(2026, 1, 2));
        assert_eq!(fm.reviewed, NaiveDate::from_ymd_opt(2026, 2, 3));
        assert_eq!(fm.legacy_id.as_deref(), Some("360016495679"));
        assert!(fm.draft && fm.promoted);
    }

    #[test]
    fn body_dashes_are_not_front_matter() {
        let s = split("---\ntitle: A\n---\nIntro\n\n---\n\nMore").expect("valid");
        assert_eq!(s.body, "Intro\n\n---\n\nMore");
        assert_eq!(s.body_first_line, 4);
    }

    #[test]
    fn closing_delimiter_may_have_trailing_space() {
        let s = split("---\ntitle: A\n--- \nBody").expect("valid");
        assert_eq!(s.body, "Body");
    }

    #[test]
    fn missing_front_matter_is_reported_on_line_one() {
        let err = split("# Just markdown\n").unwrap_err();
        assert_eq!(err.line, 1);
        assert!(err.message.contains("missing front matter"), "{}", err.message);
    }

    #[test]
    fn unclosed_front_matter_suggests_the_fix() {
        let err = split("---\ntitle: A\nBody text").unwrap_err();
        assert!(err.message.contains("never closed"), "{}", err.message);
    }

    #[test]
    fn empty_file_is_an_error() {
        assert!(split("").unwrap_err().message.contains("empty"));
        assert!(split("  \n\n").is_err());
    }

    #[test]
    fn broken_yaml_points_at_the_file_line() {
        let err = parse_file("---\ntitle: A\ntags: [a, b\norder: 1\n---\n").unwrap_err();
        assert!(err.line >= 3, "line {}", err.line);
        assert!(err.message.starts_with("invalid front matter"), "{}", err.message);
    }

    #[test]
    fn missing_title_is_an_error() {
        let err = parse_file("---\nsummary: no title\n---\nbody").unwrap_err();
        assert!(err.message.contains("no `title`"), "{}", err.message);
    }

    #[test]
    fn bad_date_names_the_key_and_line() {
        let err = parse_file("---\ntitle: A\nupdated: last tuesday\n---\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.message.contains("updated"), "{}", err.message);
    }

    #[test]
    fn unknown_keys_are_collected() {
        let fm = parse_file("---\ntitle: A\ntittle: typo\nsidebar_label: x\n---\n").expect("valid");
        assert_eq!(fm.unknown_keys, vec!["tittle"]);
    }

    #[test]
    fn faq_type() {
        let fm = parse_file("---\ntitle: FAQ\ntype: faq\n---\n").expect("valid");
        assert_eq!(fm.kind, DocKind::Faq);
        assert!(parse_file("---\ntitle: X\ntype: blog\n---\n").is_err());
    }
}
