//! The store: the only module that speaks SQL.
//!
//! One SQLite file in WAL mode with foreign keys on, migrated at open. One writer
//! connection behind a mutex (SQLite allows one writer at a time anyway) and a bounded pool
//! of readers (at most [`MAX_READERS`] open; a reader beyond them waits for one to come
//! back), so pages and feeds are served while a fetch pass writes. Methods are sync:
//! async callers run them on a blocking thread. Entities are split by file: sources, posts,
//! fetches, events, registrations, secrets, subscriptions and digests; `dump` reads the
//! whole store for an export and `restore` writes one back into an empty store.
//!
//! The store's *generation* says when what it shows changed: a counter row in the
//! database (`changes`) that every write bumps inside its own transaction when it changed
//! something visible. This process reads it from an atomic; [`Store::watch_foreign_writes`]
//! re-reads it from the database whenever another process (a cron `bulletin fetch`, a CLI
//! approval) has committed, within [`WATCH_INTERVAL`]. Sources are leased to one
//! refresher at a time across processes (`claims`).

mod backup;
mod checkpoint;
mod claims;
mod digests;
mod dump;
mod event_pages;
mod events;
mod fetches;
mod fts;
mod inventory;
mod listings;
mod migrations;
mod posts;
mod registrations;
mod rejoin;
mod restore;
mod restore_check;
mod retention;
mod secrets;
mod sources;
mod submissions;
mod subscriptions;
mod translations;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::Connection;

pub use backup::{BackupError, BackupReport};
pub use claims::SourceClaim;
pub use digests::{Delivery, DeliveryStatus, EventBefore, MailFailure};
pub use dump::{DumpError, DumpHeader, DumpParts, DumpSink, DumpedEvent, DumpedPost, Row};
pub use events::{
    EventCounts, EventFilter, ListedBy, MISSING_FETCHES_BEFORE_UNLISTED, Provenance, StoredEvent,
};
pub use fetches::FetchWrite;
pub use inventory::{Inventory, SourceStatus};
pub use migrations::schema_version;
pub use posts::PostFilter;
pub use registrations::{ModerationError, Registration, Standing, Taken};
pub use restore::{
    Contents, Restore, RestoreCounts, RestoreError, Restored, RestoredEvent, RestoredPost,
    check_restore,
};
pub use retention::{DEFAULT_FETCH_RECORDS_DAYS, fetch_records_cutoff};
pub use sources::SourceHealth;
pub use submissions::{StoredSubmission, SubmissionError, SubmissionState};
pub use subscriptions::{FilterCount, Subscribed, Subscription, TokenPurpose};

/// A database problem, naming the file and what we were doing.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {doing}: {source}")]
    Sqlite {
        path: String,
        doing: &'static str,
        source: rusqlite::Error,
    },
    #[error("database {path}: {doing}: the transaction it was part of was not committed: {why}")]
    Commit {
        path: String,
        doing: &'static str,
        why: String,
    },
    #[error("database {path}: migrating the schema: {source}")]
    Migration {
        path: String,
        source: rusqlite_migration::Error,
    },
    #[error("database {path}: unknown source `{id}`")]
    UnknownSource { path: String, id: String },
    #[error("database {path}: all {max} reader connections stayed busy for {seconds} s")]
    ReadersBusy {
        path: String,
        max: usize,
        seconds: u64,
    },
}

/// Handle to the store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: writer::Writer,
    checkpoints: Arc<checkpoint::Checkpointer>,
    readers: Mutex<Readers>,
    /// Signalled when a reader comes back to the pool.
    reader_returned: Condvar,
    /// The database's change counter as this process last saw it: lets renderers cache
    /// until the data changes.
    generation: AtomicU64,
    watching: AtomicBool,
}

/// The reader pool: idle connections, and how many are open in all (idle or in use).
#[derive(Default)]
struct Readers {
    idle: Vec<Connection>,
    open: usize,
}

