//! The delivery worker: claims due outbox rows with a lease, sends them outside any
//! transaction, then marks them sent, schedules a retry with backoff, or gives up.
//!
//! Claims are leases (`locked_until`): a worker that crashes mid-send leaves rows that
//! another claim picks up once the lease expires. On PostgreSQL the claim uses
//! `FOR UPDATE SKIP LOCKED`, so replicas never claim the same row; on SQLite (a single
//! writer) a conditional `UPDATE … RETURNING` does the same.

mod claim;
pub mod outbox;
mod worker;

pub use worker::{DeliverySettings, Worker};
