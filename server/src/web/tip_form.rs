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
use serde::Deserialize;

use super::{
    catalog::{self, ReadError},
    internal_error, not_found, page,
};
use crate::{
    domain::{
        photo, place,
        tip::{self as rules, EMERGENCY_NOTICE_SV},
    },
    graphql::{
        ids::{self, NodeType},
        mutation::decode_concerns,
    },
    http::AppState,
    ratelimit::Refused,
    service::tips::{Accepted, PhotoUpload, PlaceSubmission, SubmitError, TipSubmission},
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
    pub notify_on_update: Option<String>,
    #[serde(default)]
    pub recipient: String,
    #[serde(default)]
    pub concerns: String,
    #[serde(default)]
    pub idempotency_key: String,
    /// Where the problem is: an address or landmark (shown), and a position that the
    /// page's script fills from the browser's geolocation (hidden fields).
    #[serde(default)]
    pub place_address: String,
    #[serde(default)]
    pub latitude: String,
    #[serde(default)]
    pub longitude: String,
    /// "Use the photo's position" (a checkbox).
    #[serde(default)]
    pub use_photo_location: Option<String>,
}

impl TipFormInput {
    /// The place as the service takes it; a coordinate that is not a number is `Err`.
    fn place(&self) -> Result<Option<PlaceSubmission>, FieldError> {
        let number = |s: &str| -> Result<Option<f64>, FieldError> {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            s.replace(',', ".")
                .parse::<f64>()
                .map(Some)
                .map_err(|_| FieldError {
                    field: "position",
                    message: "Positionen kunde inte läsas. Ta bort den och försök igen, eller skriv platsen i fältet.".into(),
                })
        };
        let place = PlaceSubmission {
            address: Some(self.place_address.trim().to_owned()).filter(|a| !a.is_empty()),
            latitude: number(&self.latitude)?,
            longitude: number(&self.longitude)?,
        };
        Ok((place != PlaceSubmission::default()).then_some(place))
    }
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

    fn notify_on_update(&self) -> bool {
        self.input.notify_on_update.is_some()
    }

    fn use_photo_location(&self) -> bool {
        self.input.use_photo_location.is_some()
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
    match input.place() {
        Ok(Some(p)) => {
            if let Err(e) = place::parse(p.address.as_deref(), p.latitude, p.longitude) {
                push(form_field(e.field), e.message);
            }
        }
        Ok(None) => {}
        Err(e) => push(e.field, e.message),
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
        "place.address" => "place_address",
        "place.latitude" | "place.longitude" => "position",
        "photos" => "photos",
        "usePhotoLocation" => "use_photo_location",
        _ => "message",
    }
}

/// A form shown again cannot hold the files it had (browsers do not allow it): say so
/// at the photo field, unless a photo's own error already stands there.
fn with_photo_hint(mut errors: Vec<FieldError>, had_photos: bool) -> Vec<FieldError> {
    if had_photos && !errors.iter().any(|e| e.field == "photos") {
        errors.push(FieldError {
            field: "photos",
            message: "Välj bilderna igen: de sparas inte när formuläret visas på nytt.".into(),
        });
    }
    errors
}

fn submission(
    slug: &str,
    input: &TipFormInput,
    photos: Vec<PhotoUpload>,
) -> Result<TipSubmission, FieldError> {
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
        notify_on_update: input.notify_on_update.is_some(),
        idempotency_key: optional(&input.idempotency_key),
        place: input.place()?,
        photos,
        use_photo_location: input.use_photo_location.is_some(),
    })
}

fn kind_label(input: &TipFormInput) -> &'static str {
    match input.kind.as_str() {
        "OPINION" => "opinion",
        "IDEA" => "idea",
        _ => "tip",
    }
}

