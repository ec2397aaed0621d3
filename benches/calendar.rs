//! Calendar benchmark, for the calendar feed service; it never leaves the loopback
//! interface and asserts nothing about timing, it prints figures.
//!
//! 1. Render time of `bulletin::render::ics::render` for 1,000, 10,000 and 100,000
//!    generated events (timed events in America/Toronto, America/Vancouver and
//!    Europe/London over a year, so across DST changes; about 10% all-day, 5% cancelled;
//!    English and French text, places, links, one or two listing sources, two tags):
//!    median and minimum of several renders, output size and bytes per event.
//! 2. The real server over a store of 100,000 events (10 departments of 10,000), run as a
//!    child process (this binary with `--serve-child`, 2 workers) so its memory is its
//!    own: the cold render of the whole calendar (the first GET), then 64 clients at once
//!    each downloading the whole calendar and a department's, with the server's peak
//!    resident memory (`VmHWM` of the child), then the rate of cached department
//!    calendars and of 304s. Each load's 8 tasks open a keep-alive connection each for
//!    it; beside each rate, the processors the server and the load generator kept busy.
//! 3. When `nginx` is installed: nginx (2 workers, a generated configuration in a
//!    temporary folder) serving the same department calendar bytes from disk and
//!    answering conditional GETs with its own ETag, measured by the same load loop, and
//!    the ratios of the rates.
//!
//! Run it with `cargo bench --bench calendar`, or `cargo bench --bench calendar -- --quick`
//! (1,000 and 10,000 events only, a 10,000-event store, 500 requests per load),
//! `-- --render-only` (part 1 alone, with 100,000 events), or `-- --read-store FILE` to
//! time only the store's reads of every event, three times, over an existing database
//! (to profile them). `-- --make-store FILE` writes the served store of part 2 (100,000
//! events) to FILE and stops; `-- --cold FILE` starts the server child over that store,
//! makes the cold first GETs of the whole calendar and of a department's, prints their
//! times and the server's peak memory, and stops (to time or profile the cold render alone).

use std::hint::black_box;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
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

/// Concurrent client tasks in the request-rate loads.
const TASKS: usize = 8;
/// Concurrent clients downloading whole calendars while the server's memory is watched.
const DOWNLOADERS: usize = 64;
/// Departments (one source each) of the served store.
const SERVED_DEPARTMENTS: usize = 10;
/// Conditional GETs (304s) made in a load for each GET of a whole body: a 304 costs so
/// little that fewer would be over in a few tenths of a second.
const CONDITIONAL_PER_GET: usize = 25;
/// A load stops here even when it has not made all its requests.
const LOAD_TIME_LIMIT: StdDuration = StdDuration::from_secs(30);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--serve-child") {
        serve_child(Path::new(&args[at + 1]));
        return;
    }
    if let Some(at) = args.iter().position(|a| a == "--read-store") {
        // Only the store reads, over an existing database (for profiling them).
        let store = Store::open(Path::new(&args[at + 1])).expect("open the store");
        for _ in 0..3 {
            read_store(&store);
        }
        return;
    }
    if let Some(at) = args.iter().position(|a| a == "--make-store") {
        let db = Path::new(&args[at + 1]);
        let store = Store::open(db).expect("open the store");
        let dir = db.parent().unwrap_or(Path::new("."));
        fill_store(&store, dir, 100_000);
        return;
    }
    if let Some(at) = args.iter().position(|a| a == "--cold") {
        cold(Path::new(&args[at + 1]));
        return;
    }
    let quick = args.iter().skip(1).any(|a| a == "--quick");
    let render_only = args.iter().skip(1).any(|a| a == "--render-only");
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
    if render_only {
        return;
    }
    serve(if quick { 10_000 } else { 100_000 }, requests);
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
        language: bulletin::i18n::Lang::En,
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

/// The child process: the real server on a loopback port over the store at `db`, its
/// port written on standard output; it runs until killed.
fn serve_child(db: &Path) {
    let store = Store::open(db).expect("open the store");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    println!("{}", listener.local_addr().expect("local address").port());
    let state = AppState::new(store, None, chrono_tz::America::Toronto);
    actix_web::rt::System::new()
        .block_on(async move { server(listener, state, 2).expect("start the server").await })
        .expect("the server ran");
}

