//! Saved versions of each page file, for the editor's history, comparisons and
//! "restore this version".
//!
//! When the content folder is a git repository, every save from the browser is a commit
//! with the staff member as its author, and the history is git's. Otherwise Quire
//! keeps the last versions of each file in the data folder. Recording a version never
//! undoes a save: the file is written first, and a failed commit is reported.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One saved version of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedVersion {
    /// A git commit id, or the local version's name.
    pub id: String,
    pub author: String,
    /// Unix seconds.
    pub at: i64,
    pub message: String,
}

/// Where versions are kept.
#[derive(Debug, Clone)]
pub enum Revisions {
    /// Commits in the git repository holding the content folder.
    Git { content_dir: PathBuf },
    /// Copies under `<data>/versions/`, the newest `keep` of each file.
    Local { root: PathBuf, keep: usize },
}

/// Who saved, for the commit's author line.
#[derive(Debug, Clone)]
pub struct Author<'a> {
    pub name: &'a str,
    pub email: &'a str,
}

/// When to commit saves to git.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GitCommits {
    /// When the content folder is the top of a git repository of its own.
    Auto,
    /// Whenever the content folder is inside a git work tree.
    Always,
    Never,
}

impl Revisions {
    /// The history for `content_dir`: git when `commits` allows and git is there, else
    /// local copies in `data_dir`.
    pub fn for_content(content_dir: &Path, data_dir: &Path, commits: GitCommits, keep: usize) -> Self {
        let local = Revisions::Local { root: data_dir.join("versions"), keep: keep.max(1) };
        if commits == GitCommits::Never {
            return local;
        }
        let Some(top) = git(content_dir, &["rev-parse", "--show-toplevel"]) else {
            return local;
        };
        let is_top = std::fs::canonicalize(top.trim()).ok() == std::fs::canonicalize(content_dir).ok();
        if commits == GitCommits::Always || is_top {
            Revisions::Git { content_dir: content_dir.to_path_buf() }
        } else {
            local
        }
    }

    /// Whether versions are git commits.
    pub fn is_git(&self) -> bool {
        matches!(self, Revisions::Git { .. })
    }

    /// Records `text`, just written to `rel` (content-relative), as a new version;
    /// `moved_from` is the file's previous place when it was moved. Returns the
    /// version's id, or why it could not be recorded.
    pub fn record(
        &self,
        rel: &Path,
        moved_from: Option<&Path>,
        text: &str,
        author: &Author<'_>,
        message: &str,
    ) -> Result<String, String> {
        let message = if message.trim().is_empty() { "Edit in the browser" } else { message.trim() };
        match self {
            Revisions::Git { content_dir } => {
                let path = rel.to_string_lossy();
                let old_path = moved_from.map(|p| p.to_string_lossy().into_owned());
                let mut paths: Vec<&str> = vec![&path];
                paths.extend(old_path.as_deref());
                let mut add = vec!["add", "-A", "--"];
                add.extend(&paths);
                git_checked(content_dir, &add)?;
                let author_line = format!("{} <{}>", clean(author.name), clean(author.email));
                git_checked(
                    content_dir,
                    &[
                        "-c",
                        "user.name=Quire",
                        "-c",
                        "user.email=quire@localhost",
                        "commit",
                        "--no-verify",
                        "--quiet",
                        "--author",
                        &author_line,
                        "-m",
                        message,
                        "--only",
                        "--",
                    ]
                    .into_iter()
                    .chain(paths.iter().copied())
                    .collect::<Vec<_>>(),
                )?;
                Ok(git_checked(content_dir, &["rev-parse", "HEAD"])?.trim().to_string())
            }
            Revisions::Local { root, keep } => {
                let folder = root.join(file_key(rel));
                std::fs::create_dir_all(&folder).map_err(|err| format!("cannot create {}: {err}", folder.display()))?;
                let at = chrono::Utc::now();
                let id =
                    format!("{}-{}", at.format("%Y%m%dT%H%M%S%.3fZ"), &super::revision_of(&[text.as_bytes()])[..8]);
                let note = serde_json::json!({ "author": author.email, "message": message, "at": at.timestamp() });
                std::fs::write(folder.join(format!("{id}.md")), text)
                    .and_then(|()| std::fs::write(folder.join(format!("{id}.json")), note.to_string()))
                    .map_err(|err| format!("cannot keep the version: {err}"))?;
                let mut ids = local_ids(&folder);
                while ids.len() > *keep {
                    let oldest = ids.remove(0);
                    let _ = std::fs::remove_file(folder.join(format!("{oldest}.md")));
                    let _ = std::fs::remove_file(folder.join(format!("{oldest}.json")));
                }
                Ok(id)
            }
        }
    }

