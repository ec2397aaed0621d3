//! The events file of an export: written with the calendar's renderer plus the
//! `X-BULLETIN-*` properties (see the module above), read back with the calendar reader's
//! structure (`extract::ical::components`, the icalendar crate's property parser).

use std::path::Path;

use chrono_tz::Tz;

use super::import::ImportError;
use super::{Format, calendar_safe_json};
use crate::extract::ical::structure::{Comp, Prop};
use crate::i18n::Lang;
use crate::render::ics::{self, CalendarMeta, Extra, UID_DOMAIN, ZoneSpans};
use crate::store::{DumpHeader, DumpedEvent, Restored, RestoredEvent, Row};

const EXPORT: &str = "X-BULLETIN-EXPORT";
const SOURCE: &str = "X-BULLETIN-SOURCE";
const EVENT: &str = "X-BULLETIN-EVENT";
const LISTING: &str = "X-BULLETIN-LISTING";
const CHANGE: &str = "X-BULLETIN-CHANGE";

/// The events file's header: its format and how many events follow.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Header {
    #[serde(flatten)]
    format: Format,
    events: u64,
}

/// What the export's calendar says about itself; times shown in `zone` (X-WR-TIMEZONE).
pub(super) fn meta(zone: Tz) -> CalendarMeta {
    CalendarMeta {
        name: "Bulletin: every event (export)".into(),
        description: "Every event Bulletin holds, past and future, cancelled and no longer \
                      listed included. The X-BULLETIN properties hold what `bulletin import` \
                      rebuilds a store from."
            .into(),
        timezone: zone,
        refresh: chrono::Duration::days(1),
        uid_domain: UID_DOMAIN.into(),
        language: Lang::En,
    }
}

/// The calendar's head: its properties, the export's header and sources, the VTIMEZONEs.
pub(super) fn head(meta: &CalendarMeta, spans: &ZoneSpans, header: &DumpHeader) -> String {
    let mut extra = vec![Extra {
        name: EXPORT,
        value: calendar_safe_json(&Header {
            format: Format::current(header.schema),
            events: header.events,
        }),
    }];
    extra.extend(header.sources.iter().map(|row| Extra {
        name: SOURCE,
        value: calendar_safe_json(row),
    }));
    ics::head_with(meta, spans, &extra)
}

/// One event's VEVENT, with its rows.
pub(super) fn vevent(meta: &CalendarMeta, dumped: &DumpedEvent) -> String {
    let mut extra = Vec::with_capacity(1 + dumped.listings.len() + dumped.changes.len());
    extra.push(Extra {
        name: EVENT,
        value: calendar_safe_json(&dumped.row),
    });
    for (name, rows) in [(LISTING, &dumped.listings), (CHANGE, &dumped.changes)] {
        extra.extend(rows.iter().map(|row| Extra {
            name,
            value: calendar_safe_json(row),
        }));
    }
    ics::vevent_with(meta, &dumped.event, &extra)
}

/// An events file, read and checked against itself.
#[derive(Debug)]
pub(super) struct EventsFile {
    pub format: Format,
    pub sources: Vec<Restored>,
    pub events: Vec<RestoredEvent>,
}

