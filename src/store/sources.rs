//! Sources in the store: the operator's `sources.toml` entries synced at start, their
//! fetch state, and the health view shown to operators.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};

use super::{Store, StoreError, json_list, ts, ts_column};
use crate::model::{FetchRecord, Location, Source, SourceKind, SourceState, Validators};
use crate::schedule::Schedule;

/// A source with its state, its latest fetch and how much it has given.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceHealth {
    pub source: Source,
    pub state: SourceState,
    pub post_count: u64,
    /// Events it lists (merged events count once per source).
    pub event_count: u64,
}

const SOURCE_COLUMNS: &str = "s.id, s.name, s.department, s.tags, s.kind, s.url, s.file, s.schedule, \
     s.timezone, s.selectors, s.fetch_url, s.etag, s.last_modified, s.consecutive_failures, \
     s.next_attempt_after, \
     (SELECT f.started_at FROM fetches f WHERE f.source_id = s.id ORDER BY f.id DESC LIMIT 1), \
     s.events_from_links, s.detected_kind, s.last_items, s.home_url, s.content_key, \
     s.language, s.translation_of, s.post_selectors";

/// The sources the service fetches: active, and not a department's submitted events
/// (which hold nothing to fetch).
const FETCHED: &str = "s.active = 1 AND s.submitted = 0";

