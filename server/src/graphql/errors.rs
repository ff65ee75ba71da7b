//! API errors: the one path every failure takes to the client.
//!
//! Services return their own error types (`SubmitError`, `StaffError`, `EditError`);
//! each converts with `From` into [`ApiError`], so a resolver returns
//! [`ApiResult<T>`] and uses `?`. Every error the client sees carries a stable
//! `extensions.code` from [`ErrorCode`]; the JSON body of an error answered outside
//! GraphQL execution is built by [`error_document`]. Internal details are logged (inside
//! the request's span, which carries its request id) and never sent to the client.

use async_graphql::{ErrorExtensions, ServerError};

pub use crate::error_code::ErrorCode;

/// Errors a resolver can return. Convert with `?`; the code is attached on the way out.
///
/// Deliberately not `Display`: async-graphql converts any `Display` type into an error
/// without a code, and that conversion must never be picked by accident. Because
/// resolvers return [`ApiResult`], a `?` on an error that has no `From` impl here does
/// not compile.
#[derive(Debug, Clone)]
pub enum ApiError {
    /// The client sent something invalid; `field` names the argument or input field.
    BadUserInput {
        field: String,
        message: String,
        /// The rule's parameters (`min`, `max`, `allowed`, …), sent in `extensions`.
        params: Vec<(&'static str, crate::domain::Param)>,
        /// `message` is Swedish already (the tip form's rules).
        swedish: bool,
    },
    /// The thing asked for does not exist or is not visible to the caller.
    NotFound(&'static str),
    /// Too many submissions; try again after the given number of seconds.
    RateLimited { retry_after_secs: u64 },
    /// An idempotency key was reused for a different request.
    IdempotencyConflict,
    /// A staff field was asked for without a valid token.
    Unauthenticated,
    /// The token's role may not do this.
    Forbidden,
    /// Something failed on our side. The detail stays in the log.
    Internal,
}

impl ApiError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadUserInput {
            field: field.into(),
            message: message.into(),
            params: Vec::new(),
            swedish: false,
        }
    }

    /// Add a parameter of the rule a `BAD_USER_INPUT` value broke (other errors ignore it).
    #[must_use]
    pub fn with(mut self, name: &'static str, value: crate::domain::Param) -> Self {
        if let Self::BadUserInput { params, .. } = &mut self {
            params.push((name, value));
        }
        self
    }

    /// The message the client sees.
    pub fn message(&self) -> String {
        match self {
            Self::BadUserInput { message, .. } => message.clone(),
            Self::NotFound(what) => format!("{what} not found"),
            Self::RateLimited { retry_after_secs } => {
                format!("too many submissions; try again in {retry_after_secs} seconds")
            }
            Self::IdempotencyConflict => {
                "this idempotency key was already used for a different submission".to_owned()
            }
            Self::Unauthenticated => "a valid staff token is required".to_owned(),
            Self::Forbidden => "this token may not do that".to_owned(),
            Self::Internal => "internal server error".to_owned(),
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::BadUserInput { .. } => ErrorCode::BadUserInput,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::IdempotencyConflict => ErrorCode::IdempotencyConflict,
            Self::Unauthenticated => ErrorCode::Unauthenticated,
            Self::Forbidden => ErrorCode::Forbidden,
            Self::Internal => ErrorCode::Internal,
        }
    }

    /// Log an internal failure and return the opaque error the client sees.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "internal error while resolving a GraphQL request");
        Self::Internal
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::internal(err)
    }
}

impl From<std::sync::Arc<sea_orm::DbErr>> for ApiError {
    fn from(err: std::sync::Arc<sea_orm::DbErr>) -> Self {
        Self::internal(err)
    }
}

impl From<crate::domain::Invalid> for ApiError {
    fn from(err: crate::domain::Invalid) -> Self {
        Self::BadUserInput {
            field: err.field.to_owned(),
            message: err.message,
            params: err.params,
            swedish: err.swedish,
        }
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        let mut error = async_graphql::Error::new(self.message()).extend_with(|_, ext| {
            ext.set("code", self.code().as_str());
            match self {
                Self::BadUserInput { field, params, .. } => {
                    ext.set("field", field.as_str());
                    for (name, value) in params {
                        match value {
                            crate::domain::Param::Int(n) => ext.set(*name, *n),
                            crate::domain::Param::Float(x) => ext.set(*name, *x),
                            crate::domain::Param::List(items) => ext.set(
                                *name,
                                async_graphql::Value::List(
                                    items
                                        .iter()
                                        .map(|i| async_graphql::Value::from(*i))
                                        .collect(),
                                ),
                            ),
                        }
                    }
                }
                Self::RateLimited { retry_after_secs } => {
                    ext.set("retryAfterSeconds", *retry_after_secs)
                }
                _ => {}
            }
        });
        // The typed error travels with the message, for the HTTP layer (see `code_of`).
        error.source = Some(std::sync::Arc::new(self.clone()));
        error
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        err.extend()
    }
}

