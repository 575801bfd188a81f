//! Turning what a customer typed into a tantivy query, without ever failing.
//!
//! The text is cut into words by the same analyzer as the index (so punctuation,
//! query syntax like `title:` or `AND`, quotes, emoji and right-to-left text are just
//! characters); filler words are dropped; then each remaining word becomes a
//! disjunction of:
//! - the word itself (stemmed) in every field, with field boosts: a title match
//!   outranks a body mention;
//! - the vocabulary's words within the typos allowed for its length, ranked lower;
//! - for the last word, the vocabulary's completions (as-you-type), ranked lower;
//! - its synonyms.
//!
//! A phrase clause rewards documents that contain the words in order. The planner
//! also returns every term it used, so snippets can highlight typo and prefix matches.

use std::collections::BTreeMap;

use tantivy::query::{BooleanQuery, BoostQuery, DisjunctionMaxQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::Term;

use super::analysis::{tokens, ENGLISH_STOP_WORDS};
use super::synonyms::Synonyms;
use super::vocabulary::Vocabulary;

/// Longest query considered, in characters; the rest is ignored.
pub const MAX_QUERY_CHARS: usize = 256;
/// Most words considered from one query.
const MAX_WORDS: usize = 24;

/// The searchable fields and how much a match in each is worth.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub title: Field,
    pub keywords: Field,
    pub headings: Field,
    pub summary: Field,
    pub tags: Field,
    pub category: Field,
    pub body: Field,
}

impl Fields {
    /// Fields where a half-typed word may match: not the body, where a prefix found
    /// somewhere deep in the text is weak evidence and the posting lists are longest.
    fn for_completions(&self) -> [(Field, f32); 5] {
        [(self.title, 4.0), (self.keywords, 3.0), (self.headings, 2.0), (self.summary, 2.0), (self.tags, 2.0)]
    }

    fn weighted(&self) -> [(Field, f32); 7] {
        [
            (self.title, 4.0),
            (self.keywords, 3.0),
            (self.headings, 2.0),
            (self.summary, 2.0),
            (self.tags, 2.0),
            (self.category, 1.0),
            (self.body, 1.0),
        ]
    }
}

/// Weights of the kinds of match relative to the exact word.
const TYPO_1_WEIGHT: f32 = 0.7;
const TYPO_2_WEIGHT: f32 = 0.45;
const PREFIX_WEIGHT: f32 = 0.5;
const SYNONYM_WEIGHT: f32 = 0.8;
const PHRASE_WEIGHT: f32 = 1.5;
/// Completions of a half-typed last word considered (most common first).
const MAX_COMPLETIONS: usize = 5;
const ALL_WORDS_WEIGHT: f32 = 0.25;
/// From this many words on, a query is a question: no phrase match in article bodies.
const LONG_QUERY_WORDS: usize = 4;
/// How much a word's matches in its other fields add to its best field's score.
const OTHER_FIELDS_SHARE: f32 = 0.3;

/// A planned query.
pub struct Plan {
    pub query: Box<dyn Query>,
    /// Stemmed terms to highlight, with their weight for snippet selection.
    pub highlight: BTreeMap<String, f32>,
    /// The query's meaningful surface words, in order.
    pub words: Vec<String>,
    /// The analyzer's normal form: sorted, de-duplicated stems, so that "reset
    /// passwords" and "password reset" count as one need.
    pub normalized: String,
    /// Some word was not found and was matched through its typo neighbours instead.
    pub corrected: bool,
    /// The last word looks half-typed: it is matched mostly through its completions.
    pub half_typed: bool,
}

/// Everything the planner needs from the index.
pub struct Planner<'a> {
    pub fields: Fields,
    pub vocabulary: &'a Vocabulary,
    pub synonyms: &'a Synonyms,
    pub stem: TextAnalyzer,
    pub words: TextAnalyzer,
    pub drop_stop_words: bool,
    /// Words of the language's dictionary are never treated as typos
    /// ([`super::dictionary`]; English only).
    pub dictionary: bool,
    /// Match only the fields a suggestion list shows or summarizes (title, keywords,
    /// headings, summary, tags), not the body: as-you-type answers must be fast, and a
    /// suggestion whose title does not relate to the words typed is no help.
    pub headlines_only: bool,
}

/// Cuts a query to [`MAX_QUERY_CHARS`] characters and trims it.
pub fn truncate(query: &str) -> String {
    query.chars().take(MAX_QUERY_CHARS).collect::<String>().trim().to_string()
}

