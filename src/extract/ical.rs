//! iCalendar (.ics), through the icalendar crate's parser.
//!
//! The crate rejects a whole calendar for one malformed line, and real exports have them,
//! so the file is cut into its top-level components first and each is parsed on its own:
//! a broken VEVENT is reported and skipped, the rest are read. Values come back as the
//! file wrote them (times with their TZID, rules as text); resolving zones and expanding
//! recurrences is the normaliser's job.

use chrono::{FixedOffset, NaiveDate, NaiveDateTime};
use icalendar::parser::{Component, Property, read_components, unfold};
use icalendar::{CalendarDateTime, DatePerhapsTime};

/// A time as written in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IcalTime {
    Date(NaiveDate),
    /// `...Z`
    Utc(NaiveDateTime),
    /// With a TZID, or floating when `tzid` is `None`.
    Local {
        time: NaiveDateTime,
        tzid: Option<String>,
    },
}

/// A VTIMEZONE, as far as resolving its TZID needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VTimezone {
    pub tzid: String,
    /// `X-LIC-LOCATION`, an IANA name some exporters add.
    pub location: Option<String>,
    /// TZOFFSETTO of the STANDARD and DAYLIGHT parts.
    pub standard: Option<FixedOffset>,
    pub daylight: Option<FixedOffset>,
}

/// One VEVENT.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IcalEvent {
    pub uid: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    /// `X-ALT-DESC;FMTTYPE=text/html` (Outlook) — an HTML description.
    pub description_html: Option<String>,
    pub location: Option<String>,
    pub url: Option<String>,
    pub organizer: Option<String>,
    pub status: Option<String>,
    pub categories: Vec<String>,
    pub sequence: Option<u32>,
    pub language: Option<String>,
    pub start: Option<IcalTime>,
    pub end: Option<IcalTime>,
    /// DURATION, as written (`PT1H30M`).
    pub duration: Option<String>,
    pub rrule: Option<String>,
    pub rdates: Vec<IcalTime>,
    pub exdates: Vec<IcalTime>,
    pub recurrence_id: Option<IcalTime>,
    /// Online-meeting links some exporters put in their own properties.
    pub conference: Option<String>,
}

/// A parsed calendar.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CalendarDocument {
    pub name: Option<String>,
    /// `X-WR-TIMEZONE`: the zone for floating times, where the file says.
    pub timezone: Option<String>,
    pub timezones: Vec<VTimezone>,
    pub events: Vec<IcalEvent>,
    /// Components that could not be read, each with the reason.
    pub skipped: Vec<String>,
}

/// Parses calendar text. Fails only when there is no VCALENDAR at all.
pub fn parse(text: &str) -> Result<CalendarDocument, String> {
    let text = text.trim_start_matches('\u{feff}');
    let unfolded = unfold(text);
    let blocks = split_components(&unfolded)?;
    let mut document = CalendarDocument::default();
    let header = read_one(&blocks.header).map_err(|e| format!("calendar header: {e}"))?;
    document.name = text_value(&header, "X-WR-CALNAME");
    document.timezone = text_value(&header, "X-WR-TIMEZONE");
    for (index, block) in blocks.components.iter().enumerate() {
        let parsed = match read_one(block) {
            Ok(component) => component,
            Err(_) => {
                let first = block.lines().next().unwrap_or_default();
                document
                    .skipped
                    .push(format!("component {} ({first}) is malformed", index + 1));
                continue;
            }
        };
        match parsed.name.as_str() {
            "VEVENT" => document.events.push(event(&parsed)),
            "VTIMEZONE" => document.timezones.push(timezone(&parsed)),
            _ => {}
        }
    }
    Ok(document)
}

fn read_one(block: &str) -> Result<Component<'_>, String> {
    read_components(block)?
        .into_iter()
        .next()
        .ok_or_else(|| "empty component".to_string())
}

struct Blocks {
    header: String,
    components: Vec<String>,
}

