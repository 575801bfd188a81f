//! Where in an article's text a search snippet is cut from.
//!
//! The snippet generator stems every word it is given, so handing it whole articles was
//! most of the cost of a search. Instead one pass over the text finds the strongest query
//! terms, and only a short window around their densest cluster goes to the generator.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// Length in bytes of the text handed to the snippet generator.
pub const WINDOW_BYTES: usize = 2 * super::SNIPPET_CHARS;
/// Most matches of one term considered: enough to find a cluster in a long article.
const MAX_MATCHES_PER_TERM: usize = 32;

/// Finds the window of a text holding the most distinct query terms.
pub struct WindowFinder {
    /// `None` when no term is usable (too short or not ASCII): windows start at the top.
    matcher: Option<AhoCorasick>,
    terms: usize,
}

impl WindowFinder {
    /// A finder for these stems, strongest first. Stems match as word prefixes, ignoring
    /// ASCII case; a stem's last letter is dropped when it is long, because stemming may
    /// change a word's end (company → compani).
    pub fn new<'a>(stems: impl Iterator<Item = &'a str>) -> Self {
        // ASCII only (checked before cutting, so the cut is on a character boundary).
        let probes: Vec<&str> = stems
            .filter(|stem| stem.is_ascii())
            .map(|stem| if stem.len() > 4 { &stem[..stem.len() - 1] } else { stem })
            .filter(|probe| probe.len() >= 2)
            .collect();
        let matcher = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&probes)
            .ok()
            .filter(|_| !probes.is_empty());
        Self { matcher, terms: probes.len() }
    }

    /// The text of [`Self::best_range`].
    #[cfg(test)]
    pub fn best_window<'t>(&self, text: &'t str) -> &'t str {
        &text[self.best_range(text)]
    }

    /// Where the [`WINDOW_BYTES`] bytes of `text` holding the most distinct terms are
    /// (on a tie, the most matches), or the start of the text when none occurs. Never
    /// splits a character.
    pub fn best_range(&self, text: &str) -> std::ops::Range<usize> {
        if text.len() <= WINDOW_BYTES {
            return 0..text.len();
        }
        let top = 0..floor_char_boundary(text, WINDOW_BYTES);
        let Some(matcher) = &self.matcher else { return top };
        let bytes = text.as_bytes();
        let mut per_term = vec![0usize; self.terms];
        let mut hits: Vec<(usize, usize)> = Vec::new();
        for found in matcher.find_overlapping_iter(text) {
            let (at, term) = (found.start(), found.pattern().as_usize());
            let starts_word = at == 0 || !bytes[at - 1].is_ascii_alphanumeric();
            if starts_word && per_term[term] < MAX_MATCHES_PER_TERM {
                per_term[term] += 1;
                hits.push((at, term));
            }
        }
        if hits.is_empty() {
            return top;
        }
        let span = WINDOW_BYTES * 2 / 3;
        let mut best = ((0usize, 0usize), hits[0].0);
        let mut seen = vec![false; self.terms];
        for (i, &(start, _)) in hits.iter().enumerate() {
            seen.iter_mut().for_each(|s| *s = false);
            let mut matches = 0;
            for &(_, term) in hits[i..].iter().take_while(|(at, _)| *at < start + span) {
                seen[term] = true;
                matches += 1;
            }
            let distinct = seen.iter().filter(|s| **s).count();
            if (distinct, matches) > best.0 {
                best = ((distinct, matches), start);
            }
        }
        let start = floor_char_boundary(text, best.1.saturating_sub(WINDOW_BYTES / 6));
        let end = floor_char_boundary(text, (start + WINDOW_BYTES).min(text.len()));
        start..end
    }
}

/// The largest char boundary of `text` at or before `index`.
pub(super) fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::{WindowFinder, WINDOW_BYTES};

    fn window<'t>(text: &'t str, stems: &[&str]) -> &'t str {
        WindowFinder::new(stems.iter().copied()).best_window(text)
    }

    #[test]
    fn finds_the_densest_cluster_of_terms() {
        let filler = "Nothing relevant here at all. ".repeat(40);
        let text = format!(
            "{filler}Reset the password once. {filler}To reset your password, open Settings and reset it. {filler}"
        );
        let found = window(&text, &["reset", "password"]);
        assert!(found.len() <= WINDOW_BYTES);
        assert!(found.contains("To reset your password"), "{found}");
        assert!(window(&text, &["zebra"]).starts_with("Nothing relevant"));
        assert_eq!(window("short text", &["text"]), "short text");
    }

    #[test]
    fn matches_word_starts_in_any_case_only() {
        let filler = "Nothing relevant here at all. ".repeat(40);
        let text = format!("{filler}unreset misreset {filler}RESET the router now. {filler}");
        assert!(window(&text, &["reset"]).contains("RESET the router"));
    }

    #[test]
    fn never_splits_a_character() {
        let accented = "é".repeat(800);
        assert!(window(&accented, &["e"]).chars().all(|c| c == 'é'));
        let mixed = format!("{}passwörd {}", "ü".repeat(300), "ß".repeat(300));
        assert!(window(&mixed, &["passw"]).contains("passwörd"));
        // Terms that are not ASCII place nothing, and never panic (emoji, accents).
        assert!(window(&mixed, &["passwö", "😀😀", "ü"]).starts_with('ü'));
    }
}
