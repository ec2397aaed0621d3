//! Rendered responses kept until the store changes: a thousand readers polling the same
//! feed cost one query and one render. Keyed by the view (route, canonical filters,
//! origin), emptied whenever the store's generation moves on, and bounded by bytes: the
//! least recently used views go first once the budget ([`DEFAULT_BUDGET_BYTES`] unless
//! the operator sets another) is spent. A view costing more than half the budget is
//! served but not kept, and views keyed by a time the client chose (`from`, `to`) are kept
//! only when small (a 256th of the budget), so a crawler walking dates cannot fill the
//! cache with multi-megabyte calendars. Views spooled to disk (`body`: the calendar of a
//! whole government) cost the memory budget only their in-memory head and tail, and are
//! kept within a disk budget of their own ([`SPOOL_BUDGET_BYTES`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::http::header::{HeaderValue, HttpDate, TryIntoHeaderValue};
use actix_web::web::Bytes;
use chrono::{DateTime, Utc};
use lru::LruCache;
use tokio::sync::OnceCell;

use super::body::{Body, Part, Written};

/// The render cache's budget when the operator sets none: 64 MiB.
pub const DEFAULT_BUDGET_BYTES: usize = 64 * 1024 * 1024;
/// A view costing more than `budget / LARGEST_SHARE` is served, not kept (half: the
/// default budget keeps the full 10,000-event calendar, 11.7 MiB, with its compressed forms).
const LARGEST_SHARE: usize = 2;
/// A view keyed by a client-chosen time is kept only up to `budget / SMALL_SHARE`.
const SMALL_SHARE: usize = 256;
/// The temporary disk that spooled views may take (with their compressed forms); one
/// view may take half.
pub const SPOOL_BUDGET_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// A rendered body with its validators, and its compressed forms once asked for.
#[derive(Debug)]
pub struct Rendered {
    pub body: Body,
    pub content_type: &'static str,
    /// The strong validator of the identity body (hex digits; the encodings add a suffix).
    pub etag: String,
    pub last_modified: Option<DateTime<Utc>>,
    /// When the view was cut at a ceiling, how (sent as a header with every answer).
    pub truncated: Option<String>,
    pub(super) gzip: OnceCell<Body>,
    pub(super) brotli: OnceCell<Body>,
    /// The validators as header values, made once per view rather than per answer.
    pub(super) headers: Validators,
}

/// A view's validators written out once: the quoted strong ETag of each encoding
/// (identity, gzip, brotli: what `ETag` sends and what an `If-None-Match` naming exactly
/// this copy holds) and the `Last-Modified` date.
#[derive(Debug)]
pub(super) struct Validators {
    pub etags: [HeaderValue; 3],
    pub last_modified: Option<HeaderValue>,
}

impl Validators {
    fn new(etag: &str, last_modified: Option<DateTime<Utc>>) -> Validators {
        let quoted = |suffix: &str| {
            HeaderValue::from_str(&format!("\"{etag}{suffix}\""))
                .expect("hex digits make a header value")
        };
        Validators {
            etags: [quoted(""), quoted("-gz"), quoted("-br")],
            last_modified: last_modified.and_then(|modified| {
                HttpDate::from(std::time::SystemTime::from(modified))
                    .try_into_value()
                    .ok()
            }),
        }
    }
}

impl Rendered {
    pub fn new(
        body: Vec<u8>,
        content_type: &'static str,
        last_modified: Option<DateTime<Utc>>,
    ) -> Rendered {
        use sha2::{Digest, Sha256};
        let etag = hex(&Sha256::digest(&body));
        Rendered::with_etag(Body::Memory(body.into()), etag, content_type, last_modified)
    }

    /// `head`, then what each of `middles` wrote in order, then `tail`: one body in
    /// memory when every middle stayed there (the same validator as [`Rendered::new`] of
    /// the whole), else the parts in order, the files among them shared, its validator a
    /// digest of the parts' digests.
    pub fn assembled(
        head: String,
        middles: Vec<Written>,
        tail: &'static str,
        content_type: &'static str,
        last_modified: Option<DateTime<Utc>>,
    ) -> Rendered {
        use sha2::{Digest, Sha256};
        if middles.iter().all(|m| matches!(m, Written::Memory(_))) {
            let mut body = head.into_bytes();
            let length: usize = middles
                .iter()
                .map(|m| match m {
                    Written::Memory(bytes) => bytes.len(),
                    Written::File(..) => 0,
                })
                .sum();
            body.reserve_exact(length + tail.len());
            for middle in middles {
                if let Written::Memory(middle) = middle {
                    body.extend_from_slice(&middle);
                }
            }
            body.extend_from_slice(tail.as_bytes());
            return Rendered::new(body, content_type, last_modified);
        }
        let mut whole = Sha256::new();
        whole.update(head.as_bytes());
        let mut parts = vec![Part::Memory(head.into())];
        for middle in middles {
            match middle {
                Written::Memory(bytes) if bytes.is_empty() => {}
                Written::Memory(bytes) => {
                    whole.update(Sha256::digest(&bytes));
                    parts.push(Part::Memory(bytes.into()));
                }
                Written::File(spool, digest) => {
                    whole.update(digest);
                    parts.push(Part::File(Arc::new(spool)));
                }
            }
        }
        whole.update(tail.as_bytes());
        parts.push(Part::Memory(Bytes::from_static(tail.as_bytes())));
        let etag = hex(&whole.finalize());
        Rendered::with_etag(Body::Parts(parts.into()), etag, content_type, last_modified)
    }

