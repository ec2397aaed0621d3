//! Ingest benchmark: the whole refresh pipeline (fetch → extract → normalise → store)
//! against N generated WordPress-like RSS 2.0 feeds, without touching the internet. The
//! feeds are served by actix-web on 20 loopback addresses (127.0.0.1 … 127.0.0.20, so the
//! fetcher's per-host limit acts as it would across real sites) and refreshed into a fresh
//! SQLite store twice: pass 1 fetches, parses and stores everything (throughput, items
//! stored, parse share); pass 2 changes nothing, so every request should get a 304 thanks
//! to the stored ETag. Then it prints peak resident memory and the database's size. It
//! exits non-zero if pass 1 had failures or pass 2 was not all 304s.
//!
//! Beside each pass, the Python baseline (`benches/baseline/ingest.py feeds`: a 16-thread
//! feedparser + SQLite script, sending the stored validators on its second run) reads the
//! same served feeds in the same command, and the ratio is printed. Pass 2 runs again on a
//! store in its steady state (90 days of hourly fetch records for every feed, added
//! straight into the database), beside the same baseline figure. A third pass has the
//! server send no validators at all (the same bytes whole), as many feed hosts do.
//!
//! Run it with `cargo bench --bench ingest`, or `cargo bench --bench ingest -- --feeds 200`
//! (`--feeds N`, default 1000; `--items N` per feed, default 20).

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use chrono::{Duration, TimeZone, Utc};

use bulletin::fetch::FetchSettings;
use bulletin::fetch::{Fetcher, install_tls_provider};
use bulletin::model::{FetchOutcome, FetchRecord, Location, Source, SourceKind};
use bulletin::refresh::Refresher;
use bulletin::store::Store;
use common::{HOSTS, file_size, mib, peak_memory_text, run_baseline};

fn main() {
    let (feeds, items) = common::two_numbers(("feeds", 1000), ("items", 20));
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    runtime.block_on(run(feeds, items));
}

/// The generated feeds and what the server answered.
struct Served {
    bodies: Vec<Bytes>,
    /// Whether ETags are sent and honoured.
    validators: AtomicBool,
    ok: AtomicU64,
    not_modified: AtomicU64,
}

async fn serve_feed(
    req: HttpRequest,
    path: web::Path<usize>,
    served: web::Data<Served>,
) -> HttpResponse {
    let i = path.into_inner();
    let Some(body) = served.bodies.get(i) else {
        return HttpResponse::NotFound().finish();
    };
    if !served.validators.load(Ordering::Relaxed) {
        served.ok.fetch_add(1, Ordering::Relaxed);
        return HttpResponse::Ok()
            .content_type("application/rss+xml; charset=UTF-8")
            .body(body.clone());
    }
    let tag = format!("\"v1-{i}\"");
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    if matches {
        served.not_modified.fetch_add(1, Ordering::Relaxed);
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, tag))
            .finish();
    }
    served.ok.fetch_add(1, Ordering::Relaxed);
    HttpResponse::Ok()
        .content_type("application/rss+xml; charset=UTF-8")
        .insert_header((header::ETAG, tag))
        .body(body.clone())
}

