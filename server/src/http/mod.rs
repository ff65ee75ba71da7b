//! HTTP surface: the router, GraphQL over HTTP, health checks, metrics, and the
//! middleware every response passes through (request id, tracing, timeout, panic guard,
//! CORS, security headers, compression).

pub mod client_ip;
mod export;
mod graphiql;
mod graphql;
mod health;
mod middleware;
pub mod multipart;
mod open311;
mod persisted;
mod photos;
pub mod serve;

pub use middleware::parse_origins;

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use metrics_exporter_prometheus::PrometheusHandle;
use sea_orm::DatabaseConnection;

use crate::{
    cache::ResponseCache,
    graphql::{AppSchema, errors::ErrorCode, limits::Limits},
    ratelimit::RequestLimiter,
};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The schema clients use, with complexity and depth limits.
    pub schema: AppSchema,
    /// The same types without extensions, tried first for anonymous catalogue reads
    /// (see [`crate::graphql::build_read_schema`]).
    pub read_schema: AppSchema,
    /// The schema's types, for completing answers as the specification shapes them.
    pub shapes: Arc<crate::graphql::shape::Shapes>,
    /// Automatic persisted queries: documents by their SHA-256.
    pub persisted: Arc<persisted::PersistedQueries>,
    /// The same schema without limits, for trusted internal queries (the export).
    pub internal_schema: AppSchema,
    pub db: DatabaseConnection,
    pub graphiql: bool,
    /// Whether the resident site is served (`WEB_UI`).
    pub web_ui: bool,
    /// The `api_key` Open311 clients must send, if any (`OPEN311_API_KEY`).
    pub open311_api_key: Option<String>,
    /// The tip intake the web form submits through (the schema holds the same one).
    pub intake: crate::service::tips::TipIntake,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
    pub limits: Limits,
    pub graphql_timeout: Duration,
    pub max_body_bytes: usize,
    /// One slot per multipart body being read and handled (`UPLOADS_AT_ONCE`,
    /// `UPLOADS_PER_CLIENT`).
    pub uploads: Arc<multipart::Uploads>,
    pub cache: Arc<ResponseCache>,
    /// The catalogue version the caches observe; read after staff mutations.
    pub catalog: Arc<crate::service::catalog_version::CatalogVersion>,
    /// The public catalogue in memory, which public reads answer from.
    pub snapshots: Arc<crate::service::snapshot::SnapshotStore>,
    /// `Cache-Control: max-age` of cacheable GET responses.
    pub cache_max_age_secs: u64,
    pub request_limiter: Option<Arc<RequestLimiter>>,
    pub metrics: Option<PrometheusHandle>,
    /// Who may read `/metrics`.
    pub metrics_access: MetricsAccess,
    /// The staff inbox's sign-in mail, sessions and limits.
    pub staff: Arc<StaffWeb>,
}

/// What the staff inbox needs besides the database.
pub struct StaffWeb {
    /// Sends sign-in links (see docs/decisions.md: not through the outbox).
    pub mailer: crate::email::Mailer,
    pub from: lettre::message::Mailbox,
    /// `PUBLIC_BASE_URL`, or the listen address; no trailing slash.
    pub base_url: String,
    /// Cookies are `Secure` when the base URL is https.
    pub secure_cookies: bool,
    pub timeouts: crate::service::staff_session::SessionTimeouts,
    pub limiter: Arc<crate::ratelimit::SignInLimiter>,
    pub send_timeout: Duration,
}

/// Where `/metrics` is served and what it requires.
#[derive(Clone, Debug, Default)]
pub struct MetricsAccess {
    /// Served on the public listener (no separate metrics listener, and either a token
    /// is required or the public listener is bound to loopback).
    pub public: bool,
    /// Required as `Authorization: Bearer <token>` wherever `/metrics` is served.
    pub token: Option<crate::config::Secret>,
}

/// Cross-cutting HTTP settings from the configuration.
#[derive(Clone)]
pub struct HttpSettings {
    pub timeout: Duration,
    /// Origins allowed by CORS; empty for none, `["*"]` for any.
    pub cors_origins: Vec<String>,
    /// Reverse proxies whose `X-Request-Id` is kept.
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
}

pub fn router(state: AppState, settings: &HttpSettings) -> Router {
    let body_limit = state.max_body_bytes;
    let site = if state.web_ui {
        crate::web::router()
    } else {
        Router::new()
    };
    let routes = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/export/promises.json", get(export::json))
        .route("/export/promises.csv", get(export::csv))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route(
            &format!("{}/{{name}}", graphiql::ASSETS_PATH),
            get(graphiql::asset),
        )
        .route(
            "/staff/tips/{reference}/photos/{number}",
            get(photos::photo),
        )
        .nest(open311::PATH, open311::router())
        .merge(site)
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .with_state(state);
    middleware::wrap(routes, settings)
}

/// The metrics listener's router: `/metrics` and nothing else, with the same request ids,
/// timeout and security headers as the public one.
pub fn metrics_router(state: AppState, settings: &HttpSettings) -> Router {
    let routes = Router::new()
        .route("/metrics", get(health::metrics_private))
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::max(1024))
        .with_state(state);
    middleware::wrap(routes, settings)
}

async fn not_found() -> Response {
    json_error_body(StatusCode::NOT_FOUND, ErrorCode::NotFound, "not found")
}

/// A GraphQL-shaped error body for failures outside GraphQL execution.
pub fn json_error(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    crate::metrics::graphql_error(code.as_str());
    json_error_body(status, code, message)
}

fn json_error_body(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    json_error_numbers(status, code, message, &[])
}

/// [`json_error`] with numbers in `extensions` (a limit's measured value and limit).
pub fn json_error_numbers(
    status: StatusCode,
    code: ErrorCode,
    message: &str,
    numbers: &[(&str, usize)],
) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        crate::graphql::errors::error_document_with(code, message, None, numbers, false),
    )
        .into_response()
}

/// Whether the client already holds `etag` (`If-None-Match` lists it, or `*`).
pub(crate) fn if_none_match(headers: &axum::http::HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

/// The caching headers of a public GET answer that is the same for everyone (the API's
/// catalogue answers, the resident site's public pages): its `ETag` and
/// `Cache-Control: public, max-age` (`CACHE_MAX_AGE_SECS`).
pub(crate) fn set_cache_headers(headers: &mut axum::http::HeaderMap, etag: &str, max_age: u64) {
    if let Ok(value) = axum::http::HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    if let Ok(value) = axum::http::HeaderValue::from_str(&format!("public, max-age={max_age}")) {
        headers.insert(header::CACHE_CONTROL, value);
    }
}
