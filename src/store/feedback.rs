//! The SQLite implementation of [`FeedbackStore`].

use anyhow::Result;
use rusqlite::{params, OptionalExtension};

use super::Store;
use crate::feedback::learning::{Outcome, Override};
use crate::feedback::{
    Arrival, CountIncrement, Counter, DailyCounts, EffortScale, FeedbackStore, FollowUp, PageKey, Reason,
    SearchOutcome, VoteInput, VoteRow,
};

/// The columns `vote_row` reads, in its order.
const VOTE_COLUMNS: &str = "id, page, helpful, effort, effort_points, effort_low_is_easy, reasons, comment, revision, \
     arrival, search_id, updated_at, resolved_by, resolved_at, csat";

fn vote_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<VoteRow> {
    let reasons: String = row.get(6)?;
    let arrival: String = row.get(9)?;
    Ok(VoteRow {
        id: row.get(0)?,
        page: row.get(1)?,
        helpful: row.get(2)?,
        effort: row.get(3)?,
        scale: EffortScale { points: row.get(4)?, low_is_easy: row.get(5)? },
        reasons: reasons.split(',').filter_map(Reason::parse).collect(),
        comment: row.get(7)?,
        revision: row.get(8)?,
        arrival: Arrival::parse(&arrival).unwrap_or(Arrival::Direct),
        search_id: row.get(10)?,
        at: row.get(11)?,
        resolved_by: row.get(12)?,
        resolved_at: row.get(13)?,
        csat: row.get(14)?,
    })
}

/// The inbox: "no" votes with a reason or comment, of one page (`?1`; all when NULL),
/// resolved or open (`?2`; both when NULL).
const INBOX_ITEMS: &str = "helpful = 0 AND (reasons <> '' OR comment IS NOT NULL)
     AND (?1 IS NULL OR page = ?1) AND (?2 IS NULL OR (resolved_at IS NOT NULL) = ?2)";
