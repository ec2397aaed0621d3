//! Page events to events: dates read (markup's ISO 8601, or page text in English or
//! French), links made absolute against the page, schema.org status read, descriptions
//! cleaned, and a stable id chosen (the page's identifier, else the event's URL, else a
//! hash of title and start).

use chrono::{NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use url::Url;

use super::dates::{When, parse_text};
use super::zones::local_to_utc;
use super::{clean_text, derived_id, find_online_link, plain_text, resolve, sanitise_html};
use crate::extract::html::PageEvent;
use crate::markup::TextBody;
use crate::model::{Event, EventStatus, EventTime};

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
    out
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
    let title = found
        .name
        .as_deref()
        .map(|n| {
            plain_text(&TextBody {
                text: n.to_string(),
                is_html: false,
            })
        })
        .filter(|n| !n.is_empty())
        .ok_or_else(|| format!("{}: an event without a name was skipped", context.page_url))?;
    let start_text = found
        .start
        .as_deref()
        .ok_or_else(|| format!("{}: “{title}” has no start date; skipped", context.page_url))?;
    let (start_when, range_end) = parse_text(start_text, context.date_format, context.today)
        .ok_or_else(|| {
            format!(
                "{}: “{title}”: the start `{start_text}` is not a date Bulletin can read; skipped",
                context.page_url
            )
        })?;
    let end_when = match found.end.as_deref() {
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
    let end = end.or(match start {
        EventTime::Date(date) => date.succ_opt().map(EventTime::Date),
        EventTime::At(_) => None,
    });
    let status = found
        .status
        .as_deref()
        .map(status)
        .unwrap_or(EventStatus::Confirmed);
    let url = found.url.as_deref().and_then(|u| resolve(u, base));
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
    })
}

/// schema.org eventStatus, as a URL or a bare name.
fn status(value: &str) -> EventStatus {
    let name = value
        .rsplit(['/', ':'])
        .next()
        .unwrap_or(value)
        .to_ascii_lowercase();
    match name.as_str() {
        "eventcancelled" | "cancelled" | "canceled" => EventStatus::Cancelled,
        "eventpostponed" | "postponed" => EventStatus::Postponed,
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
        }
    }

    #[test]
    fn markup_dates_links_and_status() {
        let found = PageEvent {
            name: Some("Lunch &amp; learn".into()),
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
            ..PageEvent::default()
        };
        let all_day = PageEvent {
            name: Some("Journée".into()),
            start: Some("2026-12-03".into()),
            ..PageEvent::default()
        };
        let vague = PageEvent {
            name: Some("Soon".into()),
            start: Some("to be announced".into()),
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
}
