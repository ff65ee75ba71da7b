//! The staff inbox (`/staff`): passwordless sign-in by a one-time link, then the tips in
//! the signed-in account's scope. Every read and change goes through `service::staff`
//! with the account's [`Principal`], exactly as the GraphQL staff API does, so the scope
//! rules of `service::authz` hold here too.
//!
//! The session cookie `staff_session` is `HttpOnly`, `SameSite=Strict`, `Path=/staff`
//! and `Secure` when `PUBLIC_BASE_URL` is https. Every form of a signed-in page carries a
//! CSRF token derived from the session (`service::staff_session::csrf_token`); a POST
//! without the right one is refused with 403.

mod editor;
mod inbox;
mod signin;

use axum::{
    Form, Router,
    extract::{FromRequest, FromRequestParts, Request},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};

use serde::de::DeserializeOwned;

use super::{page, pages::Message};
use crate::{
    http::AppState,
    service::{staff::Principal, staff_session},
};

pub const COOKIE: &str = "staff_session";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff", get(inbox::inbox))
        .route("/staff/logga-in", get(signin::form).post(signin::request))
        .route(
            "/staff/logga-in/{token}",
            get(signin::confirm).post(signin::redeem),
        )
        .route("/staff/logga-ut", post(signin::sign_out))
        .route("/staff/tips/{reference}", get(inbox::tip))
        .route("/staff/tips/{reference}/status", post(inbox::change_status))
        .route(
            "/staff/tips/{reference}/vidarebefordra",
            post(inbox::reroute),
        )
        .route("/staff/tips/{reference}/skicka-igen", post(inbox::resend))
        .route("/staff/tips/{reference}/svara", post(inbox::reply))
        .route("/staff/redigera", get(editor::list))
        .route(
            "/staff/redigera/loften/{id}",
            get(editor::promise_form).post(editor::save_texts),
        )
        .route(
            "/staff/redigera/aktiviteter/{id}/status",
            post(editor::commitment_status),
        )
        .route(
            "/staff/redigera/aktiviteter/{id}/uppfoljningar",
            post(editor::add_follow_up),
        )
        .route(
            "/staff/redigera/uppfoljningar/{id}",
            post(editor::save_follow_up),
        )
}

/// The session cookie's secret, if the request carries one.
fn session_secret(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// A signed-in request: who, and the CSRF token its forms carry.
pub struct Session {
    pub principal: Principal,
    secret: String,
    pub csrf: String,
}

impl Session {
    /// Whether a posted form's token belongs to this session.
    fn csrf_ok(&self, token: &str) -> bool {
        staff_session::csrf_matches(&self.secret, token)
    }
}

/// The session of the request, or the response to give instead: to the sign-in page when
/// there is none (or it has ended), a 500 page when the database fails.
async fn session(state: &AppState, headers: &HeaderMap) -> Result<Session, Response> {
    session_returning_to(state, headers, None).await
}

/// Where sign-in may lead back to: a tip page (the inbox link in the tip email), nothing
/// else, so the parameter cannot send anyone to another site.
fn return_target(path: &str) -> Option<&str> {
    let reference = path.strip_prefix("/staff/tips/")?;
    (!reference.is_empty()
        && reference.len() <= 40
        && reference
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-'))
    .then_some(path)
}

/// `?till=…` for sign-in pages and links, when there is a target to return to.
fn return_query(target: Option<&str>) -> String {
    target
        .and_then(return_target)
        .map(|t| format!("?till={t}"))
        .unwrap_or_default()
}

/// [`session`], and without one: to the sign-in page, which leads back to `target`.
async fn session_returning_to(
    state: &AppState,
    headers: &HeaderMap,
    target: Option<&str>,
) -> Result<Session, Response> {
    let Some(secret) = session_secret(headers) else {
        return Err(
            Redirect::to(&format!("/staff/logga-in{}", return_query(target))).into_response(),
        );
    };
    match staff_session::authenticate(&state.db, &secret, state.staff.timeouts, chrono::Utc::now())
        .await
    {
        Ok(Some(principal)) => Ok(Session {
            principal,
            csrf: staff_session::csrf_token(&secret),
            secret,
        }),
        Ok(None) => Err(Redirect::to(&match target.and_then(return_target) {
            Some(t) => format!("/staff/logga-in?utloggad=1&till={t}"),
            None => "/staff/logga-in?utloggad=1".to_owned(),
        })
        .into_response()),
        Err(err) => {
            tracing::error!(error = %err, "a staff session could not be read");
            Err(super::internal_error())
        }
    }
}

/// Who is signed in by the request's session cookie, if anyone: for resources under
/// `/staff` that also take an API token (a tip's photos).
pub async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Principal>, sea_orm::DbErr> {
    let Some(secret) = session_secret(headers) else {
        return Ok(None);
    };
    staff_session::authenticate(&state.db, &secret, state.staff.timeouts, chrono::Utc::now()).await
}

/// A signed-in page: the request's session, or the sign-in page (or a 500 page) instead.
impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        session(state, &parts.headers).await
    }
}

/// A form of a signed-in page: it carries the session's CSRF token.
pub trait CsrfForm {
    fn csrf(&self) -> &str;
}

/// [`CsrfForm`] for form types whose token is their `csrf` field.
macro_rules! csrf_forms {
    ($($form:ty),+ $(,)?) => {
        $(impl $crate::web::staff::CsrfForm for $form {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        })+
    };
}
use csrf_forms;

/// A form that carries nothing but its CSRF token (a button).
#[derive(Default, serde::Deserialize)]
#[serde(default)]
pub struct CsrfOnly {
    csrf: String,
}

csrf_forms!(CsrfOnly);

/// A signed-in form POST: the form, then the session with the form's CSRF token checked
/// against it (403 otherwise). The form is read first, as a plain `Form` would be.
pub struct Posted<T>(pub Session, pub T);

impl<T> FromRequest<AppState> for Posted<T>
where
    T: DeserializeOwned + CsrfForm + Send,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let headers = request.headers().clone();
        let Form(form) = Form::<T>::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let session = session(state, &headers).await?;
        if !session.csrf_ok(form.csrf()) {
            return Err(csrf_refused());
        }
        Ok(Self(session, form))
    }
}

fn csrf_refused() -> Response {
    page(
        StatusCode::FORBIDDEN,
        &Message {
            title: "Formuläret kunde inte tas emot".into(),
            text: "Formuläret saknade en giltig säkerhetskod. Ladda om sidan och försök igen."
                .into(),
            link: Some(("/staff".into(), "Till inkorgen".into())),
        },
    )
}

/// A page that shows nothing cached anywhere: staff pages are private.
fn private(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The `Set-Cookie` value for a session secret (empty and expired to remove it).
fn cookie(state: &AppState, value: Option<&str>) -> String {
    let secure = if state.staff.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    match value {
        Some(v) => format!("{COOKIE}={v}; HttpOnly; SameSite=Strict; Path=/staff{secure}"),
        None => format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/staff; Max-Age=0{secure}"),
    }
}

/// Refuse forms sent from another site (sign-in forms have no session to bind a CSRF
/// token to; browsers say where a form came from).
fn cross_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| site == "cross-site")
}
