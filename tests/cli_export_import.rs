//! `bulletin export` and `bulletin import` as an operator runs them, on a store filled by
//! real refreshes of varied sources served on 127.0.0.1: past and future events,
//! recurring series, all-day events, events in other zones, a cancellation, an event no
//! longer listed (with the changes the digest reports), one event listed by two
//! departments, a department's two calendars stored apart and then paired (a bilingual
//! event and the retired UIDs it replaced), posts with categories and translations.
//!
//! The export is imported into an empty store and exported again: byte for byte the same
//! files. Both stores are then served with the same fixed clock, and every page, feed
//! and calendar checked here answers the same: status, body, ETag and Last-Modified (the
//! `Date` header is the only one that may differ; both answer at one public address).
//! The health page (`/sources`, `/api/sources`) is left out: it shows fetch records,
//! which an export does not carry (the restored store has none until its first fetch).

mod common;

use std::path::{Path, PathBuf};

use bulletin::clock::Clock;
use bulletin::model::{Location, Source, SourceKind};
use bulletin::store::Store;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{Harness, Site, fixture, source, test_context, test_fetch_settings};

/// When the store was filled: before the May and later events, after the March ones.
const INGESTED_AT: &str = "2026-04-01T12:00:00Z";
/// When both stores are served: the spring's events are past, the winter's upcoming.
const SERVED_AT: &str = "2026-11-15T12:00:00Z";

use common::process::bulletin_text as bulletin;

/// A sources file naming only the database (an export and an import read nothing else).
fn config_for(dir: &Path, name: &str, database: &Path) -> PathBuf {
    let config = dir.join(name);
    std::fs::write(
        &config,
        format!(
            "[settings]\ndatabase = {:?}\n",
            database.display().to_string()
        ),
    )
    .unwrap();
    config
}

async fn serve(server: &MockServer, at: &str, file: &str, content_type: &str) {
    Mock::given(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_raw(fixture(file), content_type))
        .mount(server)
        .await;
}

fn at(server: &MockServer, id: &str, route: &str, kind: SourceKind, department: &str) -> Source {
    let mut s = source(
        id,
        Location::Url(format!("{}{route}", server.uri()).parse().unwrap()),
        Some(kind),
    );
    s.department = department.into();
    s.timezone = Some(chrono_tz::America::Toronto);
    s
}

