//! Per-replica cache of public catalogue responses.
//!
//! Promises change rarely and are read constantly, so the serialised response of an
//! anonymous catalogue query is kept and served again byte for byte. Entries belong to
//! one generation of the catalogue version ([`CatalogVersion`]); when it moves (after a
//! staff mutation on this replica at once, after writes elsewhere within a poll), the
//! cache starts over.
//! Keys are SHA-256 digests of query, variables, operation name and the Swedish date, so
//! no two requests can share an entry by accident and day-dependent statuses roll over.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use axum::body::Bytes;
use sha2::{Digest, Sha256};

use crate::catalog_version::CatalogVersion;

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
    version: Arc<CatalogVersion>,
    entries: RwLock<Entries>,
    capacity: usize,
    /// Most bytes of response bodies held; a client varying its queries cannot make the
    /// cache grow past this.
    max_bytes: usize,
}

/// The entries of one catalogue generation and the bytes of their bodies.
#[derive(Default)]
struct Entries {
    generation: u64,
    map: HashMap<Key, Arc<Cached>>,
    bytes: usize,
}

impl ResponseCache {
    pub fn new(version: Arc<CatalogVersion>, capacity: usize, max_bytes: usize) -> Arc<Self> {
        Arc::new(Self {
            entries: RwLock::new(Entries {
                generation: version.generation(),
                ..Entries::default()
            }),
            version,
            capacity,
            max_bytes,
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
        self.version.generation()
    }

    pub fn get(&self, key: &Key) -> Option<Arc<Cached>> {
        let entries = self.entries.read().ok()?;
        if entries.generation != self.generation() {
            return None;
        }
        entries.map.get(key).cloned()
    }

    /// Store a response computed in `generation`, unless the catalogue moved since.
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
            // A new generation, or a full cache (bounded memory: it starts over rather
            // than tracking recency).
            if entries.generation != generation
                || entries.map.len() >= self.capacity
                || entries.bytes + len > self.max_bytes
            {
                *entries = Entries {
                    generation,
                    ..Entries::default()
                };
            }
            if let Some(old) = entries.map.insert(key, cached.clone()) {
                entries.bytes -= old.body.len();
            }
            entries.bytes += len;
        }
        cached
    }

    /// Bytes of response bodies held now.
    pub fn bytes(&self) -> usize {
        self.entries.read().map_or(0, |e| e.bytes)
    }

    pub fn len(&self) -> usize {
        self.entries.read().map_or(0, |e| e.map.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_from_before_a_clear_are_not_stored() {
        let version = CatalogVersion::new();
        let cache = ResponseCache::new(version.clone(), 2, 1024);
        let key = ResponseCache::key("{ a }", "{}", None, "2026-11-22");
        let generation = cache.generation();
        version.invalidate();
        cache.put(key, Bytes::from_static(b"old"), None, generation);
        assert!(cache.get(&key).is_none());
        cache.put(key, Bytes::from_static(b"new"), None, cache.generation());
        assert_eq!(
            cache.get(&key).map(|c| c.body.clone()),
            Some(Bytes::from_static(b"new"))
        );
    }

    #[test]
    fn a_new_generation_hides_older_entries() {
        let version = CatalogVersion::new();
        let cache = ResponseCache::new(version.clone(), 2, 1024);
        let key = ResponseCache::key("{ a }", "{}", None, "2026-11-22");
        cache.put(key, Bytes::from_static(b"old"), None, cache.generation());
        assert!(cache.get(&key).is_some());
        version.invalidate();
        assert!(cache.get(&key).is_none());
    }

    #[test]
    fn keys_separate_parts_and_capacity_is_bounded() {
        assert_ne!(
            ResponseCache::key("ab", "c", None, "d"),
            ResponseCache::key("a", "bc", None, "d")
        );
        let cache = ResponseCache::new(CatalogVersion::new(), 2, 1024);
        for q in ["1", "2", "3"] {
            let key = ResponseCache::key(q, "", None, "");
            cache.put(key, Bytes::from_static(b"x"), None, cache.generation());
        }
        assert!(cache.len() <= 2);
    }

    #[test]
    fn the_byte_budget_holds() {
        let cache = ResponseCache::new(CatalogVersion::new(), 1000, 800);
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
