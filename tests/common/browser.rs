//! Headless Chromium through chromedriver, for tests that use the site the way a
//! customer does. Skipped with a notice when no browser is installed, unless
//! `QUIRE_REQUIRE_BROWSER=1` (set by `.ci/run`), where a missing browser fails.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Value};

const CHROMEDRIVER: &[&str] = &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"];
const CHROMIUM: &[&str] = &["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

/// A chromedriver process and one browser session, both ended on drop.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn first_existing(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}

impl Browser {
    /// Starts a headless browser, or returns `None` (after printing why) when none is installed.
    pub async fn start() -> Option<Self> {
        let (Some(driver_path), Some(chromium)) = (first_existing(CHROMEDRIVER), first_existing(CHROMIUM)) else {
            assert!(
                !super::required("QUIRE_REQUIRE_BROWSER"),
                "QUIRE_REQUIRE_BROWSER=1 but chromium/chromedriver are not installed"
            );
            eprintln!(
                "SKIPPED: browser test needs chromium and chromedriver (apt-get install chromium chromium-driver)"
            );
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let mut driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        // chromedriver prints a line once it accepts sessions.
        let mut reader = BufReader::new(driver.stdout.take().expect("stdout"));
        let mut line = String::new();
        while !line.contains("started successfully") {
            line.clear();
            if reader.read_line(&mut line).expect("chromedriver output") == 0 {
                panic!("chromedriver exited before it was ready");
            }
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                    "--window-size=1280,1000", format!("--user-data-dir={}", profile.path().display()),
                    // Smooth scrolling would move elements while WebDriver clicks them.
                    "--force-prefers-reduced-motion".to_string(),
                    // A customer's desktop Chrome: "HeadlessChrome" is rightly not
                    // counted as a reader by the feedback numbers.
                    format!("--user-agent={}", super::BROWSER_USER_AGENT),
                ],
            },
            "goog:loggingPrefs": { "browser": "ALL" },
        });
        let Value::Object(capabilities) = capabilities else { unreachable!("object literal") };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("browser session");
        Some(Self { client, driver, _profile: profile })
    }

    /// Console messages at level SEVERE since the last call (errors, CSP violations).
    pub async fn console_errors(&self) -> Vec<String> {
        let logs = self.client.issue_cmd(ChromeCommand::BrowserLog).await.expect("browser log");
        logs.as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| e["level"] == "SEVERE")
                    .map(|e| e["message"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Emulates `prefers-color-scheme: light` or `dark`.
    pub async fn color_scheme(&self, scheme: &str) {
        let params = json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] });
        self.client
            .issue_cmd(ChromeCommand::Cdp { cmd: "Emulation.setEmulatedMedia", params })
            .await
            .expect("emulate color scheme");
    }

    /// Renders the page for `print` (or back for `screen`).
    pub async fn media(&self, media: &str) {
        let params = json!({ "media": media });
        self.client
            .issue_cmd(ChromeCommand::Cdp { cmd: "Emulation.setEmulatedMedia", params })
            .await
            .expect("emulate media");
    }

    /// Emulates a phone-sized viewport.
    pub async fn viewport(&self, width: u32, height: u32, mobile: bool) {
        let params = json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile });
        self.client
            .issue_cmd(ChromeCommand::Cdp { cmd: "Emulation.setDeviceMetricsOverride", params })
            .await
            .expect("emulate viewport");
    }

    /// Runs a page without JavaScript (`false`), as a reader who turned it off does;
    /// takes effect from the next page load.
    pub async fn scripts(&self, enabled: bool) {
        let params = json!({ "value": !enabled });
        self.client
            .issue_cmd(ChromeCommand::Cdp { cmd: "Emulation.setScriptExecutionDisabled", params })
            .await
            .expect("toggle scripts");
    }

    /// The accessible names Chromium gives every element of `role` (e.g. "button") on
    /// the current page, in document order: what a screen reader announces.
    pub async fn accessible_names(&self, role: &str) -> Vec<String> {
        let tree = self
            .client
            .issue_cmd(ChromeCommand::Cdp { cmd: "Accessibility.getFullAXTree", params: json!({}) })
            .await
            .expect("accessibility tree");
        tree["nodes"]
            .as_array()
            .map(|nodes| {
                nodes
                    .iter()
                    .filter(|n| n["role"]["value"] == role && n["ignored"] != true)
                    .map(|n| n["name"]["value"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Saves a PNG screenshot under `target/screenshots/` for humans to look at.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// Runs axe-core on the current page (WCAG 2.1 A and AA rules) and returns the
    /// violations as readable lines. `None` when axe-core is not installed.
    pub async fn axe_violations(&self) -> Option<Vec<String>> {
        let source = axe_source()?;
        self.client.execute(&source, vec![]).await.expect("inject axe");
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })
                    .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' — ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))))
                    .catch(e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await
            .expect("run axe");
        Some(
            result
                .as_array()
                .map(|v| v.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
                .unwrap_or_default(),
        )
    }

    pub async fn close(self) {
        let Self { client, mut driver, _profile } = self;
        let _ = client.close().await;
        let _ = driver.kill();
        let _ = driver.wait();
    }
}

fn axe_source() -> Option<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/quality/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&path) {
        Ok(source) => Some(source),
        Err(_) => {
            assert!(
                !super::required("QUIRE_REQUIRE_QUALITY"),
                "QUIRE_REQUIRE_QUALITY=1 but {} is missing (npm ci --prefix tests/quality)",
                path.display()
            );
            eprintln!("SKIPPED: accessibility checks need axe-core (npm ci --prefix tests/quality)");
            None
        }
    }
}

/// Chromedriver's own endpoints, which the W3C protocol does not cover.
#[derive(Debug)]
enum ChromeCommand {
    BrowserLog,
    Cdp { cmd: &'static str, params: Value },
}

impl WebDriverCompatibleCommand for ChromeCommand {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        let session = session_id.unwrap_or_default();
        match self {
            ChromeCommand::BrowserLog => base_url.join(&format!("session/{session}/se/log")),
            ChromeCommand::Cdp { .. } => base_url.join(&format!("session/{session}/goog/cdp/execute")),
        }
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = match self {
            ChromeCommand::BrowserLog => json!({ "type": "browser" }),
            ChromeCommand::Cdp { cmd, params } => json!({ "cmd": cmd, "params": params }),
        };
        (http::Method::POST, Some(body.to_string()))
    }
}
