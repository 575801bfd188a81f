//! A customer's journey through the help center in headless Chromium: home →
//! category → article → FAQ answer, by mouse and keyboard, with no console errors and
//! no accessibility violations in light or dark mode. Screenshots land in
//! `target/screenshots/`.

mod common;

use common::browser::Browser;
use common::{sample_content, Server};
use fantoccini::{key::Key, Locator};

async fn assert_clean_console(browser: &Browser, page: &str) {
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors on {page}: {errors:#?}");
}

#[tokio::test]
async fn customer_finds_an_answer_by_browsing() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let server = Server::start(&sample_content());
    let c = &browser.client;

    c.goto(&server.url("/")).await.expect("home");
    assert_eq!(c.find(Locator::Css("h1")).await.expect("h1").text().await.expect("text"), "How can we help?");
    assert_clean_console(&browser, "home").await;
    browser.screenshot("home").await;

    c.find(Locator::Css(".category-card a[href='/categories/writing-articles']"))
        .await
        .expect("category card")
        .click()
        .await
        .expect("click");
    assert_eq!(c.current_url().await.expect("url").path(), "/categories/writing-articles");
    assert_clean_console(&browser, "category").await;
    browser.screenshot("category").await;

    c.find(Locator::LinkText("Front matter reference")).await.expect("article link").click().await.expect("click");
    assert_eq!(c.current_url().await.expect("url").path(), "/articles/front-matter-reference");
    let title = c.find(Locator::Css("h1")).await.expect("h1").text().await.expect("text");
    assert_eq!(title, "Front matter reference");
    // The table of contents jumps to its heading.
    c.find(Locator::Css(".toc a[href='#slugs']")).await.expect("toc entry").click().await.expect("click");
    assert_eq!(c.current_url().await.expect("url").fragment(), Some("slugs"));
    assert_clean_console(&browser, "article").await;
    browser.screenshot("article").await;

    c.goto(&server.url("/faq/quire")).await.expect("faq");
    let question = c.find(Locator::Css("#do-i-need-a-database")).await.expect("question");
    assert_eq!(question.attr("open").await.expect("attr"), None, "answers start closed");
    question.find(Locator::Css("summary")).await.expect("summary").click().await.expect("click");
    assert!(question.attr("open").await.expect("attr").is_some(), "clicking the question opens it");
    let answer = question.find(Locator::Css(".faq-answer")).await.expect("answer").text().await.expect("text");
    assert!(answer.contains("SQLite file"), "{answer}");
    assert_clean_console(&browser, "faq").await;
    browser.screenshot("faq").await;

    // A link to one question opens that answer.
    c.goto(&server.url("/faq/quire#can-i-keep-links-from-my-old-help-desk")).await.expect("faq anchor");
    let linked = c.find(Locator::Css("#can-i-keep-links-from-my-old-help-desk")).await.expect("question");
    assert!(linked.attr("open").await.expect("attr").is_some(), "the linked answer is open");

    browser.close().await;
}

#[tokio::test]
async fn keyboard_users_can_skip_to_content_and_search() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let server = Server::start(&sample_content());
    let c = &browser.client;

    c.goto(&server.url("/articles/search-tips")).await.expect("article");
    let body = c.find(Locator::Css("body")).await.expect("body");
    body.send_keys(&Key::Tab.to_string()).await.expect("tab");
    let focused = c.active_element().await.expect("focus");
    assert_eq!(focused.text().await.expect("text"), "Skip to main content");
    focused.send_keys(&Key::Enter.to_string()).await.expect("enter");
    assert_eq!(c.current_url().await.expect("url").fragment(), Some("main-content"));

    let search = c.find(Locator::Css("#header-q")).await.expect("header search");
    search.send_keys("password").await.expect("type");
    search.send_keys(&Key::Enter.to_string()).await.expect("submit");
    assert_eq!(c.current_url().await.expect("url").path(), "/search");
    let results = c.find_all(Locator::Css(".result-list a")).await.expect("results");
    assert!(!results.is_empty(), "search finds articles");
    browser.close().await;
}

#[tokio::test]
async fn pages_have_no_accessibility_violations_in_either_color_scheme() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let server = Server::start(&sample_content());
    let pages = [
        ("home", "/"),
        ("category", "/categories/writing-articles"),
        ("article", "/articles/tables-and-code"),
        ("callouts", "/articles/callouts-and-notes"),
        ("faq", "/faq/quire"),
        ("search", "/search?q=password"),
        ("not-found", "/articles/no-such-article"),
    ];
    let mut problems = Vec::new();
    for scheme in ["light", "dark"] {
        browser.color_scheme(scheme).await;
        for (name, path) in pages {
            browser.client.goto(&server.url(path)).await.expect("page");
            let Some(violations) = browser.axe_violations().await else {
                browser.close().await;
                return;
            };
            problems.extend(violations.into_iter().map(|v| format!("{name} ({scheme}): {v}")));
        }
        browser.client.goto(&server.url("/articles/callouts-and-notes")).await.expect("page");
        browser.screenshot(&format!("callouts-{scheme}")).await;
    }
    browser.viewport(390, 844, true).await;
    browser.client.goto(&server.url("/articles/configure-quire")).await.expect("page");
    browser.screenshot("article-phone-dark").await;
    browser.close().await;
    assert!(problems.is_empty(), "axe violations:\n{}", problems.join("\n"));
}

