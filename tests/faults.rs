//! The fault suite: a hostile source server on 127.0.0.1 and documents built to hurt.
//! Each case asserts that nothing crashes, that the work stays bounded (processor time of
//! the thread that reads the document, not wall time), that the source's health line
//! says what happened in words, and that nothing stored before is lost.

mod common;

use std::time::Duration;

use bulletin::budget::Budget;
use bulletin::model::{FetchOutcome, FetchedDocument, Location, SourceKind, Validators};
use common::{Harness, source};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Processor time the closure costs on this thread.
fn cpu<T>(work: impl FnOnce() -> T) -> (T, Duration) {
    let budget = Budget::unlimited();
    let value = work();
    (value, budget.used())
}

fn document(url: &str, content_type: &str, body: Vec<u8>) -> FetchedDocument {
    FetchedDocument {
        url: url.to_string(),
        status: 200,
        content_type: Some(content_type.to_string()),
        content_language: None,
        body,
        validators: Validators::default(),
        moved_permanently_to: None,
    }
}

fn calendar(body: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Hostile//EN\r\n{body}END:VCALENDAR\r\n")
}

const EVENT_A: &str =
    "BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Before\r\nDTSTART:20261210T150000Z\r\nEND:VEVENT\r\n";
const EVENT_B: &str =
    "BEGIN:VEVENT\r\nUID:b\r\nSUMMARY:After\r\nDTSTART:20261211T150000Z\r\nEND:VEVENT\r\n";

async fn serve(server: &MockServer, at: &str, content_type: &str, body: Vec<u8>) {
    Mock::given(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, content_type))
        .mount(server)
        .await;
}

fn harness() -> Harness {
    let mut context = common::test_context();
    context.clock = bulletin::clock::Clock::fixed("2026-12-01T12:00:00Z".parse().unwrap());
    Harness::with(common::test_fetch_settings(), context)
}

#[tokio::test]
async fn two_thousand_nested_components_cost_one_component() {
    let mut nested = String::from("BEGIN:VEVENT\r\nUID:deep\r\nDTSTART:20261210T150000Z\r\n");
    nested.push_str(&"BEGIN:VALARM\r\n".repeat(2_000));
    nested.push_str(&"END:VALARM\r\n".repeat(2_000));
    nested.push_str("END:VEVENT\r\n");
    let body = calendar(&format!("{EVENT_A}{nested}{EVENT_B}"));
    let context = common::test_context();
    let (harvest, spent) = cpu(|| {
        bulletin::harvest::harvest(
            &source(
                "cal",
                Location::File("x.ics".into()),
                Some(SourceKind::Ical),
            ),
            &document(
                "https://cal.example/x.ics",
                "text/calendar",
                body.clone().into_bytes(),
            ),
            &context,
        )
    });
    assert!(spent < Duration::from_millis(500), "{spent:?}");
    let harvest = harvest.expect("the calendar is read");
    let uids: Vec<&str> = harvest.events.iter().map(|e| e.uid.as_str()).collect();
    assert_eq!(uids, ["a", "b"]);
    assert!(
        harvest
            .warnings
            .iter()
            .any(|w| w.contains("deeper than 8 levels")),
        "{:?}",
        harvest.warnings
    );

    // Through a real refresh, from a real server, the process survives and says why.
    let server = MockServer::start().await;
    serve(&server, "/cal.ics", "text/calendar", body.into_bytes()).await;
    let h = harness();
    h.add(source(
        "cal",
        Location::Url(format!("{}/cal.ics", server.uri()).parse().unwrap()),
        Some(SourceKind::Ical),
    ));
    let record = h.refresh("cal").await;
    assert_eq!(record.outcome, FetchOutcome::Ok);
    assert!(record.warnings.unwrap().contains("line "));
    assert_eq!(h.events().len(), 2);
}

