//! The whole store read for an export (`bulletin export`): every source, every event
//! (past and future, cancelled, no longer listed, and those joined into another) with its
//! listings and recorded changes, and every post with its translation links — from one
//! snapshot, handed to a [`DumpSink`] a page at a time so no store is held in memory whole.
//!
//! Each stored row comes out twice: as the views read it ([`StoredEvent`],
//! [`StoredPost`], what the calendar and feed renderers take), and as a [`Row`], column by
//! column as `migrations.rs` names them, values as stored (text, integers, NULL), row ids
//! included. The rows are what `store::restore` writes back, so an import rebuilds the
//! same database rows, columns added by later migrations included, without this module
//! naming them. Left out: the leases of a running refresh (`sources.claimed_by`,
//! `claimed_until`), which belong to a process of the old machine, and a child row's key
//! to its parent (`event_listings.event_id`, `event_changes.event_id`,
//! `post_alternates.post_id`), which the row it is handed with gives.

use rusqlite::types::ValueRef;
use rusqlite::{Connection, params};

use super::events::{EventFilter, StoredEvent, select_events};
use super::{Store, StoreError};
use crate::model::StoredPost;

/// One stored row: column name → value (`null`, an integer, a number or a string).
pub type Row = serde_json::Map<String, serde_json::Value>;

/// Source columns an export leaves out: a refresh's lease on the old machine.
const SOURCE_LEASES: &[&str] = &["claimed_by", "claimed_until"];

/// Events or posts read (and handed over) at once.
const PAGE: u32 = 500;

/// What an export is of, before its events and posts: counted in the same snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct DumpHeader {
    /// The schema version of the database (the number of migrations applied).
    pub schema: u32,
    /// Every source, by id.
    pub sources: Vec<Row>,
    /// How many events and posts follow (when asked for).
    pub events: u64,
    pub posts: u64,
}

/// An event as an export writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct DumpedEvent {
    /// As the calendar reads it (what `render::ics` writes).
    pub event: StoredEvent,
    /// Its `events` row.
    pub row: Row,
    /// Its `event_listings` rows, first lister first (without `event_id`).
    pub listings: Vec<Row>,
    /// Its `event_changes` rows, oldest first (without `event_id`).
    pub changes: Vec<Row>,
}

/// A post as an export writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct DumpedPost {
    /// As the feeds read it (what `render::jsonfeed` writes).
    pub post: StoredPost,
    /// Its `posts` row.
    pub row: Row,
    /// Its `post_alternates` rows, by URL (without `post_id`).
    pub alternates: Vec<Row>,
}

/// Which parts of the store to read besides the sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DumpParts {
    pub events: bool,
    pub posts: bool,
}

/// Where a dump goes: the header first, then the events in start order, then the posts
/// by row id, a page at a time.
pub trait DumpSink {
    type Error;
    fn header(&mut self, header: DumpHeader) -> Result<(), Self::Error>;
    fn events(&mut self, page: Vec<DumpedEvent>) -> Result<(), Self::Error>;
    fn posts(&mut self, page: Vec<DumpedPost>) -> Result<(), Self::Error>;
}

/// A dump that stopped: the store could not be read, or the sink refused a page.
#[derive(Debug)]
pub enum DumpError<E> {
    Store(StoreError),
    Sink(E),
}

impl<E> From<StoreError> for DumpError<E> {
    fn from(error: StoreError) -> Self {
        DumpError::Store(error)
    }
}

impl Store {
    /// Reads the whole store from one snapshot into `sink` (see the module's notes).
    pub fn dump<S: DumpSink>(
        &self,
        parts: DumpParts,
        sink: &mut S,
    ) -> Result<(), DumpError<S::Error>> {
        let reader = self.reader()?;
        let conn = reader.conn.as_ref().expect("held until dropped");
        let sqlite = |e| DumpError::Store(self.error("reading the store for an export")(e));
        // Deferred: the snapshot is taken by the first read and kept to the last.
        let snapshot = conn.unchecked_transaction().map_err(sqlite)?;
        let header = read_header(&snapshot, parts).map_err(sqlite)?;
        sink.header(header).map_err(DumpError::Sink)?;
        if parts.events {
            let filter = EventFilter {
                retired: true,
                limit: PAGE,
                ..EventFilter::default()
            };
            let mut after: Option<(String, i64)> = None;
            loop {
                let page = select_events(
                    &snapshot,
                    &filter,
                    after.as_ref().map(|(s, id)| (s.as_str(), *id)),
                )
                .map_err(sqlite)?;
                let Some((last, _)) = page.last() else { break };
                after = Some(last.clone());
                let mut dumped = Vec::with_capacity(page.len());
                for ((_, id), event) in page {
                    dumped.push(dumped_event(&snapshot, id, event).map_err(sqlite)?);
                }
                sink.events(dumped).map_err(DumpError::Sink)?;
            }
        }
        if parts.posts {
            let mut after = 0i64;
            loop {
                let page = posts_after(&snapshot, after).map_err(sqlite)?;
                let Some(last) = page.last() else { break };
                after = last.0;
                let mut dumped = Vec::with_capacity(page.len());
                for (id, post) in page {
                    dumped.push(dumped_post(&snapshot, id, post).map_err(sqlite)?);
                }
                sink.posts(dumped).map_err(DumpError::Sink)?;
            }
        }
        Ok(())
    }
}

