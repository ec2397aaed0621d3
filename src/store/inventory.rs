//! What the store holds, counted for monitoring (`/metrics`): events and posts stored,
//! each active source's last success and whether it is failing, digests sent. Read from
//! the database, so what another process wrote (a cron `bulletin fetch` or
//! `bulletin digest --send`) is counted too.

use chrono::{DateTime, Utc};

use super::{Store, StoreError, ts_column};

/// The counts `/metrics` reports from the store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inventory {
    /// Events stored (merged events; one that was merged into another is not counted).
    pub events: u64,
    /// Posts stored.
    pub posts: u64,
    /// Active fetched sources (not submitted-event sources), by id.
    pub sources: Vec<SourceStatus>,
    /// Digest emails delivered, all weeks.
    pub digests_sent: u64,
}

/// One source, for monitoring.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceStatus {
    pub id: String,
    /// Its last fetch failed (and it is backing off).
    pub failing: bool,
    /// When its latest successful fetch (ok, unchanged or not modified) started.
    pub last_success: Option<DateTime<Utc>>,
}

impl Store {
    /// Counts what the store holds, from one read snapshot.
    pub fn inventory(&self) -> Result<Inventory, StoreError> {
        self.read("counting for metrics", |conn| {
            conn.execute_batch("BEGIN")?;
            let result = (|| {
                let events = conn.query_row(
                    "SELECT count(*) FROM events WHERE merged_into IS NULL",
                    [],
                    |row| row.get::<_, i64>(0),
                )? as u64;
                let posts = conn
                    .query_row("SELECT count(*) FROM posts", [], |row| row.get::<_, i64>(0))?
                    as u64;
                let digests_sent = conn.query_row(
                    "SELECT count(*) FROM digest_deliveries WHERE status = 'sent'",
                    [],
                    |row| row.get::<_, i64>(0),
                )? as u64;
                let mut stmt = conn.prepare(
                    "SELECT s.id, s.consecutive_failures > 0,
                        (SELECT f.started_at FROM fetches f
                          WHERE f.source_id = s.id AND f.outcome != 'failed'
                          ORDER BY f.id DESC LIMIT 1)
                     FROM sources s WHERE s.active = 1 AND s.submitted = 0 ORDER BY s.id",
                )?;
                let sources = stmt
                    .query_map([], |row| {
                        Ok(SourceStatus {
                            id: row.get(0)?,
                            failing: row.get(1)?,
                            last_success: ts_column(row, 2)?,
                        })
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(Inventory {
                    events,
                    posts,
                    sources,
                    digests_sent,
                })
            })();
            conn.execute_batch("COMMIT")?;
            result
        })
    }
}