#[tokio::test]
async fn misspelled_query_suggests_as_you_type_and_keyboard_picks_the_article() {
    let Some(browser) = Browser::start().await else { return };
    let server = Server::start(&sample_content());
    let c = &browser.client;

    c.goto(&server.url("/")).await.expect("home");
    let input = c.find(Locator::Css("#q")).await.expect("home search box");
    assert_eq!(input.attr("role").await.expect("attr").as_deref(), Some("combobox"), "enhanced by JavaScript");
    input.send_keys("fornt mater").await.expect("type");
    let first = c.wait().for_element(Locator::Css("#q-suggestions [role=option]")).await.expect("suggestions appear");
    assert_eq!(
        first.find(Locator::Css(".suggestion-title")).await.expect("title").text().await.expect("text"),
        "Front matter reference"
    );
    assert_eq!(input.attr("aria-expanded").await.expect("attr").as_deref(), Some("true"));
    let announced = c
        .find(Locator::Css("form.has-suggestions [role=status]"))
        .await
        .expect("status")
        .prop("textContent")
        .await
        .expect("text");
    assert!(announced.unwrap_or_default().contains("suggestion"), "the count is announced to screen readers");
    browser.screenshot("suggestions").await;
    if let Some(violations) = browser.axe_violations().await {
        assert!(violations.is_empty(), "axe with suggestions open: {violations:#?}");
    }

    input.send_keys(&Key::Down.to_string()).await.expect("arrow down");
    let active = input.attr("aria-activedescendant").await.expect("attr");
    assert_eq!(active.as_deref(), Some("q-suggestions-0"));
    input.send_keys(&Key::Enter.to_string()).await.expect("enter");
    c.wait()
        .for_url(&url::Url::parse(&server.url("/articles/front-matter-reference")).expect("url"))
        .await
        .expect("lands on the article");
    assert_clean_console(&browser, "suggestions").await;
    browser.close().await;
}

#[tokio::test]
async fn customer_votes_in_place_and_answers_the_follow_up() {
    let Some(browser) = Browser::start().await else { return };
    let server = Server::start_with_config(
        &sample_content(),
        "[feedback]\npublic_counts = \"always\"\npublic_counts_refresh_seconds = 0\n",
    );
    let c = &browser.client;

    c.goto(&server.url("/articles/configure-quire")).await.expect("article");
    // A reader reads before answering: votes within 2 s of the page view do not count.
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    let no = c.find(Locator::Css(".feedback button[value=no]")).await.expect("No button");
    no.click().await.expect("vote no");
    // The follow-up replaces the buttons without a page load.
    let effort = c.wait().for_element(Locator::Css(".feedback input[name=effort][value='6']")).await.expect("effort");
    assert_eq!(c.current_url().await.expect("url").path(), "/articles/configure-quire", "no navigation");
    let focused = c.active_element().await.expect("focus").text().await.expect("text");
    assert!(focused.contains("Thanks for your feedback"), "focus moves to the confirmation: {focused}");
    browser.screenshot("feedback-follow-up").await;
    if let Some(violations) = browser.axe_violations().await {
        assert!(violations.is_empty(), "axe on the follow-up: {violations:#?}");
    }
    effort.click().await.expect("pick effort");
    c.find(Locator::Css(".feedback input[name=reason][value=missing-steps]"))
        .await
        .expect("reason")
        .click()
        .await
        .expect("tick reason");
    c.find(Locator::Css(".feedback textarea[name=comment]"))
        .await
        .expect("comment")
        .send_keys("The TOML example has no [feedback] section")
        .await
        .expect("type");
    c.find(Locator::Css(".feedback-details button[type=submit]")).await.expect("send").click().await.expect("send");
    // Wait for the final step's own text: an element matched before the swap would go
    // stale when the script replaces the step.
    c.wait()
        .for_element(Locator::XPath(
            "//p[contains(@class,'feedback-thanks')][starts-with(normalize-space(.),'Thank you!')]",
        ))
        .await
        .expect("final thanks");
    let thanks = c.find(Locator::Css(".feedback .feedback-contact a")).await.expect("contact link");
    assert_eq!(thanks.attr("href").await.expect("attr").as_deref(), Some("/contact?page=configure-quire"));
    assert_clean_console(&browser, "feedback").await;
    browser.screenshot("feedback-thanks").await;

    let store = quire::store::Store::open(server.data.path()).expect("db");
    let votes = quire::feedback::FeedbackStore::votes_between(&store, 0, i64::MAX).expect("votes");
    assert_eq!(votes.len(), 1);
    assert_eq!((votes[0].helpful, votes[0].effort), (false, Some(6)));
    assert_eq!(votes[0].comment.as_deref(), Some("The TOML example has no [feedback] section"));

    // The page now shows the public count.
    c.goto(&server.url("/articles/configure-quire")).await.expect("reload");
    let count = c.find(Locator::Css(".feedback-count")).await.expect("count").text().await.expect("text");
    assert_eq!(count, "0 of 1 person found this helpful");
    browser.close().await;
}

