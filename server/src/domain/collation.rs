//! Swedish collation (ICU4X): Å, Ä, Ö sort after Z, so Tjörn < Åsele < Älmhult.

use std::{cmp::Ordering, sync::OnceLock};

use icu_collator::{Collator, CollatorBorrowed, options::CollatorOptions};
use icu_locale_core::locale;

fn collator() -> &'static CollatorBorrowed<'static> {
    static COLLATOR: OnceLock<CollatorBorrowed<'static>> = OnceLock::new();
    COLLATOR.get_or_init(|| {
        // Compiled-in data for "sv" always exists, so this cannot fail at run time; fall
        // back to the root collation rather than panic if a future data update drops it.
        #[allow(clippy::expect_used, reason = "the root collation data is compiled in")]
        Collator::try_new(locale!("sv").into(), CollatorOptions::default())
            .or_else(|_| Collator::try_new(Default::default(), CollatorOptions::default()))
            .expect("ICU4X root collation data is compiled in")
    })
}

/// Compare two strings the way a Swedish dictionary orders them.
pub fn compare(a: &str, b: &str) -> Ordering {
    collator().compare(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_letters_after_z() {
        let mut names = vec![
            "Älmhult",
            "Åsele",
            "Tjörn",
            "Mellerud",
            "Orust",
            "Stenungsund",
        ];
        names.sort_by(|a, b| compare(a, b));
        assert_eq!(
            names,
            [
                "Mellerud",
                "Orust",
                "Stenungsund",
                "Tjörn",
                "Åsele",
                "Älmhult"
            ]
        );
    }

    #[test]
    fn ouml_after_auml() {
        assert_eq!(compare("Ängelholm", "Örebro"), Ordering::Less);
        assert_eq!(compare("Zinkgruvan", "Åre"), Ordering::Less);
    }
}
