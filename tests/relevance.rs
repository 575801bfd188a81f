//! Search quality against hand-written relevance sets (`tests/relevance/*.txt`):
//! recall@1, recall@3 and MRR@10 per kind of query. Fails when recall@3 drops below
//! the level reached when the set was written (a regression guard, not a timing).
//!
//! It also writes `target/relevance/<set>.json` (Quire's ranks and the indexed pages)
//! for `bench/relevance/compare.mjs`, which runs a client-side search library on the
//! same pages and queries.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use quire::content::{self, Library, LoadOptions};
use quire::search::{SearchIndex, SearchRequest, SearchSettings, Target};
use serde_json::json;

struct Case {
    kind: String,
    query: String,
    expected: Vec<String>,
}

fn read_cases(name: &str) -> Vec<Case> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/relevance").join(name);
    let text = std::fs::read_to_string(&path).expect("relevance set");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let parts: Vec<&str> = line.splitn(3, " | ").collect();
            assert_eq!(parts.len(), 3, "bad line in {name}: {line}");
            Case {
                kind: parts[0].trim().to_string(),
                query: parts[1].trim().to_string(),
                expected: parts[2].split(" || ").map(|t| t.trim().to_string()).collect(),
            }
        })
        .collect()
}

fn title_of(library: &Library, target: Target) -> String {
    match target {
        Target::Article(i) => library.articles[i].title.clone(),
        Target::FaqQuestion { page, question } => library.faqs[page].questions[question].question.clone(),
    }
}

#[derive(Default, Clone, Copy)]
struct Score {
    cases: usize,
    at1: usize,
    at3: usize,
    reciprocal_rank: f64,
}

impl Score {
    fn add(&mut self, rank: Option<usize>) {
        self.cases += 1;
        if let Some(rank) = rank {
            self.at1 += usize::from(rank == 1);
            self.at3 += usize::from(rank <= 3);
            if rank <= 10 {
                self.reciprocal_rank += 1.0 / rank as f64;
            }
        }
    }
    fn recall1(&self) -> f64 {
        self.at1 as f64 / self.cases as f64
    }
    fn recall3(&self) -> f64 {
        self.at3 as f64 / self.cases as f64
    }
    fn mrr(&self) -> f64 {
        self.reciprocal_rank / self.cases as f64
    }
}

/// Runs a set; returns scores per kind (and "all"), printing a table and misses.
fn evaluate(set: &str, content_dir: &Path, options: &LoadOptions<'_>) -> BTreeMap<String, Score> {
    let library = content::load(content_dir, options);
    let (index, _) = SearchIndex::build(&library, &SearchSettings::default(), content_dir).expect("index");
    let cases = read_cases(&format!("{set}.txt"));
    let all_titles: Vec<String> = library
        .published()
        .map(|a| a.title.clone())
        .chain(library.faqs.iter().flat_map(|f| f.questions.iter().map(|q| q.question.clone())))
        .collect();
    let mut scores: BTreeMap<String, Score> = BTreeMap::new();
    let mut suggestion_scores: BTreeMap<String, Score> = BTreeMap::new();
    let mut report_cases = Vec::new();
    for case in &cases {
        for title in &case.expected {
            assert!(all_titles.contains(title), "{set}: expected title {title:?} is not a page");
        }
        let results = index.search(
            &library,
            &SearchRequest { query: &case.query, limit: 10, complete_last_word: true, ..SearchRequest::default() },
        );
        let titles: Vec<String> = results.hits.iter().map(|h| title_of(&library, h.target)).collect();
        let rank = titles.iter().position(|t| case.expected.contains(t)).map(|p| p + 1);
        if rank.is_none_or(|r| r > 3) {
            eprintln!(
                "  {set} miss@3 [{}] {:?}: got {:?}",
                case.kind,
                case.query,
                titles.iter().take(3).collect::<Vec<_>>()
            );
        }
        scores.entry(case.kind.clone()).or_default().add(rank);
        scores.entry("all".into()).or_default().add(rank);
        // The same query as an as-you-type suggestion list (`/api/search?suggest=1`).
        let suggested = index.search(
            &library,
            &SearchRequest {
                query: &case.query,
                limit: 6,
                complete_last_word: true,
                without_snippets: true,
                headlines_only: true,
                ..SearchRequest::default()
            },
        );
        let suggested_rank =
            suggested.hits.iter().position(|h| case.expected.contains(&title_of(&library, h.target))).map(|p| p + 1);
        suggestion_scores.entry(format!("suggest-{}", case.kind)).or_default().add(suggested_rank);
        suggestion_scores.entry("suggest-all".into()).or_default().add(suggested_rank);
        report_cases
            .push(json!({ "kind": case.kind, "query": case.query, "expected": case.expected, "quire": titles }));
    }
    eprintln!("relevance set {set}: {} queries", cases.len());
    eprintln!("  {:16} {:>5} {:>9} {:>9} {:>8}", "kind", "n", "recall@1", "recall@3", "MRR@10");
    for (kind, s) in scores.iter().chain(&suggestion_scores) {
        eprintln!("  {kind:16} {:>5} {:>9.3} {:>9.3} {:>8.3}", s.cases, s.recall1(), s.recall3(), s.mrr());
    }
    write_report(set, &library, &report_cases);
    scores.extend(suggestion_scores);
    scores
}

