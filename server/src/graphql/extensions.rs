//! Schema extensions: stable error codes for errors raised before any resolver runs, and
//! the response budget enforced while fields resolve.

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};

use async_graphql::{
    Pos, Response, ServerError, ServerResult, ValidationResult, Value, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextResolve,
        NextValidation, ResolveInfo,
    },
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};

use super::errors::{ErrorCode, set_code};

/// Per-request data: the largest answer (in bytes) this request may build. Without it
/// (trusted internal queries) fields resolve without a budget.
#[derive(Clone, Copy, Debug)]
pub struct ResponseBudget(pub usize, pub std::time::Instant);

/// The error for an answer over its budget.
pub fn response_too_large(max: usize) -> ServerError {
    limit_error(&super::limits::LimitError::Response(max))
}

/// A limit's error with its numbers in `extensions`.
fn limit_error(err: &super::limits::LimitError) -> ServerError {
    let mut error = coded(ServerError::new(err.message(), None), err.code());
    let extensions = error.extensions.get_or_insert_with(Default::default);
    for (name, value) in err.numbers() {
        extensions.set(name, value as u64);
    }
    error
}

/// A resolving request checks its deadline every this many fields and, once it has run
/// for [`YIELD_AFTER`], hands the executor back, so a request timeout can stop work that
/// never waits on I/O (introspection, cached values).
const YIELD_EVERY_FIELDS: usize = 128;

/// Requests faster than this (every normal page) never yield: a yield lets a DataLoader
/// batch start before the keys of sibling fields arrive, splitting it in two.
const YIELD_AFTER: std::time::Duration = std::time::Duration::from_millis(20);

/// A lower bound on the bytes `value` adds to the serialised answer beyond its nested
/// objects (those are counted when their own fields resolve).
fn estimated_bytes(value: &Value) -> usize {
    match value {
        Value::Null => 4,
        Value::Boolean(_) => 4,
        Value::Number(_) => 1,
        Value::String(s) => s.len() + 2,
        Value::Enum(name) => name.len() + 2,
        Value::Binary(bytes) => bytes.len(),
        Value::List(items) => items
            .iter()
            .map(|item| match item {
                Value::Object(_) | Value::List(_) => 1,
                scalar => estimated_bytes(scalar) + 1,
            })
            .sum::<usize>()
            .saturating_add(2),
        Value::Object(_) => 2,
    }
}

fn coded(mut error: ServerError, code: ErrorCode) -> ServerError {
    set_code(&mut error, code);
    error
}

/// A validation error about an argument's value (a wrong literal or variable) is the
/// client's input being wrong: `BAD_USER_INPUT` with the argument as `field`.
/// `page_sizes` names the page-size argument (`first` or `last`) that no Int can hold, by
/// the position of its field (see [`unreadable_page_sizes`]).
fn validation_coded(mut error: ServerError, page_sizes: &[(Pos, &'static str)]) -> ServerError {
    let argument = error
        .message
        .strip_prefix("Invalid value for argument \"")
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned);
    // An Int the complexity check could not read: `first` or `last`, the only Int
    // arguments it reads (see `graphql::connection::page_cost`).
    let argument = argument.or_else(|| {
        error
            .message
            .starts_with("Failed to parse \"Int\"")
            .then(|| {
                page_sizes
                    .iter()
                    .find(|(pos, _)| error.locations.contains(pos))
                    .map_or("first", |(_, name)| name)
                    .to_owned()
            })
    });
    match argument {
        Some(field) => {
            set_code(&mut error, ErrorCode::BadUserInput);
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("field", field);
            error
        }
        None => {
            let code = match error.message.as_str() {
                "Query is too complex." => ErrorCode::ComplexityLimitExceeded,
                "Query is nested too deep." => ErrorCode::DepthLimitExceeded,
                m if m.starts_with("Unknown field \"__schema\"")
                    || m.starts_with("Unknown field \"__type\"") =>
                {
                    ErrorCode::IntrospectionDisabled
                }
                _ => ErrorCode::GraphqlValidationFailed,
            };
            coded(error, code)
        }
    }
}

/// Fields whose `first` or `last` holds a number no Int can hold (a literal, or a variable
/// with such a value), by the field's position: the complexity check's error about it
/// names only the field's position, not the argument.
fn unreadable_page_sizes(
    document: &ExecutableDocument,
    variables: &Variables,
) -> Vec<(Pos, &'static str)> {
    fn unreadable(value: &Value) -> bool {
        matches!(value, Value::Number(n) if n.as_i64().and_then(|v| i32::try_from(v).ok()).is_none())
    }
    fn walk(set: &SelectionSet, variables: &Variables, out: &mut Vec<(Pos, &'static str)>) {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    for (name, value) in &field.node.arguments {
                        let Some(argument) = ["first", "last"]
                            .into_iter()
                            .find(|a| *a == name.node.as_str())
                        else {
                            continue;
                        };
                        let bad = value
                            .node
                            .clone()
                            .into_const_with(|v| variables.get(&v).cloned().ok_or(()))
                            .is_ok_and(|c| unreadable(&c));
                        if bad {
                            out.push((field.pos, argument));
                        }
                    }
                    walk(&field.node.selection_set.node, variables, out);
                }
                Selection::InlineFragment(inline) => {
                    walk(&inline.node.selection_set.node, variables, out);
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    let mut out = Vec::new();
    for (_, op) in document.operations.iter() {
        walk(&op.node.selection_set.node, variables, &mut out);
    }
    for fragment in document.fragments.values() {
        walk(&fragment.node.selection_set.node, variables, &mut out);
    }
    out
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
///
/// It also checks the weighted cost against `max_complexity` (async-graphql's own check
/// says only "Query is too complex."), so the refusal carries `cost` and `limit`, and
/// puts the cost into `extensions.cost` of an answer whose request asked for it with
/// `"extensions": {"cost": true}`.
pub struct ErrorCodes {
    pub max_complexity: Option<usize>,
}

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExtension {
            created: Some(std::time::Instant::now()),
            max_complexity: self.max_complexity,
            ..ErrorCodesExtension::default()
        })
    }
}

