//! Differential test: every page in fixtures/reference/pages read by Bulletin as the
//! reference readers (extruct for JSON-LD, microdata and RDFa; mf2py for microformats,
//! with scripts/reference/pages.py's rules) read it — the same method chosen, the same
//! events, titles, times, places, links and statuses.
//!
//! Pages Bulletin deliberately reads differently are listed in `deviations.json` beside
//! the fixtures, each with its reason; the test fails if such a page agrees after all or
//! if any other page disagrees. `BULLETIN_REFERENCE_PAGES=/some/folder` runs the same
//! comparison over another folder laid out the same way.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use bulletin::model::{EventStatus, EventTime, FetchedDocument, Location, SourceKind, Validators};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Listed {
    start: String,
    title: String,
    end: String,
    all_day: bool,
    location: String,
    url: String,
    status: String,
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or("").to_string()
}

fn next_day(date: &str) -> String {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.succ_opt())
        .map_or(date.to_string(), |d| d.format("%Y-%m-%d").to_string())
}

/// The reference's events, with Bulletin's presentation rules: no status is confirmed; an
/// all-day event without an end lasts its day.
fn expected(events: &[Value]) -> Vec<Listed> {
    let mut out: Vec<Listed> = events
        .iter()
        .map(|e| {
            let all_day = e["all_day"].as_bool().unwrap_or(false);
            let start = text(&e["start"]);
            let mut end = text(&e["end"]);
            if all_day && end.is_empty() {
                end = next_day(&start);
            }
            Listed {
                title: text(&e["title"]),
                all_day,
                end,
                start,
                location: text(&e["location"]),
                url: text(&e["url"]),
                status: match e["status"].as_str() {
                    Some("cancelled") => "cancelled",
                    Some("postponed") => "postponed",
                    _ => "confirmed",
                }
                .into(),
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

struct Read {
    method: Option<String>,
    events: Vec<Listed>,
    counts: String,
    warnings: Vec<String>,
}

fn ours(name: &str, html: &[u8], url: &str, zone: &str) -> Read {
    let mut context = common::test_context();
    context.clock = bulletin::clock::Clock::fixed("2026-01-15T12:00:00Z".parse().unwrap());
    let mut source = common::source(
        name,
        Location::File(format!("{name}.html").into()),
        Some(SourceKind::Html),
    );
    source.timezone = Some(zone.parse().unwrap());
    let document = FetchedDocument {
        url: url.to_string(),
        status: 200,
        content_type: Some("text/html; charset=utf-8".into()),
        content_language: None,
        body: html.to_vec(),
        validators: Validators::default(),
        moved_permanently_to: None,
    };
    let harvest = match bulletin::harvest::harvest(&source, &document, &context) {
        Ok(harvest) => harvest,
        Err(error) => {
            return Read {
                method: None,
                events: Vec::new(),
                counts: String::new(),
                warnings: vec![error.to_string()],
            };
        }
    };
    let mut events: Vec<Listed> = harvest
        .events
        .iter()
        .map(|e| Listed {
            start: time_text(&e.start),
            title: e.title.clone(),
            end: e.end.as_ref().map(time_text).unwrap_or_default(),
            all_day: e.all_day(),
            location: e
                .location_name
                .clone()
                .or_else(|| e.location_address.clone())
                .unwrap_or_default(),
            url: e.url.clone().unwrap_or_default(),
            status: match e.status {
                EventStatus::Cancelled => "cancelled",
                EventStatus::Postponed => "postponed",
                _ => "confirmed",
            }
            .into(),
        })
        .collect();
    events.sort();
    Read {
        method: harvest.best_method.map(str::to_string),
        events,
        counts: harvest.methods.unwrap_or_default(),
        warnings: harvest.warnings,
    }
}

#[test]
fn every_reference_page_is_read_as_the_reference_readers_read_it() {
    // BULLETIN_REFERENCE_PAGES names another folder of the same layout (pages, expected
    // files from scripts/reference/pages.py, manifest.json, optional deviations.json).
    let folder = std::env::var_os("BULLETIN_REFERENCE_PAGES")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/reference/pages"));
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(folder.join("manifest.json")).unwrap()).unwrap();
    let deviations: BTreeMap<String, Value> = std::fs::read(folder.join("deviations.json"))
        .map(|bytes| serde_json::from_slice(&bytes).unwrap())
        .unwrap_or_default();
    let pages = manifest["pages"].as_object().unwrap();
    let mut agree = 0;
    let mut report = Vec::new();
    let mut stale = Vec::new();
    for (name, _) in pages {
        let html = std::fs::read(folder.join(format!("{name}.html"))).unwrap();
        let want: Value = serde_json::from_slice(
            &std::fs::read(folder.join(format!("{name}.expected.json"))).unwrap(),
        )
        .unwrap();
        let read = ours(
            name,
            &html,
            want["url"].as_str().unwrap(),
            want["source_timezone"].as_str().unwrap(),
        );
        let want_events = expected(want["events"].as_array().unwrap());
        let want_method = want["method"].as_str().map(str::to_string);
        let same =
            want_events == read.events && (want_events.is_empty() || want_method == read.method);
        if std::env::var("REFERENCE_SHOW").as_deref() == Ok(name) {
            eprintln!(
                "{name}\nexpected {want_method:?}:\n{want_events:#?}\nread {:?} [{}]:\n{:#?}\nwarnings: {:#?}",
                read.method, read.counts, read.events, read.warnings
            );
        }
        match (same, deviations.contains_key(name)) {
            (true, false) => agree += 1,
            (true, true) => stale.push(name.clone()),
            (false, true) => {}
            (false, false) => {
                let line = |l: &&Listed| {
                    format!(
                        "{} .. {} {:?} @{:?} {} {} {}",
                        l.start, l.end, l.title, l.location, l.url, l.status, l.all_day
                    )
                };
                let missing: Vec<String> = want_events
                    .iter()
                    .filter(|l| !read.events.contains(l))
                    .take(5)
                    .map(|l| line(&l))
                    .collect();
                let extra: Vec<String> = read
                    .events
                    .iter()
                    .filter(|l| !want_events.contains(l))
                    .take(5)
                    .map(|l| line(&l))
                    .collect();
                report.push(format!(
                    "{name}: expected {want_method:?} {} events ({}), read {:?} {} ({})\n  missing:\n    {}\n  extra:\n    {}",
                    want_events.len(),
                    want["counts"],
                    read.method,
                    read.events.len(),
                    read.counts,
                    missing.join("\n    "),
                    extra.join("\n    ")
                ));
            }
        }
    }
    eprintln!(
        "reference pages: {agree} of {} identical to the reference readers, {} documented deviations",
        pages.len(),
        deviations.len()
    );
    assert!(
        stale.is_empty(),
        "listed as deviations but now identical: {stale:?}"
    );
    assert!(
        report.is_empty(),
        "{} pages differ:\n{}",
        report.len(),
        report.join("\n")
    );
}
