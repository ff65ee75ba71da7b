//! Property tests of what a resident can type: the tip validators never panic and only
//! let through what the emails can carry, and the emails built from anything they let
//! through are well-formed, with exactly the expected headers and nothing injected.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use entity::TipKind;
use mail_parser::{Message, MessageParser};
use proptest::prelude::*;
use server::{
    domain::{
        routing::RoutingReason,
        tip::{
            MESSAGE_MAX_CHARS, MESSAGE_MIN_CHARS, TipMessage, parse_email, parse_idempotency_key,
            parse_name, parse_phone,
        },
    },
    email::render::{self, Recipient, TipEmail},
};
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Characters chosen to hit every rule: white space of all kinds (trimmed), line breaks
/// and other controls (refused in single-line fields), bidi and zero-width marks,
/// combining marks, astral characters, and what email headers care about.
fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => proptest::char::range('a', 'z'),
        2 => proptest::char::range('0', '9'),
        2 => Just(' '),
        4 => prop::sample::select(vec![
            '\r', '\n', '\t', '\u{0}', '\u{b}', '\u{c}', '\u{1b}', '\u{7f}', '\u{85}',
            '\u{a0}', '\u{2028}', '\u{2029}', '\u{3000}', '\u{200b}', '\u{200d}', '\u{feff}',
            '\u{202e}', '\u{2067}', '\u{301}', '\u{308}',
        ]),
        3 => prop::sample::select(vec![
            'å', 'ä', 'ö', 'Å', 'Ö', 'é', 'ß', 'ø', 'ñ', 'ش', 'ע', '中', '👮', '🚓', '𝔘', '🇸',
        ]),
        3 => prop::sample::select(vec![
            '<', '>', '&', '"', '\'', '\\', ',', ';', ':', '@', '=', '?', '(', ')', '[', ']',
            '.', '-', '+', '_', '%', '/', '#',
        ]),
        1 => any::<char>(),
    ]
}

fn tricky_string(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(tricky_char(), 0..max).prop_map(String::from_iter)
}

/// Header-injection attempts spliced into an otherwise ordinary value.
fn with_injection(base: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    let attacks = prop::sample::select(vec![
        "",
        "\r\nBcc: evil@example.com",
        "\nBcc: evil@example.com",
        "\rTo: evil@example.com",
        "\r\n\r\n<html>body</html>",
        "\u{85}Cc: evil@example.com",
        "\u{2028}Subject: hacked",
        "=?utf-8?q?=0D=0ABcc:_evil@example.com?=",
        "\", evil@example.com, \"",
        "<evil@example.com>",
    ]);
    (base, attacks, any::<prop::sample::Index>()).prop_map(|(base, attack, at)| {
        let chars: Vec<char> = base.chars().collect();
        let at = if chars.is_empty() {
            0
        } else {
            at.index(chars.len() + 1)
        };
        let mut out: String = chars[..at].iter().collect();
        out.push_str(attack);
        out.extend(&chars[at..]);
        out
    })
}

fn single_line_ok(s: &str) -> bool {
    !s.chars().any(|c| {
        c.is_control()
            || matches!(c, '\u{2028}' | '\u{2029}')
            || c.general_category() == GeneralCategory::Format
    })
}

