//! Swedish-aware free-text search that behaves identically on SQLite and PostgreSQL.
//!
//! SQLite's `lower()` and `LIKE` only fold ASCII, so folding happens here in Rust: the
//! stored `search_text` is NFC-normalised and lower-cased with full Unicode rules, and a
//! query is split into words that are reduced to their Snowball (Swedish) stem. Every stem
//! must then occur in the text. "Trafiksäkerheten", "TRAFIKSÄKERHET" and "trafiksäkerhet"
//! all reduce to "trafiksäker", which occurs in each inflected form.

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;

/// Longest query accepted, in characters; longer input is a user error.
pub const MAX_QUERY_CHARS: usize = 200;

/// Case-fold text for storage in a `search_text` column.
pub fn fold(text: &str) -> String {
    text.nfc().collect::<String>().to_lowercase()
}

/// Fold and join several texts into one searchable document.
pub fn document<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for part in parts {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&fold(part));
    }
    out
}

/// The terms a query must match: folded, stemmed words, duplicates removed.
/// Returns an empty list for a query with no words (which matches everything).
pub fn query_terms(query: &str) -> Vec<String> {
    let stemmer = Stemmer::create(Algorithm::Swedish);
    let folded = fold(query);
    let mut terms: Vec<String> = Vec::new();
    for word in folded.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        let stem = stemmer.stem(word);
        // The stemmer may shorten very short words to nothing useful; keep the word then.
        let term = if stem.chars().count() >= 2 {
            stem.into_owned()
        } else {
            word.to_owned()
        };
        if !terms.contains(&term) {
            terms.push(term);
        }
    }
    terms
}

/// True when every term occurs in the folded document (the in-memory twin of the SQL
/// `LIKE` filter, used for small lists such as municipalities).
pub fn matches(document: &str, terms: &[String]) -> bool {
    terms.iter().all(|term| document.contains(term.as_str()))
}

/// Escape `%`, `_` and the escape character itself for a `LIKE … ESCAPE '\'` pattern.
pub fn like_contains_pattern(term: &str) -> String {
    let mut pattern = String::with_capacity(term.len() + 2);
    pattern.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflections_share_a_term() {
        let text = document(["Åtgärder som ökar trafiksäkerheten i Mellerud"]);
        for query in ["trafiksäkerhet", "TRAFIKSÄKERHET", "Trafiksäkerheten"] {
            let terms = query_terms(query);
            assert!(matches(&text, &terms), "{query} -> {terms:?}");
        }
    }

    #[test]
    fn swedish_letters_fold() {
        assert_eq!(fold("ÅSELE Älmhult ÖSTERSUND"), "åsele älmhult östersund");
        assert!(matches(&document(["Åsele"]), &query_terms("åsele")));
        assert!(!matches(&document(["Asele"]), &query_terms("åsele")));
    }

    #[test]
    fn decomposed_input_matches_composed_text() {
        // "å" typed as "a" + combining ring above.
        let decomposed = "a\u{30a}sele";
        assert!(matches(&document(["Åsele"]), &query_terms(decomposed)));
    }

    #[test]
    fn all_words_must_match() {
        let text = document(["Trafiksäkerhet och droger"]);
        assert!(matches(&text, &query_terms("droger trafik")));
        assert!(!matches(&text, &query_terms("droger inbrott")));
        assert!(query_terms("  ,. ").is_empty());
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(like_contains_pattern("50%_a\\"), "%50\\%\\_a\\\\%");
    }
}