/// The most reader connections open at once; a read beyond them waits.
pub const MAX_READERS: usize = 8;
/// How long a read waits for a reader before failing with [`StoreError::ReadersBusy`].
const READER_WAIT: Duration = Duration::from_secs(10);
/// How often [`Store::watch_foreign_writes`] asks whether another process committed.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(250);

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let display = path.display().to_string();
        let mut writer = open_connection(path).map_err(|source| StoreError::Sqlite {
            path: display.clone(),
            doing: "opening",
            source,
        })?;
        // The writer walks the indexes of every source's events; a bigger page cache
        // keeps them in memory across a fetch pass, and grows further while a transaction
        // is open (`store::writer`; readers keep SQLite's default).
        writer
            .pragma_update(None, "cache_size", writer::IDLE_CACHE_KIB)
            .map_err(|source| StoreError::Sqlite {
                path: display.clone(),
                doing: "opening",
                source,
            })?;
        // Checkpoints run beside the writes, on a thread of their own (`store::checkpoint`).
        checkpoint::install(&writer);
        migrations::apply(&mut writer).map_err(|source| StoreError::Migration {
            path: display.clone(),
            source,
        })?;
        let generation = read_generation(&writer).map_err(|source| StoreError::Sqlite {
            path: display,
            doing: "reading the change counter",
            source,
        })?;
        let checkpoints = checkpoint::Checkpointer::new(path);
        Ok(Store {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer: writer::Writer::new(writer).with_checkpoints(checkpoints.clone()),
                checkpoints,
                readers: Mutex::new(Readers::default()),
                reader_returned: Condvar::new(),
                generation: AtomicU64::new(generation),
                watching: AtomicBool::new(false),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// A number that changes whenever committed data that a page or feed shows changes,
    /// whichever process wrote it (foreign writes are seen once [`Store::watch_foreign_writes`]
    /// runs). An atomic load: cheap enough for every request, and never blocks.
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// Reads the change counter from the database now (a foreign write shows at once).
    pub fn refresh_generation(&self) -> Result<u64, StoreError> {
        let stored = self.read("reading the change counter", read_generation)?;
        Ok(self.saw_generation(stored))
    }

    /// Takes a counter value read from the database; never goes back.
    fn saw_generation(&self, stored: u64) -> u64 {
        let before = self.inner.generation.fetch_max(stored, Ordering::AcqRel);
        before.max(stored)
    }

    /// Starts (once per store) a thread that notices commits by other processes: every
    /// [`WATCH_INTERVAL`] it asks SQLite's `PRAGMA data_version` on a connection of its own,
    /// and when that moved, reads the change counter. The thread ends with the store.
    pub fn watch_foreign_writes(&self) {
        if self.inner.watching.swap(true, Ordering::AcqRel) {
            return;
        }
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let path = self.inner.path.clone();
        let spawned = std::thread::Builder::new()
            .name("bulletin-store-watch".into())
            .spawn(move || watch(weak, &path));
        if let Err(error) = spawned {
            tracing::error!(%error, "database {}: cannot watch for other processes' writes", self.inner.path.display());
            self.inner.watching.store(false, Ordering::Release);
        }
    }

    fn error(&self, doing: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::Sqlite {
            path: self.inner.path.display().to_string(),
            doing,
            source,
        }
    }

    /// Runs `f` inside a write transaction; it is committed when `f` returns Ok (with
    /// other writes waiting at the time: see `store::writer`).
    fn write<T>(
        &self,
        doing: &'static str,
        f: impl Fn(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        self.write_reporting(doing, |tx| f(tx).map(|value| (value, true)))
    }

    /// Like [`Store::write`], but `f` says whether anything a feed or page shows changed;
    /// only then does the generation move on (so a fetch that found nothing new leaves
    /// rendered feeds cached).
    fn write_reporting<T>(
        &self,
        doing: &'static str,
        f: impl Fn(&Connection) -> rusqlite::Result<(T, bool)>,
    ) -> Result<T, StoreError> {
        match self.inner.writer.write(f) {
            Ok((value, generation)) => {
                if let Some(generation) = generation {
                    self.saw_generation(generation);
                }
                Ok(value)
            }
            Err(writer::WriteError::Sqlite(error)) => Err(self.error(doing)(error)),
            Err(writer::WriteError::Commit(why)) => Err(StoreError::Commit {
                path: self.inner.path.display().to_string(),
                doing,
                why,
            }),
        }
    }

    /// Runs `f` on a reader connection from the pool, waiting for one when all
    /// [`MAX_READERS`] are in use.
    fn read<T>(
        &self,
        doing: &'static str,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let reader = self.reader()?;
        f(reader.conn.as_ref().expect("held until dropped")).map_err(self.error(doing))
    }

    /// A reader from the pool (opened when none is idle and fewer than the cap are open).
    fn reader(&self) -> Result<PooledReader<'_>, StoreError> {
        self.take_reader(true)
            .map(|reader| reader.expect("a waiting take returns a reader or fails"))
    }

    /// A reader if one is idle or may be opened, without waiting; `None` when all are busy
    /// or one cannot be opened.
    fn idle_reader(&self) -> Option<PooledReader<'_>> {
        self.take_reader(false).ok().flatten()
    }

    fn take_reader(&self, wait: bool) -> Result<Option<PooledReader<'_>>, StoreError> {
        let inner = &*self.inner;
        let mut readers = inner.readers.lock().unwrap_or_else(|e| e.into_inner());
        let deadline = std::time::Instant::now() + READER_WAIT;
        loop {
            if let Some(conn) = readers.idle.pop() {
                return Ok(Some(PooledReader {
                    inner,
                    conn: Some(conn),
                }));
            }
            if readers.open < MAX_READERS {
                readers.open += 1;
                drop(readers);
                return match open_connection(&inner.path) {
                    Ok(conn) => Ok(Some(PooledReader {
                        inner,
                        conn: Some(conn),
                    })),
                    Err(error) => {
                        inner.readers.lock().unwrap_or_else(|e| e.into_inner()).open -= 1;
                        inner.reader_returned.notify_one();
                        Err(self.error("opening a reader")(error))
                    }
                };
            }
            if !wait {
                return Ok(None);
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                return Err(StoreError::ReadersBusy {
                    path: inner.path.display().to_string(),
                    max: MAX_READERS,
                    seconds: READER_WAIT.as_secs(),
                });
            }
            readers = inner
                .reader_returned
                .wait_timeout(readers, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// A reader connection on loan; it goes back to the pool when dropped (even on panic).
struct PooledReader<'a> {
    inner: &'a Inner,
    conn: Option<Connection>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.checkpoints.close();
    }
}

impl Drop for PooledReader<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let mut readers = self.inner.readers.lock().unwrap_or_else(|e| e.into_inner());
            readers.idle.push(conn);
            drop(readers);
            self.inner.reader_returned.notify_one();
        }
    }
}

