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
use crate::extract::TextBody;
use crate::extract::html::PageEvent;
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

/// Converts the page's events; those whose start cannot be read are reported instead.
pub fn events_from_page(
    context: &PageSource<'_>,
    found: &[PageEvent],
) -> (Vec<Event>, Vec<String>) {
    let base = Url::parse(context.page_url).ok();
    let mut events = Vec::new();
    let mut warnings = Vec::new();
    for page_event in found {
        match event(context, base.as_ref(), page_event) {
            Ok(event) => events.push(event),
            Err(warning) => warnings.push(warning),
        }
    }
    (events, warnings)
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
                is_html: n.contains('<'),
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
        let (events, warnings) = events_from_page(&context(), &[found]);
        assert!(warnings.is_empty());
        let e = &events[0];
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
        let (events, warnings) = events_from_page(&context(), &[french, all_day, vague]);
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
