//! Keeping the full-text indexes (`events_fts`, `posts_fts`, FTS5 over external content)
//! in step with new rows: the rows a fetch inserted are indexed together, in one
//! statement at the end of its writes. FTS5 flushes its pending terms at every statement
//! savepoint once it has been written in a transaction, so indexing row by row (as a
//! trigger does) writes one small segment per row and leaves the index to merge them.

use rusqlite::{Connection, params};

/// Indexes the events inserted with these ids.
pub(super) fn index_new_events(tx: &Connection, ids: &[i64]) -> rusqlite::Result<()> {
    index(
        tx,
        ids,
        "INSERT INTO events_fts (rowid, title, description_text, location_name, location_address)
         SELECT id, title, description_text, location_name, location_address FROM events
         WHERE id IN (SELECT value FROM json_each(?1))",
    )
}

/// Indexes the posts inserted with these ids.
pub(super) fn index_new_posts(tx: &Connection, ids: &[i64]) -> rusqlite::Result<()> {
    index(
        tx,
        ids,
        "INSERT INTO posts_fts (rowid, title, author, summary_html, content_html)
         SELECT id, title, author, summary_html, content_html FROM posts
         WHERE id IN (SELECT value FROM json_each(?1))",
    )
}

fn index(tx: &Connection, ids: &[i64], sql: &str) -> rusqlite::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    tx.prepare_cached(sql)?.execute(params![list])?;
    Ok(())
}
