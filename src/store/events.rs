//! Events in the store, as views read them: merged rows with the sources listing them.
//! Writing them (listings, merging, the lifecycle of events that stop being listed) is
//! `store::listings`.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params_from_iter};

use super::{Store, StoreError, json_list, ts};
use crate::model::{Event, EventStatus, EventTime, EventVersion};

/// After this many successful fetches without it, a future event is no longer listed.
pub const MISSING_FETCHES_BEFORE_UNLISTED: i64 = 3;

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
    /// Which source gave each field (read when asked: the calendar never does).
    pub provenance: Provenance,
    /// The event in other languages than `event.language`, each from its listings in that
    /// language (a department's French calendar beside its English one).
    pub versions: Vec<EventVersion>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub changed: DateTime<Utc>,
    /// Set on an event joined with its version in another language stored apart
    /// (`store::rejoin`): the UID of the event that took its place. Only calendars read
    /// such events ([`EventFilter::retired`]), to publish them cancelled.
    pub merged_into: Option<String>,
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
    /// Also events joined into another (`StoredEvent::merged_into`): calendars publish
    /// them cancelled, so their UIDs do not vanish silently from subscribers' calendars.
    /// Their sources, departments and tags are the event's that took their place.
    pub retired: bool,
    /// Skip this many (pagination).
    pub offset: u32,
    pub limit: u32,
}

/// Counts of what one source's events did to the store.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct EventCounts {
    pub new: u32,
    /// Events whose calendar view changed (their revision went up).
    pub updated: u32,
    pub unlisted: u32,
    /// Events rewritten for fields calendars do not show.
    pub rewritten: u32,
}

/// An event's provenance as stored: JSON mapping each field to the source it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance(pub String);

impl Provenance {
    /// Field name → source id.
    pub fn map(&self) -> BTreeMap<String, String> {
        serde_json::from_str(&self.0).unwrap_or_default()
    }
}

const EVENT_COLUMNS: &str = "e.uid, e.series_uid, e.title, e.description_text, e.description_html, e.start_at, e.end_at, \
     e.timezone, e.location_name, e.location_address, e.online_url, e.url, e.organiser, e.language, e.status, \
     e.categories, e.listed, e.revision, e.provenance, e.first_seen_at, e.last_seen_at, e.changed_at, e.id, e.start_utc, \
     e.versions, (SELECT k.uid FROM events k WHERE k.id = e.merged_into)";

/// Where an event stands in start order: its start instant as stored, and its row id.
pub(super) type EventKey = (String, i64);

