//! Golden test: a fixed store renders to exactly `fixtures/golden/calendar.ics`, byte for
//! byte (events across a DST change, in two zones, all-day, cancelled, unlisted, with
//! awkward text). Run with `BULLETIN_UPDATE_GOLDEN=1` to accept a deliberate change, and
//! review the diff.

use bulletin::model::{Event, EventStatus, EventTime};
use bulletin::render::ics::{CalendarMeta, render};
use bulletin::store::{ListedBy, StoredEvent};
use chrono::NaiveDate;

fn listed(department: &str, name: &str) -> ListedBy {
    ListedBy {
        source_id: name.to_lowercase().replace(' ', "-"),
        source_name: name.into(),
        department: department.into(),
        source_uid: "x".into(),
        listed: true,
    }
}

fn event(
    uid: &str,
    title: &str,
    start: EventTime,
    end: Option<EventTime>,
    zone: Option<&str>,
) -> StoredEvent {
    let seen = "2026-10-01T12:00:00Z".parse().unwrap();
    StoredEvent {
        uid: uid.into(),
        event: Event {
            source_id: String::new(),
            uid: uid.into(),
            series_uid: None,
            title: title.into(),
            description_text: None,
            description_html: None,
            start,
            end,
            timezone: zone.map(str::to_string),
            location_name: None,
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
        sources: vec![listed("Health Canada", "HC events")],
        tags: vec!["lunch-and-learn".into()],
        provenance: Default::default(),
        versions: Vec::new(),
        first_seen: seen,
        last_seen: seen,
        changed: seen,
        merged_into: None,
    }
}

fn fixed_store() -> Vec<StoredEvent> {
    let at = |s: &str| EventTime::At(s.parse().unwrap());
    let day = |y, m, d| EventTime::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap());
    let mut before_dst_end = event(
        "a1",
        "Service design CoP: week 1",
        at("2026-10-29T16:00:00Z"),
        Some(at("2026-10-29T17:00:00Z")),
        Some("America/Toronto"),
    );
    before_dst_end.event.description_text =
        Some("Agenda; notes, and a \\ backslash.\nSecond line: très bien 🎉".into());
    before_dst_end.event.location_name = Some("Room 101".into());
    before_dst_end.event.location_address = Some("90 Elgin St, Ottawa, ON".into());
    before_dst_end.event.url = Some("https://events.example.gc.ca/en/cop-1.html".into());
    let mut after_dst_end = event(
        "a2",
        "Service design CoP: week 2",
        at("2026-11-05T17:00:00Z"),
        Some(at("2026-11-05T18:00:00Z")),
        Some("America/Toronto"),
    );
    after_dst_end.revision = 3;
    after_dst_end.changed = "2026-11-02T09:30:00Z".parse().unwrap();
    let london = event(
        "b1",
        "User research CoP",
        at("2026-10-27T09:30:00Z"),
        Some(at("2026-10-27T11:00:00Z")),
        Some("Europe/London"),
    );
    let all_day = event(
        "c1",
        "Journée d'apprentissage de la fonction publique",
        day(2026, 12, 11),
        Some(day(2026, 12, 12)),
        None,
    );
    let mut cancelled = event(
        "d1",
        "Networking evening",
        at("2026-12-03T22:30:00Z"),
        Some(at("2027-01-01T00:30:00Z")),
        None,
    );
    cancelled.event.status = EventStatus::Cancelled;
    cancelled.revision = 1;
    let mut unlisted = event(
        "e1",
        "Town hall",
        at("2026-12-10T15:00:00Z"),
        None,
        Some("America/Toronto"),
    );
    unlisted.listed = false;
    unlisted
        .sources
        .push(listed("Statistics Canada", "StatCan CoPs"));
    let mut long = event(
        "f1",
        &format!("A very long title {}", "that keeps going ".repeat(8)),
        at("2027-03-14T14:00:00Z"),
        None,
        Some("America/Toronto"),
    );
    long.event.status = EventStatus::Postponed;
    // Google Calendar writes HTML into DESCRIPTION; Outlook gives plain text beside its
    // X-ALT-DESC: calendars get plain text, and the sanitised HTML in X-ALT-DESC.
    let mut google = event(
        "g1",
        "Data community lunch and learn",
        at("2027-01-13T17:00:00Z"),
        Some(at("2027-01-13T18:00:00Z")),
        Some("America/Toronto"),
    );
    google.event.description_text = Some(
        "Monthly lunch and learn: one talk, one demo.<br><br>Register: <a href=\"https://events.example.gc.ca/en/data-community\">events.example.gc.ca/en/data-community</a><script>alert(1)</script>".into(),
    );
    let mut outlook = event(
        "h1",
        "Accessibility office hours",
        at("2027-01-14T15:00:00Z"),
        Some(at("2027-01-14T16:00:00Z")),
        Some("America/Toronto"),
    );
    outlook.event.description_text = Some("Bring your questions.\n\nJoin on Teams".into());
    outlook.event.description_html = Some(
        "<p>Bring your <b>questions</b>.</p><p><a href=\"https://teams.microsoft.com/l/meetup-join/x\" onclick=\"x()\">Join on Teams</a></p>".into(),
    );
    // Joined into another event's language versions: published cancelled.
    let mut retired = event(
        "i1",
        "Dîner-causerie : le langage clair",
        at("2027-01-20T17:00:00Z"),
        Some(at("2027-01-20T18:00:00Z")),
        Some("America/Toronto"),
    );
    retired.listed = false;
    retired.revision = 2;
    retired.sources.clear();
    retired.merged_into = Some("0123abcd".into());
    vec![
        before_dst_end,
        london,
        after_dst_end,
        all_day,
        cancelled,
        unlisted,
        long,
        google,
        outlook,
        retired,
    ]
}

#[test]
fn a_fixed_store_renders_to_the_golden_file() {
    let meta = CalendarMeta {
        name: "Bulletin — events (department: Health Canada)".into(),
        description: "Events from across government, merged by Bulletin.".into(),
        timezone: chrono_tz::America::Toronto,
        refresh: chrono::Duration::hours(1),
        uid_domain: "bulletin".into(),
        language: bulletin::i18n::Lang::En,
    };
    let bytes = render(&meta, &fixed_store());
    let text = String::from_utf8(bytes)
        .unwrap()
        .replace(env!("CARGO_PKG_VERSION"), "VERSION");
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/golden/calendar.ics");
    if std::env::var_os("BULLETIN_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let golden =
        std::fs::read_to_string(&path).expect("golden file (BULLETIN_UPDATE_GOLDEN=1 writes it)");
    assert_eq!(
        text, golden,
        "the calendar changed; if deliberate, rerun with BULLETIN_UPDATE_GOLDEN=1 and review the diff"
    );
}
