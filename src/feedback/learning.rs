//! Search that learns from outcomes: when readers who searched for one need (a
//! normalized query) keep voting one article helpful, that article is boosted for that
//! query; a click followed by "not helpful" counts against it.
//!
//! Bounded so a few votes cannot hijack results:
//! - every outcome's weight halves every [`HALF_LIFE_DAYS`] days (counted in whole days);
//! - a pairing needs at least [`MIN_OUTCOMES`] (decayed) helpful outcomes to boost, or
//!   as many unhelpful ones to demote;
//! - the multiplier stays within [`MIN_MULTIPLIER`]..=[`MAX_MULTIPLIER`] and grows with
//!   the net share of helpful outcomes, smoothed by [`PRIOR`];
//! - staff can pin a pairing (always the maximum boost) or remove it (never applied).

use std::collections::{BTreeMap, HashMap};

/// Days for an outcome's weight to halve.
pub const HALF_LIFE_DAYS: f64 = 30.0;
/// Decayed outcomes a pairing needs before it changes anything.
pub const MIN_OUTCOMES: f64 = 3.0;
/// Largest score multiplier a learned pairing gives.
pub const MAX_MULTIPLIER: f64 = 1.5;
/// Smallest multiplier (for pairings voted down).
pub const MIN_MULTIPLIER: f64 = 0.75;
/// Pseudo-outcomes added to the denominator, so small counts move the score little.
pub const PRIOR: f64 = 2.0;

/// A reader searched `normalized`, opened `page` from the results, then voted.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub normalized: String,
    pub page: String,
    pub helpful: bool,
    /// Unix seconds of the vote.
    pub at: i64,
}

/// What staff decided about a pairing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Override {
    Pin,
    Remove,
}

impl Override {
    pub fn as_str(self) -> &'static str {
        match self {
            Override::Pin => "pin",
            Override::Remove => "remove",
        }
    }
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "pin" => Some(Override::Pin),
            "remove" => Some(Override::Remove),
            _ => None,
        }
    }
}

/// One query–page pairing with its evidence and the multiplier it earns.
#[derive(Debug, Clone, PartialEq)]
pub struct Pairing {
    pub normalized: String,
    pub page: String,
    /// Decayed helpful and unhelpful outcomes.
    pub helpful: f64,
    pub unhelpful: f64,
    /// Raw counts, for staff.
    pub helpful_count: u64,
    pub unhelpful_count: u64,
    pub staff: Option<Override>,
    /// The score multiplier applied (1 = none).
    pub multiplier: f64,
}

/// The multiplier earned by decayed evidence, before staff overrides.
pub fn multiplier(helpful: f64, unhelpful: f64) -> f64 {
    let net = (helpful - unhelpful) / (helpful + unhelpful + PRIOR);
    if helpful >= MIN_OUTCOMES && net > 0.0 {
        (1.0 + (MAX_MULTIPLIER - 1.0) * net).min(MAX_MULTIPLIER)
    } else if unhelpful >= MIN_OUTCOMES && net < 0.0 {
        (1.0 + (1.0 - MIN_MULTIPLIER) * net).max(MIN_MULTIPLIER)
    } else {
        1.0
    }
}

/// Every pairing with evidence or a staff decision, strongest first.
pub fn learn(outcomes: &[Outcome], overrides: &[(String, String, Override)], now: i64) -> Vec<Pairing> {
    let mut pairs: BTreeMap<(String, String), Pairing> = BTreeMap::new();
    for outcome in outcomes {
        // Whole days: decay is meant over weeks, and with fractional days three votes
        // cast a second before relearning weighed 2.9999, under the minimum of 3.
        let age_days = ((now - outcome.at).max(0) / 86_400) as f64;
        let weight = 0.5f64.powf(age_days / HALF_LIFE_DAYS);
        let pairing = pairs.entry((outcome.normalized.clone(), outcome.page.clone())).or_insert_with(|| Pairing {
            normalized: outcome.normalized.clone(),
            page: outcome.page.clone(),
            helpful: 0.0,
            unhelpful: 0.0,
            helpful_count: 0,
            unhelpful_count: 0,
            staff: None,
            multiplier: 1.0,
        });
        if outcome.helpful {
            pairing.helpful += weight;
            pairing.helpful_count += 1;
        } else {
            pairing.unhelpful += weight;
            pairing.unhelpful_count += 1;
        }
    }
    for (normalized, page, decision) in overrides {
        pairs
            .entry((normalized.clone(), page.clone()))
            .or_insert_with(|| Pairing {
                normalized: normalized.clone(),
                page: page.clone(),
                helpful: 0.0,
                unhelpful: 0.0,
                helpful_count: 0,
                unhelpful_count: 0,
                staff: None,
                multiplier: 1.0,
            })
            .staff = Some(*decision);
    }
    let mut pairings: Vec<Pairing> = pairs
        .into_values()
        .map(|mut p| {
            p.multiplier = match p.staff {
                Some(Override::Pin) => MAX_MULTIPLIER,
                Some(Override::Remove) => 1.0,
                None => multiplier(p.helpful, p.unhelpful),
            };
            p
        })
        .collect();
    pairings.sort_by(|a, b| {
        (b.multiplier - 1.0).abs().total_cmp(&(a.multiplier - 1.0).abs()).then_with(|| a.normalized.cmp(&b.normalized))
    });
    pairings
}