/// The posted form: `multipart/form-data` when it carries photos (the page's form
/// always sends it so), or plain `application/x-www-form-urlencoded`. A photo left out
/// for its size or number comes back as a field error, with everything typed kept.
async fn read_form(
    state: &AppState,
    headers: &HeaderMap,
    request: axum::extract::Request,
) -> Result<(TipFormInput, Vec<PhotoUpload>, Option<FieldError>), Response> {
    use crate::http::multipart::{self, Refusal};
    let unreadable = |title: &str, text: &str| {
        page(
            StatusCode::BAD_REQUEST,
            &super::pages::Message {
                title: title.into(),
                text: text.into(),
                link: None,
            },
        )
    };
    if !multipart::is_multipart(headers) {
        use axum::extract::FromRequest;
        let Form(input) = Form::<TipFormInput>::from_request(request, state)
            .await
            .map_err(|_| {
                unreadable(
                    "Formuläret kunde inte läsas",
                    "Gå tillbaka och försök igen.",
                )
            })?;
        return Ok((input, Vec::new(), None));
    }
    let form = match multipart::parts(headers, request.into_body(), state.max_body_bytes).await {
        Ok(form) => form,
        Err(Refusal::TooLarge) => {
            let mut response = unreadable(
                "Bilderna är för stora",
                "Du kan bifoga högst 3 bilder på högst 8 MB var. Gå tillbaka, välj färre eller mindre bilder och skicka igen.",
            );
            *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
            return Err(response);
        }
        Err(_) => {
            return Err(unreadable(
                "Formuläret kunde inte läsas",
                "Gå tillbaka och försök igen.",
            ));
        }
    };
    let fields = serde_json::Value::Object(
        form.fields()
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect(),
    );
    let input: TipFormInput = serde_json::from_value(fields).map_err(|_| {
        unreadable(
            "Formuläret kunde inte läsas",
            "Gå tillbaka och försök igen.",
        )
    })?;
    let left_out = form.left_out.map(|refusal| FieldError {
        field: "photos",
        message: match refusal {
            Refusal::TooManyFiles => "Du kan bifoga högst 3 bilder. Välj bilderna igen.".into(),
            _ => "En bild var större än 8 MB. Välj mindre bilder och försök igen.".into(),
        },
    });
    Ok((input, multipart::photos(&form, "photos"), left_out))
}

/// `POST /kommun/{slug}/tips`: check, send, and show the receipt or the form again.
pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(slug): Path<String>,
    request: axum::extract::Request,
) -> Response {
    let headers = request.headers().clone();
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
    // Held until the answer is given: the photos stay in memory that long.
    let _upload = if crate::http::multipart::is_multipart(&headers) {
        let client = crate::http::client_ip::client_ip(peer.ip(), &headers, &state.trusted_proxies);
        match state.uploads.admit(client) {
            Some(slot) => Some(slot),
            None => return uploads_busy(),
        }
    } else {
        None
    };
    let (input, photos, left_out) = match read_form(&state, &headers, request).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    let ip = crate::http::client_ip::client_ip(peer.ip(), &headers, &state.trusted_proxies);
    let client = state.intake.limiter.key(ip);
    let kind = kind_label(&input);
    let mut errors = check(&input);
    errors.extend(left_out);
    if let Err(e) = photo::check_files(
        photos
            .iter()
            .map(|p| (p.bytes.as_slice(), p.content_type.as_deref())),
    ) {
        errors.push(FieldError {
            field: "photos",
            message: e.message,
        });
    }
    if input.use_photo_location.is_some()
        && photos.is_empty()
        && !errors.iter().any(|e| e.field == "photos")
    {
        errors.push(FieldError {
            field: "use_photo_location",
            message: "Bifoga en bild för att använda bildens position.".into(),
        });
    }
    let had_photos = !photos.is_empty();
    let prepared = if errors.is_empty() {
        submission(&m.slug, &input, photos)
            .map_err(|e| errors.push(e))
            .ok()
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
            &form_page(&m, input, with_photo_hint(errors, had_photos)),
        );
    };
    match state
        .intake
        .submit(&state.db, Some(ip), prepared, state.intake.clock.now())
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
                &form_page(&m, input, with_photo_hint(errors, had_photos)),
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

/// Every upload slot is taken: a Swedish page saying to try again shortly.
fn uploads_busy() -> Response {
    crate::http::multipart::busy(page(
        StatusCode::SERVICE_UNAVAILABLE,
        &super::pages::Message {
            title: "Många skickar bilder just nu".into(),
            text: "Ditt meddelande har inte skickats. Gå tillbaka och skicka det igen om en liten stund."
                .into(),
            link: None,
        },
    ))
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
