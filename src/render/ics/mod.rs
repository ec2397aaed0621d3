//! The merged calendar as iCalendar (RFC 5545), for Outlook, Google, Apple and Thunderbird
//! subscriptions.
//!
//! Content lines are written by `line.rs` straight into the calendar's text, TEXT escaped
//! as the icalendar crate's `Property` escapes it and folded by us at 75 octets (the
//! crate's folding runs one octet over and cuts next to white space). The document's shape
//! is ours too, because the crate's component writer invents a random UID and the current
//! time for any component without them and writes no VTIMEZONE; ours come from the
//! time-zone database (`zone.rs`) for the span the feed covers.
//!
//! Recurring series are published as their expanded occurrences, each with its own stable
//! UID: Bulletin stores occurrences (a series from an .ics source, events from pages and
//! merges from several sources all end up as dated events), so one model serves every
//! source and a moved or cancelled occurrence is simply an event with its own SEQUENCE.

mod line;
mod zone;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::i18n::Lang;
use crate::model::{EventStatus, EventTime};
use crate::render::versions::{Shown, event_in};
use crate::store::StoredEvent;

use line::Lines;
pub use line::fold_into;

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
    /// The calendar's language: each event is written in its version in this language
    /// where it has one (`SUMMARY;LANGUAGE=` says when it has not), with its other
    /// versions' pages in the description, and the words the calendar adds (the status
    /// before a title) are in it.
    pub language: Lang,
}

/// The right-hand side of every event UID (`uid@bulletin`): fixed, so UIDs survive a
/// change of host name, and the same in every calendar and export.
pub const UID_DOMAIN: &str = "bulletin";

/// A property a calendar adds of its own (an export's `X-BULLETIN-…` state): its name and
/// its value, written `;VALUE=TEXT` (so every reader unescapes it: Python's icalendar keeps
/// an `X-` property without it as written) and escaped with nothing dropped or changed
/// (it must hold no CR).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extra {
    pub name: &'static str,
    pub value: String,
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

/// Octets reserved per event: a little more than a typical VEVENT.
const EVENT_CAPACITY: usize = 1300;

/// Renders a calendar of `events`: [`head`], [`vevents`] and [`TAIL`] in one.
pub fn render(meta: &CalendarMeta, events: &[StoredEvent]) -> Vec<u8> {
    let mut spans = ZoneSpans::default();
    spans.add(events);
    let head = head(meta, &spans);
    let mut out = Lines::with_capacity(head.len() + events.len() * EVENT_CAPACITY + TAIL.len());
    out.push_lines(&head);
    for stored in events {
        vevent(&mut out, meta, stored);
    }
    out.push_lines(TAIL);
    out.into_string().into_bytes()
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
                match self.0.get_mut(zone.name()) {
                    Some(span) => {
                        span.0 = span.0.min(start);
                        span.1 = span.1.max(end);
                    }
                    None => {
                        self.0.insert(zone.name().to_string(), (start, end));
                    }
                }
            }
        }
    }

    /// Widens the spans to cover `other`'s too (spans gathered over parts of a calendar).
    pub fn merge(&mut self, other: ZoneSpans) {
        for (zone, (start, end)) in other.0 {
            let span = self.0.entry(zone).or_insert((start, end));
            span.0 = span.0.min(start);
            span.1 = span.1.max(end);
        }
    }
}

/// What comes before the events: the calendar's properties and a VTIMEZONE for every
/// zone of `spans`. A calendar written in parts is `head`, then [`vevents`] of each
/// chunk of events in order, then [`TAIL`]: the same bytes as [`render`] of them all.
pub fn head(meta: &CalendarMeta, spans: &ZoneSpans) -> String {
    head_with(meta, spans, &[])
}

/// [`head`] with `extra` properties after the calendar's own, before its VTIMEZONEs.
pub fn head_with(meta: &CalendarMeta, spans: &ZoneSpans, extra: &[Extra]) -> String {
    let mut out = Lines::with_capacity(4096);
    out.raw("BEGIN", "VCALENDAR");
    out.raw("VERSION", "2.0");
    let prodid = format!("-//Bulletin//Bulletin {}//EN", env!("CARGO_PKG_VERSION"));
    out.escaped("PRODID", &[&prodid]);
    out.raw("CALSCALE", "GREGORIAN");
    out.raw("METHOD", "PUBLISH");
    out.text("X-WR-CALNAME", &meta.name);
    out.text("X-WR-CALDESC", &meta.description);
    out.escaped("X-WR-TIMEZONE", &[meta.timezone.name()]);
    let refresh = iso_duration(meta.refresh);
    out.raw_with("REFRESH-INTERVAL", Some(("VALUE", "DURATION")), &refresh);
    out.escaped("X-PUBLISHED-TTL", &[&refresh]);
    extras(&mut out, extra);
    for (zone, (from, to)) in &spans.0 {
        zone::vtimezone(&mut out, zone, *from, *to);
    }
    out.into_string()
}

