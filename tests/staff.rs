//! The staff side over real HTTP: accounts made with `quire staff add`, the login
//! form with its CSRF token and throttling, sessions, the dashboard pages, the inbox,
//! exports and the metrics API, and escaping of what customers wrote.

mod common;

use common::{
    cookie_pair as pair, form_value as encode, hidden, raw_client, sample_content, set_cookie, sign_in, Server,
};
use reqwest::header;

const CONFIG: &str = "[feedback]\nwrites_per_minute = 1000000\n";
const EMAIL: &str = "ann@example.com";
const PASSWORD: &str = "correct horse battery";

fn form(client: &reqwest::Client, server: &Server, path: &str, body: String) -> reqwest::RequestBuilder {
    client
        .post(server.url(path))
        .header(header::ORIGIN, &server.base)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
}

/// A signed-in session cookie pair for the account made with `server.add_staff`.
async fn session(client: &reqwest::Client, server: &Server) -> String {
    let response = sign_in(client, server, EMAIL, PASSWORD).await;
    assert_eq!(response.status(), 303, "signed in");
    pair(&set_cookie(&response, "quire_staff").expect("session cookie"))
}

async fn get(client: &reqwest::Client, server: &Server, path: &str, cookie: &str) -> reqwest::Response {
    client.get(server.url(path)).header(header::COOKIE, cookie).send().await.expect("get")
}

#[tokio::test]
async fn staff_pages_require_a_session() {
    let server = Server::start_with_config(&sample_content(), CONFIG);
    let client = raw_client();
    for path in [
        "/staff",
        "/staff/pages?sort=views",
        "/staff/page?key=search-tips",
        "/staff/attention",
        "/staff/search",
        "/staff/inbox",
        "/staff/export/feedback.csv",
        "/staff/export/metrics.csv",
    ] {
        let response = client.get(server.url(path)).send().await.expect("get");
        assert_eq!(response.status(), 303, "{path}");
        let location = response.headers()[header::LOCATION].to_str().expect("location");
        assert!(location.starts_with("/staff/login?next=/staff"), "{path} → {location}");
    }
    let api = client.get(server.url("/staff/api/metrics")).send().await.expect("api");
    assert_eq!(api.status(), 401);
    let forged = client
        .get(server.url("/staff"))
        .header(header::COOKIE, "quire_staff=0000000000000000000000000000000000000000000000000000000000000000")
        .send()
        .await
        .expect("forged");
    assert_eq!(forged.status(), 303, "an unknown session token is no session");
}

#[tokio::test]
async fn login_needs_its_token_and_throttles_wrong_passwords() {
    let server = Server::start_with_config(&sample_content(), CONFIG);
    server.add_staff(EMAIL, PASSWORD);
    let client = raw_client();

    // No CSRF token/cookie: refused even with the right password.
    let body = format!("email={}&password={}", encode(EMAIL), encode(PASSWORD));
    let response = form(&client, &server, "/staff/login", body).send().await.expect("post");
    assert_eq!(response.status(), 403);
    assert!(set_cookie(&response, "quire_staff").is_none());

    let wrong = sign_in(&client, &server, EMAIL, "wrong password!").await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.text().await.expect("body").contains("email or password is not correct"));
    for _ in 0..4 {
        sign_in(&client, &server, EMAIL, "wrong password!").await;
    }
    let locked = sign_in(&client, &server, EMAIL, PASSWORD).await;
    assert_eq!(locked.status(), 429, "locked after 5 failures, even with the right password");
    assert!(locked.headers().contains_key(header::RETRY_AFTER));
    assert!(set_cookie(&locked, "quire_staff").is_none());

    // Another account from the same address is not locked by these five.
    server.add_staff("bob@example.com", "another long password");
    let bob = sign_in(&client, &server, "bob@example.com", "another long password").await;
    assert_eq!(bob.status(), 303);
    let cookie = set_cookie(&bob, "quire_staff").expect("session");
    // The whole site (drafts are previewed at their real address), script-proof, same-site only.
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/;"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
}

