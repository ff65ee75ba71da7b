//! What resolvers take from the request context: the database and the staff principal
//! (authentication only: what a principal may do is decided by the services, see
//! `service::authz`). One place, so every resolver fails the same way when one is missing.

use async_graphql::{Context, dataloader::DataLoader};
use sea_orm::DatabaseConnection;

use super::{errors::ApiError, loaders::CatalogLoader, staff::Caller};
use crate::service::staff::Principal;

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