/// The VEVENTs of `events`, in order.
pub fn vevents(meta: &CalendarMeta, events: &[StoredEvent]) -> String {
    let mut out = Lines::with_capacity(events.len() * EVENT_CAPACITY);
    for stored in events {
        vevent(&mut out, meta, stored);
    }
    out.into_string()
}

/// One VEVENT, as [`vevents`] writes it, with `extra` properties before its END.
pub fn vevent_with(meta: &CalendarMeta, stored: &StoredEvent, extra: &[Extra]) -> String {
    let mut out = Lines::with_capacity(EVENT_CAPACITY * 3);
    vevent_body(&mut out, meta, stored);
    extras(&mut out, extra);
    out.raw("END", "VEVENT");
    out.into_string()
}

fn extras(out: &mut Lines, extra: &[Extra]) {
    for property in extra {
        out.line(property.name, Some(("VALUE", "TEXT")), |v| {
            v.escaped(&property.value)
        });
    }
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
    vevent_body(out, meta, stored);
    out.raw("END", "VEVENT");
}

/// A VEVENT but its END line.
fn vevent_body(out: &mut Lines, meta: &CalendarMeta, stored: &StoredEvent) {
    let e = &stored.event;
    let shown = event_in(stored, meta.language.code());
    // Where the event is not in the calendar's language, its text says which it is in.
    let text_language = shown
        .foreign(meta.language.code())
        .map(|language| ("LANGUAGE", language));
    out.raw("BEGIN", "VEVENT");
    out.escaped("UID", &[&stored.uid, "@", &meta.uid_domain]);
    out.line("DTSTAMP", None, |v| v.utc(stored.changed));
    out.line("CREATED", None, |v| v.utc(stored.first_seen));
    out.line("LAST-MODIFIED", None, |v| v.utc(stored.changed));
    out.line("SEQUENCE", None, |v| v.number(stored.revision));
    let zone = event_zone(stored);
    time_property(out, "DTSTART", e.start, zone);
    if let Some(end) = e.end {
        time_property(out, "DTEND", end, zone);
    }
    out.line("SUMMARY", text_language, |v| {
        if let Some(prefix) = status_prefix(meta.language, stored, shown.title) {
            v.text(prefix);
        }
        v.text(shown.title);
    });
    let paragraphs = description(stored, &shown, meta.language);
    out.line("DESCRIPTION", text_language, |v| {
        for (i, paragraph) in paragraphs.iter().enumerate() {
            if i > 0 {
                v.text("\n\n");
            }
            v.text(paragraph.text());
        }
    });
    if let Some(html) = alt_description(&paragraphs) {
        // Outlook shows this instead of DESCRIPTION: the same paragraphs, the event's
        // own description as its sanitised HTML.
        out.line("X-ALT-DESC", Some(("FMTTYPE", "text/html")), |v| {
            v.text(&html)
        });
    }
    location(out, stored, &shown);
    if let Some(url) = shown.url.or(e.online_url.as_deref()) {
        out.raw_with("URL", Some(("VALUE", "URI")), url);
    }
    categories(out, stored);
    // An event joined into another's language versions is published cancelled (its
    // revision went up when it was joined), so it leaves subscribers' calendars visibly.
    let status = match (stored.listed, e.status) {
        (false, _) | (_, EventStatus::Cancelled) => "CANCELLED",
        (_, EventStatus::Tentative | EventStatus::Postponed) => "TENTATIVE",
        (_, EventStatus::Confirmed) => "CONFIRMED",
    };
    out.raw("STATUS", status);
    out.raw("CLASS", "PUBLIC");
    out.raw("TRANSP", if e.all_day() { "TRANSPARENT" } else { "OPAQUE" });
}