    fn with_etag(
        body: Body,
        etag: String,
        content_type: &'static str,
        last_modified: Option<DateTime<Utc>>,
    ) -> Rendered {
        Rendered {
            headers: Validators::new(&etag, last_modified),
            body,
            content_type,
            etag,
            last_modified,
            truncated: None,
            gzip: OnceCell::new(),
            brotli: OnceCell::new(),
        }
    }

    /// What keeping this view costs in memory: the identity body's bytes in memory, and as
    /// much again for the compressed forms it may gain (text compresses to well under
    /// half, so this bounds both together).
    pub fn cost(&self) -> usize {
        self.body.memory() * 2
    }

    /// What keeping it costs on disk, its compressed forms counted the same way.
    pub fn disk_cost(&self) -> u64 {
        self.body.disk() * 2
    }
}

/// The first 16 bytes of a digest in hex.
fn hex(digest: &[u8]) -> String {
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// How long a view may be kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// An ordinary view: kept up to half the budget.
    View,
    /// A view keyed by a time the client chose: kept only while small.
    OnlySmall,
}

struct Entries {
    generation: u64,
    views: LruCache<String, Arc<Rendered>>,
    bytes: usize,
    disk: u64,
}

pub struct RenderCache {
    budget: usize,
    inner: Mutex<Entries>,
    /// One lock per view being rendered, so simultaneous misses render once.
    flights: Mutex<HashMap<String, std::sync::Weak<tokio::sync::Mutex<()>>>>,
    /// Views answered from the cache (a request that waited for another's render too).
    hits: std::sync::atomic::AtomicU64,
    /// Views rendered.
    misses: std::sync::atomic::AtomicU64,
}

impl Default for RenderCache {
    fn default() -> Self {
        RenderCache::new(DEFAULT_BUDGET_BYTES)
    }
}

impl RenderCache {
    /// A cache keeping at most `budget` bytes of views.
    pub fn new(budget: usize) -> RenderCache {
        RenderCache {
            budget,
            inner: Mutex::new(Entries {
                generation: 0,
                views: LruCache::unbounded(),
                bytes: 0,
                disk: 0,
            }),
            flights: Mutex::default(),
            hits: Default::default(),
            misses: Default::default(),
        }
    }

    /// How many views were answered from the cache and how many rendered, so far.
    pub fn lookups(&self) -> crate::metrics::CacheLookups {
        use std::sync::atomic::Ordering::Relaxed;
        crate::metrics::CacheLookups {
            hits: self.hits.load(Relaxed),
            misses: self.misses.load(Relaxed),
        }
    }

    /// The bytes the kept views cost now (never more than the budget).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// How many views are kept now.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().views.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The kept view `key` of `generation`, marked as just used.
    pub fn get(&self, generation: u64, key: &str) -> Option<Arc<Rendered>> {
        let mut inner = self.lock();
        if inner.generation != generation {
            return None;
        }
        inner.views.get(key).cloned()
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
        keep: Keep,
        render: F,
    ) -> Result<Arc<Rendered>, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Rendered, E>>,
    {
        use std::sync::atomic::Ordering::Relaxed;
        if let Some(rendered) = self.get(generation, &key) {
            self.hits.fetch_add(1, Relaxed);
            return Ok(rendered);
        }
        let flight = self.flight(&key);
        let _rendering = flight.lock().await;
        if let Some(rendered) = self.get(generation, &key) {
            self.hits.fetch_add(1, Relaxed);
            return Ok(rendered);
        }
        self.misses.fetch_add(1, Relaxed);
        let rendered = Arc::new(render().await?);
        self.put(generation, key, keep, rendered.clone());
        Ok(rendered)
    }

    /// The most a view may cost, in memory and on disk, and still be kept.
    fn limit(&self, keep: Keep) -> (usize, u64) {
        match keep {
            Keep::View => (self.budget / LARGEST_SHARE, SPOOL_BUDGET_BYTES / 2),
            Keep::OnlySmall => (self.budget / SMALL_SHARE, 0),
        }
    }

