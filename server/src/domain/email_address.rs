//! Email addresses a public mail system can deliver to.
//!
//! Accepted: `local@domain` where the local part is a dot-atom (RFC 5322 `atext`, and
//! letters and digits beyond ASCII as RFC 6531 allows) and the domain is a name with at
//! least two labels under a real-looking top-level label. International domain names
//! (`erika@malmö.se`) are converted with IDNA (the `idna` crate, UTS #46 strict rules),
//! stored as entered and sent with the domain in punycode.
//!
//! Refused: quoted local parts (`"a b"@x.se`), address literals (`b@[127.0.0.1]`,
//! `b@[IPv6:::1]`), single-label domains (`a@b`, `b@localhost`), special-use top-level
//! names (`localhost`, `local`, `invalid`), numeric top-level labels, empty labels,
//! labels over 63 octets, a trailing dot, spaces, controls and invisible characters, and
//! addresses over 254 octets (in their sendable, ASCII-domain form).

use std::str::FromStr;

use super::charset;

/// Longest address, in octets of the sendable form (RFC 5321 path limit minus `<>`).
pub const MAX_OCTETS: usize = 254;
/// Longest local part, in octets (RFC 5321).
pub const LOCAL_MAX_OCTETS: usize = 64;
/// Longest domain label, in octets of its ASCII form.
pub const LABEL_MAX_OCTETS: usize = 63;
/// Longest domain, in octets of its ASCII form.
pub const DOMAIN_MAX_OCTETS: usize = 253;

/// Top-level names reserved for local use, that no public mail system serves.
const LOCAL_ONLY_TLDS: [&str; 3] = ["localhost", "local", "invalid"];

/// Why an address was refused, in Swedish for the resident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Characters,
    Shape,
    TooLong,
    LocalPart,
    Quoted,
    Literal,
    Domain,
    TopLevel,
}

impl Refusal {
    pub fn message_sv(self) -> &'static str {
        match self {
            Self::Characters => {
                "E-postadressen får inte innehålla mellanslag, radbrytningar eller osynliga tecken."
            }
            Self::Shape => "Ange e-postadressen som namn@exempel.se.",
            Self::TooLong => "E-postadressen är för lång.",
            Self::LocalPart => {
                "Delen före @ i e-postadressen är inte giltig (tillåtna är bokstäver, siffror och tecken som . + - _, inte två punkter i rad eller punkt först eller sist)."
            }
            Self::Quoted => "E-postadresser med citattecken tas inte emot.",
            Self::Literal => "E-postadressen måste ha ett domännamn efter @, inte en IP-adress.",
            Self::Domain => "Domänen efter @ i e-postadressen är inte giltig.",
            Self::TopLevel => {
                "Domänen efter @ i e-postadressen måste sluta med en riktig toppdomän, till exempel .se."
            }
        }
    }
}

/// A validated address: the text as entered (trimmed), and the form to send to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress {
    entered: lettre::Address,
    sendable: lettre::Address,
}

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, Refusal> {
        let input = input.trim();
        if input
            .chars()
            .any(|c| c.is_whitespace() || charset::is_forbidden_in_line(c))
        {
            return Err(Refusal::Characters);
        }
        let (local, domain) = input.rsplit_once('@').ok_or(Refusal::Shape)?;
        if local.contains('"') {
            return Err(Refusal::Quoted);
        }
        if local.is_empty() || domain.is_empty() {
            return Err(Refusal::Shape);
        }
        if domain.starts_with('[') || domain.ends_with(']') {
            return Err(Refusal::Literal);
        }
        check_local(local)?;
        let ascii_domain = ascii_domain(domain)?;
        if local.len() + 1 + ascii_domain.len() > MAX_OCTETS || input.len() > 4 * MAX_OCTETS {
            return Err(Refusal::TooLong);
        }
        // lettre must agree: both forms are what its builder and transport will take.
        let entered = lettre::Address::from_str(input).map_err(|_| Refusal::Domain)?;
        let sendable = lettre::Address::new(local, &ascii_domain).map_err(|_| Refusal::Domain)?;
        Ok(Self { entered, sendable })
    }

    /// The address as the resident or staff typed it (stored like this).
    pub fn entered(&self) -> &lettre::Address {
        &self.entered
    }

    /// The address with its domain in ASCII (punycode): what goes into `RCPT TO` and the
    /// headers. A non-ASCII local part stays and needs a relay with SMTPUTF8.
    pub fn sendable(&self) -> &lettre::Address {
        &self.sendable
    }
}

/// RFC 5322 `atext`, plus (RFC 6531) letters and digits outside ASCII.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || "!#$%&'*+-/=?^_`{|}~".contains(c)
        || (!c.is_ascii() && c.is_alphanumeric())
}

fn check_local(local: &str) -> Result<(), Refusal> {
    if local.len() > LOCAL_MAX_OCTETS {
        return Err(Refusal::TooLong);
    }
    // A dot-atom: atoms of atext joined by single dots, no dot first or last.
    if local
        .split('.')
        .any(|atom| atom.is_empty() || !atom.chars().all(is_atext))
    {
        return Err(Refusal::LocalPart);
    }
    Ok(())
}

