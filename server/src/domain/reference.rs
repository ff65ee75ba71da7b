//! Public tip references such as `MEL-7K3F-9Q`: a municipality prefix and six random
//! characters from Crockford's base32 alphabet (no I, L, O, U, so nothing is misread).
//! Drawn from the operating system's CSPRNG: about 30 bits, so one reference says
//! nothing about another.

use rand::Rng;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Three upper-case ASCII letters from a municipality slug (`mellerud` → `MEL`).
pub fn prefix(slug: &str) -> String {
    let letters: String = slug
        .chars()
        .filter(char::is_ascii_alphabetic)
        .take(3)
        .collect();
    format!("{letters:X<3}").to_ascii_uppercase()
}

pub fn generate(slug: &str) -> String {
    let mut rng = rand::rng();
    let mut random = [0u8; 6];
    for b in &mut random {
        *b = ALPHABET[rng.random_range(0..ALPHABET.len())];
    }
    let random = String::from_utf8_lossy(&random).into_owned();
    format!("{}-{}-{}", prefix(slug), &random[..4], &random[4..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape() {
        let r = generate("mellerud");
        assert_eq!(r.len(), 11);
        assert!(r.starts_with("MEL-"));
        assert_eq!(r.as_bytes()[8], b'-');
        assert!(
            r[4..]
                .bytes()
                .filter(|&b| b != b'-')
                .all(|b| ALPHABET.contains(&b))
        );
        assert_eq!(prefix("tjorn"), "TJO");
        assert_eq!(prefix("ab"), "ABX");
    }

    #[test]
    fn references_differ() {
        let set: std::collections::HashSet<String> = (0..1000).map(|_| generate("asele")).collect();
        assert_eq!(set.len(), 1000);
    }
}
