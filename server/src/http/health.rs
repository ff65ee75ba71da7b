//! Liveness and readiness probes, and the Prometheus scrape endpoint.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use serde_json::{Value, json};

use super::{AppState, json_error};
use crate::graphql::errors::ErrorCode;

/// Alive: the process answers HTTP.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready: the database answers and every migration is applied. The outbox is reported
/// (pending and given-up deliveries, age of the oldest due one, stuck or not) but never
/// makes the replica unready: a stuck relay is not fixed by restarting the API.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = state.db.execute_unprepared("SELECT 1").await.is_ok();
    let migrations = database
        && crate::db::migrations_applied(&state.db)
            .await
            .unwrap_or(false);
    let ready = database && migrations;
    let outbox = if database {
        outbox(&state.db).await.unwrap_or_else(|err| {
            tracing::warn!(error = %err, "could not read the outbox for /readyz");
            json!({ "status": "unknown" })
        })
    } else {
        json!({ "status": "unknown" })
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({
            "status": if ready { "ready" } else { "unavailable" },
            "database": if database { "ok" } else { "unreachable" },
            "migrations": if migrations { "applied" } else { "pending" },
            "outbox": outbox,
        })),
    )
}

async fn outbox(db: &DatabaseConnection) -> Result<Value, DbErr> {
    let state = crate::delivery::outbox::state(db, Utc::now()).await?;
    // The cause of what is failing now, as a fixed label and sentence: never the stored
    // reason itself, nor a host, an address or anything of SMTP_URL.
    let last_failure = crate::delivery::outbox::latest_failure(db).await?.map(|f| {
        json!({
            "cause": f.cause.map_or("unknown", |c| c.label()),
            "explanation": f.cause.map_or("see the delivery's last error", |c| c.explain()),
            "status": if f.dead { "dead" } else { "retrying" },
        })
    });
    Ok(json!({
        "status": if state.is_stuck() { "stuck" } else { "ok" },
        "pending": state.pending,
        "dead": state.dead,
        "oldestDueAgeSeconds": state.oldest_due_age_secs,
        "lastFailure": last_failure,
    }))
}

/// Prometheus metrics in text format, on the public listener (when it serves them) or
/// on the metrics listener.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !state.metrics_access.public {
        return not_found();
    }
    metrics_response(&state, &headers).await
}

/// The metrics listener's `/metrics`.
pub async fn metrics_private(State(state): State<AppState>, headers: HeaderMap) -> Response {
    metrics_response(&state, &headers).await
}

fn not_found() -> Response {
    json_error(StatusCode::NOT_FOUND, ErrorCode::NotFound, "not found")
}

async fn metrics_response(state: &AppState, headers: &HeaderMap) -> Response {
    if let Some(token) = &state.metrics_access.token {
        let presented = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes());
        if !crate::metrics::bearer_matches(presented, token.expose()) {
            let mut response = json_error(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthenticated,
                "metrics require a valid bearer token",
            );
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"metrics\""),
            );
            return response;
        }
    }
    let Some(handle) = &state.metrics else {
        return json_error(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "metrics are not enabled in this process",
        );
    };
    let published = match crate::delivery::outbox::publish(&state.db).await {
        Ok(()) => crate::service::followup::publish(&state.db, state.intake.clock.today()).await,
        err => err,
    };
    match published {
        Ok(()) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            crate::metrics::render(handle, &state.db),
        )
            .into_response(),
        Err(err) => {
            tracing::error!(error = %err, "could not read the database for /metrics");
            json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Unavailable,
                "metrics are unavailable while the database is unreachable",
            )
        }
    }
}
