//! What a panic inside one source's refresh leaves behind: the other sources refreshed,
//! the panic on the source's health line with its id, and the source released.

use super::*;
use crate::model::Location;

const FEED: &str = "<rss version=\"2.0\"><channel><title>T</title>\
    <item><guid>1</guid><title>One</title></item></channel></rss>";

fn file_source(id: &str, path: &std::path::Path) -> Source {
    Source {
        id: id.into(),
        name: id.into(),
        department: String::new(),
        tags: vec![],
        kind: Some(SourceKind::Feed),
        location: Location::File(path.to_path_buf()),
        schedule: None,
        timezone: None,
        selectors: None,
        post_selectors: None,
        events_from_links: false,
        language: None,
        translation_of: None,
    }
}

#[tokio::test]
async fn a_panic_in_one_refresh_is_recorded_and_releases_only_that_source() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("b.db")).unwrap();
    let sources: Vec<Source> = ["a", "boom", "c"]
        .iter()
        .map(|id| {
            let path = dir.path().join(format!("{id}.xml"));
            std::fs::write(&path, FEED).unwrap();
            file_source(id, &path)
        })
        .collect();
    let now = crate::clock::Clock::system().now();
    store.sync_config_sources(&sources, now).unwrap();
    let fetcher = Fetcher::new(crate::fetch::FetchSettings::default()).unwrap();
    let context = Context {
        display_zone: chrono_tz::UTC,
        events: crate::harvest::EventSettings::default(),
        clock: crate::clock::Clock::system(),
    };
    let mut refresher = Refresher::new(fetcher, store.clone(), context);
    refresher.crash_on = Some("boom".into());

    let all = store.active_sources().unwrap();
    let mut records = refresher.refresh_all(all, |_| {}).await;
    records.sort_by(|a, b| a.source_id.cmp(&b.source_id));
    let outcomes: Vec<(&str, FetchOutcome)> = records
        .iter()
        .map(|r| (r.source_id.as_str(), r.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("a", FetchOutcome::Ok),
            ("boom", FetchOutcome::Failed),
            ("c", FetchOutcome::Ok)
        ],
        "the other sources are refreshed"
    );
    let health = store.source_health().unwrap();
    let line = health
        .iter()
        .find(|h| h.source.id == "boom")
        .and_then(|h| h.state.last_fetch.clone())
        .expect("the crash is on the health line");
    let error = line.error.unwrap_or_default();
    assert!(
        error.contains("crashed while refreshing source `boom`")
            && error.contains("a test made refreshing `boom` panic"),
        "{error}"
    );
    assert_eq!(store.source_claim("boom").unwrap(), None, "lease released");

    // Released: refreshable again at once, and this time it is read.
    refresher.crash_on = None;
    let (source, state) = store.source("boom").unwrap();
    let again = refresher
        .refresh_source(&source, &state)
        .await
        .expect("not held by anyone");
    assert_eq!(again.outcome, FetchOutcome::Ok);
}
