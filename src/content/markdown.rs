//! Markdown → safe HTML, once per content version.
//!
//! The pipeline, for one document:
//! 1. [`preprocess`](super::preprocess) rewrites foreign syntaxes (MDX, admonitions,
//!    kramdown attributes) into CommonMark.
//! 2. pulldown-cmark parses it with the options set in [`parser_options`] (the only
//!    place they are set).
//! 3. One pass over the events gives headings stable, unique ids, turns GitHub alerts
//!    into callouts, wraps tables for small screens, resolves links through a
//!    [`LinkResolver`], keeps placeholder text such as `<port>` visible, and collects
//!    the plain text (for search and `llms.txt`) and the table of contents.
//! 4. The HTML is sanitized by [`sanitize`](super::sanitize::sanitize).

use std::collections::HashSet;

use pulldown_cmark::{BlockQuoteKind, CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};

use super::diagnostics::Severity;
use super::preprocess::{callout_label, escape_html, preprocess, MdxMode, SourceRewrite};
use super::sanitize::sanitize;

/// Every Markdown extension Quire enables, in one place.
pub fn parser_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM
}

/// Whether a link destination is a link or an image source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    Link,
    Image,
}

/// What a [`LinkResolver`] decided about one destination.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolution {
    /// The URL to write instead of the source destination, if it changes.
    pub rewrite: Option<String>,
    /// A problem to report at the link's line.
    pub problem: Option<(Severity, String)>,
}

/// Maps link destinations written by authors (`../billing/refunds.md#fees`) to URLs.
pub trait LinkResolver {
    fn resolve(&self, destination: &str, kind: LinkKind) -> Resolution;
}

/// A resolver that leaves every link as written (previews, tests).
pub struct KeepLinks;

impl LinkResolver for KeepLinks {
    fn resolve(&self, _destination: &str, _kind: LinkKind) -> Resolution {
        Resolution::default()
    }
}

/// One entry of an article's table of contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TocEntry {
    pub level: u8,
    pub id: String,
    pub title: String,
}

/// A problem found while rendering, at a 1-based line of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderProblem {
    pub line: usize,
    pub severity: Severity,
    pub message: String,
}

/// A stretch of the plain text under one heading, for search passages that link to
/// the part of an article that answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextSection {
    /// The heading's element id (the URL fragment).
    pub id: String,
    /// The heading text.
    pub title: String,
    /// Heading level after H1 demotion (2–6).
    pub level: u8,
    /// Byte offset in [`Rendered::plain_text`] where the heading's text starts; the
    /// section runs to the next section's start or the end of the text.
    pub start: usize,
}

/// Everything rendering produces, so later steps work on data instead of re-parsing HTML.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    /// Sanitized HTML, safe to insert into a page as is.
    pub html: String,
    /// The contents: headings of the article's two highest levels present (h2 and h3
    /// usually; h4 and h5 in an article whose headings are all h4), Markdown or HTML,
    /// in order.
    pub toc: Vec<TocEntry>,
    /// All heading texts (any level), for search.
    pub headings: Vec<String>,
    /// The readable text without markup, comments or code-only constructs.
    pub plain_text: String,
    /// Whether the page has a video player to load on request (its page needs a CSP
    /// that allows that player's frame).
    pub embeds: bool,
    /// Where each heading's part of `plain_text` starts (every level), in order.
    pub sections: Vec<TextSection>,
    pub problems: Vec<RenderProblem>,
    /// Where preprocessing changed the author's text, at 1-based file lines.
    pub rewrites: Vec<SourceRewrite>,
}

impl Rendered {
    /// The text before the first heading.
    pub fn intro(&self) -> &str {
        let end = self.sections.first().map_or(self.plain_text.len(), |s| s.start);
        self.plain_text.get(..end).unwrap_or("")
    }

    /// The plain text of section `index`, its heading first.
    pub fn section_text(&self, index: usize) -> &str {
        let Some(section) = self.sections.get(index) else {
            return "";
        };
        let end = self.sections.get(index + 1).map_or(self.plain_text.len(), |s| s.start);
        self.plain_text.get(section.start..end).unwrap_or("")
    }
}

