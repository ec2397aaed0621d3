//! iCalendar (.ics): the file's components and properties read into plain records.
//!
//! [`structure`] groups content lines into components without recursion (a depth bound,
//! recovery from missing END lines) and parses properties through the icalendar crate;
//! [`values`] reads dates, periods, durations and offsets. Values come back as the file
//! wrote them (times with their TZID, rules as text); resolving zones and expanding
//! recurrences is the normaliser's job. One unreadable component or property is a
//! warning naming its line, never the loss of the calendar.

pub mod structure;
pub mod values;

use chrono::{FixedOffset, NaiveDateTime};

use structure::{Comp, Prop};
pub use values::{Dur, IcalTime, PeriodEnd, RDate};

/// One STANDARD or DAYLIGHT part of a VTIMEZONE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observance {
    pub daylight: bool,
    /// Local time (in `offset_from`) of the first onset.
    pub start: NaiveDateTime,
    pub offset_from: FixedOffset,
    pub offset_to: FixedOffset,
    /// The RRULE of later onsets, as written.
    pub rrule: Option<String>,
    /// Further onsets (RDATE), local time in `offset_from`.
    pub rdates: Vec<NaiveDateTime>,
    pub name: Option<String>,
}

/// A VTIMEZONE: what its TZID means, by its own definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VTimezone {
    pub tzid: String,
    /// `X-LIC-LOCATION`, an IANA name some exporters add.
    pub location: Option<String>,
    pub observances: Vec<Observance>,
}

impl VTimezone {
    /// The most recent TZOFFSETTO of each kind (for matching against known zones).
    pub fn latest_offsets(&self) -> (Option<FixedOffset>, Option<FixedOffset>) {
        let latest = |daylight: bool| {
            self.observances
                .iter()
                .filter(|o| o.daylight == daylight)
                .max_by_key(|o| o.start)
                .map(|o| o.offset_to)
        };
        (latest(false), latest(true))
    }
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
    pub sequence: Option<i64>,
    pub language: Option<String>,
    pub start: Option<IcalTime>,
    pub end: Option<IcalTime>,
    pub duration: Option<Dur>,
    /// RRULE values as written; several are a union.
    pub rrules: Vec<String>,
    /// EXRULE values as written (RFC 2445, still exported by some tools).
    pub exrules: Vec<String>,
    pub rdates: Vec<RDate>,
    pub exdates: Vec<IcalTime>,
    pub recurrence_id: Option<IcalTime>,
    /// `RECURRENCE-ID;RANGE=THISANDFUTURE`: the change applies to later occurrences too.
    pub this_and_future: bool,
    /// Online-meeting links some exporters put in their own properties.
    pub conference: Option<String>,
    /// The line of its BEGIN:VEVENT, for warnings.
    pub line: usize,
}

impl IcalEvent {
    /// How warnings name this event: its UID, else its line.
    pub fn label(&self) -> String {
        match &self.uid {
            Some(uid) => format!("event {uid}"),
            None => format!("the event at line {}", self.line),
        }
    }
}

/// A parsed calendar.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CalendarDocument {
    pub name: Option<String>,
    /// `X-WR-TIMEZONE`: the zone for floating times, where the file says.
    pub timezone: Option<String>,
    pub timezones: Vec<VTimezone>,
    pub events: Vec<IcalEvent>,
    /// What could not be read, each naming its line.
    pub skipped: Vec<String>,
}

/// Parses calendar text. Fails only when there is no calendar component at all.
pub fn parse(text: &str) -> Result<CalendarDocument, String> {
    let text = text.trim_start_matches('\u{feff}');
    let unfolded = icalendar::parser::unfold(text);
    let structure = structure::read(&unfolded);
    let has_component = structure.components.iter().any(|c| {
        matches!(
            c.name.as_str(),
            "VEVENT" | "VTIMEZONE" | "VTODO" | "VJOURNAL"
        )
    });
    if !structure.saw_calendar && !has_component {
        return Err("no BEGIN:VCALENDAR".to_string());
    }
    let header = Comp {
        props: structure.calendar_props,
        ..Comp::default()
    };
    let mut document = CalendarDocument {
        name: header.text("X-WR-CALNAME"),
        timezone: header.text("X-WR-TIMEZONE"),
        skipped: structure.warnings,
        ..CalendarDocument::default()
    };
    for component in &structure.components {
        match component.name.as_str() {
            "VEVENT" => document
                .events
                .push(event(component, &mut document.skipped)),
            "VTIMEZONE" => match timezone(component) {
                Some(zone) => document.timezones.push(zone),
                None => document.skipped.push(format!(
                    "line {}: VTIMEZONE without a TZID; ignored",
                    component.line
                )),
            },
            _ => {}
        }
    }
    Ok(document)
}