/// A store holding a bit of everything, filled as `bulletin serve` would fill it.
async fn varied_store() -> (Harness, MockServer) {
    let mut context = test_context();
    context.clock = Clock::fixed(INGESTED_AT.parse().unwrap());
    let h = Harness::with(test_fetch_settings(), context);
    let server = MockServer::start().await;
    // A calendar that cancels one event, moves another and drops a third.
    Mock::given(path("/changing.ics"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            fixture("ics/cancelled-upstream-before.ics"),
            "text/calendar",
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    serve(
        &server,
        "/changing.ics",
        "ics/cancelled-upstream-after.ics",
        "text/calendar",
    )
    .await;
    serve(
        &server,
        "/london.ics",
        "ics/dst-europe.ics",
        "text/calendar",
    )
    .await;
    serve(
        &server,
        "/outlook.ics",
        "ics/outlook-export.ics",
        "text/calendar",
    )
    .await;
    serve(
        &server,
        "/en.ics",
        "bilingual/dept-calendar-en.ics",
        "text/calendar",
    )
    .await;
    serve(
        &server,
        "/fr.ics",
        "bilingual/dept-calendar-fr.ics",
        "text/calendar",
    )
    .await;
    serve(
        &server,
        "/a.html",
        "html/same-event-dept-a.html",
        "text/html",
    )
    .await;
    serve(
        &server,
        "/b.html",
        "html/same-event-dept-b.html",
        "text/html",
    )
    .await;
    serve(
        &server,
        "/blog-en.xml",
        "bilingual/blog-en.xml",
        "application/atom+xml",
    )
    .await;
    serve(
        &server,
        "/blog-fr.xml",
        "bilingual/blog-fr.xml",
        "application/atom+xml",
    )
    .await;
    serve(
        &server,
        "/wp.xml",
        "feeds/rss2-wordpress.xml",
        "application/rss+xml",
    )
    .await;

    let ical = SourceKind::Ical;
    let mut en = at(
        &server,
        "cal-en",
        "/en.ics",
        ical,
        "Department of Example Services",
    );
    en.language = Some("en".into());
    let mut fr = at(
        &server,
        "cal-fr",
        "/fr.ics",
        ical,
        "Department of Example Services",
    );
    fr.language = Some("fr".into());
    for s in [
        at(&server, "changing", "/changing.ics", ical, "Department C"),
        at(
            &server,
            "london",
            "/london.ics",
            ical,
            "Cabinet Office (UK)",
        ),
        at(&server, "outlook", "/outlook.ics", ical, "Department O"),
        en,
        fr.clone(),
        at(
            &server,
            "dept-a",
            "/a.html",
            SourceKind::Html,
            "Department A",
        ),
        at(
            &server,
            "dept-b",
            "/b.html",
            SourceKind::Html,
            "Department B",
        ),
        at(
            &server,
            "blog-en",
            "/blog-en.xml",
            SourceKind::Feed,
            "Department of Example Services",
        ),
        at(
            &server,
            "blog-fr",
            "/blog-fr.xml",
            SourceKind::Feed,
            "Department of Example Services",
        ),
        at(&server, "wp", "/wp.xml", SourceKind::Feed, "Department W"),
    ] {
        h.add(s);
    }
    for id in [
        "changing", "london", "outlook", "cal-en", "cal-fr", "dept-a", "dept-b", "blog-en",
        "blog-fr", "wp",
    ] {
        let record = h.refresh(id).await;
        assert!(record.error.is_none(), "{id}: {record:?}");
    }
    // The changed calendar, read until the dropped event is no longer listed.
    for _ in 0..bulletin::store::MISSING_FETCHES_BEFORE_UNLISTED {
        h.refresh("changing").await;
    }
    // The two calendars are said to be each other's translation: their events join.
    fr.translation_of = Some("cal-en".into());
    h.add(fr);
    h.refresh("cal-fr").await;

    let events = h.store.events(&bulletin::store::EventFilter {
        retired: true,
        limit: 10_000,
        ..Default::default()
    });
    let events = events.unwrap();
    assert!(events.iter().any(|e| !e.listed), "one no longer listed");
    assert!(
        events.iter().any(|e| e.merged_into.is_some()),
        "retired UIDs"
    );
    assert!(events.iter().any(|e| !e.versions.is_empty()), "bilingual");
    assert!(
        events
            .iter()
            .any(|e| e.sources.len() == 2 && e.versions.is_empty()),
        "two departments"
    );
    assert!(
        events.iter().any(|e| e.event.series_uid.is_some()),
        "a series"
    );
    assert!(events.iter().any(|e| e.event.all_day()), "all day");
    assert!(
        events
            .iter()
            .any(|e| e.event.timezone.as_deref() == Some("Europe/London"))
    );
    assert!(
        events
            .iter()
            .any(|e| e.event.status == bulletin::model::EventStatus::Cancelled)
    );
    (h, server)
}

/// Every route compared between the two stores, and the event pages.
fn routes(store: &Store) -> Vec<String> {
    let mut routes: Vec<String> = [
        "/",
        "/?lang=fr",
        "/archive",
        "/archive?lang=fr",
        "/events.ics",
        "/events.ics?lang=fr",
        "/events.ics?source=cal-fr",
        "/events.rss",
        "/events.atom",
        "/events.json",
        "/feed.rss",
        "/feed.atom",
        "/feed.json",
        "/feed.atom?lang=fr",
        "/blogroll.opml",
        "/posts",
        "/posts?lang=fr",
        "/api/events",
        "/api/posts",
        "/?q=workshop",
        "/posts?q=plain",
        "/embed",
        "/digest",
        "/digest.rss",
    ]
    .iter()
    .map(|r| r.to_string())
    .collect();
    let all = store
        .events(&bulletin::store::EventFilter {
            retired: true,
            limit: 10_000,
            ..Default::default()
        })
        .unwrap();
    for event in all {
        routes.push(format!("/events/{}", event.uid));
        routes.push(format!("/events/{}?lang=fr", event.uid));
        routes.push(format!("/events/{}.ics", event.uid));
    }
    routes
}

/// Status, validators and body of a route, without following redirects.
async fn answer(client: &reqwest::Client, base: &str, route: &str) -> (u16, Vec<String>, Vec<u8>) {
    let response = client.get(format!("{base}{route}")).send().await.unwrap();
    let headers = ["content-type", "etag", "last-modified", "location"]
        .iter()
        .map(|name| {
            let value = response.headers().get(*name);
            format!(
                "{name}: {}",
                value.and_then(|v| v.to_str().ok()).unwrap_or("-")
            )
        })
        .collect();
    (
        response.status().as_u16(),
        headers,
        response.bytes().await.unwrap().to_vec(),
    )
}

#[actix_web::test]
async fn an_export_imported_into_an_empty_store_serves_the_same_pages_and_exports_the_same_bytes() {
    let (h, _server) = varied_store().await;
    let dir = tempfile::tempdir().unwrap();
    let original = config_for(dir.path(), "original.toml", h.store.path());
    let restored_db = dir.path().join("restored.db");
    let restored = config_for(dir.path(), "restored.toml", &restored_db);
    let file = |name: &str| dir.path().join(name).display().to_string();
    let run = |config: PathBuf, args: Vec<String>| {
        std::thread::spawn(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            bulletin(&config, &args)
        })
        .join()
        .unwrap()
    };
    let args = |command: &str, events: &str, posts: &str| {
        vec![
            command.to_string(),
            "--events".into(),
            file(events),
            "--posts".into(),
            file(posts),
        ]
    };

    let (code, out, err) = run(original.clone(), args("export", "a.ics", "a.json"));
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("a.ics: ") && out.contains("10 sources"),
        "{out}"
    );
    assert!(out.contains("a.json: 8 posts and 10 sources"), "{out}");

    let (code, out, err) = run(restored.clone(), args("import", "a.ics", "a.json"));
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.starts_with(&format!(
            "imported into {}: 10 sources, ",
            restored_db.display()
        )),
        "{out}"
    );

    let (code, out, err) = run(restored.clone(), args("export", "b.ics", "b.json"));
    assert_eq!(code, 0, "{out}\n{err}");
    let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();
    assert!(
        read("a.ics") == read("b.ics"),
        "the events file comes back byte for byte"
    );
    assert!(
        read("a.json") == read("b.json"),
        "the posts file comes back byte for byte"
    );

    // Again into the same store: refused, naming the database, nothing written.
    let (code, _, err) = run(restored.clone(), args("import", "a.ics", "a.json"));
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!(
            "database {} already holds 10 sources",
            restored_db.display()
        )) && err.contains("empty store"),
        "{err}"
    );

    let restored_store = Store::open(&restored_db).unwrap();
    assert_same_answers(&h.store, &restored_store, &[]).await;
}