/// "Cancelled: ", "Postponed: " or "No longer listed: " (« Annulé : » …) before the title
/// of an event that is not on, since several clients show STATUS nowhere; none when the
/// title says so already ("CANCELLED - Lunch and learn").
fn status_prefix(lang: Lang, stored: &StoredEvent, title: &str) -> Option<&'static str> {
    const CANCELLED: &[&str] = &["cancel", "annul"];
    const POSTPONED: &[&str] = &["postpone", "report", "remis"];
    if stored.merged_into.is_some() {
        return Some(lang.t("calendar.prefix.merged"));
    }
    let (key, words) = match (stored.listed, stored.event.status) {
        (_, EventStatus::Cancelled) => ("calendar.prefix.cancelled", CANCELLED),
        (_, EventStatus::Postponed) => ("calendar.prefix.postponed", POSTPONED),
        (false, _) => ("calendar.prefix.unlisted", CANCELLED),
        (true, EventStatus::Confirmed | EventStatus::Tentative) => return None,
    };
    let title = title.trim_start().to_lowercase();
    let said = words.iter().any(|w| {
        title.starts_with(w)
            && (*w != "report" || title.starts_with("reporté") || title.starts_with("reporte "))
    });
    (!said).then(|| lang.t(key))
}

fn time_property(out: &mut Lines, key: &str, time: EventTime, zone: Option<Tz>) {
    match (time, zone) {
        (EventTime::Date(date), _) => out.line(key, Some(("VALUE", "DATE")), |v| v.date(date)),
        (EventTime::At(at), Some(zone)) => {
            let local = at.with_timezone(&zone).naive_local();
            out.line(key, Some(("TZID", zone.name())), |v| v.local(local));
        }
        (EventTime::At(at), None) => out.line(key, None, |v| v.utc(at)),
    }
}

/// One paragraph of a calendar's description.
enum Paragraph {
    /// Text Bulletin writes (labels, lists, links), plain.
    Text(String),
    /// The event's own description: its plain text, and its sanitised HTML when it was
    /// given as HTML (Google's DESCRIPTION, Outlook's X-ALT-DESC, a page).
    Description { text: String, html: Option<String> },
}

impl Paragraph {
    fn text(&self) -> &str {
        match self {
            Paragraph::Text(text) | Paragraph::Description { text, .. } => text,
        }
    }
}

/// The description a calendar shows, in paragraphs: the event's text (never raw tags:
/// HTML is given as its plain text), where to join online, who lists it, and links back,
/// in the calendar's language; for an event in two languages, the other version's page
/// too.
fn description(stored: &StoredEvent, shown: &Shown<'_>, language: Lang) -> Vec<Paragraph> {
    let e = &stored.event;
    let mut paragraphs = Vec::new();
    if stored.merged_into.is_some() {
        paragraphs.push(Paragraph::Text(language.t("calendar.text.merged").into()));
    } else if !stored.listed {
        paragraphs.push(Paragraph::Text(language.t("calendar.text.unlisted").into()));
    }
    if let Some(own) = own_description(shown) {
        paragraphs.push(own);
    }
    if let Some(online) = e.online_url.as_deref() {
        paragraphs.push(Paragraph::Text(format!(
            "{}{online}",
            language.t("calendar.text.online")
        )));
    }
    if !stored.sources.is_empty() {
        let mut text = language.t("calendar.text.listed_by").to_string();
        for (i, s) in stored.sources.iter().enumerate() {
            if i > 0 {
                text.push_str("; ");
            }
            if !s.department.is_empty() {
                text.push_str(crate::render::html::department_name(
                    language,
                    &s.department,
                ));
                text.push_str(" — ");
            }
            text.push_str(&s.source_name);
        }
        paragraphs.push(Paragraph::Text(text));
    }
    if let Some(url) = shown.url {
        paragraphs.push(Paragraph::Text(format!(
            "{}{url}",
            language.t("calendar.text.details")
        )));
    }
    for (other, title, url) in &shown.others {
        let label = language.t(&format!("versions.other.{other}"));
        let mut text = format!("{} {title}", if label.is_empty() { other } else { label });
        if let Some(url) = url {
            text.push_str(" — ");
            text.push_str(url);
        }
        paragraphs.push(Paragraph::Text(text));
    }
    paragraphs
}