impl Planner<'_> {
    /// The surface words of a query, filler words removed when others remain.
    pub fn words_of(&mut self, query: &str) -> Vec<String> {
        let mut words = tokens(&mut self.words, &truncate(query));
        words.truncate(MAX_WORDS);
        if self.drop_stop_words {
            let meaningful: Vec<String> =
                words.iter().filter(|w| !ENGLISH_STOP_WORDS.contains(&w.as_str())).cloned().collect();
            if !meaningful.is_empty() {
                return meaningful;
            }
        }
        words
    }

    /// The normal form of a query (see [`Plan::normalized`]).
    pub fn normalize(&mut self, query: &str) -> String {
        let words = self.words_of(query);
        let mut stems: Vec<String> = words.iter().filter_map(|w| self.stem_of(w)).collect();
        stems.sort();
        stems.dedup();
        stems.join(" ")
    }

    fn stem_of(&mut self, word: &str) -> Option<String> {
        tokens(&mut self.stem, word).into_iter().next()
    }

    /// Plans `query`; `None` when it has no words at all.
    pub fn plan(&mut self, query: &str, complete_last_word: bool) -> Option<Plan> {
        let words = self.words_of(query);
        if words.is_empty() {
            return None;
        }
        let mut highlight = BTreeMap::new();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        // Per word, its exact or corrected form: what the coordination clause requires.
        let mut cores: Vec<Box<dyn Query>> = Vec::new();
        let mut stems = Vec::new();
        let mut corrected = false;
        let mut half_typed = false;
        for (index, word) in words.iter().enumerate() {
            let is_last = index + 1 == words.len();
            let mut core: Vec<Box<dyn Query>> = Vec::new();
            if let Some(stem) = self.stem_of(word) {
                core.push(self.all_fields(&stem, 1.0));
                highlight.insert(stem.clone(), 1.0);
                stems.push(stem);
            }
            // A word that exists in the help center is taken as spelled: looking up its
            // neighbours too cost time and changed no result in the relevance sets. So is
            // a real word the help center happens not to use ("laptop" is not a typo of
            // "layout"): matching it by meaning is better than by a look-alike.
            if self.is_typo_candidate(word) {
                for candidate in self.vocabulary.near(word, 4) {
                    corrected = true;
                    let weight = if candidate.distance <= 1 { TYPO_1_WEIGHT } else { TYPO_2_WEIGHT };
                    if let Some(stem) = self.stem_of(&candidate.word) {
                        core.push(self.all_fields(&stem, weight));
                        highlight.entry(stem).or_insert(weight);
                    }
                }
            }
            let mut alternatives: Vec<Box<dyn Query>> = core.iter().map(|q| q.box_clone()).collect();
            // In a full search, a question's last word that is a known word is finished:
            // completing it would add a clause per completion and field for little.
            // Suggestions still complete it ("…my pass" → "password").
            let finished =
                !self.headlines_only && words.len() >= LONG_QUERY_WORDS && self.vocabulary.doc_freq(word) > 0;
            if is_last && complete_last_word && !finished && word.chars().count() >= 2 {
                let weight = if word.chars().count() == 2 { PREFIX_WEIGHT * 0.6 } else { PREFIX_WEIGHT };
                let completions = self.vocabulary.completions(word, MAX_COMPLETIONS);
                half_typed = completions.first().is_some_and(|c| c.doc_freq > self.vocabulary.doc_freq(word));
                for candidate in completions {
                    if let Some(stem) = self.stem_of(&candidate.word) {
                        alternatives.push(self.in_fields(&self.fields.for_completions(), &stem, weight));
                        highlight.entry(stem).or_insert(weight);
                    }
                }
            }
            for synonym in self.synonyms.alternatives(word) {
                if let Some(query) = self.synonym_query(synonym, &mut highlight) {
                    alternatives.push(query);
                }
            }
            if !core.is_empty() {
                cores.push(Box::new(DisjunctionMaxQuery::new(core)));
            }
            if !alternatives.is_empty() {
                clauses.push((Occur::Should, Box::new(DisjunctionMaxQuery::with_tie_breaker(alternatives, 0.1))));
            }
        }
        // Coordination: a page matching every word scores again, so it outranks pages
        // that repeat one of the words many times.
        // Over whole articles, a question of four or more words rarely matches them all,
        // and this clause repeats every word's field queries: it doubled the cost of such
        // queries without changing their ranking in the relevance sets. Suggestions keep it
        // (headline fields are cheap, and there it helps).
        let long_full_search = !self.headlines_only && cores.len() >= LONG_QUERY_WORDS;
        if cores.len() >= 2 && !long_full_search {
            let every_word: Vec<(Occur, Box<dyn Query>)> = cores.into_iter().map(|q| (Occur::Must, q)).collect();
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(BooleanQuery::new(every_word)), ALL_WORDS_WEIGHT)),
            ));
        }
        // Two-word synonyms ("two factor" → "2fa").
        // Looked up before filler words are dropped: "power on" must meet "turn on".
        let all_words = tokens(&mut self.words, &truncate(query));
        for pair in all_words.windows(2) {
            for synonym in self.synonyms.alternatives(&pair.join(" ")) {
                if let Some(query) = self.synonym_query(synonym, &mut highlight) {
                    clauses.push((Occur::Should, query));
                }
            }
        }
        if stems.len() >= 2 {
            // A body phrase of four or more words almost never occurs, yet checking it
            // reads the positions of every page holding all the words: the costliest
            // clause of a long question, for no ranking change in the relevance sets.
            let phrase_fields: &[(Field, f32)] = if self.headlines_only || stems.len() >= LONG_QUERY_WORDS {
                &[(self.fields.title, 3.0)]
            } else {
                &[(self.fields.title, 3.0), (self.fields.body, 1.0)]
            };
            for &(field, weight) in phrase_fields {
                let terms: Vec<Term> = stems.iter().map(|s| Term::from_field_text(field, s)).collect();
                let phrase: Box<dyn Query> = Box::new(PhraseQuery::new(terms));
                clauses.push((Occur::Should, Box::new(BoostQuery::new(phrase, weight * PHRASE_WEIGHT))));
            }
        }
        if clauses.is_empty() {
            return None;
        }
        let mut normalized = stems.clone();
        normalized.sort();
        normalized.dedup();
        Some(Plan {
            query: Box::new(BooleanQuery::new(clauses)),
            highlight,
            words,
            normalized: normalized.join(" "),
            corrected,
            half_typed,
        })
    }

    /// Whether `word` may be a misspelling: the help center does not contain it and it
    /// is not a word of the language.
    pub fn is_typo_candidate(&self, word: &str) -> bool {
        self.vocabulary.doc_freq(word) == 0 && !(self.dictionary && super::dictionary::is_word(word))
    }

    /// The stemmed term in every field, each with its field weight, times `weight`.
    /// The word's best field counts fully and the others a little ("best fields"), so a
    /// common word found in every field cannot outweigh a rare, decisive one.
    fn all_fields(&self, stem: &str, weight: f32) -> Box<dyn Query> {
        if self.headlines_only {
            self.in_fields(&self.fields.for_completions(), stem, weight)
        } else {
            self.in_fields(&self.fields.weighted(), stem, weight)
        }
    }

    fn in_fields(&self, fields: &[(Field, f32)], stem: &str, weight: f32) -> Box<dyn Query> {
        let per_field: Vec<Box<dyn Query>> = fields
            .iter()
            .map(|&(field, field_weight)| {
                let term = TermQuery::new(Term::from_field_text(field, stem), IndexRecordOption::WithFreqs);
                Box::new(BoostQuery::new(Box::new(term), field_weight * weight)) as Box<dyn Query>
            })
            .collect();
        Box::new(DisjunctionMaxQuery::with_tie_breaker(per_field, OTHER_FIELDS_SHARE))
    }

    fn synonym_query(&mut self, synonym: &[String], highlight: &mut BTreeMap<String, f32>) -> Option<Box<dyn Query>> {
        let stems: Vec<String> = synonym.iter().filter_map(|w| self.stem_of(w)).collect();
        for stem in &stems {
            highlight.entry(stem.clone()).or_insert(SYNONYM_WEIGHT);
        }
        match stems.as_slice() {
            [] => None,
            [single] => Some(self.all_fields(single, SYNONYM_WEIGHT)),
            several => {
                let fields = [(self.fields.title, 4.0), (self.fields.summary, 2.0), (self.fields.body, 1.0)];
                let clauses = fields
                    .iter()
                    .filter(|(field, _)| !self.headlines_only || *field != self.fields.body)
                    .map(|&(field, weight)| {
                        let terms: Vec<Term> = several.iter().map(|s| Term::from_field_text(field, s)).collect();
                        let phrase: Box<dyn Query> = Box::new(PhraseQuery::new(terms));
                        (Occur::Should, Box::new(BoostQuery::new(phrase, weight * SYNONYM_WEIGHT)) as Box<dyn Query>)
                    })
                    .collect();
                Some(Box::new(BooleanQuery::new(clauses)))
            }
        }
    }
}