async fn run(feeds: usize, items: usize) {
    let started = Instant::now();
    let bodies: Vec<Bytes> = (0..feeds)
        .map(|i| Bytes::from(rss_feed(i, items)))
        .collect();
    let corpus: usize = bodies.iter().map(Bytes::len).sum();
    println!(
        "generated {feeds} feeds x {items} items ({:.1} MiB of RSS) in {:.2} s; served from \
         {HOSTS} loopback addresses (feed i on 127.0.0.(i mod {HOSTS} + 1)), so the fetcher's \
         per-host limit acts as across real sites",
        mib(corpus as u64),
        started.elapsed().as_secs_f64()
    );

    // The server: one listener per loopback address, feed i on address i % HOSTS.
    let served = web::Data::new(Served {
        bodies,
        validators: AtomicBool::new(true),
        ok: AtomicU64::new(0),
        not_modified: AtomicU64::new(0),
    });
    let app_data = served.clone();
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(app_data.clone())
            .route("/feeds/{i}.xml", web::get().to(serve_feed))
    })
    .workers(2);
    let mut ports = Vec::with_capacity(HOSTS);
    for (ip, port, listener) in common::loopback_listeners() {
        ports.push((ip, port));
        server = server.listen(listener).expect("listen");
    }
    let server = server.disable_signals().shutdown_timeout(1).run();
    let handle = server.handle();
    let server_task = tokio::spawn(server);

    // The pipeline, pointed at the server.
    let urls: Vec<String> = (0..feeds)
        .map(|i| {
            let (ip, port) = ports[i % HOSTS];
            format!("http://{ip}:{port}/feeds/{i}.xml")
        })
        .collect();
    let sources: Vec<Source> = urls
        .iter()
        .enumerate()
        .map(|(i, url)| Source {
            id: format!("dept-{i:05}"),
            name: format!("Department {i} blog"),
            department: format!("Department {}", i % 37),
            tags: vec!["blog".into()],
            kind: Some(SourceKind::Feed),
            location: Location::Url(url.parse().expect("feed URL")),
            schedule: None,
            timezone: None,
            selectors: None,
            post_selectors: None,
            events_from_links: false,
            language: None,
            translation_of: None,
        })
        .collect();
    let dir = tempfile::tempdir().expect("temporary folder");
    let store = Store::open(&dir.path().join("bench.db")).expect("open the store");
    store
        .sync_config_sources(&sources, Utc::now())
        .expect("sync sources");
    install_tls_provider();
    let settings = FetchSettings {
        allow_private_networks: true,
        retries: 0,
        ..FetchSettings::default()
    };
    let (overall, per_host) = (settings.max_concurrent, settings.max_per_host);
    let fetcher = Fetcher::new(settings).expect("fetcher");
    let context = bulletin::refresh::Context {
        display_zone: chrono_tz::America::Toronto,
        events: bulletin::harvest::EventSettings::default(),
        clock: bulletin::clock::Clock::system(),
    };
    let refresher = Refresher::new(fetcher, store.clone(), context);

    let before_pipeline = common::resident_memory();
    // Pass 1: everything is new.
    let clock = Instant::now();
    let records = refresher
        .refresh_all(store.active_sources().expect("sources"), |_| {})
        .await;
    let wall = clock.elapsed().as_secs_f64();
    let failed: Vec<&FetchRecord> = records
        .iter()
        .filter(|r| r.outcome == FetchOutcome::Failed)
        .collect();
    let stored: u64 = records.iter().map(|r| u64::from(r.items_new)).sum();
    let parse_ms: u64 = records.iter().map(|r| r.parse_ms).sum();
    let duration_ms: u64 = records.iter().map(|r| r.duration_ms).sum();
    println!(
        "pass 1: {} feeds in {wall:.2} s ({:.1} feeds/s), {stored} items stored, {} failed",
        records.len(),
        records.len() as f64 / wall,
        failed.len()
    );
    for error in failed.iter().take(5).filter_map(|r| r.error.as_deref()) {
        println!("  failed: {error}");
    }
    println!(
        "pass 1: parsing {:.2} s of {:.2} s summed attempt time ({:.1}%); attempt time includes \
         queueing behind the fetch limits ({overall} overall, {per_host} per host), and parse \
         time is wall time, inflated when parses share the CPUs ({:.1} ran at once on average)",
        parse_ms as f64 / 1000.0,
        duration_ms as f64 / 1000.0,
        100.0 * parse_ms as f64 / duration_ms.max(1) as f64,
        parse_ms as f64 / 1000.0 / wall
    );
    let answered = || {
        let load = |n: &AtomicU64| n.load(Ordering::Relaxed);
        (load(&served.ok), load(&served.not_modified))
    };
    let (ok_before, before) = answered();
    println!("pass 1: server answered {ok_before} x 200, {before} x 304");
    let baseline_db = dir.path().join("baseline-feeds.db");
    let baseline = run_baseline("feeds", &urls, &baseline_db, &["--etags"]);
    println!("pass 1: Bulletin {}", baseline.ratio(wall));
    let (ok_before, before) = answered();

    // Pass 2: nothing changed; the stored ETags should bring 304s only.
    let clock = Instant::now();
    let second = refresher
        .refresh_all(store.active_sources().expect("sources"), |_| {})
        .await;
    let wall2 = clock.elapsed().as_secs_f64();
    let unchanged = second
        .iter()
        .filter(|r| r.outcome == FetchOutcome::NotModified)
        .count();
    let (answered_200, answered_304) = (answered().0 - ok_before, answered().1 - before);
    println!(
        "pass 2: {} feeds in {wall2:.2} s ({:.1} feeds/s), {unchanged} not modified; \
         server answered {answered_304} x 304, {answered_200} x 200",
        second.len(),
        second.len() as f64 / wall2
    );
    let baseline = run_baseline("feeds", &urls, &baseline_db, &["--etags"]);
    println!("pass 2: Bulletin {}", baseline.ratio(wall2));

    // Pass 2 again, on a store in its steady state: 90 days of hourly fetch records for
    // every feed (as retention keeps them), one reading that found something new a week.
    let history = add_fetch_history(store.path(), HISTORY_DAYS);
    let (ok_before, before) = answered();
    let clock = Instant::now();
    let steady = refresher
        .refresh_all(store.active_sources().expect("sources"), |_| {})
        .await;
    let wall_steady = clock.elapsed().as_secs_f64();
    let steady_304 = steady
        .iter()
        .filter(|r| r.outcome == FetchOutcome::NotModified)
        .count();
    println!(
        "pass 2, steady state ({history} earlier fetch records: {HISTORY_DAYS} days hourly a feed): \
         {} feeds in {wall_steady:.2} s ({:.1} feeds/s), {steady_304} not modified; \
         server answered {} x 304, {} x 200",
        steady.len(),
        steady.len() as f64 / wall_steady,
        answered().1 - before,
        answered().0 - ok_before,
    );
    println!(
        "pass 2, steady state: Bulletin {}",
        baseline.ratio(wall_steady)
    );

    // Pass 3: nothing changed, but the server sends no validators: the same bytes whole.
    served.validators.store(false, Ordering::Relaxed);
    let generation = store.refresh_generation().unwrap_or(0);
    let clock = Instant::now();
    let third = refresher
        .refresh_all(store.active_sources().expect("sources"), |_| {})
        .await;
    let wall3 = clock.elapsed().as_secs_f64();
    let same = third
        .iter()
        .filter(|r| r.outcome == FetchOutcome::Unchanged)
        .count();
    println!(
        "pass 3 (no validators): {} feeds in {wall3:.2} s ({:.1} feeds/s), {same} unchanged; \
         store generation +{}",
        third.len(),
        third.len() as f64 / wall3,
        store.refresh_generation().unwrap_or(0) - generation
    );
    let baseline = run_baseline(
        "feeds",
        &urls,
        &dir.path().join("baseline-feeds-again.db"),
        &[],
    );
    println!(
        "pass 3: Bulletin {} (the baseline, with no validators, reads and writes every feed)",
        baseline.ratio(wall3)
    );

    println!(
        "peak memory (VmHWM): {}; database {:.1} MiB (+ {:.1} MiB WAL)",
        peak_memory_text(before_pipeline),
        mib(file_size(store.path())),
        mib(file_size(&store.path().with_extension("db-wal")))
    );

    handle.stop(true).await;
    let _ = server_task.await;
    assert!(failed.is_empty(), "pass 1 had {} failures", failed.len());
    assert_eq!(same, feeds, "pass 3 was not all unchanged");
    assert_eq!(
        steady_304, feeds,
        "pass 2 in the steady state was not all 304s"
    );
    assert!(
        unchanged == feeds && answered_304 == feeds as u64,
        "pass 2 was not all 304s: {unchanged} not-modified records, \
         {answered_304} 304 responses for {feeds} feeds"
    );
}

