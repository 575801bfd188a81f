//! Author text survives rendering: one-line articles of the kind support authors write
//! (placeholders, code with braces, prose that looks like another tool's syntax), each
//! loaded through the whole content pipeline, with the words a reader must see checked
//! in the page's visible text. And `quire check` shows every place where Quire changed
//! an author's text to read another tool's syntax.

mod common;

use std::process::Command;

use quire::content::{self, LoadOptions};

/// (source line, texts a reader must see, what must appear neither in the HTML nor in
/// the visible text).
const CASES: &[(&str, &[&str], &[&str])] = &[
    // The JSX-attribute rule used to run on prose and removed ` limit={100}`.
    ("Set limit={100} in the query.", &["Set limit={100} in the query."], &[]),
    ("Use `<Button onClick={save}>` in your page.", &["Use <Button onClick={save}> in your page."], &[]),
    // Template syntax is text in code; in prose it is another tool's leftover, which
    // is removed with a `quire check` warning (tests/content.rs), never silently.
    (
        "Greet them with `{{ customer.name }}` and `{% if vip %}`.",
        &["Greet them with {{ customer.name }} and {% if vip %}."],
        &[],
    ),
    ("Press <kbd>Ctrl</kbd>+<kbd>C</kbd> to copy.", &["Press Ctrl+C to copy."], &[]),
    ("A `Vec<T>` or Vec<T> holds values.", &["A Vec<T> or Vec<T> holds values."], &[]),
    ("Replace <port> with your board's port.", &["Replace <port> with your board's port."], &[]),
    ("If a<b>c then stop.", &["If a", "c then stop."], &[]),
    ("5 > 3 and 2 < 4, so x_y_z stays.", &["5 > 3 and 2 < 4, so x_y_z stays."], &[]),
    ("Open C:\\Users\\name and $HOME/.config.", &["Open C:\\Users\\name and $HOME/.config."], &[]),
    ("The set {.a, .b} is (in braces) {.x} here.", &["The set {.a, .b} is (in braces) {.x} here."], &[]),
    ("import your contacts from 'Gmail'", &["import your contacts from 'Gmail'"], &[]),
    ("export default settings are kept", &["export default settings are kept"], &[]),
    (":::note\nAn unclosed note stays as written.", &[":::note", "An unclosed note stays as written."], &["callout"]),
    (":::unknown Title\nText\n:::", &[":::unknown Title", "Text"], &["callout"]),
    ("Text\n:::note\nnot at the start of a block\n:::", &[":::note", "not at the start of a block"], &["callout"]),
    // Email autolinks used to get `mailto:mailto:`.
    ("Write to <help@example.com>.", &["Write to help@example.com."], &["mailto:mailto:"]),
    // Query- and junk-only targets used to become the folder's category page.
    ("See [settings](?tab=advanced) and <a href=\"**\">stars</a>.", &["See settings and stars."], &["/categories/"]),
    ("Before <?php echo '>'; ?> after <![CDATA[&<]]> end.", &["Before", "after", "end."], &["?>", "]]>"]),
    (
        "Type `{% include footer.md %}` or `{{< figure src=\"x\" >}}` verbatim.",
        &["{% include footer.md %}", "{{< figure src=\"x\" >}}"],
        &[],
    ),
];

/// Multi-line sources where code at some depth must come through unchanged.
const CODE_CASES: &[(&str, &[&str], &[&str])] = &[
    (
        "1. Add the note:\n\n       :::note\n       kept as code\n\n2. Save.\n\nThe rest of the page.",
        &[":::note", "kept as code", "Save.", "The rest of the page."],
        &["callout"],
    ),
    (
        "> ```jsx\n> import Tabs from '@theme/Tabs';\n> <Tabs value={x} />\n> ```",
        &["import Tabs from '@theme/Tabs';", "<Tabs value={x} />"],
        &[],
    ),
    (
        "- Step:\n\n  ```html\n  <img src={useBaseUrl('x.png')} />\n  [a](b){:target=\"_blank\"}\n  ```",
        &["<img src={useBaseUrl('x.png')} />", "[a](b){:target=\"_blank\"}"],
        &[],
    ),
];

