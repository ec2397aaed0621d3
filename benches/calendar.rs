//! Calendar benchmark, for the calendar feed service; it never leaves the loopback
//! interface and asserts nothing about timing, it prints figures.
//!
//! 1. Render time of `bulletin::render::ics::render` for 1,000, 10,000 and 100,000
//!    generated events (timed events in America/Toronto, America/Vancouver and
//!    Europe/London over a year, so across DST changes; about 10% all-day, 5% cancelled;
//!    English and French text, places, links, one or two listing sources, two tags):
//!    median and minimum of several renders, output size and bytes per event.
//! 2. Requests per second for the cached `/events.ics`: 10,000 events stored for one
//!    source in a fresh SQLite store, the real server (`bulletin::web::server`, 2 workers)
//!    on a loopback port, one warm-up GET (the first, uncached render), then concurrent
//!    GETs of the cached body, then concurrent conditional GETs answered with 304.
//! 3. Peak resident memory (`VmHWM`).
//!
//! Run it with `cargo bench --bench calendar`, or `cargo bench --bench calendar -- --quick`
//! (1,000 and 10,000 events only, 500 requests per load).

use std::hint::black_box;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_NONE_MATCH};

use bulletin::model::{
    Event, EventStatus, EventTime, FetchOutcome, FetchRecord, Location, Source, SourceKind,
};
use bulletin::render::ics::{CalendarMeta, render};
use bulletin::store::{EventFilter, FetchWrite, ListedBy, Store, StoredEvent};
use bulletin::web::{AppState, server};

/// Concurrent client tasks in the request loads.
const TASKS: usize = 8;
/// Events stored for the served calendar.
const SERVED_EVENTS: usize = 10_000;
/// A load stops here even when it has not made all its requests.
const LOAD_TIME_LIMIT: StdDuration = StdDuration::from_secs(20);

