//! Shared test helpers: start the real `quire` binary on a free port and talk to it
//! over HTTP.

#![allow(dead_code)]

pub mod browser;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `quire serve` process, killed on drop.
pub struct Server {
    child: Child,
    pub base: String,
    pub data: tempfile::TempDir,
}

impl Server {
    /// Serves `content` on 127.0.0.1 with an OS-chosen port, a fresh data folder, and
    /// no `quire.toml` (the working directory is the empty data folder).
    pub fn start(content: &Path) -> Self {
        Self::start_with(content, &[])
    }

    pub fn start_with(content: &Path, extra_args: &[&str]) -> Self {
        let data = tempfile::tempdir().expect("data dir");
        let mut child = Command::new(env!("CARGO_BIN_EXE_quire"))
            .args(["serve", "--bind", "127.0.0.1:0", "--content"])
            .arg(content)
            .arg("--data")
            .arg(data.path())
            .args(extra_args)
            .current_dir(data.path())
            .env("RUST_LOG", "warn")
            .env_remove("QUIRE_BIND")
            .env_remove("QUIRE_CONTENT")
            .env_remove("QUIRE_DATA")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start quire");
        let stdout = child.stdout.take().expect("stdout");
        // The server prints this line once its socket accepts connections.
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("read stdout");
        let base = line
            .trim()
            .strip_prefix("quire: listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_string();
        Self { child, base, data }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to exit by itself, polling; `None` on timeout.
    pub fn wait_for_exit(mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The sample content shipped in the repository.
pub fn sample_content() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("content")
}

/// A copy of the sample content that a test may edit.
pub fn copy_of_sample_content() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&sample_content(), dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// An HTTP client that neither follows redirects nor decompresses, so tests see
/// exactly what the server sent.
pub fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_gzip()
        .no_brotli()
        .build()
        .expect("client")
}

/// Polls `check` every 50 ms until it returns true or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Whether a directory named by `var` is required (CI) rather than optional.
pub fn required(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| v == "1")
}
