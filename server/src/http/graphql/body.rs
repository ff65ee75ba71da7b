//! Reading a GraphQL request from HTTP: a JSON body (parsed strictly: duplicate keys and
//! oversized documents are refused), a multipart body with uploads, or GET parameters.

use axum::{
    body::Bytes,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::graphql::errors::ErrorCode;
use crate::graphql::limits;
use crate::http::{AppState, json_error};

/// Every upload slot of this replica is taken: try again shortly.
pub(super) fn uploads_busy() -> Response {
    crate::http::multipart::busy(json_error(
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Unavailable,
        "too many requests with photos at once; try again shortly",
    ))
}

/// A POST body of `application/json`: read within the body limit and parsed strictly.
pub(super) async fn json_body(
    state: &AppState,
    headers: &HeaderMap,
    request: axum::extract::Request,
) -> Result<async_graphql::BatchRequest, Response> {
    use axum::extract::FromRequest;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        return Err(json_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "send the request as application/json (or multipart/form-data with files)",
        ));
    }
    let body = match Bytes::from_request(request, state).await {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let size = headers
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok());
            return Err(too_large(state, size));
        }
        Err(_) => {
            return Err(json_error(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                "could not read the request body",
            ));
        }
    };
    parse_body(&body, state.limits.max_batch).map_err(body_refused)
}

/// The answer to a body that is not a GraphQL request.
fn body_refused(err: BodyError) -> Response {
    match err {
        BodyError::Batch(err) => {
            crate::metrics::graphql_error(err.code().as_str());
            crate::http::json_error_numbers(
                StatusCode::BAD_REQUEST,
                err.code(),
                &err.message(),
                &err.numbers(),
            )
        }
        BodyError::Invalid(reason) => json_error(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            &format!("the body is not a valid GraphQL request: {reason}"),
        ),
    }
}

/// A POST body in the GraphQL multipart request format (files for `submitTip`): the
/// `operations` part is read as a JSON body is, and each file is placed at the variable
/// paths `map` gives. Only with a header that forces a browser's preflight.
pub(super) async fn multipart_body(
    state: &AppState,
    headers: &HeaderMap,
    body: axum::body::Body,
) -> Result<async_graphql::BatchRequest, Response> {
    use crate::http::multipart::{self, Refusal};
    let bad = |message: &str| json_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message);
    if !multipart::preflighted(headers) {
        return Err(bad(
            "a multipart request must carry an Apollo-Require-Preflight or \
             X-Apollo-Operation-Name header (protection against cross-site requests)",
        ));
    }
    let photo_error = |message: &str| {
        crate::metrics::graphql_error(ErrorCode::BadUserInput.as_str());
        (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "application/json")],
            crate::graphql::errors::error_document_with(
                ErrorCode::BadUserInput,
                message,
                Some("photos"),
                &[],
                false,
            ),
        )
            .into_response()
    };
    let form = match multipart::parts(headers, body, state.max_body_bytes).await {
        Ok(form) => form,
        Err(Refusal::TooLarge) => return Err(too_large(state, None)),
        Err(_) => return Err(bad("the body is not valid multipart/form-data")),
    };
    match form.left_out {
        Some(Refusal::TooManyFiles) => {
            return Err(photo_error("a tip can have at most 3 photos"));
        }
        Some(_) => return Err(photo_error("a photo can be at most 8 MB")),
        None => {}
    }
    let parts = form.parts;
    let part = |name: &str| parts.iter().find(|p| p.name == name && !p.is_file());
    let operations =
        part("operations").ok_or_else(|| bad("the multipart body has no `operations` part"))?;
    let mut batch = parse_body(&operations.bytes, state.limits.max_batch).map_err(body_refused)?;
    let map: std::collections::HashMap<String, Vec<String>> = match part("map") {
        Some(map) => serde_json::from_slice(&map.bytes)
            .map_err(|_| bad("`map` must be a JSON object of file names to variable paths"))?,
        None => return Err(bad("the multipart body has no `map` part")),
    };
    // Each file once, and no more places than a tip has photos: one file named at many
    // paths would be copied for each.
    let mut paths_seen = std::collections::HashSet::new();
    for path in map.values().flatten() {
        if !paths_seen.insert(path.as_str()) || paths_seen.len() > crate::domain::photo::MAX_PHOTOS
        {
            return Err(photo_error(
                "`map` may name at most 3 places for files, each once",
            ));
        }
    }
    for (name, paths) in map {
        let file = parts
            .iter()
            .find(|p| p.is_file() && p.name == name)
            .ok_or_else(|| bad("`map` names a file the body does not hold"))?;
        for path in paths {
            let upload = || async_graphql::UploadValue {
                filename: file.file_name.clone().unwrap_or_default(),
                content_type: file.content_type.clone(),
                content: file.bytes.clone(),
            };
            match &mut batch {
                async_graphql::BatchRequest::Single(request) => request.set_upload(&path, upload()),
                async_graphql::BatchRequest::Batch(requests) => {
                    let (index, path) = path.split_once('.').unwrap_or_default();
                    let request = index
                        .parse::<usize>()
                        .ok()
                        .and_then(|i| requests.get_mut(i))
                        .ok_or_else(|| bad("`map` names a request the batch does not hold"))?;
                    request.set_upload(path, upload());
                }
            }
        }
    }
    Ok(batch)
}

