//! Municipality code (kommunkod): the four-digit SCB code, leading zero kept.

use std::fmt;

/// A syntactically valid kommunkod such as `0765`. Stored and exposed as text because the
/// leading zero is part of the code.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Kommunkod(String);

impl Kommunkod {
    /// Accepts exactly four ASCII digits whose first two (the county, länskod) are 01–25.
    pub fn parse(input: &str) -> Result<Self, String> {
        let valid = input.len() == 4 && input.bytes().all(|b| b.is_ascii_digit());
        let county: u8 = if valid {
            input[..2].parse().unwrap_or(0)
        } else {
            0
        };
        if !valid {
            return Err(format!("\"{input}\" is not a four-digit kommunkod"));
        }
        if !(1..=25).contains(&county) {
            return Err(format!("\"{input}\" has no valid county prefix (01–25)"));
        }
        Ok(Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Kommunkod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A URL slug: lower-case ASCII letters, digits and single hyphens.
pub fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 64
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_leading_zero() {
        assert_eq!(
            Kommunkod::parse("0765").map(|k| k.to_string()),
            Ok("0765".into())
        );
    }

    #[test]
    fn rejects_malformed_codes() {
        for bad in ["765", "07650", "07a5", "", "9901", "0065", "٠٧٦٥"] {
            assert!(Kommunkod::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn slugs() {
        assert!(is_valid_slug("almhult"));
        assert!(is_valid_slug("upplands-vasby"));
        for bad in ["Älmhult", "älmhult", "-a", "a-", "a--b", "", "a b"] {
            assert!(!is_valid_slug(bad), "{bad} accepted");
        }
    }
}
