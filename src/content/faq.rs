//! FAQ files: front matter with `type: faq`, an optional intro, then one `## Question`
//! heading per question with its Markdown answer below it.

/// One question of a FAQ file before rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawQuestion {
    pub question: String,
    pub answer_markdown: String,
    /// 1-based file line of the answer's first line.
    pub answer_first_line: usize,
}

/// Splits a FAQ body into its intro and questions. `first_line` is the body's file line.
pub fn split_questions(body: &str, first_line: usize) -> (String, Vec<RawQuestion>) {
    let mut intro = String::new();
    let mut questions: Vec<RawQuestion> = Vec::new();
    let mut in_fence: Option<String> = None;
    for (idx, line) in body.lines().enumerate() {
        let trimmed = line.trim_start();
        if let Some(fence) = &in_fence {
            if trimmed.starts_with(fence.as_str()) {
                in_fence = None;
            }
        } else if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = Some(trimmed[..3].to_string());
        } else if let Some(question) = line.strip_prefix("## ") {
            questions.push(RawQuestion {
                question: question.trim().trim_end_matches('#').trim().to_string(),
                answer_markdown: String::new(),
                answer_first_line: first_line + idx + 1,
            });
            continue;
        }
        let target = match questions.last_mut() {
            Some(q) => &mut q.answer_markdown,
            None => &mut intro,
        };
        target.push_str(line);
        target.push('\n');
    }
    questions.retain(|q| !q.question.is_empty());
    (intro, questions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_level_two_headings_outside_code() {
        let (intro, qs) = split_questions(
            "Intro text\n\n## How do I log in?\nUse the form.\n```\n## not a question\n```\n## Is it free?\nYes.\n",
            5,
        );
        assert_eq!(intro.trim(), "Intro text");
        assert_eq!(qs.len(), 2);
        assert_eq!(qs[0].question, "How do I log in?");
        assert!(qs[0].answer_markdown.contains("## not a question"));
        assert_eq!(qs[0].answer_first_line, 8);
        assert_eq!(qs[1].answer_markdown.trim(), "Yes.");
    }

    #[test]
    fn no_questions() {
        let (_, qs) = split_questions("Just text\n### Small heading\n", 1);
        assert!(qs.is_empty());
    }
}