impl Store {
    /// Adds buffered counter increments in one transaction.
    pub fn add_counts(&self, increments: &[CountIncrement]) -> Result<()> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "INSERT INTO page_days (page, day, views, escalations, readers) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (day, page) DO UPDATE SET
                    views = views + ?3, escalations = escalations + ?4, readers = readers + ?5",
            )?;
            for i in increments {
                statement.execute(params![i.page, i.day, i.views as i64, i.escalations as i64, i.readers as i64])?;
            }
            Ok(())
        })
    }

    /// Votes on one page, newest first (for the staff article page).
    pub fn votes_of(&self, page: &str, limit: usize) -> Result<Vec<VoteRow>> {
        self.with(|c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {VOTE_COLUMNS} FROM votes WHERE page = ?1 ORDER BY updated_at DESC, id DESC LIMIT ?2"
            ))?;
            let rows = statement.query_map(params![page, limit as i64], vote_row)?;
            rows.collect()
        })
    }

    /// Every "no" vote with a reason or comment (the staff inbox), newest first: see
    /// [`INBOX_ITEMS`].
    pub fn inbox(
        &self,
        page: Option<&str>,
        resolved: Option<bool>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<VoteRow>> {
        self.with(|c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {VOTE_COLUMNS} FROM votes WHERE {INBOX_ITEMS}
                 ORDER BY updated_at DESC, id DESC LIMIT ?3 OFFSET ?4"
            ))?;
            let rows = statement.query_map(params![page, resolved, limit as i64, offset as i64], vote_row)?;
            rows.collect()
        })
    }

    /// How many inbox items [`Self::inbox`] would list without a limit.
    pub fn inbox_count(&self, page: Option<&str>, resolved: Option<bool>) -> Result<u64> {
        self.with(|c| {
            c.query_row(&format!("SELECT COUNT(*) FROM votes WHERE {INBOX_ITEMS}"), params![page, resolved], |row| {
                row.get::<_, i64>(0)
            })
            .map(|n| n as u64)
        })
    }

    /// (helpful, total) current votes of every page, for the in-memory tally.
    pub fn all_vote_counts(&self) -> Result<std::collections::HashMap<String, (u64, u64)>> {
        self.with(|c| {
            let mut statement = c.prepare("SELECT page, SUM(helpful), COUNT(*) FROM votes GROUP BY page")?;
            let rows = statement.query_map([], |row| {
                Ok((row.get::<_, String>(0)?, (row.get::<_, i64>(1)? as u64, row.get::<_, i64>(2)? as u64)))
            })?;
            rows.collect()
        })
    }

    /// Number of inbox items not yet resolved (for the overview's link).
    pub fn open_inbox_count(&self) -> Result<u64> {
        self.inbox_count(None, Some(false))
    }

    /// Every window of votes staff excluded, newest first.
    pub fn excluded_windows(&self) -> Result<Vec<crate::feedback::ExcludedWindow>> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT id, page, from_at, to_at, excluded_by, excluded_at FROM excluded_windows ORDER BY id DESC",
            )?;
            let rows = statement.query_map([], |row| {
                Ok(crate::feedback::ExcludedWindow {
                    id: row.get(0)?,
                    page: row.get(1)?,
                    from: row.get(2)?,
                    to: row.get(3)?,
                    by: row.get(4)?,
                    at: row.get(5)?,
                })
            })?;
            rows.collect()
        })
    }

    /// Excludes the votes on `page` in `[from, to)` from the metrics; returns the window id.
    pub fn exclude_window(&self, page: &str, from: i64, to: i64, by: &str, at: i64) -> Result<i64> {
        self.with(|c| {
            c.execute(
                "INSERT INTO excluded_windows (page, from_at, to_at, excluded_by, excluded_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![page, from, to, by, at],
            )?;
            Ok(c.last_insert_rowid())
        })
    }

    /// Counts the votes of window `id` again; false when there is no such window.
    pub fn include_window(&self, id: i64) -> Result<bool> {
        self.with(|c| Ok(c.execute("DELETE FROM excluded_windows WHERE id = ?1", [id])? > 0))
    }

    /// Every answer about `page`, oldest first (the history behind before/after).
    pub fn events_of(&self, page: &str) -> Result<Vec<crate::feedback::VoteEvent>> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT visitor, revision, at, helpful, effort, effort_points, effort_low_is_easy
                 FROM vote_events WHERE page = ?1 ORDER BY id",
            )?;
            let rows = statement.query_map([page], |row| {
                let points: Option<u8> = row.get(5)?;
                let low_is_easy: Option<bool> = row.get(6)?;
                let effort: Option<u8> = row.get(4)?;
                Ok(crate::feedback::VoteEvent {
                    visitor: row.get(0)?,
                    revision: row.get(1)?,
                    at: row.get(2)?,
                    helpful: row.get(3)?,
                    effort: effort.zip(points).map(|(rating, points)| {
                        (rating, EffortScale { points, low_is_easy: low_is_easy.unwrap_or(true) })
                    }),
                })
            })?;
            rows.collect()
        })
    }

    /// Adds page requests that were not counted as views, per day: `(day, requests)`.
    pub fn add_excluded(&self, increments: &[(i64, u64)]) -> Result<()> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "INSERT INTO excluded_days (day, requests) VALUES (?1, ?2)
                 ON CONFLICT (day) DO UPDATE SET requests = requests + ?2",
            )?;
            for (day, requests) in increments {
                statement.execute(params![day, *requests as i64])?;
            }
            Ok(())
        })
    }

    /// Page requests not counted as views in `[from_day, to_day)`.
    pub fn excluded_between(&self, from_day: i64, to_day: i64) -> Result<u64> {
        self.with(|c| {
            c.query_row(
                "SELECT COALESCE(SUM(requests), 0) FROM excluded_days WHERE day >= ?1 AND day < ?2",
                params![from_day, to_day],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| n as u64)
        })
    }

    /// Number of current votes (for tests and the overview).
    pub fn vote_total(&self) -> Result<u64> {
        self.with(|c| c.query_row("SELECT COUNT(*) FROM votes", [], |r| r.get::<_, i64>(0)).map(|n| n as u64))
    }
}