fn event(component: &Comp, warnings: &mut Vec<String>) -> IcalEvent {
    let mut event = IcalEvent {
        uid: component.text("UID"),
        summary: component.text("SUMMARY"),
        description: component.text("DESCRIPTION"),
        location: component.text("LOCATION"),
        url: component.text("URL"),
        status: component.text("STATUS").map(|s| s.to_ascii_uppercase()),
        sequence: component
            .text("SEQUENCE")
            .and_then(|s| s.trim().parse().ok()),
        line: component.line,
        ..IcalEvent::default()
    };
    let label = event.label();
    let unreadable = |prop: &Prop, warnings: &mut Vec<String>| {
        warnings.push(format!(
            "line {}: {label}: {} `{}` is not readable; ignored",
            prop.line,
            prop.name,
            prop.value.trim()
        ));
    };
    for prop in &component.props {
        match prop.name.as_str() {
            "DTSTART" | "DTEND" | "RECURRENCE-ID" => {
                let Some(time) = values::first_time(prop) else {
                    unreadable(prop, warnings);
                    continue;
                };
                match prop.name.as_str() {
                    "DTSTART" => event.start = Some(time),
                    "DTEND" => event.end = Some(time),
                    _ => {
                        event.recurrence_id = Some(time);
                        event.this_and_future = prop
                            .param("RANGE")
                            .is_some_and(|r| r.eq_ignore_ascii_case("THISANDFUTURE"));
                    }
                }
            }
            "DURATION" => match values::duration(&prop.value) {
                Some(duration) => event.duration = Some(duration),
                None => unreadable(prop, warnings),
            },
            "RRULE" => event.rrules.push(prop.value.trim().to_string()),
            "EXRULE" => event.exrules.push(prop.value.trim().to_string()),
            "EXDATE" => event.exdates.extend(values::times(prop)),
            "RDATE" => event.rdates.extend(values::rdates(prop)),
            "CATEGORIES" => event.categories.extend(
                split_list(&prop.value)
                    .into_iter()
                    .filter(|c| !c.is_empty()),
            ),
            "ORGANIZER" => {
                let name = prop.param("CN").map(str::to_string);
                let address = prop.value.trim();
                let address = address
                    .get(..7)
                    .filter(|scheme| scheme.eq_ignore_ascii_case("mailto:"))
                    .map_or(address, |_| &address[7..]);
                event.organizer = name
                    .filter(|n| !n.is_empty())
                    .or_else(|| Some(address.to_string()).filter(|a| !a.is_empty()));
            }
            "X-ALT-DESC"
                if prop
                    .param("FMTTYPE")
                    .is_some_and(|t| t.eq_ignore_ascii_case("text/html")) =>
            {
                event.description_html = Some(prop.text());
            }
            "X-MICROSOFT-SKYPETEAMSMEETINGURL"
            | "X-MICROSOFT-ONLINEMEETINGCONFLINK"
            | "X-GOOGLE-CONFERENCE" => {
                event.conference = Some(prop.value.trim().to_string());
            }
            "SUMMARY" | "DESCRIPTION" => {
                if let Some(lang) = prop.param("LANGUAGE") {
                    event.language.get_or_insert_with(|| lang.to_string());
                }
            }
            _ => {}
        }
    }
    event
}

