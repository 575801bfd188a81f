//! Everything Quire writes, in one SQLite file in the data folder: the only module
//! that issues SQL.
//!
//! The schema lives in versioned migrations ([`migrations`]); the connection runs in WAL
//! mode with foreign keys on. All methods block: call them through
//! `web::blocking` (the one helper that moves work off the async executor), never
//! directly from a handler.

pub mod feedback;
mod migrations;
pub mod staff;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use rusqlite::{params, Connection, OptionalExtension};

/// File name of the database inside the data folder.
pub const DATABASE_FILE: &str = "quire.db";

/// Write-ahead log size (in 4 KB pages) at which a commit checkpoints by itself. The
/// background [`Store::checkpoint`] normally keeps the log far below it (a burst of
/// 4,000 logged searches/s adds ~13,000 frames per second); this is the safety net if
/// that stops (SQLite's default is 1,000 pages).
const AUTO_CHECKPOINT_PAGES: u32 = 65_536;

/// Log length (frames of 4 KB) from which [`Store::checkpoint`] makes the log start over.
const RESTART_LOG_FRAMES: i64 = 1_000;

/// Frames that may arrive during a passive checkpoint for the restart that follows to
/// be short: writes wait for it, and copying plus fsyncing 256 frames takes a few
/// milliseconds where the ~2,600 that arrived during one 200 ms pass took 250 ms.
const CATCH_UP_FRAMES: i64 = 256;

/// Passive rounds before the restart, each copying what arrived during the last.
const MAX_PASSIVE_ROUNDS: usize = 4;

/// Bytes of an emptied write-ahead log kept on disk for reuse; a burst that grew it
/// beyond this gives the rest back.
const WAL_KEPT_BYTES: u64 = 32 * 1024 * 1024;

/// The database. One connection for all reads and writes, used by one blocking thread
/// at a time, and one for checkpoints only.
pub struct Store {
    connection: Mutex<Connection>,
    /// Checkpoints copy the write-ahead log into the database and fsync both, which
    /// took 250–560 ms after five seconds of 1,300 votes/s. On the shared connection
    /// that stalled every vote behind it; in WAL mode a checkpoint on its own
    /// connection runs while other transactions commit.
    checkpointer: Mutex<Connection>,
    path: PathBuf,
    health: WriteHealth,
}

/// The database could not take a write: the disk is full, the device failed, or the
/// file became read-only. Nothing was stored; the caller must not report success
/// (the web layer answers 503 with `Retry-After`).
#[derive(Debug)]
pub struct Unavailable {
    pub cause: String,
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the database cannot take writes: {}", self.cause)
    }
}

impl std::error::Error for Unavailable {}

/// Whether `err` is the database refusing writes (see [`Unavailable`]).
pub fn is_unavailable(err: &anyhow::Error) -> bool {
    err.downcast_ref::<Unavailable>().is_some()
}

/// Tracks bursts of failed writes so the log says once that writes fail, and once
/// that they work again, instead of a line per request.
#[derive(Default)]
struct WriteHealth {
    /// Writes refused since the burst began; 0 when writes work.
    refused: std::sync::atomic::AtomicU64,
}

impl WriteHealth {
    fn classify(&self, err: rusqlite::Error) -> anyhow::Error {
        use rusqlite::ErrorCode;
        let refused = matches!(
            err.sqlite_error_code(),
            Some(
                ErrorCode::DiskFull
                    | ErrorCode::SystemIoFailure
                    | ErrorCode::ReadOnly
                    | ErrorCode::CannotOpen
                    | ErrorCode::DatabaseBusy
                    | ErrorCode::DatabaseLocked
                    | ErrorCode::OutOfMemory
            )
        );
        if !refused {
            return err.into();
        }
        let cause = err.to_string();
        if self.refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 0 {
            tracing::error!(
                "the database cannot take writes ({cause}): votes and other writes get 503 until it can; readers are still served"
            );
        }
        anyhow::Error::new(Unavailable { cause })
    }

    fn write_succeeded(&self) {
        let refused = self.refused.swap(0, std::sync::atomic::Ordering::Relaxed);
        if refused > 0 {
            tracing::warn!(refused, "the database takes writes again");
        }
    }
}

/// Where a logged search came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchSource {
    /// The `/search` results page.
    Page,
    /// A pick from the as-you-type suggestions.
    Instant,
}

