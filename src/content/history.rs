//! When each file last changed, from git history.
//!
//! A file's modification time says when it was copied or checked out, not when its
//! text changed: after a fresh clone every article would read "Updated today". When
//! the content folder is in a git checkout, one `git log` pass gives every file's last
//! commit date. Without git (not installed, not a checkout) callers fall back to file
//! times.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

use chrono::{DateTime, NaiveDate};

/// Last commit date of every file under a folder, keyed by path relative to it.
pub type CommitDates = HashMap<PathBuf, NaiveDate>;

/// The last history read, by folder and the commit it was read at: reloads after an
/// edit (no new commit) reuse it instead of walking the history again.
static LAST_READ: Mutex<Option<(PathBuf, String, std::sync::Arc<CommitDates>)>> = Mutex::new(None);

/// The last commit date of each file under `dir`, or `None` when `dir` is not in a
/// git checkout or git is not installed.
pub fn last_commit_dates(dir: &Path) -> Option<std::sync::Arc<CommitDates>> {
    let head = git(dir, &["rev-parse", "HEAD"])?;
    let head = head.trim().to_string();
    if let Ok(cached) = LAST_READ.lock() {
        if let Some((folder, commit, dates)) = cached.as_ref() {
            if folder == dir && *commit == head {
                return Some(std::sync::Arc::clone(dates));
            }
        }
    }
    // Newest first: the first date seen for a path is its last change. `--relative`
    // limits the walk to `dir` and names paths from it.
    let log = git(dir, &["log", "--format=%x00%ct", "--name-only", "--no-renames", "--relative", "--", "."])?;
    let dates = std::sync::Arc::new(parse_log(&log));
    if let Ok(mut cached) = LAST_READ.lock() {
        *cached = Some((dir.to_path_buf(), head, std::sync::Arc::clone(&dates)));
    }
    Some(dates)
}

/// Reads `git log --format=%x00%ct --name-only` output: a NUL and a unix time per
/// commit, then the paths it changed, newest commit first.
fn parse_log(log: &str) -> CommitDates {
    let mut dates = CommitDates::new();
    let mut current: Option<NaiveDate> = None;
    for line in log.lines() {
        if let Some(stamp) = line.strip_prefix('\0') {
            current =
                stamp.trim().parse::<i64>().ok().and_then(|s| DateTime::from_timestamp(s, 0)).map(|t| t.date_naive());
        } else if let (Some(date), false) = (current, line.trim().is_empty()) {
            dates.entry(PathBuf::from(unquote(line))).or_insert(date);
        }
    }
    dates
}

/// Git quotes paths with unusual characters (`"caf\303\251.md"`) unless
/// `core.quotePath` is off; the command turns that off, so quotes only remain for
/// control characters, which content paths do not have. Kept as written otherwise.
fn unquote(path: &str) -> &str {
    path.strip_prefix('"').and_then(|p| p.strip_suffix('"')).unwrap_or(path)
}

/// Runs git in `dir`; its standard output when it succeeds.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "core.quotePath=false"])
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_commit_wins_per_path() {
        let log = "\0 1767225600\n\nbilling/refunds.md\n\n\0 1735689600\n\nbilling/refunds.md\nfaq.md\n";
        let dates = parse_log(log);
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        assert_eq!(dates.get(Path::new("billing/refunds.md")), Some(&day(2026, 1, 1)));
        assert_eq!(dates.get(Path::new("faq.md")), Some(&day(2025, 1, 1)));
        assert_eq!(dates.len(), 2);
    }
}
