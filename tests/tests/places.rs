//! Where the problem is, and the Open311 GeoReport v2 door: the real server over HTTP,
//! the real SMTP test server, on SQLite and PostgreSQL.

use e2e::{
    Sent, TestApp, error_codes, eventually,
    smtp::SmtpSink,
    spawn_app_with,
    tips::{counts, quick, reference, submit, tip_input},
};
use entity::{StaffRole, tip};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const STAFF_TIP: &str =
    "query($r: String!) { tip(reference: $r) { place { address latitude longitude } } }";

async fn stored(app: &TestApp, reference: &str) -> tip::Model {
    tip::Entity::find()
        .filter(tip::Column::Reference.eq(reference))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the tip is stored")
}

/// The contact's email (the one not to the resident), as text.
fn contact_mail(messages: &[Vec<u8>]) -> String {
    messages
        .iter()
        .map(|m| {
            mail_parser::MessageParser::default()
                .parse(m)
                .and_then(|p| p.body_text(0).map(|t| t.into_owned()))
                .unwrap_or_default()
        })
        .find(|text| text.contains("Meddelande:"))
        .expect("an email to the contact")
}

#[tokio::test]
async fn a_place_reaches_the_recipient_and_staff_but_never_the_public() {
    let smtp = SmtpSink::start();
    let app = spawn_app_with(|c| quick(c, Some(&smtp))).await;
    let mut input = tip_input(
        "mellerud",
        "Gatlyktan vid skolan har varit trasig i två veckor.",
    );
    input["place"] = json!({ "address": " Storgatan vid skolan ", "latitude": 58.71234567, "longitude": 12.4601 });
    let body = submit(&app, input).await;
    let reference = reference(&body);
    // The public answer carries no place, and the public type cannot be asked for one.
    assert!(!body.to_string().contains("Storgatan"), "{body}");
    let body = app
        .graphql(
            "mutation($input: SubmitTipInput!) { submitTip(input: $input) { tip { place { address } } } }",
            json!({ "input": tip_input("mellerud", "Ett till meddelande om platsen.") }),
        )
        .await;
    assert_eq!(error_codes(&body), ["GRAPHQL_VALIDATION_FAILED"], "{body}");

    // Stored exactly, in microdegrees.
    let row = stored(&app, &reference).await;
    assert_eq!(row.place_address.as_deref(), Some("Storgatan vid skolan"));
    assert_eq!(
        (row.place_latitude_e6, row.place_longitude_e6),
        (Some(58_712_346), Some(12_460_100))
    );

    // The recipient reads it in the email and in the API.
    let mail = contact_mail(&smtp.wait_for(1, e2e::PATIENCE).await);
    assert!(
        mail.contains("Plats: Storgatan vid skolan (58.712346, 12.460100)"),
        "{mail}"
    );
    let token = app
        .staff_token(
            StaffRole::Recipient,
            &["mellerud"],
            Some("erika-gustavsson"),
        )
        .await;
    let data = app
        .query_as(&token, STAFF_TIP, json!({ "r": reference }))
        .await;
    assert_eq!(
        data["tip"]["place"],
        json!({ "address": "Storgatan vid skolan", "latitude": 58.712346, "longitude": 12.4601 })
    );

    // Erasure takes the place with the rest of the personal data.
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    app.query_as(
        &admin,
        "mutation($r: String!) { eraseTip(reference: $r) { reference } }",
        json!({ "r": reference }),
    )
    .await;
    let row = stored(&app, &reference).await;
    assert_eq!(
        (
            row.place_address,
            row.place_latitude_e6,
            row.place_longitude_e6
        ),
        (None, None, None)
    );
    let data = app
        .query_as(&admin, STAFF_TIP, json!({ "r": reference }))
        .await;
    assert_eq!(data["tip"]["place"], Value::Null);
}

