//! Error messages in the client's language: Swedish when `Accept-Language` prefers `sv`,
//! English otherwise. Only the message changes; `extensions` (the code, `field` and the
//! rule's or limit's numbers) are the same in both, so apps can write their own text. The
//! tip form's rules are written in Swedish (residents read them) and stay Swedish.
//! `PERSISTED_QUERY_NOT_FOUND` keeps the text Apollo's clients look for.

use async_graphql::{ServerError, Value};

use super::errors::{ApiError, ErrorCode, code_of};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    English,
    Swedish,
}

tokio::task_local! {
    /// The language of the request being answered.
    pub static LANGUAGE: Language;
}

/// The language of the running request (English outside one).
pub fn current() -> Language {
    LANGUAGE.try_with(|l| *l).unwrap_or(Language::English)
}

/// The preferred of Swedish and English in an `Accept-Language` value (RFC 9110: the
/// highest `q` wins, the earlier on a tie; `sv-SE` is Swedish). English when neither is
/// named.
pub fn from_accept_language(value: Option<&str>) -> Language {
    let mut best: Option<(f32, Language)> = None;
    for part in value.unwrap_or_default().split(',') {
        let mut pieces = part.split(';');
        let tag = pieces
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let q = pieces
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let language = match tag.split('-').next() {
            Some("sv") => Language::Swedish,
            Some("en") => Language::English,
            _ => continue,
        };
        if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, language));
        }
    }
    best.map_or(Language::English, |(_, l)| l)
}

