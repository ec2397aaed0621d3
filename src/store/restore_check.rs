//! Checking an export's rows before any is written (`store::restore`): what the views
//! will read back must be readable — times, dates, statuses, the JSON columns (an
//! event's listings are merged again from their JSON at the next fetch) — and what points
//! at another row must find it in the export (a listing's source, a retired event's
//! successor, a post's original). Uniqueness the tables declare is checked here too, so
//! the error names both rows' places rather than a constraint. What SQLite checks itself
//! (NOT NULL, CHECK) is left to it; its refusal still names the row.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::de::DeserializeOwned;

use super::dump::Row;
use super::restore::{Restore, RestoreError, RestoredEvent, RestoredPost};
use crate::model::{Event, EventStatus, EventTime, PostSelectors, Selectors};
use crate::normalise::dedup::language::Versions;

/// Checks every row of `restore`.
pub(super) fn check(restore: &Restore) -> Result<(), RestoreError> {
    let mut sources: HashMap<String, &str> = HashMap::new();
    for source in &restore.sources {
        let row = Fields::new(&source.at, &source.row);
        let id = row.text("id")?;
        if id.is_empty() {
            return Err(row.invalid("id", "is empty"));
        }
        if let Some(first) = sources.insert(id.to_string(), &source.at) {
            return Err(row.invalid("id", format!("`{id}` is also the source at {first}")));
        }
        row.text("name")?;
        row.text("department")?;
        row.json::<Vec<String>>("tags")?;
        row.time("created_at")?;
        for column in ["next_attempt_after", "submitted_at", "listings_seen_at"] {
            row.optional_time(column)?;
        }
        if let Some(url) = row.optional_text("url")? {
            url::Url::parse(url).map_err(|e| row.invalid("url", format!("`{url}`: {e}")))?;
        }
        row.optional_json::<Selectors>("selectors")?;
        row.optional_json::<PostSelectors>("post_selectors")?;
    }
    check_events(&restore.events, &sources)?;
    check_posts(&restore.posts, &sources)
}

fn check_events(
    events: &[RestoredEvent],
    sources: &HashMap<String, &str>,
) -> Result<(), RestoreError> {
    let mut ids: HashMap<i64, &str> = HashMap::new();
    let mut uids: HashMap<&str, &str> = HashMap::new();
    let mut listed: HashMap<(String, String), String> = HashMap::new();
    let mut change_ids: HashSet<i64> = HashSet::new();
    for event in events {
        let row = Fields::new(&event.at, &event.row);
        let id = row.integer("id")?;
        if let Some(first) = ids.insert(id, &event.at) {
            return Err(row.invalid("id", format!("{id} is also the event at {first}")));
        }
        let uid = row.text("uid")?;
        if let Some(first) = uids.insert(uid, &event.at) {
            return Err(row.invalid("uid", format!("`{uid}` is also the event at {first}")));
        }
        row.event_time("start_at")?;
        if row.optional_text("end_at")?.is_some() {
            row.event_time("end_at")?;
        }
        for column in [
            "start_utc",
            "end_utc",
            "first_seen_at",
            "last_seen_at",
            "changed_at",
        ] {
            row.time(column)?;
        }
        let status = row.text("status")?;
        if EventStatus::parse(status).is_none() {
            return Err(row.invalid("status", format!("`{status}` is not an event status")));
        }
        if row.integer("revision")? < 0 {
            return Err(row.invalid("revision", "is negative"));
        }
        row.json::<Vec<String>>("categories")?;
        row.json::<BTreeMap<String, String>>("provenance")?;
        row.optional_json::<Versions>("versions")?;
        for (i, listing) in event.listings.iter().enumerate() {
            let at = format!("{}: listing {}", event.at, i + 1);
            let row = Fields::new(&at, listing);
            let source = row.text("source_id")?;
            if !sources.contains_key(source) {
                return Err(row.invalid(
                    "source_id",
                    format!("`{source}` is not a source of the export"),
                ));
            }
            let source_uid = row.text("source_uid")?;
            if let Some(first) = listed.insert((source.into(), source_uid.into()), at.clone()) {
                return Err(row.invalid(
                    "source_uid",
                    format!("`{source_uid}` of `{source}` is also listed at {first}"),
                ));
            }
            row.json::<Event>("data")?;
            row.time("first_seen_at")?;
            row.time("last_seen_at")?;
        }
        for (i, change) in event.changes.iter().enumerate() {
            let at = format!("{}: change {}", event.at, i + 1);
            let row = Fields::new(&at, change);
            if !change_ids.insert(row.integer("id")?) {
                return Err(row.invalid("id", "is also another change's"));
            }
            row.time("changed_at")?;
        }
    }
    for event in events {
        let row = Fields::new(&event.at, &event.row);
        if let Some(successor) = row.optional_integer("merged_into")?
            && (!ids.contains_key(&successor) || Some(successor) == row.optional_integer("id")?)
        {
            return Err(row.invalid(
                "merged_into",
                format!("{successor} is not another event of the export"),
            ));
        }
    }
    Ok(())
}

