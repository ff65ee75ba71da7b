//! Staff editing of promises, their parts, contacts, routing rules and municipalities'
//! response targets, and the audit log.
//!
//! Mutations follow the input/payload pattern. Editors and admins change what belongs to
//! their municipalities (national admins everything); recipients get `FORBIDDEN`. The
//! scope rules live in `service::authz`. In update inputs an
//! omitted field is left as it is and an explicit `null` clears it.
//!
//! One file per concern, mirroring `service::editing`: promises, their parts, contacts,
//! routing rules, municipalities and the audit log; shared inputs and helpers live here.

mod audit;
mod contacts;
mod municipalities;
mod parts;
mod promises;
mod routing;

use crate::graphql::errors::ApiError;
use crate::graphql::errors::ApiResult;
use crate::graphql::ids::NodeType;
use crate::graphql::ids::decode_as;
use crate::graphql::types::Promise;
use crate::service::catalog;
use async_graphql::ID;
use async_graphql::InputObject;
use async_graphql::MaybeUndefined;
use async_graphql::MergedObject;
use async_graphql::SimpleObject;

/// Staff queries of the editing concerns.
#[derive(MergedObject, Default)]
pub struct EditingQuery(
    promises::PromisesQuery,
    contacts::ContactsQuery,
    routing::RoutingQuery,
    audit::AuditLogQuery,
);

/// Staff mutations of the editing concerns.
#[derive(MergedObject, Default)]
pub struct EditingMutation(
    promises::PromisesMutation,
    parts::PartsMutation,
    contacts::ContactsMutation,
    routing::RoutingMutation,
    municipalities::MunicipalitiesMutation,
);

fn maybe<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
    value.into()
}

/// Decode an optional id in an update: absent, null (clear) or an id.
fn maybe_id(
    value: MaybeUndefined<ID>,
    kind: NodeType,
    field: &str,
) -> ApiResult<Option<Option<i32>>> {
    Ok(match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(id) => Some(Some(decode_as(&id, kind, field)?)),
    })
}

fn ids(list: &[ID], kind: NodeType, field: &str) -> ApiResult<Vec<i32>> {
    list.iter().map(|id| decode_as(id, kind, field)).collect()
}

/// Input naming one object by id.
#[derive(InputObject)]
pub struct IdInput {
    /// The object's id.
    pub id: ID,
}

/// A promise after a change (drafts included).
#[derive(SimpleObject)]
pub struct PromisePayload {
    /// The promise as it is now.
    pub promise: Promise,
}

/// Result of a deletion.
#[derive(SimpleObject)]
pub struct DeletePayload {
    /// Id of what was deleted.
    pub deleted_id: ID,
}

// Parts.

async fn municipality_id(
    db: &sea_orm::DatabaseConnection,
    value: &str,
    field: &str,
) -> ApiResult<i32> {
    Ok(catalog::municipality_by_code_or_slug(db, value)
        .await?
        .ok_or_else(|| ApiError::bad_input(field, "no municipality has that code or slug"))?
        .id)
}
