//! Events read a page at a time, for views too large to hold at once (the whole
//! calendar of a government): pages follow start order by key (start, row id), never by
//! offset, and every page of one reading comes from the same snapshot of the database,
//! so a write committed meanwhile is either wholly in the view or not at all.
//!
//! A large reading may be cut into runs of consecutive events, each read on a thread of
//! its own from its own reader connection: the readers' snapshots are the same one when
//! they saw the same change counter (every write that changes what a view shows moves
//! it, as the rendered-view cache already relies on), else the reading is not cut.

use rusqlite::{Connection, OptionalExtension, params_from_iter};

use super::events::{EventFilter, EventKey, StoredEvent, filter_clause, select_events_between};
use super::{PooledReader, Store, StoreError, read_generation};

const DOING: &str = "reading events page by page";
/// Tries at opening readers on one snapshot before reading on one thread.
const SNAPSHOT_TRIES: usize = 3;

impl Store {
    /// Hands the events `filter` selects (soonest first; `descending` is not read) to
    /// `each`, at most `page` at a time, until `filter.limit` have been handed over or
    /// `each` answers false. Returns how many events the filter selects in all, its limit
    /// aside, counted in the same snapshot.
    pub fn event_pages(
        &self,
        filter: &EventFilter,
        page: u32,
        mut each: impl FnMut(Vec<StoredEvent>) -> bool,
    ) -> Result<u64, StoreError> {
        self.read(DOING, |conn| {
            // Deferred: the snapshot is taken by the first read and kept to the last.
            let snapshot = conn.unchecked_transaction()?;
            let total = count(&snapshot, filter)?;
            read_run(&snapshot, filter, page, Run::default(), &mut each)?;
            Ok(total)
        })
    }

    /// [`Store::event_pages`] on up to `parts` threads at once: the events are cut into
    /// that many runs of consecutive events, each read (and handed to `each` with its
    /// run's index, 0 first) on a thread of its own, all from one snapshot. Handing the
    /// runs' pages over in run order gives the same sequence as `event_pages`. A reading
    /// is read as one run when it is small, starts at an offset, is cut by its limit, or
    /// when the readers could not be opened on one snapshot; `each` then hears only of
    /// run 0. Returns the total as `event_pages` does.
    pub fn event_pages_in_runs(
        &self,
        filter: &EventFilter,
        page: u32,
        parts: usize,
        each: impl Fn(usize, Vec<StoredEvent>) -> bool + Sync,
    ) -> Result<u64, StoreError> {
        let mut snapshots = self.snapshots(parts.max(1))?;
        let first = snapshots[0].conn();
        let total = count(first, filter).map_err(self.error(DOING))?;
        let cut = snapshots.len() > 1
            && filter.offset == 0
            && total <= u64::from(filter.limit)
            && total >= 2 * u64::from(page.max(1));
        let keys = if cut {
            run_ends(first, filter, snapshots.len()).map_err(self.error(DOING))?
        } else {
            Vec::new()
        };
        let mut runs = Vec::with_capacity(keys.len() + 1);
        let mut after = None;
        for key in keys {
            runs.push(Run {
                after: after.take(),
                until: Some(key.clone()),
            });
            after = Some(key);
        }
        runs.push(Run { after, until: None });
        let each = &each;
        let results: Vec<rusqlite::Result<()>> = std::thread::scope(|scope| {
            let mut work = snapshots.iter_mut().zip(runs).enumerate();
            let (_, (here, run)) = work.next().expect("one run at least");
            let others: Vec<_> = work
                .map(|(i, (snapshot, run))| {
                    std::thread::Builder::new()
                        .name(format!("bulletin-read-run-{i}"))
                        .spawn_scoped(scope, move || {
                            read_run(snapshot.conn(), filter, page, run, &mut |p| each(i, p))
                        })
                        // Like a failing reader: this request fails, the process goes on.
                        .expect("a thread to read a run of events")
                })
                .collect();
            let mut results = vec![read_run(here.conn(), filter, page, run, &mut |p| {
                each(0, p)
            })];
            for other in others {
                results.push(other.join().unwrap_or_else(|panic| {
                    std::panic::resume_unwind(panic);
                }));
            }
            results
        });
        for result in results {
            result.map_err(self.error(DOING))?;
        }
        Ok(total)
    }