#[tokio::test]
async fn staff_sign_in_and_read_the_dashboard_with_keyboard_and_screen_reader_support() {
    let Some(browser) = Browser::start().await else { return };
    // Votes right after the page loads count here (min_seconds_before_vote = 0).
    let server = Server::start_with_config(
        &sample_content(),
        "[feedback]\nwrites_per_minute = 100000\nmin_seconds_before_vote = 0\n",
    );
    server.add_staff("ann@example.com", "correct horse battery");
    let c = &browser.client;

    // Some feedback to look at, cast through the page like a customer would.
    for path in ["/articles/search-tips", "/articles/install-and-run"] {
        c.goto(&server.url(path)).await.expect("article");
        c.find(Locator::Css(".feedback button[value=yes]")).await.expect("Yes").click().await.expect("vote");
        c.wait().for_element(Locator::Css(".feedback-thanks")).await.expect("thanks");
    }

    c.goto(&server.url("/staff/pages")).await.expect("staff");
    assert_eq!(c.current_url().await.expect("url").path(), "/staff/login", "sent to sign in");
    c.find(Locator::Css("#login-email")).await.expect("email").send_keys("ann@example.com").await.expect("type");
    let password = c.find(Locator::Css("#login-password")).await.expect("password");
    password.send_keys("correct horse battery").await.expect("type");
    password.send_keys(&Key::Enter.to_string()).await.expect("submit");
    c.wait()
        .for_url(&url::Url::parse(&server.url("/staff/pages")).expect("url"))
        .await
        .expect("back where they wanted to go");
    let table = c.find(Locator::Css(".metrics-table")).await.expect("table").text().await.expect("text");
    assert!(table.contains("Search tips") && table.contains("100%"), "{table}");

    let mut problems = Vec::new();
    for scheme in ["light", "dark"] {
        browser.color_scheme(scheme).await;
        for path in [
            "/staff",
            "/staff/pages",
            "/staff/page?key=search-tips",
            "/staff/search",
            "/staff/inbox",
            "/staff/attention",
            "/staff/audit",
        ] {
            c.goto(&server.url(path)).await.expect("page");
            assert_clean_console(&browser, path).await;
            if let Some(violations) = browser.axe_violations().await {
                problems.extend(violations.into_iter().map(|v| format!("{path} ({scheme}): {v}")));
            }
        }
        c.goto(&server.url("/staff")).await.expect("overview");
        browser.screenshot(&format!("staff-overview-{scheme}")).await;
    }
    assert!(problems.is_empty(), "axe violations:\n{}", problems.join("\n"));

    // On a wide screen the header and footer line up with the wider staff content.
    browser.viewport(1600, 1000, false).await;
    c.goto(&server.url("/staff")).await.expect("overview");
    let edges = c
        .execute(
            "const left = s => document.querySelector(s).getBoundingClientRect().left;
             return [left('.header-row'), left('main .staff'), left('.site-footer .wrap')];",
            vec![],
        )
        .await
        .expect("measure");
    let edges: Vec<f64> = edges.as_array().expect("array").iter().filter_map(serde_json::Value::as_f64).collect();
    assert_eq!(edges.len(), 3, "{edges:?}");
    assert!((edges[0] - edges[1]).abs() < 1.0 && (edges[2] - edges[1]).abs() < 1.0, "left edges {edges:?}");
    browser.screenshot("staff-overview-wide").await;

    c.find(Locator::Css(".staff-signout button")).await.expect("sign out").click().await.expect("click");
    c.wait().for_url(&url::Url::parse(&server.url("/staff/login")).expect("url")).await.expect("signed out");
    browser.close().await;
}

/// The article or FAQ address a result link leads to (through `/search/click?…&to=`).
fn result_target(href: &str) -> String {
    match href.split_once('?') {
        Some(("/search/click", query)) => form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "to")
            .map(|(_, to)| to.into_owned())
            .unwrap_or_default(),
        _ => href.to_string(),
    }
}

/// Words of `snippet` that are not whole words of `source`: a snippet cut mid-word
/// shows a fragment ("ove" of "Remove") found only inside a longer word.
fn cut_words(snippet: &str, source: &str) -> Vec<String> {
    let word = regex::Regex::new(r"[A-Za-z]{2,}").expect("regex");
    word.find_iter(snippet)
        .map(|m| m.as_str().to_string())
        .filter(|w| {
            let whole = regex::Regex::new(&format!(r"(^|[^A-Za-z]){w}([^A-Za-z]|$)")).expect("regex");
            !whole.is_match(source)
        })
        .collect()
}

#[tokio::test]
async fn search_on_a_phone_shows_results_first_with_readable_snippets() {
    let Some(browser) = Browser::start().await else { return };
    let server = Server::start(&sample_content());
    let c = &browser.client;
    browser.viewport(390, 844, true).await;

    // Snippets: whole words, "…" where text was left out, table cells kept apart.
    for query in ["article", "what it shows", "search typo", "helpful votes effort"] {
        c.goto(&server.url(&format!("/search?q={}", query.replace(' ', "+")))).await.expect("search");
        let shown = c
            .execute(
                "return [...document.querySelectorAll('.result')].map(r =>
                    [r.querySelector('.result-title a').getAttribute('href'), r.querySelector('.result-snippet').textContent]);",
                vec![],
            )
            .await
            .expect("results");
        let shown = shown.as_array().cloned().unwrap_or_default();
        assert!(!shown.is_empty(), "{query}: results");
        for result in shown {
            let href = result[0].as_str().unwrap_or_default();
            let snippet = result[1].as_str().unwrap_or_default();
            let target = result_target(href);
            let Some(article) = target.strip_prefix("/articles/") else { continue };
            let source_url = server.url(&format!("/articles/{}.md", article.split('#').next().unwrap_or(article)));
            let source = reqwest::get(source_url).await.expect("source").text().await.expect("text");
            let cut = cut_words(snippet, &source);
            assert!(cut.is_empty(), "{query}: snippet of {target} has cut words {cut:?}: {snippet:?}");
            assert!(!snippet.trim().is_empty(), "{query}: empty snippet for {target}");
        }
        if query == "what it shows" {
            let page = c.find(Locator::Css(".result-snippet")).await.expect("snippet").text().await.expect("text");
            assert!(page.contains(" · "), "table cells kept apart: {page}");
            assert!(!page.contains("Page What it shows"), "cells run together: {page}");
        }
    }

    // The first results sit above the fold of a 390×844 phone; filters are folded away.
    c.goto(&server.url("/search?q=article")).await.expect("search");
    let tops = c
        .execute(
            "return [...document.querySelectorAll('.result')].slice(0, 2).map(r => r.getBoundingClientRect().bottom);",
            vec![],
        )
        .await
        .expect("measure");
    let bottoms: Vec<f64> = tops.as_array().expect("array").iter().filter_map(serde_json::Value::as_f64).collect();
    assert_eq!(bottoms.len(), 2);
    assert!(bottoms[1] <= 844.0, "two results above the fold, bottoms at {bottoms:?}");
    let filters_open = c.find(Locator::Css("details.search-filters")).await.expect("filters").attr("open").await;
    assert_eq!(filters_open.expect("attr"), None, "filters collapsed on a phone");
    browser.screenshot("search-phone").await;
    if let Some(violations) = browser.axe_violations().await {
        assert!(violations.is_empty(), "axe on the phone results: {violations:#?}");
    }
    // On a wide screen they are open beside the results.
    browser.viewport(1280, 900, false).await;
    c.goto(&server.url("/search?q=article")).await.expect("search");
    let open = c.find(Locator::Css("details.search-filters")).await.expect("filters").attr("open").await;
    assert!(open.expect("attr").is_some(), "filters open on a wide screen");
    browser.close().await;
}

