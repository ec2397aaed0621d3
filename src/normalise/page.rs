//! Page events to events: dates read (markup's ISO 8601 as dateutil's `isoparse` reads
//! it, or page text in English or French), links made absolute against the page,
//! schema.org status read, descriptions cleaned, and a stable id chosen (the page's
//! identifier, else the event's URL, else a hash of title and start).
//!
//! Markup dates follow the reference rules (fixtures/reference/pages/README.md, rules
//! 16–17): a date-only start is an all-day event, whose end date is inclusive; a date-time
//! without an offset is read in the source's zone; a start that cannot be read skips the
//! event, an end that cannot be read is dropped. [`choose`] takes the most trusted method
//! that yields an event.

use chrono::{NaiveDate, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use url::Url;

use super::dates::{When, parse_markup, parse_text, written_date};
use super::dedup::language::same_page;
use super::language;
use super::zones::local_to_utc;
use super::{clean_text, derived_id, find_online_link, plain_text, resolve, sanitise_html};
use crate::extract::html::{DateStyle, Method, PageDocument, PageEvent};
use crate::markup::TextBody;
use crate::model::{Event, EventStatus, EventTime, Translation};

/// Context for one page.
pub struct PageSource<'a> {
    pub source_id: &'a str,
    pub page_url: &'a str,
    pub page_language: Option<&'a str>,
    /// The zone of times written without an offset.
    pub zone: Tz,
    /// The operator's date format for this source, if any.
    pub date_format: Option<&'a str>,
    /// Dates without a year are placed on or after this day.
    pub today: NaiveDate,
    /// The page in other languages (see [`alternates`]): the translations of the event
    /// of a page that describes one.
    pub alternates: Vec<Translation>,
}

/// A page's links to itself in other languages, made absolute against the page, with
/// their language codes; links in the page's own language and to the page itself are
/// not translations.
pub fn alternates(
    page_url: &str,
    page_language: Option<&str>,
    found: &[(String, String)],
) -> Vec<Translation> {
    let base = Url::parse(page_url).ok();
    let own = page_language.and_then(language::code);
    let mut out: Vec<Translation> = Vec::new();
    for (tag, href) in found {
        let Some(code) = language::code(tag) else {
            continue;
        };
        let Some(url) = resolve(href, base.as_ref()) else {
            continue;
        };
        if Some(&code) == own.as_ref() || same_page(&url, page_url) {
            continue;
        }
        if !out
            .iter()
            .any(|t| t.language == code && same_page(&t.url, &url))
        {
            out.push(Translation {
                language: code,
                url,
            });
        }
    }
    out
}

/// A page's events, read.
#[derive(Debug, Default)]
pub struct PageEvents {
    pub events: Vec<Event>,
    pub warnings: Vec<String>,
    /// Listings without a readable start that link to a page of their own on the same
    /// site: the detail page may say when. Each comes with the warning to give if not.
    pub incomplete: Vec<(PageEvent, String)>,
}

/// Converts the page's events; those whose start cannot be read are reported, or
/// returned as incomplete when their own page might complete them.
pub fn events_from_page(context: &PageSource<'_>, found: &[PageEvent]) -> PageEvents {
    let base = Url::parse(context.page_url).ok();
    let mut out = PageEvents::default();
    for page_event in found {
        match event(context, base.as_ref(), page_event) {
            Ok(event) => out.events.push(event),
            Err(warning) => {
                let detail = page_event
                    .url
                    .as_deref()
                    .and_then(|u| resolve(u, base.as_ref()))
                    .filter(|u| same_host(u, base.as_ref()));
                match detail {
                    Some(url) if page_event.name.is_some() => {
                        let mut incomplete = page_event.clone();
                        incomplete.url = Some(url);
                        out.incomplete.push((incomplete, warning));
                    }
                    _ => out.warnings.push(warning),
                }
            }
        }
    }
    // A page that describes one event is that event's page: its language toggle and
    // alternates link the event's translations.
    if let [event] = out.events.as_mut_slice()
        && found.len() == 1
    {
        for alternate in &context.alternates {
            if !event.translations.contains(alternate) {
                event.translations.push(alternate.clone());
            }
        }
    }
    out
}