    /// `parts` readers in read transactions on one snapshot of the database, or one when
    /// no more are free or the snapshots kept differing (a write committed between them).
    fn snapshots(&self, parts: usize) -> Result<Vec<Snapshot<'_>>, StoreError> {
        for _ in 0..SNAPSHOT_TRIES {
            let mut snapshots = vec![Snapshot::begin(self.reader()?).map_err(self.error(DOING))?];
            for _ in 1..parts {
                // A busy pool costs the extra threads, not the reading.
                let Some(reader) = self.idle_reader() else {
                    break;
                };
                snapshots.push(Snapshot::begin(reader).map_err(self.error(DOING))?);
            }
            if snapshots
                .windows(2)
                .all(|w| w[0].generation == w[1].generation)
            {
                return Ok(snapshots);
            }
        }
        Ok(vec![
            Snapshot::begin(self.reader()?).map_err(self.error(DOING))?,
        ])
    }

    /// How many events `filter` selects, its limit and offset aside.
    pub fn count_events(&self, filter: &EventFilter) -> Result<u64, StoreError> {
        self.read("counting events", |conn| count(conn, filter))
    }
}

/// A reader in a read transaction (rolled back when dropped), and the change counter
/// its snapshot holds.
struct Snapshot<'a> {
    reader: PooledReader<'a>,
    generation: u64,
}

impl<'a> Snapshot<'a> {
    fn begin(reader: PooledReader<'a>) -> rusqlite::Result<Snapshot<'a>> {
        let mut snapshot = Snapshot {
            reader,
            generation: 0,
        };
        snapshot.conn().execute_batch("BEGIN DEFERRED")?;
        // The first read takes the snapshot.
        snapshot.generation = read_generation(snapshot.conn())?;
        Ok(snapshot)
    }

    fn conn(&self) -> &Connection {
        self.reader.conn.as_ref().expect("held until dropped")
    }
}

impl Drop for Snapshot<'_> {
    fn drop(&mut self) {
        let conn = self.conn();
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
    }
}

/// Where a run of events starts (after this key) and ends (at this key, included).
#[derive(Default)]
struct Run {
    after: Option<EventKey>,
    until: Option<EventKey>,
}

/// Hands the run's events to `each` a page at a time, as [`Store::event_pages`] does.
fn read_run(
    conn: &Connection,
    filter: &EventFilter,
    page: u32,
    run: Run,
    each: &mut dyn FnMut(Vec<StoredEvent>) -> bool,
) -> rusqlite::Result<()> {
    let mut remaining = filter.limit.max(1);
    let mut key = run.after;
    let until = run.until.as_ref().map(|(s, id)| (s.as_str(), *id));
    let mut offset = filter.offset;
    while remaining > 0 {
        let this_page = EventFilter {
            limit: remaining.min(page.max(1)),
            offset,
            descending: false,
            ..filter.clone()
        };
        let events = select_events_between(
            conn,
            &this_page,
            key.as_ref().map(|(s, id)| (s.as_str(), *id)),
            until,
        )?;
        let Some((last, _)) = events.last() else {
            break;
        };
        key = Some(last.clone());
        offset = 0;
        remaining -= u32::try_from(events.len())
            .unwrap_or(remaining)
            .min(remaining);
        if !each(events.into_iter().map(|(_, e)| e).collect()) {
            break;
        }
    }
    Ok(())
}

