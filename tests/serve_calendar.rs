//! The merged calendar as Outlook, Google, Apple and Thunderbird fetch it: the real server
//! on a loopback port, fed by real refreshes of the calendar fixtures, and every served
//! calendar read back by the `ical` crate — a parser that shares no code with the writer —
//! and compared event by event with the store: UID, start, end, all-day-ness, status, text.

mod common;

use std::collections::{HashMap, HashSet};

use bulletin::model::{EventStatus, EventTime, Location, SourceKind};
use bulletin::store::StoredEvent;
use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use reqwest::StatusCode;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{Harness, Site, fixture, ical_unescape, source, test_context, test_fetch_settings};

struct Running {
    harness: Harness,
    site: Site,
    upstream: MockServer,
}

/// Outlook, Google and London calendars from three departments, served on port 0.
async fn start() -> Running {
    let mut context = test_context();
    context.clock = bulletin::clock::Clock::fixed("2026-01-01T00:00:00Z".parse().unwrap());
    context.events.window_past_days = 0;
    context.events.window_future_days = 729;
    let harness = Harness::with(test_fetch_settings(), context);
    let upstream = MockServer::start().await;
    for (id, file, department, zone) in [
        (
            "outlook",
            "ics/outlook-export.ics",
            "Health Canada",
            "America/Toronto",
        ),
        (
            "google",
            "ics/google-export.ics",
            "Statistics Canada",
            "America/Toronto",
        ),
        (
            "london",
            "ics/dst-europe.ics",
            "Office for National Statistics",
            "Europe/London",
        ),
    ] {
        Mock::given(path(format!("/{id}.ics")))
            .respond_with(ResponseTemplate::new(200).set_body_raw(fixture(file), "text/calendar"))
            .mount(&upstream)
            .await;
        let mut s = source(
            id,
            Location::Url(format!("{}/{id}.ics", upstream.uri()).parse().unwrap()),
            Some(SourceKind::Ical),
        );
        s.department = department.into();
        s.tags = vec![format!("{id}-tag")];
        s.timezone = Some(zone.parse().unwrap());
        harness.add(s);
        harness.refresh(id).await;
    }
    let site = Site::start(&harness.store);
    Running {
        harness,
        site,
        upstream,
    }
}

impl Running {
    async fn get(&self, path: &str) -> reqwest::Response {
        self.site.get(path).await
    }
}

type Props = HashMap<String, (Vec<(String, Vec<String>)>, String)>;

fn props(properties: &[ical::property::Property]) -> Props {
    properties
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                (
                    p.params.clone().unwrap_or_default(),
                    p.value.clone().unwrap_or_default(),
                ),
            )
        })
        .collect()
}

fn param<'a>(props: &'a Props, name: &str, key: &str) -> Option<&'a str> {
    props
        .get(name)?
        .0
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.first())
        .map(String::as_str)
}

/// A DTSTART/DTEND read back as an EventTime, through its TZID.
fn time(props: &Props, name: &str) -> Option<EventTime> {
    let (_, value) = props.get(name)?;
    if param(props, name, "VALUE") == Some("DATE") {
        return Some(EventTime::Date(
            NaiveDate::parse_from_str(value, "%Y%m%d").unwrap(),
        ));
    }
    if let Some(utc) = value.strip_suffix('Z') {
        return Some(EventTime::At(
            NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S")
                .unwrap()
                .and_utc(),
        ));
    }
    let zone: chrono_tz::Tz = param(props, name, "TZID")
        .expect("local times carry a TZID")
        .parse()
        .unwrap();
    let local = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S").unwrap();
    Some(EventTime::At(
        zone.from_local_datetime(&local)
            .earliest()
            .unwrap()
            .with_timezone(&Utc),
    ))
}

fn parse(text: &str) -> ical::parser::ical::component::IcalCalendar {
    let mut calendars = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()));
    let calendar = calendars
        .next()
        .expect("one calendar")
        .expect("the ical crate reads our calendar");
    assert!(calendars.next().is_none());
    calendar
}

/// Every served line: CRLF, at most 75 octets, valid UTF-8 (the body is a String).
fn assert_lines(text: &str) {
    assert!(text.ends_with("\r\n"));
    for line in text.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
        assert!(!line.contains('\n') && !line.contains('\r'));
    }
}

