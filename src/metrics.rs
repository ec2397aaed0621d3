//! What the service counts for its operators' monitoring, written as Prometheus text
//! (OpenMetrics) by the Prometheus project's `prometheus-client` crate.
//!
//! Two kinds of numbers: counters this process keeps as things happen (fetches by kind
//! and outcome, HTTP requests by route and status with their latency, render cache
//! lookups), and values read from the store at each scrape ([`crate::store::Inventory`]:
//! events and posts stored, each source's time since its last success and whether it is
//! failing, digests sent), so what another process wrote is counted too. No HTTP here:
//! `web::metrics` serves it and records requests through [`Metrics::http_request`].

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use chrono::{DateTime, Utc};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::model::{FetchRecord, SourceKind};
use crate::store::Inventory;

/// Every metric's name starts with this (`bulletin_fetches_total`).
pub const PREFIX: &str = "bulletin";

/// The Content-Type of the text [`Metrics::encode`] writes.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Upper bounds of the request latency buckets, in seconds (5 ms to 10 s).
const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 7.5, 10.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FetchLabels {
    /// `feed`, `ical`, `html`, or `auto` for a source whose kind is not known yet.
    kind: String,
    /// `ok`, `unchanged`, `not_modified`, `failed`.
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabels {
    source: String,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The counters of this process; shared (`Arc`) by the refresher and the web layer.
#[derive(Debug)]
pub struct Metrics {
    fetches: Family<FetchLabels, Counter>,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            fetches: Family::default(),
            requests: Family::default(),
            latency: Family::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS)),
        }
    }
}

/// What the render cache answered from memory and what it had to render.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheLookups {
    pub hits: u64,
    pub misses: u64,
}

impl Metrics {
    /// Counts one finished fetch of a source of `kind` (`None`: not yet known).
    pub fn fetched(&self, kind: Option<SourceKind>, record: &FetchRecord) {
        self.fetches
            .get_or_create(&FetchLabels {
                kind: kind.map_or("auto", SourceKind::as_str).to_string(),
                outcome: record.outcome.as_str().to_string(),
            })
            .inc();
    }

    /// Counts one answered request: its route pattern (`/events/{file}`, never the path
    /// itself, so the label set stays bounded), status and how long it took.
    pub fn http_request(&self, route: &str, status: u16, took: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_string(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_string(),
            })
            .observe(took.as_secs_f64());
    }

    /// The metrics as OpenMetrics text: this process's counters and `inventory`, read
    /// from the store at `now`.
    pub fn encode(&self, inventory: &Inventory, cache: CacheLookups, now: DateTime<Utc>) -> String {
        let mut registry = Registry::with_prefix(PREFIX);
        registry.register(
            "fetches",
            "Source fetches finished by this process, by source kind and outcome",
            self.fetches.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests answered, by route pattern and status",
            self.requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route pattern",
            self.latency.clone(),
        );
        registry.register(
            "render_cache_hits",
            "Feeds, calendars and pages answered from the render cache",
            ConstCounter::new(cache.hits),
        );
        registry.register(
            "render_cache_misses",
            "Feeds, calendars and pages that had to be rendered",
            ConstCounter::new(cache.misses),
        );
        let since = Family::<SourceLabels, Gauge<f64, AtomicU64>>::default();
        let failing = Family::<SourceLabels, Gauge>::default();
        for source in &inventory.sources {
            let labels = SourceLabels {
                source: source.id.clone(),
            };
            failing
                .get_or_create(&labels)
                .set(i64::from(source.failing));
            if let Some(success) = source.last_success {
                let seconds = (now - success).num_milliseconds().max(0) as f64 / 1000.0;
                since.get_or_create(&labels).set(seconds);
            }
        }
        registry.register(
            "source_seconds_since_success",
            "Seconds since the source's latest successful fetch began (absent: never succeeded)",
            since,
        );
        registry.register(
            "source_failing",
            "1 when the source's latest fetch failed, else 0",
            failing,
        );
        let failing_total = Gauge::<i64>::default();
        failing_total.set(inventory.sources.iter().filter(|s| s.failing).count() as i64);
        registry.register(
            "sources_failing",
            "Active sources whose latest fetch failed",
            failing_total,
        );
        let sources = Gauge::<i64>::default();
        sources.set(inventory.sources.len() as i64);
        registry.register("sources", "Active sources", sources);
        let events = Gauge::<i64>::default();
        events.set(inventory.events as i64);
        registry.register("events_stored", "Events stored", events);
        let posts = Gauge::<i64>::default();
        posts.set(inventory.posts as i64);
        registry.register("posts_stored", "Posts stored", posts);
        registry.register(
            "digests_sent",
            "Digest emails delivered, all weeks",
            ConstCounter::new(inventory.digests_sent),
        );
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry)
            .expect("writing to a String cannot fail");
        text
    }
}
