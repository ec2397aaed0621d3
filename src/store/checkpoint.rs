//! Checkpoints off the writer's path. SQLite's automatic checkpoint runs inside the
//! commit that crosses its threshold, so the writer (and every write queued behind it)
//! waits while the WAL is copied into the database: a tenth of a large calendar ingest.
//! Here the writer only notes how long the WAL has grown (SQLite's WAL hook, called in
//! the committing thread) and, past [`SOON_FRAMES`], wakes a thread of the store's own
//! that runs a PASSIVE checkpoint on a connection of its own, beside the next writes.
//! Should that thread fall behind (a reader holding an old snapshot stops a passive
//! checkpoint short), the writer checkpoints inline once the WAL passes [`INLINE_FRAMES`],
//! as SQLite would by itself, so the WAL stays bounded either way.

use std::cell::Cell;
use std::os::raw::c_int;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

use rusqlite::Connection;
use rusqlite::hooks::{CheckpointMode, Wal};

/// WAL frames (4 KiB pages) after which the checkpoint thread is woken: 16 MiB.
pub(super) const SOON_FRAMES: c_int = 4 * 1024;
/// WAL frames after which the committing writer checkpoints itself: 128 MiB. The WAL
/// starts again from its beginning only when a write begins with every frame copied, so
/// under writes that never pause it grows to this and the writer lets it start again.
pub(super) const INLINE_FRAMES: c_int = 32 * 1024;

thread_local! {
    /// The WAL's length in frames after this thread's latest commit.
    static WAL_FRAMES: Cell<c_int> = const { Cell::new(0) };
}

/// Installs the WAL hook on the writer connection (it replaces SQLite's automatic
/// checkpoint, which is itself a WAL hook).
pub(super) fn install(writer: &Connection) {
    writer.wal_hook(Some(after_commit));
}

fn after_commit(wal: &Wal, frames: c_int) -> rusqlite::Result<()> {
    WAL_FRAMES.set(frames);
    if frames >= INLINE_FRAMES {
        // The commit has happened; a checkpoint that cannot run now runs next time.
        if let Err(error) = wal.checkpoint_v2(CheckpointMode::PASSIVE) {
            tracing::debug!(%error, "checkpoint after a commit did not run");
        }
    }
    Ok(())
}

/// How long the WAL was after the latest commit made on this thread.
pub(super) fn frames_after_last_commit() -> c_int {
    WAL_FRAMES.get()
}

/// The checkpoint thread's doorbell.
pub(super) struct Checkpointer {
    path: PathBuf,
    state: Mutex<Bell>,
    rung: Condvar,
}

#[derive(Default)]
struct Bell {
    pending: bool,
    closed: bool,
    running: bool,
}

impl Checkpointer {
    pub(super) fn new(path: &Path) -> Arc<Checkpointer> {
        Arc::new(Checkpointer {
            path: path.to_path_buf(),
            state: Mutex::new(Bell::default()),
            rung: Condvar::new(),
        })
    }

    /// Asks for a checkpoint soon; starts the thread the first time.
    pub(super) fn request(self: &Arc<Self>) {
        let mut bell = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if bell.closed {
            return;
        }
        bell.pending = true;
        if !bell.running {
            bell.running = true;
            let this = Arc::clone(self);
            let spawned = std::thread::Builder::new()
                .name("bulletin-store-checkpoint".into())
                .spawn(move || this.run());
            if let Err(error) = spawned {
                // The inline checkpoint past INLINE_FRAMES still bounds the WAL.
                tracing::warn!(%error, "database {}: cannot start the checkpoint thread", self.path.display());
                bell.running = false;
            }
        }
        self.rung.notify_one();
    }

    /// Stops the thread (when the store is dropped).
    pub(super) fn close(&self) {
        let mut bell = self.state.lock().unwrap_or_else(|e| e.into_inner());
        bell.closed = true;
        self.rung.notify_one();
    }

    fn run(&self) {
        let conn = match super::open_connection(&self.path) {
            Ok(conn) => conn,
            Err(error) => {
                tracing::warn!(%error, "database {}: the checkpoint thread cannot open it", self.path.display());
                self.state.lock().unwrap_or_else(|e| e.into_inner()).running = false;
                return;
            }
        };
        loop {
            {
                let mut bell = self.state.lock().unwrap_or_else(|e| e.into_inner());
                while !bell.pending && !bell.closed {
                    bell = self.rung.wait(bell).unwrap_or_else(|e| e.into_inner());
                }
                if bell.closed {
                    bell.running = false;
                    return;
                }
                bell.pending = false;
            }
            let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
                Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
            });
            match done {
                Ok((log, copied)) => tracing::debug!(log, copied, "checkpoint"),
                Err(error) => {
                    tracing::debug!(%error, "database {}: checkpoint did not run", self.path.display())
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thread_copies_the_wal_into_the_database_and_the_wal_starts_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let conn = super::super::open_connection(&path).unwrap();
        install(&conn);
        conn.execute_batch("CREATE TABLE t (v BLOB)").unwrap();
        let checkpointer = Checkpointer::new(&path);
        let blob = vec![7u8; 3000];
        for _ in 0..(SOON_FRAMES as usize + 100) {
            conn.execute("INSERT INTO t VALUES (?1)", [&blob]).unwrap();
        }
        assert!(frames_after_last_commit() >= SOON_FRAMES);
        // As the writer does: ask after each commit while the WAL is long. The first
        // commit after a checkpoint that copied everything writes the WAL from its start.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            checkpointer.request();
            std::thread::sleep(std::time::Duration::from_millis(50));
            conn.execute("INSERT INTO t VALUES (1)", []).unwrap();
            if frames_after_last_commit() < 10 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the WAL was never checkpointed"
            );
        }
        checkpointer.close();
        let count: i64 = conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert!(
            count as usize > SOON_FRAMES as usize + 100,
            "rows kept: {count}"
        );
    }
}
