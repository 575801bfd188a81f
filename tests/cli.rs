//! The `quire` command line: `check` exit codes and messages, config errors.

mod common;

use std::process::Command;

fn quire(args: &[&str], cwd: &std::path::Path) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(args)
        .current_dir(cwd)
        .env_remove("QUIRE_CONTENT")
        .env_remove("QUIRE_BIND")
        .output()
        .expect("run quire");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn check_passes_on_the_sample_content_without_warnings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let content = common::sample_content();
    let (code, stdout, _) = quire(&["check", content.to_str().expect("utf-8 path")], dir.path());
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("0 error(s), 0 warning(s)"), "{stdout}");
}

#[test]
fn check_fails_with_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("ok.md"), "---\ntitle: OK\nreviewed: 2001-01-01\n---\n[broken](nowhere.md)\n")
        .expect("write");
    std::fs::write(dir.path().join("bad.md"), "---\ntitle: Bad\norder: first\n---\n").expect("write");
    let (code, stdout, _) = quire(&["check", "."], dir.path());
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("error: ./bad.md:3: invalid front matter: order: invalid type"), "{stdout}");
    assert!(stdout.contains("error: ./ok.md:5: broken link `nowhere.md`"), "{stdout}");
    assert!(stdout.contains("warning: ./ok.md:3: last reviewed"), "{stdout}");
    assert!(stdout.contains("2 error(s), 1 warning(s)"), "{stdout}");
}

#[test]
fn warnings_alone_do_not_fail() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("old.md"), "---\ntitle: Old\nreviewed: 2001-01-01\n---\nText\n").expect("write");
    let (code, stdout, _) = quire(&["check", "."], dir.path());
    assert_eq!(code, 0, "{stdout}");
}

#[test]
fn unknown_config_keys_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("quire.toml"), "bind = \"127.0.0.1:0\"\n[site]\ntitel = \"typo\"\n").expect("write");
    let (code, _, stderr) = quire(&["check", "."], dir.path());
    assert_eq!(code, 2);
    assert!(stderr.contains("invalid config file quire.toml") && stderr.contains("titel"), "{stderr}");
}

#[test]
fn missing_content_folder_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, stdout, _) = quire(&["check", "does-not-exist"], dir.path());
    assert_eq!(code, 1);
    assert!(stdout.contains("does not exist"), "{stdout}");
}

#[test]
fn environment_overrides_the_config_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("from-file")).expect("mkdir");
    std::fs::create_dir_all(dir.path().join("from-env")).expect("mkdir");
    std::fs::write(dir.path().join("from-env/only-here.md"), "---\ntitle: Env\n---\n").expect("write");
    std::fs::write(dir.path().join("quire.toml"), "content = \"from-file\"\n").expect("write");
    let run = |env: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_quire"));
        command.arg("check").current_dir(dir.path()).env_remove("QUIRE_CONTENT");
        if let Some(value) = env {
            command.env("QUIRE_CONTENT", value);
        }
        String::from_utf8_lossy(&command.output().expect("run").stdout).into_owned()
    };
    assert!(run(None).contains("checked 0 articles"), "the file's folder is used");
    assert!(run(Some("from-env")).contains("checked 1 articles"), "the environment wins over the file");
}

#[test]
fn server_shuts_down_gracefully_on_sigterm_and_sigint() {
    // Sent right after the ready line, which is the hardest moment.
    for signal in ["-TERM", "-INT"] {
        let server = common::Server::start(&common::sample_content());
        let pid = server.pid();
        let status = Command::new("kill").args([signal, &pid.to_string()]).status().expect("kill");
        assert!(status.success());
        let exit = server.wait_for_exit(std::time::Duration::from_secs(10)).expect("exits within 10 s");
        assert!(exit.success(), "clean exit status after {signal}: {exit:?}");
    }
}

#[test]
fn check_validates_synonyms_and_best_bets() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("refunds.md"), "---\ntitle: Refunds\n---\nMoney back.\n").expect("write");
    std::fs::write(dir.path().join("synonyms.txt"), "refund = money back\n= nothing on the left\n").expect("write");
    std::fs::write(
        dir.path().join("best-bets.toml"),
        "[[bet]]\nqueries = [\"refund\"]\narticles = [\"refunds\", \"no-such-article\"]\n",
    )
    .expect("write");
    let (code, stdout, _) = quire(&["check", "."], dir.path());
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("error: ./synonyms.txt:2: a synonym line needs words on both sides of `=`"), "{stdout}");
    assert!(
        stdout
            .contains("error: ./best-bets.toml:3: best bet article `no-such-article` is not a published article slug"),
        "{stdout}"
    );
}

