//! Retention with a controllable clock, erasure on request, and anonymous statistics.

use std::time::Duration;

use chrono::Utc;
use e2e::{JsonBody, TestApp, error_codes, eventually, spawn_app_with, tips::quiet};
use entity::{DeliveryKind, StaffRole, TipStatus, delivery, tip};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use server::service::{
    privacy::{self, Retention},
    staff,
};

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

async fn submit(app: &TestApp, kind: &str, i: usize) -> String {
    let data = app
        .query(
            "mutation($i: SubmitTipInput!) { submitTip(input: $i) { tip { reference } } }",
            json!({ "i": { "municipality": "mellerud", "kind": kind, "message": format!("Tips nummer {i} om tryggheten."), "name": "Kim Boende", "email": format!("kim{i}@exempel.se"), "phone": "070-123 45 67" } }),
        )
        .await;
    data["submitTip"]["tip"]["reference"]
        .as_str()
        .expect("reference")
        .to_owned()
}

async fn admin(app: &TestApp) -> (staff::Principal, String) {
    let created = staff::create_token(&app.db, "Admin", StaffRole::Admin, &[], None)
        .await
        .map_err(|e| format!("{e:?}"))
        .expect("token");
    let principal = staff::authenticate(&app.db, &created.secret)
        .await
        .expect("db")
        .expect("valid");
    (principal, created.secret)
}

#[tokio::test]
async fn personal_data_is_erased_after_retention_and_statistics_remain() {
    let app = spawn_app_with(quiet).await;
    let mut refs = Vec::new();
    for i in 0..6 {
        refs.push(submit(&app, "TIP", i).await);
    }
    for i in 6..8 {
        refs.push(submit(&app, "IDEA", i).await);
    }
    let (principal, _) = admin(&app).await;
    for r in &refs[..5] {
        staff::transition(&app.db, &principal, r, TipStatus::Handled, None)
            .await
            .map_err(|e| format!("{e:?}"))
            .expect("handled");
    }
    let today = Utc::now().date_naive();
    let stats_q = "query($m: String!, $f: Date!, $t: Date!) { tipStatistics(municipality: $m, from: $f, to: $t) { totalCount counts { month kind count } shareHandled medianHoursToHandled } }";
    let vars = json!({ "m": "mellerud", "f": today.to_string(), "t": today.to_string() });
    let before = app.query(stats_q, vars.clone()).await;
    let stats = &before["tipStatistics"];
    assert_eq!(stats["totalCount"], 8);
    // Two ideas are too few to show, and showing the six tips would give them away
    // (8 − 6), so neither is shown; nor is the share, which would give away the three
    // open tips (issue 10, item 11).
    assert_eq!(stats["counts"], json!([]), "{stats}");
    assert_eq!(stats["shareHandled"], Value::Null);
    assert!(
        stats["medianHoursToHandled"]
            .as_f64()
            .is_some_and(|h| (0.0..1.0).contains(&h))
    );

    let retention = Retention {
        after_handled: DAY * 180,
        max_age: DAY * 365,
    };
    // Nothing is due yet.
    assert_eq!(
        privacy::erase_expired(&app.db, retention, Utc::now())
            .await
            .expect("job"),
        0
    );
    // 181 days on: the five handled tips are due, the three open ones are not.
    let later = Utc::now() + DAY * 181;
    assert_eq!(
        privacy::erase_expired(&app.db, retention, later)
            .await
            .expect("job"),
        5
    );
    let tips = tip::Entity::find().all(&app.db).await.expect("tips");
    let erased: Vec<&tip::Model> = tips.iter().filter(|t| t.erased_at.is_some()).collect();
    assert_eq!(erased.len(), 5);
    for t in &erased {
        assert_eq!(t.message, "");
        assert!(t.name.is_none() && t.email.is_none() && t.phone.is_none() && t.ip_hash.is_none());
        assert!(
            t.email_hash.is_none(),
            "the email window hash is erased too"
        );
        assert_eq!(t.status, TipStatus::Handled, "the anonymous record stays");
    }
    // 366 days on: everything is due, whatever its status.
    assert_eq!(
        privacy::erase_expired(&app.db, retention, Utc::now() + DAY * 366)
            .await
            .expect("job"),
        3
    );
    let receipts = delivery::Entity::find().all(&app.db).await.expect("rows");
    assert!(
        receipts
            .iter()
            .filter(|d| d.kind == DeliveryKind::Receipt)
            .all(|d| d.recipient_email.is_empty())
    );
    let dump = format!(
        "{:?}{:?}",
        tip::Entity::find().all(&app.db).await.expect("tips"),
        receipts
    );
    assert!(
        !dump.contains("Kim Boende") && !dump.contains("exempel.se") && !dump.contains("070-123"),
        "{dump}"
    );

    let after = app.query(stats_q, vars).await;
    assert_eq!(after, before, "statistics survive erasure");
}

