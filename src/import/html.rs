//! Article HTML from another tool, as the Markdown an author would have written.

use std::collections::HashMap;
use std::sync::LazyLock;

use htmd::options::{BrStyle, BulletListMarker, HrStyle, Options, TranslationMode};
use htmd::HtmlToMarkdown;
use regex::Regex;

/// One converter for every article: building it sets up its tag handlers.
static CONVERTER: LazyLock<HtmlToMarkdown> = LazyLock::new(|| {
    HtmlToMarkdown::builder()
        .options(Options {
            bullet_list_marker: BulletListMarker::Dash,
            ul_bullet_spacing: 1,
            ol_number_spacing: 1,
            hr_style: HrStyle::Dashes,
            br_style: BrStyle::Backslash,
            // What Markdown cannot say (a video, a table with merged cells) stays as
            // HTML, which Quire renders (sanitized), instead of being dropped.
            translation_mode: TranslationMode::Faithful,
            ..Options::default()
        })
        .skip_tags(vec!["script", "style", "head", "noscript"])
        .build()
});

static SRC_OR_HREF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)\b(src|href)\s*=\s*"([^"]*)""#).expect("valid regex"));

/// `html` as Markdown, with the addresses in `local` (an attachment's URL → the file
/// it was saved as) pointing at the saved files.
pub fn to_markdown(html: &str, local: &HashMap<String, String>) -> std::io::Result<String> {
    let html = if local.is_empty() {
        html.to_string()
    } else {
        SRC_OR_HREF
            .replace_all(html, |caps: &regex::Captures<'_>| {
                let url = caps[2].replace("&amp;", "&");
                match local.get(&url).or_else(|| local.get(url.split('?').next().unwrap_or(&url))) {
                    Some(file) => format!("{}=\"{file}\"", &caps[1]),
                    None => caps[0].to_string(),
                }
            })
            .into_owned()
    };
    let markdown = CONVERTER.convert(&html)?;
    Ok(format!("{}\n", markdown.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_become_markdown_and_local_images() {
        let html = concat!(
            "<h2>Before you start</h2><p>You need <strong>admin</strong> rights.</p>",
            "<ol><li>Open <a href=\"https://acme.example.com/hc/en-us/articles/1-Settings\">Settings</a>.</li><li>Save.</li></ol>",
            "<p><img src=\"https://acme.zendesk.com/hc/article_attachments/9/shot.png\" alt=\"Settings page\"></p>",
            "<pre><code>quire check\n</code></pre><script>alert(1)</script>"
        );
        let local = HashMap::from([(
            "https://acme.zendesk.com/hc/article_attachments/9/shot.png".to_string(),
            "shot.png".to_string(),
        )]);
        let markdown = to_markdown(html, &local).expect("converted");
        assert!(markdown.starts_with("## Before you start\n\nYou need **admin** rights."), "{markdown}");
        assert!(
            markdown.contains("1. Open [Settings](https://acme.example.com/hc/en-us/articles/1-Settings)."),
            "{markdown}"
        );
        assert!(markdown.contains("![Settings page](shot.png)"), "{markdown}");
        assert!(markdown.contains("```\nquire check\n```"), "{markdown}");
        assert!(!markdown.contains("alert"), "{markdown}");
    }
}
