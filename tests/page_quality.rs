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
    save("staff-login", client.get(server.url("/staff/login")).send().await.expect("get").text().await.expect("body"));
    let session = common::staff_session(&client, &server).await;
    for (name, path) in [
        ("staff-overview", "/staff"),
        ("staff-pages", "/staff/pages?sort=votes"),
        ("staff-page", "/staff/page?key=search-tips"),
        ("staff-attention", "/staff/attention"),
        ("staff-search", "/staff/search"),
        ("staff-inbox", "/staff/inbox?status=all"),
        ("staff-learning", "/staff/learning"),
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
