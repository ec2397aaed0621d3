//! Calendars to events: each VEVENT's times resolved on the clock it names, recurring
//! series expanded into occurrences inside a window ([`series`]), text cleaned, status
//! read. Bounded: at most [`Window::max_occurrences`] a series and
//! [`MAX_EVENTS_PER_DOCUMENT`] a calendar, within the document's CPU budget; every cut
//! is a warning.

mod series;
mod when;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use super::zones::{Zone, ZoneResolver, named_zone};
use super::{clean_text, find_online_link, sanitise_html};
use crate::budget::Budget;
use crate::extract::ical::{CalendarDocument, IcalEvent, IcalTime, PeriodEnd, RDate};
use crate::model::{Event, EventStatus, EventTime};
use series::{Component, Reading};
use when::{Clock, When};

/// A calendar yields at most this many events; the rest are left out with a warning.
pub const MAX_EVENTS_PER_DOCUMENT: usize = 100_000;

/// Which occurrences of a series are kept, and how many at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// A series yields at most this many occurrences (a runaway rule cannot flood the store).
    pub max_occurrences: usize,
}

/// Occurrences a series may have in the window, by default (a daily series over the
/// default 395-day window needs 395).
pub const MAX_OCCURRENCES_PER_SERIES: usize = 1_000;

impl Window {
    /// `past_days` back and `future_days` ahead of `now` (clamped to what dates can hold).
    pub fn around(now: DateTime<Utc>, past_days: i64, future_days: i64) -> Window {
        let shift = |days: i64| TimeDelta::try_days(days).unwrap_or(TimeDelta::MAX);
        Window {
            from: now
                .checked_sub_signed(shift(past_days))
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
            to: now
                .checked_add_signed(shift(future_days))
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
            max_occurrences: MAX_OCCURRENCES_PER_SERIES,
        }
    }
}

/// What a calendar yielded, with what could not be read.
#[derive(Debug, Default)]
pub struct CalendarEvents {
    pub events: Vec<Event>,
    pub warnings: Vec<String>,
}

/// Context for one calendar.
pub struct CalendarSource<'a> {
    pub source_id: &'a str,
    /// The zone for floating times when the file's X-WR-TIMEZONE names none: the
    /// source's own, else the service's display zone.
    pub source_zone: Option<Tz>,
    pub display_zone: Tz,
    pub window: Window,
}

/// The events of a calendar inside the window.
pub fn events_from_calendar(
    context: &CalendarSource<'_>,
    document: &CalendarDocument,
    budget: &mut Budget,
) -> CalendarEvents {
    let x_wr = document.timezone.as_deref().and_then(named_zone);
    let floating_tz = x_wr.or(context.source_zone).unwrap_or(context.display_zone);
    let floating = Zone::Iana(floating_tz);
    let mut out = CalendarEvents {
        warnings: document.skipped.clone(),
        ..Default::default()
    };
    let span_from = context
        .window
        .from
        .checked_sub_signed(TimeDelta::days(366))
        .unwrap_or(context.window.from);
    let mut resolver = ZoneResolver::new(
        &document.timezones,
        Some(context.source_zone.unwrap_or(context.display_zone)),
        span_from,
        context.window.to,
    );
    let mut reader = Reader {
        resolver: &mut resolver,
        floating: &floating,
        x_wr: x_wr.map(Zone::Iana),
        unknown: Vec::new(),
        budget,
    };
    let mut components = Vec::with_capacity(document.events.len());
    for event in &document.events {
        if let Some(component) = reader.component(event, &mut out.warnings) {
            components.push(component);
        }
    }
    for tzid in &reader.unknown {
        out.warnings.push(format!(
            "unknown time zone `{tzid}` (no VTIMEZONE defines it); its times are read as {}",
            floating_tz.name()
        ));
    }
    let budget = reader.budget;
    let mut reading = Reading {
        floating: &floating,
        from: context.window.from,
        to: context.window.to,
        max_per_series: context.window.max_occurrences,
        budget,
        warnings: &mut out.warnings,
    };
    let mut events = Vec::new();
    let mut full = false;
    for group in series::group(&components) {
        if reading.budget.check().is_err() {
            reading.warnings.push(format!(
                "{}; events after {} are left out",
                crate::budget::Exhausted(crate::budget::DOCUMENT_CPU),
                group[0].event.label()
            ));
            break;
        }
        let occurrences = series::occurrences(&group, &mut reading);
        for occurrence in occurrences {
            if events.len() >= MAX_EVENTS_PER_DOCUMENT {
                full = true;
                break;
            }
            if let Some(event) = to_event(context.source_id, &occurrence, &floating, floating_tz) {
                events.push(event);
            }
        }
        if full {
            reading.warnings.push(format!(
                "the calendar has more than {MAX_EVENTS_PER_DOCUMENT} events in the window; the rest are left out"
            ));
            break;
        }
    }
    out.events = events;
    out
}

