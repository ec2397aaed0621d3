//! The merged calendar as iCalendar (RFC 5545), for Outlook, Google, Apple and Thunderbird
//! subscriptions.
//!
//! Content lines are written with the icalendar crate's `Property` (which escapes TEXT and
//! folds at 75 octets on character boundaries); the document's shape is ours, because the
//! crate's component writer invents a random UID and the current time for any component
//! without them and writes no VTIMEZONE. Our VTIMEZONEs come from the time-zone database
//! (jiff's bundled copy) for the span the feed covers.
//!
//! Recurring series are published as their expanded occurrences, each with its own stable
//! UID: Bulletin stores occurrences (a series from an .ics source, events from pages and
//! merges from several sources all end up as dated events), so one model serves every
//! source and a moved or cancelled occurrence is simply an event with its own SEQUENCE.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use icalendar::Property;

use crate::model::{EventStatus, EventTime};
use crate::store::StoredEvent;

/// What a calendar says about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarMeta {
    pub name: String,
    pub description: String,
    /// The zone readers' clients should show it in (X-WR-TIMEZONE).
    pub timezone: Tz,
    /// How often clients should poll.
    pub refresh: Duration,
    /// The right-hand side of every UID (`uid@domain`): the service's host.
    pub uid_domain: String,
}

