//! The process's one writer connection, with group commit. Writes queue for the writer;
//! one that finishes while others are waiting leaves the transaction open for them, and
//! the last of the group (or the one that reaches [`MAX_WRITES`] or [`MAX_OPEN`]) commits
//! for all. Every write of a group returns only once the group's commit succeeded, and
//! fails if it did not. A busy fetch pass thus commits up to [`MAX_WRITES`] times less
//! often (each commit appends to the WAL and flushes the FTS5 segments written since the
//! last one); groups stay small and short so that a write waiting for its group's commit
//! does not hold its refresh slot for long.
//!
//! Writes run straight in the transaction, without a savepoint each: one that fails (or
//! panics) rolls the whole transaction back and fails alone, and the group's other
//! writes, which were waiting for the commit, run again — each once more, committed at
//! once after it. A savepoint a write cost the writer a sixth of its time in a
//! 100-calendar first ingest (perf: every page a write changed copied to the statement
//! journal first, and FTS5 flushing its pending terms at every savepoint), for failures
//! that do not happen in a healthy store. A write is therefore a pure function of the
//! database (`Fn`): it may run twice, and only its last run is kept.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::checkpoint::{self, Checkpointer};

/// The most writes one transaction carries.
const MAX_WRITES: u32 = 16;
/// The longest a transaction stays open for writes that are waiting. Each commit writes
/// every page the group changed to the WAL, and a large fetch changes pages of every
/// index; writes of a thousand events each (~0.1 s) share a commit only when a group may
/// stay open this long.
const MAX_OPEN: Duration = Duration::from_millis(1000);
/// Commit outcomes remembered for the writes that wait on them.
const REMEMBERED: usize = 256;
/// The writer's page cache between transactions, in KiB (SQLite's negative `cache_size`):
/// the pages the next writes will likely touch again.
pub(super) const IDLE_CACHE_KIB: i64 = -16 * 1024;
/// The writer's page cache while a transaction is open. A group of large fetches changes
/// pages all over the events' indexes; once its changed pages outgrow the cache, SQLite
/// writes them to the WAL before the commit (and again at the commit when changed
/// since). In a first ingest of 100 calendars of 1,000 events, that spilling was a tenth
/// of the writer's time (perf); with this cache the pass took 0.95x the wall time on a
/// quiet machine and 0.88x on a busy one (A/B pairs), for 85 MiB more at the peak. The
/// cache is cut back to [`IDLE_CACHE_KIB`] at every commit, so the extra memory is held
/// only while a transaction needs it.
const OPEN_CACHE_KIB: i64 = -64 * 1024;

/// Why a write did not take effect.
#[derive(Debug)]
pub(super) enum WriteError {
    /// The write itself failed (and nothing of it was kept).
    Sqlite(rusqlite::Error),
    /// The write succeeded but its group's commit did not: nothing of it was kept.
    Commit(String),
}

/// How a group ended, for the writes waiting on it.
#[derive(Debug, Clone)]
enum Ended {
    /// Committed, with the change counter as committed when it moved.
    Committed(Option<u64>),
    /// The commit failed: why.
    Failed(String),
    /// A write of the group failed and took the transaction with it: the others run again.
    Again,
}

pub(super) struct Writer {
    state: Mutex<State>,
    /// Writes waiting for `state`: while there are any, a finished write leaves the
    /// transaction open for them.
    waiting: AtomicUsize,
    commits: Mutex<Commits>,
    committed: Condvar,
    /// Woken when a commit leaves the WAL long (see `store::checkpoint`).
    checkpoints: Option<Arc<Checkpointer>>,
}

struct State {
    conn: Connection,
    open: Option<Group>,
    last_epoch: u64,
}

/// The writes in the open transaction.
struct Group {
    epoch: u64,
    writes: u32,
    opened: Instant,
    /// The change counter as the group's last changing write left it.
    generation: Option<u64>,
}

/// How groups ended: the newest finished epoch, and recent outcomes.
#[derive(Default)]
struct Commits {
    done: u64,
    outcomes: VecDeque<(u64, Ended)>,
}