/// Reads times on their clocks, resolving TZIDs once each.
struct Reader<'r, 'a> {
    resolver: &'r mut ZoneResolver<'a>,
    floating: &'r Zone,
    /// The file's X-WR-TIMEZONE: UTC times are read on its clock (as Google means them).
    x_wr: Option<Zone>,
    unknown: Vec<String>,
    budget: &'r mut Budget,
}

impl Reader<'_, '_> {
    fn time(&mut self, time: &IcalTime) -> Option<When> {
        Some(match time {
            IcalTime::Date(date) => When::Date(*date),
            IcalTime::Utc(at) => match &self.x_wr {
                Some(zone) => When::At {
                    local: zone.to_local(at.and_utc()),
                    clock: Clock::Zoned(zone.clone()),
                },
                None => When::At {
                    local: *at,
                    clock: Clock::Utc,
                },
            },
            IcalTime::Local { time, tzid: None } => When::At {
                local: *time,
                clock: Clock::Floating,
            },
            IcalTime::Local {
                time,
                tzid: Some(tzid),
            } => match self.resolver.resolve(tzid, self.budget) {
                Some(zone) => When::At {
                    local: *time,
                    clock: Clock::Zoned(zone),
                },
                None => {
                    if !self.unknown.contains(tzid) {
                        self.unknown.push(tzid.clone());
                    }
                    When::At {
                        local: *time,
                        clock: Clock::Floating,
                    }
                }
            },
        })
    }

    fn component<'e>(
        &mut self,
        event: &'e IcalEvent,
        warnings: &mut Vec<String>,
    ) -> Option<Component<'e>> {
        if !event.unreadable.is_empty() {
            for problem in &event.unreadable {
                warnings.push(format!("{problem}; the event is left out"));
            }
            return None;
        }
        for rule in event.rrules.iter().chain(&event.exrules) {
            if let Err(error) = crate::normalise::recurrence::Rule::parse(rule) {
                warnings.push(format!(
                    "{}: recurrence rule not understood ({error}); the event is left out",
                    event.label()
                ));
                return None;
            }
        }
        let Some(start) = event.start.as_ref() else {
            warnings.push(format!("{}: no DTSTART; skipped", event.label()));
            return None;
        };
        let start = self.time(start)?;
        let end = match (&event.end, &event.duration) {
            (Some(end), _) => self.time(end)?,
            (None, Some(duration)) => {
                let delta = duration.as_delta()?;
                // A date plus a duration with hours is a time (as the reference reads it).
                let from = match (&start, duration.seconds) {
                    (When::Date(date), seconds) if seconds != 0 => When::At {
                        local: date.and_hms_opt(0, 0, 0)?,
                        clock: Clock::Floating,
                    },
                    _ => start.clone(),
                };
                match from.plus(delta) {
                    Some(end) => end,
                    None => {
                        warnings.push(format!("{}: DURATION too large; ignored", event.label()));
                        start.clone()
                    }
                }
            }
            (None, None) => match &start {
                When::Date(date) => When::Date(date.succ_opt()?),
                at => at.clone(),
            },
        };
        let recurrence_id = match &event.recurrence_id {
            Some(id) => Some(self.time(id)?),
            None => None,
        };
        let mut rdates = Vec::new();
        let mut periods = Vec::new();
        for rdate in &event.rdates {
            match rdate {
                RDate::At(time) => rdates.extend(self.time(time)),
                RDate::Period { start, end } => {
                    let Some(start) = self.time(start) else {
                        continue;
                    };
                    let length = match end {
                        PeriodEnd::Lasting(duration) => duration.as_delta(),
                        PeriodEnd::At(end) => self
                            .time(end)
                            .and_then(|end| end.since(&start, self.floating)),
                    };
                    if let Some(length) = length {
                        periods.push((start.clone(), length));
                    }
                    rdates.push(start);
                }
            }
        }
        let exdates: Vec<When> = event.exdates.iter().filter_map(|t| self.time(t)).collect();
        // As the reference reads a component: floating times take the clock of its first
        // zoned value (DTSTART, DTEND, an EXDATE, an RDATE), keeping their wall time.
        let zoned = std::iter::once(&start)
            .chain(std::iter::once(&end))
            .chain(&exdates)
            .chain(&rdates)
            .find_map(|w| match w {
                When::At { clock, .. } if !matches!(clock, Clock::Floating) => Some(clock.clone()),
                _ => None,
            });
        let (start, end, exdates, rdates, periods) = match zoned {
            Some(clock) => {
                let adopt = |w: When| match w {
                    When::At {
                        local,
                        clock: Clock::Floating,
                    } => When::At {
                        local,
                        clock: clock.clone(),
                    },
                    other => other,
                };
                (
                    adopt(start),
                    adopt(end),
                    exdates.into_iter().map(adopt).collect(),
                    rdates.into_iter().map(adopt).collect(),
                    periods.into_iter().map(|(w, l)| (adopt(w), l)).collect(),
                )
            }
            None => (start, end, exdates, rdates, periods),
        };
        let (start, end) = comparable(start, end, self.floating);
        Some(Component {
            event,
            start,
            end,
            recurrence_id,
            rdates,
            periods,
            exdates,
        })
    }
}

