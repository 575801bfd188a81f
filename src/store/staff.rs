//! Staff accounts and their sessions.

use anyhow::Result;
use rusqlite::{params, OptionalExtension};

use super::Store;

/// What a staff account may do: each role can do everything the one before can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Reads the dashboard, the reports and the inbox.
    Viewer,
    /// Also changes things: resolves feedback, excludes votes, steers search (and,
    /// with the editor, writes content).
    Editor,
    /// Also reads the audit log (and manages accounts).
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    /// A role by name; `None` for anything else.
    pub fn parse(name: &str) -> Option<Role> {
        match name.trim().to_ascii_lowercase().as_str() {
            "viewer" => Some(Role::Viewer),
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A staff account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffAccount {
    pub id: i64,
    pub email: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    pub role: Role,
}

/// A signed-in staff member, found by session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffSession {
    pub staff_id: i64,
    pub email: String,
    /// The session's CSRF token, required in every staff form.
    pub csrf: String,
    pub role: Role,
}

/// One staff write, as the audit log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: i64,
    pub staff_email: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

fn role_column(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Role> {
    let name: String = row.get(index)?;
    // The column's CHECK admits only the three names; anything else reads as the
    // least privileged role.
    Ok(Role::parse(&name).unwrap_or(Role::Viewer))
}

impl Store {
    /// Adds a staff account, or replaces the password of an existing one; returns
    /// true when the account is new. A new account gets `role` (default: admin when
    /// there is no admin yet, else editor); an existing one changes role only when
    /// `role` is given.
    pub fn upsert_staff(&self, email: &str, password_hash: &str, role: Option<Role>, at: i64) -> Result<bool> {
        self.with(|c| {
            let existed: bool =
                c.query_row("SELECT EXISTS (SELECT 1 FROM staff WHERE email = ?1)", [email], |r| r.get(0))?;
            let has_admin: bool =
                c.query_row("SELECT EXISTS (SELECT 1 FROM staff WHERE role = 'admin')", [], |r| r.get(0))?;
            let new_role = role.unwrap_or(if has_admin { Role::Editor } else { Role::Admin });
            c.execute(
                "INSERT INTO staff (email, password_hash, created_at, role) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (email) DO UPDATE SET password_hash = excluded.password_hash,
                     role = CASE WHEN ?5 THEN excluded.role ELSE staff.role END",
                params![email, password_hash, at, new_role.as_str(), role.is_some()],
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
            // A disabled account cannot sign in: it is not found.
            let query = "SELECT id, email, password_hash, role FROM staff WHERE email = ?1 AND disabled = 0";
            c.query_row(query, [email], |row| {
                Ok(StaffAccount {
                    id: row.get(0)?,
                    email: row.get(1)?,
                    password_hash: row.get(2)?,
                    role: role_column(row, 3)?,
                })
            })
            .optional()
        })
    }

    /// Email addresses of all staff accounts.
    pub fn staff_emails(&self) -> Result<Vec<String>> {
        Ok(self.staff_roles()?.into_iter().map(|(email, _)| email).collect())
    }

    /// Every staff account's email address and role.
    pub fn staff_roles(&self) -> Result<Vec<(String, Role)>> {
        self.with(|c| {
            let mut statement = c.prepare("SELECT email, role FROM staff ORDER BY email")?;
            let rows = statement.query_map([], |row| Ok((row.get(0)?, role_column(row, 1)?)))?;
            rows.collect()
        })
    }

    /// Records a staff write in the audit log.
    pub fn audit(&self, staff_email: &str, action: &str, target: &str, detail: &str, at: i64) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO audit_log (at, staff_email, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![at, staff_email, action, target, detail],
            )
            .map(|_| ())
        })
    }

    /// The audit log, newest first, at most `limit` entries.
    pub fn audit_entries(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        self.with(|c| {
            let mut statement = c.prepare(
                "SELECT at, staff_email, action, target, detail FROM audit_log ORDER BY at DESC, id DESC LIMIT ?1",
            )?;
            let rows = statement.query_map([limit as i64], |row| {
                Ok(AuditEntry {
                    at: row.get(0)?,
                    staff_email: row.get(1)?,
                    action: row.get(2)?,
                    target: row.get(3)?,
                    detail: row.get(4)?,
                })
            })?;
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
                "SELECT s.staff_id, a.email, s.csrf, a.role FROM staff_sessions s JOIN staff a ON a.id = s.staff_id
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND a.disabled = 0",
                params![token_hash, now],
                |row| {
                    Ok(StaffSession {
                        staff_id: row.get(0)?,
                        email: row.get(1)?,
                        csrf: row.get(2)?,
                        role: role_column(row, 3)?,
                    })
                },
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
        assert!(store.upsert_staff("Ann@Example.com", "hash1", None, 1).expect("add"));
        let account = store.staff_by_email("ann@example.com").expect("read").expect("case-insensitive");
        store.create_session("t1", account.id, "csrf1", 10, 100).expect("session");
        assert_eq!(store.session("t1", 50).expect("read").map(|s| s.csrf), Some("csrf1".into()));
        assert_eq!(store.session("t1", 100).expect("read"), None, "expired");
        store.create_session("t2", account.id, "csrf2", 10, 100).expect("session");
        // Changing the password ends every session.
        assert!(!store.upsert_staff("ann@example.com", "hash2", None, 2).expect("replace"));
        assert_eq!(store.session("t2", 50).expect("read"), None);
        assert_eq!(store.staff_emails().expect("list"), vec!["Ann@Example.com".to_string()]);
    }

    #[test]
    fn roles_default_to_admin_first_then_editor_and_change_only_when_asked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        store.upsert_staff("ann@example.com", "h", None, 1).expect("add");
        store.upsert_staff("bob@example.com", "h", None, 1).expect("add");
        store.upsert_staff("cy@example.com", "h", Some(Role::Viewer), 1).expect("add");
        let roles = store.staff_roles().expect("roles");
        assert_eq!(
            roles,
            vec![
                ("ann@example.com".into(), Role::Admin),
                ("bob@example.com".into(), Role::Editor),
                ("cy@example.com".into(), Role::Viewer)
            ]
        );
        // A new password keeps the role; a role given changes it.
        store.upsert_staff("cy@example.com", "h2", None, 2).expect("password");
        assert_eq!(store.staff_by_email("cy@example.com").expect("read").map(|a| a.role), Some(Role::Viewer));
        store.upsert_staff("cy@example.com", "h3", Some(Role::Editor), 3).expect("role");
        assert_eq!(store.staff_by_email("cy@example.com").expect("read").map(|a| a.role), Some(Role::Editor));
        store.audit("ann@example.com", "inbox.resolve", "vote 7", "", 10).expect("audit");
        let log = store.audit_entries(10).expect("log");
        assert_eq!(
            (log[0].staff_email.as_str(), log[0].action.as_str(), log[0].target.as_str()),
            ("ann@example.com", "inbox.resolve", "vote 7")
        );
    }
}

/// A staff account as the accounts page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSummary {
    pub email: String,
    pub role: Role,
    pub disabled: bool,
    /// Whether a password is set (an invited account has none until the link is used).
    pub has_password: bool,
    pub created_at: i64,
}