fn read_generation(conn: &Connection) -> rusqlite::Result<u64> {
    conn.query_row("SELECT generation FROM changes WHERE id = 1", [], |row| {
        row.get::<_, i64>(0)
    })
    .map(|g| g as u64)
}

/// The watcher thread's loop: see [`Store::watch_foreign_writes`].
fn watch(store: Weak<Inner>, path: &Path) {
    let conn = match open_connection(path) {
        Ok(conn) => conn,
        Err(error) => {
            tracing::error!(%error, "database {}: cannot open a connection to watch for other processes' writes", path.display());
            return;
        }
    };
    let mut last_version: Option<i64> = None;
    let mut reported = false;
    loop {
        std::thread::sleep(WATCH_INTERVAL);
        let Some(inner) = store.upgrade() else {
            return;
        };
        let seen = conn
            .query_row("PRAGMA data_version", [], |row| row.get::<_, i64>(0))
            .and_then(|version| {
                if last_version == Some(version) {
                    return Ok(None);
                }
                last_version = Some(version);
                read_generation(&conn).map(Some)
            });
        match seen {
            Ok(Some(generation)) => {
                inner.generation.fetch_max(generation, Ordering::AcqRel);
                reported = false;
            }
            Ok(None) => {}
            Err(error) if !reported => {
                tracing::warn!(%error, "database {}: cannot read the change counter", path.display());
                reported = true;
            }
            Err(_) => {}
        }
    }
}

