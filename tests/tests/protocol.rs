//! GraphQL specification conformance of executed answers: a failing nullable field is
//! `null` with its key present, a `null` in a non-null field makes its nearest nullable
//! parent `null`, and keys follow the order of the selection set. Plus the request-level
//! rules of GraphQL over HTTP (no `data` for request errors, `operationName` on GET).

use e2e::{JsonBody, Sent, error_codes, spawn_app};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

/// The JSON body of a request that was sent.
async fn json_of(
    sent: impl std::future::Future<Output = reqwest::Result<reqwest::Response>>,
) -> Value {
    sent.await.expect("sent").json().await.expect("json")
}

/// The response keys of the object at `pointer` (`/data/b`) in a raw JSON body, in the
/// order they were written (read into async-graphql's value, whose maps keep it).
fn key_order(raw: &str, pointer: &str) -> Vec<String> {
    let mut value: async_graphql::Value = serde_json::from_str(raw).expect("json");
    for key in pointer.split('/').filter(|k| !k.is_empty()) {
        value = match value {
            async_graphql::Value::Object(mut map) => map.shift_remove(key).expect("key"),
            other => panic!("{key} in {other}"),
        };
    }
    match value {
        async_graphql::Value::Object(map) => map.keys().map(ToString::to_string).collect(),
        other => panic!("not an object: {other}"),
    }
}

async fn post_raw(app: &e2e::TestApp, query: &str) -> (StatusCode, String) {
    let response = app
        .post("/graphql")
        .json(&json!({ "query": query }))
        .sent()
        .await;
    let status = response.status();
    (status, response.text().await.expect("body"))
}

/// A literal for an argument of the named input type that no object has.
fn missing_value(type_name: &str) -> &'static str {
    match type_name {
        "Int" => "0",
        "Boolean" => "false",
        _ => "\"finnsinte\"",
    }
}

fn named(ty: &Value) -> &Value {
    if ty["ofType"].is_null() {
        ty
    } else {
        named(&ty["ofType"])
    }
}

#[tokio::test]
async fn every_nullable_root_field_that_fails_is_null_and_keeps_its_siblings() {
    let app = spawn_app().await;
    let schema = app
        .query(
            "{ __schema { queryType { fields { name
                type { kind name ofType { kind name } }
                args { name type { kind name ofType { kind name ofType { kind name } } } } } } } }",
            json!({}),
        )
        .await;
    let fields = schema["__schema"]["queryType"]["fields"]
        .as_array()
        .expect("fields")
        .clone();
    let mut failed = Vec::new();
    for field in fields.iter().filter(|f| f["type"]["kind"] != "NON_NULL") {
        let name = field["name"].as_str().expect("name");
        // Every argument given, with a value nothing matches: `municipality` then fails
        // (it wants exactly one of `code` and `slug`), `promise` does not find its id.
        let args: Vec<String> = field["args"]
            .as_array()
            .expect("args")
            .iter()
            .map(|a| {
                let ty = named(&a["type"]);
                let value = missing_value(ty["name"].as_str().unwrap_or_default());
                if a["type"]["kind"] == "LIST"
                    || (a["type"]["kind"] == "NON_NULL" && a["type"]["ofType"]["kind"] == "LIST")
                {
                    format!("{}: [{value}]", a["name"].as_str().expect("name"))
                } else {
                    format!("{}: {value}", a["name"].as_str().expect("name"))
                }
            })
            .collect();
        let args = if args.is_empty() {
            String::new()
        } else {
            format!("({})", args.join(", "))
        };
        let composite = !matches!(
            named(&field["type"])["kind"].as_str(),
            Some("SCALAR" | "ENUM")
        );
        let selection = if composite { "{ __typename }" } else { "" };
        let together = format!(
            "{{ before: municipalities {{ totalCount }} {name}{args} {selection} after: promises {{ totalCount }} }}"
        );
        let (_, raw) = post_raw(&app, &together).await;
        let body: Value = serde_json::from_str(&raw).expect("json");
        let data = body["data"]
            .as_object()
            .unwrap_or_else(|| panic!("{name}: {raw}"));
        assert!(data.contains_key(name), "{name}: the key is missing: {raw}");
        assert_eq!(
            key_order(&raw, "/data"),
            ["before", name, "after"],
            "{name}: {raw}"
        );
        assert!(data["before"]["totalCount"].is_number(), "{raw}");
        assert!(data["after"]["totalCount"].is_number(), "{raw}");
        let errored = body["errors"]
            .as_array()
            .is_some_and(|errors| errors.iter().any(|e| e["path"] == json!([name])));
        if errored {
            assert!(data[name].is_null(), "{name}: {raw}");
            failed.push(name.to_owned());
            // Alone, too: `data` is an object with the key, never `null`.
            let (_, raw) = post_raw(&app, &format!("{{ {name}{args} {selection} }}")).await;
            let body: Value = serde_json::from_str(&raw).expect("json");
            assert_eq!(body["data"], json!({ name: null }), "{name}: {raw}");
            assert!(!error_codes(&body).is_empty(), "{raw}");
        }
    }
    // The check above is only worth something when fields actually failed.
    assert!(
        failed.iter().any(|f| f == "municipality") && failed.iter().any(|f| f == "promise"),
        "{failed:?}"
    );
}