fn write_report(set: &str, library: &Library, cases: &[serde_json::Value]) {
    let pages: Vec<serde_json::Value> = library
        .published()
        .map(|a| {
            json!({
                "title": a.title,
                "summary": a.summary.clone().unwrap_or_default(),
                "headings": a.rendered.headings.join(" "),
                "tags": a.tags.join(" "),
                "category": library.categories[a.category].title,
                "body": a.rendered.plain_text,
            })
        })
        .chain(library.faqs.iter().filter(|f| !f.draft).flat_map(|f| {
            f.questions.iter().map(move |q| {
                json!({ "title": q.question, "summary": "", "headings": f.title, "tags": "", "category": library.categories[f.category].title, "body": q.answer.plain_text })
            })
        }))
        .collect();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/relevance");
    std::fs::create_dir_all(&dir).expect("report dir");
    let report = json!({ "set": set, "pages": pages, "cases": cases });
    std::fs::write(dir.join(format!("{set}.json")), report.to_string()).expect("write report");
}

/// Fails when recall@3 of any kind drops below `floors`.
fn guard(set: &str, scores: &BTreeMap<String, Score>, floors: &[(&str, f64)]) {
    for (kind, floor) in floors {
        let recall3 = scores.get(*kind).map(Score::recall3).unwrap_or(0.0);
        assert!(recall3 >= *floor, "{set}: recall@3 for {kind} queries fell to {recall3:.3} (floor {floor})");
    }
}

#[test]
fn sample_content_relevance() {
    let dir = common::sample_content();
    let scores = evaluate("sample", &dir, &LoadOptions::default());
    guard("sample", &scores, &SAMPLE_FLOORS);
}

#[test]
fn arduino_corpus_relevance() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/arduino-help");
    if !dir.is_dir() {
        assert!(!common::required("QUIRE_REQUIRE_CORPUS"), "QUIRE_REQUIRE_CORPUS=1 but {} is missing", dir.display());
        eprintln!("SKIPPED: corpus {} not found", dir.display());
        return;
    }
    let options = LoadOptions { old_hosts: vec!["support.arduino.cc".into()], ..LoadOptions::default() };
    let scores = evaluate("arduino", &dir, &options);
    guard("arduino", &scores, &ARDUINO_FLOORS);
}

/// recall@3 floors, set just below what the sets reached when written.
/// `suggest-…` are the same queries answered as as-you-type suggestions.
const SAMPLE_FLOORS: [(&str, f64); 10] = [
    ("all", 0.93),
    ("title", 0.95),
    ("question", 0.77),
    ("typo", 0.9),
    ("short", 0.9),
    ("prefix", 0.9),
    ("suggest-all", 0.92),
    ("suggest-title", 0.95),
    ("suggest-prefix", 0.9),
    ("suggest-typo", 0.9),
];
const ARDUINO_FLOORS: [(&str, f64); 10] = [
    ("all", 0.9),
    ("title", 0.95),
    ("question", 0.78),
    ("typo", 0.85),
    ("short", 0.9),
    ("prefix", 0.9),
    ("suggest-all", 0.9),
    ("suggest-title", 0.95),
    ("suggest-prefix", 0.9),
    ("suggest-typo", 0.85),
];

