//! Issue 10, limits: introspection bombs, request timeout and response size, control
//! characters in arguments, duplicate JSON keys, and the bearer scheme.

use std::time::{Duration, Instant};

use e2e::{Sent, TestApp, error_codes, spawn_app_with};
use entity::StaffRole;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Logs of this test binary, captured once for all its tests.
fn logs() -> &'static e2e::logs::Captured {
    e2e::logs::capture("info")
}

use e2e::tips::shipped_limits as shipped;

/// Peak memory is the whole process's, and the tests of this binary run side by side: a
/// test that measures it holds this for writing, so it runs alone; every other test holds
/// it for reading, so those still run beside each other but never beside a measurement.
static MEMORY: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// Reset the peak to what the process holds now (Linux: `5` to `clear_refs`), so growth
/// is measured from here and not hidden under an earlier test's peak; returns it.
fn reset_peak_kib() -> u64 {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    peak_kib()
}

/// Peak resident memory of this process (the server runs in it), in KiB.
fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

async fn post(app: &TestApp, body: &Value) -> (StatusCode, Value) {
    let response = app.post("/graphql").json(body).sent().await;
    let status = response.status();
    (status, response.json().await.expect("JSON"))
}

async fn still_answers(app: &TestApp) {
    let data = app
        .query("{ municipality(slug: \"mellerud\") { name } }", json!({}))
        .await;
    assert!(data["municipality"]["name"].is_string(), "{data}");
}

/// `getIntrospectionQuery` of graphql-js with every option on; `of_type` levels of
/// `ofType` in `TypeRef` (7 in graphql-js 16, more in later tooling).
fn standard_introspection(of_type: usize) -> String {
    let mut type_ref = String::from("kind name");
    for _ in 0..of_type {
        type_ref = format!("kind name ofType {{ {type_ref} }}");
    }
    format!(
        "query IntrospectionQuery {{ __schema {{ description queryType {{ name }} \
         mutationType {{ name }} subscriptionType {{ name }} types {{ ...FullType }} \
         directives {{ name description isRepeatable locations \
         args(includeDeprecated: true) {{ ...InputValue }} }} }} }} \
         fragment FullType on __Type {{ kind name description specifiedByURL \
         fields(includeDeprecated: true) {{ name description \
         args(includeDeprecated: true) {{ ...InputValue }} type {{ ...TypeRef }} \
         isDeprecated deprecationReason }} \
         inputFields(includeDeprecated: true) {{ ...InputValue }} \
         interfaces {{ ...TypeRef }} \
         enumValues(includeDeprecated: true) {{ name description isDeprecated deprecationReason }} \
         possibleTypes {{ ...TypeRef }} }} \
         fragment InputValue on __InputValue {{ name description type {{ ...TypeRef }} \
         defaultValue isDeprecated deprecationReason }} \
         fragment TypeRef on __Type {{ {type_ref} }}"
    )
}

/// `__type(name: "Node") { possibleTypes { interfaces { possibleTypes … } } }`, `levels`
/// lists deep.
fn possible_types_bomb(levels: usize) -> String {
    let mut inner = String::from("name");
    for i in 0..levels {
        let list = if (levels - 1 - i).is_multiple_of(2) {
            "possibleTypes"
        } else {
            "interfaces"
        };
        inner = format!("name {list} {{ {inner} }}");
    }
    format!("{{ __type(name: \"Node\") {{ {inner} }} }}")
}

#[tokio::test]
async fn the_standard_introspection_query_still_works() {
    let _beside = MEMORY.read().await;
    let app = spawn_app_with(shipped).await;
    for levels in [7, 9] {
        let (status, body) = post(&app, &json!({ "query": standard_introspection(levels) })).await;
        assert_eq!(status, StatusCode::OK, "{levels}: {body}");
        assert!(body.get("errors").is_none(), "{levels}: {body}");
        assert!(
            body["data"]["__schema"]["types"]
                .as_array()
                .is_some_and(|t| t.len() > 10)
        );
    }
}

#[tokio::test]
async fn introspection_bombs_are_refused_before_they_run() {
    let _alone = MEMORY.write().await;
    let app = spawn_app_with(shipped).await;
    let of_type = (0..20).fold(String::from("name"), |acc, _| format!("ofType {{ {acc} }}"));
    let fields_chain = (0..6).fold(String::from("name"), |acc, _| {
        format!("fields {{ type {{ ofType {{ {acc} }} }} }}")
    });
    let shapes = [
        possible_types_bomb(13),
        possible_types_bomb(11),
        possible_types_bomb(7),
        "{ __schema { types { interfaces { possibleTypes { interfaces { possibleTypes { interfaces { name } } } } } } } }".to_owned(),
        format!("{{ __type(name: \"Query\") {{ {of_type} }} }}"),
        format!("{{ __type(name: \"Query\") {{ {fields_chain} }} }}"),
        format!("{{ __schema {{ types {{ {fields_chain} }} }} }}"),
        "{ ...A } fragment A on Query { __type(name: \"Node\") { ...P } } \
         fragment P on __Type { possibleTypes { interfaces { ...Q } } } \
         fragment Q on __Type { possibleTypes { interfaces { possibleTypes { interfaces { name } } } } }"
            .to_owned(),
    ];
    let before = reset_peak_kib();
    let started = Instant::now();
    for shape in &shapes {
        let (status, body) = post(&app, &json!({ "query": shape })).await;
        let codes = error_codes(&body);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{shape}: {body}");
        assert!(
            codes == ["COMPLEXITY_LIMIT_EXCEEDED"] || codes == ["DEPTH_LIMIT_EXCEEDED"],
            "{shape}: {body}"
        );
        still_answers(&app).await;
    }
    // Loose bounds: refused before execution, these cost next to nothing.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let grown = peak_kib().saturating_sub(before);
    assert!(grown < 100 * 1024, "peak memory grew by {grown} KiB");
}

