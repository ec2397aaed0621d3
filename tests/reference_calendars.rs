//! Differential test: every calendar in fixtures/reference/calendars read by Bulletin as
//! the reference readers (Python icalendar + recurring_ical_events, run by
//! scripts/reference/calendars.py) read it — the same occurrences, at the same UTC
//! instants or dates, with the same titles, statuses, locations, descriptions and
//! categories (TEXT unescaped once, `\,` inside a category kept in it).
//!
//! Where Bulletin deliberately reads a file differently (the reference has a bug, or the
//! issue asks for better), the file is listed in `deviations.json` beside the fixtures
//! with the reason; the test fails if such a file agrees after all (the list must stay
//! true) or if any other file disagrees.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use bulletin::model::{EventStatus, EventTime, FetchedDocument, Location, SourceKind, Validators};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Occurrence {
    start: String,
    uid: String,
    recurrence_id: String,
    end: String,
    all_day: bool,
    title: String,
    status: String,
    location: String,
    description: String,
    categories: Vec<String>,
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or("").to_string()
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A location or description as Bulletin keeps it: line ends as LF, trailing white space of
/// each line and blank lines at either end dropped, trimmed (`normalise::clean_text`).
fn cleaned(value: &Value) -> String {
    bulletin::normalise::clean_text(&text(value))
}

/// Categories as Bulletin keeps them: each trimmed, empty ones dropped, in order.
fn categories<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    values
        .into_iter()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect()
}

