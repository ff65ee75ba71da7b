//! The Swedish working-day calendar: weekends, the public holidays of the law on public
//! holidays (lag 1989:253), and the eves treated as holidays in practice (midsommarafton,
//! julafton, nyårsafton). Computed from their rules, Easter by the Gregorian computus,
//! so it holds for every year; the tests pin 2025–2030 against the official dates.
//! (No crate we found covers the eves and is maintained; see docs/decisions.md.)

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// Western Easter Sunday (the anonymous Gregorian algorithm).
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// The first `weekday` on or after `month`/`day` of `year`.
fn first_on_or_after(year: i32, month: u32, day: u32, weekday: Weekday) -> Option<NaiveDate> {
    let start = NaiveDate::from_ymd_opt(year, month, day)?;
    let ahead = (7 + weekday.num_days_from_monday() - start.weekday().num_days_from_monday()) % 7;
    start.checked_add_days(Days::new(u64::from(ahead)))
}

/// The day's name when it is a holiday or a day treated as one, else `None`.
pub fn holiday(date: NaiveDate) -> Option<&'static str> {
    let (year, month, day) = (date.year(), date.month(), date.day());
    let fixed = match (month, day) {
        (1, 1) => Some("nyårsdagen"),
        (1, 6) => Some("trettondedag jul"),
        (5, 1) => Some("första maj"),
        (6, 6) => Some("Sveriges nationaldag"),
        (12, 24) => Some("julafton"),
        (12, 25) => Some("juldagen"),
        (12, 26) => Some("annandag jul"),
        (12, 31) => Some("nyårsafton"),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    if let Some(easter) = easter_sunday(year) {
        let offset = (date - easter).num_days();
        let moving = match offset {
            -2 => Some("långfredagen"),
            0 => Some("påskdagen"),
            1 => Some("annandag påsk"),
            39 => Some("Kristi himmelsfärdsdag"),
            49 => Some("pingstdagen"),
            _ => None,
        };
        if moving.is_some() {
            return moving;
        }
    }
    let midsummer = first_on_or_after(year, 6, 20, Weekday::Sat);
    if Some(date) == midsummer {
        return Some("midsommardagen");
    }
    if midsummer.and_then(|d| d.pred_opt()) == Some(date) {
        return Some("midsommarafton");
    }
    if Some(date) == first_on_or_after(year, 10, 31, Weekday::Sat) {
        return Some("alla helgons dag");
    }
    None
}

/// Monday to Friday and not a holiday.
pub fn is_working_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && holiday(date).is_none()
}

/// The `n`th working day after `from` (`from` itself never counts: a tip received on a
/// Thursday with one working day to go is due on Friday). `None` only past year 262143.
pub fn add_working_days(from: NaiveDate, n: u32) -> Option<NaiveDate> {
    let mut date = from;
    let mut left = n;
    while left > 0 {
        date = date.succ_opt()?;
        if is_working_day(date) {
            left -= 1;
        }
    }
    Some(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("a date")
    }

    /// The official holidays and holiday eves, 2025–2030 (Swedish almanac).
    const OFFICIAL: [(i32, [(u32, u32); 16]); 6] = [
        (
            2025,
            [
                (1, 1),
                (1, 6),
                (4, 18),
                (4, 20),
                (4, 21),
                (5, 1),
                (5, 29),
                (6, 6),
                (6, 8),
                (6, 20),
                (6, 21),
                (11, 1),
                (12, 24),
                (12, 25),
                (12, 26),
                (12, 31),
            ],
        ),
        (
            2026,
            [
                (1, 1),
                (1, 6),
                (4, 3),
                (4, 5),
                (4, 6),
                (5, 1),
                (5, 14),
                (5, 24),
                (6, 6),
                (6, 19),
                (6, 20),
                (10, 31),
                (12, 24),
                (12, 25),
                (12, 26),
                (12, 31),
            ],
        ),
        (
            2027,
            [
                (1, 1),
                (1, 6),
                (3, 26),
                (3, 28),
                (3, 29),
                (5, 1),
                (5, 6),
                (5, 16),
                (6, 6),
                (6, 25),
                (6, 26),
                (11, 6),
                (12, 24),
                (12, 25),
                (12, 26),
                (12, 31),
            ],
        ),
        (
            2028,
            [
                (1, 1),
                (1, 6),
                (4, 14),
                (4, 16),
                (4, 17),
                (5, 1),
                (5, 25),
                (6, 4),
                (6, 6),
                (6, 23),
                (6, 24),
                (11, 4),
                (12, 24),
                (12, 25),
                (12, 26),
                (12, 31),
            ],
        ),
        (
            2029,
            [
                (1, 1),
                (1, 6),
                (3, 30),
                (4, 1),
                (4, 2),
                (5, 1),
                (5, 10),
                (5, 20),
                (6, 6),
                (6, 22),
                (6, 23),
                (11, 3),
                (12, 24),
                (12, 25),
                (12, 26),
                (12, 31),
            ],
        ),
        (
            2030,
            [
                (1, 1),
                (1, 6),
                (4, 19),
                (4, 21),
                (4, 22),
                (5, 1),
                (5, 30),
                (6, 6),
                (6, 9),
                (6, 21),
                (6, 22),
                (11, 2),
                (12, 24),
                (12, 25),
                (12, 26),
                (12, 31),
            ],
        ),
    ];

    #[test]
    fn every_holiday_of_2025_to_2030_and_no_other_day() {
        for (year, days) in OFFICIAL {
            let mut found = Vec::new();
            let mut date = d(year, 1, 1);
            while date.year() == year {
                if holiday(date).is_some() {
                    found.push((date.month(), date.day()));
                }
                date = date.succ_opt().expect("next day");
            }
            assert_eq!(found, days.to_vec(), "{year}");
        }
    }

    #[test]
    fn easter_by_the_computus() {
        for (year, month, day) in [
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2030, 4, 21),
            (2038, 4, 25),
            (2285, 3, 22),
        ] {
            assert_eq!(easter_sunday(year), Some(d(year, month, day)));
        }
    }

    #[test]
    fn due_dates_skip_weekends_and_holidays() {
        // The Thursday before Easter 2027: långfredagen and annandag påsk are skipped.
        assert_eq!(add_working_days(d(2027, 3, 25), 5), Some(d(2027, 4, 5)));
        assert_eq!(add_working_days(d(2027, 3, 25), 1), Some(d(2027, 3, 30)));
        // Midsommar week: midsommarafton is no working day.
        assert_eq!(add_working_days(d(2027, 6, 24), 1), Some(d(2027, 6, 28)));
        // Christmas and the new year.
        assert_eq!(add_working_days(d(2026, 12, 23), 1), Some(d(2026, 12, 28)));
        assert_eq!(add_working_days(d(2026, 12, 30), 1), Some(d(2027, 1, 4)));
        // A plain week, and a weekend start.
        assert_eq!(add_working_days(d(2026, 11, 30), 5), Some(d(2026, 12, 7)));
        assert_eq!(add_working_days(d(2026, 12, 5), 1), Some(d(2026, 12, 7)));
        assert_eq!(add_working_days(d(2026, 12, 5), 0), Some(d(2026, 12, 5)));
        assert!(!is_working_day(d(2026, 6, 6)) && is_working_day(d(2026, 6, 5)));
    }
}
