//! Schema extensions: stable error codes for errors raised before any resolver runs.

use std::sync::Arc;

use async_graphql::{
    ServerError, ServerResult, ValidationResult, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation},
    parser::types::ExecutableDocument,
};

pub fn set_code(error: &mut ServerError, code: &str) {
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
}

fn coded(mut error: ServerError, code: &str) -> ServerError {
    set_code(&mut error, code);
    error
}

/// A validation error about an argument's value (a wrong literal or variable) is the
/// client's input being wrong: `BAD_USER_INPUT` with the argument as `field`.
fn validation_coded(mut error: ServerError) -> ServerError {
    let argument = error
        .message
        .strip_prefix("Invalid value for argument \"")
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned);
    match argument {
        Some(field) => {
            set_code(&mut error, "BAD_USER_INPUT");
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("field", field);
            error
        }
        None => {
            let code = match error.message.as_str() {
                "Query is too complex." => "COMPLEXITY_LIMIT_EXCEEDED",
                "Query is nested too deep." => "DEPTH_LIMIT_EXCEEDED",
                m if m.starts_with("Unknown field \"__schema\"")
                    || m.starts_with("Unknown field \"__type\"") =>
                {
                    "INTROSPECTION_DISABLED"
                }
                _ => "GRAPHQL_VALIDATION_FAILED",
            };
            coded(error, code)
        }
    }
}

/// Adds `GRAPHQL_PARSE_FAILED` to syntax errors, `GRAPHQL_VALIDATION_FAILED` to
/// validation errors (or the limit or switch that refused the document), and
/// `BAD_USER_INPUT` to invalid argument values.
pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExtension)
    }
}

struct ErrorCodesExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables)
            .await
            .map_err(|e| coded(e, "GRAPHQL_PARSE_FAILED"))
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            let coded: Vec<ServerError> = errors.into_iter().map(validation_coded).collect();
            // The complexity check re-reads arguments and repeats a bad value's error in
            // other words; the client needs it once.
            let has_input_error = coded.iter().any(|e| {
                e.extensions
                    .as_ref()
                    .and_then(|x| x.get("code"))
                    .is_some_and(|c| *c == async_graphql::Value::from("BAD_USER_INPUT"))
            });
            coded
                .into_iter()
                .filter(|e| !(has_input_error && e.message.starts_with("Expected input type")))
                .collect()
        })
    }
}
