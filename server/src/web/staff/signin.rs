//! Sign-in: ask for a link, open it, press the button, sign out.

use std::net::SocketAddr;

use askama::Template;
use axum::{
    Form,
    extract::{ConnectInfo, Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{CsrfOnly, Posted, cookie, cross_site, private};
use crate::{
    email::render,
    http::AppState,
    ratelimit::retry_after_secs,
    service::staff_session,
    web::{internal_error, page, pages::Message},
};

#[derive(Template)]
#[template(path = "staff_signin.html")]
struct SignIn {
    email: String,
    /// `?till=…` to carry back to the page asked for, or empty.
    till: String,
    error: Option<&'static str>,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct SignInQuery {
    utloggad: Option<String>,
    till: Option<String>,
}

/// `GET /staff/logga-in`.
pub async fn form(Query(q): Query<SignInQuery>) -> Response {
    private(page(
        StatusCode::OK,
        &SignIn {
            email: String::new(),
            till: super::return_query(q.till.as_deref()),
            error: None,
            notice: q
                .utloggad
                .map(|_| "Du är utloggad. Logga in igen för att fortsätta."),
        },
    ))
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct SignInInput {
    email: String,
}

/// Where the sign-in leads back to (see `super::return_target`).
#[derive(Deserialize)]
pub struct ReturnQuery {
    till: Option<String>,
}

/// `POST /staff/logga-in`: the same answer whether or not the address has an account.
pub async fn request(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(back): Query<ReturnQuery>,
    Form(input): Form<SignInInput>,
) -> Response {
    if cross_site(&headers) {
        return refused_cross_site();
    }
    let till = super::return_query(back.till.as_deref());
    let email = input.email.trim().chars().take(320).collect::<String>();
    if !email.contains('@') {
        return private(page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SignIn {
                email,
                till,
                error: Some("Ange din e-postadress, till exempel namn@kommun.se"),
                notice: None,
            },
        ));
    }
    let ip = crate::http::client_ip::client_ip(peer.ip(), &headers, &state.trusted_proxies);
    if let Err(refused) = state.staff.limiter.check(Some(ip), &email) {
        let secs = retry_after_secs(refused.retry_after);
        let mut response = page(
            StatusCode::TOO_MANY_REQUESTS,
            &Message {
                title: "För många försök".into(),
                text: format!(
                    "Det har gjorts för många inloggningsförsök. Försök igen om {} minuter.",
                    secs.div_ceil(60)
                ),
                link: None,
            },
        );
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return private(response);
    }
    match staff_session::request_link(&state.db, &email, chrono::Utc::now()).await {
        Ok(Some((secret, address))) => send_link(&state, secret, address, till),
        Ok(None) => {}
        Err(err) => {
            tracing::error!(error = %err, "a sign-in link could not be stored");
            return internal_error();
        }
    }
    private(page(
        StatusCode::OK,
        &Message {
            title: "Kolla din e-post".into(),
            text: "Om adressen hör till ett konto har vi skickat en inloggningslänk dit. Länken gäller i 15 minuter.".into(),
            link: None,
        },
    ))
}

/// Send the link in the background, so the answer takes as long for a known address as
/// for an unknown one.
fn send_link(state: &AppState, secret: String, address: String, till: String) {
    let staff = state.staff.clone();
    tokio::spawn(async move {
        let link = format!("{}/staff/logga-in/{secret}{till}", staff.base_url);
        let Ok(to) = address.parse() else {
            tracing::warn!("a staff account's address cannot be sent to");
            return;
        };
        let message = match render::sign_in_link(&staff.from, to, &link) {
            Ok(m) => m,
            Err(err) => {
                tracing::error!(error = %err, "a sign-in email could not be built");
                return;
            }
        };
        match tokio::time::timeout(staff.send_timeout, staff.mailer.send(message)).await {
            Ok(Ok(())) => {}
            Ok(Err(failure)) => {
                tracing::warn!(
                    cause = failure.cause.label(),
                    "a sign-in email was not sent"
                )
            }
            Err(_) => tracing::warn!("a sign-in email timed out"),
        }
    });
}

#[derive(Template)]
#[template(path = "staff_link.html")]
struct Confirm {
    token: String,
    till: String,
}

fn link_gone() -> Response {
    private(page(
        StatusCode::GONE,
        &Message {
            title: "Länken gäller inte längre".into(),
            text: "Inloggningslänken har redan använts eller är för gammal. Begär en ny länk."
                .into(),
            link: Some((
                "/staff/logga-in".into(),
                "Begär en ny inloggningslänk".into(),
            )),
        },
    ))
}

/// `GET /staff/logga-in/{token}`: one button; opening the link signs nobody in, so a mail
/// scanner that follows links spends nothing.
pub async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(back): Query<ReturnQuery>,
) -> Response {
    match staff_session::link_usable(&state.db, &token, chrono::Utc::now()).await {
        Ok(true) => private(page(
            StatusCode::OK,
            &Confirm {
                token,
                till: super::return_query(back.till.as_deref()),
            },
        )),
        Ok(false) => link_gone(),
        Err(err) => {
            tracing::error!(error = %err, "a sign-in link could not be read");
            internal_error()
        }
    }
}

/// `POST /staff/logga-in/{token}`: spend the link, start a new session, set the cookie.
pub async fn redeem(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(back): Query<ReturnQuery>,
) -> Response {
    if cross_site(&headers) {
        return refused_cross_site();
    }
    match staff_session::redeem_link(&state.db, &token, chrono::Utc::now()).await {
        Ok(Some(session)) => {
            // Back to the tip the inbox link pointed at, else the inbox.
            let to = back
                .till
                .as_deref()
                .and_then(super::return_target)
                .unwrap_or("/staff");
            let mut response = Redirect::to(to).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie(&state, Some(&session.secret))) {
                response.headers_mut().insert(header::SET_COOKIE, v);
            }
            private(response)
        }
        Ok(None) => link_gone(),
        Err(err) => {
            tracing::error!(error = %err, "a sign-in link could not be redeemed");
            internal_error()
        }
    }
}

/// `POST /staff/logga-ut`: the session ends on the server, the cookie is removed.
pub async fn sign_out(State(state): State<AppState>, Posted(s, _): Posted<CsrfOnly>) -> Response {
    if let Err(err) = staff_session::revoke(&state.db, &s.secret, chrono::Utc::now()).await {
        tracing::error!(error = %err, "a staff session could not be revoked");
        return internal_error();
    }
    let mut response = Redirect::to("/staff/logga-in?utloggad=1").into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie(&state, None)) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    private(response)
}

fn refused_cross_site() -> Response {
    page(
        StatusCode::FORBIDDEN,
        &Message {
            title: "Formuläret kan bara skickas härifrån".into(),
            text: "Det här formuläret skickades från en annan webbplats.".into(),
            link: Some(("/staff/logga-in".into(), "Till inloggningen".into())),
        },
    )
}
