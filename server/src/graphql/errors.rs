//! API errors. Each variant has a stable `extensions.code`; internal details are logged
//! with an incident id and never sent to the client.

use async_graphql::ErrorExtensions;

/// Errors a resolver can return. Convert with `?`; the code is attached on the way out.
///
/// Deliberately not `Display`: async-graphql converts any `Display` type into an error
/// without a code, and that conversion must never be picked by accident.
#[derive(Debug, Clone)]
pub enum ApiError {
    /// The client sent something invalid; `field` names the argument or input field.
    BadUserInput { field: String, message: String },
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
        }
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

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadUserInput { .. } => "BAD_USER_INPUT",
            Self::NotFound(_) => "NOT_FOUND",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::IdempotencyConflict => "IDEMPOTENCY_CONFLICT",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::Internal => "INTERNAL",
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

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.message()).extend_with(|_, ext| {
            ext.set("code", self.code());
            match self {
                Self::BadUserInput { field, .. } => ext.set("field", field.as_str()),
                Self::RateLimited { retry_after_secs } => {
                    ext.set("retryAfterSeconds", *retry_after_secs)
                }
                _ => {}
            }
        })
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        err.extend()
    }
}

/// Result type of resolvers.
pub type ApiResult<T> = Result<T, async_graphql::Error>;