/// A store of `total` upcoming events from [`SERVED_DEPARTMENTS`] sources, one a
/// department; returns the first department's name.
fn fill_store(store: &Store, dir: &Path, total: usize) -> String {
    let now = Utc::now();
    let tomorrow = now.with_timezone(&chrono_tz::America::Toronto).date_naive() + Duration::days(1);
    let mut rng = Rng(42);
    let per_source = total / SERVED_DEPARTMENTS;
    let sources: Vec<Source> = (0..SERVED_DEPARTMENTS)
        .map(|d| Source {
            id: format!("dept-{d}"),
            name: format!("Calendrier des événements / Events calendar {d}"),
            department: format!("Ministère {d} / Department {d}"),
            tags: vec!["gouvernement".into()],
            kind: Some(SourceKind::Ical),
            location: Location::File(dir.join(format!("events-{d}.ics"))),
            schedule: None,
            timezone: Some(chrono_tz::America::Toronto),
            selectors: None,
            post_selectors: None,
            events_from_links: false,
            language: None,
            translation_of: None,
        })
        .collect();
    store
        .sync_config_sources(&sources, now)
        .expect("sync the sources");
    let clock = Instant::now();
    for (d, source) in sources.iter().enumerate() {
        let events: Vec<Event> = (0..per_source)
            .map(|i| event(d * per_source + i, &mut rng, tomorrow, &source.id))
            .collect();
        let record = FetchRecord {
            source_id: source.id.clone(),
            url: source.location.to_string(),
            started: now,
            duration_ms: 0,
            parse_ms: 0,
            http_status: Some(200),
            bytes: 0,
            items_found: per_source as u32,
            items_new: 0,
            items_updated: 0,
            outcome: FetchOutcome::Ok,
            error: None,
            warnings: None,
        };
        store
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
                    detected_kind: Some(SourceKind::Ical),
                    home_link: None,
                    alternates: &[],
                    content_key: None,
                    lease_holder: None,
                },
                now,
            )
            .expect("store the events");
    }
    println!(
        "stored {total} events from {SERVED_DEPARTMENTS} sources in {:.1} s",
        clock.elapsed().as_secs_f64()
    );
    sources[0].department.clone()
}

/// Reading every event of `store`: at once (what one render would hold if it read every
/// event at once, why the server reads pages), then page by page as the server's
/// calendar does (pages of 1,000 from one snapshot, in its window: the last 30 days on).
fn read_store(store: &Store) {
    let before = memory("VmRSS", "self").unwrap_or(0);
    let clock = Instant::now();
    let all = store
        .events(&EventFilter {
            limit: u32::MAX,
            ..EventFilter::default()
        })
        .expect("read the events back");
    println!(
        "reading all {} events at once (as the server did before pages): {:.0} ms, +{:.0} MiB resident",
        all.len(),
        ms(clock.elapsed()),
        mib(memory("VmRSS", "self").unwrap_or(0).saturating_sub(before))
    );
    drop(all);
    let clock = Instant::now();
    let (mut read, mut pages) = (0usize, 0usize);
    let total = store
        .event_pages(
            &EventFilter {
                from: Some(Utc::now() - Duration::days(30)),
                limit: u32::MAX,
                retired: true,
                ..EventFilter::default()
            },
            1_000,
            |page| {
                read += page.len();
                pages += 1;
                black_box(page);
                true
            },
        )
        .expect("read the events page by page");
    println!(
        "reading all {read} of {total} events page by page (as the server's calendar does, \
         {pages} pages of 1,000): {:.0} ms",
        ms(clock.elapsed())
    );
}

