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

/// "your synpunkt/tips/idé" with the possessive Swedish asks of each noun: "tips" is
/// neuter ("ditt tips"), the others common gender ("din idé").
pub fn yours_sv(kind: TipKind) -> &'static str {
    match kind {
        TipKind::Opinion => "din synpunkt",
        TipKind::Tip => "ditt tips",
        TipKind::Idea => "din idé",
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
    /// Where the problem is, one line ("Storgatan vid skolan, 58.712346, 12.460100").
    pub place: Option<String>,
    /// How many photos the resident attached; the email links to them, never carries them.
    pub photos: usize,
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

/// The tip as its recipient reads it: what, when, the message and how to reach the
/// resident.
fn tip_parts(tip: &TipEmail) -> Vec<String> {
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
    if let Some(place) = &tip.place {
        parts.push(format!("Plats: {place}"));
    }
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
    parts
}

/// The photos as links into the inbox (the images stay there: an email is copied,
/// forwarded and archived beyond the retention period).
fn photo_links(count: usize, inbox_link: Option<&str>) -> Option<String> {
    let what = match count {
        0 => return None,
        1 => "1 bild".to_owned(),
        n => format!("{n} bilder"),
    };
    Some(match inbox_link {
        Some(link) => {
            let links: Vec<String> = (1..=count).map(|n| format!("{link}/photos/{n}")).collect();
            format!(
                "Invånaren bifogade {what}. De visas i inkorgen efter inloggning:\n{}",
                links.join("\n")
            )
        }
        None => {
            format!("Invånaren bifogade {what}. De visas för behörig personal i tjänstens API.")
        }
    })
}

/// A one-time sign-in link to the staff inbox.
pub fn sign_in_link(
    from: &Mailbox,
    to: Mailbox,
    link: &str,
) -> Result<Message, lettre::error::Error> {
    let parts = vec![
        "Hej! Någon, förhoppningsvis du, vill logga in i inkorgen för medborgarlöften.".to_owned(),
        format!("Öppna länken och tryck på knappen Logga in:\n{link}"),
        "Länken gäller i 15 minuter och kan bara användas en gång.".to_owned(),
        "Har du inte bett om att logga in kan du bortse från det här meddelandet.".to_owned(),
    ];
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject("Din inloggningslänk till medborgarlöften")
        .date(SystemTime::now())
        .multipart(alternative(&parts))
}

/// The tip, to the contact it was routed to, with the direct link to it in the inbox
/// (`inbox_link`, see [`inbox_link`]) when there is a web inbox to open.
pub fn to_contact(
    from: &Mailbox,
    to: Mailbox,
    tip: &TipEmail,
    inbox_link: Option<&str>,
    delivery_id: i32,
) -> Result<Message, lettre::error::Error> {
    let mut parts = tip_parts(tip);
    if let Some(link) = inbox_link {
        parts.push(format!("Öppna ärendet i inkorgen: {link}"));
    }
    if let Some(photos) = photo_links(tip.photos, inbox_link) {
        parts.push(photos);
    }
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

/// The receipt, to the resident; `response_days` is the municipality's target.
pub fn receipt(
    from: &Mailbox,
    to: Mailbox,
    tip: &TipEmail,
    recipient: Option<&Recipient>,
    response_days: Option<i32>,
    delivery_id: i32,
) -> Result<Message, lettre::error::Error> {
    let mut parts = vec![
        format!(
            "Tack! Vi har tagit emot {} till medborgarlöftet i {}.",
            yours_sv(tip.kind),
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
    if let Some(days) = response_days {
        parts.push(format!(
            "{} har som mål att ärenden tas om hand inom {}.",
            tip.municipality_official,
            working_days_sv(days)
        ));
    }
    parts.push(EMERGENCY_NOTICE_SV.to_owned());
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(format!(
            "Vi har tagit emot {} – {}",
            yours_sv(tip.kind),
            tip.reference
        ))
        .message_id(Some(message_id(delivery_id, from)))
        .date(SystemTime::now())
        .multipart(alternative(&parts))
}

fn alternative(parts: &[String]) -> MultiPart {
    MultiPart::alternative_plain_html(parts.join("\n\n") + "\n", html_page(parts))
}

/// "5 arbetsdagar", "1 arbetsdag".
pub fn working_days_sv(days: i32) -> String {
    if days == 1 {
        "1 arbetsdag".to_owned()
    } else {
        format!("{days} arbetsdagar")
    }
}

/// Where staff open a tip in the web inbox: `{PUBLIC_BASE_URL}/staff/tips/{reference}`;
/// `None` without a public base URL.
pub fn inbox_link(public_base_url: Option<&str>, reference: &str) -> Option<String> {
    let base = public_base_url?.trim().trim_end_matches('/');
    (!base.is_empty()).then(|| format!("{base}/staff/tips/{reference}"))
}

/// What a follow-up email to staff shows of the tip: everything the first email did
/// while the personal data is kept; after erasure the reference (and the link) only.
fn followup_parts(tip: &TipEmail, erased: bool, inbox_link: Option<&str>) -> Vec<String> {
    let mut parts = if erased {
        vec![
            format!("Referens: {}", tip.reference),
            "Invånarens meddelande och kontaktuppgifter har raderats enligt reglerna för gallring."
                .to_owned(),
        ]
    } else {
        tip_parts(tip)
    };
    parts.push(match inbox_link {
        Some(link) => format!("Öppna ärendet i inkorgen: {link}"),
        None => format!("Sök på referensen {} i inkorgen.", tip.reference),
    });
    parts
}

/// The reminder to the recipient: the tip is still unanswered on its due date.
pub fn reminder(
    from: &Mailbox,
    to: Mailbox,
    tip: &TipEmail,
    erased: bool,
    due_on: Option<chrono::NaiveDate>,
    inbox_link: Option<&str>,
    delivery_id: i32,
) -> Result<Message, lettre::error::Error> {
    let due = due_on.map_or_else(|| "i dag".to_owned(), |d| d.to_string());
    let mut parts = vec![format!(
        "Påminnelse: ärende {} har inte fått något svar, och svaret skulle ha lämnats senast {due}. \
         Markera det som under behandling när du har tagit dig an det.",
        tip.reference
    )];
    parts.extend(followup_parts(tip, erased, inbox_link));
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(format!("Påminnelse: {}", subject(tip)))
        .message_id(Some(message_id(delivery_id, from)))
        .date(SystemTime::now())
        .multipart(alternative(&parts))
}

/// The escalation: the tip, still unanswered some working days after its due date, to
/// the municipality's default recipient or the admins.
#[allow(
    clippy::too_many_arguments,
    reason = "one email's facts, each used once"
)]
pub fn escalation(
    from: &Mailbox,
    to: Mailbox,
    tip: &TipEmail,
    erased: bool,
    due_on: Option<chrono::NaiveDate>,
    first_recipient: Option<&Recipient>,
    inbox_link: Option<&str>,
    delivery_id: i32,
) -> Result<Message, lettre::error::Error> {
    let due = due_on.map_or_else(|| "förfallodagen".to_owned(), |d| d.to_string());
    let who = first_recipient.map_or_else(
        || "mottagaren".to_owned(),
        |r| format!("{} ({})", r.name, r.role),
    );
    let mut parts = vec![format!(
        "Eskalerat ärende: {} skickades till {who} men har fortfarande inte fått något svar, \
         trots en påminnelse. Svaret skulle ha lämnats senast {due}. Se till att någon tar sig an det.",
        tip.reference
    )];
    parts.extend(followup_parts(tip, erased, inbox_link));
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(format!("Eskalerat: {}", subject(tip)))
        .message_id(Some(message_id(delivery_id, from)))
        .date(SystemTime::now())
        .multipart(alternative(&parts))
}

/// A status update to a resident who asked for them. Says what the new status means,
/// never anything staff noted.
pub fn status_update(
    from: &Mailbox,
    to: Mailbox,
    tip: &TipEmail,
    status: entity::TipStatus,
    delivery_id: i32,
) -> Result<Message, lettre::error::Error> {
    use entity::TipStatus;
    let (short, text) = match status {
        TipStatus::InProgress => (
            "under behandling",
            "Ditt ärende behandlas nu av mottagaren.",
        ),
        TipStatus::Handled => (
            "hanterat",
            "Ditt ärende är nu hanterat. Tack för att du hörde av dig!",
        ),
        TipStatus::NotRelevant => (
            "avslutat",
            "Ditt ärende har avslutats utan åtgärd, till exempel för att det inte gäller medborgarlöftet eller redan tas om hand på annat sätt. Tack för att du hörde av dig!",
        ),
        TipStatus::New | TipStatus::Unrouted => ("mottaget", "Ditt ärende är mottaget."),
    };
    let parts = vec![
        format!(
            "Hej! Det här gäller {} {} till medborgarlöftet i {}.",
            yours_sv(tip.kind),
            tip.reference,
            tip.municipality_official
        ),
        text.to_owned(),
        "Du får det här meddelandet eftersom du bad om uppdateringar. Svara inte på det, det är automatiskt.".to_owned(),
        EMERGENCY_NOTICE_SV.to_owned(),
    ];
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(format!("Ditt ärende {} är {short}", tip.reference))
        .message_id(Some(message_id(delivery_id, from)))
        .date(SystemTime::now())
        .multipart(alternative(&parts))
}

/// A reply written by staff, to the resident.
pub fn reply(
    from: &Mailbox,
    to: Mailbox,
    tip: &TipEmail,
    text: &str,
    delivery_id: i32,
) -> Result<Message, lettre::error::Error> {
    let parts = vec![
        format!(
            "Hej! Du har fått ett svar på {} {} till medborgarlöftet i {}:",
            yours_sv(tip.kind),
            tip.reference,
            tip.municipality_official
        ),
        text.to_owned(),
        "Meddelandet skickades via tjänsten för medborgarlöften och går inte att svara på."
            .to_owned(),
        EMERGENCY_NOTICE_SV.to_owned(),
    ];
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(format!("Svar på ditt ärende {}", tip.reference))
        .message_id(Some(message_id(delivery_id, from)))
        .date(SystemTime::now())
        .multipart(alternative(&parts))
}
