//! The inbox and one tip: read, change status, send on, resend.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use entity::{DeliveryStatus, TipStatus};
use serde::Deserialize;

use super::{CsrfOnly, Posted, Session, csrf_forms, private};
use crate::{
    http::AppState,
    service::staff::{self, StaffError, TipQuery},
    web::{internal_error, not_found, page, pages::Message},
};

const PAGE_SIZE: u64 = 25;

/// A tip's triage status as staff read it.
pub fn status_sv(s: TipStatus) -> &'static str {
    match s {
        TipStatus::Unrouted => "Ej fördelad",
        TipStatus::New => "Ny",
        TipStatus::InProgress => "Under behandling",
        TipStatus::Handled => "Hanterad",
        TipStatus::NotRelevant => "Inte aktuell",
    }
}

fn delivery_sv(s: DeliveryStatus) -> &'static str {
    match s {
        DeliveryStatus::Pending => "Väntar på att skickas",
        DeliveryStatus::Sent => "Skickat",
        DeliveryStatus::Dead => "Kunde inte skickas",
    }
}

fn status_param(s: &str) -> Option<TipStatus> {
    match s {
        "NEW" => Some(TipStatus::New),
        "IN_PROGRESS" => Some(TipStatus::InProgress),
        "HANDLED" => Some(TipStatus::Handled),
        "NOT_RELEVANT" => Some(TipStatus::NotRelevant),
        "UNROUTED" => Some(TipStatus::Unrouted),
        _ => None,
    }
}

fn status_value(s: TipStatus) -> &'static str {
    match s {
        TipStatus::Unrouted => "UNROUTED",
        TipStatus::New => "NEW",
        TipStatus::InProgress => "IN_PROGRESS",
        TipStatus::Handled => "HANDLED",
        TipStatus::NotRelevant => "NOT_RELEVANT",
    }
}

fn stockholm(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::Stockholm)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Overdue on the application's clock (the one follow-ups run on), as the API says.
fn overdue(state: &AppState, t: &entity::tip::Model) -> bool {
    crate::service::followup::is_overdue(t, state.intake.clock.today())
}

pub struct Row {
    reference: String,
    kind: &'static str,
    status: &'static str,
    received: String,
    due: Option<String>,
    overdue: bool,
}

pub struct Choice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "staff_inbox.html")]
struct Inbox {
    who: String,
    /// Admins also edit promises: a link to the editor.
    may_edit: bool,
    csrf: String,
    rows: Vec<Row>,
    total: u64,
    filters: Vec<Choice>,
    status: String,
    /// Only overdue tips (`forsenade=1`).
    only_overdue: bool,
    page_no: u64,
    pages: u64,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct InboxQuery {
    status: String,
    forsenade: String,
    sida: Option<u64>,
}

fn refused(err: StaffError) -> Response {
    match err {
        StaffError::NotFound => not_found("tips"),
        StaffError::Forbidden => page(
            StatusCode::FORBIDDEN,
            &Message {
                title: "Ingen behörighet".into(),
                text: "Ditt konto får inte läsa eller ändra tips.".into(),
                link: None,
            },
        ),
        StaffError::Invalid { .. } | StaffError::InvalidTransition { .. } => page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &Message {
                title: "Ändringen kunde inte göras".into(),
                text: "Tipset kan inte ändras på det sättet. Gå tillbaka och försök igen.".into(),
                link: Some(("/staff".into(), "Till inkorgen".into())),
            },
        ),
        StaffError::Db(err) => {
            tracing::error!(error = %err, "the staff inbox could not read the database");
            internal_error()
        }
    }
}

/// `GET /staff`: tips in scope, newest first, a page at a time.
pub async fn inbox(
    State(state): State<AppState>,
    Query(q): Query<InboxQuery>,
    s: Session,
) -> Response {
    let status = status_param(&q.status);
    let page_no = q.sida.unwrap_or(1).clamp(1, 100_000);
    let only_overdue = q.forsenade == "1";
    let query = TipQuery {
        status,
        overdue: only_overdue.then_some(true),
        today: Some(state.intake.clock.today()),
        ..TipQuery::default()
    };
    let (tips, total) = match staff::tips(
        &state.db,
        &s.principal,
        &query,
        (page_no - 1) * PAGE_SIZE,
        PAGE_SIZE,
    )
    .await
    {
        Ok(found) => found,
        // A role that reads no tips (editors): their start page is the editor.
        Err(StaffError::Forbidden) => {
            return private(Redirect::to("/staff/redigera").into_response());
        }
        Err(err) => return private(refused(err)),
    };
    let rows = tips
        .iter()
        .map(|t| Row {
            reference: t.reference.clone(),
            kind: crate::email::render::kind_sv(t.kind),
            status: status_sv(t.status),
            received: stockholm(t.received_at),
            due: t.due_on.map(|d| d.to_string()),
            overdue: overdue(&state, t),
        })
        .collect();
    let filters = [
        TipStatus::New,
        TipStatus::InProgress,
        TipStatus::Handled,
        TipStatus::NotRelevant,
        TipStatus::Unrouted,
    ]
    .into_iter()
    .map(|v| Choice {
        value: status_value(v),
        label: status_sv(v),
        selected: status == Some(v),
    })
    .collect();
    private(page(
        StatusCode::OK,
        &Inbox {
            who: s.principal.name.clone(),
            may_edit: crate::service::editing::view::may_edit(&s.principal),
            csrf: s.csrf.clone(),
            rows,
            total,
            filters,
            status: status.map(status_value).unwrap_or("").to_owned(),
            only_overdue,
            page_no,
            pages: total.div_ceil(PAGE_SIZE).max(1),
        },
    ))
}

