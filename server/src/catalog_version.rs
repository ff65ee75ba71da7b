//! The catalogue version that every per-replica copy of catalogue data observes.
//!
//! Every catalogue write bumps a counter in the database, in the write's own transaction.
//! A replica reads it after each staff mutation it served and every
//! `CATALOG_POLL_INTERVAL_MS` otherwise; when it moved, the local *generation* moves too,
//! and whatever was computed under an older generation (cached responses, routing facts)
//! is stale. The response cache and the routing cache both watch this one value, so
//! neither has to know about the other. It sits below both (and below the services, which
//! re-export it as `service::catalog_version`); writes bump the counter with
//! `service::catalog::bump_version`.

use std::sync::{
    Arc,
    atomic::{AtomicI64, AtomicU64, Ordering},
};

use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

/// The database's catalogue version as this replica last saw it, and the generation
/// that changes whenever that may have moved.
#[derive(Debug)]
pub struct CatalogVersion {
    version: AtomicI64,
    generation: AtomicU64,
}

impl CatalogVersion {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            version: AtomicI64::new(i64::MIN),
            generation: AtomicU64::new(0),
        })
    }

    /// The current generation: data computed now is valid while this stays the same.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Treat every local copy as stale (e.g. when the version could not be read).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Read the database's version; a new generation begins when it moved. On an error
    /// nothing local can be trusted any more, so a new generation begins as well.
    pub async fn sync(&self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        match version(db).await {
            Ok(current) => {
                if self.version.swap(current, Ordering::AcqRel) != current {
                    self.invalidate();
                }
                Ok(())
            }
            Err(err) => {
                self.invalidate();
                Err(err)
            }
        }
    }
}

/// The catalogue's current change counter in the database.
async fn version(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    Ok(entity::catalog_version::Entity::find_by_id(1)
        .one(db)
        .await?
        .map_or(0, |v| v.version))
}
