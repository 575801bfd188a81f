//! Every page type passes the Nu HTML Checker (vnu) without errors. Needs Java and
//! the `vnu-jar` npm package (`npm ci --prefix tests/quality`); skipped with a notice
//! when they are missing, unless `QUIRE_REQUIRE_QUALITY=1`.

mod common;

use std::path::Path;
use std::process::Command;

use common::{sample_content, Server};

#[tokio::test]
async fn every_page_type_is_valid_html() {
    let jar = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/quality/node_modules/vnu-jar/build/dist/vnu.jar");
    let java_ok = Command::new("java").arg("-version").output().is_ok_and(|o| o.status.success());
    if !jar.exists() || !java_ok {
        assert!(
            !common::required("QUIRE_REQUIRE_QUALITY"),
            "QUIRE_REQUIRE_QUALITY=1 but Java or {} is missing",
            jar.display()
        );
        eprintln!("SKIPPED: HTML validation needs Java and vnu-jar (npm ci --prefix tests/quality)");
        return;
    }
    let server = Server::start(&sample_content());
    let pages = [
        ("home", "/"),
        ("category", "/categories/writing-articles"),
        ("article", "/articles/tables-and-code"),
        ("article-callouts", "/articles/callouts-and-notes"),
        ("article-image", "/articles/organize-categories-and-sections"),
        ("faq", "/faq/quire"),
        ("search", "/search?q=password"),
        ("search-empty", "/search?q=zzzzqqq"),
        ("not-found", "/no/such/page"),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let mut files = Vec::new();
    let mut save = |name: &str, html: String| {
        let file = dir.path().join(format!("{name}.html"));
        std::fs::write(&file, html).expect("write");
        files.push(file);
    };
    for (name, path) in pages {
        save(name, reqwest::get(server.url(path)).await.expect("request").text().await.expect("body"));
    }

    // The feedback follow-up page (no JavaScript), after a "No" with a comment.
    let client = common::raw_client();
    let reader = common::reader_cookie(&server);
    let vote = client
        .post(server.url("/feedback"))
        .header(reqwest::header::ORIGIN, &server.base)
        .header(reqwest::header::COOKIE, &reader)
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("page=search-tips&helpful=no")
        .send()
        .await
        .expect("vote");
    let follow_up = vote.headers()[reqwest::header::LOCATION].to_str().expect("location").to_string();
    let follow_up_page = client.get(server.url(&follow_up)).header(reqwest::header::COOKIE, &reader).send();
    save("feedback", follow_up_page.await.expect("get").text().await.expect("body"));
    let ticket = follow_up.trim_start_matches("/feedback?ticket=").to_string();
    let details = client
        .post(server.url("/feedback/details"))
        .header(reqwest::header::ORIGIN, &server.base)
        .header(reqwest::header::COOKIE, &reader)
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("ticket={ticket}&reason=outdated&comment=Old+screens"))
        .send()
        .await
        .expect("details");
    let thanks = details.headers()[reqwest::header::LOCATION].to_str().expect("location").to_string();
    let thanks_page = client.get(server.url(&thanks)).header(reqwest::header::COOKIE, &reader).send();
    save("feedback-thanks", thanks_page.await.expect("get").text().await.expect("body"));
    save("staff-login", client.get(server.url("/staff/login")).send().await.expect("get").text().await.expect("body"));
    let session = common::staff_session(&client, &server).await;
    for (name, path) in [
        ("staff-overview", "/staff"),
        ("staff-pages", "/staff/pages?sort=votes"),
        ("staff-page", "/staff/page?key=search-tips"),
        ("staff-attention", "/staff/attention"),
        ("staff-search", "/staff/search"),
        ("staff-inbox", "/staff/inbox?status=all"),
        ("staff-inbox-notice", "/staff/inbox?status=all&done=1&action=resolve&next=0"),
        ("staff-learning", "/staff/learning"),
        ("staff-audit", "/staff/audit"),
        ("staff-edit", "/staff/edit?path=getting-started/what-is-quire.md"),
        ("staff-edit-faq", "/staff/edit?path=Troubleshooting%20%26%20FAQ/faq.md"),
        ("staff-new", "/staff/new?folder=getting-started"),
        ("staff-history", "/staff/history?path=getting-started/what-is-quire.md"),
        ("staff-accounts", "/staff/accounts"),
    ] {
        let response =
            client.get(server.url(path)).header(reqwest::header::COOKIE, &session).send().await.expect("get");
        assert_eq!(response.status(), 200, "{path}");
        save(name, response.text().await.expect("body"));
    }
    let output = Command::new("java")
        .arg("-jar")
        .arg(&jar)
        .args(["--errors-only", "--format", "json", "--stdout"])
        .args(&files)
        .output()
        .expect("run vnu");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("vnu JSON report");
    let errors: Vec<String> = report["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["type"] == "error")
        .map(|m| {
            let file = m["url"].as_str().unwrap_or_default().rsplit('/').next().unwrap_or_default().to_string();
            format!("{file}:{}: {}", m["lastLine"], m["message"].as_str().unwrap_or_default())
        })
        .collect();
    assert!(errors.is_empty(), "HTML errors:\n{}", errors.join("\n"));
}

/// Search results, error pages and staff pages are kept out of search engines on
/// purpose (thin or private pages): this records the decision so nobody "fixes" it.
/// Every other page is indexable and has its link preview.
#[tokio::test]
async fn noindex_exactly_where_intended_and_link_previews_everywhere() {
    let server = Server::start(&sample_content());
    let client = common::raw_client();
    let robots_noindex = |html: &str| html.contains(r#"<meta name="robots" content="noindex">"#);
    for path in ["/", "/articles/search-tips", "/categories/writing-articles", "/faq/quire"] {
        let html = client.get(server.url(path)).send().await.expect("get").text().await.expect("body");
        assert!(!robots_noindex(&html), "{path} must be indexable");
        let image = html.split(r#"<meta property="og:image" content=""#).nth(1).and_then(|s| s.split('"').next());
        let image = image.unwrap_or_else(|| panic!("{path} has an og:image"));
        assert!(image.starts_with(&server.base), "absolute og:image: {image}");
        assert!(html.contains(r#"<meta name="twitter:card" content="summary_large_image">"#), "{path}");
        let picture = client.get(image).send().await.expect("og:image");
        assert_eq!(picture.headers()[reqwest::header::CONTENT_TYPE], "image/png");
        let icon = html.split(r#"<link rel="apple-touch-icon" href=""#).nth(1).and_then(|s| s.split('"').next());
        let icon = client.get(server.url(icon.expect("touch icon"))).send().await.expect("icon");
        assert_eq!(icon.status(), 200);
        assert_eq!(&icon.bytes().await.expect("png")[..4], b"\x89PNG");
    }
    for path in ["/search?q=password", "/search?q=zzzzqq", "/no/such/page", "/staff/login"] {
        let html = client.get(server.url(path)).send().await.expect("get").text().await.expect("body");
        assert!(robots_noindex(&html), "{path} is noindex on purpose");
    }
}

/// An article in a right-to-left language: its language and direction reach the page.
#[tokio::test]
async fn right_to_left_articles_keep_their_direction() {
    let content = common::copy_of_sample_content();
    std::fs::write(
        content.path().join("getting-started/arabic.md"),
        "---\ntitle: مرحبا بك\nlang: ar\n---\n1. الخطوة الأولى\n2. الخطوة الثانية\n\n<p dir=\"ltr\">A quote in English.</p>\n",
    )
    .expect("write");
    let server = Server::start(content.path());
    let html = reqwest::get(server.url("/articles/arabic")).await.expect("get").text().await.expect("body");
    assert!(html.contains(r#"lang="ar" dir="rtl""#), "{html}");
    assert!(html.contains(r#"<p dir="ltr">A quote in English.</p>"#), "{html}");
    let css = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static/quire.css"))
        .expect("css");
    // A table column the author aligned left or right stays so: that is their choice.
    let css: String = css.lines().filter(|line| !line.contains(".align-")).collect();
    for physical in ["margin-left", "padding-left", "border-left", "text-align: left;"] {
        assert!(!css.contains(physical), "the stylesheet uses logical properties, not {physical}");
    }
}
