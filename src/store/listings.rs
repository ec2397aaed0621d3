//! Writing one source's events. Each source's version of an event is kept as a listing
//! with a digest of its content, so a listing that did not change costs one indexed
//! lookup and no write; listings of the same event from different sources are merged
//! into one event row (the rules live in `normalise::dedup`), and only events whose
//! listings changed are merged again. "Last seen" is the source's latest reading
//! (`sources.listings_seen_at`, written once per fetch): a listing's own `last_seen_at`
//! is written when it changes or goes missing. Every statement is prepared once per
//! connection (`prepare_cached`).

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::events::{EventCounts, MISSING_FETCHES_BEFORE_UNLISTED};
use super::ts;
use crate::model::{Event, EventTime};
use crate::normalise::dedup::{self, Listing, Merged};

/// Candidates for a merge start within this much of each other.
const MATCH_WINDOW: Duration = Duration::minutes(1);

/// A listing as stored, for comparing with the one just read.
struct Stored {
    event_id: i64,
    hash: String,
    /// Only for listings stored before digests were kept.
    data: Option<String>,
    missing: i64,
    listed: bool,
}

/// Writes one source's events inside the fetch's transaction.
/// What writing one listing needs that no stored row does, worked out before the
/// writer is taken (see `Store::save_fetch`).
pub(super) struct Prepared<'a> {
    event: &'a Event,
    /// The listing as stored (JSON), and its digest.
    data: String,
    hash: String,
    /// What a new listing needs; worked out beforehand only for a uid that was not
    /// stored when the fetch was prepared (else in the writer, if it is new after all).
    new: Option<New<'a>>,
}

/// The row a new listing's event gets, and the probe that looks for its match.
struct New<'a> {
    /// The event as its only listing makes it, and its columns: the row of a new event.
    alone: Merged,
    columns: Columns,
    probe: dedup::Probe<'a>,
}

impl<'a> New<'a> {
    fn of(source_id: &str, event: &'a Event, zone: Tz) -> New<'a> {
        let listing = Listing {
            source_id: source_id.to_string(),
            event: event.clone(),
            listed: true,
        };
        let Some(alone) = dedup::merge(std::slice::from_ref(&listing)) else {
            unreachable!("one listed listing always merges");
        };
        let probe = dedup::Probe::new(event);
        // The probe has read the title already; the row's key and words are the same
        // when the merge kept the listing's title (as a merge of one listing does).
        let keys =
            (alone.event.title == event.title).then(|| (probe.key().to_string(), probe.marks()));
        New {
            columns: Columns::with_keys(&alone, true, zone, keys),
            alone,
            probe,
        }
    }
}

/// The uids of a source's stored listings (read before a fetch's write, from a reader).
pub(super) fn known_uids(conn: &Connection, source_id: &str) -> rusqlite::Result<HashSet<String>> {
    conn.prepare_cached("SELECT source_uid FROM event_listings WHERE source_id = ?1")?
        .query_map([source_id], |row| row.get(0))?
        .collect()
}

/// Prepares a source's events for [`save_events`]; a uid listed twice counts once (the
/// first). Listings whose uid is in `known` (stored already) get their digest only: a
/// calendar read again with one event changed merges, keys and probes that one alone.
pub(super) fn prepare<'a>(
    source_id: &str,
    events: &'a [Event],
    zone: Tz,
    known: &HashSet<String>,
) -> Vec<Prepared<'a>> {
    let mut seen: HashSet<&str> = HashSet::with_capacity(events.len());
    events
        .iter()
        .filter(|event| seen.insert(event.uid.as_str()))
        .map(|event| {
            let data = serde_json::to_string(event).unwrap_or_default();
            Prepared {
                event,
                hash: digest(&data),
                data,
                new: (!known.contains(&event.uid)).then(|| New::of(source_id, event, zone)),
            }
        })
        .collect()
}