    /// Keeps `rendered` for `generation` when it fits its limit, evicting the least
    /// recently used views to make room. A render that started before the store moved on
    /// is not kept, and never sends the cache back to an older generation.
    pub fn put(&self, generation: u64, key: String, keep: Keep, rendered: Arc<Rendered>) {
        let cost = rendered.cost() + key.len();
        let disk = rendered.disk_cost();
        let mut inner = self.lock();
        if generation < inner.generation {
            return;
        }
        if inner.generation != generation {
            inner.views.clear();
            inner.bytes = 0;
            inner.disk = 0;
            inner.generation = generation;
        }
        if let Some(old) = inner.views.pop(&key) {
            inner.bytes -= old.cost() + key.len();
            inner.disk -= old.disk_cost();
        }
        let (most, most_disk) = self.limit(keep);
        if cost > most || disk > most_disk {
            return;
        }
        while inner.bytes + cost > self.budget || inner.disk + disk > SPOOL_BUDGET_BYTES {
            match inner.views.pop_lru() {
                Some((old_key, old)) => {
                    inner.bytes -= old.cost() + old_key.len();
                    inner.disk -= old.disk_cost();
                }
                None => break,
            }
        }
        inner.bytes += cost;
        inner.disk += disk;
        inner.views.put(key, rendered);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(bytes: usize) -> Arc<Rendered> {
        Arc::new(Rendered::new(vec![b'x'; bytes], "text/plain", None))
    }

    #[test]
    fn requests_for_one_view_share_a_flight() {
        let cache = RenderCache::default();
        let first = cache.flight("/events.ics");
        let second = cache.flight("/events.ics");
        assert!(
            Arc::ptr_eq(&first, &second),
            "one render at a time per view"
        );
        assert!(!Arc::ptr_eq(&first, &cache.flight("/feed.rss")));
    }

    #[test]
    fn a_generation_change_empties_the_cache() {
        let cache = RenderCache::default();
        cache.put(1, "/feed.rss".into(), Keep::View, view(1));
        assert!(cache.get(1, "/feed.rss").is_some());
        assert!(
            cache.get(2, "/feed.rss").is_none(),
            "a newer store generation misses"
        );
        cache.put(2, "/feed.atom".into(), Keep::View, view(1));
        assert_eq!(cache.len(), 1, "the old generation's views are gone");
        assert_eq!(cache.bytes(), 2 + "/feed.atom".len());
        cache.put(1, "/feed.json".into(), Keep::View, view(1));
        assert!(
            cache.get(2, "/feed.json").is_none() && cache.get(1, "/feed.json").is_none(),
            "a render from before the change is not kept"
        );
    }

    #[test]
    fn the_byte_budget_holds_and_the_least_recently_used_go_first() {
        // 900 bytes: views of 40 bytes cost 80 plus their key (3 bytes); ten fit.
        let cache = RenderCache::new(900);
        for i in 0..10 {
            cache.put(1, format!("v{i:02}"), Keep::View, view(40));
        }
        assert!(cache.bytes() <= 900, "{}", cache.bytes());
        assert_eq!(cache.len(), 10);
        // v00 is used, so v01 is the oldest and goes first.
        assert!(cache.get(1, "v00").is_some());
        for i in 10..12 {
            cache.put(1, format!("v{i:02}"), Keep::View, view(40));
        }
        assert!(cache.bytes() <= 900, "{}", cache.bytes());
        assert_eq!(cache.len(), 10);
        assert!(cache.get(1, "v00").is_some(), "recently used views stay");
        assert!(
            cache.get(1, "v01").is_none(),
            "the least recently used went"
        );
        assert!(cache.get(1, "v11").is_some());
    }

    #[test]
    fn large_views_are_served_but_not_kept() {
        let cache = RenderCache::new(8_000);
        // Half the budget is 4,000 bytes: a 2,100-byte body costs 4,200.
        cache.put(1, "big".into(), Keep::View, view(2_100));
        assert!(cache.get(1, "big").is_none());
        cache.put(1, "fits".into(), Keep::View, view(1_900));
        assert!(cache.get(1, "fits").is_some());
        // A 256th is 31 bytes: a client-chosen window keeps only tiny bodies.
        cache.put(1, "from=x".into(), Keep::OnlySmall, view(40));
        assert!(cache.get(1, "from=x").is_none());
        cache.put(1, "from=y".into(), Keep::OnlySmall, view(5));
        assert!(cache.get(1, "from=y").is_some());
    }

    #[test]
    fn replacing_a_view_does_not_count_it_twice() {
        let cache = RenderCache::new(1_000);
        cache.put(1, "k".into(), Keep::View, view(10));
        cache.put(1, "k".into(), Keep::View, view(10));
        assert_eq!(cache.bytes(), 21);
    }
}
