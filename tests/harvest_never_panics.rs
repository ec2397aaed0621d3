//! Property test: harvesting arbitrary and hostile calendars, feeds and pages never
//! panics, always ends within the document's work budget, and always returns either
//! items or a named error. Documents are built from the pieces real files are made of
//! (content lines with odd names, parameters, values, dates and rules; nested and
//! mismatched components; tags, attributes, entities, CDATA) shuffled and broken.

mod common;

use std::time::Duration;

use bulletin::budget::Budget;
use bulletin::model::{FetchedDocument, Location, SourceKind, Validators};
use proptest::prelude::*;

fn document(kind: SourceKind, body: Vec<u8>) -> FetchedDocument {
    let content_type = match kind {
        SourceKind::Ical => "text/calendar",
        SourceKind::Feed => "application/xml",
        SourceKind::Html => "text/html",
    };
    FetchedDocument {
        url: "https://hostile.example/doc".into(),
        status: 200,
        content_type: Some(content_type.into()),
        content_language: None,
        body,
        validators: Validators::default(),
        moved_permanently_to: None,
    }
}

/// Harvests as `kind` (or detected), and checks the contract.
fn harvest_ok(kind: Option<SourceKind>, body: Vec<u8>) {
    let context = {
        let mut c = common::test_context();
        c.clock = bulletin::clock::Clock::fixed("2026-12-01T12:00:00Z".parse().unwrap());
        c
    };
    let source = common::source("s", Location::File("doc".into()), kind);
    let budget = Budget::unlimited();
    let result = bulletin::harvest::harvest(
        &source,
        &document(kind.unwrap_or(SourceKind::Feed), body),
        &context,
    );
    let spent = budget.used();
    assert!(spent < Duration::from_secs(5), "took {spent:?}");
    match result {
        Ok(harvest) => assert!(harvest.events.len() <= 100_000),
        Err(error) => {
            let message = error.to_string();
            assert!(message.contains("https://hostile.example/doc"), "{message}");
        }
    }
}

fn ical_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("20261210T150000Z".to_string()),
        Just("20261210T150000".to_string()),
        Just("20261210".to_string()),
        Just("99991231T235959Z".to_string()),
        Just("00000101".to_string()),
        Just("FREQ=SECONDLY".to_string()),
        Just("FREQ=DAILY;COUNT=4294967295".to_string()),
        Just("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30".to_string()),
        Just("FREQ=MONTHLY;BYDAY=-5FR;BYSETPOS=-366".to_string()),
        Just("FREQ=WEEKLY;INTERVAL=65535;UNTIL=19700101".to_string()),
        Just("P99999999W".to_string()),
        Just("-PT1H".to_string()),
        Just("20261210T150000Z/PT1H,20261211/20261210".to_string()),
        Just("-0500".to_string()),
        Just("+9999".to_string()),
        "[ -~]{0,40}",
        "\\PC{0,20}",
    ]
}

fn ical_line() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        Just("DTSTART"),
        Just("DTEND"),
        Just("DURATION"),
        Just("RRULE"),
        Just("EXRULE"),
        Just("RDATE"),
        Just("EXDATE"),
        Just("RECURRENCE-ID"),
        Just("UID"),
        Just("SUMMARY"),
        Just("SEQUENCE"),
        Just("STATUS"),
        Just("TZID"),
        Just("TZOFFSETFROM"),
        Just("TZOFFSETTO"),
        Just("X-WR-TIMEZONE"),
        Just("dtstart"),
        Just(" SUMMARY "),
    ];
    let params = prop_oneof![
        Just(""),
        Just(";VALUE=DATE"),
        Just(";VALUE=PERIOD"),
        Just(";TZID=America/Toronto"),
        Just(";TZID=\"Customized Time Zone\""),
        Just(";TZID=Nowhere"),
        Just(";RANGE=THISANDFUTURE"),
        Just(";;;"),
        Just(";TZID=\"a:b;c\""),
    ];
    let structural = prop_oneof![
        Just("BEGIN:VEVENT".to_string()),
        Just("END:VEVENT".to_string()),
        Just("BEGIN:VTIMEZONE".to_string()),
        Just("END:VTIMEZONE".to_string()),
        Just("BEGIN:STANDARD".to_string()),
        Just("END:STANDARD".to_string()),
        Just("BEGIN:DAYLIGHT".to_string()),
        Just("END:DAYLIGHT".to_string()),
        Just("BEGIN:VALARM".to_string()),
        Just("END:VCALENDAR".to_string()),
        Just("BEGIN:VCALENDAR".to_string()),
        Just(" continued".to_string()),
    ];
    prop_oneof![
        3 => (name, params, ical_value()).prop_map(|(n, p, v)| format!("{n}{p}:{v}")),
        2 => structural,
    ]
}

fn html_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<div>".to_string()), Just("</div>".to_string()), Just("<p>".to_string()),
        Just("<script type=\"application/ld+json\">{\"@type\":\"Event\",\"name\":\"x\",\"startDate\":\"2026-12-10T10:00\",\"subEvent\":[{\"@type\":\"Event\"}]}</script>".to_string()),
        Just("<script type=\"application/ld+json\">[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[</script>".to_string()),
        Just("<div itemscope itemtype=\"https://schema.org/Event\"><span itemprop=\"name\">n</span><time itemprop=\"startDate\" datetime=\"2026-12-10\">".to_string()),
        Just("<div class=\"h-event vevent\"><span class=\"p-name summary\">n</span><abbr class=\"dt-start dtstart\" title=\"2026-12-10T10:00\">".to_string()),
        Just("<div vocab=\"https://schema.org/\" typeof=\"Event\"><span property=\"name\">n</span><span property=\"startDate\">2026-12-10</span>".to_string()),
        Just("<svg><path/></svg>".to_string()), Just("<![CDATA[".to_string()), Just("&#x10FFFF;".to_string()),
        Just("<item><title>".to_string()), Just("</title></item>".to_string()),
        Just("<entry xmlns=\"http://www.w3.org/2005/Atom\"><content type=\"xhtml\">".to_string()),
        "[ -~]{0,30}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 192,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x0b0b_2027),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn calendars_never_panic(lines in prop::collection::vec(ical_line(), 0..60)) {
        let mut body = String::from("BEGIN:VCALENDAR\r\n");
        for line in lines {
            body.push_str(&line);
            body.push_str("\r\n");
        }
        harvest_ok(Some(SourceKind::Ical), body.into_bytes());
    }

    #[test]
    fn pages_never_panic(pieces in prop::collection::vec(html_piece(), 0..80)) {
        harvest_ok(Some(SourceKind::Html), pieces.concat().into_bytes());
    }

    #[test]
    fn feeds_never_panic(pieces in prop::collection::vec(html_piece(), 0..60), atom in any::<bool>()) {
        let head = if atom {
            "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title>"
        } else {
            "<?xml version=\"1.0\" encoding=\"windows-1252\"?><rss version=\"2.0\"><channel><title>t</title>"
        };
        harvest_ok(Some(SourceKind::Feed), format!("{head}{}", pieces.concat()).into_bytes());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000), kind in 0u8..4) {
        let kind = match kind {
            0 => Some(SourceKind::Ical),
            1 => Some(SourceKind::Feed),
            2 => Some(SourceKind::Html),
            _ => None,
        };
        harvest_ok(kind, bytes);
    }
}