fn main() {
    let quick = std::env::args().skip(1).any(|a| a == "--quick");
    let sizes: &[(usize, usize)] = if quick {
        &[(1_000, 5), (10_000, 5)]
    } else {
        &[(1_000, 5), (10_000, 5), (100_000, 3)]
    };
    let requests = if quick { 500 } else { 2_000 };
    println!(
        "calendar benchmark{}; {} CPUs available",
        if quick { " (quick)" } else { "" },
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    render_times(sizes);
    report_memory("after rendering");
    serve(requests);
    report_memory("at the end");
}

/// Part 1: `render` on generated events.
fn render_times(sizes: &[(usize, usize)]) {
    let meta = CalendarMeta {
        name: "Bulletin — tous les événements / all events".into(),
        description: "Events from across government".into(),
        timezone: chrono_tz::America::Toronto,
        refresh: Duration::hours(1),
        uid_domain: "bulletin".into(),
    };
    let first_day = NaiveDate::from_ymd_opt(2026, 1, 5).expect("valid date");
    for &(n, runs) in sizes {
        let clock = Instant::now();
        let mut rng = Rng(n as u64);
        let events: Vec<StoredEvent> = (0..n)
            .map(|i| stored_event(i, &mut rng, first_day))
            .collect();
        let built = clock.elapsed();
        let mut times = Vec::with_capacity(runs);
        let mut size = 0;
        for run in 0..runs {
            let clock = Instant::now();
            let body = render(black_box(&meta), black_box(&events));
            times.push(clock.elapsed());
            size = body.len();
            if run == 0 {
                let vevents = count(&body, b"BEGIN:VEVENT\r\n");
                assert_eq!(vevents, n, "one VEVENT per event");
            }
            drop(black_box(body));
        }
        times.sort_unstable();
        println!(
            "render {n:>7} events: median {:>8.1} ms, min {:>8.1} ms over {runs} runs; \
             {size} bytes ({:.1} MiB), {:.0} bytes/event; {:.0} events/s (events built in {:.0} ms)",
            ms(times[times.len() / 2]),
            ms(times[0]),
            mib(size as u64),
            size as f64 / n as f64,
            n as f64 / times[times.len() / 2].as_secs_f64(),
            ms(built)
        );
    }
}

/// Part 2: the real server answering `/events.ics` from its render cache.
fn serve(requests: usize) {
    let now = Utc::now();
    let dir = tempfile::tempdir().expect("temporary folder");
    let store = Store::open(&dir.path().join("bench.db")).expect("open the store");
    let source = Source {
        id: "bench-ical".into(),
        name: "Calendrier des événements / Events calendar".into(),
        department: "Emploi et Développement social Canada".into(),
        tags: vec!["gouvernement".into()],
        kind: Some(SourceKind::Ical),
        location: Location::File(dir.path().join("events.ics")),
        schedule: None,
        timezone: Some(chrono_tz::America::Toronto),
        selectors: None,
        events_from_links: false,
    };
    store
        .sync_config_sources(std::slice::from_ref(&source), now)
        .expect("sync the source");

    // Events from tomorrow on, so the default window (30 days back, all upcoming) has them.
    let tomorrow = now.with_timezone(&chrono_tz::America::Toronto).date_naive() + Duration::days(1);
    let mut rng = Rng(42);
    let events: Vec<Event> = (0..SERVED_EVENTS)
        .map(|i| event(i, &mut rng, tomorrow, &source.id))
        .collect();
    let record = FetchRecord {
        source_id: source.id.clone(),
        url: source.location.to_string(),
        started: now,
        duration_ms: 0,
        parse_ms: 0,
        http_status: Some(200),
        bytes: 0,
        items_found: SERVED_EVENTS as u32,
        items_new: 0,
        items_updated: 0,
        outcome: FetchOutcome::Ok,
        error: None,
        warnings: None,
    };
    let clock = Instant::now();
    let saved = store
        .save_fetch(
            FetchWrite {
                record,
                posts: &[],
                events: &events,
                events_complete: true,
                zone: chrono_tz::America::Toronto,
                validators: None,
                moved_to: None,
                next_attempt_after: None,
                detected_kind: Some(bulletin::model::SourceKind::Ical),
                home_link: None,
                content_key: None,
                lease_holder: None,
            },
            now,
        )
        .expect("store the events");
    println!(
        "stored {SERVED_EVENTS} events in one fetch in {:.2} s: {} new, {} updated",
        clock.elapsed().as_secs_f64(),
        saved.items_new,
        saved.items_updated
    );
    drop(events);
    let clock = Instant::now();
    let window = store
        .events(&EventFilter {
            from: Some(now - Duration::days(30)),
            limit: 20_000,
            ..EventFilter::default()
        })
        .expect("read the events back");
    println!(
        "store query of the feed's window (what the first GET asks): {} events in {:.1} ms",
        window.len(),
        ms(clock.elapsed())
    );
    drop(window);

    // The server runs in its own thread, under its own actix System.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let url = format!(
        "http://{}/events.ics",
        listener.local_addr().expect("local address")
    );
    let state = AppState::new(store.clone(), None, chrono_tz::America::Toronto);
    let (handle_tx, handle_rx) = std::sync::mpsc::channel();
    let server_thread = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = server(listener, state, 2).expect("start the server");
            handle_tx
                .send(server.handle())
                .expect("hand over the handle");
            server.await
        })
    });
    let handle = handle_rx.recv().expect("the server's handle");

    bulletin::fetch::install_tls_provider();
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let failures = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .no_gzip()
            .no_brotli()
            .build()
            .expect("HTTP client");

        let clock = Instant::now();
        let first = client.get(&url).send().await.expect("first GET");
        let status = first.status();
        let etag = first
            .headers()
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .expect("an ETag on /events.ics");
        let body = first.bytes().await.expect("first body");
        let first_latency = clock.elapsed();
        assert_eq!(status, StatusCode::OK, "first GET of /events.ics");
        let served = count(&body, b"BEGIN:VEVENT\r\n");
        println!(
            "first GET /events.ics (query, render, transfer): {:.1} ms, {} bytes ({:.1} MiB), \
             {served} events",
            ms(first_latency),
            body.len(),
            mib(body.len() as u64)
        );
        drop(body);
        report_memory("after the first GET");

        let full = load(&client, &url, requests, None, StatusCode::OK).await;
        full.print("cached GET /events.ics (200)");
        report_memory("after the cached GETs");
        let conditional = load(
            &client,
            &url,
            requests,
            Some(&etag),
            StatusCode::NOT_MODIFIED,
        )
        .await;
        conditional.print("conditional GET /events.ics (304)");

        // Idle keep-alive connections would hold up the graceful stop.
        drop(client);
        handle.stop(true).await;
        full.unexpected + conditional.unexpected
    });
    server_thread
        .join()
        .expect("server thread")
        .expect("server ran");
    assert_eq!(failures, 0, "some requests failed or got the wrong status");
}

/// What one request load measured.
struct Load {
    done: usize,
    wall: StdDuration,
    latencies: Vec<StdDuration>,
    bytes: u64,
    unexpected: usize,
}

impl Load {
    fn print(&self, what: &str) {
        let mut latencies = self.latencies.clone();
        latencies.sort_unstable();
        let at = |q: f64| {
            latencies
                .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
                .map_or(0.0, |d| ms(*d))
        };
        let seconds = self.wall.as_secs_f64();
        println!(
            "{what}: {} requests by {TASKS} tasks in {seconds:.2} s: {:.0} req/s, \
             median {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, {:.0} MiB/s of body, {} unexpected",
            self.done,
            self.done as f64 / seconds,
            at(0.5),
            at(0.9),
            at(0.99),
            mib(self.bytes) / seconds,
            self.unexpected
        );
    }
}