pub struct Event {
    at: String,
    actor: String,
    text: String,
    note: Option<String>,
}

pub struct DeliveryRow {
    to: String,
    status: &'static str,
    attempts: i32,
}

pub struct Target {
    id: i32,
    label: String,
}

#[derive(Template)]
#[template(path = "staff_tip.html")]
struct TipPage {
    who: String,
    csrf: String,
    reference: String,
    kind: &'static str,
    status: &'static str,
    received: String,
    due: Option<String>,
    overdue: bool,
    concerns: Option<String>,
    message: String,
    erased: bool,
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    wants_reply: bool,
    /// Where the problem is, as the resident gave it.
    place: Option<String>,
    photos: Vec<PhotoView>,
    next: Vec<Choice>,
    history: Vec<Event>,
    deliveries: Vec<DeliveryRow>,
    any_dead: bool,
    targets: Vec<Target>,
    /// The resident left an email address (not erased): the reply form is shown.
    can_reply: bool,
    reply: ReplyForm,
}

/// A photo on the tip page: fetched from its staff URL with the page's session.
pub struct PhotoView {
    url: String,
    alt: String,
    width: i32,
    height: i32,
}

/// The reply form as last sent: its text and what was wrong with it.
#[derive(Default)]
pub struct ReplyForm {
    text: String,
    error: Option<String>,
}

/// `GET /staff/tips/{reference}`: 404 when the tip is missing or out of scope alike.
pub async fn tip(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(reference): Path<String>,
) -> Response {
    let back = format!("/staff/tips/{reference}");
    let s = match super::session_returning_to(&state, &headers, Some(&back)).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match tip_page(&state, &s, &reference, StatusCode::OK, ReplyForm::default()).await {
        Ok(r) => private(r),
        Err(err) => private(refused(err)),
    }
}