#[tokio::test]
async fn pages_reflow_at_320_pixels_and_faq_votes_are_told_apart() {
    let Some(browser) = Browser::start().await else { return };
    let server = Server::start(&sample_content());
    let c = &browser.client;
    // 1280 px at 400% zoom.
    browser.viewport(320, 640, true).await;
    for path in [
        "/",
        "/articles/tables-and-code",
        "/articles/staff-dashboard",
        "/faq/quire",
        "/categories/writing-articles",
        "/search?q=article",
        "/no/such/page",
    ] {
        c.goto(&server.url(path)).await.expect("page");
        let overflow = c
            .execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth;", vec![])
            .await
            .expect("measure");
        assert!(overflow.as_f64().unwrap_or(1.0) <= 0.0, "{path} scrolls sideways by {overflow} px at 320 px");
    }
    browser.screenshot("faq-320").await;

    // On a phone: the contents box nests subsections; wide code and tables scroll and
    // can be reached by keyboard.
    browser.viewport(390, 844, true).await;
    c.goto(&server.url("/articles/tables-and-code")).await.expect("article");
    let nested = c.execute("return document.querySelectorAll('.toc > ol > li > ul > li').length;", vec![]).await;
    assert!(nested.expect("nested").as_u64().unwrap_or(0) >= 1, "an h3 listed under its h2");
    let unreachable = c
        .execute(
            "return [...document.querySelectorAll('.prose pre, .table-wrap')]
                .filter(e => e.scrollWidth > e.clientWidth && e.tabIndex < 0).length;",
            vec![],
        )
        .await
        .expect("scrollables");
    assert_eq!(unreachable.as_u64(), Some(0), "every scrolling block is focusable");
    if let Some(violations) = browser.axe_violations().await {
        assert!(violations.is_empty(), "axe on a wide article at 390 px: {violations:#?}");
    }
    browser.screenshot("article-contents-and-wide-table-390").await;

    // On paper: no contents box, breadcrumbs or vote buttons; external links print
    // where they go.
    browser.media("print").await;
    let printed = c
        .execute(
            "const shown = s => { const e = document.querySelector(s); return !!e && getComputedStyle(e).display !== 'none'; };
             const external = [...document.querySelectorAll('.prose a[href^=\"http\"]')][0];
             return { toc: shown('.toc'), crumbs: shown('.breadcrumbs'), vote: shown('.feedback'),
                      header: shown('.site-header'), body: shown('.prose'),
                      after: external ? getComputedStyle(external, '::after').content : 'none' };",
            vec![],
        )
        .await
        .expect("print styles");
    assert_eq!(
        (&printed["toc"], &printed["crumbs"], &printed["vote"], &printed["header"], &printed["body"]),
        (
            &serde_json::json!(false),
            &serde_json::json!(false),
            &serde_json::json!(false),
            &serde_json::json!(false),
            &serde_json::json!(true)
        ),
        "{printed}"
    );
    c.goto(&server.url("/articles/reading-the-metrics")).await.expect("article with an external link");
    let after = c
        .execute(
            "const a = document.querySelector('.prose a[href^=\"http\"]'); return [a.href, getComputedStyle(a, '::after').content];",
            vec![],
        )
        .await
        .expect("link");
    let (href, after) = (after[0].as_str().unwrap_or_default(), after[1].as_str().unwrap_or_default());
    // Chromium reports the rule (`attr(href)`) or its value, depending on version.
    assert!(after.contains(href) || after.contains("attr(href)"), "printed after the link: {after} (link {href})");
    browser.media("screen").await;

    browser.viewport(1280, 1000, false).await;
    c.goto(&server.url("/faq/quire")).await.expect("faq");
    // The answers (and their vote buttons) are in closed <details> until opened.
    c.execute("document.querySelectorAll('details.faq-item').forEach(d => d.open = true);", vec![])
        .await
        .expect("open the answers");
    let names = browser.accessible_names("button").await;
    let votes: Vec<&String> = names.iter().filter(|n| n.starts_with("Yes") || n.starts_with("No")).collect();
    assert!(votes.len() >= 6, "{names:?}");
    let distinct: std::collections::HashSet<&&String> = votes.iter().collect();
    assert_eq!(distinct.len(), votes.len(), "every FAQ vote button has its own name: {votes:?}");
    assert!(votes.iter().any(|n| n.contains("Do I need a database?")), "named after its question: {votes:?}");
    browser.close().await;
}

