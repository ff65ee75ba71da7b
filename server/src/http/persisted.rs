//! Automatic persisted queries (Apollo's protocol): a client sends
//! `extensions.persistedQuery { version: 1, sha256Hash }` without the document; when the
//! server knows the hash it runs the document registered under it, otherwise it answers
//! `PERSISTED_QUERY_NOT_FOUND` and the client sends the document with its hash once, which
//! registers it (the hash is checked). Apps then send short GET URLs that caches and the
//! response cache (with its ETags) serve like any other GET.
//!
//! The store is a bounded LRU map held by each replica; a replica that does not know a
//! hash asks for the document, which the protocol handles. Only documents that passed the
//! abuse limits are registered (see `graphql::run_inner`). Not async-graphql's
//! `ApolloPersistedQueries` extension: it resolves the hash inside the schema, after this
//! service's HTTP layer has already checked limits, keyed the response cache and picked
//! the operation on the (then empty) document text. See docs/decisions.md.

use std::{num::NonZeroUsize, sync::Mutex};

use async_graphql::Value;
use sha2::{Digest, Sha256};

/// How many documents one replica keeps.
pub const CAPACITY: usize = 1000;

/// A registered or requested hash that a request carries.
pub type Hash = [u8; 32];

/// Why a persisted-query request is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The hash is unknown here: send the document with it.
    NotFound,
    /// `persistedQuery` is not `{ version: 1, sha256Hash: <64 hex digits> }`.
    Invalid,
    /// The document's SHA-256 is not the hash sent with it.
    Mismatch,
}

impl Refusal {
    pub fn code(&self) -> crate::graphql::errors::ErrorCode {
        use crate::graphql::errors::ErrorCode;
        match self {
            Self::NotFound => ErrorCode::PersistedQueryNotFound,
            Self::Invalid | Self::Mismatch => ErrorCode::BadRequest,
        }
    }

    pub fn message(&self) -> &'static str {
        match self {
            // The text Apollo's clients look for.
            Self::NotFound => "PersistedQueryNotFound",
            Self::Invalid => {
                "`extensions.persistedQuery` must be { version: 1, sha256Hash: <64 hex digits> }"
            }
            Self::Mismatch => "provided sha does not match query",
        }
    }
}

pub struct PersistedQueries {
    store: Mutex<lru::LruCache<Hash, std::sync::Arc<str>>>,
}

impl Default for PersistedQueries {
    fn default() -> Self {
        Self::new(CAPACITY)
    }
}

impl PersistedQueries {
    pub fn new(capacity: usize) -> Self {
        Self {
            store: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }

    /// Fill in a hash-only request's document. `Ok(Some(hash))` when the request carries
    /// its document and a (verified) hash: [`PersistedQueries::register`] it once it has
    /// passed the limits.
    pub fn resolve(&self, request: &mut async_graphql::Request) -> Result<Option<Hash>, Refusal> {
        let Some(persisted) = request.extensions.get("persistedQuery") else {
            return Ok(None);
        };
        let hash = parse(persisted).ok_or(Refusal::Invalid)?;
        if request.query.is_empty() {
            let store = self.store.lock().unwrap_or_else(|p| p.into_inner());
            let mut store = store;
            let query = store.get(&hash).ok_or(Refusal::NotFound)?;
            request.query = query.to_string();
            return Ok(None);
        }
        if Sha256::digest(request.query.as_bytes()).as_slice() != hash {
            return Err(Refusal::Mismatch);
        }
        Ok(Some(hash))
    }

    pub fn register(&self, hash: Hash, query: &str) {
        let mut store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        store.put(hash, query.into());
    }
}

/// `{ version: 1, sha256Hash: "<64 hex digits>" }`.
fn parse(value: &Value) -> Option<Hash> {
    let Value::Object(fields) = value else {
        return None;
    };
    let version_ok =
        matches!(fields.get("version"), Some(Value::Number(n)) if n.as_u64() == Some(1));
    let Some(Value::String(hex)) = fields.get("sha256Hash") else {
        return None;
    };
    if !version_ok || hex.len() != 64 {
        return None;
    }
    let mut hash = [0u8; 32];
    for (i, byte) in hash.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str, hash: &str) -> async_graphql::Request {
        let mut request = async_graphql::Request::new(query);
        let extensions: async_graphql::Extensions = serde_json::from_value(serde_json::json!({
            "persistedQuery": { "version": 1, "sha256Hash": hash }
        }))
        .expect("extensions");
        request.extensions = extensions;
        request
    }

    #[test]
    fn the_store_is_bounded_and_hashes_are_checked() {
        let store = PersistedQueries::new(2);
        let hash = |q: &str| format!("{:x}", Sha256::digest(q.as_bytes()));
        for q in ["{ a }", "{ b }", "{ c }"] {
            let h = store.resolve(&mut request(q, &hash(q))).expect("valid");
            store.register(h.expect("hash"), q);
        }
        // The oldest went.
        assert_eq!(
            store.resolve(&mut request("", &hash("{ a }"))),
            Err(Refusal::NotFound)
        );
        let mut known = request("", &hash("{ c }"));
        assert_eq!(store.resolve(&mut known), Ok(None));
        assert_eq!(known.query, "{ c }");
        assert_eq!(
            store.resolve(&mut request("{ x }", &hash("{ y }"))),
            Err(Refusal::Mismatch)
        );
        assert_eq!(
            store.resolve(&mut request("{ x }", "abc")),
            Err(Refusal::Invalid)
        );
    }
}