/// The cold first GET of the whole calendar alone, through a server child over `db`.
fn cold(db: &Path) {
    // A department's calendar too: the first the store lists.
    let department = Store::open(db)
        .expect("open the store")
        .event_departments()
        .expect("its departments")
        .into_iter()
        .next()
        .expect("a department");
    let child = ServerChild::spawn(db);
    let url = format!("http://127.0.0.1:{}/events.ics", child.port);
    let department_url = format!(
        "{url}?department={}",
        url::form_urlencoded::byte_serialize(department.as_bytes()).collect::<String>()
    );
    bulletin::fetch::install_tls_provider();
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .no_gzip()
            .no_brotli()
            .build()
            .expect("HTTP client");
        first_get(&client, &url, "whole calendar").await;
        first_get(&client, &department_url, "department calendar").await;
    });
    println!(
        "server peak memory after the cold render: {}",
        child
            .peak()
            .map_or("unknown".into(), |b| format!("{:.1} MiB", mib(b)))
    );
    child.stop();
}

/// Part 2: the real server, in a child process, over a store of `total` events.
fn serve(total: usize, requests: usize) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let db = dir.path().join("bench.db");
    let store = Store::open(&db).expect("open the store");
    let department = fill_store(&store, dir.path(), total);

    read_store(&store);
    drop(store);

    let child = ServerChild::spawn(&db);
    let base = format!("http://127.0.0.1:{}", child.port);
    let full_url = format!("{base}/events.ics");
    let department_url = format!(
        "{base}/events.ics?department={}",
        url::form_urlencoded::byte_serialize(department.as_bytes()).collect::<String>()
    );

    bulletin::fetch::install_tls_provider();
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let failures = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .no_gzip()
            .no_brotli()
            .build()
            .expect("HTTP client");

        let (full_etag, full_len) = first_get(&client, &full_url, "whole calendar").await;
        let (etag, department_len) =
            first_get(&client, &department_url, "department calendar").await;
        println!(
            "server peak memory after the first renders: {}",
            child.peak().map_or("unknown".into(), |b| format!("{:.1} MiB", mib(b)))
        );

        let downloads = downloads(&client, &full_url, &department_url).await;
        println!(
            "{DOWNLOADERS} clients at once, each downloading the whole calendar and a \
             department's: {:.1} s, {:.0} MiB received, {} unexpected; server peak memory \
             (VmHWM) {}",
            downloads.wall.as_secs_f64(),
            mib(downloads.bytes),
            downloads.unexpected,
            child.peak().map_or("unknown".into(), |b| format!("{:.1} MiB", mib(b)))
        );
        assert_eq!(
            downloads.bytes,
            DOWNLOADERS as u64 * (full_len + department_len),
            "every client got both calendars whole"
        );
        drop(full_etag);

        let server = Some(child.child.id());
        let cached = load(&department_url, server, requests, None, StatusCode::OK).await;
        cached.print("cached GET of the department calendar (200)");
        let conditional = load(
            &department_url,
            server,
            requests * CONDITIONAL_PER_GET,
            Some(&etag),
            StatusCode::NOT_MODIFIED,
        )
        .await;
        conditional.print("conditional GET of the department calendar (304)");

        // The same bytes from nginx, fetched by the same loop.
        let body = client
            .get(&department_url)
            .send()
            .await
            .expect("department calendar")
            .bytes()
            .await
            .expect("its body");
        let mut unexpected = downloads.unexpected + cached.unexpected + conditional.unexpected;
        match Nginx::start(&body) {
            Err(why) => println!("nginx comparison skipped: {why}"),
            Ok(nginx) => {
                let url = format!("http://127.0.0.1:{}/department.ics", nginx.port);
                let server = Some(nginx.child.id());
                let theirs = load(&url, server, requests, None, StatusCode::OK).await;
                theirs.print("nginx serving the same department calendar from disk (200)");
                println!(
                    "cached department calendar: Bulletin {:.0} req/s, nginx {:.0} req/s: {:.2}x nginx's rate",
                    cached.rate(),
                    theirs.rate(),
                    cached.rate() / theirs.rate()
                );
                let their_etag = client
                    .head(&url)
                    .send()
                    .await
                    .ok()
                    .and_then(|r| r.headers().get(ETAG)?.to_str().ok().map(str::to_string))
                    .expect("nginx's ETag");
                let their_304s = load(
                    &url,
                    server,
                    requests * CONDITIONAL_PER_GET,
                    Some(&their_etag),
                    StatusCode::NOT_MODIFIED,
                )
                .await;
                their_304s.print("nginx answering conditional GETs of it (304)");
                println!(
                    "304s: Bulletin {:.0}/s, nginx {:.0}/s: {:.2}x nginx's rate",
                    conditional.rate(),
                    their_304s.rate(),
                    conditional.rate() / their_304s.rate()
                );
                unexpected += theirs.unexpected + their_304s.unexpected;
            }
        }
        unexpected
    });
    child.stop();
    assert_eq!(failures, 0, "some requests failed or got the wrong status");
}

