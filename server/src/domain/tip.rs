//! Validated values of a resident's tip. Each constructor returns the offending field's
//! name with a message, so the API can answer `BAD_USER_INPUT` with `extensions.field`.

pub use super::Invalid;
use super::{Param, charset, email_address::EmailAddress};

/// The tip form's rules speak Swedish: residents read them.
fn invalid(field: &'static str, message: impl Into<String>) -> Invalid {
    Invalid {
        swedish: true,
        ..super::invalid(field, message)
    }
}

/// Shown to residents with every receipt and in the API: tips are not for emergencies.
pub const EMERGENCY_NOTICE_SV: &str = "Tipsfunktionen är inte till för akuta ärenden. \
Vid nödsituation, ring 112. Vill du anmäla ett brott, gör det på polisen.se eller ring 114 14.";

/// Shortest and longest message, in characters after trimming.
pub const MESSAGE_MIN_CHARS: usize = 10;
pub const MESSAGE_MAX_CHARS: usize = 5000;
const NAME_MAX_CHARS: usize = 200;
const IDEMPOTENCY_KEY_MAX_CHARS: usize = 128;

/// Any control character (CR and LF included), line separator or invisible format
/// character (bidi overrides, zero-width characters, BOM …): not allowed in one-line
/// fields. See [`charset`].
fn has_control(s: &str) -> bool {
    charset::line_has_forbidden(s)
}

/// The free-text message: 10–5000 characters after trimming; line breaks and tabs are
/// allowed, other control characters are not, nor bidi embeddings, overrides and
/// isolates (U+202A–U+202E, U+2066–U+2069). Zero-width joiners stay: emoji sequences
/// and some scripts need them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipMessage(String);