/// Normalized query → (page key, multiplier) for the pairings that change scores.
pub type Boosts = HashMap<String, Vec<(String, f32)>>;

/// The boosts search applies, from [`learn`]'s pairings.
pub fn boosts(pairings: &[Pairing]) -> Boosts {
    let mut boosts: Boosts = HashMap::new();
    for pairing in pairings.iter().filter(|p| (p.multiplier - 1.0).abs() > 1e-9) {
        boosts.entry(pairing.normalized.clone()).or_default().push((pairing.page.clone(), pairing.multiplier as f32));
    }
    boosts
}

/// Pairings and the boosts they give, computed together.
#[derive(Debug, Clone, Default)]
pub struct Learned {
    pub pairings: Vec<Pairing>,
    pub boosts: Boosts,
}

/// Outcomes older than this many half-lives weigh under 1/64 and are not read.
const LOOKBACK_HALF_LIVES: f64 = 6.0;

/// Reads the evidence and staff decisions and computes what search applies.
pub fn refresh(store: &dyn super::FeedbackStore, now: i64) -> anyhow::Result<Learned> {
    let since = now - (HALF_LIFE_DAYS * LOOKBACK_HALF_LIVES * 86_400.0) as i64;
    let pairings = learn(&store.search_outcomes(since)?, &store.learned_overrides()?, now);
    let boosts = boosts(&pairings);
    Ok(Learned { pairings, boosts })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    fn outcome(page: &str, helpful: bool, at: i64) -> Outcome {
        Outcome { normalized: "login".into(), page: page.into(), helpful, at }
    }

    #[test]
    fn a_few_votes_change_nothing_many_consistent_ones_boost_within_the_cap() {
        let now = 100 * DAY;
        let two = vec![outcome("a", true, now), outcome("a", true, now)];
        assert_eq!(learn(&two, &[], now)[0].multiplier, 1.0, "below the minimum");
        // 5 helpful now: net = 5 / 7, multiplier = 1 + 0.5 × 5/7.
        let five: Vec<Outcome> = (0..5).map(|_| outcome("a", true, now)).collect();
        let learned = learn(&five, &[], now);
        assert!((learned[0].multiplier - (1.0 + 0.5 * 5.0 / 7.0)).abs() < 1e-9);
        let many: Vec<Outcome> = (0..10_000).map(|_| outcome("a", true, now)).collect();
        assert!(learn(&many, &[], now)[0].multiplier <= MAX_MULTIPLIER);
    }

    #[test]
    fn votes_from_earlier_today_count_in_full() {
        let now = 100 * DAY;
        let three: Vec<Outcome> = (0..3).map(|i| outcome("a", true, now - 3_600 * (i + 1))).collect();
        let learned = learn(&three, &[], now);
        assert_eq!(learned[0].helpful, 3.0);
        assert!(learned[0].multiplier > 1.0, "three helpful votes today reach the minimum");
    }

    #[test]
    fn unhelpful_clicks_count_against_and_old_votes_fade() {
        let now = 400 * DAY;
        let mixed: Vec<Outcome> =
            (0..4).map(|_| outcome("a", true, now)).chain((0..4).map(|_| outcome("a", false, now))).collect();
        assert_eq!(learn(&mixed, &[], now)[0].multiplier, 1.0, "balanced evidence: no boost");
        let bad: Vec<Outcome> = (0..6).map(|_| outcome("a", false, now)).collect();
        let demoted = learn(&bad, &[], now)[0].multiplier;
        assert!((MIN_MULTIPLIER..1.0).contains(&demoted), "{demoted}");
        // Five helpful votes from 90 days ago weigh 5/8 of one: below the minimum.
        let old: Vec<Outcome> = (0..5).map(|_| outcome("a", true, now - 90 * DAY)).collect();
        let learned = learn(&old, &[], now);
        assert!((learned[0].helpful - 0.625).abs() < 1e-9);
        assert_eq!(learned[0].multiplier, 1.0);
    }

    #[test]
    fn staff_pin_and_remove_win() {
        let now = 10 * DAY;
        let five: Vec<Outcome> = (0..5).map(|_| outcome("a", true, now)).collect();
        let removed = learn(&five, &[("login".into(), "a".into(), Override::Remove)], now);
        assert_eq!(removed[0].multiplier, 1.0);
        assert!(boosts(&removed).is_empty());
        let pinned = learn(&[], &[("login".into(), "b".into(), Override::Pin)], now);
        assert_eq!(pinned[0].multiplier, MAX_MULTIPLIER);
        assert_eq!(boosts(&pinned)["login"], vec![("b".to_string(), MAX_MULTIPLIER as f32)]);
    }
}
