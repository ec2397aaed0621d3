//! Recording a fetch: the posts it brought, the source's new state and the fetch record,
//! all in one transaction, so a fetch is stored whole or not at all.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::posts::upsert_post;
use super::{Store, StoreError, ts, ts_column};
use crate::model::{Event, FetchOutcome, FetchRecord, Post, SourceKind, Validators};

/// Everything one fetch writes.
#[derive(Debug, Clone)]
pub struct FetchWrite<'a> {
    /// The record; its item counts are filled in by the store.
    pub record: FetchRecord,
    /// The posts found (empty for not-modified and failed fetches).
    pub posts: &'a [Post],
    /// The events found.
    pub events: &'a [Event],
    /// True when this fetch read the source's whole event list (so absent events count
    /// as missing); false for sources that gave no events this time.
    pub events_complete: bool,
    /// The zone all-day events are placed in for ordering.
    pub zone: chrono_tz::Tz,
    /// New validators, when the response carried them.
    pub validators: Option<Validators>,
    /// A permanent redirect's new URL.
    pub moved_to: Option<String>,
    /// When a failed source may be tried again (`None` clears any backoff).
    pub next_attempt_after: Option<DateTime<Utc>>,
    /// What the document turned out to be (successful fetches).
    pub detected_kind: Option<SourceKind>,
    /// A feed's home page (successful fetches).
    pub home_link: Option<String>,
    /// A page's links to its versions in other languages (successful fetches): a source
    /// whose page links another source's pairs their events (`store::translations`).
    pub alternates: &'a [crate::model::Translation],
    /// The key of the document read (see `refresh::key`), kept so the same document
    /// again is known without reading it.
    pub content_key: Option<String>,
    /// The refresher's lease on the source (`Store::claim_source`), released by this
    /// write: one transaction for both.
    pub lease_holder: Option<String>,
}

impl Store {
    /// Stores one fetch's results and returns the record with its counts of new and
    /// updated items. A failed fetch touches no post or event. Only what changed is
    /// written: a document that gave nothing new is recorded as
    /// [`FetchOutcome::Unchanged`] and leaves posts, events, the search index and the
    /// change counter as they were (its record and the source's fetch state are all it
    /// writes). A record that read nothing new (`unchanged`, `not modified`) carries the
    /// warnings of the reading it stands on, so the health line keeps them.
    pub fn save_fetch(
        &self,
        write: FetchWrite<'_>,
        now: DateTime<Utc>,
    ) -> Result<FetchRecord, StoreError> {
        // The listings' own work (serialising, digests, the row a new event would get)
        // is done before the writer is taken, so fetches overlap it with each other's writes.
        let prepared = if write.record.outcome == FetchOutcome::Ok {
            let id = write.record.source_id.as_str();
            // What a new listing needs is worked out only for uids not stored yet. The
            // read only saves work: when no reader is free (every one busy serving), the
            // listings are prepared whole, as if all were new, rather than the fetch failing.
            let known = if write.events.is_empty() {
                Default::default()
            } else {
                self.read("reading a source's listings", |conn| {
                    super::listings::known_uids(conn, id)
                })
                .unwrap_or_else(|error| {
                    tracing::debug!(source = id, %error, "listings prepared whole");
                    Default::default()
                })
            };
            super::listings::prepare(id, write.events, write.zone, &known)
        } else {
            Vec::new()
        };
        self.write_reporting("saving a fetch", |tx| {
            let mut record = write.record.clone();
            let mut other_changes = 0;
            let id = &record.source_id;
            match record.outcome {
                FetchOutcome::Ok => {
                    let mut new_posts = Vec::new();
                    for post in write.posts {
                        match upsert_post(tx, post, now)? {
                            super::posts::Upsert::New(row) => new_posts.push(row),
                            super::posts::Upsert::Updated => record.items_updated += 1,
                            super::posts::Upsert::Unchanged => {}
                        }
                    }
                    record.items_new += new_posts.len() as u32;
                    super::fts::index_new_posts(tx, &new_posts)?;
                    super::translations::note_alternates(tx, id, write.alternates)?;
                    if write.events_complete || !write.events.is_empty() {
                        let counts = super::listings::save_events(
                            tx,
                            id,
                            &prepared,
                            write.events_complete,
                            write.zone,
                            now,
                        )?;
                        record.items_new += counts.new;
                        record.items_updated += counts.updated;
                        other_changes += counts.unlisted + counts.rewritten;
                    }
                    let nothing_new =
                        record.items_new == 0 && record.items_updated == 0 && other_changes == 0;
                    if nothing_new && items_last_read(tx, id)? == Some(record.items_found) {
                        record.outcome = FetchOutcome::Unchanged;
                    }
                    reset_failures(tx, id)?;
                    tx.prepare_cached(
                        "UPDATE sources SET detected_kind = coalesce(?2, detected_kind),
                            last_items = CASE WHEN ?3 > 0 THEN ?3 ELSE last_items END,
                            home_url = coalesce(?4, home_url), listings_seen_at = ?5,
                            content_key = coalesce(?6, content_key)
                         WHERE id = ?1",
                    )?
                    .execute(params![
                        id,
                        write.detected_kind.map(SourceKind::as_str),
                        record.items_found,
                        write.home_link,
                        ts(now),
                        write.content_key,
                    ])?;
                }
                FetchOutcome::Unchanged | FetchOutcome::NotModified => {
                    let counts = super::listings::same_reading_again(tx, id, write.zone, now)?;
                    record.items_updated += counts.updated;
                    other_changes += counts.unlisted + counts.rewritten;
                    reset_failures(tx, id)?;
                    tx.prepare_cached("UPDATE sources SET listings_seen_at = ?2 WHERE id = ?1")?
                        .execute(params![id, ts(now)])?;
                    if record.warnings.is_none() {
                        record.warnings = standing_warnings(tx, id)?;
                    }
                }
                FetchOutcome::Failed => {
                    tx.prepare_cached(
                        "UPDATE sources SET consecutive_failures = consecutive_failures + 1,
                         next_attempt_after = ?2 WHERE id = ?1",
                    )?
                    .execute(params![id, write.next_attempt_after.map(ts)])?;
                }
            }
            if let Some(validators) = &write.validators {
                tx.prepare_cached(
                    "UPDATE sources SET etag = ?2, last_modified = ?3
                     WHERE id = ?1 AND (etag IS NOT ?2 OR last_modified IS NOT ?3)",
                )?
                .execute(params![
                    id,
                    validators.etag,
                    validators.last_modified
                ])?;
            }
            if let Some(url) = &write.moved_to {
                tx.execute(
                    "UPDATE sources SET fetch_url = ?2 WHERE id = ?1",
                    params![id, url],
                )?;
            }
            insert_record(tx, &record)?;
            if let Some(holder) = &write.lease_holder {
                super::claims::release(tx, id, holder)?;
            }
            let changed = record.items_new > 0
                || record.items_updated > 0
                || other_changes > 0
                || write.moved_to.is_some();
            Ok((record, changed))
        })
    }

