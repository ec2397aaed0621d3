//! Calendars to events: each VEVENT's times resolved to instants in the zone it names,
//! recurring series expanded into occurrences inside a window (RRULE, RDATE, EXDATE,
//! RECURRENCE-ID overrides and cancelled occurrences), text cleaned, status read.
//!
//! Recurrence is computed by the rrule crate; what it is handed is normalised first
//! (IANA zones only, UNTIL in UTC, floating times in the source's zone, date-valued
//! EXDATEs at the series' time of day), as its documented pitfalls require.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use rrule::RRuleSet;

use super::zones::{ZoneResolver, local_to_utc};
use super::{clean_text, find_online_link, sanitise_html};
use crate::extract::ical::{CalendarDocument, IcalEvent, IcalTime};
use crate::model::{Event, EventStatus, EventTime};

/// Which occurrences of a series are kept, and how many at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// A series yields at most this many occurrences (a runaway rule cannot flood the store).
    pub max_occurrences: u16,
}

impl Window {
    /// `past_days` back and `future_days` ahead of `now`.
    pub fn around(now: DateTime<Utc>, past_days: i64, future_days: i64) -> Window {
        Window {
            from: now - Duration::days(past_days),
            to: now + Duration::days(future_days),
            max_occurrences: 500,
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
    /// The zone for floating times: the source's own, else the file's X-WR-TIMEZONE,
    /// else the service's display zone.
    pub source_zone: Option<Tz>,
    pub display_zone: Tz,
    pub window: Window,
}

pub fn events_from_calendar(
    context: &CalendarSource<'_>,
    document: &CalendarDocument,
) -> CalendarEvents {
    let floating = context
        .source_zone
        .or_else(|| {
            document
                .timezone
                .as_deref()
                .and_then(super::zones::named_zone)
        })
        .unwrap_or(context.display_zone);
    let resolver = ZoneResolver {
        vtimezones: &document.timezones,
        preferred: Some(context.source_zone.unwrap_or(context.display_zone)),
    };
    let mut out = CalendarEvents {
        warnings: document.skipped.clone(),
        ..Default::default()
    };
    let times = Times { resolver, floating };

    // Overrides (RECURRENCE-ID) belong to their series by UID.
    let mut overrides: HashMap<&str, Vec<&IcalEvent>> = HashMap::new();
    for event in document.events.iter().filter(|e| e.recurrence_id.is_some()) {
        if let Some(uid) = event.uid.as_deref() {
            overrides.entry(uid).or_default().push(event);
        }
    }
    let masters: Vec<&IcalEvent> = document
        .events
        .iter()
        .filter(|e| e.recurrence_id.is_none())
        .collect();
    for (index, master) in masters.iter().enumerate() {
        let Some(base) = convert(context.source_id, master, &times, &mut out.warnings, index)
        else {
            continue;
        };
        let series_overrides = master
            .uid
            .as_deref()
            .and_then(|uid| overrides.remove(uid))
            .unwrap_or_default();
        if master.rrule.is_some() || !master.rdates.is_empty() {
            expand(context, master, base, &series_overrides, &times, &mut out);
        } else {
            out.events.push(base);
        }
    }
    // Overrides whose series is not in the file stand alone.
    let mut orphans: Vec<_> = overrides.into_values().flatten().collect();
    orphans.sort_by_key(|e| e.uid.clone());
    for (index, orphan) in orphans.into_iter().enumerate() {
        if let Some(mut event) =
            convert(context.source_id, orphan, &times, &mut out.warnings, index)
        {
            let original = orphan
                .recurrence_id
                .as_ref()
                .and_then(|r| times.event_time(r, &mut out.warnings).map(|(t, _)| t));
            if let Some(original) = original {
                event.series_uid = Some(event.uid.clone());
                event.uid = occurrence_uid(&event.uid, original);
            }
            out.events.push(event);
        }
    }
    out
}

struct Times<'a> {
    resolver: ZoneResolver<'a>,
    floating: Tz,
}

impl Times<'_> {
    /// An instant (or date) and the zone it was written in.
    fn event_time(
        &self,
        time: &IcalTime,
        warnings: &mut Vec<String>,
    ) -> Option<(EventTime, Option<Tz>)> {
        Some(match time {
            IcalTime::Date(date) => (EventTime::Date(*date), None),
            IcalTime::Utc(at) => (EventTime::At(at.and_utc()), None),
            IcalTime::Local { time, tzid: None } => (
                EventTime::At(local_to_utc(*time, self.floating)),
                Some(self.floating),
            ),
            IcalTime::Local {
                time,
                tzid: Some(tzid),
            } => {
                let zone = self.resolver.resolve(tzid).unwrap_or_else(|| {
                    warnings.push(format!(
                        "unknown time zone `{tzid}`; read as {}",
                        self.floating.name()
                    ));
                    self.floating
                });
                (EventTime::At(local_to_utc(*time, zone)), Some(zone))
            }
        })
    }
}

