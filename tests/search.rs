//! Search over real HTTP: the results page, the JSON API, hostile queries, filters,
//! pagination, the search log in the real SQLite file, and searching during reloads.

mod common;

use std::time::Duration;

use common::{copy_of_sample_content, eventually, raw_client, sample_content, Server};
use quire::store::Store;
use serde_json::Value;

async fn api(server: &Server, query: &str) -> Value {
    let url =
        reqwest::Url::parse_with_params(&server.url("/api/search"), &[("q", query), ("limit", "5")]).expect("url");
    let response = raw_client().get(url).send().await.expect("request");
    assert_eq!(response.status(), 200, "{query:?}");
    serde_json::from_str(&response.text().await.expect("body")).expect("json")
}

async fn page(server: &Server, query: &[(&str, &str)]) -> String {
    let url = reqwest::Url::parse_with_params(&server.url("/search"), query).expect("url");
    let response = raw_client().get(url).send().await.expect("request");
    assert_eq!(response.status(), 200);
    response.text().await.expect("body")
}

#[tokio::test]
async fn api_answers_best_first_with_typos_and_prefixes() {
    let server = Server::start(&sample_content());
    let result = api(&server, "fornt matter").await;
    assert_eq!(result["query"], "fornt matter");
    assert_eq!(result["results"][0]["url"], "/articles/front-matter-reference");
    assert_eq!(result["results"][0]["category"], "Writing articles");
    assert!(result["results"][0]["snippet"].as_str().expect("snippet").contains("<mark>"));
    assert!(result["results"][0]["score"].as_f64().expect("score") > 0.0);
    assert_eq!(result["suggestion"], "front matter");

    let prefix = api(&server, "callo").await;
    assert_eq!(prefix["results"][0]["url"], "/articles/callouts-and-notes", "the last word completes as a prefix");

    let url = reqwest::Url::parse_with_params(&server.url("/api/search"), &[("q", "fornt matter"), ("snippets", "0")])
        .expect("url");
    let lean: Value =
        serde_json::from_str(&raw_client().get(url).send().await.expect("request").text().await.expect("body"))
            .expect("json");
    assert_eq!(lean["results"][0]["url"], "/articles/front-matter-reference", "same ranking without snippets");
    assert_eq!(lean["results"][0]["snippet"], "");

    let faq = api(&server, "do i need a database").await;
    assert_eq!(faq["results"][0]["url"], "/faq/quire#do-i-need-a-database", "FAQ answers are their own results");
}

#[tokio::test]
async fn hostile_queries_never_fail() {
    let server = Server::start(&sample_content());
    let long = "password ".repeat(1200);
    for query in [
        "",
        "   ",
        &long,
        "!!!???***",
        "\"unbalanced",
        "title:foo AND",
        "*",
        "~",
        "a~2 OR (b",
        "🙂🙃",
        "مرحبا بالعالم",
        "\u{0}\u{1}",
    ] {
        let result = api(&server, query).await;
        assert!(result["total"].is_u64(), "{query:?}: {result}");
    }
    let long_result = api(&server, &long).await;
    assert!(long_result["query"].as_str().expect("query").chars().count() <= 256, "queries are cut to 256 characters");

    let html = page(&server, &[("q", "<script>alert(1)</script>")]).await;
    assert!(!html.contains("<script>alert(1)"), "the query is escaped");
    assert!(html.contains("&#60;script&#62;alert(1)") || html.contains("&lt;script&gt;alert(1)"));
}