/// Why an account change was refused, in words for the admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRefusal(pub String);

impl Store {
    /// Every account, by email.
    pub fn staff_accounts(&self) -> Result<Vec<AccountSummary>> {
        self.with(|c| {
            let mut statement =
                c.prepare("SELECT email, role, disabled, password_hash <> '', created_at FROM staff ORDER BY email")?;
            let rows = statement.query_map([], |row| {
                Ok(AccountSummary {
                    email: row.get(0)?,
                    role: role_column(row, 1)?,
                    disabled: row.get(2)?,
                    has_password: row.get(3)?,
                    created_at: row.get(4)?,
                })
            })?;
            rows.collect()
        })
    }

    /// Creates an account without a password and a link (by its token's hash) to set
    /// one, valid until `expires_at`.
    pub fn invite_staff(
        &self,
        email: &str,
        role: Role,
        link_hash: &str,
        expires_at: i64,
        at: i64,
    ) -> Result<Result<(), AccountRefusal>> {
        self.with(|c| {
            let exists: bool =
                c.query_row("SELECT EXISTS (SELECT 1 FROM staff WHERE email = ?1)", [email], |r| r.get(0))?;
            if exists {
                return Ok(Err(AccountRefusal(format!("{email} already has an account: reset its password instead"))));
            }
            // `with` runs this in one transaction: both rows or neither.
            c.execute(
                "INSERT INTO staff (email, password_hash, created_at, role) VALUES (?1, '', ?2, ?3)",
                params![email, at, role.as_str()],
            )?;
            let id = c.last_insert_rowid();
            c.execute(
                "INSERT INTO staff_password_links (token_hash, staff_id, expires_at) VALUES (?1, ?2, ?3)",
                params![link_hash, id, expires_at],
            )?;
            Ok(Ok(()))
        })
    }

