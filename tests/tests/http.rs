//! GraphQL over HTTP and the health endpoints.

use e2e::{Sent, spawn_app};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

#[tokio::test]
async fn get_queries_work_and_mutations_are_refused() {
    let app = spawn_app().await;
    let response = app
        .get("/graphql")
        .query(&[("query", "{ municipality(slug: \"asele\") { name } }")])
        .sent()
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["data"]["municipality"]["name"], "Åsele");

    let with_variables = app
        .get("/graphql")
        .query(&[
            (
                "query",
                "query($s: String) { municipality(slug: $s) { code } }",
            ),
            ("variables", r#"{"s":"almhult"}"#),
        ])
        .sent()
        .await;
    let body: Value = with_variables.json().await.expect("json");
    assert_eq!(body["data"]["municipality"]["code"], "0765");

    let mutation = app
        .get("/graphql")
        .query(&[("query", "mutation { submitTip { reference } }")])
        .sent()
        .await;
    assert_eq!(mutation.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        mutation.headers().get(header::ALLOW).map(|v| v.as_bytes()),
        Some(&b"POST"[..])
    );
    let body: Value = mutation.json().await.expect("json");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "METHOD_NOT_ALLOWED"
    );
}

#[tokio::test]
async fn graphql_response_media_type_is_negotiated() {
    let app = spawn_app().await;
    let send = |accept: &'static str, query: &'static str| {
        app.post("/graphql")
            .header(header::ACCEPT, accept)
            .json(&json!({ "query": query }))
            .send()
    };
    let ok = send(
        "application/graphql-response+json, application/json;q=0.9",
        "{ municipalities { totalCount } }",
    )
    .await
    .expect("sent");
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(
        ok.headers()[header::CONTENT_TYPE],
        "application/graphql-response+json"
    );

    let invalid = send("application/graphql-response+json", "{ nosuchfield }")
        .await
        .expect("sent");
    assert_eq!(invalid.status(), StatusCode::BAD_REQUEST);
    let body: Value = invalid.json().await.expect("json");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );

    // Classic clients get application/json and 200 even for request errors.
    let classic = send("application/json", "{ nosuchfield }")
        .await
        .expect("sent");
    assert_eq!(classic.status(), StatusCode::OK);
    assert_eq!(classic.headers()[header::CONTENT_TYPE], "application/json");
}

#[tokio::test]
async fn graphiql_is_served_to_browsers_and_can_be_switched_off() {
    let app = spawn_app().await;
    let page = app
        .get("/graphql")
        .header(header::ACCEPT, "text/html")
        .sent()
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .expect("text")
            .to_lowercase()
            .contains("graphiql")
    );

    let off = e2e::spawn_app_with(|c| c.graphiql = false).await;
    let page = off
        .get("/graphql")
        .header(header::ACCEPT, "text/html")
        .sent()
        .await;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    let body: Value = page.json().await.expect("json");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
}

#[tokio::test]
async fn malformed_requests_get_clear_errors() {
    let app = spawn_app().await;
    let post = |content_type: &'static str, body: Vec<u8>| {
        app.post("/graphql")
            .header(header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
    };
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "text/plain",
            b"{ municipalities { totalCount } }".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "application/json",
            b"{\"query\": ".to_vec(),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "application/json",
            b"[1,2,3]".to_vec(),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "application/json",
            vec![b'"', 0xff, 0xfe, b'"'],
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            "application/json",
            format!("{{\"query\": \"{}\"}}", "a".repeat(70 * 1024)).into_bytes(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
        ),
    ];
    for (content_type, body, status, code) in cases {
        let response = post(content_type, body).await.expect("sent");
        assert_eq!(response.status(), status, "{code}");
        let json: Value = response.json().await.expect("json error body");
        assert_eq!(json["errors"][0]["extensions"]["code"], code);
    }
    // The server is still fine.
    let data = app
        .query("{ municipalities { totalCount } }", json!({}))
        .await;
    assert_eq!(data["municipalities"]["totalCount"], 6);
}

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let health = app.get("/healthz").sent().await;
    assert_eq!(health.status(), StatusCode::OK);
    let ready = app.get("/readyz").sent().await;
    assert_eq!(ready.status(), StatusCode::OK);
    let body: Value = ready.json().await.expect("json");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["migrations"], "applied");

    // With the database gone, the service is alive but not ready.
    app.db.clone().close().await.expect("closed");
    let ready = app.get("/readyz").sent().await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let health = app.get("/healthz").sent().await;
    assert_eq!(health.status(), StatusCode::OK);
    // Public reads answer from the in-memory snapshot; what needs the database (a tip)
    // fails with INTERNAL, without leaking database details.
    let body = app
        .graphql(
            "mutation($i: SubmitTipInput!) { submitTip(input: $i) { statusToken } }",
            json!({ "i": { "municipality": "mellerud", "kind": "TIP", "message": "Ett tips när databasen är borta." } }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "INTERNAL");
    assert_eq!(body["errors"][0]["message"], "internal server error");
}
