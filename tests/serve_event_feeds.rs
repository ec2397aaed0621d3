//! The events as feeds (`/events.rss`, `/events.atom`, `/events.json`), served by the
//! real server from real refreshes of calendar fixtures, and read back by parsers that
//! share no code with the writers: feed-rs for all three, the `rss` crate's reader for
//! RSS and `atom_syndication`'s for Atom. Compared with the store entry by entry (ids,
//! order, links, enclosures, updated times); filters, the window, 304s, and an entry's
//! updated time moving when its event changes.

mod common;

use bulletin::model::{Location, SourceKind};
use bulletin::store::{EventFilter, StoredEvent};
use reqwest::StatusCode;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{Harness, Site, fixture, source, test_context, test_fetch_settings};

const NOW: &str = "2026-01-01T00:00:00Z";

struct Running {
    harness: Harness,
    site: Site,
    _upstream: MockServer,
}

async fn start() -> Running {
    let mut context = test_context();
    context.clock = bulletin::clock::Clock::fixed(NOW.parse().unwrap());
    context.events.window_past_days = 0;
    context.events.window_future_days = 729;
    let harness = Harness::with(test_fetch_settings(), context);
    let upstream = MockServer::start().await;
    for (id, file, department) in [
        ("outlook", "ics/outlook-export.ics", "Health Canada"),
        ("google", "ics/google-export.ics", "Statistics Canada"),
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
        s.timezone = Some("America/Toronto".parse().unwrap());
        harness.add(s);
        harness.refresh(id).await;
    }
    let site = Site::start_with(&harness.store, |state| {
        state.clock = bulletin::clock::Clock::fixed(NOW.parse().unwrap());
    });
    Running {
        harness,
        site,
        _upstream: upstream,
    }
}

/// What the store says the default feed holds: events not over at NOW, soonest first.
fn upcoming(app: &Running, departments: &[&str]) -> Vec<StoredEvent> {
    let filter = EventFilter {
        from: Some(NOW.parse().unwrap()),
        departments: departments.iter().map(|d| d.to_string()).collect(),
        limit: 100_000,
        ..Default::default()
    };
    app.harness.store.events(&filter).unwrap()
}

fn ids(stored: &[StoredEvent]) -> Vec<String> {
    stored
        .iter()
        .map(|e| format!("urn:bulletin:event:{}", e.uid))
        .collect()
}

async fn body(app: &Running, path: &str) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let response = app.site.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let headers = response.headers().clone();
    (headers, response.bytes().await.unwrap().to_vec())
}

#[actix_web::test]
async fn every_format_reads_back_and_matches_the_store() {
    let app = start().await;
    let stored = upcoming(&app, &[]);
    assert!(stored.len() > 10, "fixtures give upcoming events");
    let expected = ids(&stored);
    for (path, content_type) in [
        ("/events.rss", "application/rss+xml; charset=utf-8"),
        ("/events.atom", "application/atom+xml; charset=utf-8"),
        ("/events.json", "application/feed+json; charset=utf-8"),
    ] {
        let (headers, bytes) = body(&app, path).await;
        assert_eq!(headers["content-type"], content_type);
        let feed = feed_rs::parser::parse(bytes.as_slice()).expect(path);
        let got: Vec<String> = feed.entries.iter().map(|e| e.id.clone()).collect();
        assert_eq!(got, expected, "{path}: every upcoming event, by start");
        for (entry, event) in feed.entries.iter().zip(&stored) {
            let page = format!("{}/events/{}?lang=en", app.site.base, event.uid);
            assert!(
                entry.links.iter().any(|l| l.href == page),
                "{path}: {:?}",
                entry.links
            );
            let title = &entry.title.as_ref().unwrap().content;
            assert!(title.contains(event.event.title.trim()), "{title}");
            assert!(title.contains(" — "), "{title}: the date follows");
        }
    }

    // RSS, as the `rss` crate reads it: guid, enclosure, date.
    let (_, bytes) = body(&app, "/events.rss").await;
    let channel = rss::Channel::read_from(bytes.as_slice()).unwrap();
    for (item, event) in channel.items().iter().zip(&stored) {
        let guid = item.guid().unwrap();
        assert!(!guid.is_permalink());
        assert_eq!(guid.value(), format!("urn:bulletin:event:{}", event.uid));
        let enclosure = item.enclosure().unwrap();
        assert_eq!(enclosure.mime_type(), "text/calendar");
        assert_eq!(
            enclosure.url(),
            format!("{}/events/{}.ics", app.site.base, event.uid)
        );
    }
    // Atom, as `atom_syndication` reads it: updated is the event's last change.
    let (_, bytes) = body(&app, "/events.atom").await;
    let feed = atom_syndication::Feed::read_from(bytes.as_slice()).unwrap();
    for (entry, event) in feed.entries().iter().zip(&stored) {
        assert_eq!(entry.updated().to_utc(), event.changed);
        assert!(
            entry
                .links()
                .iter()
                .any(|l| l.rel() == "enclosure" && l.href().ends_with(".ics"))
        );
    }
    // The enclosure serves the event's calendar.
    let first = &stored[0];
    let ics = app.site.get(&format!("/events/{}.ics", first.uid)).await;
    assert_eq!(ics.status(), StatusCode::OK);
}

