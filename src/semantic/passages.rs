//! Cutting pages into passages the model reads: an article's title with its summary and
//! opening, then its sections (split at headings, about 100 words each); every FAQ
//! question with its answer. Each passage remembers where its text is in the page, so
//! a result can link to the section and show the passage as its snippet.

use std::ops::Range;

use crate::content::{Library, Rendered};
use crate::search::Target;

/// Words in a passage at most: about 128 model tokens with the title in front.
const MAX_WORDS: usize = 100;
/// A section shorter than this joins the one after it (a heading over a sub-heading, a
/// one-line note), so no passage is only a heading.
const MIN_SECTION_WORDS: usize = 12;
/// Passages per page at most: very long pages are embedded from the start, where
/// their subject is laid out.
const MAX_PASSAGES_PER_PAGE: usize = 32;

/// One passage of one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    pub target: Target,
    /// Index of the section in the page's [`Rendered::sections`] the passage starts in;
    /// `None` for the opening of the page.
    pub section: Option<usize>,
    /// Where the passage's text is in the page's plain text (its snippet).
    pub range: Range<usize>,
    /// What the model reads: the page title (and heading) first, for context.
    pub text: String,
}

/// How pages are cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassageSettings {
    /// Words in a passage at most.
    pub max_words: usize,
    /// A page's title also stands alone as a passage.
    pub title_passage: bool,
}

impl Default for PassageSettings {
    fn default() -> Self {
        Self { max_words: MAX_WORDS, title_passage: false }
    }
}

/// Every passage of every published page, in page order.
pub fn passages(library: &Library) -> Vec<Passage> {
    passages_with(library, &PassageSettings::default())
}

/// [`passages`] cut with explicit settings.
pub fn passages_with(library: &Library, settings: &PassageSettings) -> Vec<Passage> {
    let mut out = Vec::new();
    for (index, article) in library.articles.iter().enumerate().filter(|(_, a)| !a.draft) {
        let lead = match article.summary.as_deref() {
            Some(summary) if !summary.trim().is_empty() => format!("{}. {}", article.title, summary.trim()),
            _ => article.title.clone(),
        };
        page_passages(Target::Article(index), &lead, &article.title, &article.rendered, settings, &mut out);
    }
    for (page_index, page) in library.faqs.iter().enumerate().filter(|(_, f)| !f.draft) {
        for (question_index, question) in page.questions.iter().enumerate() {
            let target = Target::FaqQuestion { page: page_index, question: question_index };
            page_passages(target, &question.question, &question.question, &question.answer, settings, &mut out);
        }
    }
    out
}

/// A stretch of text to cut into passages, with the section it starts in.
struct Segment {
    section: Option<usize>,
    heading: Option<String>,
    range: Range<usize>,
}

fn page_passages(
    target: Target,
    lead: &str,
    title: &str,
    rendered: &Rendered,
    settings: &PassageSettings,
    out: &mut Vec<Passage>,
) {
    let text = rendered.plain_text.as_str();
    let intro_end = rendered.sections.first().map_or(text.len(), |s| s.start);
    let mut segments = vec![Segment { section: None, heading: None, range: 0..intro_end }];
    for (index, section) in rendered.sections.iter().enumerate() {
        let end = rendered.sections.get(index + 1).map_or(text.len(), |s| s.start);
        segments.push(Segment {
            section: Some(index),
            heading: Some(section.title.clone()),
            range: section.start..end,
        });
    }
    // Short segments join the next one (the opening always stands alone: it carries the
    // title, the page's strongest passage).
    let mut merged: Vec<Segment> = Vec::with_capacity(segments.len());
    for segment in segments {
        match merged.last_mut() {
            Some(previous)
                if previous.section.is_some()
                    && previous.range.end == segment.range.start
                    && word_count(&text[previous.range.clone()]) < MIN_SECTION_WORDS =>
            {
                previous.range.end = segment.range.end;
            }
            _ => merged.push(segment),
        }
    }
    let first = out.len();
    if settings.title_passage && lead != title {
        out.push(Passage { target, section: None, range: 0..0, text: title.to_string() });
    }
    for segment in merged {
        let words = words_with_offsets(&text[segment.range.clone()]);
        if segment.section.is_none() && words.is_empty() {
            // A page that is all sections still gets its title passage.
            out.push(Passage { target, section: None, range: 0..0, text: lead.to_string() });
            continue;
        }
        for (chunk_index, chunk) in chunks(&words, settings.max_words).into_iter().enumerate() {
            if out.len() - first >= MAX_PASSAGES_PER_PAGE {
                return;
            }
            let start = segment.range.start + words[chunk.start].0.start;
            let end = segment.range.start + words[chunk.end - 1].0.end;
            let body: Vec<&str> = words[chunk].iter().map(|(_, w)| *w).collect();
            let context = match (&segment.heading, chunk_index) {
                (None, 0) => lead.to_string(),
                (None, _) => title.to_string(),
                // The heading is the first words of the section's text already.
                (Some(_), 0) => title.to_string(),
                (Some(heading), _) => format!("{title}. {heading}"),
            };
            out.push(Passage {
                target,
                section: segment.section,
                range: start..end,
                text: with_context(&context, &body.join(" ")),
            });
        }
    }
}