#[test]
fn runaway_series_are_bounded_by_work_not_by_luck() {
    let context = {
        let mut c = common::test_context();
        c.clock = bulletin::clock::Clock::fixed("2026-12-01T12:00:00Z".parse().unwrap());
        c
    };
    let read = |rule: &str| {
        let body = calendar(&format!(
            "BEGIN:VEVENT\r\nUID:r\r\nSUMMARY:Runaway\r\nDTSTART:19700101T000000Z\r\nRRULE:{rule}\r\nEND:VEVENT\r\n"
        ));
        cpu(|| {
            bulletin::harvest::harvest(
                &source(
                    "cal",
                    Location::File("x.ics".into()),
                    Some(SourceKind::Ical),
                ),
                &document(
                    "https://cal.example/x.ics",
                    "text/calendar",
                    body.into_bytes(),
                ),
                &context,
            )
            .expect("read")
        })
    };
    let (secondly, spent) = read("FREQ=SECONDLY");
    assert!(
        spent < Duration::from_secs(2),
        "SECONDLY from 1970 took {spent:?}"
    );
    assert_eq!(secondly.events.len(), 1_000, "the per-series maximum");
    assert!(
        secondly
            .warnings
            .iter()
            .any(|w| w.contains("more than 1000 occurrences")),
        "{:?}",
        secondly.warnings
    );
    let (counted, spent) = read("FREQ=SECONDLY;COUNT=100000000");
    assert!(spent < Duration::from_secs(2), "COUNT=1e8 took {spent:?}");
    assert!(counted.events.is_empty(), "every occurrence is in 1970–73");
    let (filtered, spent) = read("FREQ=SECONDLY;BYMONTH=12");
    assert!(
        spent < Duration::from_secs(3),
        "a filtered SECONDLY rule took {spent:?}"
    );
    assert!(
        !filtered.warnings.is_empty(),
        "a cut expansion is reported: {:?}",
        filtered.events.len()
    );
}

#[tokio::test]
async fn deeply_nested_pages_and_feed_content_are_refused_quickly() {
    let page = format!(
        "<!doctype html><html><body>{}</body></html>",
        "<div>".repeat(200_000)
    );
    let context = common::test_context();
    let (read, spent) = cpu(|| {
        bulletin::harvest::harvest(
            &source(
                "page",
                Location::File("x.html".into()),
                Some(SourceKind::Html),
            ),
            &document(
                "https://page.example/",
                "text/html",
                page.clone().into_bytes(),
            ),
            &context,
        )
    });
    assert!(spent < Duration::from_secs(2), "{spent:?}");
    let error = read.expect_err("refused").to_string();
    assert!(error.contains("more than 512 levels deep"), "{error}");

    let feed = format!(
        "<rss version=\"2.0\"><channel><title>T</title><link>https://blog.example/</link>\
         <item><guid>one</guid><title>Deep</title><description><![CDATA[{}]]></description></item>\
         </channel></rss>",
        "<div>".repeat(100_000)
    );
    let (read, spent) = cpu(|| {
        bulletin::harvest::harvest(
            &source(
                "feed",
                Location::File("x.xml".into()),
                Some(SourceKind::Feed),
            ),
            &document(
                "https://blog.example/feed",
                "application/rss+xml",
                feed.into_bytes(),
            ),
            &context,
        )
    });
    assert!(spent < Duration::from_secs(2), "{spent:?}");
    let read = read.expect("the feed is read");
    assert_eq!(read.posts.len(), 1);
    assert_eq!(read.posts[0].title, "Deep");
    assert_eq!(read.posts[0].summary_html, None);
    assert_eq!(
        read.warnings,
        [
            "https://blog.example/feed: entry “Deep”: its summary is left out: its markup nests elements more than 512 levels deep"
        ],
        "the entry is named, not dropped silently"
    );

    // Served, the page is a failure in words; the process lives on.
    let server = MockServer::start().await;
    serve(&server, "/deep", "text/html", page.into_bytes()).await;
    let h = harness();
    h.add(source(
        "page",
        Location::Url(format!("{}/deep", server.uri()).parse().unwrap()),
        Some(SourceKind::Html),
    ));
    let record = h.refresh("page").await;
    assert_eq!(record.outcome, FetchOutcome::Failed);
    assert!(record.error.unwrap().contains("512 levels"));
}

#[tokio::test]
async fn an_unterminated_event_keeps_the_events_after_it() {
    let body = calendar(&format!(
        "{EVENT_A}BEGIN:VEVENT\r\nUID:open\r\nSUMMARY:Never ended\r\nDTSTART:20261212T150000Z\r\n{EVENT_B}"
    ));
    let server = MockServer::start().await;
    serve(&server, "/cal.ics", "text/calendar", body.into_bytes()).await;
    let h = harness();
    h.add(source(
        "cal",
        Location::Url(format!("{}/cal.ics", server.uri()).parse().unwrap()),
        Some(SourceKind::Ical),
    ));
    let record = h.refresh("cal").await;
    assert_eq!(record.outcome, FetchOutcome::Ok);
    let warnings = record.warnings.unwrap();
    assert!(warnings.contains("has no END:VEVENT"), "{warnings}");
    let mut titles: Vec<String> = h.events().into_iter().map(|e| e.event.title).collect();
    titles.sort();
    assert_eq!(titles, ["After", "Before", "Never ended"]);
}

