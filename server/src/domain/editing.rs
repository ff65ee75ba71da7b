//! Validation of what staff write: titles, texts, keys, targets and orderings. Each check
//! names the input field it failed on, so the API can answer `BAD_USER_INPUT` with it.

use std::collections::HashSet;

use super::{Invalid, Param, charset, invalid, kommunkod};

/// Longest single-line value (titles, names, units), in characters.
pub const LINE_MAX_CHARS: usize = 300;
/// Longest free text (summaries, situation, follow-up texts), in characters.
pub const TEXT_MAX_CHARS: usize = 20_000;
/// Largest measurable target: a sanity bound, far above any real promise.
pub const TARGET_MAX: i32 = 1_000_000;

fn has_control(s: &str) -> bool {
    charset::line_has_forbidden(s)
}

/// A required one-line value: trimmed, not empty, no control characters and no
/// invisible format characters (bidi overrides, zero-width characters, BOM …).
pub fn line(field: &'static str, value: &str) -> Result<String, Invalid> {
    let v = value.trim();
    if v.is_empty() {
        return Err(invalid(field, format!("{field} must not be empty"))
            .with("min", Param::Int(1))
            .with("max", Param::Int(LINE_MAX_CHARS as i64)));
    }
    if has_control(v) {
        return Err(invalid(
            field,
            format!(
                "{field} must be a single line without control or invisible (format) characters"
            ),
        ));
    }
    if v.chars().count() > LINE_MAX_CHARS {
        return Err(invalid(
            field,
            format!("{field} must be at most {LINE_MAX_CHARS} characters"),
        )
        .with("min", Param::Int(1))
        .with("max", Param::Int(LINE_MAX_CHARS as i64)));
    }
    Ok(v.to_owned())
}

/// An optional one-line value; empty means none.
pub fn optional_line(field: &'static str, value: Option<&str>) -> Result<Option<String>, Invalid> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => line(field, v).map(Some),
        None => Ok(None),
    }
}

/// A required free text: line breaks and tabs allowed, other control characters not,
/// nor bidi embeddings, overrides and isolates; zero-width joiners stay (emoji).
pub fn text(field: &'static str, value: &str) -> Result<String, Invalid> {
    let v = value.trim().replace("\r\n", "\n");
    if v.is_empty() {
        return Err(invalid(field, format!("{field} must not be empty"))
            .with("min", Param::Int(1))
            .with("max", Param::Int(TEXT_MAX_CHARS as i64)));
    }
    if charset::text_has_forbidden(&v) {
        return Err(invalid(
            field,
            format!("{field} contains control or bidi override characters"),
        ));
    }
    if v.chars().count() > TEXT_MAX_CHARS {
        return Err(invalid(
            field,
            format!("{field} must be at most {TEXT_MAX_CHARS} characters"),
        )
        .with("min", Param::Int(1))
        .with("max", Param::Int(TEXT_MAX_CHARS as i64)));
    }
    Ok(v)
}

/// An optional free text; empty means none.
pub fn optional_text(field: &'static str, value: Option<&str>) -> Result<Option<String>, Invalid> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => text(field, v).map(Some),
        None => Ok(None),
    }
}

/// A stable key ("mellerud-2025"): lower-case ASCII letters, digits and single hyphens.
pub fn key(field: &'static str, value: &str) -> Result<String, Invalid> {
    let v = value.trim();
    if kommunkod::is_valid_slug(v) {
        Ok(v.to_owned())
    } else {
        Err(invalid(
            field,
            "a key is 1–64 lower-case letters a–z, digits and single hyphens",
        )
        .with("min", Param::Int(1))
        .with("max", Param::Int(64)))
    }
}

/// A key made from a title: "Trygghet i centrum" becomes "trygghet-i-centrum".
pub fn key_from_title(title: &str) -> String {
    let mut key = String::new();
    for c in title.to_lowercase().chars() {
        let c = match c {
            'å' | 'ä' | 'à' | 'á' | 'â' => 'a',
            'ö' | 'ø' | 'ó' | 'ò' | 'ô' => 'o',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'ü' | 'ú' => 'u',
            c if c.is_ascii_alphanumeric() => c,
            _ => '-',
        };
        if c != '-' || !(key.is_empty() || key.ends_with('-')) {
            key.push(c);
        }
        if key.len() >= 48 {
            break;
        }
    }
    let key = key.trim_end_matches('-');
    if key.is_empty() {
        "omrade".to_owned()
    } else {
        key.to_owned()
    }
}

