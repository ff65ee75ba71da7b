//! Open-data export: the same content as the API, in JSON and CSV, with ETags.

use e2e::{Sent, TestApp, spawn_app, spawn_app_with, tips::quiet};
use entity::StaffRole;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

/// The whole promise tree, as the export documents it (README, "Open data"): asked of
/// the public API, the export must say the same.
const TREE: &str = r#"{ promises(first: 100) { totalCount nodes { id key title validFrom validTo status summary situation goal followUp renewalNote signedOn signedPlace progress
    municipalities { code name slug county }
    policeArea { name }
    signatories { name title organisation }
    contacts { name role organisation organisationKind phone }
    sources { title publisher url updatedOn }
    focusAreas { title description progress contact { name role organisation phone }
      commitments { text responsible status progress achievedQuantity target { quantity unit period totalQuantity } } }
    commitments { text responsible status progress achievedQuantity target { quantity unit period totalQuantity } } } } }"#;

/// Email addresses anywhere in `text`: an `@` with a local part before it and a dotted
/// domain after it (no regex: the shape is enough to catch any leaked address).
fn email_addresses(text: &str) -> Vec<String> {
    let local = |c: char| c.is_alphanumeric() || "._%+-".contains(c);
    let domain = |c: char| c.is_alphanumeric() || ".-".contains(c);
    let mut found = Vec::new();
    for (at, _) in text.match_indices('@') {
        let before: String = text[..at]
            .chars()
            .rev()
            .take_while(|c| local(*c))
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let after: String = text[at + 1..].chars().take_while(|c| domain(*c)).collect();
        let after = after.trim_end_matches('.');
        let dotted = after
            .split_once('.')
            .is_some_and(|(host, tld)| !host.is_empty() && !tld.is_empty());
        if !before.is_empty() && dotted {
            found.push(format!("{before}@{after}"));
        }
    }
    found
}

#[test]
fn the_address_scan_finds_addresses_and_nothing_else() {
    assert_eq!(
        email_addresses(r#"{"a":"erika.gustavsson@polisen.example","b":"x"}"#),
        ["erika.gustavsson@polisen.example"]
    );
    assert_eq!(
        email_addresses("skriv till a+b@kommun.se."),
        ["a+b@kommun.se"]
    );
    assert!(email_addresses("@ 10 @ kl. 12, @home, user@localhost").is_empty());
}

async fn get_text(app: &TestApp, path: &str) -> String {
    let response = app.get(path).sent().await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.expect("text")
}

#[tokio::test]
async fn json_export_matches_the_api() {
    let app = spawn_app().await;
    let response = app.get("/export/promises.json").sent().await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/json; charset=utf-8"
    );
    let etag = response.headers()[header::ETAG]
        .to_str()
        .expect("etag")
        .to_owned();
    let body: Value = response.json().await.expect("json");
    let promises = body["promises"].as_array().expect("promises");
    let api = app.query(TREE, json!({})).await;
    let served = api["promises"]["nodes"].as_array().expect("nodes");
    assert_eq!(api["promises"]["totalCount"], 4);
    // Same length, same order, every field of every promise down to the targets.
    assert_eq!(promises.len(), served.len(), "as many promises as the API");
    for (exported, served) in promises.iter().zip(served) {
        assert_eq!(exported, served, "promise {}", served["key"]);
    }
    let text = body.to_string();
    assert!(text.contains("riktade trafikinsatser"));
    assert!(text.contains("010-56 526 86"), "public contacts");
    let csv = get_text(&app, "/export/promises.csv").await;
    for (name, export) in [("JSON", &text), ("CSV", &csv)] {
        assert_eq!(
            email_addresses(export),
            Vec::<String>::new(),
            "the {name} export holds email addresses"
        );
    }

    let again = app
        .get("/export/promises.json")
        .header(header::IF_NONE_MATCH, &etag)
        .sent()
        .await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn csv_export_has_a_stable_header_and_one_row_per_commitment() {
    let app = spawn_app().await;
    let response = app.get("/export/promises.csv").sent().await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/csv; charset=utf-8"
    );
    assert!(response.headers().contains_key(header::ETAG));
    let text = response.text().await.expect("utf-8 body");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(
            "promise_id,promise_key,promise_title,municipality_codes,municipalities,valid_from,valid_to,promise_status,promise_progress,focus_area,commitment,responsible,commitment_status,target_quantity,target_unit,target_period,target_total,achieved_quantity,commitment_progress"
        )
    );
    // 2 (Mellerud) + 11 (Södra Fyrbodal) + 6 (Älmhult) + 4 (Åsele) commitments.
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .expect("valid CSV");
    assert_eq!(rows.len(), 23);
    let asele = rows
        .iter()
        .find(|r| r.get(14) == Some("riktade trafikinsatser"))
        .expect("Åsele's target");
    assert_eq!(asele.get(3), Some("2463"));
    assert_eq!(asele.get(4), Some("Åsele"));
    assert_eq!(asele.get(13), Some("4"));
    assert_eq!(asele.get(15), Some("YEAR"));
    let fyrbodal = rows
        .iter()
        .find(|r| r.get(3) == Some("1415; 1421; 1419"))
        .expect("three municipalities");
    assert_eq!(fyrbodal.get(9), Some(""));
    // Same request, same ETag.
    let second = app.get("/export/promises.csv").sent().await;
    let first_etag = app.get("/export/promises.csv").sent().await.headers()[header::ETAG].clone();
    assert_eq!(second.headers()[header::ETAG], first_etag);
}

#[tokio::test]
async fn a_draft_is_in_neither_export_until_published() {
    let app = spawn_app_with(quiet).await;
    let editor = app
        .staff_token(StaffRole::Editor, &["mellerud"], None)
        .await;
    let created = app
        .query_as(
            &editor,
            "mutation($i: CreatePromiseInput!) { createPromise(input: $i) { promise { id } } }",
            json!({ "i": {
                "key": "mellerud-2027-utkast",
                "title": "Utkast till medborgarlöfte Köpmannebro",
                "municipalities": ["1461"],
                "policeArea": "sodra-fyrbodal",
                "validFrom": "2027-01-01",
                "validTo": "2027-12-31",
                "summary": "Ett utkast som ingen utanför kommunen ska se ännu.",
            } }),
        )
        .await;
    let id = created["createPromise"]["promise"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    // A commitment, so that the CSV (a row per commitment) would show it too.
    app.query_as(
        &editor,
        "mutation($i: CreateCommitmentInput!) { createCommitment(input: $i) { commitment { id } } }",
        json!({ "i": { "promiseId": id, "text": "Trygghetsvandringar i Köpmannebro", "responsible": "JOINT" } }),
    )
    .await;
    let in_exports = |json: &str, csv: &str| {
        [json, csv]
            .map(|export| export.contains("mellerud-2027-utkast") || export.contains("Köpmannebro"))
    };
    let json = get_text(&app, "/export/promises.json").await;
    let csv = get_text(&app, "/export/promises.csv").await;
    assert_eq!(
        in_exports(&json, &csv),
        [false, false],
        "a draft was exported"
    );
    let exported: Value = serde_json::from_str(&json).expect("json");
    assert_eq!(exported["promises"].as_array().map(Vec::len), Some(4));

    // Published, the same promise is in both: the check above can see it.
    app.query_as(
        &editor,
        "mutation($id: ID!) { publishPromise(input: {id: $id}) { promise { id } } }",
        json!({ "id": id }),
    )
    .await;
    let json = get_text(&app, "/export/promises.json").await;
    let csv = get_text(&app, "/export/promises.csv").await;
    assert_eq!(in_exports(&json, &csv), [true, true]);
}
