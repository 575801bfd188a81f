//! The content loader against small folders of files built per test: structure,
//! slugs, aliases, ids, links and every kind of bad input.

use std::path::Path;

use quire::content::{self, Library, LoadOptions, Severity};

/// Writes `files` (path, contents) into a fresh folder and loads it.
fn load(files: &[(&str, &[u8])]) -> (tempfile::TempDir, Library) {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, contents) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, contents).expect("write");
    }
    let library = content::load(
        dir.path(),
        &LoadOptions { old_hosts: vec!["support.example.com".into()], ..LoadOptions::default() },
    );
    (dir, library)
}

fn errors(library: &Library) -> Vec<String> {
    library.diagnostics.iter().filter(|d| d.severity == Severity::Error).map(|d| d.to_string()).collect()
}

fn warnings(library: &Library) -> Vec<String> {
    library.diagnostics.iter().filter(|d| d.severity == Severity::Warning).map(|d| d.to_string()).collect()
}

#[test]
fn folders_become_categories_and_sections_in_order() {
    let (_dir, lib) = load(&[
        ("Billing & Payments/_meta.yml", b"title: Billing and payments\norder: 2\n"),
        ("Billing & Payments/Invoices/find-invoice.md", b"---\ntitle: Find an invoice\norder: 2\n---\nx"),
        ("Billing & Payments/Invoices/a-first.md", b"---\ntitle: Zebra first by order\norder: 1\n---\nx"),
        ("Billing & Payments/Invoices/no-order.md", b"---\ntitle: Alpha without order\n---\nx"),
        ("Compte Oplà/login.md", b"---\ntitle: Log in\n---\nx"),
        ("Account/_meta.yml", b"title: Your account\norder: 1\ndescription: Sign-in and profile\n"),
        ("Account/profile.md", b"---\ntitle: Edit profile\n---\nx"),
    ]);
    assert!(errors(&lib).is_empty(), "{:?}", errors(&lib));
    let titles: Vec<&str> = lib.categories.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(titles, vec!["Your account", "Billing and payments", "Compte Oplà"]);
    let billing = lib.category("billing-payments").expect("slug from folder name");
    assert_eq!(billing.sections.len(), 1);
    let order: Vec<&str> = billing.sections[0].articles.iter().map(|&i| lib.articles[i].title.as_str()).collect();
    assert_eq!(order, vec!["Zebra first by order", "Find an invoice", "Alpha without order"]);
    assert!(lib.category("compte-opla").is_some(), "accents fold to ASCII slugs");
    assert_eq!(lib.category("account").and_then(|c| c.description.as_deref()), Some("Sign-in and profile"));
}

#[test]
fn related_articles_share_tags_then_section_then_category() {
    let (_dir, lib) = load(&[
        ("Billing/Invoices/find-invoice.md", b"---\ntitle: Find an invoice\ntags: [invoice, pdf]\n---\nx"),
        ("Billing/Invoices/resend-invoice.md", b"---\ntitle: Resend an invoice\ntags: [invoice]\n---\nx"),
        ("Billing/Invoices/invoice-address.md", b"---\ntitle: Invoice address\n---\nx"),
        ("Billing/refunds.md", b"---\ntitle: Refunds\n---\nx"),
        ("Billing/draft.md", b"---\ntitle: Draft about invoices\ntags: [invoice]\ndraft: true\n---\nx"),
        ("Account/export-pdf.md", b"---\ntitle: Export as PDF\ntags: [pdf]\n---\nx"),
        ("Account/password.md", b"---\ntitle: Change password\n---\nx"),
    ]);
    let index = lib.articles.iter().position(|a| a.slug == "find-invoice").expect("article");
    let titles = |limit| lib.related(index, limit).iter().map(|a| a.title.as_str()).collect::<Vec<_>>();
    // A shared tag in the same section (3 + 2 + 1) beats a shared tag elsewhere (3) and
    // the same section without a tag (2 + 1; ties go by title), then the same category.
    assert_eq!(titles(10), vec!["Resend an invoice", "Export as PDF", "Invoice address", "Refunds"]);
    assert_eq!(titles(2), vec!["Resend an invoice", "Export as PDF"], "the limit keeps the best");
    assert!(lib.related(lib.articles.len() + 5, 5).is_empty(), "an unknown index has none");
}

