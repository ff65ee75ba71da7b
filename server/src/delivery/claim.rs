//! Claiming and finishing outbox rows.

use chrono::{DateTime, Utc};
use entity::{DeliveryStatus, delivery};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    FromQueryResult, QueryFilter, Statement, sea_query::Expr,
};

/// Claim up to `limit` due rows for `worker` until `lease_until`; returns them with
/// `attempts` already counted.
pub async fn claim(
    db: &DatabaseConnection,
    worker: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<delivery::Model>, DbErr> {
    let backend = db.get_database_backend();
    // PostgreSQL: rows another worker is claiming right now are skipped. SQLite has one
    // writer at a time, so the statement is atomic as it is; the outer WHERE repeats the
    // conditions so a row is never claimed twice.
    let (lock, recheck) = match backend {
        DbBackend::Postgres => ("FOR UPDATE SKIP LOCKED", ""),
        _ => (
            "",
            "AND status = 'PENDING' AND (locked_until IS NULL OR locked_until < $3)",
        ),
    };
    let sql = format!(
        r#"UPDATE delivery SET attempts = attempts + 1, locked_until = $1, locked_by = $2
           WHERE id IN (
             SELECT id FROM delivery
             WHERE status = 'PENDING' AND next_attempt_at <= $3
               AND (locked_until IS NULL OR locked_until < $3)
             ORDER BY next_attempt_at, id
             LIMIT $4
             {lock})
           {recheck}
           RETURNING *"#
    );
    let stmt = Statement::from_sql_and_values(
        backend,
        sql,
        [
            lease_until.into(),
            worker.into(),
            now.into(),
            (limit as i64).into(),
        ],
    );
    let rows = db.query_all_raw(stmt).await?;
    rows.iter()
        .map(|row| delivery::Model::from_query_result(row, ""))
        .collect()
}

/// Mark a claimed row sent, if this worker still holds it.
pub async fn mark_sent(
    db: &DatabaseConnection,
    id: i32,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = delivery::Entity::update_many()
        .col_expr(delivery::Column::Status, Expr::value(DeliveryStatus::Sent))
        .col_expr(delivery::Column::SentAt, Expr::value(Some(now)))
        .col_expr(
            delivery::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            delivery::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .filter(delivery::Column::Id.eq(id))
        .filter(delivery::Column::LockedBy.eq(worker))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Record a failure: retry at `retry_at`, or give up (`DEAD`) when `retry_at` is `None`.
pub async fn mark_failed(
    db: &DatabaseConnection,
    id: i32,
    worker: &str,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    let mut update = delivery::Entity::update_many()
        .col_expr(
            delivery::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            delivery::Column::LastError,
            Expr::value(Some(error.chars().take(1000).collect::<String>())),
        );
    update = match retry_at {
        Some(at) => update.col_expr(delivery::Column::NextAttemptAt, Expr::value(at)),
        None => update.col_expr(delivery::Column::Status, Expr::value(DeliveryStatus::Dead)),
    };
    update
        .filter(delivery::Column::Id.eq(id))
        .filter(delivery::Column::LockedBy.eq(worker))
        .exec(db)
        .await?;
    Ok(())
}
