//! Changing a content file from the browser without disturbing what its author wrote.
//!
//! Two rules: a change touches only the front matter lines it is about (every other
//! line, comment and quoting style stays byte for byte), and a file is only written
//! when it is still the version the change was made from, in one atomic rename, so a
//! concurrent edit (another person, a `git pull`) is never overwritten and a crash
//! leaves the old file or the new one, never half of either.

use std::io::Write;
use std::path::Path;

/// Why a change was not written.
#[derive(Debug)]
pub enum EditError {
    /// The file changed since it was read: its revision now, and its text.
    Changed {
        current_revision: String,
        current: String,
    },
    /// The file has no front matter block to change.
    NoFrontMatter,
    Io(std::io::Error),
}

impl std::fmt::Display for EditError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EditError::Changed { .. } => f.write_str("the file changed since it was opened; nothing was written"),
            EditError::NoFrontMatter => f.write_str("the file has no front matter (--- … ---) to change"),
            EditError::Io(err) => write!(f, "cannot write the file: {err}"),
        }
    }
}

impl From<std::io::Error> for EditError {
    fn from(err: std::io::Error) -> Self {
        EditError::Io(err)
    }
}

/// `source` with the top-level front matter key `key` set to `value` (a YAML scalar as
/// it should be written): its line replaced when present on one line, else added
/// before the closing `---`. Other lines are untouched.
pub fn set_front_matter_value(source: &str, key: &str, value: &str) -> Result<String, EditError> {
    let body_start =
        source.strip_prefix("---\n").or_else(|| source.strip_prefix("---\r\n")).ok_or(EditError::NoFrontMatter)?;
    let opening = source.len() - body_start.len();
    let newline = if source[..opening].ends_with("\r\n") { "\r\n" } else { "\n" };
    let mut offset = opening;
    let mut closing = None;
    // Start and end of the key's lines, and whether they are complete.
    let mut found: Option<(usize, usize, bool)> = None;
    for line in body_start.split_inclusive('\n') {
        let text = line.trim_end_matches(['\n', '\r']);
        if text == "---" || text == "..." {
            closing = Some(offset);
            break;
        }
        let is_key = text.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with(':'));
        let continues = text.starts_with([' ', '\t', '-']);
        match found {
            None if is_key => found = Some((offset, offset + text.len(), false)),
            // A value written over several lines (`tags:` then `- a`, or a folded
            // string) is replaced with its key line.
            Some((start, _, false)) if continues && !text.starts_with("---") => {
                found = Some((start, offset + text.len(), false));
            }
            Some((start, end, false)) => found = Some((start, end, true)),
            _ => {}
        }
        offset += line.len();
    }
    let closing = closing.ok_or(EditError::NoFrontMatter)?;
    let mut out = String::with_capacity(source.len() + key.len() + value.len() + 4);
    match found {
        Some((start, end, _)) => {
            out.push_str(&source[..start]);
            out.push_str(&format!("{key}: {value}"));
            // The author's note after the value (`# checked with legal`) stays.
            let first_line = source[start..end].lines().next().unwrap_or("");
            if let Some(comment) = trailing_comment(first_line) {
                out.push_str(comment);
            }
            out.push_str(&source[end..]);
        }
        None => {
            out.push_str(&source[..closing]);
            out.push_str(&format!("{key}: {value}{newline}"));
            out.push_str(&source[closing..]);
        }
    }
    Ok(out)
}

/// The ` # comment` at the end of a `key: value` line, with its spacing; a `#` inside a
/// quoted value is not one.
fn trailing_comment(line: &str) -> Option<&str> {
    let value_start = line.find(':')? + 1;
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (offset, c) in line[value_start..].char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(open), c) if c == open => quote = None,
            (None, '#') if previous.is_whitespace() => {
                let at = value_start + offset;
                let spaced = line[..at].trim_end().len();
                return Some(&line[spaced..]);
            }
            _ => {}
        }
        previous = c;
    }
    None
}