#[tokio::test]
async fn a_bad_place_is_a_typed_error_and_stores_nothing() {
    let app = spawn_app_with(|c| quick(c, None)).await;
    let before = counts(&app).await;
    for (place, field) in [
        (
            json!({ "latitude": 59.91, "longitude": 10.2 }),
            "place.longitude",
        ), // Oslo
        (
            json!({ "latitude": 54.9, "longitude": 12.57 }),
            "place.latitude",
        ),
        (json!({ "latitude": 58.7 }), "place.longitude"),
        (json!({ "longitude": 12.4 }), "place.latitude"),
        (json!({ "address": "två\nrader" }), "place.address"),
        (json!({ "address": "å".repeat(201) }), "place.address"),
    ] {
        let mut input = tip_input("mellerud", "Ett meddelande med en konstig plats.");
        input["place"] = place.clone();
        let body = submit(&app, input).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{place}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
    assert_eq!(counts(&app).await, before, "nothing was stored");
}

#[tokio::test]
async fn the_web_form_takes_an_address_and_a_position() {
    let app = spawn_app_with(|c| quick(c, None)).await;
    let form = [
        ("kind", "TIP"),
        ("message", "Det är mörkt i gångtunneln under järnvägen."),
        ("place_address", "Gångtunneln vid stationen"),
        ("latitude", "58,7041"),
        ("longitude", "12.4553"),
        ("idempotency_key", "0123456789abcdef0123456789abcdef"),
    ];
    let response = app.post("/kommun/mellerud/tips").form(&form).sent().await;
    assert_eq!(response.status(), 200);
    let row = tip::Entity::find()
        .one(&app.db)
        .await
        .expect("query")
        .expect("stored");
    assert_eq!(
        row.place_address.as_deref(),
        Some("Gångtunneln vid stationen")
    );
    assert_eq!(
        (row.place_latitude_e6, row.place_longitude_e6),
        (Some(58_704_100), Some(12_455_300))
    );

    // A position outside Sweden comes back with a Swedish error, everything kept.
    let mut bad = form;
    bad[3] = ("latitude", "60.17");
    bad[4] = ("longitude", "24.94");
    bad[5] = ("idempotency_key", "fedcba9876543210fedcba9876543210");
    let response = app.post("/kommun/mellerud/tips").form(&bad).sent().await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.expect("page");
    assert!(html.contains("Platsen måste ligga i Sverige"), "{html}");
    assert!(
        html.contains("href=\"#position\""),
        "the summary links to the field"
    );
    assert!(html.contains("value=\"Gångtunneln vid stationen\""));
}

async fn open311_post(app: &TestApp, form: &[(&str, &str)]) -> (u16, Value) {
    let response = app
        .post("/open311/v2/requests.json")
        .form(form)
        .sent()
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

#[tokio::test]
async fn open311_clients_list_services_submit_and_follow_a_request() {
    let smtp = SmtpSink::start();
    let app = spawn_app_with(|c| quick(c, Some(&smtp))).await;

    let services: Value = app
        .get("/open311/v2/services.json?jurisdiction_id=1461")
        .sent()
        .await
        .json()
        .await
        .expect("JSON");
    let codes: Vec<&str> = services
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|s| s["service_code"].as_str())
        .collect();
    assert_eq!(codes, ["TIP", "OPINION", "IDEA"]);
    assert_eq!(services[0]["group"], "Medborgarlöfte Mellerud");
    assert_eq!(services[0]["metadata"], false);
    let unknown = app
        .get("/open311/v2/services.json?jurisdiction_id=atlantis")
        .sent()
        .await;
    assert_eq!(unknown.status(), 404);
    let body: Value = unknown.json().await.expect("JSON");
    assert_eq!(body[0]["code"], 404);
    assert_eq!(body[0]["error_code"], "NOT_FOUND");

    let (status, body) = open311_post(
        &app,
        &[
            ("jurisdiction_id", "mellerud"),
            ("service_code", "TIP"),
            ("description", "Klotter på skolans gavel mot parkeringen."),
            ("lat", "58.7112"),
            ("long", "12.4610"),
            ("address_string", "Skolans gavel"),
            ("email", "asa.oberg@exempel.se"),
            ("first_name", "Åsa"),
            ("last_name", "Öberg"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let id = body[0]["service_request_id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert!(id.starts_with("MEL-"), "{id}");
    assert!(
        body[0]["service_notice"]
            .as_str()
            .is_some_and(|n| n.contains("112"))
    );

    // Routed and delivered like any tip: the kommunpolis and a receipt to the resident.
    let messages = smtp.wait_for(2, e2e::PATIENCE).await;
    let mail = contact_mail(&messages);
    assert!(mail.contains("Klotter på skolans gavel"), "{mail}");
    assert!(
        mail.contains("Plats: Skolans gavel (58.711200, 12.461000)"),
        "{mail}"
    );
    let row = stored(&app, &id).await;
    assert_eq!(row.name.as_deref(), Some("Åsa Öberg"));

    // Status: open, with nothing personal in it.
    let status_of = |app: &TestApp, id: &str| {
        let request = app.get(&format!("/open311/v2/requests/{id}.json"));
        async move { request.sent().await.json::<Value>().await.expect("JSON") }
    };
    let open = status_of(&app, &id).await;
    assert_eq!(open[0]["status"], "open");
    assert_eq!(open[0]["service_code"], "TIP");
    for private in ["Åsa", "asa.oberg", "Klotter", "Skolans gavel", "58.71"] {
        assert!(!open.to_string().contains(private), "{open}");
    }
    let token = app
        .staff_token(
            StaffRole::Recipient,
            &["mellerud"],
            Some("erika-gustavsson"),
        )
        .await;
    app.query_as(
        &token,
        "mutation($i: UpdateTipStatusInput!) { updateTipStatus(input: $i) { tip { status } } }",
        json!({ "i": { "reference": id, "status": "HANDLED" } }),
    )
    .await;
    assert_eq!(status_of(&app, &id).await[0]["status"], "closed");
    let missing = app
        .get("/open311/v2/requests/MEL-XXXX-XX.json")
        .sent()
        .await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn open311_uses_the_intakes_rules_idempotency_and_key() {
    let app = spawn_app_with(|c| {
        quick(c, None);
        c.open311_api_key = Some("nyckel-för-klienten".into());
    })
    .await;
    let good = [
        ("jurisdiction_id", "mellerud"),
        ("service_code", "IDEA"),
        ("description", "Fler vuxna ute på fredagskvällar vore bra."),
        ("api_key", "nyckel-för-klienten"),
    ];
    let before = counts(&app).await;
    // Without the key, or with a wrong one: refused.
    let (status, body) = open311_post(&app, &good[..3]).await;
    assert_eq!(
        (status, body[0]["error_code"].as_str()),
        (403, Some("FORBIDDEN"))
    );
    let mut wrong = good;
    wrong[3] = ("api_key", "fel");
    assert_eq!(open311_post(&app, &wrong).await.0, 403);
    // The intake's rules, in the standard's error shape with the field's standard name.
    for (form, needle) in [
        (
            vec![good[0], good[1], ("description", "kort"), good[3]],
            "description",
        ),
        (
            vec![good[0], ("service_code", "POTHOLE"), good[2], good[3]],
            "service_code",
        ),
        (vec![good[1], good[2], good[3]], "jurisdiction_id"),
        (
            vec![
                good[0],
                good[1],
                good[2],
                good[3],
                ("lat", "60.17"),
                ("long", "24.94"),
            ],
            "long",
        ),
        (
            vec![good[0], good[1], good[2], good[3], ("lat", "norr")],
            "lat",
        ),
        (
            vec![
                good[0],
                good[1],
                good[2],
                good[3],
                ("media_url", "http://example.org/a.jpg"),
            ],
            "media_url",
        ),
    ] {
        let (status, body) = open311_post(&app, &form).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body[0]["code"], 400);
        assert_eq!(body[0]["error_code"], "BAD_USER_INPUT");
        assert!(
            body[0]["description"]
                .as_str()
                .is_some_and(|d| d.starts_with(needle)),
            "{needle}: {body}"
        );
    }
    assert_eq!(counts(&app).await, before, "nothing stored");

    // Idempotency-Key: the same request twice is one tip; a different one is a conflict.
    let send = |form: Vec<(&'static str, &'static str)>, key: &'static str| {
        let request = app
            .post("/open311/v2/requests.json")
            .header("Idempotency-Key", key)
            .form(&form);
        async move {
            let response = request.sent().await;
            (
                response.status().as_u16(),
                response.json::<Value>().await.expect("JSON"),
            )
        }
    };
    let (first_status, first) = send(good.to_vec(), "open311-nyckel-1").await;
    let (_, again) = send(good.to_vec(), "open311-nyckel-1").await;
    assert_eq!(first_status, 200, "{first}");
    assert_eq!(
        first[0]["service_request_id"],
        again[0]["service_request_id"]
    );
    let mut other = good.to_vec();
    other[2] = ("description", "Ett helt annat förslag om skolvägen.");
    let (status, body) = send(other, "open311-nyckel-1").await;
    assert_eq!(
        (status, body[0]["error_code"].as_str()),
        (409, Some("IDEMPOTENCY_CONFLICT"))
    );
    let tips = eventually("one tip stored", || async {
        let n = tip::Entity::find().all(&app.db).await.expect("tips").len();
        (n > 0).then_some(n)
    })
    .await;
    assert_eq!(tips, 1);
}

#[tokio::test]
async fn open311_is_rate_limited_like_submit_tip() {
    let app = spawn_app_with(|c| {
        quick(c, None);
        c.tip_limit_per_ip = 2;
    })
    .await;
    let form = [
        ("jurisdiction_id", "mellerud"),
        ("service_code", "TIP"),
        ("description", "Mopeder på gångvägen vid ån varje kväll."),
    ];
    // The GraphQL door and the Open311 door share the client's window.
    let body = submit(
        &app,
        tip_input("mellerud", "Första tipset från den här klienten."),
    )
    .await;
    reference(&body);
    assert_eq!(open311_post(&app, &form).await.0, 200);
    let response = app
        .post("/open311/v2/requests.json")
        .form(&form)
        .sent()
        .await;
    assert_eq!(response.status(), 429);
    assert!(response.headers().get("retry-after").is_some());
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body[0]["error_code"], "RATE_LIMITED");
}
