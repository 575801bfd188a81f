//! Text analysis shared by indexing and querying: how text becomes terms.
//!
//! Two analyzers are registered on every index:
//! - `quire_stem` (indexed fields): split on anything not a letter or digit, drop
//!   absurdly long tokens, lowercase, fold accents to ASCII (café = cafe), stem.
//! - `quire_word`: the same without stemming; it produces the surface words the
//!   spelling vocabulary, typo correction and "did you mean" work on.

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer, TokenStream,
};

pub const STEMMED: &str = "quire_stem";
pub const WORDS: &str = "quire_word";

/// Longest token kept; longer ones are base64 blobs or URLs, not words.
const MAX_TOKEN_LEN: usize = 40;

/// The stemming language named in config (`english`, `french`, … or `none`).
pub fn language(name: &str) -> Result<Option<Language>, String> {
    let language = match name.trim().to_ascii_lowercase().as_str() {
        "none" | "" => return Ok(None),
        "arabic" => Language::Arabic,
        "danish" => Language::Danish,
        "dutch" => Language::Dutch,
        "english" | "en" => Language::English,
        "finnish" => Language::Finnish,
        "french" | "fr" => Language::French,
        "german" | "de" => Language::German,
        "greek" => Language::Greek,
        "hungarian" => Language::Hungarian,
        "italian" | "it" => Language::Italian,
        "norwegian" => Language::Norwegian,
        "portuguese" | "pt" => Language::Portuguese,
        "romanian" => Language::Romanian,
        "russian" => Language::Russian,
        "spanish" | "es" => Language::Spanish,
        "swedish" => Language::Swedish,
        "tamil" => Language::Tamil,
        "turkish" => Language::Turkish,
        other => {
            return Err(format!("unknown search language `{other}`: use english, french, german, spanish, … or none"))
        }
    };
    Ok(Some(language))
}

/// The analyzer for indexed fields.
pub fn stemmed(language: Option<Language>) -> TextAnalyzer {
    let base = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter);
    match language {
        Some(language) => base.filter(Stemmer::new(language)).build(),
        None => base.build(),
    }
}

/// The analyzer producing surface words.
pub fn words() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Runs `analyzer` over `text` and collects the token texts.
pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// Common English words that carry no meaning in a help-center question. They are
/// dropped from queries (not from the index) when other words remain.
pub const ENGLISH_STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "does", "for", "from", "how", "i", "if", "in",
    "into", "is", "it", "its", "me", "my", "of", "on", "or", "so", "that", "the", "their", "there", "this", "to",
    "was", "what", "when", "where", "which", "why", "will", "with", "you", "your", "we", "our", "get", "got", "cant",
    "can't", "dont", "im", "t", "s",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_lowercases_and_stems() {
        let mut analyzer = stemmed(Some(Language::English));
        assert_eq!(tokens(&mut analyzer, "Café Passwords RESETTING"), vec!["cafe", "password", "reset"]);
        assert_eq!(tokens(&mut words(), "Café Passwords"), vec!["cafe", "passwords"]);
    }

    #[test]
    fn odd_text_does_not_break() {
        let mut analyzer = stemmed(Some(Language::English));
        assert!(tokens(&mut analyzer, "🙂 ***  \"").is_empty());
        assert_eq!(tokens(&mut analyzer, "مرحبا world"), vec!["مرحبا", "world"]);
    }

    #[test]
    fn languages() {
        assert!(language("English").expect("known").is_some());
        assert!(language("none").expect("known").is_none());
        assert!(language("klingon").is_err());
    }
}
