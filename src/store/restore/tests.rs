//! A store dumped and restored into another gives back the same rows (row ids, a post
//! pointing at a translation stored after it, a retired event, recorded changes), with
//! its search indexes rebuilt; a store holding anything, and a column the tables lack,
//! are refused before anything is written.

use std::convert::Infallible;

use super::*;
use crate::model::{Event, EventStatus, EventTime};
use crate::store::{
    DumpHeader, DumpParts, DumpSink, DumpedEvent, DumpedPost, EventFilter, PostFilter,
};

#[derive(Default)]
struct Collect {
    header: Option<DumpHeader>,
    events: Vec<DumpedEvent>,
    posts: Vec<DumpedPost>,
}

impl DumpSink for Collect {
    type Error = Infallible;
    fn header(&mut self, header: DumpHeader) -> Result<(), Infallible> {
        self.header = Some(header);
        Ok(())
    }
    fn events(&mut self, page: Vec<DumpedEvent>) -> Result<(), Infallible> {
        self.events.extend(page);
        Ok(())
    }
    fn posts(&mut self, page: Vec<DumpedPost>) -> Result<(), Infallible> {
        self.posts.extend(page);
        Ok(())
    }
}

fn dump(store: &Store) -> Collect {
    let mut collected = Collect::default();
    let parts = DumpParts {
        events: true,
        posts: true,
    };
    assert!(store.dump(parts, &mut collected).is_ok());
    collected
}

fn restore_of(dumped: &Collect) -> Restore {
    let header = dumped.header.as_ref().expect("a header");
    Restore {
        sources: header
            .sources
            .iter()
            .map(|row| Restored {
                at: format!("source {}", row["id"]),
                row: row.clone(),
            })
            .collect(),
        events: dumped
            .events
            .iter()
            .map(|e| RestoredEvent {
                at: format!("event {}", e.event.uid),
                row: e.row.clone(),
                listings: e.listings.clone(),
                changes: e.changes.clone(),
            })
            .collect(),
        posts: dumped
            .posts
            .iter()
            .map(|p| RestoredPost {
                at: format!("post {}", p.post.post.entry_id),
                row: p.row.clone(),
                alternates: p.alternates.clone(),
            })
            .collect(),
    }
}

fn listing_data(title: &str) -> String {
    serde_json::to_string(&Event {
        source_id: "dept".into(),
        uid: "u1".into(),
        series_uid: None,
        title: title.into(),
        description_text: None,
        description_html: None,
        start: EventTime::At("2027-01-27T18:30:00Z".parse().unwrap()),
        end: None,
        timezone: Some("America/Toronto".into()),
        location_name: None,
        location_address: None,
        online_url: None,
        url: None,
        organiser: None,
        language: None,
        status: EventStatus::Confirmed,
        categories: vec![],
        translations: vec![],
    })
    .unwrap()
}