/// The reference's reading, with Bulletin's documented presentation rules applied
/// (Outlook's "Canceled:" prefix means cancelled; no status means confirmed; an empty
/// title is "(untitled)"; text is trimmed).
fn expected(events: &[Value]) -> Vec<Occurrence> {
    let mut out: Vec<Occurrence> = events
        .iter()
        .map(|e| {
            let mut title = collapse(&text(&e["title"]));
            let mut status = match e["status"].as_str().map(str::to_ascii_lowercase).as_deref() {
                Some("cancelled") => "cancelled",
                Some("tentative") => "tentative",
                _ => "confirmed",
            }
            .to_string();
            for prefix in [
                "Canceled:",
                "Cancelled:",
                "CANCELLED:",
                "CANCELED:",
                "Annulé :",
                "Annulé:",
            ] {
                if let Some(rest) = title.strip_prefix(prefix) {
                    title = rest.trim().to_string();
                    status = "cancelled".into();
                }
            }
            if title.is_empty() {
                title = "(untitled)".into();
            }
            let start = text(&e["start"]);
            let mut end = text(&e["end"]);
            // An all-day event that ends where it starts is published as one day long.
            if e["all_day"].as_bool() == Some(true) && (end.is_empty() || end == start) {
                end = chrono::NaiveDate::parse_from_str(&start, "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.succ_opt())
                    .map_or(start.clone(), |d| d.format("%Y-%m-%d").to_string());
            }
            Occurrence {
                uid: text(&e["uid"]),
                recurrence_id: text(&e["recurrence_id"]),
                end: if end.is_empty() { start.clone() } else { end },
                start,
                all_day: e["all_day"].as_bool().unwrap_or(false),
                title,
                status,
                location: cleaned(&e["location"]),
                description: cleaned(&e["description"]),
                categories: categories(
                    e["categories"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str),
                ),
            }
        })
        .collect();
    out.sort();
    out
}

fn time_text(time: &EventTime) -> String {
    match time {
        EventTime::Date(d) => d.format("%Y-%m-%d").to_string(),
        EventTime::At(t) => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    }
}

/// Bulletin's reading of one file, limited to the window as the reference is.
fn ours(
    name: &str,
    ics: &[u8],
    zone: &str,
    from: &str,
    to: &str,
) -> (Vec<Occurrence>, Vec<String>) {
    let from_at: chrono::DateTime<chrono::Utc> = from.parse().unwrap();
    let to_at: chrono::DateTime<chrono::Utc> = to.parse().unwrap();
    let tz: chrono_tz::Tz = zone.parse().unwrap();
    let mut context = common::test_context();
    context.clock = bulletin::clock::Clock::fixed(from_at);
    context.events.window_past_days = 0;
    context.events.window_future_days = (to_at - from_at).num_days();
    let mut source = common::source(
        name,
        Location::File(format!("{name}.ics").into()),
        Some(SourceKind::Ical),
    );
    source.timezone = Some(tz);
    let document = FetchedDocument {
        url: format!("https://calendars.example/{name}.ics"),
        status: 200,
        content_type: Some("text/calendar".into()),
        content_language: None,
        body: ics.to_vec(),
        validators: Validators::default(),
        moved_permanently_to: None,
    };
    let harvest = match bulletin::harvest::harvest(&source, &document, &context) {
        Ok(harvest) => harvest,
        Err(error) => return (Vec::new(), vec![error.to_string()]),
    };
    let mut out: Vec<Occurrence> = harvest
        .events
        .iter()
        .filter(|e| {
            let at = e.start.instant(tz);
            at >= from_at && at < to_at
        })
        .map(|e| {
            let (uid, recurrence_id) = match &e.series_uid {
                Some(series) => (series.clone(), e.uid[series.len() + 1..].to_string()),
                None => (e.uid.clone(), String::new()),
            };
            let start = time_text(&e.start);
            Occurrence {
                uid: if uid.starts_with("sha256:") {
                    String::new()
                } else {
                    uid
                },
                recurrence_id,
                end: e.end.as_ref().map_or(start.clone(), time_text),
                start,
                all_day: e.all_day(),
                title: collapse(&e.title),
                status: match e.status {
                    EventStatus::Cancelled => "cancelled",
                    EventStatus::Tentative | EventStatus::Postponed => "tentative",
                    EventStatus::Confirmed => "confirmed",
                }
                .to_string(),
                location: e.location_name.clone().unwrap_or_default(),
                description: e.description_text.clone().unwrap_or_default(),
                categories: categories(e.categories.iter().map(String::as_str)),
            }
        })
        .collect();
    out.sort();
    (out, harvest.warnings)
}

#[test]
fn every_reference_calendar_is_read_as_the_reference_readers_read_it() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/reference/calendars");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(folder.join("manifest.json")).unwrap()).unwrap();
    let deviations: BTreeMap<String, Value> = std::fs::read(folder.join("deviations.json"))
        .map(|bytes| serde_json::from_slice(&bytes).unwrap())
        .unwrap_or_default();
    let mut agree = 0;
    let mut report = Vec::new();
    let mut stale_deviations = Vec::new();
    let files = manifest["files"].as_array().unwrap();
    for file in files {
        let name = file["name"].as_str().unwrap();
        let ics = std::fs::read(folder.join(format!("{name}.ics"))).unwrap();
        let expected_file: Value = serde_json::from_slice(
            &std::fs::read(folder.join(format!("{name}.expected.json"))).unwrap(),
        )
        .unwrap();
        let want = expected(expected_file["events"].as_array().unwrap());
        let (got, warnings) = ours(
            name,
            &ics,
            expected_file["source_timezone"].as_str().unwrap(),
            expected_file["window"]["from"].as_str().unwrap(),
            expected_file["window"]["to"].as_str().unwrap(),
        );
        // Events without a UID are compared without it (Bulletin derives its own).
        let strip = |list: &[Occurrence], uidless: bool| -> Vec<Occurrence> {
            list.iter()
                .cloned()
                .map(|mut o| {
                    if uidless {
                        o.uid.clear();
                    }
                    o
                })
                .collect()
        };
        let uidless = want.iter().any(|o| o.uid.is_empty());
        let (want, got) = if uidless {
            let mut w = strip(&want, true);
            let mut g = strip(&got, true);
            w.sort();
            g.sort();
            (w, g)
        } else {
            (want, got)
        };
        let same = want == got;
        if std::env::var("REFERENCE_SHOW").as_deref() == Ok(name) {
            eprintln!("{name}\nexpected:\n{want:#?}\nread:\n{got:#?}\nwarnings: {warnings:#?}");
        }
        match (same, deviations.contains_key(name)) {
            (true, false) => agree += 1,
            (true, true) => stale_deviations.push(name.to_string()),
            (false, true) => {}
            (false, false) => {
                let missing: Vec<_> = want.iter().filter(|o| !got.contains(o)).take(4).collect();
                let extra: Vec<_> = got.iter().filter(|o| !want.contains(o)).take(4).collect();
                let line = |o: &&Occurrence| {
                    format!(
                        "{} .. {} {} [{}] {} {:?} {} {:?} {:?} {:?}",
                        o.start,
                        o.end,
                        o.uid,
                        o.recurrence_id,
                        o.status,
                        o.title,
                        o.all_day,
                        o.location,
                        o.description,
                        o.categories
                    )
                };
                report.push(format!(
                    "{name}: {} expected, {} read\n  missing:\n    {}\n  extra:\n    {}\n  warnings: {warnings:?}",
                    want.len(),
                    got.len(),
                    missing.iter().map(line).collect::<Vec<_>>().join("\n    "),
                    extra.iter().map(line).collect::<Vec<_>>().join("\n    "),
                ));
            }
        }
    }
    let deviating = deviations.len();
    eprintln!(
        "reference calendars: {agree} of {} identical to the reference readers, {deviating} documented deviations",
        files.len()
    );
    assert!(
        stale_deviations.is_empty(),
        "listed as deviations but now identical: {stale_deviations:?}"
    );
    assert!(
        report.is_empty(),
        "{} calendars differ:\n{}",
        report.len(),
        report.join("\n")
    );
}
