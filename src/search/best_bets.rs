//! Best bets from `content/best-bets.toml`: chosen articles pinned first for chosen
//! queries, the editorial override for a search that keeps going wrong.
//!
//! ```toml
//! [[bet]]
//! queries = ["refund", "money back"]
//! articles = ["refunds"]          # slugs, shown first in this order
//! ```

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    bet: Vec<Bet>,
}

/// One best bet: these queries put these articles first.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Bet {
    pub queries: Vec<String>,
    pub articles: Vec<String>,
}

/// Parses the file; the error carries the line when the TOML is invalid.
pub fn parse(text: &str) -> Result<Vec<Bet>, (Option<usize>, String)> {
    toml::from_str::<File>(text).map(|f| f.bet).map_err(|err| {
        let line = err.span().map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
        (line, format!("invalid best bets file: {}", err.message()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_reports_lines() {
        let bets = parse("[[bet]]\nqueries = [\"refund\"]\narticles = [\"refunds\"]\n").expect("valid");
        assert_eq!(bets[0].articles, vec!["refunds"]);
        let (line, message) = parse("[[bet]]\nqueries = [\"a\"]\narticle = [\"x\"]\n").unwrap_err();
        assert_eq!(line, Some(3));
        assert!(message.contains("article"), "{message}");
    }
}
