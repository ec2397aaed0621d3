//! Structured-data markup at the edges of what a page may be: nested as deep as the
//! markup check lets through (500 levels) in each syntax, and wide (thousands of events),
//! read on a thread with the default 2 MiB stack, within the document's CPU budget, never
//! panicking. Regression tests for the recursive readers (RDFa processing, mf2 parsing,
//! microdata items, html_text rendering).

mod common;

use std::time::{Duration, Instant};

use bulletin::model::{FetchedDocument, Location, SourceKind, Validators};

fn harvest(body: String) -> (bulletin::harvest::Harvest, Duration) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let context = common::test_context();
            let source = common::source(
                "limits",
                Location::File("limits.html".into()),
                Some(SourceKind::Html),
            );
            let document = FetchedDocument {
                url: "https://limits.example/page".into(),
                status: 200,
                content_type: Some("text/html; charset=utf-8".into()),
                content_language: None,
                body: body.into_bytes(),
                validators: Validators::default(),
                moved_permanently_to: None,
            };
            let started = Instant::now();
            let read = bulletin::harvest::harvest(&source, &document, &context)
                .expect("the page is within the markup limits");
            (read, started.elapsed())
        })
        .expect("thread")
        .join()
        .expect("no panic, no stack overflow")
}

fn page(body: &str) -> String {
    format!("<!doctype html><html><head><title>t</title></head><body>{body}</body></html>")
}

const DEPTH: usize = 500;

#[test]
fn deeply_nested_microdata_rdfa_and_microformats_are_read_on_a_small_stack() {
    let event = r#"<span itemprop="name" property="name" class="p-name">Deep</span><meta itemprop="startDate" property="startDate" content="2026-12-01">"#;
    let nests = [
        (
            r#"<div itemprop="subjectOf" itemscope itemtype="https://schema.org/Thing">"#,
            "</div>",
        ),
        (r#"<div property="about" typeof="Thing">"#, "</div>"),
        (r#"<div class="p-item h-card p-other u-url">"#, "</div>"),
        (r#"<div class="vcard"><div class="fn org">"#, "</div></div>"),
        (r#"<div itemprop="description">text <b>"#, "</b></div>"),
        ("<div>", "</div>"),
    ];
    for (open, close) in nests {
        let levels = if close.len() > 6 { DEPTH / 2 } else { DEPTH };
        let body = format!(
            r#"<div vocab="https://schema.org/" itemscope itemtype="https://schema.org/Event" typeof="Event" class="h-event">{event}{}{}</div>"#,
            open.repeat(levels),
            close.repeat(levels)
        );
        let (read, spent) = harvest(page(&body));
        assert!(spent < Duration::from_secs(10), "{open}: {spent:?}");
        assert!(
            read.events.iter().any(|e| e.title == "Deep"),
            "{open}: {:?} {:?}",
            read.methods,
            read.warnings
        );
    }
}

#[test]
fn thousands_of_events_in_every_syntax_are_read() {
    let one = |i: usize| {
        format!(
            r#"<div itemscope itemtype="https://schema.org/Event" typeof="Event" class="h-event vevent">
            <span itemprop="name" property="name" class="p-name summary">Event {i}</span>
            <time itemprop="startDate" property="startDate" class="dt-start dtstart" datetime="2026-12-01T10:00">1 Dec</time>
            <span itemprop="location" property="location" class="p-location location">Room {i}</span></div>"#
        )
    };
    let events: String = (0..3_000).map(one).collect();
    let (read, spent) = harvest(page(&format!(
        r#"<main vocab="https://schema.org/">{events}</main>"#
    )));
    assert!(spent < Duration::from_secs(20), "{spent:?}");
    assert_eq!(read.events.len(), 3_000, "{:?}", read.warnings);
    let methods = read.methods.unwrap_or_default();
    for count in ["microdata 3000", "RDFa 3000", "h-event 3000"] {
        assert!(methods.contains(count), "{methods}");
    }
}

#[test]
fn items_under_two_names_at_every_level_do_not_multiply_without_bound() {
    let open = r#"<div itemprop="subEvent about" itemscope itemtype="https://schema.org/Thing">"#;
    let body = format!(
        r#"<div itemscope itemtype="https://schema.org/Event"><span itemprop="name">Top</span><meta itemprop="startDate" content="2026-12-01">{}<span itemprop="name">x</span>{}</div>"#,
        open.repeat(60),
        "</div>".repeat(60)
    );
    let (read, spent) = harvest(page(&body));
    assert!(spent < Duration::from_secs(10), "{spent:?}");
    assert!(read.methods.is_some());
}

#[test]
fn microformats_under_two_property_names_at_every_level_are_parsed_once() {
    let open = r#"<div class="p-item p-other h-event"><span class="p-name">Inner</span><time class="dt-start" datetime="2026-12-02">2 Dec</time>"#;
    let body = format!(
        r#"<div class="h-feed">{}{}</div>"#,
        open.repeat(40),
        "</div>".repeat(40)
    );
    let (read, spent) = harvest(page(&body));
    assert!(spent < Duration::from_secs(10), "{spent:?}");
    assert!(read.events.iter().any(|e| e.title == "Inner"));
}
