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
pub mod photo;
pub mod place;
pub mod progress;
pub mod reference;
pub mod response_target;
pub mod routing;
pub mod search;
pub mod tip;
pub mod triage;

/// A validation failure: the input field and a message for the client.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: &'static str,
    pub message: String,
    /// What the value must satisfy (`min`, `max`, `allowed`, …), for clients that write
    /// their own text; sent as `extensions` next to `field`.
    pub params: Vec<(&'static str, Param)>,
    /// The message is written in Swedish (the tip form's rules, shown to residents).
    pub swedish: bool,
}

/// One parameter of a validation rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Int(i64),
    /// A bound in degrees (a place's latitude and longitude).
    Float(f64),
    List(Vec<&'static str>),
}

impl Invalid {
    /// Add a parameter of the rule the value broke.
    #[must_use]
    pub fn with(mut self, name: &'static str, value: Param) -> Self {
        self.params.push((name, value));
        self
    }
}

pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Invalid {
    Invalid {
        field,
        message: message.into(),
        params: Vec::new(),
        swedish: false,
    }
}
