//! The web front door: the resident site, rendered on the server so that it works
//! without JavaScript. Every page reads through the same GraphQL schema the API serves
//! (as the open-data export does) and every tip goes through `service::tips`, so the
//! site is one more door onto the same rules, never a copy of them.
//!
//! Pages carry a strict Content-Security-Policy: styles only from this server, no
//! scripts, no inline code and no third-party requests at all.

mod catalog;
mod pages;
mod tip_form;

use askama::Template;
use axum::{
    Router,
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};

use crate::http::AppState;

/// The site's policy: nothing but this server's own stylesheet, images and forms.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
frame-ancestors 'none'; base-uri 'none'";

/// The stylesheet, compiled in.
const SITE_CSS: &str = include_str!("../../assets/site.css");

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

/// A rendered page with the site's headers; a template that cannot render is a 500 with
/// a plain Swedish page (the cause goes to the log, never to the visitor).
fn page(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => with_csp((status, Html(html)).into_response()),
        Err(err) => {
            tracing::error!(error = %err, "a page could not be rendered");
            internal_error()
        }
    }
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
        Ok(html) => with_csp((StatusCode::INTERNAL_SERVER_ERROR, Html(html)).into_response()),
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
