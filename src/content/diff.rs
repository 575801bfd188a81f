//! Comparing and merging versions of a page's text: the side-by-side view staff see
//! when a save meets a newer file, or when they compare two revisions, and the
//! three-way merge that keeps both people's changes.

/// What happened to a row of a side-by-side comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    Same,
    /// The left line was replaced by the right one.
    Changed,
    Removed,
    Added,
}

impl RowKind {
    /// The CSS class and the word a screen reader hears for it.
    pub fn name(self) -> &'static str {
        match self {
            RowKind::Same => "same",
            RowKind::Changed => "changed",
            RowKind::Removed => "removed",
            RowKind::Added => "added",
        }
    }
}

/// One row: a line of the old text beside a line of the new one (either may be missing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffRow {
    pub kind: RowKind,
    pub left_line: Option<usize>,
    pub left: Option<String>,
    pub right_line: Option<usize>,
    pub right: Option<String>,
}

/// A run of changed rows with a little unchanged text around them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffHunk {
    /// "Lines 12–18" of the old text.
    pub label: String,
    pub rows: Vec<DiffRow>,
}

/// The differences between `old` and `new`, line by line, as side-by-side hunks with
/// `context` unchanged lines around each change. Empty when the texts are equal.
pub fn side_by_side(old: &str, new: &str, context: usize) -> Vec<DiffHunk> {
    let mut options = diffy::DiffOptions::new();
    options.set_context_len(context);
    let patch = options.create_patch(old, new);
    patch
        .hunks()
        .iter()
        .map(|hunk| {
            let (mut left_no, mut right_no) = (hunk.old_range().start(), hunk.new_range().start());
            let mut rows = Vec::new();
            let mut removed: Vec<String> = Vec::new();
            let mut added: Vec<String> = Vec::new();
            let flush = |rows: &mut Vec<DiffRow>,
                         removed: &mut Vec<String>,
                         added: &mut Vec<String>,
                         left_no: &mut usize,
                         right_no: &mut usize| {
                let count = removed.len().max(added.len());
                let (mut removed, mut added) = (removed.drain(..), added.drain(..));
                for _ in 0..count {
                    let (left, right) = (removed.next(), added.next());
                    let kind = match (&left, &right) {
                        (Some(_), Some(_)) => RowKind::Changed,
                        (Some(_), None) => RowKind::Removed,
                        _ => RowKind::Added,
                    };
                    let left_line = left.as_ref().map(|_| post_increment(left_no));
                    let right_line = right.as_ref().map(|_| post_increment(right_no));
                    rows.push(DiffRow { kind, left_line, left, right_line, right });
                }
            };
            for line in hunk.lines() {
                match line {
                    diffy::Line::Delete(text) => removed.push(without_newline(text)),
                    diffy::Line::Insert(text) => added.push(without_newline(text)),
                    diffy::Line::Context(text) => {
                        flush(&mut rows, &mut removed, &mut added, &mut left_no, &mut right_no);
                        let text = without_newline(text);
                        rows.push(DiffRow {
                            kind: RowKind::Same,
                            left_line: Some(post_increment(&mut left_no)),
                            left: Some(text.clone()),
                            right_line: Some(post_increment(&mut right_no)),
                            right: Some(text),
                        });
                    }
                }
            }
            flush(&mut rows, &mut removed, &mut added, &mut left_no, &mut right_no);
            let range = hunk.old_range();
            let label = match range.len() {
                0 => format!("After line {}", range.start().saturating_sub(1)),
                1 => format!("Line {}", range.start()),
                n => format!("Lines {}–{}", range.start(), range.start() + n - 1),
            };
            DiffHunk { label, rows }
        })
        .collect()
}

fn post_increment(n: &mut usize) -> usize {
    let value = *n;
    *n += 1;
    value
}

fn without_newline(text: &str) -> String {
    text.trim_end_matches(['\n', '\r']).to_string()
}

/// The outcome of merging two people's edits of the same text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Merged {
    /// Both changes fit together.
    Clean(String),
    /// Some lines were changed by both: they are marked with `<<<<<<<`, `=======` and
    /// `>>>>>>>` for a person to choose.
    Conflicts(String),
}

/// Merges `ours` and `theirs`, both edited from `base`.
pub fn merge(base: &str, ours: &str, theirs: &str) -> Merged {
    let mut options = diffy::MergeOptions::new();
    options.set_conflict_style(diffy::ConflictStyle::Merge);
    match options.merge(base, ours, theirs) {
        Ok(text) => Merged::Clean(text),
        Err(text) => Merged::Conflicts(text),
    }
}

/// The line (1-based) of the first conflict left by [`merge`] in `text`: a `<<<<<<<`
/// line with a `>>>>>>>` line after it (a lone `=======` is a Markdown underline).
pub fn conflict_marker_line(text: &str) -> Option<usize> {
    let is_start = |line: &str| line == "<<<<<<<" || line.starts_with("<<<<<<< ");
    let start = text.lines().position(is_start)?;
    text.lines().skip(start).any(|line| line.starts_with(">>>>>>>")).then_some(start + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_sit_beside_what_they_replaced() {
        let old = "one\ntwo\nthree\nfour\n";
        let new = "one\n2\nthree\nfour\nfive\n";
        let hunks = side_by_side(old, new, 1);
        assert_eq!(hunks.len(), 1);
        let rows = &hunks[0].rows;
        assert_eq!(rows[0].kind, RowKind::Same);
        assert_eq!(rows[1].kind, RowKind::Changed);
        assert_eq!((rows[1].left.as_deref(), rows[1].right.as_deref()), (Some("two"), Some("2")));
        assert_eq!((rows[1].left_line, rows[1].right_line), (Some(2), Some(2)));
        let last = rows.last().expect("rows");
        assert_eq!((last.kind, last.right.as_deref(), last.right_line), (RowKind::Added, Some("five"), Some(5)));
        assert!(side_by_side(old, old, 3).is_empty());
    }

    #[test]
    fn separate_edits_merge_and_overlapping_ones_are_marked() {
        let base = "Intro\n\nStep one\n\nStep two\n";
        let ours = "Intro, edited\n\nStep one\n\nStep two\n";
        let theirs = "Intro\n\nStep one\n\nStep two, fixed\n";
        assert_eq!(merge(base, ours, theirs), Merged::Clean("Intro, edited\n\nStep one\n\nStep two, fixed\n".into()));
        let clash = "Intro, theirs\n\nStep one\n\nStep two\n";
        match merge(base, ours, clash) {
            Merged::Conflicts(text) => {
                assert!(text.contains("Intro, edited") && text.contains("Intro, theirs"));
                assert_eq!(conflict_marker_line(&text), Some(1));
            }
            other => panic!("expected a conflict, got {other:?}"),
        }
        assert_eq!(conflict_marker_line("a\n=======\nb"), None, "a Markdown underline is not a marker");
    }
}