/// Bidi embeddings, overrides and isolates: refused in messages too (issue 10).
fn bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn messages_are_trimmed_bounded_and_free_of_stray_controls(
        input in prop_oneof![
            3 => tricky_string(40),
            1 => with_injection(tricky_string(30)),
            1 => any::<String>(),
            // Around the length limits, with padding that trimming must remove.
            1 => (prop::sample::select(vec![" ", "\u{3000}", "\r\n", "\t"]), 4995usize..5006, prop::sample::select(vec!["a", "ö", "🚓", "e\u{301}"]))
                .prop_map(|(pad, n, unit)| format!("{pad}{}{pad}", unit.repeat(n / unit.chars().count()))),
        ]
    ) {
        let expected = input.trim().replace("\r\n", "\n");
        match TipMessage::parse(&input) {
            Ok(message) => {
                let m = message.as_str();
                prop_assert_eq!(m, expected.as_str(), "only trimming and CR LF → LF");
                prop_assert_eq!(m, m.trim());
                let len = m.chars().count();
                prop_assert!((MESSAGE_MIN_CHARS..=MESSAGE_MAX_CHARS).contains(&len), "{} characters", len);
                prop_assert!(
                    m.chars().all(|c| !c.is_control() || c == '\n' || c == '\t'),
                    "a control character other than LF and tab: {:?}", m
                );
                prop_assert!(!m.chars().any(bidi_control), "a bidi control: {:?}", m);
                prop_assert!(!m.contains('\r'));
            }
            Err(invalid) => {
                prop_assert_eq!(invalid.field, "message");
                // Refused for a reason the rules name.
                let len = expected.chars().count();
                let bad_char = expected
                    .chars()
                    .any(|c| (c.is_control() && c != '\n' && c != '\t') || bidi_control(c));
                prop_assert!(
                    bad_char || !(MESSAGE_MIN_CHARS..=MESSAGE_MAX_CHARS).contains(&len),
                    "refused without reason: {:?}", input
                );
            }
        }
    }

    #[test]
    fn names_are_one_trimmed_line_of_at_most_200_characters(
        input in prop_oneof![
            3 => tricky_string(30),
            2 => with_injection(tricky_string(20)),
            1 => any::<String>(),
            1 => (195usize..206).prop_map(|n| "ö".repeat(n)),
        ]
    ) {
        match parse_name(Some(&input)) {
            Ok(Some(name)) => {
                prop_assert_eq!(name.as_str(), input.trim());
                prop_assert!(!name.is_empty());
                prop_assert!(single_line_ok(&name), "{:?}", name);
                prop_assert!(!name.contains('\r') && !name.contains('\n'));
                prop_assert!(name.chars().count() <= 200);
            }
            Ok(None) => prop_assert!(input.trim().is_empty(), "{:?} dropped", input),
            Err(invalid) => {
                prop_assert_eq!(invalid.field, "name");
                let name = input.trim();
                prop_assert!(
                    !single_line_ok(name) || name.chars().count() > 200,
                    "refused without reason: {:?}", input
                );
            }
        }
    }

    #[test]
    fn emails_are_one_trimmed_line_and_a_real_address(
        input in prop_oneof![
            2 => (tricky_string(12), tricky_string(12)).prop_map(|(a, b)| format!("{a}@{b}")),
            2 => with_injection(
                (proptest::string::string_regex("[a-z0-9._+-]{1,20}").expect("regex"),
                 proptest::string::string_regex("[a-z0-9-]{1,12}\\.(se|nu|com)").expect("regex"))
                    .prop_map(|(user, domain)| format!(" {user}@{domain} "))
            ),
            1 => tricky_string(30),
            1 => any::<String>(),
        ]
    ) {
        match parse_email(Some(&input)) {
            Ok(Some(address)) => {
                let text = address.to_string();
                prop_assert_eq!(text.as_str(), input.trim());
                prop_assert!(single_line_ok(&text), "{:?}", text);
                prop_assert!(!text.contains('\r') && !text.contains('\n'));
                prop_assert!(text.chars().count() <= 254);
                prop_assert!(text.contains('@'));
                // No way to smuggle a second address or a display name.
                for c in [',', ';', '<', '>', ' ', '"'] {
                    prop_assert!(!text.contains(c), "{:?} in {:?}", c, text);
                }
            }
            Ok(None) => prop_assert!(input.trim().is_empty()),
            Err(invalid) => prop_assert_eq!(invalid.field, "email"),
        }
    }

    #[test]
    fn phones_are_one_trimmed_line_of_at_most_40_characters(
        input in prop_oneof![
            2 => proptest::string::string_regex("[ ]{0,2}(\\+46 ?|0)[1-9][0-9 -]{5,12}[ ]{0,2}").expect("regex"),
            2 => with_injection(proptest::string::string_regex("07[0-9]-[0-9]{3} [0-9]{2} [0-9]{2}").expect("regex")),
            1 => tricky_string(30),
            1 => any::<String>(),
        ]
    ) {
        match parse_phone(Some(&input)) {
            Ok(Some(phone)) => {
                prop_assert_eq!(phone.as_str(), input.trim());
                prop_assert!(single_line_ok(&phone), "{:?}", phone);
                prop_assert!(!phone.contains('\r') && !phone.contains('\n'));
                prop_assert!(phone.chars().count() <= 40);
            }
            Ok(None) => prop_assert!(input.trim().is_empty()),
            Err(invalid) => prop_assert_eq!(invalid.field, "phone"),
        }
    }

    /// The other half of the email property: a validator that refused everything would
    /// pass the one above. Ordinary deliverable addresses, with spaces around, are taken
    /// and kept as typed.
    #[test]
    fn ordinary_email_addresses_are_accepted(
        user in "[a-z0-9]{1,10}(\\.[a-z0-9]{1,8})?(\\+[a-z0-9]{1,5})?",
        domain in "[a-z][a-z0-9]{0,9}(-[a-z0-9]{1,5})?\\.(se|nu|com|org)",
        pad in "[ ]{0,2}",
    ) {
        let typed = format!("{pad}{user}@{domain}{pad}");
        match parse_email(Some(&typed)) {
            Ok(Some(address)) => prop_assert_eq!(address.to_string(), format!("{user}@{domain}")),
            other => prop_assert!(false, "{:?} refused: {:?}", typed, other),
        }
    }

    /// Likewise for phones: Swedish mobile and landline numbers as people write them,
    /// and in international form, are accepted and kept as typed.
    #[test]
    fn ordinary_phone_numbers_are_accepted(
        number in prop_oneof![
            "07[0236]-[0-9]{3} [0-9]{2} [0-9]{2}",
            "07[0236][0-9]{7}",
            "\\+46 ?7[0236] ?[0-9]{3} ?[0-9]{2} ?[0-9]{2}",
            "08-[1-9][0-9]{2} [0-9]{3} [0-9]{2}",
            "031-[1-9][0-9]{2} [0-9]{2} [0-9]{2}",
        ],
        pad in "[ ]{0,2}",
    ) {
        let typed = format!("{pad}{number}{pad}");
        match parse_phone(Some(&typed)) {
            Ok(Some(phone)) => prop_assert_eq!(phone, number),
            other => prop_assert!(false, "{:?} refused: {:?}", typed, other),
        }
    }

    #[test]
    fn idempotency_keys_are_visible_ascii(input in prop_oneof![tricky_string(20), any::<String>(), "[!-~]{120,135}"]) {
        match parse_idempotency_key(Some(&input)) {
            Ok(Some(key)) => {
                prop_assert_eq!(&key, &input);
                prop_assert!((1..=128).contains(&key.len()));
                prop_assert!(key.bytes().all(|b| b.is_ascii_graphic()));
            }
            Ok(None) => prop_assert!(false, "a given key is never dropped"),
            Err(invalid) => {
                prop_assert_eq!(invalid.field, "idempotencyKey");
                prop_assert!(input.is_empty() || input.len() > 128 || !input.bytes().all(|b| b.is_ascii_graphic()));
            }
        }
    }
}