fn load(sources: &[&str]) -> (tempfile::TempDir, content::Library) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("guide")).expect("mkdir");
    // The MDX detection looks at each file alone: one file imports a module, so its
    // rules are on there and nowhere else.
    std::fs::write(dir.path().join("guide/mdx.md"), "---\ntitle: MDX page\n---\nimport X from '@site/x';\n\nText\n")
        .expect("write");
    for (index, source) in sources.iter().enumerate() {
        std::fs::write(
            dir.path().join(format!("guide/case-{index:02}.md")),
            format!("---\ntitle: Case {index}\n---\n{source}\n"),
        )
        .expect("write");
    }
    let library = content::load(dir.path(), &LoadOptions::default());
    (dir, library)
}

/// What a reader sees: the HTML without tags, entities decoded.
fn visible_text(html: &str) -> String {
    static TAG: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"<[^>]*>").expect("regex"));
    TAG.replace_all(html, "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn check_cases(cases: &[(&str, &[&str], &[&str])]) {
    let sources: Vec<&str> = cases.iter().map(|(source, _, _)| *source).collect();
    let (_dir, library) = load(&sources);
    let mut failures = Vec::new();
    for (index, (source, visible, absent)) in cases.iter().enumerate() {
        let path = std::path::PathBuf::from(format!("guide/case-{index:02}.md"));
        let article = library.articles.iter().find(|a| a.source_path == path).expect("loaded");
        let html = &article.rendered.html;
        let text = visible_text(html);
        for wanted in *visible {
            if !text.contains(wanted) {
                failures.push(format!("{source:?}: reader does not see {wanted:?}\n  html: {html}"));
            }
        }
        for unwanted in *absent {
            if html.contains(unwanted) || text.contains(unwanted) {
                failures.push(format!("{source:?}: page has {unwanted:?}\n  html: {html}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_word_of_these_one_liners_survives() {
    check_cases(CASES);
}

#[test]
fn code_at_any_depth_comes_through_unchanged() {
    check_cases(CODE_CASES);
}

#[test]
fn email_autolinks_are_not_reported_and_folder_links_still_lead_to_categories() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("billing")).expect("mkdir");
    std::fs::create_dir_all(dir.path().join("account")).expect("mkdir");
    std::fs::write(dir.path().join("billing/refunds.md"), "---\ntitle: Refunds\n---\nx\n").expect("write");
    std::fs::write(
        dir.path().join("account/profile.md"),
        "---\ntitle: Profile\n---\nMail <help@example.com>; see [billing](../billing/) and [junk](**).\n",
    )
    .expect("write");
    let library = content::load(dir.path(), &LoadOptions::default());
    let messages: Vec<String> = library.diagnostics.iter().map(ToString::to_string).collect();
    assert!(!messages.iter().any(|m| m.contains("e-mail")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("broken link `**`")), "{messages:?}");
    let profile = library.articles.iter().find(|a| a.slug == "profile").expect("profile");
    assert!(profile.rendered.html.contains(r#"href="/categories/billing""#), "{}", profile.rendered.html);
    assert!(profile.rendered.html.contains(r#"href="**""#), "{}", profile.rendered.html);
}

#[test]
fn check_lists_every_rewrite_with_file_line_before_and_after() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("moved.md"),
        "---\ntitle: Moved in\n---\nimport CtaBox from '@site/src/components/CtaBox';\n\n:::tip Quick start\nRead [the guide](https://example.org){:target=\"_blank\"} first.\n:::\n\n<img alt=\"Shot\" src={useBaseUrl('img/x.png')} />\n",
    )
    .expect("write");
    std::fs::write(dir.path().join("plain.md"), "---\ntitle: Plain\n---\nSet limit={100} in the query.\n")
        .expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["check", "."])
        .current_dir(dir.path())
        .env_remove("QUIRE_CONTENT")
        .output()
        .expect("run quire check");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let expected = [
        "rewrite: ./moved.md:4: MDX import/export removed: `import CtaBox from '@site/src/components/CtaBox';` → (removed)",
        "rewrite: ./moved.md:6: Docusaurus admonition shown as a callout: `:::tip Quick start` → `Tip callout \"Quick start\"`",
        "rewrite: ./moved.md:7: kramdown attribute list removed: `Read [the guide](https://example.org){:target=\"_blank\"} first.` → `Read [the guide](https://example.org) first.`",
        "rewrite: ./moved.md:10: JSX expression attribute removed: `<img alt=\"Shot\" src={useBaseUrl('img/x.png')} />` → `<img alt=\"Shot\" />`",
        "4 rewrite(s)",
    ];
    for line in expected {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
    assert!(!stdout.contains("plain.md"), "{stdout}");
}
