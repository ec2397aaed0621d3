//! Rendered responses kept until the store changes: a thousand readers polling the same
//! feed cost one query and one render. Keyed by the view (route, filters, origin) and
//! emptied whenever the store's generation moves on.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

/// A rendered body with its validators.
#[derive(Debug)]
pub struct Rendered {
    pub body: actix_web::web::Bytes,
    pub content_type: &'static str,
    pub etag: String,
    pub last_modified: Option<DateTime<Utc>>,
}

impl Rendered {
    pub fn new(
        body: Vec<u8>,
        content_type: &'static str,
        last_modified: Option<DateTime<Utc>>,
    ) -> Rendered {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(&body);
        let etag: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        Rendered {
            body: body.into(),
            content_type,
            etag,
            last_modified,
        }
    }
}

/// At most this many views are kept per generation.
const MAX_ENTRIES: usize = 512;

#[derive(Default)]
pub struct RenderCache {
    inner: Mutex<(u64, HashMap<String, Arc<Rendered>>)>,
    /// One lock per view being rendered, so simultaneous misses render once.
    flights: Mutex<HashMap<String, std::sync::Weak<tokio::sync::Mutex<()>>>>,
}

impl RenderCache {
    pub fn get(&self, generation: u64, key: &str) -> Option<Arc<Rendered>> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        (inner.0 == generation)
            .then(|| inner.1.get(key).cloned())
            .flatten()
    }

    /// The lock to hold while rendering `key`: the first request renders, the others wait
    /// and then find the result in the cache.
    fn flight(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(lock) = flights.get(key).and_then(std::sync::Weak::upgrade) {
            return lock;
        }
        flights.retain(|_, lock| lock.strong_count() > 0);
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        flights.insert(key.to_string(), Arc::downgrade(&lock));
        lock
    }

    /// The cached body of `key` for the store's `generation`, else the one `render` makes
    /// (one render per view at a time; requests that waited find it cached).
    pub async fn get_or_render<F, Fut, E>(
        &self,
        generation: u64,
        key: String,
        render: F,
    ) -> Result<Arc<Rendered>, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Rendered, E>>,
    {
        if let Some(rendered) = self.get(generation, &key) {
            return Ok(rendered);
        }
        let flight = self.flight(&key);
        let _rendering = flight.lock().await;
        if let Some(rendered) = self.get(generation, &key) {
            return Ok(rendered);
        }
        let rendered = Arc::new(render().await?);
        self.put(generation, key, rendered.clone());
        Ok(rendered)
    }

    /// Keeps `rendered` for `generation`. A render that started before the store moved on
    /// is not kept, and never sends the cache back to an older generation.
    pub fn put(&self, generation: u64, key: String, rendered: Arc<Rendered>) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if generation < inner.0 {
            return;
        }
        if inner.0 != generation || inner.1.len() >= MAX_ENTRIES {
            inner.1.clear();
            inner.0 = generation;
        }
        inner.1.insert(key, rendered);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_for_one_view_share_a_flight_and_a_generation_change_empties_the_cache() {
        let cache = RenderCache::default();
        let first = cache.flight("/events.ics");
        let second = cache.flight("/events.ics");
        assert!(
            Arc::ptr_eq(&first, &second),
            "one render at a time per view"
        );
        assert!(!Arc::ptr_eq(&first, &cache.flight("/feed.rss")));
        drop((first, second));
        cache.put(
            1,
            "/feed.rss".into(),
            Arc::new(Rendered::new(b"x".to_vec(), "text/plain", None)),
        );
        assert!(cache.get(1, "/feed.rss").is_some());
        assert!(
            cache.get(2, "/feed.rss").is_none(),
            "a newer store generation misses"
        );
    }
}
