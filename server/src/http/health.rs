//! Liveness and readiness probes.

use axum::{Json, extract::State, http::StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use super::AppState;

/// Alive: the process answers HTTP.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready: the database answers and every migration is applied.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = state.db.execute_unprepared("SELECT 1").await.is_ok();
    let migrations = database
        && crate::db::migrations_applied(&state.db)
            .await
            .unwrap_or(false);
    let ready = database && migrations;
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
        })),
    )
}