impl SearchSource {
    fn as_str(self) -> &'static str {
        match self {
            SearchSource::Page => "page",
            SearchSource::Instant => "instant",
        }
    }
}

/// One search to record. No IP address or user agent is ever stored.
#[derive(Debug, Clone)]
pub struct SearchRecord<'a> {
    /// The query as typed (trimmed, length-limited), for display in reports.
    pub query: &'a str,
    /// The analyzer's normal form, for grouping variants of one need.
    pub normalized: &'a str,
    pub result_count: usize,
    pub source: SearchSource,
}

/// A logged search, as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedSearch {
    pub id: i64,
    pub at: i64,
    pub query: String,
    pub normalized: String,
    pub result_count: i64,
    pub source: String,
    pub clicked_url: Option<String>,
    pub clicked_rank: Option<i64>,
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

impl Store {
    /// Opens (creating if needed) the database in `data_dir` and brings its schema up
    /// to date.
    pub fn open(data_dir: &Path) -> Result<Self> {
        let path = data_dir.join(DATABASE_FILE);
        let mut connection =
            Connection::open(&path).with_context(|| format!("cannot open the database {}", path.display()))?;
        // WAL: readers never block the writer. synchronous=NORMAL in WAL mode keeps
        // every committed transaction through a process crash (only a power loss
        // can take the last ones). busy_timeout covers a second process (quire CLI).
        connection
            .execute_batch(&format!(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;
                 PRAGMA wal_autocheckpoint = {AUTO_CHECKPOINT_PAGES}; PRAGMA journal_size_limit = {WAL_KEPT_BYTES};"
            ))
            .context("cannot configure the database")?;
        migrations::apply(&mut connection)
            .with_context(|| format!("cannot migrate the database {}", path.display()))?;
        let checkpointer =
            Connection::open(&path).with_context(|| format!("cannot open the database {}", path.display()))?;
        checkpointer.execute_batch("PRAGMA busy_timeout = 5000;").context("cannot configure the database")?;
        Ok(Self {
            connection: Mutex::new(connection),
            checkpointer: Mutex::new(checkpointer),
            path,
            health: WriteHealth::default(),
        })
    }

    /// Copies the write-ahead log into the database file and lets it start over, so it
    /// stays small and no commit has to do it. Blocking: the background writer thread
    /// calls it every second. Returns the log's length in frames before (-1 if another
    /// checkpoint was running).
    ///
    /// Passive checkpoints on their own connection copy the log and fsync while writes
    /// go on, repeated while writes arrive faster than [`CATCH_UP_FRAMES`] per round;
    /// then, if the log is long, a restart checkpoint copies the little that arrived
    /// meanwhile with writes held back, because a log that is never completely copied
    /// at a quiet moment is never reset and would grow for as long as a burst lasts.
    pub fn checkpoint(&self) -> Result<i64> {
        let passive = || -> Result<i64> {
            let connection = self.checkpointer.lock().map_err(|_| anyhow::anyhow!("database lock poisoned"))?;
            connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get(1)).context("checkpoint failed")
        };
        let first = passive()?;
        let mut copied_up_to = first;
        for _ in 1..MAX_PASSIVE_ROUNDS {
            if copied_up_to < 0 {
                return Ok(first);
            }
            let log = passive()?;
            let arrived = log - copied_up_to;
            copied_up_to = log;
            if arrived < CATCH_UP_FRAMES {
                break;
            }
        }
        if copied_up_to >= RESTART_LOG_FRAMES {
            // Outside a transaction: a checkpoint cannot run inside one.
            let connection = self.connection.lock().map_err(|_| anyhow::anyhow!("database lock poisoned"))?;
            connection.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(())).context("checkpoint failed")?;
        }
        Ok(first)
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` in one transaction and commits it explicitly. SQLite reports a full
    /// disk or a failing device when the transaction commits (and for `INSERT …
    /// RETURNING`, when the statement is reset), not when the row is handed back; only
    /// a checked commit makes "stored" mean stored. Such failures come back as
    /// [`Unavailable`] and are logged once per burst.
    fn with<T>(&self, work: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        let mut connection = self.connection.lock().map_err(|_| anyhow::anyhow!("database lock poisoned"))?;
        let changes_before = connection.total_changes();
        let outcome = (|| {
            let transaction = connection.transaction()?;
            let value = work(&transaction)?;
            transaction.commit()?;
            Ok(value)
        })();
        match outcome {
            Ok(value) => {
                if connection.total_changes() != changes_before {
                    self.health.write_succeeded();
                }
                Ok(value)
            }
            Err(err) => Err(self.health.classify(err)),
        }
    }

    /// Records a search; returns its id (used to attribute a click to it).
    pub fn record_search(&self, search: &SearchRecord<'_>) -> Result<i64> {
        self.with(|c| {
            c.execute(
                "INSERT INTO search_log (at, query, normalized, result_count, source) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![now(), search.query, search.normalized, search.result_count as i64, search.source.as_str()],
            )?;
            Ok(c.last_insert_rowid())
        })
    }

    /// Records which result of search `id` was opened. Only the first click of a search
    /// counts, and only for a search that found something; false otherwise.
    pub fn record_click(&self, id: i64, url: &str, rank: u32) -> Result<bool> {
        self.with(|c| {
            let changed = c.execute(
                "UPDATE search_log SET clicked_url = ?2, clicked_rank = ?3
                 WHERE id = ?1 AND clicked_url IS NULL AND result_count > 0",
                params![id, url, rank],
            )?;
            Ok(changed > 0)
        })
    }

    /// The most recent searches, newest first.
    pub fn recent_searches(&self, limit: usize) -> Result<Vec<LoggedSearch>> {
        self.with(|c| {
            let mut statement =
                c.prepare(&format!("SELECT {SEARCH_COLUMNS} FROM search_log ORDER BY id DESC LIMIT ?1"))?;
            let rows = statement.query_map([limit as i64], logged_search)?;
            rows.collect()
        })
    }

    /// One logged search by id.
    pub fn search(&self, id: i64) -> Result<Option<LoggedSearch>> {
        self.with(|c| {
            c.query_row(&format!("SELECT {SEARCH_COLUMNS} FROM search_log WHERE id = ?1"), [id], logged_search)
                .optional()
        })
    }
}