#[tokio::test]
async fn the_issue_example_and_nested_fields_follow_the_specification() {
    let app = spawn_app().await;
    let body = app
        .graphql(
            r#"{ municipality(slug: "finnsinte") { name } municipalities { totalCount } }"#,
            json!({}),
        )
        .await;
    assert!(body["data"]["municipality"].is_null(), "{body}");
    assert!(
        body["data"]
            .as_object()
            .is_some_and(|d| d.contains_key("municipality")),
        "{body}"
    );
    assert_eq!(error_codes(&body), ["NOT_FOUND"]);

    // A nested non-null field fails (`first` over the page limit): `promises` is
    // `PromiseConnection!`, so the null travels to `municipality`, the nearest nullable
    // parent, and stops there.
    let body = app
        .graphql(
            r#"{ municipality(slug: "almhult") { name promises(first: 500) { totalCount } }
                 municipalities { totalCount } }"#,
            json!({}),
        )
        .await;
    assert!(body["data"]["municipality"].is_null(), "{body}");
    assert!(
        body["data"]["municipalities"]["totalCount"].is_number(),
        "{body}"
    );
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    assert_eq!(
        body["errors"][0]["path"],
        json!(["municipality", "promises"])
    );

    // Without a nullable parent the null reaches `data`.
    let body = app
        .graphql(
            "{ municipalities { nodes { promises(first: 500) { totalCount } } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"], Value::Null, "{body}");
    let codes = error_codes(&body);
    assert!(
        !codes.is_empty() && codes.iter().all(|c| c == "BAD_USER_INPUT"),
        "{body}"
    );
}