#[tokio::test]
async fn export_writes_the_site_exactly_as_served() {
    let base_url = "https://help.example.test";
    let server = common::Server::start_with(&common::sample_content(), &["--base-url", base_url]);
    let out = tempfile::tempdir().expect("tempdir");
    let target = out.path().join("site");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["export", "--content"])
        .arg(common::sample_content())
        .args(["--base-url", base_url, "--data"])
        .arg(out.path().join("data"))
        .arg(&target)
        .current_dir(out.path())
        .output()
        .expect("run export");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("exported "));
    let client = common::raw_client();
    for (url, file) in [
        ("/", "index.html"),
        ("/categories/writing-articles", "categories/writing-articles.html"),
        ("/articles/configure-quire", "articles/configure-quire.html"),
        ("/articles/configure-quire.md", "articles/configure-quire.md"),
        ("/faq/quire", "faq/quire.html"),
        ("/sitemap.xml", "sitemap.xml"),
        ("/llms.txt", "llms.txt"),
    ] {
        let served = client.get(server.url(url)).send().await.expect("get").bytes().await.expect("body");
        let exported = std::fs::read(target.join(file)).unwrap_or_else(|_| panic!("{file} exported"));
        assert!(served == exported, "{url} differs from {file}");
        assert!(target.join(format!("{file}.gz")).is_file() && target.join(format!("{file}.br")).is_file());
    }
    let home = std::fs::read_to_string(target.join("index.html")).expect("home");
    let stylesheet = home.split("href=\"/static/").nth(1).and_then(|s| s.split('"').next()).expect("css link");
    assert!(target.join("static").join(stylesheet).is_file(), "assets are exported under their hashed names");
    assert!(target.join("404.html").is_file());
    assert!(!out.path().join("data").exists() || !out.path().join("data/quire.db").exists(), "no database written");

    let again = std::process::Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["export", "--content"])
        .arg(common::sample_content())
        .arg(&target)
        .current_dir(out.path())
        .output()
        .expect("run export");
    assert!(!again.status.success(), "refuses a non-empty folder");
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
}

#[test]
fn an_unknown_time_zone_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("quire.toml"), "[site]\ntime_zone = \"Mars/Olympus\"\n").expect("config");
    let content = common::sample_content();
    let (code, _, stderr) = quire(
        &["serve", "--bind", "127.0.0.1:0", "--content", content.to_str().expect("utf-8"), "--data", "data"],
        dir.path(),
    );
    assert_ne!(code, 0);
    assert!(stderr.contains("site.time_zone: `Mars/Olympus` is not an IANA time zone name"), "{stderr}");
}

