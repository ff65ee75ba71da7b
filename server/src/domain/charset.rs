//! Which characters a field may hold. Invisible and direction-changing characters let a
//! value look different from what it is ("Eve" + U+202E + "moc.evil"), so one-line values
//! (names, roles, phones, addresses) refuse them all; free text refuses the bidi
//! overrides and isolates but keeps the joiners that emoji sequences and some scripts
//! need. The Unicode general category comes from `unicode-properties`.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// A character of Unicode's general category Cf (format): bidi marks, overrides and
/// isolates, zero-width space/joiners, the byte order mark, soft hyphen, tags …
pub fn is_format(c: char) -> bool {
    c.general_category() == GeneralCategory::Format
}

/// Bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they reorder
/// the text around them and are refused everywhere.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Not allowed in a one-line value: control characters (CR, LF, tab …), line and
/// paragraph separators, and every format character.
pub fn is_forbidden_in_line(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') || is_format(c)
}

/// Not allowed in free text: control characters other than line feed and tab, and the
/// bidi embeddings, overrides and isolates. Zero-width joiners (emoji sequences, Indic
/// and Persian scripts) and other format characters stay.
pub fn is_forbidden_in_text(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\t')) || is_bidi_control(c)
}

/// Does a one-line value contain a control or an invisible character?
pub fn line_has_forbidden(s: &str) -> bool {
    s.chars().any(is_forbidden_in_line)
}

/// Does a free text contain a forbidden control or bidi character?
pub fn text_has_forbidden(s: &str) -> bool {
    s.chars().any(is_forbidden_in_text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_characters_are_refused_in_lines() {
        for c in [
            '\u{202E}',
            '\u{202A}',
            '\u{2066}',
            '\u{2069}',
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{200E}',
            '\u{200F}',
            '\u{061C}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{2060}',
            '\u{2064}',
            '\u{E0041}',
            '\n',
            '\r',
            '\t',
            '\u{0}',
            '\u{1b}',
            '\u{85}',
            '\u{2028}',
            '\u{2029}',
        ] {
            assert!(is_forbidden_in_line(c), "{:04X}", c as u32);
        }
        for c in ['a', 'Å', 'ö', ' ', '-', '\'', '😀', '𝔘'] {
            assert!(!is_forbidden_in_line(c), "{:04X}", c as u32);
        }
    }

    #[test]
    fn texts_keep_joiners_but_not_overrides() {
        assert!(!text_has_forbidden(
            "Familj 👨\u{200D}👩\u{200D}👧 på rad ett\nrad två\t!"
        ));
        assert!(!text_has_forbidden("Persiska: می\u{200C}خواهم"));
        for c in ['\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}'] {
            assert!(text_has_forbidden(&format!("abc{c}def")));
        }
        for c in [
            '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{0}', '\r', '\u{7f}',
        ] {
            assert!(text_has_forbidden(&format!("abc{c}def")));
        }
    }
}