fn compare_with_store(text: &str, stored: &[StoredEvent]) {
    assert_lines(text);
    let calendar = parse(text);
    let calendar_props = props(&calendar.properties);
    assert_eq!(calendar_props["VERSION"].1, "2.0");
    assert_eq!(calendar_props["METHOD"].1, "PUBLISH");
    assert_eq!(calendar_props["CALSCALE"].1, "GREGORIAN");
    assert_eq!(calendar_props["X-PUBLISHED-TTL"].1, "PT1H");
    assert_eq!(calendar_props["REFRESH-INTERVAL"].1, "PT1H");
    assert_eq!(calendar_props["X-WR-TIMEZONE"].1, "America/Toronto");
    let defined: HashSet<String> = calendar
        .timezones
        .iter()
        .map(|z| props(&z.properties)["TZID"].1.clone())
        .collect();
    let by_uid: HashMap<String, &StoredEvent> = stored
        .iter()
        .map(|e| (format!("{}@bulletin", e.uid), e))
        .collect();
    assert_eq!(
        calendar.events.len(),
        stored.len(),
        "one VEVENT per stored event"
    );
    for vevent in &calendar.events {
        let p = props(&vevent.properties);
        let uid = &p["UID"].1;
        let event = by_uid
            .get(uid)
            .unwrap_or_else(|| panic!("unknown UID {uid}"));
        let e = &event.event;
        assert_eq!(time(&p, "DTSTART"), Some(e.start), "{uid}: start");
        assert_eq!(time(&p, "DTEND"), e.end, "{uid}: end");
        assert_eq!(
            param(&p, "DTSTART", "VALUE") == Some("DATE"),
            e.all_day(),
            "{uid}: all-day"
        );
        for name in ["DTSTART", "DTEND"] {
            if let Some(zone) = param(&p, name, "TZID") {
                assert!(defined.contains(zone), "{uid}: {zone} has a VTIMEZONE");
            }
        }
        // Events that are not on say so before their title, for clients that ignore STATUS.
        let prefix = match (event.listed, e.status) {
            (_, EventStatus::Cancelled) => "Cancelled: ",
            (_, EventStatus::Postponed) => "Postponed: ",
            (false, _) => "No longer listed: ",
            _ => "",
        };
        let summary = ical_unescape(&p["SUMMARY"].1);
        assert!(
            summary == format!("{prefix}{}", e.title) || (summary == e.title && !prefix.is_empty()),
            "{uid}: summary {summary:?} for {:?}",
            e.title
        );
        let status = match (event.listed, e.status) {
            (false, _) | (_, EventStatus::Cancelled) => "CANCELLED",
            (_, EventStatus::Tentative | EventStatus::Postponed) => "TENTATIVE",
            _ => "CONFIRMED",
        };
        assert_eq!(p["STATUS"].1, status, "{uid}: status");
        assert_eq!(p["SEQUENCE"].1, event.revision.to_string());
        assert!(
            p.contains_key("DTSTAMP")
                && p.contains_key("LAST-MODIFIED")
                && p.contains_key("CREATED")
        );
        let description = ical_unescape(&p["DESCRIPTION"].1);
        if let Some(text) = &e.description_text {
            // HTML (Google writes it into DESCRIPTION) is given as its plain text.
            use bulletin::render::html::description::{looks_like_html, plain_text};
            let text = match looks_like_html(text) {
                true => plain_text(text).expect("readable"),
                false => text.clone(),
            };
            assert!(
                description.contains(text.as_str()),
                "{uid}: description keeps the text"
            );
            assert!(!description.contains("<br>"), "{uid}: no raw tags");
        }
        assert!(
            description.contains(&event.sources[0].source_name),
            "{uid}: names its source"
        );
    }
}

fn stored(app: &Running) -> Vec<StoredEvent> {
    let filter = bulletin::store::EventFilter {
        from: Some("2026-01-01T00:00:00Z".parse().unwrap()),
        limit: 100_000,
        ..Default::default()
    };
    app.harness.store.events(&filter).unwrap()
}

#[actix_web::test]
async fn the_merged_calendar_reads_back_event_by_event() {
    let app = start().await;
    let response = app.get("/events.ics?from=2026-01-01").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    assert_eq!(
        response.headers()["content-disposition"],
        "inline; filename=\"bulletin-events.ics\""
    );
    let text = response.text().await.unwrap();
    let stored = stored(&app);
    assert_eq!(
        stored.len(),
        9 + 11 + 6,
        "outlook + google + london occurrences"
    );
    compare_with_store(&text, &stored);
    // Two zones in use, each defined once.
    let calendar = parse(&text);
    let zones: Vec<String> = calendar
        .timezones
        .iter()
        .map(|z| props(&z.properties)["TZID"].1.clone())
        .collect();
    assert_eq!(
        zones,
        ["America/Los_Angeles", "America/Toronto", "Europe/London"]
    );
}

