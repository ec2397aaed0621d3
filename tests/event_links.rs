//! Links followed within bounds: an events listing without times completed from each
//! event's own page, and iCalendar files attached to feed entries.

mod common;

use bulletin::model::{FetchOutcome, Location, Selectors, SourceKind};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{Harness, fixture, source, test_context, test_fetch_settings};

fn harness() -> Harness {
    let mut context = test_context();
    context.clock = bulletin::clock::Clock::fixed("2026-10-01T12:00:00Z".parse().unwrap());
    Harness::with(test_fetch_settings(), context)
}

const LISTING: &str = r#"<!doctype html><html lang="en"><body><main><h1>Upcoming events</h1>
<ul class="events">
  <li class="event"><h3><a href="/en/events/town-hall.html">Deputy minister town hall</a></h3><p class="when">Date to be confirmed</p></li>
  <li class="event"><h3><a href="/en/events/missing.html">Wellness fair</a></h3></li>
  <li class="event"><h3><a href="https://elsewhere.example.org/e.html">Partner event</a></h3></li>
</ul></main></body></html>"#;

const DETAIL: &str = r#"<!doctype html><html lang="en"><head>
<script type="application/ld+json">{"@context":"https://schema.org","@type":"Event","name":"Deputy minister town hall (all staff)",
 "startDate":"2026-12-01T14:00:00-05:00","endDate":"2026-12-01T15:30:00-05:00",
 "location":{"@type":"Place","name":"Main auditorium","address":"90 Elgin Street, Ottawa"}}</script></head>
<body><h1>Deputy minister town hall</h1></body></html>"#;