#[tokio::test]
async fn keys_follow_the_selection_set_at_the_root_and_nested() {
    let app = spawn_app().await;
    // Fields that wait on a DataLoader batch (focus areas, contacts) finish after plain
    // ones; async-graphql wrote keys as they finished.
    let query = r#"{
        c: municipalities(first: 2) { totalCount nodes { slug name code } }
        a: promises(first: 3) { nodes { focusAreas { title commitments { text } } title id } totalCount }
        b: municipality(slug: "almhult") { contacts { name } policeAreas { name } slug county code name }
    }"#;
    for _ in 0..5 {
        let (status, raw) = post_raw(&app, query).await;
        assert_eq!(status, StatusCode::OK, "{raw}");
        assert_eq!(key_order(&raw, "/data"), ["c", "a", "b"], "{raw}");
        assert_eq!(
            key_order(&raw, "/data/b"),
            ["contacts", "policeAreas", "slug", "county", "code", "name"],
            "{raw}"
        );
        assert_eq!(key_order(&raw, "/data/a"), ["nodes", "totalCount"], "{raw}");
        let value: Value = serde_json::from_str(&raw).expect("json");
        let first = value["data"]["a"]["nodes"][0].to_string();
        let at = |k: &str| first.find(&format!("\"{k}\":")).expect("key");
        assert!(
            at("focusAreas") < at("title") && at("title") < at("id"),
            "{raw}"
        );
    }
    // Fragments keep their place too (CollectFields), and a repeated key keeps its first.
    let (_, raw) = post_raw(
        &app,
        r#"{ b: municipality(slug: "almhult") { code ...M name code } }
           fragment M on Municipality { slug county }"#,
    )
    .await;
    assert_eq!(
        key_order(&raw, "/data/b"),
        ["code", "slug", "county", "name"],
        "{raw}"
    );
}

#[tokio::test]
async fn request_errors_have_no_data_entry_with_the_graphql_response_type() {
    let app = spawn_app().await;
    let send = |query: String| {
        app.post("/graphql")
            .header(header::ACCEPT, "application/graphql-response+json")
            .json(&json!({ "query": query }))
            .send()
    };
    let deep = format!(
        "{{ municipalities {{ {}totalCount{} }} }}",
        "nodes { promises { nodes { municipalities { ".repeat(4),
        " } } } }".repeat(4)
    );
    let aliases = format!(
        "{{ {} }}",
        (0..300)
            .map(|i| format!("a{i}: __typename"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let cases = [
        ("{ municipalities { ", "GRAPHQL_PARSE_FAILED"),
        ("{ nosuchfield }", "GRAPHQL_VALIDATION_FAILED"),
        (deep.as_str(), "DEPTH_LIMIT_EXCEEDED"),
        (aliases.as_str(), "ALIAS_LIMIT_EXCEEDED"),
        (
            "{ municipalities(first: \"x\") { totalCount } }",
            "BAD_USER_INPUT",
        ),
        (
            "{ municipality(slug: \"a\u{1}\") { name } }",
            "BAD_USER_INPUT",
        ),
    ];
    for (query, code) in cases {
        let response = send(query.to_owned()).await.expect("sent");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        let body: Value = response.json().await.expect("json");
        assert!(body.get("data").is_none(), "{query}: {body}");
        assert_eq!(error_codes(&body), [code], "{query}: {body}");
    }
    // Execution began: `data` is there.
    let response = send(r#"{ municipality(slug: "finnsinte") { name } }"#.to_owned())
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["data"], json!({ "municipality": null }));
}

#[tokio::test]
async fn get_accepts_the_standard_operation_name_parameter() {
    let app = spawn_app().await;
    let document = r#"query A { a: municipality(slug: "almhult") { name } }
                      query B { b: municipality(slug: "asele") { name } }"#;
    for parameter in ["operationName", "operation_name"] {
        let response = app
            .get("/graphql")
            .query(&[("query", document), (parameter, "B")])
            .sent()
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{parameter}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(
            body["data"],
            json!({ "b": { "name": "Åsele" } }),
            "{parameter}"
        );
    }
}

const PROMISE_FIELDS: &str = "id key title validFrom validTo status summary situation goal \
    followUp renewalNote signedOn signedPlace progress createdAt updatedAt \
    policeArea { id name } \
    sources { title publisher url updatedOn } sections { heading body } \
    contacts { id name role organisationKind organisation phone isPlaceholder }";

const COMMITMENT_FIELDS: &str = "id text responsible status position achievedQuantity progress \
    target { quantity unit period totalQuantity } \
    followUps(first: 10) { totalCount nodes { id date text achievedQuantity } }";

/// The page a resident app shows for one municipality, in one request.
fn municipality_page() -> String {
    format!(
        "query MunicipalityPage($slug: String) {{ municipality(slug: $slug) {{
            id code name slug county policeAreas {{ id name }}
            contacts {{ id name role organisationKind organisation phone isPlaceholder }}
            promises(first: 20) {{ totalCount pageInfo {{ hasNextPage endCursor }} nodes {{
                {PROMISE_FIELDS}
                signatories {{ id name title organisation }}
                focusAreas {{ id title description position progress
                    commitments {{ {COMMITMENT_FIELDS} }} }}
                commitments {{ {COMMITMENT_FIELDS} }}
            }} }}
        }} }}"
    )
}

