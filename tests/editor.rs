//! The browser editor over real HTTP: staff open a page file, change it, preview,
//! save, create, upload images, meet someone else's edit, and restore old versions,
//! on a real content folder (a git repository where the test needs one).

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{Server, BROWSER_USER_AGENT};
use reqwest::header;

const ARTICLE: &str = "getting-started/what-is-quire.md";

/// Reverses askama's HTML escaping of attribute and text values.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';').filter(|&end| end <= 8) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|n| n.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The value of the input `name` in `page`.
fn field(page: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = page.find(&marker).map(|i| i + marker.len()).unwrap_or_else(|| panic!("no field {name}"));
    unescape(page[start..].split('"').next().unwrap_or_default())
}

/// The text area's text.
fn body_of(page: &str) -> String {
    let start = page.find(r#"<textarea id="ed-body""#).expect("text area");
    let text_start = start + page[start..].find('>').expect("tag end") + 1;
    let end = text_start + page[text_start..].find("</textarea>").expect("end");
    // The HTML parser drops one line break right after the start tag.
    unescape(page[text_start..end].strip_prefix('\n').unwrap_or(&page[text_start..end]))
}

/// The editor form's fields as a browser would send them, with `body` as the text.
fn editor_fields(page: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = [
        "csrf", "path", "revision", "base", "draft", "title", "summary", "tags", "keywords", "aliases", "order",
        "reviewed", "message",
    ]
    .iter()
    .map(|name| (name.to_string(), field(page, name)))
    .collect();
    fields.push(("body".into(), body_of(page)));
    fields
}

fn set(fields: &mut [(String, String)], name: &str, value: &str) {
    let slot = fields.iter_mut().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no {name}"));
    slot.1 = value.to_string();
}

fn get_field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or_default()
}

struct Editor {
    client: reqwest::Client,
    server: Server,
    session: String,
}

impl Editor {
    async fn start(content: &Path, role: &str) -> Self {
        let server = Server::start(content);
        let client = common::raw_client();
        server.add_staff_with_role("ann@example.com", "correct horse battery", role);
        let response = common::sign_in(&client, &server, "ann@example.com", "correct horse battery").await;
        assert_eq!(response.status(), 303, "signed in");
        let session = common::cookie_pair(&common::set_cookie(&response, "quire_staff").expect("session"));
        Self { client, server, session }
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let response =
            self.client.get(self.server.url(path)).header(header::COOKIE, &self.session).send().await.expect("get");
        (response.status().as_u16(), response.text().await.expect("body"))
    }

    /// Posts `fields` URL-encoded, as a same-site form.
    async fn post(&self, path: &str, fields: &[(String, String)]) -> reqwest::Response {
        let body: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        self.client
            .post(self.server.url(path))
            .header(header::COOKIE, &self.session)
            .header(header::ORIGIN, &self.server.base)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("post")
    }

