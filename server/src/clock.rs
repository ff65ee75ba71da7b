//! What time it is. The server reads the system clock; tests hand the application a
//! clock they set, so that due dates, reminders and escalations can be tested on the
//! days that matter (Easter, midsummer, Christmas) without waiting for them. Passed to
//! whoever needs it, never a global.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, NaiveDate, Utc};

#[derive(Clone, Default)]
pub struct Clock(Option<Arc<RwLock<DateTime<Utc>>>>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(None)
    }

    /// A clock that stands still at `at` until [`Clock::set`] moves it. Clones share
    /// the time, so two applications given one clock agree on it.
    pub fn fixed(at: DateTime<Utc>) -> Self {
        Self(Some(Arc::new(RwLock::new(at))))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.0 {
            None => Utc::now(),
            Some(at) => *at.read().unwrap_or_else(|poisoned| poisoned.into_inner()),
        }
    }

    /// Move a fixed clock (no effect on the system clock).
    pub fn set(&self, to: DateTime<Utc>) {
        if let Some(at) = &self.0 {
            *at.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = to;
        }
    }

    /// Today's date in Sweden: due dates are Swedish calendar days.
    pub fn today(&self) -> NaiveDate {
        self.now()
            .with_timezone(&chrono_tz::Europe::Stockholm)
            .date_naive()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            None => f.write_str("Clock::System"),
            Some(_) => write!(f, "Clock::Fixed({})", self.now()),
        }
    }
}