/// The columns `logged_search` reads, in its order.
const SEARCH_COLUMNS: &str = "id, at, query, normalized, result_count, source, clicked_url, clicked_rank";

fn logged_search(row: &rusqlite::Row<'_>) -> rusqlite::Result<LoggedSearch> {
    Ok(LoggedSearch {
        id: row.get(0)?,
        at: row.get(1)?,
        query: row.get(2)?,
        normalized: row.get(3)?,
        result_count: row.get(4)?,
        source: row.get(5)?,
        clicked_url: row.get(6)?,
        clicked_rank: row.get(7)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_searches_and_clicks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        let id = store
            .record_search(&SearchRecord {
                query: "Reset Password",
                normalized: "password reset",
                result_count: 3,
                source: SearchSource::Page,
            })
            .expect("insert");
        assert!(store.record_click(id, "/articles/reset", 2).expect("click"));
        assert!(!store.record_click(id + 100, "/articles/reset", 1).expect("no such search"));
        assert!(!store.record_click(id, "/articles/other", 1).expect("second click"), "one click per search");
        let nothing = store
            .record_search(&SearchRecord {
                query: "zzz",
                normalized: "zzz",
                result_count: 0,
                source: SearchSource::Page,
            })
            .expect("insert");
        assert!(!store.record_click(nothing, "/articles/reset", 1).expect("click"), "nothing to click");
        let logged = store.search(id).expect("read").expect("row");
        assert_eq!(logged.normalized, "password reset");
        assert_eq!(logged.clicked_url.as_deref(), Some("/articles/reset"));
        assert_eq!(logged.clicked_rank, Some(2));
        assert!(store.checkpoint().expect("checkpoint") > 0, "the log holds the writes");
        drop(store);
        // Reopening runs the migrations again without harm and keeps the data.
        let reopened = Store::open(dir.path()).expect("reopen");
        assert_eq!(reopened.recent_searches(10).expect("read").len(), 2);
    }

    #[test]
    fn checkpoints_let_a_long_log_start_over() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        let record = SearchRecord { query: "q", normalized: "q", result_count: 1, source: SearchSource::Page };
        for _ in 0..2_000 {
            store.record_search(&record).expect("insert");
        }
        let log = store.checkpoint().expect("checkpoint");
        assert!(log >= RESTART_LOG_FRAMES, "one frame or more per commit: {log}");
        store.record_search(&record).expect("insert");
        let after = store.checkpoint().expect("checkpoint");
        assert!(after < 10, "the next commit started the log over: {after} frames");
        assert_eq!(store.recent_searches(5_000).expect("read").len(), 2_001);
    }
}
