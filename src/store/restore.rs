//! Writing an export back (`bulletin import`): the rows `store::dump` read, into an empty
//! store, in one transaction.
//!
//! Rows keep their row ids, so what points at a row (a listing at its event, a retired
//! event at the event it was joined into, a post at the post it translates) and the order
//! ties are broken in (events by start then row id) come back as they were. Every row is
//! checked before anything is written (`restore_check`); column names are checked against
//! the tables themselves, so a column this Bulletin does not have (an export from a newer
//! one) is refused by name, and a column the export lacks (an older one) takes its
//! default. Foreign keys are checked at the end of the transaction (a post may name a
//! translation stored after it), and the full-text indexes are rebuilt from the rows.
//! The store must be empty: no sources, events, posts, submissions or subscriptions.

use std::collections::HashSet;

use rusqlite::Connection;
use rusqlite::types::Value;

use super::dump::Row;
use super::{Store, StoreError};

/// One row to restore, with where it was read (a file and line, an event UID) for errors.
#[derive(Debug, Clone, PartialEq)]
pub struct Restored {
    pub at: String,
    pub row: Row,
}

/// An event to restore: its `events` row, its listings and its recorded changes.
#[derive(Debug, Clone, PartialEq)]
pub struct RestoredEvent {
    pub at: String,
    pub row: Row,
    pub listings: Vec<Row>,
    pub changes: Vec<Row>,
}

/// A post to restore: its `posts` row and its translation links.
#[derive(Debug, Clone, PartialEq)]
pub struct RestoredPost {
    pub at: String,
    pub row: Row,
    pub alternates: Vec<Row>,
}

/// Everything an import writes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Restore {
    pub sources: Vec<Restored>,
    pub events: Vec<RestoredEvent>,
    pub posts: Vec<RestoredPost>,
}

/// What a restore wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RestoreCounts {
    pub sources: u64,
    pub events: u64,
    pub listings: u64,
    pub changes: u64,
    pub posts: u64,
}

/// What a store holds, as far as an import cares: it writes only into an empty one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Contents {
    pub sources: u64,
    pub events: u64,
    pub posts: u64,
    pub submissions: u64,
    pub subscriptions: u64,
}

impl Contents {
    pub fn is_empty(&self) -> bool {
        *self == Contents::default()
    }
}

impl std::fmt::Display for Contents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = [
            (self.sources, "source", "sources"),
            (self.events, "event", "events"),
            (self.posts, "post", "posts"),
            (self.submissions, "submitted event", "submitted events"),
            (self.subscriptions, "subscription", "subscriptions"),
        ]
        .iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, one, many)| format!("{n} {}", if *n == 1 { one } else { many }))
        .collect();
        if parts.is_empty() {
            f.write_str("nothing")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// An import that was refused or failed; nothing of it was written.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(
        "database {path} already holds {holds}: import writes only into an empty store \
         (stop `bulletin serve`, then point settings.database at a new file, or move {path} away)"
    )]
    NotEmpty { path: String, holds: Contents },
    #[error("{at}: {why}")]
    Invalid { at: String, why: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The tables a restore writes, with the column a child row's parent gives.
const SOURCES: &str = "sources";
const EVENTS: &str = "events";
const LISTINGS: (&str, &str) = ("event_listings", "event_id");
const CHANGES: (&str, &str) = ("event_changes", "event_id");
const POSTS: &str = "posts";
const ALTERNATES: (&str, &str) = ("post_alternates", "post_id");

/// Checks every row of `restore` as [`Store::restore`] does before writing, without a
/// store (an import checks its files before it creates the database).
pub fn check_restore(restore: &Restore) -> Result<(), RestoreError> {
    super::restore_check::check(restore)
}

impl Store {
    /// What the store holds (see [`Contents`]).
    pub fn contents(&self) -> Result<Contents, StoreError> {
        self.read("counting what the store holds", contents)
    }

    /// Writes `restore` into this store, which must be empty, in one transaction, after
    /// checking every row (see the module's notes).
    pub fn restore(&self, restore: &Restore) -> Result<RestoreCounts, RestoreError> {
        check_restore(restore)?;
        let path = self.path().display().to_string();
        let written = self.write("importing an export", |tx| write_all(tx, restore, &path));
        match written {
            Ok(counts) => Ok(counts),
            Err(StoreError::Sqlite {
                source: rusqlite::Error::ToSqlConversionFailure(refusal),
                ..
            }) if refusal.is::<RestoreError>() => {
                Err(*refusal.downcast::<RestoreError>().expect("checked by `is`"))
            }
            Err(error) => Err(error.into()),
        }
    }
}

fn contents(conn: &Connection) -> rusqlite::Result<Contents> {
    let count = |table: &str| -> rusqlite::Result<u64> {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
            row.get::<_, i64>(0)
        })
        .map(|n| u64::try_from(n).unwrap_or(0))
    };
    Ok(Contents {
        sources: count("sources")?,
        events: count("events")?,
        posts: count("posts")?,
        submissions: count("submissions")?,
        subscriptions: count("subscriptions")?,
    })
}

/// A refusal carried out of the write closure (which can only return SQLite's errors).
fn refuse(error: RestoreError) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(error))
}

fn invalid(at: &str, why: impl Into<String>) -> rusqlite::Error {
    refuse(RestoreError::Invalid {
        at: at.to_string(),
        why: why.into(),
    })
}