#[tokio::test]
async fn overflowing_and_far_future_retry_after_are_capped_and_release_the_source() {
    for retry_after in ["99999999999999", "Wed, 01 Jan 2099 00:00:00 GMT"] {
        let server = MockServer::start().await;
        Mock::given(path("/feed"))
            .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", retry_after))
            .mount(&server)
            .await;
        let h = harness();
        h.add_source("busy", &format!("{}/feed", server.uri()));
        let record = h.refresh("busy").await;
        assert_eq!(record.outcome, FetchOutcome::Failed);
        let (_, state) = h.store.source("busy").unwrap();
        let until = state.next_attempt_after.expect("postponed");
        assert!(
            until <= record.started + chrono::TimeDelta::hours(12) + chrono::TimeDelta::seconds(1),
            "Retry-After {retry_after} parked the source until {until}"
        );
        // The source was released: it can be refreshed again at once.
        let again = h.refresh("busy").await;
        assert_eq!(again.outcome, FetchOutcome::Failed);
    }
}

const FULL_FEED: &str = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Blog</title>\
    <link>https://blog.example/</link>\
    <item><guid>1</guid><title>One</title><link>https://blog.example/1</link></item>\
    <item><guid>2</guid><title>Two</title><link>https://blog.example/2</link></item>\
    </channel></rss>";

#[tokio::test]
async fn a_feed_that_turns_into_a_web_page_or_goes_empty_is_reported_and_nothing_is_lost() {
    let server = MockServer::start().await;
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(FULL_FEED, "application/rss+xml"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            "<!doctype html><html><head><title>We moved</title></head><body><p>Our blog has moved.</p></body></html>",
            "text/html",
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Blog</title></channel></rss>",
            "application/rss+xml",
        ))
        .mount(&server)
        .await;
    let h = harness();
    // Declared nothing: the kind is detected, and remembered.
    h.add(source(
        "blog",
        Location::Url(format!("{}/feed", server.uri()).parse().unwrap()),
        None,
    ));
    let first = h.refresh("blog").await;
    assert_eq!((first.outcome, first.items_new), (FetchOutcome::Ok, 2));

    let page = h.refresh("blog").await;
    assert_eq!(page.outcome, FetchOutcome::Failed);
    let error = page.error.unwrap();
    assert!(
        error.contains("now returns a web page where a feed was; the source may have moved"),
        "{error}"
    );
    assert_eq!(h.posts("blog").len(), 2);

    let empty = h.refresh("blog").await;
    assert_eq!(empty.outcome, FetchOutcome::Ok);
    let warning = empty
        .warnings
        .expect("an empty feed after a full one is a warning");
    assert!(
        warning.contains("lists nothing now, where it gave 2 items before"),
        "{warning}"
    );
    assert_eq!(h.posts("blog").len(), 2);
}

/// Serves `first`, then `then` for every later request, at `at`.
async fn serve_in_turn(
    server: &MockServer,
    at: &str,
    content_type: &str,
    first: &str,
    then: Vec<u8>,
) {
    Mock::given(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_raw(first.to_string(), content_type))
        .up_to_n_times(1)
        .mount(server)
        .await;
    Mock::given(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_raw(then, content_type))
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_feed_nested_100_000_elements_deep_is_refused_by_name_and_keeps_its_posts() {
    let deep = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Blog</title>\
         <item><guid>3</guid><title>Deep</title><description>{}</description></item>\
         </channel></rss>",
        "<div>".repeat(100_000)
    );
    let context = common::test_context();
    let (read, spent) = cpu(|| {
        bulletin::harvest::harvest(
            &source(
                "feed",
                Location::File("x.xml".into()),
                Some(SourceKind::Feed),
            ),
            &document(
                "https://blog.example/feed",
                "application/rss+xml",
                deep.clone().into_bytes(),
            ),
            &context,
        )
    });
    assert!(spent < Duration::from_secs(2), "{spent:?}");
    let error = read.expect_err("refused").to_string();
    assert!(
        error.contains("https://blog.example/feed")
            && error.contains("the feed nests elements 100004 deep; at most 512 are read"),
        "{error}"
    );

    let server = MockServer::start().await;
    serve_in_turn(
        &server,
        "/feed",
        "application/rss+xml",
        FULL_FEED,
        deep.into_bytes(),
    )
    .await;
    let h = harness();
    h.add_source("blog", &format!("{}/feed", server.uri()));
    assert_eq!(h.refresh("blog").await.items_new, 2);
    let record = h.refresh("blog").await;
    assert_eq!(record.outcome, FetchOutcome::Failed);
    let error = record.error.unwrap();
    assert!(
        error.contains("/feed") && error.contains("at most 512 are read"),
        "{error}"
    );
    assert_eq!(h.posts("blog").len(), 2, "nothing stored before is lost");
}

