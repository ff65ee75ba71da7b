//! Services: plain async functions over a database connection. GraphQL resolvers and the
//! CLI both call these, so rules live in one place.

pub mod audit;
pub mod authz;
pub mod catalog;
pub mod editing;
pub mod followup;
pub mod idempotency;
pub mod photos;
pub mod privacy;
pub mod routing;
pub mod snapshot;
pub mod staff;
pub mod staff_session;
pub mod tips;

/// The catalogue version lives below the services (the caches observe it too); it is
/// re-exported here because services and their callers name it with the catalogue.
pub use crate::catalog_version;