/// The first 50 promises with their municipalities, focus areas and commitments.
fn promise_list() -> String {
    "query PromiseList { promises(first: 50) { totalCount pageInfo { hasNextPage endCursor }
        nodes { id key title status summary validFrom validTo progress
            municipalities { id name slug code county }
            focusAreas { id title progress commitments { id text status progress } }
            commitments { id text responsible status progress } } } }"
        .to_owned()
}

#[tokio::test]
async fn the_pages_apps_build_pass_the_shipped_cost_limit_and_abuse_does_not() {
    let app = e2e::spawn_app_with(e2e::tips::shipped_limits).await;
    for (name, query, variables) in [
        (
            "municipality page",
            municipality_page(),
            json!({ "slug": "almhult" }),
        ),
        ("promise list", promise_list(), json!({})),
    ] {
        let response = app
            .post("/graphql")
            .json(
                &json!({ "query": query, "variables": variables, "extensions": { "cost": true } }),
            )
            .sent()
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{name}");
        let body: Value = response.json().await.expect("json");
        assert!(body.get("errors").is_none(), "{name}: {body}");
        let cost = &body["extensions"]["cost"];
        let requested = cost["requestedQueryCost"].as_u64().expect("cost");
        let maximum = cost["maximumAvailable"].as_u64().expect("limit");
        println!("{name}: cost {requested} of {maximum}");
        assert!(requested <= maximum && requested > 1000, "{name}: {cost}");
    }
    // The README's worked example.
    let body: Value = app.post("/graphql")
        .json(&json!({ "query": "{ promises(first: 10) { totalCount nodes { title } } }", "extensions": { "cost": true } }))
        .json_body()
        .await;
    assert_eq!(
        body["extensions"]["cost"]["requestedQueryCost"], 31,
        "{body}"
    );
    // Without asking, no cost.
    let body = app
        .graphql("{ municipalities { totalCount } }", json!({}))
        .await;
    assert!(body.get("extensions").is_none(), "{body}");

    // Abuse: a hundred municipalities with a hundred promises each, in full.
    let abusive = format!(
        "{{ municipalities(first: 100) {{ nodes {{ promises(first: 100) {{ nodes {{ {PROMISE_FIELDS} }} }} }} }} }}"
    );
    let response = app
        .post("/graphql")
        .json(&json!({ "query": abusive }))
        .sent()
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("json");
    assert_eq!(error_codes(&body), ["COMPLEXITY_LIMIT_EXCEEDED"], "{body}");
    let extensions = &body["errors"][0]["extensions"];
    let limit = extensions["limit"].as_u64().expect("limit");
    assert_eq!(
        limit,
        server::config::Config::default().graphql_max_complexity as u64
    );
    assert!(extensions["cost"].as_u64().expect("cost") > limit, "{body}");
}