/// Days of hourly fetch records the steady-state pass finds stored for every feed.
const HISTORY_DAYS: i64 = 90;

/// Adds `days` of hourly fetch records before now to every source of the store at `path`
/// (a week's first hour read something new, the other hours were answered 304), written
/// straight into the database as a service's earlier passes would have left them. The
/// store's own writer is idle meanwhile. Returns how many were added.
fn add_fetch_history(path: &std::path::Path, days: i64) -> usize {
    let mut conn = rusqlite::Connection::open(path).expect("open the store");
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .expect("busy timeout");
    let tx = conn.transaction().expect("transaction");
    let sources: Vec<String> = tx
        .prepare("SELECT id FROM sources")
        .and_then(|mut s| s.query_map([], |row| row.get(0))?.collect())
        .expect("sources");
    let now = Utc::now();
    let mut added = 0;
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO fetches (source_id, url, started_at, duration_ms, parse_ms,
                    http_status, bytes, items_found, items_new, items_updated, outcome)
                 VALUES (?1, 'https://example.gc.ca/feed/', ?2, 12, ?3, ?4, ?5, 20, ?6, 0, ?7)",
            )
            .expect("insert");
        for hour in (1..=days * 24).rev() {
            let started =
                (now - Duration::hours(hour)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            let read = hour % (24 * 7) == 0;
            let (parse_ms, status, bytes, new, outcome) = if read {
                (40, 200, 60_000, 1, "ok")
            } else {
                (0, 304, 0, 0, "not_modified")
            };
            for source in &sources {
                insert
                    .execute(rusqlite::params![
                        source, started, parse_ms, status, bytes, new, outcome
                    ])
                    .expect("a fetch record");
                added += 1;
            }
        }
    }
    tx.commit().expect("commit");
    added
}

