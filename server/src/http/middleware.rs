//! The layers around every route, outermost first: security headers (so every response
//! carries them, also 408s from the timeout and 500s from the panic guard), request id
//! (a proxy's id is kept only from `TRUSTED_PROXIES` and only when short and plain;
//! otherwise a fresh one), tracing span (with the request id, never the query string or
//! body), response request id, panic guard, timeout, CORS (an allowlist; none by
//! default), and compression of larger responses.

use std::net::SocketAddr;

use axum::{
    Router,
    extract::{ConnectInfo, Request as AxumRequest},
    http::{HeaderName, HeaderValue, Method, Request, StatusCode, header},
    middleware::Next,
};
use ipnet::IpNet;
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::{CompressionLayer, predicate::SizeAbove},
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use super::{HttpSettings, json_error};
use crate::graphql::errors::ErrorCode;

/// Responses smaller than this are not worth compressing.
const COMPRESS_ABOVE_BYTES: u16 = 1024;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest request id taken from a trusted proxy.
const MAX_REQUEST_ID_LEN: usize = 64;

pub fn wrap(routes: Router, settings: &HttpSettings) -> Router {
    let mut router =
        routes.layer(CompressionLayer::new().compress_when(SizeAbove::new(COMPRESS_ABOVE_BYTES)));
    if let Some(cors) = cors(&settings.cors_origins) {
        router = router.layer(cors);
    }
    let trusted = settings.trusted_proxies.clone();
    let mut router = router
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            settings.timeout,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a request handler panicked");
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "internal server error",
            )
        }))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let id = request
                    .extensions()
                    .get::<RequestId>()
                    .and_then(|id| id.header_value().to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!(
                    "request",
                    request_id = %id,
                    method = %request.method(),
                    path = %request.uri().path(),
                )
            }),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(axum::middleware::from_fn(
            move |request: AxumRequest, next: Next| {
                let trusted = trusted.clone();
                async move { next.run(screen_request_id(request, &trusted)).await }
            },
        ));
    for (name, value) in security_headers() {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, value));
    }
    router
}

/// Drop a client's `X-Request-Id` unless it comes from a trusted proxy and is short and
/// made of safe characters; the next layer then generates one. A forged id can then
/// neither bloat nor forge log lines.
fn screen_request_id(mut request: AxumRequest, trusted: &[IpNet]) -> AxumRequest {
    let from_proxy = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|ConnectInfo(peer)| {
            let ip = peer.ip().to_canonical();
            trusted.iter().any(|net| net.contains(&ip))
        });
    let ids = request.headers().get_all(&REQUEST_ID);
    let mut ids = ids.iter();
    let keep = from_proxy
        && ids
            .next()
            .is_some_and(|id| is_plain_request_id(id.as_bytes()))
        && ids.next().is_none();
    if !keep {
        request.headers_mut().remove(&REQUEST_ID);
    }
    request
}

/// 1–64 characters from `A–Z a–z 0–9 - _ .`.
fn is_plain_request_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID_LEN
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Headers every response carries unless the handler set its own (GraphiQL sets a
/// content security policy that lets the IDE load its own scripts).
fn security_headers() -> Vec<(HeaderName, HeaderValue)> {
    vec![
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ),
        (
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ),
    ]
}

/// CORS for the configured origins; `None` (same-origin only) when there are none.
fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok())
                .collect::<Vec<_>>(),
        )
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([
                header::CONTENT_TYPE,
                header::AUTHORIZATION,
                header::ACCEPT,
                header::IF_NONE_MATCH,
                // Multipart uploads to `/graphql` must carry one of these (see
                // `http::multipart::preflighted`).
                HeaderName::from_static("apollo-require-preflight"),
                HeaderName::from_static("x-apollo-operation-name"),
            ])
            .expose_headers([REQUEST_ID, header::ETAG, header::RETRY_AFTER])
            .max_age(std::time::Duration::from_secs(600)),
    )
}

/// Parse `CORS_ALLOWED_ORIGINS`: comma-separated origins such as `https://app.kommun.se`.
pub fn parse_origins(value: &str) -> Result<Vec<String>, String> {
    let mut origins = Vec::new();
    for origin in value.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        let plain = origin == "*"
            || ((origin.starts_with("https://") || origin.starts_with("http://"))
                && !origin
                    .trim_end_matches('/')
                    .contains(|c: char| c.is_whitespace())
                && origin.matches('/').count() == 2);
        if !plain || HeaderValue::from_str(origin).is_err() {
            return Err(format!(
                "\"{origin}\" is not an origin like https://app.example.se (scheme and host, no path)"
            ));
        }
        origins.push(origin.to_owned());
    }
    Ok(origins)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked() {
        assert_eq!(parse_origins(""), Ok(vec![]));
        assert_eq!(
            parse_origins("https://a.se, http://localhost:3000"),
            Ok(vec!["https://a.se".into(), "http://localhost:3000".into()])
        );
        assert!(parse_origins("a.se").is_err());
        assert!(parse_origins("https://a.se/path").is_err());
        assert_eq!(parse_origins("*"), Ok(vec!["*".into()]));
    }

    #[test]
    fn request_ids_must_be_short_and_plain() {
        assert!(is_plain_request_id(b"from-the-proxy_1.2"));
        assert!(is_plain_request_id(&[b'a'; 64]));
        assert!(!is_plain_request_id(&[b'a'; 65]));
        assert!(!is_plain_request_id(b""));
        assert!(!is_plain_request_id(b"x\" reference=FAKE"));
        assert!(!is_plain_request_id(b"a b"));
    }
}
