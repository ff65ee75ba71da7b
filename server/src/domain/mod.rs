//! Pure domain rules and validated values: no I/O, easy to unit-test.

pub mod backoff;
pub mod collation;
pub mod kommunkod;
pub mod period;
pub mod progress;
pub mod reference;
pub mod routing;
pub mod search;
pub mod tip;
pub mod triage;