/// The parameters of a GraphQL GET request. `operationName` is the standard spelling;
/// `operation_name` is still read for clients written against earlier versions.
#[derive(serde::Deserialize)]
pub(super) struct GetParameters {
    query: Option<String>,
    #[serde(rename = "operationName", alias = "operation_name")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

/// Read a GET query string into a request. Without `query` it must carry a persisted
/// query's hash (`extensions`). Reasons never echo the client's input.
pub(super) fn parse_query_string(query: &str) -> Result<async_graphql::Request, String> {
    let parameters: GetParameters = serde_urlencoded::from_str(query)
        .map_err(|_| "invalid query string: each parameter at most once".to_owned())?;
    let variables = match parameters.variables.as_deref() {
        None | Some("") => async_graphql::Variables::default(),
        Some(text) => serde_json::from_str(text)
            .map_err(|_| "`variables` must be a JSON object".to_owned())?,
    };
    let extensions: async_graphql::Extensions = match parameters.extensions.as_deref() {
        None | Some("") => Default::default(),
        Some(text) => serde_json::from_str(text)
            .map_err(|_| "`extensions` must be a JSON object".to_owned())?,
    };
    if parameters.query.is_none() && !extensions.contains_key("persistedQuery") {
        return Err("missing `query` parameter".to_owned());
    }
    let mut request = async_graphql::Request::new(parameters.query.unwrap_or_default());
    request.operation_name = parameters.operation_name.filter(|name| !name.is_empty());
    request.variables = variables;
    request.extensions = extensions;
    if crate::http::multipart::names_an_upload(&request) {
        return Err("files can only be sent as parts of a multipart request".to_owned());
    }
    Ok(request)
}

/// A request over the size limit: `extensions.limit`, and `size` when it is known (the
/// query string's length, or the body's `Content-Length`).
pub(super) fn too_large(state: &AppState, size: Option<usize>) -> Response {
    crate::metrics::graphql_error(ErrorCode::PayloadTooLarge.as_str());
    let mut numbers = vec![("limit", state.max_body_bytes)];
    numbers.extend(size.map(|size| ("size", size)));
    crate::http::json_error_numbers(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        &format!("request body is larger than {} bytes", state.max_body_bytes),
        &numbers,
    )
}

enum BodyError {
    Invalid(&'static str),
    Batch(limits::LimitError),
}

/// Read a POST body: one request object, or a non-empty array of at most `max_batch` of
/// them. Each must have a string `query`, or a persisted query's hash in `extensions`.
/// Reasons never echo the client's input.
fn parse_body(body: &[u8], max_batch: usize) -> Result<async_graphql::BatchRequest, BodyError> {
    use serde_json::Value;
    let StrictJson(value) = serde_json::from_slice(body).map_err(|err| {
        BodyError::Invalid(match err.classify() {
            serde_json::error::Category::Eof => "the JSON ends too early",
            // Only `StrictJson` raises a data error: a key seen twice.
            serde_json::error::Category::Data => "a JSON object has the same key twice",
            _ => "malformed JSON",
        })
    })?;
    let one = |value: Value| -> Result<async_graphql::Request, BodyError> {
        // An empty string is a document (that fails to parse); no `query` is no request.
        // A persisted query's hash may stand for its document.
        let has_query = value.get("query").is_some_and(Value::is_string)
            || value
                .get("extensions")
                .is_some_and(|e| e.get("persistedQuery").is_some());
        if !value.is_object() || !has_query {
            return Err(BodyError::Invalid(
                "expected an object with a string `query`, or an array of them",
            ));
        }
        let request: async_graphql::Request = serde_json::from_value(value).map_err(|_| {
            BodyError::Invalid("`variables` must be an object and `operationName` a string")
        })?;
        if crate::http::multipart::names_an_upload(&request) {
            return Err(BodyError::Invalid(
                "files can only be sent as parts of a multipart request",
            ));
        }
        Ok(request)
    };
    match value {
        Value::Array(items) if items.is_empty() => Err(BodyError::Invalid("the batch is empty")),
        Value::Array(items) if items.len() > max_batch => Err(BodyError::Batch(
            limits::LimitError::Batch(items.len(), max_batch),
        )),
        Value::Array(items) => Ok(async_graphql::BatchRequest::Batch(
            items.into_iter().map(one).collect::<Result<_, _>>()?,
        )),
        value => Ok(async_graphql::BatchRequest::Single(one(value)?)),
    }
}

/// A JSON value read without tolerating the same key twice in one object (anywhere in the
/// value): `{"query": A, "query": B}` would otherwise run B while a proxy or log that
/// reads the first key sees A.
struct StrictJson(serde_json::Value);

impl<'de> serde::Deserialize<'de> for StrictJson {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictJson)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictJson(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(serde_json::Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(serde::de::Error::custom("duplicate key"));
            }
            let StrictJson(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(serde_json::Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_refused_anywhere_in_the_body() {
        let refused = |body: &str| {
            matches!(
                parse_body(body.as_bytes(), 10),
                Err(BodyError::Invalid("a JSON object has the same key twice"))
            )
        };
        assert!(refused(r#"{"query":"{a}","query":"{b}"}"#));
        assert!(refused(r#"{"query":"{a}","variables":{"x":1,"x":2}}"#));
        assert!(refused(
            r#"{"query":"{a}","variables":{"x":{"y":[{"z":1,"z":1}]}}}"#
        ));
        assert!(refused(
            r#"[{"query":"{a}"},{"query":"{a}","operationName":"A","operationName":"B"}]"#
        ));
        assert!(parse_body(br#"{"query":"{a}","variables":{"x":{"x":1}}}"#, 10).is_ok());
        assert!(parse_body(br#"[{"query":"{a}"},{"query":"{a}"}]"#, 10).is_ok());
    }
}
