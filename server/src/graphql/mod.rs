//! The GraphQL schema: root types, per-request data, error codes, and the SDL export.

pub mod connection;
mod context;
mod editing;
pub mod errors;
mod extensions;
pub mod ids;
pub mod language;
pub mod limits;
pub mod loaders;
pub mod mutation;
mod public_tips;
mod query;
pub mod shape;
pub mod staff;
pub mod types;

use async_graphql::{EmptySubscription, MergedObject, Response, Schema, dataloader::DataLoader};
use sea_orm::DatabaseConnection;

pub use extensions::{ResponseBudget, response_too_large};
pub use query::PromiseFilter;

/// Root query: the public catalogue, the staff inbox, and the editing views.
#[derive(MergedObject, Default)]
pub struct Query(
    query::CatalogQuery,
    staff::StaffQuery,
    public_tips::PublicTipQuery,
    editing::EditingQuery,
);

/// Root mutation: residents' tips, tip triage, and editing. Further concerns merge in here.
#[derive(MergedObject, Default)]
pub struct Mutation(
    mutation::TipMutation,
    staff::StaffMutation,
    editing::EditingMutation,
);

pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// How the schema guards itself; `None` in [`build_schema`] builds it without limits for
/// trusted internal queries such as the open-data export.
#[derive(Clone, Copy, Debug)]
pub struct SchemaGuards {
    /// Largest weighted cost (lists cost `first` times their items).
    pub max_complexity: usize,
    /// Deepest nesting; the HTTP layer checks this first, with fragments expanded.
    pub max_depth: usize,
    /// Answer `__schema` / `__type`; when off, "Did you mean …" suggestions are off too.
    pub introspection: bool,
}

/// Build the schema. `db` and the snapshot store are shared; per-request data (loaders, date) is added by
/// [`prepare_request`].
pub fn build_schema(
    db: DatabaseConnection,
    snapshots: std::sync::Arc<crate::service::snapshot::SnapshotStore>,
    intake: mutation::TipIntake,
    guards: Option<SchemaGuards>,
) -> AppSchema {
    let mut builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .data(db)
        .data(snapshots)
        .data(intake)
        .extension(extensions::ErrorCodes {
            max_complexity: guards.map(|g| g.max_complexity),
        });
    if let Some(g) = guards {
        // The cost limit is checked by `extensions::ErrorCodes`, which reports the numbers.
        builder = builder
            // Introspection is exempt from the HTTP depth check; this keeps it bounded.
            .limit_depth(g.max_depth.max(20));
        if !g.introspection {
            builder = builder.disable_introspection().disable_suggestions();
        }
    }
    builder.finish()
}

/// The schema anonymous catalogue reads run on first: the same types and data, with
/// async-graphql's own complexity and depth limits and no extension at all.
///
/// Why a second schema: async-graphql resolves every field through a short path when a
/// schema has no extension, and through `ResolveInfo`, a registry lookup and a boxed hook
/// chain when it has one (`resolver_utils::container`). On a catalogue page that path was
/// most of the execution time. The guarded schema's extension (`ErrorCodes`) stays where
/// it is needed: errors, the response budget, deadlines inside execution and the cost.
/// The HTTP layer sends here only what cannot need them (see `http::graphql`), and runs a
/// request again on the guarded schema whenever this one answers with any error, so
/// clients see one set of errors whichever schema answered.
pub fn build_read_schema(
    db: DatabaseConnection,
    snapshots: std::sync::Arc<crate::service::snapshot::SnapshotStore>,
    intake: mutation::TipIntake,
    max_complexity: usize,
    max_depth: usize,
) -> AppSchema {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .data(db)
        .data(snapshots)
        .data(intake)
        .limit_complexity(max_complexity)
        .limit_depth(max_depth)
        .disable_introspection()
        .disable_suggestions()
        .finish()
}

/// The exported SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .finish()
        .sdl()
}

/// Attach what one request needs: a fresh DataLoader (so its cache never outlives the
/// request), an empty slot for the catalogue snapshot its public fields read, and the day
/// statuses are computed for.
pub fn prepare_request(
    request: async_graphql::Request,
    db: &DatabaseConnection,
) -> async_graphql::Request {
    request
        .data(DataLoader::new(
            loaders::CatalogLoader::new(db.clone()),
            tokio::spawn,
        ))
        .data(context::SnapshotSlot::default())
        .data(types::RequestDate(crate::domain::period::today()))
}

/// Last line of defence for `extensions.code`: resolver errors carry one already and the
/// `extensions::ErrorCodes` extension codes parse and validation errors. What is left is
/// an argument value that could not be coerced (it has a path: `BAD_USER_INPUT`) or a
/// request-level problem such as an unknown operation name (`BAD_REQUEST`).
pub fn add_error_codes(mut response: Response) -> Response {
    for error in &mut response.errors {
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|e| e.get("code").is_some());
        if !has_code {
            let code = if error.path.is_empty() {
                errors::ErrorCode::BadRequest
            } else {
                errors::ErrorCode::BadUserInput
            };
            errors::set_code(error, code);
        }
    }
    response
}
