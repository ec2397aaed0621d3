//! `/metrics` read back as Prometheus would: the text parsed by an independent reader
//! (prometheus-parse), names, labels and values matching what the store holds and what
//! the test did; who may read it; `/healthz` as it was.

mod common;

use std::sync::Arc;

use bulletin::fetch::Fetcher;
use bulletin::metrics::Metrics;
use bulletin::model::{FetchOutcome, Location, SourceKind};
use bulletin::refresh::Refresher;
use bulletin::store::Store;
use prometheus_parse::{Sample, Scrape, Value};

fn feed(source: &str, n: usize) -> String {
    let mut xml = String::from("<rss version=\"2.0\"><channel><title>T</title>");
    for i in 0..n {
        xml.push_str(&format!(
            "<item><guid>{source}-{i}</guid><title>Post {i}</title>\
             <link>https://example.gc.ca/{source}/{i}</link>\
             <pubDate>Mon, 07 Dec 2026 10:00:00 GMT</pubDate></item>"
        ));
    }
    xml + "</channel></rss>"
}

fn parse(text: &str) -> Scrape {
    Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("Prometheus text")
}

/// The value of the one sample named `name` whose labels include `labels`.
fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let found: Vec<&Sample> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .collect();
    assert!(found.len() <= 1, "{name} {labels:?} matched {found:?}");
    found.first().map(|s| match &s.value {
        Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
        Value::Histogram(buckets) => buckets.last().map_or(0.0, |b| b.count),
        Value::Summary(_) => panic!("no summaries here"),
    })
}

fn count(db: &std::path::Path, sql: &str) -> f64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap() as f64
}