/// Writes `text` to `path` if the file is still at `expected_revision` (see
/// [`super::revision_of`]): into a temporary file beside it, synced, then renamed over
/// it. Refused with the current text when the file changed.
pub fn write_if_unchanged(path: &Path, expected_revision: &str, text: &str) -> Result<(), EditError> {
    let current = std::fs::read_to_string(path)?;
    let current_revision = super::revision_of(&[current.as_bytes()]);
    if current_revision != expected_revision {
        return Err(EditError::Changed { current_revision, current });
    }
    let folder = path.parent().unwrap_or(Path::new("."));
    let mut temporary = tempfile::Builder::new().prefix(".quire-edit-").tempfile_in(folder)?;
    temporary.write_all(text.as_bytes())?;
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|err| EditError::Io(err.error))?;
    Ok(())
}

/// `source` without the top-level front matter key `key` (and the lines its value
/// continues on). Unchanged when the key is not there.
pub fn remove_front_matter_key(source: &str, key: &str) -> Result<String, EditError> {
    const MARKER: &str = "quire-removed-key";
    let marked = set_front_matter_value(source, key, MARKER)?;
    if marked.len() == source.len() + key.len() + MARKER.len() + 3 && !has_key(source, key) {
        return Ok(source.to_string());
    }
    let line = format!("{key}: {MARKER}");
    let start = marked.find(&line).ok_or(EditError::NoFrontMatter)?;
    let mut end = start + line.len();
    // The whole line goes, with any comment the author had on it.
    end += marked[end..].find('\n').map_or(marked.len() - end, |n| n + 1);
    Ok(format!("{}{}", &marked[..start], &marked[end..]))
}

fn has_key(source: &str, key: &str) -> bool {
    let Ok(split) = super::front_matter::split(source) else {
        return false;
    };
    split.yaml.lines().any(|l| l.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with(':')))
}

/// The front matter fields the editor shows, as the author set them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EditorFields {
    pub title: String,
    pub summary: Option<String>,
    pub tags: Vec<String>,
    pub keywords: Vec<String>,
    pub aliases: Vec<String>,
    pub order: Option<i64>,
    pub draft: bool,
    pub reviewed: Option<chrono::NaiveDate>,
}

impl EditorFields {
    /// The fields of a parsed front matter.
    pub fn of(front: &super::front_matter::FrontMatter) -> Self {
        Self {
            title: front.title.clone(),
            summary: front.summary.clone(),
            tags: front.tags.clone(),
            keywords: front.keywords.clone(),
            aliases: front.aliases.clone(),
            order: front.order,
            draft: front.draft,
            reviewed: front.reviewed,
        }
    }