/// Cuts unfolded text into the VCALENDAR's own lines and its top-level components.
fn split_components(unfolded: &str) -> Result<Blocks, String> {
    let mut header = String::new();
    let mut components = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    let mut seen_calendar = false;
    for raw in unfolded.lines() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("BEGIN:") {
            depth += 1;
            if depth == 1 {
                seen_calendar |= upper == "BEGIN:VCALENDAR";
                header.push_str("BEGIN:VCALENDAR\n");
                continue;
            }
        }
        let ending = upper.starts_with("END:");
        match depth {
            0 => {}
            1 if !ending => {
                header.push_str(line);
                header.push('\n');
            }
            1 => {}
            _ => {
                current.push_str(line);
                current.push('\n');
            }
        }
        if ending {
            depth = depth.saturating_sub(1);
            if depth == 1 && !current.is_empty() {
                components.push(std::mem::take(&mut current));
            }
        }
    }
    if !seen_calendar {
        return Err("no BEGIN:VCALENDAR".to_string());
    }
    header.push_str("END:VCALENDAR\n");
    Ok(Blocks { header, components })
}

fn text_value(component: &Component, name: &str) -> Option<String> {
    component
        .find_prop(name)
        .map(|p| p.val.clone().unescape_text().as_str().trim().to_string())
        .filter(|v| !v.is_empty())
}

fn param<'a>(property: &'a Property, key: &str) -> Option<&'a str> {
    property
        .params
        .iter()
        .find(|p| p.key.as_str().eq_ignore_ascii_case(key))
        .and_then(|p| p.val.as_ref())
        .map(|v| v.as_str())
}

fn event(component: &Component) -> IcalEvent {
    let mut event = IcalEvent {
        uid: text_value(component, "UID"),
        summary: text_value(component, "SUMMARY"),
        description: text_value(component, "DESCRIPTION"),
        location: text_value(component, "LOCATION"),
        url: text_value(component, "URL"),
        status: text_value(component, "STATUS").map(|s| s.to_ascii_uppercase()),
        sequence: text_value(component, "SEQUENCE").and_then(|s| s.parse().ok()),
        duration: text_value(component, "DURATION"),
        rrule: component
            .find_prop("RRULE")
            .map(|p| p.val.as_str().trim().to_string()),
        ..IcalEvent::default()
    };
    for property in &component.properties {
        let name = property.name.as_str().to_ascii_uppercase();
        match name.as_str() {
            "DTSTART" => event.start = times(property).into_iter().next(),
            "DTEND" => event.end = times(property).into_iter().next(),
            "RECURRENCE-ID" => event.recurrence_id = times(property).into_iter().next(),
            "EXDATE" => event.exdates.extend(times(property)),
            "RDATE"
                if param(property, "VALUE").is_none_or(|v| !v.eq_ignore_ascii_case("PERIOD")) =>
            {
                event.rdates.extend(times(property))
            }
            "CATEGORIES" => event.categories.extend(
                property
                    .val
                    .as_str()
                    .split(',')
                    .map(|c| icalendar_unescape(c.trim()))
                    .filter(|c| !c.is_empty()),
            ),
            "ORGANIZER" => {
                let name = param(property, "CN").map(|cn| cn.trim_matches('"').to_string());
                let address = property.val.as_str().trim();
                let address = address
                    .strip_prefix("mailto:")
                    .or(address.strip_prefix("MAILTO:"))
                    .unwrap_or(address);
                event.organizer = name
                    .filter(|n| !n.is_empty())
                    .or_else(|| Some(address.to_string()).filter(|a| !a.is_empty()));
            }
            "X-ALT-DESC"
                if param(property, "FMTTYPE")
                    .is_some_and(|t| t.eq_ignore_ascii_case("text/html")) =>
            {
                event.description_html =
                    Some(property.val.clone().unescape_text().as_str().to_string());
            }
            "X-MICROSOFT-SKYPETEAMSMEETINGURL"
            | "X-MICROSOFT-ONLINEMEETINGCONFLINK"
            | "X-GOOGLE-CONFERENCE" => {
                event.conference = Some(property.val.as_str().trim().to_string());
            }
            "SUMMARY" | "DESCRIPTION" => {
                if let Some(lang) = param(property, "LANGUAGE") {
                    event.language.get_or_insert_with(|| lang.to_string());
                }
            }
            _ => {}
        }
    }
    event
}

fn icalendar_unescape(text: &str) -> String {
    icalendar::parser::ParseString::from(text)
        .unescape_text()
        .as_str()
        .to_string()
}

