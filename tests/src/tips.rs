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
}

/// Tip limits high enough that a table of tips from one client is never throttled.
pub fn generous(config: &mut Config) {
    config.tip_limit_per_ip = 10_000;
    config.tip_limit_per_email = 10_000;
    config.tip_limit_global = 10_000;
}

/// Fast retries, short leases and generous limits; SMTP to `smtp`, or the mail folder.
pub fn quick(config: &mut Config, smtp: Option<&SmtpSink>) {
    generous(config);
    config.smtp_url = smtp.map(|s| Secret::new(s.url()));
    config.delivery_backoff_base_ms = 50;
    config.delivery_backoff_max_secs = 1;
    config.delivery_poll_interval_ms = 100;
    config.smtp_timeout_secs = 2;
    config.smtp_pool_size = 2;
    config.delivery_lease_secs = 3;
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