/// `total` GETs of `url` by [`TASKS`] concurrent tasks, conditional when `etag` is given;
/// a response with another status than `expect`, or an error, counts as unexpected.
async fn load(
    client: &reqwest::Client,
    url: &str,
    total: usize,
    etag: Option<&str>,
    expect: StatusCode,
) -> Load {
    let issued = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (client, url, issued) = (client.clone(), url.to_string(), issued.clone());
            let etag = etag.map(str::to_string);
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let (mut bytes, mut unexpected) = (0u64, 0usize);
                while issued.fetch_add(1, Ordering::Relaxed) < total
                    && started.elapsed() < LOAD_TIME_LIMIT
                {
                    let clock = Instant::now();
                    let mut request = client.get(&url);
                    if let Some(etag) = &etag {
                        request = request.header(IF_NONE_MATCH, etag);
                    }
                    let ok = match request.send().await {
                        Ok(mut response) => {
                            let status = response.status();
                            let mut complete = true;
                            loop {
                                match response.chunk().await {
                                    Ok(Some(chunk)) => bytes += chunk.len() as u64,
                                    Ok(None) => break,
                                    Err(_) => {
                                        complete = false;
                                        break;
                                    }
                                }
                            }
                            complete && status == expect
                        }
                        Err(_) => false,
                    };
                    latencies.push(clock.elapsed());
                    unexpected += usize::from(!ok);
                }
                (latencies, bytes, unexpected)
            })
        })
        .collect();
    let mut result = Load {
        done: 0,
        wall: StdDuration::ZERO,
        latencies: Vec::with_capacity(total),
        bytes: 0,
        unexpected: 0,
    };
    for task in tasks {
        let (latencies, bytes, unexpected) = task.await.expect("load task");
        result.latencies.extend(latencies);
        result.bytes += bytes;
        result.unexpected += unexpected;
    }
    result.wall = started.elapsed();
    result.done = result.latencies.len();
    result
}

