//! Privacy: residents' personal data is erased after the retention period (or at once by
//! an admin); the tip stays as an anonymous record for statistics.

use std::{collections::BTreeMap, time::Duration};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::{DeliveryKind, DeliveryStatus, TipKind, TipStatus, delivery, tip, tip_photo};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    sea_query::Expr,
};

/// How long personal data is kept.
#[derive(Clone, Copy, Debug)]
pub struct Retention {
    /// After a tip was closed (handled or not relevant).
    pub after_handled: Duration,
    /// After receipt, whatever the status.
    pub max_age: Duration,
}

/// Erase the personal data of the given tips (message, contact details, place, photos,
/// hashes) and of their receipts, in one transaction.
async fn erase_where(
    db: &DatabaseConnection,
    condition: Condition,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let txn = crate::db::begin_write(db).await?;
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
        .col_expr(tip::Column::EmailHash, Expr::value(Option::<String>::None))
        .col_expr(
            tip::Column::PlaceAddress,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            tip::Column::PlaceLatitudeE6,
            Expr::value(Option::<i32>::None),
        )
        .col_expr(
            tip::Column::PlaceLongitudeE6,
            Expr::value(Option::<i32>::None),
        )
        .col_expr(tip::Column::ErasedAt, Expr::value(Some(now)))
        .filter(tip::Column::Id.is_in(ids.clone()))
        .exec(&txn)
        .await?
        .rows_affected;
    // Photos are personal data through and through: they go, not just their content.
    tip_photo::Entity::delete_many()
        .filter(tip_photo::Column::TipId.is_in(ids.clone()))
        .exec(&txn)
        .await?;
    let to_resident = [
        DeliveryKind::Receipt,
        DeliveryKind::Update,
        DeliveryKind::Reply,
    ];
    // An email to the resident not sent yet will not be: it had nobody left to go to.
    delivery::Entity::delete_many()
        .filter(delivery::Column::TipId.is_in(ids.clone()))
        .filter(delivery::Column::Kind.is_in(to_resident))
        .filter(delivery::Column::Status.eq(DeliveryStatus::Pending))
        .exec(&txn)
        .await?;
    // Those sent keep their record without the resident's address.
    delivery::Entity::update_many()
        .col_expr(delivery::Column::RecipientEmail, Expr::value(""))
        .col_expr(
            delivery::Column::RecipientName,
            Expr::value(Option::<String>::None),
        )
        .filter(delivery::Column::TipId.is_in(ids.clone()))
        .filter(delivery::Column::Kind.is_in(to_resident))
        .exec(&txn)
        .await?;
    // A reply's text may speak of the resident.
    delivery::Entity::update_many()
        .col_expr(delivery::Column::Body, Expr::value(Option::<String>::None))
        .filter(delivery::Column::TipId.is_in(ids))
        .filter(delivery::Column::Kind.eq(DeliveryKind::Reply))
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
    /// `None` when suppressed: fewer than [`MIN_BUCKET`] tips, or hidden so that a small
    /// group cannot be worked out by subtraction (see [`statistics`]).
    pub count: Option<u64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Statistics {
    /// `None` below the threshold, or when some month could be worked out from it.
    pub total: Option<u64>,
    pub buckets: Vec<Bucket>,
    /// Share of tips closed as handled or not relevant, 0 to 1; `None` when the total is
    /// hidden or some month has a small group of closed or of open tips.
    pub share_handled: Option<f64>,
    /// Median hours from receipt to closing; `None` below the threshold.
    pub median_hours_to_handled: Option<f64>,
    /// Share of the tips whose due date has come that were answered (moved out of
    /// `NEW`) by then, 0 to 1; `None` when the total is hidden, no tip's due date has
    /// come, or some month has a small group answered in time or not.
    pub share_answered_within_target: Option<f64>,
}

/// True when `n` is a group that may not be shown or derived: 1 to `MIN_BUCKET - 1`.
fn small(n: u64) -> bool {
    (1..MIN_BUCKET).contains(&n)
}

/// The first instant of the month that `at` falls in (UTC).
fn month_start(at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    NaiveDate::from_ymd_opt(at.year(), at.month(), 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

/// Widen `[from, to)` to whole calendar months (UTC), so that two overlapping periods can
/// never differ by a few days, and hence by a few tips.
pub fn whole_months(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let start = month_start(from)?;
    let last = month_start(to)?;
    let end = if last == to {
        last
    } else {
        let (y, m) = if last.month() == 12 {
            (last.year().checked_add(1)?, 1)
        } else {
            (last.year(), last.month() + 1)
        };
        NaiveDate::from_ymd_opt(y, m, 1)?
            .and_hms_opt(0, 0, 0)
            .map(|d| d.and_utc())?
    };
    Some((start, end))
}

/// The tips of one month, by kind, and how many were closed.
#[derive(Default)]
struct Month {
    kinds: BTreeMap<String, (TipKind, u64)>,
    total: u64,
    closed: u64,
    /// Tips whose due date has come (answered, or still waiting past it) …
    decided: u64,
    /// … and those of them answered by their due date.
    in_time: u64,
}

/// Which kinds of one month to hide: the small ones (primary suppression) and then, while
/// the hidden ones add up to a small group, the smallest shown one too (secondary
/// suppression). Returns the hidden kind keys and whether the month is safe, that is
/// whether what is hidden adds up to 0 or at least [`MIN_BUCKET`] (otherwise the month's
/// total, and so any total over a period that contains it, would give the group away).
fn suppress(month: &Month) -> (Vec<String>, bool) {
    let mut cells: Vec<(&String, u64)> = month.kinds.iter().map(|(k, (_, n))| (k, *n)).collect();
    cells.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(b.0)));
    let mut hidden = Vec::new();
    let mut hidden_sum = 0;
    for (key, n) in cells {
        if small(n) || small(hidden_sum) {
            hidden.push(key.clone());
            hidden_sum += n;
        } else {
            break;
        }
    }
    (hidden, !small(hidden_sum))
}

/// Anonymous statistics for a municipality for the calendar months (UTC) that the
/// period `[from, to)` touches.
///
/// No group of 1 to `MIN_BUCKET - 1` tips can be shown or worked out, also not by
/// subtracting one figure from another or comparing periods:
///
/// * the period is widened to whole months, and every decision is taken per month from
///   that month's tips alone, so a month's cells look the same in every period;
/// * in each month, small kinds are hidden, and then the smallest shown kinds too until
///   the hidden kinds add up to 0 or at least the threshold (complementary suppression);
/// * the total is shown only when it reaches the threshold and every month in the period
///   is safe (its total minus its shown cells is 0 or at least the threshold), so any
///   difference of totals is made of safe months;
/// * the share handled (which gives closed = share × total) is shown only with the total
///   and when no month has a small group of closed or of open tips.
pub async fn statistics(
    db: &impl ConnectionTrait,
    municipality_id: i32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Statistics, DbErr> {
    let today = super::followup::swedish_date(Utc::now());
    statistics_on(db, municipality_id, from, to, today).await
}

/// Whether a tip's answer is due by `today` and, if so, whether it came in time (its
/// first move out of `NEW` on or before the due date, Swedish time). `None` for a tip
/// without a due date or still within it.
pub fn answered_in_time(t: &tip::Model, today: NaiveDate) -> Option<bool> {
    let due = t.due_on?;
    match t.answered_at {
        Some(at) => Some(super::followup::swedish_date(at) <= due),
        None => (today > due).then_some(false),
    }
}

/// [`statistics`] with `today` (the Swedish date) deciding which due dates have come.
/// The share answered within the target follows the same rules as the share handled.
pub async fn statistics_on(
    db: &impl ConnectionTrait,
    municipality_id: i32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Statistics, DbErr> {
    let Some((from, to)) = whole_months(from, to) else {
        return Ok(Statistics {
            total: None,
            buckets: Vec::new(),
            share_handled: None,
            median_hours_to_handled: None,
            share_answered_within_target: None,
        });
    };
    let tips = tip::Entity::find()
        .filter(tip::Column::MunicipalityId.eq(municipality_id))
        .filter(tip::Column::ReceivedAt.gte(from))
        .filter(tip::Column::ReceivedAt.lt(to))
        .all(db)
        .await?;
    let is_closed = |t: &tip::Model| {
        matches!(t.status, TipStatus::Handled | TipStatus::NotRelevant) && t.handled_at.is_some()
    };
    let total = tips.len() as u64;
    let mut months: BTreeMap<String, Month> = BTreeMap::new();
    for t in &tips {
        let month = months
            .entry(format!(
                "{:04}-{:02}",
                t.received_at.year(),
                t.received_at.month()
            ))
            .or_default();
        month
            .kinds
            .entry(format!("{:?}", t.kind))
            .or_insert((t.kind, 0))
            .1 += 1;
        month.total += 1;
        if is_closed(t) {
            month.closed += 1;
        }
        if let Some(in_time) = answered_in_time(t, today) {
            month.decided += 1;
            month.in_time += u64::from(in_time);
        }
    }
    let mut buckets = Vec::new();
    let mut every_month_safe = true;
    let mut status_safe = true;
    let mut target_safe = true;
    for (name, month) in &months {
        let (hidden, safe) = suppress(month);
        every_month_safe &= safe;
        status_safe &= !small(month.closed) && !small(month.total - month.closed);
        target_safe &= !small(month.in_time) && !small(month.decided - month.in_time);
        for (key, (kind, n)) in &month.kinds {
            buckets.push(Bucket {
                month: name.clone(),
                kind: *kind,
                count: (!hidden.contains(key)).then_some(*n),
            });
        }
    }
    let total_shown = total >= MIN_BUCKET && every_month_safe;
    let closed: Vec<&tip::Model> = tips.iter().filter(|t| is_closed(t)).collect();
    let share_handled = (total_shown && status_safe).then(|| closed.len() as f64 / total as f64);
    let (decided, in_time) = months
        .values()
        .fold((0, 0), |(d, i), m| (d + m.decided, i + m.in_time));
    let share_answered_within_target =
        (total_shown && target_safe && decided > 0).then(|| in_time as f64 / decided as f64);
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
        total: total_shown.then_some(total),
        buckets,
        share_handled,
        median_hours_to_handled,
        share_answered_within_target,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(counts: &[(TipKind, u64)]) -> Month {
        let mut m = Month::default();
        for (kind, n) in counts {
            m.kinds.insert(format!("{kind:?}"), (*kind, *n));
            m.total += n;
        }
        m
    }

    #[test]
    fn a_lone_small_kind_takes_the_next_smallest_with_it() {
        let (hidden, safe) = suppress(&month(&[(TipKind::Tip, 6), (TipKind::Idea, 2)]));
        assert_eq!(hidden, ["Idea", "Tip"]);
        assert!(safe);
        let (hidden, safe) = suppress(&month(&[
            (TipKind::Tip, 9),
            (TipKind::Idea, 1),
            (TipKind::Opinion, 7),
        ]));
        assert_eq!(hidden, ["Idea", "Opinion"]);
        assert!(safe);
        let (hidden, safe) = suppress(&month(&[(TipKind::Tip, 2), (TipKind::Idea, 3)]));
        assert_eq!(hidden, ["Tip", "Idea"]);
        assert!(safe, "5 hidden tips in all");
        let (_, safe) = suppress(&month(&[(TipKind::Tip, 1), (TipKind::Idea, 2)]));
        assert!(!safe);
        let (hidden, safe) = suppress(&month(&[(TipKind::Tip, 5), (TipKind::Idea, 8)]));
        assert!(hidden.is_empty() && safe);
    }

    #[test]
    fn periods_are_widened_to_whole_months() {
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|d| d.with_timezone(&Utc))
                .expect("a date")
        };
        assert_eq!(
            whole_months(at("2026-01-15T00:00:00Z"), at("2026-01-16T00:00:00Z")),
            Some((at("2026-01-01T00:00:00Z"), at("2026-02-01T00:00:00Z")))
        );
        assert_eq!(
            whole_months(at("2026-12-01T00:00:00Z"), at("2027-01-01T00:00:00Z")),
            Some((at("2026-12-01T00:00:00Z"), at("2027-01-01T00:00:00Z")))
        );
        assert_eq!(
            whole_months(at("2026-12-31T10:00:00Z"), at("2026-12-31T23:00:00Z")),
            Some((at("2026-12-01T00:00:00Z"), at("2027-01-01T00:00:00Z")))
        );
    }
}
