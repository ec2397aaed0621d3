//! Calendar ingest benchmark: the whole refresh pipeline (fetch → extract → normalise →
//! store) against N generated Outlook-style calendars of M events each (default 100 ×
//! 1,000: 100,000 occurrences), without touching the internet, beside the Python baseline
//! (`benches/baseline/ingest.py calendars`: icalendar + recurring_ical_events + SQLite)
//! run in the same command on the same served files. Asserts nothing about time; prints.
//!
//! The calendars are served by actix-web on 20 loopback addresses (calendar i on
//! 127.0.0.(i mod 20 + 1)), so the fetcher's per-host limit acts as it would across real
//! sites. Passes, on one fresh store:
//! 1. first pass: everything is new;
//! 2. unchanged, with validators: the server answers the stored ETag with 304;
//! 3. unchanged, without validators: the server sends the same bytes whole and no ETag or
//!    Last-Modified (as many calendar hosts do); the document's key says it was read
//!    already, so each source is recorded `unchanged` and nothing else is written;
//! 4. one event changed in each calendar: only those listings are written.
//!
//! Then peak resident memory and the database's size. Run it with
//! `cargo bench --bench ingest_calendars`, or `-- --calendars 20 --events 500`;
//! `BULLETIN_BENCH_KEEP=FILE` keeps a copy of the store for looking inside.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use chrono::{Duration, NaiveDate, Utc};
use std::sync::RwLock;

use bulletin::fetch::{FetchSettings, Fetcher, install_tls_provider};
use bulletin::model::{FetchOutcome, FetchRecord, Location, Source, SourceKind};
use bulletin::refresh::Refresher;
use bulletin::store::Store;
use common::{Baseline, HOSTS, file_size, mib, peak_memory_text, run_baseline};

fn main() {
    let (calendars, events) = common::two_numbers(("calendars", 100), ("events", 1000));
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    runtime.block_on(run(calendars, events));
}

/// The generated calendars and how the server answers.
struct Served {
    bodies: RwLock<Vec<Bytes>>,
    /// Whether ETags are sent and honoured.
    validators: AtomicBool,
    ok: AtomicU64,
    not_modified: AtomicU64,
}

async fn serve_calendar(
    req: HttpRequest,
    path: web::Path<usize>,
    served: web::Data<Served>,
) -> HttpResponse {
    let i = path.into_inner();
    let Some(body) = served.bodies.read().expect("bodies").get(i).cloned() else {
        return HttpResponse::NotFound().finish();
    };
    let mut response = HttpResponse::Ok();
    response.content_type("text/calendar; charset=utf-8");
    if served.validators.load(Ordering::Relaxed) {
        let tag = format!("\"{i}-{}\"", body.len());
        let matches = req
            .headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
        if matches {
            served.not_modified.fetch_add(1, Ordering::Relaxed);
            return HttpResponse::NotModified()
                .insert_header((header::ETAG, tag))
                .finish();
        }
        response.insert_header((header::ETAG, tag));
    }
    served.ok.fetch_add(1, Ordering::Relaxed);
    response.body(body)
}