/// A start and end that can be compared, as the reference readers make them: a date
/// beside a date-time becomes midnight on the date-time's clock, and an end before the
/// start is read as the start (the two were written the wrong way round).
fn comparable(start: When, end: When, floating: &Zone) -> (When, When) {
    let midnight = |date: chrono::NaiveDate, clock: &Clock| {
        date.and_hms_opt(0, 0, 0).map(|local| When::At {
            local,
            clock: clock.clone(),
        })
    };
    let (start, end) = match (&start, &end) {
        (When::Date(date), When::At { clock, .. }) => match midnight(*date, clock) {
            Some(start) => (start, end),
            None => (start, end),
        },
        (When::At { clock, .. }, When::Date(date)) => match midnight(*date, clock) {
            Some(end) => (start, end),
            None => (start, end),
        },
        _ => (start, end),
    };
    match end.since(&start, floating) {
        Some(length) if length < TimeDelta::zero() => (end, start),
        _ => (start, end),
    }
}

/// The stable id of one occurrence: the series UID and the occurrence's original start.
pub fn occurrence_uid(series: &str, original: EventTime) -> String {
    format!("{series}/{}", original.to_text())
}

fn event_time(when: &When, floating: &Zone) -> Option<EventTime> {
    Some(match when {
        When::Date(date) => EventTime::Date(*date),
        at => EventTime::At(at.instant(floating)?),
    })
}

fn to_event(
    source_id: &str,
    occurrence: &series::Occurrence<'_, '_>,
    floating: &Zone,
    floating_tz: Tz,
) -> Option<Event> {
    let event = occurrence.component.event;
    let start = event_time(&occurrence.start, floating)?;
    let mut end = event_time(&occurrence.end, floating);
    // An end before the start (or a date end for a timed start) is not an end.
    end = match (start, end) {
        (EventTime::At(s), Some(EventTime::At(e))) if e >= s => Some(EventTime::At(e)),
        (EventTime::Date(s), Some(EventTime::Date(e))) if e > s => Some(EventTime::Date(e)),
        (EventTime::Date(s), _) => s.succ_opt().map(EventTime::Date),
        _ => None,
    };
    let zone = match &occurrence.start {
        When::At {
            clock: Clock::Zoned(zone),
            ..
        } => zone.iana(),
        When::At {
            clock: Clock::Floating,
            ..
        } => Some(floating_tz),
        _ => None,
    };
    let (mut title, cancelled_by_title) =
        strip_cancellation(event.summary.as_deref().unwrap_or(""));
    if title.is_empty() {
        title = "(untitled)".to_string();
    }
    let status = match event.status.as_deref() {
        Some("CANCELLED") => EventStatus::Cancelled,
        Some("TENTATIVE") => EventStatus::Tentative,
        _ if cancelled_by_title => EventStatus::Cancelled,
        _ => EventStatus::Confirmed,
    };
    let own_uid = event
        .uid
        .clone()
        .unwrap_or_else(|| super::derived_id(&title, &start.to_text()));
    let (uid, series_uid) = match &occurrence.slot {
        Some(slot) => (
            occurrence_uid(&own_uid, event_time(slot, floating)?),
            Some(own_uid),
        ),
        None => (own_uid, None),
    };
    Some(Event {
        source_id: source_id.to_string(),
        uid,
        series_uid,
        title,
        description_text: event
            .description
            .as_deref()
            .map(clean_text)
            .filter(|d| !d.is_empty()),
        description_html: event
            .description_html
            .as_deref()
            .map(|h| sanitise_html(h, None))
            .filter(|h| !h.is_empty()),
        start,
        end,
        timezone: zone.map(|z| z.name().to_string()),
        location_name: event
            .location
            .as_deref()
            .map(clean_text)
            .filter(|l| !l.is_empty()),
        location_address: None,
        online_url: event
            .conference
            .as_deref()
            .and_then(|u| super::resolve(u, None))
            .or_else(|| {
                find_online_link([event.location.as_deref(), event.description.as_deref()])
            }),
        url: event.url.as_deref().and_then(|u| super::resolve(u, None)),
        organiser: event.organizer.clone(),
        language: event.language.clone(),
        status,
        categories: event.categories.clone(),
        translations: Vec::new(),
    })
}

/// Outlook puts "Canceled: " before a cancelled meeting's title.
fn strip_cancellation(summary: &str) -> (String, bool) {
    let summary = clean_text(summary);
    for prefix in [
        "Canceled:",
        "Cancelled:",
        "CANCELLED:",
        "CANCELED:",
        "Annulé :",
        "Annulé:",
    ] {
        if let Some(rest) = summary.strip_prefix(prefix) {
            return (rest.trim().to_string(), true);
        }
    }
    (summary, false)
}

#[cfg(test)]
mod tests;