#[tokio::test]
async fn results_page_filters_paginates_and_helps_when_nothing_matches() {
    let server = Server::start(&sample_content());
    let html = page(&server, &[("q", "article")]).await;
    assert!(html.contains(r#"<details class="search-filters" data-open-wide>"#), "{html}");
    assert!(html.contains(r#"<nav aria-label="Filter by category">"#), "{html}");
    assert!(html.contains("Writing articles <span class=\"count\">("), "category counts");
    assert!(html.contains(r#"rel="next""#), "more than one page");
    let filtered = page(&server, &[("q", "article"), ("category", "feedback-and-metrics")]).await;
    assert!(filtered.contains(r#"aria-current="page">Feedback and metrics"#), "{filtered}");
    assert!(!filtered.contains("Front matter reference"), "other categories are filtered out");
    let second = page(&server, &[("q", "article"), ("page", "2")]).await;
    assert!(second.contains("rel=\"prev\""));

    let none = page(&server, &[("q", "zzqxv")]).await;
    assert!(none.contains("No results") && none.contains("couldn’t find anything"), "{none}");
    assert!(none.contains("Popular articles") && none.contains("Contact support"));
    // The tip's example, and the home page's, are searches that find an article.
    let home = reqwest::get(server.url("/")).await.expect("home").text().await.expect("body");
    for html in [&none, &home] {
        let example = html.split("such as “<a href=\"").nth(1).or_else(|| html.split("For example: <a href=\"").nth(1));
        let example = example.and_then(|rest| rest.split('"').next()).expect("an example search").replace("&amp;", "&");
        let query = form_urlencoded::parse(example.trim_start_matches("/search?").as_bytes())
            .find(|(name, _)| name == "q")
            .map(|(_, value)| value.into_owned())
            .expect("q");
        let found = page(&server, &[("q", &query)]).await;
        assert!(found.contains(r#"class="result""#), "example {query:?} finds an article");
    }

    let sentence = page(&server, &[("q", "how do i hide an artcle")]).await;
    assert!(
        sentence.contains(">how do i hide an article</a>?"),
        "the suggestion keeps the customer's words: {sentence}"
    );
    assert_eq!(sentence.matches("role=\"search\"").count(), 1, "one search box on the results page");

    let misspelled = page(&server, &[("q", "calouts")]).await;
    assert!(misspelled.contains("Did you mean <a href=\"/search?q=callouts\">callouts</a>?"), "{misspelled}");
}

#[tokio::test]
async fn searches_and_clicks_are_logged_without_personal_data() {
    let server = Server::start(&sample_content());
    let html = page(&server, &[("q", "Front  Matter")]).await;
    let click = html
        .split("href=\"")
        .find(|part| part.starts_with("/search/click?"))
        .and_then(|part| part.split('"').next())
        .expect("results link through the click tracker")
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let response = raw_client().get(server.url(&click)).send().await.expect("click");
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/articles/front-matter-reference");

    // A pick from the as-you-type suggestions logs the query with its click.
    let instant = raw_client()
        .get(server.url("/search/click?q=callo&rank=1&to=%2Farticles%2Fcallouts-and-notes"))
        .send()
        .await
        .expect("instant click");
    assert_eq!(instant.status(), 303);

    let open_redirect = raw_client()
        .get(server.url("/search/click?sid=1&to=https%3A%2F%2Fevil.example"))
        .send()
        .await
        .expect("request");
    assert_eq!(open_redirect.status(), 400, "never an open redirect");

    let store = Store::open(server.data.path()).expect("open the server's database");
    let log = store.recent_searches(10).expect("read");
    assert_eq!(log.len(), 2, "{log:?}");
    let (instant, first) = (&log[0], &log[1]);
    assert_eq!(first.query, "Front  Matter");
    assert_eq!(first.normalized, "front matter");
    assert!(first.result_count > 0);
    assert_eq!(first.source, "page");
    assert_eq!(first.clicked_url.as_deref(), Some("/articles/front-matter-reference"));
    assert_eq!(first.clicked_rank, Some(1));
    assert_eq!(instant.source, "instant");
    assert_eq!(instant.clicked_url.as_deref(), Some("/articles/callouts-and-notes"));
    let schema: String = rusqlite::Connection::open(store.path())
        .and_then(|c| c.query_row("SELECT group_concat(sql) FROM sqlite_master", [], |r| r.get(0)))
        .expect("schema");
    assert!(!schema.contains("ip") && !schema.contains("agent"), "no IP address or user agent column: {schema}");
}

#[tokio::test]
async fn searches_keep_working_while_content_reloads() {
    let content = copy_of_sample_content();
    let server = Server::start(content.path());
    let file = content.path().join("finding-answers/search-tips.md");
    let original = std::fs::read_to_string(&file).expect("read");
    let writer = std::thread::spawn(move || {
        for i in 0..10 {
            std::fs::write(&file, format!("{original}\n\nEdit number {i}.\n")).expect("write");
            std::thread::sleep(Duration::from_millis(120));
        }
    });
    let mut answered = 0;
    while !writer.is_finished() {
        let result = api(&server, "search tips").await;
        assert_eq!(result["results"][0]["url"], "/articles/search-tips", "no empty or wrong results during a reload");
        answered += 1;
    }
    writer.join().expect("writer");
    assert!(answered > 5, "searched {answered} times during the reloads");
}

#[tokio::test]
async fn repeated_searches_are_each_logged_and_follow_content_changes() {
    let content = copy_of_sample_content();
    let server = Server::start(content.path());
    let search_ids = |html: &str| -> Vec<String> {
        html.split("/search/click?sid=").skip(1).filter_map(|rest| rest.split('&').next()).map(str::to_string).collect()
    };
    // The same search twice: results may come from the results cache, but each page
    // is its own logged search with its own id for click tracking.
    let first = page(&server, &[("q", "search tips")]).await;
    let second = page(&server, &[("q", "search tips")]).await;
    let (first_ids, second_ids) = (search_ids(&first), search_ids(&second));
    assert!(!first_ids.is_empty() && !second_ids.is_empty(), "{first}");
    assert_ne!(first_ids[0], second_ids[0], "every search page gets a fresh search id");
    assert!(!first.contains("to=/articles/zebracorn-care"));

    let article = "---\ntitle: Zebracorn care\nsummary: Feeding a zebracorn.\n---\nZebracorns like search tips.\n";
    std::fs::write(content.path().join("finding-answers/zebracorn-care.md"), article).expect("write");
    let found = eventually(Duration::from_secs(10), || async {
        page(&server, &[("q", "zebracorn")]).await.contains("to=/articles/zebracorn-care")
    })
    .await;
    assert!(found, "a cached result never outlives the content version it came from");

    let store = Store::open(server.data.path()).expect("open the server's database");
    let logged = store.recent_searches(100).expect("read");
    assert_eq!(logged.iter().filter(|s| s.query == "search tips").count(), 2, "{logged:?}");
}

#[tokio::test]
async fn clicks_cannot_be_forged_and_mark_only_the_page_they_led_to() {
    let server = Server::start(&sample_content());
    let client = raw_client();
    let results = page(&server, &[("q", "front matter")]).await;
    let click = results
        .split("href=\"")
        .find(|rest| rest.starts_with("/search/click?"))
        .and_then(|rest| rest.split('"').next())
        .expect("a result link")
        .replace("&#38;", "&");
    let store = Store::open(server.data.path()).expect("database");
    let search_id = store.recent_searches(1).expect("read")[0].id;

    // A forged id (any number) is redirected but records nothing.
    let forged = format!("/search/click?sid={search_id}&rank=1&to=%2Farticles%2Fsearch-tips");
    assert_eq!(client.get(server.url(&forged)).send().await.expect("forged").status(), 303);
    assert_eq!(store.search(search_id).expect("read").expect("row").clicked_url, None, "forged id ignored");

    // The real link records its click once; a second click of the same search does not
    // overwrite or add to it.
    let opened = client.get(server.url(&click)).send().await.expect("click");
    assert_eq!(opened.status(), 303);
    let target = opened.headers()["location"].to_str().expect("location").to_string();
    let cookie = common::cookie_pair(&common::set_cookie(&opened, "quire_search").expect("search cookie"));
    let again = click.replace(&format!("to={}", target), "to=/articles/search-tips");
    client.get(server.url(&again)).send().await.expect("second click");
    assert_eq!(store.search(search_id).expect("read").expect("row").clicked_url.as_deref(), Some(target.as_str()));

    // A search that found nothing has no click to record.
    page(&server, &[("q", "zzqxv")]).await;
    let nothing = store.recent_searches(1).expect("read")[0].clone();
    assert_eq!(nothing.result_count, 0);
    // A suggestion "pick" of a page its query does not find records no click either.
    client.get(server.url("/search/click?q=zzqxv&rank=1&to=%2Farticles%2Fsearch-tips")).send().await.expect("pick");
    assert!(store
        .recent_searches(5)
        .expect("read")
        .iter()
        .all(|s| s.clicked_url.as_deref() != Some("/articles/search-tips")));

    // The page the search led to is "from search"; another page read afterwards is not.
    let arrival = |html: &str| {
        html.split(r#"name="arrival" value=""#).nth(1).and_then(|rest| rest.split('"').next()).unwrap_or("").to_string()
    };
    let referer = server.url("/articles/search-tips");
    let led_to = client
        .get(server.url(&target))
        .header(reqwest::header::COOKIE, &cookie)
        .header(reqwest::header::REFERER, &referer)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    assert_eq!(arrival(&led_to), "search");
    let other = if target == "/articles/faq-pages" { "/articles/tables-and-code" } else { "/articles/faq-pages" };
    let browsed = client
        .get(server.url(other))
        .header(reqwest::header::COOKIE, &cookie)
        .header(reqwest::header::REFERER, server.url(&target))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    assert_eq!(arrival(&browsed), "browse", "a page reached by browsing after a search is not from search");
}