    /// Makes a new link to set the password of `email`; the old password stops working
    /// and its sessions end.
    pub fn reset_staff_password(
        &self,
        email: &str,
        link_hash: &str,
        expires_at: i64,
    ) -> Result<Result<(), AccountRefusal>> {
        self.with(|c| {
            let Some(id) =
                c.query_row("SELECT id FROM staff WHERE email = ?1", [email], |r| r.get::<_, i64>(0)).optional()?
            else {
                return Ok(Err(AccountRefusal(format!("there is no account {email}"))));
            };
            c.execute("UPDATE staff SET password_hash = '' WHERE id = ?1", [id])?;
            c.execute("DELETE FROM staff_sessions WHERE staff_id = ?1", [id])?;
            c.execute("DELETE FROM staff_password_links WHERE staff_id = ?1", [id])?;
            c.execute(
                "INSERT INTO staff_password_links (token_hash, staff_id, expires_at) VALUES (?1, ?2, ?3)",
                params![link_hash, id, expires_at],
            )?;
            Ok(Ok(()))
        })
    }

    /// The account a password link is for, if it is still valid.
    pub fn password_link(&self, link_hash: &str, now: i64) -> Result<Option<String>> {
        self.with(|c| {
            c.query_row(
                "SELECT a.email FROM staff_password_links l JOIN staff a ON a.id = l.staff_id
                 WHERE l.token_hash = ?1 AND l.expires_at > ?2 AND a.disabled = 0",
                params![link_hash, now],
                |row| row.get(0),
            )
            .optional()
        })
    }

    /// Sets the password through a valid link, which is then used up; the account's
    /// email, or `None` when the link is unknown or expired.
    pub fn use_password_link(&self, link_hash: &str, password_hash: &str, now: i64) -> Result<Option<String>> {
        self.with(|c| {
            let found: Option<(i64, String)> = c
                .query_row(
                    "SELECT a.id, a.email FROM staff_password_links l JOIN staff a ON a.id = l.staff_id
                     WHERE l.token_hash = ?1 AND l.expires_at > ?2 AND a.disabled = 0",
                    params![link_hash, now],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            let Some((id, email)) = found else {
                return Ok(None);
            };
            c.execute("UPDATE staff SET password_hash = ?1 WHERE id = ?2", params![password_hash, id])?;
            c.execute("DELETE FROM staff_password_links WHERE staff_id = ?1", [id])?;
            c.execute("DELETE FROM staff_sessions WHERE staff_id = ?1", [id])?;
            Ok(Some(email))
        })
    }

    /// Changes an account's role or turns it off (its sessions end) or on. The last
    /// active admin is never demoted or disabled, so the site keeps one.
    pub fn update_staff(&self, email: &str, role: Role, disabled: bool) -> Result<Result<(), AccountRefusal>> {
        self.with(|c| {
            let exists: bool =
                c.query_row("SELECT EXISTS (SELECT 1 FROM staff WHERE email = ?1)", [email], |r| r.get(0))?;
            if !exists {
                return Ok(Err(AccountRefusal(format!("there is no account {email}"))));
            }
            let other_admins: i64 = c.query_row(
                "SELECT COUNT(*) FROM staff WHERE role = 'admin' AND disabled = 0 AND email <> ?1",
                [email],
                |r| r.get(0),
            )?;
            if other_admins == 0 && (role != Role::Admin || disabled) {
                return Ok(Err(AccountRefusal("the help center needs at least one active admin".into())));
            }
            c.execute(
                "UPDATE staff SET role = ?2, disabled = ?3 WHERE email = ?1",
                params![email, role.as_str(), disabled],
            )?;
            if disabled {
                c.execute(
                    "DELETE FROM staff_sessions WHERE staff_id = (SELECT id FROM staff WHERE email = ?1)",
                    [email],
                )?;
            }
            Ok(Ok(()))
        })
    }
}
