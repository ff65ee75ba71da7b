//! Hostile input over real HTTP: malformed and oversized bodies, documents built to
//! exhaust the server, abusive batches, injection attempts in arguments and in tips, and
//! Unicode edge cases. Every refusal must carry its exact code and status, must not leak
//! internals, and must leave the server answering ordinary queries.

use std::time::Duration;

use e2e::tips::{generous, quick, reference, shipped_limits, submit};
use e2e::{Sent, TestApp, error_codes, smtp::SmtpSink, spawn_app_with};
use entity::{StaffRole, delivery, tip};
use mail_parser::MessageParser;
use reqwest::{StatusCode, header};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use server::config::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SUBMIT: &str = r#"mutation($input: SubmitTipInput!) {
    submitTip(input: $input) { tip { reference } statusToken } }"#;

const READ_TIP: &str = r#"query($r: String!) { tip(reference: $r) { message name email phone } }"#;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// Shipped limits, and tip limits high enough that a table of tips is not throttled.
fn generous_tips(config: &mut Config) {
    shipped_limits(config);
    generous(config);
}

/// Shipped document limits, generous tip limits, fast delivery to `smtp`.
fn with_smtp(config: &mut Config, smtp: &SmtpSink) {
    quick(config, Some(smtp));
    shipped_limits(config);
}

/// One HTTP answer, kept raw so the leak check sees exactly what the client saw.
struct Reply {
    status: StatusCode,
    headers: header::HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {}", self.text))
    }
}

async fn send(request: reqwest::RequestBuilder) -> Reply {
    let response = request.sent().await;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("body read");
    Reply {
        status,
        headers,
        text: String::from_utf8(bytes.to_vec()).expect("the answer is UTF-8"),
    }
}

async fn post_bytes(app: &TestApp, content_type: Option<&str>, body: Vec<u8>) -> Reply {
    let mut request = app.post("/graphql").body(body);
    if let Some(content_type) = content_type {
        // From bytes, so a hostile (non-ASCII) value can be sent as it is.
        let value = header::HeaderValue::from_bytes(content_type.as_bytes())
            .expect("a header value HTTP allows");
        request = request.header(header::CONTENT_TYPE, value);
    }
    send(request).await
}

async fn post_json(app: &TestApp, body: &Value) -> Reply {
    post_bytes(
        app,
        Some("application/json"),
        serde_json::to_vec(body).expect("serialised"),
    )
    .await
}

async fn post_query(app: &TestApp, query: &str) -> Reply {
    post_json(app, &json!({ "query": query })).await
}

/// Words that betray the implementation: driver or ORM names, panics and stack traces,
/// source or system paths, database error texts.
const LEAKS: &[&str] = &[
    "sqlx",
    "sea_orm",
    "sea-orm",
    "seaorm",
    "panicked",
    "panic",
    "stack",
    "backtrace",
    "thread '",
    "src/",
    "src\\",
    ".rs:",
    "/home/",
    "/work/",
    "/tmp/",
    "/usr/",
    ".cargo",
    "sqlite",
    "postgres",
    "database error",
    "no such table",
    "syntax error at or near",
];

fn leak(text: &str) -> Option<&'static str> {
    let lower = text.to_lowercase();
    LEAKS.iter().copied().find(|needle| lower.contains(needle))
}

fn assert_no_leak(case: &str, text: &str) {
    if let Some(needle) = leak(text) {
        panic!("{case}: the answer leaks {needle:?}: {text}");
    }
}

/// The server still answers an ordinary query and its readiness check.
async fn assert_alive(app: &TestApp, case: &str) {
    let body = app
        .graphql("{ municipalities { totalCount } }", json!({}))
        .await;
    assert_eq!(
        body["data"]["municipalities"]["totalCount"], 6,
        "{case}: the server no longer answers: {body}"
    );
    let ready = app.get("/readyz").sent().await;
    assert_eq!(
        ready.status(),
        StatusCode::OK,
        "{case}: not ready afterwards"
    );
}

/// What is wrong with a refusal, if anything: the exact status, every error with the
/// expected code, no data, no leak. Tables collect these so one run reports every case.
fn refusal_problem(case: &str, reply: &Reply, status: StatusCode, code: &str) -> Option<String> {
    let Ok(body) = serde_json::from_str::<Value>(&reply.text) else {
        return Some(format!("{case}: the body is not JSON: {}", reply.text));
    };
    let codes = error_codes(&body);
    let mut wrong = Vec::new();
    if reply.status != status {
        wrong.push(format!("status {} instead of {status}", reply.status));
    }
    if codes.is_empty() || codes.iter().any(|c| c != code) {
        wrong.push(format!("codes {codes:?} instead of [{code:?}]"));
    }
    if !body.get("data").is_none_or(Value::is_null) {
        wrong.push("it has data".to_owned());
    }
    if let Some(leak) = leak(&reply.text) {
        wrong.push(format!("it leaks {leak:?}"));
    }
    (!wrong.is_empty()).then(|| {
        let mut text = reply.text.clone();
        if text.len() > 400 {
            let cut = (0..=400)
                .rev()
                .find(|&i| text.is_char_boundary(i))
                .unwrap_or(0);
            text.truncate(cut);
            text.push('…');
        }
        format!("{case}: {}: {text}", wrong.join("; "))
    })
}

/// Check one refusal and that the server still answers; collect what is wrong.
async fn check_refused(
    app: &TestApp,
    problems: &mut Vec<String>,
    case: &str,
    reply: &Reply,
    status: StatusCode,
    code: &str,
) {
    problems.extend(refusal_problem(case, reply, status, code));
    assert_alive(app, case).await;
}

fn assert_no_problems(problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} case(s) failed:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The one error code of a response that must hold exactly one error.
fn single_code(body: &Value) -> String {
    let codes = error_codes(body);
    assert_eq!(codes.len(), 1, "one error expected: {body}");
    codes[0].clone()
}

/// A raw body: what it is, its content type, the bytes, and the expected status and code.
type BodyCase = (
    &'static str,
    Option<&'static str>,
    Vec<u8>,
    StatusCode,
    &'static str,
);

