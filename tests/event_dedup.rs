//! Two departments listing the same event become one event attributed to both; different
//! sessions at the same time in the same building stay apart. Driven by
//! `fixtures/html/same-event.expected.json`.

mod common;

use bulletin::model::{Location, SourceKind};
use bulletin::store::StoredEvent;
use serde_json::Value;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{Harness, fixture, source, test_context, test_fetch_settings};

/// The stored event holding `file`'s listing of the event at `url` (a page's events are
/// keyed by their own URL when they have no identifier), else the one with its title.
fn event_of<'a>(events: &'a [StoredEvent], file: &str, title: &str, url: &str) -> &'a StoredEvent {
    let source_id = file.trim_end_matches(".html");
    events
        .iter()
        .find(|e| {
            e.sources
                .iter()
                .any(|s| s.source_id == source_id && s.source_uid == url)
        })
        .or_else(|| {
            events.iter().find(|e| {
                e.sources.iter().any(|s| s.source_id == source_id) && e.event.title == title
            })
        })
        .unwrap_or_else(|| {
            panic!(
                "{file}: no event {title:?} at {url} among {:#?}",
                events
                    .iter()
                    .map(|e| (&e.event.title, &e.sources))
                    .collect::<Vec<_>>()
            )
        })
}

#[tokio::test]
async fn one_event_listed_by_two_departments_and_near_misses_apart() {
    let expected: Value =
        serde_json::from_slice(&fixture("html/same-event.expected.json")).unwrap();
    let mut context = test_context();
    context.clock = bulletin::clock::Clock::fixed("2026-10-01T12:00:00Z".parse().unwrap());
    let h = Harness::with(test_fetch_settings(), context);
    let server = MockServer::start().await;
    for input in expected["inputs"].as_array().unwrap() {
        let file = input.as_str().unwrap();
        Mock::given(path(format!("/{file}")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(fixture(&format!("html/{file}")), "text/html"),
            )
            .mount(&server)
            .await;
        let id = file.trim_end_matches(".html");
        let mut s = source(
            id,
            Location::Url(format!("{}/{file}", server.uri()).parse().unwrap()),
            Some(SourceKind::Html),
        );
        s.department = format!(
            "Department {}",
            id.chars().last().unwrap().to_ascii_uppercase()
        );
        s.timezone = Some(chrono_tz::America::Toronto);
        h.add(s);
    }
    for input in expected["inputs"].as_array().unwrap() {
        let record = h
            .refresh(input.as_str().unwrap().trim_end_matches(".html"))
            .await;
        assert!(record.items_found > 0, "{record:?}");
    }
    // A second round changes nothing.
    let events = h.events();
    for input in expected["inputs"].as_array().unwrap() {
        let record = h
            .refresh(input.as_str().unwrap().trim_end_matches(".html"))
            .await;
        assert_eq!((record.items_new, record.items_updated), (0, 0));
    }
    assert_eq!(h.events(), events);

    for group in expected["merge"].as_array().unwrap() {
        let members: Vec<&StoredEvent> = group["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                event_of(
                    &events,
                    m["file"].as_str().unwrap(),
                    m["title"].as_str().unwrap(),
                    m["url"].as_str().unwrap(),
                )
            })
            .collect();
        let first = members[0];
        assert!(
            members.iter().all(|m| m.uid == first.uid),
            "merged into one event: {:#?}",
            members
                .iter()
                .map(|m| (&m.uid, &m.event.title))
                .collect::<Vec<_>>()
        );
        assert_eq!(
            first.event.start.to_text(),
            group["start"].as_str().unwrap()
        );
        assert_eq!(
            first.event.end.unwrap().to_text(),
            group["end"].as_str().unwrap()
        );
        let departments: Vec<&str> = first
            .sources
            .iter()
            .map(|s| s.department.as_str())
            .collect();
        assert_eq!(
            departments,
            ["Department A", "Department B"],
            "attributed to both"
        );
        assert_eq!(
            first.provenance.map()["title"],
            "same-event-dept-a",
            "the first lister leads"
        );
    }
    for group in expected["separate"].as_array().unwrap() {
        let members: Vec<&StoredEvent> = group["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                event_of(
                    &events,
                    m["file"].as_str().unwrap(),
                    m["title"].as_str().unwrap(),
                    m["url"].as_str().unwrap(),
                )
            })
            .collect();
        assert_ne!(
            members[0].uid, members[1].uid,
            "kept apart: {}",
            group["why"]
        );
    }
}

#[tokio::test]
async fn several_events_of_one_source_at_one_time_stay_several() {
    // Ten sessions at 08:00 with different UIDs (recurring_ical_events' own test calendar,
    // all titled "test1"): ten events, not one.
    let mut context = test_context();
    context.clock = bulletin::clock::Clock::fixed("2019-03-01T00:00:00Z".parse().unwrap());
    let h = Harness::with(test_fetch_settings(), context);
    let server = MockServer::start().await;
    Mock::given(path("/cal.ics"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            fixture("reference/calendars/rie-several_events_at_the_same_time.ics"),
            "text/calendar",
        ))
        .mount(&server)
        .await;
    h.add(source(
        "sessions",
        Location::Url(format!("{}/cal.ics", server.uri()).parse().unwrap()),
        Some(SourceKind::Ical),
    ));
    let record = h.refresh("sessions").await;
    assert_eq!(record.items_new, 10, "{record:?}");
    let events = h.events();
    assert_eq!(events.len(), 10);
    assert!(events.iter().all(|e| e.sources.len() == 1));
}