/// A WordPress-like RSS 2.0 feed; deterministic in `i` and `items`.
fn rss_feed(i: usize, items: usize) -> String {
    let site = format!("https://department-{i}.example");
    let newest =
        Utc.with_ymd_and_hms(2025, 6, 30, 14, 0, 0).unwrap() - Duration::minutes(i as i64 * 7);
    let mut xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
	<title>Department {i} &#8211; News and updates</title>
	<atom:link href="{site}/feed/" rel="self" type="application/rss+xml" />
	<link>{site}</link>
	<description>Announcements, consultations and stories from Department {i}</description>
	<lastBuildDate>{}</lastBuildDate>
	<language>en-CA</language>
	<generator>https://wordpress.org/?v=6.5.2</generator>
"#,
        newest.to_rfc2822()
    );
    for j in 0..items {
        let date = newest - Duration::hours(j as i64 * 31 + (i % 5) as i64);
        let post = 10_000 + i * 100 + j;
        let slug = format!("programme-update-{j}-for-region-{}", (i + j) % 13);
        let link = format!("{site}/{}/{slug}/", date.format("%Y/%m"));
        let uploads = format!("{site}/wp-content/uploads/{}", date.format("%Y/%m"));
        xml.push_str(&format!(
            r#"	<item>
		<title>Programme update {j} for region {region}: what changes this season</title>
		<link>{link}</link>
		<dc:creator><![CDATA[Communications Team {author}]]></dc:creator>
		<pubDate>{pub_date}</pubDate>
		<category><![CDATA[News]]></category><category><![CDATA[Region {region}]]></category>
		<guid isPermaLink="false">{site}/?p={post}</guid>
		<description><![CDATA[Department {i} announces changes to programme {j} in region {region}, including new intake dates, simplified forms and extended office hours for applicants. &#8230; <a href="{link}">Continue reading</a>]]></description>
		<content:encoded><![CDATA[<p>Department {i} today announced changes to <strong>programme {j}</strong> in region {region}. The changes follow a public consultation that gathered more than {responses} responses from residents, community organisations and businesses.</p>
<figure class="wp-block-image size-large"><img decoding="async" width="1024" height="683" src="{uploads}/photo-{post}-1024x683.jpg" alt="Staff meeting applicants at a regional office" class="wp-image-{post}" srcset="{uploads}/photo-{post}-1024x683.jpg 1024w, {uploads}/photo-{post}-300x200.jpg 300w" sizes="(max-width: 1024px) 100vw, 1024px" /><figcaption>Staff at the regional office.</figcaption></figure>
<p>Starting next month, applicants can submit a single simplified form online or in person. Offices in the region will open until 19:00 on weekdays, and a new telephone line will answer questions in both official languages.</p>
<p>&#8220;We heard clearly that the old process was too slow,&#8221; said the regional director. &#8220;These changes put people first.&#8221; Read the <a href="{site}/consultations/programme-{j}/report/">full consultation report</a> for details.</p>
<h3>Key dates</h3><ul><li>Applications open: the first Monday of the month</li><li>Information sessions: every Thursday</li><li>Decisions: within 30 business days</li></ul>
<p>For more information, contact the department&#8217;s media relations office.</p>
]]></content:encoded>
	</item>
"#,
            region = (i + j) % 13,
            author = i % 4,
            pub_date = date.to_rfc2822(),
            responses = 100 + (i * 7 + j * 13) % 900,
        ));
    }
    xml.push_str("</channel>\n</rss>\n");
    xml
}