impl FeedbackStore for Store {
    fn cast_vote(&self, vote: &VoteInput) -> Result<i64> {
        self.with(|c| {
            // Voting again replaces the vote (and clears the follow-up answers, which
            // belonged to the other answer). A search id from a cookie that names no
            // logged search (planted by another site, or purged) is left out.
            let id: i64 = c.query_row(
                "INSERT INTO votes (page, visitor, helpful, effort_points, revision, arrival, search_id, created_at, updated_at)
                 VALUES (?1, ?2, ?3, 7, ?4, ?5, (SELECT id FROM search_log WHERE id = ?6), ?7, ?7)
                 ON CONFLICT (page, visitor) DO UPDATE SET
                    helpful = excluded.helpful, revision = excluded.revision, arrival = excluded.arrival,
                    search_id = COALESCE(excluded.search_id, search_id), updated_at = excluded.updated_at,
                    effort = CASE WHEN helpful = excluded.helpful THEN effort END,
                    reasons = CASE WHEN helpful = excluded.helpful THEN reasons ELSE '' END,
                    comment = CASE WHEN helpful = excluded.helpful THEN comment END,
                    csat = CASE WHEN helpful = excluded.helpful THEN csat END
                 RETURNING id",
                params![
                    vote.page.0,
                    vote.visitor,
                    vote.helpful,
                    vote.revision,
                    vote.arrival.as_str(),
                    vote.search_id,
                    vote.at
                ],
                |row| row.get(0),
            )?;
            c.execute(
                "INSERT INTO vote_events (vote_id, page, visitor, revision, at, kind, helpful)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'vote', ?6)",
                params![id, vote.page.0, vote.visitor, vote.revision, vote.at, vote.helpful],
            )?;
            Ok(id)
        })
    }