/// The first GET of `url`: its time (the cold render), size, ETag.
async fn first_get(client: &reqwest::Client, url: &str, what: &str) -> (String, u64) {
    let clock = Instant::now();
    let first = client.get(url).send().await.expect("first GET");
    assert_eq!(first.status(), StatusCode::OK, "first GET of {url}");
    let etag = first
        .headers()
        .get(ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .expect("an ETag");
    let body = first.bytes().await.expect("first body");
    let latency = clock.elapsed();
    println!(
        "first GET of the {what} (cold: query, render, transfer): {:.0} ms, {} events, {:.1} MiB",
        ms(latency),
        count(&body, b"BEGIN:VEVENT\r\n"),
        mib(body.len() as u64)
    );
    (etag, body.len() as u64)
}

/// [`DOWNLOADERS`] clients at once, each downloading `full` and then `department`.
async fn downloads(client: &reqwest::Client, full: &str, department: &str) -> Load {
    let started = Instant::now();
    let tasks: Vec<_> = (0..DOWNLOADERS)
        .map(|_| {
            let (client, full, department) =
                (client.clone(), full.to_string(), department.to_string());
            tokio::spawn(async move {
                let (mut bytes, mut unexpected) = (0u64, 0usize);
                for url in [full, department] {
                    let (got, ok) = download(&client, &url, None, StatusCode::OK).await;
                    bytes += got;
                    unexpected += usize::from(!ok);
                }
                (bytes, unexpected)
            })
        })
        .collect();
    let mut result = Load {
        done: DOWNLOADERS * 2,
        wall: StdDuration::ZERO,
        latencies: Vec::new(),
        bytes: 0,
        unexpected: 0,
        cpu: Cpu::default(),
    };
    for task in tasks {
        let (bytes, unexpected) = task.await.expect("download task");
        result.bytes += bytes;
        result.unexpected += unexpected;
    }
    result.wall = started.elapsed();
    result
}

/// One GET read to its end: the body bytes, and whether it came whole with `expect`.
async fn download(
    client: &reqwest::Client,
    url: &str,
    etag: Option<&str>,
    expect: StatusCode,
) -> (u64, bool) {
    let mut request = client.get(url);
    if let Some(etag) = etag {
        request = request.header(IF_NONE_MATCH, etag);
    }
    let mut bytes = 0;
    match request.send().await {
        Ok(mut response) => {
            let status = response.status();
            loop {
                match response.chunk().await {
                    Ok(Some(chunk)) => bytes += chunk.len() as u64,
                    Ok(None) => return (bytes, status == expect),
                    Err(_) => return (bytes, false),
                }
            }
        }
        Err(_) => (bytes, false),
    }
}

/// The server child process.
struct ServerChild {
    child: Child,
    port: u16,
}

impl ServerChild {
    fn spawn(db: &Path) -> ServerChild {
        let mut child = Command::new(std::env::current_exe().expect("this benchmark's path"))
            .arg("--serve-child")
            .arg(db)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the server process");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("its output"))
            .read_line(&mut line)
            .expect("its port");
        let port = line.trim().parse().expect("a port number");
        ServerChild { child, port }
    }

    /// Its peak resident memory so far.
    fn peak(&self) -> Option<u64> {
        memory("VmHWM", &self.child.id().to_string())
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// nginx serving one file on a loopback port, from a configuration of our own in a
/// temporary folder; stopped when dropped.
struct Nginx {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Nginx {
    fn start(body: &[u8]) -> Result<Nginx, String> {
        let binary = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .ok_or("nginx is not installed (apt-get install nginx)")?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let root = dir.path().join("www");
        std::fs::create_dir(&root).map_err(|e| e.to_string())?;
        std::fs::write(root.join("department.ics"), body).map_err(|e| e.to_string())?;
        // A free port: bind one, let it go, hand it to nginx.
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let d = dir.path().display();
        let conf = format!(
            "daemon off;\nworker_processes 2;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n  keepalive_requests 100000;\n\
               client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n\
               uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
               types {{ text/calendar ics; }}\n\
               server {{ listen 127.0.0.1:{port}; root {root}; }}\n}}\n",
            root = root.display()
        );
        let conf_path = dir.path().join("nginx.conf");
        std::fs::write(&conf_path, conf).map_err(|e| e.to_string())?;
        let child = Command::new(binary)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf_path)
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start nginx: {e}"))?;
        let nginx = Nginx {
            child,
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + StdDuration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err("nginx did not start listening within 5 s".into());
            }
            std::thread::sleep(StdDuration::from_millis(20));
        }
        Ok(nginx)
    }
}