fn read_header(conn: &Connection, parts: DumpParts) -> rusqlite::Result<DumpHeader> {
    let schema: u32 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let count = |table: &str| -> rusqlite::Result<u64> {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
            row.get::<_, i64>(0)
        })
        .map(|n| u64::try_from(n).unwrap_or(0))
    };
    Ok(DumpHeader {
        schema,
        sources: rows(conn, "SELECT * FROM sources ORDER BY id", [], SOURCE_LEASES)?,
        events: if parts.events { count("events")? } else { 0 },
        posts: if parts.posts { count("posts")? } else { 0 },
    })
}

fn dumped_event(conn: &Connection, id: i64, event: StoredEvent) -> rusqlite::Result<DumpedEvent> {
    let row = rows(conn, "SELECT * FROM events WHERE id = ?1", [id], &[])?
        .into_iter()
        .next()
        .ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    Ok(DumpedEvent {
        event,
        row,
        listings: rows(
            conn,
            "SELECT * FROM event_listings WHERE event_id = ?1
             ORDER BY first_seen_at, source_id, source_uid",
            [id],
            &["event_id"],
        )?,
        changes: rows(
            conn,
            "SELECT * FROM event_changes WHERE event_id = ?1 ORDER BY id",
            [id],
            &["event_id"],
        )?,
    })
}

/// The next page of posts by row id, as the feeds read them.
fn posts_after(conn: &Connection, after: i64) -> rusqlite::Result<Vec<(i64, StoredPost)>> {
    let sql = format!(
        "SELECT {} FROM posts p JOIN sources s ON s.id = p.source_id
         WHERE p.id > ?1 ORDER BY p.id LIMIT ?2",
        super::posts::STORED_POST_COLUMNS
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![after, PAGE], super::posts::stored_post)?;
    let mut posts = Vec::new();
    for row in rows {
        let (mut post, id, root) = row?;
        post.versions = super::translations::post_versions(conn, id, root)?;
        posts.push((id, post));
    }
    Ok(posts)
}

fn dumped_post(conn: &Connection, id: i64, post: StoredPost) -> rusqlite::Result<DumpedPost> {
    let row = rows(conn, "SELECT * FROM posts WHERE id = ?1", [id], &[])?
        .into_iter()
        .next()
        .ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    Ok(DumpedPost {
        post,
        row,
        alternates: rows(
            conn,
            "SELECT * FROM post_alternates WHERE post_id = ?1 ORDER BY url",
            [id],
            &["post_id"],
        )?,
    })
}

/// Every row `sql` selects, each column by name but those in `skip`.
fn rows<P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    skip: &[&str],
) -> rusqlite::Result<Vec<Row>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let names: Vec<String> = stmt.column_names().into_iter().map(String::from).collect();
    let mut out = Vec::new();
    let mut found = stmt.query(params)?;
    while let Some(row) = found.next()? {
        let mut map = Row::new();
        for (index, name) in names.iter().enumerate() {
            if skip.contains(&name.as_str()) {
                continue;
            }
            map.insert(name.clone(), value(row.get_ref(index)?, index, name)?);
        }
        out.push(map);
    }
    Ok(out)
}

/// A stored value as JSON. No exported column holds a blob; one that did would be refused
/// (naming the column) rather than written as something else.
fn value(value: ValueRef<'_>, index: usize, name: &str) -> rusqlite::Result<serde_json::Value> {
    let refuse = |why: String| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            value.data_type(),
            format!("column `{name}`: {why}").into(),
        )
    };
    Ok(match value {
        ValueRef::Null => serde_json::Value::Null,
        ValueRef::Integer(i) => i.into(),
        ValueRef::Real(r) => serde_json::Number::from_f64(r)
            .map(serde_json::Value::Number)
            .ok_or_else(|| refuse(format!("{r} has no JSON form")))?,
        ValueRef::Text(bytes) => std::str::from_utf8(bytes)
            .map_err(|e| refuse(format!("text that is not UTF-8 ({e})")))?
            .into(),
        ValueRef::Blob(_) => return Err(refuse("a blob, which an export does not carry".into())),
    })
}
