//! Query-time synonyms from `content/synonyms.txt`, kept with the content so writers
//! own them:
//!
//! ```text
//! # one group per line; every entry means the same as the others
//! cancel = unsubscribe, terminate, close account
//! 2fa, two-factor, mfa
//! ```
//!
//! A query word (or two-word phrase) found in a group also matches the other entries,
//! ranked a little below the word itself.

use std::collections::HashMap;

use tantivy::tokenizer::TextAnalyzer;

use super::analysis::tokens;

/// Synonym groups, each entry stored as its surface words.
#[derive(Debug, Default)]
pub struct Synonyms {
    groups: Vec<Vec<Vec<String>>>,
    group_of: HashMap<String, usize>,
}

/// A problem on one line of the synonyms file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynonymError {
    pub line: usize,
    pub message: String,
}

impl Synonyms {
    /// Parses the file text; bad lines are reported and skipped, good ones kept.
    pub fn parse(text: &str, words: &mut TextAnalyzer) -> (Self, Vec<SynonymError>) {
        let mut synonyms = Synonyms::default();
        let mut errors = Vec::new();
        let mut first_line_of: HashMap<String, usize> = HashMap::new();
        for (index, raw_line) in text.lines().enumerate() {
            let line_no = index + 1;
            let line = raw_line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let entries: Vec<&str> = match line.split_once('=') {
                Some((left, right)) => {
                    if left.trim().is_empty() || right.trim().is_empty() {
                        errors.push(SynonymError {
                            line: line_no,
                            message: "a synonym line needs words on both sides of `=`, e.g. `cancel = unsubscribe, terminate`".into(),
                        });
                        continue;
                    }
                    std::iter::once(left).chain(right.split(',')).collect()
                }
                None => line.split(',').collect(),
            };
            let mut group: Vec<Vec<String>> = Vec::new();
            for entry in entries {
                let entry_words = tokens(words, entry);
                if entry_words.is_empty() {
                    if !entry.trim().is_empty() {
                        errors.push(SynonymError {
                            line: line_no,
                            message: format!("`{}` has no letters or digits", entry.trim()),
                        });
                    }
                    continue;
                }
                let key = entry_words.join(" ");
                if let Some(first) = first_line_of.get(&key) {
                    if *first != line_no {
                        errors.push(SynonymError {
                            line: line_no,
                            message: format!(
                                "`{key}` is already in the group on line {first}: put all its synonyms on one line"
                            ),
                        });
                    }
                    continue;
                }
                first_line_of.insert(key, line_no);
                group.push(entry_words);
            }
            if group.len() < 2 {
                errors
                    .push(SynonymError { line: line_no, message: "a synonym group needs at least two entries".into() });
                continue;
            }
            synonyms.push(group);
        }
        (synonyms, errors)
    }

    /// Combines built-in `defaults` with the help center's own groups: a custom group
    /// replaces every default group that shares an entry with it.
    pub fn with_defaults(defaults: Synonyms, custom: Synonyms) -> Synonyms {
        let mut merged = Synonyms::default();
        for group in defaults.groups {
            if group.iter().any(|entry| custom.group_of.contains_key(&entry.join(" "))) {
                continue;
            }
            merged.push(group);
        }
        for group in custom.groups {
            merged.push(group);
        }
        merged
    }

    fn push(&mut self, group: Vec<Vec<String>>) {
        let index = self.groups.len();
        for entry in &group {
            self.group_of.insert(entry.join(" "), index);
        }
        self.groups.push(group);
    }

    /// The other entries of the group `phrase` (surface words joined by spaces) is in.
    pub fn alternatives(&self, phrase: &str) -> Vec<&[String]> {
        match self.group_of.get(phrase) {
            Some(&group) => self.groups[group].iter().filter(|e| e.join(" ") != phrase).map(Vec::as_slice).collect(),
            None => Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::analysis::words;

    #[test]
    fn parses_groups_both_ways() {
        let (s, errors) =
            Synonyms::parse("# comment\ncancel = unsubscribe, Terminate\n2FA, two-factor, mfa\n", &mut words());
        assert!(errors.is_empty(), "{errors:?}");
        let alts: Vec<String> = s.alternatives("cancel").iter().map(|e| e.join(" ")).collect();
        assert_eq!(alts, vec!["unsubscribe", "terminate"]);
        let alts: Vec<String> = s.alternatives("terminate").iter().map(|e| e.join(" ")).collect();
        assert_eq!(alts, vec!["cancel", "unsubscribe"]);
        let alts: Vec<String> = s.alternatives("2fa").iter().map(|e| e.join(" ")).collect();
        assert_eq!(alts, vec!["two factor", "mfa"]);
    }

    #[test]
    fn custom_groups_replace_overlapping_defaults() {
        let (defaults, _) = Synonyms::parse("bill = invoice, receipt\nfake = counterfeit\n", &mut words());
        let (custom, _) = Synonyms::parse("invoice = statement\n", &mut words());
        let merged = Synonyms::with_defaults(defaults, custom);
        let alts: Vec<String> = merged.alternatives("invoice").iter().map(|e| e.join(" ")).collect();
        assert_eq!(alts, vec!["statement"]);
        assert!(merged.alternatives("bill").is_empty());
        assert_eq!(merged.alternatives("fake").len(), 1);
    }

    #[test]
    fn built_in_defaults_parse_cleanly() {
        let (defaults, errors) = Synonyms::parse(super::super::DEFAULT_SYNONYMS, &mut words());
        assert!(errors.is_empty(), "{errors:?}");
        assert!(!defaults.is_empty());
    }

    #[test]
    fn reports_bad_lines_with_numbers() {
        let (s, errors) = Synonyms::parse("= nothing\nlonely\nok, fine\nok, again\n", &mut words());
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![1, 2, 4, 4]);
        assert_eq!(s.alternatives("ok").len(), 1);
    }
}