fn check_posts(
    posts: &[RestoredPost],
    sources: &HashMap<String, &str>,
) -> Result<(), RestoreError> {
    let mut ids: HashMap<i64, &str> = HashMap::new();
    let mut keys: HashMap<(&str, &str), &str> = HashMap::new();
    for post in posts {
        let row = Fields::new(&post.at, &post.row);
        let id = row.integer("id")?;
        if let Some(first) = ids.insert(id, &post.at) {
            return Err(row.invalid("id", format!("{id} is also the post at {first}")));
        }
        let source = row.text("source_id")?;
        if !sources.contains_key(source) {
            return Err(row.invalid(
                "source_id",
                format!("`{source}` is not a source of the export"),
            ));
        }
        let entry = row.text("entry_id")?;
        if let Some(first) = keys.insert((source, entry), &post.at) {
            return Err(row.invalid(
                "entry_id",
                format!("`{entry}` of `{source}` is also the post at {first}"),
            ));
        }
        row.text("title")?;
        row.optional_time("published_at")?;
        row.optional_time("updated_at")?;
        for column in ["first_seen_at", "changed_at", "sort_at"] {
            row.time(column)?;
        }
        row.json::<Vec<String>>("categories")?;
        let mut urls = HashSet::new();
        for (i, alternate) in post.alternates.iter().enumerate() {
            let at = format!("{}: translation link {}", post.at, i + 1);
            let row = Fields::new(&at, alternate);
            if !urls.insert(row.text("url")?.to_string()) {
                return Err(row.invalid("url", "is also another translation link's"));
            }
        }
    }
    for post in posts {
        let row = Fields::new(&post.at, &post.row);
        if let Some(original) = row.optional_integer("translation_of")?
            && !ids.contains_key(&original)
        {
            return Err(row.invalid(
                "translation_of",
                format!("{original} is not a post of the export"),
            ));
        }
    }
    Ok(())
}

/// A row's columns read for checking, each error naming the row's place and the column.
struct Fields<'a> {
    at: &'a str,
    row: &'a Row,
}

impl<'a> Fields<'a> {
    fn new(at: &'a str, row: &'a Row) -> Self {
        Fields { at, row }
    }

    fn invalid(&self, column: &str, why: impl std::fmt::Display) -> RestoreError {
        RestoreError::Invalid {
            at: self.at.to_string(),
            why: format!("column `{column}` {why}"),
        }
    }

    fn optional_text(&self, column: &str) -> Result<Option<&'a str>, RestoreError> {
        match self.row.get(column) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(text)) => Ok(Some(text)),
            Some(other) => Err(self.invalid(column, format!("holds {other}, not text"))),
        }
    }

    fn text(&self, column: &str) -> Result<&'a str, RestoreError> {
        self.optional_text(column)?
            .ok_or_else(|| self.invalid(column, "is missing"))
    }

    fn optional_integer(&self, column: &str) -> Result<Option<i64>, RestoreError> {
        match self.row.get(column) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(value) => value
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.invalid(column, format!("holds {value}, not an integer"))),
        }
    }

    fn integer(&self, column: &str) -> Result<i64, RestoreError> {
        self.optional_integer(column)?
            .ok_or_else(|| self.invalid(column, "is missing"))
    }

    fn optional_time(&self, column: &str) -> Result<(), RestoreError> {
        if let Some(text) = self.optional_text(column)?
            && super::parse_ts(text).is_none()
        {
            return Err(self.invalid(column, format!("`{text}` is not an RFC 3339 time")));
        }
        Ok(())
    }

    fn time(&self, column: &str) -> Result<(), RestoreError> {
        self.text(column)?;
        self.optional_time(column)
    }

    fn event_time(&self, column: &str) -> Result<(), RestoreError> {
        let text = self.text(column)?;
        match EventTime::from_text(text) {
            Some(_) => Ok(()),
            None => Err(self.invalid(
                column,
                format!("`{text}` is neither a date nor an RFC 3339 time"),
            )),
        }
    }

    fn optional_json<T: DeserializeOwned>(&self, column: &str) -> Result<(), RestoreError> {
        if let Some(text) = self.optional_text(column)? {
            serde_json::from_str::<T>(text)
                .map_err(|e| self.invalid(column, format!("is not what it should hold: {e}")))?;
        }
        Ok(())
    }

    fn json<T: DeserializeOwned>(&self, column: &str) -> Result<(), RestoreError> {
        self.text(column)?;
        self.optional_json::<T>(column)
    }
}
