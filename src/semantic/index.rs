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
}

impl DenseIndex {
    /// The index of `passages` from the vectors in `cache`; passages without one are
    /// left out and counted in [`missing`](Self::missing).
    pub fn build(passages: &[Passage], cache: &VectorCache) -> Self {
        let mut index = Self {
            entries: Vec::with_capacity(passages.len()),
            scales: Vec::with_capacity(passages.len()),
            codes: Vec::with_capacity(passages.len() * DIMENSIONS),
            missing: 0,
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
        self.codes.capacity() + self.scales.capacity() * 4 + self.entries.capacity() * std::mem::size_of::<Entry>()
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
        // Passages of a page are consecutive (see `passages`): keep each page's best
        // (score, passage position).
        let mut ranked: Vec<(f32, usize)> = Vec::new();
        let mut current: Option<Target> = None;
        for (position, (codes, scale)) in self.codes.chunks_exact(DIMENSIONS).zip(&self.scales).enumerate() {
            let entry = &self.entries[position];
            let mut score = dot(query, *scale, codes);
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
}