#[tokio::test]
async fn follow_up_after_no_asks_what_went_wrong_first_with_large_targets() {
    let Some(browser) = Browser::start().await else { return };
    let server = Server::start(&sample_content());
    let c = &browser.client;
    browser.viewport(390, 844, true).await;
    c.goto(&server.url("/articles/install-and-run")).await.expect("article");
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    c.find(Locator::Css(".feedback button[value=no]")).await.expect("No").click().await.expect("vote");
    c.wait().for_element(Locator::Css(".feedback .scale-point")).await.expect("follow-up");
    let layout = c
        .execute(
            "const reasons = document.querySelector('.feedback fieldset.reasons');
             const effort = document.querySelector('.feedback fieldset.effort');
             const first = !!(reasons.compareDocumentPosition(effort) & Node.DOCUMENT_POSITION_FOLLOWING);
             const points = [...effort.querySelectorAll('.scale-point')].map(p => p.getBoundingClientRect());
             return { reasonsFirst: first, tops: points.map(r => Math.round(r.top)),
                      widths: points.map(r => r.width), heights: points.map(r => r.height),
                      legend: effort.querySelector('legend').textContent };",
            vec![],
        )
        .await
        .expect("measure");
    assert_eq!(layout["reasonsFirst"], true, "after No, what went wrong comes first");
    let tops: Vec<i64> =
        layout["tops"].as_array().expect("tops").iter().filter_map(serde_json::Value::as_i64).collect();
    assert_eq!(tops.len(), 7);
    assert!(tops.iter().all(|t| *t == tops[0]), "one row of points: {tops:?}");
    for key in ["widths", "heights"] {
        let sizes: Vec<f64> =
            layout[key].as_array().expect("sizes").iter().filter_map(serde_json::Value::as_f64).collect();
        assert!(sizes.iter().all(|s| *s >= 44.0), "{key} at least 44 px: {sizes:?}");
    }
    assert!(!layout["legend"].as_str().unwrap_or_default().contains("solve your problem"), "{layout}");
    let names = browser.accessible_names("radio").await;
    assert!(
        names.iter().any(|n| n.contains("Very easy")) && names.iter().any(|n| n.contains("Very difficult")),
        "{names:?}"
    );
    // Choosing a point by touch selects it.
    c.find(Locator::Css(".feedback .scale-point:nth-child(2)")).await.expect("point").click().await.expect("tap");
    let checked = c.execute("return document.querySelector('input[name=effort]:checked')?.value;", vec![]).await;
    assert_eq!(checked.expect("checked").as_str(), Some("2"));
    browser.screenshot("feedback-follow-up-phone").await;
    browser.close().await;
}

#[tokio::test]
async fn suggestions_offer_all_results_and_reopen_with_the_down_arrow() {
    let Some(browser) = Browser::start().await else { return };
    let server = Server::start(&sample_content());
    let c = &browser.client;
    c.goto(&server.url("/")).await.expect("home");
    let input = c.find(Locator::Css("#q")).await.expect("search box");
    input.send_keys("password").await.expect("type");
    let all = c.wait().for_element(Locator::Css("#q-suggestions-all")).await.expect("all-results row");
    assert_eq!(all.text().await.expect("text"), "See all results for “password”");
    input.send_keys(&Key::Escape.to_string()).await.expect("escape");
    let hidden = c.execute("return document.getElementById('q-suggestions').hidden;", vec![]).await.expect("hidden");
    assert_eq!(hidden, true, "Escape closes the list");
    input.send_keys(&format!("{}{}", Key::Alt, Key::Down)).await.expect("alt+down");
    let hidden = c.execute("return document.getElementById('q-suggestions').hidden;", vec![]).await.expect("hidden");
    assert_eq!(hidden, false, "Alt+Down reopens it");
    input.send_keys(&Key::Escape.to_string()).await.expect("escape");
    input.send_keys(&Key::Down.to_string()).await.expect("down");
    let count = c.execute("return document.querySelectorAll('#q-suggestions [role=option]').length;", vec![]).await;
    let count = count.expect("count").as_u64().unwrap_or(0) as usize;
    assert!(count >= 2, "Down reopens the list");
    // Up from the top wraps to the last row, the all-results row; Enter goes there.
    input.send_keys(&Key::Up.to_string()).await.expect("up");
    let active = input.attr("aria-activedescendant").await.expect("attr");
    assert_eq!(active.as_deref(), Some("q-suggestions-all"));
    input.send_keys(&Key::Enter.to_string()).await.expect("enter");
    c.wait()
        .for_url(&url::Url::parse(&server.url("/search?q=password")).expect("url"))
        .await
        .expect("the results page");
    assert_clean_console(&browser, "suggestions").await;
    browser.close().await;
}

#[tokio::test]
async fn no_script_follow_up_redirects_after_posting_and_reload_sends_nothing_again() {
    let Some(browser) = Browser::start().await else { return };
    let server = Server::start(&sample_content());
    let c = &browser.client;
    browser.scripts(false).await;
    c.goto(&server.url("/articles/search-tips")).await.expect("article");
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    c.find(Locator::Css(".feedback button[value=no]")).await.expect("No").click().await.expect("vote");
    c.wait().for_element(Locator::Css("textarea[name=comment]")).await.expect("follow-up page");
    c.find(Locator::Css("textarea[name=comment]")).await.expect("comment").send_keys("Too short").await.expect("type");
    c.find(Locator::Css(".feedback-details button[type=submit]")).await.expect("send").click().await.expect("send");
    c.wait().for_element(Locator::Css(".feedback-contact")).await.expect("thanks page");
    let at = c.current_url().await.expect("url");
    assert_eq!(at.path(), "/feedback/thanks", "post, redirect, get");
    c.refresh().await.expect("reload");
    assert_eq!(c.current_url().await.expect("url").path(), "/feedback/thanks");
    let back = c.find(Locator::LinkText("Back to the article")).await.expect("back link");
    assert_eq!(back.attr("href").await.expect("href").as_deref(), Some("/articles/search-tips#feedback-search-tips"));
    let store = quire::store::Store::open(server.data.path()).expect("db");
    let votes = quire::feedback::FeedbackStore::votes_between(&store, 0, i64::MAX).expect("votes");
    assert_eq!(votes.len(), 1, "one vote, stored once");
    assert_eq!(votes[0].comment.as_deref(), Some("Too short"));
    browser.close().await;
}