async fn run(calendars: usize, events: usize) {
    let today = Utc::now().date_naive();
    let started = Instant::now();
    let bodies: Vec<Bytes> = (0..calendars)
        .map(|i| Bytes::from(calendar(i, events, today, 0)))
        .collect();
    let corpus: usize = bodies.iter().map(Bytes::len).sum();
    println!(
        "calendar ingest benchmark; {} CPUs available\ngenerated {calendars} calendars x {events} \
         events ({:.1} MiB of iCalendar) in {:.2} s; served from {HOSTS} loopback addresses \
         (calendar i on 127.0.0.(i mod {HOSTS} + 1))",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        mib(corpus as u64),
        started.elapsed().as_secs_f64()
    );

    let served = web::Data::new(Served {
        bodies: RwLock::new(bodies),
        validators: AtomicBool::new(true),
        ok: AtomicU64::new(0),
        not_modified: AtomicU64::new(0),
    });
    let app_data = served.clone();
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(app_data.clone())
            .route("/calendars/{i}.ics", web::get().to(serve_calendar))
    })
    .workers(2);
    let mut hosts = Vec::new();
    for (ip, port, listener) in common::loopback_listeners() {
        hosts.push((ip, port));
        server = server.listen(listener).expect("listen");
    }
    let server = server.disable_signals().shutdown_timeout(1).run();
    let handle = server.handle();
    let server_task = tokio::spawn(server);

    let urls: Vec<String> = (0..calendars)
        .map(|i| {
            let (ip, port) = hosts[i % HOSTS];
            format!("http://{ip}:{port}/calendars/{i}.ics")
        })
        .collect();
    let sources: Vec<Source> = urls
        .iter()
        .enumerate()
        .map(|(i, url)| Source {
            id: format!("dept-cal-{i:04}"),
            name: format!("Department {i} events"),
            department: format!("Department {}", i % 37),
            tags: vec!["events".into()],
            kind: Some(SourceKind::Ical),
            location: Location::Url(url.parse().expect("calendar URL")),
            schedule: None,
            timezone: Some(chrono_tz::America::Toronto),
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
    let fetcher = Fetcher::new(settings).expect("fetcher");
    let context = bulletin::refresh::Context {
        display_zone: chrono_tz::America::Toronto,
        events: bulletin::harvest::EventSettings::default(),
        clock: bulletin::clock::Clock::system(),
    };
    let refresher = Refresher::new(fetcher, store.clone(), context);
    let pass = |label: &'static str| {
        let refresher = &refresher;
        let store = &store;
        let served = &served;
        async move {
            let (ok0, nm0) = (
                served.ok.load(Ordering::Relaxed),
                served.not_modified.load(Ordering::Relaxed),
            );
            let generation = store.refresh_generation().unwrap_or(0);
            let clock = Instant::now();
            let records = refresher
                .refresh_all(store.active_sources().expect("sources"), |_| {})
                .await;
            let wall = clock.elapsed().as_secs_f64();
            let writes = store.refresh_generation().unwrap_or(0) - generation;
            report(label, &records, wall, writes, served, ok0, nm0);
            (records, wall)
        }
    };

    let before_pipeline = common::resident_memory();
    println!("pass 1, everything new:");
    let (first, first_wall) = pass("pass 1").await;
    let baseline = run_baseline(
        "calendars",
        &urls,
        &dir.path().join("baseline-calendars.db"),
        &[],
    );
    println!("  Bulletin: {}", baseline.ratio(first_wall));
    if let Baseline::Ran { items, .. } = baseline {
        let ours: u64 = first.iter().map(|r| u64::from(r.items_found)).sum();
        println!("  occurrences: Bulletin {ours}, baseline {items}");
    }

    println!("pass 2, unchanged, the server honours ETags:");
    let (second, _) = pass("pass 2").await;

    println!("pass 3, unchanged, the server sends no validators (the same bytes whole):");
    served.validators.store(false, Ordering::Relaxed);
    let (third, _) = pass("pass 3").await;

    println!("pass 4, one event changed in every calendar, no validators:");
    {
        let mut bodies = served.bodies.write().expect("bodies");
        for (i, body) in bodies.iter_mut().enumerate() {
            *body = Bytes::from(calendar(i, events, today, 1));
        }
    }
    let (fourth, _) = pass("pass 4").await;

    println!(
        "peak memory (VmHWM): {}; database {:.1} MiB (+ {:.1} MiB WAL)",
        peak_memory_text(before_pipeline),
        mib(file_size(store.path())),
        mib(file_size(&store.path().with_extension("db-wal")))
    );
    if let Ok(keep) = std::env::var("BULLETIN_BENCH_KEEP") {
        // For looking inside afterwards (sqlite3, dbstat): a consistent copy.
        store
            .backup_to(std::path::Path::new(&keep))
            .expect("copy the store to BULLETIN_BENCH_KEEP");
        println!("store copied to {keep}");
    }
    handle.stop(true).await;
    let _ = server_task.await;
    let count =
        |records: &[FetchRecord], outcome| records.iter().filter(|r| r.outcome == outcome).count();
    assert_eq!(
        count(&first, FetchOutcome::Ok),
        calendars,
        "pass 1 all read"
    );
    assert_eq!(count(&second, FetchOutcome::NotModified), calendars);
    assert_eq!(count(&third, FetchOutcome::Unchanged), calendars);
    let updated: u32 = fourth.iter().map(|r| r.items_updated).sum();
    assert_eq!(
        updated as usize, calendars,
        "pass 4 updates one event a calendar"
    );
}

