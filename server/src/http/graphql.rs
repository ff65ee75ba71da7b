//! GraphQL over HTTP: `POST /graphql` with a JSON body (one request, or a batch as a JSON
//! array), `GET /graphql?query=…` for queries (never mutations), GraphiQL for browsers, and
//! the `application/graphql-response+json` media type when the client asks for it.
//!
//! Every document passes the abuse limits (`graphql::limits`) before anything touches the
//! database. Anonymous catalogue queries are answered from the response cache when they
//! can be; GET responses then carry `ETag` and `Cache-Control`.
//!
//! Over 600 lines: the request path in named steps plus the strict JSON body reader
//! (`StrictJson`, `BoundedWriter`) and their unit tests; the body reader could move out.

use std::{net::SocketAddr, time::Instant};

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection,
};
use axum::{
    body::Bytes,
    extract::{ConnectInfo, RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{AppState, json_error};
use crate::graphql::errors::{ErrorCode, code_of, error_document, retry_after_of};
use crate::{
    cache::ResponseCache,
    graphql::{
        ResponseBudget, add_error_codes, limits, mutation::ClientIp, prepare_request, staff::Caller,
    },
    ratelimit::retry_after_secs,
};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// Root fields whose answers depend only on the public catalogue, so an anonymous query
/// made of them can be cached until the catalogue changes.
const CATALOG_FIELDS: &[&str] = &[
    "municipalities",
    "municipality",
    "promises",
    "promise",
    "node",
    "nodes",
    "__typename",
    "__schema",
    "__type",
];

fn accepts(headers: &HeaderMap, media_type: &str) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|part| {
            part.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case(media_type))
        })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
}

pub async fn get(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    if query.is_empty() {
        if state.graphiql && accepts(&headers, "text/html") {
            return super::graphiql::page();
        }
        return json_error(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "missing `query` parameter",
        );
    }
    if query.len() > state.max_body_bytes {
        return too_large(&state, Some(query.len()));
    }
    let request = match parse_query_string(&query) {
        Ok(request) => request,
        Err(reason) => {
            return json_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, &reason);
        }
    };
    let outcome = run(&state, peer, &headers, request, Method::Get).await;
    respond(&headers, outcome, Method::Get, state.cache_max_age_secs)
}

pub async fn post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
) -> Response {
    let headers = request.headers().clone();
    // Held until the answer is given: the photos stay in memory that long.
    let mut _upload = None;
    let batch = if super::multipart::is_multipart(&headers) {
        if super::multipart::preflighted(&headers) {
            match super::multipart::admission(&state.uploads) {
                Some(permit) => _upload = Some(permit),
                None => return uploads_busy(),
            }
        }
        match multipart_body(&state, &headers, request.into_body()).await {
            Ok(batch) => batch,
            Err(refused) => return refused,
        }
    } else {
        match json_body(&state, &headers, request).await {
            Ok(batch) => batch,
            Err(refused) => return refused,
        }
    };
    match batch {
        async_graphql::BatchRequest::Single(request) => {
            let outcome = run(&state, peer, &headers, request, Method::Post).await;
            respond(&headers, outcome, Method::Post, 0)
        }
        async_graphql::BatchRequest::Batch(requests) => {
            // One after another: a batch is never more parallel than its client.
            let mut parts = Vec::with_capacity(requests.len());
            for request in requests {
                parts.push(
                    run(&state, peer, &headers, request, Method::Post)
                        .await
                        .body,
                );
            }
            let mut body =
                Vec::with_capacity(parts.iter().map(Bytes::len).sum::<usize>() + parts.len() + 1);
            body.push(b'[');
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    body.push(b',');
                }
                body.extend_from_slice(part);
            }
            body.push(b']');
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, content_type_for(&headers))],
                body,
            )
                .into_response()
        }
    }
}

/// Every upload slot of this replica is taken: try again shortly.
fn uploads_busy() -> Response {
    super::multipart::busy(json_error(
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Unavailable,
        "too many requests with photos at once; try again shortly",
    ))
}