#[tokio::test]
async fn every_limit_error_carries_its_numbers() {
    let app = e2e::spawn_app_with(e2e::tips::shipped_limits).await;
    let defaults = server::config::Config::default();
    let post = |body: Value| app.post("/graphql").json(&body).send();
    let depth = format!(
        "{{ municipalities {{ nodes {{ {}name{} }} }} }}",
        "promises { nodes { municipalities { ".repeat(3),
        " } } }".repeat(3)
    );
    let aliases: String = (0..20).map(|i| format!(" a{i}: __typename")).collect();
    let directives: String = (0..12).map(|_| " __typename @include(if: true)").collect();
    let tokens = format!("{{ {} }}", "__typename ".repeat(2100));
    let cases: Vec<(Value, &str, &str, u64)> = vec![
        (
            json!({ "query": depth }),
            "DEPTH_LIMIT_EXCEEDED",
            "depth",
            defaults.graphql_max_depth as u64,
        ),
        (
            json!({ "query": format!("{{{aliases} }}") }),
            "ALIAS_LIMIT_EXCEEDED",
            "aliases",
            defaults.graphql_max_aliases as u64,
        ),
        (
            json!({ "query": format!("{{{directives} }}") }),
            "DIRECTIVE_LIMIT_EXCEEDED",
            "directives",
            defaults.graphql_max_directives as u64,
        ),
        (
            json!({ "query": tokens }),
            "TOKEN_LIMIT_EXCEEDED",
            "tokens",
            defaults.graphql_max_tokens as u64,
        ),
        (
            Value::Array(vec![
                json!({ "query": "{ __typename }" });
                defaults.graphql_max_batch + 1
            ]),
            "BATCH_LIMIT_EXCEEDED",
            "operations",
            defaults.graphql_max_batch as u64,
        ),
        (
            json!({ "query": format!("{{ __typename }} # {}", "x".repeat(defaults.http_max_body_bytes)) }),
            "PAYLOAD_TOO_LARGE",
            "size",
            defaults.http_max_body_bytes as u64,
        ),
    ];
    for (body, code, measure, limit) in cases {
        let response = post(body).await.expect("sent");
        let body: Value = response.json().await.expect("json");
        assert_eq!(error_codes(&body), [code], "{body}");
        let extensions = &body["errors"][0]["extensions"];
        assert_eq!(extensions["limit"].as_u64(), Some(limit), "{code}: {body}");
        let measured = extensions[measure]
            .as_u64()
            .unwrap_or_else(|| panic!("{code}: {body}"));
        assert!(measured > limit, "{code}: {body}");
    }
}

#[tokio::test]
async fn automatic_persisted_queries_register_once_then_run_by_hash_over_get() {
    use sha2::Digest;
    let app = spawn_app().await;
    let query = r#"query Almhult { municipality(slug: "almhult") { name code } }"#;
    let hash = format!("{:x}", sha2::Sha256::digest(query.as_bytes()));
    let persisted = |hash: &str| json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let post = |body: Value| app.post("/graphql").json(&body).send();

    // Unknown hash: the client is told to send the document.
    let body: Value = post(json!({ "extensions": persisted(&hash) }))
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(error_codes(&body), ["PERSISTED_QUERY_NOT_FOUND"], "{body}");
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");

    // A document with a hash that is not its own is refused and not registered.
    let other = format!("{:x}", sha2::Sha256::digest(b"{ __typename }"));
    let body: Value = post(json!({ "query": query, "extensions": persisted(&other) }))
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(error_codes(&body), ["BAD_REQUEST"], "{body}");
    let body: Value = post(json!({ "extensions": persisted(&other) }))
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(error_codes(&body), ["PERSISTED_QUERY_NOT_FOUND"], "{body}");

    // The document with its hash registers it.
    let body: Value = post(json!({ "query": query, "extensions": persisted(&hash) }))
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(body["data"]["municipality"]["code"], "0765", "{body}");

    // Afterwards the hash alone works, over POST and over GET, with the cache's ETag.
    let body: Value = post(json!({ "extensions": persisted(&hash) }))
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(body["data"]["municipality"]["name"], "Älmhult", "{body}");
    let extensions = persisted(&hash).to_string();
    let get = || {
        app.get("/graphql").query(&[
            ("extensions", extensions.as_str()),
            ("operationName", "Almhult"),
        ])
    };
    let first = get().sent().await;
    assert_eq!(first.status(), StatusCode::OK);
    let etag = first.headers().get(header::ETAG).cloned().expect("an ETag");
    let body: Value = first.json().await.expect("json");
    assert_eq!(body["data"]["municipality"]["code"], "0765", "{body}");
    let again = get().header(header::IF_NONE_MATCH, etag).sent().await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    // A malformed `persistedQuery` is a bad request.
    let body: Value =
        post(json!({ "extensions": { "persistedQuery": { "version": 2, "sha256Hash": hash } } }))
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
    assert_eq!(error_codes(&body), ["BAD_REQUEST"], "{body}");
}

