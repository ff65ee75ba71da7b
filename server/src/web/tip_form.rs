//! The tip form: a plain POST that works with scripts off. Each field is checked with
//! the same domain rules the API uses, so every error shows next to its field at once;
//! then `service::tips` takes the tip exactly as `submitTip` does. The form carries an
//! idempotency key, so a double click or a reload never sends a tip twice.

use std::net::SocketAddr;

use askama::Template;
use axum::{
    Form,
    extract::{ConnectInfo, Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::Response,
};
use chrono::Utc;
use serde::Deserialize;

use super::{
    catalog::{self, ReadError},
    internal_error, not_found, page,
};
use crate::{
    domain::tip::{self as rules, EMERGENCY_NOTICE_SV},
    graphql::{
        ids::{self, NodeType},
        mutation::decode_concerns,
    },
    http::AppState,
    ratelimit::Refused,
    service::tips::{Accepted, SubmitError, TipSubmission},
};

/// What the form posts. Every field is text, so that anything a browser sends can be
/// shown again.
#[derive(Deserialize, Default, Clone)]
pub struct TipFormInput {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub wants_reply: Option<String>,
    #[serde(default)]
    pub recipient: String,
    #[serde(default)]
    pub concerns: String,
    #[serde(default)]
    pub idempotency_key: String,
}

/// One field's error, for the summary and for the field itself.
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// One choice of a select list.
pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "tip_form.html")]
struct FormPage {
    name: String,
    slug: String,
    input: TipFormInput,
    errors: Vec<FieldError>,
    recipients: Vec<Choice>,
    concerns: Vec<Choice>,
    notice: &'static str,
}

impl FormPage {
    /// The error of `field`, if it has one.
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
    fn kind_is(&self, kind: &str) -> bool {
        self.input.kind == kind
    }
    fn wants_reply(&self) -> bool {
        self.input.wants_reply.is_some()
    }
}

#[derive(Template)]
#[template(path = "receipt.html")]
struct Receipt {
    municipality: String,
    response_days: i32,
    slug: String,
    reference: String,
    recipient: Option<(String, String)>,
    status_link: String,
    notice: &'static str,
}

#[derive(Template)]
#[template(path = "rate_limited.html")]
struct RateLimited {
    minutes: u64,
}

/// A fresh key for one filling-in of the form.
fn new_key() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The contacts and the parts of the latest promise a tip can be about.
fn choices(m: &catalog::Municipality) -> (Vec<Choice>, Vec<Choice>) {
    let recipients = m
        .contacts
        .iter()
        .filter(|c| c.accepts_tips)
        .map(|c| Choice {
            value: c.id.clone(),
            label: if c.is_placeholder {
                c.organisation.clone()
            } else {
                format!("{}, {} ({})", c.name, c.role, c.organisation)
            },
        })
        .collect();
    let mut concerns = Vec::new();
    if let Some(p) = m.promises.nodes.first() {
        concerns.push(Choice {
            value: p.id.clone(),
            label: format!("Medborgarlöftet: {}", p.title),
        });
        for fa in &p.focus_areas {
            concerns.push(Choice {
                value: fa.id.clone(),
                label: format!("Fokusområde: {}", fa.title),
            });
        }
    }
    (recipients, concerns)
}

async fn load(state: &AppState, slug: &str) -> Result<catalog::Municipality, Response> {
    match catalog::municipality(state, slug).await {
        Ok(m) => Ok(m),
        Err(ReadError::NotFound) => Err(not_found("kommun")),
        Err(ReadError::Failed) => Err(internal_error()),
    }
}

fn form_page(m: &catalog::Municipality, input: TipFormInput, errors: Vec<FieldError>) -> FormPage {
    let (recipients, concerns) = choices(m);
    FormPage {
        name: m.name.clone(),
        slug: m.slug.clone(),
        input,
        errors,
        recipients,
        concerns,
        notice: EMERGENCY_NOTICE_SV,
    }
}

/// `GET /kommun/{slug}/tips`: the empty form.
pub async fn form(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    let m = match load(&state, &slug).await {
        Ok(m) => m,
        Err(response) => return response,
    };
    let input = TipFormInput {
        kind: "TIP".into(),
        idempotency_key: new_key(),
        ..TipFormInput::default()
    };
    page(StatusCode::OK, &form_page(&m, input, Vec::new()))
}

/// Every field's error at once, by the domain's rules (the service checks them again).
fn check(input: &TipFormInput) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut push = |field: &'static str, message: String| {
        errors.push(FieldError { field, message });
    };
    if !matches!(input.kind.as_str(), "OPINION" | "TIP" | "IDEA") {
        push(
            "kind",
            "Välj om det är en synpunkt, ett tips eller en idé.".into(),
        );
    }
    if let Err(e) = rules::TipMessage::parse(&input.message) {
        push("message", e.message);
    }
    if let Err(e) = rules::parse_name(Some(&input.name)) {
        push("name", e.message);
    }
    let email = rules::parse_email(Some(&input.email));
    if let Err(e) = &email {
        push("email", e.message.clone());
    }
    let phone = rules::parse_phone(Some(&input.phone));
    if let Err(e) = &phone {
        push("phone", e.message.clone());
    }
    let has_email = !input.email.trim().is_empty();
    let has_phone = !input.phone.trim().is_empty();
    if let Err(e) = rules::check_reply(input.wants_reply.is_some(), has_email, has_phone) {
        push("wants_reply", e.message);
    }
    errors
}

/// The API's field name as the form's.
fn form_field(api_field: &str) -> &'static str {
    match api_field {
        "message" => "message",
        "name" => "name",
        "email" => "email",
        "phone" => "phone",
        "wantsReply" => "wants_reply",
        "recipient" => "recipient",
        "concerns" => "concerns",
        "kind" => "kind",
        _ => "message",
    }
}

