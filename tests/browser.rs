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
