//! Prometheus metrics, served as text on `GET /metrics`.
//!
//! Counters and histograms are recorded where things happen (HTTP layer, tip intake,
//! delivery worker) through the `metrics` facade; gauges that describe the database
//! (outbox depth, age of the oldest due delivery, pool usage) are read when scraped, so
//! every replica reports the shared outbox as it is. Labels never carry personal data.
//!
//! Operation names are chosen by clients, so only known ones become labels: the server's
//! own operations and those listed in `METRICS_OPERATIONS`. Every other name is counted
//! as `other` and requests without one as `anonymous`, so no client can grow the label
//! set or push a real operation out of it.

use std::{
    collections::HashSet,
    sync::{OnceLock, RwLock},
    time::Duration,
};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sea_orm::DatabaseConnection;
use sha2::{Digest, Sha256};

/// Operations the server itself sends (the export's paging query).
const BUILT_IN_OPERATIONS: &[&str] = &["Export"];

/// Longest operation name accepted into the allowlist.
const MAX_OPERATION_NAME: usize = 64;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
static OPERATIONS: OnceLock<RwLock<HashSet<String>>> = OnceLock::new();

fn operations() -> &'static RwLock<HashSet<String>> {
    OPERATIONS.get_or_init(|| {
        RwLock::new(
            BUILT_IN_OPERATIONS
                .iter()
                .map(|name| (*name).to_owned())
                .collect(),
        )
    })
}

/// Install the process-wide recorder once; later calls return the same handle.
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    10.0,
                ])
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            register_series();
            Some(handle)
        })
        .clone()
}

/// Parse `METRICS_OPERATIONS` ("Promises, PromiseDetail"): GraphQL operation names.
pub fn parse_operations(list: &str) -> Result<Vec<String>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| {
            let first_ok = name
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
            let plain = first_ok
                && name.len() <= MAX_OPERATION_NAME
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if plain {
                Ok(name.to_owned())
            } else {
                Err(format!("\"{name}\" is not a GraphQL operation name"))
            }
        })
        .collect()
}

/// Add operation names to the labelled set (process-wide; the set only grows at start-up).
pub fn allow_operations(names: &[String]) {
    let mut known = operations()
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    known.extend(names.iter().cloned());
}

/// A label for a client-chosen operation name: the name when it is known, "anonymous"
/// when there is none, else "other".
pub fn operation_label(name: Option<&str>) -> String {
    let Some(name) = name else {
        return "anonymous".to_owned();
    };
    let known = operations()
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if known.contains(name) {
        name.to_owned()
    } else {
        "other".to_owned()
    }
}

/// Whether an `Authorization` header value carries `Bearer <expected>`. Both sides are
/// hashed first and the digests compared without an early exit, so neither the token's
/// length nor its content can be learned from timing.
pub fn bearer_matches(header: Option<&[u8]>, expected: &str) -> bool {
    let presented = header
        .and_then(|value| {
            let (scheme, token) = value.split_at_checked(7)?;
            scheme.eq_ignore_ascii_case(b"bearer ").then_some(token)
        })
        .unwrap_or_default();
    let (a, b) = (
        Sha256::digest(presented),
        Sha256::digest(expected.as_bytes()),
    );
    let differ = a
        .iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y));
    differ == 0 && !presented.is_empty()
}

/// Tip kinds and outcomes, as [`tip`] labels them.
pub const TIP_KINDS: &[&str] = &["opinion", "tip", "idea"];
pub const TIP_OUTCOMES: &[&str] = &["accepted", "rejected", "rate_limited", "error"];
/// Delivery outcomes, as [`delivery`] labels them.
pub const DELIVERY_OUTCOMES: &[&str] = &["sent", "retried", "dead"];

/// Follow-up outcomes, as [`followup`] labels them: reminders are enqueued and sent;
/// escalations also flagged (nobody to send to).
pub const REMINDER_OUTCOMES: &[&str] = &["enqueued", "sent"];
pub const ESCALATION_OUTCOMES: &[&str] = &["enqueued", "flagged", "sent"];

/// Every series with a known label set, at 0, so dashboards and `rate()` have a series
/// before the first event (a missing series is not a zero). Requests are open-ended in
/// their labels; the anonymous, successful ones start at 0.
fn register_series() {
    for kind in TIP_KINDS {
        for outcome in TIP_OUTCOMES {
            metrics::counter!("tips_total", "kind" => *kind, "outcome" => *outcome).increment(0);
        }
    }
    for outcome in DELIVERY_OUTCOMES {
        metrics::counter!("deliveries_total", "outcome" => *outcome).increment(0);
    }
    for outcome in REMINDER_OUTCOMES {
        metrics::counter!("reminders_total", "outcome" => *outcome).increment(0);
    }
    for outcome in ESCALATION_OUTCOMES {
        metrics::counter!("escalations_total", "outcome" => *outcome).increment(0);
    }
    for code in crate::error_code::ErrorCode::ALL {
        metrics::counter!("graphql_errors_total", "code" => code.as_str()).increment(0);
    }
    for cache in ["hit", "miss"] {
        metrics::counter!(
            "graphql_requests_total",
            "operation" => "anonymous",
            "status" => "200",
            "cache" => cache
        )
        .increment(0);
    }
    for outcome in READ_SCHEMA_OUTCOMES {
        metrics::counter!("graphql_read_schema_total", "outcome" => *outcome).increment(0);
    }
    drop(metrics::histogram!("graphql_request_duration_seconds", "operation" => "anonymous"));
    outbox(0, 0, None);
}

