//! The public catalogue over HTTP: every seed fact, pagination, filters, search, collation,
//! node lookup and error codes.

use e2e::{error_codes, spawn_app};
use serde_json::{Value, json};

const PROMISE_FIELDS: &str = r#"
    id key title validFrom validTo status summary situation goal followUp renewalNote signedOn signedPlace
    municipalities { code name slug county }
    policeArea { name municipalities { name } }
    signatories { name title organisation }
    sources { title publisher url updatedOn }
    sections { heading body }
    contacts { name role organisation organisationKind phone isPlaceholder }
    focusAreas { title description position contact { name role }
        commitments { text responsible status target { quantity unit period totalQuantity } progress } }
    commitments { text responsible status target { quantity unit period totalQuantity } achievedQuantity progress }
    progress
"#;

async fn promise_by_key(app: &e2e::TestApp, municipality: &str) -> Value {
    let data = app
        .query(
            &format!("query($m: String) {{ promises(filter: {{municipality: $m}}) {{ nodes {{ {PROMISE_FIELDS} }} }} }}"),
            json!({ "m": municipality }),
        )
        .await;
    let nodes = data["promises"]["nodes"].as_array().expect("nodes").clone();
    assert_eq!(nodes.len(), 1, "one promise for {municipality}: {nodes:#?}");
    nodes[0].clone()
}

