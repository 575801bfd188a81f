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