/// Posts a "No" with a comment from a new reader, the way the page's script does.
async fn unhelpful_with_comment(server: &Server, page: &str, comment: &str) {
    let client = common::raw_client();
    let reader = common::reader_cookie(server);
    let post = |path: &str, body: String| {
        client
            .post(server.url(path))
            .header(reqwest::header::ORIGIN, &server.base)
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(reqwest::header::ACCEPT, "application/json")
            .header(reqwest::header::COOKIE, &reader)
            .header(reqwest::header::USER_AGENT, common::BROWSER_USER_AGENT)
            .body(body)
    };
    let vote = post("/feedback", format!("page={page}&helpful=no&arrival=browse")).send().await.expect("vote");
    let json: serde_json::Value = vote.json().await.expect("json");
    let ticket = json["ticket"].as_str().expect("ticket").to_string();
    let details =
        post("/feedback/details", format!("ticket={ticket}&comment={comment}")).send().await.expect("details");
    assert_eq!(details.status(), 200);
}

#[tokio::test]
async fn staff_resolve_inbox_items_in_place_with_undo() {
    let Some(browser) = Browser::start().await else { return };
    let server = Server::start_with_config(
        &sample_content(),
        "[feedback]\nwrites_per_minute = 100000\nmin_seconds_before_vote = 0\n",
    );
    server.add_staff("ann@example.com", "correct horse battery");
    for (n, page) in ["search-tips", "install-and-run", "configure-quire", "search-tips"].iter().enumerate() {
        unhelpful_with_comment(&server, page, &format!("problem+{n}")).await;
    }
    let c = &browser.client;
    c.goto(&server.url("/staff/inbox")).await.expect("inbox");
    c.find(Locator::Css("#login-email")).await.expect("email").send_keys("ann@example.com").await.expect("type");
    let password = c.find(Locator::Css("#login-password")).await.expect("password");
    password.send_keys("correct horse battery").await.expect("type");
    password.send_keys(&Key::Enter.to_string()).await.expect("submit");
    c.wait().for_element(Locator::Css(".inbox-item")).await.expect("the inbox");
    let ids =
        c.execute("return [...document.querySelectorAll('.inbox-item')].map(i => i.id);", vec![]).await.expect("items");
    let ids: Vec<String> = ids.as_array().expect("ids").iter().filter_map(|i| i.as_str().map(str::to_string)).collect();
    assert_eq!(ids.len(), 4, "{ids:?}");
    // Each "Mark resolved" is named after its item.
    let names = browser.accessible_names("button").await;
    let resolve: Vec<&String> = names.iter().filter(|n| n.starts_with("Mark resolved")).collect();
    assert_eq!(resolve.len(), 4, "{names:?}");
    assert!(resolve.iter().all(|n| n.len() > "Mark resolved".len() + 3), "{resolve:?}");

    // Resolve the second: the notice takes its place, before the third.
    c.find(Locator::Css(&format!("#{} button[value=resolve]", ids[1])))
        .await
        .expect("button")
        .click()
        .await
        .expect("click");
    let notice = c.wait().for_element(Locator::Css("#inbox-notice")).await.expect("notice");
    assert!(notice.text().await.expect("text").contains("Marked resolved"), "confirmed");
    assert_eq!(c.current_url().await.expect("url").fragment(), Some("inbox-notice"));
    let after_notice = c
        .execute("return document.getElementById('inbox-notice').closest('li').nextElementSibling.id;", vec![])
        .await
        .expect("next");
    assert_eq!(after_notice.as_str(), Some(ids[2].as_str()), "the notice sits where the item was");
    browser.screenshot("staff-inbox-resolved").await;
    if let Some(violations) = browser.axe_violations().await {
        assert!(violations.is_empty(), "axe on the inbox with a notice: {violations:#?}");
    }
    // Undo brings it back.
    c.find(Locator::Css("#inbox-notice button")).await.expect("undo").click().await.expect("click");
    c.wait().for_element(Locator::XPath("//*[@id='inbox-notice'][contains(., 'Reopened')]")).await.expect("reopened");
    c.find(Locator::Css(&format!("#{}", ids[1]))).await.expect("back in the list");

    // Bulk: tick two, resolve both.
    for id in [&ids[0], &ids[3]] {
        c.find(Locator::Css(&format!("#{id} .inbox-pick"))).await.expect("checkbox").click().await.expect("tick");
    }
    c.find(Locator::Css(".inbox-bulk button")).await.expect("bulk").click().await.expect("click");
    // The page before still shows the undo's notice: wait for the new one by its words.
    c.wait()
        .for_element(Locator::XPath("//*[@id='inbox-notice'][contains(., 'Marked 2 items resolved')]"))
        .await
        .expect("notice");
    let left = c.execute("return document.querySelectorAll('.inbox-item').length;", vec![]).await.expect("count");
    assert_eq!(left.as_u64(), Some(2));
    assert_clean_console(&browser, "inbox").await;
    browser.close().await;
}

