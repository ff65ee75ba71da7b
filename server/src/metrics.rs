//! Prometheus metrics, served as text on `GET /metrics`.
//!
//! Counters and histograms are recorded where things happen (HTTP layer, tip intake,
//! delivery worker) through the `metrics` facade; gauges that describe the database
//! (outbox depth, age of the oldest due delivery, pool usage) are read when scraped, so
//! every replica reports the shared outbox as it is. Labels never carry personal data,
//! and client-chosen operation names are capped so they cannot explode the label set.

use std::{
    collections::HashSet,
    sync::{Mutex, OnceLock},
    time::Duration,
};

use chrono::Utc;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sea_orm::{DatabaseConnection, DbErr};

/// Distinct operation names kept as labels; later names are counted as "other".
const MAX_OPERATION_LABELS: usize = 100;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
static OPERATIONS: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();

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
            Some(handle)
        })
        .clone()
}

/// A label for a client-chosen operation name: the name when it is a plain identifier
/// and one of the first ones seen, else "other"; "anonymous" when there is none.
pub fn operation_label(name: Option<&str>) -> String {
    let Some(name) = name else {
        return "anonymous".to_owned();
    };
    let plain = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !plain {
        return "other".to_owned();
    }
    let seen = OPERATIONS.get_or_init(|| Mutex::new(HashSet::new()));
    let Ok(mut seen) = seen.lock() else {
        return "other".to_owned();
    };
    if seen.contains(name) || seen.len() < MAX_OPERATION_LABELS {
        seen.insert(name.to_owned());
        name.to_owned()
    } else {
        "other".to_owned()
    }
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

/// Update the database gauges, then render everything in Prometheus text format.
pub async fn render(handle: &PrometheusHandle, db: &DatabaseConnection) -> Result<String, DbErr> {
    let outbox = crate::delivery::outbox::state(db, Utc::now()).await?;
    metrics::gauge!("outbox_pending").set(outbox.pending as f64);
    metrics::gauge!("outbox_dead").set(outbox.dead as f64);
    metrics::gauge!("outbox_oldest_due_age_seconds").set(outbox.oldest_due_age_secs.unwrap_or(0.0));
    let (size, idle) = pool_usage(db);
    metrics::gauge!("db_pool_connections", "state" => "idle").set(f64::from(idle));
    metrics::gauge!("db_pool_connections", "state" => "in_use")
        .set(f64::from(size.saturating_sub(idle)));
    Ok(handle.render())
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
    fn operation_labels_are_bounded_and_plain() {
        assert_eq!(operation_label(None), "anonymous");
        assert_eq!(operation_label(Some("Promises")), "Promises");
        assert_eq!(operation_label(Some("a b")), "other");
        assert_eq!(operation_label(Some(&"x".repeat(65))), "other");
        for i in 0..(MAX_OPERATION_LABELS + 10) {
            operation_label(Some(&format!("Op{i}")));
        }
        assert_eq!(operation_label(Some("BrandNewOperation")), "other");
        assert_eq!(operation_label(Some("Promises")), "Promises");
    }
}
