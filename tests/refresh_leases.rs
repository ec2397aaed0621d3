//! Two refreshers on one database file — as `bulletin serve` and a cron `bulletin fetch`
//! are — never refresh one source at once: the second skips a source the first holds,
//! and a lease left by a process that died is taken over once it runs out.

mod common;

use std::time::Duration;

use bulletin::fetch::Fetcher;
use bulletin::refresh::Refresher;
use bulletin::store::{SourceClaim, Store};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

const FEED: &str = "<rss version=\"2.0\"><channel><title>T</title>\
    <item><guid>1</guid><title>One</title></item></channel></rss>";

fn refresher(store: &Store) -> Refresher {
    bulletin::fetch::install_tls_provider();
    let fetcher = Fetcher::new(common::test_fetch_settings()).expect("fetcher");
    Refresher::new(fetcher, store.clone(), common::test_context())
}

#[tokio::test]
async fn a_source_claimed_by_another_process_is_skipped_until_released_or_expired() {
    let server = MockServer::start().await;
    Mock::given(path("/slow"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(FEED, "application/rss+xml")
                .set_delay(Duration::from_millis(800)),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bulletin.db");
    // Two handles on one file: two processes' connections.
    let serving = Store::open(&file).unwrap();
    let cron = Store::open(&file).unwrap();
    let source = common::source(
        "slow",
        bulletin::model::Location::Url(format!("{}/slow", server.uri()).parse().unwrap()),
        Some(bulletin::model::SourceKind::Feed),
    );
    let now = bulletin::clock::Clock::system().now();
    serving
        .sync_config_sources(std::slice::from_ref(&source), now)
        .unwrap();
    let first = refresher(&serving);
    let second = refresher(&cron);

    let (_, state) = serving.source("slow").unwrap();
    let running = {
        let first = first.clone();
        let (source, state) = (source.clone(), state.clone());
        tokio::spawn(async move { first.refresh_source(&source, &state).await })
    };
    // Wait until the first holds the lease (it is taken before the fetch starts).
    let mut held = None;
    for _ in 0..100 {
        held = cron.source_claim("slow").unwrap();
        if held.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (holder, _) = held.expect("the first refresher holds the source");
    assert!(
        holder.starts_with(&format!("pid {} #", std::process::id())),
        "{holder}"
    );
    assert!(
        second.refresh_source(&source, &state).await.is_none(),
        "the second skips a source the first is refreshing"
    );
    let record = running.await.unwrap().expect("the first refreshed it");
    assert_eq!(record.items_new, 1);
    assert_eq!(cron.source_claim("slow").unwrap(), None, "released");
    assert!(second.refresh_source(&source, &state).await.is_some());

    // A process that died holding the source: skipped while its lease runs, taken over
    // once it has run out.
    let live = now + chrono::TimeDelta::hours(1);
    assert_eq!(
        serving
            .claim_source("slow", "pid 1 #dead", now, live)
            .unwrap(),
        SourceClaim::Taken
    );
    assert!(second.refresh_source(&source, &state).await.is_none());
    serving.release_source("slow", "pid 1 #dead").unwrap();
    let long_ago = now - chrono::TimeDelta::hours(2);
    let ran_out = long_ago + bulletin::refresh::LEASE;
    assert_eq!(
        serving
            .claim_source("slow", "pid 1 #dead", long_ago, ran_out)
            .unwrap(),
        SourceClaim::Taken
    );
    let record = second
        .refresh_source(&source, &state)
        .await
        .expect("an expired lease is taken over");
    assert_ne!(
        record.outcome,
        bulletin::model::FetchOutcome::Failed,
        "{:?}",
        record.error
    );
    assert_eq!(cron.source_claim("slow").unwrap(), None);
}
