//! How the fetcher and the refresh behave against a real HTTP server on loopback:
//! conditional GET, failures and retries, limits, redirects, politeness, and the rule
//! that a bad fetch never loses what a source gave before. Each test asserts the rows
//! in the store and the fetch records.

mod common;

use std::time::Duration;

use bulletin::fetch::FetchSettings;
use bulletin::model::FetchOutcome;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{Harness, fixture, test_fetch_settings};

fn rss() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_raw(fixture("feeds/rss2-wordpress.xml"), "application/rss+xml")
}

/// Whole minutes between two times, rounded (stored times keep milliseconds only).
fn minutes(from: chrono::DateTime<chrono::Utc>, to: chrono::DateTime<chrono::Utc>) -> i64 {
    ((to - from).num_milliseconds() as f64 / 60_000.0).round() as i64
}

fn count_requests(requests: &[wiremock::Request], wanted: &str) -> usize {
    requests.iter().filter(|r| r.url.path() == wanted).count()
}

#[tokio::test]
async fn unchanged_feed_costs_one_304_and_no_parsing() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/feed"))
        .and(header("if-none-match", "\"v1\""))
        .respond_with(ResponseTemplate::new(304))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/feed"))
        .respond_with(
            rss()
                .insert_header("ETag", "\"v1\"")
                .insert_header("Last-Modified", "Tue, 03 Nov 2026 14:30:00 GMT"),
        )
        .mount(&server)
        .await;
    let h = Harness::new();
    h.add_source("wp", &format!("{}/feed", server.uri()));

    let first = h.refresh("wp").await;
    assert_eq!(
        (first.outcome, first.http_status, first.items_new),
        (FetchOutcome::Ok, Some(200), 4)
    );
    let (_, state) = h.store.source("wp").unwrap();
    assert_eq!(state.validators.etag.as_deref(), Some("\"v1\""));
    assert_eq!(
        state.validators.last_modified.as_deref(),
        Some("Tue, 03 Nov 2026 14:30:00 GMT")
    );

    let second = h.refresh("wp").await;
    assert_eq!(second.outcome, FetchOutcome::NotModified);
    assert_eq!(second.http_status, Some(304));
    assert_eq!(
        (second.items_found, second.bytes, second.parse_ms),
        (0, 0, 0)
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests[1].headers.get("if-modified-since").unwrap(),
        "Tue, 03 Nov 2026 14:30:00 GMT"
    );
    assert_eq!(h.posts("wp").len(), 4);
    let records = h.store.recent_fetches("wp", 10).unwrap();
    assert_eq!(
        records.iter().map(|r| r.outcome).collect::<Vec<_>>(),
        [FetchOutcome::NotModified, FetchOutcome::Ok]
    );
}

#[tokio::test]
async fn refetching_the_same_feed_changes_nothing() {
    let server = MockServer::start().await;
    Mock::given(path("/feed"))
        .respond_with(rss())
        .mount(&server)
        .await;
    let h = Harness::new();
    h.add_source("wp", &format!("{}/feed", server.uri()));
    h.refresh("wp").await;
    let before = h.posts("wp");
    let generation = h.store.generation();
    let again = h.refresh("wp").await;
    assert_eq!(
        h.store.generation(),
        generation,
        "rendered feeds stay cached"
    );
    assert_eq!(
        (
            again.outcome,
            again.items_found,
            again.items_new,
            again.items_updated
        ),
        (FetchOutcome::Unchanged, 4, 0, 0)
    );
    assert_eq!(
        h.posts("wp"),
        before,
        "rows, including changed times, are untouched"
    );
}

#[tokio::test]
async fn an_edited_entry_is_updated_in_place() {
    let server = MockServer::start().await;
    let original = String::from_utf8(fixture("feeds/rss2-wordpress.xml")).unwrap();
    let edited = original.replacen(
        "Moving our forms to the design system",
        "What we learned from six months of research",
        1,
    );
    assert_ne!(original, edited);
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_string(original))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_string(edited))
        .mount(&server)
        .await;
    let h = Harness::new();
    h.add_source("wp", &format!("{}/feed", server.uri()));
    h.refresh("wp").await;
    let first_seen = h
        .posts("wp")
        .iter()
        .map(|p| (p.post.entry_id.clone(), p.first_seen))
        .collect::<Vec<_>>();
    let record = h.refresh("wp").await;
    assert_eq!((record.items_new, record.items_updated), (0, 1));
    let posts = h.posts("wp");
    assert_eq!(posts.len(), 4);
    let edited = posts
        .iter()
        .find(|p| p.post.title == "What we learned from six months of research")
        .expect("edited title stored");
    assert!(edited.changed > edited.first_seen);
    let kept = first_seen
        .iter()
        .find(|(id, _)| *id == edited.post.entry_id)
        .unwrap();
    assert_eq!(
        kept.1, edited.first_seen,
        "first-seen time survives an edit"
    );
}

