//! Tip helpers that several suites share: the `submitTip` mutation, inputs, and the
//! configuration adjustments that keep tests about behaviour rather than waiting.

use std::collections::HashSet;

use entity::{delivery, tip};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use server::config::{Config, Secret};

use crate::{TestApp, smtp::SmtpSink};

/// `submitTip` with everything a suite may read back.
pub const SUBMIT: &str = r#"mutation($input: SubmitTipInput!) { submitTip(input: $input) {
    tip { reference status kind receivedAt municipality { name } routedTo { name role organisation } }
    notice statusToken } }"#;

/// Post `input` to `submitTip`; returns the whole JSON body (data and errors).
pub async fn submit(app: &TestApp, input: Value) -> Value {
    app.graphql(SUBMIT, json!({ "input": input })).await
}

/// The smallest valid input: a municipality, kind `TIP` and a message.
pub fn tip_input(municipality: &str, message: &str) -> Value {
    json!({ "municipality": municipality, "kind": "TIP", "message": message })
}

/// The accepted tip's reference; fails with the body when the tip was refused.
pub fn reference(body: &Value) -> String {
    body["data"]["submitTip"]["tip"]["reference"]
        .as_str()
        .unwrap_or_else(|| panic!("no reference: {body}"))
        .to_owned()
}

/// The limits as shipped: [`crate::test_config`] raises the complexity limit for
/// functional tests; limit suites put it back.
pub fn shipped_limits(config: &mut Config) {
    config.graphql_max_complexity = Config::default().graphql_max_complexity;
    config.graphql_max_fields = Config::default().graphql_max_fields;
}

/// Tip limits high enough that a table of tips from one client is never throttled.
pub fn generous(config: &mut Config) {
    config.tip_limit_per_ip = 10_000;
    config.tip_limit_per_email = 10_000;
    config.tip_limit_global = 10_000;
}

/// Fast retries and generous limits; SMTP to `smtp`, or the mail folder.
///
/// The SMTP timeout is generous: a client timeout that fires after the relay recorded a
/// message but before its reply was read makes the worker send the message again, and
/// tests that count messages exactly would see the copy on a slow machine. The lease
/// outlasts a timed-out send, as the server requires. Tests of the timeout itself, or
/// of leases, set their own.
pub fn quick(config: &mut Config, smtp: Option<&SmtpSink>) {
    generous(config);
    config.smtp_url = smtp.map(|s| Secret::new(s.url()));
    config.delivery_backoff_base_ms = 50;
    config.delivery_backoff_max_secs = 1;
    config.delivery_poll_interval_ms = 100;
    config.smtp_timeout_secs = 30;
    config.smtp_pool_size = 2;
    config.delivery_lease_secs = 35;
}

/// A valid idea for Mellerud, validated by the service as the API would (for tests that
/// store tips without going through HTTP).
pub async fn validated_idea(app: &TestApp) -> server::service::tips::ValidTip {
    use server::service::{catalog_version::CatalogVersion, routing::RoutingCache, tips};
    let routing = RoutingCache::new(CatalogVersion::new());
    let submission = tips::TipSubmission {
        municipality: "mellerud".into(),
        kind: entity::TipKind::Idea,
        message: "Belysning längs cykelvägen.".into(),
        concerns: None,
        recipient: None,
        name: None,
        email: None,
        phone: None,
        wants_reply: false,
        notify_on_update: false,
        idempotency_key: None,
        place: None,
        photos: Vec::new(),
        use_photo_location: false,
    };
    tips::validate(&app.db, &routing, &submission)
        .await
        .map_err(|e| format!("{e:?}"))
        .expect("valid")
}

/// Rows in `tip` and in `delivery`.
pub async fn counts(app: &TestApp) -> (u64, u64) {
    (
        tip::Entity::find().count(&app.db).await.expect("count"),
        delivery::Entity::find()
            .count(&app.db)
            .await
            .expect("count"),
    )
}

/// The distinct `Message-ID`s among raw messages.
pub fn distinct_ids(messages: &[Vec<u8>]) -> HashSet<String> {
    messages
        .iter()
        .filter_map(|m| crate::smtp::message_id(m))
        .collect()
}

/// The id of the public contact called `name`.
pub async fn contact_id(app: &TestApp, name: &str) -> String {
    let data = app
        .query(
            "{ municipalities(first: 100) { nodes { contacts { id name } } } }",
            json!({}),
        )
        .await;
    data["municipalities"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|m| m["contacts"].as_array().cloned().unwrap_or_default())
        .find(|c| c["name"] == name)
        .and_then(|c| c["id"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no public contact called {name}"))
}

/// No delivery worker and generous tip limits: for suites about staff, editing and data
/// that store tips but never send them.
pub fn quiet(config: &mut Config) {
    generous(config);
    config.delivery_worker = false;
}

/// The accepted tip's status token; fails with the body when the tip was refused.
pub fn status_token(body: &Value) -> String {
    body["data"]["submitTip"]["statusToken"]
        .as_str()
        .unwrap_or_else(|| panic!("no status token: {body}"))
        .to_owned()
}

/// The rows whose lease (`locked_until`) is still in the future, optionally only those
/// of one worker.
pub fn leased_now(rows: Vec<delivery::Model>, worker: Option<&str>) -> Vec<delivery::Model> {
    let now = chrono::Utc::now();
    rows.into_iter()
        .filter(|d| {
            d.status == entity::DeliveryStatus::Pending
                && d.locked_until.is_some_and(|t| t > now)
                && worker.is_none_or(|w| d.locked_by.as_deref() == Some(w))
        })
        .collect()
}

/// The rows a worker that is no longer running held when it stopped: still `PENDING`
/// with a lease (`locked_until`, cleared whenever a worker finishes or fails an attempt)
/// that no other worker has taken over, expired or not. Read after the process died;
/// `worker` `None` when no other worker has run on the database.
pub fn held_at_death(rows: Vec<delivery::Model>, worker: Option<&str>) -> Vec<delivery::Model> {
    rows.into_iter()
        .filter(|d| {
            d.status == entity::DeliveryStatus::Pending
                && d.locked_until.is_some()
                && worker.is_none_or(|w| d.locked_by.as_deref() == Some(w))
        })
        .collect()
}

/// Every delivery leased by a process that died (`held`, read at its death) was left
/// alone until its lease ran out, then sent by another worker, the crashed attempt
/// counted: checked against the rows once all are sent (`done`).
pub fn assert_waited_for_leases(held: &[delivery::Model], done: &[delivery::Model]) {
    for lease in held {
        let row = done
            .iter()
            .find(|r| r.id == lease.id)
            .expect("the leased row is kept");
        let (Some(sent), Some(until)) = (row.sent_at, lease.locked_until) else {
            panic!("no send or lease time: {row:?}");
        };
        assert!(
            sent >= until,
            "delivery {} sent at {sent}, before the dead worker's lease ran out at {until}",
            row.id
        );
        assert_ne!(
            row.locked_by, lease.locked_by,
            "sent by another worker: {row:?}"
        );
        assert!(row.attempts >= 2, "the crashed attempt counts: {row:?}");
    }
}
