//! Property tests of the iCalendar writer over arbitrary Unicode text — very long words,
//! emoji, combining marks, CR/LF, commas, semicolons, backslashes: every physical line is
//! at most 75 octets and valid UTF-8, and unfolding and unescaping (done here, and by the
//! independent `ical` crate) gives back the original text. And Bulletin's own reader
//! unescapes what the writer's escaping wrote exactly once: `Prop::text` and
//! `Prop::text_list` give the text back, whichever TEXT property holds it.

use bulletin::model::{Event, EventStatus, EventTime};
use bulletin::render::ics::{CalendarMeta, escape_text, fold_into, render};
use bulletin::store::{ListedBy, StoredEvent};
use proptest::prelude::*;

mod common;

use common::ical_unescape;

fn event(title: &str, description: &str) -> StoredEvent {
    let at = "2026-11-01T12:00:00Z".parse().unwrap();
    StoredEvent {
        uid: "abc123".into(),
        event: Event {
            source_id: "s".into(),
            uid: "s-1".into(),
            series_uid: None,
            title: title.into(),
            description_text: Some(description.into()),
            description_html: None,
            start: EventTime::At("2026-11-05T17:00:00Z".parse().unwrap()),
            end: None,
            timezone: Some("America/Toronto".into()),
            location_name: Some(title.into()),
            location_address: None,
            online_url: None,
            url: None,
            organiser: None,
            language: None,
            status: EventStatus::Confirmed,
            categories: vec![],
            translations: vec![],
        },
        listed: true,
        revision: 0,
        sources: vec![ListedBy {
            source_id: "s".into(),
            source_name: "Source".into(),
            department: "Dept".into(),
            source_uid: "s-1".into(),
            listed: true,
        }],
        tags: vec![],
        provenance: Default::default(),
        versions: Vec::new(),
        first_seen: at,
        last_seen: at,
        changed: at,
        merged_into: None,
    }
}

fn meta() -> CalendarMeta {
    CalendarMeta {
        name: "Test".into(),
        description: "Test".into(),
        timezone: chrono_tz::America::Toronto,
        refresh: chrono::Duration::hours(1),
        uid_domain: "bulletin".into(),
        language: bulletin::i18n::Lang::En,
    }
}

/// RFC 5545 §3.1 unfolding and §3.3.11 unescaping, written from the RFC for this test.
fn unfold(text: &str) -> Vec<String> {
    text.trim_end_matches("\r\n")
        .replace("\r\n ", "")
        .replace("\r\n\t", "")
        .split("\r\n")
        .map(str::to_string)
        .collect()
}

/// What the writer promises to keep: line ends as LF, other control characters dropped,
/// no surrounding whitespace (the normaliser trims what it stores).
fn expected(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect::<String>()
}

fn awkward_text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just(",".to_string()),
        Just(";".to_string()),
        Just("\\".to_string()),
        Just("\r\n".to_string()),
        Just("\n".to_string()),
        Just("\r".to_string()),
        Just(" ".to_string()),
        Just("🎉".to_string()),
        Just("👩🏽‍💻".to_string()),
        Just("e\u{301}".to_string()),
        Just("ü̈̈".to_string()),
        Just("日本語".to_string()),
        Just("Ω".to_string()),
        "[a-zA-Z]{1,120}",
        "\\PC{1,40}",
    ];
    proptest::collection::vec(pieces, 1..40).prop_map(|parts| parts.concat())
}

