//! An Open311 GeoReport v2 door (JSON only) for clients that already speak the standard:
//! `services.json` (the tip kinds of a municipality, which is the `jurisdiction_id`),
//! `POST requests.json` (a tip, through the same [`TipIntake`] as `submitTip`: the same
//! validation, limits, routing, outbox and idempotency via an `Idempotency-Key` header)
//! and `requests/{id}.json` (open or closed, nothing else). Errors use the standard's
//! shape, `[{"code": 400, "description": "…"}]`, plus the project's code as
//! `error_code`. The server fetches nothing: `media_url` is refused.

use std::{collections::HashMap, net::SocketAddr};

use axum::{
    Form, Json, Router,
    extract::{ConnectInfo, Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use chrono::SecondsFormat;
use entity::{TipKind, TipStatus};
use serde_json::{Value, json};

use super::AppState;
use crate::{
    graphql::errors::ErrorCode,
    service::tips::{PhotoUpload, PlaceSubmission, SubmitError, TipSubmission, sha256_hex},
};

/// Where the door is mounted.
pub const PATH: &str = "/open311/v2";

/// The door's routes (under [`PATH`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/services.json", get(services))
        .route("/requests.json", post(create))
        .route("/requests/{id}", get(status))
}

const KINDS: [(TipKind, &str, &str, &str); 3] = [
    (
        TipKind::Tip,
        "TIP",
        "Tips",
        "Tips om något som händer i kommunen, till polisen och kommunen bakom medborgarlöftet.",
    ),
    (
        TipKind::Opinion,
        "OPINION",
        "Synpunkt",
        "Synpunkter på medborgarlöftet och på tryggheten i kommunen.",
    ),
    (
        TipKind::Idea,
        "IDEA",
        "Idé",
        "Idéer om vad polisen och kommunen kan göra tillsammans.",
    ),
];

/// An error in the standard's shape, with the project's code beside it.
fn error(status: StatusCode, code: ErrorCode, description: &str) -> Response {
    crate::metrics::graphql_error(code.as_str());
    (
        status,
        Json(json!([{
            "code": status.as_u16(),
            "description": description,
            "error_code": code.as_str(),
        }])),
    )
        .into_response()
}

fn field<'a>(form: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    form.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// `GET services.json?jurisdiction_id=mellerud`: the kinds of tip the municipality takes.
async fn services(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(jurisdiction) = field(&query, "jurisdiction_id") else {
        return error(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadUserInput,
            "jurisdiction_id is required: a municipality's kommunkod or slug",
        );
    };
    match state.intake.routing.get(&state.db, jurisdiction).await {
        Ok(Some(facts)) => {
            let group = format!("Medborgarlöfte {}", facts.municipality.name);
            let list: Vec<Value> = KINDS
                .iter()
                .map(|(_, code, name, description)| {
                    json!({
                        "service_code": code,
                        "service_name": name,
                        "description": description,
                        "metadata": false,
                        "type": "realtime",
                        "keywords": "medborgarlöfte, polis, kommun",
                        "group": group,
                    })
                })
                .collect();
            Json(list).into_response()
        }
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "no municipality has that kommunkod or slug",
        ),
        Err(err) => {
            tracing::error!(error = %err, "open311 services could not be read");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "internal error",
            )
        }
    }
}

/// The standard's fields as the intake takes them; a malformed coordinate is `Err`.
fn submission(
    form: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<TipSubmission, &'static str> {
    let jurisdiction = field(form, "jurisdiction_id")
        .ok_or("jurisdiction_id is required: a municipality's kommunkod or slug")?;
    let kind = match field(form, "service_code") {
        Some(code) => KINDS
            .iter()
            .find(|(_, c, _, _)| *c == code)
            .map(|(kind, ..)| *kind)
            .ok_or("service_code must be one of TIP, OPINION or IDEA")?,
        None => return Err("service_code is required"),
    };
    let number = |name: &str| -> Result<Option<f64>, &'static str> {
        field(form, name)
            .map(|v| {
                v.parse::<f64>()
                    .map_err(|_| "lat and long must be decimal degrees")
            })
            .transpose()
    };
    let place = PlaceSubmission {
        address: field(form, "address_string").map(str::to_owned),
        latitude: number("lat")?,
        longitude: number("long")?,
    };
    let name = match (field(form, "first_name"), field(form, "last_name")) {
        (Some(first), Some(last)) => Some(format!("{first} {last}")),
        (Some(one), None) | (None, Some(one)) => Some(one.to_owned()),
        (None, None) => None,
    };
    Ok(TipSubmission {
        municipality: jurisdiction.to_owned(),
        kind,
        message: form.get("description").cloned().unwrap_or_default(),
        concerns: None,
        recipient: None,
        name,
        email: field(form, "email").map(str::to_owned),
        phone: field(form, "phone").map(str::to_owned),
        wants_reply: false,
        notify_on_update: false,
        idempotency_key: headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        place: (place != PlaceSubmission::default()).then_some(place),
        photos: Vec::new(),
        use_photo_location: false,
    })
}

