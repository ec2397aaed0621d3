//! `/events.ics` serves every event its filters and window select: only the operator's
//! `calendar_max_events` cuts a calendar, and a cut calendar says so — in its
//! X-WR-CALDESC, in the calendar's language, and in an `X-Bulletin-Truncated` header.
//! The store hands large views over page by page, from one snapshot, and may read them
//! in runs on threads of their own.

mod common;

use bulletin::model::{
    Event, EventStatus, EventTime, FetchOutcome, FetchRecord, Location, Source, SourceKind,
};
use bulletin::store::{EventFilter, FetchWrite, Store};
use chrono::{Duration, Utc};
use reqwest::StatusCode;

use common::Site;

/// A store holding `n` upcoming events of one source, an hour apart from tomorrow.
fn store_with(n: usize) -> (tempfile::TempDir, Store) {
    store_with_starts(n, |i| Duration::hours(i as i64))
}

/// A store holding `n` upcoming events of one source, the `i`th starting `offset(i)`
/// after tomorrow at this time.
fn store_with_starts(n: usize, offset: impl Fn(usize) -> Duration) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ceiling.db")).unwrap();
    let now = Utc::now();
    let source = Source {
        id: "many".into(),
        name: "Many events".into(),
        department: "Statistics Canada".into(),
        tags: vec![],
        kind: Some(SourceKind::Ical),
        location: Location::File(dir.path().join("many.ics")),
        schedule: None,
        timezone: Some(chrono_tz::America::Toronto),
        selectors: None,
        post_selectors: None,
        events_from_links: false,
        language: None,
        translation_of: None,
    };
    store
        .sync_config_sources(std::slice::from_ref(&source), now)
        .unwrap();
    let first = now + Duration::days(1);
    let events: Vec<Event> = (0..n)
        .map(|i| Event {
            source_id: source.id.clone(),
            uid: format!("event-{i}@example.gc.ca"),
            series_uid: None,
            title: format!("Briefing number {i}"),
            description_text: Some(format!("The {i}th briefing.")),
            description_html: None,
            start: EventTime::At(first + offset(i)),
            end: Some(EventTime::At(first + offset(i) + Duration::minutes(30))),
            timezone: Some("America/Toronto".into()),
            location_name: None,
            location_address: None,
            online_url: None,
            url: None,
            organiser: None,
            language: None,
            status: EventStatus::Confirmed,
            categories: vec![],
            translations: vec![],
        })
        .collect();
    let record = FetchRecord {
        source_id: source.id.clone(),
        url: source.location.to_string(),
        started: now,
        duration_ms: 0,
        parse_ms: 0,
        http_status: Some(200),
        bytes: 0,
        items_found: n as u32,
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
        .unwrap();
    (dir, store)
}

async fn calendar(site: &Site, path: &str) -> (Option<String>, String) {
    let response = site.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let header = response
        .headers()
        .get(bulletin::web::TRUNCATED_HEADER)
        .map(|v| v.to_str().unwrap().to_string());
    (header, response.text().await.unwrap())
}

fn unfolded(text: &str) -> String {
    text.replace("\r\n ", "")
}

#[actix_web::test]
async fn a_calendar_over_the_ceiling_says_it_was_cut() {
    let (_dir, store) = store_with(30);
    let site = Site::start_with(&store, |state| state.calendar_max_events = 20);

    let (header, body) = calendar(&site, "/events.ics").await;
    assert_eq!(header.as_deref(), Some("20 of 30 events"));
    assert_eq!(body.matches("BEGIN:VEVENT\r\n").count(), 20);
    let body = unfolded(&body);
    assert!(
        body.contains("X-WR-CALDESC:Events from across government\\, merged by Bulletin. Cut at 20 of 30 events by this server's ceiling"),
        "{body}"
    );

    let (header, body) = calendar(&site, "/events.ics?lang=fr").await;
    assert_eq!(header.as_deref(), Some("20 of 30 events"));
    assert!(
        unfolded(&body).contains("Coupé à 20 événements sur 30 par le plafond de ce serveur"),
        "{body}"
    );

    // A limit the client chose is not a cut.
    let (header, body) = calendar(&site, "/events.ics?limit=5").await;
    assert_eq!(header, None);
    assert_eq!(body.matches("BEGIN:VEVENT\r\n").count(), 5);
    assert!(!body.contains("Cut at"));
}

#[actix_web::test]
async fn a_calendar_within_the_ceiling_serves_everything_and_says_nothing() {
    let (_dir, store) = store_with(30);
    let site = Site::start_with(&store, |state| state.calendar_max_events = 30);
    let (header, body) = calendar(&site, "/events.ics").await;
    assert_eq!(header, None);
    assert_eq!(body.matches("BEGIN:VEVENT\r\n").count(), 30);
    assert!(!body.contains("Cut at"), "{body}");
    let (header, body) = calendar(&site, "/events.ics?lang=fr").await;
    assert_eq!(header, None);
    assert!(!body.contains("Coupé"), "{body}");
}