#[test]
fn slugs_are_ascii_and_duplicates_stay_reachable() {
    let (_dir, lib) = load(&[
        ("Guides/Café Crème setup.md", b"---\ntitle: Cafe\n---\nx"),
        ("Proxy/introduction.md", b"---\ntitle: Proxy intro\n---\nx"),
        ("Props/introduction.md", b"---\ntitle: Props intro\n---\nx"),
    ]);
    assert!(lib.article("cafe-creme-setup").is_some());
    let intro_slugs: Vec<&str> =
        lib.articles.iter().filter(|a| a.title.ends_with("intro")).map(|a| a.slug.as_str()).collect();
    assert_eq!(intro_slugs.len(), 2);
    assert!(intro_slugs.contains(&"introduction"));
    assert!(intro_slugs.iter().any(|s| s.ends_with("-introduction") && *s != "introduction"), "{intro_slugs:?}");
    assert_eq!(warnings(&lib).len(), 1, "{:?}", warnings(&lib));
    assert!(errors(&lib).is_empty());
}

#[test]
fn explicit_slug_and_alias_collisions_are_errors() {
    let (_dir, lib) = load(&[
        ("a.md", b"---\ntitle: A\nslug: same\n---\nx"),
        ("b.md", b"---\ntitle: B\nslug: same\n---\nx"),
        ("c.md", b"---\ntitle: C\naliases: [a-old, same]\n---\nx"),
        ("d.md", b"---\ntitle: D\naliases: [a-old]\n---\nx"),
    ]);
    let errs = errors(&lib);
    assert!(errs.iter().any(|e| e.contains("`slug: same` is already used by a.md")), "{errs:?}");
    assert!(errs.iter().any(|e| e.contains("alias `same` collides")), "{errs:?}");
    assert!(errs.iter().any(|e| e.contains("alias `a-old` collides")), "{errs:?}");
    // Both B and the alias owner stay reachable.
    assert!(lib.article("b").is_some());
    assert_eq!(lib.alias_target("a-old"), Some("c"));
}

#[test]
fn an_alias_equal_to_the_own_slug_is_only_a_warning() {
    let (_dir, lib) = load(&[("refunds.md", b"---\ntitle: Refunds\naliases: [refunds, old-refunds]\n---\nx")]);
    assert!(errors(&lib).is_empty(), "{:?}", errors(&lib));
    let warned = warnings(&lib);
    assert!(warned.iter().any(|w| w.contains("alias `refunds` is the article's own slug")), "{warned:?}");
    assert_eq!(lib.alias_target("old-refunds"), Some("refunds"));
}

#[test]
fn bad_files_are_reported_with_file_and_line_and_others_load() {
    let (_dir, lib) = load(&[
        ("good.md", b"---\ntitle: Good\n---\nFine."),
        ("broken-yaml.md", b"---\ntitle: Broken\ntags: [a, b\n---\nx"),
        ("no-title.md", b"---\nsummary: none\n---\nx"),
        ("unclosed.md", b"---\ntitle: Unclosed\nBody without closing"),
        ("empty.md", b""),
        ("latin1.md", b"---\ntitle: Caf\xe9\n---\nx"),
        ("no-front-matter.md", b"# Heading\n\nText"),
    ]);
    let errs = errors(&lib);
    let expect = [
        "broken-yaml.md:3: invalid front matter",
        "no-title.md:1: the front matter has no `title`",
        "unclosed.md:1: the front matter opened by `---` on line 1 is never closed",
        "empty.md:1: the file is empty",
        "latin1.md:2: the file is not valid UTF-8",
        "no-front-matter.md:1: missing front matter",
    ];
    for fragment in expect {
        assert!(errs.iter().any(|e| e.contains(fragment)), "no error containing {fragment:?} in {errs:#?}");
    }
    assert_eq!(errs.len(), expect.len(), "{errs:#?}");
    assert!(lib.article("good").is_some());
}

