//! The passage vectors of one content version, searched by exact dot product.
//!
//! At help-center sizes (10,000 articles ≈ 50,000 passages) a full scan of 8-bit
//! vectors takes a few milliseconds, less than embedding the query, so no approximate
//! index is needed.

use super::model::DIMENSIONS;
use super::passages::Passage;
use super::vectors::{dot, passage_key, VectorCache};
use crate::search::{DenseHit, Target};

struct Entry {
    target: Target,
    section: Option<usize>,
    range: std::ops::Range<usize>,
    /// An opening passage of the page (its title, summary and first paragraphs).
    lead: bool,
}

/// How passage similarities make a page's score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageScoring {
    /// Factor on the similarity of passages other than the opening one: a page whose
    /// title and opening match is about the question; one matching passage deep in a
    /// long page may be incidental.
    pub later_passage_factor: f32,
}

impl Default for PageScoring {
    /// Measured on the tuning sets (BENCHMARKS.md): 0.9 lifted questions on one
    /// corpus by 4 points and cost the other 2.
    fn default() -> Self {
        Self { later_passage_factor: 0.9 }
    }
}

/// Vectors of the passages of one content version.
pub struct DenseIndex {
    entries: Vec<Entry>,
    scales: Vec<f32>,
    codes: Vec<i8>,
    /// Passages of the version that had no vector (not embedded yet).
    missing: usize,
    /// The sign of every component, 64 per word: a first pass over large indexes
    /// compares these (a fourth of a cache line per passage) and only the closest
    /// candidates are scored exactly.
    signs: Vec<u64>,
}

/// Words of sign bits per vector.
const SIGN_WORDS: usize = DIMENSIONS / 64;
/// Below this many passages every vector is scored exactly (a few milliseconds at most).
const EXACT_SCAN_LIMIT: usize = 20_000;
/// Candidates the sign pass keeps for exact scoring, at least.
const MIN_CANDIDATES: usize = 4_000;

impl DenseIndex {
    /// The index of `passages` from the vectors in `cache`; passages without one are
    /// left out and counted in [`missing`](Self::missing).
    pub fn build(passages: &[Passage], cache: &VectorCache) -> Self {
        let mut index = Self {
            entries: Vec::with_capacity(passages.len()),
            scales: Vec::with_capacity(passages.len()),
            codes: Vec::with_capacity(passages.len() * DIMENSIONS),
            missing: 0,
            signs: Vec::new(),
        };
        for passage in passages {
            let lead = passage.section.is_none();
            match cache.get(&passage_key(&passage.text)) {
                Some((scale, codes)) => {
                    index.entries.push(Entry {
                        target: passage.target,
                        section: passage.section,
                        range: passage.range.clone(),
                        lead,
                    });
                    index.scales.push(scale);
                    index.codes.extend_from_slice(codes);
                }
                None => index.missing += 1,
            }
        }
        if index.entries.len() > EXACT_SCAN_LIMIT {
            index.signs = index
                .codes
                .chunks_exact(DIMENSIONS)
                .flat_map(|codes| sign_words(codes.iter().map(|&c| c < 0)))
                .collect();
        }
        index
    }

    /// Number of passages with a vector.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Passages of the version without a vector.
    pub fn missing(&self) -> usize {
        self.missing
    }

    /// Approximate heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.codes.capacity()
            + self.signs.capacity() * 8
            + self.scales.capacity() * 4
            + self.entries.capacity() * std::mem::size_of::<Entry>()
    }

    /// Pages by their best passage's similarity to the unit vector `query`, best first,
    /// at most `limit`.
    pub fn search(&self, query: &[f32], limit: usize) -> Vec<DenseHit> {
        self.search_with(query, limit, &PageScoring::default())
    }

    /// [`search`](Self::search) with explicit page scoring.
    pub fn search_with(&self, query: &[f32], limit: usize, scoring: &PageScoring) -> Vec<DenseHit> {
        if query.len() != DIMENSIONS || self.entries.is_empty() {
            return Vec::new();
        }
        self.search_scored(query, limit, scoring, self.candidates(query))
    }

    fn search_scored(
        &self,
        query: &[f32],
        limit: usize,
        scoring: &PageScoring,
        candidates: Vec<usize>,
    ) -> Vec<DenseHit> {
        if query.len() != DIMENSIONS {
            return Vec::new();
        }
        // Passages of a page are consecutive (see `passages`), and so are candidates,
        // kept in passage order: keep each page's best (score, passage position).
        let mut ranked: Vec<(f32, usize)> = Vec::new();
        let mut current: Option<Target> = None;
        for position in candidates {
            let entry = &self.entries[position];
            let codes = &self.codes[position * DIMENSIONS..(position + 1) * DIMENSIONS];
            let mut score = dot(query, self.scales[position], codes);
            if !entry.lead {
                score *= scoring.later_passage_factor;
            }
            match ranked.last_mut() {
                Some(best) if current == Some(entry.target) => {
                    if score > best.0 {
                        *best = (score, position);
                    }
                }
                _ => {
                    ranked.push((score, position));
                    current = Some(entry.target);
                }
            }
        }
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked.truncate(limit);
        ranked
            .into_iter()
            .map(|(score, position)| {
                let entry = &self.entries[position];
                DenseHit { target: entry.target, score, section: entry.section, range: entry.range.clone() }
            })
            .collect()
    }

    /// [`search`](Self::search) scoring every passage exactly, even in a large index
    /// (to measure what the first pass of [`candidates`](Self::candidates) loses).
    pub fn search_exhaustive(&self, query: &[f32], limit: usize) -> Vec<DenseHit> {
        self.search_scored(query, limit, &PageScoring::default(), (0..self.entries.len()).collect())
    }

    /// Passages worth scoring exactly, in passage order: all of a small index; of a
    /// large one, those whose signs agree most with the query's (Hamming distance over
    /// the sign bits, a standard first pass for quantized vectors), at least
    /// [`MIN_CANDIDATES`] and 5% of the passages.
    fn candidates(&self, query: &[f32]) -> Vec<usize> {
        let count = self.entries.len();
        if self.signs.is_empty() {
            return (0..count).collect();
        }
        let query_signs = sign_words(query.iter().map(|&x| x < 0.0));
        let mut distances: Vec<(u32, usize)> = self
            .signs
            .chunks_exact(SIGN_WORDS)
            .enumerate()
            .map(|(position, words)| {
                let distance = words.iter().zip(&query_signs).map(|(a, b)| (a ^ b).count_ones()).sum();
                (distance, position)
            })
            .collect();
        let keep = MIN_CANDIDATES.max(count / 20).min(count);
        if keep < count {
            distances.select_nth_unstable(keep - 1);
            distances.truncate(keep);
        }
        let mut kept: Vec<usize> = distances.into_iter().map(|(_, position)| position).collect();
        kept.sort_unstable();
        kept
    }
}

/// Packs sign bits (true = negative), 64 per word.
fn sign_words(negative: impl Iterator<Item = bool>) -> Vec<u64> {
    let mut words = vec![0u64; SIGN_WORDS];
    for (i, bit) in negative.enumerate().take(SIGN_WORDS * 64) {
        if bit {
            words[i / 64] |= 1 << (i % 64);
        }
    }
    words
}
