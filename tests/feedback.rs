//! "Was this article helpful?" over real HTTP against the real binary and its SQLite
//! file: the no-JavaScript form flow, the JSON flow, revotes, the cross-site and rate
//! limits, validation, counters, concurrency and durability across SIGKILL.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{eventually, raw_client, sample_content, set_cookie, Server};
use quire::feedback::{Arrival, FeedbackStore, Reason};
use quire::store::Store;
use reqwest::header;

const OPEN_LIMITS: &str =
    "[feedback]\nwrites_per_minute = 1000000\npublic_counts = \"always\"\npublic_counts_refresh_seconds = 0\n";

/// A form post as the site's own page would send it; a vote comes from a new reader
/// (a visitor cookie a page view set earlier).
fn post(client: &reqwest::Client, server: &Server, path: &str, body: &str) -> reqwest::RequestBuilder {
    let cookie = if path == "/feedback" { common::reader_cookie(server) } else { String::new() };
    post_as(client, server, path, body, &cookie)
}

/// A form post with the given cookies (`name=value; …`).
fn post_as(
    client: &reqwest::Client,
    server: &Server,
    path: &str,
    body: &str,
    cookies: &str,
) -> reqwest::RequestBuilder {
    let request = client
        .post(server.url(path))
        .header(header::ORIGIN, &server.base)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body.to_string());
    if cookies.is_empty() {
        request
    } else {
        request.header(header::COOKIE, cookies.to_string())
    }
}

fn store_of(server: &Server) -> Store {
    Store::open(server.data.path()).expect("open the server's database")
}

