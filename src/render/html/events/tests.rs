//! The listing and the event page as rendered: zone labels, descriptions, attendance,
//! quick links, the count, the folded filters and the date modified.

use chrono::{NaiveDate, TimeZone, Utc};

use super::*;
use crate::model::Event;
use crate::render::links::{add_to_calendar, subscription};
use crate::store::ListedBy;

const TORONTO: Tz = chrono_tz::America::Toronto;

fn stored(
    title: &str,
    start: EventTime,
    end: Option<EventTime>,
    zone: Option<&str>,
) -> StoredEvent {
    let changed = Utc.with_ymd_and_hms(2027, 1, 5, 15, 0, 0).unwrap();
    StoredEvent {
        uid: format!("uid{}", title.len()),
        event: Event {
            title: title.into(),
            ..crate::render::fixtures::event(start, end, zone)
        },
        listed: true,
        revision: 0,
        sources: vec![ListedBy {
            source_id: "dept".into(),
            source_name: "Data community".into(),
            department: "Statistics Canada / Statistique Canada".into(),
            source_uid: "x".into(),
            listed: true,
        }],
        tags: vec![],
        provenance: Default::default(),
        versions: vec![],
        first_seen: changed,
        last_seen: changed,
        changed,
        merged_into: None,
    }
}

fn at(zone: Tz, d: u32, h: u32, m: u32) -> EventTime {
    EventTime::At(
        zone.with_ymd_and_hms(2027, 1, d, h, m, 0)
            .unwrap()
            .with_timezone(&Utc),
    )
}

fn listing(lang: Lang, events: &[StoredEvent], form: &FormValues, total: u64) -> String {
    let subscribe = subscription("https://bulletin.example.gc.ca", "", "Bulletin");
    let facets = Facets {
        departments: vec![
            "Statistics Canada / Statistique Canada".into(),
            "Health Canada / Santé Canada".into(),
        ],
        tags: vec![],
        sources: vec![],
    };
    let view = EventsView {
        lang,
        style: Style::CanadaCa,
        zone: TORONTO,
        archive: false,
        switch_url: "/?lang=fr",
        form,
        dates_query: "tag=data",
        facets: &facets,
        subscribe: &subscribe,
        events,
        total,
        offset: 0,
        previous_page: None,
        next_page: None,
        posts: &[],
        digest_form: None,
        // Wednesday, January 13, 2027, 9:00 am in Toronto.
        now: Utc.with_ymd_and_hms(2027, 1, 13, 14, 0, 0).unwrap(),
    };
    String::from_utf8(events_page(&view)).unwrap()
}

fn sample() -> Vec<StoredEvent> {
    let mut in_person = stored(
        "Lunch and learn",
        at(TORONTO, 13, 12, 0),
        Some(at(TORONTO, 13, 13, 0)),
        Some("America/Toronto"),
    );
    in_person.event.location_name = Some("Room 101".into());
    in_person.event.location_address = Some("90 Elgin St, Ottawa".into());
    let st_johns = chrono_tz::America::St_Johns;
    let mut online = stored(
        "Atlantic data talk",
        at(st_johns, 13, 15, 30),
        Some(at(st_johns, 13, 16, 30)),
        Some("America/St_Johns"),
    );
    online.event.online_url = Some("https://teams.microsoft.com/l/meetup-join/x".into());
    let mut hybrid = stored(
        "Town hall",
        at(TORONTO, 14, 10, 0),
        Some(at(TORONTO, 14, 11, 0)),
        Some("America/Toronto"),
    );
    hybrid.event.location_name = Some("Auditorium, 90 Elgin St".into());
    hybrid.event.online_url = Some("https://zoom.us/j/1".into());
    hybrid.changed = Utc.with_ymd_and_hms(2027, 1, 10, 20, 0, 0).unwrap();
    vec![in_person, online, hybrid]
}

#[test]
fn times_carry_canada_ca_zone_labels_never_zone_names() {
    let html = listing(Lang::En, &sample(), &FormValues::default(), 3);
    assert!(html.contains("12:00 pm to 1:00 pm ET"), "{html}");
    assert!(
        html.contains("3:30 pm to 4:30 pm NT (2:00 pm to 3:00 pm ET)"),
        "{html}"
    );
    assert!(html.contains("Wednesday, January 13, 2027"), "{html}");
    assert!(!html.contains("America/"), "{html}");
    let fr = listing(Lang::Fr, &sample(), &FormValues::default(), 3);
    assert!(fr.contains("12 h à 13 h HE"), "{fr}");
    assert!(fr.contains("15 h 30 à 16 h 30 HT (14 h à 15 h HE)"), "{fr}");
    assert!(fr.contains("mercredi 13 janvier 2027"), "{fr}");
}