/// A chain that is cheap in cost and shallower than the schema-wide depth bound, so only
/// the introspection depth limit can refuse it.
#[tokio::test]
async fn a_deep_but_cheap_introspection_chain_meets_the_introspection_depth_limit() {
    let _beside = MEMORY.read().await;
    let app = spawn_app_with(shipped).await;
    let chain = (0..17).fold(String::from("name"), |acc, _| format!("ofType {{ {acc} }}"));
    let query = format!("{{ __type(name: \"Query\") {{ {chain} }} }}");
    let (status, body) = post(&app, &json!({ "query": query })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(error_codes(&body), ["DEPTH_LIMIT_EXCEEDED"], "{body}");
    still_answers(&app).await;
}

#[tokio::test]
async fn the_timeout_stops_work_that_never_waits() {
    let _alone = MEMORY.write().await;
    // Every document limit off: only the timeout and the response budget stand.
    let app = spawn_app_with(|c| {
        c.graphql_max_complexity = usize::MAX / 2;
        c.graphql_max_fields = usize::MAX / 2;
        c.graphql_max_introspection_depth = 100;
        c.graphql_max_response_bytes = usize::MAX / 2;
        // Long enough that the ordinary query below answers in time on a slow machine,
        // far shorter than the bound the bomb must be stopped within.
        c.graphql_timeout_ms = 1000;
    })
    .await;
    let before = reset_peak_kib();
    let started = Instant::now();
    let (status, body) = post(&app, &json!({ "query": possible_types_bomb(12) })).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(error_codes(&body), ["TIMEOUT"], "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let grown = peak_kib().saturating_sub(before);
    assert!(grown < 300 * 1024, "peak memory grew by {grown} KiB");
    still_answers(&app).await;
}

#[tokio::test]
async fn the_response_size_is_bounded() {
    let _alone = MEMORY.write().await;
    let app = spawn_app_with(|c| {
        c.graphql_max_complexity = usize::MAX / 2;
        c.graphql_max_fields = usize::MAX / 2;
        c.graphql_max_introspection_depth = 100;
        c.graphql_max_response_bytes = 64 * 1024;
    })
    .await;
    let before = reset_peak_kib();
    for query in [possible_types_bomb(13), standard_introspection(7)] {
        let (status, body) = post(&app, &json!({ "query": query })).await;
        if body.get("errors").is_none() {
            // Small enough (a catalogue may be short): then it really is under the limit.
            assert!(body.to_string().len() <= 64 * 1024, "{query}");
            continue;
        }
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(
            error_codes(&body),
            ["RESPONSE_TOO_LARGE"],
            "{query}: {body}"
        );
        assert!(body["data"].is_null(), "{body}");
    }
    let grown = peak_kib().saturating_sub(before);
    assert!(grown < 300 * 1024, "peak memory grew by {grown} KiB");
    still_answers(&app).await;
    // The standard query itself is refused by size, not broken.
    let (_, body) = post(&app, &json!({ "query": standard_introspection(7) })).await;
    assert_eq!(error_codes(&body), ["RESPONSE_TOO_LARGE"], "{body}");
}

#[tokio::test]
async fn control_characters_in_arguments_are_bad_user_input() {
    let _beside = MEMORY.read().await;
    let logs = logs();
    let app = spawn_app_with(shipped).await;
    let staff = app.staff_token(StaffRole::Admin, &[], None).await;
    let dates = r#"from: "2026-01-01", to: "2026-12-31""#;
    for bad in ["\u{0}", "\u{1}", "\u{1b}", "\u{1f}", "\u{b}"] {
        let value = format!("mel{bad}lerud");
        let literal = serde_json::to_string(&value).expect("JSON string");
        let submit_input = |field: &str| {
            let mut input = json!({
                "municipality": "mellerud", "kind": "TIP",
                "message": "Ett tips som är tillräckligt långt.", "wantsReply": false
            });
            input[field] = json!(value);
            input
        };
        let cases: Vec<(String, Value, &str)> = vec![
            (format!("{{ municipality(slug: {literal}) {{ name }} }}"), json!({}), "slug"),
            ("query($s: String!) { municipality(slug: $s) { name } }".into(), json!({ "s": value }), "s"),
            (format!("{{ promises(filter: {{ municipality: {literal} }}) {{ totalCount }} }}"), json!({}), "municipality"),
            ("query($f: PromiseFilter) { promises(filter: $f) { totalCount } }".into(), json!({ "f": { "municipality": value } }), "municipality"),
            (format!("{{ tipStatus(reference: {literal}, statusToken: \"x\") {{ __typename }} }}"), json!({}), "reference"),
            ("query($r: String!) { tipStatus(reference: $r, statusToken: \"x\") { __typename } }".into(), json!({ "r": value }), "r"),
            (format!("{{ tipStatistics(municipality: {literal}, {dates}) {{ totalCount }} }}"), json!({}), "municipality"),
            ("query($m: String!) { tipStatistics(municipality: $m, from: \"2026-01-01\", to: \"2026-12-31\") { totalCount } }".into(), json!({ "m": value }), "m"),
            ("mutation($input: SubmitTipInput!) { submitTip(input: $input) { statusToken } }".into(), json!({ "input": submit_input("municipality") }), "municipality"),
            ("mutation($input: SubmitTipInput!) { submitTip(input: $input) { statusToken } }".into(), json!({ "input": submit_input("idempotencyKey") }), "idempotencyKey"),
            (format!("mutation {{ submitTip(input: {{ municipality: \"mellerud\", kind: TIP, message: \"Ett tips som är tillräckligt långt.\", wantsReply: false, idempotencyKey: {literal} }}) {{ statusToken }} }}"), json!({}), "idempotencyKey"),
        ];
        for (query, variables, field) in cases {
            for token in [None, Some(staff.as_str())] {
                let body = match token {
                    None => app.graphql(&query, variables.clone()).await,
                    Some(t) => app.graphql_as(t, &query, variables.clone()).await,
                };
                let case = format!("{query} {variables} {bad:?}");
                assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{case}: {body}");
                assert_eq!(
                    body["errors"][0]["extensions"]["field"], field,
                    "{case}: {body}"
                );
                assert!(body["data"].is_null(), "{case}: {body}");
            }
        }
    }
    // Tab and line breaks are not refused by this check (no match, never INTERNAL).
    let body = app
        .graphql(
            "{ municipality(slug: \"mel\\tler\\nud\\r\") { name } }",
            json!({}),
        )
        .await;
    assert!(
        !error_codes(&body).contains(&"INTERNAL".to_owned()),
        "{body}"
    );
    let text = logs.text();
    assert!(!text.lines().any(|l| l.contains("ERROR")), "{text}");
}

#[tokio::test]
async fn duplicate_json_keys_are_refused() {
    let _beside = MEMORY.read().await;
    let app = spawn_app_with(shipped).await;
    let q = r#""{ municipality(slug: \"mellerud\") { name } }""#;
    let bodies = [
        format!(r#"{{"query": {q}, "query": "{{ __typename }}"}}"#),
        format!(r#"{{"query": {q}, "variables": {{"a": 1, "a": 2}}}}"#),
        format!(r#"{{"query": {q}, "variables": {{"a": {{"b": [{{"c": 1, "c": 1}}]}}}}}}"#),
        format!(r#"{{"query": {q}, "operationName": null, "operationName": "X"}}"#),
        format!(r#"[{{"query": {q}}}, {{"query": {q}, "variables": {{}}, "variables": {{}}}}]"#),
    ];
    for body in bodies {
        let response = app
            .post("/graphql")
            .header("content-type", "application/json")
            .body(body.clone())
            .sent()
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let json: Value = response.json().await.expect("JSON");
        assert_eq!(error_codes(&json), ["BAD_REQUEST"], "{body}: {json}");
        assert!(
            json["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("same key twice")),
            "{json}"
        );
    }
    // The same key in different objects is fine.
    let body = format!(r#"{{"query": {q}, "variables": {{"query": {{"query": 1}}}}}}"#);
    let response = app
        .post("/graphql")
        .header("content-type", "application/json")
        .body(body)
        .sent()
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let _beside = MEMORY.read().await;
    let app = spawn_app_with(shipped).await;
    let token = app.staff_token(StaffRole::Admin, &[], None).await;
    let query = json!({ "query": "{ apiTokens { __typename } }" });
    for (header, ok) in [
        (format!("Bearer {token}"), true),
        (format!("bearer {token}"), true),
        (format!("BEARER {token}"), true),
        (format!("Bearer    {token}  "), true),
        (format!("Bearer {token} extra"), false),
        (format!("Basic {token}"), false),
        (format!("Bearer{token}"), false),
    ] {
        let body: Value = app
            .post("/graphql")
            .header("authorization", &header)
            .json(&query)
            .sent()
            .await
            .json()
            .await
            .expect("JSON");
        let case = header.replace(&token, "<token>");
        assert_eq!(body.get("errors").is_none(), ok, "{case}: {body}");
    }
}