    /// The versions of `rel`, newest first, at most `limit`.
    pub fn list(&self, rel: &Path, limit: usize) -> Vec<SavedVersion> {
        match self {
            Revisions::Git { content_dir } => {
                let limit = format!("-n{limit}");
                let path = rel.to_string_lossy();
                let args = ["log", "--follow", &limit, "--format=%H%x1f%an <%ae>%x1f%at%x1f%s", "--", &path];
                let Some(log) = git(content_dir, &args) else {
                    return Vec::new();
                };
                log.lines()
                    .filter_map(|line| {
                        let mut parts = line.split('\u{1f}');
                        Some(SavedVersion {
                            id: parts.next()?.to_string(),
                            author: parts.next()?.to_string(),
                            at: parts.next()?.parse().ok()?,
                            message: parts.next().unwrap_or("").to_string(),
                        })
                    })
                    .collect()
            }
            Revisions::Local { root, .. } => {
                let folder = root.join(file_key(rel));
                let mut ids = local_ids(&folder);
                ids.reverse();
                ids.into_iter()
                    .take(limit)
                    .map(|id| {
                        let note: serde_json::Value = std::fs::read_to_string(folder.join(format!("{id}.json")))
                            .ok()
                            .and_then(|text| serde_json::from_str(&text).ok())
                            .unwrap_or_default();
                        SavedVersion {
                            author: note["author"].as_str().unwrap_or("").to_string(),
                            at: note["at"].as_i64().unwrap_or(0),
                            message: note["message"].as_str().unwrap_or("").to_string(),
                            id,
                        }
                    })
                    .collect()
            }
        }
    }

    /// The text of `rel` at version `id`, if there is such a version.
    pub fn text_at(&self, rel: &Path, id: &str) -> Option<String> {
        let safe =
            !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || "-.:".contains(c));
        if !safe || id.contains("..") {
            return None;
        }
        match self {
            Revisions::Git { content_dir } => {
                if !id.chars().all(|c| c.is_ascii_hexdigit()) {
                    return None;
                }
                // `./` makes the path relative to the content folder, not the repository.
                git(content_dir, &["show", &format!("{id}:./{}", rel.to_string_lossy())])
            }
            Revisions::Local { root, .. } => {
                std::fs::read_to_string(root.join(file_key(rel)).join(format!("{id}.md"))).ok()
            }
        }
    }
}

/// A folder name for a file's local versions: readable, and unique per path.
fn file_key(rel: &Path) -> String {
    let readable: String = rel
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' })
        .take(60)
        .collect();
    let hash = blake3::hash(rel.to_string_lossy().as_bytes()).to_hex();
    format!("{readable}-{}", &hash[..12])
}

/// Local version ids in `folder`, oldest first (their names sort by time).
fn local_ids(folder: &Path) -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok()?.file_name().to_str()?.strip_suffix(".md").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

/// A name or address fit for a commit's author line.
fn clean(text: &str) -> String {
    text.chars().filter(|c| !c.is_control() && !"<>".contains(*c)).collect::<String>().trim().to_string()
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    git_checked(dir, args).ok()
}

/// Runs git in `dir`; its output, or its error message.
fn git_checked(dir: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "core.quotePath=false"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("cannot run git: {err}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        Err(format!("git {} failed: {}", args.first().copied().unwrap_or(""), stderr.trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_versions_keep_the_newest() {
        let data = tempfile::tempdir().expect("tempdir");
        let revisions = Revisions::Local { root: data.path().join("versions"), keep: 2 };
        let rel = Path::new("billing/refunds.md");
        let author = Author { name: "Ann", email: "ann@example.com" };
        let mut ids = Vec::new();
        for text in ["one", "two", "three"] {
            ids.push(revisions.record(rel, None, text, &author, "").expect("recorded"));
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let listed = revisions.list(rel, 10);
        assert_eq!(listed.iter().map(|v| v.id.as_str()).collect::<Vec<_>>(), vec![ids[2].as_str(), ids[1].as_str()]);
        assert_eq!(listed[0].author, "ann@example.com");
        assert_eq!(revisions.text_at(rel, &ids[1]).as_deref(), Some("two"));
        assert_eq!(revisions.text_at(rel, &ids[0]), None, "pruned");
        assert_eq!(revisions.text_at(rel, "../../etc/passwd"), None);
    }
}
