//! Per-replica cache of public catalogue responses.
//!
//! Promises change rarely and are read constantly, so the serialised response of an
//! anonymous catalogue query is kept and served again byte for byte. Every catalogue write
//! bumps a counter in the database (in the write's own transaction); a replica clears its
//! cache when it sees the counter move. It checks right after any mutation it served
//! (a write is visible to the next read on the same replica) and polls every
//! `CATALOG_POLL_INTERVAL_MS` otherwise (writes on other replicas show within that).
//! Keys are SHA-256 digests of query, variables, operation name and the Swedish date, so
//! no two requests can share an entry by accident and day-dependent statuses roll over.

use std::{
    collections::HashMap,
    sync::{
        Arc, RwLock,
        atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering},
    },
};

use axum::body::Bytes;
use sea_orm::{ConnectionTrait, DbErr};
use sha2::{Digest, Sha256};

use crate::service::catalog;

pub type Key = [u8; 32];

/// One cached response body with its entity tag and the operation's name (for metrics).
pub struct Cached {
    pub body: Bytes,
    pub etag: String,
    pub operation: Option<String>,
}

/// The entity tag of a response body: a quoted SHA-256 prefix. Used for the cache, the
/// export and GET alike.
pub fn etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!(
        "\"{}\"",
        digest[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

pub struct ResponseCache {
    entries: RwLock<HashMap<Key, Arc<Cached>>>,
    capacity: usize,
    /// Most bytes of response bodies held; a client varying its queries cannot make the
    /// cache grow past this.
    max_bytes: usize,
    bytes: AtomicUsize,
    /// The database's catalogue version the entries belong to.
    version: AtomicI64,
    /// Bumped on every clear; an entry computed under an older generation is not stored.
    generation: AtomicU64,
}

impl ResponseCache {
    pub fn new(capacity: usize, max_bytes: usize) -> Arc<Self> {
        Arc::new(Self {
            entries: RwLock::new(HashMap::new()),
            capacity,
            max_bytes,
            bytes: AtomicUsize::new(0),
            version: AtomicI64::new(i64::MIN),
            generation: AtomicU64::new(0),
        })
    }

    pub fn key(query: &str, variables: &str, operation: Option<&str>, date: &str) -> Key {
        let mut hash = Sha256::new();
        for part in [query, variables, operation.unwrap_or(""), date] {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part.as_bytes());
        }
        hash.finalize().into()
    }

    /// The generation to pass to [`ResponseCache::put`] for a response computed from now.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn get(&self, key: &Key) -> Option<Arc<Cached>> {
        self.entries
            .read()
            .ok()
            .and_then(|entries| entries.get(key).cloned())
    }

    /// Store a response computed in `generation`, unless the cache was cleared since.
    pub fn put(
        &self,
        key: Key,
        body: Bytes,
        operation: Option<String>,
        generation: u64,
    ) -> Arc<Cached> {
        let etag = etag(&body);
        let len = body.len();
        let cached = Arc::new(Cached {
            body,
            etag,
            operation,
        });
        // A single answer larger than an eighth of the budget is served, not kept.
        if len > self.max_bytes / 8 {
            return cached;
        }
        if let Ok(mut entries) = self.entries.write()
            && self.generation() == generation
        {
            // Bounded memory: a full cache starts over rather than tracking recency.
            if entries.len() >= self.capacity
                || self.bytes.load(Ordering::Acquire) + len > self.max_bytes
            {
                entries.clear();
                self.bytes.store(0, Ordering::Release);
            }
            if let Some(old) = entries.insert(key, cached.clone()) {
                self.bytes.fetch_sub(old.body.len(), Ordering::AcqRel);
            }
            self.bytes.fetch_add(len, Ordering::AcqRel);
        }
        cached
    }

    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.write() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            entries.clear();
            self.bytes.store(0, Ordering::Release);
        }
    }

    /// Bytes of response bodies held now.
    pub fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Acquire)
    }

    pub fn len(&self) -> usize {
        self.entries.read().map_or(0, |e| e.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Read the catalogue version and clear the cache if it moved.
    pub async fn sync(&self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        let current = catalog::version(db).await?;
        if self.version.swap(current, Ordering::AcqRel) != current {
            self.clear();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_from_before_a_clear_are_not_stored() {
        let cache = ResponseCache::new(2, 1024);
        let key = ResponseCache::key("{ a }", "{}", None, "2026-11-22");
        let generation = cache.generation();
        cache.clear();
        cache.put(key, Bytes::from_static(b"old"), None, generation);
        assert!(cache.get(&key).is_none());
        cache.put(key, Bytes::from_static(b"new"), None, cache.generation());
        assert_eq!(
            cache.get(&key).map(|c| c.body.clone()),
            Some(Bytes::from_static(b"new"))
        );
    }

    #[test]
    fn keys_separate_parts_and_capacity_is_bounded() {
        assert_ne!(
            ResponseCache::key("ab", "c", None, "d"),
            ResponseCache::key("a", "bc", None, "d")
        );
        let cache = ResponseCache::new(2, 1024);
        for q in ["1", "2", "3"] {
            let key = ResponseCache::key(q, "", None, "");
            cache.put(key, Bytes::from_static(b"x"), None, cache.generation());
        }
        assert!(cache.len() <= 2);
    }

    #[test]
    fn the_byte_budget_holds() {
        let cache = ResponseCache::new(1000, 800);
        let body = Bytes::from(vec![b'x'; 100]);
        for q in 0..50 {
            let key = ResponseCache::key(&q.to_string(), "", None, "");
            cache.put(key, body.clone(), None, cache.generation());
            assert!(cache.bytes() <= 800, "{}", cache.bytes());
        }
        // Too large for the budget: answered, never kept.
        let key = ResponseCache::key("big", "", None, "");
        cache.put(key, Bytes::from(vec![b'x'; 200]), None, cache.generation());
        assert!(cache.get(&key).is_none());
    }
}
