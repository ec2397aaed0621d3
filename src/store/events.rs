//! Events in the store: each source's version kept as a listing, listings of the same
//! event merged into one row (matching and merging rules live in `normalise::dedup`),
//! a revision counter that moves when what a calendar shows changes, and the lifecycle of
//! events that stop being listed.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Transaction, params};
use sha2::{Digest, Sha256};

use super::{Store, StoreError, json_list, ts, ts_column};
use crate::model::{Event, EventStatus, EventTime};
use crate::normalise::dedup::{self, Listing};

/// After this many successful fetches without it, a future event is no longer listed.
pub const MISSING_FETCHES_BEFORE_UNLISTED: i64 = 3;

/// Candidates for a merge start within this much of each other.
const MATCH_WINDOW: Duration = Duration::minutes(1);

/// An event as the store holds it, merged, with the sources that list it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Public and permanent.
    pub uid: String,
    pub event: Event,
    pub listed: bool,
    pub revision: u32,
    /// Every source listing it, first lister first.
    pub sources: Vec<ListedBy>,
    /// The sources' tags and the event's own categories.
    pub tags: Vec<String>,
    pub provenance: BTreeMap<String, String>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub changed: DateTime<Utc>,
}

/// One source's listing of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedBy {
    pub source_id: String,
    pub source_name: String,
    pub department: String,
    /// The event's id within that source (its calendar UID, page id or URL).
    pub source_uid: String,
    /// False once the source stopped listing it.
    pub listed: bool,
}

/// Which events a view shows; lists are alternatives, fields all apply.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct EventFilter {
    pub sources: Vec<String>,
    pub tags: Vec<String>,
    pub departments: Vec<String>,
    /// Events ending (or starting, without an end) at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Events starting before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Words that must all appear (as word prefixes, ignoring case and accents) in the title,
    /// description or place.
    pub text: Option<String>,
    /// Only the event with this public uid.
    pub uid: Option<String>,
    /// Newest first (the archive) instead of soonest first.
    pub descending: bool,
    /// Skip this many (pagination).
    pub offset: u32,
    pub limit: u32,
}

/// Counts of what one source's events did to the store.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct EventCounts {
    pub new: u32,
    pub updated: u32,
    pub unlisted: u32,
}

