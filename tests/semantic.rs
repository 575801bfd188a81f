//! Meaning-based (hybrid) search: the model's numbers, and the real server answering
//! questions in customers' own words, keeping its vectors across restarts and edits,
//! and serving keyword search when the model is missing.
//!
//! Needs the search model (fetched once into `target/quire-model`); without it these
//! tests skip with a notice, unless `QUIRE_REQUIRE_MODEL=1` (as in `.ci/run`).

mod common;

use std::path::Path;
use std::time::Duration;

use common::Server;
use quire::semantic::encoder::Encoder;
use quire::semantic::vectors::RECORD_BYTES;
use serde_json::Value;

/// The first components of two embeddings, computed independently by a NumPy
/// implementation of the same BERT forward pass and mean pooling over the same files.
const REFERENCE: [(&str, [f32; 6]); 2] = [
    ("the app keeps logging me out", [0.04499, 0.05069, -0.02549, -0.06401, 0.08475, -0.04827]),
    (
        "Reset the password for your Arduino account. Open the sign-in page and select Forgot password.",
        [0.03297, -0.05873, -0.00145, 0.00588, 0.00578, 0.04988],
    ),
];

#[test]
fn embeddings_match_an_independent_implementation() {
    let Some(files) = common::search_model() else { return };
    let encoder = Encoder::load(&files).expect("load the model");
    for (text, expected) in REFERENCE {
        let vector = encoder.embed(text).expect("embed");
        assert_eq!(vector.len(), 384);
        let norm: f32 = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "unit length, got {norm}");
        for (got, want) in vector.iter().zip(expected) {
            assert!((got - want).abs() < 1e-4, "{text:?}: {:?} vs {expected:?}", &vector[..6]);
        }
    }
    let close =
        dot(&encoder.embed("my parcel is stuck").expect("embed"), &encoder.embed("Track your order").expect("embed"));
    let far = dot(
        &encoder.embed("my parcel is stuck").expect("embed"),
        &encoder.embed("Change the font size").expect("embed"),
    );
    assert!(close > far + 0.1, "a parcel is closer to an order than to a font: {close} vs {far}");
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// A small help center whose answers share no words with the questions below, beside
/// pages that do share words and do not answer them.
fn help_center() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("content dir");
    let articles = [
        (
            "account/session-length.md",
            "Session length and automatic sign-out",
            "## How long a session lasts\n\nFor your security we end a session after 30 minutes without activity, \
             and you need to sign in again. Administrators can change the session length under Settings > Security.\n",
        ),
        (
            "billing/pending-authorizations.md",
            "Pending authorizations on your statement",
            "## Two charges for one order\n\nWhen you pay, your bank may first hold the amount as a \
             pending authorization. Until the final payment posts, one purchase can appear as two entries on your \
             statement. The hold disappears by itself within a few business days.\n",
        ),
        (
            "shipping/track-your-order.md",
            "Track your order",
            "## Follow the delivery\n\nOnce the shipment leaves our warehouse we email you a tracking link. Open it \
             to see where the delivery is and when the courier expects to arrive. Most deliveries take three to \
             five business days.\n\n## Change the delivery address\n\nUntil the shipment leaves the warehouse you \
             can correct the street, house number or postcode on your order page. After that, ask the courier to \
             redirect it.\n",
        ),
        (
            "account/minimum-age.md",
            "Minimum age requirements",
            "You must be 16 or older to create an account. Younger people may use the service with the \
             permission of a parent or guardian, through a family account.\n",
        ),
        (
            "apps/update-the-app.md",
            "Update the app",
            "The app installs updates automatically. To update it by hand, open the app store on your phone \
             and look for pending updates.\n",
        ),
        (
            "admin/log-files.md",
            "Log files for administrators",
            "Administrators can download log files of sign-ins and sign-outs from the admin console, for \
             audits and for support requests.\n",
        ),
    ];
    for (path, title, body) in articles {
        let file = dir.path().join(path);
        std::fs::create_dir_all(file.parent().expect("folder")).expect("mkdir");
        std::fs::write(&file, format!("---\ntitle: {title}\n---\n\n{body}")).expect("write article");
    }
    dir
}

/// Questions in customers' own words and the title of the page that answers each.
const QUESTIONS: [(&str, &str); 4] = [
    ("the app keeps logging me out", "Session length and automatic sign-out"),
    ("why is there a double payment on my card", "Pending authorizations on your statement"),
    ("my parcel is stuck", "Track your order"),
    ("can my kid use this", "Minimum age requirements"),
];

async fn get_json(client: &reqwest::Client, url: &str) -> Value {
    let response = client.get(url).send().await.expect("request");
    assert!(response.status().is_success(), "{url}: {}", response.status());
    response.json().await.expect("json")
}

async fn search(client: &reqwest::Client, server: &Server, query: &str) -> Value {
    get_json(client, &server.url(&format!("/api/search?q={}", common::form_value(query)))).await
}

fn first_title(answer: &Value) -> String {
    answer["results"][0]["title"].as_str().unwrap_or("(no result)").to_string()
}

