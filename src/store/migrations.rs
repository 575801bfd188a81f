//! The database schema, as an append-only list of migrations. Never edit a released
//! migration: add a new one.

use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        // 1: the search log. No IP address or user agent, by design.
        M::up(
            "CREATE TABLE search_log (
                id INTEGER PRIMARY KEY,
                at INTEGER NOT NULL,            -- unix seconds
                query TEXT NOT NULL,            -- as typed, trimmed and length-limited
                normalized TEXT NOT NULL,       -- analyzer normal form, for grouping
                result_count INTEGER NOT NULL,
                source TEXT NOT NULL CHECK (source IN ('page', 'instant')),
                clicked_url TEXT,
                clicked_rank INTEGER
            );
            CREATE INDEX search_log_at ON search_log (at);
            CREATE INDEX search_log_normalized ON search_log (normalized);",
        ),
        // 2: helpfulness votes, per-day page counters, staff accounts and sessions.
        // Visitors are keyed hashes of a random cookie; no IP address or user agent.
        M::up(
            "CREATE TABLE votes (
                id INTEGER PRIMARY KEY,
                page TEXT NOT NULL,             -- article slug, or faq slug#question anchor
                visitor TEXT NOT NULL,          -- keyed hash of the anonymous visitor cookie
                helpful INTEGER NOT NULL CHECK (helpful IN (0, 1)),
                effort INTEGER CHECK (effort BETWEEN 1 AND effort_points),
                effort_points INTEGER NOT NULL CHECK (effort_points IN (5, 7)),
                effort_low_is_easy INTEGER NOT NULL DEFAULT 1 CHECK (effort_low_is_easy IN (0, 1)),
                reasons TEXT NOT NULL DEFAULT '',   -- comma-separated reason codes
                comment TEXT,
                revision TEXT NOT NULL,         -- hash of the page's source when voted
                arrival TEXT NOT NULL CHECK (arrival IN ('search', 'browse', 'direct')),
                search_id INTEGER REFERENCES search_log (id) ON DELETE SET NULL,
                created_at INTEGER NOT NULL,    -- unix seconds
                updated_at INTEGER NOT NULL,
                resolved_by TEXT,
                resolved_at INTEGER,
                UNIQUE (page, visitor)
            );
            CREATE INDEX votes_updated_at ON votes (updated_at);
            CREATE INDEX votes_search_id ON votes (search_id);
            CREATE TABLE page_days (
                page TEXT NOT NULL,
                day INTEGER NOT NULL,           -- days since 1970-01-01 UTC
                views INTEGER NOT NULL DEFAULT 0,
                escalations INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (day, page)
            ) WITHOUT ROWID;
            CREATE TABLE staff (
                id INTEGER PRIMARY KEY,
                email TEXT NOT NULL UNIQUE COLLATE NOCASE,
                password_hash TEXT NOT NULL,    -- Argon2id PHC string
                created_at INTEGER NOT NULL
            );
            CREATE TABLE staff_sessions (
                token_hash TEXT PRIMARY KEY,    -- BLAKE3 of the cookie value
                staff_id INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
                csrf TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL
            );",
        ),
        // 3: staff decisions on pairings that search learned from votes.
        M::up(
            "CREATE TABLE learned_overrides (
                normalized TEXT NOT NULL,
                page TEXT NOT NULL,
                decision TEXT NOT NULL CHECK (decision IN ('pin', 'remove')),
                decided_by TEXT NOT NULL,
                decided_at INTEGER NOT NULL,
                PRIMARY KEY (normalized, page)
            ) WITHOUT ROWID;",
        ),
        // 4: requests not counted as views (crawlers, scripts, prefetches), per day, so
        // staff can see how much was left out.
        M::up(
            "CREATE TABLE excluded_days (
                day INTEGER PRIMARY KEY,        -- days since 1970-01-01, UTC
                requests INTEGER NOT NULL DEFAULT 0
            );",
        ),
        // 5: every answer as an append-only event (a vote, then its follow-up), with the
        // revision it was about, so "before/after an edit" compares what readers said
        // about each revision. Existing votes become one event each.
        M::up(
            "CREATE TABLE vote_events (
                id INTEGER PRIMARY KEY,
                vote_id INTEGER NOT NULL,
                page TEXT NOT NULL,
                visitor TEXT NOT NULL,      -- the same keyed hash as in votes
                revision TEXT NOT NULL,
                at INTEGER NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('vote', 'follow_up')),
                helpful INTEGER,            -- vote events
                effort INTEGER,             -- follow-up events (and backfilled votes)
                effort_points INTEGER,
                effort_low_is_easy INTEGER,
                reasons TEXT,
                comment TEXT
            );
            CREATE INDEX vote_events_page ON vote_events (page, id);
            INSERT INTO vote_events (vote_id, page, visitor, revision, at, kind, helpful, effort,
                                     effort_points, effort_low_is_easy, reasons, comment)
                SELECT id, page, visitor, revision, updated_at, 'vote', helpful, effort,
                       effort_points, effort_low_is_easy, reasons, comment FROM votes;",
        ),
        // 6: distinct readers per page and day, beside raw views.
        M::up("ALTER TABLE page_days ADD COLUMN readers INTEGER NOT NULL DEFAULT 0;"),
        // 7: windows of votes staff excluded from the metrics (a burst of fake votes):
        // excluded, not deleted, and reversible.
        M::up(
            "CREATE TABLE excluded_windows (
                id INTEGER PRIMARY KEY,
                page TEXT NOT NULL,
                from_at INTEGER NOT NULL,   -- unix seconds, inclusive
                to_at INTEGER NOT NULL,     -- exclusive
                excluded_by TEXT NOT NULL,
                excluded_at INTEGER NOT NULL
            );",
        ),
        // 8: the optional CSAT question (satisfaction 1–5).
        M::up(
            "ALTER TABLE votes ADD COLUMN csat INTEGER CHECK (csat BETWEEN 1 AND 5);
             ALTER TABLE vote_events ADD COLUMN csat INTEGER;",
        ),
        // 9: staff roles (accounts from before roles keep every right they had), and
        // the audit log of every staff write.
        M::up(
            "ALTER TABLE staff ADD COLUMN role TEXT NOT NULL DEFAULT 'admin'
                 CHECK (role IN ('viewer', 'editor', 'admin'));
             CREATE TABLE audit_log (
                id INTEGER PRIMARY KEY,
                at INTEGER NOT NULL,
                staff_email TEXT NOT NULL,
                action TEXT NOT NULL,
                target TEXT NOT NULL,
                detail TEXT NOT NULL DEFAULT ''
             );
             CREATE INDEX audit_log_at ON audit_log (at);",
        ),
        // 10: accounts admins manage in the browser: disabled accounts, and one-time
        // links to set a password (an invitation, or a reset).
        M::up(
            "ALTER TABLE staff ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
             CREATE TABLE staff_password_links (
                token_hash TEXT PRIMARY KEY,
                staff_id INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
                expires_at INTEGER NOT NULL
             );",
        ),
    ])
}

/// Brings the schema of `connection` up to the latest version.
pub fn apply(connection: &mut Connection) -> Result<(), rusqlite_migration::Error> {
    migrations().to_latest(connection)
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        assert!(super::migrations().validate().is_ok());
    }
}
