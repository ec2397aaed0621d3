//! Exports and imports: the whole store as two files people and other programs can read
//! (`bulletin export --events FILE.ics --posts FILE.json`), and an empty store rebuilt
//! from them (`bulletin import`), so the archive of past events outlives any one
//! installation and a new machine serves the same pages and feeds.
//!
//! # The events file (iCalendar, RFC 5545)
//!
//! One VCALENDAR with a VEVENT for **every** event the store holds — past and future,
//! cancelled, no longer listed, and those joined into another event (`merged_into`),
//! which calendars publish cancelled — in start order, each written by the calendar's own
//! renderer (`render::ics`, English; the same lines `/events.ics` serves: public `UID`
//! `…@bulletin`, `SEQUENCE` = the revision, `STATUS`, times with their `TZID` and the
//! VTIMEZONEs they need, the other language's version in the description), so Outlook,
//! Google, Apple, Thunderbird and Python's icalendar read it as a calendar. What an
//! import needs besides is carried in `X-BULLETIN-*` properties, which calendar programs
//! ignore; each value is one JSON object written as TEXT (`\,` `\;` `\\` escaped):
//!
//! - on the VCALENDAR, `X-BULLETIN-EXPORT` — `{"format": "bulletin-export", "version": 1,
//!   "schema": N, "events": COUNT}` (N: the store's schema version, its number of
//!   migrations) — and one `X-BULLETIN-SOURCE` per source;
//! - on each VEVENT, `X-BULLETIN-EVENT` (the event's row), one `X-BULLETIN-LISTING` per
//!   source listing it (that source's version of the event: its `data`, first and last
//!   seen, whether it is still listed), one `X-BULLETIN-CHANGE` per recorded change (what
//!   the weekly digest reports as moved, cancelled or no longer listed).
//!
//! # The posts file (JSON Feed 1.1)
//!
//! A JSON Feed whose items are every post, by row id, each written as `/feed.json` writes
//! it (`render::jsonfeed`), its `_bulletin` extension object holding, besides the source's
//! id, name and department, `row` (the post's row) and `alternates` (its translation
//! links). The feed's own `_bulletin` object is `{"format": "bulletin-export",
//! "version": 1, "schema": N, "posts": COUNT, "sources": [...]}`.
//!
//! # Rows
//!
//! A row is an object of the stored columns, named as `src/store/migrations.rs` names
//! them, with their stored values: strings, integers and null; columns that hold JSON
//! (an event's `categories`, `provenance`, `versions`; a listing's `data`) are their
//! stored text. Row ids are kept (`id`), so references and the order of events starting
//! at the same minute survive. Left out: the leases of a refresh running on the old
//! machine, and fetch records (the health page's history, pruned anyway; a backup keeps
//! them). Subscriptions, digest deliveries, submitted events waiting for a decision and
//! the install's secrets are not in an export either: they hold people's addresses and
//! private tokens, which belong in `bulletin backup`'s copy, not in an archive. Approved
//! submitted events are events, exported with their listings and sources.
//!
//! Both files carry every source (sources of `sources.toml` and registered ones, with
//! their moderation and fetch state), so either file can be imported alone and its
//! listings and posts find their sources; imported together, the two lists must agree.
//! An export holds no time of its own: exporting an unchanged store again, or the store
//! an import rebuilt, gives the same bytes (with the same `settings.timezone`, which the
//! calendar names as its display zone).
//!
//! # Import
//!
//! Both files are read whole and checked (the format, every row, that UIDs and
//! SEQUENCEs agree with the rows, that the counts match) before the store is opened for
//! writing; then `store::restore` writes everything in one transaction into a store that
//! must be empty. Errors name the file and the line (events) or item (posts).

mod events_file;
mod export;
mod import;
mod posts_file;

pub use export::{ExportError, ExportFiles, ExportReport, export};
pub use import::{ImportError, ImportFiles, ImportReport, import};

/// What every export says it is.
pub const FORMAT: &str = "bulletin-export";
/// The version of the export's shape (the two files and their extension objects).
pub const VERSION: u32 = 1;

/// The part of an export's header that says what it is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Format {
    format: String,
    version: u32,
    /// The exporting store's schema version.
    schema: u32,
}

impl Format {
    fn current(schema: u32) -> Format {
        Format {
            format: FORMAT.to_string(),
            version: VERSION,
            schema,
        }
    }

    /// Why this Bulletin cannot import it, if it cannot.
    fn refusal(&self) -> Option<String> {
        if self.format != FORMAT {
            return Some(format!("says it is `{}`, not a `{FORMAT}`", self.format));
        }
        if self.version != VERSION {
            return Some(format!(
                "is version {} of the export format; this Bulletin reads version {VERSION}",
                self.version
            ));
        }
        let known = crate::store::schema_version();
        (self.schema > known).then(|| {
            format!(
                "was exported by a newer Bulletin (schema {}; this one knows {known}): import it with that version or a later one",
                self.schema
            )
        })
    }
}

/// `value` as JSON safe to write as iCalendar TEXT: DEL and the C1 controls, which
/// serde_json leaves as they are inside strings, written as `\u` escapes (RFC 5545 allows
/// no control character in a value; the JSON means the same).
fn calendar_safe_json(value: &impl serde::Serialize) -> String {
    let json = serde_json::to_string(value).expect("serialising plain data cannot fail");
    if !json.chars().any(is_control) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_control(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

fn is_control(c: char) -> bool {
    c == '\u{7f}' || ('\u{80}'..='\u{9f}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_escapes_that_mean_the_same() {
        let text = "a\u{7f}b\u{85}c\t\"é";
        let json = calendar_safe_json(&text);
        assert_eq!(json, "\"a\\u007fb\\u0085c\\t\\\"é\"");
        assert_eq!(serde_json::from_str::<String>(&json).unwrap(), text);
    }

    #[test]
    fn a_newer_export_is_refused_by_name() {
        let mut format = Format::current(crate::store::schema_version());
        assert_eq!(format.refusal(), None);
        format.schema += 1;
        assert!(format.refusal().unwrap().contains("newer Bulletin"));
        format.schema -= 1;
        format.version = 2;
        assert!(format.refusal().unwrap().contains("version 2"));
    }
}