/// Input for [`render`].
pub struct RenderRequest<'a> {
    pub markdown: &'a str,
    /// 1-based file line where `markdown` starts (after the front matter).
    pub first_line: usize,
    /// The page title: a leading H1 repeating it is dropped, since the page shows it.
    pub title: Option<&'a str>,
    pub links: &'a dyn LinkResolver,
    /// Whether MDX rules apply (see [`MdxMode`]).
    pub mdx: MdxMode,
    /// When `markdown` had snippets filled in: for each of its lines, the line of the
    /// written text it came from (problems are reported there).
    pub line_map: Option<&'a [usize]>,
}

/// Tags that are real inline HTML; any other `<word>` outside code is a placeholder an
/// author meant as text (`<port>`, `<username>`).
const INLINE_HTML_TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "br",
    "cite",
    "code",
    "del",
    "dfn",
    "em",
    "i",
    "img",
    "ins",
    "kbd",
    "mark",
    "q",
    "s",
    "samp",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "time",
    "u",
    "var",
    "wbr",
    "p",
    "div",
    "details",
    "summary",
    "figure",
    "figcaption",
    "table",
    "tr",
    "td",
    "th",
    "ul",
    "ol",
    "li",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "center",
    "font",
    "iframe",
    "script",
    "style",
    "form",
    "input",
    "button",
    "video",
    "audio",
    "source",
    "picture",
    "blockquote",
    "pre",
    "dl",
    "dt",
    "dd",
    "tbody",
    "thead",
    "label",
    "select",
    "option",
    "textarea",
    "object",
    "embed",
    "svg",
    "math",
];

fn is_placeholder(html: &str) -> bool {
    let Some(inner) = html.strip_prefix('<').and_then(|s| s.strip_suffix('>')) else {
        return false;
    };
    let mut chars = inner.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        && !INLINE_HTML_TAGS.contains(&inner.to_ascii_lowercase().as_str())
}

/// Turns heading text into a URL fragment: lowercase ASCII words joined by `-`.
pub fn heading_id(text: &str) -> String {
    let id = slug::slugify(text);
    if id.is_empty() {
        "section".to_string()
    } else {
        id
    }
}

/// Makes `id` unique among `taken` by appending `-2`, `-3`, … and records it.
pub fn unique_id(id: String, taken: &mut HashSet<String>) -> String {
    if taken.insert(id.clone()) {
        return id;
    }
    (2..)
        .map(|n| format!("{id}-{n}"))
        .find(|candidate| !taken.contains(candidate))
        .inspect(|candidate| {
            taken.insert(candidate.clone());
        })
        .unwrap_or(id)
}

struct HeadingInfo {
    start: usize,
    end: usize,
    text: String,
}

