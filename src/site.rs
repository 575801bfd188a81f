//! The current version of the help center, and live reloading.
//!
//! A [`Site`] holds an `Arc<SiteVersion>` behind an atomic pointer. Requests take a
//! snapshot with [`Site::current`] and keep using it even if a reload swaps in a new
//! version meanwhile; a reload builds a complete new version on the watcher's thread
//! (never on the async executor) and swaps it in one step.

use std::path::PathBuf;
use std::sync::{mpsc, Arc, Weak};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use arc_swap::{ArcSwap, ArcSwapOption};
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};

use crate::config::Config;
use crate::content::{self, Library, LoadOptions, Severity};
use crate::search::{SearchIndex, SearchMode, SearchRequest, SearchResults, SearchSettings};
use crate::semantic::{DenseIndex, Semantic};

/// Pages taken from the meaning side of a search before fusion.
const DENSE_CANDIDATES: usize = 100;

/// One immutable version of the content and its search index.
pub struct SiteVersion {
    pub library: Library,
    pub search: SearchIndex,
    /// The passage vectors of this version, once all are embedded (set later by the
    /// background embedder after a large change; keyword search serves meanwhile).
    pub dense: ArcSwapOption<DenseIndex>,
    /// Increases with every reload; part of every page's ETag input.
    pub generation: u64,
}

impl SiteVersion {
    /// Runs a search: keywords fused with meaning when this version's vectors and the
    /// model are ready, keywords alone otherwise ([`SearchResults::mode`] says which).
    /// Blocking (embeds the query): call it off the async executor.
    pub fn search(&self, semantic: &Semantic, request: &SearchRequest<'_>) -> SearchResults {
        let dense = if request.headlines_only { None } else { self.dense.load_full() };
        let hits = dense.and_then(|index| {
            let vector = semantic.query_vector(&crate::search::query::truncate(request.query))?;
            Some(index.search(&vector, DENSE_CANDIDATES))
        });
        self.search.search(&self.library, &SearchRequest { dense: hits.as_deref(), ..request.clone() })
    }

    /// Which retrieval a full search would use now, for cache keys.
    pub fn search_mode(&self, semantic: &Semantic) -> SearchMode {
        match (self.dense.load().is_some(), semantic.state()) {
            (true, crate::semantic::State::Ready) => SearchMode::Hybrid,
            _ => SearchMode::Lexical,
        }
    }
}

/// The help center being served.
pub struct Site {
    current: ArcSwap<SiteVersion>,
    content_dir: PathBuf,
    /// How content is loaded; `previous` and `today` are filled in at each reload.
    options: LoadOptions<'static>,
    search_settings: SearchSettings,
    /// The meaning side of search (model, vectors), shared by all versions.
    pub semantic: Arc<Semantic>,
}

/// The content-loading settings of a configuration, shared by the server and `quire check`.
pub fn load_options(config: &Config) -> LoadOptions<'static> {
    LoadOptions {
        old_hosts: config.migration.old_hosts.clone(),
        old_path_prefixes: config.migration.old_path_prefixes.clone(),
        stale_after_days: config.check.stale_after_days,
        max_file_bytes: config.check.max_file_kb.saturating_mul(1024),
        ..LoadOptions::default()
    }
}

impl Site {
    /// Loads the configured content folder. Content problems are logged, not fatal;
    /// only a bad search setting or an index that cannot be built is an error.
    pub fn load(config: &Config) -> Result<Self> {
        let search_settings = config.search_settings()?;
        let (search, _) = SearchIndex::build(&Library::default(), &search_settings, &config.content)
            .context("cannot create the search index")?;
        let semantic = Semantic::new(config.semantic_settings());
        // The model loads while the content does.
        semantic.start().context("cannot start the search model thread")?;
        let site = Self {
            current: ArcSwap::from_pointee(SiteVersion {
                library: Library::default(),
                search,
                dense: ArcSwapOption::empty(),
                generation: 0,
            }),
            content_dir: config.content.clone(),
            options: load_options(config),
            search_settings,
            semantic,
        };
        site.reload();
        Ok(site)
    }