#[test]
fn attendance_is_shown_with_the_place() {
    let html = listing(Lang::En, &sample(), &FormValues::default(), 3);
    assert!(
        html.contains(r#"<p class="where in-person">In person: Room 101, 90 Elgin St, Ottawa</p>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<p class="where online">Online</p>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<p class="where hybrid">Hybrid: Auditorium, 90 Elgin St</p>"#),
        "{html}"
    );
    let fr = listing(Lang::Fr, &sample(), &FormValues::default(), 3);
    assert!(fr.contains("En personne\u{a0}: Room 101"), "{fr}");
}

#[test]
fn places_that_are_not_places() {
    let mut e = sample()[0].event.clone();
    for (name, online_url, expected) in [
        ("Microsoft Teams", None, Some(Attendance::Online)),
        ("Online via Zoom", None, Some(Attendance::Online)),
        ("En ligne (MS Teams)", None, Some(Attendance::Online)),
        ("https://zoom.us/j/123", None, Some(Attendance::Online)),
        ("Room 2 and online", None, Some(Attendance::Hybrid)),
        ("Salle 2 ou en ligne", None, Some(Attendance::Hybrid)),
        (
            "Room 2",
            Some("https://meet.google.com/x"),
            Some(Attendance::Hybrid),
        ),
        ("Teamwork room, 3rd floor", None, Some(Attendance::InPerson)),
        ("", None, None),
    ] {
        e.location_name = Some(name.to_string()).filter(|n| !n.is_empty());
        e.location_address = None;
        e.online_url = online_url.map(str::to_string);
        let w = whereabouts(&e);
        assert_eq!(w.attendance, expected, "{name}");
        assert!(
            !w.place.starts_with("http"),
            "a link is not a place: {name}"
        );
    }
}

#[test]
fn departments_follow_the_readers_language() {
    let fr = listing(Lang::Fr, &sample(), &FormValues::default(), 3);
    assert!(
        fr.contains(r#"<p class="meta">Statistique Canada</p>"#),
        "{fr}"
    );
    assert!(
        fr.contains(r#"<option value="Health Canada / Santé Canada">Santé Canada</option>"#),
        "{fr}"
    );
    let en = listing(Lang::En, &sample(), &FormValues::default(), 3);
    assert!(
        en.contains(r#"<p class="meta">Statistics Canada</p>"#),
        "{en}"
    );
}

#[test]
fn count_quick_links_and_folded_filters() {
    let html = listing(Lang::En, &sample(), &FormValues::default(), 3);
    assert!(html.contains(r#"<p class="count">3 events</p>"#), "{html}");
    // Wednesday January 13: today, the rest of the week to Sunday, and next week.
    // (askama writes `&` in attributes as `&#38;`)
    let links = html.replace("&#38;", "&");
    assert!(
        links.contains(r#"href="/?tag=data&from=2027-01-13&to=2027-01-14&lang=en">Today</a>"#),
        "{html}"
    );
    assert!(
        links.contains("from=2027-01-13&to=2027-01-18&lang=en\">This week"),
        "{html}"
    );
    assert!(
        links.contains("from=2027-01-18&to=2027-01-25&lang=en\">Next week"),
        "{html}"
    );
    assert!(html.contains(r#"<details class="filters">"#), "{html}");
    assert!(!html.contains("<details class=\"filters\" open"), "{html}");
    // The filters come before the events in the page, folded: one line above the list.
    let filters = html.find("<details").unwrap();
    let first_event = html.find(r#"class="event"#).unwrap();
    assert!(filters < first_event);
    assert!(html.find("<aside class=\"subscribe\"").unwrap() > first_event);

    let this_week = FormValues {
        from: "2027-01-13".into(),
        to: "2027-01-18".into(),
        department: "Statistics Canada / Statistique Canada".into(),
        ..FormValues::default()
    };
    let fr = listing(Lang::Fr, &sample()[..1], &this_week, 1);
    assert!(fr.contains(r#"<p class="count">1 événement</p>"#), "{fr}");
    assert!(
        fr.contains(r#"aria-current="true">Cette semaine</a>"#),
        "{fr}"
    );
    assert!(fr.contains("(3 filtres actifs)"), "{fr}");
    let many = listing(Lang::Fr, &sample(), &FormValues::default(), 1234);
    assert!(many.contains("Événements 1 à 3 sur 1\u{a0}234"), "{many}");
    let past_the_end = listing(Lang::En, &[], &FormValues::default(), 12);
    assert!(!past_the_end.contains(r#"class="count""#), "{past_the_end}");
}

#[test]
fn quick_ranges_end_on_sunday() {
    let d = |m, day| NaiveDate::from_ymd_opt(2027, m, day).unwrap();
    let [today, week, next] = quick_ranges(d(1, 17)); // a Sunday
    assert_eq!((today.1, today.2), (d(1, 17), d(1, 18)));
    assert_eq!((week.1, week.2), (d(1, 17), d(1, 18)));
    assert_eq!((next.1, next.2), (d(1, 18), d(1, 25)));
    let [_, week, _] = quick_ranges(d(1, 11)); // a Monday
    assert_eq!((week.1, week.2), (d(1, 11), d(1, 18)));
}

#[test]
fn the_date_modified_is_when_the_shown_data_last_changed() {
    let html = listing(Lang::En, &sample(), &FormValues::default(), 3);
    assert!(
        html.contains(
            r#"<dt>Date modified:</dt> <dd><time datetime="2027-01-10">2027-01-10</time></dd>"#
        ),
        "{html}"
    );
    let empty = listing(Lang::Fr, &[], &FormValues::default(), 0);
    assert!(empty.contains("Date de modification\u{a0}:"), "{empty}");
    assert!(
        empty.contains(r#"<time datetime="2027-01-13">2027-01-13</time>"#),
        "{empty}"
    );
    assert!(
        !empty.contains(r#"class="count""#),
        "no count line for nothing: {empty}"
    );
}

fn event_page_html(lang: Lang, style: Style, stored: &StoredEvent) -> String {
    let add = add_to_calendar("https://bulletin.example.gc.ca", &stored.uid, &stored.event);
    String::from_utf8(event_page(&EventView {
        lang,
        style,
        zone: TORONTO,
        switch_url: "?lang=fr",
        event: stored,
        add: &add,
        department_calendar: None,
    }))
    .unwrap()
}

#[test]
fn the_event_page_shows_its_description_as_html_and_its_zone() {
    let mut e = sample()[1].clone();
    e.event.description_text = Some(
        "Monthly talk.<br><br>Register: <a href=\"https://events.example.gc.ca/reg\">events.example.gc.ca/reg</a><script>alert(1)</script>".into(),
    );
    let html = event_page_html(Lang::En, Style::CanadaCa, &e);
    assert!(
        html.contains("Wednesday, January 13, 2027, 3:30 pm to 4:30 pm NT (2:00 pm to 3:00 pm ET)"),
        "{html}"
    );
    assert!(html.contains(r#"<div class="description">Monthly talk.<br><br>Register: <a href="https://events.example.gc.ca/reg" rel="noopener noreferrer nofollow">"#), "{html}");
    assert!(!html.contains("&lt;br"), "{html}");
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(
        html.contains(r#"<dd class="where online">Online</dd>"#),
        "{html}"
    );
    assert!(
        html.contains("Data community</a> — Statistics Canada"),
        "{html}"
    );

    let mut plain = sample()[0].clone();
    plain.event.description_text = Some("Bring lunch.\nSee https://example.gc.ca/x".into());
    let fr = event_page_html(Lang::Fr, Style::CanadaCa, &plain);
    assert!(
        fr.contains("<p>Bring lunch.<br>See <a href=\"https://example.gc.ca/x\""),
        "{fr}"
    );
    assert!(
        fr.contains("mercredi 13 janvier 2027, 12 h à 13 h HE"),
        "{fr}"
    );
    assert!(fr.contains("Statistique Canada"), "{fr}");
    assert!(
        fr.contains(r#"<time datetime="2027-01-05">2027-01-05</time>"#),
        "{fr}"
    );
}

#[test]
fn a_uk_deployment_writes_gov_uk_style() {
    let london = chrono_tz::Europe::London;
    let e = stored(
        "Show and tell",
        at(london, 13, 13, 0),
        Some(at(london, 13, 14, 30)),
        Some("Europe/London"),
    );
    let add = add_to_calendar("https://bulletin.example.gov.uk", &e.uid, &e.event);
    let html = String::from_utf8(event_page(&EventView {
        lang: Lang::En,
        style: Style::GovUk,
        zone: london,
        switch_url: "?lang=fr",
        event: &e,
        add: &add,
        department_calendar: None,
    }))
    .unwrap();
    assert!(
        html.contains("Wednesday 13 January 2027, 1pm to 2:30pm GMT"),
        "{html}"
    );
    assert!(
        html.contains(
            "<dt>Last updated:</dt> <dd><time datetime=\"2027-01-05\">5 January 2027</time>"
        ),
        "{html}"
    );
}
