//! A municipality's response target: the Swedish working days within which residents
//! are promised an answer to a tip. One rule for the seed file and for staff edits.

use super::{Invalid, Param, invalid};

/// The target when the seed file gives none (and the column's default).
pub const DEFAULT_DAYS: i32 = 5;
/// Fewest working days a target may be.
pub const MIN_DAYS: i32 = 1;
/// Most working days a target may be: about three months, far above any real promise.
pub const MAX_DAYS: i32 = 60;

/// Whether `days` is an allowed target.
pub fn is_valid(days: i32) -> bool {
    (MIN_DAYS..=MAX_DAYS).contains(&days)
}

/// A target staff set: `MIN_DAYS` to `MAX_DAYS` working days, refused on `field` with
/// the bounds as parameters.
pub fn working_days(field: &'static str, days: i32) -> Result<i32, Invalid> {
    if is_valid(days) {
        Ok(days)
    } else {
        Err(invalid(
            field,
            format!("a response target is {MIN_DAYS} to {MAX_DAYS} working days"),
        )
        .with("min", Param::Int(i64::from(MIN_DAYS)))
        .with("max", Param::Int(i64::from(MAX_DAYS))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_one_to_sixty_working_days() {
        assert_eq!(working_days("workingDays", 1), Ok(1));
        assert_eq!(working_days("workingDays", DEFAULT_DAYS), Ok(5));
        assert_eq!(working_days("workingDays", 60), Ok(60));
        for bad in [i32::MIN, -1, 0, 61, i32::MAX] {
            let err = working_days("workingDays", bad).expect_err("refused");
            assert_eq!(err.field, "workingDays");
            assert_eq!(
                err.params,
                vec![("min", Param::Int(1)), ("max", Param::Int(60))]
            );
        }
    }
}