/// Waits until the server answers with meaning (vectors embedded, model loaded).
async fn wait_for_hybrid(client: &reqwest::Client, server: &Server) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(240);
    loop {
        let health = get_json(client, &server.url("/healthz")).await;
        if health["search"]["mode"] == "hybrid" {
            return health;
        }
        assert!(std::time::Instant::now() < deadline, "the server did not switch to hybrid search: {health}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn vector_cache_bytes(data: &Path) -> u64 {
    std::fs::read_dir(data.join("vectors"))
        .expect("vector cache folder")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "bin"))
        .map(|e| e.metadata().map(|m| m.len()).unwrap_or(0))
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn questions_in_customers_words_find_their_answer_and_vectors_survive_restarts_and_edits() {
    if common::search_model().is_none() {
        return;
    }
    let content = help_center();
    let client = reqwest::Client::new();

    // Keyword search alone ranks the pages that share words first.
    let keywords = Server::start(content.path());
    let mut keyword_hits = 0;
    for (question, answer) in QUESTIONS {
        let found = search(&client, &keywords, question).await;
        assert_eq!(found["mode"], "lexical");
        keyword_hits += usize::from(first_title(&found) == answer);
    }
    drop(keywords);

    let data = tempfile::tempdir().expect("data dir");
    let log = data.path().join("server.log");
    let server = Server::start_semantic(content.path(), data, Some(&log));
    let health = wait_for_hybrid(&client, &server).await;
    assert_eq!(health["search"]["model"], "ready");
    assert_eq!(health["search"]["passages"], health["search"]["embedded"], "{health}");
    for (question, answer) in QUESTIONS {
        let found = search(&client, &server, question).await;
        assert_eq!(found["mode"], "hybrid");
        assert_eq!(first_title(&found), answer, "{question:?}: {found}");
    }
    assert!(keyword_hits < QUESTIONS.len(), "the questions are hard for keywords alone ({keyword_hits} found)");
    // Titles and typed words still work as before.
    assert_eq!(first_title(&search(&client, &server, "log files").await), "Log files for administrators");
    assert_eq!(first_title(&search(&client, &server, "minimum age").await), "Minimum age requirements");
    // The results page shows the same, without JavaScript.
    let page = client
        .get(server.url("/search?q=the+app+keeps+logging+me+out"))
        .send()
        .await
        .expect("results page")
        .text()
        .await
        .expect("body");
    // Result links go through the click counter, with the target encoded.
    let first = page.find("session-length").expect("answer on the page");
    assert!(page.find("update-the-app").is_none_or(|other| other > first), "answer listed first");
    // Answers link to the section that answers, with that passage as the snippet.
    let found = search(&client, &server, "I typed the wrong street when I bought something, can I fix it").await;
    assert_eq!(first_title(&found), "Track your order");
    let url = found["results"][0]["url"].as_str().unwrap_or_default();
    assert!(url.ends_with("/track-your-order#change-the-delivery-address"), "{found}");
    assert!(found["results"][0]["snippet"].as_str().is_some_and(|s| s.contains("postcode")), "{found}");

    // An edit embeds only the new passages, before the new version goes live.
    let cache_before = vector_cache_bytes(server.data.path());
    std::fs::write(
        content.path().join("account/display-language.md"),
        "---\ntitle: Change the display language\n---\n\nOpen Settings > Language and pick one of twelve languages. \
         The menus and emails switch at once.\n",
    )
    .expect("write");
    let switched = common::eventually(Duration::from_secs(60), || {
        let client = client.clone();
        let url = server.url(&format!("/api/search?q={}", common::form_value("show everything in spanish")));
        async move {
            let found: Value = client.get(&url).send().await.expect("search").json().await.expect("json");
            found["mode"] == "hybrid" && first_title(&found) == "Change the display language"
        }
    })
    .await;
    assert!(switched, "the new article is found by meaning");
    let health = get_json(&client, &server.url("/healthz")).await;
    assert_eq!(health["search"]["mode"], "hybrid", "no keyword-only gap after an edit: {health}");
    let cache_after = vector_cache_bytes(server.data.path());
    assert!(cache_after > cache_before, "new vectors were cached");
    assert_eq!(cache_after - cache_before, RECORD_BYTES as u64, "only the new article's one passage was embedded");

    // A restart with unchanged content embeds nothing and is hybrid at once.
    let data = server.kill_hard();
    let server = Server::start_semantic(content.path(), data, Some(&log));
    wait_for_hybrid(&client, &server).await;
    assert_eq!(vector_cache_bytes(server.data.path()), cache_after, "nothing re-embedded after a restart");
    assert_eq!(first_title(&search(&client, &server, "my parcel is stuck").await), "Track your order");
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(logged.contains("search model loaded"), "{logged}");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_model_search_serves_keywords_and_says_so_once() {
    let content = help_center();
    let empty_model_dir = tempfile::tempdir().expect("model dir");
    let data = tempfile::tempdir().expect("data dir");
    let log = data.path().join("server.log");
    let model_dir = empty_model_dir.path().to_string_lossy().to_string();
    let server = Server::start_logged(
        content.path(),
        data,
        &["--semantic", "true"],
        &[("RUST_LOG", "info"), ("QUIRE_MODEL_DIR", model_dir.as_str())],
        Some(&log),
    );
    let client = reqwest::Client::new();
    let unavailable = common::eventually(Duration::from_secs(30), || {
        let client = client.clone();
        let url = server.url("/healthz");
        async move { get_json(&client, &url).await["search"]["model"] == "unavailable" }
    })
    .await;
    assert!(unavailable, "the missing model is reported");
    for _ in 0..3 {
        let found = search(&client, &server, "track your order").await;
        assert_eq!(found["mode"], "lexical");
        assert_eq!(first_title(&found), "Track your order");
    }
    let logged = std::fs::read_to_string(&log).expect("log");
    assert_eq!(logged.matches("meaning-based search is off").count(), 1, "{logged}");
    assert!(logged.contains("quire model fetch"), "the log says how to get the model: {logged}");
}