pub(super) fn save_events(
    tx: &Connection,
    source_id: &str,
    prepared: &[Prepared<'_>],
    complete: bool,
    zone: Tz,
    now: DateTime<Utc>,
) -> rusqlite::Result<EventCounts> {
    let mut counts = EventCounts::default();
    let mut touched: BTreeSet<i64> = BTreeSet::new();
    let mut seen: HashSet<&str> = HashSet::with_capacity(prepared.len());
    let mut inserted: Vec<i64> = Vec::new();
    let mut linking: Vec<i64> = Vec::new();
    let pairing = super::translations::Pairing::of(tx, source_id)?;
    let mut lookup = tx.prepare_cached(
        "SELECT event_id, content_hash, CASE WHEN content_hash = '' THEN data END, missing_count, listed
         FROM event_listings WHERE source_id = ?1 AND source_uid = ?2",
    )?;
    for listing in prepared {
        let (event, data, hash) = (listing.event, &listing.data, &listing.hash);
        seen.insert(event.uid.as_str());
        let stored = lookup
            .query_row(params![source_id, event.uid], |row| {
                Ok(Stored {
                    event_id: row.get(0)?,
                    hash: row.get(1)?,
                    data: row.get(2)?,
                    missing: row.get(3)?,
                    listed: row.get(4)?,
                })
            })
            .optional()?;
        match stored {
            Some(stored) => {
                let same = stored.hash == *hash
                    || (stored.hash.is_empty() && stored.data.as_deref() == Some(data.as_str()));
                if !same {
                    tx.prepare_cached(
                        "UPDATE event_listings SET data = ?3, content_hash = ?4, last_seen_at = ?5,
                            missing_count = 0, listed = 1
                         WHERE source_id = ?1 AND source_uid = ?2",
                    )?
                    .execute(params![
                        source_id,
                        event.uid,
                        data,
                        hash,
                        ts(now)
                    ])?;
                    touched.insert(stored.event_id);
                    if !event.translations.is_empty() {
                        // It may link a translation stored apart (`store::rejoin`).
                        linking.push(stored.event_id);
                    }
                } else if stored.hash.is_empty() || stored.missing != 0 || !stored.listed {
                    tx.prepare_cached(
                        "UPDATE event_listings SET content_hash = ?3, last_seen_at = ?4,
                            missing_count = 0, listed = 1
                         WHERE source_id = ?1 AND source_uid = ?2",
                    )?
                    .execute(params![source_id, event.uid, hash, ts(now)])?;
                    if !stored.listed {
                        touched.insert(stored.event_id);
                    }
                }
            }
            None => {
                // Stored when the fetch was prepared, gone since (another process).
                let computed;
                let new = match &listing.new {
                    Some(new) => new,
                    None => {
                        computed = New::of(source_id, event, zone);
                        &computed
                    }
                };
                let event_id = match find_match(tx, event, new, &pairing, zone)? {
                    Some(id) => {
                        touched.insert(id);
                        id
                    }
                    None => {
                        let id = insert_event(tx, source_id, event, new, now)?;
                        inserted.push(id);
                        id
                    }
                };
                tx.prepare_cached(
                    "INSERT INTO event_listings (source_id, source_uid, event_id, data, content_hash,
                        first_seen_at, last_seen_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                )?
                .execute(params![source_id, event.uid, event_id, data, hash, ts(now)])?;
            }
        }
    }
    counts.new = inserted.len() as u32;
    // Before any merge below can change an indexed text.
    super::fts::index_new_events(tx, &inserted)?;
    if complete {
        counts.unlisted = count_absent(tx, source_id, &seen, now, &mut touched)?;
    }
    remerge_all(tx, touched, zone, now, &mut counts)?;
    rejoin_apart(tx, source_id, &pairing, linking, zone, now, &mut counts)?;
    Ok(counts)
}

/// Events of this source stored apart from their versions in another language are joined
/// with them (`store::rejoin`): all its upcoming events when a partner source appeared,
/// else those whose listing changed and links a translation.
fn rejoin_apart(
    tx: &Connection,
    source_id: &str,
    pairing: &super::translations::Pairing,
    linking: Vec<i64>,
    zone: Tz,
    now: DateTime<Utc>,
    counts: &mut EventCounts,
) -> rusqlite::Result<()> {
    let events = if super::rejoin::partners_appeared(tx, source_id, pairing)? {
        super::rejoin::upcoming_of(tx, source_id, now)?
    } else {
        linking
    };
    if events.is_empty() {
        return Ok(());
    }
    let mut remerge_kept = |tx: &Connection, id: i64| remerge(tx, id, zone, now).map(|_| ());
    counts.updated +=
        super::rejoin::rejoin(tx, source_id, pairing, &events, now, &mut remerge_kept)?;
    Ok(())
}

/// A reading of the same document as last time (unchanged, or not modified): events
/// missing from it were missing from the last one, so they move on towards "no longer
/// listed" as they would with any reading; nothing else is written.
pub(super) fn same_reading_again(
    tx: &Connection,
    source_id: &str,
    zone: Tz,
    now: DateTime<Utc>,
) -> rusqlite::Result<EventCounts> {
    let missing: Vec<(String, i64, i64)> = tx
        .prepare_cached(
            "SELECT l.source_uid, l.event_id, l.missing_count FROM event_listings l
             JOIN events e ON e.id = l.event_id
             WHERE l.source_id = ?1 AND l.listed = 1 AND l.missing_count > 0 AND e.start_utc > ?2",
        )?
        .query_map(params![source_id, ts(now)], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut counts = EventCounts::default();
    let mut touched = BTreeSet::new();
    for (uid, event_id, missing) in missing {
        let gone = missing + 1 >= MISSING_FETCHES_BEFORE_UNLISTED;
        tx.prepare_cached(
            "UPDATE event_listings SET missing_count = missing_count + 1, listed = ?3
             WHERE source_id = ?1 AND source_uid = ?2",
        )?
        .execute(params![source_id, uid, !gone])?;
        if gone {
            counts.unlisted += 1;
            touched.insert(event_id);
        }
    }
    remerge_all(tx, touched, zone, now, &mut counts)?;
    // A source that lists no events (a feed of posts) has nothing to join with a
    // partner's: its pairing is not worked out (it reads other sources, in every write).
    let lists_events: bool = tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM event_listings WHERE source_id = ?1)")?
        .query_row([source_id], |row| row.get(0))?;
    if lists_events {
        let pairing = super::translations::Pairing::of(tx, source_id)?;
        rejoin_apart(tx, source_id, &pairing, Vec::new(), zone, now, &mut counts)?;
    }
    Ok(counts)
}

/// Upcoming events this source listed before but not in this reading of its whole list
/// move towards "no longer listed"; returns how many got there. Each keeps, as its last
/// seen time, the source's reading before this one.
fn count_absent(
    tx: &Connection,
    source_id: &str,
    seen: &HashSet<&str>,
    now: DateTime<Utc>,
    touched: &mut BTreeSet<i64>,
) -> rusqlite::Result<u32> {
    let previous_reading: Option<String> = tx
        .prepare_cached("SELECT listings_seen_at FROM sources WHERE id = ?1")?
        .query_row([source_id], |row| row.get(0))
        .optional()?
        .flatten();
    let listed: Vec<(String, i64, i64)> = tx
        .prepare_cached(
            "SELECT l.source_uid, l.event_id, l.missing_count FROM event_listings l
             JOIN events e ON e.id = l.event_id
             WHERE l.source_id = ?1 AND l.listed = 1 AND e.start_utc > ?2",
        )?
        .query_map(params![source_id, ts(now)], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut unlisted = 0;
    for (uid, event_id, missing) in listed {
        if seen.contains(uid.as_str()) {
            continue;
        }
        let gone = missing + 1 >= MISSING_FETCHES_BEFORE_UNLISTED;
        tx.prepare_cached(
            "UPDATE event_listings SET missing_count = missing_count + 1, listed = ?3,
                last_seen_at = CASE WHEN missing_count = 0 THEN max(last_seen_at, coalesce(?4, ''))
                                    ELSE last_seen_at END
             WHERE source_id = ?1 AND source_uid = ?2",
        )?
        .execute(params![source_id, uid, !gone, previous_reading])?;
        if gone {
            unlisted += 1;
            touched.insert(event_id);
        }
    }
    Ok(unlisted)
}

/// An existing event the listing is the same event as: listed by another source (two
/// listings of one source are two events, whatever their titles), at the same start,
/// and alike by [`dedup::Probe::score`] — or its version in another language
/// (`store::translations`). Candidates come from the index on (start, row id, title
/// key) alone; only one whose title agrees (or, for a listing that may be a translation,
/// any) is checked against its listings and read whole.
fn find_match(
    tx: &Connection,
    event: &Event,
    new: &New<'_>,
    pairing: &super::translations::Pairing,
    zone: Tz,
) -> rusqlite::Result<Option<i64>> {
    let probe = &new.probe;
    let translating = pairing.applies(event);
    let start = event.start.instant(zone);
    // A candidate whose title's numbers, months or parts conflict with this one's cannot
    // agree: the index passes over it (a busy minute across a hundred calendars holds
    // dozens of "Lunch and learn 12" / "… 31" neighbours). Rows stored before the marks
    // were kept (NULL) are compared here, as are all candidates of a possible
    // translation, whose title is in another language.
    let marks = if translating { None } else { probe.marks_key() };
    let mut keys = tx.prepare_cached(
        "SELECT id, title_key FROM events INDEXED BY events_by_start
         WHERE start_utc BETWEEN ?1 AND ?2
           AND (?3 IS NULL OR title_marks IS NULL OR title_marks IN ('', ?3))
         ORDER BY id",
    )?;
    let window = [
        ts(start.checked_sub_signed(MATCH_WINDOW).unwrap_or(start)),
        ts(start.checked_add_signed(MATCH_WINDOW).unwrap_or(start)),
    ];
    let mut rows = keys.query(params![window[0], window[1], marks])?;
    // Each candidate, with the key of another language's version when that is the title
    // that agrees (`None`: the title it leads with, or read whole).
    let mut agreeing: Vec<(i64, Option<String>)> = Vec::new();
    let mut lead_agrees: HashSet<i64> = HashSet::new();
    while let Some(row) = rows.next()? {
        let key = row.get_ref(1)?.as_str_or_null()?;
        // A row stored before title keys were kept is read whole.
        let agrees = key.is_none_or(|key| probe.title_agrees(key));
        if translating || agrees {
            let id = row.get::<_, i64>(0)?;
            agreeing.push((id, None));
            if agrees {
                lead_agrees.insert(id);
            }
        }
    }
    drop(rows);
    // An event led by another language is the same event as a listing whose title agrees
    // with one of its other versions' (an English listing of an event first listed in
    // French): those keys have an index of their own, holding only such events.
    let mut versioned = tx.prepare_cached(
        "SELECT id, version_keys FROM events INDEXED BY events_by_start_versions
         WHERE version_keys IS NOT NULL AND start_utc BETWEEN ?1 AND ?2 ORDER BY id",
    )?;
    let mut rows = versioned.query(params![window[0], window[1]])?;
    while let Some(row) = rows.next()? {
        let id = row.get::<_, i64>(0)?;
        if lead_agrees.contains(&id) {
            continue;
        }
        let keys = row.get_ref(1)?.as_str_or_null()?.unwrap_or_default();
        if let Some(key) = keys.lines().find(|key| probe.title_agrees(key)) {
            agreeing.retain(|(known, _)| *known != id);
            agreeing.push((id, Some(key.to_string())));
        }
    }
    drop(rows);
    let mut best: Option<(f64, i64)> = None;
    let mut full = tx.prepare_cached(
        "SELECT title, start_at, location_name, location_address, url, online_url, title_key
         FROM events e WHERE id = ?1 AND merged_into IS NULL
           AND NOT EXISTS (SELECT 1 FROM event_listings l WHERE l.event_id = e.id AND l.source_id = ?2)",
    )?;
    for (id, version_key) in agreeing {
        let mut rows = full.query(params![id, event.source_id])?;
        let Some(row) = rows.next()? else { continue };
        let text = |i: usize| {
            row.get_ref(i)
                .ok()
                .and_then(|v| v.as_str_or_null().ok().flatten())
        };
        let candidate = dedup::Candidate {
            title: text(0).unwrap_or_default(),
            title_key: version_key.as_deref().or(text(6)),
            start: text(1)
                .and_then(EventTime::from_text)
                .unwrap_or(event.start),
            location_name: text(2),
            location_address: text(3),
            url: text(4),
            online_url: text(5),
        };
        let score = match probe.score(&candidate) {
            None if translating => super::translations::score(tx, id, event, pairing)?,
            score => score,
        };
        if let Some(score) = score
            && best.is_none_or(|(b, _)| score > b)
        {
            best = Some((score, id));
        }
    }
    Ok(best.map(|(_, id)| id))
}

/// A new event, listed by one source: written whole, once (its merge is itself).
fn insert_event(
    tx: &Connection,
    source_id: &str,
    event: &Event,
    new: &New<'_>,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    let digest = Sha256::digest(format!("{source_id}\n{}", event.uid).as_bytes());
    let uid = hex(&digest[..16]);
    let row = Row {
        event: &new.alone.event,
        cols: std::borrow::Cow::Borrowed(&new.columns),
    };
    tx.prepare_cached(
        "INSERT INTO events (uid, series_uid, title, description_text, description_html, start_at, end_at,
            start_utc, all_day, timezone, location_name, location_address, online_url, url, organiser,
            language, status, categories, listed, provenance, calendar_hash, revision,
            first_seen_at, last_seen_at, changed_at, end_utc, title_key, versions, version_keys,
            title_marks)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
            ?20, ?21, 0, ?22, ?22, ?22, ?23, ?24, ?25, ?26, ?27)",
    )?
    .execute(params![
        uid,
        row.event.series_uid,
        row.event.title,
        row.event.description_text,
        row.event.description_html,
        row.cols.start_at,
        row.cols.end_at,
        row.cols.start_utc,
        row.event.all_day(),
        row.event.timezone,
        row.event.location_name,
        row.event.location_address,
        row.event.online_url,
        row.event.url,
        row.event.organiser,
        row.event.language,
        row.event.status.as_str(),
        row.cols.categories,
        row.cols.listed,
        row.cols.provenance,
        row.cols.hash,
        ts(now),
        row.cols.end_utc,
        row.cols.title_key,
        row.cols.versions,
        row.cols.version_keys,
        row.cols.title_marks,
    ])?;
    Ok(tx.last_insert_rowid())
}