impl Drop for Nginx {
    /// SIGTERM, so the master stops its workers too (SIGKILL would orphan them).
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: kill(2) on the id of a child we started and have not yet reaped.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let _ = self.child.wait();
    }
}

/// What one request load measured.
struct Load {
    done: usize,
    wall: StdDuration,
    latencies: Vec<StdDuration>,
    bytes: u64,
    unexpected: usize,
    cpu: Cpu,
}

impl Load {
    fn rate(&self) -> f64 {
        self.done as f64 / self.wall.as_secs_f64()
    }

    fn print(&self, what: &str) {
        let mut latencies = self.latencies.clone();
        latencies.sort_unstable();
        let at = |q: f64| {
            latencies
                .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
                .map_or(0.0, |d| ms(*d))
        };
        let seconds = self.wall.as_secs_f64();
        let cores = |used: StdDuration| used.as_secs_f64() / seconds;
        println!(
            "{what}: {} requests by {TASKS} tasks in {seconds:.2} s: {:.0} req/s, \
             median {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, {:.0} MiB/s of body, {} unexpected; \
             processors busy: server {}, load generator {:.2}",
            self.done,
            self.done as f64 / seconds,
            at(0.5),
            at(0.9),
            at(0.99),
            mib(self.bytes) / seconds,
            self.unexpected,
            self.cpu
                .server
                .map_or("unknown".into(), |used| format!("{:.2}", cores(used))),
            cores(self.cpu.ours),
        );
    }
}

/// `total` GETs of `url` by [`TASKS`] concurrent tasks, conditional when `etag` is given;
/// a response with another status than `expect`, or an error, counts as unexpected. The
/// processor time of the process `server` (and its children) is measured beside ours.
///
/// Each task keeps one HTTP/1.1 connection of its own, opened for this load (as `wrk`
/// does), and reads each body to its end without keeping it. The loads first went through
/// one shared `reqwest::Client`: a profile of the 304 load showed the client taking twice
/// the server's processor time per request, and the pool handing the load the
/// connections an earlier phase had left, which sat on one of the server's two workers
/// while the other idled. The same loop loads nginx.
async fn load(
    url: &str,
    server: Option<u32>,
    total: usize,
    etag: Option<&str>,
    expect: StatusCode,
) -> Load {
    let url = url::Url::parse(url).expect("a load URL");
    let address = url
        .socket_addrs(|| None)
        .expect("a loopback address")
        .into_iter()
        .next()
        .expect("one address");
    let host = format!("{}:{}", url.host_str().expect("a host"), address.port());
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    };
    let issued = Arc::new(AtomicUsize::new(0));
    let cpu = Cpu::now(server);
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (host, target, issued) = (host.clone(), target.clone(), issued.clone());
            let etag = etag.map(str::to_string);
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let (mut bytes, mut unexpected) = (0u64, 0usize);
                let mut connection: Option<Connection> = None;
                while issued.fetch_add(1, Ordering::Relaxed) < total
                    && started.elapsed() < LOAD_TIME_LIMIT
                {
                    let clock = Instant::now();
                    // A connection the server closed is opened again.
                    if connection.as_ref().is_none_or(Connection::is_closed) {
                        connection = Connection::open(address).await.ok();
                    }
                    let ok = match connection.as_mut() {
                        Some(open) => {
                            open.get(&host, &target, etag.as_deref(), expect, &mut bytes)
                                .await
                        }
                        None => false,
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
        cpu: Cpu::default(),
    };
    for task in tasks {
        let (latencies, bytes, unexpected) = task.await.expect("load task");
        result.latencies.extend(latencies);
        result.bytes += bytes;
        result.unexpected += unexpected;
    }
    result.wall = started.elapsed();
    result.cpu = cpu.since();
    result.done = result.latencies.len();
    result
}