impl TipMessage {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let text = input.trim().replace("\r\n", "\n");
        if text.chars().any(charset::is_bidi_control) {
            return Err(invalid(
                "message",
                "Meddelandet innehåller tecken som vänder textens riktning (U+202A–U+202E, U+2066–U+2069). Ta bort dem.",
            ));
        }
        if charset::text_has_forbidden(&text) {
            return Err(invalid(
                "message",
                "Meddelandet innehåller styrtecken. Ta bort dem.",
            ));
        }
        let len = text.chars().count();
        let bounds = |e: Invalid| {
            e.with("min", Param::Int(MESSAGE_MIN_CHARS as i64))
                .with("max", Param::Int(MESSAGE_MAX_CHARS as i64))
                .with("length", Param::Int(len as i64))
        };
        if len < MESSAGE_MIN_CHARS {
            return Err(bounds(invalid(
                "message",
                format!("Meddelandet måste vara minst {MESSAGE_MIN_CHARS} tecken."),
            )));
        }
        if len > MESSAGE_MAX_CHARS {
            return Err(bounds(invalid(
                "message",
                format!("Meddelandet får vara högst {MESSAGE_MAX_CHARS} tecken."),
            )));
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A resident's name: one line, at most 200 characters; empty means not given.
pub fn parse_name(input: Option<&str>) -> Result<Option<String>, Invalid> {
    let Some(name) = input.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    if has_control(name) {
        return Err(invalid(
            "name",
            "Namnet ska stå på en rad, utan styrtecken eller osynliga tecken.",
        ));
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(invalid(
            "name",
            format!("Namnet får vara högst {NAME_MAX_CHARS} tecken."),
        )
        .with("max", Param::Int(NAME_MAX_CHARS as i64)));
    }
    Ok(Some(name.to_owned()))
}

/// An email address a public mail system can deliver to (see [`EmailAddress`]): the
/// address as entered, trimmed. Send to [`super::email_address::sendable`] of it.
pub fn parse_email(input: Option<&str>) -> Result<Option<lettre::Address>, Invalid> {
    let Some(email) = input.map(str::trim).filter(|e| !e.is_empty()) else {
        return Ok(None);
    };
    EmailAddress::parse(email)
        .map(|a| Some(a.entered().clone()))
        .map_err(|why| invalid("email", why.message_sv()))
}

/// A telephone number, checked with libphonenumber's rules (Swedish numbers by default,
/// international ones with a leading +). Stored as typed.
pub fn parse_phone(input: Option<&str>) -> Result<Option<String>, Invalid> {
    let Some(phone) = input.map(str::trim).filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let bad = || {
        invalid(
            "phone",
            "Telefonnumret är inte giltigt. Skriv till exempel 070-123 45 67 eller +46 70 123 45 67.",
        )
    };
    if has_control(phone) || phone.chars().count() > 40 {
        return Err(bad());
    }
    let number =
        phonenumber::parse(Some(phonenumber::country::Id::SE), phone).map_err(|_| bad())?;
    if !phonenumber::is_valid(&number) {
        return Err(bad());
    }
    Ok(Some(phone.to_owned()))
}

/// A client-chosen idempotency key: 1–128 visible ASCII characters.
pub fn parse_idempotency_key(input: Option<&str>) -> Result<Option<String>, Invalid> {
    let Some(key) = input else { return Ok(None) };
    if key.is_empty()
        || key.len() > IDEMPOTENCY_KEY_MAX_CHARS
        || !key.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(invalid(
            "idempotencyKey",
            format!(
                "the idempotency key must be 1–{IDEMPOTENCY_KEY_MAX_CHARS} visible ASCII characters"
            ),
        ));
    }
    Ok(Some(key.to_owned()))
}

/// A reply needs a way to reply.
pub fn check_reply(wants_reply: bool, email: bool, phone: bool) -> Result<(), Invalid> {
    if wants_reply && !email && !phone {
        return Err(invalid(
            "wantsReply",
            "Ange en e-postadress eller ett telefonnummer om du vill få svar.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        assert!(TipMessage::parse("  kort  ").is_err());
        assert_eq!(
            TipMessage::parse("  Hej, det är mörkt vid busshållplatsen.  ").map(|m| m.0.len() > 10),
            Ok(true)
        );
        assert!(TipMessage::parse(&"å".repeat(5000)).is_ok());
        assert!(TipMessage::parse(&"å".repeat(5001)).is_err());
        assert!(TipMessage::parse("Rad ett\r\nrad två\ttab").is_ok());
        assert_eq!(
            TipMessage::parse("Rad ett\r\nrad två").map(|m| m.0),
            Ok("Rad ett\nrad två".into())
        );
        assert!(TipMessage::parse("Tio tecken\u{0}mer").is_err());
        assert!(TipMessage::parse("Tio tecken\u{1b}[31m").is_err());
        for c in ['\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}'] {
            assert!(TipMessage::parse(&format!("Tio tecken{c} till")).is_err());
        }
        for c in ['\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}'] {
            assert!(TipMessage::parse(&format!("Tio tecken{c} till")).is_err());
        }
        // Zero-width joiners in emoji sequences (and ZWSP) are allowed in the body.
        assert!(TipMessage::parse("Familjen 👨\u{200D}👩\u{200D}👧 bor här.").is_ok());
    }

    #[test]
    fn single_line_fields() {
        assert_eq!(
            parse_name(Some("  Åsa Öberg ")),
            Ok(Some("Åsa Öberg".into()))
        );
        assert_eq!(parse_name(Some("   ")), Ok(None));
        assert!(parse_name(Some("Eve\r\nBcc: x@y.se")).is_err());
        assert!(parse_name(Some("Eve\u{2028}x")).is_err());
        for c in [
            '\u{202E}',
            '\u{200B}',
            '\u{200D}',
            '\u{FEFF}',
            '\u{2066}',
            '\u{00AD}',
            '\u{E0001}',
        ] {
            assert!(
                parse_name(Some(&format!("Eve{c}moc.live"))).is_err(),
                "{c:?}"
            );
            assert!(
                parse_phone(Some(&format!("070-123{c}45 67"))).is_err(),
                "{c:?}"
            );
        }
        assert_eq!(
            parse_email(Some(" erika@malmö.se ")).map(|a| a.map(|a| a.to_string())),
            Ok(Some("erika@malmö.se".into()))
        );
        for bad in [
            "\"a b\"@example.se",
            "b@[127.0.0.1]",
            "b@[IPv6:::1]",
            "b@localhost",
            "a@b",
        ] {
            assert_eq!(
                parse_email(Some(bad)).map_err(|e| e.field),
                Err("email"),
                "{bad}"
            );
        }
        assert!(parse_email(Some("a@b.se\r\nBcc: c@d.se")).is_err());
        assert!(parse_email(Some("not-an-email")).is_err());
        assert!(parse_email(Some("åsa@exempel.se")).is_ok());
        assert!(parse_email(Some("x@y.se")).is_ok());
    }

    #[test]
    fn phones() {
        assert!(parse_phone(Some("010-56 526 86")).is_ok());
        assert!(parse_phone(Some("0530-181 03")).is_ok());
        assert!(parse_phone(Some("+46 70 123 45 67")).is_ok());
        assert!(parse_phone(Some("070-123 45 67")).is_ok());
        assert!(parse_phone(Some("12")).is_err());
        assert!(parse_phone(Some("ring mig")).is_err());
        assert!(parse_phone(Some("070\n1234567")).is_err());
    }

    #[test]
    fn reply_needs_a_channel() {
        assert!(check_reply(true, false, false).is_err());
        assert!(check_reply(true, true, false).is_ok());
        assert!(check_reply(true, false, true).is_ok());
        assert!(check_reply(false, false, false).is_ok());
    }

    #[test]
    fn idempotency_keys() {
        assert!(parse_idempotency_key(Some("0d1f7d8e-3c2b-4e4f-9a55-1d0e6f1f2a3b")).is_ok());
        assert!(parse_idempotency_key(Some("")).is_err());
        assert!(parse_idempotency_key(Some("med mellanslag")).is_err());
        assert!(parse_idempotency_key(Some(&"k".repeat(129))).is_err());
    }
}
