//! Hybrid search at 10,000 generated articles (`cargo bench --bench semantic`; needs the
//! search model in `target/quire-model`, fetched with `quire model fetch --dir
//! target/quire-model`).
//!
//! Prints (and writes to `target/bench/semantic.md`):
//! - embedding throughput on one thread, as the background embedder runs, and the cold
//!   time for the whole help center extrapolated from it (embedding all of it takes
//!   over an hour on this machine);
//! - a restart: opening a vector cache holding every passage and building the index;
//! - full-search latency with the query embedded (uncached) and with its embedding
//!   cached, against keyword search alone, per kind of query;
//! - resident memory with the library, both indexes and the model loaded.
//!
//! The passage vectors are real embeddings of the first 2,000 passages, reused in turn
//! for the rest: the cost of a search depends on the number of vectors, not on their
//! values.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use quire::content::{self, LoadOptions};
use quire::search::{SearchIndex, SearchRequest, SearchSettings};
use quire::semantic::encoder::Encoder;
use quire::semantic::passages;
use quire::semantic::vectors::{passage_key, quantize, Quantized, VectorCache};
use quire::semantic::{model, DenseIndex};
use quire::synthetic;

const ARTICLES: usize = 10_000;
const EMBEDDED: usize = 2_000;
const THROUGHPUT_SAMPLE: usize = 300;

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e3
}