#[actix_web::test]
async fn metrics_match_the_store_and_the_requests_made() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bulletin.db");
    let store = Store::open(&db).unwrap();
    let mut sources = Vec::new();
    for (id, n) in [("alpha", 3), ("beta", 5)] {
        let file = dir.path().join(format!("{id}.xml"));
        std::fs::write(&file, feed(id, n)).unwrap();
        sources.push(common::source(
            id,
            Location::File(file),
            Some(SourceKind::Feed),
        ));
    }
    sources.push(common::source(
        "gone",
        Location::File(dir.path().join("missing.xml")),
        Some(SourceKind::Feed),
    ));
    store
        .sync_config_sources(&sources, chrono::Utc::now())
        .unwrap();
    bulletin::fetch::install_tls_provider();
    let metrics = Arc::new(Metrics::default());
    let refresher = Refresher::new(
        Fetcher::new(common::test_fetch_settings()).unwrap(),
        store.clone(),
        common::test_context(),
    )
    .with_metrics(metrics.clone());
    let records = refresher
        .refresh_all(store.active_sources().unwrap(), |_| {})
        .await;
    let failed = records
        .iter()
        .filter(|r| r.outcome == FetchOutcome::Failed)
        .count();
    assert_eq!((records.len(), failed), (3, 1), "{records:?}");

    let site = common::Site::start_with(&store, |state| state.metrics = metrics.clone());
    for path in [
        "/feed.rss",
        "/feed.rss",
        "/events/no-such-event",
        "/no/such/page",
    ] {
        site.get(path).await;
    }
    let healthz = site.get("/healthz").await;
    assert_eq!(healthz.status(), 200);
    let health: serde_json::Value = serde_json::from_str(&healthz.text().await.unwrap()).unwrap();
    assert_eq!(
        health,
        serde_json::json!({"status": "ok", "sources": 3, "failing_sources": 1})
    );

    let response = site.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = response.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    let scrape = parse(&text);
    let v = |name: &str, labels: &[(&str, &str)]| value(&scrape, name, labels);

    // Fetches by kind and outcome, as this process finished them.
    assert_eq!(
        v(
            "bulletin_fetches_total",
            &[("kind", "feed"), ("outcome", "ok")]
        ),
        Some(2.0)
    );
    assert_eq!(
        v(
            "bulletin_fetches_total",
            &[("kind", "feed"), ("outcome", "failed")]
        ),
        Some(1.0)
    );
    // What the store holds, counted independently here.
    assert_eq!(
        v("bulletin_posts_stored", &[]),
        Some(count(&db, "SELECT count(*) FROM posts"))
    );
    assert_eq!(v("bulletin_posts_stored", &[]), Some(8.0));
    assert_eq!(
        v("bulletin_events_stored", &[]),
        Some(count(
            &db,
            "SELECT count(*) FROM events WHERE merged_into IS NULL"
        ))
    );
    assert_eq!(v("bulletin_sources", &[]), Some(3.0));
    assert_eq!(v("bulletin_sources_failing", &[]), Some(1.0));
    assert_eq!(
        v("bulletin_source_failing", &[("source", "gone")]),
        Some(1.0)
    );
    assert_eq!(
        v("bulletin_source_failing", &[("source", "alpha")]),
        Some(0.0)
    );
    for ok in ["alpha", "beta"] {
        let since = v("bulletin_source_seconds_since_success", &[("source", ok)]).unwrap();
        assert!((0.0..120.0).contains(&since), "{ok}: {since}");
    }
    assert_eq!(
        v(
            "bulletin_source_seconds_since_success",
            &[("source", "gone")]
        ),
        None,
        "never succeeded: no sample"
    );
    assert_eq!(
        v("bulletin_digests_sent_total", &[]),
        Some(count(
            &db,
            "SELECT count(*) FROM digest_deliveries WHERE status = 'sent'"
        ))
    );
    // Requests by route pattern and status; the latency histogram by route.
    assert_eq!(
        v(
            "bulletin_http_requests_total",
            &[("route", "/feed.rss"), ("status", "200")]
        ),
        Some(2.0)
    );
    // prometheus-parse cuts label values at a brace; the line as Prometheus reads it:
    assert!(
        text.lines()
            .any(|l| l == "bulletin_http_requests_total{route=\"/events/{file}\",status=\"404\"} 1"),
        "{text}"
    );
    assert_eq!(
        v(
            "bulletin_http_requests_total",
            &[("route", "unmatched"), ("status", "404")]
        ),
        Some(1.0)
    );
    assert_eq!(
        v(
            "bulletin_http_requests_total",
            &[("route", "/healthz"), ("status", "200")]
        ),
        Some(1.0)
    );
    assert_eq!(
        v(
            "bulletin_http_request_duration_seconds",
            &[("route", "/feed.rss")]
        ),
        Some(2.0)
    );
    assert!(
        text.contains(
            "bulletin_http_request_duration_seconds_bucket{le=\"0.005\",route=\"/feed.rss\"}"
        ) || text.contains(
            "bulletin_http_request_duration_seconds_bucket{route=\"/feed.rss\",le=\"0.005\"}"
        ),
        "{text}"
    );
    // The feed was rendered once and answered from the cache once.
    assert_eq!(v("bulletin_render_cache_misses_total", &[]), Some(1.0));
    assert_eq!(v("bulletin_render_cache_hits_total", &[]), Some(1.0));
    // The scrape itself is counted by the next one.
    let again = parse(&site.get("/metrics").await.text().await.unwrap());
    assert_eq!(
        value(
            &again,
            "bulletin_http_requests_total",
            &[("route", "/metrics"), ("status", "200")]
        ),
        Some(1.0)
    );
    drop(site.client);
    site.handle.stop(true).await;
}

#[actix_web::test]
async fn metrics_are_refused_outside_the_allowed_networks_without_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bulletin.db")).unwrap();
    let token = "s3cret-metrics-token-for-tests";
    let site = common::Site::start_with(&store, |state| {
        state.metrics_access = bulletin::web::MetricsAccess {
            allow: vec![bulletin::web::parse_network("192.0.2.0/24").unwrap()],
            token: Some(token.into()),
        };
    });
    let url = format!("{}/metrics", site.base);
    let refused = site.client.get(&url).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    let wrong = site
        .client
        .get(&url)
        .bearer_auth("guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().contains_key("www-authenticate"));
    let allowed = site
        .client
        .get(&url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
    assert!(
        allowed
            .text()
            .await
            .unwrap()
            .contains("bulletin_posts_stored 0")
    );
    drop(site.client);
    site.handle.stop(true).await;

    // Loopback by default, but not a request a local proxy relayed.
    let site = common::Site::start(&store);
    let url = format!("{}/metrics", site.base);
    assert_eq!(site.client.get(&url).send().await.unwrap().status(), 200);
    let relayed = site
        .client
        .get(&url)
        .header("X-Forwarded-For", "203.0.113.5")
        .send()
        .await
        .unwrap();
    assert_eq!(relayed.status(), 403);
    drop(site.client);
    site.handle.stop(true).await;
}