/// Keys cutting the events of `filter`'s window into `parts` runs of about as many
/// events: quantiles of the start-order index over the window's starts, read from the
/// index alone (the filter's other conditions are left out, so the runs are only about
/// even; any key cuts the reading exactly).
fn run_ends(
    conn: &Connection,
    filter: &EventFilter,
    parts: usize,
) -> rusqlite::Result<Vec<EventKey>> {
    let mut clause = String::new();
    let mut values = Vec::new();
    if let Some(from) = filter.from {
        clause.push_str(" AND start_utc >= ?");
        values.push(super::ts(from));
    }
    if let Some(to) = filter.to {
        clause.push_str(" AND start_utc < ?");
        values.push(super::ts(to));
    }
    let in_window: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM events INDEXED BY events_by_start WHERE 1 = 1 {clause}"
        ))?
        .query_row(params_from_iter(values.iter()), |row| row.get(0))?;
    let mut keys: Vec<EventKey> = Vec::with_capacity(parts);
    let mut at = conn.prepare_cached(&format!(
        "SELECT start_utc, id FROM events INDEXED BY events_by_start WHERE 1 = 1 {clause}
         ORDER BY start_utc, id LIMIT 1 OFFSET ?"
    ))?;
    for part in 1..parts {
        let offset = in_window * part as i64 / parts as i64;
        let mut bound: Vec<rusqlite::types::Value> = values
            .iter()
            .map(|v| rusqlite::types::Value::Text(v.clone()))
            .collect();
        bound.push(rusqlite::types::Value::Integer(offset.max(0)));
        let key: Option<EventKey> = at
            .query_row(params_from_iter(bound.iter()), |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()?;
        // Keys go up; one equal to (or before) the last adds no run.
        if let Some(key) = key
            && keys.last().is_none_or(|last| *last < key)
        {
            keys.push(key);
        }
    }
    Ok(keys)
}

fn count(conn: &rusqlite::Connection, filter: &EventFilter) -> rusqlite::Result<u64> {
    let (clause, values) = filter_clause(filter);
    conn.prepare_cached(&count_sql(&clause))?
        .query_row(params_from_iter(values.iter()), |row| row.get::<_, i64>(0))
        .map(|n| u64::try_from(n).unwrap_or(0))
}

/// The statement counting the events under `clause` (from [`filter_clause`]).
fn count_sql(clause: &str) -> String {
    format!("SELECT count(*) FROM events e WHERE 1 = 1 {clause}")
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use rusqlite::types::Value;

    use super::super::events::page_sql;
    use super::*;

    /// What `EXPLAIN QUERY PLAN` says of `sql`, one step a line.
    fn plan(store: &Store, sql: &str, values: &[Value]) -> String {
        store
            .read("explaining", |conn| {
                let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
                let steps = stmt
                    .query_map(params_from_iter(values.iter()), |row| {
                        row.get::<_, String>(3)
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(steps.join("\n"))
            })
            .unwrap()
    }

    fn index_columns(store: &Store, index: &str) -> Vec<String> {
        store
            .read("listing an index's columns", |conn| {
                conn.prepare(&format!("PRAGMA index_info({index})"))?
                    .query_map([], |row| row.get::<_, String>(2))?
                    .collect()
            })
            .unwrap()
    }

    /// A calendar's count reads no event's row, and its pages walk an index holding every
    /// column its conditions read, so only the events it selects are read from the table
    /// (a department's calendar read every event's row twice, to count and to page).
    #[test]
    fn a_calendars_conditions_are_settled_inside_the_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("plans.db")).unwrap();
        let window = EventFilter {
            from: Some(Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()),
            limit: 1_000,
            ..EventFilter::default()
        };
        let filters = [
            window.clone(),
            EventFilter {
                retired: true,
                ..window.clone()
            },
            EventFilter {
                departments: vec!["Health Canada".into()],
                ..window.clone()
            },
            EventFilter {
                sources: vec!["hc-events".into()],
                retired: true,
                ..window.clone()
            },
        ];
        for filter in &filters {
            let (clause, values) = filter_clause(filter);
            let counting = plan(&store, &count_sql(&clause), &values);
            let events_step = counting
                .lines()
                .find(|step| step.contains(" e USING"))
                .unwrap_or_else(|| panic!("the count reads events by an index:\n{counting}"));
            assert!(
                events_step.contains("COVERING INDEX"),
                "counting {filter:?} reads events' rows:\n{counting}"
            );
            let mut values = values;
            values.extend([Value::Integer(1_000), Value::Integer(0)]);
            let paging = plan(&store, &page_sql(&clause, false), &values);
            assert!(
                paging.contains("e USING INDEX events_by_start"),
                "pages of {filter:?} walk the start index:\n{paging}"
            );
        }
        let walked = index_columns(&store, "events_by_start");
        for read in ["start_utc", "merged_into", "end_utc"] {
            assert!(
                walked.iter().any(|c| c == read),
                "events_by_start lacks {read}"
            );
        }
    }
}
