//! Production hardening over real HTTP: response headers, CORS, compression, HTTP caching
//! and cache invalidation across replicas, metrics, readiness, request limits, timeouts and
//! the introspection switch.

use e2e::{JsonBody, Sent, error_codes, spawn_app, spawn_app_with};
use entity::{StaffRole, delivery};
use reqwest::{StatusCode, header};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde_json::{Value, json};

const PROMISES: &str = "{ promises(first: 100) { nodes { id key title } } }";

fn get_url(app: &e2e::TestApp, query: &str) -> String {
    let mut url = reqwest::Url::parse(&app.url("/graphql")).expect("url");
    url.query_pairs_mut().append_pair("query", query);
    url.to_string()
}

#[tokio::test]
async fn every_response_has_a_request_id_and_security_headers() {
    // The test client plays the trusted proxy, whose request ids are kept.
    let app = spawn_app_with(|c| c.trusted_proxies = "127.0.0.1/32".into()).await;
    for path in ["/graphql?query=%7B__typename%7D", "/healthz", "/nope"] {
        let response = app.get(path).sent().await;
        let h = response.headers();
        let id = h
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .expect("request id");
        assert_eq!(id.len(), 36, "a UUID: {id}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert!(h.contains_key("content-security-policy"));
        assert!(h.contains_key("strict-transport-security"));
    }
    // A request id chosen by a proxy in front is kept.
    let response = app
        .get("/healthz")
        .header("x-request-id", "from-the-proxy-1")
        .sent()
        .await;
    assert_eq!(response.headers()["x-request-id"], "from-the-proxy-1");
    // Two requests get two ids.
    let a = app.get("/healthz").sent().await;
    let b = app.get("/healthz").sent().await;
    assert_ne!(a.headers()["x-request-id"], b.headers()["x-request-id"]);
}

#[tokio::test]
async fn cors_allows_only_the_configured_origins() {
    let preflight = |app: &e2e::TestApp, origin: &str| {
        app.http
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header(header::ORIGIN, origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    // Default: no cross-origin access at all.
    let closed = spawn_app().await;
    let response = preflight(&closed, "https://app.kommun.example")
        .await
        .expect("sent");
    assert!(
        !response
            .headers()
            .contains_key("access-control-allow-origin")
    );

    let open = spawn_app_with(|c| {
        c.cors_allowed_origins = "https://app.kommun.example, http://localhost:3000".into();
    })
    .await;
    let response = preflight(&open, "https://app.kommun.example")
        .await
        .expect("sent");
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://app.kommun.example"
    );
    let allowed_methods = response.headers()["access-control-allow-methods"]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(allowed_methods.contains("POST"), "{allowed_methods}");
    let other = preflight(&open, "https://evil.example")
        .await
        .expect("sent");
    assert!(!other.headers().contains_key("access-control-allow-origin"));

    // A bad origin in the configuration stops the server from starting.
    let dir = tempfile::tempdir().expect("dir");
    let mut config = e2e::test_config(dir.path()).await.expect("config");
    config.cors_allowed_origins = "app.kommun.example/path".into();
    let err = server::app::Application::build(&config)
        .await
        .err()
        .expect("refused");
    assert!(
        format!("{err:#}").contains("CORS_ALLOWED_ORIGINS"),
        "{err:#}"
    );
}

#[tokio::test]
async fn large_responses_are_compressed() {
    let app = spawn_app().await;
    let query = "{ promises(first: 100) { nodes { title summary situation goal } } }";
    let response = app
        .post("/graphql")
        .header(header::ACCEPT_ENCODING, "gzip")
        .json(&json!({ "query": query }))
        .sent()
        .await;
    assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
    let compressed = response.bytes().await.expect("body");
    let plain = app
        .post("/graphql")
        .json(&json!({ "query": query }))
        .sent()
        .await;
    assert!(!plain.headers().contains_key(header::CONTENT_ENCODING));
    let plain = plain.bytes().await.expect("body");
    assert!(
        compressed.len() * 2 < plain.len(),
        "{} vs {}",
        compressed.len(),
        plain.len()
    );
    // Small answers are left alone.
    let small = app
        .get("/healthz")
        .header(header::ACCEPT_ENCODING, "gzip")
        .sent()
        .await;
    assert!(!small.headers().contains_key(header::CONTENT_ENCODING));
}

#[tokio::test]
async fn public_get_queries_are_cacheable_and_revalidate_with_etags() {
    let app = spawn_app().await;
    let url = get_url(&app, PROMISES);
    let first = app.http.get(&url).sent().await;
    assert_eq!(first.status(), StatusCode::OK);
    let etag = first.headers()[header::ETAG].clone();
    assert_eq!(first.headers()[header::CACHE_CONTROL], "public, max-age=60");
    let body: Value = first.json().await.expect("json");
    assert!(
        body["data"]["promises"]["nodes"]
            .as_array()
            .is_some_and(|n| n.len() == 4)
    );

    // The client's copy is still good: 304 without a body.
    let again = app
        .http
        .get(&url)
        .header(header::IF_NONE_MATCH, etag.clone())
        .sent()
        .await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.bytes().await.expect("body").is_empty());

    // Staff answers and POSTs are never stored by caches.
    let token = app.staff_token(StaffRole::Admin, &[], None).await;
    let staff = app.http.get(&url).bearer_auth(&token).sent().await;
    assert_eq!(staff.headers()[header::CACHE_CONTROL], "no-store");
    assert!(!staff.headers().contains_key(header::ETAG));
    let post = app
        .post("/graphql")
        .json(&json!({ "query": PROMISES }))
        .sent()
        .await;
    assert_eq!(post.headers()[header::CACHE_CONTROL], "no-store");
    // Queries that read tips are never cached.
    let status = app
        .http
        .get(get_url(
            &app,
            "{ tipStatus(reference: \"MEL-AAAA-AA\", statusToken: \"x\") { status } }",
        ))
        .sent()
        .await;
    assert!(!status.headers().contains_key(header::ETAG));

    // After an edit, the same GET has a new ETag and the new content at once.
    let id = body["data"]["promises"]["nodes"][0]["id"].clone();
    app.query_as(
        &token,
        "mutation($i: UpdatePromiseInput!) { updatePromise(input: $i) { promise { id } } }",
        json!({ "i": { "id": id, "title": "Ny titel direkt" } }),
    )
    .await;
    let fresh = app
        .http
        .get(&url)
        .header(header::IF_NONE_MATCH, etag.clone())
        .sent()
        .await;
    assert_eq!(fresh.status(), StatusCode::OK);
    assert_ne!(fresh.headers()[header::ETAG], etag);
    let fresh: Value = fresh.json().await.expect("json");
    assert!(fresh.to_string().contains("Ny titel direkt"));
}

#[tokio::test]
async fn a_write_on_one_replica_reaches_the_others_at_their_next_catalogue_poll() {
    let first = spawn_app().await;
    let url = first.database_url.clone();
    let second = spawn_app_with(|c| c.database_url = url.clone()).await;
    // A replica whose next poll is an hour away: what it shows depends only on polling.
    let unpolled = spawn_app_with(|c| {
        c.database_url = url;
        c.catalog_poll_interval_ms = 3_600_000;
    })
    .await;
    // Every replica has the catalogue cached.
    let before = second.query(PROMISES, json!({})).await;
    first.query(PROMISES, json!({})).await;
    unpolled.query(PROMISES, json!({})).await;
    let id = before["promises"]["nodes"][0]["id"].clone();
    let token = first.staff_token(StaffRole::Admin, &[], None).await;
    first
        .query_as(
            &token,
            "mutation($i: UpdatePromiseInput!) { updatePromise(input: $i) { promise { id } } }",
            json!({ "i": { "id": id, "title": "Ändrad på den första servern" } }),
        )
        .await;
    let changed = |d: &serde_json::Value| d.to_string().contains("Ändrad på den första servern");
    // The writer sees it at once.
    assert!(changed(&first.query(PROMISES, json!({})).await));
    // The polling replica sees it after a poll (500 ms by default)...
    let seen = second.query_eventually(PROMISES, json!({}), changed).await;
    assert!(changed(&seen), "the second replica never saw the write");
    // ...and only through the poll: the replica that has not polled still serves its
    // cached catalogue, however long the machine took to get here.
    assert!(
        !changed(&unpolled.query(PROMISES, json!({})).await),
        "a replica saw the write without polling: its cache was never used"
    );
}

#[tokio::test]
async fn metrics_are_exposed_in_prometheus_format() {
    let app = spawn_app_with(|c| {
        c.delivery_worker = false;
        c.metrics_operations = "CatalogueList".into();
    })
    .await;
    app.graphql("query CatalogueList { promises { totalCount } }", json!({}))
        .await;
    app.graphql("{ promises(first: 1000) { totalCount } }", json!({}))
        .await;
    let body = app
        .graphql(
            "mutation($i: SubmitTipInput!) { submitTip(input: $i) { tip { reference } } }",
            json!({ "i": { "municipality": "mellerud", "kind": "IDEA", "message": "Fler bänkar vid torget i Mellerud." } }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let response = app.get("/metrics").sent().await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .expect("text")
            .starts_with("text/plain")
    );
    let text = response.text().await.expect("text");
    for expected in [
        "graphql_requests_total{operation=\"CatalogueList\"",
        "graphql_request_duration_seconds_bucket{operation=\"CatalogueList\"",
        "graphql_errors_total{code=\"BAD_USER_INPUT\"}",
        "tips_total{kind=\"idea\",outcome=\"accepted\"}",
        "outbox_pending ",
        "outbox_oldest_due_age_seconds ",
        "db_pool_connections{state=\"idle\"}",
    ] {
        assert!(text.contains(expected), "missing {expected} in:\n{text}");
    }
    // Two deliveries wait (no worker runs here).
    let pending = text
        .lines()
        .find(|l| l.starts_with("outbox_pending "))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .expect("outbox_pending value");
    assert!(pending >= 1.0, "{pending}");
    // Nothing personal is in there.
    assert!(!text.contains("Fler bänkar"));
}

#[tokio::test]
async fn readiness_reports_a_stuck_outbox_without_failing() {
    let app = spawn_app_with(|c| c.delivery_worker = false).await;
    let ready: Value = app.get("/readyz").json_body().await;
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["outbox"]["status"], "ok");
    assert_eq!(ready["outbox"]["pending"], 0);

    app.graphql(
        "mutation($i: SubmitTipInput!) { submitTip(input: $i) { tip { reference } } }",
        json!({ "i": { "municipality": "almhult", "kind": "TIP", "message": "Trasig belysning i parken vid stationen." } }),
    )
    .await;
    // Pretend the delivery has been due for an hour with nobody sending it.
    for row in delivery::Entity::find().all(&app.db).await.expect("rows") {
        let mut am = row.into_active_model();
        am.next_attempt_at = Set(chrono::Utc::now() - chrono::Duration::hours(1));
        am.update(&app.db).await.expect("update");
    }
    let response = app.get("/readyz").sent().await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "a stuck outbox does not fail readiness"
    );
    let ready: Value = response.json().await.expect("json");
    assert_eq!(ready["outbox"]["status"], "stuck");
    assert!(
        ready["outbox"]["oldestDueAgeSeconds"]
            .as_f64()
            .is_some_and(|s| s >= 3599.0)
    );
}

