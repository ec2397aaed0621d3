//! Events stored apart before their sources were paired become one. When `translation_of`
//! is added to a running deployment, or a page starts linking its translation, the English
//! and French events already stored are two; the next fetch of either source finds them
//! and joins them:
//!
//! - the event subscribers have had longest (first seen first, then the older row) keeps
//!   its UID; the other's listings move to it, so it gains that language's version (and
//!   its SEQUENCE goes up, as for any change a calendar shows);
//! - the other stays as a record pointing at it (`events.merged_into`): calendars keep
//!   publishing its UID, cancelled with a higher SEQUENCE, until it has passed (so it does
//!   not vanish silently from subscribers' calendars), and its page redirects to the kept
//!   event's. Pages, feeds and the API no longer list it.
//!
//! The work is bounded: a source's upcoming events are looked at once when a partner
//! appears (the partners last looked at are kept in `sources.paired_with`), and otherwise
//! only the events whose listing changed and links a translation. A pair needs the same
//! evidence as a translation joining an event (`dedup::language::translation_score`), and
//! the two events must be in different languages.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::translations::{Pairing, score};
use super::ts;
use crate::model::Event;
use crate::normalise::{dedup::language, language::code};

/// Candidates start within this much of each other (as a new listing's matches).
const MATCH_WINDOW: Duration = Duration::minutes(1);

/// Whether `source_id` has a partner it was not rejoined with yet; notes its partners
/// now as the ones it has been.
pub(super) fn partners_appeared(
    tx: &Connection,
    source_id: &str,
    pairing: &Pairing,
) -> rusqlite::Result<bool> {
    let noted: Option<String> = tx
        .prepare_cached("SELECT paired_with FROM sources WHERE id = ?1")?
        .query_row([source_id], |row| row.get(0))
        .optional()?
        .flatten();
    let noted: BTreeSet<String> = noted
        .as_deref()
        .and_then(|n| serde_json::from_str(n).ok())
        .unwrap_or_default();
    let now: BTreeSet<String> = pairing.partners().cloned().collect();
    if now == noted {
        return Ok(false);
    }
    let column = (!now.is_empty()).then(|| serde_json::to_string(&now).unwrap_or_default());
    tx.prepare_cached("UPDATE sources SET paired_with = ?2 WHERE id = ?1")?
        .execute(params![source_id, column])?;
    Ok(!now.is_subset(&noted))
}

