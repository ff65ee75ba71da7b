//! Validity periods and the status derived from them (never stored, always computed).

use chrono::{Datelike, NaiveDate, Utc};

/// Where a promise stands relative to a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeriodStatus {
    Upcoming,
    Active,
    Expired,
}

/// Today's date in Sweden: promises are dated by Swedish calendar days.
pub fn today() -> NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Europe::Stockholm)
        .date_naive()
}

pub fn status(valid_from: NaiveDate, valid_to: NaiveDate, on: NaiveDate) -> PeriodStatus {
    if on < valid_from {
        PeriodStatus::Upcoming
    } else if on > valid_to {
        PeriodStatus::Expired
    } else {
        PeriodStatus::Active
    }
}

/// Check that a period is well formed: it ends after it starts and spans at most two
/// calendar years (medborgarlöften are yearly or two-year commitments).
pub fn validate(valid_from: NaiveDate, valid_to: NaiveDate) -> Result<(), String> {
    if valid_to < valid_from {
        return Err(format!(
            "valid_to {valid_to} is before valid_from {valid_from}"
        ));
    }
    if calendar_years(valid_from, valid_to) > 2 {
        return Err(format!(
            "the period {valid_from} – {valid_to} spans more than two calendar years"
        ));
    }
    Ok(())
}

/// Number of calendar years a period touches (2023-01-01 – 2024-12-31 → 2).
pub fn calendar_years(valid_from: NaiveDate, valid_to: NaiveDate) -> u32 {
    u32::try_from(valid_to.year() - valid_from.year() + 1).unwrap_or(0)
}

/// First and last day of a calendar year, or `None` for a year chrono cannot represent.
pub fn year_bounds(year: i32) -> Option<(NaiveDate, NaiveDate)> {
    Some((
        NaiveDate::from_ymd_opt(year, 1, 1)?,
        NaiveDate::from_ymd_opt(year, 12, 31)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("test date")
    }

    #[test]
    fn status_edges_are_inclusive() {
        let (from, to) = (d("2023-01-01"), d("2024-12-31"));
        assert_eq!(status(from, to, d("2022-12-31")), PeriodStatus::Upcoming);
        assert_eq!(status(from, to, from), PeriodStatus::Active);
        assert_eq!(status(from, to, to), PeriodStatus::Active);
        assert_eq!(status(from, to, d("2025-01-01")), PeriodStatus::Expired);
    }

    #[test]
    fn periods_are_one_or_two_years() {
        assert!(validate(d("2021-01-01"), d("2021-12-31")).is_ok());
        assert!(validate(d("2023-01-01"), d("2024-12-31")).is_ok());
        assert!(validate(d("2023-01-01"), d("2025-01-01")).is_err());
        assert!(validate(d("2023-02-01"), d("2023-01-01")).is_err());
        assert_eq!(calendar_years(d("2023-01-01"), d("2024-12-31")), 2);
    }
}