fn report(
    label: &str,
    records: &[FetchRecord],
    wall: f64,
    writes: u64,
    served: &Served,
    ok0: u64,
    nm0: u64,
) {
    let outcome = |o| records.iter().filter(|r| r.outcome == o).count();
    let sum = |f: fn(&FetchRecord) -> u32| records.iter().map(|r| u64::from(f(r))).sum::<u64>();
    println!(
        "  {label}: {} calendars in {wall:.2} s ({:.0} occurrences/s); {} ok, {} unchanged, \
         {} not modified, {} failed; {} occurrences read, {} new, {} updated; \
         store generation +{writes}; server answered {} x 200, {} x 304",
        records.len(),
        sum(|r| r.items_found) as f64 / wall,
        outcome(FetchOutcome::Ok),
        outcome(FetchOutcome::Unchanged),
        outcome(FetchOutcome::NotModified),
        outcome(FetchOutcome::Failed),
        sum(|r| r.items_found),
        sum(|r| r.items_new),
        sum(|r| r.items_updated),
        served.ok.load(Ordering::Relaxed) - ok0,
        served.not_modified.load(Ordering::Relaxed) - nm0,
    );
    for error in records.iter().filter_map(|r| r.error.as_deref()).take(3) {
        println!("    failed: {error}");
    }
}

/// An Outlook-style export: a VTIMEZONE for Eastern time and `events` one-off meetings
/// over the coming year (weekdays, 09:00–16:00 local), with descriptions, places and
/// Teams links; deterministic in `i`, `events`, `today` and `version` (version 1 renames
/// the calendar's first event).
fn calendar(i: usize, events: usize, today: NaiveDate, version: u32) -> String {
    let mut ics = String::with_capacity(events * 900);
    ics.push_str(
        "BEGIN:VCALENDAR\r\nPRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\n\
         VERSION:2.0\r\nMETHOD:PUBLISH\r\nX-MS-OLK-FORCEINSPECTOROPEN:TRUE\r\n\
         BEGIN:VTIMEZONE\r\nTZID:Eastern Standard Time\r\nBEGIN:STANDARD\r\n\
         DTSTART:16011104T020000\r\nRRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11\r\n\
         TZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\n\
         DTSTART:16010311T020000\r\nRRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3\r\n\
         TZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n",
    );
    for j in 0..events {
        let day = today + Duration::days(1 + (j * 7 + i) as i64 % 360);
        let hour = 9 + (j + i) % 8;
        let minutes = [0, 15, 30, 45][j % 4];
        let start = day.format("%Y%m%d").to_string();
        let title = if version == 1 && j == 0 {
            format!("Rescheduled: lunch and learn {j} of department {i}")
        } else {
            format!(
                "Lunch and learn {j}: programme update for region {}",
                (i + j) % 13
            )
        };
        ics.push_str(&format!(
            "BEGIN:VEVENT\r\nCLASS:PUBLIC\r\nCREATED:20260105T140000Z\r\n\
             DESCRIPTION:Join department {i} for session {j}. We will present the programme\r\n \
             changes for region {region}\\, answer questions and share the slides afterwards.\\n\\n\r\n \
             Microsoft Teams meeting: https://teams.microsoft.com/l/meetup-join/19%3ameeting_{i}_{j}\r\n\
             DTEND;TZID=Eastern Standard Time:{start}T{end_hour:02}{minutes:02}00\r\n\
             DTSTAMP:20260105T140000Z\r\n\
             DTSTART;TZID=Eastern Standard Time:{start}T{hour:02}{minutes:02}00\r\n\
             LAST-MODIFIED:20260105T140000Z\r\n\
             LOCATION:Room {room}\\, 90 Elgin Street\\, Ottawa\r\nPRIORITY:5\r\nSEQUENCE:0\r\n\
             SUMMARY;LANGUAGE=en-ca:{title}\r\nTRANSP:OPAQUE\r\n\
             UID:040000008200E00074C5B7101A82E00800000000{i:08x}{j:08x}\r\n\
             X-MICROSOFT-CDO-BUSYSTATUS:BUSY\r\nEND:VEVENT\r\n",
            region = (i + j) % 13,
            end_hour = hour + 1,
            room = 100 + j % 50,
        ));
    }
    ics.push_str("END:VCALENDAR\r\n");
    ics
}
