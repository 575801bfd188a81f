//! The current version of the help center, and live reloading.
//!
//! A [`Site`] holds an `Arc<SiteVersion>` behind an atomic pointer. Requests take a
//! snapshot with [`Site::current`] and keep using it even if a reload swaps in a new
//! version meanwhile; a reload builds a complete new version on the watcher's thread
//! (never on the async executor) and swaps it in one step.

use std::path::PathBuf;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use arc_swap::ArcSwap;
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};

use crate::config::Config;
use crate::content::{self, Library, LoadOptions, Severity};
use crate::search::{SearchIndex, SearchSettings};

/// One immutable version of the content and its search index.
pub struct SiteVersion {
    pub library: Library,
    pub search: SearchIndex,
    /// Increases with every reload; part of every page's ETag input.
    pub generation: u64,
}

/// The help center being served.
pub struct Site {
    current: ArcSwap<SiteVersion>,
    content_dir: PathBuf,
    /// How content is loaded; `previous` and `today` are filled in at each reload.
    options: LoadOptions<'static>,
    search_settings: SearchSettings,
}

/// The content-loading settings of a configuration, shared by the server and `quire check`.
pub fn load_options(config: &Config) -> LoadOptions<'static> {
    LoadOptions {
        old_hosts: config.migration.old_hosts.clone(),
        old_path_prefixes: config.migration.old_path_prefixes.clone(),
        stale_after_days: config.check.stale_after_days,
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
        let site = Self {
            current: ArcSwap::from_pointee(SiteVersion { library: Library::default(), search, generation: 0 }),
            content_dir: config.content.clone(),
            options: load_options(config),
            search_settings,
        };
        site.reload();
        Ok(site)
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
        tracing::info!(
            generation,
            articles = library.articles.len(),
            search_documents = search.len(),
            faqs = library.faqs.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "content version ready"
        );
        self.current.store(Arc::new(SiteVersion { library, search, generation }));
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
