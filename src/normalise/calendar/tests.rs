//! Unit tests of calendar normalising: series across clock changes, overrides, windows.

use super::*;
use crate::extract::ical;

fn events_from_calendar_for_test(
    context: &CalendarSource<'_>,
    document: &CalendarDocument,
) -> CalendarEvents {
    events_from_calendar(context, document, &mut Budget::unlimited())
}

fn context(window_from: &str, window_to: &str) -> CalendarSource<'static> {
    CalendarSource {
        source_id: "cal",
        source_zone: Some(chrono_tz::America::Toronto),
        display_zone: chrono_tz::America::Toronto,
        window: Window {
            from: window_from.parse().unwrap(),
            to: window_to.parse().unwrap(),
            max_occurrences: 500,
        },
    }
}

fn calendar(body: &str) -> CalendarDocument {
    ical::parse(&format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{body}END:VCALENDAR\r\n"
    ))
    .unwrap()
}

#[test]
fn a_weekly_series_keeps_its_local_time_across_the_dst_change() {
    let doc = calendar(
        "BEGIN:VEVENT\r\nUID:s1\r\nSUMMARY:CoP\r\nDTSTART;TZID=Eastern Standard Time:20261022T120000\r\nDTEND;TZID=Eastern Standard Time:20261022T130000\r\nRRULE:FREQ=WEEKLY;COUNT=3;BYDAY=TH\r\nEND:VEVENT\r\n",
    );
    let out = events_from_calendar_for_test(
        &context("2026-01-01T00:00:00Z", "2027-12-31T00:00:00Z"),
        &doc,
    );
    let starts: Vec<String> = out.events.iter().map(|e| e.start.to_text()).collect();
    assert_eq!(
        starts,
        [
            "2026-10-22T16:00:00Z",
            "2026-10-29T16:00:00Z",
            "2026-11-05T17:00:00Z"
        ]
    );
    assert_eq!(out.events[2].end.unwrap().to_text(), "2026-11-05T18:00:00Z");
    assert_eq!(out.events[2].uid, "s1/2026-11-05T17:00:00Z");
    assert_eq!(out.events[0].timezone.as_deref(), Some("America/Toronto"));
}

#[test]
fn exdates_overrides_and_cancelled_occurrences() {
    let doc = calendar(concat!(
        "BEGIN:VEVENT\r\nUID:m\r\nSUMMARY:Monthly\r\nDTSTART;TZID=America/Toronto:20260909T130000\r\nDTEND;TZID=America/Toronto:20260909T140000\r\n",
        "RRULE:FREQ=MONTHLY;BYDAY=2WE;UNTIL=20261231T235959\r\nEXDATE;TZID=America/Toronto:20261209T130000\r\nEND:VEVENT\r\n",
        "BEGIN:VEVENT\r\nUID:m\r\nRECURRENCE-ID;TZID=America/Toronto:20261111T130000\r\nSUMMARY:Monthly (moved)\r\nDTSTART;TZID=America/Toronto:20261112T150000\r\nDTEND;TZID=America/Toronto:20261112T160000\r\nEND:VEVENT\r\n",
        "BEGIN:VEVENT\r\nUID:m\r\nRECURRENCE-ID;TZID=America/Toronto:20261014T130000\r\nSUMMARY:Monthly\r\nSTATUS:CANCELLED\r\nDTSTART;TZID=America/Toronto:20261014T130000\r\nEND:VEVENT\r\n",
    ));
    let out = events_from_calendar_for_test(
        &context("2026-01-01T00:00:00Z", "2027-12-31T00:00:00Z"),
        &doc,
    );
    let summary: Vec<(String, String, EventStatus)> = out
        .events
        .iter()
        .map(|e| (e.uid.clone(), e.start.to_text(), e.status))
        .collect();
    assert_eq!(
        summary,
        [
            (
                "m/2026-09-09T17:00:00Z".to_string(),
                "2026-09-09T17:00:00Z".to_string(),
                EventStatus::Confirmed
            ),
            (
                "m/2026-10-14T17:00:00Z".to_string(),
                "2026-10-14T17:00:00Z".to_string(),
                EventStatus::Cancelled
            ),
            (
                "m/2026-11-11T18:00:00Z".to_string(),
                "2026-11-12T20:00:00Z".to_string(),
                EventStatus::Confirmed
            ),
        ]
    );
    assert_eq!(out.events[2].title, "Monthly (moved)");
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
}

#[test]
fn the_window_bounds_an_endless_series() {
    let doc = calendar(
        "BEGIN:VEVENT\r\nUID:d\r\nSUMMARY:Daily\r\nDTSTART:20260101T140000Z\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\n",
    );
    let out = events_from_calendar_for_test(
        &context("2026-03-01T00:00:00Z", "2026-03-11T00:00:00Z"),
        &doc,
    );
    assert_eq!(out.events.len(), 10);
    assert_eq!(out.events[0].start.to_text(), "2026-03-01T14:00:00Z");
}

#[test]
fn all_day_durations_floating_times_and_outlook_cancellations() {
    let doc = calendar(concat!(
        "BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Holiday\r\nDTSTART;VALUE=DATE:20261211\r\nEND:VEVENT\r\n",
        "BEGIN:VEVENT\r\nUID:b\r\nSUMMARY:Talk\r\nDTSTART:20260312T120000\r\nDURATION:PT1H30M\r\nEND:VEVENT\r\n",
        "BEGIN:VEVENT\r\nUID:c\r\nSUMMARY:Canceled: Team social\r\nDTSTART:20260312T220000Z\r\nEND:VEVENT\r\n",
    ));
    let out = events_from_calendar_for_test(
        &context("2026-01-01T00:00:00Z", "2027-12-31T00:00:00Z"),
        &doc,
    );
    assert_eq!(out.events[0].start.to_text(), "2026-12-11");
    assert_eq!(out.events[0].end.unwrap().to_text(), "2026-12-12");
    assert!(out.events[0].all_day());
    assert_eq!(
        out.events[1].start.to_text(),
        "2026-03-12T16:00:00Z",
        "floating read in the source's zone (EDT)"
    );
    assert_eq!(out.events[1].end.unwrap().to_text(), "2026-03-12T17:30:00Z");
    assert_eq!(
        (out.events[2].title.as_str(), out.events[2].status),
        ("Team social", EventStatus::Cancelled)
    );
}