fn submission(slug: &str, input: &TipFormInput) -> Result<TipSubmission, FieldError> {
    let kind = match input.kind.as_str() {
        "OPINION" => entity::TipKind::Opinion,
        "IDEA" => entity::TipKind::Idea,
        _ => entity::TipKind::Tip,
    };
    let optional = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let recipient = match optional(&input.recipient) {
        Some(id) => Some(
            ids::decode_as(&id, NodeType::Contact, "recipient").map_err(|_| FieldError {
                field: "recipient",
                message: "Välj en av mottagarna i listan.".into(),
            })?,
        ),
        None => None,
    };
    let concerns = match optional(&input.concerns) {
        Some(id) => Some(decode_concerns(&id).map_err(|_| FieldError {
            field: "concerns",
            message: "Välj ett av alternativen i listan.".into(),
        })?),
        None => None,
    };
    Ok(TipSubmission {
        municipality: slug.to_owned(),
        kind,
        message: input.message.clone(),
        concerns,
        recipient,
        name: optional(&input.name),
        email: optional(&input.email),
        phone: optional(&input.phone),
        wants_reply: input.wants_reply.is_some(),
        idempotency_key: optional(&input.idempotency_key),
    })
}

fn kind_label(input: &TipFormInput) -> &'static str {
    match input.kind.as_str() {
        "OPINION" => "opinion",
        "IDEA" => "idea",
        _ => "tip",
    }
}

/// `POST /kommun/{slug}/tips`: check, send, and show the receipt or the form again.
pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(input): Form<TipFormInput>,
) -> Response {
    // Another site's page must not send tips through its visitors' browsers. Browsers
    // say where a form came from; a cross-site POST is refused before anything else.
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| site == "cross-site")
    {
        return page(
            StatusCode::FORBIDDEN,
            &super::pages::Message {
                title: "Formuläret kan bara skickas härifrån".into(),
                text: "Det här formuläret skickades från en annan webbplats. Öppna formuläret på den här webbplatsen och skicka det därifrån.".into(),
                link: Some((format!("/kommun/{slug}/tips"), "Till formuläret".into())),
            },
        );
    }
    let m = match load(&state, &slug).await {
        Ok(m) => m,
        Err(response) => return response,
    };
    let ip = crate::http::client_ip::client_ip(peer.ip(), &headers, &state.trusted_proxies);
    let client = state.intake.limiter.key(ip);
    let kind = kind_label(&input);
    let mut errors = check(&input);
    let prepared = if errors.is_empty() {
        submission(&m.slug, &input).map_err(|e| errors.push(e)).ok()
    } else {
        None
    };
    let Some(prepared) = prepared else {
        crate::metrics::tip(kind, "rejected");
        // Invalid input spends the client's invalid-attempt budget, as in the API.
        if let Err(SubmitError::RateLimited { retry_after }) =
            state.intake.spend_invalid(Some(client))
        {
            return rate_limited(&Refused { retry_after });
        }
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &form_page(&m, input, errors),
        );
    };
    match state
        .intake
        .submit(&state.db, Some(ip), prepared, Utc::now())
        .await
    {
        Ok(accepted) => {
            crate::metrics::tip(kind, "accepted");
            page(StatusCode::OK, &receipt(&m, &accepted))
        }
        Err(SubmitError::Invalid(i)) => {
            crate::metrics::tip(kind, "rejected");
            let errors = vec![FieldError {
                field: form_field(i.field),
                message: i.message,
            }];
            page(
                StatusCode::UNPROCESSABLE_ENTITY,
                &form_page(&m, input, errors),
            )
        }
        Err(SubmitError::IdempotencyConflict) => {
            crate::metrics::tip(kind, "rejected");
            let errors = vec![FieldError {
                field: "message",
                message: "Formuläret har redan skickats med ett annat innehåll. Kontrollera texten och skicka igen.".into(),
            }];
            let input = TipFormInput {
                idempotency_key: new_key(),
                ..input
            };
            page(
                StatusCode::UNPROCESSABLE_ENTITY,
                &form_page(&m, input, errors),
            )
        }
        Err(SubmitError::RateLimited { retry_after }) => {
            crate::metrics::tip(kind, "rate_limited");
            rate_limited(&Refused { retry_after })
        }
        Err(SubmitError::Db(err)) => {
            crate::metrics::tip(kind, "error");
            tracing::error!(error = %err, "a tip from the web form could not be stored");
            internal_error()
        }
    }
}

fn receipt(m: &catalog::Municipality, accepted: &Accepted) -> Receipt {
    let reference = accepted.tip.reference.clone();
    let status_link = format!(
        "/status?referens={}&kod={}",
        percent_encoding::utf8_percent_encode(&reference, percent_encoding::NON_ALPHANUMERIC),
        percent_encoding::utf8_percent_encode(
            &accepted.status_token,
            percent_encoding::NON_ALPHANUMERIC
        ),
    );
    Receipt {
        municipality: m.name.clone(),
        response_days: m.response_days,
        slug: m.slug.clone(),
        reference,
        recipient: accepted
            .routed_to
            .as_ref()
            .map(|c| (c.name.clone(), c.role.clone())),
        status_link,
        notice: EMERGENCY_NOTICE_SV,
    }
}

/// The friendly page for a client over a limit, saying when to try again.
pub fn rate_limited(refused: &Refused) -> Response {
    let secs = crate::ratelimit::retry_after_secs(refused.retry_after);
    let mut response = page(
        StatusCode::TOO_MANY_REQUESTS,
        &RateLimited {
            minutes: secs.div_ceil(60).max(1),
        },
    );
    if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}
