//! Privacy: residents' personal data is erased after the retention period (or at once by
//! an admin); the tip stays as an anonymous record for statistics.

use std::time::Duration;

use chrono::{DateTime, Datelike, Utc};
use entity::{DeliveryKind, TipKind, TipStatus, delivery, tip};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    TransactionTrait, sea_query::Expr,
};

/// How long personal data is kept.
#[derive(Clone, Copy, Debug)]
pub struct Retention {
    /// After a tip was closed (handled or not relevant).
    pub after_handled: Duration,
    /// After receipt, whatever the status.
    pub max_age: Duration,
}

/// Erase the personal data of the given tips and of their receipts, in one transaction.
async fn erase_where(
    db: &DatabaseConnection,
    condition: Condition,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let txn = db.begin().await?;
    let ids: Vec<i32> = tip::Entity::find()
        .filter(condition)
        .filter(tip::Column::ErasedAt.is_null())
        .all(&txn)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    if ids.is_empty() {
        txn.commit().await?;
        return Ok(0);
    }
    let erased = tip::Entity::update_many()
        .col_expr(tip::Column::Message, Expr::value(""))
        .col_expr(tip::Column::Name, Expr::value(Option::<String>::None))
        .col_expr(tip::Column::Email, Expr::value(Option::<String>::None))
        .col_expr(tip::Column::Phone, Expr::value(Option::<String>::None))
        .col_expr(tip::Column::IpHash, Expr::value(Option::<String>::None))
        .col_expr(tip::Column::ErasedAt, Expr::value(Some(now)))
        .filter(tip::Column::Id.is_in(ids.clone()))
        .exec(&txn)
        .await?
        .rows_affected;
    // A receipt's recipient is the resident.
    delivery::Entity::update_many()
        .col_expr(delivery::Column::RecipientEmail, Expr::value(""))
        .col_expr(
            delivery::Column::RecipientName,
            Expr::value(Option::<String>::None),
        )
        .filter(delivery::Column::TipId.is_in(ids))
        .filter(delivery::Column::Kind.eq(DeliveryKind::Receipt))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(erased)
}

/// The scheduled job: erase what is older than the retention allows at `now`.
pub async fn erase_expired(
    db: &DatabaseConnection,
    retention: Retention,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let handled_before = now - retention.after_handled;
    let received_before = now - retention.max_age;
    erase_where(
        db,
        Condition::any()
            .add(tip::Column::HandledAt.lt(handled_before))
            .add(tip::Column::ReceivedAt.lt(received_before)),
        now,
    )
    .await
}

/// Erase one tip's personal data now (admin request); false when there is no such tip.
pub async fn erase_tip(
    db: &DatabaseConnection,
    reference: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let exists = tip::Entity::find()
        .filter(tip::Column::Reference.eq(reference.trim()))
        .one(db)
        .await?
        .is_some();
    if exists {
        erase_where(
            db,
            Condition::all().add(tip::Column::Reference.eq(reference.trim())),
            now,
        )
        .await?;
    }
    Ok(exists)
}

/// Smallest group that statistics may show: fewer could single a person out.
pub const MIN_BUCKET: u64 = 5;

/// Counts for one kind in one month.
#[derive(Clone, Debug, PartialEq)]
pub struct Bucket {
    pub month: String,
    pub kind: TipKind,
    /// `None` when fewer than [`MIN_BUCKET`] tips (suppressed).
    pub count: Option<u64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Statistics {
    /// `None` below the threshold.
    pub total: Option<u64>,
    pub buckets: Vec<Bucket>,
    /// Share of tips closed as handled or not relevant, 0 to 1; `None` below the threshold.
    pub share_handled: Option<f64>,
    /// Median hours from receipt to closing; `None` below the threshold.
    pub median_hours_to_handled: Option<f64>,
}

/// Anonymous statistics for a municipality between two instants.
pub async fn statistics(
    db: &impl ConnectionTrait,
    municipality_id: i32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Statistics, DbErr> {
    let tips = tip::Entity::find()
        .filter(tip::Column::MunicipalityId.eq(municipality_id))
        .filter(tip::Column::ReceivedAt.gte(from))
        .filter(tip::Column::ReceivedAt.lt(to))
        .all(db)
        .await?;
    let total = tips.len() as u64;
    let mut counts: std::collections::BTreeMap<(String, String), (TipKind, u64)> =
        Default::default();
    for t in &tips {
        let month = format!("{:04}-{:02}", t.received_at.year(), t.received_at.month());
        counts
            .entry((month, format!("{:?}", t.kind)))
            .or_insert((t.kind, 0))
            .1 += 1;
    }
    let buckets = counts
        .into_iter()
        .map(|((month, _), (kind, n))| Bucket {
            month,
            kind,
            count: (n >= MIN_BUCKET).then_some(n),
        })
        .collect();
    let closed: Vec<&tip::Model> = tips
        .iter()
        .filter(|t| {
            matches!(t.status, TipStatus::Handled | TipStatus::NotRelevant)
                && t.handled_at.is_some()
        })
        .collect();
    let enough = total >= MIN_BUCKET;
    let share_handled = enough.then(|| closed.len() as f64 / total as f64);
    let mut hours: Vec<f64> = closed
        .iter()
        .filter_map(|t| {
            t.handled_at
                .map(|h| (h - t.received_at).num_seconds() as f64 / 3600.0)
        })
        .collect();
    hours.sort_by(f64::total_cmp);
    let median_hours_to_handled = (hours.len() as u64 >= MIN_BUCKET).then(|| {
        let mid = hours.len() / 2;
        if hours.len().is_multiple_of(2) {
            (hours[mid - 1] + hours[mid]) / 2.0
        } else {
            hours[mid]
        }
    });
    Ok(Statistics {
        total: enough.then_some(total),
        buckets,
        share_handled,
        median_hours_to_handled,
    })
}
