//! Staff accounts and their sessions.

use anyhow::Result;
use rusqlite::{params, OptionalExtension};

use super::Store;

/// A staff account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffAccount {
    pub id: i64,
    pub email: String,
    /// Argon2id PHC string.
    pub password_hash: String,
}

/// A signed-in staff member, found by session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffSession {
    pub staff_id: i64,
    pub email: String,
    /// The session's CSRF token, required in every staff form.
    pub csrf: String,
}

impl Store {
    /// Adds a staff account, or replaces the password of an existing one; returns
    /// true when the account is new.
    pub fn upsert_staff(&self, email: &str, password_hash: &str, at: i64) -> Result<bool> {
        self.with(|c| {
            let existed: bool =
                c.query_row("SELECT EXISTS (SELECT 1 FROM staff WHERE email = ?1)", [email], |r| r.get(0))?;
            c.execute(
                "INSERT INTO staff (email, password_hash, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (email) DO UPDATE SET password_hash = excluded.password_hash",
                params![email, password_hash, at],
            )?;
            if existed {
                // A new password signs the account out everywhere.
                c.execute(
                    "DELETE FROM staff_sessions WHERE staff_id = (SELECT id FROM staff WHERE email = ?1)",
                    [email],
                )?;
            }
            Ok(!existed)
        })
    }

    pub fn staff_by_email(&self, email: &str) -> Result<Option<StaffAccount>> {
        self.with(|c| {
            c.query_row("SELECT id, email, password_hash FROM staff WHERE email = ?1", [email], |row| {
                Ok(StaffAccount { id: row.get(0)?, email: row.get(1)?, password_hash: row.get(2)? })
            })
            .optional()
        })
    }

    /// Email addresses of all staff accounts.
    pub fn staff_emails(&self) -> Result<Vec<String>> {
        self.with(|c| {
            let mut statement = c.prepare("SELECT email FROM staff ORDER BY email")?;
            let rows = statement.query_map([], |row| row.get(0))?;
            rows.collect()
        })
    }

    pub fn create_session(&self, token_hash: &str, staff_id: i64, csrf: &str, now: i64, expires_at: i64) -> Result<()> {
        self.with(|c| {
            c.execute("DELETE FROM staff_sessions WHERE expires_at <= ?1", [now])?;
            c.execute(
                "INSERT INTO staff_sessions (token_hash, staff_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![token_hash, staff_id, csrf, now, expires_at],
            )?;
            Ok(())
        })
    }

    /// The live session with this token hash.
    pub fn session(&self, token_hash: &str, now: i64) -> Result<Option<StaffSession>> {
        self.with(|c| {
            c.query_row(
                "SELECT s.staff_id, a.email, s.csrf FROM staff_sessions s JOIN staff a ON a.id = s.staff_id
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2",
                params![token_hash, now],
                |row| Ok(StaffSession { staff_id: row.get(0)?, email: row.get(1)?, csrf: row.get(2)? }),
            )
            .optional()
        })
    }

    pub fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.with(|c| c.execute("DELETE FROM staff_sessions WHERE token_hash = ?1", [token_hash]).map(|_| ()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_and_sessions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        assert!(store.upsert_staff("Ann@Example.com", "hash1", 1).expect("add"));
        let account = store.staff_by_email("ann@example.com").expect("read").expect("case-insensitive");
        store.create_session("t1", account.id, "csrf1", 10, 100).expect("session");
        assert_eq!(store.session("t1", 50).expect("read").map(|s| s.csrf), Some("csrf1".into()));
        assert_eq!(store.session("t1", 100).expect("read"), None, "expired");
        store.create_session("t2", account.id, "csrf2", 10, 100).expect("session");
        // Changing the password ends every session.
        assert!(!store.upsert_staff("ann@example.com", "hash2", 2).expect("replace"));
        assert_eq!(store.session("t2", 50).expect("read"), None);
        assert_eq!(store.staff_emails().expect("list"), vec!["Ann@Example.com".to_string()]);
    }
}
