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
    // An Int the complexity check could not read: `first` is the only Int argument it
    // reads (see `graphql::connection::page_cost`).
    let argument = argument.or_else(|| {
        error
            .message
            .starts_with("Failed to parse \"Int\"")
            .then(|| "first".to_owned())
    });
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

/// Errors the complexity check raises when it reads an argument again.
fn is_reread_argument_error(message: &str) -> bool {
    message.starts_with("Expected input type") || message.starts_with("Failed to parse \"")
}

/// A parse error's message, without the parser's internals: a document nested too deeply
/// for the parser gets a plain sentence, and no message echoes more than one short line of
/// the client's document.
fn parse_message(message: &str) -> String {
    if message.contains("stack limit") || message.contains("recursion") {
        return "the document is nested too deeply".to_owned();
    }
    let first_line = message.lines().next().unwrap_or_default();
    let mut short: String = first_line.chars().take(200).collect();
    if short.len() < first_line.len() {
        short.push('…');
    }
    short
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
        next.run(ctx, query, variables).await.map_err(|mut e| {
            e.message = parse_message(&e.message);
            coded(e, "GRAPHQL_PARSE_FAILED")
        })
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            // The complexity check re-reads arguments (`first`) and repeats a bad value's
            // error in other words; the client needs it once.
            let has_argument_error = errors
                .iter()
                .any(|e| e.message.starts_with("Invalid value for argument \""));
            errors
                .into_iter()
                .filter(|e| !(has_argument_error && is_reread_argument_error(&e.message)))
                .map(validation_coded)
                .collect()
        })
    }
}