#[tokio::test]
async fn server_errors_are_retried_then_recorded_and_nothing_is_lost() {
    let server = MockServer::start().await;
    Mock::given(path("/feed"))
        .respond_with(rss())
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let h = Harness::new();
    let url = format!("{}/feed", server.uri());
    h.add_source("wp", &url);
    assert_eq!(h.refresh("wp").await.outcome, FetchOutcome::Ok);

    let failed = h.refresh("wp").await;
    assert_eq!(failed.outcome, FetchOutcome::Failed);
    assert_eq!(failed.http_status, Some(500));
    assert_eq!(
        failed.error.as_deref(),
        Some(format!("{url}: HTTP 500").as_str())
    );
    // One first request, then `retries` (1) more for the failing pass.
    assert_eq!(
        count_requests(&server.received_requests().await.unwrap(), "/feed"),
        3
    );
    assert_eq!(
        h.posts("wp").len(),
        4,
        "a failed fetch keeps the source's posts"
    );
    let (_, state) = h.store.source("wp").unwrap();
    assert_eq!(state.consecutive_failures, 1);
    assert_eq!(
        minutes(
            failed.started,
            state.next_attempt_after.expect("backing off")
        ),
        5
    );

    let again = h.refresh("wp").await;
    assert_eq!(again.outcome, FetchOutcome::Failed);
    let (_, state) = h.store.source("wp").unwrap();
    assert_eq!(state.consecutive_failures, 2);
    assert_eq!(
        minutes(again.started, state.next_attempt_after.unwrap()),
        10,
        "backoff doubles"
    );
}

#[tokio::test]
async fn a_recovered_source_clears_its_backoff() {
    let server = MockServer::start().await;
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(path("/feed"))
        .respond_with(rss())
        .mount(&server)
        .await;
    let h = Harness::with_settings(FetchSettings {
        retries: 0,
        ..test_fetch_settings()
    });
    h.add_source("wp", &format!("{}/feed", server.uri()));
    h.refresh("wp").await;
    h.refresh("wp").await;
    assert_eq!(h.store.source("wp").unwrap().1.consecutive_failures, 2);
    assert_eq!(h.refresh("wp").await.outcome, FetchOutcome::Ok);
    let (_, state) = h.store.source("wp").unwrap();
    assert_eq!(
        (state.consecutive_failures, state.next_attempt_after),
        (0, None)
    );
}

#[tokio::test]
async fn a_short_retry_after_is_waited_out() {
    let server = MockServer::start().await;
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/feed"))
        .respond_with(rss())
        .mount(&server)
        .await;
    let h = Harness::new();
    h.add_source("wp", &format!("{}/feed", server.uri()));
    let started = std::time::Instant::now();
    let record = h.refresh("wp").await;
    assert_eq!(record.outcome, FetchOutcome::Ok);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited as asked"
    );
}

#[tokio::test]
async fn a_long_retry_after_postpones_the_source() {
    let server = MockServer::start().await;
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "7200"))
        .mount(&server)
        .await;
    let h = Harness::new();
    h.add_source("wp", &format!("{}/feed", server.uri()));
    let record = h.refresh("wp").await;
    assert_eq!(
        (record.outcome, record.http_status),
        (FetchOutcome::Failed, Some(429))
    );
    assert_eq!(
        count_requests(&server.received_requests().await.unwrap(), "/feed"),
        1,
        "no hammering"
    );
    let (_, state) = h.store.source("wp").unwrap();
    assert_eq!(
        minutes(record.started, state.next_attempt_after.unwrap()),
        120
    );
}

