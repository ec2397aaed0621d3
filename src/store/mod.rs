//! The store: the only module that speaks SQL.
//!
//! One SQLite file in WAL mode with foreign keys on, migrated at open. One writer
//! connection behind a mutex (SQLite allows one writer at a time anyway) and a small pool
//! of readers, so pages and feeds are served while a fetch pass writes. Methods are sync:
//! async callers run them on a blocking thread. Entities are split by file: sources, posts,
//! fetches.

mod events;
mod fetches;
mod migrations;
mod posts;
mod registrations;
mod sources;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::Connection;

pub use events::{
    EventCounts, EventFilter, ListedBy, MISSING_FETCHES_BEFORE_UNLISTED, StoredEvent,
};
pub use fetches::FetchWrite;
pub use posts::PostFilter;
pub use registrations::{ModerationError, Registration};
pub use sources::SourceHealth;

/// A database problem, naming the file and what we were doing.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {doing}: {source}")]
    Sqlite {
        path: String,
        doing: &'static str,
        source: rusqlite::Error,
    },
    #[error("database {path}: migrating the schema: {source}")]
    Migration {
        path: String,
        source: rusqlite_migration::Error,
    },
    #[error("database {path}: unknown source `{id}`")]
    UnknownSource { path: String, id: String },
}

/// Handle to the store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// Goes up on every committed write: lets renderers cache until the data changes.
    generation: AtomicU64,
}

const MAX_IDLE_READERS: usize = 8;

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let display = path.display().to_string();
        let mut writer = open_connection(path).map_err(|source| StoreError::Sqlite {
            path: display.clone(),
            doing: "opening",
            source,
        })?;
        migrations::apply(&mut writer).map_err(|source| StoreError::Migration {
            path: display,
            source,
        })?;
        Ok(Store {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
                generation: AtomicU64::new(1),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// A number that changes whenever committed data changes.
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    fn error(&self, doing: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::Sqlite {
            path: self.inner.path.display().to_string(),
            doing,
            source,
        }
    }

    /// Runs `f` inside one write transaction; commits when it returns Ok.
    fn write<T>(
        &self,
        doing: &'static str,
        f: impl FnOnce(&rusqlite::Transaction) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        self.write_reporting(doing, |tx| f(tx).map(|value| (value, true)))
    }

    /// Like [`Store::write`], but `f` says whether anything a feed or page shows changed;
    /// only then does the generation move on (so a fetch that found nothing new leaves
    /// rendered feeds cached).
    fn write_reporting<T>(
        &self,
        doing: &'static str,
        f: impl FnOnce(&rusqlite::Transaction) -> rusqlite::Result<(T, bool)>,
    ) -> Result<T, StoreError> {
        let mut conn = self.inner.writer.lock().unwrap_or_else(|e| e.into_inner());
        let result = (|| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })();
        match result {
            Ok((value, changed)) => {
                if changed {
                    self.inner.generation.fetch_add(1, Ordering::AcqRel);
                }
                Ok(value)
            }
            Err(error) => Err(self.error(doing)(error)),
        }
    }

    /// Runs `f` on a reader connection from the pool.
    fn read<T>(
        &self,
        doing: &'static str,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let pooled = self
            .inner
            .readers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => open_connection(&self.inner.path).map_err(self.error("opening a reader"))?,
        };
        let result = f(&conn).map_err(self.error(doing));
        let mut readers = self.inner.readers.lock().unwrap_or_else(|e| e.into_inner());
        if readers.len() < MAX_IDLE_READERS {
            readers.push(conn);
        }
        result
    }
}

fn open_connection(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(conn)
}

/// Timestamps are stored as RFC 3339 UTC text with milliseconds: readable, and ordered
/// correctly by plain text comparison.
fn ts(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_ts(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Reads a stored timestamp column, treating unreadable text as a conversion error.
fn ts_column(row: &rusqlite::Row, index: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let text: Option<String> = row.get(index)?;
    match text {
        None => Ok(None),
        Some(text) => parse_ts(&text).map(Some).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                index,
                rusqlite::types::Type::Text,
                format!("`{text}` is not an RFC 3339 time").into(),
            )
        }),
    }
}

/// A full-text query from what a person typed: every word must match as a prefix;
/// FTS5's own syntax (quotes, operators, columns) is neutralised. `None` when no word is left.
fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(12)
        .map(|w| format!("\"{w}\"*"))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

fn json_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}