/// This source's upcoming events, each with its listing: what is looked at when a
/// partner appears.
pub(super) fn upcoming_of(
    tx: &Connection,
    source_id: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<Vec<i64>> {
    tx.prepare_cached(
        "SELECT DISTINCT l.event_id FROM event_listings l JOIN events e ON e.id = l.event_id
         WHERE l.source_id = ?1 AND l.listed = 1 AND e.end_utc >= ?2 AND e.merged_into IS NULL
         ORDER BY l.event_id",
    )?
    .query_map(params![source_id, ts(now)], |row| row.get(0))?
    .collect()
}

/// Joins each of `events` (listed by `source_id`) with a separately stored event that is
/// its version in another language, if there is one; returns how many were joined. The
/// kept events are merged again by `remerge`.
pub(super) fn rejoin(
    tx: &Connection,
    source_id: &str,
    pairing: &Pairing,
    events: &[i64],
    now: DateTime<Utc>,
    remerge: &mut dyn FnMut(&Connection, i64) -> rusqlite::Result<()>,
) -> rusqlite::Result<u32> {
    let mut joined = 0;
    for &event_id in events {
        let Some(mine) = row(tx, event_id)? else {
            continue;
        };
        let Some(listing) = listing_of(tx, event_id, source_id)? else {
            continue;
        };
        let Some(partner) = counterpart(tx, &mine, &listing, source_id, pairing)? else {
            continue;
        };
        let (kept, retired) =
            if (mine.first_seen.as_str(), mine.id) <= (partner.first_seen.as_str(), partner.id) {
                (mine.id, partner.id)
            } else {
                (partner.id, mine.id)
            };
        join(tx, kept, retired, now)?;
        remerge(tx, kept)?;
        joined += 1;
    }
    Ok(joined)
}

/// What choosing a pair needs of a stored event.
struct Stored {
    id: i64,
    start_utc: String,
    first_seen: String,
    languages: BTreeSet<String>,
}

fn row(tx: &Connection, id: i64) -> rusqlite::Result<Option<Stored>> {
    tx.prepare_cached(
        "SELECT id, start_utc, first_seen_at, language, versions FROM events
         WHERE id = ?1 AND merged_into IS NULL",
    )?
    .query_row([id], |row| {
        let lead: Option<String> = row.get(3)?;
        let versions: Option<String> = row.get(4)?;
        let mut languages: BTreeSet<String> = lead.as_deref().and_then(code).into_iter().collect();
        languages.extend(
            versions
                .as_deref()
                .map(language::stored_versions)
                .unwrap_or_default()
                .into_iter()
                .map(|v| v.language),
        );
        Ok(Stored {
            id: row.get(0)?,
            start_utc: row.get(1)?,
            first_seen: row.get(2)?,
            languages,
        })
    })
    .optional()
}

/// `source_id`'s listing of event `event_id`, as it was read.
fn listing_of(tx: &Connection, event_id: i64, source_id: &str) -> rusqlite::Result<Option<Event>> {
    let data: Option<String> = tx
        .prepare_cached(
            "SELECT data FROM event_listings WHERE event_id = ?1 AND source_id = ?2 AND listed = 1
             ORDER BY first_seen_at LIMIT 1",
        )?
        .query_row(params![event_id, source_id], |row| row.get(0))
        .optional()?;
    Ok(data.and_then(|d| serde_json::from_str(&d).ok()))
}

/// The separately stored event `listing` (of `mine`) is another language's version of:
/// at the same minute, not listed by the same source, in none of `mine`'s languages, and
/// paired with it by [`score`]; the best scored.
fn counterpart(
    tx: &Connection,
    mine: &Stored,
    listing: &Event,
    source_id: &str,
    pairing: &Pairing,
) -> rusqlite::Result<Option<Stored>> {
    if mine.languages.is_empty() {
        return Ok(None);
    }
    let Some(start) = super::parse_ts(&mine.start_utc) else {
        return Ok(None);
    };
    let ids: Vec<i64> = tx
        .prepare_cached(
            "SELECT id FROM events INDEXED BY events_by_start
             WHERE start_utc BETWEEN ?1 AND ?2 AND id <> ?3 ORDER BY id",
        )?
        .query_map(
            params![
                ts(start.checked_sub_signed(MATCH_WINDOW).unwrap_or(start)),
                ts(start.checked_add_signed(MATCH_WINDOW).unwrap_or(start)),
                mine.id
            ],
            |row| row.get(0),
        )?
        .collect::<rusqlite::Result<_>>()?;
    let mut best: Option<(f64, Stored)> = None;
    for id in ids {
        let Some(other) = row(tx, id)? else { continue };
        if other.languages.is_empty() || !other.languages.is_disjoint(&mine.languages) {
            continue;
        }
        let shared: bool = tx
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM event_listings WHERE event_id = ?1 AND source_id = ?2)",
            )?
            .query_row(params![id, source_id], |row| row.get(0))?;
        if shared {
            continue;
        }
        if let Some(s) = score(tx, id, listing, pairing)?
            && best.as_ref().is_none_or(|(b, _)| s > *b)
        {
            best = Some((s, other));
        }
    }
    Ok(best.map(|(_, other)| other))
}

/// Moves `retired`'s listings to `kept`, and leaves `retired` as a record pointing at it:
/// no longer listed, its revision up (its UID is published cancelled), its title keys
/// cleared so no listing matches it again. Records that pointed at `retired` point at
/// `kept`, so a redirect is one hop.
fn join(tx: &Connection, kept: i64, retired: i64, now: DateTime<Utc>) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE event_listings SET event_id = ?1 WHERE event_id = ?2")?
        .execute(params![kept, retired])?;
    tx.prepare_cached("UPDATE events SET merged_into = ?1 WHERE merged_into = ?2")?
        .execute(params![kept, retired])?;
    tx.prepare_cached(
        "UPDATE events SET merged_into = ?1, listed = 0, revision = revision + 1, changed_at = ?3,
            title_key = '', title_marks = '', version_keys = NULL
         WHERE id = ?2",
    )?
    .execute(params![kept, retired, ts(now)])?;
    Ok(())
}