/// The page size of a database this build creates, in bytes. A profile of the
/// 100-calendar first ingest spent most of the writer's time inserting into six
/// randomly ordered indexes; with pages of 8 KiB instead of SQLite's 4 KiB the b-trees
/// are shallower and split half as often: 0.86x the benchmark's wall time (3 pairs),
/// 0.86x the cold render of the whole 100,000-event calendar (2 pairs), the same file
/// size and serving memory. 16 KiB was no better than 8 (1.03x, 3 pairs). A database
/// made before keeps its page size (SQLite changes it only by `VACUUM` outside WAL mode).
const PAGE_SIZE: i64 = 8192;

fn open_connection(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    // Before the first table is made, so only a new database takes it.
    conn.pragma_update(None, "page_size", PAGE_SIZE)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // Views and the fetch's statements differ in shape; keep them all prepared.
    conn.set_prepared_statement_cache_capacity(64);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn page_size(store: &Store) -> i64 {
        store
            .read("reading the page size", |conn| {
                conn.query_row("PRAGMA page_size", [], |row| row.get(0))
            })
            .unwrap()
    }

    #[test]
    fn a_new_database_has_the_larger_pages_and_an_older_one_keeps_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let new = Store::open(&dir.path().join("new.db")).unwrap();
        assert_eq!(page_size(&new), PAGE_SIZE);

        // A database made with SQLite's default pages, as stores were before.
        let old_path = dir.path().join("old.db");
        let old = Connection::open(&old_path).unwrap();
        old.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE kept (n INTEGER);")
            .unwrap();
        drop(old);
        let old = Store::open(&old_path).unwrap();
        assert_eq!(page_size(&old), 4096);
        let kept: i64 = old
            .read("counting", |conn| {
                conn.query_row("SELECT count(*) FROM kept", [], |row| row.get(0))
            })
            .unwrap();
        assert_eq!(kept, 0, "the older database opens and migrates");
    }

    #[test]
    fn another_handles_write_reaches_the_generation_through_the_watcher() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.db");
        let writer = Store::open(&path).unwrap();
        let server = Store::open(&path).unwrap();
        server.watch_foreign_writes();
        let before = server.generation();
        assert_eq!(writer.generation(), before, "both read the counter at open");
        writer
            .sync_config_sources(&[], "2026-11-20T10:00:00Z".parse().unwrap())
            .unwrap();
        assert!(
            writer.generation() > before,
            "the writer sees its own write at once"
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while server.generation() == before && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(
            server.generation(),
            writer.generation(),
            "seen within the watch interval"
        );
        assert_eq!(
            Store::open(&path).unwrap().generation(),
            writer.generation(),
            "kept in the file"
        );
    }

    #[test]
    fn a_write_that_changes_nothing_visible_keeps_the_generation() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("b.db")).unwrap();
        let before = store.generation();
        store
            .write_reporting("doing nothing", |_| Ok(((), false)))
            .unwrap();
        assert_eq!(store.generation(), before);
        assert_eq!(store.refresh_generation().unwrap(), before);
    }

    #[test]
    fn readers_beyond_the_cap_wait_for_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("b.db")).unwrap();
        let busy = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let threads: Vec<_> = (0..MAX_READERS * 3)
            .map(|_| {
                let (store, busy, most) = (store.clone(), busy.clone(), most.clone());
                std::thread::spawn(move || {
                    store
                        .read("testing the pool", |conn| {
                            let now = busy.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(30));
                            busy.fetch_sub(1, Ordering::SeqCst);
                            conn.query_row("SELECT 1", [], |row| row.get::<_, i64>(0))
                        })
                        .unwrap()
                })
            })
            .collect();
        for thread in threads {
            assert_eq!(thread.join().unwrap(), 1);
        }
        assert!(most.load(Ordering::SeqCst) <= MAX_READERS);
        assert!(store.inner.readers.lock().unwrap().open <= MAX_READERS);
    }
}
