//! Feedback numbers kept in memory so that showing a page never waits on the database:
//! the public vote tally per page, and page view / escalation counters buffered and
//! written in batches.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};

/// Current (helpful, total) votes per page key, refreshed after every vote.
#[derive(Default)]
pub struct Tally {
    pages: RwLock<HashMap<String, (u64, u64)>>,
}

impl Tally {
    pub fn new(initial: HashMap<String, (u64, u64)>) -> Self {
        Self { pages: RwLock::new(initial) }
    }

    pub fn get(&self, page: &str) -> (u64, u64) {
        self.pages.read().map(|p| p.get(page).copied().unwrap_or_default()).unwrap_or_default()
    }

    pub fn set(&self, page: &str, counts: (u64, u64)) {
        if let Ok(mut pages) = self.pages.write() {
            pages.insert(page.to_string(), counts);
        }
    }
}

/// View and escalation increments waiting to be written, keyed by (page, day).
///
/// Aggregate counters are written every few seconds in one transaction instead of one
/// write per page view: a crash loses at most that interval of counts, never a vote.
#[derive(Default)]
pub struct CounterBuffer {
    pending: Mutex<HashMap<(String, i64), (u64, u64)>>,
    /// Requests for pages not counted as views (bots, scripts, prefetches), per day.
    excluded: Mutex<HashMap<i64, u64>>,
}

impl CounterBuffer {
    /// Counts a page request that is not a reader's view.
    pub fn exclude(&self, day: i64) {
        if let Ok(mut excluded) = self.excluded.lock() {
            *excluded.entry(day).or_default() += 1;
        }
    }

    /// Takes the pending excluded counts: `(day, requests)`.
    pub fn drain_excluded(&self) -> Vec<(i64, u64)> {
        self.excluded.lock().map(|mut excluded| excluded.drain().collect()).unwrap_or_default()
    }

    /// Puts back excluded counts that could not be written.
    pub fn restore_excluded(&self, increments: Vec<(i64, u64)>) {
        if let Ok(mut excluded) = self.excluded.lock() {
            for (day, requests) in increments {
                *excluded.entry(day).or_default() += requests;
            }
        }
    }

    pub fn add(&self, page: &str, day: i64, counter: super::Counter) {
        if let Ok(mut pending) = self.pending.lock() {
            let entry = pending.entry((page.to_string(), day)).or_default();
            match counter {
                super::Counter::View => entry.0 += 1,
                super::Counter::Escalation => entry.1 += 1,
            }
        }
    }

    /// Takes everything pending: `(page, day, views, escalations)`.
    pub fn drain(&self) -> Vec<(String, i64, u64, u64)> {
        let Ok(mut pending) = self.pending.lock() else {
            return Vec::new();
        };
        pending.drain().map(|((page, day), (views, escalations))| (page, day, views, escalations)).collect()
    }

    /// Puts back increments that could not be written.
    pub fn restore(&self, increments: Vec<(String, i64, u64, u64)>) {
        if let Ok(mut pending) = self.pending.lock() {
            for (page, day, views, escalations) in increments {
                let entry = pending.entry((page, day)).or_default();
                entry.0 += views;
                entry.1 += escalations;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Counter;
    use super::*;

    #[test]
    fn buffer_sums_and_drains() {
        let buffer = CounterBuffer::default();
        buffer.add("a", 1, Counter::View);
        buffer.add("a", 1, Counter::View);
        buffer.add("a", 1, Counter::Escalation);
        buffer.add("b", 2, Counter::View);
        let mut drained = buffer.drain();
        drained.sort();
        assert_eq!(drained, vec![("a".to_string(), 1, 2, 1), ("b".to_string(), 2, 1, 0)]);
        assert!(buffer.drain().is_empty());
        buffer.restore(drained);
        buffer.add("a", 1, Counter::View);
        let mut again = buffer.drain();
        again.sort();
        assert_eq!(again[0], ("a".to_string(), 1, 3, 1));
    }

    #[test]
    fn tally_defaults_to_zero() {
        let tally = Tally::default();
        assert_eq!(tally.get("a"), (0, 0));
        tally.set("a", (3, 4));
        assert_eq!(tally.get("a"), (3, 4));
    }
}
