//! The outbox as operators see it: how much is waiting, how long the oldest due delivery
//! has waited, and how much was given up. Read by `/readyz` and `/metrics`.

use chrono::{DateTime, Utc};
use entity::{DeliveryStatus, delivery};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

/// A due delivery waiting longer than this means the outbox is stuck (no worker running,
/// or the relay refusing everything).
pub const STUCK_AFTER_SECS: f64 = 600.0;

/// Publish the outbox's state as metrics gauges (read by `/metrics` before it renders).
pub async fn publish(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let outbox = state(db, Utc::now()).await?;
    crate::metrics::outbox(outbox.pending, outbox.dead, outbox.oldest_due_age_secs);
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OutboxState {
    pub pending: u64,
    pub dead: u64,
    /// Seconds the oldest due, unsent delivery has waited; `None` when none is due.
    pub oldest_due_age_secs: Option<f64>,
}

impl OutboxState {
    pub fn is_stuck(&self) -> bool {
        self.oldest_due_age_secs
            .is_some_and(|age| age > STUCK_AFTER_SECS)
    }
}

pub async fn state(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<OutboxState, DbErr> {
    let with_status = |status| delivery::Entity::find().filter(delivery::Column::Status.eq(status));
    let pending = with_status(DeliveryStatus::Pending).count(db).await?;
    let dead = with_status(DeliveryStatus::Dead).count(db).await?;
    let oldest_due = with_status(DeliveryStatus::Pending)
        .filter(delivery::Column::NextAttemptAt.lte(now))
        .order_by_asc(delivery::Column::NextAttemptAt)
        .one(db)
        .await?;
    Ok(OutboxState {
        pending,
        dead,
        oldest_due_age_secs: oldest_due
            .map(|d| ((now - d.next_attempt_at).num_milliseconds().max(0) as f64) / 1000.0),
    })
}