/// `QUIRE_EXPLAIN="a query" cargo test --test relevance explain -- --nocapture` prints,
/// for the sample content, the top pages for the whole query and for each word alone:
/// a quick way to see which word drags a wrong page up.
#[test]
fn explain() {
    let Ok(query) = std::env::var("QUIRE_EXPLAIN") else { return };
    let dir = common::sample_content();
    let library = content::load(&dir, &LoadOptions::default());
    let (index, _) = SearchIndex::build(&library, &SearchSettings::default(), &dir).expect("index");
    let words: Vec<String> = query.split_whitespace().map(str::to_string).collect();
    for part in std::iter::once(query.clone()).chain(words) {
        let results = index.search(
            &library,
            &SearchRequest { query: &part, limit: 4, complete_last_word: true, ..SearchRequest::default() },
        );
        let top: Vec<String> =
            results.hits.iter().map(|h| format!("{:.2} {}", h.score, title_of(&library, h.target))).collect();
        eprintln!("{part:?}: {top:?}");
    }
}

/// Search that learns from votes, measured on the sample set: readers who asked a
/// question voted the right article helpful five times each (question queries), and
/// title queries got realistic noise (two helpful votes for the second result, one
/// unhelpful vote for the right one). Learning must lift the questions and leave every
/// title query where it was.
#[test]
fn learning_from_votes_helps_questions_and_never_hurts_titles() {
    use quire::feedback::learning::{self, Outcome};
    let dir = common::sample_content();
    let library = content::load(&dir, &LoadOptions::default());
    let (index, _) = SearchIndex::build(&library, &SearchSettings::default(), &dir).expect("index");
    let cases = read_cases("sample.txt");
    let key_of_title = |title: &str| -> Option<String> {
        library.published().find(|a| a.title == title).map(|a| a.slug.clone()).or_else(|| {
            library
                .faqs
                .iter()
                .find_map(|f| f.questions.iter().find(|q| q.question == title).map(|q| format!("{}#{}", f.slug, q.id)))
        })
    };
    let rank = |query: &str, expected: &[String], learned: Option<&learning::Boosts>| -> Option<usize> {
        let results = index.search(
            &library,
            &SearchRequest { query, limit: 10, complete_last_word: true, learned, ..SearchRequest::default() },
        );
        results.hits.iter().position(|h| expected.contains(&title_of(&library, h.target))).map(|p| p + 1)
    };
    let now = 1_800_000_000;
    let mut outcomes = Vec::new();
    for case in &cases {
        let normalized = index.normalize(&case.query);
        let right = key_of_title(&case.expected[0]).expect("expected page has a key");
        match case.kind.as_str() {
            "question" => {
                outcomes.extend((0..5).map(|_| Outcome {
                    normalized: normalized.clone(),
                    page: right.clone(),
                    helpful: true,
                    at: now,
                }));
            }
            "title" => {
                let results =
                    index.search(&library, &SearchRequest { query: &case.query, limit: 2, ..SearchRequest::default() });
                if let Some(second) = results.hits.get(1) {
                    let wrong = quire::search::page_key(&library, second.target);
                    outcomes.extend((0..2).map(|_| Outcome {
                        normalized: normalized.clone(),
                        page: wrong.clone(),
                        helpful: true,
                        at: now,
                    }));
                }
                outcomes.push(Outcome { normalized: normalized.clone(), page: right, helpful: false, at: now });
            }
            _ => {}
        }
    }
    let boosts = learning::boosts(&learning::learn(&outcomes, &[], now));
    let mut before: BTreeMap<String, Score> = BTreeMap::new();
    let mut after: BTreeMap<String, Score> = BTreeMap::new();
    for case in &cases {
        let was = rank(&case.query, &case.expected, None);
        let now_rank = rank(&case.query, &case.expected, Some(&boosts));
        before.entry(case.kind.clone()).or_default().add(was);
        after.entry(case.kind.clone()).or_default().add(now_rank);
        if case.kind == "title" {
            assert_eq!(now_rank, was, "learning moved the title query {:?}", case.query);
        }
    }
    eprintln!("learning from votes (sample set): kind, recall@1 before → after, MRR@10 before → after");
    for (kind, b) in &before {
        let a = &after[kind];
        eprintln!("  {kind:10} {:.3} → {:.3}   {:.3} → {:.3}", b.recall1(), a.recall1(), b.mrr(), a.mrr());
    }
    assert!(after["question"].recall1() > before["question"].recall1(), "learning lifts question queries");
    assert!(after["question"].mrr() >= before["question"].mrr());
}
