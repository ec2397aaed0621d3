//! How long fetch records are kept: older ones are pruned, except each source's latest
//! record of each outcome (the health page, the schedule's "last attempt", a reading's
//! standing warnings and its item count all read those). Events and posts are never
//! pruned: they are the archive.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Store, StoreError, ts};

/// Fetch records are kept this many days unless `settings.fetch_records_days` says otherwise.
pub const DEFAULT_FETCH_RECORDS_DAYS: u32 = 90;

impl Store {
    /// Deletes fetch records started before `before`, keeping each source's latest record
    /// of each outcome whatever its age. Returns how many were deleted.
    pub fn prune_fetches(&self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        self.write_reporting("pruning old fetch records", |tx| {
            let deleted = tx.execute(
                "DELETE FROM fetches WHERE started_at < ?1
                   AND id NOT IN (SELECT max(id) FROM fetches GROUP BY source_id, outcome)",
                params![ts(before)],
            )?;
            // Only the sources page shows records, and only each source's latest, which
            // stays: cached pages remain true.
            Ok((deleted, false))
        })
    }

    /// How many fetch records are stored.
    pub fn fetch_record_count(&self) -> Result<u64, StoreError> {
        self.read("counting fetch records", |conn| {
            conn.query_row("SELECT count(*) FROM fetches", [], |row| {
                row.get::<_, i64>(0)
            })
            .map(|n| n as u64)
        })
    }
}

/// The instant before which fetch records are pruned, `days` before `now`.
pub fn fetch_records_cutoff(now: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    now - chrono::Duration::days(i64::from(days))
}
