//! Services: plain async functions over a database connection. GraphQL resolvers and the
//! CLI both call these, so rules live in one place.

pub mod audit;
pub mod authz;
pub mod catalog;
pub mod catalog_version;
pub mod editing;
pub mod idempotency;
pub mod privacy;
pub mod routing;
pub mod staff;
pub mod tips;