/// Escapes one value of a TEXT list (CATEGORIES), which the crate writes as given.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.replace("\r\n", "\n").replace('\r', "\n").chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Text for TEXT properties the crate escapes: line ends normalised, control characters out.
fn clean(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

struct Lines(String);

impl Lines {
    fn prop(&mut self, property: Property) {
        let written: String = property
            .try_into()
            .expect("writing to a String cannot fail");
        // The crate folds every 75 octets of content, so its continuation lines (a space
        // plus 75 octets) run one over RFC 5545's limit: unfold, and fold again properly.
        let line = written.trim_end_matches("\r\n").replace("\r\n ", "");
        fold_into(&mut self.0, &line);
    }

    /// A property whose value is written as given (already escaped or not TEXT).
    fn raw(&mut self, key: &str, value: &str) {
        self.prop(Property::new(key, value));
    }

    fn raw_with(&mut self, key: &str, params: &[(&str, &str)], value: &str) {
        let mut property = Property::new(key, value);
        for (k, v) in params {
            property.add_parameter(k, v);
        }
        self.prop(property);
    }

    /// A TEXT property (SUMMARY, DESCRIPTION, LOCATION, X-…): the crate escapes it.
    fn text(&mut self, key: &str, value: &str) {
        self.prop(Property::new(key, clean(value)));
    }
}

/// Appends `line` folded as RFC 5545 §3.1 asks: no line longer than 75 octets (the
/// leading space of a continuation counts), never inside a UTF-8 character, CRLF ends.
pub fn fold_into(out: &mut String, line: &str) {
    let mut rest = line;
    let mut limit = 75;
    loop {
        if rest.len() <= limit {
            out.push_str(rest);
            out.push_str("\r\n");
            return;
        }
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        // Not next to white space (Unicode's, NBSP included): some readers trim the ends of
        // physical lines, and would lose it. (A run of spaces that long is left to be cut anywhere.)
        let mut careful = cut;
        while careful > limit / 2
            && (ends_in_space(&rest[..careful]) || starts_with_space(&rest[careful..]))
        {
            careful -= 1;
            while !rest.is_char_boundary(careful) {
                careful -= 1;
            }
        }
        if careful > limit / 2 {
            cut = careful;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        limit = 74;
    }
}

fn ends_in_space(text: &str) -> bool {
    text.chars().next_back().is_some_and(char::is_whitespace)
}

fn starts_with_space(text: &str) -> bool {
    text.chars().next().is_some_and(char::is_whitespace)
}

fn utc_stamp(time: DateTime<Utc>) -> String {
    time.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Renders a calendar of `events`: [`head`], [`vevents`] and [`TAIL`] in one.
pub fn render(meta: &CalendarMeta, events: &[StoredEvent]) -> Vec<u8> {
    let mut spans = ZoneSpans::default();
    spans.add(events);
    let mut out = Lines(head(meta, &spans));
    out.0.reserve(events.len() * 1300 + TAIL.len());
    for stored in events {
        vevent(&mut out, meta, stored);
    }
    out.0.push_str(TAIL);
    out.0.into_bytes()
}

/// The last line of every calendar.
pub const TAIL: &str = "END:VCALENDAR\r\n";

/// The time zones a calendar's events are written in, each with the span its events
/// cover: what [`head`] needs, gathered a chunk of events at a time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ZoneSpans(BTreeMap<String, (DateTime<Utc>, DateTime<Utc>)>);

impl ZoneSpans {
    /// Widens the spans to cover `events`.
    pub fn add(&mut self, events: &[StoredEvent]) {
        for stored in events {
            if let Some(zone) = event_zone(stored) {
                let start = stored.event.start.instant(zone);
                let end = stored.event.end.map(|e| e.instant(zone)).unwrap_or(start);
                let span = self
                    .0
                    .entry(zone.name().to_string())
                    .or_insert((start, end));
                span.0 = span.0.min(start);
                span.1 = span.1.max(end);
            }
        }
    }
}

/// What comes before the events: the calendar's properties and a VTIMEZONE for every
/// zone of `spans`. A calendar written in parts is `head`, then [`vevents`] of each
/// chunk of events in order, then [`TAIL`]: the same bytes as [`render`] of them all.
pub fn head(meta: &CalendarMeta, spans: &ZoneSpans) -> String {
    let mut out = Lines(String::with_capacity(4096));
    out.raw("BEGIN", "VCALENDAR");
    out.raw("VERSION", "2.0");
    out.raw(
        "PRODID",
        &format!("-//Bulletin//Bulletin {}//EN", env!("CARGO_PKG_VERSION")),
    );
    out.raw("CALSCALE", "GREGORIAN");
    out.raw("METHOD", "PUBLISH");
    out.text("X-WR-CALNAME", &meta.name);
    out.text("X-WR-CALDESC", &meta.description);
    out.raw("X-WR-TIMEZONE", meta.timezone.name());
    let refresh = iso_duration(meta.refresh);
    out.raw_with("REFRESH-INTERVAL", &[("VALUE", "DURATION")], &refresh);
    out.raw("X-PUBLISHED-TTL", &refresh);
    for (zone, (from, to)) in &spans.0 {
        vtimezone(&mut out, zone, *from, *to);
    }
    out.0
}

/// The VEVENTs of `events`, in order.
pub fn vevents(meta: &CalendarMeta, events: &[StoredEvent]) -> String {
    let mut out = Lines(String::with_capacity(events.len() * 1300));
    for stored in events {
        vevent(&mut out, meta, stored);
    }
    out.0
}

/// The IANA zone an event's times are written in; `None` writes them in UTC.
fn event_zone(stored: &StoredEvent) -> Option<Tz> {
    if stored.event.all_day() {
        return None;
    }
    stored
        .event
        .timezone
        .as_deref()
        .and_then(|z| z.parse().ok())
}

fn vevent(out: &mut Lines, meta: &CalendarMeta, stored: &StoredEvent) {
    let e = &stored.event;
    out.raw("BEGIN", "VEVENT");
    out.raw("UID", &format!("{}@{}", stored.uid, meta.uid_domain));
    out.raw("DTSTAMP", &utc_stamp(stored.changed));
    out.raw("CREATED", &utc_stamp(stored.first_seen));
    out.raw("LAST-MODIFIED", &utc_stamp(stored.changed));
    out.raw("SEQUENCE", &stored.revision.to_string());
    let zone = event_zone(stored);
    time_property(out, "DTSTART", e.start, zone);
    if let Some(end) = e.end {
        time_property(out, "DTEND", end, zone);
    }
    let summary = if e.status == EventStatus::Postponed {
        format!("Postponed: {}", e.title)
    } else {
        e.title.clone()
    };
    out.text("SUMMARY", &summary);
    out.text("DESCRIPTION", &description(stored));
    let place: Vec<&str> = [e.location_name.as_deref(), e.location_address.as_deref()]
        .into_iter()
        .flatten()
        .filter(|p| !p.is_empty())
        .collect();
    let place = match place.as_slice() {
        [name, address] if address.contains(name) => address.to_string(),
        [name, address] if name.contains(address) => name.to_string(),
        parts => parts.join(", "),
    };
    let location = if place.is_empty() {
        e.online_url.clone().unwrap_or_default()
    } else {
        place
    };
    if !location.is_empty() {
        out.text("LOCATION", &location);
    }
    if let Some(url) = e.url.as_deref().or(e.online_url.as_deref()) {
        out.raw_with("URL", &[("VALUE", "URI")], url);
    }
    let mut categories: BTreeSet<String> = stored.tags.iter().cloned().collect();
    categories.extend(
        stored
            .sources
            .iter()
            .map(|s| s.department.clone())
            .filter(|d| !d.is_empty()),
    );
    if !categories.is_empty() {
        let list: Vec<String> = categories.iter().map(|c| escape_text(c)).collect();
        out.raw("CATEGORIES", &list.join(","));
    }
    let status = match (stored.listed, e.status) {
        (false, _) | (_, EventStatus::Cancelled) => "CANCELLED",
        (_, EventStatus::Tentative | EventStatus::Postponed) => "TENTATIVE",
        (_, EventStatus::Confirmed) => "CONFIRMED",
    };
    out.raw("STATUS", status);
    out.raw("CLASS", "PUBLIC");
    out.raw("TRANSP", if e.all_day() { "TRANSPARENT" } else { "OPAQUE" });
    out.raw("END", "VEVENT");
}

fn time_property(out: &mut Lines, key: &str, time: EventTime, zone: Option<Tz>) {
    match (time, zone) {
        (EventTime::Date(date), _) => out.raw_with(
            key,
            &[("VALUE", "DATE")],
            &date.format("%Y%m%d").to_string(),
        ),
        (EventTime::At(at), Some(zone)) => {
            let local = at.with_timezone(&zone).naive_local();
            out.raw_with(
                key,
                &[("TZID", zone.name())],
                &local.format("%Y%m%dT%H%M%S").to_string(),
            );
        }
        (EventTime::At(at), None) => out.raw(key, &utc_stamp(at)),
    }
}

/// The description a calendar shows: the event's text, who lists it, and links back.
fn description(stored: &StoredEvent) -> String {
    let e = &stored.event;
    let mut parts: Vec<String> = Vec::new();
    if !stored.listed {
        parts.push("No longer listed by its source.".to_string());
    }
    if let Some(text) = e.description_text.as_deref().filter(|t| !t.is_empty()) {
        parts.push(text.to_string());
    }
    if let Some(online) = e.online_url.as_deref() {
        parts.push(format!("Online: {online}"));
    }
    let listed: Vec<String> = stored
        .sources
        .iter()
        .map(|s| {
            if s.department.is_empty() {
                s.source_name.clone()
            } else {
                format!("{} — {}", s.department, s.source_name)
            }
        })
        .collect();
    if !listed.is_empty() {
        parts.push(format!("Listed by: {}", listed.join("; ")));
    }
    if let Some(url) = e.url.as_deref() {
        parts.push(format!("Details: {url}"));
    }
    parts.join("\n\n")
}

/// `PT1H`, `P1D`.
fn iso_duration(duration: Duration) -> String {
    let seconds = duration.num_seconds().max(60);
    if seconds % 86_400 == 0 {
        format!("P{}D", seconds / 86_400)
    } else if seconds % 3600 == 0 {
        format!("PT{}H", seconds / 3600)
    } else {
        format!("PT{}M", seconds / 60)
    }
}

/// One change of offset, as a VTIMEZONE observance describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Onset {
    /// Local wall-clock time of the change, in the offset before it.
    local: NaiveDateTime,
    from: i32,
    to: i32,
    name: String,
    daylight: bool,
}

fn offset_text(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.abs();
    if s % 60 == 0 {
        format!("{sign}{:02}{:02}", s / 3600, (s % 3600) / 60)
    } else {
        format!("{sign}{:02}{:02}{:02}", s / 3600, (s % 3600) / 60, s % 60)
    }
}

/// The changes of offset of `zone` from a year before `from` to `to`, and the offset in
/// force at the start of that period.
fn onsets(
    zone: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Option<(Vec<Onset>, (i32, String, bool))> {
    let tz = jiff::tz::TimeZone::get(zone).ok()?;
    let begin =
        jiff::Timestamp::from_second(from.checked_sub_signed(Duration::days(366))?.timestamp())
            .ok()?;
    let end = to.timestamp();
    let initial = tz.to_offset_info(begin);
    let initial = (
        initial.offset().seconds(),
        initial.abbreviation().to_string(),
        initial.dst().is_dst(),
    );
    let mut previous = initial.0;
    let mut list = Vec::new();
    for transition in tz.following(begin) {
        let at = transition.timestamp().as_second();
        if at > end {
            break;
        }
        let to_offset = transition.offset().seconds();
        let local = DateTime::from_timestamp(at + i64::from(previous), 0)?.naive_utc();
        list.push(Onset {
            local,
            from: previous,
            to: to_offset,
            name: transition.abbreviation().to_string(),
            daylight: transition.dst().is_dst(),
        });
        previous = to_offset;
    }
    Some((list, initial))
}

/// `BYMONTH=11;BYDAY=1SU` for the day of an onset.
fn yearly_rule(local: NaiveDateTime) -> String {
    let date = local.date();
    let weekday = match date.weekday() {
        chrono::Weekday::Mon => "MO",
        chrono::Weekday::Tue => "TU",
        chrono::Weekday::Wed => "WE",
        chrono::Weekday::Thu => "TH",
        chrono::Weekday::Fri => "FR",
        chrono::Weekday::Sat => "SA",
        chrono::Weekday::Sun => "SU",
    };
    let last = date
        .checked_add_signed(Duration::days(7))
        .is_none_or(|later| later.month() != date.month());
    let ordinal = if last {
        -1
    } else {
        (date.day() as i32 - 1) / 7 + 1
    };
    format!(
        "FREQ=YEARLY;BYMONTH={};BYDAY={ordinal}{weekday}",
        date.month()
    )
}

fn vtimezone(out: &mut Lines, zone: &str, from: DateTime<Utc>, to: DateTime<Utc>) {
    let Some((onsets, initial)) = onsets(zone, from, to) else {
        return;
    };
    out.raw("BEGIN", "VTIMEZONE");
    out.raw("TZID", zone);
    out.raw("X-LIC-LOCATION", zone);
    let observance = |out: &mut Lines, onset: &Onset, rule: Option<&str>| {
        let kind = if onset.daylight {
            "DAYLIGHT"
        } else {
            "STANDARD"
        };
        out.raw("BEGIN", kind);
        out.raw("DTSTART", &onset.local.format("%Y%m%dT%H%M%S").to_string());
        if let Some(rule) = rule {
            out.raw("RRULE", rule);
        }
        out.raw("TZOFFSETFROM", &offset_text(onset.from));
        out.raw("TZOFFSETTO", &offset_text(onset.to));
        out.text("TZNAME", &onset.name);
        out.raw("END", kind);
    };
    if onsets.is_empty() {
        let fixed = Onset {
            local: NaiveDate::from_ymd_opt(1970, 1, 1)
                .expect("valid")
                .and_hms_opt(0, 0, 0)
                .expect("valid"),
            from: initial.0,
            to: initial.0,
            name: initial.1,
            daylight: false,
        };
        observance(out, &fixed, None);
    } else {
        // Outlook reads a yearly rule best: one STANDARD and one DAYLIGHT with RRULEs, when
        // every change of each kind in the period follows the same rule; otherwise each
        // change is listed.
        let mut kinds: BTreeMap<(bool, i32, i32), Vec<&Onset>> = BTreeMap::new();
        for onset in &onsets {
            kinds
                .entry((onset.daylight, onset.from, onset.to))
                .or_default()
                .push(onset);
        }
        let regular = kinds.len() == 2
            && kinds.values().all(|group| {
                let rule = yearly_rule(group[0].local);
                group.iter().all(|o| {
                    yearly_rule(o.local) == rule && o.local.time() == group[0].local.time()
                })
            });
        if regular {
            for group in kinds.values() {
                observance(out, group[0], Some(&yearly_rule(group[0].local)));
            }
        } else {
            let start = Onset {
                local: onsets[0]
                    .local
                    .checked_sub_signed(Duration::days(366))
                    .unwrap_or(onsets[0].local),
                from: initial.0,
                to: initial.0,
                name: initial.1.clone(),
                daylight: initial.2,
            };
            observance(out, &start, None);
            for onset in &onsets {
                observance(out, onset, None);
            }
        }
    }
    out.raw("END", "VTIMEZONE");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Event;

    #[test]
    fn folding_counts_octets_and_respects_characters() {
        let mut out = String::new();
        let line = format!("DESCRIPTION:{}", "é".repeat(60));
        fold_into(&mut out, &line);
        for physical in out.trim_end_matches("\r\n").split("\r\n") {
            assert!(physical.len() <= 75, "{}", physical.len());
        }
        assert_eq!(out.trim_end_matches("\r\n").replace("\r\n ", ""), line);
        let mut short = String::new();
        fold_into(&mut short, "SUMMARY:x");
        assert_eq!(short, "SUMMARY:x\r\n");
    }
    use crate::store::ListedBy;

    fn meta() -> CalendarMeta {
        CalendarMeta {
            name: "Bulletin, all events".into(),
            description: "Events from across government".into(),
            timezone: chrono_tz::America::Toronto,
            refresh: Duration::hours(1),
            uid_domain: "bulletin.example.gc.ca".into(),
        }
    }

    fn stored(
        title: &str,
        start: EventTime,
        end: Option<EventTime>,
        zone: Option<&str>,
    ) -> StoredEvent {
        let at = "2026-11-01T12:00:00Z".parse().unwrap();
        StoredEvent {
            uid: "0123abcd".into(),
            event: Event {
                source_id: String::new(),
                uid: "x".into(),
                series_uid: None,
                title: title.into(),
                description_text: Some(
                    "Bring lunch; all welcome, really.\nSecond line \\ backslash".into(),
                ),
                description_html: None,
                start,
                end,
                timezone: zone.map(str::to_string),
                location_name: Some("Room 101".into()),
                location_address: Some("90 Elgin St, Ottawa".into()),
                online_url: None,
                url: Some("https://events.example.gc.ca/en/lunch.html".into()),
                organiser: None,
                language: None,
                status: EventStatus::Confirmed,
                categories: vec![],
            },
            listed: true,
            revision: 2,
            sources: vec![ListedBy {
                source_id: "dept".into(),
                source_name: "Departmental events".into(),
                department: "Health Canada".into(),
                source_uid: "x".into(),
                listed: true,
            }],
            tags: vec!["lunch-and-learn".into()],
            provenance: Default::default(),
            first_seen: at,
            last_seen: at,
            changed: at,
        }
    }

    #[test]
    fn a_calendar_written_in_chunks_is_the_calendar_written_at_once() {
        let events = vec![
            stored(
                "Toronto",
                EventTime::At("2026-03-05T17:00:00Z".parse().unwrap()),
                None,
                Some("America/Toronto"),
            ),
            stored(
                "All day",
                EventTime::Date("2026-06-01".parse().unwrap()),
                None,
                None,
            ),
            stored(
                "London",
                EventTime::At("2026-11-05T17:00:00Z".parse().unwrap()),
                Some(EventTime::At("2026-11-05T18:00:00Z".parse().unwrap())),
                Some("Europe/London"),
            ),
        ];
        let meta = meta();
        let mut spans = ZoneSpans::default();
        let mut middle = String::new();
        for chunk in events.chunks(2) {
            spans.add(chunk);
            middle.push_str(&vevents(&meta, chunk));
        }
        let chunked = format!("{}{middle}{TAIL}", head(&meta, &spans));
        assert_eq!(chunked.into_bytes(), render(&meta, &events));
    }

    #[test]
    fn a_timed_event_in_toronto() {
        let event = stored(
            "Lunch, and learn",
            EventTime::At("2026-11-05T17:00:00Z".parse().unwrap()),
            Some(EventTime::At("2026-11-05T18:00:00Z".parse().unwrap())),
            Some("America/Toronto"),
        );
        let text = String::from_utf8(render(&meta(), &[event])).unwrap();
        assert!(
            text.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Bulletin//Bulletin ")
        );
        for line in [
            "METHOD:PUBLISH",
            "X-WR-CALNAME:Bulletin\\, all events",
            "X-WR-TIMEZONE:America/Toronto",
            "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
            "X-PUBLISHED-TTL:PT1H",
            "BEGIN:VTIMEZONE\r\nTZID:America/Toronto",
            "BEGIN:DAYLIGHT\r\nDTSTART:20260308T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nTZNAME:EDT",
            "BEGIN:STANDARD\r\nDTSTART:20261101T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nTZNAME:EST",
            "UID:0123abcd@bulletin.example.gc.ca",
            "SEQUENCE:2",
            "DTSTART;TZID=America/Toronto:20261105T120000",
            "DTEND;TZID=America/Toronto:20261105T130000",
            "SUMMARY:Lunch\\, and learn",
            "LOCATION:Room 101\\, 90 Elgin St\\, Ottawa",
            "CATEGORIES:Health Canada,lunch-and-learn",
            "STATUS:CONFIRMED",
        ] {
            assert!(text.contains(line), "missing {line:?} in\n{text}");
        }
        assert!(
            text.contains(
                "DESCRIPTION:Bring lunch\\; all welcome\\, really.\\nSecond line \\\\ backslash"
            ),
            "{text}"
        );
        assert!(text.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"));
        assert!(!text.replace("\r\n", "").contains('\n'), "CRLF only");
    }

    #[test]
    fn all_day_events_use_dates_and_utc_events_need_no_zone() {
        let all_day = stored(
            "Holiday",
            EventTime::Date(NaiveDate::from_ymd_opt(2026, 12, 11).unwrap()),
            Some(EventTime::Date(
                NaiveDate::from_ymd_opt(2026, 12, 12).unwrap(),
            )),
            None,
        );
        let utc = stored(
            "Webinar",
            EventTime::At("2026-11-20T17:00:00Z".parse().unwrap()),
            None,
            None,
        );
        let text = String::from_utf8(render(&meta(), &[all_day, utc])).unwrap();
        assert!(text.contains("DTSTART;VALUE=DATE:20261211\r\nDTEND;VALUE=DATE:20261212"));
        assert!(text.contains("DTSTART:20261120T170000Z"));
        assert!(
            !text.contains("BEGIN:VTIMEZONE"),
            "no zone used, none defined"
        );
    }

    #[test]
    fn cancelled_and_unlisted_events_say_so() {
        let mut cancelled = stored(
            "Gone",
            EventTime::At("2026-11-20T17:00:00Z".parse().unwrap()),
            None,
            None,
        );
        cancelled.listed = false;
        let text = String::from_utf8(render(&meta(), &[cancelled])).unwrap();
        assert!(text.contains("STATUS:CANCELLED"));
        assert!(text.contains("DESCRIPTION:No longer listed by its source."));
    }

    #[test]
    fn a_zone_without_changes_gets_one_observance() {
        let event = stored(
            "Regina",
            EventTime::At("2026-11-20T17:00:00Z".parse().unwrap()),
            None,
            Some("America/Regina"),
        );
        let text = String::from_utf8(render(&meta(), &[event])).unwrap();
        assert!(text.contains("BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:-0600\r\nTZOFFSETTO:-0600\r\nTZNAME:CST\r\nEND:STANDARD"), "{text}");
    }
}