/// Reads the events file at `path`.
pub(super) fn read(path: &Path) -> Result<EventsFile, ImportError> {
    let shown = path.display().to_string();
    let fail = |why: String| ImportError::File {
        path: shown.clone(),
        why,
    };
    let bytes = std::fs::read(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    let structure = crate::extract::ical::components(&bytes).map_err(&fail)?;
    if !structure.saw_calendar {
        return Err(fail("not an iCalendar file (no BEGIN:VCALENDAR)".into()));
    }
    if let Some(first) = structure.warnings.first() {
        return Err(fail(format!(
            "{first} (an export is read only whole{})",
            match structure.warnings.len() {
                1 => String::new(),
                n => format!("; {} more such problems", n - 1),
            }
        )));
    }
    let calendar = Comp {
        props: structure.calendar_props,
        ..Comp::default()
    };
    let header_prop = one(&calendar, EXPORT, "the calendar")
        .map_err(|why| fail(format!("{why}: not written by `bulletin export`")))?;
    let header: Header = object(header_prop).map_err(&fail)?;
    if let Some(why) = header.format.refusal() {
        return Err(fail(format!("line {}: the export {why}", header_prop.line)));
    }
    let mut sources = Vec::new();
    for prop in calendar.all(SOURCE) {
        let row: Row = object(prop).map_err(&fail)?;
        let id = row.get("id").and_then(|v| v.as_str()).unwrap_or("?");
        sources.push(Restored {
            at: format!("{shown} line {} (source `{id}`)", prop.line),
            row,
        });
    }
    let mut events = Vec::new();
    for component in &structure.components {
        match component.name.as_str() {
            "VTIMEZONE" => {}
            "VEVENT" => events.push(event(component, &shown).map_err(&fail)?),
            other => {
                return Err(fail(format!(
                    "line {}: a {other}, which an export does not hold",
                    component.line
                )));
            }
        }
    }
    if events.len() as u64 != header.events {
        return Err(fail(format!(
            "holds {} events where its header (line {}) says {}: the file is incomplete",
            events.len(),
            header_prop.line,
            header.events
        )));
    }
    Ok(EventsFile {
        format: header.format,
        sources,
        events,
    })
}

/// One VEVENT's rows, checked against its UID and SEQUENCE.
fn event(component: &Comp, file: &str) -> Result<RestoredEvent, String> {
    let at_line = |line: usize| format!("line {line}");
    let uid_prop = one(
        component,
        "UID",
        &format!("the VEVENT at line {}", component.line),
    )?;
    let written = uid_prop.text();
    let written = written.trim();
    let uid = written
        .strip_suffix(&format!("@{UID_DOMAIN}"))
        .ok_or_else(|| {
            format!(
                "{}: UID `{written}` is not one of Bulletin's (`…@{UID_DOMAIN}`)",
                at_line(uid_prop.line)
            )
        })?;
    let label = format!("line {} (event {uid})", component.line);
    let row: Row = object(one(component, EVENT, &label)?)?;
    if row.get("uid").and_then(|v| v.as_str()) != Some(uid) {
        return Err(format!(
            "{label}: {EVENT} is another event's (its `uid` differs)"
        ));
    }
    let sequence = one(component, "SEQUENCE", &label)?;
    let revision = row.get("revision").and_then(|v| v.as_i64());
    if sequence.value.trim().parse::<i64>().ok() != revision {
        return Err(format!(
            "{label}: SEQUENCE {} and the row's revision {} differ",
            sequence.value.trim(),
            revision.map_or_else(|| "(none)".to_string(), |r| r.to_string())
        ));
    }
    let rows = |name: &str| {
        component
            .all(name)
            .map(object)
            .collect::<Result<Vec<Row>, _>>()
    };
    Ok(RestoredEvent {
        at: format!("{file} {label}"),
        row,
        listings: rows(LISTING)?,
        changes: rows(CHANGE)?,
    })
}

/// The one `name` property of `component` (`what` names it for errors).
fn one<'a>(component: &'a Comp, name: &'a str, what: &str) -> Result<&'a Prop, String> {
    let mut found = component.all(name);
    match (found.next(), found.next()) {
        (Some(prop), None) => Ok(prop),
        (None, _) => Err(format!("{what}: no {name}")),
        (Some(_), Some(second)) => Err(format!("line {}: a second {name}", second.line)),
    }
}

/// A property's value read as a JSON object: TEXT (written `VALUE=TEXT`), unescaped once
/// by `Prop::text`, so the JSON's own `\n` stays a JSON escape.
fn object<T: serde::de::DeserializeOwned>(prop: &Prop) -> Result<T, String> {
    serde_json::from_str(&prop.text()).map_err(|e| {
        format!(
            "line {}: {} is not what it should be: {e}",
            prop.line, prop.name
        )
    })
}