    /// Each field as its front matter key and the YAML to write (`None`: no key).
    fn entries(&self) -> [(&'static str, Option<String>); 8] {
        let list = |items: &[String]| (!items.is_empty()).then(|| yaml_list(items));
        [
            ("title", Some(yaml_string(&self.title))),
            ("summary", self.summary.as_deref().filter(|s| !s.is_empty()).map(yaml_string)),
            ("tags", list(&self.tags)),
            ("keywords", list(&self.keywords)),
            ("aliases", list(&self.aliases)),
            ("order", self.order.map(|n| n.to_string())),
            ("draft", self.draft.then(|| "true".to_string())),
            ("reviewed", self.reviewed.map(|d| d.to_string())),
        ]
    }
}

/// Why an edited page cannot be written as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidEdit(pub String);

impl std::fmt::Display for InvalidEdit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The text of the file after an edit in the browser: `source` with the front matter
/// lines of the fields that changed rewritten (every other line, comment and quoting
/// kept byte for byte) and the body replaced by `body` (line endings as the file has
/// them). The result is read back to make sure it says what the author asked.
pub fn apply_edit(source: &str, fields: &EditorFields, body: &str) -> Result<String, InvalidEdit> {
    use super::front_matter::{parse, split};
    let invalid = |message: String| InvalidEdit(message);
    let before = split(source).map_err(|e| invalid(format!("line {}: {}", e.line, e.message)))?;
    let before = parse(before.yaml, 2).map_err(|e| invalid(format!("line {}: {}", e.line, e.message)))?;
    let old_entries = EditorFields::of(&before).entries();
    let mut text = source.to_string();
    for ((key, new), (_, old)) in fields.entries().into_iter().zip(old_entries) {
        if new == old {
            continue;
        }
        let changed = match &new {
            // `draft: false` is the default; the key is left out rather than written.
            None => remove_front_matter_key(&text, key),
            Some(value) => set_front_matter_value(&text, key, value),
        };
        text = changed.map_err(|e| invalid(e.to_string()))?;
    }
    let head_len = {
        let split = split(&text).map_err(|e| invalid(format!("line {}: {}", e.line, e.message)))?;
        text.len() - split.body.len()
    };
    let crlf = text[..head_len].contains("\r\n");
    text.truncate(head_len);
    text.push_str(&with_line_endings(body, crlf));
    check_round_trip(&text, fields)?;
    Ok(text)
}

/// The text of a new page file: front matter for `fields`, then `body`.
pub fn new_page_text(fields: &EditorFields, body: &str) -> Result<String, InvalidEdit> {
    let mut text = String::from("---\n");
    for (key, value) in fields.entries() {
        if let Some(value) = value {
            text.push_str(&format!("{key}: {value}\n"));
        }
    }
    text.push_str("---\n\n");
    text.push_str(with_line_endings(body, false).trim_start_matches('\n'));
    check_round_trip(&text, fields)?;
    Ok(text)
}

/// `body` with `\n` or `\r\n` line endings throughout (browsers send `\r\n` from a
/// text area), ending with a line break.
fn with_line_endings(body: &str, crlf: bool) -> String {
    let mut text = body.replace("\r\n", "\n").replace('\r', "\n");
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    if crlf {
        text = text.replace('\n', "\r\n");
    }
    text
}

fn check_round_trip(text: &str, fields: &EditorFields) -> Result<(), InvalidEdit> {
    use super::front_matter::{parse, split};
    let split = split(text).map_err(|e| InvalidEdit(format!("line {}: {}", e.line, e.message)))?;
    let front = parse(split.yaml, 2).map_err(|e| InvalidEdit(format!("line {}: {}", e.line, e.message)))?;
    let read_back = EditorFields::of(&front);
    let wanted = EditorFields { summary: fields.summary.clone().filter(|s| !s.is_empty()), ..fields.clone() };
    if read_back != wanted {
        return Err(InvalidEdit(
            "the front matter could not be written so that it reads back as entered; check the fields for unusual characters".into(),
        ));
    }
    Ok(())
}

/// A YAML scalar for `value`: as it is when YAML reads it back unchanged as a string,
/// else double-quoted (JSON string syntax, which YAML reads the same way).
pub fn yaml_string(value: &str) -> String {
    if is_plain(value, false) {
        value.to_string()
    } else {
        serde_json::to_string(value).unwrap_or_else(|_| "\"\"".to_string())
    }
}

/// A YAML flow list: `[billing, refunds]`.
pub fn yaml_list(items: &[String]) -> String {
    let written: Vec<String> = items
        .iter()
        .map(|item| {
            if is_plain(item, true) {
                item.clone()
            } else {
                serde_json::to_string(item).unwrap_or_else(|_| "\"\"".to_string())
            }
        })
        .collect();
    format!("[{}]", written.join(", "))
}

/// Whether `value` can be written unquoted: starts with a letter or digit, holds no
/// character YAML gives a meaning (`:`, `#`, brackets, quotes …; also `,` inside a
/// list), and is not a word YAML reads as something else (`yes`, `null`, `12`).
fn is_plain(value: &str, in_list: bool) -> bool {
    const SPECIAL: &[char] = &[':', '#', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', '\\'];
    let Some(first) = value.chars().next() else {
        return false;
    };
    let keyword = matches!(
        value.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n" | "~"
    );
    first.is_alphanumeric()
        && value.trim() == value
        && !value.chars().any(|c| c.is_control() || SPECIAL.contains(&c) || (in_list && c == ','))
        && !keyword
        && value.parse::<f64>().is_err()
        && !value.chars().all(|c| c.is_ascii_digit() || c == '-' || c == ':' || c == '.' || c == '_')
}

/// Extensions of page files the editor opens and creates.
const PAGE_EXTENSIONS: &[&str] = &["md", "markdown", "mdx"];

/// `written` as the content-relative path of a page file, if it is one: `/`-separated
/// plain names (no `..`, no hidden or `_` folders such as `_snippets`, no absolute
/// path), ending in `.md`, `.markdown` or `.mdx`.
pub fn page_path(written: &str) -> Result<std::path::PathBuf, InvalidEdit> {
    let folder = written.rsplit_once('/').map_or("", |(folder, _)| folder);
    let name = written.rsplit('/').next().unwrap_or("");
    let mut path = folder_path(folder)?;
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    if !is_plain_name(name) || !PAGE_EXTENSIONS.contains(&extension.as_str()) {
        return Err(InvalidEdit(format!("`{written}` is not the path of a page file (folder/name.md)")));
    }
    path.push(name);
    Ok(path)
}

/// `written` as a content-relative folder ("" for the top), by the rules of [`page_path`].
pub fn folder_path(written: &str) -> Result<std::path::PathBuf, InvalidEdit> {
    let mut path = std::path::PathBuf::new();
    if written.is_empty() {
        return Ok(path);
    }
    for part in written.split('/') {
        if !is_plain_name(part) || part.starts_with('_') {
            return Err(InvalidEdit(format!("`{written}` is not a content folder")));
        }
        path.push(part);
    }
    Ok(path)
}

fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 120
        && !name.starts_with('.')
        && !name.chars().any(|c| c.is_control() || matches!(c, '\\' | '/' | ':' | '*' | '?' | '"' | '<' | '>' | '|'))
}

/// The file name for a new page titled `title` (or named `name` by its author).
pub fn new_page_name(name: &str, title: &str) -> String {
    let stem = slug::slugify(if name.trim().is_empty() { title } else { name.trim().trim_end_matches(".md") });
    let stem: String = stem.chars().take(80).collect();
    format!("{}.md", if stem.is_empty() { "new-article" } else { stem.trim_end_matches('-') })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_line_of_the_key_changes() {
        let source =
            "---\ntitle: \"Refunds: how\"   # keep this comment\nreviewed: 2024-01-02\ntags: [a, b]\n---\nBody\n";
        let changed = set_front_matter_value(source, "reviewed", "2026-12-01").expect("changed");
        assert_eq!(
            changed,
            "---\ntitle: \"Refunds: how\"   # keep this comment\nreviewed: 2026-12-01\ntags: [a, b]\n---\nBody\n"
        );
        let added = set_front_matter_value("---\ntitle: A\n---\nreviewed: in the body\n", "reviewed", "2026-12-01")
            .expect("added");
        assert_eq!(added, "---\ntitle: A\nreviewed: 2026-12-01\n---\nreviewed: in the body\n");
        let windows = set_front_matter_value("---\r\ntitle: A\r\n---\r\nx", "reviewed", "2026-12-01").expect("crlf");
        assert_eq!(windows, "---\r\ntitle: A\r\nreviewed: 2026-12-01\r\n---\r\nx");
        // `reviewed_by` is another key.
        let other = set_front_matter_value("---\nreviewed_by: ann\n---\n", "reviewed", "2026-12-01").expect("added");
        assert_eq!(other, "---\nreviewed_by: ann\nreviewed: 2026-12-01\n---\n");
        assert!(matches!(set_front_matter_value("No front matter", "reviewed", "x"), Err(EditError::NoFrontMatter)));
    }

    #[test]
    fn an_edit_touches_only_changed_fields_and_the_body() {
        let source = "---\ntitle: Refunds   # legal checked\nsummary: 'How refunds work'\ntags:\n  - billing\n  - money\norder: 3\n---\n\nOld body\n";
        let split = crate::content::front_matter::split(source).expect("split");
        let front = crate::content::front_matter::parse(split.yaml, 2).expect("parse");
        let mut fields = EditorFields::of(&front);
        fields.tags = vec!["billing".into(), "refunds, returns".into()];
        fields.draft = true;
        let text = apply_edit(source, &fields, "New body\r\nline two").expect("applied");
        assert_eq!(
            text,
            "---\ntitle: Refunds   # legal checked\nsummary: 'How refunds work'\ntags: [billing, \"refunds, returns\"]\norder: 3\ndraft: true\n---\nNew body\nline two\n"
        );
        fields.draft = false;
        fields.order = None;
        fields.summary = None;
        let text = apply_edit(&text, &fields, "\nNew body\n").expect("applied");
        assert_eq!(
            text,
            "---\ntitle: Refunds   # legal checked\ntags: [billing, \"refunds, returns\"]\n---\n\nNew body\n"
        );
    }

    #[test]
    fn unusual_values_are_quoted_and_read_back() {
        for title in ["Yes", "2024", "Refunds: how", "# not a comment", "It's \"quoted\"", "null", "a\\b"] {
            let fields = EditorFields { title: title.to_string(), ..EditorFields::default() };
            let text = new_page_text(&fields, "Body").expect(title);
            let split = crate::content::front_matter::split(&text).expect("split");
            let front = crate::content::front_matter::parse(split.yaml, 2).expect("parse");
            assert_eq!(front.title, title.trim(), "{text}");
        }
        assert_eq!(yaml_string("Reset your password"), "Reset your password");
        assert_eq!(yaml_string("Yes"), "\"Yes\"");
    }

    #[test]
    fn only_page_files_inside_the_content_folder() {
        assert_eq!(page_path("billing/refunds.md").expect("ok"), std::path::Path::new("billing/refunds.md"));
        assert_eq!(page_path("faq.md").expect("ok"), std::path::Path::new("faq.md"));
        for hostile in [
            "../x.md",
            "/etc/x.md",
            "a/../../x.md",
            "_snippets/x.md",
            ".git/x.md",
            "a\\..\\x.md",
            "x.txt",
            "a//b.md",
            "",
            "a/.md",
        ] {
            assert!(page_path(hostile).is_err(), "{hostile}");
        }
        assert!(folder_path("").is_ok() && folder_path("billing/cards").is_ok());
        assert!(folder_path("..").is_err() && folder_path("_includes").is_err());
        assert_eq!(new_page_name("", "Pay with PayPal?"), "pay-with-paypal.md");
        assert_eq!(new_page_name("../../evil", "x"), "evil.md");
    }

    #[test]
    fn a_comment_after_the_value_stays() {
        let noted = set_front_matter_value("---\nreviewed: 2024-01-02  # with legal\n---\n", "reviewed", "2026-12-01");
        assert_eq!(noted.expect("changed"), "---\nreviewed: 2026-12-01  # with legal\n---\n");
        let quoted = set_front_matter_value("---\ntitle: \"A # B\"\n---\n", "title", "\"C\"");
        assert_eq!(quoted.expect("changed"), "---\ntitle: \"C\"\n---\n", "a # inside quotes is not a comment");
    }

    #[test]
    fn a_changed_file_is_never_overwritten() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.md");
        std::fs::write(&path, "---\ntitle: A\n---\nOne\n").expect("write");
        let opened = super::super::revision_of(&[b"---\ntitle: A\n---\nOne\n".as_slice()]);
        std::fs::write(&path, "---\ntitle: A\n---\nSomeone else's edit\n").expect("write");
        match write_if_unchanged(&path, &opened, "mine") {
            Err(EditError::Changed { current, .. }) => assert!(current.contains("Someone else's edit")),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(std::fs::read_to_string(&path).expect("read").contains("Someone else's edit"));
        let now = super::super::revision_of(&[b"---\ntitle: A\n---\nSomeone else's edit\n".as_slice()]);
        write_if_unchanged(&path, &now, "---\ntitle: A\n---\nBoth\n").expect("written");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "---\ntitle: A\n---\nBoth\n");
        let leftovers = std::fs::read_dir(dir.path()).expect("list").count();
        assert_eq!(leftovers, 1, "no temporary file left behind");
    }
}
