//! Search speed on a generated help center of 10,000 articles (`cargo bench --bench search`).
//!
//! - `index/…`: loading and rendering the content, then building the search index.
//! - `search/<kind>`: one query of each kind (title words, a question, a typo, one or
//!   two words, and as-you-type with a half-typed last word and 6 results).
//!
//! Criterion reports means with confidence intervals; because the targets are stated as
//! percentiles, the bench also times every query one by one and prints p50/p99 per kind
//! (written to `target/bench/search-latency.md`).

use std::hint::black_box;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use quire::content::{self, Library, LoadOptions};
use quire::search::{SearchIndex, SearchRequest, SearchSettings};
use quire::synthetic;

const ARTICLES: usize = 10_000;

struct Corpus {
    _dir: tempfile::TempDir,
    library: Library,
    index: SearchIndex,
    titles: Vec<String>,
}

fn corpus() -> &'static Corpus {
    static CORPUS: OnceLock<Corpus> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let articles = synthetic::write_help_center(dir.path(), ARTICLES, 42).expect("generate");
        let started = Instant::now();
        let library = content::load(dir.path(), &LoadOptions::default());
        let loaded = started.elapsed();
        let (index, _) = SearchIndex::build(&library, &SearchSettings::default(), dir.path()).expect("index");
        let indexed = started.elapsed() - loaded;
        println!("{ARTICLES} articles: load+render {loaded:?}, search index {indexed:?}");
        let titles = articles.into_iter().map(|a| a.title).collect();
        Corpus { _dir: dir, library, index, titles }
    })
}

/// Title words without the trailing article number.
fn title_words(title: &str) -> String {
    title.rsplit_once(' ').map(|(words, _)| words.to_lowercase()).unwrap_or_default()
}

fn queries(kind: &str, titles: &[String]) -> Vec<String> {
    let words = synthetic::vocabulary_sample(300, 9);
    (0..100)
        .map(|i| {
            let title = title_words(&titles[(i * 97) % titles.len()]);
            match kind {
                "title" => title,
                "question" => {
                    format!("how do i {} my {} when the {} does not work", words[i], words[i + 100], words[i + 200])
                }
                "typo" => {
                    let word = words[i];
                    let mut chars: Vec<char> = word.chars().collect();
                    if chars.len() > 3 {
                        chars.swap(1, 2);
                    }
                    format!("{} {}", chars.into_iter().collect::<String>(), words[i + 1])
                }
                "short" => words[i].to_string(),
                _ => {
                    // As-you-type: the title with its last word half typed.
                    let cut = title.len().saturating_sub(3).max(1);
                    title.get(..cut).unwrap_or(&title).to_string()
                }
            }
        })
        .collect()
}

fn request<'a>(query: &'a str, kind: &str) -> SearchRequest<'a> {
    let limit = if kind == "as-you-type" { 6 } else { 10 };
    // The results page counts categories for its filters; suggestions do not,
    // and suggestions match headline fields only, without snippets (`suggest=1`, as quire.js asks).
    let suggestion = kind == "as-you-type";
    SearchRequest {
        query,
        limit,
        complete_last_word: true,
        with_facets: !suggestion,
        without_snippets: suggestion,
        headlines_only: suggestion,
        ..SearchRequest::default()
    }
}

const KINDS: [&str; 5] = ["title", "question", "typo", "short", "as-you-type"];

fn bench_search(c: &mut Criterion) {
    let corpus = corpus();
    for kind in KINDS {
        let queries = queries(kind, &corpus.titles);
        let mut next = 0;
        c.bench_function(&format!("search/{kind}"), |b| {
            b.iter(|| {
                let query = &queries[next % queries.len()];
                next += 1;
                black_box(corpus.index.search(&corpus.library, &request(query, kind)))
            })
        });
    }
    print_percentiles(corpus);
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn print_percentiles(corpus: &Corpus) {
    let mut table = String::from("| kind | queries × runs | p50 | p99 | max |\n|---|---|---|---|---|\n");
    for kind in KINDS {
        let queries = queries(kind, &corpus.titles);
        let mut times = Vec::with_capacity(queries.len() * 20);
        for _ in 0..20 {
            for query in &queries {
                let started = Instant::now();
                black_box(corpus.index.search(&corpus.library, &request(query, kind)));
                times.push(started.elapsed());
            }
        }
        times.sort();
        table.push_str(&format!(
            "| {kind} | {} × 20 | {:.2} ms | {:.2} ms | {:.2} ms |\n",
            queries.len(),
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3,
            times.last().copied().unwrap_or_default().as_secs_f64() * 1e3
        ));
    }
    println!("\nsearch latency on {ARTICLES} articles, one query at a time:\n{table}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("search-latency.md"), table);
}

fn bench_indexing(c: &mut Criterion) {
    let corpus = corpus();
    let mut group = c.benchmark_group("index");
    group.sample_size(10);
    group.bench_function("build-search-index-10k", |b| {
        b.iter(|| {
            black_box(
                SearchIndex::build(&corpus.library, &SearchSettings::default(), corpus._dir.path()).expect("index"),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench_search, bench_indexing);
criterion_main!(benches);