    /// The latest fetches of a source, newest first.
    pub fn recent_fetches(
        &self,
        source_id: &str,
        limit: u32,
    ) -> Result<Vec<FetchRecord>, StoreError> {
        self.read("reading fetch records", |conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {RECORD_COLUMNS} FROM fetches WHERE source_id = ?1 ORDER BY id DESC LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![source_id, limit], record_from_row)?;
            rows.collect()
        })
    }
}

fn reset_failures(tx: &Connection, id: &str) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE sources SET consecutive_failures = 0, next_attempt_after = NULL
         WHERE id = ?1 AND (consecutive_failures != 0 OR next_attempt_after IS NOT NULL)",
    )?
    .execute([id])?;
    Ok(())
}

/// How many items the source's last reading gave, if it was read before: a reading
/// that found nothing new and as many items is `unchanged` (not a first reading of an
/// empty document, nor a document that lost its entries).
fn items_last_read(tx: &Connection, id: &str) -> rusqlite::Result<Option<u32>> {
    tx.prepare_cached(
        "SELECT last_items FROM sources WHERE id = ?1
           AND EXISTS (SELECT 1 FROM fetches
                       WHERE source_id = ?1 AND (outcome = 'ok' OR outcome = 'unchanged'))",
    )?
    .query_row([id], |row| row.get(0))
    .optional()
}

/// The warnings of the latest reading of the source, which a record that read nothing
/// new stands on.
fn standing_warnings(tx: &Connection, id: &str) -> rusqlite::Result<Option<String>> {
    Ok(tx
        .prepare_cached(
            "SELECT warnings FROM fetches WHERE source_id = ?1 AND outcome = 'ok'
             ORDER BY id DESC LIMIT 1",
        )?
        .query_row([id], |row| row.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

fn insert_record(tx: &Connection, r: &FetchRecord) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO fetches (source_id, url, started_at, duration_ms, parse_ms, http_status, bytes,
            items_found, items_new, items_updated, outcome, error, warnings)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
            r.source_id,
            r.url,
            ts(r.started),
            r.duration_ms as i64,
            r.parse_ms as i64,
            r.http_status,
            r.bytes as i64,
            r.items_found,
            r.items_new,
            r.items_updated,
            r.outcome.as_str(),
            r.error,
            r.warnings,
        ])?;
    Ok(())
}

const RECORD_COLUMNS: &str = "source_id, url, started_at, duration_ms, parse_ms, http_status, bytes, \
     items_found, items_new, items_updated, outcome, error, warnings";

fn record_from_row(row: &rusqlite::Row) -> rusqlite::Result<FetchRecord> {
    let outcome: String = row.get(10)?;
    Ok(FetchRecord {
        source_id: row.get(0)?,
        url: row.get(1)?,
        started: ts_column(row, 2)?.unwrap_or_default(),
        duration_ms: row.get::<_, i64>(3)? as u64,
        parse_ms: row.get::<_, i64>(4)? as u64,
        http_status: row.get(5)?,
        bytes: row.get::<_, i64>(6)? as u64,
        items_found: row.get(7)?,
        items_new: row.get(8)?,
        items_updated: row.get(9)?,
        outcome: FetchOutcome::parse(&outcome).unwrap_or(FetchOutcome::Failed),
        error: row.get(11)?,
        warnings: row.get(12)?,
    })
}

pub(super) fn latest_fetch(
    conn: &Connection,
    source_id: &str,
) -> rusqlite::Result<Option<FetchRecord>> {
    conn.query_row(
        &format!(
            "SELECT {RECORD_COLUMNS} FROM fetches WHERE source_id = ?1 ORDER BY id DESC LIMIT 1"
        ),
        [source_id],
        record_from_row,
    )
    .optional()
}
