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
}

impl RenderCache {
    pub fn get(&self, generation: u64, key: &str) -> Option<Arc<Rendered>> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        (inner.0 == generation)
            .then(|| inner.1.get(key).cloned())
            .flatten()
    }

    pub fn put(&self, generation: u64, key: String, rendered: Arc<Rendered>) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.0 != generation || inner.1.len() >= MAX_ENTRIES {
            inner.1.clear();
            inner.0 = generation;
        }
        inner.1.insert(key, rendered);
    }
}
