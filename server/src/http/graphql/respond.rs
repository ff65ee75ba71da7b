//! An outcome as an HTTP response: the media type the client accepts, the status, and
//! the cache headers of cacheable answers.

use axum::{
    body::Bytes,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::graphql::errors::ErrorCode;
use crate::graphql::limits;

use super::{GRAPHQL_RESPONSE, Method, Outcome, accepts};

/// The serialised form of a response: `data` left out for a request error.
#[derive(serde::Serialize)]
struct Body<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a async_graphql::Value>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [async_graphql::ServerError],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extensions: &'a std::collections::BTreeMap<String, async_graphql::Value>,
}

/// Step 6: serialise into a bounded buffer: an answer over the limit stops being written
/// as soon as it passes it.
pub(super) fn serialise(
    response: &async_graphql::Response,
    without_data: bool,
    max: usize,
) -> Result<Bytes, Outcome> {
    let mut writer = BoundedWriter {
        buf: Vec::new(),
        max,
    };
    let body = Body {
        data: (!without_data).then_some(&response.data),
        errors: &response.errors,
        extensions: &response.extensions,
    };
    match serde_json::to_writer(&mut writer, &body) {
        Ok(()) => Ok(Bytes::from(writer.buf)),
        Err(err) if err.is_io() => Err(Outcome::limit(
            StatusCode::BAD_REQUEST,
            &limits::LimitError::Response(max),
        )),
        Err(err) => {
            tracing::error!(error = %err, "could not serialise a GraphQL response");
            Err(Outcome::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "internal server error",
            ))
        }
    }
}

pub(super) fn content_type_for(headers: &HeaderMap) -> &'static str {
    if accepts(headers, GRAPHQL_RESPONSE) {
        GRAPHQL_RESPONSE
    } else {
        "application/json"
    }
}

pub(super) fn respond(
    headers: &HeaderMap,
    outcome: Outcome,
    method: Method,
    max_age: u64,
) -> Response {
    // A cacheable GET the client already holds.
    if method == Method::Get
        && let Some(etag) = &outcome.etag
        && crate::http::if_none_match(headers, etag)
    {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        set_cache_headers(&mut response, etag, max_age);
        return response;
    }
    let mut response = (
        outcome.status,
        [(header::CONTENT_TYPE, content_type_for(headers))],
        outcome.body,
    )
        .into_response();
    let response_headers = response.headers_mut();
    if let Some(secs) = outcome.retry_after {
        response_headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    if outcome.method_not_allowed {
        response_headers.insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    match (&outcome.etag, method) {
        (Some(etag), Method::Get) => set_cache_headers(&mut response, etag, max_age),
        _ => {
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
    response
}

fn set_cache_headers(response: &mut Response, etag: &str, max_age: u64) {
    let headers = response.headers_mut();
    crate::http::set_cache_headers(headers, etag, max_age);
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Authorization"),
    );
}

/// A buffer that refuses to grow past `max` bytes.
struct BoundedWriter {
    buf: Vec<u8>,
    max: usize,
}

impl std::io::Write for BoundedWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.buf.len().saturating_add(bytes.len()) > self.max {
            return Err(std::io::Error::other("the answer is over its size limit"));
        }
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bounded_writer_refuses_to_grow_past_its_limit() {
        let value = serde_json::json!({ "data": { "text": "x".repeat(100) } });
        let mut small = BoundedWriter {
            buf: Vec::new(),
            max: 50,
        };
        let err = serde_json::to_writer(&mut small, &value).expect_err("over the limit");
        assert!(err.is_io(), "{err}");
        assert!(small.buf.len() <= 50);
        let mut large = BoundedWriter {
            buf: Vec::new(),
            max: 1000,
        };
        serde_json::to_writer(&mut large, &value).expect("within the limit");
        assert_eq!(large.buf, serde_json::to_vec(&value).expect("json"));
    }
}