    fn follow_up(&self, vote: i64, follow_up: &FollowUp, at: i64) -> Result<bool> {
        let reasons = follow_up.reasons.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",");
        let scale = follow_up.scale.unwrap_or(EffortScale { points: 7, low_is_easy: true });
        // The vote keeps its own time: answering the follow-up a day later does not
        // move the vote into another period.
        self.with(|c| {
            let changed = c.execute(
                "UPDATE votes SET
                    effort = COALESCE(?2, effort),
                    effort_points = CASE WHEN ?2 IS NULL THEN effort_points ELSE ?3 END,
                    effort_low_is_easy = CASE WHEN ?2 IS NULL THEN effort_low_is_easy ELSE ?4 END,
                    reasons = CASE WHEN ?5 = '' THEN reasons ELSE ?5 END,
                    comment = COALESCE(?6, comment),
                    csat = COALESCE(?7, csat)
                 WHERE id = ?1",
                params![
                    vote,
                    follow_up.effort,
                    scale.points,
                    scale.low_is_easy,
                    reasons,
                    follow_up.comment,
                    follow_up.csat
                ],
            )?;
            if changed > 0 {
                c.execute(
                    "INSERT INTO vote_events (vote_id, page, visitor, revision, at, kind, effort, effort_points,
                                              effort_low_is_easy, reasons, comment, csat)
                     SELECT id, page, visitor, revision, ?2, 'follow_up', ?3, ?4, ?5, ?6, ?7, ?8 FROM votes WHERE id = ?1",
                    params![
                        vote,
                        at,
                        follow_up.effort,
                        scale.points,
                        scale.low_is_easy,
                        reasons,
                        follow_up.comment,
                        follow_up.csat
                    ],
                )?;
            }
            Ok(changed > 0)
        })
    }

    fn count(&self, page: &PageKey, counter: Counter, day: i64) -> Result<()> {
        let (views, escalations, readers) = match counter {
            Counter::View => (1, 0, 0),
            Counter::Escalation => (0, 1, 0),
            Counter::Reader => (0, 0, 1),
        };
        self.add_counts(&[CountIncrement { page: page.0.clone(), day, views, escalations, readers }])
    }

    fn vote_counts(&self, page: &PageKey) -> Result<(u64, u64)> {
        self.with(|c| {
            c.query_row("SELECT COALESCE(SUM(helpful), 0), COUNT(*) FROM votes WHERE page = ?1", [&page.0], |row| {
                Ok((row.get::<_, i64>(0)? as u64, row.get::<_, i64>(1)? as u64))
            })
        })
    }

    fn votes_between(&self, from: i64, to: i64) -> Result<Vec<VoteRow>> {
        self.with(|c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {VOTE_COLUMNS} FROM votes WHERE updated_at >= ?1 AND updated_at < ?2 ORDER BY updated_at"
            ))?;
            let rows = statement.query_map(params![from, to], vote_row)?;
            rows.collect()
        })
    }

    fn counts_between(&self, from_day: i64, to_day: i64) -> Result<Vec<DailyCounts>> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT page, day, views, escalations, readers FROM page_days WHERE day >= ?1 AND day < ?2 ORDER BY day, page",
            )?;
            let rows = statement.query_map(params![from_day, to_day], |row| {
                Ok(DailyCounts {
                    page: row.get(0)?,
                    day: row.get(1)?,
                    views: row.get::<_, i64>(2)? as u64,
                    escalations: row.get::<_, i64>(3)? as u64,
                    readers: row.get::<_, i64>(4)? as u64,
                })
            })?;
            rows.collect()
        })
    }

    fn searches_between(&self, from: i64, to: i64) -> Result<Vec<SearchOutcome>> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT id, at, query, normalized, result_count, clicked_url FROM search_log
                 WHERE at >= ?1 AND at < ?2 ORDER BY id",
            )?;
            let rows = statement.query_map(params![from, to], |row| {
                let clicked: Option<String> = row.get(5)?;
                Ok(SearchOutcome {
                    id: row.get(0)?,
                    at: row.get(1)?,
                    query: row.get(2)?,
                    normalized: row.get(3)?,
                    result_count: row.get::<_, i64>(4)? as u64,
                    clicked: clicked.as_deref().and_then(page_key_of_url),
                })
            })?;
            rows.collect()
        })
    }

    fn set_resolved(&self, vote: i64, by: Option<&str>, at: i64) -> Result<bool> {
        self.with(|c| {
            let changed = c.execute(
                "UPDATE votes SET resolved_by = ?2, resolved_at = CASE WHEN ?2 IS NULL THEN NULL ELSE ?3 END WHERE id = ?1",
                params![vote, by, at],
            )?;
            Ok(changed > 0)
        })
    }

    fn purge_comments(&self, before: i64) -> Result<usize> {
        self.with(|c| {
            let purged =
                c.execute("UPDATE votes SET comment = NULL WHERE comment IS NOT NULL AND updated_at < ?1", [before])?;
            // The history keeps no comment longer than the votes do.
            c.execute("UPDATE vote_events SET comment = NULL WHERE comment IS NOT NULL AND at < ?1", [before])?;
            Ok(purged)
        })
    }

    fn search_outcomes(&self, since: i64) -> Result<Vec<Outcome>> {
        let rows: Vec<(String, String, Option<String>, bool, i64)> = self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT s.normalized, v.page, s.clicked_url, v.helpful, v.updated_at
                 FROM votes v JOIN search_log s ON s.id = v.search_id
                 WHERE v.arrival = 'search' AND v.updated_at >= ?1 AND s.normalized <> ''",
            )?;
            let rows = statement
                .query_map([since], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?)))?;
            rows.collect()
        })?;
        // Only votes on the page that search's click actually opened are evidence; a
        // forged search id in a vote form points elsewhere and is ignored.
        Ok(rows
            .into_iter()
            .filter(|(_, page, clicked, _, _)| clicked.as_deref().and_then(page_key_of_url).as_deref() == Some(page))
            .map(|(normalized, page, _, helpful, at)| Outcome { normalized, page, helpful, at })
            .collect())
    }

    fn learned_overrides(&self) -> Result<Vec<(String, String, Override)>> {
        self.with(|c| {
            let mut statement = c.prepare_cached("SELECT normalized, page, decision FROM learned_overrides")?;
            let rows = statement.query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?))
            })?;
            rows.collect()
        })
        .map(|rows: Vec<(String, String, String)>| {
            rows.into_iter().filter_map(|(q, p, d)| Override::parse(&d).map(|d| (q, p, d))).collect()
        })
    }

    fn set_learned_override(
        &self,
        normalized: &str,
        page: &str,
        decision: Option<Override>,
        by: &str,
        at: i64,
    ) -> Result<()> {
        self.with(|c| {
            match decision {
                Some(decision) => c.execute(
                    "INSERT INTO learned_overrides (normalized, page, decision, decided_by, decided_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (normalized, page) DO UPDATE SET decision = ?3, decided_by = ?4, decided_at = ?5",
                    params![normalized, page, decision.as_str(), by, at],
                )?,
                None => c.execute(
                    "DELETE FROM learned_overrides WHERE normalized = ?1 AND page = ?2",
                    params![normalized, page],
                )?,
            };
            Ok(())
        })
    }
}

/// The page key of a logged click target (`/articles/<slug>` or `/faq/<slug>#<q>`).
pub fn page_key_of_url(url: &str) -> Option<String> {
    if let Some(slug) = url.strip_prefix("/articles/") {
        // A result that answers with one section links to it (`#the-numbers`): the
        // page is still the article.
        return Some(slug.split('#').next().unwrap_or(slug).to_string());
    }
    url.strip_prefix("/faq/").map(str::to_string)
}