/// What a resident typed, already through the validators (as the server stores it).
#[derive(Debug, Clone)]
struct Accepted {
    message: String,
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    wants_reply: bool,
    kind: TipKind,
    reason: RoutingReason,
}

fn accepted_tip() -> impl Strategy<Value = Accepted> {
    let message = prop_oneof![
        3 => with_injection(tricky_string(60)),
        1 => Just("<script>alert('x')</script> & <b>fet</b>\n\n.\n..\nFrom: spoof\r\nBcc: evil@example.com".to_owned()),
        1 => Just(format!("{}{}", "Lång rad utan radbrytning ".repeat(150), "slut")),
    ]
    .prop_map(|m| format!("Meddelande: {m} – slut."))
    .prop_filter_map("a valid message", |m| {
        TipMessage::parse(&m).ok().map(|m| m.as_str().to_owned())
    });
    let name = prop::option::of(
        prop_oneof![
            3 => with_injection(tricky_string(30)),
            1 => Just("Åsa \"Kalla\" Öberg, <polis@example.com>".to_owned()),
            1 => Just("=?utf-8?b?SGFja2Vy?=".to_owned()),
            1 => (150usize..200).prop_map(|n| "ö".repeat(n)),
        ]
        .prop_filter_map("a valid name", |n| parse_name(Some(&n)).ok().flatten()),
    );
    let email = prop::option::of(
        (
            proptest::string::string_regex("[a-z0-9._+-]{1,20}").expect("regex"),
            proptest::string::string_regex("[a-z0-9-]{1,12}\\.(se|nu|com)").expect("regex"),
        )
            .prop_filter_map("a valid address", |(user, domain)| {
                parse_email(Some(&format!("{user}@{domain}")))
                    .ok()
                    .flatten()
                    .map(|a| a.to_string())
            }),
    );
    let phone = prop::option::of(
        proptest::string::string_regex("07[0-9]-[0-9]{3} [0-9]{2} [0-9]{2}")
            .expect("regex")
            .prop_filter_map("a valid number", |p| parse_phone(Some(&p)).ok().flatten()),
    );
    let kind = prop::sample::select(vec![TipKind::Opinion, TipKind::Tip, TipKind::Idea]);
    let reason = prop::sample::select(vec![
        RoutingReason::ExplicitRecipient,
        RoutingReason::CommitmentContact,
        RoutingReason::FocusAreaContact,
        RoutingReason::FocusAreaRule,
        RoutingReason::MunicipalityDefault,
        RoutingReason::StaffReroute,
        RoutingReason::Unrouted,
    ]);
    (message, name, email, phone, any::<bool>(), kind, reason).prop_map(
        |(message, name, email, phone, wants_reply, kind, reason)| Accepted {
            // As `check_reply` requires: a reply needs a channel.
            wants_reply: wants_reply && (email.is_some() || phone.is_some()),
            message,
            name,
            email,
            phone,
            kind,
            reason,
        },
    )
}