/// The stable id of one occurrence: the series UID and the occurrence's original start.
pub fn occurrence_uid(series: &str, original: EventTime) -> String {
    format!("{series}/{}", original.to_text())
}

fn convert(
    source_id: &str,
    event: &IcalEvent,
    times: &Times,
    warnings: &mut Vec<String>,
    index: usize,
) -> Option<Event> {
    let label = event
        .uid
        .clone()
        .unwrap_or_else(|| format!("event {}", index + 1));
    let Some(start_raw) = &event.start else {
        warnings.push(format!("{label}: no DTSTART; skipped"));
        return None;
    };
    let (start, zone) = times.event_time(start_raw, warnings)?;
    let end = match (&event.end, &event.duration) {
        (Some(end), _) => times.event_time(end, warnings).map(|(t, _)| t),
        (None, Some(duration)) => add_duration(start, duration, zone),
        // RFC 5545: a date start without end lasts one day; a date-time start without end is an instant.
        (None, None) => match start {
            EventTime::Date(date) => date.succ_opt().map(EventTime::Date),
            EventTime::At(_) => None,
        },
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
    let description_text = event
        .description
        .as_deref()
        .map(clean_text)
        .filter(|d| !d.is_empty());
    let url = event.url.as_deref().and_then(|u| super::resolve(u, None));
    let online_url = event
        .conference
        .as_deref()
        .and_then(|u| super::resolve(u, None))
        .or_else(|| find_online_link([event.location.as_deref(), event.description.as_deref()]));
    let uid = event
        .uid
        .clone()
        .unwrap_or_else(|| super::derived_id(&title, &start.to_text()));
    Some(Event {
        source_id: source_id.to_string(),
        uid,
        series_uid: None,
        title,
        description_text,
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
        online_url,
        url,
        organiser: event.organizer.clone(),
        language: event.language.clone(),
        status,
        categories: event.categories.clone(),
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

fn add_duration(start: EventTime, duration: &str, zone: Option<Tz>) -> Option<EventTime> {
    let parsed: std::time::Duration = iso8601::duration(duration.trim()).ok()?.into();
    let duration = Duration::from_std(parsed).ok()?;
    Some(match start {
        EventTime::Date(date) => EventTime::Date(date + Duration::days(duration.num_days().max(1))),
        EventTime::At(at) => {
            // Whole days keep the wall-clock time across a DST change (RFC 5545 §3.3.6).
            let days = duration.num_days();
            match zone {
                Some(zone) if days > 0 && duration == Duration::days(days) => {
                    let local = at.with_timezone(&zone).naive_local() + duration;
                    EventTime::At(local_to_utc(local, zone))
                }
                _ => EventTime::At(at + duration),
            }
        }
    })
}

fn expand(
    context: &CalendarSource<'_>,
    master: &IcalEvent,
    base: Event,
    overrides: &[&IcalEvent],
    times: &Times,
    out: &mut CalendarEvents,
) {
    let label = base.uid.clone();
    let zone: Tz = base
        .timezone
        .as_deref()
        .and_then(|z| z.parse().ok())
        .unwrap_or(chrono_tz::UTC);
    let all_day = base.all_day();
    let length = match (base.start, base.end) {
        (EventTime::At(s), Some(EventTime::At(e))) => Some(e - s),
        (EventTime::Date(s), Some(EventTime::Date(e))) => Some(Duration::days((e - s).num_days())),
        _ => None,
    };
    let set = match rule_set(master, &base, zone, times, &mut out.warnings) {
        Ok(set) => set,
        Err(error) => {
            out.warnings.push(format!(
                "{label}: recurrence not understood ({error}); only the first occurrence is kept"
            ));
            out.events.push(base);
            return;
        }
    };
    let window = context.window;
    let rz: rrule::Tz = zone.into();
    let from = window.from.with_timezone(&rz) - Duration::seconds(1);
    let to = window.to.with_timezone(&rz);
    let result = set.after(from).before(to).all(window.max_occurrences);
    if result.limited {
        out.warnings.push(format!(
            "{label}: more than {} occurrences in the window; the rest are left out",
            window.max_occurrences
        ));
    }
    // Overrides by their original start.
    let mut by_original: HashMap<EventTime, &IcalEvent> = HashMap::new();
    for over in overrides {
        if let Some((original, _)) = over
            .recurrence_id
            .as_ref()
            .and_then(|r| times.event_time(r, &mut out.warnings))
        {
            by_original.insert(normal_time(original, all_day, zone), over);
        }
    }
    for occurrence in result.dates {
        let start = if all_day {
            EventTime::Date(occurrence.date_naive())
        } else {
            EventTime::At(occurrence.with_timezone(&Utc))
        };
        let uid = occurrence_uid(&base.uid, start);
        let event = match by_original.remove(&start) {
            Some(over) => match convert(context.source_id, over, times, &mut out.warnings, 0) {
                Some(mut moved) => {
                    moved.uid = uid;
                    moved.series_uid = Some(base.uid.clone());
                    if moved.description_text.is_none() {
                        moved.description_text = base.description_text.clone();
                    }
                    moved
                }
                None => continue,
            },
            None => Event {
                uid,
                series_uid: Some(base.uid.clone()),
                start,
                end: length.map(|l| match start {
                    EventTime::Date(d) => EventTime::Date(d + l),
                    EventTime::At(t) => EventTime::At(t + l),
                }),
                ..base.clone()
            },
        };
        out.events.push(event);
    }
    // Overrides moved into the window from an original start the rule did not produce here.
    for (original, over) in by_original {
        if let Some(mut moved) = convert(context.source_id, over, times, &mut out.warnings, 0) {
            let at = moved.start.instant(zone);
            if at >= window.from && at <= window.to {
                moved.uid = occurrence_uid(&base.uid, original);
                moved.series_uid = Some(base.uid.clone());
                out.events.push(moved);
            }
        }
    }
}

/// A RECURRENCE-ID in the same form the expansion produces.
fn normal_time(time: EventTime, all_day: bool, zone: Tz) -> EventTime {
    match (time, all_day) {
        (EventTime::At(at), true) => EventTime::Date(at.with_timezone(&zone).date_naive()),
        (EventTime::Date(date), false) => EventTime::At(local_to_utc(
            date.and_hms_opt(0, 0, 0).expect("midnight"),
            zone,
        )),
        (time, _) => time,
    }
}

fn rule_set(
    master: &IcalEvent,
    base: &Event,
    zone: Tz,
    times: &Times,
    warnings: &mut Vec<String>,
) -> Result<RRuleSet, String> {
    let rz: rrule::Tz = zone.into();
    let start_local: NaiveDateTime = match base.start {
        EventTime::Date(date) => date.and_hms_opt(0, 0, 0).expect("midnight"),
        EventTime::At(at) => at.with_timezone(&zone).naive_local(),
    };
    let dtstart = rz
        .from_local_datetime(&start_local)
        .earliest()
        .ok_or("the start does not exist in its zone")?;
    let mut set = match &master.rrule {
        Some(rule) => {
            let rule = utc_until(rule, zone);
            let parsed: rrule::RRule<rrule::Unvalidated> =
                rule.parse().map_err(|e: rrule::RRuleError| e.to_string())?;
            parsed.build(dtstart).map_err(|e| e.to_string())?
        }
        None => RRuleSet::new(dtstart),
    };
    let time_of_day = start_local.time();
    let as_rrule_time =
        |time: &IcalTime, warnings: &mut Vec<String>| -> Option<DateTime<rrule::Tz>> {
            let local = match time {
                IcalTime::Date(date) => date.and_time(time_of_day),
                other => match times.event_time(other, warnings)? {
                    (EventTime::At(at), _) => at.with_timezone(&zone).naive_local(),
                    (EventTime::Date(date), _) => date.and_time(time_of_day),
                },
            };
            rz.from_local_datetime(&local).earliest()
        };
    for exdate in &master.exdates {
        if let Some(at) = as_rrule_time(exdate, warnings) {
            set = set.exdate(at);
        }
    }
    for rdate in &master.rdates {
        if let Some(at) = as_rrule_time(rdate, warnings) {
            set = set.rdate(at);
        }
    }
    Ok(set)
}

/// rrule wants UNTIL in UTC when DTSTART has a zone; exporters write it local or as a date.
fn utc_until(rule: &str, zone: Tz) -> String {
    rule.split(';')
        .map(|part| {
            let Some(value) = part.strip_prefix("UNTIL=") else {
                return part.to_string();
            };
            if value.ends_with('Z') {
                return part.to_string();
            }
            let local = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S")
                .ok()
                .or_else(|| {
                    chrono::NaiveDate::parse_from_str(value, "%Y%m%d")
                        .ok()
                        .and_then(|d| d.and_hms_opt(23, 59, 59))
                });
            match local {
                Some(local) => format!(
                    "UNTIL={}",
                    local_to_utc(local, zone).format("%Y%m%dT%H%M%SZ")
                ),
                None => part.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::ical;

    fn context(window_from: &str, window_to: &str) -> CalendarSource<'static> {
        CalendarSource {
            source_id: "cal",
            source_zone: Some(chrono_tz::America::Toronto),
            display_zone: chrono_tz::America::Toronto,
            window: Window {
                from: window_from.parse().unwrap(),
                to: window_to.parse().unwrap(),
                max_occurrences: 500,
            },
        }
    }

    fn calendar(body: &str) -> CalendarDocument {
        ical::parse(&format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{body}END:VCALENDAR\r\n"
        ))
        .unwrap()
    }

    #[test]
    fn a_weekly_series_keeps_its_local_time_across_the_dst_change() {
        let doc = calendar(
            "BEGIN:VEVENT\r\nUID:s1\r\nSUMMARY:CoP\r\nDTSTART;TZID=Eastern Standard Time:20261022T120000\r\nDTEND;TZID=Eastern Standard Time:20261022T130000\r\nRRULE:FREQ=WEEKLY;COUNT=3;BYDAY=TH\r\nEND:VEVENT\r\n",
        );
        let out = events_from_calendar(
            &context("2026-01-01T00:00:00Z", "2027-12-31T00:00:00Z"),
            &doc,
        );
        let starts: Vec<String> = out.events.iter().map(|e| e.start.to_text()).collect();
        assert_eq!(
            starts,
            [
                "2026-10-22T16:00:00Z",
                "2026-10-29T16:00:00Z",
                "2026-11-05T17:00:00Z"
            ]
        );
        assert_eq!(out.events[2].end.unwrap().to_text(), "2026-11-05T18:00:00Z");
        assert_eq!(out.events[2].uid, "s1/2026-11-05T17:00:00Z");
        assert_eq!(out.events[0].timezone.as_deref(), Some("America/Toronto"));
    }

    #[test]
    fn exdates_overrides_and_cancelled_occurrences() {
        let doc = calendar(concat!(
            "BEGIN:VEVENT\r\nUID:m\r\nSUMMARY:Monthly\r\nDTSTART;TZID=America/Toronto:20260909T130000\r\nDTEND;TZID=America/Toronto:20260909T140000\r\n",
            "RRULE:FREQ=MONTHLY;BYDAY=2WE;UNTIL=20261231T235959\r\nEXDATE;TZID=America/Toronto:20261209T130000\r\nEND:VEVENT\r\n",
            "BEGIN:VEVENT\r\nUID:m\r\nRECURRENCE-ID;TZID=America/Toronto:20261111T130000\r\nSUMMARY:Monthly (moved)\r\nDTSTART;TZID=America/Toronto:20261112T150000\r\nDTEND;TZID=America/Toronto:20261112T160000\r\nEND:VEVENT\r\n",
            "BEGIN:VEVENT\r\nUID:m\r\nRECURRENCE-ID;TZID=America/Toronto:20261014T130000\r\nSUMMARY:Monthly\r\nSTATUS:CANCELLED\r\nDTSTART;TZID=America/Toronto:20261014T130000\r\nEND:VEVENT\r\n",
        ));
        let out = events_from_calendar(
            &context("2026-01-01T00:00:00Z", "2027-12-31T00:00:00Z"),
            &doc,
        );
        let summary: Vec<(String, String, EventStatus)> = out
            .events
            .iter()
            .map(|e| (e.uid.clone(), e.start.to_text(), e.status))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "m/2026-09-09T17:00:00Z".to_string(),
                    "2026-09-09T17:00:00Z".to_string(),
                    EventStatus::Confirmed
                ),
                (
                    "m/2026-10-14T17:00:00Z".to_string(),
                    "2026-10-14T17:00:00Z".to_string(),
                    EventStatus::Cancelled
                ),
                (
                    "m/2026-11-11T18:00:00Z".to_string(),
                    "2026-11-12T20:00:00Z".to_string(),
                    EventStatus::Confirmed
                ),
            ]
        );
        assert_eq!(out.events[2].title, "Monthly (moved)");
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    }

    #[test]
    fn the_window_bounds_an_endless_series() {
        let doc = calendar(
            "BEGIN:VEVENT\r\nUID:d\r\nSUMMARY:Daily\r\nDTSTART:20260101T140000Z\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\n",
        );
        let out = events_from_calendar(
            &context("2026-03-01T00:00:00Z", "2026-03-11T00:00:00Z"),
            &doc,
        );
        assert_eq!(out.events.len(), 10);
        assert_eq!(out.events[0].start.to_text(), "2026-03-01T14:00:00Z");
    }

    #[test]
    fn all_day_durations_floating_times_and_outlook_cancellations() {
        let doc = calendar(concat!(
            "BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Holiday\r\nDTSTART;VALUE=DATE:20261211\r\nEND:VEVENT\r\n",
            "BEGIN:VEVENT\r\nUID:b\r\nSUMMARY:Talk\r\nDTSTART:20260312T120000\r\nDURATION:PT1H30M\r\nEND:VEVENT\r\n",
            "BEGIN:VEVENT\r\nUID:c\r\nSUMMARY:Canceled: Team social\r\nDTSTART:20260312T220000Z\r\nEND:VEVENT\r\n",
        ));
        let out = events_from_calendar(
            &context("2026-01-01T00:00:00Z", "2027-12-31T00:00:00Z"),
            &doc,
        );
        assert_eq!(out.events[0].start.to_text(), "2026-12-11");
        assert_eq!(out.events[0].end.unwrap().to_text(), "2026-12-12");
        assert!(out.events[0].all_day());
        assert_eq!(
            out.events[1].start.to_text(),
            "2026-03-12T16:00:00Z",
            "floating read in the source's zone (EDT)"
        );
        assert_eq!(out.events[1].end.unwrap().to_text(), "2026-03-12T17:30:00Z");
        assert_eq!(
            (out.events[2].title.as_str(), out.events[2].status),
            ("Team social", EventStatus::Cancelled)
        );
    }
}