/// Renders one document; see the module docs for the steps.
pub fn render(request: &RenderRequest<'_>) -> Rendered {
    let pre = preprocess(request.markdown, request.mdx);
    let events: Vec<(Event<'_>, std::ops::Range<usize>)> =
        Parser::new_ext(&pre.text, parser_options()).into_offset_iter().collect();
    let written_line = |line: usize| request.line_map.and_then(|map| map.get(line).copied()).unwrap_or(line);
    let line_of = |offset: usize| written_line(pre.original_line(offset)) + request.first_line;

    let headings = collect_headings(&events);
    let mut skip_until = None;
    if let (Some(first), Some(title)) = (headings.first(), request.title) {
        let is_first_block = first.start == 0;
        let is_h1 = matches!(events[first.start].0, Event::Start(Tag::Heading { level: HeadingLevel::H1, .. }));
        if is_first_block && is_h1 && first.text.trim().eq_ignore_ascii_case(title.trim()) {
            skip_until = Some(first.end);
        }
    }

    let mut out = Rendered::default();
    let mut taken_ids = HashSet::new();
    let mut html_events: Vec<Event<'_>> = Vec::with_capacity(events.len() + 8);
    let mut heading_iter = headings.iter().peekable();
    let mut plain = String::with_capacity(request.markdown.len());
    // Sections with their start in `plain`, mapped to the collapsed text at the end.
    let mut sections: Vec<TextSection> = Vec::new();
    // Text between inline `<script>`/`<style>` tags is code the sanitizer removes;
    // it must not reach the plain text either.
    let mut in_raw_code_tag = false;

    for (index, (event, range)) in events.iter().enumerate() {
        if skip_until.is_some_and(|end| index <= end) {
            if heading_iter.peek().is_some_and(|h| h.start == index) {
                heading_iter.next();
            }
            continue;
        }
        // Video embeds become placeholders; other embedded content the sanitizer
        // removes is reported, so nothing disappears without a trace.
        let with_media;
        let event = match event {
            Event::Html(html) | Event::InlineHtml(html) if EMBEDDED_CONTENT.is_match(html) => {
                let replaced = CowStr::from(embedded_content(html, &mut out, line_of(range.start)));
                with_media =
                    if matches!(event, Event::Html(_)) { Event::Html(replaced) } else { Event::InlineHtml(replaced) };
                &with_media
            }
            _ => event,
        };
        match event {
            Event::Start(Tag::Heading { level, id, classes, attrs }) => {
                let info = heading_iter.next();
                let text = info.map(|h| h.text.clone()).unwrap_or_default();
                let level = if *level == HeadingLevel::H1 { HeadingLevel::H2 } else { *level };
                let wanted = id.as_ref().map(|i| i.to_string()).unwrap_or_else(|| heading_id(&text));
                let unique = unique_id(wanted, &mut taken_ids);
                if !text.trim().is_empty() {
                    out.toc.push(TocEntry { level: level as u8, id: unique.clone(), title: text.trim().to_string() });
                }
                out.headings.push(text.trim().to_string());
                if !text.trim().is_empty() {
                    // A heading starts on a line of its own in the plain text.
                    if !plain.is_empty() && !plain.ends_with('\n') {
                        plain.push('\n');
                    }
                    sections.push(TextSection {
                        id: unique.clone(),
                        title: text.trim().to_string(),
                        level: level as u8,
                        start: plain.len(),
                    });
                }
                html_events.push(Event::Start(Tag::Heading {
                    level,
                    id: Some(CowStr::from(unique)),
                    classes: classes.clone(),
                    attrs: attrs.clone(),
                }));
            }
            Event::End(TagEnd::Heading(level)) => {
                let level = if *level == HeadingLevel::H1 { HeadingLevel::H2 } else { *level };
                html_events.push(Event::End(TagEnd::Heading(level)));
                plain.push('\n');
            }
            Event::Start(Tag::BlockQuote(Some(kind))) => {
                let (class, label) = callout_label(blockquote_kind_name(*kind));
                html_events.push(Event::Html(CowStr::from(format!(
                    r#"<div class="callout callout-{class}" role="note"><p class="callout-title">{label}</p>"#
                ))));
            }
            Event::End(TagEnd::BlockQuote(Some(_))) => html_events.push(Event::Html(CowStr::from("</div>"))),
            Event::Start(Tag::Table(_)) => {
                html_events.push(Event::Html(CowStr::from(r#"<div class="table-wrap" tabindex="0">"#)));
                html_events.push(event.clone());
            }
            Event::End(TagEnd::Table) => {
                html_events.push(event.clone());
                html_events.push(Event::Html(CowStr::from("</div>")));
            }
            // `<help@example.com>`: pulldown-cmark writes the `mailto:` itself.
            Event::Start(Tag::Link { link_type: LinkType::Email, .. }) => html_events.push(event.clone()),
            Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                let dest = resolve(request, &mut out, dest_url, LinkKind::Link, line_of(range.start));
                html_events.push(Event::Start(Tag::Link {
                    link_type: *link_type,
                    dest_url: dest,
                    title: title.clone(),
                    id: id.clone(),
                }));
            }
            Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
                let dest = resolve(request, &mut out, dest_url, LinkKind::Image, line_of(range.start));
                html_events.push(Event::Start(Tag::Image {
                    link_type: *link_type,
                    dest_url: dest,
                    title: title.clone(),
                    id: id.clone(),
                }));
            }
            Event::InlineHtml(html) if is_placeholder(html) => {
                plain.push_str(html);
                html_events.push(Event::Html(CowStr::from(escape_html(html))));
            }
            // Headings written in HTML (`<h4>Question</h4>`, common in migrated
            // content) get ids and join the contents like Markdown ones.
            Event::Html(html) if HTML_HEADING.is_match(html) => {
                let with_ids = html_heading_ids(html, &mut taken_ids, &mut out, &mut plain, &mut sections);
                let rewritten = if with_ids.contains("href=") || with_ids.contains("src=") {
                    resolve_html_urls(request, &mut out, &with_ids, line_of(range.start))
                } else {
                    with_ids
                };
                html_events.push(Event::Html(CowStr::from(rewritten)));
            }
            Event::Html(html) if html.contains("href=") || html.contains("src=") => {
                let rewritten = resolve_html_urls(request, &mut out, html, line_of(range.start));
                html_events.push(Event::Html(CowStr::from(rewritten)));
            }
            Event::InlineHtml(html) if html.contains("href=") || html.contains("src=") => {
                let rewritten = resolve_html_urls(request, &mut out, html, line_of(range.start));
                html_events.push(Event::InlineHtml(CowStr::from(rewritten)));
            }
            Event::InlineHtml(html) => {
                let lower = html.to_ascii_lowercase();
                if lower.starts_with("<script") || lower.starts_with("<style") {
                    in_raw_code_tag = !lower.contains("</");
                } else if lower.starts_with("</script") || lower.starts_with("</style") {
                    in_raw_code_tag = false;
                }
                html_events.push(event.clone());
            }
            Event::Text(text) | Event::Code(text) => {
                if !in_raw_code_tag {
                    plain.push_str(text);
                }
                html_events.push(event.clone());
            }
            // pulldown-cmark's task checkbox has no label; screen readers need one.
            Event::TaskListMarker(done) => {
                let (checked, label) = if *done { (" checked", "Done") } else { ("", "Not done") };
                html_events.push(Event::Html(CowStr::from(format!(
                    r#"<input type="checkbox" disabled{checked} aria-label="{label}"> "#
                ))));
            }
            Event::SoftBreak | Event::HardBreak => {
                plain.push(' ');
                html_events.push(event.clone());
            }
            Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::CodeBlock | TagEnd::TableHead | TagEnd::TableRow) => {
                plain.push('\n');
                html_events.push(event.clone());
            }
            // A tab keeps cells apart: snippets show it as " · ", the index as a space.
            Event::End(TagEnd::TableCell) => {
                plain.push('\t');
                html_events.push(event.clone());
            }
            _ => html_events.push(event.clone()),
        }
    }

    let mut html = String::with_capacity(request.markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, html_events.into_iter());
    // A code block wider than the screen scrolls: keyboard users must reach it too.
    let html = html.replace("<pre><code", r#"<pre tabindex="0"><code"#);
    out.html = sanitize(&table_alignment_as_classes(html));
    let mut starts: Vec<usize> = sections.iter().map(|s| s.start).collect();
    out.plain_text = collapse_blank_lines(&plain, &mut starts);
    for (section, start) in sections.iter_mut().zip(starts) {
        section.start = start;
    }
    out.sections = sections;
    // The contents show the two highest heading levels the article uses.
    if let Some(top) = out.toc.iter().map(|e| e.level).min() {
        out.toc.retain(|e| e.level <= top + 1);
    }
    out.rewrites = pre
        .rewrites
        .into_iter()
        .map(|rewrite| SourceRewrite { line: written_line(rewrite.line) + request.first_line, ..rewrite })
        .collect();
    out
}

/// pulldown-cmark writes column alignment as inline styles, which the page's Content
/// Security Policy does not apply; classes of Quire's stylesheet do the same.
fn table_alignment_as_classes(html: String) -> String {
    if !html.contains(" style=\"text-align: ") {
        return html;
    }
    html.replace(" style=\"text-align: left\"", " class=\"align-left\"")
        .replace(" style=\"text-align: center\"", " class=\"align-center\"")
        .replace(" style=\"text-align: right\"", " class=\"align-right\"")
}

fn resolve<'a>(
    request: &RenderRequest<'_>,
    out: &mut Rendered,
    dest: &CowStr<'a>,
    kind: LinkKind,
    line: usize,
) -> CowStr<'a> {
    let resolution = request.links.resolve(dest, kind);
    if let Some((severity, message)) = resolution.problem {
        out.problems.push(RenderProblem { line, severity, message });
    }
    match resolution.rewrite {
        Some(url) => CowStr::from(url),
        None => dest.clone(),
    }
}