proptest! {
    // A fixed seed keeps CI reproducible; raise `cases` or change the seed to explore more.
    #![proptest_config(ProptestConfig {
        cases: 300,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x0b0b_2026),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn lines_fit_and_text_survives(title in awkward_text(), description in awkward_text()) {
        let title = expected(&title).replace('\n', " ").trim().to_string();
        let description = expected(&description).trim().to_string();
        prop_assume!(!title.is_empty() && !description.is_empty());
        // A description that is HTML is written as its plain text (a test of its own).
        prop_assume!(!bulletin::render::html::description::looks_like_html(&description));
        let bytes = render(&meta(), &[event(&title, &description)]);
        let text = String::from_utf8(bytes).expect("valid UTF-8");
        for line in text.trim_end_matches("\r\n").split("\r\n") {
            prop_assert!(line.len() <= 75, "{} octets: {:?}", line.len(), line);
        }
        let lines = unfold(&text);
        let summary = lines.iter().find_map(|l| l.strip_prefix("SUMMARY:")).expect("SUMMARY");
        prop_assert_eq!(ical_unescape(summary), title.clone());
        let written = lines.iter().find_map(|l| l.strip_prefix("DESCRIPTION:")).expect("DESCRIPTION");
        let unescaped = ical_unescape(written);
        prop_assert!(unescaped.starts_with(&description), "{:?} does not start with {:?}", unescaped, description);

        // The independent reader agrees (it trims physical line ends, so only values that
        // do not end a physical line in whitespace compare; our folding ensures that). It
        // cannot read a value that starts with ':' ("SUMMARY::" is valid RFC 5545), so such
        // titles are checked by the RFC reading above only.
        if title.starts_with(':') {
            return Ok(());
        }
        let mut parser = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()));
        let calendar = parser.next().unwrap().unwrap();
        let vevent = &calendar.events[0];
        let summary = vevent.properties.iter().find(|p| p.name == "SUMMARY").unwrap().value.clone().unwrap();
        prop_assert_eq!(ical_unescape(&summary), title);
    }
}

/// Text made of what unescaping trips over: backslashes before the characters the RFC
/// escapes (so the escaped text holds `\\n`, `\\,`, …), `\N`, a backslash at the end,
/// Windows paths, white space at either end.
fn escapable_text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("\\".to_string()),
        Just("\\\\".to_string()),
        Just("\\n".to_string()),
        Just("\\N".to_string()),
        Just("\\,".to_string()),
        Just("\\;".to_string()),
        Just("\\:".to_string()),
        Just("\\t".to_string()),
        Just(",".to_string()),
        Just(";".to_string()),
        Just(":".to_string()),
        Just("\"".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just(" ".to_string()),
        Just("\t".to_string()),
        Just("C:\\temp\\new".to_string()),
        Just("é🎉日本".to_string()),
        "[a-zA-Z]{1,80}",
        "\\PC{1,20}",
        any::<String>(),
    ];
    proptest::collection::vec(pieces, 0..24).prop_map(|parts| parts.concat())
}

/// TEXT properties the icalendar crate unescapes itself (TEXT by name, `X-`, `VALUE=TEXT`)
/// and ones it leaves as written (a name it does not know, names not in upper case).
const TEXT_PROPERTIES: &[&str] = &[
    "SUMMARY",
    "DESCRIPTION",
    "LOCATION",
    "COMMENT",
    "X-WR-CALDESC",
    "X-NOTE;VALUE=TEXT",
    "NAME",
    "Summary",
    "x-alt-desc",
];

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 300,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x0e5c_2026),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_reader_unescapes_what_the_writer_escaped_once(a in escapable_text(), b in escapable_text()) {
        let mut file = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:p\r\n");
        for name in TEXT_PROPERTIES {
            fold_into(&mut file, &format!("{name}:{}", escape_text(&a)));
        }
        fold_into(&mut file, &format!("CATEGORIES:{},{}", escape_text(&a), escape_text(&b)));
        file.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");

        let structure = bulletin::extract::ical::components(file.as_bytes()).expect("UTF-8");
        prop_assert!(structure.warnings.is_empty(), "{:?}", structure.warnings);
        let event = &structure.components[0];
        prop_assert_eq!(event.props.len(), TEXT_PROPERTIES.len() + 2);
        // The text as the writer keeps it (line ends as LF, other controls dropped).
        let (a, b) = (expected(&a), expected(&b));
        for prop in &event.props[1..=TEXT_PROPERTIES.len()] {
            prop_assert_eq!(prop.text(), a.clone(), "{}", prop.name);
        }
        let categories = event.props.last().unwrap();
        prop_assert_eq!(categories.text_list(), vec![a.clone(), b.clone()]);
        // What an event keeps: trimmed, nothing when blank.
        let trimmed = Some(a.trim().to_string()).filter(|t| !t.is_empty());
        prop_assert_eq!(event.text("SUMMARY"), trimmed);
    }
}