/// Result type of resolvers.
pub type ApiResult<T> = Result<T, ApiError>;

/// Give `error` its code: as `extensions.code` for the client and as the error's typed
/// source for the HTTP layer, which reads it back with [`code_of`].
pub fn set_code(error: &mut ServerError, code: ErrorCode) {
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code.as_str());
    if error.source.is_none() {
        error.source = Some(std::sync::Arc::new(code));
    }
}

/// The code of an error from execution: the typed value it carries, never its text.
pub fn code_of(error: &ServerError) -> Option<ErrorCode> {
    error
        .source::<ApiError>()
        .map(ApiError::code)
        .or_else(|| error.source::<ErrorCode>().copied())
}

/// The `Retry-After` seconds of a rate-limited resolver error.
pub fn retry_after_of(error: &ServerError) -> Option<u64> {
    match error.source::<ApiError>()? {
        ApiError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
        _ => None,
    }
}

/// The JSON body of an error answered outside GraphQL execution: one error with its code
/// (and the input field it is about), with `"data": null` when execution was refused
/// after the document was accepted as a request.
pub fn error_document(code: ErrorCode, message: &str, field: Option<&str>, data: bool) -> String {
    error_document_with(code, message, field, &[], data)
}

/// [`error_document`] with numbers in `extensions` (a limit's measured value and limit).
pub fn error_document_with(
    code: ErrorCode,
    message: &str,
    field: Option<&str>,
    numbers: &[(&str, usize)],
    data: bool,
) -> String {
    let mut extensions = serde_json::Map::new();
    extensions.insert("code".into(), code.as_str().into());
    if let Some(field) = field {
        extensions.insert("field".into(), field.into());
    }
    for (name, value) in numbers {
        extensions.insert((*name).into(), (*value).into());
    }
    let error = serde_json::json!({ "message": message, "extensions": extensions });
    let body = if data {
        serde_json::json!({ "data": null, "errors": [error] })
    } else {
        serde_json::json!({ "errors": [error] })
    };
    body.to_string()
}

impl From<crate::service::tips::SubmitError> for ApiError {
    fn from(err: crate::service::tips::SubmitError) -> Self {
        use crate::service::tips::SubmitError;
        match err {
            SubmitError::Invalid(i) => i.into(),
            SubmitError::IdempotencyConflict => Self::IdempotencyConflict,
            SubmitError::RateLimited { retry_after } => Self::RateLimited {
                retry_after_secs: crate::ratelimit::retry_after_secs(retry_after),
            },
            SubmitError::Db(e) => e.into(),
        }
    }
}

impl From<crate::ratelimit::Refused> for ApiError {
    fn from(refused: crate::ratelimit::Refused) -> Self {
        Self::RateLimited {
            retry_after_secs: crate::ratelimit::retry_after_secs(refused.retry_after),
        }
    }
}

impl From<crate::service::staff::StaffError> for ApiError {
    fn from(err: crate::service::staff::StaffError) -> Self {
        use crate::service::staff::StaffError;
        match err {
            StaffError::Invalid { field, message } => Self::bad_input(field, message),
            StaffError::NotFound => Self::NotFound("tip"),
            StaffError::Forbidden => Self::Forbidden,
            StaffError::InvalidTransition { from, to } => {
                use entity::TipStatus::*;
                let allowed = [New, Unrouted, InProgress, Handled, NotRelevant]
                    .into_iter()
                    .filter(|&next| crate::domain::triage::allowed(from, next))
                    .map(status_name)
                    .collect();
                Self::bad_input(
                    "status",
                    format!(
                        "a tip cannot go from {} to {}",
                        status_name(from),
                        status_name(to)
                    ),
                )
                .with("allowed", crate::domain::Param::List(allowed))
            }
            StaffError::Db(e) => e.into(),
        }
    }
}

/// A tip status as the schema spells it.
pub(super) fn status_name(s: entity::TipStatus) -> &'static str {
    match s {
        entity::TipStatus::New => "NEW",
        entity::TipStatus::Unrouted => "UNROUTED",
        entity::TipStatus::InProgress => "IN_PROGRESS",
        entity::TipStatus::Handled => "HANDLED",
        entity::TipStatus::NotRelevant => "NOT_RELEVANT",
    }
}

impl From<crate::service::editing::EditError> for ApiError {
    fn from(err: crate::service::editing::EditError) -> Self {
        use crate::service::editing::EditError;
        match err {
            EditError::Invalid(i) => i.into(),
            EditError::NotFound(what) => Self::NotFound(what),
            EditError::Forbidden => Self::Forbidden,
            EditError::Db(e) => e.into(),
        }
    }
}
