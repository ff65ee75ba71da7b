//! What resolvers take from the request context: the database and the staff principal
//! (authentication only: what a principal may do is decided by the services, see
//! `service::authz`). One place, so every resolver fails the same way when one is missing.

use std::sync::{Arc, OnceLock};

use async_graphql::{Context, dataloader::DataLoader};
use sea_orm::DatabaseConnection;

use super::{errors::ApiError, loaders::CatalogLoader, staff::Caller};
use crate::service::{
    snapshot::{Snapshot, SnapshotStore},
    staff::Principal,
};

/// The snapshot one request reads, taken from the store at its first public read so
/// that every field of a response agrees on one catalogue version.
#[derive(Default)]
pub struct SnapshotSlot(OnceLock<Option<Arc<Snapshot>>>);

/// The catalogue snapshot public fields read, or `None` when they must read the
/// database: for staff callers (their reads and drafts use the database) and on a
/// replica whose first snapshot could not be built yet.
pub fn snapshot(ctx: &Context<'_>) -> Option<Arc<Snapshot>> {
    if matches!(ctx.data::<Caller>(), Ok(Caller::Staff(_))) {
        return None;
    }
    let slot = ctx.data::<SnapshotSlot>().ok()?;
    slot.0
        .get_or_init(|| ctx.data::<Arc<SnapshotStore>>().ok().and_then(|s| s.load()))
        .clone()
}

/// The database connection of the schema.
pub fn db<'a>(ctx: &Context<'a>) -> Result<&'a DatabaseConnection, ApiError> {
    ctx.data::<DatabaseConnection>()
        .map_err(|_| ApiError::internal("database missing"))
}

/// The staff principal of the request: `UNAUTHENTICATED` without a valid token.
pub fn principal<'a>(ctx: &Context<'a>) -> Result<&'a Principal, ApiError> {
    match ctx.data::<Caller>() {
        Ok(Caller::Staff(p)) => Ok(p),
        _ => Err(ApiError::Unauthenticated),
    }
}

/// The request's DataLoader (see `prepare_request`).
pub fn loader<'a>(ctx: &Context<'a>) -> Result<&'a DataLoader<CatalogLoader>, ApiError> {
    ctx.data::<DataLoader<CatalogLoader>>()
        .map_err(|_| ApiError::internal("CatalogLoader missing"))
}
