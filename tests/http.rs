//! The server over real HTTP: every page type, redirects, errors, headers, caching,
//! compression and hot reload.

mod common;

use std::time::Duration;

use common::{copy_of_sample_content, eventually, raw_client, sample_content, Server};
use reqwest::StatusCode;

async fn get(server: &Server, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let response = raw_client().get(server.url(path)).send().await.expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.expect("body"))
}

#[tokio::test]
async fn every_page_type_renders() {
    let server = Server::start(&sample_content());

    let (status, _, home) = get(&server, "/").await;
    assert_eq!(status, 200);
    assert!(home.contains(r#"<form class="hero-search" role="search" action="/search""#), "home has a search box");
    assert!(
        home.contains("Getting started") && home.contains(r#"<span class="card-count">4 articles</span>"#),
        "{home}"
    );
    assert!(home.contains(r#"href="/articles/what-is-quire""#), "promoted article listed");
    assert!(home.contains(r#"href="/faq/quire""#));

    let (status, _, category) = get(&server, "/categories/writing-articles").await;
    assert_eq!(status, 200);
    assert!(category.contains(r#"<h2 id="basics">The basics</h2>"#), "sections are shown: {category}");
    let basics = category.find("The basics").expect("basics");
    let formatting = category.find("<h2 id=\"formatting\">").expect("formatting");
    assert!(basics < formatting, "sections in order");
    let first = category.find("Write your first article").expect("first");
    let second = category.find("Front matter reference").expect("second");
    assert!(first < second, "articles in their `order`");

    let (status, _, article) = get(&server, "/articles/tables-and-code").await;
    assert_eq!(status, 200);
    assert!(article.contains(r#"<h1 id="article-title">Tables, code and other formatting</h1>"#));
    assert!(article.contains(r#"<nav class="breadcrumbs" aria-label="Breadcrumb">"#));
    assert!(article.contains(r#"href="/categories/writing-articles#formatting""#), "breadcrumb to section");
    assert!(article.contains(r#"<nav class="toc""#), "table of contents");
    assert!(article.contains(r#"<time datetime="2026-11-20">November 20, 2026</time>"#));
    assert!(article.contains("Related articles"));
    // Every contact link goes through /contact (which counts the escalation), never
    // straight to the support address.
    assert!(article.contains(r#"href="/contact?page=tables-and-code""#), "contact support link");
    assert!(!article.contains("mailto:support@example.com"), "no uncounted contact link");
    assert!(article.contains(r#"<meta name="description" content="The Markdown features Quire supports"#));
    assert!(article.contains(r#"<link rel="canonical" href="http://127.0.0.1:"#));
    assert!(article.contains(r#"<meta property="og:type" content="article">"#));
    assert!(article.contains("&lt;port&gt;"), "placeholders in code stay visible");

    let (status, _, faq) = get(&server, "/faq/quire").await;
    assert_eq!(status, 200);
    assert!(faq.contains(r#"<details class="faq-item" id="do-i-need-a-database">"#), "{faq}");
    assert!(faq.contains(r#"<script type="application/ld+json">{"@context":"https://schema.org","@type":"FAQPage""#));
    assert!(faq.contains(r#"href="/articles/drafts-and-review-dates""#), "relative link in an answer resolved");

    let (status, _, search) = get(&server, "/search?q=password").await;
    assert_eq!(status, 200);
    assert!(search.contains("write-your-first-article"), "{search}");
    assert!(search.contains("<mark>password</mark>"), "matches are highlighted");
}

#[tokio::test]
async fn redirects_and_not_found() {
    let content = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(content.path().join("billing")).expect("mkdir");
    std::fs::write(
        content.path().join("billing/refunds.md"),
        "---\ntitle: Refunds\nid: 360001\naliases: [money-back]\n---\nBody",
    )
    .expect("write");
    std::fs::write(content.path().join("billing/secret.md"), "---\ntitle: Secret\ndraft: true\n---\nUnreleased")
        .expect("write");
    let server = Server::start(content.path());
    let client = raw_client();

    let alias = client.get(server.url("/articles/money-back")).send().await.expect("request");
    assert_eq!(alias.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(alias.headers()["location"], "/articles/refunds");

    let legacy = client.get(server.url("/hc/en-us/articles/360001-How-refunds-work")).send().await.expect("request");
    assert_eq!(legacy.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(legacy.headers()["location"], "/articles/refunds");

    for path in [
        "/articles/secret",
        "/articles/secret.md",
        "/articles/nope",
        "/hc/en-us/articles/999",
        "/faq/nope",
        "/categories/nope",
        "/no/such/page",
    ] {
        let (status, headers, body) = get(&server, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(headers.contains_key("content-security-policy"), "security headers on errors too");
        assert!(body.contains("find that page") && body.contains(r#"action="/search""#), "helpful 404 for {path}");
        assert!(body.contains(r#"href="/categories/billing""#), "404 lists categories");
        assert!(!body.contains("Unreleased"));
    }
    let (_, _, sitemap) = get(&server, "/sitemap.xml").await;
    assert!(!sitemap.contains("secret"), "drafts are not in the sitemap");
}

#[tokio::test]
async fn security_and_cache_headers() {
    let server = Server::start(&sample_content());
    let (_, headers, body) = get(&server, "/articles/install-and-run").await;
    let csp = headers["content-security-policy"].to_str().expect("ascii");
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "strict-origin-when-cross-origin");
    assert!(!body.contains("<script>"), "no inline script");

    // The stylesheet is inline, allowed by its hash and nothing else.
    let style = body.split("<style>").nth(1).and_then(|s| s.split("</style>").next()).expect("inline stylesheet");
    assert!(style.contains("prefers-color-scheme: dark"));
    let hash = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(style.as_bytes()))
    };
    assert!(csp.contains(&format!("style-src 'self' 'sha256-{hash}'")), "{csp}");
    let script_path = body.split(r#"<script src=""#).nth(1).and_then(|s| s.split('"').next()).expect("script link");
    assert!(
        script_path.starts_with("/static/quire.")
            && script_path.ends_with(".js")
            && script_path.len() > "/static/quire..js".len() + 8
    );
    let (status, script_headers, script) = get(&server, script_path).await;
    assert_eq!(status, 200);
    assert!(script.contains("Progressive enhancements"));
    assert_eq!(script_headers["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(get(&server, "/static/quire.css").await.0, StatusCode::NOT_FOUND, "only hashed names are served");
}

#[tokio::test]
async fn etag_gives_304() {
    let server = Server::start(&sample_content());
    let client = raw_client();
    let first = client.get(server.url("/articles/search-tips")).send().await.expect("request");
    let etag = first.headers()["etag"].clone();
    let again = client
        .get(server.url("/articles/search-tips"))
        .header("If-None-Match", etag.clone())
        .send()
        .await
        .expect("request");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()["etag"], etag);
    assert!(again.bytes().await.expect("body").is_empty());
    let other = client
        .get(server.url("/articles/search-tips"))
        .header("If-None-Match", "W/\"other\"")
        .send()
        .await
        .expect("request");
    assert_eq!(other.status(), StatusCode::OK);
}

/// The body of `path` decoded from what the server sent for `accept_encoding`, with the
/// `Content-Encoding` it chose and the number of bytes on the wire.
async fn fetch_encoded(server: &Server, path: &str, accept_encoding: &str) -> (String, String, usize, String) {
    let response =
        raw_client().get(server.url(path)).header("Accept-Encoding", accept_encoding).send().await.expect("request");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let (encoding, vary) = (header("content-encoding"), header("vary"));
    let wire = response.bytes().await.expect("body").to_vec();
    let mut decoded = Vec::new();
    match encoding.as_str() {
        "br" => brotli::BrotliDecompress(&mut &wire[..], &mut decoded).expect("valid brotli"),
        "gzip" => {
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&wire[..]), &mut decoded).expect("valid gzip");
        }
        _ => decoded.clone_from(&wire),
    }
    (encoding, String::from_utf8(decoded).expect("utf-8"), wire.len(), vary)
}

#[tokio::test]
async fn responses_are_compressed() {
    let server = Server::start(&sample_content());
    let (_, home, _, _) = fetch_encoded(&server, "/", "identity").await;
    let script = home.split("src=\"").map(|rest| rest.split('"').next().unwrap_or("")).find(|src| src.ends_with(".js"));
    let script = script.expect("the home page links its script").to_string();
    // Each search page carries its own search id for click tracking.
    let search_id = regex::Regex::new(r"sid=[^&]+").expect("regex");
    let without_search_id = |page: &str| search_id.replace_all(page, "").to_string();
    // Cached pages, dynamic pages (search results), feeds and static files alike.
    for path in ["/articles/front-matter-reference", "/search?q=password", "/sitemap.xml", script.as_str()] {
        let (_, plain, plain_len, _) = fetch_encoded(&server, path, "identity").await;
        for encoding in ["br", "gzip"] {
            let (sent, decoded, wire_len, vary) = fetch_encoded(&server, path, encoding).await;
            assert_eq!(sent, encoding, "{path}");
            assert!(vary.to_ascii_lowercase().contains("accept-encoding"), "{path}: vary {vary:?}");
            assert_eq!(
                without_search_id(&decoded),
                without_search_id(&plain),
                "{path}: {encoding} decodes to the same body"
            );
            assert!(wire_len * 2 < plain_len, "{path} {encoding}: {wire_len} vs {plain_len}");
        }
        let (sent, _, _, _) = fetch_encoded(&server, path, "gzip;q=1, br;q=0").await;
        assert_eq!(sent, "gzip", "{path}: br;q=0 refuses brotli");
    }
    // Too small to gain anything: sent as is.
    let (sent, body, _, _) = fetch_encoded(&server, "/healthz", "br, gzip").await;
    assert!(sent.is_empty(), "{sent}: {body}");
    // Uncompressed bodies carry no `Content-Encoding: identity` (no client needs it).
    for path in ["/", "/articles/install-and-run", "/search?q=install"] {
        let (sent, _, _, _) = fetch_encoded(&server, path, "identity").await;
        assert!(sent.is_empty(), "{path}: Content-Encoding {sent}");
    }
}

#[tokio::test]
async fn feeds_sources_media_and_health() {
    let server = Server::start(&sample_content());
    let (_, headers, sitemap) = get(&server, "/sitemap.xml").await;
    assert!(headers["content-type"].to_str().expect("ascii").starts_with("application/xml"));
    assert!(sitemap.contains("/articles/what-is-quire</loc><lastmod>2026-11-20</lastmod>"), "{sitemap}");
    assert!(sitemap.contains("/faq/quire</loc>"));

    let (_, _, robots) = get(&server, "/robots.txt").await;
    assert!(robots.contains("Sitemap: http://127.0.0.1:") && robots.contains("/sitemap.xml"));

    let (_, _, llms) = get(&server, "/llms.txt").await;
    assert!(llms.starts_with("# Help Center\n"), "{llms}");
    assert!(llms.contains("## Getting started") && llms.contains("/articles/what-is-quire.md): Quire turns"));

    let (status, headers, source) = get(&server, "/articles/search-tips.md").await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().expect("ascii").starts_with("text/markdown"));
    assert!(source.starts_with("---\ntitle: Search tips\n"));

    let (status, headers, svg) = get(&server, "/media/writing-articles/basics/img/folder-layout.svg").await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/svg+xml");
    assert!(headers["content-security-policy"].to_str().expect("ascii").contains("sandbox"));
    assert!(svg.contains("<svg"));
    assert_eq!(
        get(&server, "/media/writing-articles/basics/front-matter-reference.md").await.0,
        404,
        "sources are not media"
    );
    assert_eq!(get(&server, "/media/../Cargo.toml").await.0, 404);

    let (status, _, health) = get(&server, "/healthz").await;
    assert_eq!(status, 200);
    assert!(health.contains(r#""status":"ok""#));

    let head = raw_client().head(server.url("/articles/search-tips")).send().await.expect("request");
    assert_eq!(head.status(), 200);
}

#[tokio::test]
async fn hostile_input_is_escaped() {
    let content = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        content.path().join("evil.md"),
        "---\ntitle: \"<script>alert('title')</script>\"\nsummary: \"\\\"><img src=x onerror=alert(1)>\"\n---\n<script>alert('body')</script>\n\n[click](javascript:alert(1))\n\n<img src=x onerror=\"alert(2)\">\n\n<iframe src=\"https://evil.example\"></iframe>\n",
    )
    .expect("write");
    let server = Server::start(content.path());
    let (status, _, page) = get(&server, "/articles/evil").await;
    assert_eq!(status, 200);
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(
        page.contains("&#60;script&#62;alert(") || page.contains("&lt;script&gt;alert("),
        "title shown as text: {page}"
    );
    assert!(!page.contains("<img src=x onerror") && !page.contains("onerror=\"alert"), "{page}");
    assert!(!page.contains("href=\"javascript:") && !page.contains("<iframe"), "{page}");

    let (status, _, search) = get(&server, "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
    assert_eq!(status, 200);
    assert!(!search.contains("<script>alert(1)"), "{search}");
    assert!(search.contains("&#60;script&#62;alert(1)") || search.contains("&lt;script&gt;alert(1)"), "{search}");
    let long = "a".repeat(10_000);
    assert_eq!(get(&server, &format!("/search?q={long}")).await.0, 200);
}

#[tokio::test]
async fn edits_show_up_without_restart_and_broken_edits_keep_the_old_version() {
    let content = copy_of_sample_content();
    let server = Server::start(content.path());
    let file = content.path().join("finding-answers/search-tips.md");
    let original = std::fs::read_to_string(&file).expect("read");

    std::fs::write(&file, original.replace("Copy error messages.", "Describe the goal, freshly edited."))
        .expect("write");
    let updated = eventually(Duration::from_secs(2), || async {
        get(&server, "/articles/search-tips").await.2.contains("Describe the goal, freshly edited.")
    })
    .await;
    assert!(updated, "the edit is served within 2 s");

    std::fs::write(&file, "---\ntitle: [unclosed\n---\nBroken version").expect("write");
    // Give the watcher time to pick the broken file up, then check the good version stays.
    std::fs::write(content.path().join("finding-answers/new-page.md"), "---\ntitle: A new page\n---\nNew")
        .expect("write");
    let new_page_live =
        eventually(Duration::from_secs(2), || async { get(&server, "/articles/new-page").await.0 == 200 }).await;
    assert!(new_page_live, "a new file is published within 2 s");
    let (status, _, page) = get(&server, "/articles/search-tips").await;
    assert_eq!(status, 200);
    assert!(page.contains("Describe the goal, freshly edited."), "the last good version is still served");
    assert!(!page.contains("Broken version"));

    std::fs::remove_file(content.path().join("finding-answers/new-page.md")).expect("remove");
    let removed =
        eventually(Duration::from_secs(2), || async { get(&server, "/articles/new-page").await.0 == 404 }).await;
    assert!(removed, "a deleted file disappears");
}

#[test]
fn a_trickled_request_body_gets_408_and_the_connection_is_closed() {
    use std::io::{Read, Write};
    let server = Server::start_with_config(&sample_content(), "[server]\nbody_timeout_seconds = 2\n");
    let address = server.base.trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(&address).expect("connect");
    stream.set_read_timeout(Some(Duration::from_millis(200))).expect("timeout");
    let head = format!(
        "POST /feedback HTTP/1.1\r\nHost: {address}\r\nOrigin: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 16000\r\n\r\n",
        server.base
    );
    stream.write_all(head.as_bytes()).expect("send headers");
    // One byte every 300 ms, as a slow-body attacker sends, for up to 10 seconds.
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    let mut closed = false;
    while started.elapsed() < Duration::from_secs(10) {
        let _ = stream.write_all(b"p");
        let mut buffer = [0u8; 4096];
        match stream.read(&mut buffer) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
            Err(err) if matches!(err.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => {
                closed = true;
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "answer: {answer:?}");
    assert!(closed, "the connection is closed after the 408");
    assert!(started.elapsed() < Duration::from_secs(8), "released long before the client finished");
}

#[test]
fn while_a_big_help_center_loads_every_request_gets_503_starting() {
    use std::io::{BufRead, BufReader};
    let content = tempfile::tempdir().expect("content");
    quire::synthetic::write_help_center(content.path(), 3_000, 11).expect("generate");
    let data = tempfile::tempdir().expect("data");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["serve", "--bind", "127.0.0.1:0", "--content"])
        .arg(content.path())
        .arg("--data")
        .arg(data.path())
        .current_dir(data.path())
        .env("QUIRE_SEMANTIC", "false")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start quire");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("first line");
    let base = line.trim().strip_prefix("quire: starting on ").expect("starting line").to_string();
    let (status, head, body) = get_raw(&base, "/healthz");
    assert_eq!(status, 503, "{head}{body}");
    assert!(head.to_ascii_lowercase().contains("retry-after:"), "{head}");
    assert!(body.contains(r#""status":"starting""#), "{body}");
    line.clear();
    stdout.read_line(&mut line).expect("second line");
    assert_eq!(line.trim(), format!("quire: listening on {base}"));
    let (status, _, body) = get_raw(&base, "/healthz");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""articles":3000"#), "{body}");
    let _ = child.kill();
    let _ = child.wait();
}

/// A plain HTTP/1.1 GET over a socket: (status, head, body).
fn get_raw(base: &str, path: &str) -> (u16, String, String) {
    use std::io::{Read, Write};
    let address = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

/// Snippets and variables fill in where pages use them; editing a snippet changes
/// every page that uses it; template leftovers never reach the page or the search.
#[tokio::test]
async fn snippets_fill_in_and_follow_their_edits() {
    let content = copy_of_sample_content();
    let root = content.path();
    std::fs::create_dir_all(root.join("_snippets")).expect("mkdir");
    std::fs::create_dir_all(root.join("_includes")).expect("mkdir");
    std::fs::write(root.join("_variables.yml"), "product: Acme Cloud\nhours: 9–17 CET\n").expect("write");
    std::fs::write(root.join("_snippets/contact-us.md"), "Our team answers {{ hours }}.\n").expect("write");
    std::fs::write(root.join("_includes/footer-nav.md"), "See also [search tips](/articles/search-tips).\n")
        .expect("write");
    for (file, title) in [("one.md", "Snippet one"), ("two.md", "Snippet two")] {
        std::fs::write(
            root.join("getting-started").join(file),
            format!("---\ntitle: {title}\n---\nUsing {{{{ site.product }}}}.\n\n{{% snippet contact-us %}}\n\n{{% include footer-nav.md %}}\n\n{{% if page.beta %}}Beta only.{{% endif %}}\n"),
        )
        .expect("write");
    }
    let server = Server::start(root);
    for slug in ["one", "two"] {
        let (status, _, html) = get(&server, &format!("/articles/{slug}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Using Acme Cloud.") && html.contains("Our team answers 9–17 CET."), "{html}");
        assert!(html.contains(r#"href="/articles/search-tips""#) && html.contains("search tips</a>"), "{html}");
        assert!(!html.contains("{%") && !html.contains("{{") && html.contains("Beta only."), "{html}");
    }
    let (status, _, _) = get(&server, "/articles/contact-us").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "snippets are not articles");
    let api = raw_client().get(server.url("/api/search?q=endif")).send().await.expect("search");
    let found: serde_json::Value = api.json().await.expect("json");
    assert_eq!(found["total"], 0, "template leftovers are not indexed: {found}");

    std::fs::write(root.join("_snippets/contact-us.md"), "Our team answers around the clock.\n").expect("write");
    let updated = eventually(Duration::from_secs(10), || async {
        let one = get(&server, "/articles/one").await.2;
        let two = get(&server, "/articles/two").await.2;
        one.contains("around the clock") && two.contains("around the clock")
    })
    .await;
    assert!(updated, "both pages show the edited snippet");
}

/// A category of hundreds of articles is listed a page at a time, and each section
/// shows its first articles with a link to all of them.
#[tokio::test]
async fn long_categories_and_sections_are_paged() {
    let content = tempfile::tempdir().expect("tempdir");
    let big = content.path().join("Big");
    std::fs::create_dir_all(big.join("Guides")).expect("mkdir");
    for n in 0..60 {
        std::fs::write(big.join(format!("direct-{n:03}.md")), format!("---\ntitle: Direct {n:03}\n---\nx"))
            .expect("write");
    }
    for n in 0..130 {
        std::fs::write(
            big.join("Guides").join(format!("guide-{n:03}.md")),
            format!("---\ntitle: Guide {n:03}\n---\nx"),
        )
        .expect("write");
    }
    let server = Server::start(content.path());
    let items = |html: &str| html.matches("<li><a href=\"/articles/").count();

    let (status, _, first) = get(&server, "/categories/big").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(items(&first), 50 + 10, "50 of the category's own articles, 10 of the section's");
    assert!(first.contains("Page 1 of 2") && first.contains(r#"href="/categories/big/page/2" rel="next""#), "paged");
    assert!(first.contains(r#"<a href="/categories/big/guides">See all 130 articles in Guides</a>"#), "see all");
    assert!(first.len() < 40_000, "a bounded page: {} bytes", first.len());

    let (status, _, second) = get(&server, "/categories/big/page/2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(items(&second), 10);
    assert!(second.contains("Direct 059") && !second.contains("Guide 000"));
    assert_eq!(get(&server, "/categories/big/page/3").await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&server, "/categories/big/page/x").await.0, StatusCode::NOT_FOUND);
    let (status, headers, _) = get(&server, "/categories/big/page/1").await;
    assert_eq!(
        (status, headers[reqwest::header::LOCATION].to_str().expect("location")),
        (StatusCode::MOVED_PERMANENTLY, "/categories/big")
    );

    let (status, _, section) = get(&server, "/categories/big/guides").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(items(&section), 50);
    assert!(section.contains(r#"<a href="/categories/big">Big</a>"#), "breadcrumb to its category");
    let (_, _, last) = get(&server, "/categories/big/guides/page/3").await;
    assert_eq!(items(&last), 30);
    assert!(last.contains("Guide 129") && last.contains("Page 3 of 3"));
    assert_eq!(get(&server, "/categories/big/guides/page/4").await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&server, "/categories/big/nowhere").await.0, StatusCode::NOT_FOUND);
}
