//! Progress of commitments, computed from their targets and follow-ups and rolled up to
//! focus areas and promises. Progress is never typed in by hand.
//!
//! * A commitment with a measurable target: achieved quantity (sum of follow-ups) divided
//!   by the target over the whole promise, capped at 1. A per-year or per-school-year
//!   target counts once for each calendar year the promise covers.
//! * A commitment without a target: 1 when its status is `DONE`, otherwise 0.
//! * A focus area or promise: the mean of its commitments, or `None` with no commitments.

use entity::{CommitmentStatus, TargetPeriod};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Target {
    pub quantity: i32,
    pub period: TargetPeriod,
}

/// The quantity the whole promise period must reach.
pub fn total_target(target: Target, calendar_years: u32) -> i64 {
    let periods = match target.period {
        TargetPeriod::Year | TargetPeriod::SchoolYear => i64::from(calendar_years.max(1)),
        TargetPeriod::PromisePeriod => 1,
    };
    i64::from(target.quantity.max(0)) * periods
}

/// Progress of one commitment in `0.0..=1.0`.
pub fn commitment(
    target: Option<Target>,
    status: CommitmentStatus,
    achieved: i64,
    calendar_years: u32,
) -> f64 {
    match target {
        Some(target) => {
            let total = total_target(target, calendar_years);
            if total <= 0 {
                return if status == CommitmentStatus::Done {
                    1.0
                } else {
                    0.0
                };
            }
            (achieved.max(0) as f64 / total as f64).min(1.0)
        }
        None if status == CommitmentStatus::Done => 1.0,
        None => 0.0,
    }
}

/// Mean of the given progress values; `None` when there are none.
pub fn roll_up(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let (sum, count) = values
        .into_iter()
        .fold((0.0, 0u32), |(sum, count), v| (sum + v, count + 1));
    (count > 0).then(|| sum / f64::from(count))
}

#[cfg(test)]
mod tests {
    use super::*;

    const YEARLY4: Target = Target {
        quantity: 4,
        period: TargetPeriod::Year,
    };

    #[test]
    fn measurable_targets_use_follow_ups() {
        assert_eq!(
            commitment(Some(YEARLY4), CommitmentStatus::InProgress, 0, 1),
            0.0
        );
        assert_eq!(
            commitment(Some(YEARLY4), CommitmentStatus::InProgress, 3, 1),
            0.75
        );
        assert_eq!(commitment(Some(YEARLY4), CommitmentStatus::Done, 9, 1), 1.0);
        // Two-year promise: four per year means eight in all.
        assert_eq!(
            commitment(Some(YEARLY4), CommitmentStatus::InProgress, 4, 2),
            0.5
        );
        let once = Target {
            quantity: 2,
            period: TargetPeriod::PromisePeriod,
        };
        assert_eq!(commitment(Some(once), CommitmentStatus::Planned, 1, 2), 0.5);
    }

    #[test]
    fn unmeasured_commitments_follow_status() {
        assert_eq!(commitment(None, CommitmentStatus::Done, 0, 1), 1.0);
        assert_eq!(commitment(None, CommitmentStatus::InProgress, 5, 1), 0.0);
        assert_eq!(commitment(None, CommitmentStatus::NotDone, 0, 1), 0.0);
    }

    #[test]
    fn roll_up_is_the_mean() {
        assert_eq!(roll_up([1.0, 0.0, 0.5]), Some(0.5));
        assert_eq!(roll_up([]), None);
    }
}