    /// Posts `fields` and a file as `multipart/form-data`, as the editor's form does.
    async fn post_multipart(
        &self,
        path: &str,
        fields: &[(String, String)],
        file: Option<(&str, &[u8])>,
    ) -> reqwest::Response {
        let boundary = "quire-test-boundary-7d1f";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        if let Some((file_name, bytes)) = file {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        self.client
            .post(self.server.url(path))
            .header(header::COOKIE, &self.session)
            .header(header::ORIGIN, &self.server.base)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
            .await
            .expect("post")
    }

    /// Waits until the public page at `path` (fetched as a customer) contains `text`.
    async fn public_page_shows(&self, path: &str, text: &str) -> bool {
        let url = self.server.url(path);
        common::eventually(Duration::from_secs(2), || async {
            let response = reqwest::Client::new().get(&url).header(header::USER_AGENT, BROWSER_USER_AGENT).send().await;
            match response {
                Ok(response) => response.text().await.is_ok_and(|page| page.contains(text)),
                Err(_) => false,
            }
        })
        .await
    }
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args(args)
        .output()
        .ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// A copy of the sample content in a git repository of its own, or `None` (with a
/// notice) when git is not installed.
fn content_in_git() -> Option<tempfile::TempDir> {
    let content = common::copy_of_sample_content();
    let ready = git(content.path(), &["init", "-q"]).is_some()
        && git(content.path(), &["add", "."]).is_some()
        && git(content.path(), &["commit", "-qm", "Sample content"]).is_some();
    if !ready {
        assert!(std::env::var("QUIRE_REQUIRE_GIT").is_err(), "QUIRE_REQUIRE_GIT=1 but git is not installed");
        eprintln!("SKIPPED: editing with git history needs git (apt-get install git)");
        return None;
    }
    Some(content)
}

#[tokio::test]
async fn an_edit_in_the_browser_changes_only_its_lines_publishes_and_is_a_commit_by_its_author() {
    let Some(content) = content_in_git() else { return };
    let file = content.path().join(ARTICLE);
    // The author's formatting, which an edit elsewhere must not touch.
    let original = std::fs::read_to_string(&file)
        .expect("read")
        .replace("title: What is Quire?", "title: 'What is Quire?'   # keep the quotes");
    std::fs::write(&file, &original).expect("write");
    git(content.path(), &["commit", "-qam", "Quotes"]).expect("commit");
    let editor = Editor::start(content.path(), "editor").await;

    let (status, page) = editor.get(&format!("/staff/edit?path={ARTICLE}")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(field(&page, "title"), "What is Quire?");
    assert!(page.contains(r#"id="editor-preview""#) && page.contains("self-service help center server"));
    let mut fields = editor_fields(&page);
    assert_eq!(get_field(&fields, "base"), original, "the form carries the file it was made from");
    let body = get_field(&fields, "body")
        .replace("self-service help center server.", "self-service help center server, edited in the browser.");
    set(&mut fields, "body", &body);
    set(&mut fields, "tags", "overview, basics");
    set(&mut fields, "message", "Say where it was edited");
    fields.push(("action".into(), "publish".into()));
    let saved = editor.post("/staff/edit", &fields).await;
    assert_eq!(saved.status(), 303, "{}", saved.text().await.unwrap_or_default());
    let location = saved.headers()[header::LOCATION].to_str().expect("location").to_string();
    assert!(location.contains("saved=published"), "{location}");

    // Exactly the body line and the tags line changed; the comment and quotes stayed.
    let now = std::fs::read_to_string(&file).expect("read");
    let changed: Vec<(&str, &str)> = original.lines().zip(now.lines()).filter(|(a, b)| a != b).collect();
    assert_eq!(original.lines().count(), now.lines().count());
    assert_eq!(changed.len(), 2, "{changed:?}");
    assert!(now.contains("title: 'What is Quire?'   # keep the quotes"), "{now}");
    assert!(now.contains("tags: [overview, basics]"), "{now}");
    assert!(editor.public_page_shows("/articles/what-is-quire", "edited in the browser").await, "live within 2 s");

    // The save is a commit by the staff member, with their message.
    let log = git(content.path(), &["log", "-1", "--format=%an|%ae|%s"]).expect("log");
    assert_eq!(log.trim(), "ann|ann@example.com|Say where it was edited");
    assert_eq!(git(content.path(), &["status", "--porcelain"]).expect("status").trim(), "", "nothing left uncommitted");

    // The history shows it and compares it with the version before.
    let (status, history) = editor.get(&format!("/staff/history?path={ARTICLE}")).await;
    assert_eq!(status, 200);
    assert!(
        history.contains("Say where it was edited") && unescape(&history).contains("ann <ann@example.com>"),
        "{history}"
    );
    assert!(history.contains("edited in the browser") && history.contains("diff-changed"), "the last change is shown");

    // Restore the version before the edit: the file goes back, as a new commit.
    let first_version = history.rsplit(r#"name="version" value=""#).next().expect("versions");
    let first_version = first_version.split('"').next().expect("id").to_string();
    let restore = vec![
        ("csrf".to_string(), common::hidden(&history, "csrf")),
        ("path".to_string(), ARTICLE.to_string()),
        ("version".to_string(), first_version.clone()),
        ("revision".to_string(), common::hidden(&history, "revision")),
    ];
    let restored = editor.post("/staff/restore", &restore).await;
    assert_eq!(restored.status(), 303);
    let sample = std::fs::read_to_string(common::sample_content().join(ARTICLE)).expect("sample");
    assert_eq!(std::fs::read_to_string(&file).expect("read"), sample, "the first commit's text");
    let log = git(content.path(), &["log", "-1", "--format=%an|%s"]).expect("log");
    assert!(log.starts_with("ann|Restore version"), "{log}");
    // The same restore again is refused: the file changed since that history was shown.
    assert_eq!(editor.post("/staff/restore", &restore).await.status(), 409);

    // Every save is in the audit log, with who and what.
    let database = rusqlite::Connection::open(editor.server.data.path().join("quire.db")).expect("database");
    let actions: Vec<String> = database
        .prepare("SELECT staff_email || ' ' || action || ' ' || target FROM audit_log ORDER BY id")
        .expect("query")
        .query_map([], |row| row.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("read");
    assert_eq!(
        actions,
        vec![
            format!("ann@example.com content.publish {ARTICLE}"),
            format!("ann@example.com content.restore {ARTICLE}")
        ]
    );
}

#[tokio::test]
async fn a_save_over_someone_elses_edit_is_refused_with_a_comparison_and_a_merge() {
    let content = common::copy_of_sample_content();
    let file = content.path().join(ARTICLE);
    let editor = Editor::start(content.path(), "editor").await;
    let (_, page) = editor.get(&format!("/staff/edit?path={ARTICLE}")).await;
    let mut fields = editor_fields(&page);

    // Someone else changes another part of the file meanwhile (or a git pull does).
    let theirs = std::fs::read_to_string(&file).expect("read").replace("## What you get", "## What you get today");
    std::fs::write(&file, &theirs).expect("write");
    let body = get_field(&fields, "body").replace("self-service help center server.", "help center server, mine.");
    set(&mut fields, "body", &body);
    fields.push(("action".into(), "publish".into()));
    let refused = editor.post("/staff/edit", &fields).await;
    assert_eq!(refused.status(), 409);
    let page = refused.text().await.expect("body");
    assert!(page.contains("Nothing was overwritten"), "{page}");
    assert!(
        page.contains(r#"class="diff""#) && page.contains("Saved by someone else") && page.contains("Your version")
    );
    assert_eq!(std::fs::read_to_string(&file).expect("read"), theirs, "their edit is untouched");
    // The editor now holds both changes, made from the newer file.
    let merged = body_of(&page);
    assert!(merged.contains("help center server, mine.") && merged.contains("## What you get today"), "{merged}");
    let mut fields = editor_fields(&page);
    fields.push(("action".into(), "publish".into()));
    assert_eq!(editor.post("/staff/edit", &fields).await.status(), 303, "the merged version saves");
    let now = std::fs::read_to_string(&file).expect("read");
    assert!(now.contains("help center server, mine.") && now.contains("## What you get today"));

    // Both change the same line: the merge marks it, and a text with marks is not saved.
    let (_, page) = editor.get(&format!("/staff/edit?path={ARTICLE}")).await;
    let mut fields = editor_fields(&page);
    std::fs::write(&file, now.replace("help center server, mine.", "help center server, theirs.")).expect("write");
    let body = get_field(&fields, "body").replace("help center server, mine.", "help center server, mine again.");
    set(&mut fields, "body", &body);
    fields.push(("action".into(), "publish".into()));
    let refused = editor.post("/staff/edit", &fields).await;
    assert_eq!(refused.status(), 409);
    let page = refused.text().await.expect("body");
    let marked = body_of(&page);
    assert!(marked.contains("<<<<<<<") && marked.contains("mine again.") && marked.contains("theirs."), "{marked}");
    let mut fields = editor_fields(&page);
    fields.push(("action".into(), "publish".into()));
    let still_marked = editor.post("/staff/edit", &fields).await;
    assert_eq!(still_marked.status(), 422);
    assert!(still_marked.text().await.expect("body").contains("merge marks"));
    assert!(std::fs::read_to_string(&file).expect("read").contains("theirs."), "nothing written");
}

/// A 2×2 PNG.
fn png() -> Vec<u8> {
    let mut bytes = Vec::new();
    image::RgbImage::new(2, 2)
        .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
        .expect("encode");
    bytes
}

#[tokio::test]
async fn a_new_page_is_a_draft_until_published_and_takes_images() {
    let content = common::copy_of_sample_content();
    let editor = Editor::start(content.path(), "editor").await;
    let (status, page) = editor.get("/staff/new?folder=getting-started").await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"<option value="getting-started" selected>"#), "the folder is chosen");
    let mut fields: Vec<(String, String)> = vec![
        ("csrf".into(), common::hidden(&page, "csrf")),
        ("path".into(), String::new()),
        ("folder".into(), "getting-started".into()),
        ("name".into(), String::new()),
        ("title".into(), "Pay with PayPal".into()),
        ("draft".into(), "true".into()),
        ("body".into(), "Choose **PayPal** at checkout. See [the missing page](nowhere.md).\n".into()),
    ];

    // The preview renders with Quire's renderer and lists the broken link at its line.
    let preview = editor.post_multipart("/staff/edit/preview", &fields, None).await;
    assert_eq!(preview.status(), 200);
    let preview: serde_json::Value = preview.json().await.expect("json");
    assert!(preview["html"].as_str().expect("html").contains("<strong>PayPal</strong>"), "{preview}");
    let findings = preview["findings"].as_array().expect("findings");
    assert!(
        findings.iter().any(|f| f["line"] == "6" && f["message"].as_str().unwrap_or("").contains("nowhere.md")),
        "the broken link on line 6 of the new file: {findings:?}"
    );

    // An image, uploaded with a hostile name, lands beside the page under a safe one.
    let mut upload = fields.clone();
    upload.push(("action".into(), "upload".into()));
    let uploaded = editor.post_multipart("/staff/edit", &upload, Some(("../../../etc/Check Out.png", &png()))).await;
    assert_eq!(uploaded.status(), 200);
    let page = uploaded.text().await.expect("body");
    assert!(body_of(&page).ends_with("![check out](check-out.png)\n"), "{}", body_of(&page));
    assert!(content.path().join("getting-started/check-out.png").is_file());
    // Not a picture: refused, nothing written.
    let script =
        editor.post_multipart("/staff/edit/image", &fields, Some(("x.png", b"<script>alert(1)</script>"))).await;
    assert_eq!(script.status(), 422);
    assert!(!content.path().join("getting-started/x.png").exists());
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>";
    assert_eq!(editor.post_multipart("/staff/edit/image", &fields, Some(("a.svg", svg))).await.status(), 422);
    let pasted = editor.post_multipart("/staff/edit/image", &fields, Some(("image.png", &png()))).await;
    assert_eq!(pasted.status(), 200);
    let pasted: serde_json::Value = pasted.json().await.expect("json");
    assert_eq!(pasted["markdown"], "![image](image.png)");

    // Saved as a draft: a new file, 404 for customers, shown to staff.
    set(&mut fields, "body", "Choose **PayPal** at checkout.\n\n![check out](check-out.png)\n");
    fields.push(("action".into(), "draft".into()));
    let created = editor.post_multipart("/staff/edit", &fields, None).await;
    assert_eq!(created.status(), 303);
    let location = created.headers()[header::LOCATION].to_str().expect("location").to_string();
    assert_eq!(location, "/staff/edit?path=getting-started/pay-with-paypal.md&saved=created");
    let file = content.path().join("getting-started/pay-with-paypal.md");
    assert_eq!(
        std::fs::read_to_string(&file).expect("created"),
        "---\ntitle: Pay with PayPal\ndraft: true\n---\n\nChoose **PayPal** at checkout.\n\n![check out](check-out.png)\n"
    );
    let staff_sees =
        common::eventually(Duration::from_secs(5), || async { editor.get("/articles/pay-with-paypal").await.0 == 200 })
            .await;
    assert!(staff_sees, "staff preview the draft at its address");
    assert_eq!(reqwest::get(editor.server.url("/articles/pay-with-paypal")).await.expect("get").status(), 404);
    // The same name again is refused: a new page never replaces a file.
    assert_eq!(editor.post_multipart("/staff/edit", &fields, None).await.status(), 409);

    // Publish.
    let (_, page) = editor.get(&location).await;
    assert!(page.contains("Page created as a draft"), "{page}");
    let mut fields = editor_fields(&page);
    fields.push(("action".into(), "publish".into()));
    assert_eq!(editor.post("/staff/edit", &fields).await.status(), 303);
    assert!(!std::fs::read_to_string(&file).expect("read").contains("draft"), "published: the key is gone");
    assert!(editor.public_page_shows("/articles/pay-with-paypal", "check-out.png").await, "public within 2 s");
}

#[tokio::test]
async fn viewers_strangers_and_other_sites_cannot_edit() {
    let content = common::copy_of_sample_content();
    let viewer = Editor::start(content.path(), "viewer").await;
    let (status, page) = viewer.get(&format!("/staff/edit?path={ARTICLE}")).await;
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("viewer"));
    assert_eq!(viewer.get("/staff/new").await.0, 403);
    assert_eq!(viewer.get(&format!("/staff/history?path={ARTICLE}")).await.0, 403);
    let before = std::fs::read_to_string(content.path().join(ARTICLE)).expect("read");
    let forged = vec![
        ("path".to_string(), ARTICLE.to_string()),
        ("title".to_string(), "Hacked".to_string()),
        ("body".to_string(), "x".to_string()),
        ("action".to_string(), "publish".to_string()),
    ];
    assert_eq!(viewer.post("/staff/edit", &forged).await.status(), 403);
    let anonymous = common::raw_client().get(viewer.server.url(&format!("/staff/edit?path={ARTICLE}"))).send();
    assert_eq!(anonymous.await.expect("get").status(), 303, "to the sign-in form");
    assert_eq!(std::fs::read_to_string(content.path().join(ARTICLE)).expect("read"), before);
    drop(viewer);

    let editor = Editor::start(content.path(), "editor").await;
    // No file outside the content folder, no snippet or hidden folder, no other type.
    for path in [
        "../quire.toml",
        "/etc/passwd",
        "getting-started/../../x.md",
        "_snippets/a.md",
        ".git/config",
        "getting-started/_meta.yml",
    ] {
        let (status, _) = editor.get(&format!("/staff/edit?path={}", common::form_value(path))).await;
        assert_eq!(status, 404, "{path}");
    }
    // A post from another site (no same-site Origin) or without the token is refused.
    let (_, page) = editor.get(&format!("/staff/edit?path={ARTICLE}")).await;
    let mut fields = editor_fields(&page);
    set(&mut fields, "title", "Changed");
    fields.push(("action".into(), "publish".into()));
    let cross_site = editor
        .client
        .post(editor.server.url("/staff/edit"))
        .header(header::COOKIE, &editor.session)
        .header(header::ORIGIN, "https://evil.example")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&fields).finish())
        .send()
        .await
        .expect("post");
    assert_eq!(cross_site.status(), 403);
    set(&mut fields, "csrf", "0000");
    assert_eq!(editor.post("/staff/edit", &fields).await.status(), 403);
    assert_eq!(std::fs::read_to_string(content.path().join(ARTICLE)).expect("read"), before, "nothing written");
}

#[tokio::test]
async fn without_git_the_last_versions_are_kept_in_the_data_folder() {
    let content = common::copy_of_sample_content();
    let editor = Editor::start(content.path(), "editor").await;
    for word in ["first", "second", "third"] {
        let (_, page) = editor.get(&format!("/staff/edit?path={ARTICLE}")).await;
        let mut fields = editor_fields(&page);
        let body = format!("{}\nThe {word} change.\n", get_field(&fields, "body"));
        set(&mut fields, "body", &body);
        set(&mut fields, "message", &format!("{word} change"));
        fields.push(("action".into(), "publish".into()));
        assert_eq!(editor.post("/staff/edit", &fields).await.status(), 303);
    }
    let (status, history) = editor.get(&format!("/staff/history?path={ARTICLE}")).await;
    assert_eq!(status, 200);
    assert!(history.contains("third change") && history.contains("second change") && history.contains("first change"));
    assert!(history.contains("data folder"), "says where versions are kept");
    let versions = editor.server.data.path().join("versions");
    assert!(versions.is_dir() && std::fs::read_dir(&versions).expect("list").count() == 1, "one folder for the file");
}

#[tokio::test]
async fn a_server_killed_while_saving_leaves_the_old_or_the_new_file_never_half() {
    let content = common::copy_of_sample_content();
    let file = content.path().join(ARTICLE);
    let editor = Editor::start(content.path(), "editor").await;
    let (_, page) = editor.get(&format!("/staff/edit?path={ARTICLE}")).await;
    let fields = editor_fields(&page);
    // A long text (1.5 MB) makes the write take long enough to be interrupted.
    let long_body = format!("Version two.\n\n{}", "A long paragraph of help text.\n".repeat(50_000));
    let mut save = fields.clone();
    set(&mut save, "body", &long_body);
    save.push(("action".into(), "publish".into()));
    let old = std::fs::read_to_string(&file).expect("read");
    let body: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&save).finish();
    let request = editor
        .client
        .post(editor.server.url("/staff/edit"))
        .header(header::COOKIE, &editor.session)
        .header(header::ORIGIN, &editor.server.base)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send();
    let pid = editor.server.pid();
    let killer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(30)).await;
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    });
    let _ = request.await;
    killer.await.expect("killer");
    let now = std::fs::read_to_string(&file).expect("read");
    let complete_new =
        now.starts_with("---\n") && now.ends_with("A long paragraph of help text.\n") && now.contains("Version two.");
    assert!(now == old || complete_new, "the file is whole: {} bytes", now.len());
}

#[tokio::test]
async fn a_page_moved_to_another_folder_keeps_its_address_and_its_history() {
    let Some(content) = content_in_git() else { return };
    let editor = Editor::start(content.path(), "editor").await;
    let (_, page) = editor.get(&format!("/staff/edit?path={ARTICLE}")).await;
    assert!(page.contains(r#"<option value="getting-started" selected>"#), "its folder is chosen");
    let mut fields = editor_fields(&page);
    fields.push(("folder".into(), "writing-articles/basics".into()));
    fields.push(("action".into(), "publish".into()));
    let moved = editor.post("/staff/edit", &fields).await;
    assert_eq!(moved.status(), 303);
    let location = moved.headers()[header::LOCATION].to_str().expect("location").to_string();
    assert!(location.starts_with("/staff/edit?path=writing-articles/basics/what-is-quire.md"), "{location}");
    assert!(!content.path().join(ARTICLE).exists(), "the old file is gone");
    assert!(content.path().join("writing-articles/basics/what-is-quire.md").is_file());
    // One commit holds the move, and nothing is left uncommitted.
    let changed = git(content.path(), &["show", "--name-status", "--format=%an", "HEAD"]).expect("show");
    assert!(changed.starts_with("ann"), "{changed}");
    assert!(changed.contains("getting-started/what-is-quire.md"), "{changed}");
    assert_eq!(git(content.path(), &["status", "--porcelain"]).expect("status").trim(), "");
    // Same address, now under the other category.
    let listed = common::eventually(Duration::from_secs(3), || async {
        let page = reqwest::get(editor.server.url("/categories/writing-articles")).await.expect("get");
        page.text().await.is_ok_and(|page| page.contains("/articles/what-is-quire"))
    })
    .await;
    assert!(listed, "listed in its new category");
    assert_eq!(reqwest::get(editor.server.url("/articles/what-is-quire")).await.expect("get").status(), 200);
    // A page cannot be moved onto another page's file.
    let (_, page) = editor.get("/staff/edit?path=writing-articles/basics/what-is-quire.md").await;
    std::fs::write(content.path().join("getting-started/what-is-quire.md"), "---\ntitle: Another\n---\nx\n")
        .expect("write");
    let mut fields = editor_fields(&page);
    fields.push(("folder".into(), "getting-started".into()));
    fields.push(("action".into(), "publish".into()));
    assert_eq!(editor.post("/staff/edit", &fields).await.status(), 409);
    assert!(content.path().join("writing-articles/basics/what-is-quire.md").is_file(), "nothing moved");
}
