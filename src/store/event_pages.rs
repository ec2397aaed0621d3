//! Events read a page at a time, for views too large to hold at once (the whole
//! calendar of a government): pages follow start order by key (start, row id), never by
//! offset, and every page of one reading comes from the same snapshot of the database,
//! so a write committed meanwhile is either wholly in the view or not at all.

use rusqlite::params_from_iter;

use super::events::{EventFilter, EventKey, StoredEvent, filter_clause, select_events};
use super::{Store, StoreError};

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
        self.read("reading events page by page", |conn| {
            // Deferred: the snapshot is taken by the first read and kept to the last.
            let snapshot = conn.unchecked_transaction()?;
            let total = count(&snapshot, filter)?;
            let mut remaining = filter.limit.max(1);
            let mut key: Option<EventKey> = None;
            let mut offset = filter.offset;
            while remaining > 0 {
                let this_page = EventFilter {
                    limit: remaining.min(page.max(1)),
                    offset,
                    descending: false,
                    ..filter.clone()
                };
                let events = select_events(
                    &snapshot,
                    &this_page,
                    key.as_ref().map(|(s, id)| (s.as_str(), *id)),
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
            Ok(total)
        })
    }

    /// How many events `filter` selects, its limit and offset aside.
    pub fn count_events(&self, filter: &EventFilter) -> Result<u64, StoreError> {
        self.read("counting events", |conn| count(conn, filter))
    }
}

fn count(conn: &rusqlite::Connection, filter: &EventFilter) -> rusqlite::Result<u64> {
    let (clause, values) = filter_clause(filter);
    conn.prepare_cached(&format!(
        "SELECT count(*) FROM events e WHERE 1 = 1 {clause}"
    ))?
    .query_row(params_from_iter(values.iter()), |row| row.get::<_, i64>(0))
    .map(|n| u64::try_from(n).unwrap_or(0))
}
