//! Pure domain rules and validated values: no I/O, easy to unit-test.

pub mod collation;
pub mod kommunkod;
pub mod period;
pub mod progress;
pub mod search;