/// The times in a date or date-time property; EXDATE and RDATE may list several.
fn times(property: &Property) -> Vec<IcalTime> {
    let date_only = param(property, "VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE"));
    property
        .val
        .as_str()
        .split(',')
        .filter_map(|value| {
            let value = value.trim();
            let single = Property {
                name: property.name.clone(),
                val: value.into(),
                params: property.params.clone(),
            };
            let parsed = DatePerhapsTime::try_from(&single).ok()?;
            Some(match parsed {
                DatePerhapsTime::Date(date) => IcalTime::Date(date),
                DatePerhapsTime::DateTime(_) if date_only => {
                    IcalTime::Date(NaiveDate::parse_from_str(value.get(..8)?, "%Y%m%d").ok()?)
                }
                DatePerhapsTime::DateTime(CalendarDateTime::Utc(utc)) => {
                    IcalTime::Utc(utc.naive_utc())
                }
                DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, tzid }) => {
                    IcalTime::Local {
                        time: date_time,
                        tzid: Some(tzid.trim_matches('"').to_string()),
                    }
                }
                DatePerhapsTime::DateTime(CalendarDateTime::Floating(time)) => {
                    IcalTime::Local { time, tzid: None }
                }
            })
        })
        .collect()
}

fn timezone(component: &Component) -> VTimezone {
    let offset = |part: &str| {
        component
            .components
            .iter()
            .find(|c| c.name.as_str().eq_ignore_ascii_case(part))
            .and_then(|c| c.find_prop("TZOFFSETTO"))
            .and_then(|p| parse_offset(p.val.as_str()))
    };
    VTimezone {
        tzid: text_value(component, "TZID")
            .unwrap_or_default()
            .trim_matches('"')
            .to_string(),
        location: text_value(component, "X-LIC-LOCATION"),
        standard: offset("STANDARD"),
        daylight: offset("DAYLIGHT"),
    }
}

/// `-0500`, `+0530`, `+013000`.
fn parse_offset(text: &str) -> Option<FixedOffset> {
    let text = text.trim();
    let sign = match text.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let digits = &text[1..];
    let hours: i32 = digits.get(0..2)?.parse().ok()?;
    let minutes: i32 = digits.get(2..4)?.parse().ok()?;
    let seconds: i32 = digits.get(4..6).and_then(|s| s.parse().ok()).unwrap_or(0);
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60 + seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:Team\r\nX-WR-TIMEZONE:America/Toronto\r\nBEGIN:VTIMEZONE\r\nTZID:Eastern Standard Time\r\nBEGIN:STANDARD\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:a@example\r\nSUMMARY:Lunch\\, and learn\r\nDTSTART;TZID=\"Eastern Standard Time\":20260312T120000\r\nDTEND;TZID=\"Eastern Standard Time\":20260312T130000\r\nEXDATE;TZID=Eastern Standard Time:20260319T120000,20260326T120000\r\nDESCRIPTION:Line one\\nline t\r\n wo\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:broken\r\nDTSTART;;;:\r\nTHIS IS NOT A PROPERTY\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:b@example\r\nDTSTART;VALUE=DATE:20261211\r\nSUMMARY:All day\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn reads_events_times_and_zones_and_skips_a_broken_event() {
        let doc = parse(SAMPLE).unwrap();
        assert_eq!(doc.name.as_deref(), Some("Team"));
        assert_eq!(doc.timezone.as_deref(), Some("America/Toronto"));
        assert_eq!(doc.events.len(), 2, "{:?}", doc.skipped);
        assert_eq!(doc.skipped.len(), 1);
        let lunch = &doc.events[0];
        assert_eq!(lunch.summary.as_deref(), Some("Lunch, and learn"));
        assert_eq!(lunch.description.as_deref(), Some("Line one\nline two"));
        let at = |d: &str| NaiveDateTime::parse_from_str(d, "%Y%m%dT%H%M%S").unwrap();
        assert_eq!(
            lunch.start,
            Some(IcalTime::Local {
                time: at("20260312T120000"),
                tzid: Some("Eastern Standard Time".into())
            })
        );
        assert_eq!(lunch.exdates.len(), 2);
        assert_eq!(
            doc.events[1].start,
            Some(IcalTime::Date(
                NaiveDate::from_ymd_opt(2026, 12, 11).unwrap()
            ))
        );
        assert_eq!(doc.timezones[0].standard, FixedOffset::west_opt(5 * 3600));
        assert_eq!(doc.timezones[0].daylight, FixedOffset::west_opt(4 * 3600));
    }

    #[test]
    fn text_without_a_calendar_is_refused() {
        assert!(parse("<html></html>").is_err());
    }
}