#[test]
fn links_resolve_and_broken_ones_are_errors() {
    let (_dir, lib) = load(&[
        ("billing/refunds.md", b"---\ntitle: Refunds\nid: 360001\n---\n## Fees\n"),
        ("billing/img/form.png", b"\x89PNG"),
        (
            "account/login.md",
            b"---\ntitle: Login\n---\nSee [refunds](../billing/refunds.md#fees), [old](https://support.example.com/hc/en-us/articles/360001-Refunds),\n[abs](/billing/refunds) and ![form](../billing/img/form.png).\n\n[gone](missing.md)\n\n![nope](img/nope.png)\n",
        ),
    ]);
    let html = &lib.article("login").expect("login").rendered.html;
    assert!(html.contains(r#"href="/articles/refunds#fees""#), "{html}");
    assert!(html.contains(r#"href="/articles/refunds""#), "{html}");
    assert!(html.contains(r#"src="/media/billing/img/form.png""#), "{html}");
    let errs = errors(&lib);
    assert!(errs.iter().any(|e| e.contains("account/login.md:7: broken link `missing.md`")), "{errs:#?}");
    assert!(errs.iter().any(|e| e.contains("account/login.md:9: missing image `img/nope.png`")), "{errs:#?}");
    assert_eq!(lib.legacy_url("360001"), Some("/articles/refunds"));
    assert!(lib.media_file("billing/img/form.png").is_some());
}

#[test]
fn drafts_are_hidden_and_faqs_need_questions() {
    let (_dir, lib) = load(&[
        ("a/draft.md", b"---\ntitle: Draft\ndraft: true\n---\nx"),
        ("a/faq.md", b"---\ntitle: FAQ\ntype: faq\n---\nIntro\n\n## How?\nLike this.\n\n## Why?\nBecause.\n"),
        ("a/empty-faq.md", b"---\ntitle: Empty FAQ\ntype: faq\n---\nNo questions here.\n"),
    ]);
    assert!(lib.article("draft").is_none());
    let faq = lib.faq("faq").expect("faq");
    assert_eq!(faq.questions.iter().map(|q| q.id.as_str()).collect::<Vec<_>>(), vec!["how", "why"]);
    assert!(errors(&lib).iter().any(|e| e.contains("empty-faq.md") && e.contains("no questions")));
    assert!(lib.faq("empty-faq").is_none());
}

#[test]
fn stale_review_and_unknown_keys_warn() {
    let (_dir, lib) = load(&[("a.md", b"---\ntitle: A\nreviewed: 2019-01-01\ntittle: typo\n---\nx")]);
    let warns = warnings(&lib);
    assert!(warns.iter().any(|w| w.contains("a.md:3: last reviewed")), "{warns:?}");
    assert!(warns.iter().any(|w| w.contains("unknown front matter key `tittle`")), "{warns:?}");
    assert!(errors(&lib).is_empty());
}

#[test]
fn broken_edit_keeps_last_good_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a.md");
    std::fs::write(&file, "---\ntitle: Good title\n---\nGood body").expect("write");
    let first = content::load(dir.path(), &LoadOptions::default());
    std::fs::write(&file, "---\ntitle: [broken\n---\nNew body").expect("write");
    let second = content::load(dir.path(), &LoadOptions { previous: Some(&first), ..LoadOptions::default() });
    let article = second.article("a").expect("still served");
    assert!(article.rendered.html.contains("Good body"));
    assert!(second.diagnostics[0].message.contains("last good version"), "{}", second.diagnostics[0]);
}

#[test]
fn bundled_sample_content_is_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let lib = content::load(&dir, &LoadOptions::default());
    assert!(lib.diagnostics.is_empty(), "{:#?}", lib.diagnostics.iter().map(ToString::to_string).collect::<Vec<_>>());
    assert!(lib.published().count() >= 15);
    assert!(lib.published_faqs().count() >= 1);
    assert!(lib.visible_categories().count() >= 3);
}

#[test]
fn oversized_files_are_reported_and_not_loaded() {
    let big = format!("---\ntitle: Huge\n---\n{}", "A pasted log line that nobody should publish.\n".repeat(60_000));
    let (_dir, lib) = load(&[("guide/huge.md", big.as_bytes()), ("guide/small.md", b"---\ntitle: Small\n---\nx")]);
    let errors = errors(&lib);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("guide/huge.md") && e.contains("check.max_file_kb") && e.contains("not loaded")),
        "{errors:?}"
    );
    assert!(lib.articles.iter().all(|a| a.title != "Huge"));
    assert!(lib.articles.iter().any(|a| a.title == "Small"));

    // With the limit raised, a 5 MB article loads (and renders in linear time).
    let dir = tempfile::tempdir().expect("tempdir");
    let big = format!("---\ntitle: Big\n---\n{}", "Lots of text about boards and sketches.\n\n".repeat(120_000));
    std::fs::write(dir.path().join("big.md"), big).expect("write");
    let options = LoadOptions { max_file_bytes: 8 * 1024 * 1024, ..LoadOptions::default() };
    let lib = content::load(dir.path(), &options);
    assert!(lib.article("big").expect("5 MB article loads").rendered.html.len() > 4_000_000);
}

/// Runs git in `dir` with a fixed identity and commit date.
fn git(dir: &Path, args: &[&str], date: &str) -> bool {
    std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Ann")
        .env("GIT_AUTHOR_EMAIL", "ann@example.com")
        .env("GIT_COMMITTER_NAME", "Ann")
        .env("GIT_COMMITTER_EMAIL", "ann@example.com")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn updated_dates_come_from_git_history_not_checkout_times() {
    let dir = tempfile::tempdir().expect("tempdir");
    if !git(dir.path(), &["init", "-q"], "2024-03-05T10:00:00Z") {
        assert!(std::env::var("QUIRE_REQUIRE_GIT").is_err(), "QUIRE_REQUIRE_GIT=1 but git is not installed");
        eprintln!("SKIPPED: git dates need git (apt-get install git)");
        return;
    }
    let write = |path: &str, text: &str| {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
    };
    write("Billing/refunds.md", "---\ntitle: Refunds\n---\nx");
    write("Billing/invoices.md", "---\ntitle: Invoices\n---\nx");
    assert!(git(dir.path(), &["add", "."], "2024-03-05T10:00:00Z"));
    assert!(git(dir.path(), &["commit", "-qm", "first"], "2024-03-05T10:00:00Z"));
    write("Billing/invoices.md", "---\ntitle: Invoices\n---\nchanged");
    assert!(git(dir.path(), &["commit", "-qam", "second"], "2025-07-09T10:00:00Z"));
    write("Billing/new.md", "---\ntitle: New\n---\nnot committed yet");
    write("Billing/dated.md", "---\ntitle: Dated\nupdated: 2023-01-02\n---\nx");

    let today = chrono::Utc::now().date_naive();
    let library = content::load(dir.path(), &LoadOptions { today, ..LoadOptions::default() });
    let updated = |slug: &str| library.article(slug).expect(slug).updated.to_string();
    assert_eq!(updated("refunds"), "2024-03-05", "the last commit, though the file was written today");
    assert_eq!(updated("invoices"), "2025-07-09");
    assert_eq!(updated("new"), today.to_string(), "not in history: the file's time");
    assert_eq!(updated("dated"), "2023-01-02", "the front matter wins");
}

#[test]
fn snippet_problems_point_at_the_including_line() {
    let (_dir, lib) = load(&[
        ("_snippets/steps.md", b"1. Open [settings](settings.md).\n2. Save.\n"),
        (
            "guide.md",
            b"---\ntitle: Guide\n---\nIntro\n\n{% snippet steps %}\n\n{% snippet nowhere %}\n{{< youtube x >}}\n",
        ),
    ]);
    assert!(lib.article("steps").is_none(), "a snippet is not an article");
    let errs = errors(&lib);
    let warned = warnings(&lib);
    // The snippet's broken link and the missing snippet, at the lines that include them.
    assert!(errs.iter().any(|e| e.contains("guide.md:6") && e.contains("settings.md")), "{errs:?}");
    assert!(errs.iter().any(|e| e.contains("guide.md:8") && e.contains("snippet `nowhere` not found")), "{errs:?}");
    assert!(warned.iter().any(|w| w.contains("guide.md:9") && w.contains("Hugo")), "{warned:?}");
    let guide = lib.article("guide").expect("guide");
    assert!(guide.rendered.html.contains("<li>Save.</li>"), "{}", guide.rendered.html);
    assert!(!guide.rendered.plain_text.contains("youtube"));
    assert_eq!((lib.snippets_filled, lib.template_tags_removed), (1, 1), "counted for quire check");
}
