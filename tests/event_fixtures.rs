//! Every calendar and events page in `fixtures/ics` and `fixtures/html`, served over
//! loopback and taken through a real refresh, must store exactly the events its
//! `NAME.expected.json` lists: UIDs, UTC instants across DST changes, all-day dates,
//! every occurrence of each series, zones, places, links and status. The expected files
//! were computed with Python's icalendar, dateutil and zoneinfo — an independent
//! implementation. One `check` drives them all.

mod common;

use bulletin::model::{FetchOutcome, Location, Selectors, SourceKind};
use bulletin::store::StoredEvent;
use chrono::{DateTime, Utc};
use serde_json::Value;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{Harness, fixture, source, test_context, test_fetch_settings};

/// A harness whose clock and window match the expected file's window.
fn harness_for(expected: &Value) -> Harness {
    let from: DateTime<Utc> = expected["window"]["from"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let to: DateTime<Utc> = expected["window"]["to"].as_str().unwrap().parse().unwrap();
    let mut context = test_context();
    context.clock = bulletin::clock::Clock::fixed(from);
    context.events.window_past_days = 0;
    context.events.window_future_days = (to - from).num_days();
    Harness::with(test_fetch_settings(), context)
}

async fn serve(name: &str, content_type: &str) -> (MockServer, String) {
    serve_at(name, &format!("/{name}"), content_type).await
}

async fn serve_at(name: &str, at: &str, content_type: &str) -> (MockServer, String) {
    let server = MockServer::start().await;
    Mock::given(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_raw(fixture(name), content_type))
        .mount(&server)
        .await;
    let url = format!("{}{at}", server.uri());
    (server, url)
}

fn expected(name: &str) -> Value {
    let stem = name.rsplit_once('.').unwrap().0;
    serde_json::from_slice(&fixture(&format!("{stem}.expected.json"))).unwrap()
}

fn find<'a>(events: &'a [StoredEvent], want: &Value) -> &'a StoredEvent {
    let title = want["title"].as_str().unwrap();
    let start = want["start"].as_str().unwrap();
    let by_uid = want["uid"].as_str().and_then(|uid| {
        events
            .iter()
            .find(|e| e.sources.iter().any(|s| s.source_uid == uid))
    });
    by_uid
        .or_else(|| {
            events
                .iter()
                .find(|e| e.event.title == title && e.event.start.to_text() == start)
        })
        .unwrap_or_else(|| {
            panic!(
                "no stored event {:?} at {start}; stored: {:#?}",
                want["uid"],
                events
                    .iter()
                    .map(|e| (
                        e.sources[0].source_uid.clone(),
                        e.event.title.clone(),
                        e.event.start.to_text()
                    ))
                    .collect::<Vec<_>>()
            )
        })
}

fn assert_event(
    name: &str,
    origin: &str,
    source_zone: Option<chrono_tz::Tz>,
    stored: &StoredEvent,
    want: &Value,
) {
    let e = &stored.event;
    let label = format!("{name}: {}", want["title"]);
    assert_eq!(e.title, want["title"].as_str().unwrap(), "{label}: title");
    assert_eq!(
        e.all_day(),
        want["all_day"].as_bool().unwrap(),
        "{label}: all-day"
    );
    assert_eq!(
        e.start.to_text(),
        want["start"].as_str().unwrap(),
        "{label}: start"
    );
    // An all-day event without an end lasts its one day: the exclusive end is the next day.
    let want_end = match (want["end"].as_str(), e.start) {
        (None, bulletin::model::EventTime::Date(day)) => {
            day.succ_opt().map(|d| d.format("%Y-%m-%d").to_string())
        }
        (end, _) => end.map(str::to_string),
    };
    assert_eq!(e.end.map(|t| t.to_text()), want_end, "{label}: end");
    // A time written with only an offset names no zone; the source's zone may be kept
    // (when its offset agrees: unit-tested in normalise::page), never another.
    match want["timezone"].as_str() {
        None => assert!(
            e.timezone.is_none() || e.timezone.as_deref() == source_zone.map(|z| z.name()),
            "{label}: zone {:?}",
            e.timezone
        ),
        zone => assert_eq!(e.timezone.as_deref(), zone, "{label}: zone"),
    }
    assert_eq!(
        e.status.as_str(),
        want["status"].as_str().unwrap(),
        "{label}: status"
    );
    if let Some(location) = want["location"].as_str() {
        let place = format!(
            "{} {}",
            e.location_name.as_deref().unwrap_or(""),
            e.location_address.as_deref().unwrap_or("")
        );
        assert!(
            place.contains(location),
            "{label}: location {place:?} should contain {location:?}"
        );
    }
    if let Some(url) = want["url"].as_str() {
        let url = if url.starts_with('/') {
            format!("{origin}{url}")
        } else {
            url.to_string()
        };
        assert_eq!(e.url.as_deref(), Some(url.as_str()), "{label}: url");
    }
    if let Some(online) = want["online_url"].as_str() {
        assert_eq!(
            e.online_url.as_deref(),
            Some(online),
            "{label}: online link"
        );
    }
    for needle in want["description_contains"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let needle = needle.as_str().unwrap();
        let text = format!(
            "{} {}",
            e.description_text.as_deref().unwrap_or(""),
            e.description_html.as_deref().unwrap_or("")
        );
        assert!(
            text.contains(needle),
            "{label}: description lacks {needle:?}: {text}"
        );
    }
}

