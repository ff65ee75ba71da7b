//! Open-data export: the same content as the API, in JSON and CSV, with ETags.

use e2e::spawn_app;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

#[tokio::test]
async fn json_export_matches_the_api() {
    let app = spawn_app().await;
    let response = app
        .http
        .get(app.url("/export/promises.json"))
        .send()
        .await
        .expect("sent");
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
    assert_eq!(promises.len(), 4);
    let api = app
        .query(
            "{ promises(first: 100) { nodes { id title contacts { name role organisation organisationKind phone } } } }",
            json!({}),
        )
        .await;
    for (exported, served) in promises
        .iter()
        .zip(api["promises"]["nodes"].as_array().expect("nodes"))
    {
        assert_eq!(exported["id"], served["id"]);
        assert_eq!(exported["title"], served["title"]);
        assert_eq!(exported["contacts"], served["contacts"]);
    }
    let text = body.to_string();
    assert!(
        text.contains("minst 4 riktade trafikinsatser") || text.contains("riktade trafikinsatser")
    );
    assert!(
        text.contains("010-56 526 86") && !text.contains("polisen.example"),
        "public contacts, no emails"
    );

    let again = app
        .http
        .get(app.url("/export/promises.json"))
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .expect("sent");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn csv_export_has_a_stable_header_and_one_row_per_commitment() {
    let app = spawn_app().await;
    let response = app
        .http
        .get(app.url("/export/promises.csv"))
        .send()
        .await
        .expect("sent");
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
    let second = app
        .http
        .get(app.url("/export/promises.csv"))
        .send()
        .await
        .expect("sent");
    let first_etag = app
        .http
        .get(app.url("/export/promises.csv"))
        .send()
        .await
        .expect("sent")
        .headers()[header::ETAG]
        .clone();
    assert_eq!(second.headers()[header::ETAG], first_etag);
}