#[tokio::test]
async fn messages_follow_accept_language_and_input_errors_carry_their_parameters() {
    let app = e2e::spawn_app_with(|c| c.delivery_worker = false).await;
    let send = |language: Option<&'static str>, body: Value| {
        let mut request = app.post("/graphql").json(&body);
        if let Some(language) = language {
            request = request.header(header::ACCEPT_LANGUAGE, language);
        }
        request.send()
    };
    let too_many = json!({ "query": "{ municipalities(first: 500) { totalCount } }" });
    let english = json_of(send(None, too_many.clone())).await;
    let swedish: Value = send(Some("sv-SE,sv;q=0.9,en;q=0.5"), too_many)
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(
        english["errors"][0]["message"],
        "`first` is 500, but a page holds at most 100 items"
    );
    assert_eq!(
        swedish["errors"][0]["message"],
        "Värdet för `first` är ogiltigt. Det ska vara mellan 0 och 100."
    );
    for body in [&english, &swedish] {
        let extensions = &body["errors"][0]["extensions"];
        assert_eq!(extensions["code"], "BAD_USER_INPUT");
        assert_eq!(extensions["field"], "first");
        assert_eq!(
            (extensions["min"].as_u64(), extensions["max"].as_u64()),
            (Some(0), Some(100))
        );
    }

    // Other errors, executed and refused before execution.
    let not_found = json!({ "query": r#"{ municipality(slug: "finnsinte") { name } }"# });
    let body = json_of(send(Some("sv"), not_found.clone())).await;
    assert_eq!(
        body["errors"][0]["message"],
        "Det du frågade efter finns inte."
    );
    let body = json_of(send(Some("en"), not_found)).await;
    assert_eq!(body["errors"][0]["message"], "municipality not found");
    let aliases: String = (0..20).map(|i| format!(" a{i}: __typename")).collect();
    let body = json_of(send(
        Some("sv"),
        json!({ "query": format!("{{{aliases} }}") }),
    ))
    .await;
    assert_eq!(
        body["errors"][0]["message"],
        "Dokumentet använder 20 alias; högst 15 är tillåtna."
    );

    // The tip form: its rules speak Swedish to residents in any language, with `min` and
    // `max` for apps that write their own; the notice is Swedish.
    let tip = |message: &str| {
        json!({
            "query": "mutation($i: SubmitTipInput!) { submitTip(input: $i) { notice } }",
            "variables": { "i": { "municipality": "mellerud", "kind": "IDEA", "message": message } }
        })
    };
    for language in [None, Some("en"), Some("sv")] {
        let body = json_of(send(language, tip("Kort"))).await;
        let error = &body["errors"][0];
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body}");
        assert_eq!(error["extensions"]["field"], "message");
        assert_eq!(error["extensions"]["min"], 10, "{body}");
        assert_eq!(error["extensions"]["max"], 5000, "{body}");
        assert_eq!(error["message"], "Meddelandet måste vara minst 10 tecken.");
    }
    let body = json_of(send(
        Some("en"),
        tip("Fler bänkar vid torget i Mellerud, tack."),
    ))
    .await;
    let notice = body["data"]["submitTip"]["notice"]
        .as_str()
        .expect("notice");
    assert!(notice.contains("ring 112"), "{notice}");
}
