//! Pure domain rules and validated values: no I/O, easy to unit-test.

pub mod backoff;
pub mod calendar;
pub mod charset;
pub mod collation;
pub mod contact;
pub mod editing;
pub mod email_address;
pub mod kommunkod;
pub mod period;
pub mod progress;
pub mod reference;
pub mod routing;
pub mod search;
pub mod tip;
pub mod triage;

/// A validation failure: the input field and a message for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: &'static str,
    pub message: String,
}

pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Invalid {
    Invalid {
        field,
        message: message.into(),
    }
}