#[actix_web::test]
async fn filters_language_window_and_validators() {
    let app = start().await;
    let health = upcoming(&app, &["Health Canada"]);
    assert!(!health.is_empty());
    let (_, bytes) = body(&app, "/events.json?department=Health%20Canada").await;
    let feed = feed_rs::parser::parse(bytes.as_slice()).unwrap();
    let got: Vec<String> = feed.entries.iter().map(|e| e.id.clone()).collect();
    assert_eq!(got, ids(&health));
    let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert!(
        value["title"]
            .as_str()
            .unwrap()
            .contains("department: Health Canada"),
        "{}",
        value["title"]
    );

    // A window the client chose.
    let (_, bytes) = body(
        &app,
        "/events.atom?from=2026-10-01&to=2026-11-01&source=outlook",
    )
    .await;
    let feed = feed_rs::parser::parse(bytes.as_slice()).unwrap();
    assert_eq!(feed.entries.len(), 2);
    assert_eq!(
        app.site.get("/events.rss?from=someday").await.status(),
        StatusCode::BAD_REQUEST
    );

    // French: dates written in French.
    let (_, bytes) = body(&app, "/events.rss?lang=fr").await;
    let feed = feed_rs::parser::parse(bytes.as_slice()).unwrap();
    let title = &feed.entries[0].title.as_ref().unwrap().content;
    assert!(
        [
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre"
        ]
        .iter()
        .any(|m| title.contains(m)),
        "{title}"
    );
    assert_eq!(feed.language.as_deref(), Some("fr"));

    // Validators and 304.
    let url = format!("{}/events.rss", app.site.base);
    let first = app.site.client.get(&url).send().await.unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    assert!(first.headers().contains_key("last-modified"));
    assert_eq!(first.headers()["cache-control"], "public, max-age=300");
    let again = app
        .site
        .client
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let head = app.site.client.head(&url).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
}

#[actix_web::test]
async fn a_changed_event_has_a_new_updated_time_and_the_same_id() {
    let app = start().await;
    let upstream = MockServer::start().await;
    let calendar = |summary: &str| {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nBEGIN:VEVENT\r\n\
             UID:changing-1\r\nDTSTAMP:20251201T000000Z\r\nDTSTART:20260301T170000Z\r\n\
             DTEND:20260301T180000Z\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    };
    Mock::given(path("/changing.ics"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(calendar("Data day"), "text/calendar"),
        )
        .up_to_n_times(1)
        .mount(&upstream)
        .await;
    let s = source(
        "changing",
        Location::Url(format!("{}/changing.ics", upstream.uri()).parse().unwrap()),
        Some(SourceKind::Ical),
    );
    app.harness.add(s);
    app.harness.refresh("changing").await;
    let find = |bytes: &[u8]| {
        let feed = feed_rs::parser::parse(bytes).unwrap();
        feed.entries
            .into_iter()
            .find(|e| {
                e.title
                    .as_ref()
                    .is_some_and(|t| t.content.starts_with("Data day"))
            })
            .expect("the event is in the feed")
    };
    let before = find(&body(&app, "/events.atom?source=changing").await.1);
    Mock::given(path("/changing.ics"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(calendar("Data day (room 3)"), "text/calendar"),
        )
        .mount(&upstream)
        .await;
    // The store's change time is the refresh's clock: refresh a day later.
    let mut later = test_context();
    later.clock = bulletin::clock::Clock::fixed("2026-01-02T00:00:00Z".parse().unwrap());
    later.events.window_past_days = 0;
    later.events.window_future_days = 729;
    let fetcher = bulletin::fetch::Fetcher::new(test_fetch_settings()).unwrap();
    let refresher = bulletin::refresh::Refresher::new(fetcher, app.harness.store.clone(), later);
    let (source, state) = app.harness.store.source("changing").unwrap();
    refresher.refresh_source(&source, &state).await.unwrap();
    let after = find(&body(&app, "/events.atom?source=changing").await.1);
    assert_eq!(before.id, after.id, "the id never changes");
    assert!(
        after.updated > before.updated,
        "{:?} {:?}",
        before.updated,
        after.updated
    );
    assert!(
        after
            .title
            .unwrap()
            .content
            .starts_with("Data day (room 3)")
    );
}

#[actix_web::test]
async fn the_listing_links_the_feeds() {
    let app = start().await;
    let page = app
        .site
        .get("/?lang=en&tag=outlook-tag")
        .await
        .text()
        .await
        .unwrap();
    for (kind, path) in [
        (
            "application/rss+xml",
            "/events.rss?tag=outlook-tag&#38;lang=en",
        ),
        (
            "application/atom+xml",
            "/events.atom?tag=outlook-tag&#38;lang=en",
        ),
        (
            "application/feed+json",
            "/events.json?tag=outlook-tag&#38;lang=en",
        ),
    ] {
        let link = format!("<link rel=\"alternate\" type=\"{kind}\"");
        assert!(page.contains(&link), "{kind}");
        assert!(page.contains(path), "{path} in\n{page}");
    }
}