const JSON_FEED: &str = r#"{"version": "https://jsonfeed.org/version/1.1", "title": "Blog",
    "items": [{"id": "1", "title": "One", "content_text": "x"}, {"id": "2", "title": "Two", "content_text": "y"}]}"#;

#[tokio::test]
async fn json_nested_10_000_deep_is_refused_by_name_in_feeds_and_pages() {
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_feed = format!(
        r#"{{"version": "https://jsonfeed.org/version/1.1", "title": "Blog",
            "items": [{{"id": "3", "title": "Deep", "content_text": "z", "_x": {nested}}}]}}"#
    );
    let server = MockServer::start().await;
    serve_in_turn(
        &server,
        "/feed.json",
        "application/feed+json",
        JSON_FEED,
        deep_feed.into_bytes(),
    )
    .await;
    let h = harness();
    h.add_source("json", &format!("{}/feed.json", server.uri()));
    assert_eq!(h.refresh("json").await.items_new, 2);
    let record = h.refresh("json").await;
    assert_eq!(record.outcome, FetchOutcome::Failed);
    let error = record.error.unwrap();
    assert!(
        error.contains("/feed.json")
            && error.contains("JSON nested 10003 levels deep; at most 127 are read"),
        "{error}"
    );
    assert_eq!(h.posts("json").len(), 2, "nothing stored before is lost");

    // In a page: the deep block is named, the page's other block is read.
    let page = format!(
        r#"<!doctype html><html><body>
        <script type="application/ld+json">{nested}</script>
        <script type="application/ld+json">{{"@context": "https://schema.org", "@type": "Event",
            "name": "Open house", "startDate": "2026-12-10T15:00:00Z"}}</script>
        </body></html>"#
    );
    serve(&server, "/events", "text/html", page.into_bytes()).await;
    h.add(source(
        "page",
        Location::Url(format!("{}/events", server.uri()).parse().unwrap()),
        Some(SourceKind::Html),
    ));
    let record = h.refresh("page").await;
    assert_eq!(record.outcome, FetchOutcome::Ok, "{:?}", record.error);
    let warnings = record.warnings.unwrap_or_default();
    assert!(
        warnings.contains("/events: JSON-LD block 1 is not read: JSON nested 10000 levels deep; at most 127 are read"),
        "{warnings}"
    );
    let titles: Vec<String> = h.events().into_iter().map(|e| e.event.title).collect();
    assert_eq!(titles, ["Open house"]);
}

#[test]
fn a_feed_of_many_expensive_entries_stops_at_its_budget() {
    const ENTRIES: usize = 2_000;
    let content = "<p>A <b>word</b> and <a href=\"/x\">a link</a></p>".repeat(40);
    let items: String = (0..ENTRIES)
        .map(|n| {
            format!(
                "<item><guid>{n}</guid><title>Entry {n}</title><description><![CDATA[{content}]]></description></item>"
            )
        })
        .collect();
    let feed = format!(
        "<rss version=\"2.0\"><channel><title>Big</title><link>https://blog.example/</link>{items}</channel></rss>"
    );
    let context = common::test_context();
    let feed_source = source(
        "feed",
        Location::File("x.xml".into()),
        Some(SourceKind::Feed),
    );
    let body = document(
        "https://blog.example/feed",
        "application/rss+xml",
        feed.into_bytes(),
    );
    // Read whole, these entries cost seconds of processor time here (sanitising is most
    // of it); a budget of a fraction of that stops between entries, by name.
    let limit = Duration::from_secs(1);
    let (cut, spent) = cpu(|| {
        bulletin::harvest::harvest_within(&feed_source, &body, &context, Budget::new(limit))
    });
    let error = cut.expect_err("the budget runs out").to_string();
    let read: usize = error
        .split("abandoned after ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{error}"));
    assert!(
        error.starts_with("https://blog.example/feed: reading it took more than")
            && error.ends_with(&format!("of {ENTRIES} entries")),
        "{error}"
    );
    assert!(read < ENTRIES / 2, "{read} entries read");
    assert!(spent < limit * 3, "{spent:?}");
}