/// The events of the most trusted method whose listings yield at least one event; failing
/// that, the first method with listings whose own pages may say when; and which method it
/// was.
pub fn choose(context: &PageSource<'_>, page: &PageDocument) -> (Option<Method>, PageEvents) {
    let mut fallback: Option<(Method, PageEvents)> = None;
    for (method, found) in &page.found {
        if found.is_empty() {
            continue;
        }
        let read = events_from_page(context, found);
        if !read.events.is_empty() {
            return (Some(*method), read);
        }
        if fallback.is_none() && !read.incomplete.is_empty() {
            fallback = Some((*method, read));
        }
    }
    match fallback {
        Some((method, read)) => (Some(method), read),
        None => (None, PageEvents::default()),
    }
}

fn same_host(url: &str, base: Option<&Url>) -> bool {
    let host = Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    host.is_some() && host == base.and_then(|b| b.host_str().map(str::to_ascii_lowercase))
}

/// Fills what a listing lacks from the event its own page describes.
pub fn complete_from_detail(listing: &PageEvent, detail: &PageEvent) -> PageEvent {
    let mut out = listing.clone();
    macro_rules! fill {
        ($($field:ident),*) => {$( if out.$field.is_none() { out.$field = detail.$field.clone(); } )*};
    }
    // The listing's start was unreadable or absent: the detail page's wins.
    if detail.start.is_some() {
        out.start = detail.start.clone();
        out.end = detail.end.clone().or(out.end.take());
        out.date_style = detail.date_style;
    }
    fill!(
        end,
        location_name,
        location_address,
        online_url,
        description,
        organiser,
        language,
        status,
        attendance_mode,
        id
    );
    if out.translations.is_empty() {
        out.translations = detail.translations.clone();
    }
    out
}

fn to_event_time(when: When, zone: Tz) -> (EventTime, Option<Tz>) {
    match when {
        When::Date(date) => (EventTime::Date(date), None),
        When::Local(local) => (EventTime::At(local_to_utc(local, zone)), Some(zone)),
        When::Instant(at) => {
            let utc = at.with_timezone(&Utc);
            // The offset alone does not name a zone; the source's zone is kept when it agrees.
            let agrees = zone.offset_from_utc_datetime(&utc.naive_utc()).fix() == *at.offset();
            (EventTime::At(utc), agrees.then_some(zone))
        }
    }
}

fn event(context: &PageSource<'_>, base: Option<&Url>, found: &PageEvent) -> Result<Event, String> {
    // The extractors give the title as final text (entities already decoded once).
    let title = found
        .name
        .as_deref()
        .map(crate::extract::html::collapse)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| format!("{}: an event without a name was skipped", context.page_url))?;
    let start_text = found
        .start
        .as_deref()
        .ok_or_else(|| format!("{}: “{title}” has no start date; skipped", context.page_url))?;
    let unreadable = || {
        format!(
            "{}: “{title}”: the start `{start_text}` is not a date Bulletin can read; skipped",
            context.page_url
        )
    };
    let (start, zone, end) = match found.date_style {
        DateStyle::Iso => {
            let start_when = parse_markup(start_text).ok_or_else(unreadable)?;
            let end_when = found.end.as_deref().and_then(parse_markup);
            markup_times(start_when, end_when, context.zone)
        }
        DateStyle::Text => {
            let (start_when, range_end) =
                parse_text(start_text, context.date_format, context.today)
                    .ok_or_else(unreadable)?;
            text_times(start_when, range_end, found.end.as_deref(), context)
        }
    };
    let end = end.or(match start {
        EventTime::Date(date) => date.succ_opt().map(EventTime::Date),
        EventTime::At(_) => None,
    });
    let status = found
        .status
        .as_deref()
        .map(status)
        .unwrap_or(EventStatus::Confirmed);
    let url = found.url.as_deref().and_then(|u| page_link(u, base));
    let online_url = found
        .online_url
        .as_deref()
        .and_then(|u| resolve(u, base))
        .or_else(|| {
            find_online_link([found.description.as_deref(), found.location_name.as_deref()])
        });
    let (description_text, description_html) = match found.description.as_deref() {
        Some(d) if d.contains('<') => (
            Some(plain_text(&TextBody {
                text: d.to_string(),
                is_html: true,
            })),
            Some(sanitise_html(d, base)),
        ),
        Some(d) => (Some(clean_text(d)), None),
        None => (None, None),
    };
    let id = found
        .id
        .as_deref()
        .map(|id| resolve(id, base).unwrap_or_else(|| id.to_string()))
        .or_else(|| url.clone())
        .unwrap_or_else(|| derived_id(&title, &start.to_text()));
    Ok(Event {
        source_id: context.source_id.to_string(),
        uid: id,
        series_uid: None,
        title,
        description_text: description_text.filter(|d| !d.is_empty()),
        description_html: description_html.filter(|d| !d.is_empty()),
        start,
        end,
        timezone: zone.map(|z| z.name().to_string()),
        location_name: found.location_name.clone().filter(|l| !l.is_empty()),
        location_address: found.location_address.clone().filter(|l| !l.is_empty()),
        online_url,
        url,
        organiser: found.organiser.clone(),
        language: found
            .language
            .clone()
            .or_else(|| context.page_language.map(str::to_string)),
        status,
        categories: found.categories.clone(),
        translations: found
            .translations
            .iter()
            .filter_map(|(tag, href)| {
                Some(Translation {
                    language: tag.as_deref().and_then(language::code).unwrap_or_default(),
                    url: page_link(href, base)?,
                })
            })
            .collect(),
    })
}

