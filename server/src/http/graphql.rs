//! GraphQL over HTTP: `POST /graphql` with a JSON body, `GET /graphql?query=…` for queries
//! (never mutations), GraphiQL for browsers, and the `application/graphql-response+json`
//! media type when the client asks for it.

use async_graphql::{
    http::GraphiQLSource,
    parser::types::{DocumentOperations, OperationType},
};
use std::net::SocketAddr;

use axum::{
    body::Bytes,
    extract::{ConnectInfo, RawQuery, State, rejection::BytesRejection},
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse, Response},
};

use super::{AppState, json_error};
use crate::graphql::{add_error_codes, mutation::ClientIp, prepare_request, staff::Caller};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

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

pub async fn get(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    if query.is_empty() {
        if state.graphiql && accepts(&headers, "text/html") {
            return Html(GraphiQLSource::build().endpoint("/graphql").finish()).into_response();
        }
        return json_error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "missing `query` parameter",
        );
    }
    let request = match async_graphql::http::parse_query_string(&query) {
        Ok(request) => request,
        Err(err) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &format!("invalid query string: {err}"),
            );
        }
    };
    if is_mutation(&request) {
        let mut response = json_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "mutations must be sent with POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return response;
    }
    execute(&state, peer, &headers, request).await
}

pub async fn post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        return json_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "send the request as application/json",
        );
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return json_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                &format!(
                    "request body is larger than {} bytes",
                    super::MAX_BODY_BYTES
                ),
            );
        }
        Err(_) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "could not read the request body",
            );
        }
    };
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &format!(
                    "the body is not a valid GraphQL request: {}",
                    err.classify_message()
                ),
            );
        }
    };
    execute(&state, peer, &headers, request).await
}

trait Classify {
    fn classify_message(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    /// A short reason without echoing the client's input back.
    fn classify_message(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "read error",
            serde_json::error::Category::Syntax => "malformed JSON",
            serde_json::error::Category::Data => "expected an object with a string `query`",
            serde_json::error::Category::Eof => "the JSON ends too early",
        }
    }
}

async fn execute(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    request: async_graphql::Request,
) -> Response {
    let ip = super::client_ip::client_ip(peer.ip(), headers, &state.trusted_proxies);
    let caller = caller(state, headers).await;
    let request = prepare_request(request, &state.db)
        .data(ClientIp(ip))
        .data(caller);
    let response = add_error_codes(state.schema.execute(request).await);
    let retry_after = response.errors.iter().find_map(|e| {
        let ext = e.extensions.as_ref()?;
        if ext.get("code")? != &async_graphql::Value::from("RATE_LIMITED") {
            return None;
        }
        match ext.get("retryAfterSeconds")? {
            async_graphql::Value::Number(n) => n.as_u64(),
            _ => None,
        }
    });
    let graphql_response = accepts(headers, GRAPHQL_RESPONSE);
    // With the newer media type, a request that failed before execution is a 400.
    // Over a rate limit: 429 with Retry-After. With the newer media type, a request that
    // failed before execution is a 400.
    let status = if retry_after.is_some() {
        StatusCode::TOO_MANY_REQUESTS
    } else if graphql_response && response.data == async_graphql::Value::Null && response.is_err() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let content_type = if graphql_response {
        GRAPHQL_RESPONSE
    } else {
        "application/json"
    };
    match serde_json::to_vec(&response) {
        Ok(body) => {
            let mut response =
                (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
            if let Some(secs) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
            }
            response
        }
        Err(err) => {
            tracing::error!(error = %err, "could not serialise a GraphQL response");
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "internal server error",
            )
        }
    }
}

/// True when the operation a request selects is a mutation (not allowed over GET).
fn is_mutation(request: &async_graphql::Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    match &document.operations {
        DocumentOperations::Single(op) => op.node.ty == OperationType::Mutation,
        DocumentOperations::Multiple(ops) => match &request.operation_name {
            Some(name) => ops
                .get(name.as_str())
                .is_some_and(|op| op.node.ty == OperationType::Mutation),
            None => ops.values().any(|op| op.node.ty == OperationType::Mutation),
        },
    }
}

/// Who is calling: a staff principal for a valid `Authorization: Bearer` token.
async fn caller(state: &AppState, headers: &HeaderMap) -> Caller {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Caller::Anonymous;
    };
    let Some(token) = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
    else {
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
