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
        None => coded(error, "GRAPHQL_VALIDATION_FAILED"),
    }
}

/// Adds `GRAPHQL_PARSE_FAILED` to syntax errors, `GRAPHQL_VALIDATION_FAILED` to
/// validation errors, and `BAD_USER_INPUT` to invalid argument values.
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
        next.run(ctx)
            .await
            .map_err(|errors| errors.into_iter().map(validation_coded).collect())
    }
}