/// Start, zone and end of a markup event (rule 17): a date-only start is all day and its
/// end, a date or the date a date-time names, is inclusive; a timed event's date-only end
/// is the midnight after it, in the source's zone. Fractions of a second are dropped.
fn markup_times(
    start: When,
    end: Option<When>,
    zone: Tz,
) -> (EventTime, Option<Tz>, Option<EventTime>) {
    let (start_time, start_zone) = to_event_time(start, zone);
    let end = end.and_then(|end| match (start_time, end) {
        (EventTime::Date(_), end) => written_date(&end).succ_opt().map(EventTime::Date),
        (EventTime::At(_), When::Date(day)) => day
            .succ_opt()
            .and_then(|next| next.and_hms_opt(0, 0, 0))
            .map(|midnight| EventTime::At(local_to_utc(midnight, zone))),
        (EventTime::At(_), end) => Some(to_event_time(end, zone).0),
    });
    (
        whole_seconds(start_time),
        start_zone,
        end.map(whole_seconds),
    )
}

fn whole_seconds(time: EventTime) -> EventTime {
    match time {
        EventTime::At(at) => EventTime::At(at.with_nanosecond(0).unwrap_or(at)),
        date => date,
    }
}

/// Start, zone and end of an event whose dates are page text.
fn text_times(
    start_when: When,
    range_end: Option<When>,
    end_text: Option<&str>,
    context: &PageSource<'_>,
) -> (EventTime, Option<Tz>, Option<EventTime>) {
    let end_when = match end_text {
        Some(end) => match parse_text(end, context.date_format, context.today) {
            Some((When::Local(t), _))
                if matches!(start_when, When::Local(_))
                    && !end.chars().any(|c| c.is_ascii_alphabetic() && c != 'h')
                    && end.len() <= 8 =>
            {
                Some(When::Local(t))
            }
            Some((when, _)) => Some(when),
            None => None,
        },
        None => range_end,
    };
    let (start, zone) = to_event_time(start_when, context.zone);
    let end = end_when
        .map(|w| to_event_time(w, context.zone).0)
        .map(|end| match (start, end) {
            // An all-day end written as the last day is made exclusive.
            (EventTime::Date(s), EventTime::Date(e)) if e >= s => {
                EventTime::Date(e.succ_opt().unwrap_or(e))
            }
            (_, end) => end,
        });
    (start, zone, end)
}

/// An event's link: relative ones joined to the page, absolute ones kept as written (as
/// Python's `urljoin` does); only web links are kept.
fn page_link(value: &str, base: Option<&Url>) -> Option<String> {
    let value = value.trim_matches(char::is_whitespace);
    if value.is_empty() {
        return None;
    }
    match Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Some(value.to_string()),
        Ok(_) => None,
        Err(url::ParseError::RelativeUrlWithoutBase) => resolve(value, base),
        Err(_) => None,
    }
}