/// A small deterministic generator (SplitMix64), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len())]
    }

    /// True `percent` times in a hundred.
    fn percent(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const TITLES: &[&str] = &[
    "Information session: Canada Summer Jobs funding",
    "Séance d'information : Emplois d'été Canada",
    "Webinar — Accessible procurement for small businesses",
    "Consultation publique sur la stratégie nationale de l'eau douce",
    "Town hall with the Deputy Minister",
    "Atelier : préparer sa déclaration de revenus (aînés)",
    "Open house at the Central Experimental Farm",
    "Café-rencontre sur la santé mentale au travail",
    "Regional roundtable on housing supply",
    "Journée portes ouvertes — Parc national de la Mauricie",
    "Labour market outlook briefing",
    "Forum jeunesse sur l'action climatique",
];

const SENTENCES: &[&str] = &[
    "Join officials for an overview of the programme, who can apply and how funding decisions are made.",
    "Les participantes et participants pourront poser leurs questions en français ou en anglais.",
    "Registration is free but required; places are limited and confirmed by email a week before the event.",
    "La séance sera enregistrée et la vidéo publiée sur notre chaîne dans les deux langues officielles.",
    "Simultaneous interpretation, closed captioning and ASL/LSQ interpretation will be provided.",
    "Bring a piece of photo identification to enter the building; security screening takes about ten minutes.",
    "Nous présenterons les résultats préliminaires de la consultation et les prochaines étapes prévues.",
    "The presentation will be followed by a question period; questions may also be submitted in advance.",
    "Les organismes communautaires, les municipalités et les entreprises sont invités à participer.",
    "Light refreshments will be served. Please let us know about any accessibility needs when you register.",
];

const PLACES: &[(&str, &str, &str)] = &[
    (
        "America/Toronto",
        "Salle Jean-Talon, 2e étage",
        "90 Elgin St, Ottawa ON K1A 0A4",
    ),
    (
        "America/Toronto",
        "Metro Toronto Convention Centre, Room 701",
        "255 Front St W, Toronto ON M5V 2W6",
    ),
    (
        "America/Toronto",
        "Complexe Guy-Favreau, salle Champlain",
        "200, boul. René-Lévesque O., Montréal QC H2Z 1X4",
    ),
    (
        "America/Vancouver",
        "Harbour Centre, Room 1420",
        "555 W Hastings St, Vancouver BC V6B 4N6",
    ),
    (
        "America/Vancouver",
        "Victoria Conference Centre, Carson Hall",
        "720 Douglas St, Victoria BC V8W 3M7",
    ),
    (
        "Europe/London",
        "Canada House, Trafalgar Square",
        "Trafalgar Square, London SW1Y 5BJ",
    ),
];

const DEPARTMENTS: &[(&str, &str)] = &[
    ("hc-events", "Health Canada"),
    ("esdc-events", "Emploi et Développement social Canada"),
    ("statcan-events", "Statistics Canada"),
    ("pc-events", "Parcs Canada"),
    ("gac-events", "Global Affairs Canada"),
    (
        "eccc-events",
        "Environnement et Changement climatique Canada",
    ),
];

const TAGS: &[&str] = &[
    "consultation",
    "webinar",
    "atelier",
    "town-hall",
    "open-house",
    "jeunesse",
    "santé",
    "housing",
];

/// A realistic event, deterministic in `i` and the generator, in the year from
/// `first_day`, with a distinct uid and title.
fn event(i: usize, rng: &mut Rng, first_day: NaiveDate, source_id: &str) -> Event {
    let day = first_day + Duration::days(rng.below(365) as i64);
    let (zone, place, address) = PLACES[rng.below(PLACES.len())];
    let topic = rng.pick(TITLES);
    let all_day = rng.percent(10);
    let (start, end, timezone) = if all_day {
        let days = 1 + rng.below(2) as i64;
        (
            EventTime::Date(day),
            Some(EventTime::Date(day + Duration::days(days))),
            None,
        )
    } else {
        let tz: Tz = zone.parse().expect("known zone");
        let local = day
            .and_hms_opt(8 + rng.below(10) as u32, 15 * rng.below(4) as u32, 0)
            .expect("valid time");
        let start = tz
            .from_local_datetime(&local)
            .earliest()
            .expect("daytime exists")
            .with_timezone(&Utc);
        let minutes = 30 * (1 + rng.below(6) as i64);
        (
            EventTime::At(start),
            Some(EventTime::At(start + Duration::minutes(minutes))),
            Some(zone.to_string()),
        )
    };
    let sentences = 2 + rng.below(3);
    let description: Vec<&str> = (0..sentences).map(|_| rng.pick(SENTENCES)).collect();
    let online = rng.percent(20);
    let slug: String = topic
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == ' ')
        .collect::<String>()
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("-");
    Event {
        source_id: source_id.to_string(),
        uid: format!("{i:06}-{:016x}@calendar.example.gc.ca", rng.next()),
        series_uid: None,
        title: format!("{topic} (n° {})", i + 1),
        description_text: Some(description.join(if rng.percent(50) { " " } else { "\n" })),
        description_html: None,
        start,
        end,
        timezone,
        location_name: Some(place.to_string()),
        location_address: Some(address.to_string()),
        online_url: online.then(|| {
            format!(
                "https://teams.microsoft.com/l/meetup-join/19%3ameeting_{:x}%40thread.v2/0",
                rng.next()
            )
        }),
        url: Some(format!(
            "https://www.canada.ca/en/services/events/{slug}-{}.html",
            i + 1
        )),
        organiser: None,
        language: None,
        status: if rng.percent(5) {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        },
        categories: vec![
            rng.pick(&TAGS[..4]).to_string(),
            rng.pick(&TAGS[4..]).to_string(),
        ],
    }
}

/// An event as the store would hand it to the renderer: listed by one or two sources.
fn stored_event(i: usize, rng: &mut Rng, first_day: NaiveDate) -> StoredEvent {
    let (first_id, _) = DEPARTMENTS[rng.below(DEPARTMENTS.len())];
    let event = event(i, rng, first_day, first_id);
    let listers = 1 + usize::from(rng.percent(30));
    let sources: Vec<ListedBy> = (0..listers)
        .map(|k| {
            let (id, department) =
                DEPARTMENTS[(rng.below(DEPARTMENTS.len()) + k) % DEPARTMENTS.len()];
            ListedBy {
                source_id: id.to_string(),
                source_name: format!("{department} — events"),
                department: department.to_string(),
                source_uid: event.uid.clone(),
                listed: true,
            }
        })
        .collect();
    let tags = event.categories.clone();
    let first_seen: DateTime<Utc> = Utc
        .with_ymd_and_hms(2025, 12, 1, 14, 0, 0)
        .single()
        .expect("valid instant")
        + Duration::minutes(rng.below(40 * 24 * 60) as i64);
    let revision = rng.below(4) as u32;
    let changed = first_seen + Duration::hours(revision as i64 * 30);
    StoredEvent {
        uid: format!("{:016x}{:016x}", rng.next(), rng.next()),
        event,
        listed: true,
        revision,
        sources,
        tags,
        provenance: Default::default(),
        first_seen,
        last_seen: changed,
        changed,
    }
}

/// Occurrences of `needle` in `haystack`.
fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

fn ms(duration: StdDuration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

fn report_memory(when: &str) {
    println!(
        "peak memory (VmHWM) {when}: {}",
        peak_memory().map_or("unknown".into(), |bytes| format!("{:.1} MiB", mib(bytes)))
    );
}

/// The process's peak resident set in bytes, from `/proc/self/status` (Linux only).
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