/// Created for each request.
#[derive(Default)]
struct ErrorCodesExtension {
    /// When the request started resolving.
    created: Option<std::time::Instant>,
    /// The cost limit; `None` for trusted internal queries.
    max_complexity: Option<usize>,
    /// The request asked for its cost (`"extensions": {"cost": true}`).
    cost_asked: AtomicBool,
    /// The document's weighted cost, once validated.
    cost: AtomicUsize,
    /// Fields resolved so far.
    fields: AtomicUsize,
    /// Estimated bytes of the answer so far.
    bytes: AtomicUsize,
    /// The answer went over its [`ResponseBudget`]: nothing more resolves.
    exceeded: AtomicBool,
    /// The request passed its deadline: nothing more resolves.
    timed_out: AtomicBool,
    /// Page-size arguments no Int can hold, found while parsing (see `validation_coded`).
    page_sizes: std::sync::Mutex<Vec<(Pos, &'static str)>>,
}

fn timed_out() -> ServerError {
    coded(
        ServerError::new("the request took too long", None),
        ErrorCode::Timeout,
    )
}

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await.map_err(|mut e| {
            e.message = parse_message(&e.message);
            coded(e, ErrorCode::GraphqlParseFailed)
        })?;
        if let Ok(mut found) = self.page_sizes.lock() {
            *found = unreadable_page_sizes(&document, variables);
        }
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let validated = next.run(ctx).await;
        if let (Ok(result), Some(max)) = (&validated, self.max_complexity) {
            if result.complexity > max {
                return Err(vec![limit_error(&super::limits::LimitError::Complexity(
                    result.complexity,
                    max,
                ))]);
            }
            self.cost.store(result.complexity, Ordering::Relaxed);
        }
        validated.map_err(|errors| {
            let page_sizes = self
                .page_sizes
                .lock()
                .map(|found| found.clone())
                .unwrap_or_default();
            // The complexity check re-reads arguments (`first`) and repeats a bad value's
            // error in other words; the client needs it once.
            let has_argument_error = errors
                .iter()
                .any(|e| e.message.starts_with("Invalid value for argument \""));
            errors
                .into_iter()
                .filter(|e| !(has_argument_error && is_reread_argument_error(&e.message)))
                .map(|e| validation_coded(e, &page_sizes))
                .collect()
        })
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: async_graphql::Request,
        next: async_graphql::extensions::NextPrepareRequest<'_>,
    ) -> ServerResult<async_graphql::Request> {
        let asked = matches!(request.extensions.get("cost"), Some(Value::Boolean(true)));
        self.cost_asked.store(asked, Ordering::Relaxed);
        next.run(ctx, request).await
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        if self.cost_asked.load(Ordering::Relaxed)
            && let Some(max) = self.max_complexity
        {
            let mut cost = async_graphql::indexmap::IndexMap::new();
            cost.insert(
                async_graphql::Name::new("requestedQueryCost"),
                Value::from(self.cost.load(Ordering::Relaxed) as u64),
            );
            cost.insert(
                async_graphql::Name::new("maximumAvailable"),
                Value::from(max as u64),
            );
            response
                .extensions
                .insert("cost".to_owned(), Value::Object(cost));
        }
        if self.timed_out.load(Ordering::Relaxed) {
            drop(response);
            return Response::from_errors(vec![timed_out()]);
        }
        match ctx.data_opt::<ResponseBudget>() {
            Some(budget) if self.exceeded.load(Ordering::Relaxed) => {
                // The partial answer is dropped; the client gets the reason alone.
                drop(response);
                Response::from_errors(vec![response_too_large(budget.0)])
            }
            _ => response,
        }
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let budget = ctx.data_opt::<ResponseBudget>().copied();
        if self.timed_out.load(Ordering::Relaxed) {
            return Err(timed_out());
        }
        if self.exceeded.load(Ordering::Relaxed) {
            return Err(response_too_large(budget.map_or(0, |b| b.0)));
        }
        if (self.fields.fetch_add(1, Ordering::Relaxed) + 1).is_multiple_of(YIELD_EVERY_FIELDS) {
            // Sibling branches keep running while one yields, so the deadline is also
            // checked here: past it, every field still to resolve is refused at once.
            if budget.is_some_and(|b| std::time::Instant::now() > b.1) {
                self.timed_out.store(true, Ordering::Relaxed);
                return Err(timed_out());
            }
            if self.created.is_some_and(|c| c.elapsed() >= YIELD_AFTER) {
                tokio::task::yield_now().await;
            }
        }
        let key = info.alias.unwrap_or(info.name).len() + 4;
        let value = next.run(ctx, info).await?;
        if let Some(ResponseBudget(max, _)) = budget {
            let added = key + value.as_ref().map_or(4, estimated_bytes);
            let total = self
                .bytes
                .fetch_add(added, Ordering::Relaxed)
                .saturating_add(added);
            if total > max {
                self.exceeded.store(true, Ordering::Relaxed);
                return Err(response_too_large(max));
            }
        }
        Ok(value)
    }
}
