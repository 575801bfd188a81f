//! The spelling vocabulary: every surface word in the help center with the number of
//! documents it appears in, as an FST. It answers "which indexed words are within one
//! or two typos of this one" and "which words start with this prefix" in microseconds,
//! and gives "did you mean" suggestions drawn from the help center's own words.

use std::collections::BTreeMap;

use fst::automaton::Str;
use fst::{Automaton, IntoStreamer, Map, Streamer};
use levenshtein_automata::{Distance, LevenshteinAutomatonBuilder};

/// Words and their document frequencies.
pub struct Vocabulary {
    words: Map<Vec<u8>>,
    one_typo: LevenshteinAutomatonBuilder,
    two_typos: LevenshteinAutomatonBuilder,
}

/// A word in the vocabulary close to a query word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub word: String,
    pub distance: u8,
    pub doc_freq: u64,
}

/// How many typos a word of this length may contain: none for short words, where one
/// typo makes another word ("cat"/"car"), one for medium, two for long words.
pub fn allowed_typos(word: &str) -> u8 {
    match word.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

impl Vocabulary {
    /// Builds the vocabulary from word → document frequency counts.
    pub fn new(counts: BTreeMap<String, u64>) -> Self {
        // A BTreeMap iterates in sorted order, which is what the FST builder needs.
        let words = Map::from_iter(counts).unwrap_or_default();
        Self {
            words,
            one_typo: LevenshteinAutomatonBuilder::new(1, true),
            two_typos: LevenshteinAutomatonBuilder::new(2, true),
        }
    }

    /// Number of documents containing `word` (0 when unknown).
    pub fn doc_freq(&self, word: &str) -> u64 {
        self.words.get(word).unwrap_or(0)
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Other words within the typos allowed for `word`'s length, closest and most
    /// common first, at most `limit`.
    pub fn near(&self, word: &str, limit: usize) -> Vec<Candidate> {
        let builder = match allowed_typos(word) {
            0 => return Vec::new(),
            1 => &self.one_typo,
            _ => &self.two_typos,
        };
        let dfa = builder.build_dfa(word);
        let mut stream = self.words.search(&dfa).into_stream();
        let mut found = Vec::new();
        while let Some((key, doc_freq)) = stream.next() {
            let Ok(candidate) = std::str::from_utf8(key) else {
                continue;
            };
            if candidate == word {
                continue;
            }
            let distance = match dfa.eval(key) {
                Distance::Exact(d) => d,
                Distance::AtLeast(_) => continue,
            };
            found.push(Candidate { word: candidate.to_string(), distance, doc_freq });
        }
        found.sort_by(|a, b| a.distance.cmp(&b.distance).then(b.doc_freq.cmp(&a.doc_freq)).then(a.word.cmp(&b.word)));
        found.truncate(limit);
        found
    }

    /// Words that start with `prefix` (longer than it), most common first, at most `limit`.
    pub fn completions(&self, prefix: &str, limit: usize) -> Vec<Candidate> {
        let automaton = Str::new(prefix).starts_with();
        let mut stream = self.words.search(automaton).into_stream();
        let mut found = Vec::new();
        while let Some((key, doc_freq)) = stream.next() {
            if key.len() == prefix.len() {
                continue;
            }
            if let Ok(word) = std::str::from_utf8(key) {
                found.push(Candidate { word: word.to_string(), distance: 0, doc_freq });
            }
        }
        found.sort_by(|a, b| b.doc_freq.cmp(&a.doc_freq).then(a.word.len().cmp(&b.word.len())));
        found.truncate(limit);
        found
    }

    /// The most likely intended word for an unknown `word`, if one is close enough.
    pub fn correction(&self, word: &str) -> Option<String> {
        if self.doc_freq(word) > 0 {
            return None;
        }
        self.near(word, 1).into_iter().next().map(|c| c.word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary() -> Vocabulary {
        let words = [
            ("password", 30),
            ("passport", 2),
            ("reset", 20),
            ("resets", 3),
            ("refund", 9),
            ("cat", 4),
            ("configuration", 7),
        ];
        Vocabulary::new(words.iter().map(|(w, n)| (w.to_string(), *n)).collect())
    }

    #[test]
    fn typo_budget_scales_with_length() {
        assert_eq!(allowed_typos("cat"), 0);
        assert_eq!(allowed_typos("reset"), 1);
        assert_eq!(allowed_typos("password"), 2);
    }

    #[test]
    fn finds_near_words_closest_and_most_common_first() {
        let v = vocabulary();
        let near: Vec<String> = v.near("pasword", 5).into_iter().map(|c| c.word).collect();
        assert_eq!(near, vec!["password"]);
        let near: Vec<String> = v.near("passwrod", 5).into_iter().map(|c| c.word).collect();
        assert_eq!(near[0], "password", "a transposition counts as one typo");
        assert!(v.near("cst", 5).is_empty(), "no fuzz for short words");
        assert_eq!(v.correction("confguration").as_deref(), Some("configuration"));
        assert_eq!(v.correction("password"), None);
    }

    #[test]
    fn completes_prefixes_by_frequency() {
        let v = vocabulary();
        let words: Vec<String> = v.completions("res", 5).into_iter().map(|c| c.word).collect();
        assert_eq!(words, vec!["reset", "resets"]);
        assert!(v.completions("zzz", 5).is_empty());
    }
}