#[tokio::test]
async fn a_slow_server_times_out() {
    let server = MockServer::start().await;
    Mock::given(path("/feed"))
        .respond_with(rss().set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let h = Harness::with_settings(FetchSettings {
        timeout: Duration::from_millis(300),
        retries: 0,
        ..test_fetch_settings()
    });
    let url = format!("{}/feed", server.uri());
    h.add_source("wp", &url);
    let record = h.refresh("wp").await;
    assert_eq!(record.outcome, FetchOutcome::Failed);
    assert_eq!(
        record.error.as_deref(),
        Some(format!("{url}: timed out").as_str())
    );
    assert_eq!(record.http_status, None);
}

#[tokio::test]
async fn a_body_over_the_cap_is_refused() {
    let server = MockServer::start().await;
    Mock::given(path("/big"))
        .respond_with(rss())
        .mount(&server)
        .await;
    let h = Harness::with_settings(FetchSettings {
        max_body_bytes: 1024,
        ..test_fetch_settings()
    });
    let url = format!("{}/big", server.uri());
    h.add_source("big", &url);
    let record = h.refresh("big").await;
    assert_eq!(record.outcome, FetchOutcome::Failed);
    assert_eq!(
        record.error.as_deref(),
        Some(format!("{url}: the body is larger than the 1024-byte limit").as_str())
    );
    assert!(h.posts("big").is_empty());
}

#[tokio::test]
async fn a_permanent_redirect_chain_moves_the_source() {
    let server = MockServer::start().await;
    let uri = server.uri();
    Mock::given(path("/old"))
        .respond_with(ResponseTemplate::new(301).insert_header("Location", "/older"))
        .mount(&server)
        .await;
    Mock::given(path("/older"))
        .respond_with(ResponseTemplate::new(308).insert_header("Location", format!("{uri}/new")))
        .mount(&server)
        .await;
    Mock::given(path("/new"))
        .respond_with(rss())
        .mount(&server)
        .await;
    let h = Harness::new();
    h.add_source("wp", &format!("{uri}/old"));
    let record = h.refresh("wp").await;
    assert_eq!(record.outcome, FetchOutcome::Ok);
    assert_eq!(record.url, format!("{uri}/new"));
    let (_, state) = h.store.source("wp").unwrap();
    assert_eq!(state.fetch_url, Some(format!("{uri}/new")));
    // The next fetch goes straight to the new address.
    h.refresh("wp").await;
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.last().unwrap().url.path(), "/new");
    assert_eq!(count_requests(&requests, "/old"), 1);
}