/// The event's own description as a paragraph: its text, or the plain text of its HTML
/// (a Google export's DESCRIPTION is HTML; a page may give only HTML); with the HTML
/// sanitised when there is any.
fn own_description(shown: &Shown<'_>) -> Option<Paragraph> {
    use crate::render::html::description::{description_html_of, looks_like_html, plain_text};
    let text = shown.description_text.filter(|t| !t.trim().is_empty());
    let html_text = text.filter(|t| looks_like_html(t));
    let html_given = shown.description_html.is_some() || html_text.is_some();
    let plain = match (text, html_text, shown.description_html) {
        (Some(text), None, _) => Some(text.to_string()),
        (_, Some(html), _) => plain_text(html),
        (None, None, Some(html)) => plain_text(html),
        (None, None, None) => None,
    }
    .filter(|t| !t.trim().is_empty());
    let html = html_given
        .then(|| description_html_of(shown.description_html, shown.description_text))
        .flatten();
    match (plain, html) {
        (Some(text), html) => Some(Paragraph::Description { text, html }),
        (None, Some(html)) => Some(Paragraph::Description {
            text: plain_text(&html).unwrap_or_default(),
            html: Some(html),
        }),
        (None, None) => None,
    }
}

/// X-ALT-DESC's HTML, for an event whose description was given as HTML: each paragraph,
/// Bulletin's own as escaped text with its addresses linked.
fn alt_description(paragraphs: &[Paragraph]) -> Option<String> {
    let has_html = paragraphs
        .iter()
        .any(|p| matches!(p, Paragraph::Description { html: Some(_), .. }));
    if !has_html {
        return None;
    }
    let mut out = String::new();
    for paragraph in paragraphs {
        match paragraph {
            Paragraph::Description {
                html: Some(html), ..
            } => {
                out.push_str("<div>");
                out.push_str(html);
                out.push_str("</div>");
            }
            other => out.push_str(&crate::render::html::description::text_to_html(
                other.text(),
            )),
        }
    }
    Some(out)
}

/// LOCATION: the place's name and address (one when it holds the other), else the
/// online link; none when there is neither.
fn location(out: &mut Lines, stored: &StoredEvent, shown: &Shown<'_>) {
    let e = &stored.event;
    let name = shown.location_name.filter(|p| !p.is_empty());
    let address = shown.location_address.filter(|p| !p.is_empty());
    let parts: (&str, Option<&str>) = match (name, address) {
        (Some(name), Some(address)) if address.contains(name) => (address, None),
        (Some(name), Some(address)) if name.contains(address) => (name, None),
        (Some(name), Some(address)) => (name, Some(address)),
        (Some(one), None) | (None, Some(one)) => (one, None),
        (None, None) => match e.online_url.as_deref() {
            Some(online) if !online.is_empty() => (online, None),
            _ => return,
        },
    };
    out.line("LOCATION", None, |v| {
        v.text(parts.0);
        if let Some(address) = parts.1 {
            v.text(", ");
            v.text(address);
        }
    });
}