/// A POST body of `application/json`: read within the body limit and parsed strictly.
async fn json_body(
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
            super::json_error_numbers(
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
async fn multipart_body(
    state: &AppState,
    headers: &HeaderMap,
    body: axum::body::Body,
) -> Result<async_graphql::BatchRequest, Response> {
    use super::multipart::{self, Refusal};
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
struct GetParameters {
    query: Option<String>,
    #[serde(rename = "operationName", alias = "operation_name")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

/// Read a GET query string into a request. Without `query` it must carry a persisted
/// query's hash (`extensions`). Reasons never echo the client's input.
fn parse_query_string(query: &str) -> Result<async_graphql::Request, String> {
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
    if super::multipart::names_an_upload(&request) {
        return Err("files can only be sent as parts of a multipart request".to_owned());
    }
    Ok(request)
}

/// A request over the size limit: `extensions.limit`, and `size` when it is known (the
/// query string's length, or the body's `Content-Length`).
fn too_large(state: &AppState, size: Option<usize>) -> Response {
    crate::metrics::graphql_error(ErrorCode::PayloadTooLarge.as_str());
    let mut numbers = vec![("limit", state.max_body_bytes)];
    numbers.extend(size.map(|size| ("size", size)));
    super::json_error_numbers(
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
        if super::multipart::names_an_upload(&request) {
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

/// The result of one GraphQL request, before it becomes an HTTP response.
struct Outcome {
    status: StatusCode,
    body: Bytes,
    retry_after: Option<u64>,
    /// Set for responses from (or stored in) the cache.
    etag: Option<String>,
    /// `GET` only: the selected operation is a mutation.
    method_not_allowed: bool,
}

impl Outcome {
    /// A refusal by a limit, with its numbers in `extensions`.
    fn limit(status: StatusCode, err: &limits::LimitError) -> Self {
        crate::metrics::graphql_error(err.code().as_str());
        Self {
            status,
            body: Bytes::from(crate::graphql::errors::error_document_with(
                err.code(),
                &crate::graphql::language::message(
                    err.code(),
                    &err.message(),
                    &err.numbers(),
                    None,
                ),
                None,
                &err.numbers(),
                false,
            )),
            retry_after: None,
            etag: None,
            method_not_allowed: false,
        }
    }

    fn error(status: StatusCode, code: ErrorCode, message: &str) -> Self {
        crate::metrics::graphql_error(code.as_str());
        Self {
            status,
            body: Bytes::from(error_document(
                code,
                &crate::graphql::language::message(code, message, &[], None),
                None,
                false,
            )),
            retry_after: None,
            etag: None,
            method_not_allowed: false,
        }
    }
}

async fn run(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    request: async_graphql::Request,
    method: Method,
) -> Outcome {
    let started = Instant::now();
    let mut name = request.operation_name.clone();
    let language = crate::graphql::language::from_accept_language(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let (outcome, cached) = crate::graphql::language::LANGUAGE
        .scope(
            language,
            run_inner(state, peer, headers, request, method, &mut name),
        )
        .await
        .unwrap_or_else(|refused| (refused, false));
    let operation = crate::metrics::operation_label(name.as_deref());
    crate::metrics::graphql_request(
        &operation,
        outcome.status.as_u16(),
        started.elapsed(),
        cached,
    );
    outcome
}

/// One request, step by step. `Err` is an answer given before the end (a refusal), `Ok`
/// the answer and whether it came from the cache.
async fn run_inner(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    request: async_graphql::Request,
    method: Method,
    operation_name: &mut Option<String>,
) -> Result<(Outcome, bool), Outcome> {
    let ip = super::client_ip::client_ip(peer.ip(), headers, &state.trusted_proxies);
    check_request_rate(state, ip)?;
    let anonymous = !headers.contains_key(header::AUTHORIZATION);
    let mut request = request;
    let register = state.persisted.resolve(&mut request).map_err(|refusal| {
        let status = if accepts(headers, GRAPHQL_RESPONSE) {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        Outcome::error(status, refusal.code(), refusal.message())
    })?;
    // An answer with its cost in `extensions` is never stored or served from the cache.
    let cost_asked = request.extensions.contains_key("cost");
    let cache_key = (anonymous && !cost_asked).then(|| cache_key(&request));
    if let Some(hit) = cache_key
        .as_ref()
        .and_then(|key| cached(state, key, operation_name))
    {
        return Ok((hit, true));
    }
    let document = check_document(state, headers, &request)?;
    if let Some(hash) = register.filter(|_| document.is_some()) {
        state.persisted.register(hash, &request.query);
    }
    let operation = document
        .as_ref()
        .and_then(|d| selected_operation(d, request.operation_name.as_deref()));
    let is_mutation = operation
        .as_ref()
        .is_some_and(|op| op.0 == OperationType::Mutation);
    if operation_name.is_none() {
        *operation_name = operation.as_ref().and_then(|op| op.2.clone());
    }
    if method == Method::Get && is_mutation {
        let mut outcome = Outcome::error(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
            "mutations must be sent with POST",
        );
        outcome.method_not_allowed = true;
        return Err(outcome);
    }
    // Only anonymous queries made of catalogue fields are stored.
    let cacheable = operation
        .as_ref()
        .is_some_and(|op| op.0 == OperationType::Query && op.1);
    let cache_key = cache_key.filter(|_| cacheable);
    // An answer is cached under the generation its snapshot was built for: while a
    // rebuild is under way after the version moved, answers from the old snapshot are
    // not stored under the new generation.
    let generation = match state.snapshots.generation() {
        Some(built) => state.cache.generation().min(built),
        None => state.cache.generation(),
    };
    let caller = if anonymous {
        Caller::Anonymous
    } else {
        caller(state, headers).await
    };
    let variables = request.variables.clone();
    let selected = request.operation_name.clone();
    // The document was parsed once for the limits: execution takes that parse instead of
    // parsing the text again (a clone of the tree costs a fraction of a parse).
    let mut request = request;
    if let Some(document) = &document {
        request.set_parsed_query(document.clone());
    }
    let request = prepare_request(request, &state.db)
        .data(ClientIp(ip))
        .data(caller);
    let mut response = execute(state, request).await?;
    if let Some(document) = &document {
        state
            .shapes
            .complete(document, selected.as_deref(), &variables, &mut response);
    }
    // Only staff mutations can change the catalogue (a resident's tip cannot), so only
    // they cost the version check that makes this replica's own writes visible at once.
    // The snapshot is rebuilt before the mutation answers, so this replica's next read
    // sees the edit.
    if is_mutation && !anonymous {
        if let Err(err) = state.catalog.sync(&state.db).await {
            tracing::warn!(error = %err, "could not check the catalogue version");
        }
        state.snapshots.refresh(&state.db).await;
    }
    for code in response.errors.iter().filter_map(code_of) {
        crate::metrics::graphql_error(code.as_str());
    }
    response
        .errors
        .iter_mut()
        .for_each(crate::graphql::language::localize);
    let (status, retry_after) = status_of(headers, &response);
    let without_data = accepts(headers, GRAPHQL_RESPONSE) && is_request_error(&response);
    let body = serialise(&response, without_data, state.limits.max_response_bytes)?;
    let etag = match cache_key {
        Some(key) if response.errors.is_empty() => Some(
            state
                .cache
                .put(key, body.clone(), operation_name.clone(), generation)
                .etag
                .clone(),
        ),
        _ => None,
    };
    Ok((
        Outcome {
            status,
            body,
            retry_after,
            etag,
            method_not_allowed: false,
        },
        false,
    ))
}

/// Step 1: the per-client request limit, before anything else is read.
fn check_request_rate(state: &AppState, ip: std::net::IpAddr) -> Result<(), Outcome> {
    let Some(limiter) = &state.request_limiter else {
        return Ok(());
    };
    limiter.check(ip).map_err(|refused| {
        let mut outcome = Outcome::error(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            "too many requests; slow down",
        );
        outcome.retry_after = Some(retry_after_secs(refused.retry_after));
        outcome
    })
}

/// The response cache's key of an anonymous request.
fn cache_key(request: &async_graphql::Request) -> [u8; 32] {
    let variables = serde_json::to_string(&request.variables).unwrap_or_default();
    ResponseCache::key(
        &request.query,
        &variables,
        request.operation_name.as_deref(),
        &crate::domain::period::today().to_string(),
    )
}

/// Step 2, the fast path: an anonymous request whose exact text was answered from the
/// catalogue before. Only documents that passed every later check were ever stored, so
/// the stored answer stands for them without parsing the document again.
fn cached(
    state: &AppState,
    key: &[u8; 32],
    operation_name: &mut Option<String>,
) -> Option<Outcome> {
    let hit = state.cache.get(key)?;
    if operation_name.is_none() {
        operation_name.clone_from(&hit.operation);
    }
    Some(Outcome {
        status: StatusCode::OK,
        body: hit.body.clone(),
        retry_after: None,
        etag: Some(hit.etag.clone()),
        method_not_allowed: false,
    })
}

/// Step 3: the abuse limits and the control-character check on the document and its
/// variables; the parsed document when it parses.
fn check_document(
    state: &AppState,
    headers: &HeaderMap,
    request: &async_graphql::Request,
) -> Result<Option<ExecutableDocument>, Outcome> {
    let document = limits::inspect(&request.query, &state.limits).map_err(|err| {
        // A fragment cycle is a validation error like any other: 200 for plain JSON
        // clients, 400 with the GraphQL response media type. Limits are always 400.
        let status =
            if err == limits::LimitError::FragmentCycle && !accepts(headers, GRAPHQL_RESPONSE) {
                StatusCode::OK
            } else {
                StatusCode::BAD_REQUEST
            };
        Outcome::limit(status, &err)
    })?;
    // No string with a control character (NUL above all) reaches a resolver or the
    // database, whichever argument, input field or variable carries it.
    if let Some(field) = document
        .as_ref()
        .and_then(|d| limits::forbidden_control(d, &request.variables))
    {
        let status = if accepts(headers, GRAPHQL_RESPONSE) {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        crate::metrics::graphql_error(ErrorCode::BadUserInput.as_str());
        let body = error_document(
            ErrorCode::BadUserInput,
            &crate::graphql::language::message(
                ErrorCode::BadUserInput,
                "a value contains a control character; only tab and line breaks are allowed",
                &[],
                Some(&field),
            ),
            Some(&field),
            !accepts(headers, GRAPHQL_RESPONSE),
        );
        return Err(Outcome {
            status,
            body: Bytes::from(body),
            retry_after: None,
            etag: None,
            method_not_allowed: false,
        });
    }
    Ok(document)
}

/// Step 4: execute within the request's time and size budget.
async fn execute(
    state: &AppState,
    request: async_graphql::Request,
) -> Result<async_graphql::Response, Outcome> {
    let request = request.data(ResponseBudget(
        state.limits.max_response_bytes,
        Instant::now() + state.graphql_timeout,
    ));
    let executed = tokio::time::timeout(state.graphql_timeout, state.schema.execute(request))
        .await
        .ok()
        // Stopped by the deadline check inside execution (see `ResponseBudget`).
        .filter(|response| {
            !response
                .errors
                .iter()
                .any(|e| code_of(e) == Some(ErrorCode::Timeout))
        });
    match executed {
        Some(response) => Ok(add_error_codes(response)),
        None => {
            tracing::warn!(
                timeout_ms = state.graphql_timeout.as_millis() as u64,
                "a GraphQL request timed out"
            );
            Err(Outcome::error(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Timeout,
                &format!(
                    "the request took longer than {} ms",
                    state.graphql_timeout.as_millis()
                ),
            ))
        }
    }
}

/// Step 5: the HTTP status of an executed request, and its `Retry-After`. Over a rate
/// limit: 429 with Retry-After. Refused by a limit, or (with the newer media type)
/// failed before execution: 400. Read from the errors' typed values, not their text.
fn status_of(headers: &HeaderMap, response: &async_graphql::Response) -> (StatusCode, Option<u64>) {
    let retry_after = response.errors.iter().find_map(retry_after_of);
    let no_data = response.data == async_graphql::Value::Null;
    let refused_by_limit = no_data
        && response
            .errors
            .iter()
            .any(|e| code_of(e).is_some_and(ErrorCode::is_limit));
    let status = if retry_after.is_some() {
        StatusCode::TOO_MANY_REQUESTS
    } else if refused_by_limit
        || (accepts(headers, GRAPHQL_RESPONSE) && no_data && response.is_err())
    {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    (status, retry_after)
}

/// A request error (GraphQL over HTTP): the request failed before execution began, so the
/// answer has no `data` entry at all.
fn is_request_error(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| {
            e.path.is_empty()
                && code_of(e).is_some_and(|code| {
                    code.is_limit() && code != ErrorCode::ResponseTooLarge
                        || matches!(
                            code,
                            ErrorCode::GraphqlParseFailed
                                | ErrorCode::GraphqlValidationFailed
                                | ErrorCode::IntrospectionDisabled
                                | ErrorCode::BadRequest
                                | ErrorCode::BadUserInput
                        )
                })
        })
}

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
fn serialise(
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

fn content_type_for(headers: &HeaderMap) -> &'static str {
    if accepts(headers, GRAPHQL_RESPONSE) {
        GRAPHQL_RESPONSE
    } else {
        "application/json"
    }
}

fn respond(headers: &HeaderMap, outcome: Outcome, method: Method, max_age: u64) -> Response {
    // A cacheable GET the client already holds.
    if method == Method::Get
        && let Some(etag) = &outcome.etag
        && super::if_none_match(headers, etag)
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
    super::set_cache_headers(headers, etag, max_age);
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Authorization"),
    );
}

/// The operation a request selects: its type, whether every root field is a catalogue
/// field (so an anonymous answer may be cached), and its name.
fn selected_operation(
    document: &ExecutableDocument,
    name: Option<&str>,
) -> Option<(OperationType, bool, Option<String>)> {
    let (op, op_name) = match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => (op, None),
        (DocumentOperations::Multiple(ops), Some(name)) => (ops.get(name)?, Some(name.to_owned())),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            let (name, op) = ops.iter().next()?;
            (op, Some(name.to_string()))
        }
        (DocumentOperations::Multiple(_), None) => return None,
    };
    let catalog_only = op
        .node
        .selection_set
        .node
        .items
        .iter()
        .all(|s| match &s.node {
            Selection::Field(f) => CATALOG_FIELDS.contains(&f.node.name.node.as_str()),
            _ => false,
        });
    Some((op.node.ty, catalog_only, op_name))
}

/// Who is calling: a staff principal for a valid `Authorization: Bearer` token.
async fn caller(state: &AppState, headers: &HeaderMap) -> Caller {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Caller::Anonymous;
    };
    let Some(token) = value.to_str().ok().and_then(bearer_token) else {
        return Caller::InvalidToken;
    };
    match crate::service::staff::authenticate(&state.db, token).await {
        Ok(Some(principal)) => Caller::Staff(principal),
        Ok(None) => Caller::InvalidToken,
        Err(err) => {
            tracing::error!(error = %err, "could not check a staff token");
            Caller::InvalidToken
        }
    }
}

/// The token of an `Authorization: Bearer <token>` value. The scheme is case-insensitive
/// (RFC 7235) and may be followed by any run of spaces or tabs; the token is one word.
pub(super) fn bearer_token(value: &str) -> Option<&str> {
    let value = value.trim_matches([' ', '\t']);
    let (scheme, token) = value.split_once([' ', '\t'])?;
    let token = token.trim_start_matches([' ', '\t']);
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains([' ', '\t']))
        .then_some(token)
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

    #[test]
    fn bearer_scheme_is_case_insensitive_and_spaces_are_tolerated() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("BEARER abc"), Some("abc"));
        assert_eq!(bearer_token("bEaReR   abc  "), Some("abc"));
        assert_eq!(bearer_token("Bearer\tabc"), Some("abc"));
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(bearer_token("Bearer   "), None);
        assert_eq!(bearer_token("Bearer a b"), None);
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearerabc"), None);
    }

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