#[tokio::test]
async fn voting_without_javascript_records_vote_effort_reasons_and_comment() {
    let server = Server::start_with_config(&sample_content(), OPEN_LIMITS);
    let client = raw_client();

    let page =
        client.get(server.url("/articles/install-and-run")).send().await.expect("get").text().await.expect("body");
    assert!(page.contains("Was this article helpful?"), "the article ends with the question");
    assert!(page.contains(r#"action="/feedback""#) && page.contains(r#"name="page" value="install-and-run""#));

    let visitor = common::reader_cookie(&server);
    let response = post_as(&client, &server, "/feedback", "page=install-and-run&helpful=no&arrival=browse", &visitor)
        .send()
        .await
        .expect("vote");
    assert_eq!(response.status(), 303);
    let location = response.headers()[header::LOCATION].to_str().expect("location").to_string();
    assert!(location.starts_with("/feedback?ticket="), "{location}");
    assert!(set_cookie(&response, "quire_visitor").is_none(), "votes never mint visitor cookies");

    let follow_up = client
        .get(server.url(&location))
        .header(header::COOKIE, &visitor)
        .send()
        .await
        .expect("follow-up")
        .text()
        .await
        .expect("body");
    assert!(follow_up.contains("How easy was this article to use"), "effort question");
    assert_eq!(follow_up.matches(r#"name="effort""#).count(), 7, "a 7-point scale by default");
    assert!(follow_up.contains(r#"value="missing-steps""#) && follow_up.contains("Contact support"));
    let (went_wrong, effort) = (follow_up.find("What went wrong?"), follow_up.find("How easy was this"));
    assert!(went_wrong < effort && went_wrong.is_some(), "after No, what went wrong is asked first");
    let ticket = location.trim_start_matches("/feedback?ticket=").replace("%2E", ".");

    let details =
        format!("ticket={ticket}&effort=6&reason=missing-steps&reason=outdated&comment=Step+3+fails+on+Windows");
    let response = post(&client, &server, "/feedback/details", &details)
        .header(header::COOKIE, &visitor)
        .send()
        .await
        .expect("details");
    // Post, redirect, get: reloading the thanks page sends nothing again.
    assert_eq!(response.status(), 303);
    let thanks_at = response.headers()[header::LOCATION].to_str().expect("location").to_string();
    assert!(thanks_at.starts_with("/feedback/thanks?ticket="), "{thanks_at}");
    for _reload in 0..2 {
        let thanks = client.get(server.url(&thanks_at)).header(header::COOKIE, &visitor).send().await.expect("thanks");
        assert_eq!(thanks.status(), 200);
        let thanks = thanks.text().await.expect("body");
        assert!(thanks.contains("Thank you") && thanks.contains("/contact?page=install-and-run"), "{thanks}");
        assert!(thanks.contains(r#"href="/articles/install-and-run#feedback-install-and-run""#), "{thanks}");
    }
    let stranger = client.get(server.url(&thanks_at)).send().await.expect("thanks without the cookie");
    assert_eq!(stranger.status(), 404, "a thanks page is the voter's only");

    let store = store_of(&server);
    let votes = store.votes_between(0, i64::MAX).expect("votes");
    assert_eq!(votes.len(), 1);
    let vote = &votes[0];
    assert_eq!((vote.page.as_str(), vote.helpful, vote.effort), ("install-and-run", false, Some(6)));
    assert_eq!(vote.reasons, vec![Reason::MissingSteps, Reason::Outdated]);
    assert_eq!(vote.comment.as_deref(), Some("Step 3 fails on Windows"));
    assert_eq!(vote.arrival, Arrival::Browse);
    assert_eq!(vote.scale.points, 7);
    assert_eq!(vote.revision.len(), 16, "the article's revision is recorded");
    // The database holds a keyed hash, never the cookie value itself.
    let cookie_value = visitor.trim_start_matches("quire_visitor=");
    let raw = std::fs::read(store.path()).expect("read db");
    let text = String::from_utf8_lossy(&raw);
    assert!(!text.contains(cookie_value) && !text.contains("127.0.0.1"), "no raw cookie or IP stored");
}

#[tokio::test]
async fn voting_again_replaces_the_vote_and_the_public_count_follows() {
    let server = Server::start_with_config(&sample_content(), OPEN_LIMITS);
    let client = raw_client();
    let cookie = common::reader_cookie(&server);
    let first =
        post_as(&client, &server, "/feedback", "page=search-tips&helpful=yes", &cookie).send().await.expect("vote");
    assert_eq!(first.status(), 303);
    let again =
        post_as(&client, &server, "/feedback", "page=search-tips&helpful=no", &cookie).send().await.expect("revote");
    assert_eq!(again.status(), 303);
    post(&client, &server, "/feedback", "page=search-tips&helpful=yes").send().await.expect("another visitor");

    let store = store_of(&server);
    assert_eq!(store.vote_total().expect("total"), 2, "the revote replaced the first vote");
    let page = client.get(server.url("/articles/search-tips")).send().await.expect("get").text().await.expect("body");
    assert!(page.contains("1 of 2 people found this helpful"), "public count shown");
}

#[tokio::test]
async fn javascript_flow_answers_with_the_next_step_as_json() {
    let server = Server::start_with_config(&sample_content(), OPEN_LIMITS);
    let client = raw_client();
    let visitor = common::reader_cookie(&server);
    let response = post_as(&client, &server, "/feedback", "page=quire%23do-i-need-a-database&helpful=yes", &visitor)
        .header(header::ACCEPT, "application/json")
        .send()
        .await
        .expect("vote");
    assert_eq!(response.status(), 200);
    let json: serde_json::Value = response.json().await.expect("json");
    let ticket = json["ticket"].as_str().expect("ticket").to_string();
    let html = json["html"].as_str().expect("html");
    assert!(html.contains(r#"name="effort""#) && !html.contains(r#"name="reason""#), "effort only after yes");
    let response = post(&client, &server, "/feedback/details", &format!("ticket={ticket}&effort=2"))
        .header(header::ACCEPT, "application/json")
        .header(header::COOKIE, visitor.clone())
        .send()
        .await
        .expect("details");
    let json: serde_json::Value = response.json().await.expect("json");
    assert!(json["html"].as_str().expect("html").contains("Thank you"));
    let votes = store_of(&server).votes_between(0, i64::MAX).expect("votes");
    assert_eq!((votes[0].page.as_str(), votes[0].effort), ("quire#do-i-need-a-database", Some(2)));

    // Every FAQ answer has its own form.
    let faq = client.get(server.url("/faq/quire")).send().await.expect("faq").text().await.expect("body");
    assert!(faq.matches("Was this answer helpful?").count() >= 5);
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let server = Server::start_with_config(&sample_content(), OPEN_LIMITS);
    let client = raw_client();
    let body = "page=search-tips&helpful=yes";
    let bare = client
        .post(server.url("/feedback"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(bare.status(), 403, "no Origin and no Sec-Fetch-Site");
    assert!(bare.text().await.expect("body").contains("Origin"));
    for (name, value) in [("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")] {
        let response = client
            .post(server.url("/feedback"))
            .header(name, value)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), 403, "{name}: {value}");
    }
    let same = client
        .post(server.url("/feedback"))
        .header("sec-fetch-site", "same-origin")
        .header(header::COOKIE, common::reader_cookie(&server))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(same.status(), 303);
    assert_eq!(store_of(&server).vote_total().expect("total"), 1, "only the same-origin vote counted");
}

#[tokio::test]
async fn bad_values_are_refused_with_what_is_accepted() {
    let server = Server::start_with_config(&sample_content(), OPEN_LIMITS);
    let client = raw_client();
    let cases = [
        ("/feedback", "page=search-tips&helpful=maybe".to_string(), 400, "`yes` or `no`"),
        ("/feedback", "page=no-such-article&helpful=yes".to_string(), 404, "no published article"),
        ("/feedback/details", "ticket=1.forged&effort=3".to_string(), 404, "not valid"),
    ];
    for (path, body, status, message) in cases {
        let response = post(&client, &server, path, &body).send().await.expect("post");
        assert_eq!(response.status(), status, "{body}");
        assert!(response.text().await.expect("body").contains(message), "{body}");
    }
    let visitor = common::reader_cookie(&server);
    let vote = post_as(&client, &server, "/feedback", "page=search-tips&helpful=no", &visitor)
        .header(header::ACCEPT, "application/json")
        .send()
        .await
        .expect("vote");
    let ticket = vote.json::<serde_json::Value>().await.expect("json")["ticket"].as_str().expect("ticket").to_string();
    let long_comment = "x".repeat(2_001);
    let bad_details = [
        (format!("ticket={ticket}&effort=8"), "from 1 to 7"),
        (format!("ticket={ticket}&effort=abc"), "from 1 to 7"),
        (format!("ticket={ticket}&reason=spam"), "accepted: did-not-answer"),
        (format!("ticket={ticket}&comment={long_comment}"), "at most 2000"),
    ];
    for (body, message) in bad_details {
        let response = post(&client, &server, "/feedback/details", &body)
            .header(header::COOKIE, &visitor)
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), 400);
        let text = response.text().await.expect("body");
        assert!(text.contains(message), "{text}");
    }
    let oversized = format!("page=search-tips&helpful=yes&comment={}", "y".repeat(40_000));
    let response = post(&client, &server, "/feedback", &oversized).send().await.expect("post");
    assert_eq!(response.status(), 413);
    let stored = store_of(&server).votes_between(0, i64::MAX).expect("votes");
    assert_eq!(stored.len(), 1);
    assert!(stored[0].effort.is_none() && stored[0].reasons.is_empty(), "nothing invalid was stored");
}

#[tokio::test]
async fn posts_are_rate_limited_per_client() {
    let server = Server::start_with_config(&sample_content(), "[feedback]\nwrites_per_minute = 3\n");
    let client = raw_client();
    for _ in 0..3 {
        let response = post(&client, &server, "/feedback", "page=search-tips&helpful=yes").send().await.expect("vote");
        assert_eq!(response.status(), 303);
    }
    let limited = post(&client, &server, "/feedback", "page=search-tips&helpful=yes").send().await.expect("vote");
    assert_eq!(limited.status(), 429);
    let retry: u64 = limited.headers()[header::RETRY_AFTER].to_str().expect("header").parse().expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
}

#[tokio::test]
async fn bots_and_honeypots_do_not_count() {
    let server = Server::start_with_config(&sample_content(), OPEN_LIMITS);
    let client = raw_client();
    let bot = post(&client, &server, "/feedback", "page=search-tips&helpful=yes")
        .header(header::USER_AGENT, "Mozilla/5.0 (compatible; Googlebot/2.1)")
        .send()
        .await
        .expect("bot");
    assert_eq!(bot.status(), 200, "thanked");
    let filled = post(&client, &server, "/feedback", "page=search-tips&helpful=yes&website=http%3A%2F%2Fspam")
        .send()
        .await
        .expect("honeypot");
    assert_eq!(filled.status(), 200);
    assert_eq!(store_of(&server).vote_total().expect("total"), 0);
}

#[tokio::test]
async fn views_and_contact_clicks_are_counted_per_day() {
    let server = Server::start_with_config(&sample_content(), OPEN_LIMITS);
    let client = raw_client();
    for _ in 0..3 {
        client.get(server.url("/articles/configure-quire")).send().await.expect("view");
    }
    client
        .get(server.url("/articles/configure-quire"))
        .header(header::USER_AGENT, "bingbot/2.0")
        .send()
        .await
        .expect("bot view");
    let contact = navigate(&client, &server, "/contact?page=configure-quire").await;
    assert_eq!(contact.status(), 303);
    assert_eq!(contact.headers()[header::LOCATION], "mailto:support@example.com");
    let store = store_of(&server);
    // Counters are written in batches every few seconds.
    let counted = eventually(Duration::from_secs(12), || async {
        store.counts_between(0, i64::MAX).expect("counts").iter().any(|c| c.views == 3 && c.escalations == 1)
    })
    .await;
    assert!(counted, "{:?}", store.counts_between(0, i64::MAX));
}

#[tokio::test]
async fn fifty_clients_cast_five_thousand_votes_and_every_one_counts() {
    let server = Server::start_with_config(&sample_content(), OPEN_LIMITS);
    let pages: Vec<String> = {
        let store_pages = quire::content::load(&sample_content(), &quire::content::LoadOptions::default());
        store_pages.published().map(|a| a.slug.clone()).collect()
    };
    let base = server.base.clone();
    let mut tasks = Vec::new();
    for client_number in 0..50usize {
        let pages = pages.clone();
        let base = base.clone();
        let cookie = common::reader_cookie(&server);
        tasks.push(tokio::spawn(async move {
            let client = raw_client();
            let mut voted = HashSet::new();
            for k in 0..100usize {
                let page = &pages[(client_number + k) % pages.len()];
                let helpful = if (client_number + k) % 3 == 0 { "no" } else { "yes" };
                let request = client
                    .post(format!("{base}/feedback"))
                    .header(header::ORIGIN, &base)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(format!("page={page}&helpful={helpful}"))
                    .header(header::COOKIE, &cookie);
                let response = request.send().await.expect("vote");
                assert_eq!(response.status(), 303, "every vote is acknowledged");
                voted.insert(page.clone());
            }
            voted.len()
        }));
    }
    let mut distinct = 0;
    for task in tasks {
        distinct += task.await.expect("client");
    }
    // 5,000 votes were cast; each client's repeat votes on a page replaced its earlier one.
    assert_eq!(store_of(&server).vote_total().expect("total"), distinct as u64);
    let client = raw_client();
    let session = common::staff_session(&client, &server).await;
    let api: serde_json::Value = client
        .get(server.url("/staff/api/metrics?days=7"))
        .header(header::COOKIE, session)
        .send()
        .await
        .expect("api")
        .json()
        .await
        .expect("json");
    assert_eq!(api["total"]["votes"], distinct, "the dashboard counts every current vote");
    assert!(distinct < 5_000 && distinct >= 50 * pages.len().min(100), "{distinct}");
}

#[tokio::test]
async fn acknowledged_votes_survive_sigkill() {
    let server = Server::start_with_config(&sample_content(), OPEN_LIMITS);
    let base = server.base.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    let key = common::server_key(&server);
    for _ in 0..8 {
        let base = base.clone();
        let stop = std::sync::Arc::clone(&stop);
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            let client = raw_client();
            let mut acknowledged = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let response = client
                    .post(format!("{base}/feedback"))
                    .header(header::ORIGIN, &base)
                    .header(header::COOKIE, common::reader_cookie_with(&key))
                    .header(header::ACCEPT, "application/json")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body("page=install-and-run&helpful=yes")
                    .send()
                    .await;
                let Ok(response) = response else { break };
                if !response.status().is_success() {
                    break;
                }
                let Ok(json) = response.json::<serde_json::Value>().await else { break };
                if let Some(ticket) = json["ticket"].as_str() {
                    acknowledged.push(ticket.split('.').next().unwrap_or("").parse::<i64>().expect("vote id"));
                }
            }
            acknowledged
        }));
    }
    // Let the load run, then kill the server mid-stream.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let data = server.kill_hard();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut acknowledged = Vec::new();
    for task in tasks {
        acknowledged.extend(task.await.expect("client"));
    }
    assert!(acknowledged.len() > 50, "the load ran ({} votes)", acknowledged.len());

    let restarted = Server::start_in(&sample_content(), data, &[]);
    let store = store_of(&restarted);
    let stored: HashSet<i64> = store.votes_between(0, i64::MAX).expect("votes").iter().map(|v| v.id).collect();
    let lost: Vec<&i64> = acknowledged.iter().filter(|id| !stored.contains(id)).collect();
    assert!(lost.is_empty(), "{} acknowledged votes lost: {lost:?}", lost.len());
}

/// A small tmpfs, unmounted when dropped (after the server on it has been stopped).
struct SmallDisk {
    path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    /// Mounts a tmpfs of `megabytes`; `None` where mounting is not allowed (not root).
    fn mount(megabytes: u32) -> Option<Self> {
        let dir = tempfile::tempdir().expect("mount point");
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        status.success().then(|| Self { path: dir.path().to_path_buf(), _dir: dir })
    }

    /// Fills the disk, then frees `keep` bytes of the filler.
    fn fill_leaving(&self, keep: u64) -> std::path::PathBuf {
        use std::io::Write;
        let filler = self.path.join("filler");
        let mut file = std::fs::File::create(&filler).expect("filler");
        let block = vec![0u8; 16 * 1024];
        while file.write_all(&block).is_ok() {}
        let _ = file.flush();
        let written = std::fs::metadata(&filler).expect("filler size").len();
        file.set_len(written.saturating_sub(keep)).expect("free some space");
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

#[tokio::test]
async fn a_full_disk_gets_503_never_a_false_acknowledgement() {
    let Some(disk) = SmallDisk::mount(4) else {
        assert!(
            !common::required("QUIRE_REQUIRE_MOUNT"),
            "QUIRE_REQUIRE_MOUNT=1 but a tmpfs cannot be mounted (the full-disk test needs root)"
        );
        eprintln!("SKIPPED: the full-disk test mounts a small tmpfs, which needs root");
        return;
    };
    let data = tempfile::tempdir_in(&disk.path).expect("data folder on the small disk");
    std::fs::write(data.path().join("quire.toml"), OPEN_LIMITS).expect("config");
    let log = tempfile::NamedTempFile::new().expect("log file");
    let server = Server::start_logged(&sample_content(), data, &[], &[("RUST_LOG", "info")], Some(log.path()));
    let filler = disk.fill_leaving(1024 * 1024);

    // Votes from new readers (each a new row) until the store refuses a run of them.
    let client = raw_client();
    let mut acknowledged = Vec::new();
    let mut refused = 0;
    let mut first_refusal_retry_after = None;
    let key = common::server_key(&server);
    for _ in 0..20_000 {
        let response = client
            .post(server.url("/feedback"))
            .header(header::ORIGIN, &server.base)
            .header(header::COOKIE, common::reader_cookie_with(&key))
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body("page=install-and-run&helpful=no")
            .send()
            .await
            .expect("vote");
        let status = response.status();
        if status.is_success() {
            let json: serde_json::Value = response.json().await.expect("json");
            let ticket = json["ticket"].as_str().expect("ticket").to_string();
            acknowledged.push(ticket.split('.').next().unwrap_or("").parse::<i64>().expect("vote id"));
            continue;
        }
        assert_eq!(status, 503, "a refused write is 503, never another error");
        if first_refusal_retry_after.is_none() {
            first_refusal_retry_after = response.headers().get(header::RETRY_AFTER).cloned();
        }
        refused += 1;
        if refused >= 30 {
            break;
        }
    }
    assert!(refused >= 30, "the disk filled ({} votes acknowledged)", acknowledged.len());
    assert!(first_refusal_retry_after.is_some(), "503 says when to retry");
    assert!(!acknowledged.is_empty(), "votes were stored before the disk filled");
    // Readers are still served while writes are refused.
    let page = client.get(server.url("/articles/install-and-run")).send().await.expect("read");
    assert_eq!(page.status(), 200);

    // Space comes back: writes resume by themselves.
    std::fs::remove_file(&filler).expect("free the disk");
    let resumed = eventually(Duration::from_secs(10), || async {
        client
            .post(server.url("/feedback"))
            .header(header::ORIGIN, &server.base)
            .header(header::COOKIE, common::reader_cookie_with(&key))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body("page=install-and-run&helpful=yes")
            .send()
            .await
            .is_ok_and(|r| r.status() == 303)
    })
    .await;
    assert!(resumed, "votes are taken again once there is space");

    let stored: HashSet<i64> =
        store_of(&server).votes_between(0, i64::MAX).expect("votes").iter().map(|v| v.id).collect();
    let lost: Vec<&i64> = acknowledged.iter().filter(|id| !stored.contains(id)).collect();
    assert!(lost.is_empty(), "{} of {} acknowledged votes were not stored: {lost:?}", lost.len(), acknowledged.len());
    drop(server);
    let log = std::fs::read_to_string(log.path()).expect("log");
    assert_eq!(log.matches("the database cannot take writes").count(), 1, "logged once per burst:\n{log}");
    assert!(log.contains("the database takes writes again"), "{log}");
    eprintln!("full disk: {} votes acknowledged and stored, then {refused} refused with 503", acknowledged.len());
}

#[tokio::test]
async fn planted_search_cookies_wrong_scheme_origins_and_control_characters_are_handled() {
    let server = Server::start_with_config(&sample_content(), OPEN_LIMITS);
    let client = raw_client();
    // Another site can plant a search cookie naming a search that does not exist; the
    // vote still counts (it used to fail with a foreign key error, 500).
    let cookies = format!("{}; quire_search=987654321", common::reader_cookie(&server));
    let vote = post_as(&client, &server, "/feedback", "page=install-and-run&helpful=yes", &cookies)
        .send()
        .await
        .expect("vote");
    assert_eq!(vote.status(), 303);
    assert_eq!(store_of(&server).vote_total().expect("total"), 1);

    // An https page is another origin than this plain-http server.
    let https_origin = server.base.replace("http://", "https://");
    let forged = client
        .post(server.url("/feedback"))
        .header(header::ORIGIN, https_origin)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("page=install-and-run&helpful=no")
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), 403);

    // A `next` with CR/LF (or other control characters) is not followed after sign-in.
    server.add_staff("ann@example.com", "correct horse battery");
    let login = client.get(server.url("/staff/login")).send().await.expect("login page");
    let login_cookie = common::cookie_pair(&set_cookie(&login, "quire_login").expect("login cookie"));
    let page = login.text().await.expect("body");
    for next in ["%2Fstaff%0D%0ASet-Cookie%3A%20x%3D1", "%2Fstaff%2F%01", "%2Fstaff%7F"] {
        let body = format!(
            "csrf={}&next={next}&email=ann%40example.com&password=correct+horse+battery",
            common::hidden(&page, "csrf")
        );
        let response = post(&client, &server, "/staff/login", &body)
            .header(header::COOKIE, login_cookie.clone())
            .send()
            .await
            .expect("sign in");
        assert_eq!(response.status(), 303, "{next}");
        assert_eq!(response.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()), Some("/staff"), "{next}");
    }
}

/// Votes from `client_address` (as a proxy would name it) until the limit answers 429;
/// the number accepted.
async fn votes_until_limited(server: &Server, forwarded_for: &str) -> usize {
    let client = raw_client();
    for accepted in 0..20 {
        let response = post(&client, server, "/feedback", "page=install-and-run&helpful=yes")
            .header("x-forwarded-for", forwarded_for)
            .send()
            .await
            .expect("vote");
        if response.status() == 429 {
            return accepted;
        }
        assert_eq!(response.status(), 303);
    }
    20
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_customer_has_their_own_limit() {
    let limits = "[feedback]\nwrites_per_minute = 3\n";
    let proxied = Server::start_with_config(
        &sample_content(),
        &format!("{limits}[server]\ntrusted_proxies = [\"127.0.0.1/32\", \"::1\"]\n"),
    );
    assert_eq!(votes_until_limited(&proxied, "198.51.100.1").await, 3);
    assert_eq!(votes_until_limited(&proxied, "198.51.100.2").await, 3, "another customer behind the proxy");
    // A client that writes its own X-Forwarded-For in front of the proxy's gains nothing.
    assert_eq!(votes_until_limited(&proxied, "203.0.113.50, 198.51.100.1").await, 0);
    // IPv6 customers are limited per /64.
    assert_eq!(votes_until_limited(&proxied, "2001:db8:5:6::1").await, 3);
    assert_eq!(votes_until_limited(&proxied, "2001:db8:5:6::2").await, 0, "same /64");

    // Without trusted proxies the header is the client's own words and is ignored.
    let direct = Server::start_with_config(&sample_content(), limits);
    assert_eq!(votes_until_limited(&direct, "198.51.100.1").await, 3);
    assert_eq!(votes_until_limited(&direct, "198.51.100.2").await, 0, "a forged header is ignored");
}

/// A reader's browser following a link on one of the site's pages.
async fn navigate(client: &reqwest::Client, server: &Server, path: &str) -> reqwest::Response {
    client
        .get(server.url(path))
        .header("sec-fetch-site", "same-origin")
        .header("sec-fetch-mode", "navigate")
        .header("sec-fetch-dest", "document")
        .header(header::REFERER, server.url("/articles/configure-quire"))
        .send()
        .await
        .expect("navigate")
}

#[tokio::test]
async fn only_readers_count_as_views_votes_and_escalations() {
    let server = Server::start_with_config(&sample_content(), OPEN_LIMITS);
    let client = raw_client();
    // One real view, then requests that are not a reader looking at the page.
    navigate(&client, &server, "/articles/search-tips").await;
    let not_readers = [
        "curl/8.5.0",
        "Python-urllib/3.11",
        "Go-http-client/1.1",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
        "Scrapy/2.11.0 (+https://scrapy.org)",
        "Mozilla/5.0 (compatible; Google-InspectionTool/1.0;)",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "",
    ];
    for agent in not_readers {
        client.get(server.url("/articles/search-tips")).header(header::USER_AGENT, agent).send().await.expect("bot");
    }
    client.head(server.url("/articles/search-tips")).send().await.expect("head");
    client.get(server.url("/articles/search-tips")).header("sec-fetch-dest", "image").send().await.expect("embed");
    client.get(server.url("/articles/search-tips")).header("sec-purpose", "prefetch").send().await.expect("prefetch");

    // A FAQ page view is a view of each of its questions; the page is no row of its own.
    navigate(&client, &server, "/faq/quire").await;

    // Escalations: a navigation from a help page counts once per reader, page and day;
    // an image tag on another site, a HEAD and a bot count nothing.
    for _ in 0..3 {
        navigate(&client, &server, "/contact?page=search-tips").await;
    }
    client
        .get(server.url("/contact?page=search-tips"))
        .header("sec-fetch-site", "cross-site")
        .header("sec-fetch-dest", "image")
        .send()
        .await
        .expect("image tag elsewhere");
    client.get(server.url("/contact?page=search-tips")).send().await.expect("no referer, no metadata");
    client.head(server.url("/contact?page=search-tips")).send().await.expect("head");

    // Votes from scripts are thanked and not stored.
    for agent in ["curl/8.5.0", ""] {
        let vote = post(&client, &server, "/feedback", "page=search-tips&helpful=yes")
            .header(header::USER_AGENT, agent)
            .send()
            .await
            .expect("script vote");
        assert_eq!(vote.status(), 200, "{agent:?} is thanked");
    }
    let store = store_of(&server);
    assert_eq!(store.vote_total().expect("total"), 0);

    let faq_questions: Vec<String> = {
        let library = quire::content::load(&sample_content(), &quire::content::LoadOptions::default());
        let faq = library.faqs.iter().find(|f| f.slug == "quire").expect("the sample FAQ page");
        faq.questions.iter().map(|q| format!("quire#{}", q.id)).collect()
    };
    let settled = eventually(Duration::from_secs(12), || async {
        let counts = store.counts_between(0, i64::MAX).expect("counts");
        counts.iter().any(|c| c.page == "search-tips" && c.views == 1 && c.escalations == 1)
            && faq_questions.iter().all(|q| counts.iter().any(|c| &c.page == q && c.views == 1))
            && store.excluded_between(0, i64::MAX).expect("excluded") == 11
    })
    .await;
    let counts = store.counts_between(0, i64::MAX).expect("counts");
    assert!(settled, "{counts:?}, excluded {:?}", store.excluded_between(0, i64::MAX));
    assert!(counts.iter().all(|c| c.page != "quire"), "no row for the FAQ page itself: {counts:?}");
    let search_tips = counts.iter().find(|c| c.page == "search-tips").expect("row");
    assert_eq!((search_tips.views, search_tips.escalations), (1, 1));

    // Staff see how much was left out.
    let session = common::staff_session(&client, &server).await;
    let overview = client
        .get(server.url("/staff"))
        .header(header::COOKIE, session)
        .send()
        .await
        .expect("overview")
        .text()
        .await
        .expect("body");
    assert!(overview.contains("Not counted as views: 11 page requests"), "{overview}");
}

#[tokio::test]
async fn vote_tickets_are_bound_to_the_voter_the_answer_and_a_day() {
    let server = Server::start_with_config(&sample_content(), OPEN_LIMITS);
    let client = raw_client();
    let vote = |body: &'static str, cookie: &str| {
        post_as(&client, &server, "/feedback", body, cookie).header(header::ACCEPT, "application/json").send()
    };
    let ann = common::reader_cookie(&server);
    let no = vote("page=search-tips&helpful=no", &ann).await.expect("vote");
    let ticket = no.json::<serde_json::Value>().await.expect("json")["ticket"].as_str().expect("ticket").to_string();
    let details = |cookie: &str, ticket: &str| {
        post(&client, &server, "/feedback/details", &format!("ticket={ticket}&effort=7&comment=mine"))
            .header(header::COOKIE, cookie.to_string())
            .send()
    };
    // Someone else holding the ticket cannot write into Ann's vote.
    let bob = common::reader_cookie(&server);
    vote("page=install-and-run&helpful=yes", &bob).await.expect("vote");
    assert_eq!(details(&bob, &ticket).await.expect("post").status(), 404);
    assert_eq!(details("quire_visitor=nobody", &ticket).await.expect("post").status(), 404);

    // The follow-up does not move the vote's time.
    let store = store_of(&server);
    let at_before =
        store.votes_between(0, i64::MAX).expect("votes").iter().find(|v| v.page == "search-tips").expect("vote").at;
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(details(&ann, &ticket).await.expect("post").status(), 303);
    let vote_row =
        store.votes_between(0, i64::MAX).expect("votes").into_iter().find(|v| v.page == "search-tips").expect("vote");
    assert_eq!((vote_row.at, vote_row.comment.as_deref()), (at_before, Some("mine")));

    // Ann changes her answer: the old "No" ticket cannot annotate her "Yes".
    vote("page=search-tips&helpful=yes", &ann).await.expect("revote");
    assert_eq!(details(&ann, &ticket).await.expect("post").status(), 404);

    // A ticket older than a day is refused (made with the server's own key).
    let key = quire::auth::ServerKey::load_or_create(server.data.path()).expect("key");
    let id = ticket.split('.').next().expect("id");
    let visitor = key.visitor_id(ann.trim_start_matches("quire_visitor="));
    let old = key.sign(&format!("{id}.1.{}.{}", chrono::Utc::now().timestamp() - 25 * 3_600, &visitor[..12]));
    assert_eq!(details(&ann, &old).await.expect("post").status(), 404);
    let fresh = key.sign(&format!("{id}.1.{}.{}", chrono::Utc::now().timestamp(), &visitor[..12]));
    assert_eq!(details(&ann, &fresh).await.expect("post").status(), 303, "the same ticket, fresh, works");
}

#[tokio::test]
async fn only_votes_after_a_page_view_count() {
    // The default: a vote counts from a visitor cookie a page view set 2 s before.
    let server = Server::start(&sample_content());
    let client = raw_client();
    let vote = |cookie: Option<String>| {
        let mut request = client
            .post(server.url("/feedback"))
            .header(header::ORIGIN, &server.base)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .body("page=search-tips&helpful=yes");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.send()
    };
    // Scripted votes that never loaded a page, or with a made-up cookie: thanked, not stored.
    for cookie in
        [None, Some("quire_visitor=0123456789abcdef".to_string()), Some(format!("quire_visitor={}", "a".repeat(64)))]
    {
        let response = vote(cookie).await.expect("vote");
        assert_eq!(response.status(), 200, "answered politely");
        let json: serde_json::Value = response.json().await.expect("json");
        assert!(json["ticket"].is_null(), "no follow-up for an uncounted vote");
    }
    // A page view sets the cookie (once: a reader who has one keeps it).
    let page = client
        .get(server.url("/articles/search-tips"))
        .header("sec-fetch-dest", "document")
        .send()
        .await
        .expect("view");
    let set = set_cookie(&page, "quire_visitor").expect("the page view sets the visitor cookie");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"), "{set}");
    assert!(page.headers()[header::CACHE_CONTROL].to_str().expect("ascii").contains("private"));
    let cookie = common::cookie_pair(&set);
    let again =
        client.get(server.url("/articles/search-tips")).header(header::COOKIE, &cookie).send().await.expect("view");
    assert!(set_cookie(&again, "quire_visitor").is_none());
    // At once after the page view: too fast to be a reader.
    vote(Some(cookie.clone())).await.expect("vote");
    assert_eq!(store_of(&server).vote_total().expect("total"), 0);
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let counted = vote(Some(cookie)).await.expect("vote");
    assert!(counted.json::<serde_json::Value>().await.expect("json")["ticket"].is_string());
    assert_eq!(store_of(&server).vote_total().expect("total"), 1, "the reader's vote counts");
}

#[tokio::test]
async fn readers_are_counted_once_per_page_and_day_beside_views() {
    let server = Server::start_with_config(&sample_content(), OPEN_LIMITS);
    let client = raw_client();
    // Ann reads the article three times (her browser keeps the cookie the first view set).
    let first = navigate(&client, &server, "/articles/search-tips").await;
    let ann = common::cookie_pair(&set_cookie(&first, "quire_visitor").expect("cookie"));
    for _ in 0..2 {
        client.get(server.url("/articles/search-tips")).header(header::COOKIE, &ann).send().await.expect("view");
    }
    // Bob reads it once.
    navigate(&client, &server, "/articles/search-tips").await;
    let store = store_of(&server);
    let counted = eventually(Duration::from_secs(12), || async {
        store.counts_between(0, i64::MAX).expect("counts").iter().any(|c| c.page == "search-tips" && c.views == 4)
    })
    .await;
    let counts = store.counts_between(0, i64::MAX).expect("counts");
    assert!(counted, "{counts:?}");
    let row = counts.iter().find(|c| c.page == "search-tips").expect("row");
    assert_eq!((row.views, row.readers), (4, 2), "4 views by 2 readers");
}

#[tokio::test]
async fn days_are_the_sites_calendar_days() {
    // At every moment the date in Kiritimati (UTC+14) is one or two days after the date
    // in Pago Pago (UTC-11): views counted "per day" must fall on different days.
    let east = Server::start_with_config(&sample_content(), "[site]\ntime_zone = \"Pacific/Kiritimati\"\n");
    let west = Server::start_with_config(&sample_content(), "[site]\ntime_zone = \"Pacific/Pago_Pago\"\n");
    let client = raw_client();
    navigate(&client, &east, "/articles/search-tips").await;
    navigate(&client, &west, "/articles/search-tips").await;
    let day_of = |server: &Server| {
        let store = store_of(server);
        async move {
            let mut day = None;
            for _ in 0..60 {
                day = store.counts_between(0, i64::MAX).expect("counts").first().map(|c| c.day);
                if day.is_some() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            day.expect("the view was counted")
        }
    };
    let (east_day, west_day) = tokio::join!(day_of(&east), day_of(&west));
    assert!((1..=2).contains(&(east_day - west_day)), "east {east_day}, west {west_day}");
    let utc_day = chrono::Utc::now().timestamp().div_euclid(86_400);
    assert!(east_day >= utc_day && west_day <= utc_day, "east {east_day}, UTC {utc_day}, west {west_day}");
}