/// A comma-separated TEXT list, each item unescaped (`\,` stays inside an item).
fn split_list(value: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut escaped = false;
    for c in value.chars() {
        match c {
            ',' if !escaped => items.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
        escaped = c == '\\' && !escaped;
    }
    items.push(current);
    items
        .into_iter()
        .map(|item| {
            Prop {
                name: String::new(),
                params: Vec::new(),
                value: item,
                line: 0,
            }
            .text()
        })
        .collect()
}

fn timezone(component: &Comp) -> Option<VTimezone> {
    let tzid = component.text("TZID")?.trim_matches('"').trim().to_string();
    let observances = component
        .children
        .iter()
        .filter_map(|part| {
            let daylight = match part.name.as_str() {
                "STANDARD" => false,
                "DAYLIGHT" => true,
                _ => return None,
            };
            let local = |time: IcalTime| match time {
                IcalTime::Local { time, .. } | IcalTime::Utc(time) => Some(time),
                IcalTime::Date(date) => date.and_hms_opt(0, 0, 0),
            };
            let start = part
                .prop("DTSTART")
                .and_then(values::first_time)
                .and_then(local)?;
            let offset_to = part
                .prop("TZOFFSETTO")
                .and_then(|p| values::offset(&p.value))?;
            let offset_from = part
                .prop("TZOFFSETFROM")
                .and_then(|p| values::offset(&p.value))
                .unwrap_or(offset_to);
            let rdates = part
                .all("RDATE")
                .flat_map(values::times)
                .filter_map(local)
                .collect();
            Some(Observance {
                daylight,
                start,
                offset_from,
                offset_to,
                rrule: part.prop("RRULE").map(|p| p.value.trim().to_string()),
                rdates,
                name: part.text("TZNAME"),
            })
        })
        .collect();
    Some(VTimezone {
        tzid,
        location: component.text("X-LIC-LOCATION"),
        observances,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    const SAMPLE: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:Team\r\nX-WR-TIMEZONE:America/Toronto\r\nBEGIN:VTIMEZONE\r\nTZID:Eastern Standard Time\r\nBEGIN:STANDARD\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:a@example\r\nSUMMARY:Lunch\\, and learn\r\nDTSTART;TZID=\"Eastern Standard Time\":20260312T120000\r\nDTEND;TZID=\"Eastern Standard Time\":20260312T130000\r\nEXDATE;TZID=Eastern Standard Time:20260319T120000,20260326T120000\r\nDESCRIPTION:Line one\\nline t\r\n wo\r\nCATEGORIES:Data\\, AI,Training\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:broken\r\nDTSTART;;;:\r\nTHIS IS NOT A PROPERTY\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:b@example\r\nDTSTART;VALUE=DATE:20261211\r\nSUMMARY:All day\r\nRDATE;VALUE=PERIOD:20261212T090000Z/PT2H,20261213T090000Z/20261213T100000Z\r\nRECURRENCE-ID;RANGE=THISANDFUTURE:20261211\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn reads_events_times_and_zones_and_names_what_it_skips() {
        let doc = parse(SAMPLE).unwrap();
        assert_eq!(doc.name.as_deref(), Some("Team"));
        assert_eq!(doc.timezone.as_deref(), Some("America/Toronto"));
        assert_eq!(doc.events.len(), 3, "{:?}", doc.skipped);
        assert!(
            doc.skipped.iter().any(|w| w.contains("line 30")),
            "{:?}",
            doc.skipped
        );
        let lunch = &doc.events[0];
        assert_eq!(lunch.summary.as_deref(), Some("Lunch, and learn"));
        assert_eq!(lunch.description.as_deref(), Some("Line one\nline two"));
        assert_eq!(lunch.categories, ["Data, AI", "Training"]);
        let at = |d: &str| NaiveDateTime::parse_from_str(d, "%Y%m%dT%H%M%S").unwrap();
        assert_eq!(
            lunch.start,
            Some(IcalTime::Local {
                time: at("20260312T120000"),
                tzid: Some("Eastern Standard Time".into())
            })
        );
        assert_eq!(lunch.exdates.len(), 2);
        let all_day = &doc.events[2];
        assert_eq!(
            all_day.start,
            Some(IcalTime::Date(
                NaiveDate::from_ymd_opt(2026, 12, 11).unwrap()
            ))
        );
        assert_eq!(all_day.rdates.len(), 2);
        assert!(all_day.this_and_future);
        let zone = &doc.timezones[0];
        assert_eq!(
            zone.latest_offsets(),
            (
                FixedOffset::west_opt(5 * 3600),
                FixedOffset::west_opt(4 * 3600)
            )
        );
    }

    #[test]
    fn text_without_a_calendar_is_refused() {
        assert!(parse("<html></html>").is_err());
    }
}
