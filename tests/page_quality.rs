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
    for (name, path) in pages {
        let html = reqwest::get(server.url(path)).await.expect("request").text().await.expect("body");
        let file = dir.path().join(format!("{name}.html"));
        std::fs::write(&file, html).expect("write");
        files.push(file);
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
