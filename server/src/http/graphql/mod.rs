//! GraphQL over HTTP: `POST /graphql` with a JSON body (one request, or a batch as a JSON
//! array), `GET /graphql?query=…` for queries (never mutations), GraphiQL for browsers, and
//! the `application/graphql-response+json` media type when the client asks for it.
//!
//! Every document passes the abuse limits (`graphql::limits`) before anything touches the
//! database. Anonymous catalogue queries are answered from the response cache when they
//! can be; GET responses then carry `ETag` and `Cache-Control`.
//!
//! This module holds the request path in named steps; `body` reads request bodies (strict
//! JSON, multipart, GET parameters) and `respond` turns an outcome into the HTTP answer.

mod body;
mod respond;

use body::{json_body, multipart_body, parse_query_string, too_large, uploads_busy};
use respond::{content_type_for, respond, serialise};

use std::{net::SocketAddr, time::Instant};

use async_graphql::parser::{
    Positioned,
    types::{DocumentOperations, ExecutableDocument, OperationType, Selection},
};
use axum::{
    body::Bytes,
    extract::{ConnectInfo, RawQuery, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::graphql::errors::{ErrorCode, code_of, error_document, retry_after_of};
use crate::http::{AppState, json_error};
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
            let client = super::client_ip::client_ip(peer.ip(), &headers, &state.trusted_proxies);
            match state.uploads.admit(client) {
                Some(slot) => _upload = Some(slot),
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
        .is_some_and(|op| op.ty == OperationType::Mutation);
    if operation_name.is_none() {
        *operation_name = operation.as_ref().and_then(|op| op.name.clone());
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
        .is_some_and(|op| op.ty == OperationType::Query && op.catalog_only);
    let cache_key = cache_key.filter(|_| cacheable);
    // The same reads, minus introspection, answer from the schema without extensions
    // first (see `graphql::build_read_schema`).
    let read_first = cache_key.is_some()
        && request.uploads.is_empty()
        && operation.as_ref().is_some_and(|op| !op.introspection);
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
    let read = match (&document, read_first) {
        (Some(document), true) => execute_read(state, &request, document, ip).await?,
        _ => None,
    };
    let mut response = match read {
        Some(response) => response,
        None => {
            // The document was parsed once for the limits: execution takes that parse
            // instead of parsing the text again (a clone of the tree costs a fraction of
            // a parse).
            let mut request = request;
            if let Some(document) = &document {
                request.set_parsed_query(document.clone());
            }
            let request = prepare_request(request, &state.db)
                .data(ClientIp(ip))
                .data(caller);
            execute(state, request).await?
        }
    };
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

/// Step 4a, for anonymous catalogue reads: execute on the schema without extensions.
/// `None` when that answer has any error (a limit, a validation error, a field error):
/// the request then runs on the guarded schema, whose errors are the ones clients get.
/// A read has no side effects, so running it twice changes nothing but the time, and
/// only requests that fail pay it.
async fn execute_read(
    state: &AppState,
    request: &async_graphql::Request,
    document: &ExecutableDocument,
    ip: std::net::IpAddr,
) -> Result<Option<async_graphql::Response>, Outcome> {
    let mut read =
        async_graphql::Request::new(request.query.clone()).variables(request.variables.clone());
    read.operation_name.clone_from(&request.operation_name);
    read.set_parsed_query(document.clone());
    let read = prepare_request(read, &state.db)
        .data(ClientIp(ip))
        .data(Caller::Anonymous);
    match tokio::time::timeout(state.graphql_timeout, state.read_schema.execute(read)).await {
        Ok(response) if response.errors.is_empty() => {
            crate::metrics::read_schema("answered");
            Ok(Some(response))
        }
        Ok(_) => {
            crate::metrics::read_schema("fell_back");
            Ok(None)
        }
        Err(_) => Err(timed_out(state)),
    }
}

/// The answer to a request that ran past `GRAPHQL_TIMEOUT_MS`.
fn timed_out(state: &AppState) -> Outcome {
    tracing::warn!(
        timeout_ms = state.graphql_timeout.as_millis() as u64,
        "a GraphQL request timed out"
    );
    Outcome::error(
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Timeout,
        &format!(
            "the request took longer than {} ms",
            state.graphql_timeout.as_millis()
        ),
    )
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
        None => Err(timed_out(state)),
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

/// The name of a root selection that is a field.
fn root_field(selection: &Positioned<Selection>) -> Option<&str> {
    match &selection.node {
        Selection::Field(f) => Some(f.node.name.node.as_str()),
        _ => None,
    }
}

/// What the HTTP layer needs to know of the operation a request selects.
struct Selected {
    ty: OperationType,
    /// Every root field is a catalogue field, so an anonymous answer may be cached.
    catalog_only: bool,
    /// A root field is `__schema` or `__type`.
    introspection: bool,
    name: Option<String>,
}

/// The operation a request selects, if the request selects one.
fn selected_operation(document: &ExecutableDocument, name: Option<&str>) -> Option<Selected> {
    let (op, op_name) = match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => (op, None),
        (DocumentOperations::Multiple(ops), Some(name)) => (ops.get(name)?, Some(name.to_owned())),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            let (name, op) = ops.iter().next()?;
            (op, Some(name.to_string()))
        }
        (DocumentOperations::Multiple(_), None) => return None,
    };
    let roots = &op.node.selection_set.node.items;
    Some(Selected {
        ty: op.node.ty,
        catalog_only: roots
            .iter()
            .all(|s| root_field(s).is_some_and(|name| CATALOG_FIELDS.contains(&name))),
        introspection: roots
            .iter()
            .any(|s| matches!(root_field(s), Some("__schema" | "__type"))),
        name: op_name,
    })
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
}
