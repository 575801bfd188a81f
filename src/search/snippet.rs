//! Search-result snippets a customer can read at a glance.
//!
//! The snippet generator picks the fragment with the most query terms; this module
//! turns it into what is shown: widened to whole words (to the start of its sentence
//! when that is near), "…" where a sentence was cut, and the article's blocks
//! (headings, paragraphs, list items, table cells) kept apart with " · " instead of
//! running together.

use std::ops::Range;

use tantivy::snippet::Snippet;

use super::window::floor_char_boundary;

/// How far back (bytes) a snippet may reach to start at its sentence's beginning.
const SENTENCE_REACH: usize = 60;

/// HTML for the fragment that `snippet` (made from `text[offset..]`) chose, its query
/// terms in `<mark>`; `None` when no term was found.
pub fn highlighted_html(text: &str, snippet: &Snippet, offset: usize) -> Option<String> {
    if snippet.highlighted().is_empty() {
        return None;
    }
    let fragment = snippet.fragment_range();
    let fragment = fragment.start + offset..fragment.end + offset;
    let marks: Vec<Range<usize>> = snippet
        .highlighted()
        .iter()
        .map(|r| r.start + fragment.start..r.end + fragment.start)
        .filter(|r| r.end <= text.len())
        .collect();
    let range = widen(text, fragment.start.min(text.len())..fragment.end.min(text.len()));
    Some(to_html(text, range, &marks))
}

/// HTML for the start of `text`, about `chars` characters, cut after a whole word.
pub fn leading_html(text: &str, chars: usize) -> String {
    let start = text.len() - text.trim_start().len();
    let end = match text[start..].char_indices().nth(chars) {
        None => text.len(),
        Some((at, _)) => {
            let cut = start + at;
            // Back to the end of the last whole word, unless that loses most of the text.
            match text[start..cut].rfind(char::is_whitespace) {
                Some(space) if space > chars / 2 => start + space,
                _ => cut,
            }
        }
    };
    to_html(text, start..end, &[])
}

/// `range` grown to whole words at both ends, and back to the start of its sentence
/// when that is within [`SENTENCE_REACH`].
fn widen(text: &str, range: Range<usize>) -> Range<usize> {
    let mut start = range.start;
    while let Some(c) = text[..start].chars().next_back().filter(|c| !c.is_whitespace()) {
        start -= c.len_utf8();
    }
    if !starts_sentence(text, start) {
        let floor = floor_char_boundary(text, start.saturating_sub(SENTENCE_REACH));
        if let Some(boundary) = last_sentence_start(&text[floor..start]) {
            start = floor + boundary;
        }
    }
    let mut end = range.end.max(start);
    while let Some(c) = text[end..].chars().next().filter(|c| !c.is_whitespace()) {
        end += c.len_utf8();
    }
    start..end
}

/// Whether a sentence (or a block: heading, list item, cell) starts at `at`.
fn starts_sentence(text: &str, at: usize) -> bool {
    let before = text[..at].trim_end_matches([' ', '\u{a0}']);
    before.is_empty() || before.ends_with(['.', '!', '?', ':', '\n', '\t', '·'])
}

/// Where the last sentence starting inside `text` begins (after ". ", a line break…).
fn last_sentence_start(text: &str) -> Option<usize> {
    text.char_indices()
        .filter(|&(at, c)| {
            !c.is_whitespace() && at > 0 && text[..at].ends_with(char::is_whitespace) && starts_sentence(text, at)
        })
        .map(|(at, _)| at)
        .next_back()
}

/// `text[range]` as HTML: escaped, `marks` wrapped in `<mark>`, block breaks as " · ",
/// and "…" where a sentence was cut.
fn to_html(text: &str, range: Range<usize>, marks: &[Range<usize>]) -> String {
    let shown = text[range.clone()].trim();
    if shown.is_empty() {
        return String::new();
    }
    let start = range.start + (text[range.clone()].len() - text[range.clone()].trim_start().len());
    let end = start + shown.len();
    let mut html = String::with_capacity(shown.len() + 32);
    if !starts_sentence(text, start) {
        html.push('…');
    }
    let mut open = false;
    let mut pending_space: Option<&str> = None;
    for (offset, c) in shown.char_indices() {
        let at = start + offset;
        if c.is_whitespace() {
            let separator = if matches!(c, '\n' | '\t') { " · " } else { " " };
            if pending_space != Some(" · ") {
                pending_space = Some(separator);
            }
            continue;
        }
        if open && !marks.iter().any(|m| m.start < at && at < m.end) {
            html.push_str("</mark>");
            open = false;
        }
        if let Some(space) = pending_space.take() {
            html.push_str(space);
        }
        if !open && marks.iter().any(|m| m.start == at) {
            html.push_str("<mark>");
            open = true;
        }
        match c {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            _ => html.push(c),
        }
    }
    if open {
        html.push_str("</mark>");
    }
    let rest = text[end..].trim_start();
    if !rest.is_empty() && !shown.ends_with(['.', '!', '?']) {
        html.push('…');
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(text: &str, fragment: Range<usize>, terms: &[&str]) -> String {
        let marks: Vec<Range<usize>> = terms
            .iter()
            .filter_map(|t| text[fragment.clone()].find(t).map(|at| fragment.start + at..fragment.start + at + t.len()))
            .collect();
        to_html(text, widen(text, fragment), &marks)
    }

    #[test]
    fn widens_a_cut_word_and_marks_the_cut() {
        let text = "Some words come first here and then more words. Remove one with 95 out of 100 points and more text follows after it";
        let start = text.find("ove one").unwrap_or(0);
        let html = marked(text, start..start + 30, &["one"]);
        assert!(html.starts_with("Remove <mark>one</mark> with"), "{html}");
        assert!(html.ends_with('…'), "{html}");
        // Far from a sentence start: cut at a word, with an ellipsis.
        let long = format!("{} understands everyday synonyms well", "word ".repeat(30));
        let at = long.find("nderstands").unwrap_or(0);
        let html = marked(&long, at..at + 20, &[]);
        assert!(html.starts_with("…understands everyday"), "{html}");
    }

    #[test]
    fn keeps_blocks_and_cells_apart() {
        let text = "Where\nPage\tWhat it shows\t\nOverview\tViews and votes\t\n";
        let html = marked(text, 6..text.len(), &[]);
        assert_eq!(html, "Page · What it shows · Overview · Views and votes");
    }

    #[test]
    fn escapes_and_closes_marks() {
        let text = "Use <b> & \"quotes\" carefully.";
        let html = marked(text, 0..text.len(), &["<b>"]);
        assert_eq!(html, "Use <mark>&lt;b&gt;</mark> &amp; &quot;quotes&quot; carefully.");
    }

    #[test]
    fn leading_text_stops_after_a_word() {
        assert_eq!(leading_html("Short text.", 40), "Short text.");
        let html = leading_html("Reset your password from the sign-in page today", 20);
        assert_eq!(html, "Reset your password…");
        assert_eq!(leading_html("Grüße aus Köln und mehr Wörter", 12), "Grüße aus…");
    }
}