/// An event row as a merge makes it: the merged event and the columns that follow.
struct Row<'a> {
    event: &'a Event,
    cols: std::borrow::Cow<'a, Columns>,
}

/// The columns of an event row that follow from its merge.
#[derive(Clone)]
struct Columns {
    start_at: String,
    end_at: Option<String>,
    start_utc: String,
    end_utc: String,
    categories: String,
    listed: bool,
    provenance: String,
    hash: String,
    title_key: String,
    /// `dedup::title_marks` of the key.
    title_marks: String,
    /// The other languages' versions and the translation links (`None`: one language).
    versions: Option<String>,
    /// The title keys of the other languages' versions, one a line.
    version_keys: Option<String>,
}

impl<'a> Row<'a> {
    fn of(merged: &'a Merged, listed: bool, zone: Tz) -> Row<'a> {
        Row {
            event: &merged.event,
            cols: std::borrow::Cow::Owned(Columns::of(merged, listed, zone)),
        }
    }
}

impl Columns {
    fn of(merged: &Merged, listed: bool, zone: Tz) -> Columns {
        Columns::with_keys(merged, listed, zone, None)
    }

    /// The columns, given the title's key and distinguishing words when they are known.
    fn with_keys(
        merged: &Merged,
        listed: bool,
        zone: Tz,
        keys: Option<(String, String)>,
    ) -> Columns {
        let e = &merged.event;
        let start = e.start.instant(zone);
        let (title_key, title_marks) = keys.unwrap_or_else(|| {
            let key = dedup::title_key(&e.title);
            let marks = dedup::title_marks(&key);
            (key, marks)
        });
        Columns {
            start_at: e.start.to_text(),
            end_at: e.end.map(|t| t.to_text()),
            start_utc: ts(start),
            end_utc: ts(e.end.map_or(e.start, |end| end).instant(zone).max(start)),
            categories: serde_json::to_string(&e.categories).unwrap_or_else(|_| "[]".into()),
            listed,
            provenance: serde_json::to_string(&merged.provenance).unwrap_or_else(|_| "{}".into()),
            hash: merged.versions.calendar_hash(calendar_hash(e, listed)),
            title_marks,
            title_key,
            versions: merged.versions.to_column(),
            version_keys: merged.versions.title_keys(),
        }
    }
}

/// What merging an event's listings again did to its row.
enum Remerged {
    /// Nothing differed; nothing was written.
    Same,
    /// Fields a calendar does not show (the HTML description, organiser, language,
    /// provenance) changed.
    Rewritten,
    /// What a calendar shows changed: the revision went up.
    Revised,
}

/// Merges each touched event again, counting what that did.
fn remerge_all(
    tx: &Connection,
    touched: BTreeSet<i64>,
    zone: Tz,
    now: DateTime<Utc>,
    counts: &mut EventCounts,
) -> rusqlite::Result<()> {
    for event_id in touched {
        match remerge(tx, event_id, zone, now)? {
            Remerged::Same => {}
            Remerged::Rewritten => counts.rewritten += 1,
            Remerged::Revised => counts.updated += 1,
        }
    }
    Ok(())
}

/// Recomputes an event from its listings and writes what differs.
fn remerge(
    tx: &Connection,
    event_id: i64,
    zone: Tz,
    now: DateTime<Utc>,
) -> rusqlite::Result<Remerged> {
    let listings: Vec<Listing> = tx
        .prepare_cached(
            "SELECT l.source_id, l.data, l.listed FROM event_listings l JOIN sources s ON s.id = l.source_id
             WHERE l.event_id = ?1 ORDER BY l.first_seen_at, l.source_id",
        )?
        .query_map([event_id], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, bool>(2)?,
            ))
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
        return Ok(Remerged::Same);
    };
    let row = Row::of(&merged, listings.iter().any(|l| l.listed), zone);
    let old_hash: String = tx
        .prepare_cached("SELECT calendar_hash FROM events WHERE id = ?1")?
        .query_row([event_id], |r| r.get(0))?;
    let e = row.event;
    // Written only where a column differs (so the search index is left alone too).
    let written = tx
        .prepare_cached(
            "UPDATE events SET series_uid = ?2, title = ?3, description_text = ?4, description_html = ?5,
                start_at = ?6, end_at = ?7, start_utc = ?8, all_day = ?9, timezone = ?10, location_name = ?11,
                location_address = ?12, online_url = ?13, url = ?14, organiser = ?15, language = ?16,
                status = ?17, categories = ?18, listed = ?19, provenance = ?20, calendar_hash = ?21,
                revision = revision + (calendar_hash IS NOT ?21),
                changed_at = CASE WHEN calendar_hash IS NOT ?21 THEN ?22 ELSE changed_at END,
                end_utc = ?23, title_key = ?24, versions = ?25, version_keys = ?26, title_marks = ?27
             WHERE id = ?1 AND (series_uid IS NOT ?2 OR title IS NOT ?3 OR description_text IS NOT ?4
                OR description_html IS NOT ?5 OR start_at IS NOT ?6 OR end_at IS NOT ?7
                OR start_utc IS NOT ?8 OR all_day IS NOT ?9 OR timezone IS NOT ?10
                OR location_name IS NOT ?11 OR location_address IS NOT ?12 OR online_url IS NOT ?13
                OR url IS NOT ?14 OR organiser IS NOT ?15 OR language IS NOT ?16 OR status IS NOT ?17
                OR categories IS NOT ?18 OR listed IS NOT ?19 OR provenance IS NOT ?20
                OR calendar_hash IS NOT ?21 OR end_utc IS NOT ?23 OR title_key IS NOT ?24
                OR versions IS NOT ?25 OR version_keys IS NOT ?26 OR title_marks IS NOT ?27)",
        )?
        .execute(params![
        event_id,
        e.series_uid,
        e.title,
        e.description_text,
        e.description_html,
        row.cols.start_at,
        row.cols.end_at,
        row.cols.start_utc,
        e.all_day(),
        e.timezone,
        e.location_name,
        e.location_address,
        e.online_url,
        e.url,
        e.organiser,
        e.language,
        e.status.as_str(),
        row.cols.categories,
        row.cols.listed,
        row.cols.provenance,
        row.cols.hash,
        ts(now),
        row.cols.end_utc,
        row.cols.title_key,
        row.cols.versions,
        row.cols.version_keys,
        row.cols.title_marks,
    ])?;
    Ok(match written {
        0 => Remerged::Same,
        _ if old_hash == row.cols.hash => Remerged::Rewritten,
        _ => Remerged::Revised,
    })
}

