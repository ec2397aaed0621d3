//! `Store::backup_to` copies the live database while fetches write (each fetch is in the
//! copy whole or not at all), and pruning old fetch records keeps what the health page
//! and the schedule read, and every event and post.

mod common;

use std::path::Path;

use bulletin::fetch::Fetcher;
use bulletin::model::{FetchOutcome, FetchRecord, Location, SourceKind};
use bulletin::refresh::Refresher;
use bulletin::store::{FetchWrite, Store};
use chrono::{Duration, TimeZone, Utc};
use rusqlite::Connection;

/// A feed of `n` posts.
fn feed(source: &str, n: usize) -> String {
    let mut xml = String::from(
        "<rss version=\"2.0\"><channel><title>T</title><link>https://example.gc.ca/</link>",
    );
    for i in 0..n {
        xml.push_str(&format!(
            "<item><guid>{source}-{i}</guid><title>Post {i} of {source}</title>\
             <link>https://example.gc.ca/{source}/{i}</link>\
             <pubDate>Mon, 07 Dec 2026 10:00:00 GMT</pubDate>\
             <description>Body {i}: {}</description></item>",
            "words ".repeat(40)
        ));
    }
    xml.push_str("</channel></rss>");
    xml
}

/// For each source in a copy: the posts it has, and whether a successful fetch of it is recorded.
fn per_source(copy: &Path, ids: &[String]) -> Vec<(u64, bool)> {
    let conn = Connection::open(copy).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    ids.iter()
        .map(|id| {
            let posts: i64 = conn
                .query_row(
                    "SELECT count(*) FROM posts WHERE source_id = ?1",
                    [id],
                    |r| r.get(0),
                )
                .unwrap();
            let fetched: i64 = conn
                .query_row(
                    "SELECT count(*) FROM fetches WHERE source_id = ?1 AND outcome = 'ok'",
                    [id],
                    |r| r.get(0),
                )
                .unwrap();
            (posts as u64, fetched > 0)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_fetches_write_is_consistent() {
    const SOURCES: usize = 6;
    const POSTS: usize = 300;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bulletin.db")).unwrap();
    let mut sources = Vec::new();
    for s in 0..SOURCES {
        let id = format!("s{s}");
        let file = dir.path().join(format!("{id}.xml"));
        std::fs::write(&file, feed(&id, POSTS)).unwrap();
        sources.push(common::source(
            &id,
            Location::File(file),
            Some(SourceKind::Feed),
        ));
    }
    let ids: Vec<String> = sources.iter().map(|s| s.id.clone()).collect();
    store.sync_config_sources(&sources, Utc::now()).unwrap();
    bulletin::fetch::install_tls_provider();
    let fetcher = Fetcher::new(common::test_fetch_settings()).unwrap();
    let refresher = Refresher::new(fetcher, store.clone(), common::test_context());
    let listed = store.active_sources().unwrap();
    let pass = tokio::spawn(async move { refresher.refresh_all(listed, |_| {}).await });

    let mut copies = 0;
    let mut partial_pass_seen = false;
    while !pass.is_finished() || copies == 0 {
        let target = dir.path().join(format!("copy-{copies}.db"));
        let backing = store.clone();
        let report = tokio::task::spawn_blocking({
            let target = target.clone();
            move || backing.backup_to(&target)
        })
        .await
        .unwrap()
        .expect("backup while writing");
        assert!(report.pages > 0 && report.bytes > 0);
        assert!(
            !dir.path()
                .join(format!("copy-{copies}.db.partial"))
                .exists()
        );
        for (id, (posts, fetched)) in ids.iter().zip(per_source(&target, &ids)) {
            // One fetch is one transaction: its posts and its record arrive together.
            let expected = if fetched { POSTS as u64 } else { 0 };
            assert_eq!(
                posts, expected,
                "{id} in copy {copies}: {posts} posts, fetched {fetched}"
            );
        }
        let done = per_source(&target, &ids).iter().filter(|(_, f)| *f).count();
        partial_pass_seen |= done > 0 && done < SOURCES;
        copies += 1;
    }
    let records = pass.await.unwrap();
    assert_eq!(records.len(), SOURCES);
    assert!(
        records.iter().all(|r| r.outcome == FetchOutcome::Ok),
        "{records:?}"
    );
    // After the pass, a copy has everything, and it is a self-contained file.
    let last = dir.path().join("final.db");
    store.backup_to(&last).unwrap();
    assert!(
        per_source(&last, &ids)
            .iter()
            .all(|&(p, f)| p == POSTS as u64 && f)
    );
    assert!(!dir.path().join("final.db-wal").exists());
    let mode: String = Connection::open(&last)
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "delete");
    // The copy opens as a store.
    let restored = Store::open(&last).unwrap();
    assert_eq!(restored.inventory().unwrap(), store.inventory().unwrap());
    eprintln!(
        "{copies} copies taken during the pass; one caught it half done: {partial_pass_seen}"
    );

    // The live database itself is refused as a destination.
    let error = store.backup_to(store.path()).unwrap_err().to_string();
    assert!(error.contains("the live database itself"), "{error}");
}

fn record(id: &str, started: chrono::DateTime<Utc>, outcome: FetchOutcome) -> FetchRecord {
    FetchRecord {
        source_id: id.into(),
        url: format!("https://example.gc.ca/{id}.xml"),
        started,
        duration_ms: 5,
        parse_ms: 1,
        http_status: Some(200),
        bytes: 10,
        items_found: 0,
        items_new: 0,
        items_updated: 0,
        outcome,
        error: (outcome == FetchOutcome::Failed).then(|| "HTTP 500".to_string()),
        warnings: None,
    }
}

fn save(store: &Store, record: FetchRecord, posts: &[bulletin::model::Post]) {
    let now = record.started;
    store
        .save_fetch(
            FetchWrite {
                record,
                posts,
                events: &[],
                events_complete: false,
                zone: chrono_tz::America::Toronto,
                validators: None,
                moved_to: None,
                next_attempt_after: None,
                detected_kind: None,
                home_link: None,
                alternates: &[],
                content_key: None,
                lease_holder: None,
            },
            now,
        )
        .unwrap();
}

#[tokio::test]
async fn old_fetch_records_are_pruned_but_each_sources_latest_and_all_posts_stay() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("old.xml");
    std::fs::write(&file, feed("old", 3)).unwrap();
    let store = Store::open(&dir.path().join("bulletin.db")).unwrap();
    let sources = [
        common::source("old", Location::File(file), Some(SourceKind::Feed)),
        common::source(
            "quiet",
            Location::Url("https://example.gc.ca/quiet.xml".parse().unwrap()),
            Some(SourceKind::Feed),
        ),
    ];
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
    store.sync_config_sources(&sources, start).unwrap();
    // Posts come with a real fetch, long ago.
    bulletin::fetch::install_tls_provider();
    let fetcher = Fetcher::new(common::test_fetch_settings()).unwrap();
    let mut context = common::test_context();
    context.clock = bulletin::clock::Clock::fixed(start);
    let refresher = Refresher::new(fetcher, store.clone(), context);
    let (source, state) = store.source("old").unwrap();
    let first = refresher.refresh_source(&source, &state).await.unwrap();
    assert_eq!(first.items_new, 3);
    // Then a year of records, one a day: failures, not-modifieds.
    for day in 1..365 {
        let at = start + Duration::days(day);
        let outcome = if day % 3 == 0 {
            FetchOutcome::Failed
        } else {
            FetchOutcome::NotModified
        };
        save(&store, record("old", at, outcome), &[]);
    }
    // A source whose only records are old keeps its latest of each outcome.
    save(&store, record("quiet", start, FetchOutcome::Failed), &[]);
    save(
        &store,
        record(
            "quiet",
            start + Duration::days(1),
            FetchOutcome::NotModified,
        ),
        &[],
    );
    save(
        &store,
        record(
            "quiet",
            start + Duration::days(2),
            FetchOutcome::NotModified,
        ),
        &[],
    );
    let total = store.fetch_record_count().unwrap();
    assert_eq!(total, 1 + 364 + 3);
    let posts_before = store.inventory().unwrap().posts;

    let now = start + Duration::days(365);
    let cutoff = bulletin::store::fetch_records_cutoff(now, 90);
    assert_eq!(cutoff, start + Duration::days(275));
    let pruned = store.prune_fetches(cutoff).unwrap();
    // "old": days 275..=364 stay (90 records), and its one `ok` from the first day;
    // "quiet": its latest failure and latest not-modified.
    let kept = store.fetch_record_count().unwrap();
    assert_eq!(kept, 90 + 1 + 2);
    assert_eq!(pruned as u64, total - kept);
    let old = store.recent_fetches("old", 1000).unwrap();
    assert!(
        old.iter()
            .any(|r| r.outcome == FetchOutcome::Ok && r.started == start)
    );
    assert!(
        old.iter()
            .filter(|r| r.outcome != FetchOutcome::Ok)
            .all(|r| r.started >= cutoff)
    );
    let quiet = store.recent_fetches("quiet", 10).unwrap();
    assert_eq!(
        quiet
            .iter()
            .map(|r| (r.outcome, r.started))
            .collect::<Vec<_>>(),
        [
            (FetchOutcome::NotModified, start + Duration::days(2)),
            (FetchOutcome::Failed, start)
        ]
    );
    // What the health page and the schedule read is unchanged; posts are all there.
    let (_, state) = store.source("quiet").unwrap();
    assert_eq!(state.last_attempt, Some(start + Duration::days(2)));
    assert_eq!(store.inventory().unwrap().posts, posts_before);
    assert_eq!(posts_before, 3);
    // Pruning again removes nothing more.
    assert_eq!(store.prune_fetches(cutoff).unwrap(), 0);
}