fn tip_email(tip: &Accepted) -> TipEmail {
    TipEmail {
        reference: "MEL-7K3F-9Q".to_owned(),
        kind: tip.kind,
        municipality: "Mellerud".to_owned(),
        municipality_official: "Melleruds kommun".to_owned(),
        message: tip.message.clone(),
        concerns: Some("Medborgarlöfte för Melleruds kommun 2025 › fokusområde Trafik".to_owned()),
        resident_name: tip.name.clone(),
        resident_email: tip
            .email
            .as_deref()
            .and_then(|e| parse_email(Some(e)).ok().flatten()),
        resident_phone: tip.phone.clone(),
        place: None,
        photos: 0,
        wants_reply: tip.wants_reply,
        reason: tip.reason,
        received_at: Utc
            .with_ymd_and_hms(2025, 3, 14, 9, 26, 53)
            .single()
            .expect("a valid time"),
    }
}

fn kind_sv(kind: TipKind) -> &'static str {
    match kind {
        TipKind::Opinion => "Synpunkt",
        TipKind::Tip => "Tips",
        TipKind::Idea => "Idé",
    }
}

/// The escaping the HTML part promises: text content, with line breaks as `<br>`.
fn html_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\n', "<br>")
}

/// The top-level header names of a raw message, counted.
fn header_names(parsed: &Message) -> BTreeMap<String, usize> {
    let mut names = BTreeMap::new();
    for (name, _) in parsed.headers_raw() {
        *names.entry(name.to_ascii_lowercase()).or_insert(0) += 1;
    }
    names
}