/// Writes one source's events inside the fetch's transaction.
pub(super) fn save_events(
    tx: &Transaction,
    source_id: &str,
    events: &[Event],
    complete: bool,
    zone: Tz,
    now: DateTime<Utc>,
) -> rusqlite::Result<EventCounts> {
    let mut counts = EventCounts::default();
    let mut touched: HashSet<i64> = HashSet::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for event in events {
        if !seen.insert(event.uid.as_str()) {
            continue;
        }
        let data = serde_json::to_string(event).unwrap_or_default();
        let existing: Option<(i64, String)> = tx
            .query_row(
                "SELECT event_id, data FROM event_listings WHERE source_id = ?1 AND source_uid = ?2",
                params![source_id, event.uid],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let event_id = match existing {
            Some((event_id, old)) => {
                tx.execute(
                    "UPDATE event_listings SET data = ?3, last_seen_at = ?4, missing_count = 0, listed = 1
                     WHERE source_id = ?1 AND source_uid = ?2",
                    params![source_id, event.uid, data, ts(now)],
                )?;
                if old != data {
                    touched.insert(event_id);
                }
                event_id
            }
            None => {
                let event_id = match find_match(tx, event, zone)? {
                    Some(id) => id,
                    None => {
                        counts.new += 1;
                        insert_event(tx, source_id, event, zone, now)?
                    }
                };
                tx.execute(
                    "INSERT INTO event_listings (source_id, source_uid, event_id, data, first_seen_at, last_seen_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                    params![source_id, event.uid, event_id, data, ts(now)],
                )?;
                touched.insert(event_id);
                event_id
            }
        };
        tx.execute(
            "UPDATE events SET last_seen_at = ?2 WHERE id = ?1",
            params![event_id, ts(now)],
        )?;
    }
    // Future events this source listed before but not now move towards "no longer listed"
    // — only when this fetch read the source's whole list.
    let mut absent = tx.prepare(
        "SELECT l.source_uid, l.event_id, l.missing_count FROM event_listings l JOIN events e ON e.id = l.event_id
         WHERE l.source_id = ?1 AND l.listed = 1 AND e.start_utc > ?2",
    )?;
    let absent: Vec<(String, i64, i64)> = absent
        .query_map(params![source_id, ts(now)], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    for (uid, event_id, missing) in absent
        .into_iter()
        .filter(|(uid, _, _)| complete && !seen.contains(uid.as_str()))
    {
        let unlisted = missing + 1 >= MISSING_FETCHES_BEFORE_UNLISTED;
        tx.execute(
            "UPDATE event_listings SET missing_count = missing_count + 1, listed = ?3 WHERE source_id = ?1 AND source_uid = ?2",
            params![source_id, uid, !unlisted],
        )?;
        if unlisted {
            counts.unlisted += 1;
            touched.insert(event_id);
        }
    }
    let mut touched: Vec<i64> = touched.into_iter().collect();
    touched.sort_unstable();
    for event_id in touched {
        if remerge(tx, event_id, zone, now)? {
            counts.updated += 1;
        }
    }
    Ok(counts)
}

/// The existing event this one duplicates, if any.
/// An existing event the listing is the same event as: listed by another source (two
/// listings of one source are two events, whatever their titles), at the same start,
/// and alike by [`dedup::match_score`].
fn find_match(tx: &Transaction, event: &Event, zone: Tz) -> rusqlite::Result<Option<i64>> {
    let start = event.start.instant(zone);
    let mut stmt = tx.prepare_cached(
        "SELECT id, title, start_at, location_name, location_address, url, online_url FROM events e
         WHERE start_utc BETWEEN ?1 AND ?2
           AND NOT EXISTS (SELECT 1 FROM event_listings l WHERE l.event_id = e.id AND l.source_id = ?3)
         ORDER BY id",
    )?;
    let candidates = stmt.query_map(
        params![
            ts(start.checked_sub_signed(MATCH_WINDOW).unwrap_or(start)),
            ts(start.checked_add_signed(MATCH_WINDOW).unwrap_or(start)),
            event.source_id
        ],
        |row| {
            let start_at: String = row.get(2)?;
            Ok((
                row.get::<_, i64>(0)?,
                Event {
                    title: row.get(1)?,
                    start: EventTime::from_text(&start_at).unwrap_or(event.start),
                    location_name: row.get(3)?,
                    location_address: row.get(4)?,
                    url: row.get(5)?,
                    online_url: row.get(6)?,
                    ..event.clone()
                },
            ))
        },
    )?;
    let mut best: Option<(f64, i64)> = None;
    for candidate in candidates {
        let (id, existing) = candidate?;
        if let Some(score) = dedup::match_score(event, &existing) {
            if best.is_none_or(|(b, _)| score > b) {
                best = Some((score, id));
            }
        }
    }
    Ok(best.map(|(_, id)| id))
}

fn insert_event(
    tx: &Transaction,
    source_id: &str,
    event: &Event,
    zone: Tz,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    let digest = Sha256::digest(format!("{source_id}\n{}", event.uid).as_bytes());
    let uid: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    tx.execute(
        "INSERT INTO events (uid, title, start_at, start_utc, end_utc, all_day, status, calendar_hash, first_seen_at, last_seen_at, changed_at)
         VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, '', ?7, ?7, ?7)",
        params![uid, event.title, event.start.to_text(), ts(event.start.instant(zone)), event.all_day(), event.status.as_str(), ts(now)],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Recomputes an event from its listings; true when what a calendar shows changed.
fn remerge(
    tx: &Transaction,
    event_id: i64,
    zone: Tz,
    now: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    let mut stmt = tx.prepare(
        "SELECT l.source_id, l.data, l.listed FROM event_listings l JOIN sources s ON s.id = l.source_id
         WHERE l.event_id = ?1 ORDER BY l.first_seen_at, l.source_id",
    )?;
    let listings: Vec<Listing> = stmt
        .query_map([event_id], |row| {
            let data: String = row.get(1)?;
            Ok((row.get::<_, String>(0)?, data, row.get::<_, bool>(2)?))
        })?
        .filter_map(|row| {
            let (source_id, data, listed) = row.ok()?;
            let event: Event = serde_json::from_str(&data).ok()?;
            Some(Listing {
                source_id,
                event,
                listed,
            })
        })
        .collect();
    let Some(merged) = dedup::merge(&listings) else {
        return Ok(false);
    };
    let listed = listings.iter().any(|l| l.listed);
    let e = &merged.event;
    let hash = calendar_hash(e, listed);
    let old_hash: String = tx.query_row(
        "SELECT calendar_hash FROM events WHERE id = ?1",
        [event_id],
        |row| row.get(0),
    )?;
    let changed = old_hash != hash;
    let first_time = old_hash.is_empty();
    tx.execute(
        "UPDATE events SET series_uid = ?2, title = ?3, description_text = ?4, description_html = ?5, start_at = ?6,
            end_at = ?7, start_utc = ?8, all_day = ?9, timezone = ?10, location_name = ?11, location_address = ?12,
            online_url = ?13, url = ?14, organiser = ?15, language = ?16, status = ?17, categories = ?18,
            listed = ?19, provenance = ?20, calendar_hash = ?21,
            revision = revision + ?22, changed_at = CASE WHEN ?22 = 1 THEN ?23 ELSE changed_at END,
            end_utc = ?24
         WHERE id = ?1",
        params![
            event_id,
            e.series_uid,
            e.title,
            e.description_text,
            e.description_html,
            e.start.to_text(),
            e.end.map(|t| t.to_text()),
            ts(e.start.instant(zone)),
            e.all_day(),
            e.timezone,
            e.location_name,
            e.location_address,
            e.online_url,
            e.url,
            e.organiser,
            e.language,
            e.status.as_str(),
            serde_json::to_string(&e.categories).unwrap_or_else(|_| "[]".into()),
            listed,
            serde_json::to_string(&merged.provenance).unwrap_or_else(|_| "{}".into()),
            hash,
            i64::from(changed && !first_time),
            ts(now),
            ts(e.end.map_or(e.start, |end| end).instant(zone).max(e.start.instant(zone))),
        ],
    )?;
    Ok(changed && !first_time)
}

/// A digest of what a calendar shows of an event.
fn calendar_hash(e: &Event, listed: bool) -> String {
    let fields = [
        e.title.clone(),
        e.description_text.clone().unwrap_or_default(),
        e.start.to_text(),
        e.end.map(|t| t.to_text()).unwrap_or_default(),
        e.timezone.clone().unwrap_or_default(),
        e.location_name.clone().unwrap_or_default(),
        e.location_address.clone().unwrap_or_default(),
        e.online_url.clone().unwrap_or_default(),
        e.url.clone().unwrap_or_default(),
        e.status.as_str().to_string(),
        listed.to_string(),
        e.categories.join(","),
    ];
    let mut hasher = Sha256::new();
    for field in fields {
        hasher.update(field.as_bytes());
        hasher.update([0xff]);
    }
    format!("{:x}", hasher.finalize())
}

const EVENT_COLUMNS: &str = "e.uid, e.series_uid, e.title, e.description_text, e.description_html, e.start_at, e.end_at, \
     e.timezone, e.location_name, e.location_address, e.online_url, e.url, e.organiser, e.language, e.status, \
     e.categories, e.listed, e.revision, e.provenance, e.first_seen_at, e.last_seen_at, e.changed_at, e.id";

impl Store {
    /// Events matching `filter`, by start time.
    pub fn events(&self, filter: &EventFilter) -> Result<Vec<StoredEvent>, StoreError> {
        self.read("reading events", |conn| {
            let mut clause = String::new();
            let mut values: Vec<Value> = Vec::new();
            let mut listed_by = |sql: &str, list: &[String]| {
                if list.is_empty() {
                    return;
                }
                let marks = vec!["?"; list.len()].join(", ");
                clause.push_str(&format!(
                    " AND EXISTS (SELECT 1 FROM event_listings l JOIN sources s ON s.id = l.source_id WHERE l.event_id = e.id AND {})",
                    sql.replace("{}", &marks)
                ));
                values.extend(list.iter().map(|v| Value::Text(v.clone())));
            };
            listed_by("s.id IN ({})", &filter.sources);
            listed_by("s.department COLLATE NOCASE IN ({})", &filter.departments);
            if !filter.tags.is_empty() {
                let marks = vec!["?"; filter.tags.len()].join(", ");
                clause.push_str(&format!(
                    " AND (EXISTS (SELECT 1 FROM event_listings l JOIN sources s ON s.id = l.source_id, json_each(s.tags) t
                                   WHERE l.event_id = e.id AND t.value COLLATE NOCASE IN ({marks}))
                        OR EXISTS (SELECT 1 FROM json_each(e.categories) c WHERE c.value COLLATE NOCASE IN ({marks})))"
                ));
                values.extend(filter.tags.iter().map(|v| Value::Text(v.clone())));
                values.extend(filter.tags.iter().map(|v| Value::Text(v.clone())));
            }
            if let Some(uid) = &filter.uid {
                clause.push_str(" AND e.uid = ?");
                values.push(Value::Text(uid.clone()));
            }
            if let Some(query) = filter.text.as_deref().and_then(super::fts_query) {
                clause.push_str(" AND e.id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)");
                values.push(Value::Text(query));
            }
            if let Some(from) = filter.from {
                clause.push_str(" AND e.end_utc >= ?");
                values.push(Value::Text(ts(from)));
            }
            if let Some(to) = filter.to {
                clause.push_str(" AND e.start_utc < ?");
                values.push(Value::Text(ts(to)));
            }
            values.push(Value::Integer(i64::from(filter.limit.max(1))));
            values.push(Value::Integer(i64::from(filter.offset)));
            let order = if filter.descending { "e.start_utc DESC, e.id DESC" } else { "e.start_utc, e.id" };
            let sql = format!("SELECT {EVENT_COLUMNS} FROM events e WHERE 1 = 1 {clause} ORDER BY {order} LIMIT ? OFFSET ?");
            let mut stmt = conn.prepare(&sql)?;
            let mut events: Vec<(i64, StoredEvent)> = stmt
                .query_map(rusqlite::params_from_iter(values), event_from_row)?
                .collect::<rusqlite::Result<_>>()?;
            let mut sources = conn.prepare(
                "SELECT s.id, s.name, s.department, s.tags, l.source_uid, l.listed
                 FROM event_listings l JOIN sources s ON s.id = l.source_id
                 WHERE l.event_id = ?1 ORDER BY l.first_seen_at, s.id",
            )?;
            for (id, stored) in &mut events {
                let rows: Vec<(ListedBy, String)> = sources
                    .query_map([*id], |row| {
                        Ok((
                            ListedBy {
                                source_id: row.get(0)?,
                                source_name: row.get(1)?,
                                department: row.get(2)?,
                                source_uid: row.get(4)?,
                                listed: row.get(5)?,
                            },
                            row.get::<_, String>(3)?,
                        ))
                    })?
                    .collect::<rusqlite::Result<_>>()?;
                let mut tags: Vec<String> = Vec::new();
                for (listed_by, source_tags) in rows {
                    for tag in json_list(&source_tags) {
                        if !tags.contains(&tag) {
                            tags.push(tag);
                        }
                    }
                    stored.sources.push(listed_by);
                }
                for category in &stored.event.categories {
                    if !tags.iter().any(|t| t.eq_ignore_ascii_case(category)) {
                        tags.push(category.clone());
                    }
                }
                stored.tags = tags;
            }
            Ok(events.into_iter().map(|(_, e)| e).collect())
        })
    }

    /// One event by its public uid.
    pub fn event(&self, uid: &str) -> Result<Option<StoredEvent>, StoreError> {
        let found = self.events(&EventFilter {
            uid: Some(uid.to_string()),
            limit: 1,
            ..EventFilter::default()
        })?;
        Ok(found.into_iter().next())
    }
}

fn event_from_row(row: &rusqlite::Row) -> rusqlite::Result<(i64, StoredEvent)> {
    let text_time = |index: usize| -> rusqlite::Result<Option<EventTime>> {
        let text: Option<String> = row.get(index)?;
        Ok(text.as_deref().and_then(EventTime::from_text))
    };
    let status: String = row.get(14)?;
    let provenance: String = row.get(18)?;
    let event = Event {
        source_id: String::new(),
        uid: row.get(0)?,
        series_uid: row.get(1)?,
        title: row.get(2)?,
        description_text: row.get(3)?,
        description_html: row.get(4)?,
        start: text_time(5)?.ok_or_else(|| {
            rusqlite::Error::InvalidColumnType(5, "start_at".into(), rusqlite::types::Type::Text)
        })?,
        end: text_time(6)?,
        timezone: row.get(7)?,
        location_name: row.get(8)?,
        location_address: row.get(9)?,
        online_url: row.get(10)?,
        url: row.get(11)?,
        organiser: row.get(12)?,
        language: row.get(13)?,
        status: EventStatus::parse(&status).unwrap_or(EventStatus::Confirmed),
        categories: json_list(&row.get::<_, String>(15)?),
    };
    Ok((
        row.get(22)?,
        StoredEvent {
            uid: event.uid.clone(),
            event,
            listed: row.get(16)?,
            revision: row.get(17)?,
            sources: Vec::new(),
            tags: Vec::new(),
            provenance: serde_json::from_str(&provenance).unwrap_or_default(),
            first_seen: ts_column(row, 19)?.unwrap_or_default(),
            last_seen: ts_column(row, 20)?.unwrap_or_default(),
            changed: ts_column(row, 21)?.unwrap_or_default(),
        },
    ))
}