/// One GraphQL request served.
pub fn graphql_request(operation: &str, status: u16, elapsed: Duration, cached: bool) {
    let labels = [
        ("operation", operation.to_owned()),
        ("status", status.to_string()),
        ("cache", if cached { "hit" } else { "miss" }.to_owned()),
    ];
    metrics::counter!("graphql_requests_total", &labels).increment(1);
    metrics::histogram!("graphql_request_duration_seconds", "operation" => operation.to_owned())
        .record(elapsed.as_secs_f64());
}

/// How an anonymous catalogue read went on the schema without extensions: `answered`,
/// or `fell_back` to the guarded schema (see `graphql::build_read_schema`).
pub fn read_schema(outcome: &'static str) {
    metrics::counter!("graphql_read_schema_total", "outcome" => outcome).increment(1);
}

const READ_SCHEMA_OUTCOMES: &[&str] = &["answered", "fell_back"];

/// One error returned to a client, by `extensions.code`.
pub fn graphql_error(code: &str) {
    metrics::counter!("graphql_errors_total", "code" => code.to_owned()).increment(1);
}

/// A tip submission's outcome: accepted, rejected, rate_limited or error.
pub fn tip(kind: &'static str, outcome: &'static str) {
    metrics::counter!("tips_total", "kind" => kind, "outcome" => outcome).increment(1);
}

/// A delivery attempt's outcome: sent, retried or dead.
pub fn delivery(outcome: &'static str) {
    metrics::counter!("deliveries_total", "outcome" => outcome).increment(1);
}

/// A follow-up step (`reminder` or `escalation`) enqueued, flagged or sent.
pub fn followup(step: &'static str, outcome: &'static str) {
    match step {
        "reminder" => metrics::counter!("reminders_total", "outcome" => outcome).increment(1),
        _ => metrics::counter!("escalations_total", "outcome" => outcome).increment(1),
    }
}

/// Tips of a municipality still `NEW` after their due date; published by
/// `service::followup::publish` before each scrape.
pub fn tips_overdue(municipality: &str, n: u64) {
    metrics::gauge!("tips_overdue", "municipality" => municipality.to_owned()).set(n as f64);
}

/// The outbox gauges; published by `delivery::outbox::publish` before each scrape.
pub fn outbox(pending: u64, dead: u64, oldest_due_age_secs: Option<f64>) {
    metrics::gauge!("outbox_pending").set(pending as f64);
    metrics::gauge!("outbox_dead").set(dead as f64);
    metrics::gauge!("outbox_oldest_due_age_seconds").set(oldest_due_age_secs.unwrap_or(0.0));
}

/// Update the pool gauges, then render everything in Prometheus text format. Gauges that
/// need the database (the outbox) are published by their owners first.
pub fn render(handle: &PrometheusHandle, db: &DatabaseConnection) -> String {
    let (size, idle) = pool_usage(db);
    metrics::gauge!("db_pool_connections", "state" => "idle").set(f64::from(idle));
    metrics::gauge!("db_pool_connections", "state" => "in_use")
        .set(f64::from(size.saturating_sub(idle)));
    handle.render()
}

/// Connections open in the pool and how many of them are idle.
fn pool_usage(db: &DatabaseConnection) -> (u32, u32) {
    use sea_orm::DatabaseConnectionType as Pool;
    match &db.inner {
        Pool::SqlxPostgresPoolConnection(_) => {
            let pool = db.get_postgres_connection_pool();
            (
                pool.size(),
                u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            )
        }
        Pool::SqlxSqlitePoolConnection(_) => {
            let pool = db.get_sqlite_connection_pool();
            (
                pool.size(),
                u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            )
        }
        _ => (0, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_operations_are_labels() {
        allow_operations(&parse_operations(" Promises, Promise_2 ").expect("names"));
        assert_eq!(operation_label(None), "anonymous");
        assert_eq!(operation_label(Some("Promises")), "Promises");
        assert_eq!(operation_label(Some("Export")), "Export");
        assert_eq!(operation_label(Some("a b")), "other");
        for i in 0..500 {
            assert_eq!(operation_label(Some(&format!("Op{i}"))), "other");
        }
        assert_eq!(operation_label(Some("Promises")), "Promises");
        assert!(parse_operations("Good, 1bad").is_err());
        assert!(parse_operations(&"x".repeat(65)).is_err());
        assert_eq!(parse_operations(" , "), Ok(vec![]));
    }

    #[test]
    fn bearer_tokens_are_checked() {
        assert!(bearer_matches(Some(b"Bearer s3cret"), "s3cret"));
        assert!(bearer_matches(Some(b"bearer s3cret"), "s3cret"));
        assert!(!bearer_matches(Some(b"Bearer s3cre"), "s3cret"));
        assert!(!bearer_matches(Some(b"Basic s3cret"), "s3cret"));
        assert!(!bearer_matches(Some(b"Bearer "), ""));
        assert!(!bearer_matches(None, "s3cret"));
    }
}