fn expected_headers(extra: &[&str]) -> BTreeMap<String, usize> {
    [
        "from",
        "to",
        "subject",
        "message-id",
        "date",
        "mime-version",
        "content-type",
    ]
    .iter()
    .chain(extra)
    .map(|h| ((*h).to_owned(), 1))
    .collect()
}

/// The raw header block: 7-bit, no line over RFC 5322's 998 characters.
fn check_raw(raw: &[u8]) -> Result<(), TestCaseError> {
    let text = String::from_utf8_lossy(raw);
    let headers = text.split("\r\n\r\n").next().unwrap_or_default();
    prop_assert!(headers.is_ascii(), "8-bit header: {}", headers);
    for line in text.split("\r\n") {
        prop_assert!(line.len() <= 998, "a line of {} bytes", line.len());
    }
    prop_assert!(
        !text.replace("\r\n", "").contains('\r') && !text.replace("\r\n", "").contains('\n'),
        "a bare CR or LF on the wire"
    );
    Ok(())
}

fn single_address<'a>(
    list: Option<&'a mail_parser::Address<'a>>,
    what: &str,
) -> Result<&'a mail_parser::Addr<'a>, TestCaseError> {
    let list = list.ok_or_else(|| TestCaseError::fail(format!("no {what}")))?;
    let mut addresses = list.iter();
    let first = addresses
        .next()
        .ok_or_else(|| TestCaseError::fail(format!("an empty {what}")))?;
    prop_assert!(addresses.next().is_none(), "more than one {}", what);
    Ok(first)
}

/// The plain part holds the message, verbatim (line ends aside).
fn check_bodies(parsed: &Message, message: Option<&str>) -> Result<(), TestCaseError> {
    prop_assert_eq!(parsed.text_body_count(), 1);
    prop_assert_eq!(parsed.html_body_count(), 1);
    prop_assert_eq!(parsed.attachment_count(), 0);
    let text = parsed
        .body_text(0)
        .ok_or_else(|| TestCaseError::fail("no text part"))?
        .replace("\r\n", "\n");
    let html = parsed
        .body_html(0)
        .ok_or_else(|| TestCaseError::fail("no HTML part"))?
        .replace("\r\n", "\n");
    prop_assert_eq!(html.matches("<body>").count(), 1, "{}", html);
    prop_assert_eq!(html.matches("</body>").count(), 1, "{}", html);
    if let Some(message) = message {
        prop_assert!(text.contains(message), "message missing from: {}", text);
        prop_assert!(
            html.contains(&html_text(message)),
            "escaped message missing from: {}",
            html
        );
    }
    Ok(())
}

fn from_mailbox<M: std::str::FromStr>() -> M
where
    M::Err: std::fmt::Debug,
{
    "Medborgarlöften <noreply@medborgarloften.example>"
        .parse()
        .expect("the default sender parses")
}