/// A store with a source, two events (one retired into the other, with a recorded
/// change) and two posts, the first translating the second.
fn filled(dir: &std::path::Path) -> Store {
    let store = Store::open(&dir.join("a.db")).unwrap();
    let data = listing_data("Town hall");
    store
        .write("filling a test store", |tx| {
            tx.execute_batch(
                "INSERT INTO sources (id, name, department, url, created_at, origin, moderation, contact_email)
                 VALUES ('dept', 'Dept', 'Department', 'https://example.gc.ca/cal.ics',
                         '2026-01-01T00:00:00.000Z', 'registered', 'approved', 'a@gc.ca');
                 INSERT INTO events (id, uid, title, start_at, start_utc, end_utc, all_day, status,
                     calendar_hash, revision, first_seen_at, last_seen_at, changed_at, title_key)
                 VALUES (7, 'kept', 'Town hall', '2027-01-27T18:30:00Z', '2027-01-27T18:30:00.000Z',
                         '2027-01-27T18:30:00.000Z', 0, 'confirmed', 'h1', 2,
                         '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', '2026-01-02T00:00:00.000Z', 'town hall'),
                        (3, 'gone', 'Assemblée', '2027-01-27T18:30:00Z', '2027-01-27T18:30:00.000Z',
                         '2027-01-27T18:30:00.000Z', 0, 'confirmed', 'h2', 1,
                         '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', '2026-01-02T00:00:00.000Z', 'assemblee');
                 UPDATE events SET merged_into = 7, listed = 0 WHERE id = 3;
                 INSERT INTO posts (id, source_id, entry_id, title, content_hash, first_seen_at, changed_at,
                                    sort_at, translation_of)
                 VALUES (10, 'dept', 'fr-1', 'Une liste', 'c1', '2026-01-01T00:00:00.000Z',
                         '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', NULL),
                        (4, 'dept', 'en-1', 'A checklist', 'c2', '2026-01-01T00:00:00.000Z',
                         '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 10);
                 INSERT INTO post_alternates (post_id, url, language) VALUES (4, 'https://example.gc.ca/fr/1', 'fr');
                 INSERT INTO events_fts (events_fts) VALUES ('rebuild');
                 INSERT INTO posts_fts (posts_fts) VALUES ('rebuild');",
            )?;
            tx.execute(
                "INSERT INTO event_listings (source_id, source_uid, event_id, data, first_seen_at, last_seen_at)
                 VALUES ('dept', 'u1', 7, ?1, '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z')",
                [&data],
            )?;
            Ok(())
        })
        .unwrap();
    store
}

#[test]
fn a_dump_restored_into_an_empty_store_gives_back_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let original = filled(dir.path());
    let dumped = dump(&original);
    assert_eq!(dumped.events.len(), 2, "the retired event too");
    let (gone, kept) = (&dumped.events[0], &dumped.events[1]);
    assert_eq!(
        (gone.event.uid.as_str(), kept.event.uid.as_str()),
        ("gone", "kept"),
        "by start, then row id"
    );
    assert_eq!(gone.changes.len(), 1, "its change was recorded");
    assert_eq!(gone.event.merged_into.as_deref(), Some("kept"));
    assert!(!kept.listings[0].contains_key("event_id"));
    let header = dumped.header.as_ref().unwrap();
    assert!(!header.sources[0].contains_key("claimed_by"), "no leases");
    assert_eq!(header.sources[0]["contact_email"], "a@gc.ca");

    let copy = Store::open(&dir.path().join("b.db")).unwrap();
    let counts = copy.restore(&restore_of(&dumped)).unwrap();
    assert_eq!(
        counts,
        RestoreCounts {
            sources: 1,
            events: 2,
            listings: 1,
            changes: 1,
            posts: 2
        }
    );
    let again = dump(&copy);
    assert_eq!(again.header, dumped.header);
    assert_eq!(again.events, dumped.events);
    assert_eq!(again.posts, dumped.posts);
    let found = copy
        .events(&EventFilter {
            text: Some("town".into()),
            limit: 10,
            ..EventFilter::default()
        })
        .unwrap();
    assert_eq!(found.len(), 1, "the events' search index was rebuilt");
    let found = copy
        .posts(&PostFilter {
            text: Some("checklist".into()),
            limit: 10,
            ..PostFilter::default()
        })
        .unwrap();
    assert_eq!(found.len(), 1, "the posts' search index was rebuilt");
}

#[test]
fn a_store_holding_anything_is_refused_naming_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let original = filled(dir.path());
    let restore = restore_of(&dump(&original));
    match original.restore(&restore) {
        Err(RestoreError::NotEmpty { path, holds }) => {
            assert_eq!(path, original.path().display().to_string());
            assert_eq!(holds.to_string(), "1 source, 2 events, 2 posts");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn what_the_tables_lack_or_cannot_read_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let restore = restore_of(&dump(&filled(dir.path())));
    let copy = Store::open(&dir.path().join("b.db")).unwrap();

    let mut unknown = restore.clone();
    unknown.posts[1].row.insert("colour".into(), "blue".into());
    let error = copy.restore(&unknown).unwrap_err().to_string();
    assert!(
        error.starts_with("post fr-1: column `colour` is not a column of table posts"),
        "{error}"
    );

    let mut unreadable = restore.clone();
    unreadable.events[1].listings[0].insert("data".into(), "{\"title\":1}".into());
    let error = copy.restore(&unreadable).unwrap_err().to_string();
    assert!(
        error.starts_with("event kept: listing 1: column `data` is not what it should hold"),
        "{error}"
    );

    let mut dangling = restore.clone();
    dangling.posts.remove(1);
    let error = copy.restore(&dangling).unwrap_err().to_string();
    assert!(
        error.contains("`translation_of` 10 is not a post of the export"),
        "{error}"
    );
    assert!(copy.contents().unwrap().is_empty(), "nothing written");
}