#[tokio::test]
async fn admins_can_erase_one_tip_at_once() {
    let app = spawn_app_with(quiet).await;
    let reference = submit(&app, "TIP", 1).await;
    let (_, secret) = admin(&app).await;
    let recipient = staff::create_token(
        &app.db,
        "Mottagare",
        StaffRole::Recipient,
        &["mellerud".into()],
        None,
    )
    .await
    .map_err(|e| format!("{e:?}"))
    .expect("token")
    .secret;
    let erase = "mutation($r: String!) { eraseTip(reference: $r) { reference } }";
    let call = |token: String, r: String| {
        let app = &app;
        async move {
            app.post("/graphql")
                .bearer_auth(token)
                .json(&json!({ "query": erase, "variables": { "r": r } }))
                .json_body()
                .await
        }
    };
    assert_eq!(
        error_codes(&call(recipient, reference.clone()).await),
        ["FORBIDDEN"]
    );
    assert_eq!(
        error_codes(&call(secret.clone(), "MEL-0000-00".into()).await),
        ["NOT_FOUND"]
    );
    let body = call(secret.clone(), reference.clone()).await;
    assert_eq!(
        body["data"]["eraseTip"]["reference"],
        reference.as_str(),
        "{body}"
    );
    let detail: Value = app.post("/graphql")
        .bearer_auth(&secret)
        .json(&json!({ "query": "query($r: String!) { tip(reference: $r) { message email name phone erasedAt status } }", "variables": { "r": reference } }))
        .json_body()
        .await;
    let t = &detail["data"]["tip"];
    assert_eq!(
        (
            t["message"].as_str(),
            t["email"].as_str(),
            t["name"].as_str()
        ),
        (Some(""), None, None),
        "{detail}"
    );
    assert!(t["erasedAt"].is_string());
    assert_eq!(t["status"], "NEW");
}

#[tokio::test]
async fn statistics_hide_small_numbers() {
    let app = spawn_app_with(quiet).await;
    submit(&app, "TIP", 1).await;
    let today = Utc::now().date_naive().to_string();
    let data = app
        .query(
            "query($f: Date!, $t: Date!) { tipStatistics(municipality: \"1461\", from: $f, to: $t) { totalCount counts { count } shareHandled medianHoursToHandled } }",
            json!({ "f": today, "t": today }),
        )
        .await;
    assert_eq!(
        data["tipStatistics"],
        json!({ "totalCount": null, "counts": [], "shareHandled": null, "medianHoursToHandled": null })
    );
    let body = app
        .graphql(
            "{ tipStatistics(municipality: \"1461\", from: \"2026-02-01\", to: \"2026-01-01\") { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn the_server_runs_the_retention_job_on_the_configured_schedule() {
    // Erase at once after handling, and check every second: the job as `Application`
    // schedules it from the configuration, no clock of the test's own.
    let app = spawn_app_with(|c| {
        quiet(c);
        c.retention_days_after_handled = 0;
        c.retention_interval_secs = 1;
    })
    .await;
    let handled = submit(&app, "TIP", 1).await;
    let open = submit(&app, "TIP", 2).await;
    let (_, secret) = admin(&app).await;
    app.query_as(
        &secret,
        "mutation($i: UpdateTipStatusInput!) { updateTipStatus(input: $i) { tip { status } } }",
        json!({ "i": { "reference": handled, "status": "HANDLED" } }),
    )
    .await;
    let by_reference = |reference: String| {
        let db = app.db.clone();
        async move {
            tip::Entity::find()
                .all(&db)
                .await
                .expect("tips")
                .into_iter()
                .find(|t| t.reference == reference)
                .expect("the tip is kept")
        }
    };
    let erased = eventually("the scheduled job erasing the handled tip", || async {
        let tip = by_reference(handled.clone()).await;
        tip.erased_at.is_some().then_some(tip)
    })
    .await;
    assert_eq!(
        (erased.name, erased.email, erased.phone),
        (None, None, None)
    );
    assert!(
        !erased.message.contains("Tips nummer 1"),
        "{}",
        erased.message
    );
    // The open tip is inside both periods and keeps its details.
    let kept = by_reference(open).await;
    assert!(kept.erased_at.is_none());
    assert_eq!(kept.email.as_deref(), Some("kim2@exempel.se"));
}