#[tokio::test]
async fn a_video_embed_loads_its_player_only_when_asked() {
    let Some(browser) = Browser::start().await else { return };
    let content = common::copy_of_sample_content();
    std::fs::write(
        content.path().join("getting-started/video-tour.md"),
        "---\ntitle: Video tour\n---\nWatch the tour.\n\n<iframe width=\"560\" height=\"315\" src=\"https://www.youtube.com/embed/dQw4w9WgXcQ\" title=\"Quire in two minutes\" allowfullscreen></iframe>\n",
    )
    .expect("write");
    let server = Server::start(content.path());
    let policy = |path: &'static str| {
        let url = server.url(path);
        async move {
            let response = reqwest::get(url).await.expect("get");
            response.headers()[reqwest::header::CONTENT_SECURITY_POLICY].to_str().expect("csp").to_string()
        }
    };
    assert!(policy("/articles/video-tour").await.contains("frame-src https://www.youtube-nocookie.com"));
    assert!(!policy("/articles/search-tips").await.contains("frame-src"), "other pages keep the strict policy");

    let c = &browser.client;
    browser.viewport(390, 844, true).await;
    c.goto(&server.url("/articles/video-tour")).await.expect("article");
    let frames = c.execute("return document.querySelectorAll('iframe').length;", vec![]).await.expect("count");
    assert_eq!(frames.as_u64(), Some(0), "nothing from the other site before play");
    let link = c.find(Locator::Css(".video-embed a")).await.expect("placeholder");
    assert_eq!(link.text().await.expect("text"), "Play “Quire in two minutes” on YouTube");
    browser.screenshot("article-video-390").await;
    assert_clean_console(&browser, "video placeholder").await;
    link.click().await.expect("play");
    let frame = c.wait().for_element(Locator::Css(".video-embed iframe")).await.expect("player");
    let src = frame.attr("src").await.expect("src").unwrap_or_default();
    assert!(src.starts_with("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1"), "{src}");
    assert_eq!(c.current_url().await.expect("url").path(), "/articles/video-tour", "played in place");
    browser.close().await;
}