/// A digest of what a calendar shows of an event.
fn calendar_hash(e: &Event, listed: bool) -> String {
    let mut hasher = Sha256::new();
    let mut field = |text: &str| {
        hasher.update(text.as_bytes());
        hasher.update([0xff]);
    };
    field(&e.title);
    field(text(&e.description_text));
    field(&e.start.to_text());
    field(&e.end.map(|t| t.to_text()).unwrap_or_default());
    field(text(&e.timezone));
    field(text(&e.location_name));
    field(text(&e.location_address));
    field(text(&e.online_url));
    field(text(&e.url));
    field(e.status.as_str());
    field(if listed { "true" } else { "false" });
    field(&e.categories.join(","));
    hex(&hasher.finalize())
}

/// The digest a listing's content is compared by.
fn digest(data: &str) -> String {
    hex(&Sha256::digest(data.as_bytes())[..16])
}

/// An optional text field as hashed: absent is empty.
fn text(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or_default()
}

/// Lower-case hexadecimal, two digits a byte.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EventStatus, Location, Source, SourceKind};

    /// An event of source `s` at a fixed time, with nothing but a title.
    fn event(uid: &str, title: &str) -> Event {
        Event {
            source_id: "s".into(),
            uid: uid.into(),
            series_uid: None,
            title: title.into(),
            description_text: None,
            description_html: None,
            start: EventTime::At("2026-12-01T15:00:00Z".parse().unwrap()),
            end: None,
            timezone: None,
            location_name: None,
            location_address: None,
            online_url: None,
            url: None,
            organiser: None,
            language: None,
            status: EventStatus::Confirmed,
            categories: vec![],
            translations: vec![],
        }
    }

    /// A uid that was stored when the fetch was prepared but is gone when it is written
    /// (another process) is written as a new event all the same: what a new listing needs
    /// is worked out in the writer then.
    #[test]
    fn a_listing_prepared_as_known_but_absent_is_written_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::super::Store::open(&dir.path().join("l.db")).unwrap();
        let now: DateTime<Utc> = "2026-11-20T10:00:00Z".parse().unwrap();
        let source = Source {
            id: "s".into(),
            name: "S".into(),
            department: "D".into(),
            tags: vec![],
            kind: Some(SourceKind::Ical),
            location: Location::Url("https://example.gc.ca/s.ics".parse().unwrap()),
            schedule: None,
            timezone: None,
            selectors: None,
            post_selectors: None,
            events_from_links: false,
            language: None,
            translation_of: None,
        };
        store.sync_config_sources(&[source], now).unwrap();
        let event = event("u1", "Town hall");
        let events = [event];
        let known: HashSet<String> = ["u1".to_string()].into();
        let prepared = prepare("s", &events, chrono_tz::UTC, &known);
        assert!(prepared[0].new.is_none(), "prepared as known");
        let counts = store
            .write_reporting("test", |tx| {
                let counts = save_events(tx, "s", &prepared, true, chrono_tz::UTC, now)?;
                Ok((counts, true))
            })
            .unwrap();
        assert_eq!(counts.new, 1);
        let stored = store
            .read("test", |conn| {
                conn.query_row("SELECT title, title_marks FROM events", [], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                })
            })
            .unwrap();
        assert_eq!(stored, ("Town hall".to_string(), String::new()));
    }

    /// A new listing's row takes its title key and words from the probe that read the
    /// title already: they are what the columns of its merge would compute.
    #[test]
    fn a_new_listings_row_has_the_key_and_words_its_merge_gives() {
        for title in [
            "Lunch and learn 12, part 2 — Community of Practice",
            "Dîner-causerie : mars 2027",
            "Town hall",
            "",
        ] {
            let event = Event {
                description_text: Some("About it".into()),
                location_name: Some("Room 1".into()),
                categories: vec!["a".into(), "b".into()],
                ..event("u", title)
            };
            let new = New::of("s", &event, chrono_tz::UTC);
            let computed = Columns::of(&new.alone, true, chrono_tz::UTC);
            assert_eq!(new.columns.title_key, computed.title_key, "{title}");
            assert_eq!(new.columns.title_marks, computed.title_marks, "{title}");
            assert_eq!(new.columns.hash, computed.hash, "{title}");
        }
    }
}