/// Put an executed error's message into the request's language.
pub fn localize(error: &mut ServerError) {
    if current() != Language::Swedish {
        return;
    }
    let Some(code) = code_of(error) else {
        return;
    };
    if let Some(ApiError::BadUserInput { swedish: true, .. }) = error.source::<ApiError>() {
        return;
    }
    let extensions = error.extensions.clone().unwrap_or_default();
    let number = |name: &str| match extensions.get(name) {
        Some(Value::Number(n)) => n.as_u64(),
        _ => None,
    };
    let field = match extensions.get("field") {
        Some(Value::String(f)) => Some(f.clone()),
        _ => None,
    };
    let allowed = match extensions.get("allowed") {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|i| match i {
                Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    error.message = swedish(code, &error.message, &number, field.as_deref(), &allowed);
}

/// A message in the request's language for an error answered outside execution.
pub fn message(
    code: ErrorCode,
    english: &str,
    numbers: &[(&str, usize)],
    field: Option<&str>,
) -> String {
    if current() != Language::Swedish {
        return english.to_owned();
    }
    let number = |name: &str| {
        numbers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v as u64)
    };
    swedish(code, english, &number, field, &[])
}

fn swedish(
    code: ErrorCode,
    english: &str,
    number: &dyn Fn(&str) -> Option<u64>,
    field: Option<&str>,
    allowed: &[String],
) -> String {
    let limit = number("limit").map_or_else(String::new, |n| n.to_string());
    let with = |name: &str, text: &dyn Fn(u64) -> String, otherwise: String| {
        number(name).map_or(otherwise, text)
    };
    match code {
        ErrorCode::BadUserInput => {
            let mut text = match field {
                Some(field) => format!("Värdet för `{field}` är ogiltigt."),
                None => "Ett värde i frågan är ogiltigt.".to_owned(),
            };
            match (number("min"), number("max")) {
                (Some(min), Some(max)) => {
                    text.push_str(&format!(" Det ska vara mellan {min} och {max}."));
                }
                (None, Some(max)) => text.push_str(&format!(" Det får vara högst {max}.")),
                (Some(min), None) => text.push_str(&format!(" Det ska vara minst {min}.")),
                (None, None) => {}
            }
            if !allowed.is_empty() {
                text.push_str(&format!(" Tillåtna värden: {}.", allowed.join(", ")));
            }
            text
        }
        ErrorCode::BadRequest => format!("Begäran är felaktig: {english}"),
        ErrorCode::NotFound => "Det du frågade efter finns inte.".to_owned(),
        ErrorCode::RateLimited => with(
            "retryAfterSeconds",
            &|s| format!("För många försök. Försök igen om {s} sekunder."),
            "För många förfrågningar. Vänta en stund och försök igen.".to_owned(),
        ),
        ErrorCode::IdempotencyConflict => {
            "Idempotensnyckeln har redan använts för ett annat tips.".to_owned()
        }
        ErrorCode::Unauthenticated => "En giltig token för personal krävs.".to_owned(),
        ErrorCode::Forbidden => "Den här token får inte göra det.".to_owned(),
        ErrorCode::Internal => "Något gick fel hos oss. Försök igen senare.".to_owned(),
        ErrorCode::Unavailable => "Tjänsten är inte tillgänglig just nu.".to_owned(),
        ErrorCode::Timeout => "Frågan tog för lång tid.".to_owned(),
        ErrorCode::PayloadTooLarge => format!("Begäran är större än {limit} byte."),
        ErrorCode::UnsupportedMediaType => "Skicka begäran som application/json.".to_owned(),
        ErrorCode::MethodNotAllowed => "Mutationer måste skickas med POST.".to_owned(),
        ErrorCode::GraphqlParseFailed => format!("Frågan kan inte tolkas: {english}"),
        ErrorCode::GraphqlValidationFailed => {
            format!("Frågan stämmer inte med schemat: {english}")
        }
        ErrorCode::IntrospectionDisabled => {
            "Introspektion är avstängd på den här servern.".to_owned()
        }
        ErrorCode::TokenLimitExceeded => format!("Dokumentet har fler än {limit} token."),
        ErrorCode::AliasLimitExceeded => with(
            "aliases",
            &|n| format!("Dokumentet använder {n} alias; högst {limit} är tillåtna."),
            format!("Dokumentet använder fler än {limit} alias."),
        ),
        ErrorCode::DirectiveLimitExceeded => with(
            "directives",
            &|n| format!("Dokumentet använder {n} direktiv; högst {limit} är tillåtna."),
            format!("Dokumentet använder fler än {limit} direktiv."),
        ),
        ErrorCode::DepthLimitExceeded => with(
            "depth",
            &|n| format!("Frågan är nästlad {n} nivåer djupt; högst {limit} är tillåtna."),
            "Frågan är för djupt nästlad.".to_owned(),
        ),
        ErrorCode::ComplexityLimitExceeded => match (number("cost"), number("fields")) {
            (Some(cost), _) => format!("Frågan kostar {cost}; högst {limit} är tillåtet."),
            (None, Some(fields)) => format!(
                "Frågan väljer {fields} fält med fragmenten utvecklade; högst {limit} är tillåtna."
            ),
            (None, None) => "Frågan är för kostsam.".to_owned(),
        },
        ErrorCode::BatchLimitExceeded => with(
            "operations",
            &|n| format!("Batchen har {n} operationer; högst {limit} är tillåtna."),
            format!("En batch får ha högst {limit} operationer."),
        ),
        ErrorCode::ResponseTooLarge => format!(
            "Svaret skulle bli större än {limit} byte. Fråga efter färre fält eller poster."
        ),
        ErrorCode::PersistedQueryNotFound => english.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preferred_of_swedish_and_english_wins() {
        use Language::{English, Swedish};
        assert_eq!(from_accept_language(None), English);
        assert_eq!(from_accept_language(Some("sv")), Swedish);
        assert_eq!(
            from_accept_language(Some("sv-SE,sv;q=0.9,en;q=0.8")),
            Swedish
        );
        assert_eq!(from_accept_language(Some("en-GB,sv;q=0.5")), English);
        assert_eq!(from_accept_language(Some("de, sv;q=0.2")), Swedish);
        assert_eq!(from_accept_language(Some("fr")), English);
        assert_eq!(from_accept_language(Some("sv;q=0")), English);
    }
}