/// A stand-in for a Zendesk help center's API on 127.0.0.1: offset pagination for
/// sections, cursor pagination for articles (with one 429 on the way), attachments.
/// Returns its address and the Authorization headers it saw.
fn zendesk_stand_in() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (server_base, server_seen) = (base.clone(), std::sync::Arc::clone(&seen));
    std::thread::spawn(move || {
        let mut limited_once = false;
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head).to_string();
            let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
            if let Some(auth) = head.lines().find(|l| l.to_ascii_lowercase().starts_with("authorization:")) {
                server_seen
                    .lock()
                    .expect("lock")
                    .push(auth.split_once(':').map(|(_, v)| v.trim().to_string()).unwrap_or_default());
            }
            let b = &server_base;
            let json = |body: String| ("200 OK", "application/json", body.into_bytes(), "");
            let (status, kind, body, extra) = match path.as_str() {
                "/api/v2/help_center/en-us/categories.json?per_page=100" => json(
                    r#"{"categories":[{"id":1,"name":"Billing & payments","description":"Money matters","position":1},{"id":2,"name":"Account","position":2}],"next_page":null}"#.into(),
                ),
                "/api/v2/help_center/en-us/sections.json?per_page=100" => json(format!(
                    r#"{{"sections":[{{"id":11,"category_id":1,"name":"Invoices","position":1}}],"next_page":"{b}/api/v2/help_center/en-us/sections.json?page=2&per_page=100"}}"#
                )),
                "/api/v2/help_center/en-us/sections.json?page=2&per_page=100" => json(
                    r#"{"sections":[{"id":12,"category_id":2,"name":"Sign-in","position":1},{"id":13,"category_id":2,"parent_section_id":12,"name":"Two-step","position":2}],"next_page":null}"#.into(),
                ),
                "/api/v2/help_center/en-us/articles.json?per_page=100" => json(format!(
                    r#"{{"articles":[{{"id":101,"section_id":11,"title":"Download an invoice","body":"<p>Open <strong>Billing</strong>.</p><p><img src=\"{b}/hc/article_attachments/9/shot.png\" alt=\"Billing page\"></p><p>See <a href=\"{b}/hc/en-us/articles/102-Reset\">Reset</a>.</p>","label_names":["invoice","pdf"],"position":2,"promoted":true,"edited_at":"2025-03-04T10:00:00Z"}}],"meta":{{"has_more":true}},"links":{{"next":"{b}/api/v2/help_center/en-us/articles.json?page%5Bafter%5D=abc"}}}}"#
                )),
                "/api/v2/help_center/en-us/articles.json?page%5Bafter%5D=abc" if !limited_once => {
                    limited_once = true;
                    ("429 Too Many Requests", "application/json", b"{}".to_vec(), "Retry-After: 1\r\n")
                }
                "/api/v2/help_center/en-us/articles.json?page%5Bafter%5D=abc" => json(
                    r#"{"articles":[{"id":102,"section_id":13,"title":"Reset two-step sign-in","body":"<h2>Steps</h2><ol><li>Open settings.</li><li>Reset.</li></ol>","draft":true},{"id":103,"section_id":99,"title":"Lost article","body":"<p>Text</p>"}],"meta":{"has_more":false},"links":{"next":null}}"#.into(),
                ),
                "/api/v2/help_center/en-us/articles/101/attachments.json" => json(format!(
                    r#"{{"article_attachments":[{{"id":9,"file_name":"shot.png","content_url":"{b}/hc/article_attachments/9/shot.png"}},{{"id":10,"file_name":"x.png","content_url":"https://elsewhere.example/x.png"}}]}}"#
                )),
                p if p.ends_with("/attachments.json") => json(r#"{"article_attachments":[]}"#.into()),
                "/hc/article_attachments/9/shot.png" => ("200 OK", "image/png", b"\x89PNG\r\n\x1a\nfake".to_vec(), ""),
                _ => ("404 Not Found", "application/json", b"{}".to_vec(), ""),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    (base, seen)
}

#[test]
fn import_zendesk_live_writes_a_content_folder_quire_serves() {
    let (base, seen) = zendesk_stand_in();
    let work = tempfile::tempdir().expect("tempdir");
    let output = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["import", "zendesk", "--url", &base, "--email", "ann@example.com", "imported"])
        .env("ZENDESK_API_TOKEN", "secret")
        .current_dir(work.path())
        .output()
        .expect("run quire import");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        stdout.contains("imported 3 articles (1 drafts) in 2 categories and 3 sections, with 1 attachments"),
        "{stdout}"
    );
    assert!(stdout.contains("problem: article 103 \"Lost article\": its section was not found"), "{stdout}");
    assert!(stdout.contains("problem: section 13 \"Two-step\": it is inside section \"Sign-in\""), "{stdout}");
    assert!(stdout.contains("attachment https://elsewhere.example/x.png is on another host"), "{stdout}");
    assert!(stdout.contains("0 error(s)"), "the result passes quire check: {stdout}");
    let token = seen.lock().expect("lock").first().cloned().unwrap_or_default();
    assert_eq!(token, "Basic YW5uQGV4YW1wbGUuY29tL3Rva2VuOnNlY3JldA==", "e-mail/token:TOKEN, base64");

    let out = work.path().join("imported");
    let invoice =
        std::fs::read_to_string(out.join("billing-payments/invoices/download-an-invoice.md")).expect("article");
    assert!(invoice.starts_with("---\ntitle: \"Download an invoice\"\nid: 101\ntags: [\"invoice\", \"pdf\"]\norder: 2\nupdated: 2025-03-04\npromoted: true\n---\n"), "{invoice}");
    assert!(invoice.contains("Open **Billing**."), "{invoice}");
    assert!(invoice.contains("![Billing page](../../_media/101/shot.png)"), "{invoice}");
    assert!(out.join("_media/101/shot.png").is_file());
    let meta = std::fs::read_to_string(out.join("billing-payments/_meta.yml")).expect("meta");
    assert!(
        meta.contains("title: \"Billing & payments\"") && meta.contains("description: \"Money matters\""),
        "{meta}"
    );
    let reset =
        std::fs::read_to_string(out.join("account/two-step/reset-two-step-sign-in.md")).expect("nested section");
    assert!(reset.contains("draft: true") && reset.contains("## Steps\n\n1. Open settings.\n2. Reset."), "{reset}");

    // Served: the old Zendesk address redirects, the image is local.
    let library = quire::content::load(&out, &quire::content::LoadOptions::default());
    assert_eq!(library.legacy_url("101"), Some("/articles/download-an-invoice"));
    let article = library.article("download-an-invoice").expect("article");
    assert!(article.rendered.html.contains(r#"src="/media/_media/101/shot.png""#), "{}", article.rendered.html);
    assert!(article.promoted && article.tags == vec!["invoice", "pdf"]);
}

#[test]
fn import_zendesk_from_saved_answers_and_never_over_existing_files() {
    let saved = tempfile::tempdir().expect("tempdir");
    std::fs::write(saved.path().join("categories.json"), r#"{"categories":[{"id":1,"name":"Billing","position":1}]}"#)
        .expect("write");
    std::fs::write(saved.path().join("sections.json"), r#"{"sections":[{"id":11,"category_id":1,"name":"Refunds"}]}"#)
        .expect("write");
    std::fs::write(saved.path().join("articles.json"), r#"{"articles":[{"id":7,"section_id":11,"title":"Refund rules","body":"<p>Within <em>30</em> days.</p><img src=\"https://acme.zendesk.com/hc/article_attachments/5/a.png\">"}]}"#).expect("write");
    std::fs::write(
        saved.path().join("articles-2.json"),
        r#"{"articles":[{"id":8,"section_id":11,"title":"Partial refunds","body":"<p>Yes.</p>"}]}"#,
    )
    .expect("write");
    let work = tempfile::tempdir().expect("tempdir");
    let from = saved.path().to_str().expect("utf-8");
    let (code, stdout, stderr) = quire(&["import", "zendesk", "--from", from, "out"], work.path());
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("imported 2 articles (0 drafts) in 1 categories and 1 sections"), "{stdout}");
    assert!(
        stdout.contains("problem: article 7 \"Refund rules\": its attachments are not in a saved export"),
        "{stdout}"
    );
    let rules = std::fs::read_to_string(work.path().join("out/billing/refunds/refund-rules.md")).expect("article");
    assert!(rules.contains("Within _30_ days.") || rules.contains("Within *30* days."), "{rules}");
    // A second import into the same folder is refused: nothing is overwritten.
    let (code, _, stderr) = quire(&["import", "zendesk", "--from", from, "out"], work.path());
    assert_ne!(code, 0);
    assert!(stderr.contains("is not empty"), "{stderr}");
}

#[test]
fn import_docs_sites_maps_their_navigation_and_syntax() {
    let site = tempfile::tempdir().expect("tempdir");
    let root = site.path();
    let write = |path: &str, text: &str| {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
    };
    // MkDocs: the nav names and orders folders and pages; admonitions convert.
    write(
        "mkdocs.yml",
        "site_name: Acme\nnav:\n  - Home: index.md\n  - Billing:\n      - Refunds: billing/refunds.md\n      - billing/invoices.md\n",
    );
    write("docs/index.md", "# Welcome\n\nHello.\n");
    write("docs/billing/refunds.md", "Refund rules.\n\n!!! warning \"Careful\"\n    Refunds take 5 days.\n");
    write("docs/billing/invoices.md", "# Invoices\n\nText.\n");
    write("docs/billing/shot.png", "\u{89}PNG");
    let work = tempfile::tempdir().expect("tempdir");
    let (code, stdout, stderr) = quire(&["import", "mkdocs", root.to_str().expect("utf-8"), "out"], work.path());
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("imported 3 articles") && stdout.contains("0 error(s)"), "{stdout}");
    let out = work.path().join("out");
    let refunds = std::fs::read_to_string(out.join("billing/refunds.md")).expect("page");
    assert!(refunds.starts_with("---\ntitle: \"Refunds\"\norder: 1\n---\n"), "{refunds}");
    assert!(refunds.contains(":::warning Careful\nRefunds take 5 days.\n:::"), "{refunds}");
    let meta = std::fs::read_to_string(out.join("billing/_meta.yml")).expect("meta");
    assert_eq!(meta, "title: \"Billing\"\norder: 2\n");
    assert!(out.join("billing/shot.png").is_file(), "files next to pages come along");
    let library = quire::content::load(&out, &quire::content::LoadOptions::default());
    let refunds = library.article("refunds").expect("refunds");
    assert!(refunds.rendered.html.contains("callout-warning"), "{}", refunds.rendered.html);
    assert_eq!(library.article("invoices").expect("invoices").title, "Invoices", "titled by its first heading");

    // Docusaurus: _category_ files and sidebar positions.
    let docusaurus = tempfile::tempdir().expect("tempdir");
    let d = docusaurus.path();
    std::fs::create_dir_all(d.join("docs/account")).expect("mkdir");
    std::fs::write(d.join("docs/account/_category_.json"), r#"{"label":"Your account","position":3}"#).expect("write");
    std::fs::write(
        d.join("docs/account/2fa.md"),
        "---\nid: two-factor\nsidebar_position: 2\nsidebar_label: 2FA\n---\n# Two-factor sign-in\n\nTurn it on.\n",
    )
    .expect("write");
    let (code, stdout, stderr) = quire(&["import", "docusaurus", d.to_str().expect("utf-8"), "docs-out"], work.path());
    assert_eq!(code, 0, "{stdout}{stderr}");
    let page = std::fs::read_to_string(work.path().join("docs-out/account/2fa.md")).expect("page");
    assert!(page.starts_with("---\ntitle: \"Two-factor sign-in\"\norder: 2\n---\n"), "{page}");
    let meta = std::fs::read_to_string(work.path().join("docs-out/account/_meta.yml")).expect("meta");
    assert_eq!(meta, "title: \"Your account\"\norder: 3\n");

    // Jekyll: includes come along; permalinks are reported.
    let jekyll = tempfile::tempdir().expect("tempdir");
    let j = jekyll.path();
    std::fs::create_dir_all(j.join("_includes")).expect("mkdir");
    std::fs::create_dir_all(j.join("_site")).expect("mkdir");
    std::fs::write(j.join("_includes/contact-us.md"), "Write to us.\n").expect("write");
    std::fs::write(j.join("_site/built.md"), "not content").expect("write");
    std::fs::write(j.join("faq.md"), "---\nlayout: page\ntitle: Questions\npermalink: /help/faq/\nnav_order: 4\n---\nAsk.\n\n{% include contact-us.md %}\n").expect("write");
    let (code, stdout, stderr) = quire(&["import", "jekyll", j.to_str().expect("utf-8"), "jekyll-out"], work.path());
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("imported 1 articles") && stdout.contains("`/help/faq/` changes"), "{stdout}");
    let library = quire::content::load(&work.path().join("jekyll-out"), &quire::content::LoadOptions::default());
    let faq = library.article("faq").expect("page");
    assert!(faq.rendered.html.contains("Write to us."), "{}", faq.rendered.html);
    assert_eq!(faq.order, Some(4));
}

#[test]
fn export_writes_every_page_of_long_lists() {
    let work = tempfile::tempdir().expect("tempdir");
    let guides = work.path().join("content/Help/Guides");
    std::fs::create_dir_all(&guides).expect("mkdir");
    for n in 0..12 {
        std::fs::write(guides.join(format!("g{n:02}.md")), format!("---\ntitle: Guide {n:02}\n---\nx")).expect("write");
    }
    let (code, stdout, stderr) = quire(&["--content", "content", "export", "site"], work.path());
    assert_eq!(code, 0, "{stdout}{stderr}");
    let category = std::fs::read_to_string(work.path().join("site/categories/help.html")).expect("category page");
    assert!(category.contains(r#"href="/categories/help/guides""#), "see all link");
    let section = std::fs::read_to_string(work.path().join("site/categories/help/guides.html")).expect("section page");
    assert_eq!(section.matches("<li><a href=\"/articles/").count(), 12);
}