#[tokio::test]
async fn malformed_bodies_and_media_types_are_refused_cleanly() {
    let app = spawn_app_with(shipped_limits).await;
    let ok = br#"{"query":"{ __typename }"}"#.to_vec();
    let json = Some("application/json");
    let nested_arrays = "[".repeat(20_000).into_bytes();
    let mut nested_variables =
        br#"{"query":"query($v: String) { __typename }","variables":{"v":"#.to_vec();
    nested_variables.extend("[".repeat(5_000).bytes());
    let max = Config::default().http_max_body_bytes;
    let just_over = {
        let padding = max + 1 - br#"{"query":"{ __typename }","x":""}"#.len();
        format!(
            r#"{{"query":"{{ __typename }}","x":"{}"}}"#,
            "a".repeat(padding)
        )
        .into_bytes()
    };
    assert_eq!(just_over.len(), max + 1);
    let utf16: Vec<u8> = std::iter::once(0xFEFF_u16)
        .chain(r#"{"query":"{ __typename }"}"#.encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect();
    let cases: Vec<BodyCase> = vec![
        // Media types.
        (
            "no content type",
            None,
            ok.clone(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "text/plain",
            Some("text/plain"),
            ok.clone(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "form",
            Some("application/x-www-form-urlencoded"),
            b"query=%7B__typename%7D".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            // Multipart carries photos for `submitTip`, but only with a header that
            // forces a browser's preflight (tests/photos.rs); a form-like post without
            // it is refused before its body is read.
            "multipart without a preflight header",
            Some("multipart/form-data; boundary=x"),
            b"--x\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{}\r\n--x--\r\n"
                .to_vec(),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "application/graphql",
            Some("application/graphql"),
            b"{ __typename }".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "json look-alike",
            Some("application/jsonx"),
            ok.clone(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "json suffix type",
            Some("application/merge-patch+json"),
            ok.clone(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "non-ASCII content type",
            Some("application/json\u{a0}"),
            ok.clone(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        // Not JSON, or not a GraphQL request.
        (
            "empty body",
            json,
            Vec::new(),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "truncated JSON",
            json,
            br#"{"query": "#.to_vec(),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "trailing garbage",
            json,
            br#"{"query":"{ __typename }"} {"query":"{ __typename }"}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "null",
            json,
            b"null".to_vec(),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "a number",
            json,
            b"42".to_vec(),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "a string",
            json,
            br#""{ __typename }""#.to_vec(),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "an object without a query",
            json,
            br#"{"variables":{}}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "an array holding a query string",
            json,
            br#"["{ __typename }"]"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "query is a number",
            json,
            br#"{"query": 42}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "query is an object",
            json,
            br#"{"query": {"$ne": ""}}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "variables are an array",
            json,
            br#"{"query":"{ __typename }","variables":[1,2]}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "deeply nested arrays",
            json,
            nested_arrays,
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "deeply nested variables",
            json,
            nested_variables,
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "single quotes",
            json,
            b"{'query': '{ __typename }'}".to_vec(),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "raw control character",
            json,
            b"{\"query\":\"{ __typename \x00}\"}".to_vec(),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        // Not UTF-8.
        (
            "invalid UTF-8 in a string",
            json,
            b"{\"query\":\"{ municipality(slug: \\\"\xff\xfe\\\") { name } }\"}".to_vec(),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "overlong UTF-8",
            json,
            b"{\"query\":\"{ __typename \xc0\xaf}\"}".to_vec(),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "UTF-8 encoded surrogate",
            json,
            b"{\"query\":\"{ __typename \xed\xa0\x80}\"}".to_vec(),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "truncated UTF-8 sequence",
            json,
            b"{\"query\":\"{ __typename }\xe2\x82\"}".to_vec(),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "lone surrogate escape",
            json,
            br#"{"query":"{ __typename \ud800 }"}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "UTF-16 with a byte order mark",
            json,
            utf16,
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "latin-1 declared",
            Some("application/json; charset=iso-8859-1"),
            b"{\"query\":\"{ municipality(slug: \\\"\xe5\\\") { name } }\"}".to_vec(),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        // Too large.
        (
            "one byte over the limit",
            json,
            just_over,
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
        ),
        (
            "two megabytes",
            json,
            vec![b' '; 2 * 1024 * 1024],
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
        ),
    ];
    let mut problems = Vec::new();
    for (case, content_type, body, status, code) in cases {
        let reply = post_bytes(&app, content_type, body).await;
        check_refused(&app, &mut problems, case, &reply, status, code).await;
    }
    assert_no_problems(&problems);

    // The same request, well-formed, is answered; parameters of the media type are fine.
    for content_type in ["application/json", "Application/JSON; charset=utf-8"] {
        let reply = post_bytes(&app, Some(content_type), ok.clone()).await;
        assert_eq!(reply.status, StatusCode::OK, "{content_type}");
        assert_eq!(reply.json(), json!({ "data": { "__typename": "Query" } }));
    }
    // A body of exactly the limit is read (and then judged on its content).
    let at_limit = {
        let padding = max - br#"{"query":"{ __typename }","x":""}"#.len();
        format!(
            r#"{{"query":"{{ __typename }}","x":"{}"}}"#,
            "a".repeat(padding)
        )
        .into_bytes()
    };
    assert_eq!(at_limit.len(), max);
    let reply = post_bytes(&app, json, at_limit).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json()["data"]["__typename"], "Query");
}

/// A body without `Content-Length` (chunked) is cut off at the limit too.
#[tokio::test]
async fn an_oversized_chunked_body_is_refused() {
    let app = spawn_app_with(shipped_limits).await;
    let max = Config::default().http_max_body_bytes;
    let mut stream = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        app.addr
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    let chunk = format!("400\r\n{}\r\n", " ".repeat(0x400));
    // Write a little more than the limit; the server may answer and close before the end.
    for _ in 0..=(max / 0x400) + 1 {
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(e2e::PATIENCE, stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(
        answer.starts_with("HTTP/1.1 413"),
        "expected 413, got: {answer}"
    );
    assert!(answer.contains("PAYLOAD_TOO_LARGE"), "{answer}");
    assert_no_leak("chunked", &answer);
    assert_alive(&app, "chunked").await;
}

#[tokio::test]
async fn hostile_get_requests_are_refused_cleanly() {
    let app = spawn_app_with(|c| {
        shipped_limits(c);
        c.http_max_body_bytes = 4096;
    })
    .await;
    let get =
        |raw_query: String| send(app.http.get(format!("{}?{raw_query}", app.url("/graphql"))));
    let long = format!("query=%7B{}%7D", "__typename%20".repeat(500));
    let cases: Vec<(&str, String, StatusCode, &str)> = vec![
        (
            "mutation over GET",
            "query=mutation%7BsubmitTip%7D".into(),
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
        ),
        (
            "variables not JSON",
            "query=%7B__typename%7D&variables=%7Bnope".into(),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "no query",
            "variables=%7B%7D".into(),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "query string over the body limit",
            long,
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
        ),
    ];
    let mut problems = Vec::new();
    for (case, query, status, code) in cases {
        let reply = get(query).await;
        check_refused(&app, &mut problems, case, &reply, status, code).await;
    }
    // Percent-encoded bytes that are not UTF-8 are decoded lossily (U+FFFD) and find
    // nothing.
    let reply =
        get("query=%7B%20municipality(slug:%20%22%FF%FE%22)%20%7B%20name%20%7D%20%7D".into()).await;
    // A field error, not a refusal: `municipality` is null in `data` (GraphQL spec,
    // "Handling Field Errors").
    let body = reply.json();
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(error_codes(&body), ["NOT_FOUND"], "{}", reply.text);
    assert_eq!(
        body["data"],
        json!({ "municipality": null }),
        "{}",
        reply.text
    );
    assert!(leak(&reply.text).is_none(), "{}", reply.text);
    assert_alive(&app, "invalid UTF-8 over GET").await;
    assert_no_problems(&problems);
}

/// Ten levels of selections: municipality → promise → municipality … ending in
/// `totalCount` (depth 10) or `nodes { title }` (depth 11).
fn nested(depth: usize) -> String {
    let leaf = match depth {
        10 => "totalCount",
        11 => "nodes { title }",
        _ => unreachable!("only the boundary is needed"),
    };
    format!(
        "{{ municipalities(first: 1) {{ nodes {{ promises(first: 1) {{ nodes {{ municipalities {{ \
         promises(first: 1) {{ nodes {{ municipalities {{ promises(first: 1) {{ {leaf} }} }} }} }} }} }} }} }} }} }}"
    )
}

fn fragment_bomb(levels: usize, fan_out: usize) -> String {
    let mut doc = String::from("query Bomb { ...F0 }\n");
    for i in 0..levels {
        let spreads = format!(" ...F{}", i + 1).repeat(fan_out);
        doc.push_str(&format!("fragment F{i} on Query {{{spreads} }}\n"));
    }
    doc.push_str(&format!("fragment F{levels} on Query {{ __typename }}\n"));
    doc
}

#[tokio::test]
async fn documents_over_the_limits_are_refused_before_they_run() {
    let app = spawn_app_with(shipped_limits).await;
    let limits = Config::default();
    let aliases = |n: usize| {
        let fields: String = (0..n).map(|i| format!(" a{i}: __typename")).collect();
        format!("{{{fields} }}")
    };
    let directives = |n: usize| {
        let fields: String = (0..n)
            .map(|i| format!(" a{i}: __typename @include(if: true)"))
            .collect();
        format!("{{{fields} }}")
    };
    let tokens = |n: usize| format!("{{{} }}", " __typename".repeat(n - 2));
    let deep_fragments = "{ ...A } fragment A on Query { municipalities(first: 1) { nodes { ...B } } } \
        fragment B on Municipality { promises(first: 1) { nodes { ...C } } } \
        fragment C on Promise { municipalities { ...D } } \
        fragment D on Municipality { promises(first: 1) { nodes { municipalities { \
        promises(first: 1) { nodes { title } } } } } }";
    let expensive_lists = "{ municipalities(first: 100) { nodes { promises(first: 100) { nodes { \
        title summary focusAreas { title } commitments { text } contacts { name } } } } } }";
    let deep_introspection = format!(
        "{{ __type(name: \"Query\") {{ fields {{ type{} {{ name }}{} }} }} }}",
        " { ofType".repeat(20),
        " }".repeat(20)
    );
    assert_eq!(limits.graphql_max_depth, 10);
    assert_eq!(limits.graphql_max_aliases, 15);
    assert_eq!(limits.graphql_max_directives, 10);
    assert_eq!(limits.graphql_max_tokens, 2000);
    assert_eq!(limits.graphql_max_complexity, 60_000);
    assert_eq!(limits.graphql_max_fields, 10_000);

    let cases: Vec<(&str, String, StatusCode, &str)> = vec![
        (
            "depth 11",
            nested(11),
            StatusCode::BAD_REQUEST,
            "DEPTH_LIMIT_EXCEEDED",
        ),
        (
            "depth through fragments",
            deep_fragments.into(),
            StatusCode::BAD_REQUEST,
            "DEPTH_LIMIT_EXCEEDED",
        ),
        (
            "16 aliases",
            aliases(16),
            StatusCode::BAD_REQUEST,
            "ALIAS_LIMIT_EXCEEDED",
        ),
        (
            "11 directives",
            directives(11),
            StatusCode::BAD_REQUEST,
            "DIRECTIVE_LIMIT_EXCEEDED",
        ),
        (
            "2001 tokens",
            tokens(2001),
            StatusCode::BAD_REQUEST,
            "TOKEN_LIMIT_EXCEEDED",
        ),
        (
            "60 000 braces",
            "{".repeat(60_000),
            StatusCode::BAD_REQUEST,
            "TOKEN_LIMIT_EXCEEDED",
        ),
        (
            "doubling fragment bomb",
            fragment_bomb(14, 2),
            StatusCode::BAD_REQUEST,
            "COMPLEXITY_LIMIT_EXCEEDED",
        ),
        (
            "wide fragment bomb",
            fragment_bomb(6, 10),
            StatusCode::BAD_REQUEST,
            "COMPLEXITY_LIMIT_EXCEEDED",
        ),
        // Checked by async-graphql's validation, after the HTTP layer's walk; the README
        // promises HTTP 400 for every limit all the same.
        (
            "lists cost first times their items",
            expensive_lists.into(),
            StatusCode::BAD_REQUEST,
            "COMPLEXITY_LIMIT_EXCEEDED",
        ),
        (
            "introspection deeper than the schema's own limit",
            deep_introspection,
            StatusCode::BAD_REQUEST,
            "DEPTH_LIMIT_EXCEEDED",
        ),
    ];
    let mut problems = Vec::new();
    for (case, query, status, code) in cases {
        let reply = post_query(&app, &query).await;
        check_refused(&app, &mut problems, case, &reply, status, code).await;
    }
    // With the newer media type, errors that stop a request before execution are a 400.
    let reply = send(
        app.post("/graphql")
            .header(header::ACCEPT, GRAPHQL_RESPONSE)
            .json(&json!({ "query": expensive_lists })),
    )
    .await;
    check_refused(
        &app,
        &mut problems,
        "complexity, new media type",
        &reply,
        StatusCode::BAD_REQUEST,
        "COMPLEXITY_LIMIT_EXCEEDED",
    )
    .await;
    assert_no_problems(&problems);

    // Right at each limit, the document runs.
    for (case, query) in [
        ("depth 10", nested(10)),
        ("15 aliases", aliases(15)),
        ("10 directives", directives(10)),
        ("2000 tokens", tokens(2000)),
        ("doubling fragments under the limit", fragment_bomb(12, 2)),
    ] {
        let reply = post_query(&app, &query).await;
        assert_eq!(reply.status, StatusCode::OK, "{case}: {}", reply.text);
        let body = reply.json();
        assert!(body.get("errors").is_none(), "{case}: {body}");
        assert!(body["data"].is_object(), "{case}: {body}");
    }
}

/// Deep nesting of the document itself: the parser must refuse, not overflow its stack
/// (which would abort the whole process, not just this request).
#[tokio::test]
async fn deeply_nested_documents_do_not_crash_the_parser() {
    let app = spawn_app_with(shipped_limits).await;
    let cases: Vec<(&str, String)> = vec![
        (
            "nested selections",
            format!("{}{}", "{ a ".repeat(650), "}".repeat(650)),
        ),
        (
            "nested list literal",
            format!(
                "{{ nodes(ids: {}\"x\"{}) {{ id }} }}",
                "[".repeat(990),
                "]".repeat(990)
            ),
        ),
        (
            "nested object literal",
            format!(
                "{{ promises(filter: {}{}) {{ totalCount }} }}",
                "{ a: ".repeat(450),
                "}".repeat(450)
            ),
        ),
        (
            "nested inline fragments",
            format!(
                "{{ {} __typename {} }}",
                "... on Query { ".repeat(380),
                "}".repeat(380)
            ),
        ),
    ];
    // Within the token limit but too deep for the parser: it gives up with a parse error
    // (the HTTP layer's own walk never sees a document).
    let mut problems = Vec::new();
    for (case, query) in cases {
        let reply = post_query(&app, &query).await;
        let code = "GRAPHQL_PARSE_FAILED";
        check_refused(&app, &mut problems, case, &reply, StatusCode::OK, code).await;
    }
    assert_no_problems(&problems);
}

#[tokio::test]
async fn cyclic_and_broken_fragments_fail_validation() {
    let app = spawn_app_with(shipped_limits).await;
    let cases = [
        (
            "self cycle",
            "{ ...A } fragment A on Query { __typename ...A }",
        ),
        (
            "two-cycle",
            "{ ...A } fragment A on Query { ...B } fragment B on Query { __typename ...A }",
        ),
        (
            "cycle through a field",
            "{ ...A } fragment A on Query { municipalities { nodes { ...B } } } \
             fragment B on Municipality { promises { nodes { municipalities { ...B } } } }",
        ),
        (
            "cycle through inline fragments",
            "{ ...A } fragment A on Query { ... on Query { ... on Query { ...A } } }",
        ),
        (
            "unused cycle",
            "{ __typename } fragment A on Query { ...B } fragment B on Query { ...A }",
        ),
        ("unknown fragment", "{ ...Missing }"),
        (
            "fragment on a wrong type",
            "{ ...A } fragment A on Promise { title }",
        ),
        ("unknown field", "{ municipalities { nodes { password } } }"),
        (
            "unknown argument",
            "{ municipalities(where: \"1=1\") { totalCount } }",
        ),
    ];
    // README: "Cyclic fragments are `GRAPHQL_VALIDATION_FAILED`."
    let mut problems = Vec::new();
    for (case, query) in cases {
        let reply = post_query(&app, query).await;
        let code = "GRAPHQL_VALIDATION_FAILED";
        check_refused(&app, &mut problems, case, &reply, StatusCode::OK, code).await;
    }
    for (case, query) in [
        ("unbalanced braces", "{ municipalities { totalCount }"),
        ("a stray token", "{ __typename } }"),
        ("not GraphQL at all", "SELECT * FROM tip; --"),
        ("an empty document", ""),
        ("an escaped NUL", "{ __typename \u{0} }"),
        (
            "duplicate operation names",
            "query Q { __typename } query Q { __typename }",
        ),
    ] {
        let reply = post_query(&app, query).await;
        let code = "GRAPHQL_PARSE_FAILED";
        check_refused(&app, &mut problems, case, &reply, StatusCode::OK, code).await;
    }
    // Several operations and none chosen, or a name that does not exist.
    for (case, body) in [
        (
            "no operation chosen",
            json!({ "query": "query A { __typename } query B { __typename }" }),
        ),
        (
            "unknown operation",
            json!({ "query": "query A { __typename }", "operationName": "B" }),
        ),
    ] {
        let reply = post_json(&app, &body).await;
        check_refused(
            &app,
            &mut problems,
            case,
            &reply,
            StatusCode::OK,
            "BAD_REQUEST",
        )
        .await;
    }
    assert_no_problems(&problems);
}

/// `BAD_USER_INPUT` naming `first`, nothing else, and no page of data: `data` is null,
/// or (for a nested list) its non-null error bubbled up to the nullable parent.
fn page_size_problem(case: &str, reply: &Reply) -> Option<String> {
    let Ok(body) = serde_json::from_str::<Value>(&reply.text) else {
        return Some(format!("{case}: the body is not JSON: {}", reply.text));
    };
    let mut wrong = Vec::new();
    if reply.status != StatusCode::OK {
        wrong.push(format!("status {}", reply.status));
    }
    if error_codes(&body) != ["BAD_USER_INPUT"] {
        wrong.push(format!(
            "codes {:?} instead of [\"BAD_USER_INPUT\"]",
            error_codes(&body)
        ));
    }
    if body["errors"][0]["extensions"]["field"] != "first" {
        wrong.push("the error does not name `first`".to_owned());
    }
    let data = &body["data"];
    if !(data.is_null() || data.get("municipality").is_some_and(Value::is_null)) {
        wrong.push("a page was answered".to_owned());
    }
    if let Some(leak) = leak(&reply.text) {
        wrong.push(format!("it leaks {leak:?}"));
    }
    (!wrong.is_empty()).then(|| format!("{case}: {}: {body}", wrong.join("; ")))
}

#[tokio::test]
async fn page_sizes_out_of_range_are_bad_user_input() {
    let app = spawn_app_with(shipped_limits).await;
    let top = "query($n: Int) { municipalities(first: $n) { totalCount } }";
    let nested = "query($n: Int) { municipality(slug: \"mellerud\") { promises(first: $n) { totalCount } } }";
    let mut problems = Vec::new();
    // Ints out of the page range, on a root list and a nested one.
    for first in [101_i64, 1000, i64::from(i32::MAX), -1, i64::from(i32::MIN)] {
        for query in [top, nested] {
            let variables = json!({ "n": first });
            let reply = post_json(&app, &json!({ "query": query, "variables": variables })).await;
            problems.extend(page_size_problem(&format!("first: {first}"), &reply));
        }
    }
    // Literals that are not an Int at all (too big for 32 bits, fractions, strings …).
    for literal in [
        "99999999999",
        "-99999999999",
        "1.5",
        "\"10\"",
        "[10]",
        "{n: 1}",
        "1e3",
    ] {
        let query = format!("{{ municipalities(first: {literal}) {{ totalCount }} }}");
        let reply = post_query(&app, &query).await;
        problems.extend(page_size_problem(&format!("first: {literal}"), &reply));
    }
    // The same through a variable.
    for value in [
        json!(99_999_999_999_i64),
        json!(1.5),
        json!("10"),
        json!(1e300),
    ] {
        let reply = post_json(&app, &json!({ "query": top, "variables": { "n": value } })).await;
        problems.extend(page_size_problem(&format!("$n = {value}"), &reply));
    }
    assert_no_problems(&problems);
    // The boundaries themselves are fine.
    for first in [0, 1, 100] {
        let data = app.query(top, json!({ "n": first })).await;
        assert_eq!(data["municipalities"]["totalCount"], 6, "first: {first}");
    }
    assert_alive(&app, "page sizes").await;
}

#[tokio::test]
async fn batches_are_bounded_and_checked_one_by_one() {
    let app = spawn_app_with(shipped_limits).await;
    let op = json!({ "query": "{ __typename }" });
    let max = Config::default().graphql_max_batch;
    let cases: Vec<(&str, Value, StatusCode, &str)> = vec![
        (
            "one over the limit",
            Value::Array(vec![op.clone(); max + 1]),
            StatusCode::BAD_REQUEST,
            "BATCH_LIMIT_EXCEEDED",
        ),
        (
            "a thousand",
            Value::Array(vec![op.clone(); 1000]),
            StatusCode::BAD_REQUEST,
            "BATCH_LIMIT_EXCEEDED",
        ),
        ("empty", json!([]), StatusCode::BAD_REQUEST, "BAD_REQUEST"),
        (
            "nested batch",
            json!([[op.clone()]]),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "numbers",
            json!([1, 2]),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "a null among requests",
            json!([op.clone(), null]),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "a string among requests",
            json!([op.clone(), "{ __typename }"]),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "an object without a query",
            json!([op.clone(), { "variables": {} }]),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
    ];
    let mut problems = Vec::new();
    for (case, body, status, code) in cases {
        let reply = post_json(&app, &body).await;
        check_refused(&app, &mut problems, case, &reply, status, code).await;
    }
    assert_no_problems(&problems);
}

#[tokio::test]
async fn batches_up_to_the_limit_answer_each_operation_on_its_own() {
    let app = spawn_app_with(shipped_limits).await;
    let op = json!({ "query": "{ __typename }" });
    let max = Config::default().graphql_max_batch;
    // Each operation is answered in order, each on its own merits.
    let mut batch = vec![op.clone(); max];
    batch[3] = json!({ "query": fragment_bomb(14, 2) });
    batch[5] = json!({ "query": "{ nosuchfield }" });
    batch[7] = json!({ "query": "query($n: Int) { municipalities(first: $n) { totalCount } }", "variables": { "n": -5 } });
    let reply = post_json(&app, &Value::Array(batch)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_no_leak("mixed batch", &reply.text);
    let answers = reply.json();
    let answers = answers.as_array().expect("a JSON array");
    assert_eq!(answers.len(), max);
    for (i, answer) in answers.iter().enumerate() {
        let expected: &[&str] = match i {
            3 => &["COMPLEXITY_LIMIT_EXCEEDED"],
            5 => &["GRAPHQL_VALIDATION_FAILED"],
            7 => &["BAD_USER_INPUT"],
            _ => &[],
        };
        assert_eq!(error_codes(answer), expected, "operation {i}: {answer}");
        if expected.is_empty() {
            assert_eq!(answer["data"]["__typename"], "Query", "operation {i}");
        }
    }
    assert_alive(&app, "mixed batch").await;
}

/// A batch of submissions is throttled like the same submissions sent one by one.
#[tokio::test]
async fn a_batch_does_not_bypass_the_tip_rate_limit() {
    let app = spawn_app_with(shipped_limits).await;
    let per_ip = Config::default().tip_limit_per_ip as usize;
    let max = Config::default().graphql_max_batch;
    assert!(per_ip < max);
    let batch: Vec<Value> = (0..max)
        .map(|i| json!({ "query": SUBMIT, "variables": { "input": {
            "municipality": "orust", "kind": "TIP", "message": format!("Tips nummer {i} i en och samma batch.")
        } } }))
        .collect();
    let reply = post_json(&app, &Value::Array(batch)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let answers = reply.json();
    let answers = answers.as_array().expect("array").clone();
    let accepted = answers.iter().filter(|a| error_codes(a).is_empty()).count();
    let limited = answers
        .iter()
        .filter(|a| error_codes(a) == ["RATE_LIMITED"])
        .count();
    assert_eq!((accepted, limited), (per_ip, max - per_ip), "{answers:?}");
    assert_eq!(
        tip::Entity::find().count(&app.db).await.expect("count") as usize,
        per_ip
    );
    assert_alive(&app, "batched tips").await;
}

#[tokio::test]
async fn sql_in_arguments_is_only_data() {
    let app = spawn_app_with(generous_tips).await;
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    let payloads = [
        "' OR '1'='1",
        "mellerud' --",
        "mellerud'; DROP TABLE tip; --",
        "\"; DELETE FROM municipality; --",
        "1; UPDATE delivery SET status = 'SENT'",
        "%' UNION SELECT email FROM contact --",
        "\\'; SELECT pg_sleep(5); --",
        "0765' AND 1=(SELECT COUNT(*) FROM tip) --",
    ];
    let promises_before = app
        .query("{ promises(first: 100) { totalCount } }", json!({}))
        .await;
    for payload in payloads {
        let case = format!("payload {payload:?}");
        // A slug finds nothing; a code is checked for its four digits first.
        let body = app
            .graphql(
                "query($s: String) { municipality(slug: $s) { name } }",
                json!({ "s": payload }),
            )
            .await;
        assert!(body["data"]["municipality"].is_null(), "{case}: {body}");
        assert_eq!(error_codes(&body), ["NOT_FOUND"], "{case}: {body}");
        assert_no_leak(&case, &body.to_string());
        let body = app
            .graphql(
                "query($c: String) { municipality(code: $c) { name } }",
                json!({ "c": payload }),
            )
            .await;
        assert!(body["data"]["municipality"].is_null(), "{case}: {body}");
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{case}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "code", "{case}");
        assert_no_leak(&case, &body.to_string());
        // A filter on an unknown municipality matches nothing.
        let body = app
            .graphql(
                "query($m: String) { promises(filter: {municipality: $m}) { totalCount } }",
                json!({ "m": payload }),
            )
            .await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{case}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["field"], "filter.municipality",
            "{case}: {body}"
        );
        assert!(body["data"].is_null(), "{case}: {body}");
        // Free-text search treats it as words.
        let body = app
            .graphql(
                "query($q: String) { promises(filter: {search: $q}) { totalCount } municipalities(search: $q) { totalCount } }",
                json!({ "q": payload }),
            )
            .await;
        assert!(body.get("errors").is_none(), "{case}: {body}");
        let words: String = payload
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { ' ' })
            .collect();
        let same = app
            .graphql(
                "query($q: String) { promises(filter: {search: $q}) { totalCount } municipalities(search: $q) { totalCount } }",
                json!({ "q": words }),
            )
            .await;
        assert_eq!(body, same, "{case}: the punctuation changed the result");
        // Staff and resident lookups by reference.
        let body = app
            .graphql_as(&admin, READ_TIP, json!({ "r": payload }))
            .await;
        assert_eq!(error_codes(&body), ["NOT_FOUND"], "{case}: {body}");
        assert_no_leak(&case, &body.to_string());
        let body = app
            .graphql(
                "query($r: String!, $t: String!) { tipStatus(reference: $r, statusToken: $t) { status } }",
                json!({ "r": payload, "t": payload }),
            )
            .await;
        assert_eq!(error_codes(&body), ["NOT_FOUND"], "{case}: {body}");
        assert_no_leak(&case, &body.to_string());
        // As the municipality of a tip: refused with the field named.
        let body = app
            .graphql(SUBMIT, json!({ "input": { "municipality": payload, "kind": "TIP", "message": "Ett helt vanligt tips om trafiken." } }))
            .await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{case}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "municipality");
    }

    // In a tip, the same strings are stored and read back as written.
    for payload in payloads {
        let message = format!("Tips med SQL: {payload}");
        let body = app
            .graphql(
                SUBMIT,
                json!({ "input": {
                "municipality": "mellerud", "kind": "TIP", "message": message, "name": payload,
            } }),
            )
            .await;
        assert!(body.get("errors").is_none(), "{payload}: {body}");
        let reference = body["data"]["submitTip"]["tip"]["reference"]
            .as_str()
            .expect("reference");
        let data = app
            .query_as(&admin, READ_TIP, json!({ "r": reference }))
            .await;
        assert_eq!(data["tip"]["message"], message.as_str());
        assert_eq!(data["tip"]["name"], payload);
    }
    // Nothing was dropped, deleted or rewritten.
    assert_eq!(
        tip::Entity::find().count(&app.db).await.expect("count"),
        payloads.len() as u64
    );
    assert_alive(&app, "after SQL payloads").await;
    let token_data = app
        .query_as(&admin, "{ promises(first: 100) { totalCount } }", json!({}))
        .await;
    assert_eq!(token_data, promises_before);
    assert!(
        promises_before["promises"]["totalCount"]
            .as_u64()
            .is_some_and(|n| n > 0)
    );
    // Oversized search text is refused, not scanned.
    let body = app
        .graphql(
            "query($q: String) { municipalities(search: $q) { totalCount } }",
            json!({ "q": "å".repeat(20_000) }),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "search");
}

#[tokio::test]
async fn html_in_a_tip_is_stored_as_given_and_escaped_in_the_email() {
    let smtp = SmtpSink::start();
    let app = spawn_app_with(|c| with_smtp(c, &smtp)).await;
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    let message = "<script>alert('x')</script>\n<img src=x onerror=\"alert(1)\"> & <a href=\"javascript:alert(2)\">länk</a>\n</p></body><iframe src=//evil.example>";
    let name = "<b onmouseover=alert(3)>Eve</b> & \"Mallory\"";
    let body = submit(
        &app,
        json!({ "municipality": "mellerud", "kind": "TIP", "message": message, "name": name, "phone": "070-123 45 67" }),
    )
    .await;
    let reference = reference(&body);
    let data = app
        .query_as(&admin, READ_TIP, json!({ "r": reference }))
        .await;
    assert_eq!(data["tip"]["message"], message, "stored as given");
    assert_eq!(data["tip"]["name"], name, "stored as given");

    let messages = smtp.wait_for(1, e2e::PATIENCE).await;
    assert_eq!(messages.len(), 1);
    let parsed = MessageParser::default()
        .parse(&messages[0])
        .expect("parsable");
    let html = parsed.body_html(0).expect("an HTML part");
    for raw in ["<script", "<img", "<a ", "<iframe", "<b ", "</body><iframe"] {
        assert!(!html.contains(raw), "{raw:?} is not escaped: {html}");
    }
    for escaped in [
        "&lt;script&gt;alert('x')&lt;/script&gt;",
        "&lt;img src=x onerror=\"alert(1)\"&gt; &amp; &lt;a",
        "&lt;iframe src=//evil.example&gt;",
        "&lt;b onmouseover=alert(3)&gt;Eve&lt;/b&gt; &amp; \"Mallory\"",
    ] {
        assert!(html.contains(escaped), "{escaped:?} missing: {html}");
    }
    // One well-formed document: the escaped tags add no elements.
    assert_eq!(html.matches("<body>").count(), 1, "{html}");
    assert_eq!(html.matches("</body>").count(), 1, "{html}");
    // Lines of a mail body end in CR LF on the wire.
    let text = parsed
        .body_text(0)
        .expect("a text part")
        .replace("\r\n", "\n");
    assert!(
        text.contains(message),
        "the text part holds the message verbatim: {text}"
    );
    assert!(text.contains(name), "{text}");
}

#[tokio::test]
async fn line_breaks_and_controls_in_single_line_fields_are_refused() {
    let smtp = SmtpSink::start();
    let app = spawn_app_with(|c| with_smtp(c, &smtp)).await;
    let ok = "Ett tips som är tillräckligt långt.";
    let breakers = [
        "\r\n", "\n", "\r", "\u{85}", "\u{2028}", "\u{2029}", "\u{0}", "\u{b}", "\u{c}", "\u{1b}",
        "\u{7f}",
    ];
    let mut cases = Vec::new();
    for b in breakers {
        cases.push(("name", json!(format!("Eve{b}Bcc: evil@example.com"))));
        cases.push((
            "email",
            json!(format!("eve@example.com{b}Bcc: evil@example.com")),
        ));
        cases.push((
            "phone",
            json!(format!("070-123 45 67{b}Bcc: evil@example.com")),
        ));
    }
    cases.push(("name", json!("Eve\r\nSubject: hacked")));
    cases.push(("email", json!("eve@example.com\r\n\r\n<html>")));
    cases.push(("email", json!("\"eve\r\n\"@example.com")));
    cases.push(("email", json!("Eve <eve@example.com>, evil@example.com")));
    cases.push(("email", json!("eve@example.com,evil@example.com")));
    cases.push(("name", json!("x".repeat(201))));
    cases.push(("message", json!(format!("{ok}\u{0}"))));
    cases.push(("message", json!(format!("{ok}\r mitt i"))));
    cases.push(("message", json!(format!("{ok}\u{1b}[2J"))));
    for (field, value) in cases {
        let mut input = json!({ "municipality": "mellerud", "kind": "TIP", "message": ok, "wantsReply": false });
        input[field] = value.clone();
        let reply = post_json(
            &app,
            &json!({ "query": SUBMIT, "variables": { "input": input } }),
        )
        .await;
        let case = format!("{field} = {value}");
        assert_eq!(reply.status, StatusCode::OK, "{case}");
        let body = reply.json();
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{case}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["field"], field,
            "{case}: {body}"
        );
        assert!(body["data"].is_null(), "{case}: {body}");
        assert_no_leak(&case, &reply.text);
    }
    assert_eq!(
        tip::Entity::find().count(&app.db).await.expect("count"),
        0,
        "nothing stored"
    );
    assert_eq!(
        delivery::Entity::find()
            .count(&app.db)
            .await
            .expect("count"),
        0,
        "nothing queued"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(smtp.messages().is_empty(), "nothing sent");
    assert_alive(&app, "after header injection attempts").await;
}

#[tokio::test]
async fn unicode_is_stored_and_read_back_intact() {
    let app = spawn_app_with(generous_tips).await;
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    let decomposed = "Zoe\u{308} och A\u{30a}sa";
    assert_ne!(decomposed, "Zoë och Åsa", "the test needs a non-NFC form");
    // (input, expected stored value): trimmed (Unicode white space), CR LF → LF in the
    // message; otherwise exactly as sent, not normalised.
    let cases: Vec<(Value, Value)> = vec![
        (
            json!({ "message": "Polisen 👮🏽‍♀️ och 🚓 kom till 🏫 – tack! 🇸🇪", "name": "👩 Familjen" }),
            json!({ "message": "Polisen 👮🏽‍♀️ och 🚓 kom till 🏫 – tack! 🇸🇪", "name": "👩 Familjen" }),
        ),
        (
            json!({ "message": "مرحبا، هناك مشكلة في الحي ليلاً. שלום, יש בעיה בשכונה.", "name": "محمد עמית" }),
            json!({ "message": "مرحبا، هناك مشكلة في الحي ليلاً. שלום, יש בעיה בשכונה.", "name": "محمد עמית" }),
        ),
        // Bidi overrides and isolates are refused since issue 10 (tests/security_input.rs).
        (
            json!({ "message": format!("{decomposed} skriver med kombinerande tecken."), "name": decomposed }),
            json!({ "message": format!("{decomposed} skriver med kombinerande tecken."), "name": decomposed }),
        ),
        (
            json!({ "message": "Z\u{335}\u{30d}\u{344}a\u{337}\u{352}\u{31b}l\u{334}\u{30b}g\u{335}o\u{336} text med många diakritiska tecken", "name": "e\u{301}\u{301}\u{301}\u{301}" }),
            json!({ "message": "Z\u{335}\u{30d}\u{344}a\u{337}\u{352}\u{31b}l\u{334}\u{30b}g\u{335}o\u{336} text med många diakritiska tecken", "name": "e\u{301}\u{301}\u{301}\u{301}" }),
        ),
        (
            json!({ "message": "\u{3000}\u{a0} \t\r\n Första raden\r\nandra raden\n\ttredje\u{2028}fjärde \u{a0}\u{3000}\r\n", "name": "\u{a0} Åsa Öberg \u{3000}" }),
            json!({ "message": "Första raden\nandra raden\n\ttredje\u{2028}fjärde", "name": "Åsa Öberg" }),
        ),
        (
            json!({ "message": "Osynliga\u{200b}tecken\u{200d}och\u{feff}BOM finns kvar.", "name": "Zero Width" }),
            json!({ "message": "Osynliga\u{200b}tecken\u{200d}och\u{feff}BOM finns kvar.", "name": "Zero Width" }),
        ),
        (
            json!({ "message": "Plan 1: 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕥𝕖𝕩𝕥 och 𠜎𠜱 (CJK ext. B).", "email": "  åsa.öberg@exempel.se ", "phone": " +46 70 123 45 67 " }),
            json!({ "message": "Plan 1: 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕥𝕖𝕩𝕥 och 𠜎𠜱 (CJK ext. B).", "name": null, "email": "åsa.öberg@exempel.se", "phone": "+46 70 123 45 67" }),
        ),
        (
            json!({ "message": "Ett tips utan namn.", "name": " \u{3000} " }),
            json!({ "message": "Ett tips utan namn.", "name": null }),
        ),
    ];
    for (fields, expected) in cases {
        let mut input = json!({ "municipality": "stenungsund", "kind": "OPINION" });
        for (k, v) in fields.as_object().expect("object") {
            input[k] = v.clone();
        }
        let body = submit(&app, input.clone()).await;
        let reference = reference(&body);
        let data = app
            .query_as(&admin, READ_TIP, json!({ "r": reference }))
            .await;
        for (k, v) in expected.as_object().expect("object") {
            assert_eq!(&data["tip"][k], v, "{k} of {input}");
        }
    }
    assert_alive(&app, "after Unicode tips").await;
}

#[tokio::test]
async fn message_length_is_counted_in_characters_after_trimming() {
    let app = spawn_app_with(generous_tips).await;
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    let max = server::domain::tip::MESSAGE_MAX_CHARS;
    let min = server::domain::tip::MESSAGE_MIN_CHARS;
    assert_eq!((min, max), (10, 5000));
    let accepted = [
        ("5000 ASCII", "a".repeat(max)),
        ("5000 four-byte characters", "🚓".repeat(max)),
        (
            "5000 plus white space",
            format!("  \n\t{}\r\n  ", "ö".repeat(max)),
        ),
        ("10 characters", "ö".repeat(min)),
    ];
    for (case, message) in accepted {
        let body = submit(
            &app,
            json!({ "municipality": "tjorn", "kind": "IDEA", "message": message }),
        )
        .await;
        assert!(body.get("errors").is_none(), "{case}: {body}");
        let data = app
            .query_as(&admin, READ_TIP, json!({ "r": reference(&body) }))
            .await;
        assert_eq!(data["tip"]["message"], message.trim(), "{case}");
    }
    let refused = [
        ("5001 ASCII", "a".repeat(max + 1)),
        ("5001 four-byte characters", "🚓".repeat(max + 1)),
        (
            "5000 letters and a combining mark",
            format!("{}\u{301}", "e".repeat(max)),
        ),
        (
            "9 characters padded with spaces",
            format!(
                "{}{}{}",
                " ".repeat(10),
                "ö".repeat(min - 1),
                " ".repeat(10)
            ),
        ),
        ("only white space", " \u{3000}\n\t".repeat(100)),
        ("empty", String::new()),
    ];
    for (case, message) in refused {
        let reply = post_json(&app, &json!({ "query": SUBMIT, "variables": { "input": { "municipality": "tjorn", "kind": "IDEA", "message": message } } })).await;
        let body = reply.json();
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{case}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["field"], "message",
            "{case}"
        );
        assert_no_leak(case, &reply.text);
    }
    assert_eq!(tip::Entity::find().count(&app.db).await.expect("count"), 4);
    assert_alive(&app, "after long messages").await;
}

#[tokio::test]
async fn introspection_off_refuses_schema_probes() {
    let app = spawn_app_with(|c| {
        shipped_limits(c);
        c.graphql_introspection = false;
    })
    .await;
    let mut problems = Vec::new();
    for (case, query) in [
        ("__schema", "{ __schema { types { name } } }"),
        (
            "__type",
            "{ __type(name: \"StaffTip\") { fields { name } } }",
        ),
        (
            "__schema behind an alias and a fragment",
            "{ ...F } fragment F on Query { s: __schema { queryType { name } } }",
        ),
    ] {
        let reply = post_query(&app, query).await;
        let code = "INTROSPECTION_DISABLED";
        check_refused(
            &app,
            &mut problems,
            case,
            &reply,
            StatusCode::BAD_REQUEST,
            code,
        )
        .await;
    }
    // No "did you mean" hints that would reveal field names.
    let reply = post_query(&app, "{ municipalitie { totalCount } }").await;
    assert!(!reply.text.contains("Did you mean"), "{}", reply.text);
    let code = "GRAPHQL_VALIDATION_FAILED";
    check_refused(&app, &mut problems, "typo", &reply, StatusCode::OK, code).await;
    // `__typename` is not introspection.
    let data = app.query("{ __typename }", json!({})).await;
    assert_eq!(data["__typename"], "Query");
    assert_no_problems(&problems);
}

#[tokio::test]
async fn a_request_over_its_time_budget_is_cut_off() {
    let app = spawn_app_with(|c| {
        shipped_limits(c);
        c.graphql_timeout_ms = 1;
    })
    .await;
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    // Staff requests are never served from the cache; this one reads many rows.
    let reply = send(
        app.post("/graphql")
            .bearer_auth(&admin)
            .json(&json!({ "query": "{ municipalities(first: 100) { nodes { name contacts { name } promises(first: 5) { nodes { title focusAreas { title } commitments { text } } } } } }" })),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.text
    );
    assert_eq!(single_code(&reply.json()), "TIMEOUT");
    assert_no_leak("timeout", &reply.text);
    let health = app.get("/readyz").sent().await;
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_flood_of_requests_is_throttled_with_retry_after() {
    let app = spawn_app_with(|c| {
        shipped_limits(c);
        c.request_limit_per_ip = 5;
        // A day, so no request is refilled while a slow machine runs the test.
        c.request_limit_per_ip_window_secs = 86_400;
    })
    .await;
    // The next request fits when the first of the five has been refilled.
    let refill = 86_400 / 5;
    let first_sent = std::time::Instant::now();
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let reply = post_query(&app, "{ __typename }").await;
        statuses.push(reply.status);
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(single_code(&reply.json()), "RATE_LIMITED");
            let retry: u64 = reply.headers[header::RETRY_AFTER]
                .to_str()
                .expect("ascii")
                .parse()
                .expect("seconds");
            let elapsed = first_sent.elapsed().as_secs();
            assert!(
                (refill - elapsed - 1..=refill).contains(&retry),
                "{retry} s, {elapsed} s after the first request"
            );
            assert_no_leak("flood", &reply.text);
        }
    }
    assert_eq!(
        statuses,
        [
            [StatusCode::OK; 5].as_slice(),
            [StatusCode::TOO_MANY_REQUESTS; 3].as_slice()
        ]
        .concat()
    );
    let ready = app.get("/readyz").sent().await;
    assert_eq!(ready.status(), StatusCode::OK);
}
