//! The trust boundary between Markdown (which may carry HTML pasted from anywhere) and
//! the customer's browser. Everything rendered from content passes through
//! [`sanitize`]; templates insert its output unescaped.

use std::borrow::Cow;
use std::sync::LazyLock;

/// Class names content may carry: Quire's own callout, table and footnote classes, and
/// code-language hints. Anything else is dropped so pasted markup cannot restyle the page.
fn class_allowed(class: &str) -> bool {
    class.starts_with("callout")
        || class.starts_with("footnote-")
        || class.starts_with("language-")
        || class == "table-wrap"
        || matches!(class, "align-left" | "align-center" | "align-right")
        || class == "task-list-item"
        || matches!(class, "video-embed" | "video-link" | "embed-link")
        || class == "contains-task-list"
}

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .add_tags([
            "details",
            "summary",
            "figure",
            "figcaption",
            "kbd",
            "mark",
            "input",
            "section",
            "samp",
            "var",
            "bdi",
        ])
        // `dir` and `lang`: right-to-left passages and quotes in another language.
        .add_generic_attributes(["id", "dir", "lang"])
        .add_tag_attributes("input", ["type", "checked", "disabled", "aria-label"])
        .add_tag_attributes("div", ["class", "role", "tabindex"])
        .add_tag_attributes("pre", ["tabindex"])
        .add_tags(["video", "source", "track"])
        .add_tag_attributes("video", ["src", "poster", "width", "height", "preload", "muted", "loop", "playsinline"])
        // A video never plays by itself and always has its controls.
        .set_tag_attribute_value("video", "controls", "")
        .add_tag_attributes("source", ["src", "type"])
        .add_tag_attributes("track", ["src", "kind", "srclang", "label", "default"])
        .add_tag_attributes("figure", ["class", "data-player"])
        .add_tag_attributes("a", ["class"])
        .add_tag_attributes("p", ["class"])
        .add_tag_attributes("span", ["class"])
        .add_tag_attributes("sup", ["class"])
        .add_tag_attributes("code", ["class"])
        .add_tag_attributes("li", ["class"])
        .add_tag_attributes("ul", ["class"])
        .add_tag_attributes("ol", ["class", "start"])
        .add_tag_attributes("img", ["loading"])
        .add_tag_attributes("th", ["scope", "class"])
        .add_tag_attributes("td", ["class"])
        .attribute_filter(filter_attribute);
    builder
});

fn filter_attribute<'a>(element: &str, attribute: &str, value: &'a str) -> Option<Cow<'a, str>> {
    match attribute {
        "class" => {
            let kept: Vec<&str> = value.split_whitespace().filter(|c| class_allowed(c)).collect();
            (!kept.is_empty()).then(|| Cow::Owned(kept.join(" ")))
        }
        "role" => (value == "note").then_some(Cow::Borrowed(value)),
        // Only the players the page's script may load.
        "data-player" => (value.starts_with("https://www.youtube-nocookie.com/embed/")
            || value.starts_with("https://player.vimeo.com/video/"))
        .then_some(Cow::Borrowed(value)),
        "dir" => matches!(value.to_ascii_lowercase().as_str(), "ltr" | "rtl" | "auto").then_some(Cow::Borrowed(value)),
        "lang" => super::front_matter::is_language_tag(value).then_some(Cow::Borrowed(value)),
        "tabindex" => (value == "0").then_some(Cow::Borrowed(value)),
        "type" if element == "input" => (value == "checkbox").then_some(Cow::Borrowed(value)),
        // JSX expressions (`src={useBaseUrl('x')}`) are build-time code, not URLs.
        "src" | "href" if value.contains('{') => None,
        _ => Some(Cow::Borrowed(value)),
    }
}

/// Processing instructions (`<?php … ?>`), CDATA sections and declarations
/// (`<!DOCTYPE …>`) in raw HTML. An HTML parser reads each as a comment that ends at the
/// first `>`, which would leave the rest (`'; ?>`) on the page as text: they are
/// removed whole first. (Comments the sanitizer removes correctly.)
static NON_ELEMENT_MARKUP: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"(?s)<\?.*?\?>|<!\[CDATA\[.*?\]\]>|<![A-Za-z][^>]*>").expect("valid regex"));

/// Removes scripts, event handlers, `javascript:` URLs, styles and unknown tags from
/// rendered HTML, keeping their text.
pub fn sanitize(html: &str) -> String {
    let html = if html.contains("<?") || html.contains("<!") {
        NON_ELEMENT_MARKUP.replace_all(html, "")
    } else {
        Cow::Borrowed(html)
    };
    SANITIZER.clean(&html).to_string()
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn keeps_text_direction_and_language() {
        let out = sanitize(r#"<p dir="rtl" lang="ar">مرحبا</p><p dir="sideways" lang="x onclick=1">b</p><bdi>x</bdi>"#);
        assert!(out.contains(r#"<p dir="rtl" lang="ar">"#), "{out}");
        assert!(out.contains("<p>b</p>") && out.contains("<bdi>x</bdi>"), "{out}");
    }

    #[test]
    fn strips_script_handlers_and_javascript_urls() {
        let out = sanitize(
            r#"<p onclick="x()">Hi<script>alert(1)</script></p><a href="javascript:alert(1)">x</a><img src=x onerror=alert(1)><iframe src="https://evil"></iframe>"#,
        );
        assert!(!out.contains("script"), "{out}");
        assert!(!out.contains("onclick") && !out.contains("onerror"), "{out}");
        assert!(!out.contains("javascript:"), "{out}");
        assert!(!out.contains("iframe"), "{out}");
        assert!(out.contains("Hi"));
    }

    #[test]
    fn keeps_callouts_and_drops_foreign_classes() {
        let out = sanitize(r#"<div class="callout callout-tip hidden" role="note" style="color:red">x</div>"#);
        assert_eq!(out, r#"<div class="callout callout-tip" role="note">x</div>"#);
    }

    #[test]
    fn processing_instructions_and_cdata_leave_no_fragments() {
        let out = sanitize("<p>foo <?php echo '>'; ?> bar <![CDATA[&<]]> baz <!ELEMENT br EMPTY></p>");
        assert_eq!(out, "<p>foo  bar  baz </p>");
    }

    #[test]
    fn keeps_table_alignment_classes_only() {
        let out = sanitize(
            r#"<table><tr><td class="align-center">a</td><td style="color: red" class="x">b</td></tr></table>"#,
        );
        assert!(out.contains(r#"<td class="align-center">a</td>"#), "{out}");
        assert!(out.contains("<td>b</td>"), "{out}");
    }

    #[test]
    fn drops_jsx_expression_urls() {
        let out = sanitize(r#"<img src="{useBaseUrl('img/x.webp')}" alt="Shot">"#);
        assert!(!out.contains("useBaseUrl"), "{out}");
        assert!(out.contains(r#"alt="Shot""#));
    }
}
