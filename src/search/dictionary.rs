//! Is this a real English word? The Wordnik word list (about 200,000 words with their
//! inflections, MIT licence; the `wordnik_list` crate, compiled into the binary) answers
//! without allocating. Search uses it so that a correct word the help center happens
//! not to contain ("laptop", "refunded") is not "corrected" into another word it does
//! contain; the meaning side of the search still understands it.

/// Whether `word` (lowercase) is in the English word list. Words with digits, accents
/// or other scripts are not in the list.
pub fn is_word(word: &str) -> bool {
    word.len() >= 2 && word.bytes().all(|b| b.is_ascii_lowercase()) && wordnik_list::word_exists(word)
}

#[cfg(test)]
mod tests {
    use super::is_word;

    #[test]
    fn knows_words_and_their_inflections_but_not_misspellings() {
        for word in ["laptop", "crashed", "charged", "parcel", "refunded", "logged", "passwords"] {
            assert!(is_word(word), "{word}");
        }
        for word in ["pasword", "recieve", "instalation", "arduno", "café", "wi-fi", "x"] {
            assert!(!is_word(word), "{word}");
        }
    }
}