async fn tip_page(
    state: &AppState,
    s: &Session,
    reference: &str,
    code: StatusCode,
    reply: ReplyForm,
) -> Result<Response, StaffError> {
    let db = &state.db;
    let t = staff::tip_in_scope(db, &s.principal, reference).await?;
    let concerns = staff::concerns(db, &t).await?;
    let infos = crate::service::photos::infos_of(db, &[t.id]).await?;
    let count = infos.len();
    let photos = infos
        .into_iter()
        .map(|p| PhotoView {
            url: p.path(&t.reference),
            alt: format!("Bild {} av {count} från invånaren", p.number),
            width: p.width,
            height: p.height,
        })
        .collect();
    let history = staff::history(db, t.id)
        .await?
        .into_iter()
        .map(|e| Event {
            at: stockholm(e.at),
            actor: e.actor,
            text: match e.from_status {
                Some(from) if from != e.to_status => {
                    format!("{} → {}", status_sv(from), status_sv(e.to_status))
                }
                _ => status_sv(e.to_status).to_owned(),
            },
            note: e.note,
        })
        .collect();
    let deliveries: Vec<DeliveryRow> = staff::deliveries(db, t.id)
        .await?
        .into_iter()
        .map(|d| DeliveryRow {
            to: match d.kind {
                entity::DeliveryKind::Contact => {
                    d.recipient_name.unwrap_or_else(|| "Kontaktperson".into())
                }
                entity::DeliveryKind::Receipt => "Kvitto till invånaren".into(),
                entity::DeliveryKind::Reminder => format!(
                    "Påminnelse till {}",
                    d.recipient_name.as_deref().unwrap_or("mottagaren")
                ),
                entity::DeliveryKind::Escalation => format!(
                    "Eskalering till {}",
                    d.recipient_name.as_deref().unwrap_or("ansvarig")
                ),
                entity::DeliveryKind::Update => "Statusbesked till invånaren".into(),
                entity::DeliveryKind::Reply => "Svar till invånaren".into(),
            },
            status: delivery_sv(d.status),
            attempts: d.attempts,
        })
        .collect();
    let any_dead = deliveries
        .iter()
        .any(|d| d.status == delivery_sv(DeliveryStatus::Dead));
    let targets = staff::reroute_targets(db, &s.principal, &t)
        .await?
        .into_iter()
        .filter(|c| Some(c.id) != t.routed_contact_id)
        .map(|c| Target {
            id: c.id,
            label: format!("{} ({})", c.name, c.role),
        })
        .collect();
    let next = [
        TipStatus::New,
        TipStatus::InProgress,
        TipStatus::Handled,
        TipStatus::NotRelevant,
    ]
    .into_iter()
    .filter(|to| crate::domain::triage::allowed(t.status, *to))
    .map(|v| Choice {
        value: status_value(v),
        label: status_sv(v),
        selected: false,
    })
    .collect();
    Ok(page(
        code,
        &TipPage {
            who: s.principal.name.clone(),
            csrf: s.csrf.clone(),
            reference: t.reference.clone(),
            kind: crate::email::render::kind_sv(t.kind),
            status: status_sv(t.status),
            received: stockholm(t.received_at),
            due: t.due_on.map(|d| d.to_string()),
            overdue: overdue(state, &t),
            concerns,
            erased: t.erased_at.is_some(),
            message: t.message.clone(),
            name: t.name.clone(),
            email: t.email.clone(),
            phone: t.phone.clone(),
            wants_reply: t.wants_reply,
            place: crate::domain::place::Place::stored(
                t.place_address.as_deref(),
                t.place_latitude_e6,
                t.place_longitude_e6,
            )
            .map(|p| p.describe()),
            photos,
            next,
            history,
            deliveries,
            any_dead,
            targets,
            can_reply: t.email.is_some() && t.erased_at.is_none(),
            reply,
        },
    ))
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct StatusInput {
    csrf: String,
    status: String,
    note: String,
}

fn back(reference: &str) -> Response {
    private(Redirect::to(&format!("/staff/tips/{}", urlencode(reference))).into_response())
}

/// After a change that may have queued an email: wake the worker and show the tip again;
/// a refused change gets its page.
fn queued<T>(state: &AppState, reference: &str, result: Result<T, StaffError>) -> Response {
    match result {
        Ok(_) => {
            state.intake.wake_worker.notify_one();
            back(reference)
        }
        Err(err) => private(refused(err)),
    }
}

fn urlencode(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

/// `POST /staff/tips/{reference}/status`.
pub async fn change_status(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    Posted(s, input): Posted<StatusInput>,
) -> Response {
    let Some(to) = status_param(&input.status) else {
        return private(refused(StaffError::Invalid {
            field: "status",
            message: "unknown status".into(),
        }));
    };
    let note = Some(input.note).filter(|n| !n.trim().is_empty());
    // The application's clock, like the API: due dates and answers are judged on it.
    let now = state.intake.clock.now();
    // A resident who asked for updates has an email waiting.
    let changed = staff::transition_at(&state.db, &s.principal, &reference, to, note, now).await;
    queued(&state, &reference, changed)
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct RerouteInput {
    csrf: String,
    contact: Option<i32>,
    note: String,
}

/// `POST /staff/tips/{reference}/vidarebefordra`.
pub async fn reroute(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    Posted(s, input): Posted<RerouteInput>,
) -> Response {
    let Some(contact) = input.contact else {
        return private(refused(StaffError::Invalid {
            field: "contact",
            message: "no contact".into(),
        }));
    };
    let note = Some(input.note).filter(|n| !n.trim().is_empty());
    let rerouted = staff::reroute(&state.db, &s.principal, &reference, contact, note).await;
    queued(&state, &reference, rerouted)
}

/// `POST /staff/tips/{reference}/skicka-igen`.
pub async fn resend(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    Posted(s, _): Posted<CsrfOnly>,
) -> Response {
    let resent = staff::resend_dead(&state.db, &s.principal, &reference).await;
    queued(&state, &reference, resent)
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ReplyInput {
    csrf: String,
    message: String,
}

/// What was wrong with a refused reply, in Swedish (the service decides whether it is).
fn reply_error_sv(text: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        "Skriv ett svar till invånaren.".into()
    } else if text.chars().count() > staff::MAX_REPLY_CHARS {
        format!("Svaret får vara högst {} tecken.", staff::MAX_REPLY_CHARS)
    } else {
        "Svaret innehåller tecken som inte kan skickas.".into()
    }
}

/// `POST /staff/tips/{reference}/svara`: a reply to the resident by email through the
/// outbox (`staff::reply_to_resident`); the history says it was sent. A refused reply
/// shows the tip page again with the error by the field and the text kept.
pub async fn reply(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    Posted(s, input): Posted<ReplyInput>,
) -> Response {
    let now = state.intake.clock.now();
    match staff::reply_to_resident(&state.db, &s.principal, &reference, &input.message, now).await {
        Err(StaffError::Invalid {
            field: "message", ..
        }) => {
            let form = ReplyForm {
                error: Some(reply_error_sv(&input.message)),
                text: input.message,
            };
            let again = tip_page(
                &state,
                &s,
                &reference,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
            );
            match again.await {
                Ok(r) => private(r),
                Err(err) => private(refused(err)),
            }
        }
        sent => queued(&state, &reference, sent),
    }
}

csrf_forms!(StatusInput, RerouteInput, ReplyInput);