/// schema.org eventStatus (rule 15): the name after the last `/`, then after the last `:`,
/// exactly `EventCancelled` or `EventPostponed`; anything else is confirmed.
fn status(value: &str) -> EventStatus {
    let value = value.trim_matches(char::is_whitespace);
    let name = value.rsplit('/').next().unwrap_or(value);
    let name = name.rsplit(':').next().unwrap_or(name);
    match name {
        "EventCancelled" => EventStatus::Cancelled,
        "EventPostponed" => EventStatus::Postponed,
        _ => EventStatus::Confirmed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> PageSource<'static> {
        PageSource {
            source_id: "page",
            page_url: "https://events.example.gc.ca/en/events.html",
            page_language: Some("en-CA"),
            zone: chrono_tz::America::Toronto,
            date_format: None,
            today: NaiveDate::from_ymd_opt(2026, 1, 15).unwrap(),
            alternates: Vec::new(),
        }
    }

    #[test]
    fn markup_dates_links_and_status() {
        let found = PageEvent {
            name: Some("Lunch & learn".into()),
            start: Some("2026-11-18T12:00:00-05:00".into()),
            end: Some("2026-11-18T13:00:00-05:00".into()),
            url: Some("/en/events/lunch.html".into()),
            status: Some("https://schema.org/EventCancelled".into()),
            ..PageEvent::default()
        };
        let read = events_from_page(&context(), &[found]);
        assert!(read.warnings.is_empty());
        let e = &read.events[0];
        assert_eq!(e.title, "Lunch & learn");
        assert_eq!(e.start.to_text(), "2026-11-18T17:00:00Z");
        assert_eq!(e.end.unwrap().to_text(), "2026-11-18T18:00:00Z");
        assert_eq!(e.timezone.as_deref(), Some("America/Toronto"));
        assert_eq!(
            e.url.as_deref(),
            Some("https://events.example.gc.ca/en/events/lunch.html")
        );
        assert_eq!(e.uid, "https://events.example.gc.ca/en/events/lunch.html");
        assert_eq!(e.status, EventStatus::Cancelled);
        assert_eq!(e.language.as_deref(), Some("en-CA"));
    }

    #[test]
    fn listings_without_times_are_completed_from_their_own_page() {
        let listing = PageEvent {
            name: Some("Town hall".into()),
            url: Some("/en/events/town-hall.html".into()),
            ..PageEvent::default()
        };
        let elsewhere = PageEvent {
            name: Some("Elsewhere".into()),
            url: Some("https://other.example.org/e".into()),
            ..PageEvent::default()
        };
        let read = events_from_page(&context(), &[listing, elsewhere]);
        assert_eq!(
            read.incomplete.len(),
            1,
            "only same-site pages are followed"
        );
        assert_eq!(read.warnings.len(), 1);
        let (pending, _) = &read.incomplete[0];
        assert_eq!(
            pending.url.as_deref(),
            Some("https://events.example.gc.ca/en/events/town-hall.html")
        );
        let detail = PageEvent {
            name: Some("Town hall (full title)".into()),
            start: Some("2026-12-01T14:00:00-05:00".into()),
            location_name: Some("Atrium".into()),
            ..PageEvent::default()
        };
        let completed = complete_from_detail(pending, &detail);
        assert_eq!(
            completed.name.as_deref(),
            Some("Town hall"),
            "the listing's title stays"
        );
        let read = events_from_page(&context(), &[completed]);
        assert_eq!(read.events[0].start.to_text(), "2026-12-01T19:00:00Z");
        assert_eq!(read.events[0].location_name.as_deref(), Some("Atrium"));
    }

    #[test]
    fn an_offset_keeps_the_sources_zone_only_when_they_agree() {
        let toronto = chrono_tz::America::Toronto;
        let winter = When::Instant(
            chrono::DateTime::parse_from_rfc3339("2026-01-20T12:00:00-05:00").unwrap(),
        );
        let summer_wrong = When::Instant(
            chrono::DateTime::parse_from_rfc3339("2026-07-20T12:00:00-05:00").unwrap(),
        );
        let london = When::Instant(
            chrono::DateTime::parse_from_rfc3339("2026-01-20T12:00:00+00:00").unwrap(),
        );
        assert_eq!(to_event_time(winter, toronto).1, Some(toronto));
        assert_eq!(
            to_event_time(summer_wrong, toronto).1,
            None,
            "Toronto is -04:00 in July"
        );
        assert_eq!(to_event_time(london, toronto).1, None);
        assert_eq!(
            to_event_time(london, toronto).0.to_text(),
            "2026-01-20T12:00:00Z"
        );
    }

    #[test]
    fn text_dates_all_day_and_unreadable_ones() {
        let french = PageEvent {
            name: Some("Café-causerie".into()),
            start: Some("le 12 mars 2026, de 12 h à 13 h".into()),
            date_style: DateStyle::Text,
            ..PageEvent::default()
        };
        let all_day = PageEvent {
            name: Some("Journée".into()),
            start: Some("2026-12-03".into()),
            date_style: DateStyle::Text,
            ..PageEvent::default()
        };
        let vague = PageEvent {
            name: Some("Soon".into()),
            start: Some("to be announced".into()),
            date_style: DateStyle::Text,
            ..PageEvent::default()
        };
        let read = events_from_page(&context(), &[french, all_day, vague]);
        let (events, warnings) = (read.events, read.warnings);
        assert_eq!(events[0].start.to_text(), "2026-03-12T16:00:00Z");
        assert_eq!(events[0].end.unwrap().to_text(), "2026-03-12T17:00:00Z");
        assert!(events[0].uid.starts_with("sha256:"));
        assert_eq!(
            (events[1].start.to_text(), events[1].end.unwrap().to_text()),
            ("2026-12-03".into(), "2026-12-04".into())
        );
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("“Soon”"), "{}", warnings[0]);
    }

    #[test]
    fn markup_end_rules_and_exact_statuses() {
        let event = |start: &str, end: Option<&str>, status: Option<&str>| PageEvent {
            name: Some("E".into()),
            start: Some(start.into()),
            end: end.map(str::to_string),
            status: status.map(str::to_string),
            ..PageEvent::default()
        };
        let read = events_from_page(
            &context(),
            &[
                event(
                    "2026-03-12",
                    Some("2026-03-13T10:00:00+09:00"),
                    Some("Cancelled"),
                ),
                event(
                    "2026-03-12T10:00:00.999Z",
                    Some("2026-03-12"),
                    Some("schema:EventPostponed"),
                ),
                event(
                    "2026-03-12T24:00",
                    Some("later"),
                    Some(" https://schema.org/EventCancelled "),
                ),
                event("2026-W12", Some("2026-03"), None),
                event("March 12, 2026", None, None),
            ],
        );
        let times: Vec<(String, Option<String>, EventStatus)> = read
            .events
            .iter()
            .map(|e| (e.start.to_text(), e.end.map(|t| t.to_text()), e.status))
            .collect();
        assert_eq!(
            times,
            [
                (
                    "2026-03-12".into(),
                    Some("2026-03-14".into()),
                    EventStatus::Confirmed
                ),
                (
                    "2026-03-12T10:00:00Z".into(),
                    Some("2026-03-13T04:00:00Z".into()),
                    EventStatus::Postponed
                ),
                ("2026-03-13T04:00:00Z".into(), None, EventStatus::Cancelled),
                (
                    "2026-03-16".into(),
                    Some("2026-03-02".into()),
                    EventStatus::Confirmed
                ),
            ]
        );
        assert_eq!(
            read.warnings.len(),
            1,
            "the prose start is skipped: {:?}",
            read.warnings
        );
    }

    #[test]
    fn the_first_method_with_a_readable_event_is_chosen() {
        let unreadable = PageEvent {
            name: Some("Later".into()),
            start: Some("soon".into()),
            ..PageEvent::default()
        };
        let good = PageEvent {
            name: Some("Now".into()),
            start: Some("2026-03-12".into()),
            ..PageEvent::default()
        };
        let page = PageDocument {
            found: vec![
                (Method::JsonLd, vec![unreadable]),
                (Method::Microdata, vec![]),
                (Method::Rdfa, vec![good]),
            ],
            ..PageDocument::default()
        };
        let (method, read) = choose(&context(), &page);
        assert_eq!(method, Some(Method::Rdfa));
        assert_eq!(read.events[0].title, "Now");
    }
}