/// `context` then `body`, with a full stop between unless `context` ends a sentence.
fn with_context(context: &str, body: &str) -> String {
    let context = context.trim_end();
    if context.ends_with(['.', '?', '!', ':']) {
        format!("{context} {body}")
    } else {
        format!("{context}. {body}")
    }
}

fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// The words of `text` with their byte ranges.
fn words_with_offsets(text: &str) -> Vec<(Range<usize>, &str)> {
    let mut words = Vec::new();
    let mut start = None;
    for (offset, ch) in text.char_indices() {
        match (ch.is_whitespace(), start) {
            (true, Some(s)) => {
                words.push((s..offset, &text[s..offset]));
                start = None;
            }
            (false, None) => start = Some(offset),
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s..text.len(), &text[s..]));
    }
    words
}

/// Ranges of word indices: at most `max_words` each, ending at a sentence end when one
/// comes after 60% of that.
fn chunks(words: &[(Range<usize>, &str)], max_words: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < words.len() {
        let hard_end = (start + max_words.max(1)).min(words.len());
        let mut end = hard_end;
        if hard_end < words.len() {
            if let Some(position) =
                (start + max_words * 3 / 5..hard_end).rev().find(|&i| words[i].1.ends_with(['.', '?', '!', ':']))
            {
                end = position + 1;
            }
        }
        out.push(start..end);
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::markdown::{render, KeepLinks, RenderRequest};

    fn rendered(markdown: &str) -> Rendered {
        render(&RenderRequest {
            markdown,
            first_line: 1,
            title: None,
            links: &KeepLinks,
            mdx: crate::content::MdxMode::Detect,
            line_map: None,
        })
    }

    fn cut(markdown: &str) -> Vec<Passage> {
        let mut out = Vec::new();
        page_passages(
            Target::Article(0),
            "Reset your password. Get back in.",
            "Reset your password",
            &rendered(markdown),
            &PassageSettings::default(),
            &mut out,
        );
        out
    }

    #[test]
    fn opening_then_one_passage_per_section_with_the_title_in_front() {
        let long = "Open the sign-in page and choose the link under the form. ".repeat(3);
        let passages =
            cut(&format!("Forgot it? Start here.\n\n## From the app\n\n{long}\n\n## From the website\n\n{long}\n"));
        assert_eq!(passages.len(), 3, "{passages:#?}");
        assert_eq!(passages[0].section, None);
        assert!(passages[0].text.starts_with("Reset your password. Get back in. Forgot it?"), "{}", passages[0].text);
        assert_eq!(passages[1].section, Some(0));
        assert!(passages[1].text.starts_with("Reset your password. From the app Open"), "{}", passages[1].text);
        assert_eq!(passages[2].section, Some(1));
    }

    #[test]
    fn ranges_point_at_the_passage_text() {
        let markdown =
            "Intro words here.\n\n## Steps\n\nFirst do this, then do that, and finally check the result twice.\n";
        let page = rendered(markdown);
        let mut out = Vec::new();
        page_passages(Target::Article(0), "T", "T", &page, &PassageSettings::default(), &mut out);
        assert_eq!(&page.plain_text[out[0].range.clone()], "Intro words here.");
        assert!(page.plain_text[out[1].range.clone()].starts_with("Steps\nFirst do this"));
        assert!(page.plain_text[out[1].range.clone()].ends_with("twice."));
    }

    #[test]
    fn long_sections_are_cut_at_sentence_ends_and_short_ones_merge() {
        let sentence = "The board resets when the port opens so wait a moment. ";
        let markdown = format!("## Windows\n\n## Step one\n\n{}\n", sentence.repeat(30));
        let passages = cut(&markdown);
        // The empty "Windows" section joined "Step one"; the opening is the title alone.
        assert_eq!(passages[0].text, "Reset your password. Get back in.");
        assert!(passages.len() >= 4, "{}", passages.len());
        for passage in &passages[1..] {
            assert_eq!(passage.section, Some(0));
            let words = passage.text.split_whitespace().count();
            assert!(words <= MAX_WORDS + 8, "{words} words");
        }
        assert!(passages[1].text.ends_with("moment."), "{}", passages[1].text);
        assert!(passages[2].text.starts_with("Reset your password. Windows."), "{}", passages[2].text);
    }

    #[test]
    fn huge_pages_are_capped() {
        let markdown = format!("## Part\n\n{}\n", "word ".repeat(MAX_WORDS * (MAX_PASSAGES_PER_PAGE + 10)));
        assert_eq!(cut(&markdown).len(), MAX_PASSAGES_PER_PAGE);
    }
}