fn write_all(tx: &Connection, restore: &Restore, path: &str) -> rusqlite::Result<RestoreCounts> {
    let holds = contents(tx)?;
    if !holds.is_empty() {
        return Err(refuse(RestoreError::NotEmpty {
            path: path.to_string(),
            holds,
        }));
    }
    // A post may name as its original a post with a higher row id: checked at commit.
    tx.pragma_update(None, "defer_foreign_keys", true)?;
    let mut counts = RestoreCounts::default();
    let mut tables = Tables::default();
    for source in &restore.sources {
        tables.insert(tx, SOURCES, &source.row, None, &source.at)?;
        counts.sources += 1;
    }
    for event in &restore.events {
        tables.insert(tx, EVENTS, &event.row, None, &event.at)?;
        let id = row_id(&event.row, &event.at)?;
        for (i, listing) in event.listings.iter().enumerate() {
            let at = format!("{}: listing {}", event.at, i + 1);
            tables.insert(tx, LISTINGS.0, listing, Some((LISTINGS.1, id)), &at)?;
            counts.listings += 1;
        }
        for (i, change) in event.changes.iter().enumerate() {
            let at = format!("{}: change {}", event.at, i + 1);
            tables.insert(tx, CHANGES.0, change, Some((CHANGES.1, id)), &at)?;
            counts.changes += 1;
        }
        counts.events += 1;
    }
    for post in &restore.posts {
        tables.insert(tx, POSTS, &post.row, None, &post.at)?;
        let id = row_id(&post.row, &post.at)?;
        for (i, alternate) in post.alternates.iter().enumerate() {
            let at = format!("{}: translation link {}", post.at, i + 1);
            tables.insert(tx, ALTERNATES.0, alternate, Some((ALTERNATES.1, id)), &at)?;
        }
        counts.posts += 1;
    }
    if counts.events > 0 {
        tx.execute("INSERT INTO events_fts (events_fts) VALUES ('rebuild')", [])?;
    }
    if counts.posts > 0 {
        tx.execute("INSERT INTO posts_fts (posts_fts) VALUES ('rebuild')", [])?;
    }
    if let Some(dangling) = dangling_reference(tx)? {
        return Err(invalid("the export", dangling));
    }
    Ok(counts)
}

fn row_id(row: &Row, at: &str) -> rusqlite::Result<i64> {
    row.get("id")
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(|| invalid(at, "no integer `id`"))
}

/// The first row pointing at a row that is not there, in words.
fn dangling_reference(tx: &Connection) -> rusqlite::Result<Option<String>> {
    let mut stmt = tx.prepare("PRAGMA foreign_key_check")?;
    let mut rows = stmt.query([])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let table: String = row.get(0)?;
    let rowid: Option<i64> = row.get(1)?;
    let parent: String = row.get(2)?;
    Ok(Some(format!(
        "a row of {table} (row id {}) refers to a row of {parent} that the export does not hold",
        rowid.map_or_else(|| "?".to_string(), |id| id.to_string())
    )))
}

/// The columns of each table written so far, read from the database itself.
#[derive(Default)]
struct Tables {
    columns: std::collections::HashMap<&'static str, HashSet<String>>,
}

impl Tables {
    fn columns(
        &mut self,
        tx: &Connection,
        table: &'static str,
    ) -> rusqlite::Result<&HashSet<String>> {
        if !self.columns.contains_key(table) {
            let names = tx
                .prepare(&format!("PRAGMA table_info({table})"))?
                .query_map([], |row| row.get::<_, String>(1))?
                .collect::<rusqlite::Result<HashSet<String>>>()?;
            self.columns.insert(table, names);
        }
        Ok(&self.columns[table])
    }

    /// Inserts `row` into `table`, with `parent` (its column and the parent's row id) for a
    /// child row; every column name is one of the table's own.
    fn insert(
        &mut self,
        tx: &Connection,
        table: &'static str,
        row: &Row,
        parent: Option<(&str, i64)>,
        at: &str,
    ) -> rusqlite::Result<()> {
        let known = self.columns(tx, table)?;
        let mut names: Vec<&str> = Vec::with_capacity(row.len() + 1);
        let mut values: Vec<Value> = Vec::with_capacity(row.len() + 1);
        for (name, value) in row {
            if !known.contains(name) {
                return Err(invalid(
                    at,
                    format!(
                        "column `{name}` is not a column of table {table} (was it exported by a newer Bulletin?)"
                    ),
                ));
            }
            if let Some((parent_column, _)) = parent
                && name == parent_column
            {
                return Err(invalid(
                    at,
                    format!("column `{name}` is given by the row it belongs to, not by itself"),
                ));
            }
            names.push(name);
            values.push(sql_value(value).ok_or_else(|| {
                invalid(
                    at,
                    format!("column `{name}`: {value} is not a text, a number or null"),
                )
            })?);
        }
        if let Some((column, id)) = parent {
            names.push(column);
            values.push(Value::Integer(id));
        }
        // Names are the table's own (checked above), quoted all the same.
        let columns: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
        let marks: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            columns.join(", "),
            marks.join(", ")
        );
        tx.prepare_cached(&sql)?
            .execute(rusqlite::params_from_iter(values))
            .map_err(|error| invalid(at, format!("the database refused it: {error}")))?;
        Ok(())
    }
}

/// A JSON value as the SQLite value it was exported from.
fn sql_value(value: &serde_json::Value) -> Option<Value> {
    match value {
        serde_json::Value::Null => Some(Value::Null),
        serde_json::Value::String(text) => Some(Value::Text(text.clone())),
        serde_json::Value::Number(n) => n
            .as_i64()
            .map(Value::Integer)
            .or_else(|| n.as_f64().map(Value::Real)),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