/// The request's fields, form-encoded as the standard sends them, or
/// `multipart/form-data` with photos in `media` (up to three, as for any tip).
async fn read_request(
    state: &AppState,
    headers: &HeaderMap,
    request: axum::extract::Request,
) -> Result<(HashMap<String, String>, Vec<PhotoUpload>), Response> {
    use super::multipart::{self, Refusal};
    if !multipart::is_multipart(headers) {
        use axum::extract::FromRequest;
        let Form(form) = Form::<HashMap<String, String>>::from_request(request, state)
            .await
            .map_err(|rejection| {
                error(
                    rejection.status(),
                    ErrorCode::BadRequest,
                    "send the request as application/x-www-form-urlencoded or multipart/form-data",
                )
            })?;
        return Ok((form, Vec::new()));
    }
    let form = match multipart::parts(headers, request.into_body(), state.max_body_bytes).await {
        Ok(form) => form,
        Err(Refusal::TooLarge) => {
            return Err(error(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                "the request is larger than three photos of 8 MB and its fields",
            ));
        }
        Err(_) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                "the body is not valid multipart/form-data",
            ));
        }
    };
    match form.left_out {
        Some(Refusal::TooManyFiles) => Err(error(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadUserInput,
            "media: at most 3 photos",
        )),
        Some(_) => Err(error(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadUserInput,
            "media: a photo can be at most 8 MB",
        )),
        None => Ok((form.fields(), multipart::photos(&form, "media"))),
    }
}

/// `POST requests.json`: one tip.
async fn create(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
) -> Response {
    let headers = request.headers().clone();
    // A page on another site could post photos through its visitors' browsers (a
    // multipart form needs no preflight); browsers say so, Open311 clients do not.
    if super::multipart::is_multipart(&headers)
        && headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|site| site == "cross-site")
    {
        return error(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "photos cannot be sent from a page on another site",
        );
    }
    // Held until the answer is given: the photos stay in memory that long.
    let _upload = if super::multipart::is_multipart(&headers) {
        let client = super::client_ip::client_ip(peer.ip(), &headers, &state.trusted_proxies);
        match state.uploads.admit(client) {
            Some(slot) => Some(slot),
            None => {
                return super::multipart::busy(error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::Unavailable,
                    "too many requests with photos at once; try again shortly",
                ));
            }
        }
    } else {
        None
    };
    let (form, photos) = match read_request(&state, &headers, request).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    if let Some(expected) = &state.open311_api_key {
        let given = field(&form, "api_key").unwrap_or_default();
        // Hashed first, so the comparison's time says nothing about the key's length.
        let (given, expected) = (sha256_hex(given), sha256_hex(expected));
        if !crate::service::staff::constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            return error(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                "a valid api_key is required",
            );
        }
    }
    if field(&form, "media_url").is_some() {
        return error(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadUserInput,
            "media_url is not supported: this server fetches nothing from other sites",
        );
    }
    let ip = super::client_ip::client_ip(peer.ip(), &headers, &state.trusted_proxies);
    let submission = match submission(&form, &headers) {
        Ok(s) => TipSubmission { photos, ..s },
        Err(why) => {
            let key = state.intake.limiter.key(ip);
            if let Err(SubmitError::RateLimited { retry_after }) =
                state.intake.spend_invalid(Some(key))
            {
                return rate_limited(retry_after);
            }
            return error(StatusCode::BAD_REQUEST, ErrorCode::BadUserInput, why);
        }
    };
    let kind = match submission.kind {
        TipKind::Opinion => "opinion",
        TipKind::Tip => "tip",
        TipKind::Idea => "idea",
    };
    let result = state
        .intake
        .submit(&state.db, Some(ip), submission, state.intake.clock.now())
        .await;
    let (outcome, response) = match result {
        Ok(accepted) => (
            "accepted",
            Json(json!([{
                "service_request_id": accepted.tip.reference,
                "service_notice": crate::domain::tip::EMERGENCY_NOTICE_SV,
                "account_id": null,
            }]))
            .into_response(),
        ),
        Err(SubmitError::Invalid(i)) => (
            "rejected",
            error(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadUserInput,
                &format!("{}: {}", open311_field(i.field), i.message),
            ),
        ),
        Err(SubmitError::IdempotencyConflict) => (
            "rejected",
            error(
                StatusCode::CONFLICT,
                ErrorCode::IdempotencyConflict,
                "the Idempotency-Key was used for a different request",
            ),
        ),
        Err(SubmitError::RateLimited { retry_after }) => {
            ("rate_limited", rate_limited(retry_after))
        }
        Err(SubmitError::Db(err)) => {
            tracing::error!(error = %err, "an open311 request could not be stored");
            (
                "error",
                error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    "internal error",
                ),
            )
        }
    };
    crate::metrics::tip(kind, outcome);
    response
}

/// The standard's name for a field the intake names.
fn open311_field(field: &str) -> &str {
    match field {
        "message" => "description",
        "municipality" => "jurisdiction_id",
        "name" => "first_name",
        "place.address" => "address_string",
        "place.latitude" => "lat",
        "place.longitude" => "long",
        "photos" => "media",
        other => other,
    }
}

fn rate_limited(retry_after: std::time::Duration) -> Response {
    let secs = crate::ratelimit::retry_after_secs(retry_after);
    let mut response = error(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
        &format!("too many requests; try again in {secs} seconds"),
    );
    if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// `GET requests/{id}.json`: whether the tip is open or closed, and nothing personal.
async fn status(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some(reference) = file.strip_suffix(".json") else {
        return error(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "only the JSON format is offered: requests/{id}.json",
        );
    };
    match crate::service::tips::public_state(&state.db, reference).await {
        Ok(Some(tip)) => {
            let closed = matches!(tip.status, TipStatus::Handled | TipStatus::NotRelevant);
            let code = KINDS
                .iter()
                .find(|(kind, ..)| *kind == tip.kind)
                .map_or("TIP", |(_, code, ..)| *code);
            Json(json!([{
                "service_request_id": tip.reference,
                "status": if closed { "closed" } else { "open" },
                "service_code": code,
                "requested_datetime": tip.received_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                "updated_datetime": tip.updated_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            }]))
            .into_response()
        }
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "no request has that id",
        ),
        Err(err) => {
            tracing::error!(error = %err, "an open311 status could not be read");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "internal error",
            )
        }
    }
}