/// CATEGORIES: the event's tags and its listers' departments, sorted, each once.
fn categories(out: &mut Lines, stored: &StoredEvent) {
    let mut list: Vec<&str> = stored.tags.iter().map(String::as_str).collect();
    list.extend(
        stored
            .sources
            .iter()
            .map(|s| s.department.as_str())
            .filter(|d| !d.is_empty()),
    );
    if list.is_empty() {
        return;
    }
    list.sort_unstable();
    list.dedup();
    // A TEXT list: each value escaped on its own (as `escape_text`), commas between.
    out.line("CATEGORIES", None, |v| {
        for (i, category) in list.iter().enumerate() {
            if i > 0 {
                v.raw(",");
            }
            v.text(category);
        }
    });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Event;
    use crate::store::ListedBy;
    use chrono::NaiveDate;

    fn meta() -> CalendarMeta {
        CalendarMeta {
            name: "Bulletin, all events".into(),
            description: "Events from across government".into(),
            timezone: chrono_tz::America::Toronto,
            refresh: Duration::hours(1),
            uid_domain: "bulletin.example.gc.ca".into(),
            language: Lang::En,
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
                translations: vec![],
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
            versions: Vec::new(),
            first_seen: at,
            last_seen: at,
            changed: at,
            merged_into: None,
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
        assert!(text.contains("SUMMARY:No longer listed: Gone"), "{text}");
        assert!(text.contains("DESCRIPTION:No longer listed by its source."));
    }

    #[test]
    fn titles_say_cancelled_and_postponed_in_the_calendars_language() {
        let at = EventTime::At("2026-11-20T17:00:00Z".parse().unwrap());
        let mut cancelled = stored("Lunch and learn", at, None, None);
        cancelled.event.status = EventStatus::Cancelled;
        let mut postponed = stored("Dîner-causerie", at, None, None);
        postponed.event.status = EventStatus::Postponed;
        let mut said = stored("CANCELLED - Town hall", at, None, None);
        said.event.status = EventStatus::Cancelled;
        let mut report = stored("Report launch", at, None, None);
        report.event.status = EventStatus::Postponed;
        let events = [cancelled, postponed, said, report];
        let en = String::from_utf8(render(&meta(), &events)).unwrap();
        for line in [
            "SUMMARY:Cancelled: Lunch and learn\r\n",
            "SUMMARY:Postponed: Dîner-causerie\r\n",
            "SUMMARY:CANCELLED - Town hall\r\n",
            "SUMMARY:Postponed: Report launch\r\n",
        ] {
            assert!(en.contains(line), "missing {line:?} in\n{en}");
        }
        assert_eq!(en.matches("STATUS:CANCELLED").count(), 2);
        assert_eq!(en.matches("STATUS:TENTATIVE").count(), 2);
        let fr_meta = CalendarMeta {
            language: Lang::Fr,
            ..meta()
        };
        let fr = String::from_utf8(render(&fr_meta, &events)).unwrap();
        assert!(
            fr.contains("SUMMARY:Annulé\u{a0}: Lunch and learn\r\n"),
            "{fr}"
        );
        assert!(
            fr.contains("SUMMARY:Reporté\u{a0}: Dîner-causerie\r\n"),
            "{fr}"
        );
    }

    #[test]
    fn descriptions_are_in_the_calendars_language_and_never_raw_html() {
        let at = EventTime::At("2026-11-20T17:00:00Z".parse().unwrap());
        let mut event = stored("Dîner-causerie", at, None, None);
        event.sources[0].department = "Health Canada / Santé Canada".into();
        event.event.online_url = Some("https://teams.microsoft.com/l/meetup-join/x".into());
        event.event.description_text = Some(
            "Apportez votre dîner.<br><a href=\"https://example.gc.ca/inscription\">Inscription</a>"
                .into(),
        );
        let fr_meta = CalendarMeta {
            language: Lang::Fr,
            ..meta()
        };
        let unfold = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap().replace("\r\n ", "");
        let fr = unfold(render(&fr_meta, std::slice::from_ref(&event)));
        assert!(
            fr.contains(
                "DESCRIPTION:Apportez votre dîner.\\nInscription (https://example.gc.ca/inscription)\\n\\nEn ligne\u{a0}: https://teams.microsoft.com/l/meetup-join/x\\n\\nInscrit par\u{a0}: Santé Canada — Departmental events\\n\\nDétails\u{a0}: https://events.example.gc.ca/en/lunch.html\r\n"
            ),
            "{fr}"
        );
        assert!(
            fr.contains("X-ALT-DESC;FMTTYPE=text/html:<div>Apportez votre dîner.<br><a href=\"https://example.gc.ca/inscription\" rel=\"noopener noreferrer nofollow\">Inscription</a></div><p>En ligne"),
            "{fr}"
        );
        let en = unfold(render(&meta(), std::slice::from_ref(&event)));
        assert!(en.contains("\\n\\nOnline: https://teams"), "{en}");
        assert!(
            en.contains("\\n\\nListed by: Health Canada — Departmental"),
            "{en}"
        );
        assert!(en.contains("\\n\\nDetails: https://events"), "{en}");
        let description = en.lines().find(|l| l.starts_with("DESCRIPTION:")).unwrap();
        assert!(!description.contains('<'), "no tags: {description}");
        // A plain-text description gets no X-ALT-DESC.
        let plain = stored("Lunch", at, None, None);
        let text = unfold(render(&meta(), &[plain]));
        assert!(!text.contains("X-ALT-DESC"), "{text}");
    }

    #[test]
    fn an_event_joined_into_another_is_published_cancelled_saying_why() {
        let at = EventTime::At("2026-11-20T17:00:00Z".parse().unwrap());
        let mut retired = stored("Dîner-causerie", at, None, None);
        retired.listed = false;
        retired.revision = 3;
        retired.sources.clear();
        retired.merged_into = Some("kept".into());
        let fr_meta = CalendarMeta {
            language: Lang::Fr,
            ..meta()
        };
        let fr = String::from_utf8(render(&fr_meta, &[retired])).unwrap();
        assert!(
            fr.contains("SUMMARY:Remplacé\u{a0}: Dîner-causerie\r\n"),
            "{fr}"
        );
        assert!(fr.contains("STATUS:CANCELLED"), "{fr}");
        assert!(fr.contains("SEQUENCE:3"), "{fr}");
        assert!(fr.contains("DESCRIPTION:Désormais inscrit"), "{fr}");
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
