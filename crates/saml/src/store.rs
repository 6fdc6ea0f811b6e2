//! What response validation needs to remember: outstanding requests (for `InResponseTo`) and used
//! assertion IDs (replay). Small traits with in-memory implementations; the reference service implements
//! them on SQL with atomic take/insert.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An AuthnRequest this SP sent and has not seen answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRequest {
    /// The request's `ID` (what `InResponseTo` must name).
    pub id: String,
    /// The connection the request was sent for; a response arriving on another connection is refused.
    pub connection: String,
    /// When it was sent.
    pub issued_at: DateTime<Utc>,
    /// After this instant the request no longer counts as outstanding.
    pub expires_at: DateTime<Utc>,
}

/// Outstanding requests. `take` must be atomic: of two concurrent calls with one ID, one gets it.
pub trait RequestStore: Send + Sync {
    /// Records a request.
    fn insert(&self, request: PendingRequest);
    /// Removes and returns the request with this ID, if present.
    fn take(&self, id: &str) -> Option<PendingRequest>;
}

/// Used assertion IDs. `insert_if_absent` must be atomic.
pub trait ReplayCache: Send + Sync {
    /// Records `key` until `expires_at`; returns `false` if it was already recorded and not yet expired.
    fn insert_if_absent(&self, key: &str, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> bool;
}

/// [`RequestStore`] in memory (a single process).
#[derive(Debug, Default)]
pub struct InMemoryRequestStore {
    inner: Mutex<HashMap<String, PendingRequest>>,
}

impl RequestStore for InMemoryRequestStore {
    fn insert(&self, request: PendingRequest) {
        if let Ok(mut map) = self.inner.lock() {
            // Bounded: expired entries go whenever the map grows past a few thousand.
            if map.len() > 4096 {
                let now = request.issued_at;
                map.retain(|_, r| r.expires_at > now);
            }
            map.insert(request.id.clone(), request);
        }
    }

    fn take(&self, id: &str) -> Option<PendingRequest> {
        self.inner.lock().ok()?.remove(id)
    }
}

/// [`ReplayCache`] in memory (a single process).
#[derive(Debug, Default)]
pub struct InMemoryReplayCache {
    inner: Mutex<HashMap<String, DateTime<Utc>>>,
}

impl ReplayCache for InMemoryReplayCache {
    fn insert_if_absent(&self, key: &str, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        // A poisoned lock fails closed: the assertion counts as already used.
        let Ok(mut map) = self.inner.lock() else {
            return false;
        };
        if map.len() > 4096 {
            map.retain(|_, until| *until > now);
        }
        match map.get(key) {
            Some(until) if *until > now => false,
            _ => {
                map.insert(key.to_owned(), expires_at);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_is_once() {
        let store = InMemoryRequestStore::default();
        let now = Utc::now();
        store.insert(PendingRequest {
            id: "a".into(),
            connection: "c".into(),
            issued_at: now,
            expires_at: now,
        });
        assert!(store.take("a").is_some());
        assert!(store.take("a").is_none());
    }

    #[test]
    fn replay_until_expiry() {
        let cache = InMemoryReplayCache::default();
        let now = Utc::now();
        let later = now + chrono::Duration::seconds(60);
        assert!(cache.insert_if_absent("k", later, now));
        assert!(!cache.insert_if_absent("k", later, now));
        assert!(cache.insert_if_absent("k", later + chrono::Duration::seconds(60), later));
    }
}
