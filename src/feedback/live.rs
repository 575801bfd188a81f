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

/// Views, escalations and readers of one page and day, not yet written.
type Pending = (u64, u64, u64);

/// View and escalation increments waiting to be written, keyed by (page, day).
///
/// Aggregate counters are written every few seconds in one transaction instead of one
/// write per page view: a crash loses at most that interval of counts, never a vote.
#[derive(Default)]
pub struct CounterBuffer {
    pending: Mutex<HashMap<(String, i64), Pending>>,
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
                super::Counter::Reader => entry.2 += 1,
            }
        }
    }

    /// Takes everything pending.
    pub fn drain(&self) -> Vec<super::CountIncrement> {
        let Ok(mut pending) = self.pending.lock() else {
            return Vec::new();
        };
        pending
            .drain()
            .map(|((page, day), (views, escalations, readers))| super::CountIncrement {
                page,
                day,
                views,
                escalations,
                readers,
            })
            .collect()
    }

    /// Puts back increments that could not be written.
    pub fn restore(&self, increments: Vec<super::CountIncrement>) {
        if let Ok(mut pending) = self.pending.lock() {
            for increment in increments {
                let entry = pending.entry((increment.page, increment.day)).or_default();
                entry.0 += increment.views;
                entry.1 += increment.escalations;
                entry.2 += increment.readers;
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
        buffer.add("a", 1, Counter::Reader);
        let mut drained = buffer.drain();
        drained.sort_by(|x, y| (&x.page, x.day).cmp(&(&y.page, y.day)));
        let tuples: Vec<(&str, i64, u64, u64, u64)> =
            drained.iter().map(|i| (i.page.as_str(), i.day, i.views, i.escalations, i.readers)).collect();
        assert_eq!(tuples, vec![("a", 1, 2, 1, 1), ("b", 2, 1, 0, 0)]);
        assert!(buffer.drain().is_empty());
        buffer.restore(drained);
        buffer.add("a", 1, Counter::View);
        let mut again = buffer.drain();
        again.sort_by(|x, y| (&x.page, x.day).cmp(&(&y.page, y.day)));
        assert_eq!((again[0].page.as_str(), again[0].day, again[0].views, again[0].escalations), ("a", 1, 3, 1));
    }

    #[test]
    fn tally_defaults_to_zero() {
        let tally = Tally::default();
        assert_eq!(tally.get("a"), (0, 0));
        tally.set("a", (3, 4));
        assert_eq!(tally.get("a"), (3, 4));
    }
}