/// Both stores, served at the same instant under one public address (as a new machine
/// takes over the old one's name), answer every route in `routes` and `extra` alike:
/// status, validators and bytes.
async fn assert_same_answers(original: &Store, restored_store: &Store, extra: &[&str]) {
    let served_at = Clock::fixed(SERVED_AT.parse().unwrap());
    let public: url::Url = "https://bulletin.example.gc.ca/".parse().unwrap();
    let a = Site::start_with(original, |s| {
        s.clock = served_at;
        s.base_url = Some(public.clone());
    });
    let b = Site::start_with(restored_store, |s| {
        s.clock = served_at;
        s.base_url = Some(public.clone());
    });
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_gzip()
        .no_brotli()
        .build()
        .unwrap();
    let mut routes = routes(original);
    assert_eq!(
        routes,
        self::routes(restored_store),
        "the same events, in the same order"
    );
    routes.extend(extra.iter().map(|r| r.to_string()));
    let mut redirects = 0;
    for route in &routes {
        let (want, got) = (
            answer(&client, &a.base, route).await,
            answer(&client, &b.base, route).await,
        );
        assert!(want.0 == 200 || want.0 == 308, "{route}: {}", want.0);
        redirects += usize::from(want.0 == 308);
        if want.2 != got.2 {
            let (w, g) = (
                String::from_utf8_lossy(&want.2),
                String::from_utf8_lossy(&got.2),
            );
            let diff: Vec<String> = w
                .lines()
                .zip(g.lines())
                .filter(|(a, b)| a != b)
                .take(5)
                .map(|(a, b)| format!("- {a}\n+ {b}"))
                .collect();
            panic!("{route} differs:\n{}", diff.join("\n"));
        }
        assert_eq!((want.0, &want.1), (got.0, &got.1), "{route}");
    }
    assert!(
        redirects >= 3,
        "retired events' pages redirect: {redirects}"
    );
    a.handle.stop(true).await;
    b.handle.stop(true).await;
}