    /// The content folder this site is read from.
    pub fn content_dir(&self) -> &std::path::Path {
        &self.content_dir
    }

    /// `text` rendered as the file `rel` of the current version would be, with what
    /// `quire check` says about it (the editor's preview). Blocking.
    pub fn preview(&self, rel: &std::path::Path, text: String) -> content::Preview {
        let current = self.current();
        let options = LoadOptions { today: chrono::Utc::now().date_naive(), ..self.options.clone() };
        content::preview(&current.library, rel, text, &options)
    }

    /// The version to answer a request with.
    pub fn current(&self) -> Arc<SiteVersion> {
        self.current.load_full()
    }

    /// Rebuilds the library from disk and swaps it in. Blocking: call it off the executor.
    pub fn reload(&self) {
        let started = Instant::now();
        let previous = self.current();
        let options = LoadOptions {
            previous: Some(&previous.library),
            today: chrono::Utc::now().date_naive(),
            ..self.options.clone()
        };
        let library = content::load(&self.content_dir, &options);
        let (search, search_diagnostics) = match SearchIndex::build(&library, &self.search_settings, &self.content_dir)
        {
            Ok(built) => built,
            Err(err) => {
                // Keep serving the previous version rather than one without search.
                tracing::error!("cannot build the search index, keeping the previous content version: {err}");
                return;
            }
        };
        for diagnostic in library.diagnostics.iter().chain(&search_diagnostics) {
            match diagnostic.severity {
                Severity::Error => tracing::error!("{diagnostic}"),
                Severity::Warning => tracing::warn!("{diagnostic}"),
            }
        }
        let generation = previous.generation + 1;
        let version = Arc::new(SiteVersion { library, search, dense: ArcSwapOption::empty(), generation });
        // Vectors: at once when cached (or few to embed), else filled in by the
        // background embedder while keyword search serves this version.
        let later: Weak<SiteVersion> = Arc::downgrade(&version);
        let dense = self.semantic.index_for(&version.library, move |index| {
            if let Some(version) = later.upgrade() {
                version.dense.store(Some(index));
            }
        });
        version.dense.store(dense);
        tracing::info!(
            generation,
            articles = version.library.articles.len(),
            search_documents = version.search.len(),
            faqs = version.library.faqs.len(),
            vectors = version.dense.load().as_ref().map_or(0, |d| d.len()),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "content version ready"
        );
        self.current.store(version);
        // The loading scratch and (unless a request still holds it) the previous
        // version are free now; without this their pages stay resident.
        drop(previous);
        crate::memory::release_free_memory();
    }
}

/// How long the content folder must be quiet before a reload starts: editors write a
/// file in several steps, and a `git checkout` touches many files at once.
const SETTLE_TIME: Duration = Duration::from_millis(150);

/// Keeps the content watcher running; dropping it stops reloading.
pub struct ContentWatcher {
    _watcher: RecommendedWatcher,
}

/// Watches the content folder and reloads once files stop changing.
pub fn watch(site: Arc<Site>) -> Result<ContentWatcher> {
    let (sender, receiver) = mpsc::channel::<notify::Result<Event>>();
    let mut watcher = notify::recommended_watcher(sender).context("cannot start the content watcher")?;
    watcher
        .watch(&site.content_dir, RecursiveMode::Recursive)
        .with_context(|| format!("cannot watch {}", site.content_dir.display()))?;
    std::thread::Builder::new()
        .name("content-watcher".into())
        .spawn(move || {
            while let Ok(first) = receiver.recv() {
                if !is_change(&first) {
                    continue;
                }
                // Wait until the burst of events is over, then reload once.
                while let Ok(_more) = receiver.recv_timeout(SETTLE_TIME) {}
                site.reload();
            }
        })
        .context("cannot start the reload thread")?;
    Ok(ContentWatcher { _watcher: watcher })
}

/// Reading files (as a reload does) produces access events; only real changes count.
fn is_change(event: &notify::Result<Event>) -> bool {
    match event {
        Ok(event) => !matches!(event.kind, EventKind::Access(_) | EventKind::Other),
        Err(err) => {
            tracing::warn!("content watcher error: {err}");
            false
        }
    }
}
