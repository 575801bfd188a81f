//! Combining the keyword ranking with the meaning-based one (hybrid search).
//!
//! The keyword side (tantivy) is precise when the customer uses the help center's
//! words; the meaning side (passage embeddings, [`crate::semantic`]) finds the page
//! when they describe their problem in their own words. Each list is normalized to
//! 0..1 (keyword scores by the best score of the query, similarities between a floor
//! and the best similarity) and the two are blended with weights that depend on the
//! query: short queries, half-typed words and corrected typos lean on keywords, where
//! the model is weakest; questions lean on meaning. Reciprocal rank fusion is
//! implemented too, as the baseline the blend was measured against (BENCHMARKS.md).

use std::collections::HashMap;
use std::ops::Range;

use super::Target;

/// A page found by meaning: its best passage's similarity and where that passage is.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseHit {
    pub target: Target,
    /// Cosine similarity of the query and the page's best passage.
    pub score: f32,
    /// The section of the page the passage is in (`None`: the opening).
    pub section: Option<usize>,
    /// The passage's byte range in the page's plain text.
    pub range: Range<usize>,
}

/// How the two rankings are combined.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// `Σ weight / (k + rank)`.
    ReciprocalRank { k: f32 },
    /// `w · keyword + (1 − w) · meaning`, both normalized.
    Blend,
}

/// The fusion's settings; the defaults are the values measured best on the tuning
/// half of the relevance sets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fusion {
    pub method: Method,
    /// Weight of meaning by number of meaningful words in the query: 1, 2, 3, 4+.
    pub dense_weight: [f32; 4],
    /// Factor on the meaning weight when a word was corrected as a typo or the last
    /// word is half-typed (the model reads fragments poorly).
    pub uncertain_words_factor: f32,
    /// Similarity under which a page found only by meaning is not a result at all.
    pub min_similarity: f32,
    /// The similarity of the page at this rank is mapped to 0 when normalizing, the
    /// best to 1: similarities of a query's candidates are close together, and only
    /// their spread says how much better one is.
    pub dense_floor_rank: usize,
    /// With `dense_floor_rank` 0: the similarity mapped to 0 (unrelated texts score
    /// about 0–0.15 with the model).
    pub similarity_floor: f32,
    /// Likewise for keyword scores; 0 divides them by the best score instead.
    pub lexical_floor_rank: usize,
    /// Pages taken from the meaning side.
    pub dense_pool: usize,
}

impl Default for Fusion {
    fn default() -> Self {
        Self {
            method: Method::Blend,
            dense_weight: [0.35, 0.475, 0.6, 0.6],
            uncertain_words_factor: 0.5,
            min_similarity: 0.3,
            dense_floor_rank: 0,
            similarity_floor: 0.2,
            lexical_floor_rank: 0,
            dense_pool: 100,
        }
    }
}

/// What the query planner learned about a query that matters for weighting.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueryShape {
    /// Meaningful words (filler words dropped).
    pub words: usize,
    /// Some word was unknown and matched through typo neighbours.
    pub corrected: bool,
    /// The last word is a prefix being completed.
    pub half_typed: bool,
}

impl Fusion {
    /// Weight of the meaning side for a query of this shape.
    pub fn dense_weight_for(&self, shape: QueryShape) -> f32 {
        let index = shape.words.clamp(1, 4) - 1;
        let mut weight = self.dense_weight[index];
        if shape.corrected || shape.half_typed {
            weight *= self.uncertain_words_factor;
        }
        weight.clamp(0.0, 1.0)
    }