impl Store {
    /// Makes the store's configured sources match `sources`: new ones are added, changed
    /// ones updated (a changed URL forgets the old validators and redirect), and ones no
    /// longer listed are deactivated. Their posts stay, as an archive.
    pub fn sync_config_sources(
        &self,
        sources: &[Source],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write("syncing sources from the configuration", |tx| {
            tx.execute("UPDATE sources SET active = 0 WHERE origin = 'config'", [])?;
            let mut upsert = tx.prepare(
                "INSERT INTO sources (id, name, department, tags, kind, url, file, schedule, timezone, selectors, origin, active, created_at, events_from_links,
                    language, translation_of, post_selectors)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'config', 1, ?11, ?12, ?13, ?14, ?15)
                 ON CONFLICT (id) DO UPDATE SET
                    name = excluded.name, department = excluded.department, tags = excluded.tags,
                    kind = excluded.kind, schedule = excluded.schedule, timezone = excluded.timezone,
                    selectors = excluded.selectors, post_selectors = excluded.post_selectors,
                    origin = 'config', active = 1,
                    events_from_links = excluded.events_from_links,
                    language = excluded.language, translation_of = excluded.translation_of,
                    fetch_url = CASE WHEN sources.url IS excluded.url AND sources.file IS excluded.file THEN sources.fetch_url END,
                    etag = CASE WHEN sources.url IS excluded.url AND sources.file IS excluded.file THEN sources.etag END,
                    last_modified = CASE WHEN sources.url IS excluded.url AND sources.file IS excluded.file THEN sources.last_modified END,
                    url = excluded.url, file = excluded.file",
            )?;
            for source in sources {
                let (url, file) = match &source.location {
                    Location::Url(url) => (Some(url.to_string()), None),
                    Location::File(path) => (None, Some(path.display().to_string())),
                };
                upsert.execute(params![
                    source.id,
                    source.name,
                    source.department,
                    serde_json::to_string(&source.tags).unwrap_or_else(|_| "[]".into()),
                    source.kind.map(SourceKind::as_str),
                    url,
                    file,
                    source.schedule.as_ref().map(Schedule::as_str),
                    source.timezone.map(|z| z.name().to_string()),
                    source.selectors.as_ref().and_then(|s| serde_json::to_string(s).ok()),
                    ts(now),
                    source.events_from_links,
                    source.language,
                    source.translation_of,
                    source
                        .post_selectors
                        .as_ref()
                        .and_then(|s| serde_json::to_string(s).ok()),
                ])?;
            }
            Ok(())
        })
    }

    /// Every active source with its fetch state, ordered by id.
    pub fn active_sources(&self) -> Result<Vec<(Source, SourceState)>, StoreError> {
        self.read("listing sources", |conn| {
            let sql =
                format!("SELECT {SOURCE_COLUMNS} FROM sources s WHERE s.active = 1 AND s.submitted = 0 ORDER BY s.id");
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt.query_map([], source_and_state)?;
            rows.collect()
        })
    }

    /// The departments a reader can filter events by: every department of an active
    /// fetched source, and every department whose sources list an event, whatever their
    /// kind (a department's "Submitted events", a source no longer configured). Sorted,
    /// each once (departments differing only in case are one, as the filter reads them).
    pub fn event_departments(&self) -> Result<Vec<String>, StoreError> {
        self.read("listing departments", |conn| {
            let sql = format!(
                "SELECT department FROM sources s
                 WHERE department <> ''
                   AND (({FETCHED})
                        OR EXISTS (SELECT 1 FROM event_listings l
                                   WHERE l.source_id = s.id AND l.listed = 1))
                 GROUP BY department COLLATE NOCASE
                 ORDER BY department COLLATE NOCASE"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map([], |row| row.get(0))?;
            rows.collect()
        })
    }

    /// The ids of the sources that have given posts (for the blog roll: pages that are
    /// blogs).
    pub fn sources_with_posts(&self) -> Result<std::collections::HashSet<String>, StoreError> {
        self.read("listing sources with posts", |conn| {
            let mut stmt = conn.prepare("SELECT DISTINCT source_id FROM posts")?;
            let rows = stmt.query_map([], |row| row.get(0))?;
            rows.collect()
        })
    }

    /// One source with its state, active or not.
    pub fn source(&self, id: &str) -> Result<(Source, SourceState), StoreError> {
        let found = self.read("reading a source", |conn| {
            let sql = format!("SELECT {SOURCE_COLUMNS} FROM sources s WHERE s.id = ?1");
            conn.query_row(&sql, [id], source_and_state).optional()
        })?;
        found.ok_or_else(|| StoreError::UnknownSource {
            path: self.path().display().to_string(),
            id: id.to_string(),
        })
    }

    /// The health of every active source: state, latest fetch, number of posts.
    pub fn source_health(&self) -> Result<Vec<SourceHealth>, StoreError> {
        self.read("reading source health", |conn| {
            health_where(conn, FETCHED, "s.department, s.name", u32::MAX, 0)
        })
    }

    /// One page of [`Store::source_health`]: `limit` sources from `offset`, in the same order.
    pub fn source_health_page(
        &self,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<SourceHealth>, StoreError> {
        self.read("reading a page of source health", |conn| {
            health_where(conn, FETCHED, "s.department, s.name", limit, offset)
        })
    }

    /// Up to `limit` active sources whose latest fetch failed, the longest failing first.
    pub fn failing_sources(&self, limit: u32) -> Result<Vec<SourceHealth>, StoreError> {
        self.read("reading failing sources", |conn| {
            health_where(
                conn,
                "s.active = 1 AND s.submitted = 0 AND s.consecutive_failures > 0",
                "s.consecutive_failures DESC, s.department, s.name",
                limit,
                0,
            )
        })
    }

    /// How many sources are active, and how many of them are failing.
    pub fn source_counts(&self) -> Result<(u64, u64), StoreError> {
        self.read("counting sources", |conn| {
            conn.query_row(
                "SELECT count(*), coalesce(sum(consecutive_failures > 0), 0) FROM sources WHERE active = 1 AND submitted = 0",
                [],
                |row| Ok((row.get::<_, i64>(0)? as u64, row.get::<_, i64>(1)? as u64)),
            )
        })
    }
}

/// Source health for the sources matching `condition` (fixed SQL, no values), ordered.
fn health_where(
    conn: &rusqlite::Connection,
    condition: &str,
    order: &str,
    limit: u32,
    offset: u32,
) -> rusqlite::Result<Vec<SourceHealth>> {
    let sql = format!(
        "SELECT {SOURCE_COLUMNS}, (SELECT count(*) FROM posts p WHERE p.source_id = s.id),
                (SELECT count(*) FROM event_listings l WHERE l.source_id = s.id)
         FROM sources s WHERE {condition} ORDER BY {order} LIMIT ?1 OFFSET ?2"
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut health: Vec<SourceHealth> = stmt
        .query_map(params![i64::from(limit), i64::from(offset)], |row| {
            let (source, state) = source_and_state(row)?;
            Ok(SourceHealth {
                source,
                state,
                post_count: row.get::<_, i64>(24)? as u64,
                event_count: row.get::<_, i64>(25)? as u64,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    for entry in &mut health {
        entry.state.last_fetch = super::fetches::latest_fetch(conn, &entry.source.id)?;
    }
    Ok(health)
}

fn source_and_state(row: &Row) -> rusqlite::Result<(Source, SourceState)> {
    let url: Option<String> = row.get(5)?;
    let file: Option<String> = row.get(6)?;
    let location = match (url, file) {
        (Some(url), _) => Location::Url(url.parse().map_err(|e: url::ParseError| {
            rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Text, e.into())
        })?),
        (None, Some(file)) => Location::File(PathBuf::from(file)),
        (None, None) => {
            return Err(rusqlite::Error::InvalidColumnType(
                5,
                "url".into(),
                rusqlite::types::Type::Null,
            ));
        }
    };
    let kind: Option<String> = row.get(4)?;
    let timezone: Option<String> = row.get(8)?;
    let selectors: Option<String> = row.get(9)?;
    let source = Source {
        id: row.get(0)?,
        name: row.get(1)?,
        department: row.get(2)?,
        tags: json_list(&row.get::<_, String>(3)?),
        kind: kind.as_deref().and_then(SourceKind::parse),
        location,
        schedule: row
            .get::<_, Option<String>>(7)?
            .and_then(|text| Schedule::parse(&text).ok()),
        timezone: timezone.and_then(|z| z.parse().ok()),
        selectors: selectors.and_then(|s| serde_json::from_str(&s).ok()),
        post_selectors: row
            .get::<_, Option<String>>(23)?
            .and_then(|s| serde_json::from_str(&s).ok()),
        events_from_links: row.get(16)?,
        language: row.get(21)?,
        translation_of: row.get(22)?,
    };
    let state = SourceState {
        fetch_url: row.get(10)?,
        validators: Validators {
            etag: row.get(11)?,
            last_modified: row.get(12)?,
        },
        consecutive_failures: row.get(13)?,
        next_attempt_after: ts_column(row, 14)?,
        last_attempt: ts_column(row, 15)?,
        last_fetch: None::<FetchRecord>,
        detected_kind: row
            .get::<_, Option<String>>(17)?
            .as_deref()
            .and_then(SourceKind::parse),
        last_items: row.get(18)?,
        home_url: row.get(19)?,
        content_key: row.get(20)?,
    };
    Ok((source, state))
}