impl Store {
    /// Events matching `filter`, by start time, each with the sources listing it: two
    /// queries whatever the number of events (the events, then all their listings).
    pub fn events(&self, filter: &EventFilter) -> Result<Vec<StoredEvent>, StoreError> {
        self.read("reading events", |conn| {
            select_events(conn, filter, None)
                .map(|events| events.into_iter().map(|(_, e)| e).collect())
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

    /// The UID of the event that took the place of the event `uid` when the two were
    /// joined as one event's language versions (`store::rejoin`), if it was.
    pub fn merged_into(&self, uid: &str) -> Result<Option<String>, StoreError> {
        self.read("reading an event's successor", |conn| {
            conn.prepare_cached(
                "SELECT k.uid FROM events e JOIN events k ON k.id = e.merged_into WHERE e.uid = ?1",
            )?
            .query_row([uid], |row| row.get(0))
            .optional()
        })
    }
}

/// What a listing shows of its source.
struct ListingSource {
    name: String,
    department: String,
    tags: Vec<String>,
    listings_seen_at: Option<String>,
}

/// The events matching `filter` (and, when `after` holds the start and row id of an event,
/// only those after it in start order), each with its key (stored start, row id) and the
/// sources listing it: two queries whatever the number of events, the second reading
/// the listings of exactly the ids the first returned.
pub(super) fn select_events(
    conn: &rusqlite::Connection,
    filter: &EventFilter,
    after: Option<(&str, i64)>,
) -> rusqlite::Result<Vec<(EventKey, StoredEvent)>> {
    select_events_between(conn, filter, after, None)
}

/// [`select_events`], also only up to the event whose key is `until` (included).
pub(super) fn select_events_between(
    conn: &rusqlite::Connection,
    filter: &EventFilter,
    after: Option<(&str, i64)>,
    until: Option<(&str, i64)>,
) -> rusqlite::Result<Vec<(EventKey, StoredEvent)>> {
    let (mut clause, mut values) = filter_clause(filter);
    if let Some((start, id)) = after {
        clause.push_str(" AND e.start_utc >= ? AND (e.start_utc > ? OR e.id > ?)");
        values.push(Value::Text(start.to_string()));
        values.push(Value::Text(start.to_string()));
        values.push(Value::Integer(id));
    }
    if let Some((start, id)) = until {
        // The plain bound ends the index range; the rest settles ties.
        clause.push_str(" AND e.start_utc <= ? AND (e.start_utc < ? OR e.id <= ?)");
        values.push(Value::Text(start.to_string()));
        values.push(Value::Text(start.to_string()));
        values.push(Value::Integer(id));
    }
    values.push(Value::Integer(i64::from(filter.limit.max(1))));
    values.push(Value::Integer(i64::from(filter.offset)));
    let mut events: Vec<(EventKey, StoredEvent)> = conn
        .prepare_cached(&page_sql(&clause, filter.descending))?
        .query_map(params_from_iter(values.iter()), event_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    if events.is_empty() {
        return Ok(events);
    }
    // The listings of these ids, named as a JSON array: one statement prepared once,
    // instead of running the events' selection (its filters, order and limit) again.
    let mut ids = String::with_capacity(events.len() * 8 + 2);
    ids.push('[');
    for (i, ((_, id), _)) in events.iter().enumerate() {
        if i > 0 {
            ids.push(',');
        }
        ids.push_str(&id.to_string());
    }
    ids.push(']');
    let mut listings: HashMap<i64, Vec<(ListedBy, String)>> = HashMap::with_capacity(events.len());
    // The listings come from their covering index alone; the few sources they name are
    // read once each (a join read a source's row again for every listing).
    let mut sources: HashMap<String, Option<ListingSource>> = HashMap::new();
    let mut source_stmt = conn.prepare_cached(
        "SELECT name, department, tags, listings_seen_at FROM sources WHERE id = ?1",
    )?;
    let mut stmt = conn.prepare_cached(
        "SELECT l.event_id, l.source_id, l.source_uid, l.listed, l.missing_count, l.last_seen_at
             FROM event_listings l
             WHERE l.event_id IN (SELECT value FROM json_each(?1))
             ORDER BY l.event_id, l.first_seen_at, l.source_id",
    )?;
    let mut rows = stmt.query([ids])?;
    while let Some(row) = rows.next()? {
        let source_id = row.get_ref(1)?.as_str()?;
        let source = match sources.get(source_id) {
            Some(source) => source,
            None => {
                let found = source_stmt
                    .query_row([source_id], |s| {
                        Ok(ListingSource {
                            name: s.get(0)?,
                            department: s.get(1)?,
                            tags: json_list(&s.get::<_, String>(2)?),
                            listings_seen_at: s.get(3)?,
                        })
                    })
                    .optional()?;
                sources.entry(source_id.to_string()).or_insert(found)
            }
        };
        // A listing whose source is gone is not shown (as the join did not).
        let Some(source) = source else {
            continue;
        };
        let last_seen = row.get_ref(5)?.as_str()?;
        // The later of its own sighting and its source's last complete list (text order
        // is time order), unless the source has stopped listing it.
        let seen = if row.get::<_, i64>(4)? == 0 {
            last_seen.max(source.listings_seen_at.as_deref().unwrap_or(""))
        } else {
            last_seen
        };
        let listed_by = ListedBy {
            source_id: row.get(1)?,
            source_name: source.name.clone(),
            department: source.department.clone(),
            source_uid: row.get(2)?,
            listed: row.get(3)?,
        };
        listings
            .entry(row.get(0)?)
            .or_default()
            .push((listed_by, seen.to_string()));
    }
    for ((_, id), stored) in &mut events {
        let mut tags: Vec<String> = Vec::new();
        for (listed_by, seen) in listings.remove(id).unwrap_or_default() {
            let source_tags = sources.get(&listed_by.source_id).into_iter().flatten();
            for tag in source_tags.flat_map(|s| &s.tags) {
                if !tags.contains(tag) {
                    tags.push(tag.clone());
                }
            }
            if let Some(seen) = super::parse_ts(&seen) {
                stored.last_seen = stored.last_seen.max(seen);
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
    Ok(events)
}

/// The statement reading a page of events under `clause` (from [`filter_clause`]), in
/// start order (newest first when `descending`); its last two values are the limit and
/// the offset.
pub(super) fn page_sql(clause: &str, descending: bool) -> String {
    let order = if descending {
        "e.start_utc DESC, e.id DESC"
    } else {
        "e.start_utc, e.id"
    };
    format!(
        "SELECT {EVENT_COLUMNS} FROM events e WHERE 1 = 1 {clause} ORDER BY {order} LIMIT ? OFFSET ?"
    )
}

/// The `AND …` conditions of a filter, with their values in order.
pub(super) fn filter_clause(filter: &EventFilter) -> (String, Vec<Value>) {
    let mut clause = String::new();
    let mut values: Vec<Value> = Vec::new();
    let mut listed_by = |sql: &str, list: &[String]| {
        if list.is_empty() {
            return;
        }
        let marks = vec!["?"; list.len()].join(", ");
        // The listed events are gathered once, not looked up for each event read: a
        // department's calendar walks every event in start order.
        clause.push_str(&format!(
            " AND coalesce(e.merged_into, e.id) IN (SELECT l.event_id FROM event_listings l JOIN sources s ON s.id = l.source_id WHERE {})",
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
                           WHERE l.event_id = coalesce(e.merged_into, e.id) AND t.value COLLATE NOCASE IN ({marks}))
                OR EXISTS (SELECT 1 FROM json_each(e.categories) c WHERE c.value COLLATE NOCASE IN ({marks})))"
        ));
        values.extend(filter.tags.iter().map(|v| Value::Text(v.clone())));
        values.extend(filter.tags.iter().map(|v| Value::Text(v.clone())));
    }
    if !filter.retired {
        clause.push_str(" AND e.merged_into IS NULL");
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
    (clause, values)
}

fn event_from_row(row: &rusqlite::Row) -> rusqlite::Result<(EventKey, StoredEvent)> {
    // Columns only parsed are read in place rather than copied into strings first.
    let text_time = |index: usize| -> rusqlite::Result<Option<EventTime>> {
        let text = row.get_ref(index)?.as_str_or_null()?;
        Ok(text.and_then(EventTime::from_text))
    };
    let instant = |index: usize| -> rusqlite::Result<DateTime<Utc>> {
        match row.get_ref(index)?.as_str_or_null()? {
            None => Ok(DateTime::default()),
            Some(text) => super::parse_ts(text).ok_or_else(|| {
                rusqlite::Error::FromSqlConversionFailure(
                    index,
                    rusqlite::types::Type::Text,
                    format!("`{text}` is not an RFC 3339 time").into(),
                )
            }),
        }
    };
    let status = row.get_ref(14)?.as_str()?;
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
        status: EventStatus::parse(status).unwrap_or(EventStatus::Confirmed),
        categories: json_list(row.get_ref(15)?.as_str()?),
        translations: Vec::new(),
    };
    let versions = row.get_ref(24)?.as_str_or_null()?;
    Ok((
        (row.get(23)?, row.get(22)?),
        StoredEvent {
            uid: event.uid.clone(),
            event,
            listed: row.get(16)?,
            revision: row.get(17)?,
            sources: Vec::new(),
            tags: Vec::new(),
            provenance: Provenance(provenance),
            versions: versions
                .map(crate::normalise::dedup::language::stored_versions)
                .unwrap_or_default(),
            first_seen: instant(19)?,
            last_seen: instant(20)?,
            changed: instant(21)?,
            merged_into: row.get(25)?,
        },
    ))
}