/// A measurable target: quantity and unit are given together, the quantity is positive.
pub fn target(quantity: i32, unit: &str) -> Result<(i32, String), Invalid> {
    if !(1..=TARGET_MAX).contains(&quantity) {
        return Err(invalid(
            "target.quantity",
            format!("a target's quantity must be between 1 and {TARGET_MAX}"),
        ));
    }
    let unit = line("target.unit", unit)?;
    Ok((quantity, unit))
}

/// A follow-up's reported quantity: zero or more.
pub fn achieved(quantity: Option<i32>) -> Result<Option<i32>, Invalid> {
    match quantity {
        Some(q) if !(0..=TARGET_MAX).contains(&q) => Err(invalid(
            "achievedQuantity",
            format!("the achieved quantity must be between 0 and {TARGET_MAX}"),
        )),
        q => Ok(q),
    }
}

/// A new order must name every current item exactly once.
pub fn reorder(field: &'static str, current: &[i32], wanted: &[i32]) -> Result<(), Invalid> {
    let now: HashSet<i32> = current.iter().copied().collect();
    let mut seen = HashSet::new();
    for id in wanted {
        if !seen.insert(*id) {
            return Err(invalid(field, "an item is listed twice"));
        }
        if !now.contains(id) {
            return Err(invalid(field, "an item does not belong to this list"));
        }
    }
    if seen.len() != now.len() {
        return Err(invalid(field, "the new order must list every item once"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_trimmed_single_lines() {
        assert_eq!(line("title", "  Trygg  ").as_deref(), Ok("Trygg"));
        assert_eq!(line("title", " ").map_err(|e| e.field), Err("title"));
        assert!(line("title", "a\nb").is_err());
        assert!(line("name", "Eve\u{202E}moc.live").is_err());
        assert!(line("role", "Kommun\u{200B}polis").is_err());
        assert!(line("name", "\u{FEFF}Tora").is_err());
        assert!(line("title", &"x".repeat(LINE_MAX_CHARS + 1)).is_err());
        assert_eq!(optional_line("place", Some("  ")), Ok(None));
    }

    #[test]
    fn texts_keep_line_breaks_but_not_other_controls() {
        assert_eq!(text("summary", "a\r\nb").as_deref(), Ok("a\nb"));
        assert!(text("summary", "a\u{7}b").is_err());
        assert!(text("summary", "a\u{202E}b").is_err());
        assert!(text("summary", "a\u{2067}b").is_err());
        assert!(text("summary", "👨\u{200D}👩\u{200D}👧").is_ok());
        assert_eq!(optional_text("goal", None), Ok(None));
    }

    #[test]
    fn keys_are_slugs() {
        assert!(key("key", "mellerud-2026").is_ok());
        assert!(key("key", "Mellerud").is_err());
        assert!(key("key", "a--b").is_err());
        assert!(key("key", "").is_err());
    }

    #[test]
    fn keys_from_titles_are_valid_keys() {
        assert_eq!(key_from_title("Trygghet i centrum!"), "trygghet-i-centrum");
        assert_eq!(key_from_title("Ökad närvaro – Åsele"), "okad-narvaro-asele");
        assert_eq!(key_from_title("???"), "omrade");
        assert!(key("key", &key_from_title(&"å b ".repeat(40))).is_ok());
    }

    #[test]
    fn targets_are_positive_with_a_unit() {
        assert_eq!(target(4, " insatser "), Ok((4, "insatser".into())));
        assert_eq!(target(0, "x").map_err(|e| e.field), Err("target.quantity"));
        assert_eq!(target(3, "").map_err(|e| e.field), Err("target.unit"));
        assert!(achieved(Some(-1)).is_err());
        assert_eq!(achieved(Some(0)), Ok(Some(0)));
    }

    #[test]
    fn reorder_needs_a_permutation() {
        assert!(reorder("ids", &[1, 2, 3], &[3, 1, 2]).is_ok());
        assert!(reorder("ids", &[1, 2, 3], &[1, 2]).is_err());
        assert!(reorder("ids", &[1, 2, 3], &[1, 2, 2]).is_err());
        assert!(reorder("ids", &[1, 2, 3], &[1, 2, 4]).is_err());
    }
}