#[actix_web::test]
async fn filters_select_events_and_name_the_calendar() {
    let app = start().await;
    let count = |text: &str| parse(text).events.len();
    let cases = [
        ("/events.ics?from=2026-01-01&department=Health%20Canada", 9),
        (
            "/events.ics?from=2026-01-01&source=google&source=london",
            17,
        ),
        ("/events.ics?from=2026-01-01&tag=london-tag", 6),
        ("/events.ics?from=2026-01-01&q=census", 4),
        (
            "/events.ics?from=2026-10-01&to=2026-11-01&source=outlook",
            2,
        ),
    ];
    for (path, expected) in cases {
        let text = app.get(path).await.text().await.unwrap();
        assert_eq!(count(&text), expected, "{path}");
        assert_lines(&text);
    }
    let named = app
        .get("/events.ics?department=Health%20Canada")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        named.contains("X-WR-CALNAME:Bulletin — events (department: Health Canada)"),
        "{named}"
    );
    assert_eq!(
        app.get("/events.ics?from=someday").await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[actix_web::test]
async fn the_window_keeps_the_recent_past_by_default() {
    let app = start().await;
    // Real "now" is after most fixture events: only those ending within the last 30 days
    // or later are served.
    let text = app.get("/events.ics").await.text().await.unwrap();
    let cutoff = Utc::now() - chrono::Duration::days(30);
    let expected = stored(&app)
        .into_iter()
        .filter(|e| {
            e.event
                .end
                .unwrap_or(e.event.start)
                .instant(chrono_tz::America::Toronto)
                .max(e.event.start.instant(chrono_tz::America::Toronto))
                >= cutoff
        })
        .count();
    assert_eq!(parse(&text).events.len(), expected);
}

#[actix_web::test]
async fn http_validators_compression_head_and_single_events() {
    let app = start().await;
    let url = format!("{}/events.ics?from=2026-01-01", app.site.base);
    let first = app.site.client.get(&url).send().await.unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    assert!(first.headers().contains_key("last-modified"));
    let body = first.bytes().await.unwrap();
    let again = app
        .site
        .client
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let plain = app.site.client.get(&url).send().await.unwrap();
    assert!(
        plain.headers().get("content-encoding").is_none(),
        "never compressed unasked (Outlook)"
    );
    let zipped = app
        .site
        .client
        .get(&url)
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    let mut decoded = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(zipped.bytes().await.unwrap().as_ref()),
        &mut decoded,
    )
    .unwrap();
    assert_eq!(decoded, body.to_vec(), "compressed once");
    let head = app.site.client.head(&url).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert!(head.bytes().await.unwrap().is_empty());

    let one = &stored(&app)[0];
    let single = app.get(&format!("/events/{}.ics", one.uid)).await;
    assert_eq!(single.status(), StatusCode::OK);
    let text = single.text().await.unwrap();
    compare_with_store(&text, std::slice::from_ref(one));
    assert_eq!(
        app.get("/events/nope.ics").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/events/../secret.ics").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn upstream_changes_raise_sequence_and_cancellations_stay_in_the_feed() {
    let app = start().await;
    Mock::given(path("/changing.ics"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            fixture("ics/cancelled-upstream-before.ics"),
            "text/calendar",
        ))
        .up_to_n_times(1)
        .mount(&app.upstream)
        .await;
    Mock::given(path("/changing.ics"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("ics/cancelled-upstream-after.ics"), "text/calendar"),
        )
        .mount(&app.upstream)
        .await;
    let mut s = source(
        "changing",
        Location::Url(
            format!("{}/changing.ics", app.upstream.uri())
                .parse()
                .unwrap(),
        ),
        Some(SourceKind::Ical),
    );
    s.timezone = Some(chrono_tz::America::Toronto);
    app.harness.add(s);
    app.harness.refresh("changing").await;
    let sequence_of = |text: &str, title: &str| -> (String, String, String) {
        let calendar = parse(text);
        let event = calendar
            .events
            .iter()
            .map(|e| props(&e.properties))
            // A cancelled event's title opens with "Cancelled: ".
            .find(|p| ical_unescape(&p["SUMMARY"].1).ends_with(title))
            .unwrap_or_else(|| panic!("{title} not served"));
        (
            event["UID"].1.clone(),
            event["SEQUENCE"].1.clone(),
            event["STATUS"].1.clone(),
        )
    };
    let before = app
        .get("/events.ics?from=2026-01-01&source=changing")
        .await
        .text()
        .await
        .unwrap();
    let (uid, sequence, status) = sequence_of(&before, "Open data lunch and learn");
    assert_eq!((sequence.as_str(), status.as_str()), ("0", "CONFIRMED"));
    let (moved_uid, moved_sequence, _) = sequence_of(&before, "Plain language workshop");
    assert_eq!(moved_sequence, "0");

    app.harness.refresh("changing").await;
    let after = app
        .get("/events.ics?from=2026-01-01&source=changing")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        sequence_of(&after, "Open data lunch and learn"),
        (uid, "1".into(), "CANCELLED".into())
    );
    assert!(
        after.contains("SUMMARY:Cancelled: Open data lunch and learn\r\n"),
        "the title says it too, for clients that ignore STATUS"
    );
    let (uid_after, sequence_after, _) = sequence_of(&after, "Plain language workshop");
    assert_eq!(
        (uid_after, sequence_after.as_str()),
        (moved_uid, "1"),
        "same UID, higher SEQUENCE"
    );
    assert!(
        after.contains("DTSTART;TZID=America/Toronto:20260514T100000"),
        "the new time"
    );
}