/// The domain in ASCII, or why it cannot receive mail.
fn ascii_domain(domain: &str) -> Result<String, Refusal> {
    // Empty labels (`x..se`, `.se`, `x.se.`), checked before IDNA, which would also
    // map ideographic full stops to dots.
    if domain.split('.').any(str::is_empty) {
        return Err(Refusal::Domain);
    }
    let ascii = idna::domain_to_ascii_strict(domain).map_err(|_| Refusal::Domain)?;
    if ascii.len() > DOMAIN_MAX_OCTETS {
        return Err(Refusal::TooLong);
    }
    let labels: Vec<&str> = ascii.split('.').collect();
    for label in &labels {
        if label.is_empty()
            || label.len() > LABEL_MAX_OCTETS
            || label.starts_with('-')
            || label.ends_with('-')
            || !label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(Refusal::Domain);
        }
    }
    let [_, .., tld] = labels.as_slice() else {
        return Err(Refusal::TopLevel);
    };
    let letters = tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic());
    let idn = tld.starts_with("xn--") && tld.len() > 4;
    if !(letters || idn) || LOCAL_ONLY_TLDS.contains(&tld.to_ascii_lowercase().as_str()) {
        return Err(Refusal::TopLevel);
    }
    Ok(ascii)
}

/// The sendable form of a stored address; `None` if it no longer passes the rules (a
/// row written before they were tightened), which makes its delivery fail permanently.
pub fn sendable(stored: &str) -> Option<lettre::Address> {
    EmailAddress::parse(stored).ok().map(|a| a.sendable)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> EmailAddress {
        EmailAddress::parse(s).unwrap_or_else(|e| panic!("{s:?} refused: {e:?}"))
    }

    #[test]
    fn deliverable_addresses_are_accepted() {
        for s in [
            "x@y.se",
            "erika.gustavsson@polisen.se",
            "asa+tips@exempel.se",
            "a.b.c@sub.domain.example.com",
            "o'brien@example.ie",
            "first_last-1@example.co.uk",
            "tora.trafik@mellerud.example",
            "åsa.öberg@exempel.se",
            "ERIKA@EXEMPEL.SE",
            "a@b-c.se",
            "a@例え.テスト",
            "a@exempel.xn--p1ai",
        ] {
            ok(s);
        }
        let idn = ok(" erika@malmö.se ");
        assert_eq!(idn.entered().to_string(), "erika@malmö.se");
        assert_eq!(idn.sendable().to_string(), "erika@xn--malm-8qa.se");
        // The punycode form is itself accepted, and a broken A-label is not.
        ok("erika@xn--malm-8qa.se");
        assert!(EmailAddress::parse("erika@xn--malm-mua.se").is_err());
        assert_eq!(ok("Kim@Åre.SE").sendable().to_string(), "Kim@xn--re-xia.se");
    }

    #[test]
    fn undeliverable_addresses_are_refused() {
        let cases: &[(&str, Refusal)] = &[
            ("\"a b\"@example.se", Refusal::Characters),
            ("\"ab\"@example.se", Refusal::Quoted),
            ("b@[127.0.0.1]", Refusal::Literal),
            ("b@[IPv6:::1]", Refusal::Literal),
            ("b@localhost", Refusal::TopLevel),
            ("a@b", Refusal::TopLevel),
            ("a@b.localhost", Refusal::TopLevel),
            ("a@printer.local", Refusal::TopLevel),
            ("a@x.invalid", Refusal::TopLevel),
            ("a@example.se.", Refusal::Domain),
            (".a@example.se", Refusal::LocalPart),
            ("a.@example.se", Refusal::LocalPart),
            ("a..b@example.se", Refusal::LocalPart),
            ("a(b)@example.se", Refusal::LocalPart),
            ("a,b@example.se", Refusal::LocalPart),
            ("a@b@example.se", Refusal::LocalPart),
            ("a@1.2.3.4", Refusal::TopLevel),
            ("a@example.123", Refusal::TopLevel),
            ("a@example.s", Refusal::TopLevel),
            ("a@example..se", Refusal::Domain),
            ("a@.example.se", Refusal::Domain),
            ("a@-example.se", Refusal::Domain),
            ("a@example-.se", Refusal::Domain),
            ("a@exa_mple.se", Refusal::Domain),
            ("a@exa mple.se", Refusal::Characters),
            ("a b@example.se", Refusal::Characters),
            ("a@example.se\r\nBcc: c@d.se", Refusal::Characters),
            ("a\u{0}@example.se", Refusal::Characters),
            ("a\u{202E}@example.se", Refusal::Characters),
            ("a@exem\u{200B}pel.se", Refusal::Characters),
            ("\u{FEFF}a@example.se", Refusal::Characters),
            ("not-an-email", Refusal::Shape),
            ("@example.se", Refusal::Shape),
            ("a@", Refusal::Shape),
        ];
        for (s, why) in cases {
            assert_eq!(EmailAddress::parse(s).err(), Some(*why), "{s:?}");
        }
    }

    #[test]
    fn lengths_are_bounded() {
        let label63 = "a".repeat(63);
        ok(&format!("x@{label63}.se"));
        assert_eq!(
            EmailAddress::parse(&format!("x@{}.se", "a".repeat(64))).err(),
            Some(Refusal::Domain)
        );
        ok(&format!("{}@example.se", "l".repeat(64)));
        assert_eq!(
            EmailAddress::parse(&format!("{}@example.se", "l".repeat(65))).err(),
            Some(Refusal::TooLong)
        );
        // 64 + 1 + 189 = 254 octets is the longest.
        let d = format!("{0}.{0}.{1}.se", "d".repeat(63), "d".repeat(58));
        assert_eq!(d.len(), 189, "{d}");
        ok(&format!("{}@{d}", "l".repeat(64)));
        assert_eq!(
            EmailAddress::parse(&format!("{}@{d}x", "l".repeat(64))).err(),
            Some(Refusal::TooLong)
        );
        // An IDN whose punycode form is too long is refused though it looks short.
        let long_idn = format!(
            "{}@{}.se",
            "l".repeat(64),
            vec!["ö".repeat(30); 6].join(".")
        );
        assert!(EmailAddress::parse(&long_idn).is_err());
    }
}