#[tokio::test]
async fn a_listing_without_times_is_completed_from_detail_pages() {
    let server = MockServer::start().await;
    Mock::given(path("/en/events.html"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(LISTING, "text/html"))
        .mount(&server)
        .await;
    Mock::given(path("/en/events/town-hall.html"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(DETAIL, "text/html"))
        .mount(&server)
        .await;
    Mock::given(path("/en/events/missing.html"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let h = harness();
    let mut s = source(
        "dept",
        Location::Url(format!("{}/en/events.html", server.uri()).parse().unwrap()),
        Some(SourceKind::Html),
    );
    s.selectors = Some(Selectors {
        item: "li.event".into(),
        title: Some("h3".into()),
        start: Some(".when".into()),
        link: Some("h3 a@href".into()),
        ..Selectors::default()
    });
    h.add(s);
    let record = h.refresh("dept").await;
    assert_eq!(record.outcome, FetchOutcome::Ok);
    let events = h.events();
    assert_eq!(events.len(), 1, "{:?}", record.warnings);
    let e = &events[0].event;
    assert_eq!(e.title, "Deputy minister town hall");
    assert_eq!(e.start.to_text(), "2026-12-01T19:00:00Z");
    assert_eq!(e.end.unwrap().to_text(), "2026-12-01T20:30:00Z");
    assert_eq!(e.location_name.as_deref(), Some("Main auditorium"));
    let warnings = record.warnings.unwrap();
    assert!(warnings.contains("“Wellness fair”"), "{warnings}");
    assert!(warnings.contains("“Partner event”"), "{warnings}");
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests
            .iter()
            .all(|r| !r.url.as_str().contains("elsewhere")),
        "other sites are not followed"
    );
}

#[tokio::test]
async fn calendar_attachments_in_a_feed_become_events() {
    let server = MockServer::start().await;
    let feed = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Community news</title><link>{0}/</link><description>News</description>
<item><title>Join our December data meetup</title><link>{0}/news/december-meetup/</link><guid>{0}/news/december-meetup/</guid>
<pubDate>Mon, 02 Nov 2026 14:00:00 +0000</pubDate><description>Add it to your calendar.</description>
<enclosure url="{0}/news/december-meetup/event.ics" length="900" type="text/calendar"/></item></channel></rss>"#,
        server.uri()
    );
    Mock::given(path("/feed.xml"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(feed, "application/rss+xml"))
        .mount(&server)
        .await;
    Mock::given(path("/news/december-meetup/event.ics"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            fixture("ics/cancelled-upstream-before.ics"),
            "text/calendar",
        ))
        .mount(&server)
        .await;
    let h = harness();
    h.add(source(
        "news",
        Location::Url(format!("{}/feed.xml", server.uri()).parse().unwrap()),
        None,
    ));
    let record = h.refresh("news").await;
    assert_eq!(record.outcome, FetchOutcome::Ok, "{record:?}");
    assert_eq!(h.posts("news").len(), 1, "the entry is still a post");
    assert_eq!(h.events().len(), 4, "and its calendar's events are events");
    assert_eq!(record.items_found, 5);
}

#[tokio::test]
async fn entries_linking_to_event_pages_become_events_when_the_source_asks() {
    let server = MockServer::start().await;
    let feed = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Events blog</title><link>{0}/</link><description>Events</description>
<item><title>Town hall with the deputy minister</title><link>{0}/en/events/town-hall.html</link><guid>{0}/en/events/town-hall.html</guid><pubDate>Mon, 02 Nov 2026 14:00:00 +0000</pubDate></item>
</channel></rss>"#,
        server.uri()
    );
    Mock::given(path("/feed.xml"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(feed, "application/rss+xml"))
        .mount(&server)
        .await;
    Mock::given(path("/en/events/town-hall.html"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(DETAIL, "text/html"))
        .mount(&server)
        .await;
    let h = harness();
    let url = format!("{}/feed.xml", server.uri());
    h.add(source("plain", Location::Url(url.parse().unwrap()), None));
    h.refresh("plain").await;
    assert!(h.events().is_empty(), "off by default");
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "no page fetched"
    );

    let mut asking = source("events-blog", Location::Url(url.parse().unwrap()), None);
    asking.events_from_links = true;
    h.add(asking);
    let record = h.refresh("events-blog").await;
    assert_eq!(record.outcome, FetchOutcome::Ok, "{record:?}");
    let events = h.events();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].event.title,
        "Deputy minister town hall (all staff)"
    );
    assert_eq!(events[0].event.start.to_text(), "2026-12-01T19:00:00Z");
    assert_eq!(h.posts("events-blog").len(), 1, "the entry is still a post");
}

#[tokio::test]
async fn an_override_in_another_attachment_meets_its_series() {
    // A feed whose entries carry two calendars: the weekly series in one, a moved and
    // renamed occurrence (same UID, RECURRENCE-ID, higher SEQUENCE) in the other.
    let server = MockServer::start().await;
    let feed = format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Team</title><link>{base}/</link>
        <item><guid>series</guid><title>CoP</title><link>{base}/cop</link>
          <enclosure url="{base}/series.ics" type="text/calendar" length="0"/></item>
        <item><guid>change</guid><title>CoP moved</title><link>{base}/cop-moved</link>
          <enclosure url="{base}/change.ics" type="text/calendar" length="0"/></item>
        </channel></rss>"#,
        base = server.uri()
    );
    let series = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:cop@team\r\nSEQUENCE:0\r\nSUMMARY:CoP\r\nDTSTART;TZID=America/Toronto:20261105T120000\r\nDTEND;TZID=America/Toronto:20261105T130000\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let change = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:cop@team\r\nSEQUENCE:1\r\nRECURRENCE-ID;TZID=America/Toronto:20261112T120000\r\nSUMMARY:CoP (moved to Friday)\r\nDTSTART;TZID=America/Toronto:20261113T120000\r\nDTEND;TZID=America/Toronto:20261113T130000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    for (at, body, kind) in [
        ("/feed", feed.as_str(), "application/rss+xml"),
        ("/series.ics", series, "text/calendar"),
        ("/change.ics", change, "text/calendar"),
    ] {
        Mock::given(path(at))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body.to_string(), kind))
            .mount(&server)
            .await;
    }
    let h = harness();
    h.add_source("team", &format!("{}/feed", server.uri()));
    let record = h.refresh("team").await;
    assert_eq!(record.outcome, FetchOutcome::Ok, "{record:?}");
    let mut events: Vec<(String, String)> = h
        .events()
        .into_iter()
        .map(|e| (e.event.start.to_text(), e.event.title))
        .collect();
    events.sort();
    assert_eq!(
        events,
        [
            ("2026-11-05T17:00:00Z".to_string(), "CoP".to_string()),
            (
                "2026-11-13T17:00:00Z".to_string(),
                "CoP (moved to Friday)".to_string()
            ),
            ("2026-11-19T17:00:00Z".to_string(), "CoP".to_string()),
        ]
    );
}
