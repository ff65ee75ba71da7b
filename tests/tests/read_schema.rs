//! Anonymous catalogue reads run first on the schema without extensions and go on to the
//! guarded schema when that one cannot answer alone (`graphql::build_read_schema`). One
//! test in its own binary, so the process-wide counters it reads count only its requests.

use e2e::{Sent, spawn_app_with};
use serde_json::{Value, json};

/// The value of `graphql_read_schema_total{outcome="…"}` on `/metrics`.
async fn read_schema_count(app: &e2e::TestApp, outcome: &str) -> u64 {
    let text = app.get("/metrics").sent().await.text().await.expect("text");
    let prefix = format!("graphql_read_schema_total{{outcome=\"{outcome}\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {prefix} in {text}"))
}

async fn post(app: &e2e::TestApp, query: &str, extensions: Value) -> Value {
    app.post("/graphql")
        .json(&json!({ "query": query, "extensions": extensions }))
        .sent()
        .await
        .json()
        .await
        .expect("json")
}

/// Commitments of every focus area of up to 100 promises, with many fields: about 30,000
/// by the cost rules, over a quarter of the default limit (60,000) and under it.
const EXPENSIVE: &str = "{ promises(first: 100) { nodes { id title focusAreas { id title
    commitments { id text responsible status position achievedQuantity progress
      target { quantity unit period totalQuantity } } } } } }";

#[tokio::test]
async fn catalogue_reads_answer_without_extensions_and_fall_back_for_errors_and_cost() {
    let app = spawn_app_with(|c| {
        c.delivery_worker = false;
        c.graphql_max_complexity = server::config::Config::default().graphql_max_complexity;
    })
    .await;
    let limit = server::config::Config::default().graphql_max_complexity as u64;

    // An ordinary page: answered by the read schema, the same answer as the guarded one
    // gives (asking for the cost sends a request to the guarded schema, uncached).
    let page = "{ municipalities(first: 5) { nodes { name slug promises { nodes { title
        focusAreas { title commitments { text responsible } } } } } } }";
    let read = post(&app, page, json!({})).await;
    assert!(read.get("errors").is_none(), "{read}");
    assert!(
        !read["data"]["municipalities"]["nodes"]
            .as_array()
            .expect("nodes")
            .is_empty(),
        "{read}"
    );
    assert_eq!(read_schema_count(&app, "answered").await, 1);
    assert_eq!(read_schema_count(&app, "fell_back").await, 0);
    let guarded = post(&app, page, json!({ "cost": true })).await;
    assert_eq!(guarded["data"], read["data"]);
    assert!(guarded["extensions"]["cost"]["requestedQueryCost"].is_number());
    assert_eq!(read_schema_count(&app, "answered").await, 1);

    // Over a quarter of the cost limit and within it: the guarded schema answers, in full.
    let cost = post(&app, EXPENSIVE, json!({ "cost": true })).await["extensions"]["cost"]
        ["requestedQueryCost"]
        .as_u64()
        .expect("cost");
    assert!(cost > limit / 4 && cost <= limit, "cost {cost}");
    let expensive = post(&app, &format!("{EXPENSIVE} # not cached"), json!({})).await;
    assert!(expensive.get("errors").is_none(), "{expensive}");
    assert!(
        !expensive["data"]["promises"]["nodes"]
            .as_array()
            .expect("nodes")
            .is_empty()
    );
    assert_eq!(read_schema_count(&app, "fell_back").await, 1);

    // A field error: the client gets the guarded schema's answer, with its code and the
    // failing field as null beside its siblings.
    let failing = post(
        &app,
        r#"{ a: municipalities(first: 1) { totalCount } municipality(slug: "finns-inte") { name } }"#,
        json!({}),
    )
    .await;
    assert_eq!(read_schema_count(&app, "fell_back").await, 2, "{failing}");
    let errors = failing["errors"].as_array().expect("errors");
    assert!(
        errors.iter().all(|e| e["extensions"]["code"].is_string()),
        "{failing}"
    );
    assert!(failing["data"]["a"]["totalCount"].is_number(), "{failing}");
    assert!(failing["data"]["municipality"].is_null(), "{failing}");

    // A validation error never reaches execution on either schema, and is coded.
    let invalid = post(&app, "{ municipalities { nosuchfield } }", json!({})).await;
    assert_eq!(
        invalid["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{invalid}"
    );
    assert_eq!(read_schema_count(&app, "fell_back").await, 3);
    assert_eq!(read_schema_count(&app, "answered").await, 1);
}
