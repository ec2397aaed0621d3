//! What happens to stored events as their sources change: updates in place with a
//! rising revision, cancellations kept as cancelled, events that vanish marked as no
//! longer listed after several fetches (future ones only), and broken fetches changing
//! nothing.

mod common;

use bulletin::model::{EventStatus, FetchOutcome, Location, SourceKind};
use bulletin::store::{MISSING_FETCHES_BEFORE_UNLISTED, StoredEvent};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{Harness, fixture, source, test_context, test_fetch_settings};

fn harness_at(now: &str) -> Harness {
    let mut context = test_context();
    context.clock = bulletin::clock::Clock::fixed(now.parse().unwrap());
    Harness::with(test_fetch_settings(), context)
}

fn by_source_uid<'a>(events: &'a [StoredEvent], uid: &str) -> &'a StoredEvent {
    events
        .iter()
        .find(|e| e.sources.iter().any(|s| s.source_uid == uid))
        .unwrap_or_else(|| panic!("no event {uid}"))
}

const CANCELLED: &str = "9c0e8a7f-3b1d-4e6a-b2c4-d8f0e1a3b5c7";
const MOVED: &str = "2d4f6a8c-0e1b-4d3f-a5c7-e9b0d2f4a6c8";
const REMOVED: &str = "7e9a1c3e-5f7b-4d9f-b1d3-f5a7c9e1b3d5";
const UNCHANGED: &str = "c1e3a5b7-d9f1-4b3d-85f7-a9c1e3b5d7f9";

async fn calendar_that_changes(after_times: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(path("/cal.ics"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            fixture("ics/cancelled-upstream-before.ics"),
            "text/calendar",
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/cal.ics"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("ics/cancelled-upstream-after.ics"), "text/calendar"),
        )
        .up_to_n_times(after_times)
        .mount(&server)
        .await;
    Mock::given(path("/cal.ics"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("feeds/malformed.xml"), "text/calendar"),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn upstream_changes_update_cancel_and_eventually_unlist() {
    // Before every event in the calendar (May 2026), so all of them are upcoming.
    let h = harness_at("2026-04-01T12:00:00Z");
    let server = calendar_that_changes(MISSING_FETCHES_BEFORE_UNLISTED as u64).await;
    let mut s = source(
        "cal",
        Location::Url(format!("{}/cal.ics", server.uri()).parse().unwrap()),
        Some(SourceKind::Ical),
    );
    s.timezone = Some(chrono_tz::America::Toronto);
    h.add(s);

    let first = h.refresh("cal").await;
    assert_eq!((first.outcome, first.items_new), (FetchOutcome::Ok, 4));
    let before = h.events();
    assert!(before.iter().all(|e| e.revision == 0 && e.listed));

    let second = h.refresh("cal").await;
    assert_eq!(
        (second.outcome, second.items_new, second.items_updated),
        (FetchOutcome::Ok, 0, 2),
        "{second:?}"
    );
    let after = h.events();
    assert_eq!(after.len(), 4, "nothing duplicated, nothing deleted");

    let cancelled = by_source_uid(&after, CANCELLED);
    assert_eq!(cancelled.event.status, EventStatus::Cancelled);
    assert_eq!(cancelled.revision, 1);
    assert_eq!(
        cancelled.uid,
        by_source_uid(&before, CANCELLED).uid,
        "same public uid"
    );

    let moved = by_source_uid(&after, MOVED);
    assert_eq!(moved.event.start.to_text(), "2026-05-14T14:00:00Z");
    assert_eq!(moved.event.end.unwrap().to_text(), "2026-05-14T15:30:00Z");
    assert_eq!(moved.revision, 1);
    assert_eq!(moved.uid, by_source_uid(&before, MOVED).uid);

    let unchanged = by_source_uid(&after, UNCHANGED);
    assert_eq!(unchanged.revision, 0);
    assert_eq!(unchanged.changed, by_source_uid(&before, UNCHANGED).changed);

    // The removed event is kept, and stays listed until it has been missing long enough.
    let removed = by_source_uid(&after, REMOVED);
    assert!(removed.listed && removed.revision == 0);
    // The same document again is not read again, but it is a reading that still lacks
    // the event.
    for _ in 1..MISSING_FETCHES_BEFORE_UNLISTED {
        assert_eq!(h.refresh("cal").await.outcome, FetchOutcome::Unchanged);
    }
    let events = h.events();
    let removed = by_source_uid(&events, REMOVED);
    assert!(
        !removed.listed,
        "no longer listed after {MISSING_FETCHES_BEFORE_UNLISTED} fetches without it"
    );
    assert!(!removed.sources[0].listed);
    assert_eq!(removed.revision, 1, "calendars see the change");
    assert_eq!(by_source_uid(&events, UNCHANGED).revision, 0);

    // A broken fetch changes nothing.
    let broken = h.refresh("cal").await;
    assert_eq!(broken.outcome, FetchOutcome::Failed);
    assert!(broken.error.unwrap().contains("not a calendar"));
    assert_eq!(h.events(), events);
}

#[tokio::test]
async fn past_events_stay_listed_as_the_archive() {
    // After every event: what vanishes from the calendar is history, not a cancellation.
    let h = harness_at("2026-06-30T12:00:00Z");
    let server = calendar_that_changes(10).await;
    let mut s = source(
        "cal",
        Location::Url(format!("{}/cal.ics", server.uri()).parse().unwrap()),
        Some(SourceKind::Ical),
    );
    s.timezone = Some(chrono_tz::America::Toronto);
    h.add(s);
    for _ in 0..=MISSING_FETCHES_BEFORE_UNLISTED {
        h.refresh("cal").await;
    }
    let events = h.events();
    assert_eq!(events.len(), 4);
    assert!(by_source_uid(&events, REMOVED).listed);
}

#[tokio::test]
async fn an_empty_calendar_does_not_unlist_anything() {
    let h = harness_at("2026-04-01T12:00:00Z");
    let server = MockServer::start().await;
    Mock::given(path("/cal.ics"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            fixture("ics/cancelled-upstream-before.ics"),
            "text/calendar",
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/cal.ics"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"),
        )
        .mount(&server)
        .await;
    h.add(source(
        "cal",
        Location::Url(format!("{}/cal.ics", server.uri()).parse().unwrap()),
        Some(SourceKind::Ical),
    ));
    for _ in 0..=MISSING_FETCHES_BEFORE_UNLISTED {
        h.refresh("cal").await;
    }
    assert!(
        h.events().iter().all(|e| e.listed),
        "an emptied calendar is more likely broken than cleared"
    );
}
