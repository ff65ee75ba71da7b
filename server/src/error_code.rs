//! The stable error codes the API sends (`extensions.code`, and `code` in the JSON body
//! of an error answered outside GraphQL). A plain enum at the bottom of the crate, so
//! that metrics can label its counters with every code without naming the GraphQL layer;
//! `graphql::errors` re-exports it and builds the errors that carry it.

/// Every `extensions.code` the API sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    BadUserInput,
    BadRequest,
    NotFound,
    RateLimited,
    IdempotencyConflict,
    Unauthenticated,
    Forbidden,
    Internal,
    Unavailable,
    Timeout,
    PayloadTooLarge,
    UnsupportedMediaType,
    MethodNotAllowed,
    GraphqlParseFailed,
    GraphqlValidationFailed,
    IntrospectionDisabled,
    TokenLimitExceeded,
    AliasLimitExceeded,
    DirectiveLimitExceeded,
    DepthLimitExceeded,
    ComplexityLimitExceeded,
    BatchLimitExceeded,
    ResponseTooLarge,
    PersistedQueryNotFound,
}

impl ErrorCode {
    /// Every code, for metrics that exist before their first occurrence.
    pub const ALL: [Self; 24] = [
        Self::BadUserInput,
        Self::BadRequest,
        Self::NotFound,
        Self::RateLimited,
        Self::IdempotencyConflict,
        Self::Unauthenticated,
        Self::Forbidden,
        Self::Internal,
        Self::Unavailable,
        Self::Timeout,
        Self::PayloadTooLarge,
        Self::UnsupportedMediaType,
        Self::MethodNotAllowed,
        Self::GraphqlParseFailed,
        Self::GraphqlValidationFailed,
        Self::IntrospectionDisabled,
        Self::TokenLimitExceeded,
        Self::AliasLimitExceeded,
        Self::DirectiveLimitExceeded,
        Self::DepthLimitExceeded,
        Self::ComplexityLimitExceeded,
        Self::BatchLimitExceeded,
        Self::ResponseTooLarge,
        Self::PersistedQueryNotFound,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::BadRequest => "BAD_REQUEST",
            Self::NotFound => "NOT_FOUND",
            Self::RateLimited => "RATE_LIMITED",
            Self::IdempotencyConflict => "IDEMPOTENCY_CONFLICT",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::Internal => "INTERNAL",
            Self::Unavailable => "UNAVAILABLE",
            Self::Timeout => "TIMEOUT",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            Self::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            Self::IntrospectionDisabled => "INTROSPECTION_DISABLED",
            Self::TokenLimitExceeded => "TOKEN_LIMIT_EXCEEDED",
            Self::AliasLimitExceeded => "ALIAS_LIMIT_EXCEEDED",
            Self::DirectiveLimitExceeded => "DIRECTIVE_LIMIT_EXCEEDED",
            Self::DepthLimitExceeded => "DEPTH_LIMIT_EXCEEDED",
            Self::ComplexityLimitExceeded => "COMPLEXITY_LIMIT_EXCEEDED",
            Self::BatchLimitExceeded => "BATCH_LIMIT_EXCEEDED",
            Self::ResponseTooLarge => "RESPONSE_TOO_LARGE",
            Self::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
        }
    }

    /// A size or cost limit refused the request (answered with 400).
    pub const fn is_limit(self) -> bool {
        matches!(
            self,
            Self::TokenLimitExceeded
                | Self::AliasLimitExceeded
                | Self::DirectiveLimitExceeded
                | Self::DepthLimitExceeded
                | Self::ComplexityLimitExceeded
                | Self::BatchLimitExceeded
                | Self::ResponseTooLarge
        )
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
