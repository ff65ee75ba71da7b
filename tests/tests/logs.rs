//! Logs never contain a resident's message, name, email, phone or IP: the whole cycle of
//! submit → deliver → triage → status runs with verbose logging captured.

use e2e::{JsonBody, eventually, logs, smtp::SmtpSink, spawn_app_with};
use entity::StaffRole;
use serde_json::json;
use server::config::Secret;

#[tokio::test]
async fn a_full_cycle_logs_no_personal_data() {
    let captured = logs::capture("info,server=trace,tower_http=trace,lettre=debug");

    let smtp = SmtpSink::start();
    let app = spawn_app_with(|c| {
        c.smtp_url = Some(Secret::new(smtp.url()));
        c.trusted_proxies = "127.0.0.1/32".into();
        c.delivery_poll_interval_ms = 100;
    })
    .await;
    let (message, name, email, phone, ip) = (
        "Hemligt meddelande om grannens garage på Villagatan 12",
        "Zlatan Personsson",
        "zlatan.personsson@exempel.se",
        "070-987 65 43",
        "198.51.100.123",
    );
    let body: serde_json::Value = app.post("/graphql")
        .header("x-forwarded-for", ip)
        .header("x-request-id", "req-logs-test-0001")
        .json(&json!({
            "query": "mutation($i: SubmitTipInput!) { submitTip(input: $i) { statusToken tip { reference } } }",
            "variables": { "i": { "municipality": "mellerud", "kind": "TIP", "message": message, "name": name, "email": email, "phone": phone, "wantsReply": true } }
        }))
        .json_body()
        .await;
    let request_id = "req-logs-test-0001";
    let reference = body["data"]["submitTip"]["tip"]["reference"]
        .as_str()
        .expect("accepted")
        .to_owned();
    let status_token = body["data"]["submitTip"]["statusToken"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_eq!(smtp.wait_for(2, e2e::PATIENCE).await.len(), 2);

    let secret =
        server::service::staff::create_token(&app.db, "Triage", StaffRole::Admin, &[], None)
            .await
            .map_err(|e| format!("{e:?}"))
            .expect("token")
            .secret;
    for status in ["IN_PROGRESS", "HANDLED"] {
        let body: serde_json::Value = app.post("/graphql")
            .bearer_auth(&secret)
            .json(&json!({
                "query": "mutation($i: UpdateTipStatusInput!) { updateTipStatus(input: $i) { tip { status message email } } }",
                "variables": { "i": { "reference": reference, "status": status } }
            }))
            .json_body()
            .await;
        assert_eq!(
            body["data"]["updateTipStatus"]["tip"]["status"], status,
            "{body}"
        );
    }
    let status = app
        .query(
            "query($r: String!, $t: String!) { tipStatus(reference: $r, statusToken: $t) { status } }",
            json!({ "r": reference, "t": status_token }),
        )
        .await;
    assert_eq!(status["tipStatus"]["status"], "HANDLED");

    // Both deliveries logged as sent, with the reference: the cycle is in the logs.
    let logs = eventually("the whole cycle in the logs", || async {
        let logs = captured.text();
        (logs.contains("tip accepted")
            && logs.matches("delivery sent").count() >= 2
            && logs.contains(&reference))
        .then_some(logs)
    })
    .await;
    // The request id is on the request's log lines, including "tip accepted".
    assert!(
        logs.lines()
            .any(|l| l.contains("tip accepted") && l.contains(request_id)),
        "the request id is on the log line:\n{logs}"
    );
    for secret_value in [
        message,
        "Villagatan",
        name,
        "Personsson",
        email,
        phone,
        ip,
        &status_token,
        &secret,
    ] {
        assert!(
            !logs.contains(secret_value),
            "log contains {secret_value:?}:\n{logs}"
        );
    }
}