static HTML_HEADING: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"(?is)<h([1-6])\b([^>]*)>(.*?)</h([1-6])\s*>").expect("valid regex")
});
static HTML_ID_ATTRIBUTE: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r#"(?i)\bid\s*=\s*(?:"([^"]*)"|'([^']*)')"#).expect("valid regex"));
static HTML_TAG: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"<[^>]*>").expect("valid regex"));

/// Gives every heading in an HTML block a unique id (keeping the author's), adds it to
/// the contents, the plain text and the sections, and returns the block.
fn html_heading_ids(
    html: &str,
    taken_ids: &mut HashSet<String>,
    out: &mut Rendered,
    plain: &mut String,
    sections: &mut Vec<TextSection>,
) -> String {
    HTML_HEADING
        .replace_all(html, |caps: &regex::Captures<'_>| {
            if caps[1] != caps[4] {
                return caps[0].to_string();
            }
            let level: u8 = caps[1].parse().unwrap_or(2);
            let attributes = &caps[2];
            let inner = &caps[3];
            let title =
                decode_entities(HTML_TAG.replace_all(inner, "").split_whitespace().collect::<Vec<_>>().join(" "));
            if title.is_empty() {
                return caps[0].to_string();
            }
            let written = HTML_ID_ATTRIBUTE
                .captures(attributes)
                .and_then(|c| c.get(1).or_else(|| c.get(2)))
                .map(|m| m.as_str().to_string());
            let id = unique_id(written.clone().unwrap_or_else(|| heading_id(&title)), taken_ids);
            let attributes = match written {
                Some(_) => HTML_ID_ATTRIBUTE.replace(attributes, format!(r#"id="{id}""#).as_str()).into_owned(),
                None => format!(r#" id="{id}"{attributes}"#),
            };
            out.headings.push(title.clone());
            out.toc.push(TocEntry { level: level.max(2), id: id.clone(), title: title.clone() });
            if !plain.is_empty() && !plain.ends_with('\n') {
                plain.push('\n');
            }
            sections.push(TextSection {
                id: id.clone(),
                title: title.clone(),
                level: level.max(2),
                start: plain.len(),
            });
            plain.push_str(&title);
            plain.push('\n');
            format!("<h{level}{attributes}>{inner}</h{level}>")
        })
        .into_owned()
}

/// The few entities heading text uses, as characters.
fn decode_entities(text: String) -> String {
    if !text.contains('&') {
        return text;
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

/// Raw HTML the sanitizer would remove or that embeds another site.
static EMBEDDED_CONTENT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"(?i)<(iframe|script|object|embed|form|style|applet|frameset|frame)\b").expect("valid regex")
});
static IFRAME: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r#"(?is)<iframe\b((?:[^>"']|"[^"]*"|'[^']*')*)>(?:[^<]*</iframe\s*>)?"#).expect("valid regex")
});
static ATTRIBUTE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r#"(?i)\b(src|title)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))"#).expect("valid regex")
});
static YOUTUBE_ID: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"^(?:https?:)?//(?:www\.)?(?:youtube(?:-nocookie)?\.com/embed/|youtu\.be/)([\w-]{6,20})")
        .expect("valid regex")
});
static VIMEO_ID: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"^(?:https?:)?//player\.vimeo\.com/video/(\d{3,15})").expect("valid regex")
});

