//! The outbox as operators see it: how much is waiting, how long the oldest due delivery
//! has waited, and how much was given up. Read by `/readyz` and `/metrics`.

use chrono::{DateTime, Utc};

use crate::email::transport::FailureCause;
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

/// The newest failed delivery, when no later delivery has been sent since: what is going
/// wrong with mail right now. `/readyz` shows its cause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LatestFailure {
    /// `None` for a reason written before causes were recorded.
    pub cause: Option<FailureCause>,
    /// Given up (`DEAD`) rather than waiting for a retry.
    pub dead: bool,
}

pub async fn latest_failure(db: &impl ConnectionTrait) -> Result<Option<LatestFailure>, DbErr> {
    let Some(failed) = delivery::Entity::find()
        .filter(delivery::Column::LastError.is_not_null())
        .filter(delivery::Column::Status.ne(DeliveryStatus::Sent))
        .order_by_desc(delivery::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let sent_since = delivery::Entity::find()
        .filter(delivery::Column::Status.eq(DeliveryStatus::Sent))
        .filter(delivery::Column::Id.gt(failed.id))
        .count(db)
        .await?;
    if sent_since > 0 {
        return Ok(None);
    }
    Ok(Some(LatestFailure {
        cause: failed
            .last_error
            .as_deref()
            .and_then(FailureCause::of_reason),
        dead: failed.status == DeliveryStatus::Dead,
    }))
}