#[test]
fn pages_hand_over_every_event_once_in_start_order() {
    let (_dir, store) = store_with(25);
    let every = EventFilter {
        limit: 1_000,
        ..EventFilter::default()
    };
    let all = store.events(&every).unwrap();
    assert_eq!(all.len(), 25);
    let mut paged = Vec::new();
    let total = store
        .event_pages(&every, 4, |page| {
            assert!(page.len() <= 4);
            paged.extend(page);
            true
        })
        .unwrap();
    assert_eq!(total, 25);
    assert_eq!(paged, all, "the same events, in the same order");

    let first_ten = EventFilter {
        limit: 10,
        ..EventFilter::default()
    };
    let mut cut = Vec::new();
    let total = store
        .event_pages(&first_ten, 4, |page| {
            cut.extend(page);
            true
        })
        .unwrap();
    assert_eq!(total, 25, "the count ignores the limit");
    assert_eq!(cut, all[..10]);
    assert_eq!(store.count_events(&first_ten).unwrap(), 25);
}

#[test]
fn runs_read_on_their_own_threads_hand_over_the_same_events_in_order() {
    let (_dir, store) = store_with(25);
    let every = EventFilter {
        limit: 1_000,
        ..EventFilter::default()
    };
    let all = store.events(&every).unwrap();
    let runs: Vec<std::sync::Mutex<Vec<_>>> = (0..2).map(|_| Default::default()).collect();
    let total = store
        .event_pages_in_runs(&every, 4, 2, |run, page| {
            assert!(page.len() <= 4);
            runs[run].lock().unwrap().extend(page);
            true
        })
        .unwrap();
    assert_eq!(total, 25);
    let runs: Vec<Vec<_>> = runs.into_iter().map(|r| r.into_inner().unwrap()).collect();
    assert!(
        !runs[0].is_empty() && !runs[1].is_empty(),
        "25 events of pages of 4 are read in two runs: {} and {}",
        runs[0].len(),
        runs[1].len()
    );
    assert_eq!(
        runs.concat(),
        all,
        "run after run: the same events, in order"
    );

    // A reading cut by its limit is read as one run, as event_pages reads it.
    let first_ten = EventFilter {
        limit: 10,
        ..EventFilter::default()
    };
    let cut = std::sync::Mutex::new(Vec::new());
    store
        .event_pages_in_runs(&first_ten, 4, 2, |run, page| {
            assert_eq!(run, 0);
            cut.lock().unwrap().extend(page);
            true
        })
        .unwrap();
    assert_eq!(cut.into_inner().unwrap(), all[..10]);
}

#[actix_web::test]
async fn a_calendar_read_in_runs_is_whole_and_in_start_order() {
    // More than two pages of the calendar's reading (1,000 events), so it is cut in runs.
    let n = 2_500;
    let (_dir, store) = store_with(n);
    let site = Site::start(&store);
    let (header, body) = calendar(&site, "/events.ics").await;
    assert_eq!(header, None);
    let numbers: Vec<usize> = body
        .lines()
        .filter_map(|line| line.strip_prefix("SUMMARY:Briefing number "))
        .map(|n| n.trim().parse().unwrap())
        .collect();
    assert_eq!(
        numbers,
        (0..n).collect::<Vec<_>>(),
        "every event once, soonest first"
    );
    assert_eq!(body.matches("BEGIN:VTIMEZONE\r\n").count(), 1);
    assert!(body.starts_with("BEGIN:VCALENDAR\r\n") && body.ends_with("END:VCALENDAR\r\n"));
    let again = calendar(&site, "/events.ics").await.1;
    assert_eq!(again, body);
}

#[test]
fn runs_agree_with_one_reading_whatever_the_page_runs_window_and_ties() {
    // Three events at each start, so runs are cut between events of one start minute.
    let (_dir, store) = store_with_starts(61, |i| Duration::hours((i / 3) as i64));
    let now = Utc::now();
    let windows = [
        (None, None),
        (Some(now + Duration::days(1) + Duration::hours(4)), None),
        (None, Some(now + Duration::days(1) + Duration::hours(15))),
        (
            Some(now + Duration::days(1) + Duration::hours(2)),
            Some(now + Duration::days(1) + Duration::hours(9)),
        ),
    ];
    for (from, to) in windows {
        for page in [1, 2, 3, 7, 40] {
            for parts in [1, 2, 3, 5] {
                let filter = EventFilter {
                    from,
                    to,
                    limit: 1_000,
                    ..EventFilter::default()
                };
                let mut one = Vec::new();
                let total = store
                    .event_pages(&filter, page, |p| {
                        one.extend(p.into_iter().map(|e| e.uid));
                        true
                    })
                    .unwrap();
                let runs: Vec<std::sync::Mutex<Vec<String>>> =
                    (0..parts).map(|_| Default::default()).collect();
                let in_runs = store
                    .event_pages_in_runs(&filter, page, parts, |run, p| {
                        assert!(p.len() <= page as usize);
                        runs[run]
                            .lock()
                            .unwrap()
                            .extend(p.into_iter().map(|e| e.uid));
                        true
                    })
                    .unwrap();
                let joined: Vec<String> = runs
                    .into_iter()
                    .flat_map(|r| r.into_inner().unwrap())
                    .collect();
                assert_eq!(
                    in_runs, total,
                    "{from:?}..{to:?}, page {page}, {parts} runs"
                );
                assert_eq!(joined, one, "{from:?}..{to:?}, page {page}, {parts} runs");
            }
        }
    }
}