    /// Fuses `lexical` (score, document) best first with `dense` (similarity,
    /// document) best first. Returns (fused score, document) best first, including
    /// pages found by only one side (meaning-only ones above [`Fusion::min_similarity`]).
    pub fn fuse(&self, lexical: &[(f32, usize)], dense: &[(f32, usize)], shape: QueryShape) -> Vec<(f32, usize)> {
        let weight = self.dense_weight_for(shape);
        let dense: Vec<(f32, usize)> = dense.iter().take(self.dense_pool).copied().collect();
        let mut fused: HashMap<usize, f32> = HashMap::with_capacity(lexical.len() + dense.len());
        match self.method {
            Method::ReciprocalRank { k } => {
                for (rank, &(_, doc)) in lexical.iter().enumerate() {
                    *fused.entry(doc).or_default() += (1.0 - weight) / (k + rank as f32 + 1.0);
                }
                for (rank, &(similarity, doc)) in dense.iter().enumerate() {
                    if similarity >= self.min_similarity || fused.contains_key(&doc) {
                        *fused.entry(doc).or_default() += weight / (k + rank as f32 + 1.0);
                    }
                }
            }
            Method::Blend => {
                let lexical_norm = normalizer(lexical, self.lexical_floor_rank, 0.0);
                for &(score, doc) in lexical {
                    *fused.entry(doc).or_default() += (1.0 - weight) * lexical_norm(score);
                }
                let dense_norm = normalizer(&dense, self.dense_floor_rank, self.similarity_floor);
                for &(similarity, doc) in &dense {
                    if similarity >= self.min_similarity || fused.contains_key(&doc) {
                        *fused.entry(doc).or_default() += weight * dense_norm(similarity);
                    }
                }
            }
        }
        let mut ranked: Vec<(f32, usize)> = fused.into_iter().map(|(doc, score)| (score, doc)).collect();
        // Ties keep the keyword order, then document order: results are deterministic.
        let lexical_rank: HashMap<usize, usize> = lexical.iter().enumerate().map(|(rank, &(_, d))| (d, rank)).collect();
        ranked.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then_with(|| {
                    let ra = lexical_rank.get(&a.1).copied().unwrap_or(usize::MAX);
                    let rb = lexical_rank.get(&b.1).copied().unwrap_or(usize::MAX);
                    ra.cmp(&rb)
                })
                .then(a.1.cmp(&b.1))
        });
        ranked
    }
}

/// Maps scores (best first) to 0..1: the best to 1, the score at `floor_rank` (or the
/// last) to 0; with `floor_rank` 0, `fixed_floor` to 0.
fn normalizer(ranked: &[(f32, usize)], floor_rank: usize, fixed_floor: f32) -> impl Fn(f32) -> f32 {
    let top = ranked.first().map_or(0.0, |r| r.0);
    let floor = match floor_rank {
        0 => fixed_floor.min(top),
        rank => ranked.get(rank.min(ranked.len()).saturating_sub(1)).map_or(0.0, |r| r.0).min(top),
    };
    let span = top - floor;
    move |score| if span > f32::EPSILON { ((score - floor) / span).clamp(0.0, 1.0) } else { 1.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUESTION: QueryShape = QueryShape { words: 5, corrected: false, half_typed: false };

    #[test]
    fn meaning_lifts_a_page_that_shares_no_words_and_agreement_beats_keywords_alone() {
        let fusion = Fusion::default();
        // Keywords: doc 1 first (shares a word), doc 2 second. Meaning: doc 3 clearly
        // best, doc 2 fair, doc 1 unrelated.
        let lexical = [(10.0, 1), (6.0, 2)];
        let dense = [(0.72, 3), (0.50, 2), (0.20, 1)];
        let ranked: Vec<usize> = fusion.fuse(&lexical, &dense, QUESTION).into_iter().map(|r| r.1).collect();
        assert_eq!(ranked, [3, 2, 1]);
        // A one-word query trusts keywords more: the keyword match stays first.
        let short = QueryShape { words: 1, ..QueryShape::default() };
        let ranked: Vec<usize> = fusion.fuse(&lexical, &dense, short).into_iter().map(|r| r.1).collect();
        assert_eq!(ranked[0], 1, "{ranked:?}");
    }

    #[test]
    fn unrelated_meaning_only_pages_are_not_results() {
        let fusion = Fusion::default();
        let ranked = fusion.fuse(&[], &[(0.12, 7), (0.05, 8)], QUESTION);
        assert!(ranked.is_empty(), "{ranked:?}");
    }

    #[test]
    fn short_and_uncertain_queries_lean_on_keywords() {
        let fusion = Fusion::default();
        let one_word = fusion.dense_weight_for(QueryShape { words: 1, ..QueryShape::default() });
        let question = fusion.dense_weight_for(QUESTION);
        let typo = fusion.dense_weight_for(QueryShape { corrected: true, ..QUESTION });
        assert!(one_word < question && typo < question);
    }

    #[test]
    fn reciprocal_rank_fusion_baseline() {
        let fusion = Fusion { method: Method::ReciprocalRank { k: 60.0 }, ..Fusion::default() };
        let ranked = fusion.fuse(&[(3.0, 1), (2.0, 2)], &[(0.8, 2), (0.7, 1)], QUESTION);
        assert_eq!(ranked.len(), 2);
        // Both lists hold both documents; the weighted sums decide.
        assert!(ranked[0].0 >= ranked[1].0);
    }
}