fn texts(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .expect("list")
        .iter()
        .map(|v| v[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn mellerud_promise_is_complete() {
    let app = spawn_app().await;
    let p = promise_by_key(&app, "mellerud").await;
    assert_eq!(
        p["title"],
        "Medborgarlöfte för Melleruds kommun 2023 - 2024"
    );
    assert_eq!(
        (p["validFrom"].as_str(), p["validTo"].as_str()),
        (Some("2023-01-01"), Some("2024-12-31"))
    );
    assert_eq!(p["status"], "EXPIRED");
    assert_eq!(p["municipalities"][0]["code"], "1461");
    assert_eq!(p["municipalities"][0]["county"], "Västra Götalands län");
    assert_eq!(
        texts(&p["focusAreas"], "title"),
        ["Brottsaktiva individer", "Trafiksäkerhet"]
    );
    assert!(
        p["focusAreas"][0]["description"]
            .as_str()
            .unwrap_or_default()
            .contains("individ under 21 år")
    );
    assert_eq!(p["focusAreas"][1]["commitments"][0]["responsible"], "JOINT");
    assert!(
        p["followUp"]
            .as_str()
            .unwrap_or_default()
            .contains("minst en gång per år")
    );
    let contacts = &p["contacts"];
    assert_eq!(
        texts(contacts, "name"),
        ["Erika Gustavsson", "Glenn Nordling"]
    );
    assert_eq!(texts(contacts, "phone"), ["010-56 526 86", "0530-181 03"]);
    assert_eq!(contacts[0]["role"], "kommunpolis");
    assert_eq!(contacts[0]["organisationKind"], "POLICE");
    assert_eq!(contacts[1]["organisation"], "Melleruds kommun");
    let sources = &p["sources"];
    assert_eq!(sources.as_array().map(Vec::len), Some(2));
    assert_eq!(sources[1]["updatedOn"], "2023-01-03");
    let headings = texts(&p["sections"], "heading");
    assert!(
        headings.contains(&"Samverkansöverenskommelsen".to_owned()),
        "{headings:?}"
    );
    let all = p["sections"].to_string();
    assert!(all.contains("Grannsamverkan"));
}

#[tokio::test]
async fn sodra_fyrbodal_promise_lists_commitments_by_party() {
    let app = spawn_app().await;
    let p = promise_by_key(&app, "1421").await;
    assert_eq!(p["policeArea"]["name"], "Södra Fyrbodal");
    assert_eq!(
        texts(&p["policeArea"]["municipalities"], "name"),
        ["Orust", "Stenungsund", "Tjörn"]
    );
    assert_eq!(texts(&p["municipalities"], "code").len(), 3);
    assert_eq!(
        (p["validFrom"].as_str(), p["validTo"].as_str()),
        (Some("2023-01-01"), Some("2024-12-31"))
    );
    let commitments = p["commitments"].as_array().expect("commitments");
    let police = commitments
        .iter()
        .filter(|c| c["responsible"] == "POLICE")
        .count();
    let municipality = commitments
        .iter()
        .filter(|c| c["responsible"] == "MUNICIPALITY")
        .count();
    assert_eq!((police, municipality), (5, 6));
    assert!(commitments.iter().any(|c| {
        c["text"]
            .as_str()
            .unwrap_or_default()
            .contains("A-traktorer och EPA-traktorer")
    }));
    assert!(
        p["goal"]
            .as_str()
            .unwrap_or_default()
            .contains("stoppa nyrekrytering")
    );
    assert_eq!(
        texts(&p["signatories"], "name"),
        [
            "Kicki Nordberg",
            "Evike Sandor",
            "Ann-Britt Svedberg",
            "Susanne Arvidsson"
        ]
    );
    assert_eq!(p["signatories"][2]["title"], "tf. kommundirektör");
    assert_eq!(p["focusAreas"], json!([]));

    // Only the police commitments when asked for.
    let data = app
        .query(
            r#"query($id: ID!) { promise(id: $id) { commitments(responsible: POLICE) { responsible } } }"#,
            json!({ "id": p["id"] }),
        )
        .await;
    assert_eq!(
        data["promise"]["commitments"].as_array().map(Vec::len),
        Some(5)
    );
}

#[tokio::test]
async fn almhult_promise_has_focus_areas_signatories_and_contacts() {
    let app = spawn_app().await;
    let p = promise_by_key(&app, "0765").await;
    assert_eq!(p["municipalities"][0]["name"], "Älmhult");
    assert_eq!(p["municipalities"][0]["county"], "Kronobergs län");
    assert_eq!(
        (p["validFrom"].as_str(), p["validTo"].as_str()),
        (Some("2021-01-01"), Some("2021-12-31"))
    );
    assert_eq!(
        (p["signedOn"].as_str(), p["signedPlace"].as_str()),
        (Some("2020-11-30"), Some("Älmhult"))
    );
    assert!(
        p["renewalNote"]
            .as_str()
            .unwrap_or_default()
            .contains("förnyas årligen")
    );
    assert!(
        p["situation"]
            .as_str()
            .unwrap_or_default()
            .contains("ökad upplevd otrygghet")
    );
    assert_eq!(
        texts(&p["focusAreas"], "title"),
        ["Samverkan", "Synlighet", "Trygghet"]
    );
    let counts: Vec<usize> = p["focusAreas"]
        .as_array()
        .expect("focus areas")
        .iter()
        .map(|f| f["commitments"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(counts, [2, 1, 3]);
    assert_eq!(p["focusAreas"][0]["contact"]["name"], "Håkan Helgesson");
    assert_eq!(p["focusAreas"][1]["contact"]["name"], "Staffan Käll");
    assert_eq!(
        texts(&p["signatories"], "name"),
        ["Elizabeth Peltola", "Roger Olsson"]
    );
    assert_eq!(p["signatories"][0]["title"], "Kommunstyrelsens ordförande");
    assert_eq!(p["signatories"][1]["organisation"], "Polismyndigheten");
    assert!(
        p["focusAreas"]
            .to_string()
            .contains("Bo Tryggt 2030-konceptet")
    );
}

#[tokio::test]
async fn asele_promise_has_measurable_targets() {
    let app = spawn_app().await;
    let p = promise_by_key(&app, "asele").await;
    assert_eq!(p["municipalities"][0]["code"], "2463");
    assert_eq!(p["municipalities"][0]["county"], "Västerbottens län");
    assert_eq!(
        (p["validFrom"].as_str(), p["validTo"].as_str()),
        (Some("2017-01-01"), Some("2017-12-31"))
    );
    let commitments = p["commitments"].as_array().expect("commitments");
    assert_eq!(commitments.len(), 4);
    assert_eq!(
        commitments[0]["target"],
        json!({"quantity": 4, "unit": "riktade trafikinsatser", "period": "YEAR", "totalQuantity": 4})
    );
    assert_eq!(commitments[2]["target"]["quantity"], 2);
    assert_eq!(commitments[2]["target"]["unit"], "skolbesök");
    assert_eq!(commitments[3]["responsible"], "JOINT");
    assert_eq!(commitments[0]["achievedQuantity"], 0);
    assert_eq!(commitments[0]["progress"], 0.0);
    assert_eq!(p["progress"], 0.0);
    assert!(
        p["goal"]
            .as_str()
            .unwrap_or_default()
            .contains("förbättra trafiksituationen")
    );
}

#[tokio::test]
async fn contact_emails_are_never_public() {
    let app = spawn_app().await;
    let body = app
        .graphql(
            "{ municipalities { nodes { contacts { email } } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&body), ["GRAPHQL_VALIDATION_FAILED"]);
    let data = app
        .query(
            &format!("{{ municipalities(first: 100) {{ nodes {{ contacts {{ id name role organisation phone }} promises {{ nodes {{ {PROMISE_FIELDS} }} }} }} }} }}"),
            json!({}),
        )
        .await;
    let text = data.to_string();
    assert!(
        !text.contains('@') && !text.contains(".example"),
        "an email leaked: {text}"
    );
}

#[tokio::test]
async fn municipalities_sort_swedish_and_paginate() {
    let app = spawn_app().await;
    let data = app
        .query(
            "{ municipalities { totalCount nodes { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["municipalities"]["totalCount"], 6);
    assert_eq!(
        texts(&data["municipalities"]["nodes"], "name"),
        [
            "Mellerud",
            "Orust",
            "Stenungsund",
            "Tjörn",
            "Åsele",
            "Älmhult"
        ]
    );

    let page = r#"query($after: String) { municipalities(first: 4, after: $after) {
        totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { name } } } }"#;
    let first = app.query(page, json!({ "after": null })).await;
    let conn = &first["municipalities"];
    assert_eq!(conn["pageInfo"]["hasNextPage"], true);
    assert_eq!(conn["pageInfo"]["hasPreviousPage"], false);
    assert_eq!(conn["edges"].as_array().map(Vec::len), Some(4));
    let second = app
        .query(page, json!({ "after": conn["pageInfo"]["endCursor"] }))
        .await;
    let conn = &second["municipalities"];
    assert_eq!(
        texts(
            &conn["edges"]
                .as_array()
                .expect("edges")
                .iter()
                .map(|e| e["node"].clone())
                .collect(),
            "name"
        ),
        ["Åsele", "Älmhult"]
    );
    assert_eq!(conn["pageInfo"]["hasNextPage"], false);
    assert_eq!(conn["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(conn["totalCount"], 6);

    // Past the end: an empty page, not an error.
    let last_cursor = conn["pageInfo"]["endCursor"].clone();
    let beyond = app.query(page, json!({ "after": last_cursor })).await;
    assert_eq!(beyond["municipalities"]["edges"], json!([]));
    assert_eq!(beyond["municipalities"]["pageInfo"]["hasNextPage"], false);

    let zero = app
        .query(
            "{ municipalities(first: 0) { totalCount nodes { name } pageInfo { hasNextPage } } }",
            json!({}),
        )
        .await;
    assert_eq!(zero["municipalities"]["nodes"], json!([]));
    assert_eq!(zero["municipalities"]["pageInfo"]["hasNextPage"], true);
}

#[tokio::test]
async fn page_size_and_cursor_errors() {
    let app = spawn_app().await;
    let body = app
        .graphql("{ municipalities(first: 101) { totalCount } }", json!({}))
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    assert_eq!(body["errors"][0]["extensions"]["field"], "first");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("100")
    );
    let body = app
        .graphql("{ promises(first: -1) { totalCount } }", json!({}))
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    let body = app
        .graphql(
            r#"{ promises(after: "bm90LWEtY3Vyc29y") { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    assert_eq!(body["errors"][0]["extensions"]["field"], "after");
    assert!(
        app.query("{ promises(first: 100) { totalCount } }", json!({}))
            .await["promises"]["totalCount"]
            .as_u64()
            == Some(4)
    );
}

#[tokio::test]
async fn municipality_lookup_by_code_and_slug() {
    let app = spawn_app().await;
    let q = "query($c: String, $s: String) { municipality(code: $c, slug: $s) { code name slug promises { totalCount } contacts { name } policeAreas { name } } }";
    let by_code = app.query(q, json!({ "c": "0765" })).await;
    assert_eq!(by_code["municipality"]["name"], "Älmhult");
    let by_slug = app.query(q, json!({ "s": "almhult" })).await;
    assert_eq!(by_slug, by_code);
    assert_eq!(
        by_code["municipality"]["contacts"].as_array().map(Vec::len),
        Some(2)
    );
    let tjorn = app.query(q, json!({ "s": "tjorn" })).await;
    assert_eq!(
        tjorn["municipality"]["policeAreas"][0]["name"],
        "Södra Fyrbodal"
    );

    let missing = app.graphql(q, json!({ "c": "0180" })).await;
    assert_eq!(error_codes(&missing), ["NOT_FOUND"]);
    assert_eq!(missing["data"]["municipality"], Value::Null);
    let bad = app.graphql(q, json!({ "c": "765" })).await;
    assert_eq!(error_codes(&bad), ["BAD_USER_INPUT"]);
    let both = app.graphql(q, json!({ "c": "0765", "s": "almhult" })).await;
    assert_eq!(error_codes(&both), ["BAD_USER_INPUT"]);
    let neither = app.graphql(q, json!({})).await;
    assert_eq!(error_codes(&neither), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn municipality_search_is_case_insensitive() {
    let app = spawn_app().await;
    let q = "query($s: String) { municipalities(search: $s) { nodes { name } } }";
    for term in ["åsele", "ÅSELE", "Åsele", "asele"] {
        let data = app.query(q, json!({ "s": term })).await;
        assert_eq!(
            texts(&data["municipalities"]["nodes"], "name"),
            ["Åsele"],
            "{term}"
        );
    }
    let data = app.query(q, json!({ "s": "västra götaland" })).await;
    assert_eq!(
        data["municipalities"]["nodes"].as_array().map(Vec::len),
        Some(4)
    );
}

async fn promise_titles(app: &e2e::TestApp, filter: Value) -> Vec<String> {
    let data = app
        .query(
            "query($f: PromiseFilter) { promises(filter: $f) { totalCount nodes { title } } }",
            json!({ "f": filter }),
        )
        .await;
    let titles = texts(&data["promises"]["nodes"], "title");
    assert_eq!(
        data["promises"]["totalCount"].as_u64(),
        Some(titles.len() as u64)
    );
    titles
}

#[tokio::test]
async fn promise_search_is_swedish_aware() {
    let app = spawn_app().await;
    let expected = [
        "Medborgarlöfte för Melleruds kommun 2023 - 2024",
        "Medborgarlöfte mellan polis och kommun",
    ];
    for term in ["trafiksäkerhet", "TRAFIKSÄKERHET", "Trafiksäkerheten"] {
        let mut titles = promise_titles(&app, json!({ "search": term })).await;
        titles.sort();
        assert_eq!(titles, expected, "{term}");
    }
    assert_eq!(
        promise_titles(&app, json!({ "search": "åsele" })).await,
        ["Medborgarlöfte i Åsele"]
    );
    assert_eq!(
        promise_titles(&app, json!({ "search": "GRANNSAMVERKAN landsbygden" })).await,
        ["Medborgarlöfte Älmhult 2021"]
    );
    assert!(
        promise_titles(&app, json!({ "search": "100% _" }))
            .await
            .is_empty()
    );
    assert!(
        promise_titles(&app, json!({ "search": "'; DROP TABLE promise; --" }))
            .await
            .is_empty()
    );
    let body = app
        .graphql(
            "query($f: PromiseFilter) { promises(filter: $f) { totalCount } }",
            json!({ "f": { "search": "x".repeat(201) } }),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    assert_eq!(body["errors"][0]["extensions"]["field"], "filter.search");
}

#[tokio::test]
async fn promise_filters() {
    let app = spawn_app().await;
    assert_eq!(promise_titles(&app, json!({})).await.len(), 4);
    // Newest period first.
    assert_eq!(
        promise_titles(&app, json!({}))
            .await
            .last()
            .map(String::as_str),
        Some("Medborgarlöfte i Åsele")
    );
    assert_eq!(
        promise_titles(&app, json!({ "year": 2021 })).await,
        ["Medborgarlöfte Älmhult 2021"]
    );
    assert_eq!(promise_titles(&app, json!({ "year": 2024 })).await.len(), 2);
    assert!(
        promise_titles(&app, json!({ "year": 2019 }))
            .await
            .is_empty()
    );
    assert_eq!(
        promise_titles(&app, json!({ "activeOn": "2017-06-01" })).await,
        ["Medborgarlöfte i Åsele"]
    );
    assert_eq!(
        promise_titles(&app, json!({ "activeOn": "2023-12-31" }))
            .await
            .len(),
        2
    );
    assert_eq!(
        promise_titles(&app, json!({ "municipality": "1419" })).await,
        ["Medborgarlöfte mellan polis och kommun"]
    );
    assert_eq!(
        promise_titles(&app, json!({ "municipality": "tjorn", "year": 2023 }))
            .await
            .len(),
        1
    );
    assert!(
        promise_titles(&app, json!({ "municipality": "tjorn", "year": 2021 }))
            .await
            .is_empty()
    );
    assert_eq!(
        promise_titles(&app, json!({ "status": "EXPIRED" }))
            .await
            .len(),
        4
    );
    assert!(
        promise_titles(&app, json!({ "status": "ACTIVE" }))
            .await
            .is_empty()
    );
    assert!(
        promise_titles(&app, json!({ "status": "UPCOMING" }))
            .await
            .is_empty()
    );
    // Only Södra Fyrbodal and Älmhult have commitments the municipality carries out alone.
    assert_eq!(
        promise_titles(&app, json!({ "responsible": "MUNICIPALITY" }))
            .await
            .len(),
        2
    );
    assert_eq!(
        promise_titles(&app, json!({ "responsible": "JOINT" }))
            .await
            .len(),
        3
    );

    let body = app
        .graphql(
            "query($f: PromiseFilter) { promises(filter: $f) { totalCount } }",
            json!({ "f": { "municipality": "atlantis" } }),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    assert_eq!(
        body["errors"][0]["extensions"]["field"],
        "filter.municipality"
    );
    let body = app
        .graphql(
            "query($f: PromiseFilter) { promises(filter: $f) { totalCount } }",
            json!({ "f": { "activeOn": "2023-13-01" } }),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    let body = app
        .graphql(
            "query($f: PromiseFilter) { promises(filter: $f) { totalCount } }",
            json!({ "f": { "status": "SOON" } }),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    let body = app
        .graphql(
            "{ promises(filter: {year: 99999}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn node_lookup() {
    let app = spawn_app().await;
    let data = app
        .query(
            "{ promises(filter: {municipality: \"almhult\"}) { nodes { id focusAreas { id commitments { id } } signatories { id } contacts { id } municipalities { id } } } }",
            json!({}),
        )
        .await;
    let p = &data["promises"]["nodes"][0];
    let ids = [
        (p["id"].clone(), "Promise"),
        (p["focusAreas"][0]["id"].clone(), "FocusArea"),
        (
            p["focusAreas"][0]["commitments"][0]["id"].clone(),
            "Commitment",
        ),
        (p["signatories"][0]["id"].clone(), "Signatory"),
        (p["contacts"][0]["id"].clone(), "Contact"),
        (p["municipalities"][0]["id"].clone(), "Municipality"),
    ];
    for (id, typename) in &ids {
        let node = app
            .query(
                "query($id: ID!) { node(id: $id) { __typename id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(node["node"]["__typename"], *typename);
        assert_eq!(node["node"]["id"], *id);
    }
    let all: Vec<Value> = ids.iter().map(|(id, _)| id.clone()).collect();
    let nodes = app
        .query(
            "query($ids: [ID!]!) { nodes(ids: $ids) { __typename } }",
            json!({ "ids": all }),
        )
        .await;
    let names: Vec<&str> = nodes["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["__typename"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(names, ids.iter().map(|(_, t)| *t).collect::<Vec<_>>());

    let promise = app
        .query(
            "query($id: ID!) { promise(id: $id) { title } }",
            json!({ "id": p["id"] }),
        )
        .await;
    assert_eq!(promise["promise"]["title"], "Medborgarlöfte Älmhult 2021");
    // The wrong kind of id for `promise`, garbage, and an id that does not exist.
    let wrong = app
        .graphql(
            "query($id: ID!) { promise(id: $id) { title } }",
            json!({ "id": ids[1].0 }),
        )
        .await;
    assert_eq!(error_codes(&wrong), ["BAD_USER_INPUT"]);
    let garbage = app
        .graphql("{ node(id: \"not-an-id\") { id } }", json!({}))
        .await;
    assert_eq!(error_codes(&garbage), ["BAD_USER_INPUT"]);
    // base64url("Promise:999999")
    let missing = app
        .query("{ node(id: \"UHJvbWlzZTo5OTk5OTk\") { id } }", json!({}))
        .await;
    assert_eq!(missing["node"], Value::Null);
    let missing = app
        .graphql("{ promise(id: \"UHJvbWlzZTo5OTk5OTk\") { id } }", json!({}))
        .await;
    assert_eq!(error_codes(&missing), ["NOT_FOUND"]);
    let too_many: Vec<Value> = (0..101).map(|_| ids[0].0.clone()).collect();
    let body = app
        .graphql(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": too_many }),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn graphql_errors_always_carry_a_code() {
    let app = spawn_app().await;
    let cases = [
        ("{ promises { ", "GRAPHQL_PARSE_FAILED"),
        ("{ nosuchfield }", "GRAPHQL_VALIDATION_FAILED"),
        (
            "{ promises(first: \"ten\") { totalCount } }",
            "BAD_USER_INPUT",
        ),
        (
            "query A { promises { totalCount } } query B { promises { totalCount } }",
            "BAD_REQUEST",
        ),
    ];
    for (query, code) in cases {
        let body = app.graphql(query, json!({})).await;
        assert_eq!(error_codes(&body), [code], "{query}: {body}");
    }
    let body = app
        .graphql(
            "query($n: Int) { promises(first: $n) { totalCount } }",
            json!({ "n": "x" }),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    assert_eq!(body["errors"][0]["extensions"]["field"], "first");
}
