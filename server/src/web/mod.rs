//! The web front door: the resident site, rendered on the server so that it works
//! without JavaScript. Every page reads through the same GraphQL schema the API serves
//! (as the open-data export does) and every tip goes through `service::tips`, so the
//! site is one more door onto the same rules, never a copy of them.
//!
//! Pages carry a strict Content-Security-Policy: styles and the one script (the tip
//! form's "Använd min position", an enhancement) only from this server, no inline code
//! and no third-party requests at all.

mod catalog;
mod pages;
pub(crate) mod staff;
mod tip_form;

use askama::Template;
use axum::{
    Router,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};

use crate::http::AppState;

/// The site's policy: nothing but this server's own stylesheet, images and forms.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; \
frame-ancestors 'none'; base-uri 'none'";

/// The stylesheet, compiled in.
const SITE_CSS: &str = include_str!("../../assets/site.css");

/// The tip form's only script: "Använd min position" (the form works without it).
const PLACE_JS: &str = include_str!("../../assets/place.js");

/// Routes of the resident site.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::start))
        .route("/kommun/{slug}", get(pages::municipality))
        .route(
            "/kommun/{slug}/tips",
            get(tip_form::form).post(tip_form::submit),
        )
        .route("/status", get(pages::status))
        .route("/tillganglighet", get(pages::accessibility))
        .route("/assets/site.css", get(stylesheet))
        .route("/assets/place.js", get(place_script))
        .merge(staff::router())
}

async fn place_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        PLACE_JS,
    )
        .into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        SITE_CSS,
    )
        .into_response()
}

/// A rendered page with the site's headers, stored nowhere (`no-store`: forms carry an
/// idempotency key, receipts and status pages a private code); a template that cannot
/// render is a 500 with a plain Swedish page (the cause goes to the log, never to the
/// visitor).
fn page(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => no_store(with_csp((status, Html(html)).into_response())),
        Err(err) => {
            tracing::error!(error = %err, "a page could not be rendered");
            internal_error()
        }
    }
}

/// A public page, the same for every visitor (the start page, a municipality, the
/// accessibility statement): cached like the API's GET answers, with the `ETag` of its
/// bytes and `Cache-Control: public, max-age` (`CACHE_MAX_AGE_SECS`); a browser that
/// holds it gets 304. A staff edit changes the bytes, and so the tag.
fn public_page(state: &AppState, headers: &HeaderMap, template: &impl Template) -> Response {
    let html = match template.render() {
        Ok(html) => html,
        Err(err) => {
            tracing::error!(error = %err, "a page could not be rendered");
            return internal_error();
        }
    };
    let etag = crate::cache::etag(html.as_bytes());
    let mut response = if crate::http::if_none_match(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, Html(html)).into_response()
    };
    crate::http::set_cache_headers(response.headers_mut(), &etag, state.cache_max_age_secs);
    with_csp(response)
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn with_csp(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    response
}

/// A short page saying something went wrong on our side.
fn internal_error() -> Response {
    let page = pages::Message {
        title: "Något gick fel".into(),
        text: "Sidan kunde inte visas just nu. Försök igen om en stund.".into(),
        link: None,
    };
    match page.render() {
        Ok(html) => no_store(with_csp(
            (StatusCode::INTERNAL_SERVER_ERROR, Html(html)).into_response(),
        )),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "Något gick fel").into_response(),
    }
}

/// The page for an address that names nothing.
fn not_found(what: &str) -> Response {
    page(
        StatusCode::NOT_FOUND,
        &pages::Message {
            title: "Sidan finns inte".into(),
            text: format!("Vi hittar ingen {what} med den adressen."),
            link: Some(("/".into(), "Till startsidan".into())),
        },
    )
}