async fn check(name: &str, kind: SourceKind, content_type: &str) {
    check_with(name, kind, content_type, None).await;
}

async fn check_with(
    name: &str,
    kind: SourceKind,
    content_type: &str,
    selectors: Option<Selectors>,
) {
    let expected = expected(name);
    let harness = harness_for(&expected);
    let at = expected["page_path"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| format!("/{name}"));
    let (server, url) = serve_at(name, &at, content_type).await;
    let mut s = source("s", Location::Url(url.parse().unwrap()), Some(kind));
    s.timezone = expected["source_timezone"]
        .as_str()
        .map(|z| z.parse().unwrap());
    s.selectors = selectors;
    let zone = s.timezone;
    harness.add(s);
    let record = harness.refresh("s").await;
    assert_eq!(record.outcome, FetchOutcome::Ok, "{name}: {record:?}");

    let wanted = expected["events"].as_array().unwrap();
    let events = harness.events();
    for want in wanted {
        assert_event(name, &server.uri(), zone, find(&events, want), want);
    }
    assert_eq!(
        events.len(),
        wanted.len(),
        "{name}: no more and no fewer events (warnings: {:?})",
        record.warnings
    );
    assert_eq!(
        record.items_found as usize,
        wanted.len(),
        "{name}: items found"
    );
}

#[tokio::test]
async fn outlook_export_with_windows_zones() {
    check(
        "ics/outlook-export.ics",
        SourceKind::Ical,
        "text/calendar; charset=utf-8",
    )
    .await;
}

#[tokio::test]
async fn google_export_with_rrule_exdate_and_moved_occurrence() {
    check("ics/google-export.ics", SourceKind::Ical, "text/calendar").await;
}

#[tokio::test]
async fn apple_export_with_duration_and_floating_time() {
    check("ics/apple-export.ics", SourceKind::Ical, "text/calendar").await;
}

#[tokio::test]
async fn london_calendar_across_both_clock_changes() {
    check("ics/dst-europe.ics", SourceKind::Ical, "text/calendar").await;
}

#[tokio::test]
async fn a_calendar_is_detected_without_a_declared_kind() {
    let expected = expected("ics/google-export.ics");
    let harness = harness_for(&expected);
    let (_server, url) = serve("ics/google-export.ics", "application/octet-stream").await;
    let mut s = source("s", Location::Url(url.parse().unwrap()), None);
    s.timezone = Some(chrono_tz::America::Toronto);
    harness.add(s);
    let record = harness.refresh("s").await;
    assert_eq!(
        record.items_found as usize,
        expected["events"].as_array().unwrap().len()
    );
}

fn canada_ca_selectors() -> Selectors {
    Selectors {
        item: "li.event".into(),
        title: Some("h3".into()),
        start: Some(".when".into()),
        location: Some(".where".into()),
        link: Some("h3 a@href".into()),
        description: Some(".summary".into()),
        ..Selectors::default()
    }
}

#[tokio::test]
async fn drupal_page_with_json_ld_graph() {
    check(
        "html/drupal-jsonld-graph.html",
        SourceKind::Html,
        "text/html; charset=utf-8",
    )
    .await;
}

#[tokio::test]
async fn wordpress_page_with_json_ld_array_and_series() {
    check(
        "html/wordpress-jsonld-array.html",
        SourceKind::Html,
        "text/html; charset=UTF-8",
    )
    .await;
}

#[tokio::test]
async fn page_with_microdata() {
    check("html/microdata.html", SourceKind::Html, "text/html").await;
}

#[tokio::test]
async fn page_with_h_event() {
    check("html/hevent.html", SourceKind::Html, "text/html").await;
}

#[tokio::test]
async fn english_page_without_markup_through_selectors() {
    check_with(
        "html/bilingual-no-markup-en.html",
        SourceKind::Html,
        "text/html",
        Some(canada_ca_selectors()),
    )
    .await;
}

#[tokio::test]
async fn french_page_without_markup_through_selectors() {
    check_with(
        "html/bilingual-no-markup-fr.html",
        SourceKind::Html,
        "text/html",
        Some(canada_ca_selectors()),
    )
    .await;
}