fn main() {
    let model_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/quire-model");
    let files = match model::locate(&model_dir) {
        Ok(files) => files,
        Err(err) => {
            eprintln!("SKIPPED: {err}");
            return;
        }
    };
    let mut report = String::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let articles = synthetic::write_help_center(dir.path(), ARTICLES, 42).expect("generate");
    let library = content::load(dir.path(), &LoadOptions::default());
    let (index, _) = SearchIndex::build(&library, &SearchSettings::default(), dir.path()).expect("index");
    let before_model = rss_mb();
    let encoder = Encoder::load(&files).expect("model");
    let all = passages::passages(&library);
    report.push_str(&format!("{ARTICLES} articles, {} passages\n\n", all.len()));

    // Throughput on one thread, as the background embedder runs.
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("pool");
    let started = Instant::now();
    let tokens: usize = pool.install(|| {
        all.iter()
            .take(THROUGHPUT_SAMPLE)
            .map(|p| {
                black_box(encoder.embed(&p.text).expect("embed"));
                encoder.token_count(&p.text)
            })
            .sum()
    });
    let per_passage = started.elapsed().as_secs_f64() / THROUGHPUT_SAMPLE as f64;
    report.push_str(&format!(
        "- embedding on one thread: {:.1} ms per passage ({:.0} tokens on average); cold embedding of all {} passages ≈ {:.0} min\n",
        per_passage * 1e3,
        tokens as f64 / THROUGHPUT_SAMPLE as f64,
        all.len(),
        per_passage * all.len() as f64 / 60.0
    ));

    // Vectors: real ones for the first passages, reused for the rest; written to a
    // cache file the way the server keeps them.
    let real: Vec<Quantized> =
        all.iter().take(EMBEDDED).map(|p| quantize(&encoder.embed(&p.text).expect("embed"))).collect();
    let cache_dir = tempfile::tempdir().expect("cache dir");
    {
        let mut cache = VectorCache::open(cache_dir.path()).expect("cache");
        for (i, passage) in all.iter().enumerate() {
            cache.put(passage_key(&passage.text), &real[i % real.len()]).expect("put");
        }
        cache.flush().expect("flush");
    }
    let started = Instant::now();
    let cache = VectorCache::open(cache_dir.path()).expect("reopen");
    let reopened = started.elapsed();
    let rebuilt = Instant::now();
    let cut = passages::passages(&library);
    let dense = DenseIndex::build(&cut, &cache);
    let built = rebuilt.elapsed();
    drop(cache);
    report.push_str(&format!(
        "- restart with every vector cached: cache opened in {:.2} s, passages cut and index built in {:.2} s ({} vectors, {} missing)\n",
        reopened.as_secs_f64(),
        built.as_secs_f64(),
        dense.len(),
        dense.missing()
    ));
    report.push_str(&format!(
        "- resident memory: {:.0} MB with library and keyword index, {:.0} MB with the model and {} vectors loaded (vectors: {:.1} MB)\n\n",
        before_model,
        rss_mb(),
        dense.len(),
        dense.heap_bytes() as f64 / 1e6
    ));

    let words = synthetic::vocabulary_sample(300, 9);
    let titles: Vec<String> = articles.iter().map(|a| a.title.clone()).collect();
    let kinds: [(&str, Vec<String>); 3] = [
        (
            "title",
            (0..100)
                .map(|i| {
                    let t = &titles[(i * 97) % titles.len()];
                    t.rsplit_once(' ').map(|(w, _)| w.to_lowercase()).unwrap_or_default()
                })
                .collect(),
        ),
        (
            "question",
            (0..100)
                .map(|i| {
                    format!("how do i {} my {} when the {} does not work", words[i], words[i + 100], words[i + 200])
                })
                .collect(),
        ),
        ("short", (0..100).map(|i| words[i].to_string()).collect()),
    ];
    // What the first pass over sign bits loses: top-10 pages against scoring every passage.
    let mut same = 0;
    let mut total = 0;
    for (_, queries) in &kinds {
        for query in queries {
            let vector = encoder.embed(&query.to_lowercase()).expect("embed");
            let fast: Vec<_> = dense.search(&vector, 10).into_iter().map(|h| h.target).collect();
            let exact: Vec<_> = dense.search_exhaustive(&vector, 10).into_iter().map(|h| h.target).collect();
            same += exact.iter().filter(|t| fast.contains(t)).count();
            total += exact.len();
        }
    }
    report.push_str(&format!(
        "- first pass over sign bits: {:.1}% of the exact top-10 pages kept ({same} of {total})\n\n",
        100.0 * same as f64 / total.max(1) as f64
    ));
    report.push_str("| kind | keyword p50 / p99 | query embedding p50 / p99 | hybrid, query embedded p50 / p99 | hybrid, embedding cached p50 / p99 |\n|---|---|---|---|---|\n");
    for (kind, queries) in &kinds {
        let mut keyword = Vec::new();
        let mut embedding = Vec::new();
        let mut hybrid = Vec::new();
        let mut cached = Vec::new();
        for _ in 0..3 {
            for query in queries {
                let request = SearchRequest {
                    query,
                    limit: 10,
                    complete_last_word: true,
                    with_facets: true,
                    ..SearchRequest::default()
                };
                let started = Instant::now();
                black_box(index.search(&library, &request));
                keyword.push(started.elapsed());

                let started = Instant::now();
                let vector = encoder.embed(&query.to_lowercase()).expect("embed");
                let embedded = started.elapsed();
                embedding.push(embedded);
                let hits = dense.search(&vector, 100);
                black_box(index.search(&library, &SearchRequest { dense: Some(&hits), ..request.clone() }));
                hybrid.push(started.elapsed());

                let started = Instant::now();
                let hits = dense.search(&vector, 100);
                black_box(index.search(&library, &SearchRequest { dense: Some(&hits), ..request.clone() }));
                cached.push(started.elapsed());
            }
        }
        for times in [&mut keyword, &mut embedding, &mut hybrid, &mut cached] {
            times.sort();
        }
        report.push_str(&format!(
            "| {kind} | {:.2} / {:.2} ms | {:.2} / {:.2} ms | {:.2} / {:.2} ms | {:.2} / {:.2} ms |\n",
            percentile(&keyword, 0.5),
            percentile(&keyword, 0.99),
            percentile(&embedding, 0.5),
            percentile(&embedding, 0.99),
            percentile(&hybrid, 0.5),
            percentile(&hybrid, 0.99),
            percentile(&cached, 0.5),
            percentile(&cached, 0.99)
        ));
    }
    println!("{report}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    let _ = std::fs::create_dir_all(&out);
    let _ = std::fs::write(out.join("semantic.md"), &report);
}
