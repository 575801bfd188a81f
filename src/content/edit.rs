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
    let mut found: Option<(usize, usize)> = None;
    for line in body_start.split_inclusive('\n') {
        let text = line.trim_end_matches(['\n', '\r']);
        if text == "---" || text == "..." {
            closing = Some(offset);
            break;
        }
        let is_key = text.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with(':'));
        if is_key && found.is_none() {
            found = Some((offset, offset + text.len()));
        }
        offset += line.len();
    }
    let closing = closing.ok_or(EditError::NoFrontMatter)?;
    let mut out = String::with_capacity(source.len() + key.len() + value.len() + 4);
    match found {
        Some((start, end)) => {
            out.push_str(&source[..start]);
            out.push_str(&format!("{key}: {value}"));
            // The author's note after the value (`# checked with legal`) stays.
            if let Some(comment) = trailing_comment(&source[start..end]) {
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