#[tokio::test]
async fn a_temporary_redirect_does_not_move_the_source() {
    let server = MockServer::start().await;
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(301).insert_header("Location", "/tmp"))
        .mount(&server)
        .await;
    Mock::given(path("/tmp"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", "/final"))
        .mount(&server)
        .await;
    Mock::given(path("/final"))
        .respond_with(rss())
        .mount(&server)
        .await;
    let h = Harness::new();
    h.add_source("wp", &format!("{}/feed", server.uri()));
    assert_eq!(h.refresh("wp").await.outcome, FetchOutcome::Ok);
    assert_eq!(
        h.store.source("wp").unwrap().1.fetch_url,
        None,
        "a 302 anywhere in the chain keeps the URL"
    );
}

#[tokio::test]
async fn a_redirect_loop_is_cut_off() {
    let server = MockServer::start().await;
    Mock::given(path("/a"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", "/b"))
        .mount(&server)
        .await;
    Mock::given(path("/b"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", "/a"))
        .mount(&server)
        .await;
    let h = Harness::with_settings(FetchSettings {
        max_redirects: 5,
        ..test_fetch_settings()
    });
    let url = format!("{}/a", server.uri());
    h.add_source("loop", &url);
    let record = h.refresh("loop").await;
    assert_eq!(
        record.error.as_deref(),
        Some(format!("{url}: more than 5 redirects").as_str())
    );
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed() {
    let server = MockServer::start().await;
    Mock::given(path("/feed"))
        .respond_with(rss())
        .mount(&server)
        .await;
    let h = Harness::with_settings(FetchSettings {
        allow_private_networks: false,
        ..test_fetch_settings()
    });
    h.add_source("internal", &format!("{}/feed", server.uri()));
    let record = h.refresh("internal").await;
    assert_eq!(record.outcome, FetchOutcome::Failed);
    let error = record.error.unwrap();
    assert!(
        error.contains("127.0.0.1 is a private or internal address"),
        "{error}"
    );
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "no request left the fetcher"
    );
}

#[tokio::test]
async fn the_user_agent_names_bulletin() {
    let server = MockServer::start().await;
    Mock::given(path("/feed"))
        .respond_with(rss())
        .mount(&server)
        .await;
    let h = Harness::new();
    h.add_source("wp", &format!("{}/feed", server.uri()));
    h.refresh("wp").await;
    let requests = server.received_requests().await.unwrap();
    let agent = requests[0]
        .headers
        .get("user-agent")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(agent.starts_with("Bulletin/"), "{agent}");
    let accept = requests[0]
        .headers
        .get("accept-encoding")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(accept.contains("gzip") && accept.contains("br"), "{accept}");
}

#[tokio::test]
async fn gzip_responses_are_decoded() {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&fixture("feeds/atom.xml")).unwrap();
    let gz = encoder.finish().unwrap();
    let server = MockServer::start().await;
    Mock::given(path("/feed"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(gz, "application/atom+xml")
                .insert_header("Content-Encoding", "gzip"),
        )
        .mount(&server)
        .await;
    let h = Harness::new();
    h.add_source("atom", &format!("{}/feed", server.uri()));
    let record = h.refresh("atom").await;
    assert_eq!(
        (record.outcome, record.items_new),
        (FetchOutcome::Ok, 3),
        "{record:?}"
    );
}

#[tokio::test]
async fn file_sources_are_read_and_unchanged_files_are_not_reparsed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.json");
    std::fs::write(&file, fixture("feeds/jsonfeed.json")).unwrap();
    let h = Harness::new();
    h.add(common::source(
        "local",
        bulletin::model::Location::File(file.clone()),
        None,
    ));
    assert_eq!(h.refresh("local").await.items_new, 3);
    assert_eq!(h.refresh("local").await.outcome, FetchOutcome::NotModified);
    std::fs::remove_file(&file).unwrap();
    let missing = h.refresh("local").await;
    assert_eq!(missing.outcome, FetchOutcome::Failed);
    assert!(
        missing
            .error
            .unwrap()
            .starts_with(&file.display().to_string())
    );
    assert_eq!(h.posts("local").len(), 3);
}

#[tokio::test]
async fn a_pass_over_many_sources_reports_each() {
    let server = MockServer::start().await;
    Mock::given(path("/good"))
        .respond_with(rss())
        .mount(&server)
        .await;
    Mock::given(path("/gone"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let h = Harness::new();
    h.add_source("good", &format!("{}/good", server.uri()));
    h.add_source("gone", &format!("{}/gone", server.uri()));
    let sources = h.store.active_sources().unwrap();
    let seen = std::sync::Mutex::new(Vec::new());
    let records = h
        .refresher
        .refresh_all(sources, |r| seen.lock().unwrap().push(r.source_id.clone()))
        .await;
    assert_eq!(records.len(), 2);
    assert_eq!(seen.lock().unwrap().len(), 2);
    let gone = records.iter().find(|r| r.source_id == "gone").unwrap();
    assert_eq!(
        (gone.outcome, gone.http_status),
        (FetchOutcome::Failed, Some(404))
    );
    assert_eq!(
        count_requests(&server.received_requests().await.unwrap(), "/gone"),
        1,
        "a 404 is not retried"
    );
    let health = h.store.source_health().unwrap();
    let good = health.iter().find(|x| x.source.id == "good").unwrap();
    assert_eq!(good.post_count, 4);
    assert_eq!(
        good.state.last_fetch.as_ref().unwrap().outcome,
        FetchOutcome::Ok
    );
}

#[tokio::test]
async fn a_closed_port_is_reported_plainly() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/feed", closed.local_addr().unwrap());
    drop(closed);
    let h = Harness::with_settings(FetchSettings {
        retries: 0,
        ..test_fetch_settings()
    });
    h.add_source("down", &url);
    let record = h.refresh("down").await;
    assert_eq!(record.outcome, FetchOutcome::Failed);
    let error = record.error.unwrap();
    assert!(
        error.starts_with(&format!("{url}: cannot connect: Connection refused")),
        "{error}"
    );
}

/// A server whose idle timeout closes a kept-alive connection just as the next request
/// goes out on it: the first connection answers one request, then reads the second and
/// closes without answering. The fetch is sent again on a new connection at once, even
/// with retries turned off, and succeeds.
#[tokio::test]
async fn a_kept_alive_connection_closed_by_the_server_is_replaced_at_once() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let body = fixture("feeds/rss2-wordpress.xml");
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let n = counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let body = body.clone();
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 8192];
                let answer = |body: &[u8]| {
                    let mut out = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n\
                         Content-Length: {}\r\nConnection: keep-alive\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    out.extend_from_slice(body);
                    out
                };
                // The first connection answers once, then drops the second request.
                let answered = if n == 0 { 1 } else { usize::MAX };
                for _ in 0..answered {
                    if socket.read(&mut buffer).await.unwrap_or(0) == 0 {
                        return;
                    }
                    socket.write_all(&answer(&body)).await.unwrap();
                }
                let _ = socket.read(&mut buffer).await;
            });
        }
    });
    let fetcher = bulletin::fetch::Fetcher::new(FetchSettings {
        retries: 0,
        ..test_fetch_settings()
    })
    .unwrap();
    let location =
        bulletin::model::Location::Url(format!("http://{address}/feed").parse().unwrap());
    let validators = bulletin::model::Validators::default();
    for _ in 0..2 {
        let fetched = fetcher.fetch(&location, &validators).await;
        assert!(fetched.is_ok(), "{:?}", fetched.err());
    }
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 2);
}