/// One HTTP/1.1 keep-alive connection of a load task.
struct Connection {
    sender: hyper::client::conn::http1::SendRequest<http_body_util::Empty<hyper::body::Bytes>>,
}

impl Connection {
    async fn open(address: std::net::SocketAddr) -> Result<Connection, String> {
        let stream = tokio::net::TcpStream::connect(address)
            .await
            .map_err(|e| e.to_string())?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        Ok(Connection { sender })
    }

    fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }

    /// One GET read to its end; whether it came whole with `expect`.
    async fn get(
        &mut self,
        host: &str,
        target: &str,
        etag: Option<&str>,
        expect: StatusCode,
        bytes: &mut u64,
    ) -> bool {
        use http_body_util::BodyExt;
        if self.sender.ready().await.is_err() {
            return false;
        }
        let mut request = hyper::Request::get(target).header(hyper::header::HOST, host);
        if let Some(etag) = etag {
            request = request.header(hyper::header::IF_NONE_MATCH, etag);
        }
        let request = request
            .body(http_body_util::Empty::new())
            .expect("a well-formed request");
        let Ok(response) = self.sender.send_request(request).await else {
            return false;
        };
        let status = response.status().as_u16() == expect.as_u16();
        let mut body = response.into_body();
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(frame) => *bytes += frame.data_ref().map_or(0, |d| d.len() as u64),
                Err(_) => return false,
            }
        }
        status
    }
}

/// Processor time used by this process (the load generator) and by the server loaded.
#[derive(Default, Clone, Copy)]
struct Cpu {
    ours: StdDuration,
    server: Option<StdDuration>,
    server_pid: Option<u32>,
}

impl Cpu {
    /// The time used so far, by us and by process `server` (and its children).
    fn now(server: Option<u32>) -> Cpu {
        Cpu {
            ours: own_cpu_time(),
            server: server.and_then(process_cpu_time),
            server_pid: server,
        }
    }

    /// The time used since `self` was taken.
    fn since(self) -> Cpu {
        let now = Cpu::now(self.server_pid);
        Cpu {
            ours: now.ours.saturating_sub(self.ours),
            server: now
                .server
                .zip(self.server)
                .map(|(now, then)| now.saturating_sub(then)),
            server_pid: self.server_pid,
        }
    }
}

/// This process's user and system time (getrusage).
fn own_cpu_time() -> StdDuration {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let time = |t: libc::timeval| {
        StdDuration::from_secs(t.tv_sec as u64) + StdDuration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// The user and system time of process `pid` and of its child processes still running
/// (nginx's workers), from `/proc` (Linux only).
fn process_cpu_time(pid: u32) -> Option<StdDuration> {
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let ticks = u64::try_from(ticks).ok().filter(|t| *t > 0)?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name (which may hold spaces) in parentheses.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let used: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    let mut total = StdDuration::from_millis(used * 1000 / ticks);
    let children =
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
        total += process_cpu_time(child).unwrap_or_default();
    }
    Some(total)
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
        translations: Vec::new(),
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
        versions: Vec::new(),
        first_seen,
        last_seen: changed,
        changed,
        merged_into: None,
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
        "benchmark process peak memory (VmHWM) {when}: {}",
        memory("VmHWM", "self").map_or("unknown".into(), |bytes| format!("{:.1} MiB", mib(bytes)))
    );
}

/// A memory figure (`VmHWM`, `VmRSS`) of a process (`self` or a pid) in bytes, from
/// `/proc/…/status` (Linux only).
fn memory(field: &str, process: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{process}/status")).ok()?;
    let line = status
        .lines()
        .find(|l| l.strip_prefix(field).is_some_and(|r| r.starts_with(':')))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
