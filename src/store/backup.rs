//! Copies of the live database: SQLite's online backup API, read from one snapshot.
//!
//! The copy is taken on a reader connection in a single backup step, so it is one
//! consistent snapshot of the database (WAL lets the writer go on committing meanwhile:
//! what it commits after the snapshot began is simply not in the copy). It is written to
//! a temporary file beside the destination, switched to a self-contained rollback
//! journal, checked with `PRAGMA quick_check`, and only then renamed into place, so a
//! failed or interrupted backup never leaves a half-written file under the wanted name.

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use rusqlite::backup::{Backup, StepResult};

use super::Store;

/// How long a backup waits out a lock before giving up (the connections' busy timeout).
const BUSY_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// What a finished backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    /// The file written.
    pub path: PathBuf,
    /// Database pages copied.
    pub pages: u64,
    /// The copy's size in bytes.
    pub bytes: u64,
}

/// A backup that could not be made, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("backup to {path}: that is the live database itself")]
    SameFile { path: String },
    #[error("backup to {path}: {doing}: {source}")]
    Sqlite {
        path: String,
        doing: &'static str,
        source: rusqlite::Error,
    },
    #[error("backup to {path}: {doing}: {source}")]
    Io {
        path: String,
        doing: &'static str,
        source: std::io::Error,
    },
    #[error("backup to {path}: the database stayed {state} for {seconds} s")]
    Busy {
        path: String,
        seconds: u64,
        state: String,
    },
    #[error("backup to {path}: the copy failed its integrity check: {why}")]
    Corrupt { path: String, why: String },
    #[error(transparent)]
    Store(#[from] super::StoreError),
}

impl Store {
    /// Writes a consistent copy of the database to `destination` (replacing a file
    /// already there) while this and other processes go on reading and writing.
    pub fn backup_to(&self, destination: &Path) -> Result<BackupReport, BackupError> {
        let shown = destination.display().to_string();
        if same_file(self.path(), destination) {
            return Err(BackupError::SameFile { path: shown });
        }
        let partial = partial_path(destination);
        let result = self.copy_into(&partial, &shown);
        match result {
            Ok(pages) => {
                std::fs::rename(&partial, destination).map_err(|source| BackupError::Io {
                    path: shown.clone(),
                    doing: "moving the finished copy into place",
                    source,
                })?;
                let bytes = std::fs::metadata(destination)
                    .map(|m| m.len())
                    .unwrap_or_default();
                Ok(BackupReport {
                    path: destination.to_path_buf(),
                    pages,
                    bytes,
                })
            }
            Err(error) => {
                let _ = std::fs::remove_file(&partial);
                Err(error)
            }
        }
    }

    /// Copies the database into a new file at `partial`; returns the pages copied.
    fn copy_into(&self, partial: &Path, shown: &str) -> Result<u64, BackupError> {
        let sqlite = |doing: &'static str| {
            let path = shown.to_string();
            move |source| BackupError::Sqlite {
                path,
                doing,
                source,
            }
        };
        match std::fs::remove_file(partial) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(BackupError::Io {
                    path: partial.display().to_string(),
                    doing: "removing an earlier unfinished copy",
                    source,
                });
            }
        }
        let mut copy = Connection::open(partial).map_err(sqlite("creating the copy"))?;
        let pages = {
            let reader = self.reader()?;
            let source = reader.conn.as_ref().expect("held until dropped");
            let backup = Backup::new(source, &mut copy).map_err(sqlite("starting the backup"))?;
            // One step for all pages: the whole copy reads one snapshot. Busy or locked
            // (the destination held, a lock on the source) is waited out as SQLite's busy
            // timeout would, then reported.
            let deadline = std::time::Instant::now() + BUSY_WAIT;
            loop {
                match backup.step(-1).map_err(sqlite("copying pages"))? {
                    StepResult::Done => break,
                    waiting if std::time::Instant::now() >= deadline => {
                        return Err(BackupError::Busy {
                            path: shown.to_string(),
                            seconds: BUSY_WAIT.as_secs(),
                            state: format!("{waiting:?}").to_lowercase(),
                        });
                    }
                    _ => std::thread::sleep(std::time::Duration::from_millis(100)),
                }
            }
            backup.progress().pagecount as u64
        };
        // The live database is in WAL mode and the copy inherits it; a backup is one
        // self-contained file, so it goes back to a rollback journal.
        copy.pragma_update(None, "journal_mode", "DELETE")
            .map_err(sqlite("making the copy self-contained"))?;
        let check: String = copy
            .query_row("PRAGMA quick_check", [], |row| row.get(0))
            .map_err(sqlite("checking the copy"))?;
        if check != "ok" {
            return Err(BackupError::Corrupt {
                path: shown.to_string(),
                why: check,
            });
        }
        copy.close()
            .map_err(|(_, source)| sqlite("closing the copy")(source))?;
        Ok(pages)
    }
}

/// `backup.db` → `backup.db.partial`, in the same directory (so the rename is atomic).
fn partial_path(destination: &Path) -> PathBuf {
    let mut name = destination.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