/// Reads one vote by id.
impl Store {
    pub fn vote(&self, id: i64) -> Result<Option<VoteRow>> {
        self.with(|c| {
            c.query_row(&format!("SELECT {VOTE_COLUMNS} FROM votes WHERE id = ?1"), [id], vote_row).optional()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn click_targets_name_their_page() {
        assert_eq!(page_key_of_url("/articles/refunds").as_deref(), Some("refunds"));
        // A passage result links to its section; the page is the article.
        assert_eq!(page_key_of_url("/articles/refunds#fees").as_deref(), Some("refunds"));
        assert_eq!(page_key_of_url("/faq/billing#can-i-pay").as_deref(), Some("billing#can-i-pay"));
        assert_eq!(page_key_of_url("/categories/billing"), None);
    }

    fn vote(visitor: &str, helpful: bool, at: i64) -> VoteInput {
        VoteInput {
            page: PageKey("reset-password".into()),
            visitor: visitor.into(),
            helpful,
            revision: "rev1".into(),
            arrival: Arrival::Search,
            search_id: None,
            at,
        }
    }

    #[test]
    fn revote_replaces_and_follow_up_attaches() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        let first = store.cast_vote(&vote("v1", false, 100)).expect("vote");
        let page = PageKey("reset-password".into());
        let follow_up = FollowUp {
            effort: Some(6),
            csat: Some(2),
            scale: Some(EffortScale::new(7).expect("7")),
            reasons: vec![Reason::Outdated, Reason::MissingSteps],
            comment: Some("<script>alert(1)</script>".into()),
        };
        assert!(store.follow_up(first, &follow_up, 101).expect("follow up"));
        assert!(!store.follow_up(first + 100, &follow_up, 101).expect("no vote"));
        let stored = store.vote(first).expect("read").expect("row");
        assert_eq!((stored.effort, stored.csat), (Some(6), Some(2)));
        assert_eq!(stored.reasons, vec![Reason::Outdated, Reason::MissingSteps]);
        assert_eq!(store.inbox(None, Some(false), 10, 0).expect("inbox").len(), 1);
        assert_eq!(store.open_inbox_count().expect("count"), 1);

        // Voting again replaces: same row, new answer, old follow-up cleared.
        let again = store.cast_vote(&vote("v1", true, 200)).expect("revote");
        assert_eq!(again, first);
        let stored = store.vote(first).expect("read").expect("row");
        assert!(stored.helpful && stored.effort.is_none() && stored.reasons.is_empty() && stored.comment.is_none());
        assert_eq!(stored.csat, None, "satisfaction belonged to the other answer");
        store.cast_vote(&vote("v2", false, 300)).expect("vote");
        assert_eq!(store.vote_counts(&page).expect("counts"), (1, 2));
        assert_eq!(store.votes_between(0, 250).expect("votes").len(), 1);
    }

    #[test]
    fn counters_add_up_per_day() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        let page = PageKey("a".into());
        store.count(&page, Counter::View, 10).expect("view");
        store.count(&page, Counter::View, 10).expect("view");
        store.count(&page, Counter::Escalation, 10).expect("escalation");
        let increment = |page: &str, views, escalations| CountIncrement {
            page: page.into(),
            day: 11,
            views,
            escalations,
            readers: views,
        };
        store.add_counts(&[increment("a", 5, 0), increment("b", 2, 1)]).expect("batch");
        let counts = store.counts_between(10, 12).expect("counts");
        assert_eq!(counts[0], DailyCounts { page: "a".into(), day: 10, views: 2, escalations: 1, readers: 0 });
        assert_eq!(counts[1].readers, 5, "readers add up too");
        assert_eq!(counts.len(), 3);
        assert_eq!(store.counts_between(11, 12).expect("counts").len(), 2);
    }

    #[test]
    fn purge_removes_old_comments_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        let comment = |text: &str| FollowUp { comment: Some(text.into()), ..FollowUp::default() };
        let old = store.cast_vote(&vote("old", false, 100)).expect("vote");
        store.follow_up(old, &comment("old comment"), 100).expect("comment");
        let recent = store.cast_vote(&vote("new", false, 1_000)).expect("vote");
        store.follow_up(recent, &comment("new comment"), 1_000).expect("comment");
        assert_eq!(store.purge_comments(500).expect("purge"), 1);
        assert_eq!(store.vote(recent).expect("read").expect("row").comment.as_deref(), Some("new comment"));
        assert_eq!(store.inbox(None, None, 10, 0).expect("inbox").len(), 1);
    }
}