impl Writer {
    pub(super) fn new(conn: Connection) -> Writer {
        Writer {
            state: Mutex::new(State {
                conn,
                open: None,
                last_epoch: 0,
            }),
            waiting: AtomicUsize::new(0),
            commits: Mutex::new(Commits::default()),
            committed: Condvar::new(),
            checkpoints: None,
        }
    }

    /// A writer whose long WAL is checkpointed by `checkpoints`' thread.
    pub(super) fn with_checkpoints(mut self, checkpoints: Arc<Checkpointer>) -> Writer {
        self.checkpoints = Some(checkpoints);
        self
    }

    /// Runs `f` in the writer's transaction; `f` says whether it changed anything a page
    /// or feed shows, and then the change counter moves in the same transaction. Returns
    /// `f`'s value once it is committed, with the counter as committed when it moved.
    /// `f` runs again when another write of its group failed (see the module's doc).
    pub(super) fn write<T>(
        &self,
        f: impl Fn(&Connection) -> rusqlite::Result<(T, bool)>,
    ) -> Result<(T, Option<u64>), WriteError> {
        // The first run may share its group; a run again commits with its own write.
        let mut share = true;
        loop {
            match self.write_once(&f, share) {
                Some(result) => return result,
                None => share = false,
            }
        }
    }

    /// One run of `f`; `None` when its group was rolled back by another write's failure.
    fn write_once<T>(
        &self,
        f: &impl Fn(&Connection) -> rusqlite::Result<(T, bool)>,
        share: bool,
    ) -> Option<Result<(T, Option<u64>), WriteError>> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let State {
            conn,
            open,
            last_epoch,
        } = &mut *state;
        if open.is_none() {
            if let Err(error) = run(conn, "BEGIN IMMEDIATE") {
                return Some(Err(WriteError::Sqlite(error)));
            }
            set_cache(conn, OPEN_CACHE_KIB);
            *last_epoch += 1;
            *open = Some(Group {
                epoch: *last_epoch,
                writes: 0,
                opened: Instant::now(),
                generation: None,
            });
        }
        let group = open.as_mut().expect("opened above");
        let epoch = group.epoch;
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_write(conn, f)));
        let (value, generation) = match result {
            Ok(Ok(done)) => done,
            failed => {
                // The transaction goes, with the group's earlier writes: they run again.
                if !conn.is_autocommit() {
                    let _ = conn.execute_batch("ROLLBACK");
                }
                *open = None;
                set_cache(conn, IDLE_CACHE_KIB);
                self.finish(epoch, Ended::Again);
                drop(state);
                return match failed {
                    Ok(Err(error)) => Some(Err(WriteError::Sqlite(error))),
                    Err(payload) => std::panic::resume_unwind(payload),
                    Ok(Ok(_)) => unreachable!("matched above"),
                };
            }
        };
        if conn.is_autocommit() {
            // SQLite ended the transaction itself (an error the write let pass rolled it
            // back): nothing of the group is left; the others run again.
            *open = None;
            set_cache(conn, IDLE_CACHE_KIB);
            self.finish(epoch, Ended::Again);
            let lost = "the transaction was rolled back by SQLite during this write";
            return Some(Err(WriteError::Commit(lost.to_string())));
        }
        if generation.is_some() {
            group.generation = generation;
        }
        group.writes += 1;
        let others_waiting = self.waiting.load(Ordering::SeqCst) > 0;
        if share && others_waiting && group.writes < MAX_WRITES && group.opened.elapsed() < MAX_OPEN
        {
            drop(state);
            return match self.wait_for(epoch) {
                Ended::Committed(generation) => Some(Ok((value, generation))),
                Ended::Failed(why) => Some(Err(WriteError::Commit(why))),
                Ended::Again => None,
            };
        }
        let ended = match run(conn, "COMMIT") {
            Ok(()) => {
                if let Some(checkpoints) = &self.checkpoints
                    && checkpoint::frames_after_last_commit() >= checkpoint::SOON_FRAMES
                {
                    checkpoints.request();
                }
                Ended::Committed(group.generation)
            }
            Err(error) => {
                let _ = conn.execute_batch("ROLLBACK");
                Ended::Failed(error.to_string())
            }
        };
        *open = None;
        set_cache(conn, IDLE_CACHE_KIB);
        self.finish(epoch, ended.clone());
        drop(state);
        Some(match ended {
            Ended::Committed(generation) => Ok((value, generation)),
            Ended::Failed(why) => Err(WriteError::Commit(why)),
            Ended::Again => unreachable!("a commit does not ask for runs again"),
        })
    }

    /// Records how group `epoch` ended and wakes the writes waiting on it.
    fn finish(&self, epoch: u64, ended: Ended) {
        let mut commits = self.commits.lock().unwrap_or_else(|e| e.into_inner());
        commits.done = epoch;
        commits.outcomes.push_back((epoch, ended));
        while commits.outcomes.len() > REMEMBERED {
            commits.outcomes.pop_front();
        }
        self.committed.notify_all();
    }

    /// Waits until group `epoch` ended, and says how.
    fn wait_for(&self, epoch: u64) -> Ended {
        let mut commits = self.commits.lock().unwrap_or_else(|e| e.into_inner());
        while commits.done < epoch {
            commits = self
                .committed
                .wait(commits)
                .unwrap_or_else(|e| e.into_inner());
        }
        commits
            .outcomes
            .iter()
            .find(|(e, _)| *e == epoch)
            .map(|(_, ended)| ended.clone())
            .unwrap_or_else(|| Ended::Failed("the outcome of the commit was not kept".into()))
    }
}