/// `bulletin backup` on one machine, the copy put in place of the database on another:
/// every page, feed and calendar the same, byte for byte, the health pages too (a backup
/// keeps the fetch records an export leaves out).
#[actix_web::test]
async fn a_backup_restored_on_another_machine_serves_the_same_pages() {
    let (h, _server) = varied_store().await;
    let dir = tempfile::tempdir().unwrap();
    let original = config_for(dir.path(), "original.toml", h.store.path());
    let copy = dir.path().join("nightly.db");
    let backup_to = copy.clone();
    let (code, out, err) =
        std::thread::spawn(move || bulletin(&original, &["backup", backup_to.to_str().unwrap()]))
            .join()
            .unwrap();
    assert_eq!(code, 0, "{out}\n{err}");
    // The other machine: the copy in place of its database, nothing else brought over.
    let other = tempfile::tempdir().unwrap();
    let database = other.path().join("bulletin.db");
    std::fs::copy(&copy, &database).unwrap();
    let restored = Store::open(&database).unwrap();
    assert_same_answers(
        &h.store,
        &restored,
        &["/sources", "/api/sources", "/healthz"],
    )
    .await;
}

#[test]
fn the_events_file_is_a_calendar_the_icalendar_crate_reads_with_every_uid() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (h, _server) = runtime.block_on(varied_store());
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), "sources.toml", h.store.path());
    let ics = dir.path().join("events.ics");
    let (code, out, err) = bulletin(&config, &["export", "--events", ics.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(!dir.path().join("events.ics.partial").exists());
    assert!(!dir.path().join("events.ics.events.partial").exists());
    let text = std::fs::read_to_string(&ics).unwrap();
    assert!(text.lines().all(|l| l.len() <= 76), "folded at 75 octets");
    let unfolded = icalendar::parser::unfold(&text);
    let calendar =
        icalendar::parser::read_calendar(&unfolded).expect("the icalendar crate reads the export");
    let vevents: Vec<_> = calendar
        .components
        .iter()
        .filter(|c| c.name == "VEVENT")
        .collect();
    let stored = h
        .store
        .events(&bulletin::store::EventFilter {
            retired: true,
            limit: 10_000,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        vevents.len(),
        stored.len(),
        "every event, retired ones included"
    );
    for (vevent, event) in vevents.iter().zip(&stored) {
        let property = |name: &str| {
            vevent
                .properties
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.val.to_string())
                .unwrap_or_default()
        };
        assert_eq!(property("UID"), format!("{}@bulletin", event.uid));
        assert_eq!(property("SEQUENCE"), event.revision.to_string());
        let row: serde_json::Value = serde_json::from_str(&property("X-BULLETIN-EVENT")).unwrap();
        assert_eq!(row["uid"], event.uid.as_str());
        assert_eq!(row["title"], event.event.title.as_str());
        let listings = vevent
            .properties
            .iter()
            .filter(|p| p.name == "X-BULLETIN-LISTING")
            .count();
        assert_eq!(listings, event.sources.len(), "{}", event.uid);
    }
    // The other-language version travels with its event (looked for in the unfolded
    // text: where a line folds depends on everything before it on the line).
    assert!(unfolded.contains("Assemblée publique sur le gouvernement ouvert"));
}

#[test]
fn an_import_checks_both_files_before_writing_and_names_what_is_wrong() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (h, _server) = runtime.block_on(varied_store());
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), "sources.toml", h.store.path());
    let (ics, json) = (dir.path().join("e.ics"), dir.path().join("p.json"));
    let (code, out, err) = bulletin(
        &config,
        &[
            "export",
            "--events",
            ics.to_str().unwrap(),
            "--posts",
            json.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let fresh = dir.path().join("fresh.db");
    let into_fresh = config_for(dir.path(), "fresh.toml", &fresh);
    let text = std::fs::read_to_string(&ics).unwrap();

    let import = |args: &[&Path]| {
        let mut words = vec!["import".to_string()];
        for file in args {
            let flag = if file.extension().is_some_and(|e| e == "ics") {
                "--events"
            } else {
                "--posts"
            };
            words.push(flag.into());
            words.push(file.display().to_string());
        }
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        bulletin(&into_fresh, &words)
    };
    let write = |name: &str, content: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path
    };

    // A SEQUENCE edited by hand no longer matches its row: named by file, line and UID.
    let at = text.find("\r\nSEQUENCE:").unwrap() + 2;
    let end = at + text[at..].find("\r\n").unwrap();
    let sequence = write(
        "sequence.ics",
        &format!("{}SEQUENCE:99{}", &text[..at], &text[end..]),
    );
    let (code, _, err) = import(&[&sequence, &json]);
    assert_eq!(code, 2);
    assert!(
        err.contains("sequence.ics: line ")
            && err.contains("(event ")
            && err.contains("SEQUENCE 99"),
        "{err}"
    );

    // A row that would not read back: the column is named.
    let unfolded = text.replace("\r\n ", "");
    let status = write(
        "status.ics",
        &unfolded.replacen("\"status\":\"confirmed\"", "\"status\":\"maybe\"", 1),
    );
    let (code, _, err) = import(&[&status]);
    assert_eq!(code, 2);
    assert!(
        err.contains("status.ics line ")
            && err.contains("column `status` `maybe` is not an event status"),
        "{err}"
    );

    // A file cut short.
    let posts = std::fs::read_to_string(&json).unwrap();
    let cut = write("cut.json", &posts[..posts.len() / 2]);
    let (code, _, err) = import(&[&ics, &cut]);
    assert_eq!(code, 2);
    assert!(
        err.contains("cut.json: not a posts file of `bulletin export`") && err.contains("line "),
        "{err}"
    );

    // One export's events with another's posts.
    let other = write(
        "other.json",
        &posts.replacen("\"name\":\"Source blog-en\"", "\"name\":\"Renamed\"", 1),
    );
    let (code, _, err) = import(&[&ics, &other]);
    assert_eq!(code, 2);
    assert!(err.contains("are not one export's two files"), "{err}");
    assert!(!fresh.exists(), "nothing was created by refused imports");

    // The good files, for contrast.
    let (code, out, err) = import(&[&ics, &json]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(fresh.exists());
}