/// A video on another site: where the player is (loaded only when the reader asks),
/// where the video can be watched without it, and the site's name.
fn video_embed(src: &str) -> Option<(String, String, &'static str)> {
    if let Some(id) = YOUTUBE_ID.captures(src).map(|c| c[1].to_string()) {
        // youtube-nocookie: no tracking cookies until the video plays.
        return Some((
            format!("https://www.youtube-nocookie.com/embed/{id}"),
            format!("https://www.youtube.com/watch?v={id}"),
            "YouTube",
        ));
    }
    VIMEO_ID
        .captures(src)
        .map(|c| (format!("https://player.vimeo.com/video/{}", &c[1]), format!("https://vimeo.com/{}", &c[1]), "Vimeo"))
}

/// YouTube and Vimeo iframes as placeholders (a link to the video, which the page's
/// script turns into the player on a click); other iframes removed. Every element the
/// page will not show is reported as a warning.
fn embedded_content(html: &str, out: &mut Rendered, line: usize) -> String {
    let replaced = IFRAME.replace_all(html, |caps: &regex::Captures<'_>| {
        let attribute = |name: &str| {
            ATTRIBUTE
                .captures_iter(&caps[1])
                .find(|a| a[1].eq_ignore_ascii_case(name))
                .and_then(|a| a.get(2).or_else(|| a.get(3)).or_else(|| a.get(4)).map(|m| m.as_str().to_string()))
        };
        let src = attribute("src").unwrap_or_default();
        match video_embed(&src) {
            Some((player, watch, site)) => {
                out.embeds = true;
                let title = attribute("title").filter(|t| !t.trim().is_empty()).unwrap_or_else(|| "the video".into());
                let title = escape_html(&title);
                format!(
                    r#"<figure class="video-embed" data-player="{player}"><a class="video-link" href="{watch}">Play “{title}” on {site}</a></figure>"#
                )
            }
            None => {
                // Any other embedded page (a code viewer, a form, a map): a link to it, so
                // the reader can still open what the author meant to show.
                let web = src.starts_with("https://") || src.starts_with("http://");
                let host = if web { src.split('/').nth(2).unwrap_or_default() } else { "" };
                out.problems.push(RenderProblem {
                    line,
                    severity: Severity::Warning,
                    message: if web {
                        format!("embedded page from {host} shown as a link: only YouTube and Vimeo videos are embedded (as a placeholder until played)")
                    } else {
                        "embedded frame without a web address removed".to_string()
                    },
                });
                if !web {
                    return String::new();
                }
                let label = attribute("title").filter(|t| !t.trim().is_empty());
                let label = label.map(|t| format!("“{}”", escape_html(&t))).unwrap_or_else(|| "the embedded content".into());
                format!(r#"<a class="embed-link" href="{}">Open {label} on {host}</a>"#, escape_html(&src))
            }
        }
    });
    for found in EMBEDDED_CONTENT.captures_iter(&replaced) {
        let tag = found[1].to_ascii_lowercase();
        if tag != "iframe" {
            out.problems.push(RenderProblem {
                line,
                severity: Severity::Warning,
                message: format!("`<{tag}>` removed: pages cannot run scripts, forms, plugins or their own styles"),
            });
        }
    }
    replaced.into_owned()
}