/// `Mailbox::new(name, address)` as the worker builds it, without naming lettre (not a
/// dependency of this crate): the type is inferred from the render functions, and its
/// `TryFrom<(name, address)>` is `Mailbox::new(Some(name), address.parse()?)`, so the
/// name is taken as it is, never parsed.
fn mailbox<M>(name: Option<&str>, address: &str) -> M
where
    M: TryFrom<(String, String)> + std::str::FromStr,
    <M as TryFrom<(String, String)>>::Error: std::fmt::Debug,
    <M as std::str::FromStr>::Err: std::fmt::Debug,
{
    match name {
        Some(name) => M::try_from((name.to_owned(), address.to_owned())).expect("a mailbox"),
        None => address.parse().expect("a mailbox"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..config() })]

    #[test]
    fn the_contact_email_is_well_formed_with_exactly_the_expected_headers(tip in accepted_tip()) {
        let from = from_mailbox();
        let to = mailbox(Some("Erika Gustavsson"), "erika.gustavsson@polisen.example");
        let email = tip_email(&tip);
        let message = render::to_contact(&from, to, &email, None, 4711).expect("renders");
        let raw = message.formatted();
        check_raw(&raw)?;
        let parsed = MessageParser::default().parse(&raw).ok_or_else(|| TestCaseError::fail("unparsable"))?;

        let reply_to = tip.wants_reply && tip.email.is_some();
        let expected = expected_headers(if reply_to { &["reply-to"] } else { &[] });
        prop_assert_eq!(header_names(&parsed), expected);
        prop_assert!(parsed.bcc().is_none() && parsed.cc().is_none());

        let to = single_address(parsed.to(), "To")?;
        prop_assert_eq!(to.address(), Some("erika.gustavsson@polisen.example"));
        prop_assert_eq!(to.name(), Some("Erika Gustavsson"));
        let from = single_address(parsed.from(), "From")?;
        prop_assert_eq!(from.address(), Some("noreply@medborgarloften.example"));
        prop_assert_eq!(parsed.message_id(), Some("delivery-4711@medborgarloften.example"));
        let subject = format!("[Medborgarlöfte Mellerud] {} MEL-7K3F-9Q", kind_sv(tip.kind));
        prop_assert_eq!(parsed.subject(), Some(subject.as_str()));
        if reply_to {
            let reply = single_address(parsed.reply_to(), "Reply-To")?;
            prop_assert_eq!(reply.address(), tip.email.as_deref());
            prop_assert_eq!(reply.name(), tip.name.as_deref(), "the resident's name survives");
        }
        check_bodies(&parsed, Some(&tip.message))?;
        let text = parsed.body_text(0).expect("text").replace("\r\n", "\n");
        for detail in [&tip.name, &tip.email, &tip.phone].into_iter().flatten() {
            prop_assert!(text.contains(detail.as_str()), "{:?} missing", detail);
        }
    }

    #[test]
    fn the_receipt_is_well_formed_and_addressed_only_to_the_resident(
        tip in accepted_tip().prop_filter("a receipt needs an address", |t| t.email.is_some()),
        routed in any::<bool>(),
    ) {
        let from = from_mailbox();
        let address = tip.email.clone().expect("filtered");
        let email = tip_email(&tip);
        let to = mailbox(tip.name.as_deref(), &address);
        let recipient = routed.then(|| Recipient { name: "Erika Gustavsson".into(), role: "kommunpolis".into() });
        let message = render::receipt(&from, to, &email, recipient.as_ref(), Some(5), 815).expect("renders");
        let raw = message.formatted();
        check_raw(&raw)?;
        let parsed = MessageParser::default().parse(&raw).ok_or_else(|| TestCaseError::fail("unparsable"))?;
        prop_assert_eq!(header_names(&parsed), expected_headers(&[]));
        prop_assert!(parsed.bcc().is_none() && parsed.cc().is_none() && parsed.reply_to().is_none());
        let to = single_address(parsed.to(), "To")?;
        prop_assert_eq!(to.address(), Some(address.as_str()));
        prop_assert_eq!(to.name(), tip.name.as_deref(), "the resident's name survives");
        prop_assert_eq!(parsed.message_id(), Some("delivery-815@medborgarloften.example"));
        let subject = parsed.subject().unwrap_or_default();
        prop_assert!(subject.ends_with(" – MEL-7K3F-9Q"), "{}", subject);
        check_bodies(&parsed, None)?;
        let text = parsed.body_text(0).expect("text").replace("\r\n", "\n");
        prop_assert!(text.contains("MEL-7K3F-9Q"));
        // The receipt repeats nothing the resident typed.
        prop_assert!(!text.contains(&tip.message));
    }
}