#[tokio::test]
async fn staff_edit_an_article_with_a_live_preview_and_publish_it() {
    let Some(browser) = Browser::start().await else { return };
    let content = common::copy_of_sample_content();
    let server = Server::start(content.path());
    server.add_staff_with_role("ann@example.com", "correct horse battery", "editor");
    let c = &browser.client;
    c.goto(&server.url("/staff/edit?path=getting-started/what-is-quire.md")).await.expect("editor");
    c.find(Locator::Css("#login-email")).await.expect("email").send_keys("ann@example.com").await.expect("type");
    let password = c.find(Locator::Css("#login-password")).await.expect("password");
    password.send_keys("correct horse battery").await.expect("type");
    password.send_keys(&Key::Enter.to_string()).await.expect("submit");
    let body = c.wait().for_element(Locator::Css("#ed-body")).await.expect("the editor");
    // With JavaScript the formatting toolbar shows.
    let toolbar_shown =
        c.execute("return !document.querySelector('.editor-toolbar').hidden;", vec![]).await.expect("toolbar");
    assert_eq!(toolbar_shown.as_bool(), Some(true));

    // Typing updates the preview (rendered by the server) and the checks.
    c.execute(
        "const b = document.getElementById('ed-body'); b.focus(); b.setSelectionRange(b.value.length, b.value.length);",
        vec![],
    )
    .await
    .expect("to the end");
    body.send_keys("\nA sentence typed in the browser. See [this](missing-page.md).").await.expect("type");
    c.wait()
        .for_element(Locator::XPath("//*[@id='editor-preview'][contains(., 'A sentence typed in the browser.')]"))
        .await
        .expect("the preview follows the text");
    let finding = c
        .wait()
        .for_element(Locator::XPath("//*[@id='editor-findings']/li[contains(., 'missing-page.md')]"))
        .await
        .expect("the broken link is reported");
    let finding = finding.text().await.expect("text");
    let file = std::fs::read_to_string(content.path().join("getting-started/what-is-quire.md")).expect("read");
    // The text ends with a line break, and the typing starts with one: a blank line, then this.
    let line = file.lines().count() + 2;
    assert!(finding.contains(&format!("line {line}")), "at the line it will have in the file: {finding}");
    // Ctrl+B makes the selection bold.
    c.execute("const b = document.getElementById('ed-body'); const at = b.value.indexOf('typed'); b.setSelectionRange(at, at + 5);", vec![])
        .await
        .expect("select");
    body.send_keys(&format!("{}b{}", Key::Control, Key::Control)).await.expect("ctrl+b");
    c.wait()
        .for_element(Locator::XPath("//*[@id='editor-preview']//strong[. = 'typed']"))
        .await
        .expect("bold in the preview");
    assert_clean_console(&browser, "editor").await;
    if let Some(violations) = browser.axe_violations().await {
        assert!(violations.is_empty(), "axe on the editor: {violations:#?}");
    }
    browser.screenshot("staff-editor").await;

    // Fix the link and publish: the public page shows the new text within 2 s.
    c.execute(
        "const b = document.getElementById('ed-body'); b.value = b.value.replace(' See [this](missing-page.md).', '');",
        vec![],
    )
    .await
    .expect("fix");
    c.find(Locator::Css("button[value=publish]")).await.expect("publish").click().await.expect("click");
    c.wait()
        .for_element(Locator::XPath("//*[@id='editor-status'][contains(., 'Saved and published')]"))
        .await
        .expect("saved");
    let saved_at = std::time::Instant::now();
    let mut public = String::new();
    while saved_at.elapsed() < std::time::Duration::from_secs(2) {
        public = reqwest::get(server.url("/articles/what-is-quire")).await.expect("get").text().await.expect("body");
        if public.contains("A sentence <strong>typed</strong> in the browser.") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(public.contains("A sentence <strong>typed</strong> in the browser."), "live within 2 s");
    if let Some(violations) = browser.axe_violations().await {
        assert!(violations.is_empty(), "axe after saving: {violations:#?}");
    }
    browser.close().await;
}

#[tokio::test]
async fn staff_create_a_page_with_an_image_meet_a_conflict_and_viewers_are_refused() {
    let Some(browser) = Browser::start().await else { return };
    let content = common::copy_of_sample_content();
    let server = Server::start(content.path());
    server.add_staff("ann@example.com", "correct horse battery"); // the first account: admin
    server.add_staff_with_role("vic@example.com", "correct horse battery", "viewer");
    let c = &browser.client;
    let sign_in = |email: &'static str| async move {
        c.find(Locator::Css("#login-email")).await.expect("email").send_keys(email).await.expect("type");
        let password = c.find(Locator::Css("#login-password")).await.expect("password");
        password.send_keys("correct horse battery").await.expect("type");
        password.send_keys(&Key::Enter.to_string()).await.expect("submit");
    };

    // A new page, from the staff menu, with an image chosen through the toolbar's file input.
    c.goto(&server.url("/staff/new?folder=getting-started")).await.expect("new");
    sign_in("ann@example.com").await;
    c.wait().for_element(Locator::Css("#ed-title")).await.expect("the editor");
    c.find(Locator::Css("#ed-title")).await.expect("title").send_keys("Pay with PayPal").await.expect("type");
    let body = c.find(Locator::Css("#ed-body")).await.expect("body");
    body.clear().await.expect("clear");
    body.send_keys("Choose PayPal at checkout.\n").await.expect("type");
    let picture = content.path().join("screenshot.png");
    image::RgbImage::new(4, 3).save(&picture).expect("png");
    c.find(Locator::Css("#ed-image"))
        .await
        .expect("file input")
        .send_keys(picture.to_str().expect("path"))
        .await
        .expect("choose");
    c.wait()
        .for_element(Locator::XPath("//*[@id='editor-status'][contains(., 'Image added')]"))
        .await
        .expect("uploaded");
    c.wait()
        .for_element(Locator::XPath("//*[@id='editor-preview']//img[contains(@src, 'screenshot.png')]"))
        .await
        .expect("the picture in the preview");
    assert!(content.path().join("getting-started/screenshot.png").is_file());
    if let Some(violations) = browser.axe_violations().await {
        assert!(violations.is_empty(), "axe on a new page: {violations:#?}");
    }
    c.find(Locator::Css("button[value=draft]")).await.expect("save draft").click().await.expect("click");
    c.wait()
        .for_element(Locator::XPath("//*[@id='editor-status'][contains(., 'created as a draft')]"))
        .await
        .expect("created");
    assert_eq!(reqwest::get(server.url("/articles/pay-with-paypal")).await.expect("get").status(), 404, "a draft");
    c.find(Locator::Css("button[value=publish]")).await.expect("publish").click().await.expect("click");
    c.wait()
        .for_element(Locator::XPath("//*[@id='editor-status'][contains(., 'Saved and published')]"))
        .await
        .expect("published");
    let published = common::eventually(std::time::Duration::from_secs(2), || async {
        let response = reqwest::get(server.url("/articles/pay-with-paypal")).await.expect("get");
        response.status() == 200 && response.text().await.expect("body").contains("screenshot.png")
    })
    .await;
    assert!(published, "public within 2 s, with the picture");

    // Someone changes the file while the editor is open: the save shows both versions.
    let file = content.path().join("getting-started/pay-with-paypal.md");
    let text = std::fs::read_to_string(&file).expect("read");
    std::fs::write(&file, text.replace("Choose PayPal at checkout.", "Choose PayPal when you pay.")).expect("write");
    let body = c.find(Locator::Css("#ed-body")).await.expect("body");
    body.send_keys("It takes a minute.\n").await.expect("type");
    c.find(Locator::Css("button[value=publish]")).await.expect("publish").click().await.expect("click");
    c.wait().for_element(Locator::Css("table.diff")).await.expect("the comparison");
    let notice = c.find(Locator::Css("#editor-status")).await.expect("status").text().await.expect("text");
    assert!(notice.contains("Nothing was overwritten"), "{notice}");
    let merged: String = c
        .execute("return document.getElementById('ed-body').value;", vec![])
        .await
        .expect("value")
        .as_str()
        .expect("text")
        .to_string();
    assert!(merged.contains("when you pay") && merged.contains("It takes a minute."), "{merged}");
    if let Some(violations) = browser.axe_violations().await {
        assert!(violations.is_empty(), "axe on the conflict: {violations:#?}");
    }
    browser.screenshot("staff-editor-conflict").await;
    // The refused save is answered 409 (Conflict), which Chromium logs; nothing else.
    let errors = browser.console_errors().await;
    assert!(errors.iter().all(|e| e.contains("409")), "{errors:#?}");

    // The history and the accounts page.
    for path in ["/staff/history?path=getting-started/pay-with-paypal.md", "/staff/accounts"] {
        c.goto(&server.url(path)).await.expect("page");
        assert_clean_console(&browser, path).await;
        if let Some(violations) = browser.axe_violations().await {
            assert!(violations.is_empty(), "axe on {path}: {violations:#?}");
        }
    }

    // A viewer is refused the editor.
    c.delete_all_cookies().await.expect("sign out");
    c.goto(&server.url("/staff/edit?path=getting-started/pay-with-paypal.md")).await.expect("editor");
    sign_in("vic@example.com").await;
    c.wait()
        .for_element(Locator::XPath("//*[contains(., 'can read the dashboard but not edit pages')]"))
        .await
        .expect("refused");
    assert!(c.find(Locator::Css("#ed-body")).await.is_err(), "no editor for a viewer");
    browser.close().await;
}