static HTML_URL_ATTRIBUTE: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r#"\b(href|src)\s*=\s*"([^"]*)""#).expect("valid regex"));

/// Resolves `href="…"` and `src="…"` in raw HTML the same way as Markdown links, so a
/// pasted `<a href="https://old-help-desk/…">` also leads to the migrated article.
fn resolve_html_urls(request: &RenderRequest<'_>, out: &mut Rendered, html: &str, line: usize) -> String {
    HTML_URL_ATTRIBUTE
        .replace_all(html, |caps: &regex::Captures<'_>| {
            let kind = if &caps[1] == "src" { LinkKind::Image } else { LinkKind::Link };
            let resolved = resolve(request, out, &CowStr::from(caps[2].to_string()), kind, line);
            format!("{}=\"{}\"", &caps[1], resolved)
        })
        .into_owned()
}

fn blockquote_kind_name(kind: BlockQuoteKind) -> &'static str {
    match kind {
        BlockQuoteKind::Note => "note",
        BlockQuoteKind::Tip => "tip",
        BlockQuoteKind::Important => "important",
        BlockQuoteKind::Warning => "warning",
        BlockQuoteKind::Caution => "danger",
    }
}

fn collect_headings(events: &[(Event<'_>, std::ops::Range<usize>)]) -> Vec<HeadingInfo> {
    let mut headings = Vec::new();
    let mut current: Option<HeadingInfo> = None;
    for (index, (event, _)) in events.iter().enumerate() {
        match event {
            Event::Start(Tag::Heading { .. }) => {
                current = Some(HeadingInfo { start: index, end: index, text: String::new() })
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = current.as_mut() {
                    h.text.push_str(t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(mut h) = current.take() {
                    h.end = index;
                    headings.push(h);
                }
            }
            _ => {}
        }
    }
    headings
}

/// Trims every line and drops empty ones. `offsets` (ascending byte offsets into
/// `text`, each at a line start) are moved to the same place in the result.
fn collapse_blank_lines(text: &str, offsets: &mut [usize]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut next = 0;
    let mut line_start = 0;
    for raw in text.split_inclusive('\n') {
        let line = raw.trim();
        if !line.is_empty() {
            while next < offsets.len() && offsets[next] <= line_start {
                offsets[next] = out.len();
                next += 1;
            }
            out.push_str(line);
            out.push('\n');
        }
        line_start += raw.len();
    }
    for offset in &mut offsets[next..] {
        *offset = out.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(md: &str) -> Rendered {
        render(&RenderRequest {
            markdown: md,
            first_line: 1,
            title: Some("Title"),
            links: &KeepLinks,
            mdx: MdxMode::Detect,
            line_map: None,
        })
    }

    #[test]
    fn headings_get_unique_ids_and_toc() {
        let r = check("## Setup\n\n## Setup\n\n### Café & more {#custom}\n");
        assert!(r.html.contains(r#"<h2 id="setup">"#), "{}", r.html);
        assert!(r.html.contains(r#"<h2 id="setup-2">"#), "{}", r.html);
        assert!(r.html.contains(r#"<h3 id="custom">"#), "{}", r.html);
        assert_eq!(r.toc.len(), 3);
        assert_eq!(r.toc[2].title, "Café & more");
    }

    #[test]
    fn videos_play_and_embeds_wait_for_the_reader() {
        let r = check(concat!(
            "<iframe width=\"560\" src=\"https://www.youtube.com/embed/dQw4w9WgXcQ?si=x\" title=\"Reset <b>it</b>\"></iframe>\n\n",
            "<iframe src=\"https://player.vimeo.com/video/76979871\"></iframe>\n\n",
            "<iframe src=\"https://ads.example.com/x\"></iframe>\n\n",
            "<video src=\"https://cdn.example.com/clip.mp4\" autoplay width=\"640\"><track kind=\"captions\" src=\"https://cdn.example.com/clip.vtt\"></video>\n\n",
            "<script>alert(1)</script>\n"
        ));
        assert!(r.embeds);
        assert!(
            r.html.contains(
                r#"<figure class="video-embed" data-player="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ">"#
            ),
            "{}",
            r.html
        );
        assert!(r.html.contains(r#"href="https://www.youtube.com/watch?v=dQw4w9WgXcQ""#), "{}", r.html);
        assert!(r.html.contains("Play “Reset &lt;b&gt;it&lt;/b&gt;” on YouTube"), "{}", r.html);
        assert!(r.html.contains(r#"data-player="https://player.vimeo.com/video/76979871""#), "{}", r.html);
        assert!(r.html.contains(r#"<a class="embed-link" href="https://ads.example.com/x""#), "{}", r.html);
        assert!(!r.html.contains("<iframe"), "{}", r.html);
        assert!(r.html.contains("<video") && r.html.contains("controls") && !r.html.contains("autoplay"), "{}", r.html);
        assert!(r.html.contains(r#"<track kind="captions""#), "{}", r.html);
        let warned: Vec<&str> = r.problems.iter().map(|p| p.message.as_str()).collect();
        assert!(warned.iter().any(|m| m.contains("ads.example.com shown as a link")), "{warned:?}");
        assert!(warned.iter().any(|m| m.contains("`<script>` removed")), "{warned:?}");
        assert!(!check("Plain text.").embeds);
    }

    #[test]
    fn html_headings_get_ids_and_join_the_contents() {
        let r = check("Intro.\n\n<h4>How do I pay?</h4>\n\nBy card.\n\n<h4 id=\"refunds\" class=\"q\">Refunds &amp; returns</h4>\n\nWithin 30 days.\n\n<h4>How do I pay?</h4>\n\n#### Shipping\n");
        assert!(r.html.contains(r#"<h4 id="how-do-i-pay">How do I pay?</h4>"#), "{}", r.html);
        assert!(r.html.contains(r#"<h4 id="refunds""#), "{}", r.html);
        assert!(r.html.contains(r#"<h4 id="how-do-i-pay-2">"#), "ids stay unique: {}", r.html);
        let titles: Vec<&str> = r.toc.iter().map(|e| e.title.as_str()).collect();
        assert_eq!(titles, ["How do I pay?", "Refunds & returns", "How do I pay?", "Shipping"]);
        assert!(r.toc.iter().all(|e| e.level == 4), "an all-h4 article's contents are its h4s");
        assert!(r.plain_text.contains("Refunds & returns\nWithin 30 days."), "{:?}", r.plain_text);
        assert_eq!(r.sections.len(), 4);
        // With h2 sections present, h4s stay out of the contents.
        let r = check("## Billing\n\n### Cards\n\n<h4>Fine print</h4>\n");
        assert_eq!(r.toc.iter().map(|e| e.level).collect::<Vec<_>>(), [2, 3]);
    }

    #[test]
    fn leading_h1_repeating_title_is_dropped_and_others_demoted() {
        let r = check("# Title\n\nIntro\n\n# Part\n");
        assert!(!r.html.contains("<h1"), "{}", r.html);
        assert!(r.html.contains(r#"<h2 id="part">Part</h2>"#), "{}", r.html);
        assert!(!r.plain_text.contains("Title"));
    }

    #[test]
    fn github_alerts_become_callouts() {
        let r = check("> [!WARNING]\n> Back up first.\n");
        assert!(r.html.contains(r#"<div class="callout callout-warning" role="note">"#), "{}", r.html);
        assert!(r.html.contains("Back up first."));
        assert!(!r.html.contains("[!WARNING]"));
    }

    #[test]
    fn comments_are_neither_shown_nor_indexed() {
        let r = check("Visible <!-- hidden inline -->\n\n<!--\nold text\n-->\n");
        assert!(!r.html.contains("hidden") && !r.html.contains("old text"), "{}", r.html);
        assert!(!r.plain_text.contains("hidden") && !r.plain_text.contains("old text"));
    }

    #[test]
    fn placeholders_stay_visible() {
        let r = check("Run `avrdude -P <port>` or open <sketchbook>/libraries.\n");
        assert!(r.html.contains("&lt;port&gt;"), "{}", r.html);
        assert!(r.html.contains("&lt;sketchbook&gt;"), "{}", r.html);
        assert!(r.plain_text.contains("<sketchbook>"));
    }

    #[test]
    fn injected_html_is_sanitized() {
        let r = check("Hi <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(2)>\n\n<div onmouseover=\"x()\">y</div>\n");
        assert!(!r.html.contains("<script"), "{}", r.html);
        assert!(!r.html.contains("javascript:"), "{}", r.html);
        assert!(!r.html.contains("onerror") && !r.html.contains("onmouseover"), "{}", r.html);
        assert!(!r.plain_text.contains("alert(1)"));
    }

    #[test]
    fn extensions_render() {
        let r = check("| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~\n\n- [x] done\n\nNote[^1]\n\n[^1]: Footnote.\n");
        assert!(r.html.contains("<table>"), "{}", r.html);
        assert!(r.html.contains(r#"<div class="table-wrap" tabindex="0">"#), "{}", r.html);
        assert!(r.html.contains("<del>old</del>"), "{}", r.html);
        assert!(r.html.contains(r#"type="checkbox""#), "{}", r.html);
        assert!(r.html.contains("footnote-definition"), "{}", r.html);
    }

    struct Rewrite;
    impl LinkResolver for Rewrite {
        fn resolve(&self, destination: &str, _kind: LinkKind) -> Resolution {
            Resolution { rewrite: Some(format!("/resolved{destination}")), problem: None }
        }
    }

    #[test]
    fn raw_html_links_are_resolved_too() {
        let r = render(&RenderRequest {
            markdown:
                "<a href=\"/old\">x</a> and <img src=\"/pic.png\" alt=\"p\">\n\n<div><a href=\"/block\">y</a></div>\n",
            first_line: 1,
            title: None,
            links: &Rewrite,
            mdx: MdxMode::Detect,
            line_map: None,
        });
        assert!(r.html.contains(r#"href="/resolved/old""#), "{}", r.html);
        assert!(r.html.contains(r#"src="/resolved/pic.png""#), "{}", r.html);
        assert!(r.html.contains(r#"href="/resolved/block""#), "{}", r.html);
    }

    #[test]
    fn sections_point_into_the_plain_text() {
        let r = check("Intro line.\n\n## Install it\n\nRun the installer.\n\n### On macOS\n\nOpen the disk image.\n\n## Remove it\n\nDrag it to the bin.\n");
        assert_eq!(r.intro(), "Intro line.\n");
        let titles: Vec<&str> = r.sections.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles, ["Install it", "On macOS", "Remove it"]);
        assert_eq!(r.sections[1].id, "on-macos");
        assert_eq!(r.sections[1].level, 3);
        assert_eq!(r.section_text(0), "Install it\nRun the installer.\n");
        assert_eq!(r.section_text(1), "On macOS\nOpen the disk image.\n");
        assert_eq!(r.section_text(2), "Remove it\nDrag it to the bin.\n");
        assert_eq!(r.section_text(3), "");
    }

    #[test]
    fn thematic_break_in_body() {
        let r = check("Intro\n\n---\n\nMore\n");
        assert!(r.html.contains("<hr"), "{}", r.html);
    }

    #[test]
    fn mdx_components_degrade_to_text() {
        let r = check("import CtaBox from '@site/src/CtaBox';\n\n<CtaBox title=\"Try\" />\n\nText <Required/> here\n");
        assert!(!r.html.contains("CtaBox") && !r.html.contains("import"), "{}", r.html);
        assert!(r.html.contains("Text"));
    }

    #[test]
    fn five_megabyte_article_renders() {
        let para = "A sentence about uploading sketches to the board. ".repeat(20);
        let md = format!("## Big\n\n{}\n", vec![para; 5 * 1024 * 1024 / 1000].join("\n\n"));
        let r = check(&md);
        assert!(r.html.len() > 5_000_000);
    }
}