#[tokio::test]
async fn the_optional_request_limit_answers_429_with_retry_after() {
    let app = spawn_app_with(|c| {
        c.request_limit_per_ip = 3;
        // A day, so no request is refilled while a slow machine runs the test: one
        // every 8 hours.
        c.request_limit_per_ip_window_secs = 86_400;
    })
    .await;
    let first_sent = std::time::Instant::now();
    for _ in 0..3 {
        app.query("{ __typename }", json!({})).await;
    }
    let response = app
        .post("/graphql")
        .json(&json!({ "query": "{ __typename }" }))
        .sent()
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    // When the first of the three has been refilled, rounded up to whole seconds.
    let refill = 86_400 / 3;
    let elapsed = first_sent.elapsed().as_secs();
    assert!(
        (refill - elapsed - 1..=refill).contains(&retry),
        "{retry} s, {elapsed} s after the first request"
    );
    let body: Value = response.json().await.expect("json");
    assert_eq!(error_codes(&body), ["RATE_LIMITED"]);
    // Off by default.
    let unlimited = spawn_app().await;
    for _ in 0..20 {
        unlimited.query("{ __typename }", json!({})).await;
    }
}

#[tokio::test]
async fn slow_requests_time_out_with_their_own_code() {
    let app = spawn_app_with(|c| {
        c.graphql_timeout_ms = 1;
        c.delivery_worker = false;
    })
    .await;
    // Public reads answer from memory well within a millisecond; a staff read goes to
    // the database (token, tips, their deliveries and history) and cannot. A full page
    // of tips makes sure of it: over an empty table a fast machine could answer in time.
    let valid = e2e::tips::validated_idea(&app).await;
    for _ in 0..100 {
        server::service::tips::store(&app.db, b"secret", &valid, None, chrono::Utc::now())
            .await
            .map_err(|e| format!("{e:?}"))
            .expect("stored");
    }
    let token = app.staff_token(entity::StaffRole::Admin, &[], None).await;
    let query = "{ tips(first: 100) { totalCount nodes { reference deliveries { status } history { note } } } }";
    let response = app
        .post("/graphql")
        .bearer_auth(&token)
        .json(&json!({ "query": query }))
        .sent()
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.expect("json");
    assert_eq!(error_codes(&body), ["TIMEOUT"]);
}

#[tokio::test]
async fn introspection_and_suggestions_can_be_switched_off() {
    let open = spawn_app().await;
    let body = open.graphql("{ promisez { totalCount } }", json!({})).await;
    assert!(body.to_string().contains("Did you mean"), "{body}");
    open.query("{ __schema { queryType { name } } }", json!({}))
        .await;

    let closed = spawn_app_with(|c| c.graphql_introspection = false).await;
    let body = closed
        .graphql("{ __schema { types { name } } }", json!({}))
        .await;
    assert_eq!(error_codes(&body), ["INTROSPECTION_DISABLED"]);
    let body = closed
        .graphql("{ __type(name: \"Promise\") { name } }", json!({}))
        .await;
    assert_eq!(error_codes(&body), ["INTROSPECTION_DISABLED"]);
    let body = closed
        .graphql("{ promisez { totalCount } }", json!({}))
        .await;
    assert_eq!(error_codes(&body), ["GRAPHQL_VALIDATION_FAILED"]);
    assert!(!body.to_string().contains("Did you mean"), "{body}");
    // Ordinary queries still work.
    closed.query("{ promises { totalCount } }", json!({})).await;
}
