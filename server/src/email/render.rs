//! Swedish emails for a tip: the message to the routed contact and the receipt to the
//! resident. Built with lettre, which RFC 2047-encodes non-ASCII headers and display
//! names and writes UTF-8 bodies; every resident-supplied value is validated as a single
//! line before it gets here, and HTML-escaped in the HTML part.

use std::time::SystemTime;

use entity::TipKind;
use lettre::{
    Message,
    message::{Mailbox, MultiPart},
};

use crate::domain::routing::RoutingReason;

use crate::domain::tip::EMERGENCY_NOTICE_SV;

pub fn kind_sv(kind: TipKind) -> &'static str {
    match kind {
        TipKind::Opinion => "Synpunkt",
        TipKind::Tip => "Tips",
        TipKind::Idea => "Idé",
    }
}

/// The facts of a tip that emails show.
#[derive(Clone, Debug)]
pub struct TipEmail {
    pub reference: String,
    pub kind: TipKind,
    /// Short name, for the subject: "Mellerud".
    pub municipality: String,
    /// Official name, for sentences: "Melleruds kommun" (see [`official_name`]).
    pub municipality_official: String,
    pub message: String,
    /// What the tip concerns, e.g. "Medborgarlöfte för Melleruds kommun 2023 - 2024 › Trafiksäkerhet".
    pub concerns: Option<String>,
    pub resident_name: Option<String>,
    pub resident_email: Option<lettre::Address>,
    pub resident_phone: Option<String>,
    pub wants_reply: bool,
    pub reason: RoutingReason,
    pub received_at: chrono::DateTime<chrono::Utc>,
}

/// The municipality's name as a sentence needs it: the stored official name ("Melleruds
/// kommun", genitive where Swedish wants one, "Orust kommun" where it does not). Swedish
/// has no rule that gets every name right, so it is never derived; a municipality stored
/// before official names existed, and not seeded since, reads "i Mellerud".
pub fn official_name<'a>(name: &'a str, official_name: &'a str) -> &'a str {
    if official_name.trim().is_empty() {
        name
    } else {
        official_name
    }
}

/// The person a tip was routed to.
#[derive(Clone, Debug)]
pub struct Recipient {
    pub name: String,
    pub role: String,
}

/// Stable per delivery, so a resend after a crash can be recognised by the receiver.
pub fn message_id(delivery_id: i32, from: &Mailbox) -> String {
    format!("<delivery-{delivery_id}@{}>", from.email.domain())
}

fn subject(tip: &TipEmail) -> String {
    format!(
        "[Medborgarlöfte {}] {} {}",
        tip.municipality,
        kind_sv(tip.kind),
        tip.reference
    )
}

fn stockholm_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::Stockholm)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn html_page(paragraphs: &[String]) -> String {
    let mut html = String::from(
        "<!DOCTYPE html><html lang=\"sv\"><head><meta charset=\"utf-8\"></head><body>",
    );
    for p in paragraphs {
        html.push_str("<p>");
        html.push_str(&html_escape::encode_text(p).replace('\n', "<br>"));
        html.push_str("</p>");
    }
    html.push_str("</body></html>");
    html
}

/// The tip, to the contact it was routed to.
pub fn to_contact(
    from: &Mailbox,
    to: Mailbox,
    tip: &TipEmail,
    delivery_id: i32,
) -> Result<Message, lettre::error::Error> {
    let mut parts = vec![
        format!(
            "{} från en invånare i {} (referens {}).",
            kind_sv(tip.kind),
            tip.municipality_official,
            tip.reference
        ),
        format!("Mottaget: {}", stockholm_time(tip.received_at)),
    ];
    if let Some(concerns) = &tip.concerns {
        parts.push(format!("Gäller: {concerns}"));
    }
    parts.push(format!("Meddelande:\n{}", tip.message));
    let mut contact = Vec::new();
    if let Some(name) = &tip.resident_name {
        contact.push(format!("Namn: {name}"));
    }
    if let Some(email) = &tip.resident_email {
        contact.push(format!("E-post: {email}"));
    }
    if let Some(phone) = &tip.resident_phone {
        contact.push(format!("Telefon: {phone}"));
    }
    if contact.is_empty() {
        parts.push("Invånaren har inte lämnat några kontaktuppgifter.".to_owned());
    } else {
        parts.push(format!(
            "Invånarens kontaktuppgifter:\n{}",
            contact.join("\n")
        ));
    }
    parts.push(if tip.wants_reply {
        "Invånaren vill gärna få svar.".to_owned()
    } else {
        "Invånaren har inte bett om svar.".to_owned()
    });
    parts.push(format!(
        "Varför du fick det här tipset: {}",
        tip.reason.explanation_sv()
    ));
    parts.push("Meddelandet skickades via tjänsten för medborgarlöften. Svara inte på det här automatiska meddelandet om inte invånaren bett om svar.".to_owned());

    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject(tip))
        .message_id(Some(message_id(delivery_id, from)))
        .date(SystemTime::now());
    if tip.wants_reply
        && let Some(email) = &tip.resident_email
    {
        builder = builder.reply_to(Mailbox::new(tip.resident_name.clone(), email.clone()));
    }
    builder.multipart(alternative(&parts))
}

/// The receipt, to the resident.
pub fn receipt(
    from: &Mailbox,
    to: Mailbox,
    tip: &TipEmail,
    recipient: Option<&Recipient>,
    delivery_id: i32,
) -> Result<Message, lettre::error::Error> {
    let mut parts = vec![
        format!(
            "Tack! Vi har tagit emot din {} till medborgarlöftet i {}.",
            kind_sv(tip.kind).to_lowercase(),
            tip.municipality_official
        ),
        format!(
            "Ditt referensnummer är {}. Ange det om du hör av dig om ärendet.",
            tip.reference
        ),
    ];
    parts.push(match recipient {
        Some(r) => format!("Det har skickats till {} ({}).", r.name, r.role),
        None => "Det kommer att fördelas till rätt person hos polisen eller kommunen.".to_owned(),
    });
    parts.push(if tip.wants_reply {
        "Du har bett om svar. Mottagaren hör av sig till dig om det behövs, men kan inte alltid svara personligen.".to_owned()
    } else {
        "Det används i det fortsatta arbetet med medborgarlöftet. Du får inget personligt svar eftersom du inte bett om det.".to_owned()
    });
    parts.push(EMERGENCY_NOTICE_SV.to_owned());
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(format!(
            "Vi har tagit emot din {} – {}",
            kind_sv(tip.kind).to_lowercase(),
            tip.reference
        ))
        .message_id(Some(message_id(delivery_id, from)))
        .date(SystemTime::now())
        .multipart(alternative(&parts))
}

fn alternative(parts: &[String]) -> MultiPart {
    MultiPart::alternative_plain_html(parts.join("\n\n") + "\n", html_page(parts))
}