/// Runs one write in the open transaction, and moves the change counter in the same
/// transaction when the write says it changed something shown (so no reader, in this
/// process or another, sees the data without the new generation).
fn run_write<T>(
    conn: &Connection,
    f: &impl Fn(&Connection) -> rusqlite::Result<(T, bool)>,
) -> rusqlite::Result<(T, Option<u64>)> {
    let (value, changed) = f(conn)?;
    let generation = if changed {
        Some(conn.query_row(
            "UPDATE changes SET generation = generation + 1 WHERE id = 1 RETURNING generation",
            [],
            |row| row.get::<_, i64>(0),
        )? as u64)
    } else {
        None
    };
    Ok((value, generation))
}

/// Sets the writer's page cache; a smaller one lets go of the pages beyond it at once.
/// (`PRAGMA cache_size` acts when it is prepared, so it is not kept prepared.) Failing
/// only costs speed or memory, never a write: it is not reported.
fn set_cache(conn: &Connection, kib: i64) {
    let _ = conn.pragma_update(None, "cache_size", kib);
}

/// Runs a transaction-control statement, prepared once per connection (these run for
/// every write; `execute_batch` would parse them each time).
fn run(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn writer() -> (tempfile::TempDir, Arc<Writer>) {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("w.db")).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE changes (id INTEGER PRIMARY KEY, generation INTEGER NOT NULL);
             INSERT INTO changes VALUES (1, 0);
             CREATE TABLE t (v INTEGER UNIQUE);",
        )
        .unwrap();
        (dir, Arc::new(Writer::new(conn)))
    }

    #[test]
    fn concurrent_writes_share_commits_and_a_failing_one_is_rolled_back_alone() {
        let (dir, writer) = writer();
        // A zero first, so every later zero is a duplicate that fails.
        writer
            .write(|conn| {
                conn.execute("INSERT INTO t (v) VALUES (0)", [])?;
                Ok(((), true))
            })
            .unwrap();
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let writer = writer.clone();
                std::thread::spawn(move || {
                    let mut kept = 0;
                    for i in 0..50 {
                        let v = if i % 10 == 9 { 0 } else { t * 1000 + i + 1 };
                        let written = writer.write(|conn| {
                            conn.execute("INSERT INTO t (v) VALUES (?1)", [v])?;
                            Ok(((), true))
                        });
                        match written {
                            Ok(_) => kept += 1,
                            Err(WriteError::Sqlite(_)) => assert_eq!(v, 0, "only duplicates fail"),
                            Err(WriteError::Commit(why)) => panic!("a commit failed: {why}"),
                        }
                    }
                    kept
                })
            })
            .collect();
        let kept: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(kept, 8 * 45);
        let check = Connection::open(dir.path().join("w.db")).unwrap();
        let rows: i64 = check
            .query_row("SELECT count(*) FROM t WHERE v > 0", [], |r| r.get(0))
            .unwrap();
        let rows = rows as usize;
        assert_eq!(
            rows, kept,
            "every write that returned Ok is stored, no other"
        );
        let generation: i64 = check
            .query_row("SELECT generation FROM changes", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            generation as usize,
            kept + 1,
            "the counter moved once per write kept"
        );
        assert!(check.is_autocommit());
    }

    #[test]
    fn a_write_that_fails_takes_its_group_back_and_the_others_run_again() {
        use std::sync::atomic::AtomicBool;
        let (dir, writer) = writer();
        let started = Arc::new(AtomicBool::new(false));
        let runs = Arc::new(AtomicUsize::new(0));
        let first = {
            let (writer, started, runs) = (writer.clone(), started.clone(), runs.clone());
            std::thread::spawn(move || {
                writer.write(|conn| {
                    conn.execute("INSERT INTO t (v) VALUES (1)", [])?;
                    // The first run stays in the transaction until the second write is
                    // queued behind it, so it leaves the group open for that one.
                    if runs.fetch_add(1, Ordering::SeqCst) == 0 {
                        started.store(true, Ordering::SeqCst);
                        while writer.waiting.load(Ordering::SeqCst) == 0 {
                            std::thread::yield_now();
                        }
                    }
                    Ok(((), true))
                })
            })
        };
        while !started.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        let failed = writer.write(|conn| {
            conn.execute("INSERT INTO t (v) VALUES (2)", [])?;
            conn.execute("INSERT INTO nowhere (v) VALUES (3)", [])?;
            Ok(((), true))
        });
        assert!(matches!(failed, Err(WriteError::Sqlite(_))), "{failed:?}");
        let (_, generation) = first.join().unwrap().expect("the first write is kept");
        assert_eq!(
            runs.load(Ordering::SeqCst),
            2,
            "it ran again after the rollback"
        );
        assert_eq!(generation, Some(1), "its run again moved the counter, once");
        let check = Connection::open(dir.path().join("w.db")).unwrap();
        let kept: Vec<i64> = check
            .prepare("SELECT v FROM t ORDER BY v")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(kept, [1], "the first write once, nothing of the failed one");
    }

    #[test]
    fn the_cache_grows_only_while_a_transaction_is_open() {
        let (_dir, writer) = writer();
        let cache = |conn: &Connection| -> i64 {
            conn.query_row("PRAGMA cache_size", [], |r| r.get(0))
                .unwrap()
        };
        let during = writer
            .write(|conn| {
                conn.execute("INSERT INTO t (v) VALUES (1)", [])?;
                Ok((cache(conn), true))
            })
            .unwrap()
            .0;
        assert_eq!(during, OPEN_CACHE_KIB);
        let state = writer.state.lock().unwrap();
        assert!(state.conn.is_autocommit(), "the write was committed");
        assert_eq!(cache(&state.conn), IDLE_CACHE_KIB);
    }

    #[test]
    fn a_write_that_panics_is_rolled_back_alone_and_no_one_waits_for_it() {
        let (dir, writer) = writer();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let writer = writer.clone();
                std::thread::spawn(move || {
                    for i in 0..40 {
                        let v = t * 1000 + i + 1;
                        let panics = i % 8 == 7;
                        let written =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                writer.write(|conn| {
                                    conn.execute("INSERT INTO t (v) VALUES (?1)", [v])?;
                                    if panics {
                                        panic!("a write panicked after its insert");
                                    }
                                    Ok(((), true))
                                })
                            }));
                        assert_eq!(written.is_err(), panics);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let check = Connection::open(dir.path().join("w.db")).unwrap();
        let rows: i64 = check
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            rows,
            4 * 35,
            "the panicking writes' inserts were rolled back"
        );
    }
}