#[tokio::test]
async fn dashboard_shows_metrics_inbox_and_exports_with_customer_text_escaped() {
    let server = Server::start_with_config(&sample_content(), CONFIG);
    server.add_staff(EMAIL, PASSWORD);
    let client = raw_client();

    // Customers: 3 yes and 1 no with a hostile comment on one article; a search that
    // finds nothing.
    for helpful in ["yes", "yes", "yes"] {
        form(&client, &server, "/feedback", format!("page=search-tips&helpful={helpful}&arrival=search"))
            .header(header::COOKIE, common::reader_cookie(&server))
            .send()
            .await
            .expect("vote");
    }
    let reader = common::reader_cookie(&server);
    let vote = form(&client, &server, "/feedback", "page=search-tips&helpful=no&arrival=browse".into())
        .header(header::ACCEPT, "application/json")
        .header(header::COOKIE, &reader)
        .send()
        .await
        .expect("vote");
    let ticket = vote.json::<serde_json::Value>().await.expect("json")["ticket"].as_str().expect("ticket").to_string();
    let hostile = "<script>alert('pwned')</script> & \"quotes\"";
    let details = format!("ticket={ticket}&effort=6&reason=outdated&comment={}", encode(hostile));
    let response = form(&client, &server, "/feedback/details", details)
        .header(header::COOKIE, &reader)
        .send()
        .await
        .expect("details");
    assert_eq!(response.status(), 303, "post, redirect, get");
    client.get(server.url("/search?q=xylophone+qwertz")).send().await.expect("search");

    let cookie = session(&client, &server).await;
    let overview = get(&client, &server, "/staff", &cookie).await;
    assert_eq!(overview.status(), 200);
    assert_eq!(overview.headers()[header::CACHE_CONTROL], "no-store");
    let overview = overview.text().await.expect("body");
    assert!(overview.contains("Helpful share") && overview.contains("75%"), "3 of 4 helpful");
    assert!(
        overview.contains("Vote rate") && overview.contains("Effort answers"),
        "vote rate and effort answers shown"
    );
    assert!(overview.contains("<svg class=\"chart\""), "server-rendered chart");
    assert!(overview.contains("xylophone qwertz"), "the zero-result search is listed as a gap");
    assert!(overview.contains("noindex"));

    let table = get(&client, &server, "/staff/pages?sort=votes&dir=desc", &cookie).await.text().await.expect("body");
    let first_row = table.split("<tbody>").nth(1).and_then(|t| t.split("</tr>").next()).expect("first row");
    assert!(first_row.contains("Search tips"), "sorted by votes: {first_row}");
    assert!(table.contains(r#"aria-sort="descending""#));

    let detail = get(&client, &server, "/staff/page?key=search-tips", &cookie).await.text().await.expect("body");
    assert!(detail.contains("It is out of date"), "reason counted");
    assert!(!detail.contains("<script>alert"), "customer text is escaped");
    assert!(detail.contains("&lt;script&gt;") || detail.contains("&#60;script&#62;"), "shown as text");

    let inbox = get(&client, &server, "/staff/inbox", &cookie).await.text().await.expect("body");
    assert!(!inbox.contains("<script>alert"));
    assert!(inbox.contains("Mark resolved"));
    let csrf = hidden(&inbox, "csrf");
    let action = inbox
        .split(r#"action="/staff/inbox/"#)
        .filter_map(|s| s.split('"').next())
        .find(|id| id.parse::<i64>().is_ok())
        .expect("item id");

    // Without the token: refused. With it: resolved, by whom and when.
    let refused = form(&client, &server, &format!("/staff/inbox/{action}"), "action=resolve".into())
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), 403);
    let resolved = form(&client, &server, &format!("/staff/inbox/{action}"), format!("action=resolve&csrf={csrf}"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .expect("post");
    assert_eq!(resolved.status(), 303);
    let done = get(&client, &server, "/staff/inbox?status=resolved", &cookie).await.text().await.expect("body");
    assert!(done.contains(&format!("Resolved by {EMAIL}")), "who resolved it");
    let open = get(&client, &server, "/staff/inbox?status=open", &cookie).await.text().await.expect("body");
    assert!(!open.contains("Mark resolved"), "nothing open any more");

    let csv = get(&client, &server, "/staff/export/feedback.csv", &cookie).await;
    assert!(csv.headers()[header::CONTENT_TYPE].to_str().expect("type").starts_with("text/csv"));
    let csv = csv.text().await.expect("body");
    assert!(csv.starts_with("id,page,title,helpful,effort"));
    assert_eq!(csv.lines().count(), 5, "header and 4 votes");
    let metrics = get(&client, &server, "/staff/export/metrics.csv", &cookie).await.text().await.expect("body");
    assert!(metrics.lines().any(|l| l.starts_with("search-tips,Search tips,") && l.contains(",0.75,")), "{metrics}");
    assert!(metrics.lines().next().is_some_and(|h| h.contains(",votes,vote_rate,")), "vote rate in the CSV");

    let api: serde_json::Value =
        get(&client, &server, "/staff/api/metrics?days=7", &cookie).await.json().await.expect("json");
    assert_eq!(api["total"]["votes"], 4);
    assert_eq!(api["total"]["helpful"], 3);
    assert_eq!(api["search"]["zero_results"], 1);

    // Signing out ends the session.
    let out = form(&client, &server, "/staff/logout", format!("csrf={csrf}"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .expect("logout");
    assert_eq!(out.status(), 303);
    assert_eq!(get(&client, &server, "/staff", &cookie).await.status(), 303);
}

#[tokio::test]
async fn purge_command_deletes_old_comments() {
    let server = Server::start_with_config(&sample_content(), CONFIG);
    let client = raw_client();
    let reader = common::reader_cookie(&server);
    let vote = form(&client, &server, "/feedback", "page=search-tips&helpful=no".into())
        .header(header::ACCEPT, "application/json")
        .header(header::COOKIE, &reader)
        .send()
        .await
        .expect("vote");
    let ticket = vote.json::<serde_json::Value>().await.expect("json")["ticket"].as_str().expect("ticket").to_string();
    form(&client, &server, "/feedback/details", format!("ticket={ticket}&comment=call+me+at+555"))
        .header(header::COOKIE, &reader)
        .send()
        .await
        .expect("details");
    let kept = server.command(&["feedback", "purge"], "");
    assert!(String::from_utf8_lossy(&kept.stdout).contains("deleted 0 comment"), "recent comments are kept");
    // Retention is measured in whole seconds: let the comment age by one.
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    let purged = server.command(&["feedback", "purge", "--older-than-days", "0"], "");
    assert!(purged.status.success());
    assert!(String::from_utf8_lossy(&purged.stdout).contains("deleted 1 comment"));
    let store = quire::store::Store::open(server.data.path()).expect("db");
    let votes = quire::feedback::FeedbackStore::votes_between(&store, 0, i64::MAX).expect("votes");
    assert_eq!(votes[0].comment, None);
    assert!(!votes[0].helpful, "the vote itself stays");

    let short = server.command(&["staff", "add", "x@example.com"], "short\n");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 10 characters"));
}

#[tokio::test]
async fn search_learns_from_votes_of_readers_who_came_from_search_and_staff_can_pin_or_remove() {
    let server = Server::start_with_config(&sample_content(), CONFIG);
    server.add_staff(EMAIL, PASSWORD);
    let client = raw_client();
    let query = "how do customers rate effort";
    // Three readers: search, open a result through the click redirect, vote it helpful.
    for _ in 0..3 {
        let results = client
            .get(server.url(&format!("/search?q={}", encode(query))))
            .send()
            .await
            .expect("search")
            .text()
            .await
            .expect("body");
        let click = results
            .split("href=\"")
            .filter_map(|s| s.split('"').next())
            .find(|href| href.starts_with("/search/click?") && href.contains("customer-effort-score"))
            .expect("a click link to the CES article")
            .replace("&#38;", "&")
            .replace("&amp;", "&");
        let redirect = client.get(server.url(&click)).send().await.expect("click");
        assert_eq!(redirect.status(), 303);
        let search_cookie = pair(&set_cookie(&redirect, "quire_search").expect("search cookie"));
        let article = client
            .get(server.url("/articles/customer-effort-score"))
            .header(header::COOKIE, &search_cookie)
            .header(header::REFERER, server.url("/search?q=x"))
            .send()
            .await
            .expect("article")
            .text()
            .await
            .expect("body");
        assert!(article.contains(r#"name="arrival" value="search""#), "the form knows the reader came from search");
        let vote = form(&client, &server, "/feedback", "page=customer-effort-score&helpful=yes&arrival=search".into())
            .header(header::COOKIE, format!("{search_cookie}; {}", common::reader_cookie(&server)))
            .send()
            .await
            .expect("vote");
        assert_eq!(vote.status(), 303);
    }
    // A forged search id (a search whose click went elsewhere) is not evidence.
    form(&client, &server, "/feedback", "page=search-tips&helpful=yes&arrival=search&search=1".into())
        .header(header::COOKIE, common::reader_cookie(&server))
        .send()
        .await
        .expect("forged");

    // Learning runs at start-up and every few minutes; restart to see it now.
    let data = server.kill_hard();
    let server = Server::start_in(&sample_content(), data, &[]);
    let cookie = session(&client, &server).await;
    let page = get(&client, &server, "/staff/learning", &cookie).await.text().await.expect("body");
    let row = page.split("<tr>").find(|r| r.contains("Customer Effort Score")).expect("the learned pairing is listed");
    assert!(row.contains("learned") && row.contains("×1."), "{row}");
    assert!(!page.contains("Search tips"), "the forged vote taught nothing");

    // Staff remove it: no effect any more.
    let csrf = hidden(&page, "csrf");
    let normalized = hidden(row, "query");
    let remove = form(
        &client,
        &server,
        "/staff/learning",
        format!("csrf={csrf}&query={}&page=customer-effort-score&decision=remove", encode(&normalized)),
    )
    .header(header::COOKIE, &cookie)
    .send()
    .await
    .expect("remove");
    assert_eq!(remove.status(), 303);
    let page = get(&client, &server, "/staff/learning", &cookie).await.text().await.expect("body");
    let row = page.split("<tr>").find(|r| r.contains("Customer Effort Score")).expect("still listed");
    assert!(row.contains("removed") && row.contains("×1.00"), "{row}");
}

/// Peak resident memory of a process (VmHWM), in MB.
fn peak_rss_mb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kb| kb / 1024)
}

#[tokio::test]
async fn concurrent_guesses_are_counted_before_they_are_verified() {
    let server = Server::start_with_config(&sample_content(), CONFIG);
    server.add_staff(EMAIL, PASSWORD);
    // 120 sign-ins sent at once, each with its own form token; the right password is
    // guess 113. Before the fix all were verified (and the right one got in), and the
    // server grew to 2.3 GB.
    let mut forms = Vec::new();
    for _ in 0..120 {
        let client = raw_client();
        let login = client.get(server.url("/staff/login")).send().await.expect("login page");
        let cookie = common::cookie_pair(&set_cookie(&login, "quire_login").expect("login cookie"));
        let page = login.text().await.expect("page");
        forms.push((client, cookie, common::hidden(&page, "csrf")));
    }
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(forms.len()));
    let mut tasks = Vec::new();
    for (index, (client, cookie, csrf)) in forms.into_iter().enumerate() {
        let password = if index == 112 { PASSWORD.to_string() } else { format!("wrong guess {index}") };
        let body = format!("csrf={csrf}&next=%2Fstaff&email={}&password={}", encode(EMAIL), encode(&password));
        let request = form(&client, &server, "/staff/login", body).header(header::COOKIE, cookie);
        let start = std::sync::Arc::clone(&start);
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            request.send().await.expect("sign in").status().as_u16()
        }));
    }
    let mut statuses = std::collections::BTreeMap::new();
    for task in tasks {
        *statuses.entry(task.await.expect("task")).or_insert(0) += 1;
    }
    let verified = statuses.get(&401).copied().unwrap_or(0) + statuses.get(&303).copied().unwrap_or(0);
    assert!(verified <= 5, "at most the account's 5 attempts were verified: {statuses:?}");
    assert_eq!(statuses.get(&303), None, "no guess signed in once the account was locked: {statuses:?}");
    assert_eq!(statuses.values().sum::<usize>(), 120);
    let peak = peak_rss_mb(server.pid()).expect("peak memory");
    eprintln!("120 concurrent sign-ins: {statuses:?}, peak RSS {peak} MB");
    assert!(peak < 600, "password verifications are bounded in memory: peak {peak} MB");
}

#[tokio::test]
async fn before_and_after_an_edit_compares_what_readers_said_about_each_revision() {
    let content = common::copy_of_sample_content();
    let server = Server::start_with_config(content.path(), CONFIG);
    server.add_staff(EMAIL, PASSWORD);
    let client = raw_client();
    let (ann, bob, cy) =
        (common::reader_cookie(&server), common::reader_cookie(&server), common::reader_cookie(&server));
    let vote = |reader: &str, helpful: &str| {
        form(&client, &server, "/feedback", format!("page=search-tips&helpful={helpful}"))
            .header(header::ACCEPT, "application/json")
            .header(header::COOKIE, reader.to_string())
            .send()
    };
    // Before the edit: Ann says yes and rates it easy, Bob says no.
    let ticket = vote(&ann, "yes").await.expect("vote").json::<serde_json::Value>().await.expect("json")["ticket"]
        .as_str()
        .expect("ticket")
        .to_string();
    let rated = form(&client, &server, "/feedback/details", format!("ticket={ticket}&effort=2"))
        .header(header::COOKIE, ann.clone())
        .send()
        .await
        .expect("details");
    assert_eq!(rated.status(), 303);
    vote(&bob, "no").await.expect("vote");

    // The article is edited; the running site reloads it.
    let path = content.path().join("finding-answers/search-tips.md");
    let source = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, format!("{source}\n\nOne more tip: use fewer words.\n")).expect("edit");
    let reloaded = common::eventually(std::time::Duration::from_secs(10), || async {
        client
            .get(server.url("/articles/search-tips"))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("body")
            .contains("use fewer words")
    })
    .await;
    assert!(reloaded);

    // After: Ann repeats her yes without rating; Cy says yes.
    vote(&ann, "yes").await.expect("vote");
    vote(&cy, "yes").await.expect("vote");

    let cookie = session(&client, &server).await;
    let detail = get(&client, &server, "/staff/page?key=search-tips", &cookie).await.text().await.expect("body");
    let row = |name: &str| {
        detail
            .split(&format!(r#"<th scope="row">{name}</th>"#))
            .nth(1)
            .and_then(|rest| rest.split("</tr>").next())
            .unwrap_or_default()
            .to_string()
    };
    // Before: Ann (yes, effort 2) and Bob (no). After: Ann (yes, no rating) and Cy
    // (yes): Ann's old rating is not counted as a rating of the new text.
    assert_eq!(row("Before"), "<td>2</td><td>50%</td><td>2.00</td>", "{detail}");
    assert_eq!(row("After"), "<td>2</td><td>100%</td><td>–</td>", "{detail}");
    assert!(detail.contains("Too few votes to tell whether the edit changed anything"), "{detail}");
}

#[tokio::test]
async fn scripted_votes_are_not_counted_and_a_burst_can_be_excluded() {
    let server = Server::start_with_config(
        &sample_content(),
        "[feedback]\nwrites_per_minute = 1000000\n[server]\ntrusted_proxies = [\"127.0.0.1\"]\n",
    );
    server.add_staff(EMAIL, PASSWORD);
    let client = raw_client();
    // 300 votes from 300 addresses that never loaded a page: thanked, none stored.
    for n in 0..300u32 {
        let vote = form(&client, &server, "/feedback", "page=search-tips&helpful=yes".into())
            .header("x-forwarded-for", format!("198.51.{}.{}", n / 250, n % 250 + 1))
            .send()
            .await
            .expect("vote");
        assert_eq!(vote.status(), 200);
    }
    let store = quire::store::Store::open(server.data.path()).expect("db");
    assert_eq!(store.vote_total().expect("total"), 0, "no vote without a page view counts");

    // A smarter script loads the page first with 20 browsers, then votes within the hour.
    let mut cookies = Vec::new();
    for n in 0..20u32 {
        let page = client
            .get(server.url("/articles/install-and-run"))
            .header("x-forwarded-for", format!("203.0.113.{}", n + 1))
            .send()
            .await
            .expect("view");
        cookies.push(pair(&set_cookie(&page, "quire_visitor").expect("cookie")));
    }
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    for cookie in &cookies {
        let vote = form(&client, &server, "/feedback", "page=install-and-run&helpful=yes".into())
            .header(header::COOKIE, cookie)
            .send()
            .await
            .expect("vote");
        assert_eq!(vote.status(), 303);
    }
    // One ordinary reader said no, on another page.
    let reader = common::reader_cookie(&server);
    form(&client, &server, "/feedback", "page=search-tips&helpful=no".into())
        .header(header::COOKIE, reader)
        .send()
        .await
        .expect("vote");

    // The dashboard flags the burst; staff exclude it; the numbers leave it out.
    let cookie = session(&client, &server).await;
    let overview = get(&client, &server, "/staff", &cookie).await.text().await.expect("body");
    let section = overview.split(r#"id="bursts-heading""#).nth(1).expect("unusual voting section");
    assert!(section.contains("Install and run Quire") || section.contains("install-and-run"), "{section}");
    let value = |name: &str| {
        section
            .split(&format!(r#"name="{name}" value=""#))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("form field")
            .to_string()
    };
    let body = format!("csrf={}&page={}&from={}&to={}", value("csrf"), value("page"), value("from"), value("to"));
    let excluded =
        form(&client, &server, "/staff/exclude", body).header(header::COOKIE, &cookie).send().await.expect("exclude");
    assert_eq!(excluded.status(), 303);
    let api: serde_json::Value =
        get(&client, &server, "/staff/api/metrics?days=7", &cookie).await.json().await.expect("json");
    assert_eq!(api["total"]["votes"], 1, "the excluded burst is left out: {api}");
    assert_eq!(api["total"]["helpful"], 0);
    let csv = get(&client, &server, "/staff/export/feedback.csv", &cookie).await.text().await.expect("csv");
    assert_eq!(csv.lines().filter(|l| l.ends_with(",true")).count(), 20, "excluded votes are marked in the export");
    let overview = get(&client, &server, "/staff", &cookie).await.text().await.expect("body");
    assert!(overview.contains("20 votes in this period and the one before are left out"), "{overview}");

    // Reversible: counted again.
    let id = overview
        .split(r#"action="/staff/include""#)
        .nth(1)
        .and_then(|rest| rest.split(r#"name="id" value=""#).nth(1))
        .and_then(|rest| rest.split('"').next())
        .expect("window id")
        .to_string();
    let csrf = value("csrf");
    let again = form(&client, &server, "/staff/include", format!("csrf={csrf}&id={id}"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .expect("include");
    assert_eq!(again.status(), 303);
    let api: serde_json::Value =
        get(&client, &server, "/staff/api/metrics?days=7", &cookie).await.json().await.expect("json");
    assert_eq!(api["total"]["votes"], 21);
}

#[tokio::test]
async fn the_effort_question_can_be_asked_in_ces_2_form() {
    let server = Server::start_with_config(
        &sample_content(),
        "[feedback]\nwrites_per_minute = 1000000\neffort_question = \"ces2\"\n",
    );
    server.add_staff(EMAIL, PASSWORD);
    let client = raw_client();
    let reader = common::reader_cookie(&server);
    let vote = form(&client, &server, "/feedback", "page=search-tips&helpful=yes".into())
        .header(header::ACCEPT, "application/json")
        .header(header::COOKIE, &reader)
        .send()
        .await
        .expect("vote");
    let json: serde_json::Value = vote.json().await.expect("json");
    let html = json["html"].as_str().expect("follow-up");
    assert!(html.contains("The help center made it easy for me to handle my issue."), "{html}");
    assert!(html.contains(" – Strongly disagree") && html.contains(" – Strongly agree"), "{html}");
    assert!(html.contains("<span>Strongly disagree</span><span>Strongly agree</span>"), "end labels: {html}");
    let ticket = json["ticket"].as_str().expect("ticket");
    let details = form(&client, &server, "/feedback/details", format!("ticket={ticket}&effort=6"))
        .header(header::COOKIE, &reader)
        .send()
        .await
        .expect("details");
    assert_eq!(details.status(), 303);
    let cookie = session(&client, &server).await;
    let overview = get(&client, &server, "/staff", &cookie).await.text().await.expect("body");
    let kpi = |label: &str| {
        overview.split(label).nth(1).and_then(|rest| rest.split("</dd>").next()).unwrap_or_default().to_string()
    };
    assert!(overview.contains("CES 2.0 (mean agreement)"), "{overview}");
    assert!(kpi("CES 2.0 (mean agreement)").contains("6.00"), "{}", kpi("CES 2.0 (mean agreement)"));
    assert!(kpi("Agree (5–7)").contains("100%"), "{}", kpi("Agree (5–7)"));

    // CES 2.0 is a 7-point question.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("quire.toml"), "[feedback]\neffort_scale = 5\neffort_question = \"ces2\"\n")
        .expect("config");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["serve", "--bind", "127.0.0.1:0", "--content"])
        .arg(sample_content())
        .current_dir(dir.path())
        .env("QUIRE_DATA", dir.path().join("data"))
        .output()
        .expect("run");
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("effort_scale = 7"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn satisfaction_can_be_asked_as_a_proper_csat_question() {
    let server =
        Server::start_with_config(&sample_content(), "[feedback]\nwrites_per_minute = 1000000\ncsat_question = true\n");
    server.add_staff(EMAIL, PASSWORD);
    let client = raw_client();
    let mut tickets = Vec::new();
    for helpful in ["yes", "yes", "no"] {
        let reader = common::reader_cookie(&server);
        let vote = form(&client, &server, "/feedback", format!("page=search-tips&helpful={helpful}"))
            .header(header::ACCEPT, "application/json")
            .header(header::COOKIE, &reader)
            .send()
            .await
            .expect("vote");
        let json: serde_json::Value = vote.json().await.expect("json");
        assert!(json["html"].as_str().expect("html").contains("How satisfied are you with this answer?"));
        tickets.push((reader, json["ticket"].as_str().expect("ticket").to_string()));
    }
    for ((reader, ticket), csat) in tickets.iter().zip(["5", "4", "2"]) {
        let details = form(&client, &server, "/feedback/details", format!("ticket={ticket}&csat={csat}"))
            .header(header::COOKIE, reader)
            .send()
            .await
            .expect("details");
        assert_eq!(details.status(), 303);
    }
    let (reader, ticket) = &tickets[0];
    let bad = form(&client, &server, "/feedback/details", format!("ticket={ticket}&csat=9"))
        .header(header::COOKIE, reader)
        .send()
        .await
        .expect("details");
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.expect("body").contains("from 1 to 5"));

    let cookie = session(&client, &server).await;
    let overview = get(&client, &server, "/staff", &cookie).await.text().await.expect("body");
    let csat = overview.split("CSAT (4–5 of 5)").nth(1).and_then(|rest| rest.split("</dd>").next()).unwrap_or_default();
    assert!(csat.contains("67%"), "2 of 3 satisfied: {csat}");
    let metrics = get(&client, &server, "/staff/export/metrics.csv", &cookie).await.text().await.expect("csv");
    let header: Vec<&str> = metrics.lines().next().expect("header").split(',').collect();
    let row: Vec<&str> = metrics.lines().find(|l| l.starts_with("search-tips,")).expect("row").split(',').collect();
    let column = |name: &str| row[header.iter().position(|h| *h == name).expect("column")];
    assert_eq!((column("csat_answers"), &column("csat_share")[..4]), ("3", "0.66"));
}

/// Signs `email` in and returns its session cookie pair.
async fn session_of(client: &reqwest::Client, server: &Server, email: &str) -> String {
    let response = sign_in(client, server, email, PASSWORD).await;
    assert_eq!(response.status(), 303, "{email} signed in");
    pair(&set_cookie(&response, "quire_staff").expect("session cookie"))
}

#[tokio::test]
async fn viewers_read_editors_change_admins_audit() {
    let server = Server::start_with_config(&sample_content(), CONFIG);
    server.add_staff("ann@example.com", PASSWORD); // the first account: admin
    server.add_staff_with_role("vic@example.com", PASSWORD, "viewer");
    server.add_staff_with_role("eve@example.com", PASSWORD, "editor");
    let client = raw_client();
    // A "No" with a comment, for the inbox.
    let reader = common::reader_cookie(&server);
    let vote = form(&client, &server, "/feedback", "page=search-tips&helpful=no&arrival=browse".into())
        .header(header::ACCEPT, "application/json")
        .header(header::COOKIE, &reader)
        .send()
        .await
        .expect("vote");
    let ticket = vote.json::<serde_json::Value>().await.expect("json")["ticket"].as_str().expect("ticket").to_string();
    let details = form(&client, &server, "/feedback/details", format!("ticket={ticket}&comment=Too+short"))
        .header(header::COOKIE, &reader)
        .send()
        .await
        .expect("details");
    assert_eq!(details.status(), 303);

    let viewer = session_of(&client, &server, "vic@example.com").await;
    let inbox = get(&client, &server, "/staff/inbox", &viewer).await;
    assert_eq!(inbox.status(), 200, "a viewer reads the inbox");
    let inbox = inbox.text().await.expect("body");
    assert!(inbox.contains("vic@example.com <span class=\"muted\">(viewer)</span>") && !inbox.contains("Audit log"));
    let id = inbox
        .split(r#"action="/staff/inbox/"#)
        .filter_map(|s| s.split('"').next())
        .find(|id| id.parse::<i64>().is_ok())
        .expect("item")
        .to_string();
    let resolve = |cookie: String, page: String| {
        let csrf = hidden(&page, "csrf");
        form(&client, &server, &format!("/staff/inbox/{id}"), format!("action=resolve&csrf={csrf}"))
            .header(header::COOKIE, cookie)
            .send()
    };
    let refused = resolve(viewer.clone(), inbox.clone()).await.expect("post");
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.expect("body").contains("viewer"), "says why");
    assert_eq!(get(&client, &server, "/staff/audit", &viewer).await.status(), 403);

    let editor = session_of(&client, &server, "eve@example.com").await;
    let page = get(&client, &server, "/staff/inbox", &editor).await.text().await.expect("body");
    assert_eq!(resolve(editor.clone(), page).await.expect("post").status(), 303, "an editor resolves");
    assert_eq!(get(&client, &server, "/staff/audit", &editor).await.status(), 403, "the audit log is for admins");

    let admin = session_of(&client, &server, "ann@example.com").await;
    let audit = get(&client, &server, "/staff/audit", &admin).await;
    assert_eq!(audit.status(), 200);
    let audit = audit.text().await.expect("body");
    assert!(
        audit.contains("eve@example.com")
            && audit.contains("inbox.resolve")
            && audit.contains(&format!("feedback {id}")),
        "{audit}"
    );
    assert!(!audit.contains("vic@example.com</td>"), "the refused attempt changed nothing");
    let csv = get(&client, &server, "/staff/export/audit.csv", &admin).await.text().await.expect("csv");
    assert!(
        csv.starts_with("at,staff,action,target,detail") && csv.contains(",eve@example.com,inbox.resolve,"),
        "{csv}"
    );

    let listed = server.command(&["staff", "list"], "");
    let listed = String::from_utf8_lossy(&listed.stdout).to_string();
    assert!(listed.contains("ann@example.com admin") && listed.contains("vic@example.com viewer"), "{listed}");
}

#[tokio::test]
async fn signed_in_staff_preview_drafts_at_their_address() {
    let content = common::copy_of_sample_content();
    std::fs::write(
        content.path().join("getting-started/coming-soon.md"),
        "---\ntitle: Coming soon\ndraft: true\n---\nNew plans.\n",
    )
    .expect("write");
    let server = Server::start_with_config(content.path(), CONFIG);
    server.add_staff(EMAIL, PASSWORD);
    let client = raw_client();
    assert_eq!(
        client.get(server.url("/articles/coming-soon")).send().await.expect("get").status(),
        404,
        "customers: not found"
    );
    let cookie = session(&client, &server).await;
    let preview = get(&client, &server, "/articles/coming-soon", &cookie).await;
    assert_eq!(preview.status(), 200);
    assert_eq!(preview.headers()[header::CACHE_CONTROL], "private, no-store");
    let html = preview.text().await.expect("body");
    assert!(html.contains("class=\"draft-banner\"") && html.contains("New plans."), "{html}");
    assert!(html.contains(r#"<meta name="robots" content="noindex">"#) && !html.contains("Was this article helpful?"));
    // Still not found for the next customer: the preview was not cached.
    assert_eq!(client.get(server.url("/articles/coming-soon")).send().await.expect("get").status(), 404);

    // FAQ pages too.
    std::fs::write(
        content.path().join("getting-started/new-faq.md"),
        "---\ntitle: New questions\ntype: faq\ndraft: true\n---\n## Is it ready?\n\nNot yet.\n",
    )
    .expect("write");
    let previewed = common::eventually(std::time::Duration::from_secs(10), || async {
        get(&client, &server, "/faq/new-faq", &cookie).await.status() == 200
    })
    .await;
    assert!(previewed, "a draft FAQ is previewed by staff");
    let html = get(&client, &server, "/faq/new-faq", &cookie).await.text().await.expect("body");
    assert!(html.contains("draft-banner") && html.contains("Not yet.") && !html.contains("Was this answer helpful?"));
    assert_eq!(client.get(server.url("/faq/new-faq")).send().await.expect("get").status(), 404);
}

#[tokio::test]
async fn marking_an_article_reviewed_changes_only_that_line_and_never_overwrites_an_edit() {
    let content = common::copy_of_sample_content();
    let file = content.path().join("finding-answers/search-tips.md");
    let original = std::fs::read_to_string(&file).expect("read");
    let reviewed_line = original.lines().find(|l| l.starts_with("reviewed:")).expect("a reviewed date").to_string();
    let before = original.replace(&reviewed_line, "reviewed: 2025-01-02   # last full check");
    std::fs::write(&file, &before).expect("write");
    let server = Server::start_with_config(content.path(), CONFIG);
    server.add_staff(EMAIL, PASSWORD);
    let client = raw_client();
    let cookie = session(&client, &server).await;
    let page = get(&client, &server, "/staff/page?key=search-tips", &cookie).await.text().await.expect("body");
    assert!(page.contains("Mark reviewed today"), "{page}");
    let (csrf, revision) = (hidden(&page, "csrf"), hidden(&page, "revision"));
    let stamp = |revision: String| {
        form(&client, &server, "/staff/reviewed", format!("csrf={csrf}&key=search-tips&revision={revision}"))
            .header(header::COOKIE, cookie.clone())
            .send()
    };
    assert_eq!(stamp(revision.clone()).await.expect("post").status(), 303);
    let after = std::fs::read_to_string(&file).expect("read");
    let today = chrono::Utc::now().date_naive().to_string();
    let changed: Vec<(&str, &str)> = before.lines().zip(after.lines()).filter(|(a, b)| a != b).collect();
    assert_eq!(changed.len(), 1, "one line changed: {changed:?}");
    assert_eq!(changed[0].1, format!("reviewed: {today}   # last full check"), "the author's comment stays");
    assert_eq!(before.lines().count(), after.lines().count());
    // The same (now old) revision again: the file changed since, so nothing is written.
    std::fs::write(&file, after.replace("Search tips", "Search tips (edited in git)")).expect("someone else's edit");
    let refused = stamp(revision).await.expect("post");
    assert_eq!(refused.status(), 409);
    assert!(std::fs::read_to_string(&file).expect("read").contains("(edited in git)"), "their edit stays");
    let audit = get(&client, &server, "/staff/audit", &cookie).await.text().await.expect("body");
    assert!(audit.contains("content.reviewed") && audit.contains(&format!("reviewed: {today}")), "{audit}");
}

#[tokio::test]
async fn admins_invite_change_disable_and_reset_accounts_in_the_browser() {
    let server = Server::start_with_config(&sample_content(), CONFIG);
    server.add_staff("ann@example.com", PASSWORD); // the first account: admin
    server.add_staff_with_role("eve@example.com", PASSWORD, "editor");
    let client = raw_client();
    let editor = session_of(&client, &server, "eve@example.com").await;
    assert_eq!(get(&client, &server, "/staff/accounts", &editor).await.status(), 403, "admins only");
    let admin = session_of(&client, &server, "ann@example.com").await;
    let page = get(&client, &server, "/staff/accounts", &admin).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.expect("body");
    assert!(page.contains("eve@example.com") && page.contains("Invite someone"));
    let csrf = hidden(&page, "csrf");
    let post = |body: String| form(&client, &server, "/staff/accounts", body).header(header::COOKIE, &admin).send();

    // Refused by an editor even with a token.
    let forged = form(
        &client,
        &server,
        "/staff/accounts",
        format!("csrf={csrf}&action=invite&email=x%40example.com&role=admin"),
    )
    .header(header::COOKIE, &editor)
    .send()
    .await
    .expect("post");
    assert_eq!(forged.status(), 403);

    // Invite: a one-time link, shown once.
    let invited = post(format!("csrf={csrf}&action=invite&email=Zoe%40Example.com&role=viewer")).await.expect("post");
    assert_eq!(invited.status(), 200);
    let invited = invited.text().await.expect("body");
    let link = invited.split(r#"<code class="password-link">"#).nth(1).expect("link").split('<').next().expect("end");
    let path = link.trim_start_matches(&server.base).replace("&amp;", "&");
    assert!(path.starts_with("/staff/password?token="), "{path}");
    assert!(
        !get(&client, &server, "/staff/accounts", &admin).await.text().await.expect("body").contains(&path),
        "once"
    );
    let again = post(format!("csrf={csrf}&action=invite&email=zoe%40example.com&role=viewer")).await.expect("post");
    assert_eq!(again.status(), 422, "an account is invited once");

    // The invited person chooses a password through the link, once.
    let form_page = get(&client, &server, &path, "").await;
    assert_eq!(form_page.status(), 200);
    assert!(form_page.text().await.expect("body").contains("zoe@example.com"));
    let token = path.trim_start_matches("/staff/password?token=");
    let short = form(&client, &server, "/staff/password", format!("token={token}&password=short&confirm=short"));
    assert_eq!(short.send().await.expect("post").status(), 422);
    let set = form(
        &client,
        &server,
        "/staff/password",
        format!("token={token}&password=zoe+is+here+now&confirm=zoe+is+here+now"),
    );
    assert_eq!(set.send().await.expect("post").status(), 303);
    let reuse = form(
        &client,
        &server,
        "/staff/password",
        format!("token={token}&password=another+one+1&confirm=another+one+1"),
    );
    assert_eq!(reuse.send().await.expect("post").status(), 404, "the link is used up");
    let zoe = sign_in(&client, &server, "zoe@example.com", "zoe is here now").await;
    assert_eq!(zoe.status(), 303, "signed in with the chosen password");
    let zoe = pair(&set_cookie(&zoe, "quire_staff").expect("session"));
    let overview = get(&client, &server, "/staff", &zoe).await.text().await.expect("body");
    assert!(overview.contains("(viewer)"), "with the role given");

    // Disable: signed out at once, cannot sign in.
    let disabled = post(format!("csrf={csrf}&action=update&email=zoe%40example.com&role=viewer&disabled=true")).await;
    assert_eq!(disabled.expect("post").status(), 200);
    assert_eq!(get(&client, &server, "/staff", &zoe).await.status(), 303, "the session ended");
    assert_eq!(sign_in(&client, &server, "zoe@example.com", "zoe is here now").await.status(), 401);

    // Reset eve's password: her session ends, her old password stops working, the link sets a new one.
    let reset = post(format!("csrf={csrf}&action=reset&email=eve%40example.com")).await.expect("post");
    let reset = reset.text().await.expect("body");
    let link = reset.split(r#"<code class="password-link">"#).nth(1).expect("link").split('<').next().expect("end");
    assert_eq!(get(&client, &server, "/staff", &editor).await.status(), 303);
    assert_eq!(sign_in(&client, &server, "eve@example.com", PASSWORD).await.status(), 401);
    let token = link.split("token=").nth(1).expect("token");
    let set = form(
        &client,
        &server,
        "/staff/password",
        format!("token={token}&password=eve+again+now&confirm=eve+again+now"),
    );
    assert_eq!(set.send().await.expect("post").status(), 303);
    assert_eq!(sign_in(&client, &server, "eve@example.com", "eve again now").await.status(), 303);

    // The last admin stays an admin; nobody disables themselves.
    let demote = post(format!("csrf={csrf}&action=update&email=ann%40example.com&role=editor")).await.expect("post");
    assert_eq!(demote.status(), 422);
    assert!(demote.text().await.expect("body").contains("at least one active admin"));
    let own = post(format!("csrf={csrf}&action=update&email=ann%40example.com&role=admin&disabled=true")).await;
    assert_eq!(own.expect("post").status(), 422);

    // All of it is in the audit log.
    let audit = get(&client, &server, "/staff/audit", &admin).await.text().await.expect("body");
    for action in ["staff.invite", "staff.password_set", "staff.update", "staff.reset_password"] {
        assert!(audit.contains(action), "{action} in {audit}");
    }
}
